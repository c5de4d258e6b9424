"""Forms of the member (委员) and unit (承办单位) screens. They parse and check the input; the services decide
what is allowed and keep the invariants (unique ID number and unit name in the council, same-council choices,
no concurrent overwrite)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from . import permissions, selectors
from .forms_accounts import apply_errors  # noqa: F401  (re-exported for the member and unit views)
from .models import Council, Member, Membership, Term, Unit
from .validators import id_number_problem, validate_credit_code, validate_phone

# --- shared pieces ----------------------------------------------------------------------------------------


class CouncilChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ScopedChoice(forms.ModelChoiceField):
    """A council's row (sector, committee, unit…); names its council when the user's tree has several."""

    show_council = False

    def label_from_instance(self, obj):
        if self.show_council:
            return f"{obj}({obj.council.short_name or obj.council})"
        return str(obj)


class ScopedMultipleChoice(forms.ModelMultipleChoiceField):
    show_council = False

    def label_from_instance(self, obj):
        if self.show_council:
            return f"{obj}({obj.council.short_name or obj.council})"
        return str(obj)


def _search(placeholder) -> forms.CharField:
    return forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": placeholder, "autocomplete": "off"}),
    )


YES_NO = [("", _("全部")), ("1", _("是")), ("0", _("否"))]


def _yes_no(value: str) -> bool | None:
    return {"1": True, "0": False}.get(value)


class UpdatedAtField(forms.CharField):
    """The record's `updated_at` as the editor saw it, carried through the form for optimistic locking."""

    widget = forms.HiddenInput
    default_error_messages = {"required": _("表单已失效,请刷新后重试")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        parsed = parse_datetime(value)
        if parsed is None:
            raise ValidationError(_("表单已失效,请刷新后重试"), code="stale")
        return parsed

    def prepare_value(self, value):
        return value.isoformat() if isinstance(value, dt.datetime) else value


def _hide_when_single(form: forms.Form, name: str) -> None:
    field = form.fields[name]
    if len(field.queryset) <= 1:
        del form.fields[name]


# --- members ----------------------------------------------------------------------------------------------


class MemberFilterForm(forms.Form):
    """Search and filters of the member list. Offered choices come from the user's council tree only."""

    q = _search(_("姓名、工作单位、电话"))
    council = CouncilChoice(label=_("政协组织"), queryset=None, required=False, empty_label=_("全部政协"))
    term = forms.ChoiceField(label=_("届次"), required=False)
    sector = ScopedChoice(label=_("界别"), queryset=None, required=False, empty_label=_("全部界别"))
    committee = ScopedChoice(label=_("专委会"), queryset=None, required=False, empty_label=_("全部专委会"))
    standing = forms.ChoiceField(label=_("常委"), required=False, choices=YES_NO)
    position = forms.ChoiceField(label=_("职务"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        perm = "member.view"
        self.fields["council"].queryset = selectors.councils_for(actor, perm)
        several = len(self.fields["council"].queryset) > 1
        _hide_when_single(self, "council")
        terms = list(selectors.terms_for(actor, perm))
        self.fields["term"].choices = [
            ("", _("本届")),
            ("all", _("全部届次")),
            *[(str(t.pk), self._term_label(t, several)) for t in terms],
        ]
        self._terms = {str(t.pk): t for t in terms}
        for name, queryset in (
            ("sector", selectors.sectors_for(actor, perm)),
            ("committee", selectors.committees_for(actor, perm)),
        ):
            self.fields[name].queryset = queryset
            self.fields[name].show_council = several
        self.fields["position"].choices = [("", _("全部职务")), *Membership.Position.choices]
        self.fields["status"].choices = [("", _("全部状态")), *Membership.Status.choices]
        if permissions.can(actor, "member.edit"):
            self.fields["q"].widget.attrs["placeholder"] = _("姓名、工作单位、电话或身份证号码")

    @staticmethod
    def _term_label(term, several: bool) -> str:
        label = str(term) + (str(_("(本届)")) if term.is_current else "")
        return f"{term.council.short_name or term.council}{label}" if several else label

    def filters(self) -> dict[str, Any]:
        """The selector's keyword arguments from the valid fields; an invalid one shows its error and is
        ignored."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        out: dict[str, Any] = {}
        if data.get("q"):
            out["q"] = data["q"]
        for name in ("council", "sector", "committee"):
            if data.get(name) is not None:
                out[name] = data[name]
        term = data.get("term")
        if term == "all":
            out["all_terms"] = True
        elif term:
            out["term"] = self._terms[term]
        standing = _yes_no(data.get("standing") or "")
        if standing is not None:
            out["standing"] = standing
        for name in ("position", "status"):
            if data.get(name):
                out[name] = data[name]
        return out


class MemberForm(forms.Form):
    """A member's person data and their seat in the council's current term (创建 or 修改)."""

    PERSON = (
        "name", "gender", "ethnicity", "birth_date", "id_number", "political_affiliation", "education",
        "work_unit", "job_title", "phone", "email", "address",
    )  # fmt: skip
    SEAT = ("sector", "committees", "groups", "is_standing", "position", "status", "card_number")

    council = CouncilChoice(label=_("政协组织"), queryset=None, empty_label=None)
    name = forms.CharField(label=_("姓名"), max_length=40)
    gender = forms.ChoiceField(label=_("性别"), choices=Member.Gender.choices)
    ethnicity = forms.CharField(label=_("民族"), max_length=16, initial="汉族")
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=22,
        required=False,
        help_text=_("18位居民身份证号码;出生日期未填时按身份证号码填写"),
    )
    birth_date = forms.DateField(
        label=_("出生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    political_affiliation = forms.CharField(
        label=_("政治面貌"),
        max_length=24,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如:中共党员、民盟盟员、无党派人士")}),
    )
    education = forms.CharField(label=_("学历"), max_length=24, required=False)
    work_unit = forms.CharField(label=_("工作单位"), max_length=100, required=False)
    job_title = forms.CharField(label=_("职务"), max_length=100, required=False)
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        required=False,
        help_text=_("手机号码或带区号的固定电话"),
        validators=[validate_phone],
    )
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    address = forms.CharField(label=_("通讯地址"), max_length=200, required=False)

    sector = ScopedChoice(label=_("界别"), queryset=None, required=False, empty_label=_("(未定)"))
    committees = ScopedMultipleChoice(
        label=_("专委会"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    groups = ScopedMultipleChoice(
        label=_("委员组"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    is_standing = forms.BooleanField(label=_("常委"), required=False)
    position = forms.ChoiceField(label=_("会内职务"), choices=Membership.Position.choices)
    status = forms.ChoiceField(label=_("任职状态"), choices=Membership.Status.choices)
    card_number = forms.CharField(label=_("委员证号"), max_length=20, required=False)
    updated_at = UpdatedAtField(required=False)

    def __init__(
        self,
        *args,
        actor,
        member: Member | None = None,
        seat: Membership | None = None,
        term: Term | None = None,
        **kwargs,
    ):
        """`member`, `seat`, `term` when editing: the member, their seat in the current term (if any) and
        that term (None when the council has no current term: then only person data is edited)."""
        self.member = member
        if member is not None:
            kwargs.setdefault("initial", self.initial_for(member, seat))
        super().__init__(*args, **kwargs)
        perm = "member.edit"
        self.fixed_council: Council | None = None
        if member is None:
            del self.fields["updated_at"]
            councils = selectors.councils_for(actor, perm)
            self.fields["council"].queryset = councils
            self.fields["council"].initial = actor.council_id if actor.council_id else None
            several = len(councils) > 1
            if not several:
                del self.fields["council"]
                self.fixed_council = councils.first()
        else:
            del self.fields["council"]
            self.fields["updated_at"].required = True
            self.fixed_council = member.council
            several = False
        self.show_council = several
        for name, queryset in (
            ("sector", selectors.sectors_for(actor, perm)),
            ("committees", selectors.committees_for(actor, perm)),
            ("groups", selectors.groups_for(actor, perm)),
        ):
            if self.fixed_council is not None:
                queryset = queryset.filter(council=self.fixed_council)
            self.fields[name].queryset = queryset
            self.fields[name].show_council = several
        if member is not None:
            self.term = term
        else:
            self.term = selectors.current_term(self.fixed_council) if self.fixed_council else None
        if member is not None and self.term is None:
            for name in self.SEAT:  # no current term: only the person data can be edited
                del self.fields[name]

    @classmethod
    def initial_for(cls, member: Member, seat: Membership | None) -> dict[str, Any]:
        initial = {name: getattr(member, name) for name in cls.PERSON}
        initial["updated_at"] = member.updated_at
        if seat is not None:
            initial.update(
                {
                    "sector": seat.sector_id,
                    "committees": [c.pk for c in seat.committees.all()],
                    "groups": [g.pk for g in seat.groups.all()],
                    "is_standing": seat.is_standing,
                    "position": seat.position,
                    "status": seat.status,
                    "card_number": seat.card_number,
                }
            )
        return initial

    @property
    def has_seat(self) -> bool:
        return "position" in self.fields

    def person_fields(self):
        return [self[name] for name in self.PERSON]

    def seat_fields(self):
        return [self[name] for name in self.SEAT if name in self.fields]

    def clean_id_number(self) -> str:
        value = "".join((self.cleaned_data.get("id_number") or "").split()).upper()
        if value:
            problem = id_number_problem(value)
            if problem:
                raise ValidationError(problem, code="id_number")
        return value

    def clean(self):
        data = super().clean()
        council = data.get("council") if "council" in self.fields else self.fixed_council
        self.council = council
        if council is None:
            if "council" not in self.fields:
                raise ValidationError(_("您没有可登记委员的政协组织"))
            return data
        term = self.term if self.fixed_council else selectors.current_term(council)
        self.term = term
        if term is None and self.member is None:
            raise ValidationError(_("该政协尚未设置本届届次,请先设置届次再登记委员"))
        for name in ("sector",):
            if data.get(name) is not None and data[name].council_id != council.pk:
                self.add_error(name, _("所选界别不属于该政协"))
        for name, message in (
            ("committees", _("所选专委会不属于该政协")),
            ("groups", _("所选委员组不属于该政协本届")),
        ):
            if any(
                o.council_id != council.pk or (name == "groups" and term and o.term_id != term.pk)
                for o in data.get(name) or ()
            ):
                self.add_error(name, message)
        id_number = data.get("id_number")
        if id_number:
            born = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
            gender = Member.Gender.MALE if int(id_number[16]) % 2 else Member.Gender.FEMALE
            if data.get("gender") and data["gender"] != gender:
                self.add_error("gender", _("性别与身份证号码不一致"))
            if data.get("birth_date") is None:
                data["birth_date"] = born
            elif data["birth_date"] != born:
                self.add_error("birth_date", _("出生日期与身份证号码不一致"))
        return data

    def person_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.PERSON}

    def seat_data(self) -> dict[str, Any]:
        names = ("sector", "is_standing", "position", "status", "card_number")
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}


# --- units ------------------------------------------------------------------------------------------------


class UnitFilterForm(forms.Form):
    q = _search(_("单位名称、简称、联系人或电话"))
    council = CouncilChoice(label=_("政协组织"), queryset=None, required=False, empty_label=_("全部政协"))
    kind = forms.ChoiceField(label=_("单位类型"), required=False)
    active = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), ("1", _("有效")), ("0", _("已停用"))]
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].queryset = selectors.councils_for(actor, "unit.view")
        _hide_when_single(self, "council")
        self.fields["kind"].choices = [("", _("全部类型")), *Unit.Kind.choices]

    def filters(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        out: dict[str, Any] = {}
        if data.get("q"):
            out["q"] = data["q"]
        if data.get("council") is not None:
            out["council"] = data["council"]
        if data.get("kind"):
            out["kind"] = data["kind"]
        active = _yes_no(data.get("active") or "")
        if active is not None:
            out["active"] = active
        return out


class UnitForm(forms.Form):
    FIELDS = (
        "name", "short_name", "kind", "parent", "code", "contact_name", "contact_phone", "contact_email",
        "address", "order", "is_active",
    )  # fmt: skip

    council = CouncilChoice(label=_("政协组织"), queryset=None, empty_label=None)
    name = forms.CharField(label=_("单位名称"), max_length=100)
    short_name = forms.CharField(label=_("简称"), max_length=40, required=False)
    kind = forms.ChoiceField(label=_("单位类型"), choices=Unit.Kind.choices)
    parent = ScopedChoice(label=_("上级单位"), queryset=None, required=False, empty_label=_("(无)"))
    code = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=40, required=False)
    contact_phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        required=False,
        help_text=_("手机号码或带区号的固定电话"),
        validators=[validate_phone],
    )
    contact_email = forms.EmailField(label=_("电子邮箱"), required=False)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    order = forms.IntegerField(label=_("排序"), min_value=0, max_value=100000, initial=0)
    is_active = forms.BooleanField(
        label=_("有效"), required=False, initial=True, help_text=_("停用后不再作为承办单位可选,历史记录保留")
    )
    updated_at = UpdatedAtField(required=False)

    def __init__(self, *args, actor, unit: Unit | None = None, **kwargs):
        self.unit = unit
        if unit is not None:
            initial = {name: getattr(unit, name) for name in self.FIELDS}
            initial["parent"] = unit.parent_id
            initial["updated_at"] = unit.updated_at
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fixed_council: Council | None = None
        several = False
        if unit is None:
            del self.fields["updated_at"]
            councils = selectors.councils_for(actor, "unit.edit")
            self.fields["council"].queryset = councils
            self.fields["council"].initial = actor.council_id
            several = len(councils) > 1
            if not several:
                del self.fields["council"]
                self.fixed_council = councils.first()
        else:
            del self.fields["council"]
            self.fields["updated_at"].required = True
            self.fixed_council = unit.council
        parents = selectors.unit_parents_for(actor, self.fixed_council, exclude=unit)
        self.fields["parent"].queryset = parents
        self.fields["parent"].show_council = several

    def clean_code(self) -> str:
        value = "".join((self.cleaned_data.get("code") or "").split()).upper()
        if value:
            validate_credit_code(value)
        return value

    def clean(self):
        data = super().clean()
        council = data.get("council") if "council" in self.fields else self.fixed_council
        self.council = council
        if council is None:
            if "council" not in self.fields:
                raise ValidationError(_("您没有可登记承办单位的政协组织"))
            return data
        parent = data.get("parent")
        if parent is not None and parent.council_id != council.pk:
            self.add_error("parent", _("上级单位须属于同一政协"))
        return data

    def unit_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}
