"""工作日历 screens: the years, one year's month grid, entering a notice (preview, then save); who may see them."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from yizheng.audit.models import Event
from yizheng.core import calendar
from yizheng.core.models import CalendarDay, CalendarYear
from yizheng.core.services_calendar import calendar_year_set
from yizheng.core.tests.test_calendar import NOTICE_2027, OFFICIAL_2026, entered_2027
from yizheng.org.models import Role
from yizheng.org.tests.factories import CouncilFactory

THIS_YEAR = timezone.localdate().year


@pytest.fixture
def sysadmin(make_user, council):
    return make_user(Role.SYSTEM_ADMIN, council, username="sysadmin")


@pytest.fixture
def admin_client(client, sysadmin):
    client.force_login(sysadmin)
    return client


def _cell(html: str, day: str) -> str:
    found = re.search(rf'<td class="(cal-[a-z]+)" data-date="{day}"', html)
    assert found, day
    return found.group(1)


# --- who may see what ---------------------------------------------------------------------------------------

PAGES = [
    ("calendar_year_list", {}),
    ("calendar_year_detail", {"year": 2026}),
    ("calendar_year_edit", {"year": 2027}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.STAFF, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.MEMBER])
@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_other_roles_get_403(client, make_user, council, role, name, kwargs):
    client.force_login(make_user(role, council))
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.STAFF, Role.SECURITY_ADMIN])
def test_other_roles_cannot_post_a_notice(client, make_user, council, role):
    client.force_login(make_user(role, council))
    url = reverse("calendar_year_edit", kwargs={"year": 2027})
    response = client.post(url, {"source": "x", "notice": NOTICE_2027, "action": "save"})
    assert response.status_code == 403
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_anonymous_users_are_sent_to_sign_in(client, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.django_db
def test_a_county_system_admin_sees_the_calendar_but_may_not_enter_it(client, make_user, council):
    county = CouncilFactory(parent=council, level="county")
    client.force_login(make_user(Role.SYSTEM_ADMIN, county))
    page = client.get(reverse("calendar_year_detail", kwargs={"year": 2027}))
    assert page.status_code == 200
    assert b'data-testid="calendar-edit"' not in page.content
    url = reverse("calendar_year_edit", kwargs={"year": 2027})
    assert client.get(url).status_code == 403
    assert client.post(url, {"source": "x", "notice": NOTICE_2027, "action": "save"}).status_code == 403
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("year", [1999, 2101, 9999])
def test_years_outside_the_calendar_are_404(admin_client, year):
    assert admin_client.get(reverse("calendar_year_detail", kwargs={"year": year})).status_code == 404
    assert admin_client.get(reverse("calendar_year_edit", kwargs={"year": year})).status_code == 404


@pytest.mark.django_db
def test_the_navigation_shows_the_calendar_to_system_admins_only(client, make_user, council, admin_client):
    assert 'data-nav="calendar_year_list"' in admin_client.get(reverse("home")).content.decode()
    client.force_login(make_user(Role.STAFF, council))
    assert 'data-nav="calendar_year_list"' not in client.get(reverse("home")).content.decode()


# --- the list -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_shows_each_years_source(admin_client, sysadmin):
    calendar_year_set(
        actor=sysadmin, year=2030, days=[(dt.date(2030, 1, 1), "holiday", "元旦")], source="通知甲"
    )
    response = admin_client.get(reverse("calendar_year_list"))
    assert response.status_code == 200
    rows = {r.year: r for r in response.context["rows"]}
    assert {THIS_YEAR - 1, THIS_YEAR, THIS_YEAR + 1, THIS_YEAR + 2, 2030} <= set(rows)
    assert rows[2030].source == "entered"
    assert rows[2030].holiday_days == 1
    assert rows[2026].source == "package"
    assert (rows[2026].holiday_days, rows[2026].makeup_days) == (33, 6)
    if 2027 in rows:
        assert rows[2027].source == "none"
        assert rows[2027].provisional
    text = response.content.decode()
    assert "通知甲" in text
    assert "暂按周一至周五计算" in text


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_many_entered_years(
    admin_client, sysadmin, django_assert_max_num_queries
):
    admin_client.get(reverse("calendar_year_list"))  # session and roles warm
    for year in range(2030, 2045):
        calendar_year_set(
            actor=sysadmin, year=year, days=[(dt.date(year, 1, 1), "holiday", "元旦")], source="x"
        )
    with django_assert_max_num_queries(8):
        response = admin_client.get(reverse("calendar_year_list"))
    assert len(response.context["rows"]) >= 15


@pytest.mark.django_db
def test_jump_to_a_year(admin_client):
    url = reverse("calendar_year_list")
    response = admin_client.get(url, {"year": "2031"})
    assert response.status_code == 302
    assert response["Location"] == reverse("calendar_year_detail", kwargs={"year": 2031})
    bad = admin_client.get(url, {"year": "两千"})
    assert bad.status_code == 400
    assert "年份" in bad.content.decode()


# --- one year -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_year_page_shows_holidays_and_make_up_days(admin_client):
    response = admin_client.get(reverse("calendar_year_detail", kwargs={"year": 2026}))
    assert response.status_code == 200
    html = response.content.decode()
    assert _cell(html, "2026-02-14") == "cal-makeup"
    assert _cell(html, "2026-02-15") == "cal-holiday"
    assert _cell(html, "2026-02-23") == "cal-holiday"
    assert _cell(html, "2026-02-24") == "cal-workday"
    assert _cell(html, "2026-03-01") == "cal-weekend"
    assert _cell(html, "2026-10-10") == "cal-makeup"
    assert html.count('class="cal-month"') == 12
    assert "内置数据" in html
    assert 'data-testid="calendar-provisional"' not in html
    assert 'data-testid="calendar-edit"' in html


@pytest.mark.django_db
def test_a_year_without_data_is_marked_provisional(admin_client):
    html = admin_client.get(reverse("calendar_year_detail", kwargs={"year": 2027})).content.decode()
    assert 'data-testid="calendar-provisional"' in html
    assert _cell(html, "2027-01-01") == "cal-workday"  # weekdays-only until the notice is entered


# --- entering a notice --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_starts_from_the_bundled_data_or_the_entered_notice(admin_client, sysadmin):
    html = admin_client.get(reverse("calendar_year_edit", kwargs={"year": 2026})).content.decode()
    assert "春节 2026-02-15 至 2026-02-23 放假;2026-02-14(星期六)、2026-02-28(星期六) 上班" in html
    calendar_year_set(actor=sysadmin, year=2027, days=entered_2027(), source="国办发明电", notice=NOTICE_2027)
    html = admin_client.get(reverse("calendar_year_edit", kwargs={"year": 2027})).content.decode()
    assert "春节 2027-02-06 至 2027-02-14 放假" in html
    assert 'value="国办发明电"' in html


@pytest.mark.django_db
def test_preview_then_save(admin_client, sysadmin):
    url = reverse("calendar_year_edit", kwargs={"year": 2027})
    data = {"source": "国办发明电〔2026〕×号", "notice": NOTICE_2027}

    preview = admin_client.post(url, {**data, "action": "preview"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'data-testid="calendar-preview"' in html
    assert _cell(html, "2027-02-20") == "cal-makeup"
    assert _cell(html, "2027-02-08") == "cal-holiday"
    assert not CalendarYear.objects.exists()  # nothing saved by a preview

    back = admin_client.post(url, {**data, "action": "edit"})
    assert back.status_code == 200
    assert 'data-testid="calendar-form"' in back.content.decode()
    assert not CalendarYear.objects.exists()

    saved = admin_client.post(url, {**data, "action": "save"})
    assert saved.status_code == 302
    assert saved["Location"] == reverse("calendar_year_detail", kwargs={"year": 2027})
    record = CalendarYear.objects.get(year=2027)
    assert record.entered_by == sysadmin
    assert record.source == data["source"]
    assert record.days.count() == len(entered_2027())
    assert Event.objects.filter(action="calendar.year_set", actor=sysadmin).count() == 1
    assert calendar.add_working_days(dt.date(2027, 2, 5), 5) == calendar.Deadline(dt.date(2027, 2, 19), False)

    page = admin_client.get(saved["Location"]).content.decode()
    assert "已录入放假安排" in page
    assert "国办发明电〔2026〕×号" in page
    assert "相关截止日期已按新安排重新计算" in page
    assert _cell(page, "2027-02-20") == "cal-makeup"


@pytest.mark.django_db
def test_the_official_notice_can_be_pasted(admin_client):
    url = reverse("calendar_year_edit", kwargs={"year": 2026})
    response = admin_client.post(
        url, {"source": "国办发明电〔2025〕7号", "notice": OFFICIAL_2026, "action": "save"}
    )
    assert response.status_code == 302
    assert set(CalendarDay.objects.values_list("date", "kind", "name")) == set(calendar.package_days(2026))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("notice", "source", "expected"),
    [
        ("春节 2028-02-06 至 2028-02-08 放假", "x", "不在 2027 年内"),
        ("春节 2027-02-06 放假;2027-02-10 上班", "x", "调休上班日应为星期六或星期日"),
        ("春节 2027-02-13 至 2027-02-06 放假", "x", "结束日期早于开始日期"),
        ("随便写点什么", "x", "没有日期"),
        ("春节 2027-02-06 至 2027-02-08 放假 ???", "x", "无法识别"),
        ("", "x", "这个字段是必填项"),
        (NOTICE_2027, "", "这个字段是必填项"),
    ],
)
@pytest.mark.parametrize("action", ["preview", "save"])
def test_invalid_notices_are_refused_with_the_error_and_nothing_is_written(admin_client, notice, source,
                                                                          expected, action):  # fmt: skip
    url = reverse("calendar_year_edit", kwargs={"year": 2027})
    response = admin_client.post(url, {"source": source, "notice": notice, "action": action})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="calendar-errors"' in html
    assert expected in html
    assert 'data-testid="calendar-preview"' not in html
    assert not CalendarYear.objects.exists()
    assert not Event.objects.filter(action="calendar.year_set").exists()


# --- screenshots --------------------------------------------------------------------------------------------

SCREENSHOTS = Path(__file__).resolve().parents[3] / "artifacts" / "screenshots"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_screenshots_of_the_year_page_and_a_refused_notice(live_server, make_user, council):
    from playwright.sync_api import sync_playwright

    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Debian's chromium is not installed")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    make_user(Role.SYSTEM_ADMIN, council, username="calendar_admin")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=flags)
        page = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}).new_page()
        try:
            page.goto(f"{live_server.url}/login/")
            page.fill("input[name=username]", "calendar_admin")
            page.fill("input[name=password]", "Yizheng-test-1")
            page.click("main button[type=submit]")
            page.wait_for_selector("[data-testid=whoami]")

            page.goto(f"{live_server.url}/calendar/")
            page.screenshot(path=str(SCREENSHOTS / "calendar-years.png"), full_page=True)

            page.goto(f"{live_server.url}/calendar/2026/")
            assert page.locator("td[data-date='2026-02-14'] .cal-tag").inner_text() == "班"
            page.screenshot(path=str(SCREENSHOTS / "calendar-2026.png"), full_page=True)

            page.goto(f"{live_server.url}/calendar/2027/edit/")
            page.fill("input[name=source]", "国办发明电〔2026〕×号")
            page.fill(
                "textarea[name=notice]", NOTICE_2027.replace("2027-02-20(星期六)", "2027-02-17(星期三)")
            )
            page.click("[data-testid=calendar-preview-button]")
            page.wait_for_selector("[data-testid=calendar-errors]")
            assert (
                "调休上班日应为星期六或星期日" in page.locator("[data-testid=calendar-errors]").inner_text()
            )
            page.screenshot(path=str(SCREENSHOTS / "calendar-2027-error.png"), full_page=True)

            page.fill("textarea[name=notice]", NOTICE_2027)
            page.click("[data-testid=calendar-preview-button]")
            page.wait_for_selector("[data-testid=calendar-preview]")
            page.screenshot(path=str(SCREENSHOTS / "calendar-2027-preview.png"), full_page=True)
            page.click("[data-testid=calendar-save]")
            page.wait_for_selector("[data-testid=calendar-facts]")
            assert page.locator("td[data-date='2027-02-20'] .cal-tag").inner_text() == "班"
            page.screenshot(path=str(SCREENSHOTS / "calendar-2027-saved.png"), full_page=True)
        finally:
            browser.close()
    assert CalendarYear.objects.filter(year=2027).exists()
