"""Key-proposal selection and excellent-proposal awards through the real pages in chromium, on the demo data.

The proposal office opens the demo's excellent round (in review), takes it back to nominations, finds one more
candidate and nominates it, hands the list to the review again, records the remaining decisions and submits;
the leader announces it on the approval page; the announcement .docx is offered; the leader reads the approved
key proposals and is offered their list with supervising leaders (.docx). Screenshots land in
artifacts/screenshots/selection-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from yizheng.core.tests.browser import SCREENSHOTS, browser_page, screenshot
from yizheng.org.demo import PASSWORD, demo_load
from yizheng.proposals.models import Proposal, Selection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_selection_rounds_in_a_browser(live_server):
    demo_load()
    key = Selection.objects.get(kind="key")
    excellent = Selection.objects.get(kind="excellent")
    for old in SCREENSHOTS.glob("selection-*.png"):
        old.unlink()
    with browser_page() as page:
        page.set_default_timeout(15_000)
        base = live_server.url

        def login(username: str) -> None:
            page.goto(f"{base}/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.click("form[action$='/login/'] button[type=submit]")
            page.wait_for_selector("[data-testid=whoami]")

        login("staff")
        page.click("[data-nav=selection_index]")
        expect(page.locator("[data-testid=selection-rounds]")).to_contain_text("优秀提案评选")
        screenshot(page, "selection-01-rounds")

        page.click(f"[data-testid=round-{excellent.pk}]")
        expect(page.locator("[data-testid=round-state]")).to_contain_text("评审")
        screenshot(page, "selection-02-excellent-review")

        # back to nominations, search a candidate by title and nominate it
        page.click("[data-testid=reopen-round]")
        expect(page.locator("[data-testid=round-state]")).to_contain_text("推荐")
        listed = set(excellent.nominations.values_list("proposal", flat=True))
        extra = (
            Proposal.objects.filter(council=excellent.council, year=excellent.year, state="closed")
            .exclude(pk__in=listed)
            .order_by("case_number")
            .first()
        )
        page.fill("input[name=q]", extra.title[:8])
        form = page.locator(f"[data-testid=nominate-{extra.pk}]")
        expect(form).to_be_visible()
        form.locator("input[name=reason]").fill("建议被采纳,成效明显")
        form.locator("select[name=source]").select_option("unit")
        form.locator("input[name=source_name]").fill("市教育局")
        screenshot(page, "selection-03-nominating-candidates")
        form.locator("button[type=submit]").click()
        expect(page.locator(f"[data-testid=item-{extra.pk}]")).to_be_visible()

        page.click("[data-testid=start-review]")
        expect(page.locator("[data-testid=round-state]")).to_contain_text("评审")
        for n in excellent.nominations.filter(decision="pending").order_by("pk"):
            row = page.locator(f"[data-testid=decide-{n.proposal_id}]")
            row.locator("select").select_option("rejected")
            row.locator("input[name$=opinion]").fill("本年度不予推荐")
            row.locator("button[type=submit]").click()
            expect(page.locator(f"[data-testid=decision-{n.proposal_id}]")).to_contain_text("不推荐")
        page.click("[data-testid=submit-round]")
        expect(page.locator("[data-testid=round-state]")).to_contain_text("待审定")
        screenshot(page, "selection-04-submitted")
        page.click("form[action$='/logout/'] button")

        # the leader announces
        login("leader")
        page.goto(f"{base}/proposals/selections/{excellent.pk}/")
        page.click("[data-testid=to-approval]")
        expect(page.locator("[data-testid=approval-form]")).to_be_visible()
        page.fill("input[name=document_number]", "示政协〔2026〕18号")
        page.fill("input[name=meeting_name]", "六届主席会议第十五次会议")
        page.fill("input[name=decided_on]", "2026-11-20")
        screenshot(page, "selection-05-approval")
        page.click("[data-testid=approve]")
        expect(page.locator("[data-testid=round-state]")).to_contain_text("已通报")
        expect(page.locator("[data-testid=announcement-docx]")).to_be_visible()
        screenshot(page, "selection-06-announced")
        assert Proposal.objects.filter(is_excellent=True).count() == 5

        page.goto(f"{base}/proposals/selections/{key.pk}/")
        expect(page.locator("[data-testid=round-list]")).to_contain_text("审定的重点提案")
        expect(page.locator("[data-testid=key-list-docx]")).to_be_visible()
        screenshot(page, "selection-07-key-approved")
