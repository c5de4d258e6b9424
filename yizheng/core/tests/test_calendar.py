"""The working-day calendar: official answers across Spring Festival and National Day, the provisional fallback
for years without data, entering a year's notice, the cache, and the import command."""

from __future__ import annotations

import datetime as dt
import random
from io import StringIO

import chinese_calendar
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.core.signals import request_started
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks.signals import task_started

from yizheng.audit.models import Event
from yizheng.core import calendar
from yizheng.core.calendar import (
    DatabaseSource,
    Deadline,
    StaticSource,
    WorkCalendar,
    month_grid,
    register_deadline_recomputer,
    unregister_deadline_recomputer,
)
from yizheng.core.calendar_notice import NoticeInvalid, format_notice, notice_year, parse_notice
from yizheng.core.errors import ApplicationError
from yizheng.core.models import CalendarDay, CalendarYear
from yizheng.core.services_calendar import calendar_year_set
from yizheng.org.models import Role
from yizheng.org.tests.factories import CouncilFactory

D = dt.date
H, W = calendar.HOLIDAY, calendar.WORKDAY

# A plausible 2027 notice for the tests (the real one is published in the winter before).
NOTICE_2027 = """\
元旦 2027-01-01 至 2027-01-03 放假
春节 2027-02-06 至 2027-02-14 放假;2027-02-20(星期六)上班
清明节 2027-04-03 至 2027-04-05 放假
劳动节 2027-05-01 至 2027-05-05 放假;2027-04-25(星期日)、2027-05-08(星期六)上班
端午节 2027-06-09 至 2027-06-11 放假
中秋节 2027-09-15 至 2027-09-17 放假
国庆节 2027-10-01 至 2027-10-07 放假;2027-09-26(星期日)、2027-10-09(星期六)上班
"""

# The State Council's 2026 notice as published (国办发明电〔2025〕7号), pasted with its numbering and brackets.
OFFICIAL_2026 = """\
一、元旦:1月1日(周四)至3日(周六)放假调休,共3天。1月4日(周日)上班。
二、春节:2月15日(农历腊月二十八、周日)至23日(农历正月初七、周一)放假调休,共9天。2月14日(周六)、2月28日(周六)上班。
三、清明节:4月4日(周六)至6日(周一)放假,共3天。
四、劳动节:5月1日(周五)至5日(周二)放假调休,共5天。5月9日(周六)上班。
五、端午节:6月19日(周五)至21日(周日)放假,共3天。
六、中秋节:9月25日(周五)至27日(周日)放假,共3天。
七、国庆节:10月1日(周四)至7日(周三)放假调休,共7天。9月20日(周日)、10月10日(周六)上班。
"""


def entered_2027():
    return [(d.date, d.kind, d.name) for d in parse_notice(NOTICE_2027, 2027)]


@pytest.fixture
def cal():
    """The bundled data and the fallback only: no database."""
    return WorkCalendar()


@pytest.fixture
def cal_2027():
    return WorkCalendar(StaticSource({2027: entered_2027()}))


# --- the official calendar (no database) --------------------------------------------------------------------


def test_spring_festival_2026_matches_the_notice(cal):
    # Checked against chinesecalendar and the notice: holidays 15–23 February, make-up workdays Sat 14 and 28.
    for day in range(15, 24):
        assert cal.day_info(D(2026, 2, day)) == (False, False, "春节")
    assert cal.day_info(D(2026, 2, 14)) == (True, False, "春节")
    assert cal.day_info(D(2026, 2, 28)) == (True, False, "春节")
    assert D(2026, 2, 14).weekday() == 5
    assert D(2026, 2, 28).weekday() == 5
    assert cal.day_info(D(2026, 2, 24)) == (True, False, "")
    assert cal.day_info(D(2026, 3, 1)) == (False, False, "")  # an ordinary Sunday


