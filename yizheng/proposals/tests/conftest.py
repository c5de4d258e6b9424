"""A council with every party a proposal meets, a fixed clock, and helpers that reach each state through the
services (never by setting fields)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from yizheng.audit.models import Event
from yizheng.followups.models import FollowUp
from yizheng.org.models import Office, Role
from yizheng.org.tests.factories import (
    MemberFactory,
    MemberGroupFactory,
    MembershipFactory,
    OrganizationFactory,
    PlenaryFactory,
    TermFactory,
    UnitFactory,
)
from yizheng.proposals import models as m
from yizheng.proposals import services
from yizheng.proposals.services import proposal_settings_get

SH = dt.timezone(dt.timedelta(hours=8))


class Clock:
    """The services' notion of now, set by the test."""

    def __init__(self) -> None:
        self.now = dt.datetime(2025, 9, 1, 10, 0, tzinfo=SH)  # a Monday; 2025 is fully in the calendar

    def set(self, day: dt.date, hour: int = 10) -> None:
        self.now = dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SH)

    def advance(self, days: int) -> None:
        self.now += dt.timedelta(days=days)

    @property
    def today(self) -> dt.date:
        return self.now.date()


@pytest.fixture(autouse=True)
def _awaiting_is_kept(request):
    """Every proposal test that touches the database ends with each assignment's `awaiting` equal to what it
    stands for, worked out afresh by another route (a join on the proposal's state): a transition that
    forgets to refresh it fails the very test that fired it."""
    marker = request.node.get_closest_marker("django_db")
    wanted = {"db", "transactional_db"} & set(request.fixturenames)
    if marker is None and not wanted:
        yield
        return
    transactional = "transactional_db" in wanted or (marker is not None and marker.kwargs.get("transaction"))
    request.getfixturevalue("transactional_db" if transactional else "db")  # so its teardown runs after ours
    yield
    from django.db.models import BooleanField, Case, Exists, OuterRef, Q, When

    approved = m.Reply.objects.filter(assignment=OuterRef("pk"), round=OuterRef("round"), status="approved")
    owes = Q(role="co", opinion_at__isnull=True) | (~Q(role="co") & ~Exists(approved))
    rows = m.Assignment.objects.annotate(
        expected=Case(
            When(Q(active=True, proposal__state__in=["handling", "rehandling"]) & owes, then=True),
            default=False,
            output_field=BooleanField(),
        )
    )
    wrong = [
        (a.pk, a.proposal.state, a.role, a.awaiting, a.expected) for a in rows if a.awaiting != a.expected
    ]
    assert not wrong, f"Assignment.awaiting out of date (pk, state, role, stored, expected): {wrong}"


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    from yizheng.followups import services as followup_services
    from yizheng.proposals import selectors

    monkeypatch.setattr(services, "_now", lambda: c.now)
    monkeypatch.setattr(services, "_today", lambda: c.today)
    monkeypatch.setattr(selectors, "_today", lambda: c.today)
    monkeypatch.setattr(followup_services, "_now", lambda: c.now)
    monkeypatch.setattr(followup_services, "_today", lambda: c.today)
    return c


@dataclass
class World:
    council: Any
    other_council: Any
    term: Any
    plenary: Any
    staff: Any  # proposal office staff
    general_staff: Any  # staff of another office: may read, not review
    supervisor: Any
    leader: Any
    member: Any  # user of member_a
    member_a: Any
    member_b_user: Any
    member_b: Any
    member_c_user: Any
    member_c: Any
    agent: Any
    organization: Any
    lead_unit: Any
    lead_liaison: Any
    co_unit: Any
    co_liaison: Any
    separate_unit: Any
    separate_liaison: Any
    stranger_unit: Any
    stranger_liaison: Any  # a unit user of the same council whose unit has nothing to do with the proposal
    other_staff: Any  # proposal staff of another council
    other_member: Any
    other_liaison: Any
    group: Any
    category: Any


def _member(make_user, council, term, name):
    user = make_user(Role.MEMBER, council)
    member = MemberFactory(council=council, name=name, user=user)
    MembershipFactory(member=member, term=term)
    return user, member


