"""Forms of the working-day calendar screens."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .calendar_notice import MAX_NOTICE_CHARS, NoticeInvalid, parse_notice
from .errors import ApplicationError
from .models import CALENDAR_MAX_YEAR, CALENDAR_MIN_YEAR
from .services_calendar import MAX_SOURCE_CHARS

NOTICE_EXAMPLE = _(
    "元旦 2027-01-01 至 2027-01-03 放假\n"
    "春节 2027-02-06 至 2027-02-14 放假;2027-02-20(星期六)上班\n"
    "国庆节:10月1日(周五)至7日(周四)放假调休,共7天。9月26日(周日)、10月9日(周六)上班。"
)


class CalendarYearJumpForm(forms.Form):
    year = forms.IntegerField(
        label=_("年份"), min_value=CALENDAR_MIN_YEAR, max_value=CALENDAR_MAX_YEAR, required=True
    )


class CalendarNoticeForm(forms.Form):
    source = forms.CharField(
        label=_("通知文号或来源"),
        max_length=MAX_SOURCE_CHARS,
        help_text=_("例如:国务院办公厅关于2027年部分节假日安排的通知(国办发明电〔2026〕×号)"),
    )
    notice = forms.CharField(
        label=_("放假安排"),
        max_length=MAX_NOTICE_CHARS,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "placeholder": NOTICE_EXAMPLE}),
        help_text=_(
            "每行一个节日:先写节日名称,再写放假日期和调休上班日期。"
            "日期可写 2027-02-06 或 2月6日;范围用“至”连接;“放假”标明前面的日期放假,“上班”标明调休上班。"
            "可直接粘贴国务院办公厅通知的正文各条。"
        ),
    )

    def __init__(self, *args, year: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.year = year
        self.days = []

    def clean_notice(self) -> str:
        text = self.cleaned_data["notice"]
        try:
            self.days = parse_notice(text, self.year)
        except NoticeInvalid as exc:
            raise ValidationError(exc.problems) from exc
        return text.strip()


def apply_errors(form: forms.Form, exc: ApplicationError) -> None:
    """Show a service's refusal on the form: field errors where the field exists, the message otherwise."""
    placed = False
    for field, messages in (exc.errors or {}).items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
