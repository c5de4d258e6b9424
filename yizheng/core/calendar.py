"""工作日历: working days by the official Chinese calendar, for every deadline in the platform.

Every deadline counted in working days (办理期限, 调整申请期限, 评价期限, 回头看) or in months is computed here, so that
holidays and make-up workdays (调休上班) are counted the way the State Council's annual notice (放假安排) says.

Where a year's days come from, best first:

1. entered data: the year's notice as an administrator entered it (`CalendarYear` / `CalendarDay`, written only
   by `yizheng.core.services_calendar.calendar_year_set`);
2. the bundled `chinesecalendar` package, for the years it knows (2004–2026 in 1.11.0);
3. otherwise Monday to Friday are working days, and every answer that consulted such a day is *provisional*:
   the notice for that year has not been published or entered yet. When it is entered, every registered deadline
   holder is asked to recompute (`register_deadline_recomputer`).

Nothing here raises for a year the data does not know.

Caching: entered data is read per year and kept in the process. A computation reads no more than one query per
year it touches, and usually none: the process checks whether any year's entry changed (one small query) at the
start of each request and each task, and at the latest every `YIZHENG_CALENDAR_RECHECK_SECONDS` (default 10)
elsewhere; `calendar_year_set` invalidates the cache when it commits. Inside the transaction that enters a year,
that connection reads the uncommitted days directly (one query per year) and never puts them into the shared
cache, so other threads cannot see data that may still be rolled back.

`WorkCalendar(StaticSource({...}))` gives the same API over in-memory data, without a database (tests, previews).
"""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple, Protocol

from django.utils.translation import gettext_lazy as _

HOLIDAY = "holiday"
WORKDAY = "workday"

SOURCE_ENTERED = "entered"
SOURCE_PACKAGE = "package"
SOURCE_NONE = "none"
SOURCE_LABELS = {
    SOURCE_ENTERED: _("已录入放假安排"),
    SOURCE_PACKAGE: _("内置数据"),
    SOURCE_NONE: _("未录入,暂按周一至周五计算"),
}

