"""The official working-day calendar as entered by administrators (放假安排 of years the bundled data lacks).

The State Council publishes each year's holidays and make-up workdays (调休上班) in the winter before. The
`chinesecalendar` package carries the years it knew when it was released; a year entered here takes precedence
over it. Rows are written only by `yizheng.core.services_calendar.calendar_year_set`, which replaces a year's
days in one transaction; `yizheng.core.calendar` reads them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

CALENDAR_MIN_YEAR = 2000
CALENDAR_MAX_YEAR = 2100


class CalendarYear(models.Model):
    """One year's holiday notice as entered. A year without a row falls back to the bundled data."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("通知文号或来源"), max_length=200)
    notice = models.TextField(_("放假安排原文"), blank=True)
    # A fresh value on every entry: every process compares it with its cached copy (see core.calendar).
    token = models.CharField(max_length=32, editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("录入人"),
    )
    entered_at = models.DateTimeField(_("录入时间"))

    class Meta:
        verbose_name = _("工作日历年度")
        verbose_name_plural = _("工作日历年度")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=CALENDAR_MIN_YEAR) & Q(year__lte=CALENDAR_MAX_YEAR),
                name="calendar_year_in_range",
            ),
        ]

    def __str__(self) -> str:
        return _("%(year)s年工作日历") % {"year": self.year}


class CalendarDay(models.Model):
    """A day that differs from the Monday–Friday rule: a holiday, or a weekend day worked in lieu (调休上班)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("上班")

    calendar_year = models.ForeignKey(
        CalendarYear, on_delete=models.CASCADE, related_name="days", verbose_name=_("年度")
    )
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=40)

    class Meta:
        verbose_name = _("放假调休日")
        verbose_name_plural = _("放假调休日")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["holiday", "workday"]), name="calendar_day_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name} {self.get_kind_display()}"