@pytest.fixture
def world(council, other_council, make_user, clock) -> World:
    term = TermFactory(council=council)
    plenary = PlenaryFactory(term=term)
    other_term = TermFactory(council=other_council)
    member, member_a = _member(make_user, council, term, "张委员")
    member_b_user, member_b = _member(make_user, council, term, "李委员")
    member_c_user, member_c = _member(make_user, council, term, "王委员")
    organization = OrganizationFactory(council=council, name="民盟示例市委")
    group = MemberGroupFactory(term=term, council=council, name="第一委员组")
    member_b.memberships.get().groups.add(group)
    member_c.memberships.get().groups.add(group)
    lead_unit = UnitFactory(council=council, name="市教育局")
    co_unit = UnitFactory(council=council, name="市财政局")
    separate_unit = UnitFactory(council=council, name="市卫健委")
    stranger_unit = UnitFactory(council=council, name="市水务局")
    other_unit = UnitFactory(council=other_council, name="另一市教育局")
    other_member_user, _ = _member(make_user, other_council, other_term, "外市委员")
    proposal_settings_get(council)
    category = services.categories_ensure(council)[0]
    return World(
        council=council,
        other_council=other_council,
        term=term,
        plenary=plenary,
        staff=make_user(Role.STAFF, council, office=Office.PROPOSAL),
        general_staff=make_user(Role.STAFF, council, office=Office.GENERAL),
        supervisor=make_user(Role.SUPERVISOR, council),
        leader=make_user(Role.LEADER, council),
        member=member,
        member_a=member_a,
        member_b_user=member_b_user,
        member_b=member_b,
        member_c_user=member_c_user,
        member_c=member_c,
        agent=make_user(Role.COLLECTIVE_AGENT, council, organization=organization),
        organization=organization,
        lead_unit=lead_unit,
        lead_liaison=make_user(Role.UNIT_LIAISON, council, unit=lead_unit),
        co_unit=co_unit,
        co_liaison=make_user(Role.UNIT_LIAISON, council, unit=co_unit),
        separate_unit=separate_unit,
        separate_liaison=make_user(Role.UNIT_REVIEWER, council, unit=separate_unit),
        stranger_unit=stranger_unit,
        stranger_liaison=make_user(Role.UNIT_LIAISON, council, unit=stranger_unit),
        other_staff=make_user(Role.STAFF, other_council, office=Office.PROPOSAL),
        other_member=other_member_user,
        other_liaison=make_user(Role.UNIT_LIAISON, other_council, unit=other_unit),
        group=group,
        category=category,
    )


# --- reaching states through the services ------------------------------------------------------------------

SUGGESTIONS = "<p>一、加快建设普惠性托育机构;二、完善托育补贴政策。</p>"


def draft(w: World, *, kind: str = "individual", **kw) -> m.Proposal:
    data = {"title": "关于发展普惠托育服务的提案", "reason": "<p>托育服务供给不足。</p>",
            "analysis": "<p>全市托位缺口较大。</p>", "suggestions": SUGGESTIONS, "category": w.category}  # fmt: skip
    data.update(kw)
    if kind == "collective":
        return services.proposal_create(actor=w.agent, council=w.council, kind=kind, organization=w.organization,
                                        **data)  # fmt: skip
    return services.proposal_create(actor=w.member, council=w.council, kind=kind, **data)


def joint_draft(w: World, accept: bool = True) -> m.Proposal:
    p = draft(w, kind="joint")
    invitations = services.proposal_cosign_invite(
        actor=w.member, proposal=p, members=[w.member_b, w.member_c]
    )
    if accept:
        b = next(c for c in invitations if c.member_id == w.member_b.pk)
        services.cosignature_accept(actor=w.member_b_user, cosignature=b)
    return refresh(p)


def submitted(w: World, **kw) -> m.Proposal:
    p = draft(w, **kw) if kw.get("kind") != "joint" else joint_draft(w)
    return services.proposal_submit(actor=w.agent if kw.get("kind") == "collective" else w.member, proposal=p)


def filed(w: World, **kw) -> m.Proposal:
    return services.proposal_file(actor=w.staff, proposal=submitted(w, **kw))


