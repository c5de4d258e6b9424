"""The selection screens: who sees which page (403 for a role without them, 404 for another council's round),
each step through its form, refusals rendered with 400/409, and the announcement .docx opened with python-docx."""

import io

import pytest
from django.urls import reverse
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from yizheng.org.models import Office, Role
from yizheng.org.tests.factories import CouncilFactory
from yizheng.proposals import models as m
from yizheng.proposals import services_selection as sel
from yizheng.proposals.selection_workflow import Decision, SelectionKind, SelectionState

from .conftest import filed, handling, refresh, replied

DAY = "2025-09-20"


def client_for(client, user):
    client.force_login(user)
    return client


def key_round(w):
    return sel.selection_open(actor=w.staff, council=w.council, year=2025, kind=SelectionKind.KEY)


def submitted_key_round(w):
    r = key_round(w)
    a, b = handling(w), filed(w)
    na = sel.nomination_add(
        actor=w.staff, selection=r, proposal=a, reason="关系民生", suggested_leaders=[w.leader]
    )
    nb = sel.nomination_add(actor=w.staff, selection=r, proposal=b, reason="社会关注")
    sel.selection_start_review(actor=w.staff, selection=r)
    sel.nomination_decide(actor=w.staff, nomination=na, decision=Decision.SELECTED)
    sel.nomination_decide(actor=w.staff, nomination=nb, decision=Decision.SELECTED)
    return refresh(sel.selection_submit(actor=w.staff, selection=r)), na, nb


def test_index_for_staff_and_leaders_only(client, world):
    key_round(world)
    for user in (world.staff, world.leader):
        response = client_for(client, user).get(reverse("selection_index"))
        assert response.status_code == 200
        assert "重点提案遴选" in response.content.decode()
    assert 'data-testid="open-round"' not in response.content.decode()  # the leader opens no round
    for user in (world.member, world.lead_liaison, world.supervisor, world.general_staff):
        assert client_for(client, user).get(reverse("selection_index")).status_code == 403


def test_nav_entry_for_staff_and_leaders(client, world):
    home = client_for(client, world.leader).get(reverse("home")).content.decode()
    assert 'data-nav="selection_index"' in home
    home = client_for(client, world.member).get(reverse("home")).content.decode()
    assert 'data-nav="selection_index"' not in home


def test_staff_open_a_round_once(client, world):
    c = client_for(client, world.staff)
    data = {"council": world.council.pk, "year": 2025, "kind": "key"}
    response = c.post(reverse("selection_open"), data)
    r = m.Selection.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("selection_detail", args=[r.pk])
    response = c.post(reverse("selection_open"), data)
    assert response.status_code == 409
    assert m.Selection.objects.count() == 1
    assert client_for(client, world.leader).post(reverse("selection_open"), data).status_code == 403


@pytest.mark.parametrize("who", ["member", "lead_liaison", "supervisor", "other_staff", "county_staff"])
def test_other_parties_get_404_for_a_round(client, world, make_user, who):
    r, na, _nb = submitted_key_round(world)
    if who == "county_staff":
        user = make_user(
            Role.STAFF, CouncilFactory(parent=world.council, level="county"), office=Office.PROPOSAL
        )
    else:
        user = getattr(world, who)
    c = client_for(client, user)
    assert c.get(reverse("selection_detail", args=[r.pk])).status_code == 404
    assert c.get(reverse("selection_approval", args=[r.pk])).status_code == 404
    data = {"meeting_name": "会", "decided_on": DAY, "version": r.version}
    assert c.post(reverse("selection_approval", args=[r.pk]), data).status_code == 404
    assert c.post(reverse("nomination_remove", args=[na.pk])).status_code == 404
    assert refresh(r).state == SelectionState.SUBMITTED


