"""Forms of the member and review screens. They parse and check the shape of the input; the services decide
(and refuse with ApplicationError, which `apply_errors` puts back on the form)."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from yizheng.core.errors import ApplicationError, ConflictError

from . import selectors
from .workflow import Disposition, Kind, Rating, State

TAG_SPLIT = re.compile(r"[,,、;;\s]+")


def apply_errors(form: forms.Form, exc: ApplicationError) -> int:
    """Put a service's refusal on the form (field errors on their fields, the rest on top) and return the HTTP
    status: 409 for a conflict (stale form, wrong state, double submit), 400 for bad input."""
    placed = False
    if not isinstance(exc, ConflictError):
        for field, messages in exc.errors.items():
            for message in messages:
                if field in form.fields and message:
                    form.add_error(field, message)
                    placed = True
    if not placed or isinstance(exc, ConflictError):
        form.add_error(None, exc.message)
    return exc.status_code


def split_tags(value: str) -> list[str]:
    return [t for t in TAG_SPLIT.split(value or "") if t]


class VersionForm(forms.Form):
    """Every action form carries the proposal's version: a stale form is refused (409), nothing written."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ProposalForm(VersionForm):
    title = forms.CharField(
        label=_("标题"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("关于……的提案"), "autocomplete": "off"}),
        help_text=_("一事一案:一件提案只提一个问题"),
    )
    kind = forms.ChoiceField(label=_("提案类型"))
    collective = forms.ChoiceField(label=_("提案集体"), required=False)
    category = forms.ModelChoiceField(
        label=_("分类"), queryset=None, required=False, empty_label=_("(请选择)")
    )
    tags = forms.CharField(
        label=_("标签"),
        required=False,
        max_length=300,
        help_text=_("多个标签用逗号或空格分隔"),
        widget=forms.TextInput(attrs={"placeholder": _("如:托育、养老")}),
    )
    reason = forms.CharField(
        label=_("案由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("可使用段落、列表和加粗;其他格式提交时会被清除"),
    )
    analysis = forms.CharField(label=_("情况分析"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    suggestions = forms.CharField(
        label=_("具体建议"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )

    def __init__(self, *args, user, proposal=None, **kwargs) -> None:
        initial = kwargs.pop("initial", {}) or {}
        self.proposal = proposal
        self.user = user
        self.councils = selectors.drafting_councils(user)
        if proposal is not None:
            initial.update(
                title=proposal.title,
                kind=proposal.kind,
                category=proposal.category_id,
                tags=" ".join(proposal.tags or []),
                reason=proposal.reason,
                analysis=proposal.analysis,
                suggestions=proposal.suggestions,
                version=proposal.version,
            )
        super().__init__(*args, initial=initial, **kwargs)
        council = proposal.council if proposal is not None else self._council_guess()
        self.council = council
        self.fields["category"].queryset = (
            selectors.proposal_categories(council) if council else selectors.proposal_categories(None)
        )
        collectives = [(f"{field}:{c.pk}", str(c)) for _council, cs in self.councils for field, c in cs]
        member_council = self._member_council()
        kinds = []
        if proposal is not None and proposal.kind == Kind.COLLECTIVE:
            kinds = [(Kind.COLLECTIVE, Kind.COLLECTIVE.label)]
        else:
            if member_council is not None:
                kinds += [(Kind.INDIVIDUAL, Kind.INDIVIDUAL.label), (Kind.JOINT, Kind.JOINT.label)]
            if collectives and proposal is None:
                kinds.append((Kind.COLLECTIVE, Kind.COLLECTIVE.label))
        self.fields["kind"].choices = kinds
        if proposal is not None:
            del self.fields["collective"]
            if proposal.kind == Kind.COLLECTIVE:
                self.fields["kind"].disabled = True
        elif collectives:
            self.fields["collective"].choices = collectives
            self.fields["collective"].help_text = _("集体提案以您担任经办人的党派团体、专委会或界别名义提出")
        else:
            del self.fields["collective"]
        if proposal is None:
            del self.fields["version"]

    def _member_council(self):
        from .permissions import member_of

        member = member_of(self.user)
        return member.council if member is not None else None

    def _council_guess(self):
        return self.councils[0][0] if self.councils else None

    def clean(self):
        data = super().clean()
        if self.proposal is None and data.get("kind") == Kind.COLLECTIVE:
            chosen = data.get("collective") or ""
            found = None
            for council, cs in self.councils:
                for field, c in cs:
                    if f"{field}:{c.pk}" == chosen:
                        found = (council, field, c)
            if found is None:
                self.add_error("collective", _("请选择以哪个集体的名义提出"))
            else:
                self.council = found[0]
                data["collective_obj"] = found
        elif self.proposal is None:
            council = self._member_council()
            if council is None:
                raise PermissionDenied
            self.council = council
        category = data.get("category")
        if category is not None and self.council is not None and category.council_id != self.council.pk:
            self.add_error("category", _("请选择本会的提案分类"))
        return data

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        data = {
            "title": d["title"],
            "reason": d["reason"],
            "analysis": d["analysis"],
            "suggestions": d["suggestions"],
            "category": d.get("category"),
            "tags": split_tags(d.get("tags", "")),
        }
        if self.proposal is None or self.proposal.kind != Kind.COLLECTIVE:
            data["kind"] = d["kind"]
        return data

    def create_kwargs(self) -> dict[str, Any]:
        kwargs = self.service_data()
        kwargs["council"] = self.council
        found = self.cleaned_data.get("collective_obj")
        if kwargs["kind"] == Kind.COLLECTIVE and found:
            kwargs[found[1]] = found[2]
        return kwargs


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("附件"), help_text=_("PDF、Word、Excel、JPG 或 PNG,单个不超过 20 MB"), allow_empty_file=True
    )


class CosignInviteForm(forms.Form):
    members = forms.TypedMultipleChoiceField(label=_("委员"), required=False, coerce=int)
    group = forms.ModelChoiceField(label=_("或整个委员组"), queryset=None, required=False, empty_label="—")
    deadline = forms.DateTimeField(
        label=_("联名截止时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("不填则按本会设置的联名期限"),
    )

    def __init__(self, *args, proposal, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        self.fields["group"].queryset = selectors.member_groups_of(proposal.council)
        # Any id is accepted here; the services check the members belong to the council.
        ids = self.data.getlist("members") if hasattr(self.data, "getlist") else []
        self.fields["members"].choices = [(i, i) for i in ids]

    def clean(self):
        data = super().clean()
        if not data.get("members") and not data.get("group") and not self.errors:
            raise forms.ValidationError(_("请选择要邀请联名的委员或委员组"))
        return data


class WithdrawForm(VersionForm):
    reason = forms.CharField(label=_("撤案理由"), required=False, max_length=500)


class ConsentForm(VersionForm):
    consent = forms.TypedChoiceField(
        label=_("是否同意转为社情民意信息"),
        choices=[("yes", _("同意")), ("no", _("不同意"))],
        coerce=lambda v: v == "yes",
    )


RATING_CHOICES = [(r.value, r.label) for r in Rating]


class EvaluationForm(VersionForm):
    work_rating = forms.ChoiceField(
        label=_("对办理工作的评价"),
        choices=RATING_CHOICES,
        widget=forms.RadioSelect,
        help_text=_("包括承办单位是否与您沟通、沟通是否充分"),
    )
    consulted = forms.TypedChoiceField(
        label=_("承办单位是否与您沟通"),
        choices=[("yes", _("是")), ("no", _("否"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    result_rating = forms.ChoiceField(
        label=_("对办理结果的评价"), choices=RATING_CHOICES, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("意见和建议"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


# --- review (审查) ------------------------------------------------------------------------------------------


class FileForm(VersionForm):
    category = forms.ModelChoiceField(label=_("分类"), queryset=None, empty_label=_("(请选择)"))
    tags = forms.CharField(
        label=_("标签"), required=False, max_length=300, help_text=_("多个标签用逗号或空格分隔")
    )

    def __init__(self, *args, proposal, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "category": proposal.category_id,
                "tags": " ".join(proposal.tags or []),
                "version": proposal.version,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors.proposal_categories(proposal.council)


class DeclineForm(VersionForm):
    reason = forms.ChoiceField(label=_("不予立案理由"))
    disposition = forms.ChoiceField(
        label=_("处理方式"), choices=[("", _("(请选择)")), *[(d.value, d.label) for d in Disposition]]
    )
    conversion_consent = forms.ChoiceField(
        label=_("提案人是否同意转社情民意信息"),
        required=False,
        choices=[("", _("待征求提案人意见")), ("yes", _("已同意")), ("no", _("不同意"))],
        help_text=_("仅在处理方式为转社情民意信息时适用"),
    )
    note = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("将告知提案人"),
    )

    def __init__(self, *args, proposal, reasons: list[str], **kwargs) -> None:
        kwargs.setdefault("initial", {"version": proposal.version})
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("(请选择)")), *[(r, r) for r in reasons]]

    def consent(self) -> bool | None:
        value = self.cleaned_data.get("conversion_consent")
        return {"yes": True, "no": False}.get(value)


class ReturnForm(VersionForm):
    comments = forms.CharField(
        label=_("修改意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class MergeForm(VersionForm):
    primary = forms.IntegerField(label=_("主提案"), error_messages={"required": _("请选择主提案")})
    merged = forms.TypedMultipleChoiceField(label=_("并入的提案"), coerce=int, required=False)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        ids = self.data.getlist("merged") if hasattr(self.data, "getlist") else []
        self.fields["merged"].choices = [(i, i) for i in ids]


# --- the staff list ---------------------------------------------------------------------------------------


class QuickSelect(forms.Select):
    """A <select> rendered in one pass instead of one template per option: the list's unit filter has an
    option per handling unit (500 in a large city), which Django's option templates took ≈40 ms to render
    on every list request. Same markup as forms.Select for flat choices."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = []
        for key, label in self.choices:
            key = str(key)
            selected = " selected" if key in chosen else ""
            options.append(f'<option value="{escape(key)}"{selected}>{escape(str(label))}</option>')
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("".join(options)),  # every key and label escaped above
        )


def _set_flat_choices(field: forms.ChoiceField, pairs: list[tuple[Any, str]]) -> None:
    """`field.choices = [("", 全部), *pairs]` without Django's `normalize_choices`, which walks a list twice (the
    field's and the widget's copy) looking for option groups: ≈1,000 calls for the 500 units on every list
    page. `pairs` are flat (value, label) tuples, already what normalisation would return."""
    field._choices = field.widget._choices = [("", _("全部")), *pairs]


class ProposalFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": _("标题、提案人或案号")}),
    )
    year = forms.TypedChoiceField(
        label=_("年度"), required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    state = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), *[(s.value, s.label) for s in State]],
        widget=QuickSelect,
    )
    kind = forms.ChoiceField(
        label=_("类型"),
        required=False,
        choices=[("", _("全部")), *[(k.value, k.label) for k in Kind]],
        widget=QuickSelect,
    )
    category = forms.TypedChoiceField(
        label=_("分类"), required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    unit = forms.TypedChoiceField(
        label=_("承办单位"), required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    key = forms.BooleanField(label=_("重点提案"), required=False)
    overdue = forms.BooleanField(label=_("已超期"), required=False)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = selectors.proposal_filter_choices(user)
        _set_flat_choices(self.fields["year"], [(y, y) for y in choices["years"]])
        _set_flat_choices(self.fields["category"], choices["categories"])
        _set_flat_choices(self.fields["unit"], choices["units"])

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        d = self.cleaned_data
        return {
            "q": d.get("q") or "",
            "year": d.get("year"),
            "state": d.get("state") or None,
            "kind": d.get("kind") or None,
            "category": d.get("category"),
            "unit": d.get("unit"),
            "is_key": True if d.get("key") else None,
            "overdue": True if d.get("overdue") else None,
        }
