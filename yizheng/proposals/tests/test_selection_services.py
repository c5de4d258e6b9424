"""Key-proposal selection and excellent-proposal awards through the services: every step allowed for the right
actor and refused — with nothing written — for the wrong role, another council, the wrong state, a stale
version, a full quota and an ineligible proposal."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from yizheng.audit.models import Event
from yizheng.core.errors import ApplicationError, ConflictError, TransitionNotAllowed
from yizheng.notifications.models import Notification
from yizheng.org.models import Office, Role
from yizheng.org.tests.factories import CouncilFactory
from yizheng.proposals import models as m
from yizheng.proposals import services as s
from yizheng.proposals import services_selection as sel
from yizheng.proposals.selection_workflow import Decision, SelectionKind, SelectionState

from .conftest import filed, handling, refresh, replied, submitted

DAY = dt.date(2025, 9, 20)


def snapshot() -> dict:
    models = [m.Selection, m.Nomination, m.Proposal, Event]
    state = {model.__name__: list(model.objects.order_by("pk").values()) for model in models}
    state["leaders"] = list(m.Proposal.supervising_leaders.through.objects.order_by("pk").values())
    return state


def refused(fn, exc=(PermissionDenied,), match=None):
    before = snapshot()
    with pytest.raises(exc, match=match):
        fn()
    assert snapshot() == before


def key_round(w):
    return sel.selection_open(actor=w.staff, council=w.council, year=2025, kind=SelectionKind.KEY)


def excellent_round(w):
    return sel.selection_open(actor=w.staff, council=w.council, year=2025, kind=SelectionKind.EXCELLENT)


def nominate(w, r, p, **kw):
    kw.setdefault("reason", "事关民生,社会关注度高")
    return sel.nomination_add(actor=w.staff, selection=r, proposal=p, **kw)


def outsiders(w, make_user):
    county = CouncilFactory(parent=w.council, level="county")
    return {
        "member": w.member,
        "unit liaison": w.lead_liaison,
        "supervisor": w.supervisor,
        "general staff": w.general_staff,
        "other council staff": w.other_staff,
        "county staff": make_user(Role.STAFF, county, office=Office.PROPOSAL),
    }


# --- key proposals ------------------------------------------------------------------------------------------


def test_key_round_from_shortlist_to_approval(world, django_capture_on_commit_callbacks):
    r = key_round(world)
    assert r.state == SelectionState.SHORTLISTING
    a, b, c = handling(world), filed(world), handling(world)
    na = nominate(world, r, a, suggested_leaders=[world.leader], lead_unit_note="市教育局牵头")
    nb = nominate(world, r, b)
    nc = nominate(world, r, c)
    sel.nomination_remove(actor=world.staff, nomination=nc)
    r = sel.selection_start_review(actor=world.staff, selection=r)
    assert r.state == SelectionState.REVIEWING
    sel.nomination_decide(actor=world.staff, nomination=na, decision=Decision.SELECTED, opinion="同意")
    sel.nomination_decide(actor=world.staff, nomination=nb, decision=Decision.SELECTED)
    r = sel.selection_submit(actor=world.staff, selection=refresh(r), expected_version=refresh(r).version)
    assert r.state == SelectionState.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        r = sel.selection_approve(
            actor=world.leader,
            selection=r,
            meeting_name="六届主席会议第十二次会议",
            decided_on=DAY,
            struck=[nb.pk],
        )
    assert r.state == SelectionState.APPROVED
    assert r.decided_by == world.leader
    a, b = refresh(a), refresh(b)
    assert a.is_key
    assert list(a.supervising_leaders.all()) == [world.leader]
    assert not b.is_key
    assert refresh(nb).decision == Decision.STRUCK
    event = Event.objects.get(action="proposal.set_key", target_id=str(a.pk))
    assert event.payload["selection"] == r.pk
    assert event.payload["name"] == "六届主席会议第十二次会议"
    actions = list(Event.objects.filter(target_type="proposals.selection").values_list("action", flat=True))
    assert actions == [
        "selection.open", "selection.nominate", "selection.nominate", "selection.nominate",
        "selection.withdraw_nomination", "selection.start_review", "selection.decide", "selection.decide",
        "selection.submit", "selection.approve",
    ]  # fmt: skip
    # the lead unit and the supervising leader hear of it (the leader approved it himself: not told)
    told = set(Notification.objects.filter(kind="proposal.set_key").values_list("recipient", flat=True))
    assert world.lead_liaison.pk in told
    assert world.co_liaison.pk in told


def test_staff_record_the_chair_meeting_and_may_send_back(world):
    r = key_round(world)
    n = nominate(world, r, filed(world))
    sel.selection_start_review(actor=world.staff, selection=r)
    sel.nomination_decide(actor=world.staff, nomination=n, decision=Decision.SELECTED)
    r = sel.selection_submit(actor=world.staff, selection=r)
    refused(lambda: sel.selection_send_back(actor=world.leader, selection=r, note=""), ApplicationError)
    r = sel.selection_send_back(actor=world.leader, selection=r, note="再斟酌")
    assert r.state == SelectionState.REVIEWING
    assert r.decision_note == "再斟酌"
    r = sel.selection_submit(actor=world.staff, selection=r)
    r = sel.selection_approve(actor=world.staff, selection=r, meeting_name="主席会议", decided_on=DAY)
    assert r.state == SelectionState.APPROVED
    assert refresh(n.proposal).is_key


def test_one_round_per_council_year_and_kind(world):
    key_round(world)
    refused(lambda: key_round(world), ConflictError)
    excellent_round(world)


@pytest.mark.parametrize(
    "who", ["member", "unit liaison", "supervisor", "general staff", "other council staff", "county staff"]
)
def test_outsiders_may_not_open_or_compile_a_round(world, make_user, who):
    user = outsiders(world, make_user)[who]
    refused(lambda: sel.selection_open(actor=user, council=world.council, year=2025, kind="key"))
    r = key_round(world)
    p = filed(world)
    refused(lambda: sel.nomination_add(actor=user, selection=r, proposal=p, reason="理由"))
    n = nominate(world, r, p)
    refused(lambda: sel.nomination_remove(actor=user, nomination=n))
    refused(lambda: sel.selection_start_review(actor=user, selection=r))
    sel.selection_start_review(actor=world.staff, selection=r)
    refused(lambda: sel.nomination_decide(actor=user, nomination=n, decision=Decision.SELECTED))
    sel.nomination_decide(actor=world.staff, nomination=n, decision=Decision.SELECTED)
    refused(lambda: sel.selection_submit(actor=user, selection=r))
    sel.selection_submit(actor=world.staff, selection=r)
    refused(lambda: sel.selection_approve(actor=user, selection=r, meeting_name="主席会议", decided_on=DAY))
    refused(lambda: sel.selection_send_back(actor=user, selection=r, note="退回"))


def test_leaders_approve_but_do_not_compile_the_list(world):
    r = key_round(world)
    p = filed(world)
    refused(lambda: sel.nomination_add(actor=world.leader, selection=r, proposal=p, reason="理由"))
    refused(lambda: sel.selection_start_review(actor=world.leader, selection=r))


def test_county_leader_may_not_approve_the_city_round(world, make_user):
    county = CouncilFactory(parent=world.council, level="county")
    r = key_round(world)
    n = nominate(world, r, filed(world))
    sel.selection_start_review(actor=world.staff, selection=r)
    sel.nomination_decide(actor=world.staff, nomination=n, decision=Decision.SELECTED)
    sel.selection_submit(actor=world.staff, selection=r)
    leader = make_user(Role.LEADER, county)
    refused(lambda: sel.selection_approve(actor=leader, selection=r, meeting_name="会", decided_on=DAY))


def test_wrong_state_is_refused(world):
    r = key_round(world)
    p = filed(world)
    refused(lambda: sel.selection_submit(actor=world.staff, selection=r), TransitionNotAllowed)
    refused(lambda: sel.selection_start_review(actor=world.staff, selection=r), ApplicationError, "名单为空")
    n = nominate(world, r, p)
    sel.selection_start_review(actor=world.staff, selection=r)
    other = filed(world)
    refused(lambda: nominate(world, r, other), TransitionNotAllowed)
    refused(lambda: sel.nomination_remove(actor=world.staff, nomination=n), TransitionNotAllowed)
    refused(lambda: sel.selection_submit(actor=world.staff, selection=r), ApplicationError, "未审议")
    refused(
        lambda: sel.selection_approve(actor=world.leader, selection=r, meeting_name="会", decided_on=DAY),
        TransitionNotAllowed,
    )
    sel.nomination_decide(actor=world.staff, nomination=n, decision=Decision.REJECTED)
    refused(lambda: sel.selection_submit(actor=world.staff, selection=r), ApplicationError, "没有入选")
    sel.selection_reopen(actor=world.staff, selection=r)
    sel.nomination_remove(actor=world.staff, nomination=n)


def test_double_submit_and_stale_version(world):
    r = key_round(world)
    n = nominate(world, r, filed(world))
    stale = r.version
    other = filed(world)
    refused(lambda: nominate(world, r, other, expected_version=stale), ConflictError)
    sel.selection_start_review(actor=world.staff, selection=r)
    sel.nomination_decide(actor=world.staff, nomination=n, decision=Decision.SELECTED)
    version = refresh(r).version
    sel.selection_submit(actor=world.staff, selection=r, expected_version=version)
    refused(
        lambda: sel.selection_submit(actor=world.staff, selection=r, expected_version=version), ConflictError
    )
    refused(lambda: sel.selection_submit(actor=world.staff, selection=r), TransitionNotAllowed)
    version = refresh(r).version
    sel.selection_approve(
        actor=world.leader, selection=r, meeting_name="会", decided_on=DAY, expected_version=version
    )
    refused(
        lambda: sel.selection_approve(actor=world.leader, selection=r, meeting_name="会", decided_on=DAY),
        TransitionNotAllowed,
    )


def test_bad_input_and_ineligible_proposals(world, other_council):
    r = key_round(world)
    p = filed(world)
    refused(lambda: nominate(world, r, p, reason=" "), ApplicationError, "理由")
    early = submitted(world)
    refused(lambda: nominate(world, r, early), ApplicationError, "已立案")
    refused(lambda: nominate(world, r, p, suggested_leaders=[world.member]), ApplicationError, "领导")
    old = filed(world)
    m.Proposal.objects.filter(pk=old.pk).update(year=2024)
    refused(lambda: nominate(world, r, refresh(old)), ApplicationError, "2025")
    nominate(world, r, p)
    refused(lambda: nominate(world, r, p), ApplicationError, "已在名单中")
    foreign = m.Proposal(pk=p.pk, council=other_council, year=2025, state="filed", title="外")
    refused(lambda: nominate(world, r, foreign), ApplicationError, "本会")
    sel.selection_start_review(actor=world.staff, selection=r)
    n = r.nominations.get()
    refused(
        lambda: sel.nomination_decide(actor=world.staff, nomination=n, decision="maybe"), ApplicationError
    )
    sel.nomination_decide(actor=world.staff, nomination=n, decision=Decision.SELECTED)
    sel.selection_submit(actor=world.staff, selection=r)
    refused(lambda: sel.selection_approve(actor=world.leader, selection=r, meeting_name="", decided_on=DAY),
            ApplicationError, "会议")  # fmt: skip
    refused(lambda: sel.selection_approve(actor=world.leader, selection=r, meeting_name="会", decided_on=None),
            ApplicationError, "日期")  # fmt: skip
    refused(lambda: sel.selection_approve(actor=world.leader, selection=r, meeting_name="会", decided_on=DAY,
                                          struck=[n.pk]), ApplicationError, "退回")  # fmt: skip
    refused(lambda: sel.selection_approve(actor=world.leader, selection=r, meeting_name="会", decided_on=DAY,
                                          struck=[999999]), ApplicationError)  # fmt: skip


# --- excellent proposals ----------------------------------------------------------------------------------


def test_excellent_round_nominate_review_announce(world, django_capture_on_commit_callbacks):
    r = excellent_round(world)
    assert r.state == SelectionState.NOMINATING
    a, b = replied(world), replied(world)
    busy = handling(world)
    refused(lambda: nominate(world, r, busy), ApplicationError, "已答复")
    na = nominate(world, r, a, source="unit", source_name="市教育局")
    nb = nominate(world, r, b, source="sector", source_name="教育界")
    assert na.source_name == "市教育局"
    assert na.lead_unit_note == ""
    r = sel.selection_start_review(actor=world.staff, selection=r)
    assert r.quota == 10
    refused(lambda: sel.nomination_decide(actor=world.staff, nomination=na, decision=Decision.SELECTED),
            ApplicationError, "评分或评审意见")  # fmt: skip
    refused(lambda: sel.nomination_decide(actor=world.staff, nomination=na, decision=Decision.SELECTED,
                                          score="120"), ApplicationError, "0到100")  # fmt: skip
    sel.nomination_decide(actor=world.staff, nomination=na, decision=Decision.SELECTED, score="92.5")
    sel.nomination_decide(actor=world.staff, nomination=nb, decision=Decision.REJECTED, opinion="建议性不强")
    r = sel.selection_submit(actor=world.staff, selection=r)
    with django_capture_on_commit_callbacks(execute=True):
        r = sel.selection_announce(
            actor=world.staff, selection=r, document_number="示政协〔2025〕12号", decided_on=DAY
        )
    assert r.state == SelectionState.ANNOUNCED
    assert r.document_number == "示政协〔2025〕12号"
    assert refresh(a).is_excellent
    assert not refresh(b).is_excellent
    assert refresh(na).score == pytest.approx(92.5)
    e = Event.objects.get(action="proposal.mark_excellent", target_id=str(a.pk))
    assert e.payload == {"is_excellent": True, "selection": r.pk, "name": "示政协〔2025〕12号"}
    told = set(
        Notification.objects.filter(kind="proposal.mark_excellent").values_list("recipient", flat=True)
    )
    assert world.member.pk in told


def test_excellent_quota_is_enforced_at_review_submit_and_announce(world):
    s.proposal_settings_update(actor=world.staff, council=world.council, data={"excellent_quota": 1})
    r = excellent_round(world)
    na, nb = nominate(world, r, replied(world)), nominate(world, r, replied(world))
    sel.selection_start_review(actor=world.staff, selection=r)
    assert refresh(r).quota == 1
    # a later change of the settings does not move the quota of a round under review
    s.proposal_settings_update(actor=world.staff, council=world.council, data={"excellent_quota": 5})
    sel.nomination_decide(actor=world.staff, nomination=na, decision=Decision.SELECTED, opinion="好")
    refused(lambda: sel.nomination_decide(actor=world.staff, nomination=nb, decision=Decision.SELECTED,
                                          opinion="也好"), ApplicationError, "名额")  # fmt: skip
    # changing one's mind about the same item does not count it twice
    sel.nomination_decide(actor=world.staff, nomination=na, decision=Decision.SELECTED, score=90)
    sel.nomination_decide(actor=world.staff, nomination=nb, decision=Decision.REJECTED, opinion="名额已满")
    sel.selection_submit(actor=world.staff, selection=r)
    assert refresh(r).state == SelectionState.SUBMITTED


@pytest.mark.parametrize(
    "who", ["member", "unit liaison", "supervisor", "other council staff", "county staff"]
)
def test_outsiders_may_not_announce(world, make_user, who):
    user = outsiders(world, make_user)[who]
    r = excellent_round(world)
    n = nominate(world, r, replied(world))
    sel.selection_start_review(actor=world.staff, selection=r)
    sel.nomination_decide(actor=world.staff, nomination=n, decision=Decision.SELECTED, opinion="好")
    sel.selection_submit(actor=world.staff, selection=r)
    refused(
        lambda: sel.selection_announce(actor=user, selection=r, document_number="〔2025〕1号", decided_on=DAY)
    )
    sel.selection_announce(actor=world.leader, selection=r, document_number="〔2025〕1号", decided_on=DAY)


def test_announce_refuses_a_proposal_that_left_the_eligible_states(world):
    r = key_round(world)
    p = filed(world)
    n = nominate(world, r, p)
    sel.selection_start_review(actor=world.staff, selection=r)
    sel.nomination_decide(actor=world.staff, nomination=n, decision=Decision.SELECTED)
    sel.selection_submit(actor=world.staff, selection=r)
    primary = filed(world)
    s.proposal_merge(actor=world.staff, proposal=primary, merged=[p])
    refused(
        lambda: sel.selection_approve(actor=world.leader, selection=r, meeting_name="会", decided_on=DAY),
        ApplicationError,
        "划去",
    )


def test_leaders_hear_of_a_submitted_list_and_staff_of_a_returned_one(
    world, django_capture_on_commit_callbacks
):
    r = key_round(world)
    n = nominate(world, r, filed(world))
    sel.selection_start_review(actor=world.staff, selection=r)
    sel.nomination_decide(actor=world.staff, nomination=n, decision=Decision.SELECTED)
    with django_capture_on_commit_callbacks(execute=True):
        sel.selection_submit(actor=world.staff, selection=r)
    note = Notification.objects.get(kind="selection.submit")
    assert note.recipient == world.leader
    assert note.title == "2025年重点提案遴选名单已报审定"
    assert note.url.endswith(f"/selections/{r.pk}/approval/")
    with django_capture_on_commit_callbacks(execute=True):
        sel.selection_send_back(actor=world.leader, selection=r, note="再议")
    note = Notification.objects.get(kind="selection.send_back")
    assert note.recipient == world.staff
    assert "再议" in note.body