WEEKDAY_NAMES = (_("星期一"), _("星期二"), _("星期三"), _("星期四"), _("星期五"), _("星期六"), _("星期日"))
WEEKDAY_SHORT = (_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日"))

ONE_DAY = dt.timedelta(days=1)


# --- results ----------------------------------------------------------------------------------------------


class Deadline(NamedTuple):
    """A computed due date. `provisional`: some day consulted had no official data (weekdays-only fallback)."""

    date: dt.date
    provisional: bool


class DayInfo(NamedTuple):
    is_workday: bool
    provisional: bool
    name: str  # the holiday a day belongs to (also for make-up workdays), "" for ordinary days


# --- one year's days --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class YearTable:
    """Every day of one year: working or not, and the holiday it belongs to. Built once, then only read."""

    year: int
    source: str
    flags: bytes  # one byte per day from 1 January: 1 = working day
    special: Mapping[dt.date, tuple[str, str]]  # days that break the Monday–Friday rule → (kind, name)
    prefix: tuple[int, ...]  # prefix[i] = working days among the first i days

    @property
    def provisional(self) -> bool:
        return self.source == SOURCE_NONE

    def _index(self, day: dt.date) -> int:
        return day.toordinal() - dt.date(self.year, 1, 1).toordinal()

    def is_workday(self, day: dt.date) -> bool:
        return bool(self.flags[self._index(day)])

    def name(self, day: dt.date) -> str:
        found = self.special.get(day)
        return found[1] if found else ""

    def kind(self, day: dt.date) -> str | None:
        found = self.special.get(day)
        return found[0] if found else None

    def count(self, first: dt.date, last: dt.date) -> int:
        """Working days from `first` to `last`, both included, both in this year."""
        if last < first:
            return 0
        return self.prefix[self._index(last) + 1] - self.prefix[self._index(first)]

    def days(self) -> list[tuple[dt.date, str, str]]:
        """The special days, in date order: (date, kind, name)."""
        return [(d, kind, name) for d, (kind, name) in sorted(self.special.items())]


def build_year_table(year: int, source: str, days: Iterable[tuple[dt.date, str, str]] = ()) -> YearTable:
    """Monday–Friday working, then the given holidays and make-up workdays applied."""
    first = dt.date(year, 1, 1)
    length = 366 if stdlib_calendar.isleap(year) else 365
    flags = bytearray(1 if (first + dt.timedelta(days=i)).weekday() < 5 else 0 for i in range(length))
    special: dict[dt.date, tuple[str, str]] = {}
    for day, kind, name in days:
        if day.year != year:
            continue
        flags[day.toordinal() - first.toordinal()] = 1 if kind == WORKDAY else 0
        special[day] = (kind, name)
    return YearTable(
        year=year,
        source=source,
        flags=bytes(flags),
        special=special,
        prefix=(0, *accumulate(flags)),
    )


# --- the bundled package ----------------------------------------------------------------------------------


def _package_data() -> tuple[int, int, dict[dt.date, tuple[str, str]]]:
    from chinese_calendar.constants import Holiday, holidays, workdays

    official = {
        "清明": "清明节",
        "端午": "端午节",
        "中秋": "中秋节",
    }  # as the State Council's notices name them
    chinese = {h.value: official.get(h.chinese, h.chinese) for h in Holiday}
    days: dict[dt.date, tuple[str, str]] = {}
    for day, english in holidays.items():
        days[day] = (HOLIDAY, chinese.get(english, english))
    for day, english in workdays.items():
        days[day] = (WORKDAY, chinese.get(english, english))
    years = [d.year for d in holidays]
    return min(years), max(years), days


PACKAGE_FIRST_YEAR, PACKAGE_LAST_YEAR, _PACKAGE_DAYS = _package_data()


def package_knows(year: int) -> bool:
    return PACKAGE_FIRST_YEAR <= year <= PACKAGE_LAST_YEAR


@lru_cache(maxsize=64)
def _package_table(year: int) -> YearTable:
    days = ((d, kind, name) for d, (kind, name) in _PACKAGE_DAYS.items() if d.year == year)
    return build_year_table(year, SOURCE_PACKAGE, days)


@lru_cache(maxsize=64)
def _fallback_table(year: int) -> YearTable:
    return build_year_table(year, SOURCE_NONE)


def package_days(year: int) -> list[tuple[dt.date, str, str]]:
    """The bundled package's holidays and make-up workdays of a year (empty if it does not know the year)."""
    return _package_table(year).days() if package_knows(year) else []


# --- entered data -----------------------------------------------------------------------------------------

EnteredLookup = Callable[[int], "YearTable | None"]


class EnteredSource(Protocol):
    def lookup(self) -> EnteredLookup:
        """A year → table function for one computation (None: the year has not been entered)."""
        ...


class StaticSource:
    """Entered data held in memory: {year: [(date, kind, name), …]}. For tests and previews."""

    def __init__(self, years: Mapping[int, Iterable[tuple[dt.date, str, str]]] | None = None) -> None:
        self._tables = {y: build_year_table(y, SOURCE_ENTERED, days) for y, days in (years or {}).items()}

    def lookup(self) -> EnteredLookup:
        return self._tables.get


def _as_tables(rows: Iterable[tuple[int, str, dt.date, str, str]]) -> tuple[dict, dict]:
    grouped: dict[int, list[tuple[dt.date, str, str]]] = {}
    tokens: dict[int, str] = {}
    for year, token, day, kind, name in rows:
        grouped.setdefault(year, []).append((day, kind, name))
        tokens[year] = token
    return {y: build_year_table(y, SOURCE_ENTERED, days) for y, days in grouped.items()}, tokens


class DatabaseSource:
    """Entered data from `CalendarDay`, cached per process (see the module docstring)."""

    _MARK = "_yz_calendar_written"  # on a connection: the outermost atomic block that wrote calendar days

    def __init__(self) -> None:
        self._state: tuple[dict[int, YearTable], dict[int, str]] | None = None
        self._checked_at: float | None = None
        self._lock = threading.Lock()

    # -- reading

    def lookup(self) -> EnteredLookup:
        from django.db import connection

        if self._written_here(connection):
            memo: dict[int, YearTable | None] = {}

            def uncached(year: int) -> YearTable | None:
                if year not in memo:
                    memo[year] = self._load(year=year)[0].get(year)
                return memo[year]

            return uncached
        return self._current().get

    def _current(self) -> dict[int, YearTable]:
        from django.conf import settings

        recheck = getattr(settings, "YIZHENG_CALENDAR_RECHECK_SECONDS", 10)
        with self._lock:
            now = time.monotonic()
            state = self._state
            if state is None:
                state = self._load()
            elif self._checked_at is None or now - self._checked_at > recheck:
                from .models import CalendarYear

                tokens = dict(CalendarYear.objects.values_list("year", "token"))
                if tokens != state[1]:
                    state = self._load()
            else:
                return state[0]
            self._state, self._checked_at = state, now
            return state[0]

    @staticmethod
    def _load(year: int | None = None) -> tuple[dict[int, YearTable], dict[int, str]]:
        from .models import CalendarDay

        rows = CalendarDay.objects.order_by()
        if year is not None:
            rows = rows.filter(calendar_year__year=year)
        return _as_tables(
            rows.values_list("calendar_year__year", "calendar_year__token", "date", "kind", "name")
        )

    # -- invalidation

    def recheck_soon(self, **kwargs) -> None:
        """Compare with the database before the next computation (start of a request or a task)."""
        self._checked_at = None

    def clear(self) -> None:
        with self._lock:
            self._state, self._checked_at = None, None

    def forget(self, **kwargs) -> None:
        self.clear()

    def note_write(self, using: str = "default") -> None:
        """Called inside the transaction that changes calendar days: this connection reads them uncached until
        the transaction ends, and every process's cache is refreshed after it commits."""
        from django.db import connections, transaction

        connection = connections[using]
        if not connection.in_atomic_block:
            raise RuntimeError("calendar days must be written inside a transaction")
        setattr(connection, self._MARK, connection.atomic_blocks[0])
        self.clear()

        def committed() -> None:
            setattr(connection, self._MARK, None)
            self.clear()

        transaction.on_commit(committed, using=using)

    def _written_here(self, connection) -> bool:
        block = getattr(connection, self._MARK, None)
        if block is None:
            return False
        if connection.in_atomic_block and connection.atomic_blocks and connection.atomic_blocks[0] is block:
            return True
        setattr(connection, self._MARK, None)  # that transaction was rolled back
        return False


# --- the calendar -----------------------------------------------------------------------------------------


def _as_date(value: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            from django.utils import timezone

            return timezone.localtime(value).date()
        return value.date()
    return value


class _Tables:
    """The year tables of one computation: each year resolved once."""

    def __init__(self, entered: EnteredLookup) -> None:
        self._entered = entered
        self._tables: dict[int, YearTable] = {}

    def __call__(self, year: int) -> YearTable:
        table = self._tables.get(year)
        if table is None:
            table = self._entered(year)
            if table is None:
                table = _package_table(year) if package_knows(year) else _fallback_table(year)
            self._tables[year] = table
        return table


class WorkCalendar:
    """Working days over an entered-data source, the bundled package and the weekdays-only fallback."""

    def __init__(self, source: EnteredSource | None = None) -> None:
        self.source = source if source is not None else StaticSource()

    def _tables(self) -> _Tables:
        return _Tables(self.source.lookup())

    def year_table(self, year: int) -> YearTable:
        return self._tables()(year)

    def year_source(self, year: int) -> str:
        """entered | package | none."""
        return self.year_table(year).source

    def day_info(self, day: dt.date) -> DayInfo:
        day = _as_date(day)
        table = self._tables()(day.year)
        return DayInfo(table.is_workday(day), table.provisional, table.name(day))

    def is_workday(self, day: dt.date) -> bool:
        return self.day_info(day).is_workday

    def add_working_days(self, start: dt.date, n: int) -> Deadline:
        """The n-th working day after `start` (`start` itself not counted); a negative n counts backwards (the
        n-th working day before, e.g. for a reminder). n = 0 gives `start`."""
        start = _as_date(start)
        tables = self._tables()
        step = ONE_DAY if n > 0 else -ONE_DAY
        remaining = abs(n)
        day, provisional = start, False
        while remaining:
            day += step
            table = tables(day.year)
            provisional = provisional or table.provisional
            if table.is_workday(day):
                remaining -= 1
        return Deadline(day, provisional)

    def add_months_deadline(self, start: dt.date, months: int) -> Deadline:
        """The same day of the month `months` later (clamped to the month's end: 30 November + 3 months is
        28/29 February), moved forward to the next working day when it falls on a holiday or on a weekend that
        is not a make-up workday.

        This is the usual reading of "自交办之日起三个月内办复"; a council may configure its deadlines in working
        days instead (`add_working_days`)."""
        start = _as_date(start)
        year, month0 = divmod(start.month - 1 + months, 12)
        year += start.year
        month = month0 + 1
        day = dt.date(year, month, min(start.day, stdlib_calendar.monthrange(year, month)[1]))
        tables = self._tables()
        provisional = False
        while True:
            table = tables(day.year)
            provisional = provisional or table.provisional
            if table.is_workday(day):
                return Deadline(day, provisional)
            day += ONE_DAY

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days d with a < d ≤ b, so that `working_days_between(a, add_working_days(a, n).date) == n`;
        negative when b is before a."""
        a, b = _as_date(a), _as_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        if b == a:
            return 0
        tables = self._tables()
        first = a + ONE_DAY
        total = 0
        for year in range(first.year, b.year + 1):
            lo = first if year == first.year else dt.date(year, 1, 1)
            hi = b if year == b.year else dt.date(year, 12, 31)
            total += tables(year).count(lo, hi)
        return total


# --- the platform's calendar ------------------------------------------------------------------------------

database_source = DatabaseSource()
default_calendar = WorkCalendar(database_source)


def day_info(day: dt.date) -> DayInfo:
    """(is_workday, provisional, name) of one day."""
    return default_calendar.day_info(day)


def is_workday(day: dt.date) -> bool:
    return default_calendar.is_workday(day)


def add_working_days(start: dt.date, n: int) -> Deadline:
    """The n-th working day after `start`, start not counted. See `WorkCalendar.add_working_days`."""
    return default_calendar.add_working_days(start, n)


def add_months_deadline(start: dt.date, months: int) -> Deadline:
    """Same day-of-month `months` later, moved to the next working day. See `WorkCalendar.add_months_deadline`."""
    return default_calendar.add_months_deadline(start, months)


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Working days d with a < d ≤ b (negative when b < a)."""
    return default_calendar.working_days_between(a, b)


def year_source(year: int) -> str:
    return default_calendar.year_source(year)


def year_table(year: int) -> YearTable:
    return default_calendar.year_table(year)


def _connect_recheck_hooks() -> None:
    from django.core.signals import request_started
    from django.db.models.signals import post_migrate
    from django_tasks.signals import task_started

    # Expiry hooks only: each request and each task compares the cache with the database before it computes;
    # a migrated or flushed database is read afresh.
    request_started.connect(database_source.recheck_soon, dispatch_uid="yizheng.calendar.recheck.request")
    task_started.connect(database_source.recheck_soon, dispatch_uid="yizheng.calendar.recheck.task")
    post_migrate.connect(database_source.forget, dispatch_uid="yizheng.calendar.forget.migrate")


_connect_recheck_hooks()


# --- deadline holders -------------------------------------------------------------------------------------

DeadlineRecomputer = Callable[..., "int | None"]
_recomputers: list[DeadlineRecomputer] = []


def register_deadline_recomputer(fn: DeadlineRecomputer) -> DeadlineRecomputer:
    """Register a function that recomputes the stored deadlines of one app; usable as a decorator.

    It is called as `fn(year, actor=actor)` inside the transaction that enters `year`'s notice, after the new
    days are written (so this module already answers with them). It must recompute every stored deadline whose
    computation consulted that year — at least those that are provisional and fall in it, remembering that
    entering a year can move a deadline into the next — record its own audit events, and may return how many
    deadlines changed. An exception rolls the whole entry back."""
    if fn not in _recomputers:
        _recomputers.append(fn)
    return fn


def unregister_deadline_recomputer(fn: DeadlineRecomputer) -> None:
    if fn in _recomputers:
        _recomputers.remove(fn)


def deadline_recomputers() -> tuple[DeadlineRecomputer, ...]:
    return tuple(_recomputers)


# --- the month grid of a year (calendar pages) ------------------------------------------------------------


class GridDay(NamedTuple):
    date: dt.date
    is_workday: bool
    kind: str  # workday | weekend | holiday | makeup (调休上班)
    name: str


class GridMonth(NamedTuple):
    month: int
    weeks: list[list[GridDay | None]]  # Monday first; None outside the month


def month_grid(table: YearTable) -> list[GridMonth]:
    """The twelve months of a year as weeks of days, for display."""
    weeks_of = stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar
    months = []
    for month in range(1, 13):
        weeks = []
        for week in weeks_of(table.year, month):
            row: list[GridDay | None] = []
            for day in week:
                if day.month != month:
                    row.append(None)
                    continue
                working, weekend = table.is_workday(day), day.weekday() >= 5
                if working:
                    kind = "makeup" if weekend else "workday"
                else:
                    kind = "holiday" if table.kind(day) == HOLIDAY else "weekend"
                row.append(GridDay(day, working, kind, table.name(day)))
            weeks.append(row)
        months.append(GridMonth(month, weeks))
    return months
