"""Forms of the proposal-work settings page (提案工作设置) and of the year summary's filters. They parse and
check the shape of the input; the rules (ranges, formats, unique codes) are the service's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yizheng.core.errors import ApplicationError

from .workflow import CaseScope

MAX_RESULT_CLASSES = 6


class SummaryFilterForm(forms.Form):
    year = forms.IntegerField(
        label=_("年度"),
        min_value=2000,
        max_value=2100,
        required=False,
        error_messages={"invalid": _("请输入四位数的年度,例如 2026")},
    )
    council = forms.ChoiceField(label=_("政协组织"), required=False)

    def __init__(self, *args, councils, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["council"].choices = [(str(c.pk), c.name) for c in councils]
        self.fields["year"].error_messages.update(
            {
                "min_value": _("年度不能早于 2000 年"),
                "max_value": _("年度不能晚于 2100 年"),
            }
        )

    def year_value(self) -> int:
        return self.cleaned_data.get("year") or timezone.localdate().year


class SettingsForm(forms.Form):
    """ProposalSettings; the result classes come as numbered rows rc-<i>-code/label/description/requires."""

    case_number_format = forms.CharField(
        label=_("案号格式"),
        max_length=40,
        help_text=_("{n} 为序号,{n:04d} 补足四位;可含 {year},例如 {year}-{n:03d}"),
    )
    case_scope = forms.ChoiceField(label=_("案号编号范围"), choices=CaseScope.choices)
    handling_months = forms.IntegerField(label=_("办理期限(月)"), min_value=1, max_value=24)
    hard_case_max_months = forms.IntegerField(label=_("疑难提案最长办理期限(月)"), min_value=1, max_value=24)
    adjustment_window_days = forms.IntegerField(label=_("申请调整期限(工作日)"), min_value=1, max_value=365)
    first_contact_days = forms.IntegerField(label=_("首次沟通期限(工作日)"), min_value=1, max_value=365)
    co_opinion_months = forms.IntegerField(label=_("协办意见期限(月)"), min_value=1, max_value=24)
    evaluation_window_days = forms.IntegerField(label=_("评价期限(工作日)"), min_value=1, max_value=365)
    rehandle_months = forms.IntegerField(label=_("重新办理期限(月)"), min_value=1, max_value=24)
    cosign_days = forms.IntegerField(label=_("联名答复期限(天)"), min_value=1, max_value=365)
    reminder_days = forms.CharField(
        label=_("到期提醒(提前天数)"), max_length=60, help_text=_("用逗号分隔,例如 30, 7, 1")
    )
    excellent_quota = forms.IntegerField(label=_("优秀提案名额(每年)"), min_value=0, max_value=1000)
    decline_reasons = forms.CharField(
        label=_("不予立案理由"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("每行一条"),
        error_messages={"required": _("请至少填写一条不予立案理由")},
    )
    # The settings' updated_at when the form was rendered: saving over someone else's change is refused.
    updated_at = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, settings_obj=None, **kwargs):
        data = args[0] if args else kwargs.get("data")
        super().__init__(*args, **kwargs)
        self.result_rows: list[dict[str, Any]] = []
        self.result_errors: list[str] = []
        if data is not None:
            self.result_rows = [
                {
                    "code": (data.get(f"rc-{i}-code") or "").strip(),
                    "label": (data.get(f"rc-{i}-label") or "").strip(),
                    "description": (data.get(f"rc-{i}-description") or "").strip(),
                    "requires_commitments": bool(data.get(f"rc-{i}-requires")),
                }
                for i in range(MAX_RESULT_CLASSES)
            ]
        elif settings_obj is not None:
            for field in self.fields:
                if hasattr(settings_obj, field):
                    value = getattr(settings_obj, field)
                    if field == "reminder_days":
                        value = ", ".join(str(d) for d in value)
                    elif field == "decline_reasons":
                        value = "\n".join(value)
                    self.initial[field] = value
            self.result_rows = [dict(c) for c in settings_obj.result_classes]
            self.initial["updated_at"] = (
                settings_obj.updated_at.isoformat() if settings_obj.updated_at else ""
            )
        self.result_rows = [r for r in self.result_rows if r["code"] or r["label"] or r["description"]]
        if len(self.result_rows) < MAX_RESULT_CLASSES:  # one empty row to add a class (e.g. D)
            self.result_rows.append(
                {"code": "", "label": "", "description": "", "requires_commitments": False}
            )
        for i, row in enumerate(self.result_rows):
            row["index"] = i

    def clean_reminder_days(self) -> list[int]:
        raw = self.cleaned_data["reminder_days"].replace(",", ",").replace("、", ",")
        try:
            days = [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(_("提醒天数须为正整数,用逗号分隔,例如 30, 7, 1")) from None
        if not days or any(d <= 0 or d > 365 for d in days):
            raise forms.ValidationError(_("提醒天数须为 1 至 365 之间的整数"))
        return sorted(set(days), reverse=True)

    def clean_decline_reasons(self) -> list[str]:
        reasons = [line.strip() for line in self.cleaned_data["decline_reasons"].splitlines() if line.strip()]
        if not reasons:
            raise forms.ValidationError(_("请至少填写一条不予立案理由"))
        if any(len(r) > 100 for r in reasons):
            raise forms.ValidationError(_("每条理由不能超过 100 字"))
        return reasons

    def clean(self):
        cleaned = super().clean()
        classes = []
        for row in self.result_rows:
            if not row["code"] and not row["label"] and not row["description"]:
                continue
            if not row["code"] or not row["label"]:
                self.result_errors.append(_("每个办理结果分类都须填写代码和名称"))
                continue
            if len(row["code"]) > 4:
                self.result_errors.append(_("分类代码不能超过 4 个字符"))
                continue
            classes.append({k: row[k] for k in ("code", "label", "description", "requires_commitments")})
        if not classes and not self.result_errors:
            self.result_errors.append(_("请至少设置一个办理结果分类"))
        if self.result_errors:
            raise forms.ValidationError(self.result_errors[0])
        cleaned["result_classes"] = classes
        return cleaned

    def settings_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "updated_at"}

    def expected_updated_at(self) -> str | None:
        return self.cleaned_data.get("updated_at") or None


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("分类名称"), max_length=40)
    order = forms.IntegerField(label=_("排序"), min_value=0, max_value=999, initial=0, required=False)
    is_active = forms.BooleanField(label=_("有效"), required=False, initial=True)


def apply_errors(form: forms.Form, exc: ApplicationError) -> None:
    """Put a service's refusal on the form: on the named fields when the form has them, else on the form."""
    placed = False
    for field in exc.errors or {}:
        if field in form.fields:
            form.add_error(field, exc.message)
            placed = True
            break
    if not placed:
        form.add_error(None, exc.message)
