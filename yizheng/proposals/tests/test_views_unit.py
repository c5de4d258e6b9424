"""The unit's screens: inbox, assignment workspace and its actions (adjustment, contact, co opinion, extension,
reply with commitments, countersign). Right unit OK; another unit or council 404; wrong role 403; wrong state,
stale form and double submit 409; bad input 400 — and nothing written whenever refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from yizheng.proposals import models as m
from yizheng.proposals import services

from .conftest import assignment, db_state, drafted_reply, handling, refresh

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    return client


def post_refused(client, url, data, status):
    before = db_state()
    response = client.post(url, data)
    assert response.status_code == status, response.content.decode()[:2000]
    assert db_state() == before
    return response


# --- inbox --------------------------------------------------------------------------------------------------


def test_inbox_shows_the_units_buckets_with_counts(client, world, clock):
    p = handling(world)
    c = client_for(client, world.lead_liaison)
    response = c.get(reverse("unit_inbox"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "新交办" in body
    assert "已超期" in body
    assert "重新办理" in body
    assert p.title in body
    assert reverse("assignment_workspace", args=[assignment(p, world.lead_unit).pk]) in body
    # past the deadline the assignment moves to the overdue bucket, with the red badge and its days
    clock.advance(100)
    response = c.get(reverse("unit_inbox") + "?bucket=overdue")
    assert "已超期" in response.content.decode()
    assert 'data-testid="overdue"' in response.content.decode()


def test_inbox_is_for_unit_roles(client, world):
    handling(world)
    assert client_for(client, world.staff).get(reverse("unit_inbox")).status_code == 403
    assert client_for(client, world.member).get(reverse("unit_inbox")).status_code == 403


INBOX_QUERIES = 11


def test_inbox_has_no_n_plus_one(client, world, django_assert_num_queries, django_assert_max_num_queries):
    """One light query buckets every open assignment of the unit; the rows of the page shown are read in one
    more: the same queries for 3 rows as for 60, in any bucket (one fewer where the session is in Redis)."""
    for _ in range(3):
        handling(world)
    c = client_for(client, world.lead_liaison)
    c.get(reverse("unit_inbox"))
    with django_assert_max_num_queries(INBOX_QUERIES) as few:
        first = c.get(reverse("unit_inbox") + "?bucket=new")
    n = len(few.captured_queries)
    for _ in range(57):
        handling(world)
    with django_assert_num_queries(n):
        second = c.get(reverse("unit_inbox") + "?bucket=new")
    with django_assert_num_queries(n):
        third = c.get(reverse("unit_inbox") + "?bucket=new&page=2")
    assert first.content.decode().count("<tr>") < second.content.decode().count("<tr>")
    assert third.content.decode().count("<tr>") == 1 + 10  # 60 new: 50 on the first page


# --- workspace ----------------------------------------------------------------------------------------------


def test_workspace_for_own_unit_404_for_other_units_and_councils(client, world):
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    url = reverse("assignment_workspace", args=[lead.pk])
    response = client_for(client, world.lead_liaison).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "主办" in body
    assert "申请调整" in body
    assert "记录沟通" in body
    assert "办理结果分类" in body
    assert client_for(client, world.stranger_liaison).get(url).status_code == 404
    assert client_for(client, world.co_liaison).get(url).status_code == 404  # the co unit's own part only
    assert client_for(client, world.other_liaison).get(url).status_code == 404
    assert client_for(client, world.other_staff).get(url).status_code == 404
    assert client_for(client, world.member).get(url).status_code == 403  # submitter: not the unit's drafts
    assert client_for(client, world.staff).get(url).status_code == 200


def test_workspace_shows_provisional_deadlines_with_the_tooltip(client, world, clock):
    clock.set(dt.date(2026, 11, 2))  # the deadline falls in 2027, whose holidays are not published yet
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    assert lead.deadline_provisional
    body = client_for(client, world.lead_liaison).get(reverse("assignment_workspace", args=[lead.pk]))
    assert "(暂定)" in body.content.decode()
    assert "该年度法定节假日安排尚未公布" in body.content.decode()


# --- adjustment ---------------------------------------------------------------------------------------------


def test_adjustment_within_the_window_then_double_submit(client, world):
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    url = reverse("assignment_request_adjustment", args=[lead.pk])
    c = client_for(client, world.lead_liaison)
    response = c.post(url, {"reason": "不属于本单位职责", "suggested_unit": "市卫健委"})
    assert response.status_code == 302
    assert m.AdjustmentRequest.objects.filter(assignment=lead, status="pending").count() == 1
    response = post_refused(c, url, {"reason": "不属于本单位职责"}, 409)
    assert "已有待审批的调整申请" in response.content.decode()


def test_adjustment_after_the_window_is_refused(client, world, clock):
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    clock.advance(30)
    c = client_for(client, world.lead_liaison)
    response = post_refused(
        c, reverse("assignment_request_adjustment", args=[lead.pk]), {"reason": "不属于本单位"}, 400
    )
    assert "申请调整的期限" in response.content.decode()


def test_adjustment_needs_a_reason_and_the_own_unit(client, world):
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    url = reverse("assignment_request_adjustment", args=[lead.pk])
    post_refused(client_for(client, world.lead_liaison), url, {"reason": ""}, 400)
    post_refused(client_for(client, world.stranger_liaison), url, {"reason": "x"}, 404)
    post_refused(client_for(client, world.staff), url, {"reason": "x"}, 403)


# --- contact, co opinion, extension -------------------------------------------------------------------------


def test_record_contact_bad_input_stale_and_double_submit(client, world, clock):
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    url = reverse("assignment_record_contact", args=[lead.pk])
    c = client_for(client, world.lead_liaison)
    data = {
        "version": p.version,
        "date": clock.today.isoformat(),
        "method": "visit",
        "people": "王处长",
        "summary": "上门走访提案人,听取意见",
        "members_met": [str(world.member_a.pk)],
    }
    post_refused(c, url, {**data, "date": (clock.today + dt.timedelta(days=3)).isoformat()}, 400)
    post_refused(c, url, {**data, "summary": ""}, 400)
    assert c.post(url, data).status_code == 302
    contact = m.ContactRecord.objects.get(assignment=lead)
    assert list(contact.members_met.all()) == [world.member_a]
    response = post_refused(c, url, data, 409)  # the same form again: the proposal moved on
    assert "已被他人修改" in response.content.decode()


def test_co_opinion_by_the_co_unit_only(client, world):
    p = handling(world)
    co = assignment(p, world.co_unit)
    lead = assignment(p, world.lead_unit)
    c = client_for(client, world.co_liaison)
    response = c.get(reverse("assignment_workspace", args=[co.pk]))
    assert "协办意见期限" in response.content.decode()
    assert (
        c.post(
            reverse("assignment_co_opinion", args=[co.pk]), {"version": p.version, "opinion": "同意主办意见"}
        ).status_code
        == 302
    )
    assert refresh(co).opinion == "<p>同意主办意见</p>"
    post_refused(
        client_for(client, world.lead_liaison),
        reverse("assignment_co_opinion", args=[lead.pk]),
        {"version": refresh(p).version, "opinion": "x"},
        403,
    )


def test_extension_request_up_to_the_hard_maximum(client, world):
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    url = reverse("assignment_request_extension", args=[lead.pk])
    c = client_for(client, world.lead_liaison)
    too_late = (lead.deadline + dt.timedelta(days=200)).isoformat()
    response = post_refused(c, url, {"reason": "涉及多个部门", "requested_deadline": too_late}, 400)
    assert "最长办理期限" in response.content.decode()
    ok = (lead.deadline + dt.timedelta(days=20)).isoformat()
    assert c.post(url, {"reason": "涉及多个部门", "requested_deadline": ok}).status_code == 302
    post_refused(c, url, {"reason": "再次申请", "requested_deadline": ok}, 409)
    co = assignment(p, world.co_unit)
    post_refused(
        client_for(client, world.co_liaison),
        reverse("assignment_request_extension", args=[co.pk]),
        {"reason": "x", "requested_deadline": ok},
        403,
    )


# --- reply editor, countersign ------------------------------------------------------------------------------


def reply_data(p, **kw):
    data = {"version": refresh(p).version, "result": "B", "body": "经研究,答复如下。\n一、……"}
    data.update(kw)
    return data


def test_b_reply_needs_commitments_and_nothing_is_saved_when_refused(client, world):
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    url = reverse("assignment_reply", args=[lead.pk])
    c = client_for(client, world.lead_liaison)
    response = post_refused(c, url, {**reply_data(p), "submit": "1"}, 400)
    assert "承诺事项" in response.content.decode()
    response = post_refused(
        c, url, {**reply_data(p), "commitment_text_0": "新增托位", "commitment_due_0": "", "submit": "1"}, 400
    )
    assert "完成时限" in response.content.decode()


def test_add_row_writes_nothing(client, world):
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    c = client_for(client, world.lead_liaison)
    before = db_state()
    response = c.post(
        reverse("assignment_reply", args=[lead.pk]),
        {**reply_data(p), "commitment_text_0": "a", "commitment_due_0": "2026-06-30", "add_row": "1"},
    )
    assert response.status_code == 200
    assert 'name="commitment_text_1"' in response.content.decode()
    assert db_state() == before


def test_draft_then_submit_b_reply_for_countersigning(client, world):
    p = handling(world)
    lead = assignment(p, world.lead_unit)
    url = reverse("assignment_reply", args=[lead.pk])
    c = client_for(client, world.lead_liaison)
    rows = {
        "commitment_text_0": "年底前新增托位2000个",
        "commitment_due_0": "2026-12-31",
        "commitment_text_1": "出台托育补贴办法",
        "commitment_due_1": "2026-06-30",
        "commitment_text_2": "删去的一行",
        "commitment_due_2": "2026-03-01",
        "commitment_remove_2": "on",
    }
    old_version = refresh(p).version
    assert c.post(url, {**reply_data(p), **rows, "save": "1"}).status_code == 302
    reply = m.Reply.objects.get(assignment=lead)
    assert reply.status == "draft"
    assert reply.body.startswith("<p>经研究")
    assert [x["text"] for x in reply.commitments] == ["年底前新增托位2000个", "出台托育补贴办法"]
    # stale form (the draft bumped the version)
    post_refused(c, url, {**reply_data(p), **rows, "version": old_version, "submit": "1"}, 409)
    assert c.post(url, {**reply_data(p), **rows, "submit": "1"}).status_code == 302
    assert refresh(reply).status == "countersigning"
    # the editor is closed now: a second submit is refused by state
    post_refused(c, url, {**reply_data(p), **rows, "submit": "1"}, 409)
    page = c.get(reverse("assignment_workspace", args=[lead.pk])).content.decode()
    assert "会签中" in page
    assert "市财政局" in page
    assert "待会签" in page
    # the co unit may not write the reply
    co = assignment(p, world.co_unit)
    post_refused(
        client_for(client, world.co_liaison), reverse("assignment_reply", args=[co.pk]), reply_data(p), 403
    )


def test_co_unit_countersigns_or_returns_with_comment(client, world):
    p = handling(world)
    reply = services.proposal_submit_reply(
        actor=world.lead_liaison, reply=drafted_reply(world, p, result="B")
    )
    cs = reply.countersignatures.get()
    co = assignment(p, world.co_unit)
    c = client_for(client, world.co_liaison)
    page = c.get(reverse("assignment_workspace", args=[co.pk])).content.decode()
    assert "主办单位答复(会签)" in page
    assert "年底前新增托位2000个" in page
    url = reverse("countersign", args=[cs.pk])
    response = post_refused(c, url, {"decision": "return", "comment": ""}, 400)
    assert "退回时请写明意见" in response.content.decode()
    post_refused(client_for(client, world.lead_liaison), url, {"decision": "sign"}, 403)
    post_refused(client_for(client, world.other_liaison), url, {"decision": "sign"}, 404)
    c = client_for(client, world.co_liaison)
    assert c.post(url, {"decision": "sign", "comment": ""}).status_code == 302
    assert refresh(reply).status == "under_review"
    post_refused(c, url, {"decision": "sign"}, 409)  # double submit
