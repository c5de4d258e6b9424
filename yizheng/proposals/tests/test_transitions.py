"""Every transition, through its service: allowed for the right actor in the right state; refused — with a clear
error and nothing written — for a wrong role, a wrong unit, another council, a wrong state, a second identical
call, and a stale expected_version.

Each case names how to reach an object on which the transition may fire, how to call the service, who may call
it, and who may not. The detailed behaviour of each service is tested in test_services.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from yizheng.audit.models import Event
from yizheng.core.errors import ApplicationError, ConflictError, TransitionNotAllowed
from yizheng.proposals import models as m
from yizheng.proposals import services as s
from yizheng.proposals.models import DEFAULT_DECLINE_REASONS

from .conftest import (
    approved_reply,
    assignment,
    draft,
    drafted_reply,
    evaluation_of,
    excellent,
    filed,
    handling,
    joint_draft,
    refresh,
    refused,
    replied,
    submitted,
)

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    setup: Callable[[Any], Any]  # world → the object the transition acts on, in a state that allows it
    call: Callable[[Any, Any, Any, dict], Any]  # (world, object, actor, extra kwargs) → result
    actor: str  # world attribute of the user who may fire it
    action: str  # the event action it records
    wrong_roles: list[str]  # users of the same council whose role (or relation) may not fire it
    other_council: str  # a user of another council
    wrong_state: Callable[[Any], Any] | None  # world → an object in a state that refuses it
    double: type[Exception] | None = TransitionNotAllowed  # what a second identical call raises
    wrong_unit: list[str] = field(default_factory=list)  # unit users whose unit may not fire it
    versioned: bool = False  # accepts expected_version


def _proposal_of(obj) -> m.Proposal:
    if isinstance(obj, m.Proposal):
        return obj
    if isinstance(obj, tuple):
        return obj[0]
    if isinstance(obj, m.Countersignature):
        return obj.reply.proposal
    if isinstance(obj, m.AdjustmentRequest | m.ExtensionRequest):
        return obj.assignment.proposal
    return obj.proposal


# --- set-ups --------------------------------------------------------------------------------------------------


def two_submitted(w):
    return submitted(w), s.proposal_submit(actor=w.member, proposal=draft(w, title="关于托育人才培养的提案"))


def merge_wrong_state(w):
    primary = draft(w)
    other = submitted(w)
    return primary, other


def adjustment(w, unit_attr="lead_unit", liaison="lead_liaison"):
    p = handling(w)
    return s.proposal_request_adjustment(
        actor=getattr(w, liaison), assignment=assignment(p, getattr(w, unit_attr)), reason="不属于本单位职责"
    )


def adjustment_after_reply(w):
    request = adjustment(w, "co_unit", "co_liaison")
    approved_reply(w, request.assignment.proposal)
    return refresh(request)


def extension(w):
    p = handling(w)
    a = assignment(p, w.lead_unit)
    return s.proposal_request_extension(
        actor=w.lead_liaison,
        assignment=a,
        reason="涉及多部门,需协调",
        requested_deadline=a.deadline + dt.timedelta(30),
    )


def extension_after_reply(w):
    request = extension(w)
    approved_reply(w, request.assignment.proposal)
    return refresh(request)


def lead_assignment(w):
    return assignment(handling(w), w.lead_unit)


def co_assignment(w):
    return assignment(handling(w), w.co_unit)


def replied_lead_assignment(w):
    return assignment(replied(w), w.lead_unit)


def replied_co_assignment(w):
    return assignment(replied(w), w.co_unit)


def submitted_reply(w):
    p = handling(w)
    return s.proposal_submit_reply(actor=w.lead_liaison, reply=drafted_reply(w, p))


def countersignature(w):
    return submitted_reply(w).countersignatures.get()


def countersignature_of_returned_reply(w):
    p = s.proposal_assign(actor=w.staff, proposal=filed(w), lead_unit=w.lead_unit,
                          co_units=[w.co_unit, w.separate_unit])  # fmt: skip
    reply = s.proposal_submit_reply(actor=w.lead_liaison, reply=drafted_reply(w, p))
    first = reply.countersignatures.get(assignment__unit=w.separate_unit)
    s.proposal_countersign(actor=w.separate_liaison, countersignature=first, sign=False, comment="数据有误")
    return reply.countersignatures.get(assignment__unit=w.co_unit)


def reply_under_review(w):
    p = handling(w, co=False)
    return s.proposal_submit_reply(actor=w.lead_liaison, reply=drafted_reply(w, p))


def reply_in_draft(w):
    return drafted_reply(w, handling(w, co=False))


def joint_replied(w):
    p = joint_draft(w)
    s.proposal_submit(actor=w.member, proposal=p)
    s.proposal_file(actor=w.staff, proposal=p)
    s.proposal_assign(actor=w.staff, proposal=p, lead_unit=w.lead_unit)
    approved_reply(w, p)
    return refresh(p)


def evaluation(w):
    return evaluation_of(replied(w), w.member_a)


def evaluation_after_rehandle(w):
    p = joint_replied(w)
    s.proposal_evaluate(actor=w.member_b_user, evaluation=evaluation_of(p, w.member_b), work_rating="dissatisfied",
                        result_rating="dissatisfied")  # fmt: skip
    stale = evaluation_of(p, w.member_a)  # still pending when the proposal goes to rehandling
    s.proposal_rehandle(actor=w.staff, proposal=p)
    return refresh(stale)


def dissatisfied(w):
    p = replied(w)
    s.proposal_evaluate(actor=w.member, evaluation=evaluation_of(p, w.member_a), work_rating="satisfied",
                        result_rating="dissatisfied")  # fmt: skip
    return refresh(p)


def all_rated(w):
    p = replied(w)
    s.proposal_evaluate(actor=w.member, evaluation=evaluation_of(p, w.member_a), work_rating="satisfied",
                        result_rating="basically_satisfied")  # fmt: skip
    return refresh(p)


def joint_without_invitations(w):
    return draft(w, kind="joint")


def submitted_joint(w):
    return s.proposal_submit(actor=w.member, proposal=joint_draft(w))


def invitation(w):
    p = draft(w, kind="joint")
    return s.proposal_cosign_invite(actor=w.member, proposal=p, members=[w.member_b])[0]


def invitation_on_filed(w):
    p = draft(w, kind="joint")
    s.proposal_cosign_invite(actor=w.member, proposal=p, members=[w.member_b, w.member_c])
    s.cosignature_accept(actor=w.member_c_user, cosignature=p.cosignatures.get(member=w.member_c))
    s.proposal_submit(actor=w.member, proposal=p)
    s.proposal_file(actor=w.staff, proposal=p)
    return p.cosignatures.get(member=w.member_b)  # still invited


def invitation_of_c_on_submitted(w):
    p = joint_draft(w)
    s.proposal_submit(actor=w.member, proposal=p)
    return p.cosignatures.get(member=w.member_c)


def declined_to_opinion(w, consent=None):
    return s.proposal_decline(actor=w.staff, proposal=submitted(w), reason=DEFAULT_DECLINE_REASONS[4],
                              disposition="to_opinion_report", conversion_consent=consent)  # fmt: skip


# --- the cases ------------------------------------------------------------------------------------------------

MEMBERS = ["member_b_user", "agent"]
UNITS = ["lead_liaison"]
READERS = ["general_staff", "supervisor", "leader"]

CASES: dict[str, Case] = {
    "edit": Case(
        setup=draft,
        call=lambda w, o, a, kw: s.proposal_update(actor=a, proposal=o, data={"title": "关于发展托育服务的提案"}, **kw),
        actor="member", action="proposal.update",
        wrong_roles=["staff", *MEMBERS, *UNITS, *READERS], other_council="other_member",
        wrong_state=submitted, double=None, versioned=True,
    ),
    "cosign_invite": Case(
        setup=joint_without_invitations,
        call=lambda w, o, a, kw: s.proposal_cosign_invite(actor=a, proposal=o, members=[w.member_b]),
        actor="member", action="proposal.cosign_invite",
        wrong_roles=["staff", *MEMBERS, *UNITS], other_council="other_member",
        wrong_state=submitted_joint, double=ApplicationError,
    ),
    "cosign_accept": Case(
        setup=invitation,
        call=lambda w, o, a, kw: s.cosignature_accept(actor=a, cosignature=o),
        actor="member_b_user", action="proposal.cosign_accept",
        wrong_roles=["member", "member_c_user", "staff", *UNITS], other_council="other_member",
        wrong_state=invitation_on_filed,
    ),
    "cosign_decline": Case(
        setup=invitation,
        call=lambda w, o, a, kw: s.cosignature_decline(actor=a, cosignature=o),
        actor="member_b_user", action="proposal.cosign_decline",
        wrong_roles=["member", "member_c_user", "staff"], other_council="other_member",
        wrong_state=invitation_on_filed,
    ),
    "cosign_withdraw": Case(
        setup=invitation,
        call=lambda w, o, a, kw: s.cosignature_withdraw(actor=a, cosignature=o),
        actor="member", action="proposal.cosign_withdraw",
        wrong_roles=["member_b_user", "staff", *UNITS], other_council="other_member",
        wrong_state=invitation_of_c_on_submitted,
    ),
    "submit": Case(
        setup=draft,
        call=lambda w, o, a, kw: s.proposal_submit(actor=a, proposal=o, **kw),
        actor="member", action="proposal.submit",
        wrong_roles=["staff", *MEMBERS, *UNITS, *READERS], other_council="other_member",
        wrong_state=submitted, versioned=True,
    ),
    "withdraw": Case(
        setup=submitted,
        call=lambda w, o, a, kw: s.proposal_withdraw(actor=a, proposal=o, **kw),
        actor="member", action="proposal.withdraw",
        wrong_roles=["staff", *MEMBERS, *UNITS], other_council="other_member",
        wrong_state=filed, versioned=True,
    ),
    "return_for_revision": Case(
        setup=submitted,
        call=lambda w, o, a, kw: s.proposal_return_for_revision(actor=a, proposal=o, comments="请补充数据", **kw),
        actor="staff", action="proposal.return_for_revision",
        wrong_roles=["member", *UNITS, *READERS], other_council="other_staff",
        wrong_state=filed, versioned=True,
    ),
    "decline": Case(
        setup=submitted,
        call=lambda w, o, a, kw: s.proposal_decline(actor=a, proposal=o, reason=DEFAULT_DECLINE_REASONS[6],
                                                    disposition="archive", **kw),
        actor="staff", action="proposal.decline",
        wrong_roles=["member", *UNITS, *READERS], other_council="other_staff",
        wrong_state=filed, versioned=True,
    ),
    "merge": Case(
        setup=two_submitted,
        call=lambda w, o, a, kw: s.proposal_merge(actor=a, proposal=o[0], merged=[o[1]], **kw),
        actor="staff", action="proposal.merge_primary",
        wrong_roles=["member", *UNITS, *READERS], other_council="other_staff",
        wrong_state=merge_wrong_state, versioned=True,
    ),
    "file": Case(
        setup=submitted,
        call=lambda w, o, a, kw: s.proposal_file(actor=a, proposal=o, **kw),
        actor="staff", action="proposal.file",
        wrong_roles=["member", *UNITS, *READERS], other_council="other_staff",
        wrong_state=draft, versioned=True,
    ),
    "assign": Case(
        setup=filed,
        call=lambda w, o, a, kw: s.proposal_assign(actor=a, proposal=o, lead_unit=w.lead_unit, co_units=[w.co_unit],
                                                   **kw),
        actor="staff", action="proposal.assign",
        wrong_roles=["member", *UNITS, *READERS], other_council="other_staff",
        wrong_state=submitted, double=ApplicationError, versioned=True,
    ),
    "set_key": Case(
        setup=filed,
        call=lambda w, o, a, kw: s.proposal_set_key(actor=a, proposal=o, is_key=True, supervising_leaders=[w.leader],
                                                    **kw),
        actor="staff", action="proposal.set_key",
        wrong_roles=["member", *UNITS, *READERS], other_council="other_staff",
        wrong_state=submitted, double=None, versioned=True,
    ),
    "request_adjustment": Case(
        setup=lead_assignment,
        call=lambda w, o, a, kw: s.proposal_request_adjustment(actor=a, assignment=o, reason="不属于本单位职责"),
        actor="lead_liaison", action="proposal.request_adjustment",
        wrong_roles=["staff", "member", "supervisor"], other_council="other_liaison",
        wrong_state=replied_lead_assignment, double=ConflictError,
        wrong_unit=["co_liaison", "stranger_liaison"],
    ),
    "decide_adjustment": Case(
        setup=adjustment,
        call=lambda w, o, a, kw: s.proposal_decide_adjustment(actor=a, request=o, grant=True, note="同意"),
        actor="staff", action="proposal.decide_adjustment",
        wrong_roles=["lead_liaison", "member", *READERS], other_council="other_staff",
        wrong_state=adjustment_after_reply,
    ),
    "record_contact": Case(
        setup=lead_assignment,
        call=lambda w, o, a, kw: s.proposal_record_contact(actor=a, assignment=o, date=dt.date(2025, 9, 1),
                                                           method="visit", summary="走访提案人",
                                                           members_met=[w.member_a]),
        actor="lead_liaison", action="proposal.record_contact",
        wrong_roles=["staff", "member", "supervisor"], other_council="other_liaison",
        wrong_state=replied_lead_assignment, double=None,
        wrong_unit=["co_liaison", "stranger_liaison"],
    ),
    "give_co_opinion": Case(
        setup=co_assignment,
        call=lambda w, o, a, kw: s.proposal_give_co_opinion(actor=a, assignment=o, opinion="同意主办单位意见"),
        actor="co_liaison", action="proposal.give_co_opinion",
        wrong_roles=["staff", "member", "supervisor"], other_council="other_liaison",
        wrong_state=replied_co_assignment, double=None,
        wrong_unit=["lead_liaison", "stranger_liaison"],
    ),
    "request_extension": Case(
        setup=lead_assignment,
        call=lambda w, o, a, kw: s.proposal_request_extension(actor=a, assignment=o, reason="需协调",
                                                              requested_deadline=o.deadline + dt.timedelta(30)),
        actor="lead_liaison", action="proposal.request_extension",
        wrong_roles=["staff", "member", "supervisor"], other_council="other_liaison",
        wrong_state=replied_lead_assignment, double=ConflictError,
        wrong_unit=["co_liaison", "stranger_liaison"],
    ),
    "decide_extension": Case(
        setup=extension,
        call=lambda w, o, a, kw: s.proposal_decide_extension(actor=a, request=o, grant=True),
        actor="staff", action="proposal.decide_extension",
        wrong_roles=["lead_liaison", "member", *READERS], other_council="other_staff",
        wrong_state=extension_after_reply,
    ),
    "draft_reply": Case(
        setup=lead_assignment,
        call=lambda w, o, a, kw: s.proposal_draft_reply(actor=a, assignment=o, body="<p>答复</p>", result="A", **kw),
        actor="lead_liaison", action="proposal.draft_reply",
        wrong_roles=["staff", "member", "supervisor"], other_council="other_liaison",
        wrong_state=replied_lead_assignment, double=None, versioned=True,
        wrong_unit=["co_liaison", "stranger_liaison"],
    ),
    "submit_reply": Case(
        setup=lambda w: drafted_reply(w, handling(w)),
        call=lambda w, o, a, kw: s.proposal_submit_reply(actor=a, reply=o, **kw),
        actor="lead_liaison", action="proposal.submit_reply",
        wrong_roles=["staff", "member", "supervisor"], other_council="other_liaison",
        wrong_state=lambda w: approved_reply(w, handling(w)), versioned=True,
        wrong_unit=["co_liaison", "stranger_liaison"],
    ),
    "countersign": Case(
        setup=countersignature,
        call=lambda w, o, a, kw: s.proposal_countersign(actor=a, countersignature=o, sign=True),
        actor="co_liaison", action="proposal.countersign",
        wrong_roles=["staff", "member", "supervisor"], other_council="other_liaison",
        wrong_state=countersignature_of_returned_reply,
        wrong_unit=["lead_liaison", "stranger_liaison"],
    ),
    "supervise_review": Case(
        setup=reply_under_review,
        call=lambda w, o, a, kw: s.proposal_supervise_review(actor=a, reply=o, approve=True, **kw),
        actor="supervisor", action="proposal.supervise_review",
        wrong_roles=["general_staff", "leader", "member", "lead_liaison"], other_council="other_staff",
        wrong_state=reply_in_draft, versioned=True,
    ),
    "evaluate": Case(
        setup=evaluation,
        call=lambda w, o, a, kw: s.proposal_evaluate(actor=a, evaluation=o, work_rating="satisfied",
                                                     result_rating="satisfied", consulted=True, **kw),
        actor="member", action="proposal.evaluate",
        wrong_roles=["staff", "member_b_user", "agent", "lead_liaison", "co_liaison", *READERS],
        other_council="other_member", wrong_state=evaluation_after_rehandle, versioned=True,
    ),
    "evaluate_on_paper": Case(
        setup=evaluation,
        call=lambda w, o, a, kw: s.proposal_evaluate(actor=a, evaluation=o, work_rating="satisfied",
                                                     result_rating="basically_satisfied", on_paper=True, **kw),
        actor="staff", action="proposal.evaluate",
        wrong_roles=["lead_liaison", "co_liaison", "member_b_user", *READERS],
        other_council="other_staff", wrong_state=evaluation_after_rehandle, versioned=True,
    ),
    "rehandle": Case(
        setup=dissatisfied,
        call=lambda w, o, a, kw: s.proposal_rehandle(actor=a, proposal=o, **kw),
        actor="staff", action="proposal.rehandle",
        wrong_roles=["member", *UNITS, *READERS], other_council="other_staff",
        wrong_state=handling, versioned=True,
    ),
    "close": Case(
        setup=all_rated,
        call=lambda w, o, a, kw: s.proposal_close(actor=a, proposal=o, **kw),
        actor="staff", action="proposal.close",
        wrong_roles=["member", *UNITS, *READERS], other_council="other_staff",
        wrong_state=handling, versioned=True,
    ),
    "consent_conversion": Case(
        setup=declined_to_opinion,
        call=lambda w, o, a, kw: s.proposal_give_conversion_consent(actor=a, proposal=o, consent=True),
        actor="member", action="proposal.consent_conversion",
        wrong_roles=["staff", *MEMBERS, *UNITS], other_council="other_member",
        wrong_state=filed,
    ),
    "convert_to_opinion": Case(
        setup=lambda w: declined_to_opinion(w, consent=True),
        call=lambda w, o, a, kw: s.proposal_convert_to_opinion(actor=a, proposal=o),
        actor="staff", action="proposal.convert_to_opinion",
        wrong_roles=["member", *UNITS, *READERS], other_council="other_staff",
        wrong_state=filed,
    ),
    "set_public": Case(
        setup=filed,
        call=lambda w, o, a, kw: s.proposal_set_public(actor=a, proposal=o, is_public=True),
        actor="staff", action="proposal.set_public",
        wrong_roles=["member", *UNITS, *READERS], other_council="other_staff",
        wrong_state=submitted, double=None,
    ),
    "mark_excellent": Case(  # 撤销优秀提案: a correction only (awarding is the excellent round's)
        setup=excellent,
        call=lambda w, o, a, kw: s.proposal_mark_excellent(actor=a, proposal=o, reason="经核实不符合条件", **kw),
        actor="staff", action="proposal.mark_excellent",
        wrong_roles=["member", *UNITS, *READERS], other_council="other_staff",
        wrong_state=submitted, double=ConflictError, versioned=True,
    ),
}  # fmt: skip

NAMES = sorted(CASES)


@pytest.mark.parametrize("name", NAMES)
def test_allowed_for_the_right_actor(world, name):
    case = CASES[name]
    obj = case.setup(world)
    version = refresh(_proposal_of(obj)).version
    before = Event.objects.count()
    case.call(world, obj, getattr(world, case.actor), {})
    event = Event.objects.filter(action=case.action).order_by("-seq").first()
    assert event is not None
    assert event.seq > before
    assert event.actor == getattr(world, case.actor)
    assert refresh(_proposal_of(obj)).version > version


@pytest.mark.parametrize("name", NAMES)
def test_refused_for_a_wrong_role(world, name):
    case = CASES[name]
    obj = case.setup(world)
    for attr in case.wrong_roles:
        refused(lambda attr=attr: case.call(world, obj, getattr(world, attr), {}), PermissionDenied)


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].wrong_unit])
def test_refused_for_a_wrong_unit(world, name):
    case = CASES[name]
    obj = case.setup(world)
    for attr in case.wrong_unit:
        refused(lambda attr=attr: case.call(world, obj, getattr(world, attr), {}), PermissionDenied)


@pytest.mark.parametrize("name", NAMES)
def test_refused_for_another_council(world, name):
    case = CASES[name]
    obj = case.setup(world)
    refused(lambda: case.call(world, obj, getattr(world, case.other_council), {}), PermissionDenied)


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].wrong_state])
def test_refused_in_a_wrong_state(world, name):
    case = CASES[name]
    obj = case.wrong_state(world)
    error = refused(lambda: case.call(world, obj, getattr(world, case.actor), {}), TransitionNotAllowed)
    assert error.message  # a clear, non-empty reason


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].double])
def test_second_identical_call_is_refused(world, name):
    case = CASES[name]
    obj = case.setup(world)
    actor = getattr(world, case.actor)
    case.call(world, obj, actor, {})
    error = refused(lambda: case.call(world, obj, actor, {}), case.double)
    assert error.message


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].versioned])
def test_stale_expected_version_is_refused(world, name):
    case = CASES[name]
    obj = case.setup(world)
    current = refresh(_proposal_of(obj)).version
    refused(lambda: case.call(world, obj, getattr(world, case.actor), {"expected_version": current - 1}),
            ConflictError, match="已被他人修改")  # fmt: skip
    case.call(world, obj, getattr(world, case.actor), {"expected_version": current})
