"""Forms of the handling screens: assignment (single and batch), decisions on adjustment and extension requests,
the unit's workspace (adjustment, contact, co opinion, extension, reply, countersign), supervision and the staff's
actions after a reply. Forms only parse; the services decide."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from yizheng.org.models import Role, Unit

from . import permissions as perms
from .models import ContactRecord
from .richtext import plain_text
from .workflow import Rating

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def text_to_html(text: str) -> str:
    """Plain text from a textarea as paragraphs; text that already carries tags is left to the sanitiser."""
    text = (text or "").strip()
    if not text or re.search(r"<\s*(p|br|ul|ol|table)\b", text, re.I):
        return text
    return "".join(f"<p>{escape(line.strip())}</p>" for line in text.splitlines() if line.strip())


def html_to_text(html: str) -> str:
    """The stored paragraphs back as lines, for editing in a textarea."""
    html = re.sub(r"</p\s*>|<br\s*/?>", "\n", html or "", flags=re.I)
    return plain_text(html).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").strip()


def apply_errors(form: forms.Form, exc) -> None:
    """Put a service's field errors on the form (unknown fields become form errors)."""
    for field, messages in (exc.errors or {}).items():
        for message in [m for m in messages if m] or [exc.message]:
            form.add_error(field if field in form.fields else None, message)
    if not form.errors:
        form.add_error(None, exc.message)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")


def units_for_assignment(user):
    return Unit.objects.filter(perms.proposal_staff_q(user), is_active=True).order_by(
        "council_id", "order", "pk"
    )


def leaders_for_assignment(user):
    councils = {a.council_id for a in perms.proposal_staff_grants(user)}
    return (
        get_user_model()
        .objects.filter(
            role_assignments__role=Role.LEADER,
            role_assignments__council_id__in=sorted(councils),
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


class AssignForm(VersionForm):
    lead_unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("主办单位"), required=False)
    co_units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.none(), label=_("协办单位"), required=False
    )
    separate_units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.none(), label=_("分办单位"), required=False
    )
    months = forms.IntegerField(label=_("办理期限(月)"), min_value=1, max_value=24)
    is_key = forms.BooleanField(label=_("重点提案"), required=False)
    supervising_leaders = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(), label=_("督办领导"), required=False
    )

    def __init__(self, *args, user, default_months: int = 3, **kwargs):
        super().__init__(*args, **kwargs)
        units = units_for_assignment(user)
        for name in ("lead_unit", "co_units", "separate_units"):
            self.fields[name].queryset = units
        self.fields["supervising_leaders"].queryset = leaders_for_assignment(user)
        self.fields["months"].initial = default_months
        self.fields["co_units"].widget.attrs["size"] = 4
        self.fields["separate_units"].widget.attrs["size"] = 4
        self.fields["supervising_leaders"].widget.attrs["size"] = 3

    def assign_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "lead_unit": d.get("lead_unit"),
            "co_units": list(d.get("co_units") or []),
            "separate_units": list(d.get("separate_units") or []),
            "months": d.get("months"),
            "is_key": bool(d.get("is_key")),
            "supervising_leaders": list(d.get("supervising_leaders") or []) if d.get("is_key") else [],
        }