def test_every_day_of_the_bundled_years_agrees_with_chinesecalendar(cal):
    day = D(calendar.PACKAGE_FIRST_YEAR, 1, 1)
    while day.year <= calendar.PACKAGE_LAST_YEAR:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
    assert calendar.PACKAGE_LAST_YEAR >= 2026


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # Spring Festival 2026
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # Saturday 14 is a make-up workday
        (D(2026, 2, 13), 2, D(2026, 2, 24)),  # 15–23 are holidays
        (D(2026, 2, 12), 5, D(2026, 2, 26)),
        (D(2026, 2, 27), 1, D(2026, 2, 28)),  # Saturday 28 is a make-up workday
        (D(2026, 2, 9), 10, D(2026, 2, 28)),
        # National Day 2025 (with Mid-Autumn on 6 October): make-up Sun 28 September and Sat 11 October
        (D(2025, 9, 26), 1, D(2025, 9, 28)),
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
        (D(2025, 10, 10), 1, D(2025, 10, 11)),
        (D(2025, 9, 25), 5, D(2025, 10, 9)),
        # National Day 2026: make-up Sun 20 September and Sat 10 October; Mid-Autumn 25–27 September
        (D(2026, 9, 18), 1, D(2026, 9, 20)),
        (D(2026, 9, 24), 1, D(2026, 9, 28)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 10, 9), 1, D(2026, 10, 10)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
    ],
)
def test_add_working_days_across_official_holidays(cal, start, n, due):
    assert cal.add_working_days(start, n) == Deadline(due, False)
    assert chinese_calendar.find_workday(n, start) == due  # the package agrees


def test_add_working_days_backwards_and_zero(cal):
    assert cal.add_working_days(D(2026, 2, 24), -1) == Deadline(D(2026, 2, 14), False)
    assert cal.add_working_days(D(2026, 10, 8), -1) == Deadline(D(2026, 9, 30), False)
    assert cal.add_working_days(D(2026, 2, 15), 0) == Deadline(D(2026, 2, 15), False)


def test_a_timezone_aware_datetime_counts_from_its_local_date(cal):
    # 17:00 UTC on 13 February is 01:00 on Saturday 14 February in Beijing.
    moment = dt.datetime(2026, 2, 13, 17, 0, tzinfo=dt.UTC)
    assert cal.add_working_days(moment, 1) == Deadline(D(2026, 2, 24), False)


def test_working_days_between(cal):
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2
    assert cal.working_days_between(D(2026, 2, 24), D(2026, 2, 13)) == -2
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 2, 13)) == 0
    assert cal.working_days_between(D(2026, 2, 14), D(2026, 2, 23)) == 0
    assert cal.working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == 248  # 2026's official working days


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_working_days_between_inverts_add_working_days(cal_2027, seed):
    rng = random.Random(seed)
    for _ in range(300):
        start = D(2025, 1, 1) + dt.timedelta(days=rng.randrange(365 * 3))
        n = rng.randrange(0, 80)
        due = cal_2027.add_working_days(start, n).date
        assert cal_2027.working_days_between(start, due) == n, (start, n)
        assert cal_2027.working_days_between(due, start) == -n, (start, n)  # antisymmetric
        if cal_2027.is_workday(start):  # counting back from a working day lands where counting forward began
            assert cal_2027.add_working_days(due, -n).date == start, (start, n)


# --- years without data -------------------------------------------------------------------------------------


def test_2027_without_data_is_a_provisional_weekday_answer_never_an_exception(cal):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2027, 1, 4))  # the package stops at 2026
    assert cal.day_info(D(2027, 1, 1)) == (True, True, "")  # New Year's Day: unknown, so a weekday
    assert cal.day_info(D(2027, 1, 2)) == (False, True, "")
    # From Monday 28 December 2026: 29, 30, 31 (official), then weekdays of 2027.
    assert cal.add_working_days(D(2026, 12, 28), 10) == Deadline(D(2027, 1, 11), True)
    assert cal.add_working_days(D(2026, 12, 28), 3) == Deadline(D(2026, 12, 31), False)
    for year in (1990, 2003, 2027, 2035, 2150):
        info = cal.day_info(D(year, 6, 1))
        assert info.provisional
        assert cal.add_working_days(D(year, 6, 1), 30).provisional
        assert cal.add_months_deadline(D(year, 6, 1), 3).provisional
        assert cal.working_days_between(D(year, 1, 1), D(year, 12, 31)) > 250


def test_entered_2027_makes_the_same_computation_exact(cal, cal_2027):
    assert cal_2027.add_working_days(D(2026, 12, 28), 10) == Deadline(D(2027, 1, 12), False)
    # Across Spring Festival 2027: assigned on Friday 5 February, 5 working days.
    assert cal.add_working_days(D(2027, 2, 5), 5) == Deadline(D(2027, 2, 12), True)
    assert cal_2027.add_working_days(D(2027, 2, 5), 5) == Deadline(D(2027, 2, 19), False)
    assert cal_2027.day_info(D(2027, 2, 20)) == (True, False, "春节")
    assert cal_2027.day_info(D(2027, 2, 8)) == (False, False, "春节")