def test_shortlist_through_the_page(client, world):
    r = key_round(world)
    p, other = filed(world), filed(world, title="关于改善老旧小区加装电梯的提案")
    c = client_for(client, world.staff)
    page = c.get(reverse("selection_detail", args=[r.pk])).content.decode()
    assert f'data-testid="nominate-{p.pk}"' in page
    # candidate search by title, as htmx asks it
    found = c.get(
        reverse("selection_detail", args=[r.pk]),
        {"q": "电梯", "partial": "candidates"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert f'data-testid="nominate-{other.pk}"' in found
    assert f'data-testid="nominate-{p.pk}"' not in found
    assert "<html" not in found
    url = reverse("selection_nominate", args=[r.pk])
    response = c.post(url, {"proposal": p.pk, "reason": " ", "source": "staff", "version": r.version})
    assert response.status_code == 400
    assert not m.Nomination.objects.exists()
    data = {"proposal": p.pk, "reason": "群众关注", "source": "staff", "suggested_leaders": [world.leader.pk],
            "lead_unit_note": "市教育局牵头", "version": r.version}  # fmt: skip
    assert c.post(url, data).status_code == 302
    n = m.Nomination.objects.get()
    assert list(n.suggested_leaders.all()) == [world.leader]
    # the same form again: stale version
    assert c.post(url, data | {"proposal": other.pk}).status_code == 409
    # a leader may not compile the list
    assert (
        client_for(client, world.leader).post(url, data | {"proposal": other.pk, "version": ""}).status_code
        == 403
    )
    c = client_for(client, world.staff)
    assert (
        c.post(reverse("nomination_remove", args=[n.pk]), {"version": refresh(r).version}).status_code == 302
    )
    assert not m.Nomination.objects.exists()


def test_review_and_submit_through_the_page(client, world):
    r = key_round(world)
    n = sel.nomination_add(actor=world.staff, selection=r, proposal=filed(world), reason="理由")
    c = client_for(client, world.staff)
    assert c.post(reverse("selection_submit", args=[r.pk])).status_code == 409  # wrong state
    assert c.post(reverse("selection_start_review", args=[r.pk])).status_code == 302
    page = c.get(reverse("selection_detail", args=[r.pk])).content.decode()
    assert f'data-testid="decide-{n.proposal_id}"' in page
    assert c.post(reverse("selection_submit", args=[r.pk])).status_code == 400  # undecided item
    prefix = f"n{n.pk}-"
    response = c.post(
        reverse("nomination_decide", args=[n.pk]),
        {prefix + "decision": "selected", prefix + "opinion": "同意"},
    )
    assert response.status_code == 302
    assert refresh(n).decision == Decision.SELECTED
    assert client_for(client, world.leader).post(reverse("selection_submit", args=[r.pk])).status_code == 403
    c = client_for(client, world.staff)
    assert c.post(reverse("selection_submit", args=[r.pk])).status_code == 302
    assert refresh(r).state == SelectionState.SUBMITTED


def test_leader_approves_on_the_approval_page(client, world):
    r, na, nb = submitted_key_round(world)
    c = client_for(client, world.leader)
    page = c.get(reverse("selection_approval", args=[r.pk]))
    assert page.status_code == 200
    assert 'data-testid="approval-form"' in page.content.decode()
    url = reverse("selection_approval", args=[r.pk])
    assert c.post(url, {"meeting_name": "", "decided_on": DAY, "version": r.version}).status_code == 400
    data = {
        "meeting_name": "六届主席会议第十二次会议",
        "decided_on": DAY,
        "struck": [nb.pk],
        "version": r.version,
    }
    assert c.post(url, data).status_code == 302
    assert refresh(na.proposal).is_key
    assert not refresh(nb.proposal).is_key
    assert c.post(url, data).status_code == 409  # double submit
    page = c.get(reverse("selection_detail", args=[r.pk])).content.decode()
    assert "审定的重点提案" in page
    assert "六届主席会议第十二次会议" in page
    # once approved the approval page sends back to the list
    assert c.get(url).status_code == 302


def test_approval_before_submission_is_a_conflict_and_other_offices_do_not_see_it(client, world):
    r = key_round(world)
    url = reverse("selection_approval", args=[r.pk])
    assert client_for(client, world.leader).get(url).status_code == 302
    data = {"meeting_name": "会", "decided_on": DAY}
    assert client_for(client, world.leader).post(url, data).status_code == 409
    assert client_for(client, world.general_staff).post(url, data).status_code == 404
    assert refresh(r).state == SelectionState.SHORTLISTING


def test_send_back(client, world):
    r, _na, _nb = submitted_key_round(world)
    c = client_for(client, world.leader)
    url = reverse("selection_send_back", args=[r.pk])
    assert c.post(url, {"note": "", "version": r.version}).status_code == 400
    assert c.post(url, {"note": "请再斟酌", "version": r.version}).status_code == 302
    assert refresh(r).state == SelectionState.REVIEWING


def test_excellent_announcement_docx(client, world):
    r = sel.selection_open(actor=world.staff, council=world.council, year=2025, kind=SelectionKind.EXCELLENT)
    p = replied(world, kind="joint")
    n = sel.nomination_add(actor=world.staff, selection=r, proposal=p, reason="建议被采纳", source="unit")
    sel.selection_start_review(actor=world.staff, selection=r)
    sel.nomination_decide(actor=world.staff, nomination=n, decision=Decision.SELECTED, score=95)
    r = sel.selection_submit(actor=world.staff, selection=r)
    c = client_for(client, world.staff)
    docx_url = reverse("selection_announcement_docx", args=[r.pk])
    assert c.get(docx_url).status_code == 404  # not announced yet
    data = {"document_number": "示政协〔2025〕12号", "decided_on": DAY, "version": r.version}
    assert c.post(reverse("selection_approval", args=[r.pk]), data).status_code == 302
    assert refresh(p).is_excellent
    response = c.get(docx_url)
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    text = "\n".join(par.text for par in document.paragraphs)
    assert "示政协〔2025〕12号" in text
    assert "关于2025年度优秀提案的通报" in text
    assert world.council.name in text
    cells = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert cells[0] == ["序号", "案号", "提案标题", "提案人", "主办单位"]
    assert cells[1][0] == "1"
    assert cells[1][1] == "第0001号"
    assert cells[1][2] == p.title
    assert cells[1][3] == "张委员、李委员"
    assert cells[1][4] == "市教育局"
    assert client_for(client, world.other_staff).get(docx_url).status_code == 404


def test_key_list_docx_once_approved(client, world, make_user):
    r, na, nb = submitted_key_round(world)
    docx_url = reverse("selection_key_list_docx", args=[r.pk])
    detail_url = reverse("selection_detail", args=[r.pk])
    staff = client_for(client, world.staff)
    assert staff.get(docx_url).status_code == 404  # submitted, not yet approved
    assert 'data-testid="key-list-docx"' not in staff.get(detail_url).content.decode()
    data = {
        "meeting_name": "六届主席会议第十二次会议",
        "decided_on": DAY,
        "struck": [nb.pk],
        "version": r.version,
    }
    assert (
        client_for(client, world.leader).post(reverse("selection_approval", args=[r.pk]), data).status_code
        == 302
    )
    for user in (world.staff, world.leader):
        page = client_for(client, user).get(detail_url).content.decode()
        assert f'href="{docx_url}"' in page
        response = client_for(client, user).get(docx_url)
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
    document = Document(io.BytesIO(response.content))
    text = "\n".join(par.text for par in document.paragraphs)
    assert "〔" not in text  # approved without a 文号: none printed
    assert "关于2025年度重点提案及督办安排的通知" in text
    assert "六届主席会议第十二次会议于2025年9月20日审定" in text
    assert "确定以下1件提案为2025年度重点提案" in text
    assert world.council.name in text
    assert "二〇二五年九月二十日" in text
    cells = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert cells[0] == ["序号", "案号", "提案标题", "提案人", "主办单位", "督办领导"]
    assert len(cells) == 2  # the struck proposal is not on the list
    assert cells[1][0] == "1"
    assert cells[1][2] == na.proposal.title
    assert cells[1][5] == str(world.leader)
    assert cells[1][3] == "张委员"
    assert cells[1][4] == "市教育局"
    # nobody else gets it: other roles, another council's staff, a county's proposal staff
    county = make_user(
        Role.STAFF, CouncilFactory(parent=world.council, level="county"), office=Office.PROPOSAL
    )
    for user in (
        world.member,
        world.lead_liaison,
        world.supervisor,
        world.other_staff,
        world.general_staff,
        county,
    ):
        assert client_for(client, user).get(docx_url).status_code == 404
    client.logout()
    assert client.get(docx_url).status_code == 302  # to the login page


def test_key_list_issued_under_a_document_number(client, world):
    """The approval may record the 文号 the list is issued under (optional for a key round): the round's page
    shows it and the notice prints it centred above its title."""
    r, _na, _nb = submitted_key_round(world)
    leader = client_for(client, world.leader)
    page = leader.get(reverse("selection_approval", args=[r.pk])).content.decode()
    assert 'name="document_number"' in page
    assert "印发文号" in page
    data = {"meeting_name": "六届主席会议第十二次会议", "decided_on": DAY, "version": r.version,
            "document_number": "  示政协〔2025〕9号 "}  # fmt: skip
    assert leader.post(reverse("selection_approval", args=[r.pk]), data).status_code == 302
    assert refresh(r).document_number == "示政协〔2025〕9号"
    assert "示政协〔2025〕9号" in leader.get(reverse("selection_detail", args=[r.pk])).content.decode()
    document = Document(io.BytesIO(leader.get(reverse("selection_key_list_docx", args=[r.pk])).content))
    texts = [par.text for par in document.paragraphs]
    assert texts.count("示政协〔2025〕9号") == 1
    number_at = texts.index("示政协〔2025〕9号")
    assert document.paragraphs[number_at].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert number_at < next(i for i, t in enumerate(texts) if "重点提案及督办安排的通知" in t)


def test_key_list_docx_is_not_for_an_excellent_round(client, world):
    r = sel.selection_open(actor=world.staff, council=world.council, year=2025, kind=SelectionKind.EXCELLENT)
    c = client_for(client, world.staff)
    assert c.get(reverse("selection_key_list_docx", args=[r.pk])).status_code == 404
    assert c.get(reverse("selection_key_list_docx", args=[999999])).status_code == 404


def test_round_page_queries_do_not_grow_with_the_list(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    r = key_round(world)
    c = client_for(client, world.staff)
    url = reverse("selection_detail", args=[r.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    def add() -> None:
        sel.nomination_add(actor=world.staff, selection=r, proposal=handling(world), reason="理由",
                           suggested_leaders=[world.leader])  # fmt: skip

    add()
    filed(world)
    count()  # the first request renews the session's idle timeout (a write the next ones skip)
    few = count()
    for _ in range(4):
        add()
        filed(world)
    assert count() == few


def test_todos_for_leaders_and_staff(world):
    from yizheng.proposals.todos_selection import selection_todos

    r, _na, _nb = submitted_key_round(world)
    assert [(str(t.title), t.count) for t in selection_todos(world.leader)] == [("待审定的评选名单", 1)]
    assert [(str(t.title), t.count) for t in selection_todos(world.staff)] == [
        ("待审定的评选名单", 1),
        ("审议中的评选", 0),
    ]
    assert selection_todos(world.member) == []
    assert selection_todos(world.other_staff)[0].count == 0
    assert r.state == SelectionState.SUBMITTED


def test_english_tells_the_nominating_stage_the_recommendation_and_the_button_apart(client, world):
    """推荐 is a stage, a review decision, a count and a button; English needs four words for it."""
    from django.conf import settings
    from django.utils import translation

    from yizheng.proposals.selection_workflow import DECISION_LABELS

    with translation.override("en"):
        assert str(SelectionState.NOMINATING.label) == "Nomination"
        assert str(DECISION_LABELS[SelectionKind.EXCELLENT][Decision.SELECTED]) == "Recommended"
    r = sel.selection_open(actor=world.staff, council=world.council, year=2025, kind=SelectionKind.EXCELLENT)
    replied(world)
    c = client_for(client, world.staff)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = c.get(reverse("selection_detail", args=[r.pk]), {"q": "关于"}).content.decode()
    assert "<dt>Nominated</dt>" in html
    assert ">Nominate</button>" in html
