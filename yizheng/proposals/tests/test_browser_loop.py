"""The whole proposal loop through the real pages in chromium, one login after another.

A member drafts a joint proposal and invites a co-signer, who accepts; the member submits; the proposal office
files it (case number) and assigns it to a lead and a co unit; the co unit gives its opinion; the lead unit
records a contact and submits a B reply with a commitment; the co unit countersigns; the supervisor approves;
the member is dissatisfied; the office starts rehandling; the lead unit answers again; the supervisor approves;
the submitters are satisfied; the office closes the proposal; the B commitment is a follow-up (回头看).

Screenshots of every step land in artifacts/screenshots/proposal-*.png."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from yizheng.audit.services import event_record
from yizheng.core.tests.browser import SCREENSHOTS, browser_page, screenshot
from yizheng.org.demo import CITY, PASSWORD, demo_load
from yizheng.org.models import Council, Member, Membership, Role, Unit
from yizheng.org.services import role_grant, user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "关于加强中小学课后服务师资保障的提案"
CO_UNIT = "市人力资源和社会保障局"
COMMITMENT = "2027年春季学期前出台课后服务教师补助办法"


def _account(username: str, council: Council, full_name: str, role: str, **scope):
    user = user_create(
        actor=None,
        username=username,
        council=council,
        full_name=full_name,
        password=PASSWORD,
        password_changed_at=timezone.now(),
    )
    role_grant(actor=None, user=user, council=council, role=role, **scope)
    return user


def _people() -> tuple[str, str]:
    """A co-signer account for a demo member without one, and a liaison account for the co unit."""
    city = Council.objects.get(name=CITY)
    cosigner = (
        Member.objects.filter(council=city, user=None, memberships__status=Membership.Status.ACTIVE)
        .exclude(name__in=Member.objects.filter(council=city).exclude(user=None).values("name"))
        .order_by("pk")
        .first()
    )
    user = _account("cosigner", city, cosigner.name, Role.MEMBER)
    Member.objects.filter(pk=cosigner.pk).update(user=user)
    event_record(
        actor=None,
        action="member.link_account",
        target=cosigner,
        payload={"changes": {"user": [None, user.username]}},
    )
    co_unit = Unit.objects.get(council=city, name=CO_UNIT)
    _account("co_liaison", city, "协办联络员", Role.UNIT_LIAISON, unit=co_unit)
    return cosigner.name, co_unit.name


class Loop:
    """The browser page and the live server, with the steps every login repeats."""

    def __init__(self, page, base: str) -> None:
        self.page, self.base, self.shot = page, base, 0
        self.detail = ""  # path of the proposal's detail page, known once the draft is saved
        for old in SCREENSHOTS.glob("proposal-*.png"):
            old.unlink()

    def login(self, username: str) -> None:
        page = self.page
        page.goto(f"{self.base}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("form[action$='/login/'] button[type=submit]")
        page.wait_for_selector("[data-testid=whoami]")

    def logout(self) -> None:
        self.page.click("form[action$='/logout/'] button")
        self.page.wait_for_selector("input[name=username]")

    def go(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")

    def snap(self, name: str) -> None:
        self.shot += 1
        screenshot(self.page, f"proposal-{self.shot:02d}-{name}")

    def sees(self, text: str) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator("main")).to_contain_text(text)

    def message(self, text: str) -> None:
        """The flash message (or error) the last action left on the page."""
        self.sees(text)

    def state(self, label: str) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator(".page-head .badge").first).to_contain_text(label)

    def open_proposal(self, username: str) -> None:
        """Log in and open the proposal's detail page (its link from the lists is one click away)."""
        self.login(username)
        self.go(self.detail)

    def workspace(self, username: str, bucket: str) -> None:
        """Log in as a unit user and open the proposal from the unit's inbox."""
        self.login(username)
        self.go(f"/proposals/handling/inbox/?bucket={bucket}")
        self.page.click(f"[data-testid=inbox] a:has-text('{TITLE}')")
        self.page.wait_for_selector("[data-testid=role]")

    def find_followup(self) -> None:
        """Filter the follow-up list by the commitment's text (the demo year has many follow-ups)."""
        from playwright.sync_api import expect

        self.page.fill("form.filters input[name=q]", COMMITMENT)
        self.page.click("form.filters button[type=submit]")
        row = self.page.locator(f"[data-testid=followups] tr:has-text('{COMMITMENT}')")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("市教育局")

    def countersign(self) -> None:
        """The co unit finds the lead reply in its inbox and countersigns it."""
        page = self.page
        self.login("co_liaison")
        self.go("/proposals/handling/inbox/")
        self.sees("件答复待会签")
        self.snap("countersign-queue")
        page.click(f"[data-testid=countersign-queue] a:has-text('{TITLE}')")
        page.fill("[data-testid=lead-reply] textarea[name=comment]", "同意主办单位答复意见。")
        page.click("[data-testid=lead-reply] button[name=decision][value=sign]")
        self.message("会签意见已提交")
        self.sees("已会签")
        self.snap("countersigned")
        self.logout()