def test_add_months_deadline(cal, cal_2027):
    # Assigned in late 2026, due three months later in February 2027, across Spring Festival.
    assert cal.add_months_deadline(D(2026, 11, 20), 3) == Deadline(D(2027, 2, 22), True)  # Sat → Mon
    assert cal_2027.add_months_deadline(D(2026, 11, 20), 3) == Deadline(D(2027, 2, 20), False)  # 班
    assert cal_2027.add_months_deadline(D(2026, 11, 10), 3) == Deadline(D(2027, 2, 15), False)  # 10th: 春节
    # Clamped to the month's end, then moved to a working day.
    assert cal.add_months_deadline(D(2026, 11, 30), 3) == Deadline(D(2027, 3, 1), True)  # 28 Feb is a Sunday
    assert cal.add_months_deadline(D(2027, 11, 30), 3) == Deadline(D(2028, 2, 29), True)  # leap year
    assert cal.add_months_deadline(D(2025, 8, 31), 1) == Deadline(D(2025, 9, 30), False)
    # Official holidays and make-up days.
    assert cal.add_months_deadline(D(2025, 7, 1), 3) == Deadline(D(2025, 10, 9), False)
    assert cal.add_months_deadline(D(2025, 7, 28), 2) == Deadline(D(2025, 9, 28), False)  # Sunday 班
    assert cal.add_months_deadline(D(2025, 12, 15), 2) == Deadline(D(2026, 2, 24), False)
    assert cal.add_months_deadline(D(2026, 1, 14), 1) == Deadline(D(2026, 2, 14), False)


def test_month_grid_marks_holidays_and_make_up_days(cal):
    february = month_grid(cal.year_table(2026))[1]
    cells = {c.date.day: c for week in february.weeks for c in week if c}
    assert len(cells) == 28
    assert cells[14].kind == "makeup"
    assert cells[15].kind == cells[21].kind == "holiday"
    assert cells[15].name == "春节"
    assert cells[7].kind == "weekend"
    assert cells[24].kind == "workday"
    assert february.weeks[0][:6] == [None] * 6  # 1 February 2026 is a Sunday


# --- reading notices (no database) --------------------------------------------------------------------------


def test_the_pasted_official_2026_notice_gives_the_official_days():
    days = {(d.date, d.kind, d.name) for d in parse_notice(OFFICIAL_2026, 2026)}
    assert days == set(calendar.package_days(2026))


@pytest.mark.parametrize("year", range(2015, 2027))
def test_format_notice_reads_back_to_the_same_days(year):
    days = calendar.package_days(year)
    assert [(d.date, d.kind, d.name) for d in parse_notice(format_notice(days), year)] == days


def test_the_simple_format_and_its_variants():
    days = parse_notice(
        "春节 2027-02-05 至 2027-02-13 放假;2027-02-14(星期日)上班\n"
        "# a comment\n\n"
        "国庆节 2027/10/1~2027/10/7 放假\n"
        "元旦:2027年1月1日放假\n"
        "端午节 6月9日至11日休息。6月12日 周六 补班\n",
        2027,
    )
    kinds = {(d.date, d.kind) for d in days}
    assert (D(2027, 2, 5), H) in kinds
    assert (D(2027, 2, 13), H) in kinds
    assert (D(2027, 2, 14), W) in kinds
    assert (D(2027, 10, 7), H) in kinds
    assert (D(2027, 1, 1), H) in kinds
    assert (D(2027, 6, 12), W) in kinds
    assert len(days) == 9 + 1 + 7 + 1 + 3 + 1
    assert notice_year(NOTICE_2027) == 2027
    assert notice_year("春节 2月6日放假") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("春节 2028-02-06 至 2028-02-08 放假", "不在 2027 年内"),
        ("春节 2027-02-06 放假;2027-02-10 上班", "调休上班日应为星期六或星期日"),
        ("春节 2027-02-13 至 2027-02-06 放假", "结束日期早于开始日期"),
        ("今年春节照常放假", "没有日期"),
        ("春节 2027-02-06 至 2027-02-08 放假 abc", "无法识别“abc”"),
        ("春节 2027-02-06 至 2027-02-08 放假,共5天", "共5天"),
        ("春节 2027-02-20(星期日)上班", "是星期六"),
        ("2027-02-06 放假", "缺少节日名称"),
        ("春节 2027-02-30 放假", "不是有效日期"),
        ("春节 2027-02-06 至 放假", "缺少结束日期"),
        ("春节 2027-02-06", "缺少“放假”或“上班”"),
        ("春节 2027-02-06 放假;上班", "“上班”前面没有日期"),
        ("春节 8日放假", "缺少年月"),
        ("春节 2027-02-06 至 2027-02-08 放假;2027-02-07 上班", "既列为放假又列为上班"),
        ("春节 2027-02-06 放假\n元旦 2027-02-06 放假", "已在第1行列出"),
        ("   ", "请填写放假安排"),
        ("清明节 2027-04-25(星期日)上班", "没有任何放假日期"),
    ],
)
def test_invalid_notices_are_refused_with_a_clear_error(text, expected):
    with pytest.raises(NoticeInvalid) as exc:
        parse_notice(text, 2027)
    problems = exc.value.errors["notice"]
    assert any(expected in p for p in problems), problems
    if "\n" not in text.strip() and text.strip():
        assert all(p.startswith("第1行") or "放假日期" in p for p in problems), problems


