"""重启办理: a closed C-class proposal handled again in a later year — the service, the staff's handling page, the
API action and the year summary. Allowed for proposal staff only, only for class C, only in a later calendar
year, with a reason; refused with nothing written otherwise."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from yizheng.audit.models import Event
from yizheng.core.errors import ApplicationError, ConflictError, TransitionNotAllowed
from yizheng.proposals import models as m
from yizheng.proposals import selectors as sel
from yizheng.proposals import services as s

from .conftest import (
    approved_reply,
    closed,
    db_state,
    evaluation_of,
    handling,
    refresh,
    refused,
)

pytestmark = pytest.mark.django_db

NEXT_YEAR = dt.date(2026, 3, 2)  # the fixture's clock answers in September 2025
REASON = "城市更新项目已立项,条件具备"


def reopen(world, p, **kw):
    kw.setdefault("reason", REASON)
    return s.proposal_reopen(actor=world.staff, proposal=p, **kw)


# --- the service --------------------------------------------------------------------------------------------


def test_reopened_proposal_is_filed_again_and_runs_the_whole_loop_once_more(world, clock):
    p = closed(world, kind="joint")
    old_reply = m.Reply.objects.get(proposal=p)
    old_evaluations = set(p.evaluations.values_list("pk", "status"))
    clock.set(NEXT_YEAR)
    p = reopen(world, p, expected_version=p.version)
    assert (p.state, p.round, p.closed_at, p.replied_at) == ("filed", 1, None, None)
    assert p.case_number is not None  # keeps its case number
    assert not p.assignments.filter(active=True).exists()
    assert set(p.assignments.values_list("deactivated_at", flat=True)) == {clock.now}
    event = Event.objects.filter(action="proposal.reopen").get()
    assert (event.from_state, event.to_state, event.actor) == ("closed", "filed", world.staff)
    assert event.payload["reason"] == REASON
    assert [r["result"] for r in event.payload["replies"]] == ["C"]
    assert event.payload["previous"]["round"] == 1
    # assigned again (the same unit may take it again), answered, rated and closed
    p = s.proposal_assign(actor=world.staff, proposal=p, lead_unit=world.lead_unit)
    assert p.state == "handling"
    new_reply = approved_reply(world, p, result="A")
    assert new_reply.pk != old_reply.pk
    p = refresh(p)
    assert p.state == "replied"
    assert set(p.evaluations.filter(reply=new_reply).values_list("member__name", flat=True)) == {
        "张委员",
        "李委员",
    }
    refused(lambda: s.proposal_close(actor=world.staff, proposal=p), TransitionNotAllowed, match="尚未评价")
    for e in p.evaluations.filter(reply=new_reply):
        s.proposal_evaluate(actor=world.staff, evaluation=e, work_rating="satisfied", result_rating="satisfied",
                            on_paper=True)  # fmt: skip
    p = s.proposal_close(actor=world.staff, proposal=refresh(p))
    assert p.state == "closed"
    # the earlier answer and its ratings stay in the record
    assert refresh(old_reply).status == "approved"
    assert old_evaluations <= set(p.evaluations.values_list("pk", "status"))
    # and the timeline shows the reopening between the two closings
    actions = [e.action for e in sel.proposal_timeline(world.staff, p)]
    assert actions.index("proposal.close") < actions.index("proposal.reopen")  # newest first
    assert actions.count("proposal.close") == 2


def test_a_reopened_proposal_that_was_rehandled_may_be_rehandled_once_more(world, clock):
    p = handling(world, co=False)
    approved_reply(world, p, result="C")
    s.proposal_evaluate(actor=world.member, evaluation=evaluation_of(p, world.member_a), work_rating="dissatisfied",
                        result_rating="dissatisfied")  # fmt: skip
    p = s.proposal_rehandle(actor=world.staff, proposal=refresh(p))
    approved_reply(world, p, result="C")
    s.proposal_evaluate(actor=world.member, evaluation=evaluation_of(p, world.member_a), work_rating="dissatisfied",
                        result_rating="dissatisfied")  # fmt: skip
    p = s.proposal_close(actor=world.staff, proposal=refresh(p))
    assert p.round == 2
    clock.set(NEXT_YEAR)
    p = reopen(world, p)
    assert p.round == 1
    p = s.proposal_assign(actor=world.staff, proposal=p, lead_unit=world.co_unit)
    approved_reply(world, p, result="B", unit=world.co_unit, actor=world.co_liaison)
    # the old first-round dissatisfied rating neither blocks closing nor counts for rehandling
    e = m.Evaluation.objects.get(proposal=p, member=world.member_a, reply__assignment__active=True)
    s.proposal_evaluate(
        actor=world.member, evaluation=e, work_rating="dissatisfied", result_rating="satisfied"
    )
    refused(
        lambda: s.proposal_close(actor=world.staff, proposal=refresh(p)),
        TransitionNotAllowed,
        match="重新办理",
    )
    assert s.proposal_rehandle(actor=world.staff, proposal=refresh(p)).round == 2


@pytest.mark.parametrize(
    "who", ["member", "lead_liaison", "co_liaison", "supervisor", "general_staff", "leader"]
)
def test_reopen_refused_for_other_roles(world, clock, who):
    p = closed(world)
    clock.set(NEXT_YEAR)
    refused(lambda: s.proposal_reopen(actor=getattr(world, who), proposal=p, reason=REASON), PermissionDenied)


def test_reopen_refused_for_staff_of_another_council(world, clock, client):
    p = closed(world)
    clock.set(NEXT_YEAR)
    refused(lambda: s.proposal_reopen(actor=world.other_staff, proposal=p, reason=REASON), PermissionDenied)
    client.force_login(world.other_staff)
    before = db_state()
    assert client.post(reverse("proposal_reopen", args=[p.pk]), {"reason": REASON}).status_code == 404
    assert db_state() == before


@pytest.mark.parametrize("result", ["A", "B"])
def test_reopen_refused_after_an_a_or_b_answer(world, clock, result):
    p = closed(world, result=result)
    clock.set(NEXT_YEAR)
    refused(lambda: reopen(world, p), TransitionNotAllowed, match="C类")


def test_reopen_refused_when_one_of_the_final_answers_is_not_c(world, clock):
    p = handling(world, co=False, separate=True)
    approved_reply(world, p, result="C")
    approved_reply(world, p, result="A", unit=world.separate_unit, actor=world.separate_liaison)
    for e in refresh(p).evaluations.all():
        s.proposal_evaluate(
            actor=world.member, evaluation=e, work_rating="satisfied", result_rating="satisfied"
        )
    p = s.proposal_close(actor=world.staff, proposal=refresh(p))
    clock.set(NEXT_YEAR)
    refused(lambda: reopen(world, p), TransitionNotAllowed, match="C类")


def test_reopen_refused_for_an_open_proposal(world, clock):
    p = handling(world)
    clock.set(NEXT_YEAR)
    refused(lambda: reopen(world, p), TransitionNotAllowed, match="不能执行")


def test_reopen_refused_in_the_year_of_the_answer(world, clock):
    p = closed(world)
    clock.set(dt.date(2025, 12, 31))
    refused(lambda: reopen(world, p), TransitionNotAllowed, match="以后年度")


def test_reopen_refused_without_a_reason(world, clock):
    p = closed(world)
    clock.set(NEXT_YEAR)
    refused(lambda: reopen(world, p, reason="  "), ApplicationError, match="理由")


def test_reopen_refused_for_a_stale_version_and_a_double_submit(world, clock):
    p = closed(world)
    clock.set(NEXT_YEAR)
    refused(lambda: reopen(world, p, expected_version=p.version - 1), ConflictError)
    version = p.version
    reopen(world, p, expected_version=version)
    refused(lambda: reopen(world, p, expected_version=version), ConflictError)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reopenings_at_once_reopen_once(world, clock):
    """A double click on PostgreSQL: one request reopens, the other is refused; one event, assignments ended once."""
    from django.db import connection

    from .test_concurrency import _run_parallel

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (run with DATABASE_URL=postgres://…)")
    p = closed(world)
    clock.set(NEXT_YEAR)
    errors = _run_parallel(lambda _: reopen(world, p, expected_version=p.version), [1, 2])
    assert len(errors) == 1
    assert isinstance(errors[0], ConflictError)
    assert Event.objects.filter(action="proposal.reopen").count() == 1
    assert refresh(p).state == "filed"


def test_year_summary_counts_a_reopened_proposal_once_in_its_own_year(world, clock):
    p = closed(world)
    before = sel.proposal_year_summary(world.staff, world.council, 2025)["total"]
    assert (before["received"], before["closed"], before["replies"], before["class_C"]) == (1, 1, 1, 1)
    clock.set(NEXT_YEAR)
    p = reopen(world, p)
    total = sel.proposal_year_summary(world.staff, world.council, 2025)["total"]
    assert (total["received"], total["handled"], total["replied"], total["closed"]) == (1, 1, 0, 0)
    assert (total["replies"], total["class_C"], total["evaluations"]) == (0, 0, 0)
    assert sel.proposal_year_summary(world.staff, world.council, 2026)["total"]["received"] == 0
    s.proposal_assign(actor=world.staff, proposal=p, lead_unit=world.lead_unit)
    approved_reply(world, refresh(p), result="A")
    total = sel.proposal_year_summary(world.staff, world.council, 2025)["total"]
    assert (total["replied"], total["replies"], total["class_A"], total["class_C"]) == (1, 1, 1, 0)
    assert total["evaluations"] == 1


# --- the staff's handling page ------------------------------------------------------------------------------


def test_handling_page_reopens_a_c_class_proposal(client, world, clock):
    p = closed(world)
    client.force_login(world.staff)
    url = reverse("proposal_handling", args=[p.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="reopen-blocker"' in page
    assert "以后年度" in page
    assert reverse("proposal_reopen", args=[p.pk]) not in page
    clock.set(NEXT_YEAR)
    page = client.get(url).content.decode()
    assert reverse("proposal_reopen", args=[p.pk]) in page
    reopen_url = reverse("proposal_reopen", args=[p.pk])
    before = db_state()
    response = client.post(reopen_url, {"version": p.version, "reason": ""})
    assert response.status_code == 400
    assert "请写明重启办理的理由" in response.content.decode()
    assert db_state() == before
    assert client.post(reopen_url, {"version": p.version - 1, "reason": REASON}).status_code == 409
    assert db_state() == before
    client.force_login(world.member)
    assert client.post(reopen_url, {"version": p.version, "reason": REASON}).status_code == 403
    client.force_login(world.staff)
    response = client.post(reopen_url, {"version": p.version, "reason": REASON})
    assert response.status_code == 302
    assert refresh(p).state == "filed"
    page = client.get(url).content.decode()
    assert "已结束(重启办理前)" in page
    assert reverse("proposal_assign_one", args=[p.pk]) in page  # ready to be assigned again
    assert (
        client.post(reopen_url, {"version": p.version, "reason": REASON}).status_code == 409
    )  # double submit
    detail = client.get(reverse("proposal_detail", args=[p.pk])).content.decode()
    assert "重启办理" in detail
    assert REASON in detail


def test_handling_page_offers_no_reopening_after_an_a_answer(client, world, clock):
    p = closed(world, result="A")
    clock.set(NEXT_YEAR)
    client.force_login(world.staff)
    page = client.get(reverse("proposal_handling", args=[p.pk])).content.decode()
    assert 'data-testid="reopen"' not in page


# --- the API ------------------------------------------------------------------------------------------------


def api(user, p, body):
    c = Client()
    c.force_login(user)
    return c.post(f"/api/v1/proposals/{p.pk}/actions/reopen", body, content_type="application/json")


def test_api_reopen(world, clock):
    p = closed(world)
    clock.set(NEXT_YEAR)
    before = db_state()
    for user, body, status in [
        (world.member, {"expected_version": p.version, "reason": REASON}, 403),
        (world.supervisor, {"expected_version": p.version, "reason": REASON}, 403),
        (world.lead_liaison, {"expected_version": p.version, "reason": REASON}, 403),
        (world.other_staff, {"expected_version": p.version, "reason": REASON}, 404),
        (world.staff, {"expected_version": p.version, "reason": ""}, 400),
        (world.staff, {"expected_version": p.version - 1, "reason": REASON}, 409),
        (world.staff, {"reason": REASON}, 400),
    ]:
        response = api(user, p, body)
        assert response.status_code == status, (user, body, response.content)
        rows = db_state()
        rows["Event"] = [e for e in rows["Event"] if not e["action"].startswith("auth.")]
        assert rows == {
            **before,
            "Event": [e for e in before["Event"] if not e["action"].startswith("auth.")],
        }
    response = api(world.staff, p, {"expected_version": p.version, "reason": REASON})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "filed"
    assert api(world.staff, p, {"expected_version": p.version, "reason": REASON}).status_code == 409
