"""Reads for the working-day calendar screens (system administrators). A role without `calendar.manage` gets
403; the calendar is one for the whole platform, so there is no council scope to hide rows by."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone

from yizheng.org import permissions

from . import calendar
from .calendar_notice import HolidayGroup, format_notice, group_days
from .models import CALENDAR_MAX_YEAR, CALENDAR_MIN_YEAR, CalendarDay, CalendarYear
from .services_calendar import PERM, calendar_may_enter, calendar_require_enter


@dataclass(frozen=True)
class CalendarYearRow:
    year: int
    source: str  # entered | package | none
    record: CalendarYear | None
    holiday_days: int
    makeup_days: int

    @property
    def source_label(self) -> str:
        return str(calendar.SOURCE_LABELS[self.source])

    @property
    def provisional(self) -> bool:
        return self.source == calendar.SOURCE_NONE


def calendar_years_overview(actor) -> list[CalendarYearRow]:
    """Last year, this year, the next two, and every entered year, newest first, with where their days come
    from. One query."""
    permissions.require(actor, PERM)
    this_year = timezone.localdate().year
    entered = {
        r.year: r
        for r in CalendarYear.objects.select_related("entered_by").annotate(
            holiday_days=Count("days", filter=Q(days__kind=CalendarDay.Kind.HOLIDAY)),
            makeup_days=Count("days", filter=Q(days__kind=CalendarDay.Kind.WORKDAY)),
        )
    }
    rows = []
    for year in sorted(set(range(this_year - 1, this_year + 3)) | set(entered), reverse=True):
        record = entered.get(year)
        if record is not None:
            rows.append(
                CalendarYearRow(
                    year, calendar.SOURCE_ENTERED, record, record.holiday_days, record.makeup_days
                )
            )
            continue
        days = calendar.package_days(year)
        source = calendar.SOURCE_PACKAGE if days else calendar.SOURCE_NONE
        holidays = sum(1 for _d, kind, _n in days if kind == calendar.HOLIDAY)
        rows.append(CalendarYearRow(year, source, None, holidays, len(days) - holidays))
    return rows


@dataclass(frozen=True)
class CalendarYearView:
    year: int
    record: CalendarYear | None
    table: calendar.YearTable
    months: list[calendar.GridMonth]
    groups: list[HolidayGroup]
    may_enter: bool

    @property
    def source_label(self) -> str:
        return str(calendar.SOURCE_LABELS[self.table.source])


def check_year(year: int) -> None:
    if not CALENDAR_MIN_YEAR <= year <= CALENDAR_MAX_YEAR:
        raise Http404


def calendar_year_for(actor, year: int) -> CalendarYearView:
    """One year as the platform counts it: the month grid, the holidays, and the entry behind them."""
    permissions.require(actor, PERM)
    check_year(year)
    record = CalendarYear.objects.select_related("entered_by").filter(year=year).first()
    table = calendar.year_table(year)
    return CalendarYearView(
        year=year,
        record=record,
        table=table,
        months=calendar.month_grid(table),
        groups=group_days(table.days()),
        may_enter=calendar_may_enter(actor),
    )


def calendar_preview(year: int, days) -> CalendarYearView:
    """How a year would look with these days entered (before saving): no database."""
    table = calendar.WorkCalendar(calendar.StaticSource({year: days})).year_table(year)
    return CalendarYearView(year, None, table, calendar.month_grid(table), group_days(table.days()), True)


def calendar_entry_authorise(actor, year: int) -> None:
    """Only a system administrator of a top-level council may enter notices (403 otherwise); a year outside
    the calendar's range is 404."""
    calendar_require_enter(actor)
    check_year(year)


def calendar_notice_initial(actor, year: int) -> dict[str, str]:
    """What the entry form of a year starts from: the entered notice, or the bundled data of the year written
    in the notice format, or nothing."""
    calendar_entry_authorise(actor, year)
    record = CalendarYear.objects.filter(year=year).first()
    if record is not None:
        days = record.days.values_list("date", "kind", "name")
        return {"source": record.source, "notice": record.notice or format_notice(days)}
    days = calendar.package_days(year)
    return {"notice": format_notice(days)} if days else {}