def test_every_problem_is_reported_with_its_line():
    text = "元旦 2027-01-01 放假\n春节 2027-02-10 上班\n国庆节 2028-10-01 放假"
    with pytest.raises(NoticeInvalid) as exc:
        parse_notice(text, 2027)
    problems = exc.value.problems
    assert any(p.startswith("第2行") and "星期六或星期日" in p for p in problems)
    assert any(p.startswith("第3行") and "不在 2027 年内" in p for p in problems)


# --- entering a year (database) -----------------------------------------------------------------------------


@pytest.fixture
def sysadmin(make_user, council):
    return make_user(Role.SYSTEM_ADMIN, council, username="sysadmin")


@pytest.fixture
def recomputer():
    calls = []

    def recompute(year, *, actor):
        # Inside the transaction: the new days are already what the calendar answers with.
        calls.append((year, actor, calendar.add_working_days(D(2026, 12, 28), 10)))
        return 3

    register_deadline_recomputer(recompute)
    yield calls
    unregister_deadline_recomputer(recompute)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run calendar_year_set as if its transaction committed (the test's own transaction never does)."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return calendar_year_set(**kwargs)

    return run


@pytest.mark.django_db
def test_entering_2027_makes_deadlines_exact_calls_recomputers_and_is_audited(
    sysadmin, recomputer, committed
):
    assert calendar.add_working_days(D(2026, 12, 28), 10) == Deadline(D(2027, 1, 11), True)
    assert calendar.year_source(2027) == calendar.SOURCE_NONE

    record = committed(actor=sysadmin, year=2027, days=entered_2027(), source="国办发明电〔2026〕×号",
                       notice=NOTICE_2027)  # fmt: skip

    assert calendar.add_working_days(D(2026, 12, 28), 10) == Deadline(D(2027, 1, 12), False)
    assert calendar.day_info(D(2027, 2, 20)) == (True, False, "春节")
    assert calendar.year_source(2027) == calendar.SOURCE_ENTERED
    assert calendar.year_source(2026) == calendar.SOURCE_PACKAGE
    assert recomputer == [(2027, sysadmin, Deadline(D(2027, 1, 12), False))]
    assert record.entered_by == sysadmin
    assert record.days.count() == len(entered_2027())
    event = Event.objects.get(action="calendar.year_set")
    assert event.actor == sysadmin
    assert event.council is None  # platform-wide: read by the top-level audit administrators
    assert event.target_id == str(record.pk)
    assert event.payload["year"] == 2027
    assert event.payload["before"] is None
    assert ["2027-02-20", "workday", "春节"] in event.payload["after"]["days"]
    assert len(event.payload["changes"]["added"]) == len(entered_2027())
    mine = [v for k, v in event.payload["recomputed"].items() if k.endswith("recomputer.<locals>.recompute")]
    assert mine == [3]


@pytest.mark.django_db
def test_entering_a_year_again_replaces_its_days(sysadmin, committed):
    committed(actor=sysadmin, year=2027, days=entered_2027(), source="第一次")
    moved = [(d, k, n) for d, k, n in entered_2027() if n != "元旦"] + [(D(2027, 1, 1), H, "元旦")]
    committed(actor=sysadmin, year=2027, days=moved, source="更正")

    assert CalendarYear.objects.get().source == "更正"
    assert CalendarDay.objects.filter(name="元旦").count() == 1
    assert calendar.is_workday(D(2027, 1, 1)) is False
    assert calendar.is_workday(D(2027, 1, 4)) is True
    last = Event.objects.filter(action="calendar.year_set").order_by("-seq").first()
    assert sorted(last.payload["changes"]["removed"]) == [
        ["2027-01-02", H, "元旦"],
        ["2027-01-03", H, "元旦"],
    ]
    assert last.payload["changes"]["added"] == []
    assert last.payload["before"]["source"] == "第一次"


@pytest.mark.django_db
def test_an_entered_year_overrides_the_bundled_data(sysadmin, committed):
    days = [d for d in calendar.package_days(2026) if d[2] != "春节"]  # e.g. a corrected notice
    committed(actor=sysadmin, year=2026, days=days, source="更正通知")
    assert calendar.day_info(D(2026, 2, 16)) == (True, False, "")
    assert calendar.day_info(D(2026, 10, 1)) == (False, False, "国庆节")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ([(D(2028, 1, 1), H, "元旦")], "不在 2027 年内"),
        ([(D(2027, 1, 1), H, "元旦"), (D(2027, 2, 10), W, "春节")], "星期六或星期日"),
        ([(D(2027, 1, 1), "vacation", "元旦")], "类别无效"),
        ([(D(2027, 1, 1), H, "")], "缺少节日名称"),
        ([(D(2027, 1, 1), H, "元旦"), (D(2027, 1, 1), H, "元旦")], "重复出现"),
        (["garbage"], "每一项应为"),
        ([("2027-01-01", H, "元旦")], "不是日期"),
        ([], "没有任何放假日期"),
    ],
)
def test_invalid_days_are_refused_and_nothing_is_written(sysadmin, recomputer, days, expected):
    with pytest.raises(ApplicationError) as exc:
        calendar_year_set(actor=sysadmin, year=2027, days=days, source="x")
    assert any(expected in p for p in exc.value.errors["notice"]), exc.value.errors
    assert not CalendarYear.objects.exists()
    assert not CalendarDay.objects.exists()
    assert not Event.objects.filter(action="calendar.year_set").exists()
    assert recomputer == []