class SetKeyForm(VersionForm):
    is_key = forms.BooleanField(label=_("重点提案"), required=False)
    supervising_leaders = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(), label=_("督办领导"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervising_leaders"].queryset = leaders_for_assignment(user)


class DecisionForm(forms.Form):
    """Grant or refuse a unit's request; the button pressed says which."""

    decision = forms.ChoiceField(choices=[("grant", _("同意")), ("refuse", _("不同意"))])
    note = forms.CharField(label=_("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label=_("批准延至"), required=False, widget=DATE_INPUT)


class AdjustmentRequestForm(forms.Form):
    reason = forms.CharField(label=_("申请调整的理由"), widget=forms.Textarea(attrs={"rows": 3}))
    suggested_unit = forms.CharField(label=_("建议承办单位"), max_length=100, required=False)


class ContactForm(VersionForm):
    date = forms.DateField(label=_("沟通日期"), widget=DATE_INPUT)
    method = forms.ChoiceField(label=_("沟通方式"), choices=ContactRecord.Method.choices)
    people = forms.CharField(label=_("参加人员"), max_length=200, required=False)
    summary = forms.CharField(label=_("沟通情况"), widget=forms.Textarea(attrs={"rows": 3}))
    members_met = forms.MultipleChoiceField(
        label=_("沟通的提案人"), required=False, widget=forms.CheckboxSelectMultiple
    )
    collective_met = forms.BooleanField(label=_("已与提案集体沟通"), required=False)

    def __init__(self, *args, submitters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {str(m.pk): m for _source, m in submitters if m is not None}
        self.fields["members_met"].choices = [(pk, m.name) for pk, m in self.members.items()]

    def chosen_members(self) -> list:
        return [self.members[pk] for pk in self.cleaned_data.get("members_met") or []]


class CoOpinionForm(VersionForm):
    opinion = forms.CharField(label=_("协办意见"), widget=forms.Textarea(attrs={"rows": 4}))


class ExtensionRequestForm(forms.Form):
    reason = forms.CharField(label=_("延期理由"), widget=forms.Textarea(attrs={"rows": 3}))
    requested_deadline = forms.DateField(label=_("申请延至"), widget=DATE_INPUT)


class ReplyForm(VersionForm):
    """The reply editor: result class, body, commitment rows (commitment_text_N / commitment_due_N)."""

    result = forms.ChoiceField(label=_("办理结果分类"), required=False, widget=forms.RadioSelect)
    body = forms.CharField(label=_("答复内容"), required=False, widget=forms.Textarea(attrs={"rows": 10}))

    def __init__(self, *args, classes=(), rows: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.classes = list(classes)
        self.fields["result"].choices = [
            (c["code"], f"{c['code']} · {c.get('label', '')}") for c in self.classes
        ]
        self.rows = rows
        if self.is_bound:
            indexes = {
                int(m.group(1))
                for key in self.data
                if (m := re.fullmatch(r"commitment_(?:text|due)_(\d+)", key))
            }
            self.rows = max([rows, *(i + 1 for i in indexes)])
        for i in range(self.rows):
            self.fields[f"commitment_text_{i}"] = forms.CharField(
                label=_("承诺事项"), required=False, max_length=300
            )
            self.fields[f"commitment_due_{i}"] = forms.CharField(
                label=_("完成时限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"commitment_remove_{i}"] = forms.BooleanField(label=_("删除"), required=False)

    def commitment_rows(self):
        return [
            (self[f"commitment_text_{i}"], self[f"commitment_due_{i}"], self[f"commitment_remove_{i}"])
            for i in range(self.rows)
        ]

    def commitments(self) -> list[dict]:
        out = []
        for i in range(self.rows):
            if self.cleaned_data.get(f"commitment_remove_{i}"):
                continue
            text = (self.cleaned_data.get(f"commitment_text_{i}") or "").strip()
            due = (self.cleaned_data.get(f"commitment_due_{i}") or "").strip()
            if text or due:
                out.append({"text": text, "due": due})
        return out

    def body_html(self) -> str:
        return text_to_html(self.cleaned_data.get("body", ""))

    @classmethod
    def initial_for(cls, reply) -> dict:
        if reply is None:
            return {}
        data = {"result": reply.result, "body": html_to_text(reply.body)}
        for i, item in enumerate(reply.commitments or []):
            data[f"commitment_text_{i}"] = item.get("text", "")
            data[f"commitment_due_{i}"] = item.get("due", "")
        return data


class CountersignForm(forms.Form):
    decision = forms.ChoiceField(choices=[("sign", _("会签")), ("return", _("退回意见"))])
    comment = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(VersionForm):
    decision = forms.ChoiceField(choices=[("approve", _("审定")), ("return", _("退回"))])
    result = forms.ChoiceField(label=_("办理结果分类"), required=False)
    note = forms.CharField(label=_("督办意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, classes=(), current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        self.fields["result"].choices = [(c["code"], f"{c['code']} · {c.get('label', '')}") for c in classes]
        self.fields["result"].initial = current

    def clean(self):
        data = super().clean()
        changed = data.get("result") and data.get("result") != self.current
        if data.get("decision") == "approve" and changed and not (data.get("note") or "").strip():
            self.add_error("note", _("调整办理结果分类时请写明理由"))
        return data


class NoteForm(VersionForm):
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReopenForm(VersionForm):
    # Not required here: the service refuses an empty reason with its own message (one rule, one place).
    reason = forms.CharField(
        label=_("重启办理的理由"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("例如:相关规划已批准、资金已落实等条件变化")}
        ),
    )


class FlagForm(VersionForm):
    value = forms.BooleanField(required=False)


class PaperEvaluationForm(VersionForm):
    evaluation = forms.ChoiceField(label=_("提案人"))
    work_rating = forms.ChoiceField(label=_("对办理工作的评价"), choices=Rating.choices)
    result_rating = forms.ChoiceField(label=_("对办理结果的评价"), choices=Rating.choices)
    consulted = forms.NullBooleanField(
        label=_("承办单位是否与提案人沟通"),
        required=False,
        widget=forms.Select(choices=[("unknown", "—"), ("true", _("是")), ("false", _("否"))]),
    )
    comment = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, evaluations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.evaluations = {str(e.pk): e for e in evaluations}
        self.fields["evaluation"].choices = [
            (pk, f"{e.member or e.source.submitter_label}") for pk, e in self.evaluations.items()
        ]

    def chosen(self):
        return self.evaluations[self.cleaned_data["evaluation"]]


def parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None