def test_the_whole_proposal_loop_in_a_browser(live_server):
    demo_load()
    cosigner, co_unit = _people()
    with browser_page() as page:
        loop = Loop(page, live_server.url)
        page.set_default_timeout(15_000)

        # 1. the member drafts a joint proposal
        loop.login("member")
        loop.go("/proposals/mine/")
        page.click("[data-testid=proposal-create]")
        page.fill("#id_title", TITLE)
        page.select_option("#id_kind", "joint")
        page.select_option("#id_category", index=1)
        page.fill("#id_tags", "教育 课后服务")
        page.fill("#id_reason", "中小学课后服务全面推开后,教师工作时间延长,补助和师资来源缺乏保障。")
        page.fill("#id_analysis", "全市参与课后服务的教师人均每周增加工作约六小时,部分学校难以为继。")
        page.fill("#id_suggestions", "一、设立课后服务专项补助;二、引入社会专业力量;三、纳入绩效考核。")
        page.click("[data-testid=save]")
        loop.message("草稿已保存")
        loop.snap("draft")
        edit_path = page.url.removeprefix(live_server.url)
        loop.detail = re.sub(r"edit/$", "", edit_path.split("?")[0].split("#")[0])

        # 2. … and invites a co-signer, found by name
        page.fill("[data-testid=cosign-search]", cosigner)
        page.wait_for_selector(f"[data-testid=cosign-candidates] label:has-text('{cosigner}')")
        page.check(f"[data-testid=cosign-candidates] label:has-text('{cosigner}') input")
        page.click("#cosign-invite-form button[type=submit]")
        loop.message("已发出联名邀请")
        loop.sees(cosigner)
        loop.snap("cosign-invited")
        loop.logout()

        # 3. the co-signer accepts
        loop.login("cosigner")
        loop.go("/proposals/mine/")
        loop.sees(TITLE)
        loop.snap("cosign-invitation")
        page.click("[data-testid=invitations] [data-testid=cosign-accept]")
        loop.message("已接受联名")
        loop.logout()

        # 4. the member submits
        loop.open_proposal("member")
        loop.sees("已接受")
        page.click("[data-testid=actions-member] [data-testid=submit]")
        loop.message("提案已提交")
        loop.state("待审查")
        loop.snap("submitted")
        loop.logout()

        # 5. the proposal office files it: a case number
        loop.login("staff")
        loop.go("/proposals/review/")
        loop.snap("review-queue")
        loop.go(loop.detail)  # the queue is oldest first: with the demo year it may be on a later page
        page.click("[data-testid=actions-review] [data-testid=review]")
        page.wait_for_selector("[data-testid=file-form]")
        loop.snap("review")
        page.click("[data-testid=do-file]")
        loop.message("已立案,案号为")
        case_label = page.locator("[data-testid=case-label]").inner_text()
        assert re.fullmatch(r"第.+号", case_label), case_label
        loop.state("已立案")
        loop.snap("filed")

        # 6. … and assigns it to a lead unit (市教育局) and a co unit
        page.click("[data-testid=handling-actions] a:has-text('交办')")
        page.select_option("#assign select[name=lead_unit]", label="市教育局")
        page.select_option("#assign select[name=co_units]", label=co_unit)
        page.click("#assign button[type=submit]")
        loop.message("已交办")
        loop.sees(co_unit)
        loop.state("办理中")
        loop.snap("assigned")
        loop.logout()

        # 7. the co unit gives its opinion
        loop.workspace("co_liaison", "new")
        page.fill("textarea[name=opinion]", "我局将配合做好课后服务教师补助资金测算和绩效工资核定。")
        page.click("form[action$='/opinion/'] button[type=submit]")
        loop.message("协办意见已送主办单位")
        loop.snap("co-opinion")
        loop.logout()

        # 8. the lead unit records a contact and submits a B reply with a commitment
        loop.workspace("liaison", "new")
        loop.sees("我局将配合做好课后服务教师补助资金测算")  # the co unit's opinion
        page.fill("#contact input[name=date]", timezone.localdate().isoformat())
        page.fill("#contact textarea[name=summary]", "与提案人电话沟通办理思路,提案人表示认可。")
        page.click("#contact button[type=submit]")
        loop.message("沟通记录已保存")
        page.check("#reply input[name=result][value=B]")
        page.fill("#reply textarea[name=body]", "我局高度重视,已会同市人社局研究课后服务教师补助办法。")
        page.fill("#reply input[name=commitment_text_0]", COMMITMENT)
        page.fill("#reply input[name=commitment_due_0]", "2027-03-31")
        loop.snap("reply-draft")
        page.click("#reply button[name=submit]")
        loop.message("答复已提交")
        loop.sees("会签中")
        loop.snap("reply-submitted")
        loop.logout()

        # 9. the co unit countersigns
        loop.countersign()

        # 10. the supervisor approves: the reply is published
        loop.login("supervisor")
        loop.go("/proposals/handling/replies/")
        loop.snap("reply-queue")
        loop.go(loop.detail)  # the queue is oldest first: with the demo year it may be on a later page
        page.click("[data-testid=review-reply]")
        page.wait_for_selector("[data-testid=review-form]")
        loop.sees("已会签")
        loop.snap("supervise")
        page.click("[data-testid=review-form] button[name=decision][value=approve]")
        loop.message("答复已审定")
        loop.go(loop.detail)
        loop.state("已答复")
        loop.logout()

        # 11. the member is dissatisfied
        loop.open_proposal("member")
        page.click("[data-testid=evaluate]")
        page.check("input[name=work_rating][value=dissatisfied]")
        page.check("input[name=consulted][value=yes]")
        page.check("input[name=result_rating][value=dissatisfied]")
        page.fill("textarea[name=comment]", "补助标准和时间表都不明确。")
        loop.snap("evaluate-dissatisfied")
        page.click("[data-testid=evaluate-submit]")
        loop.message("评价已提交")
        loop.sees("不满意")
        loop.logout()

        # 12. the proposal office starts rehandling
        loop.open_proposal("staff")
        page.click("[data-testid=handling-actions] button:has-text('重新办理')")
        loop.message("已交承办单位重新办理")
        loop.state("重新办理")
        loop.snap("rehandling")
        loop.logout()

        # 13. the lead unit answers again (round 2)
        loop.workspace("liaison", "rehandle")
        loop.sees("重新办理")
        page.check("#reply input[name=result][value=B]")
        page.fill(
            "#reply textarea[name=body]",
            "经重新研究,补助标准定为每课时50元,由市、区财政按比例分担,2027年春季学期起执行。",
        )
        page.fill("#reply input[name=commitment_text_0]", COMMITMENT)
        page.fill("#reply input[name=commitment_due_0]", "2027-03-31")
        page.click("#reply button[name=submit]")
        loop.message("答复已提交")
        loop.sees("会签中")
        loop.snap("reply-round-2")
        loop.logout()

        # … which the co unit countersigns again
        loop.countersign()

        # 14. the supervisor approves the new reply
        loop.login("supervisor")
        loop.go(loop.detail)
        page.click("[data-testid=review-reply]")
        loop.sees("经重新研究")
        page.click("[data-testid=review-form] button[name=decision][value=approve]")
        loop.message("答复已审定")
        loop.go(loop.detail)
        loop.state("已答复")
        loop.snap("replied-round-2")
        loop.logout()

        # 15. the submitters are satisfied
        for username in ("member", "cosigner"):
            loop.open_proposal(username)
            page.click("[data-testid=evaluate]")
            page.check("input[name=work_rating][value=satisfied]")
            page.check("input[name=consulted][value=yes]")
            page.check("input[name=result_rating][value=satisfied]")
            page.click("[data-testid=evaluate-submit]")
            loop.message("评价已提交")
            loop.logout()

        # 16. the proposal office closes it
        loop.open_proposal("staff")
        page.click("[data-testid=handling-actions] button:has-text('办结')")
        loop.message("提案已办结")
        loop.state("已办结")
        loop.snap("closed")

        # 17. the B commitment is followed up (回头看)
        loop.go("/followups/")
        loop.find_followup()
        loop.snap("followups")
        loop.logout()
        loop.login("liaison")
        loop.go("/followups/")
        loop.find_followup()
        page.click(f"[data-testid=followups] a:has-text('{COMMITMENT}')")
        loop.sees("市教育局")
        loop.sees("2027年3月31日")
        loop.snap("followup-unit")