@pytest.mark.django_db
@pytest.mark.parametrize(("year", "source", "field"), [(1999, "x", "year"), (2027, "  ", "source"),
                                                       (2027, "x" * 201, "source")])  # fmt: skip
def test_bad_year_or_source_is_refused(sysadmin, year, source, field):
    with pytest.raises(ApplicationError) as exc:
        calendar_year_set(actor=sysadmin, year=year, days=entered_2027(), source=source)
    assert field in exc.value.errors
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.STAFF, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.LEADER])
def test_other_roles_may_not_enter_a_notice(make_user, council, role):
    with pytest.raises(PermissionDenied):
        calendar_year_set(actor=make_user(role, council), year=2027, days=entered_2027(), source="x")
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
def test_a_county_system_admin_may_not_change_the_shared_calendar(make_user, council):
    county = CouncilFactory(parent=council, level="county")
    with pytest.raises(PermissionDenied):
        calendar_year_set(
            actor=make_user(Role.SYSTEM_ADMIN, county), year=2027, days=entered_2027(), source="x"
        )
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
def test_a_failing_recomputer_rolls_the_whole_entry_back(sysadmin):
    def broken(year, *, actor):
        assert calendar.add_working_days(D(2026, 12, 28), 10) == Deadline(D(2027, 1, 12), False)
        raise RuntimeError("boom")

    register_deadline_recomputer(broken)
    try:
        with pytest.raises(RuntimeError):
            calendar_year_set(actor=sysadmin, year=2027, days=entered_2027(), source="x")
    finally:
        unregister_deadline_recomputer(broken)
    assert not CalendarYear.objects.exists()
    assert not Event.objects.filter(action="calendar.year_set").exists()
    # The days the rolled-back transaction saw are not served from the cache.
    assert calendar.add_working_days(D(2026, 12, 28), 10) == Deadline(D(2027, 1, 11), True)


# --- the cache ----------------------------------------------------------------------------------------------


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, len(ctx.captured_queries)


