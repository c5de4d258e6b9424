"""Log in as every demo role in a real browser, check the navigation and home page, switch language.

Screenshots land in artifacts/screenshots/ (CI keeps them as artifacts)."""

from __future__ import annotations

import pytest

from yizheng.core.tests.browser import browser_page, screenshot
from yizheng.org.demo import PASSWORD, demo_load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# url names of the navigation entries each demo role must see; every other entry must stay hidden.
EXPECTED_NAV = {
    "member": {"proposal_mine"},
    "agent": {"proposal_mine"},
    "staff": {"member_list", "unit_list", "import_list", "proposal_list", "proposal_review_queue",
              "proposal_assign_board", "reply_review_queue", "proposal_summary", "followup_list",
              "proposal_settings", "selection_index"},
    "liaison": {"unit_list", "unit_inbox", "followup_list"},
    "reviewer": {"unit_list", "unit_inbox", "followup_list"},
    "supervisor": {"member_list", "unit_list", "proposal_list", "reply_review_queue", "proposal_summary",
                   "followup_list"},
    "leader": {"member_list", "unit_list", "proposal_list", "proposal_summary", "key_proposals", "followup_list",
               "selection_index"},
    "sysadmin": {"account_list", "calendar_year_list"},
    "secadmin": {"role_list", "lockout_list"},
    "auditor": {"audit_event_list"},
}  # fmt: skip
ALL_AREAS = set().union(*EXPECTED_NAV.values())


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action$='/login/'] button[type=submit]")
    page.wait_for_selector("[data-testid=whoami]")


def _logout(page) -> None:
    page.click("form[action$='/logout/'] button")
    page.wait_for_selector("input[name=username]")


def test_every_role_sees_its_navigation_and_home(live_server):
    demo_load()
    base = live_server.url
    with browser_page() as page:
        page.goto(f"{base}/")
        assert "/login/" in page.url
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        screenshot(page, "00-login")
        for username, expected in EXPECTED_NAV.items():
            _login(page, base, username)
            shown = set(
                page.locator("#mainnav a[data-nav]").evaluate_all("els => els.map(e => e.dataset.nav)")
            )
            shown.discard("home")
            assert shown == expected, f"{username}: missing {expected - shown}, extra {shown - expected}"
            assert page.locator("h1").first.inner_text() == "待办事项"
            screenshot(page, f"10-home-{username}")
            _logout(page)


def test_language_switch_and_a_staff_page_in_both_languages(live_server):
    demo_load()
    base = live_server.url
    with browser_page() as page:
        _login(page, base, "staff")
        page.click("a[data-nav=member_list]")
        page.wait_for_selector("table")
        screenshot(page, "20-members-zh")
        page.click("[data-testid=lang-switch]")
        page.wait_for_selector("html[lang=en]")
        assert page.locator("h1").first.inner_text() != "委员"
        screenshot(page, "21-members-en")
        page.click("a[data-nav=home]")
        assert page.locator("h1").first.inner_text() == "To-do"
        page.click("[data-testid=lang-switch]")
        page.wait_for_selector("html[lang=zh-hans]")
        assert page.locator("h1").first.inner_text() == "待办事项"