def handling(w: World, *, co: bool = True, separate: bool = False, **kw) -> m.Proposal:
    return services.proposal_assign(
        actor=w.staff,
        proposal=filed(w, **kw),
        lead_unit=w.lead_unit,
        co_units=[w.co_unit] if co else [],
        separate_units=[w.separate_unit] if separate else [],
    )


def assignment(p: m.Proposal, unit) -> m.Assignment:
    return m.Assignment.objects.get(proposal=p, unit=unit, active=True)


def drafted_reply(w: World, p: m.Proposal, *, result: str = "A", unit=None, actor=None, **kw) -> m.Reply:
    unit = unit or w.lead_unit
    commitments = kw.pop(
        "commitments", [{"text": "年底前新增托位2000个", "due": "2026-12-31"}] if result == "B" else []
    )
    kw.setdefault("body", "<p>经研究,答复如下……</p>")
    return services.proposal_draft_reply(
        actor=actor or w.lead_liaison,
        assignment=assignment(p, unit),
        result=result,
        commitments=commitments,
        **kw,
    )


def approved_reply(w: World, p: m.Proposal, *, result: str = "A", unit=None, actor=None) -> m.Reply:
    reply = drafted_reply(w, p, result=result, unit=unit, actor=actor)
    reply = services.proposal_submit_reply(actor=actor or w.lead_liaison, reply=reply)
    for cs in reply.countersignatures.all():
        services.proposal_countersign(actor=w.co_liaison, countersignature=cs, sign=True)
    return services.proposal_supervise_review(actor=w.supervisor, reply=reply, approve=True)


def replied(w: World, *, result: str = "A", **kw) -> m.Proposal:
    p = handling(w, **kw)
    approved_reply(w, p, result=result)
    return refresh(p)


def closed(w: World, *, result: str = "C", **kw) -> m.Proposal:
    """Replied with `result`, every submitter satisfied (recorded on paper), closed."""
    p = replied(w, result=result, **kw)
    for e in p.evaluations.filter(status="pending"):
        services.proposal_evaluate(actor=w.staff, evaluation=e, work_rating="satisfied", result_rating="satisfied",
                                   on_paper=True)  # fmt: skip
    return services.proposal_close(actor=w.staff, proposal=refresh(p))


def excellent(w: World, **kw) -> m.Proposal:
    """A replied proposal made excellent the only way there is: the year's excellent round, announced."""
    from yizheng.proposals import services_selection as sel

    p = replied(w, **kw)
    r = sel.selection_open(actor=w.staff, council=w.council, year=p.year, kind="excellent")
    n = sel.nomination_add(actor=w.staff, selection=r, proposal=p, reason="建议被采纳,成效明显")
    sel.selection_start_review(actor=w.staff, selection=r)
    sel.nomination_decide(actor=w.staff, nomination=n, decision="selected", opinion="同意推荐")
    sel.selection_submit(actor=w.staff, selection=r)
    sel.selection_announce(
        actor=w.staff, selection=r, document_number="〔2025〕1号", decided_on=dt.date(2025, 9, 20)
    )
    return refresh(p)


def refresh(obj):
    obj.refresh_from_db()
    return obj


def evaluation_of(p: m.Proposal, member) -> m.Evaluation:
    return m.Evaluation.objects.get(proposal=p, member=member, round=refresh(p).round)


# --- "nothing written" ----------------------------------------------------------------------------------------

TRACKED = [
    m.Proposal, m.CoSignature, m.Attachment, m.Assignment, m.AdjustmentRequest, m.ExtensionRequest,
    m.ContactRecord, m.Reply, m.Countersignature, m.Evaluation, m.CaseCounter, m.Reminder, m.Category,
    m.ProposalSettings, FollowUp, Event,
]  # fmt: skip


def db_state() -> dict[str, list]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in TRACKED}


def refused(fn, exc=(PermissionDenied,), match: str | None = None):
    """Call fn, expect it to raise `exc`, and prove the database did not change."""
    before = db_state()
    with pytest.raises(exc, match=match) as info:
        fn()
    assert db_state() == before
    return info.value