@pytest.mark.django_db
def test_a_computation_reads_at_most_one_query_and_none_when_warm(sysadmin, committed):
    committed(actor=sysadmin, year=2027, days=entered_2027(), source="x")
    calendar.database_source.clear()

    def span():  # touches 2026 (bundled) and 2027 (entered)
        return calendar.add_working_days(D(2026, 12, 1), 60)

    result, cold = _queries(span)
    assert result == Deadline(D(2027, 3, 2), False)
    assert cold == 1
    assert _queries(span)[1] == 0
    assert _queries(lambda: calendar.working_days_between(D(2026, 1, 1), D(2027, 12, 31)))[1] == 0
    assert _queries(lambda: calendar.add_months_deadline(D(2026, 11, 20), 3))[1] == 0

    # A new request (or task) compares with the database once.
    hooks = {key[0] for key, *_ in request_started.receivers} | {key[0] for key, *_ in task_started.receivers}
    assert {"yizheng.calendar.recheck.request", "yizheng.calendar.recheck.task"} <= hooks
    calendar.database_source.recheck_soon()
    assert _queries(span)[1] == 1
    assert _queries(span)[1] == 0


@pytest.mark.django_db
def test_another_process_sees_an_entry_at_its_next_request(sysadmin, committed):
    other = WorkCalendar(DatabaseSource())  # the cache of another web process or task worker
    assert other.add_working_days(D(2027, 2, 5), 5) == Deadline(D(2027, 2, 12), True)

    committed(actor=sysadmin, year=2027, days=entered_2027(), source="x")

    other.source.recheck_soon()  # what request_started / task_started do in that process
    result, queries = _queries(lambda: other.add_working_days(D(2027, 2, 5), 5))
    assert result == Deadline(D(2027, 2, 19), False)
    assert queries == 2  # the check, then the changed data; once
    assert _queries(lambda: other.add_working_days(D(2027, 2, 5), 5))[1] == 0


@pytest.mark.django_db
def test_inside_the_entering_transaction_each_year_is_read_once(sysadmin):
    calendar_year_set(actor=sysadmin, year=2027, days=entered_2027(), source="x")  # not committed yet
    result, queries = _queries(lambda: calendar.add_working_days(D(2026, 12, 1), 60))
    assert result == Deadline(D(2027, 3, 2), False)
    assert queries == 2  # 2026 and 2027, uncached: the transaction may still roll back


# --- the import command -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_calendar_import_enters_a_file(tmp_path, sysadmin):
    path = tmp_path / "2027.txt"
    path.write_text(NOTICE_2027, encoding="utf-8")
    out = StringIO()
    call_command(
        "calendar_import", str(path), "--source", "国办发明电〔2026〕×号", "--user", "sysadmin", stdout=out
    )
    record = CalendarYear.objects.get(year=2027)
    assert record.source == "国办发明电〔2026〕×号"
    assert record.entered_by == sysadmin
    assert record.notice == NOTICE_2027.strip()
    assert record.days.count() == len(entered_2027())
    assert "已录入2027年放假安排" in out.getvalue()
    assert Event.objects.filter(action="calendar.year_set", actor=sysadmin).exists()


@pytest.mark.django_db
def test_calendar_import_dry_run_and_encodings(tmp_path):
    path = tmp_path / "notice.txt"
    path.write_bytes(NOTICE_2027.encode("gb18030"))
    out = StringIO()
    call_command("calendar_import", str(path), "--dry-run", stdout=out)
    assert "试运行" in out.getvalue()
    assert not CalendarYear.objects.exists()
    call_command("calendar_import", str(path), stdout=StringIO())  # the system, no user
    record = CalendarYear.objects.get(year=2027)
    assert record.entered_by is None
    assert record.source == "文件导入:notice.txt"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "args", "expected"),
    [
        ("春节 2027-02-10 上班\n元旦 2027-01-01 放假", [], "星期六或星期日"),
        ("春节 2月6日至8日放假", [], "--year"),
        ("春节 2027-02-06 放假", ["--year", "2028"], "不在 2028 年内"),
        ("春节 2027-02-06 放假", ["--user", "nobody"], "不存在"),
        ("春节 2027-02-06 放假", ["--user", "staffer"], "无权"),
    ],
)
def test_calendar_import_refuses_bad_files_and_writes_nothing(
    tmp_path, make_user, council, text, args, expected
):
    make_user(Role.STAFF, council, username="staffer")
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("calendar_import", str(path), *args, stdout=StringIO())
    assert expected in str(exc.value)
    assert not CalendarYear.objects.exists()
