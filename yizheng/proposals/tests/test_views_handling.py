"""The staff's handling screens: assignment board (batch and single), adjustment and extension decisions, the
overdue boards, key proposals (staff and leaders), reply review and the actions after a reply. Right role OK;
wrong role 403; other council 404; wrong state, stale form and double submit 409; bad input 400 — and nothing
written whenever refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from yizheng.proposals import models as m
from yizheng.proposals import services

from .conftest import (
    approved_reply,
    assignment,
    db_state,
    drafted_reply,
    evaluation_of,
    excellent,
    filed,
    handling,
    refresh,
    replied,
)

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


def post_refused(client, url, data, status):
    before = db_state()
    response = client.post(url, data)
    assert response.status_code == status, response.content.decode()[:3000]
    assert db_state() == before
    return response


def batch_data(world, proposals, **kw):
    data = {
        "proposals": [str(p.pk) for p in proposals],
        **{f"version_{p.pk}": str(refresh(p).version) for p in proposals},
        "lead_unit": str(world.lead_unit.pk),
        "co_units": [str(world.co_unit.pk)],
        "months": "3",
    }
    data.update(kw)
    return data


# --- assignment board ---------------------------------------------------------------------------------------


def test_board_lists_filed_proposals_for_proposal_staff_only(client, world):
    p = filed(world)
    response = as_user(client, world.staff).get(reverse("proposal_assign_board"))
    assert response.status_code == 200
    assert p.title in response.content.decode()
    assert 'name="proposals"' in response.content.decode()
    for user in (world.member, world.lead_liaison, world.supervisor, world.general_staff):
        assert as_user(client, user).get(reverse("proposal_assign_board")).status_code == 403
    assert (
        p.title
        not in as_user(client, world.other_staff).get(reverse("proposal_assign_board")).content.decode()
    )


def test_board_has_no_n_plus_one(client, world, django_assert_max_num_queries):
    for _ in range(2):
        filed(world)
    c = as_user(client, world.staff)
    c.get(reverse("proposal_assign_board"))
    with django_assert_max_num_queries(30):
        first = c.get(reverse("proposal_assign_board"))
    for _ in range(6):
        filed(world)
    with django_assert_max_num_queries(30):
        second = c.get(reverse("proposal_assign_board"))
    assert first.content.decode().count('name="proposals"') == 2
    assert second.content.decode().count('name="proposals"') == 8


def test_batch_assignment(client, world):
    a, b = filed(world), filed(world)
    c = as_user(client, world.staff)
    data = batch_data(world, [a, b], is_key="on", supervising_leaders=[str(world.leader.pk)])
    assert c.post(reverse("proposal_assign_batch"), data).status_code == 302
    for p in (a, b):
        p = refresh(p)
        assert p.state == "handling"
        assert p.is_key
        assert list(p.supervising_leaders.all()) == [world.leader]
        assert assignment(p, world.lead_unit).role == "lead"
        assert assignment(p, world.co_unit).role == "co"
    post_refused(
        c, reverse("proposal_assign_batch"), {**data, **{f"version_{a.pk}": "1"}}, 409
    )  # double submit


def test_batch_assignment_refusals_write_nothing(client, world):
    a, b = filed(world), filed(world)
    c = as_user(client, world.staff)
    url = reverse("proposal_assign_batch")
    response = post_refused(c, url, batch_data(world, [a, b], lead_unit=""), 400)
    assert "请选择主办单位" in response.content.decode()
    response = post_refused(c, url, batch_data(world, [a, b], months="9"), 400)  # beyond the hard maximum
    assert "办理期限须在" in response.content.decode()
    post_refused(c, url, batch_data(world, [a, b], co_units=[str(world.lead_unit.pk)]), 400)
    post_refused(c, url, batch_data(world, []), 400)
    stale = batch_data(world, [a, b])
    services.proposal_set_public(actor=world.staff, proposal=b, is_public=True)  # b moved on
    post_refused(c, url, stale, 409)
    post_refused(as_user(client, world.other_staff), url, batch_data(world, [a]), 404)
    post_refused(as_user(client, world.lead_liaison), url, batch_data(world, [a]), 403)


def test_single_assignment_page(client, world):
    p = filed(world)
    c = as_user(client, world.staff)
    url = reverse("proposal_handling", args=[p.pk])
    assert c.get(url).status_code == 200
    assert as_user(client, world.member).get(url).status_code == 403
    assert as_user(client, world.other_staff).get(url).status_code == 404
    c = as_user(client, world.staff)
    data = {"version": p.version, "lead_unit": world.lead_unit.pk, "months": 3}
    assert c.post(reverse("proposal_assign_one", args=[p.pk]), data).status_code == 302
    assert refresh(p).state == "handling"
    post_refused(c, reverse("proposal_assign_one", args=[p.pk]), data, 409)


# --- adjustment and extension requests -----------------------------------------------------------------------


def test_adjustment_granted_sends_the_proposal_back_to_assignment(client, world):
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    request = services.proposal_request_adjustment(
        actor=world.lead_liaison, assignment=lead, reason="不属于本单位"
    )
    c = as_user(client, world.staff)
    page = c.get(reverse("adjustment_list")).content.decode()
    assert "不属于本单位" in page
    url = reverse("adjustment_decide", args=[request.pk])
    response = post_refused(c, url, {"decision": "refuse", "note": ""}, 400)
    assert "不同意调整时请写明理由" in response.content.decode()
    post_refused(as_user(client, world.lead_liaison), url, {"decision": "grant"}, 403)
    post_refused(as_user(client, world.other_staff), url, {"decision": "grant"}, 404)
    c = as_user(client, world.staff)
    assert c.post(url, {"decision": "grant"}).status_code == 302
    assert refresh(p).state == "filed"
    assert not refresh(lead).active
    post_refused(c, url, {"decision": "grant"}, 409)  # decided already
    assert p.title in c.get(reverse("proposal_assign_board")).content.decode()


def test_extension_decision_within_the_hard_maximum(client, world):
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    old_deadline = lead.deadline
    request = services.proposal_request_extension(
        actor=world.lead_liaison,
        assignment=lead,
        reason="涉及多个部门",
        requested_deadline=lead.deadline + dt.timedelta(days=30),
    )
    c = as_user(client, world.staff)
    assert "涉及多个部门" in c.get(reverse("extension_list")).content.decode()
    url = reverse("extension_decide", args=[request.pk])
    too_late = (lead.deadline + dt.timedelta(days=200)).isoformat()
    response = post_refused(c, url, {"decision": "grant", "deadline": too_late}, 400)
    assert "最长办理期限" in response.content.decode()
    post_refused(as_user(client, world.lead_liaison), url, {"decision": "grant"}, 403)
    c = as_user(client, world.staff)
    assert c.post(url, {"decision": "grant"}).status_code == 302
    assert refresh(lead).deadline == old_deadline + dt.timedelta(days=30)
    assert refresh(lead).extended
    post_refused(c, url, {"decision": "grant"}, 409)


# --- overdue boards, key proposals --------------------------------------------------------------------------


def test_overdue_board_with_unit_filter_and_contact_status(client, world, clock):
    p = handling(world, separate=True)
    q = handling(world)
    clock.advance(120)
    c = as_user(client, world.staff)
    page = c.get(reverse("overdue_board")).content.decode()
    assert page.count('data-testid="overdue"') == 3  # two lead assignments and one separate one
    assert "未沟通" in page
    filtered = c.get(reverse("overdue_board") + f"?unit={world.separate_unit.pk}").content.decode()
    assert filtered.count('data-testid="overdue"') == 1
    assert "市卫健委" in filtered
    assert p.title in filtered
    assert q.title  # the other proposal is only on the unfiltered board
    assert as_user(client, world.lead_liaison).get(reverse("overdue_board")).status_code == 403
    first_contact = as_user(client, world.staff).get(reverse("overdue_first_contact")).content.decode()
    assert first_contact.count('data-testid="overdue"') == 3


def test_overdue_board_has_no_n_plus_one(client, world, clock, django_assert_max_num_queries):
    for _ in range(2):
        handling(world)
    clock.advance(120)
    c = as_user(client, world.staff)
    c.get(reverse("overdue_board"))
    with django_assert_max_num_queries(20):
        first = c.get(reverse("overdue_board"))
    clock.advance(-120)
    for _ in range(6):
        handling(world)
    clock.advance(120)
    with django_assert_max_num_queries(20):
        second = c.get(reverse("overdue_board"))
    assert first.content.decode().count('data-testid="overdue"') == 2
    assert second.content.decode().count('data-testid="overdue"') == 8


def test_key_proposals_for_staff_and_for_their_leaders(client, world, make_user):
    from yizheng.org.models import Role

    p = handling(world)
    services.proposal_set_key(actor=world.staff, proposal=p, is_key=True, supervising_leaders=[world.leader])
    page = as_user(client, world.staff).get(reverse("key_supervision")).content.decode()
    assert p.title in page
    assert str(world.leader) in page
    response = as_user(client, world.leader).get(reverse("key_proposals"))
    assert response.status_code == 200
    assert p.title in response.content.decode()
    assert "设置重点提案" in response.content.decode()  # its latest event
    other_leader = make_user(Role.LEADER, world.council)
    assert p.title not in as_user(client, other_leader).get(reverse("key_proposals")).content.decode()
    assert as_user(client, world.member).get(reverse("key_proposals")).status_code == 403


def test_set_key_refuses_a_non_leader(client, world):
    p = handling(world)
    url = reverse("proposal_set_key", args=[p.pk])
    c = as_user(client, world.staff)
    post_refused(
        c, url, {"version": p.version, "is_key": "on", "supervising_leaders": [str(world.member.pk)]}, 400
    )


# --- reply review -------------------------------------------------------------------------------------------


def under_review(world, result="B"):
    p = handling(world, co=False)
    reply = services.proposal_submit_reply(
        actor=world.lead_liaison, reply=drafted_reply(world, p, result=result)
    )
    return refresh(p), reply


def test_review_queue_and_page(client, world):
    p, reply = under_review(world)
    c = as_user(client, world.supervisor)
    queue = c.get(reverse("reply_review_queue"))
    assert queue.status_code == 200
    assert p.title in queue.content.decode()
    page = c.get(reverse("reply_review", args=[reply.pk])).content.decode()
    assert "年底前新增托位2000个" in page
    assert "审定并答复提案人" in page
    assert as_user(client, world.member).get(reverse("reply_review_queue")).status_code == 403
    assert (
        as_user(client, world.lead_liaison).get(reverse("reply_review", args=[reply.pk])).status_code == 403
    )
    assert as_user(client, world.other_staff).get(reverse("reply_review", args=[reply.pk])).status_code == 404


def test_review_refusals_then_approve_with_a_changed_class(client, world):
    p, reply = under_review(world)
    url = reverse("reply_review", args=[reply.pk])
    c = as_user(client, world.supervisor)
    response = post_refused(
        c, url, {"version": p.version, "decision": "approve", "result": "A", "note": ""}, 400
    )
    assert "调整办理结果分类时请写明理由" in response.content.decode()
    post_refused(c, url, {"version": p.version, "decision": "return", "note": ""}, 400)
    post_refused(c, url, {"version": p.version - 1, "decision": "approve", "result": "B"}, 409)
    post_refused(as_user(client, world.lead_liaison), url, {"version": p.version, "decision": "approve"}, 403)
    post_refused(as_user(client, world.other_staff), url, {"version": p.version, "decision": "approve"}, 404)
    c = as_user(client, world.supervisor)
    data = {"version": p.version, "decision": "approve", "result": "A", "note": "承诺事项均已完成"}
    assert c.post(url, data).status_code == 302
    reply = refresh(reply)
    assert reply.status == "approved"
    assert reply.result == "A"
    assert reply.result_before_review == "B"
    assert refresh(p).state == "replied"
    post_refused(c, url, {**data, "version": refresh(p).version}, 409)  # reviewed already


def test_review_sends_back_with_a_note(client, world):
    p, reply = under_review(world)
    c = as_user(client, world.supervisor)
    data = {"version": p.version, "decision": "return", "note": "请补充资金安排"}
    assert c.post(reverse("reply_review", args=[reply.pk]), data).status_code == 302
    assert refresh(reply).status == "returned"
    page = as_user(client, world.lead_liaison).get(
        reverse("assignment_workspace", args=[reply.assignment_id])
    )
    assert "请补充资金安排" in page.content.decode()


# --- after the reply: paper rating, rehandle, close, public, excellent ---------------------------------------


def test_paper_rating_rehandle_and_close(client, world):
    p = replied(world, co=False)
    c = as_user(client, world.staff)
    page = c.get(reverse("proposal_handling", args=[p.pk])).content.decode()
    assert "录入纸质评价" in page
    close_url = reverse("proposal_close", args=[p.pk])
    response = post_refused(c, close_url, {"version": p.version}, 409)  # ratings still open
    assert "尚未评价" in response.content.decode()
    evaluation = evaluation_of(p, world.member_a)
    paper = {
        "version": p.version,
        "evaluation": str(evaluation.pk),
        "work_rating": "satisfied",
        "result_rating": "dissatisfied",
        "consulted": "true",
        "comment": "纸质评价表",
    }
    post_refused(c, reverse("proposal_paper_evaluation", args=[p.pk]), {**paper, "work_rating": ""}, 400)
    post_refused(
        as_user(client, world.lead_liaison), reverse("proposal_paper_evaluation", args=[p.pk]), paper, 403
    )
    c = as_user(client, world.staff)
    assert c.post(reverse("proposal_paper_evaluation", args=[p.pk]), paper).status_code == 302
    assert refresh(evaluation).on_paper
    page = c.get(reverse("proposal_handling", args=[p.pk])).content.decode()
    assert "纸质" in page
    rehandle_url = reverse("proposal_rehandle", args=[p.pk])
    post_refused(c, rehandle_url, {"version": p.version, "note": ""}, 409)  # stale
    post_refused(as_user(client, world.member), rehandle_url, {"version": refresh(p).version}, 403)
    c = as_user(client, world.staff)
    assert c.post(rehandle_url, {"version": refresh(p).version, "note": "重新办理"}).status_code == 302
    assert refresh(p).state == "rehandling"
    post_refused(c, rehandle_url, {"version": refresh(p).version}, 409)  # wrong state
    approved_reply(world, refresh(p), result="A")
    e2 = evaluation_of(p, world.member_a)
    services.proposal_evaluate(
        actor=world.member, evaluation=e2, work_rating="satisfied", result_rating="satisfied"
    )
    assert c.post(close_url, {"version": refresh(p).version}).status_code == 302
    assert refresh(p).state == "closed"


def test_public_and_excellent_marks(client, world):
    p = handling(world)
    c = as_user(client, world.staff)
    url = reverse("proposal_set_public", args=[p.pk])
    version = p.version
    assert c.post(url, {"version": version, "value": "on"}).status_code == 302
    assert refresh(p).is_public
    post_refused(c, url, {"version": version, "value": "on"}, 409)  # stale form / double submit
    post_refused(as_user(client, world.member), url, {"version": refresh(p).version, "value": ""}, 403)
    # excellent proposals come from the excellent round only; the mark can just be revoked, with a reason
    c = as_user(client, world.staff)
    url = reverse("proposal_mark_excellent", args=[p.pk])
    post_refused(c, url, {"version": refresh(p).version, "value": "on"}, 400)
    e = excellent(world)
    url = reverse("proposal_mark_excellent", args=[e.pk])
    post_refused(c, url, {"version": refresh(e).version, "reason": ""}, 400)
    post_refused(
        as_user(client, world.other_staff), url, {"version": refresh(e).version, "reason": "更正"}, 404
    )
    c = as_user(client, world.staff)
    post_refused(c, url, {"version": refresh(e).version - 1, "reason": "更正"}, 409)
    assert c.post(url, {"version": refresh(e).version, "reason": "经核实不符合条件"}).status_code == 302
    assert not refresh(e).is_excellent


def test_actions_include_renders_the_allowed_buttons(world, rf):
    from django.template.loader import render_to_string

    from yizheng.proposals.selectors import allowed_actions

    p = replied(world, co=False)
    request = rf.get("/")
    request.user = world.staff
    html = render_to_string(
        "proposals/_actions_handling.html",
        {"proposal": p, "actions": allowed_actions(world.staff, p)},
        request=request,
    )
    assert reverse("proposal_close", args=[p.pk]) in html
    assert reverse("proposal_set_public", args=[p.pk]) in html
    html = render_to_string(
        "proposals/_actions_handling.html",
        {"proposal": p, "actions": allowed_actions(world.member, p)},
        request=request,
    )
    assert "<form" not in html
    assert m.Proposal.objects.filter(pk=p.pk).exists()


def test_todos_for_the_office_units_supervisors_and_leaders(world, clock):
    from yizheng.proposals import todos_i

    filed(world)
    p = handling(world)
    services.proposal_set_key(actor=world.staff, proposal=p, is_key=True, supervising_leaders=[world.leader])
    office = {str(t.title): t.count for t in todos_i.proposal_office_todos(world.staff)}
    assert office["待交办的提案"] == 1
    unit = {str(t.title): t.count for t in todos_i.unit_todos(world.lead_liaison)}
    assert unit["新交办的提案"] == 1
    assert todos_i.unit_todos(world.staff) == []
    assert todos_i.supervision_todos(world.member) == []
    clock.advance(120)
    assert todos_i.leader_todos(world.leader)[0].count == 1
    assert todos_i.leader_todos(world.member) == []
