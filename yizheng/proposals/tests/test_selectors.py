"""Reading: who sees which proposals, fetch-and-authorise (404 outside the scope, 403 for a role that may not
act), the queues and the unit's inbox, overdue flags, reminders, the year's figures, and query counts of the
hot lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from yizheng.org.models import Role
from yizheng.org.tests.factories import CouncilFactory, MemberFactory
from yizheng.proposals import selectors as sel
from yizheng.proposals import services as s
from yizheng.proposals.models import DEFAULT_DECLINE_REASONS, Proposal, Reminder

from .conftest import (
    approved_reply,
    assignment,
    draft,
    drafted_reply,
    evaluation_of,
    filed,
    handling,
    joint_draft,
    refresh,
    replied,
    submitted,
)

pytestmark = pytest.mark.django_db


def visible(user) -> set[int]:
    return set(sel.proposals_visible_to(user).values_list("pk", flat=True))


# --- scope --------------------------------------------------------------------------------------------------


def test_members_see_their_own_cosigned_and_public_proposals(world):
    own_draft = draft(world)
    joint = joint_draft(world)  # member_b accepted, member_c invited
    other = s.proposal_create(actor=world.member_b_user, council=world.council, title="李委员的提案",
                              suggestions="<p>建议</p>", category=world.category)  # fmt: skip
    public = filed(world)
    s.proposal_set_public(actor=world.staff, proposal=public, is_public=True)
    assert visible(world.member) == {own_draft.pk, joint.pk, public.pk}
    assert visible(world.member_b_user) == {joint.pk, other.pk, public.pk}
    assert visible(world.member_c_user) == {joint.pk, public.pk}  # invited: may read before answering
    assert visible(world.other_member) == set()


def test_a_declined_invitation_no_longer_shows(world):
    p = draft(world, kind="joint")
    inv = s.proposal_cosign_invite(actor=world.member, proposal=p, members=[world.member_c])[0]
    s.cosignature_decline(actor=world.member_c_user, cosignature=inv)
    assert p.pk not in visible(world.member_c_user)


def test_staff_see_the_council_tree_but_not_unsubmitted_drafts(world, make_user):
    never_submitted = draft(world)
    returned = s.proposal_return_for_revision(actor=world.staff, proposal=submitted(world), comments="补充")
    p = submitted(world)
    county = CouncilFactory(parent=world.council, level="county")
    county_member = make_user(Role.MEMBER, county)
    MemberFactory(council=county, user=county_member)
    county_p = s.proposal_submit(actor=county_member, proposal=s.proposal_create(
        actor=county_member, council=county, title="县里的提案", suggestions="<p>建议</p>"))  # fmt: skip
    for user in (world.staff, world.general_staff, world.leader, world.supervisor):
        assert visible(user) == {returned.pk, p.pk, county_p.pk}
    assert never_submitted.pk not in visible(world.staff)
    assert visible(world.other_staff) == set()
    county_staff = make_user(Role.STAFF, county, office="proposal")
    assert visible(county_staff) == {county_p.pk}


def test_units_see_only_proposals_assigned_to_them(world):
    mine = handling(world)  # lead + co
    s.proposal_assign(actor=world.staff, proposal=filed(world), lead_unit=world.separate_unit)
    submitted(world)
    assert visible(world.lead_liaison) == {mine.pk}
    assert visible(world.co_liaison) == {mine.pk}
    assert visible(world.stranger_liaison) == set()
    assert visible(world.other_liaison) == set()


def test_collective_agent_sees_the_collectives_proposals(world):
    p = draft(world, kind="collective")
    assert visible(world.agent) == {p.pk}
    assert p.pk not in visible(world.member)


def test_submitters_of_merged_proposals_see_the_primary(world):
    primary = submitted(world)
    theirs = s.proposal_submit(actor=world.member_b_user, proposal=s.proposal_create(
        actor=world.member_b_user, council=world.council, title="李委员的提案", suggestions="<p>建议</p>",
        category=world.category))  # fmt: skip
    s.proposal_merge(actor=world.staff, proposal=primary, merged=[theirs])
    assert primary.pk in visible(world.member_b_user)


# --- fetch and authorise ----------------------------------------------------------------------------------------


def test_proposal_for_404_outside_scope_403_for_a_role_that_may_not_act(world):
    p = submitted(world)
    assert sel.proposal_for(world.staff, p.pk, "file") == p
    assert sel.proposal_for(world.member, p.pk) == p
    with pytest.raises(PermissionDenied):
        sel.proposal_for(world.general_staff, p.pk, "file")  # sees it, may not file
    with pytest.raises(PermissionDenied):
        sel.proposal_for(world.member, p.pk, "file")
    for outsider in (world.other_staff, world.member_b_user, world.lead_liaison, world.other_member):
        with pytest.raises(Http404):
            sel.proposal_for(outsider, p.pk)
    with pytest.raises(Http404):
        sel.proposal_for(world.staff, 987654)


def test_assignment_for_keeps_each_unit_to_its_own_part(world):
    p = handling(world)
    lead, co = assignment(p, world.lead_unit), assignment(p, world.co_unit)
    assert sel.assignment_for(world.lead_liaison, lead.pk, "draft_reply") == lead
    assert sel.assignment_for(world.co_liaison, co.pk, "give_co_opinion") == co
    assert sel.assignment_for(world.staff, lead.pk) == lead
    with pytest.raises(Http404):
        sel.assignment_for(world.co_liaison, lead.pk)  # another unit's part of a shared proposal
    with pytest.raises(Http404):
        sel.assignment_for(world.stranger_liaison, lead.pk)
    with pytest.raises(Http404):
        sel.assignment_for(world.other_liaison, lead.pk)
    with pytest.raises(PermissionDenied):
        sel.assignment_for(world.co_liaison, co.pk, "draft_reply")  # a co unit does not answer
    with pytest.raises(PermissionDenied):
        sel.assignment_for(world.staff, lead.pk, "draft_reply")


def test_reply_drafts_are_hidden_from_submitters(world):
    p = handling(world)
    reply = drafted_reply(world, p)
    assert sel.reply_for(world.lead_liaison, reply.pk, "submit_reply") == reply
    assert sel.reply_for(world.co_liaison, reply.pk) == reply
    with pytest.raises(Http404):
        sel.reply_for(world.member, reply.pk)
    with pytest.raises(PermissionDenied):
        sel.reply_for(world.co_liaison, reply.pk, "submit_reply")
    with pytest.raises(Http404):
        sel.reply_for(world.stranger_liaison, reply.pk)
    approved = approved_reply(world, p)
    assert sel.reply_for(world.member, approved.pk) == approved
    with pytest.raises(PermissionDenied):
        sel.reply_for(world.lead_liaison, approved.pk, "supervise_review")


def test_child_selectors(world):
    p = handling(world)
    reply = s.proposal_submit_reply(actor=world.lead_liaison, reply=drafted_reply(world, p))
    cs = reply.countersignatures.get()
    assert sel.countersignature_for(world.co_liaison, cs.pk) == cs
    with pytest.raises(PermissionDenied):
        sel.countersignature_for(world.lead_liaison, cs.pk)
    with pytest.raises(Http404):
        sel.countersignature_for(world.stranger_liaison, cs.pk)

    request = s.proposal_request_extension(actor=world.lead_liaison, assignment=assignment(p, world.lead_unit),
                                           reason="需协调", requested_deadline=dt.date(2026, 1, 5))  # fmt: skip
    assert sel.extension_request_for(world.staff, request.pk) == request
    with pytest.raises(PermissionDenied):
        sel.extension_request_for(world.lead_liaison, request.pk)
    with pytest.raises(Http404):
        sel.extension_request_for(world.other_staff, request.pk)

    j = draft(world, kind="joint")
    inv = s.proposal_cosign_invite(actor=world.member, proposal=j, members=[world.member_b])[0]
    assert sel.cosignature_for(world.member_b_user, inv.pk) == inv
    with pytest.raises(PermissionDenied):
        sel.cosignature_for(world.member, inv.pk)  # the lead cannot answer for the invitee
    with pytest.raises(Http404):
        sel.cosignature_for(world.member_c_user, inv.pk)


def test_evaluation_for(world):
    p = replied(world)
    e = evaluation_of(p, world.member_a)
    assert sel.evaluation_for(world.member, e.pk) == e
    assert sel.evaluation_for(world.staff, e.pk, "evaluate_on_paper") == e
    for user in (world.lead_liaison, world.staff):  # a unit never rates; staff only on paper
        with pytest.raises(PermissionDenied):
            sel.evaluation_for(user, e.pk)
    with pytest.raises(Http404):
        sel.evaluation_for(world.member_b_user, e.pk)


def test_allowed_actions(world):
    p = submitted(world)
    assert set(sel.allowed_actions(world.staff, p)) == {"return_for_revision", "decline", "merge", "file"}
    assert sel.allowed_actions(world.member, p) == ["withdraw"]
    assert sel.allowed_actions(world.general_staff, p) == []


# --- queues ---------------------------------------------------------------------------------------------------


def test_staff_queues(world):
    a = submitted(world)
    b = filed(world)
    c = s.proposal_decline(actor=world.staff, proposal=submitted(world), reason=DEFAULT_DECLINE_REASONS[0],
                           disposition="to_opinion_report")  # fmt: skip
    assert list(sel.proposals_review_queue(world.staff)) == [a]
    assert list(sel.proposals_to_assign(world.staff)) == [b]
    assert list(sel.proposals_awaiting_conversion(world.staff)) == [c]
    assert list(sel.proposals_review_queue(world.general_staff)) == []  # not the proposal office
    assert list(sel.proposals_review_queue(world.other_staff)) == []


def test_requests_and_review_queues(world):
    p = handling(world)
    adj = s.proposal_request_adjustment(actor=world.co_liaison, assignment=assignment(p, world.co_unit),
                                        reason="不涉及")  # fmt: skip
    assert list(sel.adjustment_requests_pending(world.staff)) == [adj]
    assert list(sel.adjustment_requests_pending(world.other_staff)) == []
    s.proposal_decide_adjustment(actor=world.staff, request=adj, grant=False, note="须协办")
    assert list(sel.adjustment_requests_pending(world.staff)) == []
    reply = s.proposal_submit_reply(actor=world.lead_liaison, reply=drafted_reply(world, p))
    assert list(sel.countersignatures_pending(world.co_liaison)) == list(reply.countersignatures.all())
    assert list(sel.countersignatures_pending(world.stranger_liaison)) == []
    assert list(sel.replies_to_review(world.supervisor)) == []
    s.proposal_countersign(actor=world.co_liaison, countersignature=reply.countersignatures.get(), sign=True)
    assert list(sel.replies_to_review(world.supervisor)) == [reply]
    assert list(sel.replies_to_review(world.staff)) == [reply]
    assert list(sel.replies_to_review(world.general_staff)) == []
    assert list(sel.replies_to_review(world.other_staff)) == []


def test_member_queues(world):
    p = draft(world, kind="joint")
    inv = s.proposal_cosign_invite(actor=world.member, proposal=p, members=[world.member_b])[0]
    assert list(sel.cosign_invitations(world.member_b_user)) == [inv]
    assert list(sel.cosign_invitations(world.member)) == []
    r = replied(world)
    assert list(sel.evaluations_due(world.member)) == [evaluation_of(r, world.member_a)]
    assert list(sel.evaluations_due(world.member_b_user)) == []
    c = replied(world, kind="collective")
    assert [e.proposal for e in sel.evaluations_due(world.agent)] == [c]


def test_key_proposals_for_leader(world):
    p = s.proposal_assign(actor=world.staff, proposal=filed(world), lead_unit=world.lead_unit, is_key=True,
                          supervising_leaders=[world.leader])  # fmt: skip
    filed(world)
    assert list(sel.key_proposals_for_leader(world.leader)) == [p]
    assert list(sel.key_proposals_for_leader(world.staff)) == []


# --- overdue, inbox, reminders -----------------------------------------------------------------------------------


def test_overdue_is_annotated_and_cleared_by_an_approved_reply(world):
    p = handling(world, co=False)
    deadline = assignment(p, world.lead_unit).deadline
    row = sel.proposals_visible_to(world.staff, today=deadline).get(pk=p.pk)
    assert (row.is_overdue, row.next_deadline) == (False, deadline)
    assert sel.proposals_visible_to(world.staff, today=deadline + dt.timedelta(1)).get(pk=p.pk).is_overdue
    assert list(sel.overdue_assignments(world.staff, today=deadline + dt.timedelta(1))) == [
        assignment(p, world.lead_unit)]  # fmt: skip
    assert list(sel.overdue_assignments(world.lead_liaison, today=deadline + dt.timedelta(1))) == [
        assignment(p, world.lead_unit)]  # fmt: skip
    assert list(sel.overdue_assignments(world.stranger_liaison, today=deadline + dt.timedelta(1))) == []
    approved_reply(world, p)
    row = sel.proposals_visible_to(world.staff, today=deadline + dt.timedelta(1)).get(pk=p.pk)
    assert (row.is_overdue, row.next_deadline) == (False, None)
    annotated = sel.with_assignment_overdue(p.assignments.all(), today=deadline + dt.timedelta(1)).get()
    assert annotated.is_overdue is False


def test_deadlines_worked_out_in_memory_say_what_the_annotations_say(world, clock):
    """The list (`mark_deadlines`) and the detail page (`proposal_detail_parts`) derive overdue flags and the
    next deadline from rows they read anyway; for every kind of handling they agree with `with_overdue` and
    `with_assignment_overdue`, before the deadlines and after them."""
    waiting = handling(world)  # lead and co unit, nothing answered
    separate = handling(world, co=False, separate=True)
    half = handling(world, co=False, separate=True)
    approved_reply(world, half)  # the lead has answered, the separate unit has not
    answered = replied(world)
    again = replied(world)
    s.proposal_evaluate(actor=world.member, evaluation=evaluation_of(again, world.member_a),
                        work_rating="dissatisfied", result_rating="dissatisfied")  # fmt: skip
    s.proposal_rehandle(actor=world.staff, proposal=again)  # round 2, a new, shorter deadline
    drafting = submitted(world)
    ids = [p.pk for p in (waiting, separate, half, answered, again, drafting)]
    assert refresh(half).state == "handling"
    assert refresh(again).state == "rehandling"
    overdue_seen = set()
    for today in (dt.date(2025, 9, 2), dt.date(2026, 6, 1)):
        annotated = {
            p.pk: (p.is_overdue, p.next_deadline)
            for p in sel.with_overdue(Proposal.objects.filter(pk__in=ids), today)
        }
        marked = {p.pk: (p.is_overdue, p.next_deadline) for p in sel.mark_deadlines(Proposal.objects.filter(pk__in=ids), today)}  # fmt: skip
        assert marked == annotated
        for pk in ids:
            proposal = Proposal.objects.get(pk=pk)
            parts = sel.proposal_detail_parts(world.staff, proposal, today)
            assert (proposal.is_overdue, proposal.next_deadline) == annotated[pk]
            expected = {
                a.pk: a.is_overdue
                for a in sel.with_assignment_overdue(proposal.assignments.filter(active=True), today)
            }
            assert {a.pk: a.is_overdue for a in parts["assignments"]} == expected
        overdue_seen |= {pk for pk, (late, _) in annotated.items() if late}
    # not vacuous: in June 2026 every proposal still waiting on a unit is late, the answered one is not
    assert overdue_seen == {waiting.pk, separate.pk, half.pk, again.pk}
    assert annotated[answered.pk] == (False, None)
    assert annotated[drafting.pk] == (False, None)
    assert annotated[half.pk][1] == assignment(half, world.separate_unit).deadline


def test_detail_parts_show_each_reader_the_replies_they_may_see(world):
    p = handling(world)
    draft_ = drafted_reply(world, p, body="<p>内部草稿文字</p>")

    def seen(user):
        return [r.pk for r in sel.proposal_detail_parts(user, p)["replies"]]

    assert seen(world.staff) == seen(world.supervisor) == seen(world.lead_liaison) == [draft_.pk]
    assert seen(world.member) == []
    assert seen(world.co_liaison) == []
    s.proposal_submit_reply(actor=world.lead_liaison, reply=draft_)
    for cs in draft_.countersignatures.all():
        s.proposal_countersign(actor=world.co_liaison, countersignature=cs, sign=True)
    s.proposal_supervise_review(actor=world.supervisor, reply=draft_, approve=True)
    assert seen(world.member) == [draft_.pk]
    assert seen(world.co_liaison) == []  # a unit's page lists its own replies


def test_unit_inbox_buckets(world, clock):
    new = handling(world)  # assigned 2025-09-01: adjustment window to 2025-09-08, due 2025-12-01
    clock.set(dt.date(2025, 10, 20))
    handling_ = handling(world, co=False)  # due 2026-01-20
    clock.set(dt.date(2025, 11, 3))
    later = handling(world, co=False)  # due 2026-02-03, still inside its adjustment window on 11-05
    today = dt.date(2025, 11, 5)
    inbox = sel.unit_inbox(world.lead_liaison, today=today)
    assert {k: [a.proposal_id for a in v] for k, v in inbox.items()} == {
        "new": [later.pk], "handling": [new.pk, handling_.pk], "due_soon": [], "overdue": [], "rehandle": []}  # fmt: skip
    assert sel.unit_inbox_counts(world.lead_liaison, today=today) == {
        "new": 1, "handling": 2, "due_soon": 0, "overdue": 0, "rehandle": 0}  # fmt: skip
    soon = sel.unit_inbox(world.lead_liaison, today=dt.date(2025, 11, 26))
    assert [a.proposal_id for a in soon["due_soon"]] == [new.pk]
    late = sel.unit_inbox_counts(world.lead_liaison, today=dt.date(2025, 12, 2))
    assert late == {"new": 0, "handling": 2, "due_soon": 0, "overdue": 1, "rehandle": 0}
    co = sel.unit_inbox(world.co_liaison, today=today)  # co opinion due 2025-10-09: overdue
    assert [a.proposal_id for a in co["overdue"]] == [new.pk]
    s.proposal_give_co_opinion(
        actor=world.co_liaison, assignment=assignment(new, world.co_unit), opinion="同意"
    )
    assert sel.unit_inbox_counts(world.co_liaison, today=today)["overdue"] == 0
    assert sel.unit_inbox_counts(world.stranger_liaison, today=today) == dict.fromkeys(sel.INBOX_BUCKETS, 0)


def test_awaiting_is_worked_out_again_for_rows_written_in_bulk(world):
    """The benchmark's generator writes assignments in bulk, past the services: one call puts every flag right."""
    waiting = handling(world)  # lead and co unit both owe their answer
    replied(world)  # answered: nobody owes anything
    from yizheng.proposals.models import Assignment

    Assignment.objects.update(awaiting=False)
    assert s.assignments_refresh_awaiting(Assignment.objects.all()) == Assignment.objects.count()
    assert set(Assignment.objects.filter(awaiting=True).values_list("pk", flat=True)) == {
        a.pk for a in waiting.assignments.all()
    }
    assert sum(sel.unit_inbox_counts(world.lead_liaison).values()) == 1
    assert sum(sel.unit_inbox_counts(world.co_liaison).values()) == 1


def test_unit_inbox_rehandle_bucket(world, clock):
    p = replied(world)
    s.proposal_evaluate(actor=world.member, evaluation=evaluation_of(p, world.member_a), work_rating="dissatisfied",
                        result_rating="dissatisfied")  # fmt: skip
    s.proposal_rehandle(actor=world.staff, proposal=p)
    inbox = sel.unit_inbox(world.lead_liaison)
    assert [a.proposal_id for a in inbox["rehandle"]] == [p.pk]


def test_reminders_before_the_deadline_and_overdue_each_once(world, clock):
    p = handling(world)  # lead due 2025-12-01, co opinion due 2025-10-09
    lead, co = assignment(p, world.lead_unit), assignment(p, world.co_unit)

    def due(day):
        return {(r.assignment.pk, r.kind, r.deadline) for r in sel.proposal_reminders_due(day)}

    assert due(dt.date(2025, 9, 8)) == set()  # 31 days before the co opinion is due
    assert due(dt.date(2025, 9, 10)) == {(co.pk, "30", co.opinion_deadline)}
    assert due(dt.date(2025, 11, 1)) == {
        (lead.pk, "30", lead.deadline),
        (co.pk, "overdue", co.opinion_deadline),
    }
    s.reminders_record(due=sel.proposal_reminders_due(dt.date(2025, 11, 1)))
    assert due(dt.date(2025, 11, 2)) == set()  # sent already
    assert due(dt.date(2025, 11, 25)) == {(lead.pk, "7", lead.deadline)}
    assert due(dt.date(2025, 12, 2)) == {(lead.pk, "overdue", lead.deadline)}
    s.reminders_record(due=sel.proposal_reminders_due(dt.date(2025, 12, 2)))
    s.reminders_record(due=sel.proposal_reminders_due(dt.date(2025, 12, 2)))  # twice: still logged once
    assert Reminder.objects.filter(kind="overdue").count() == 2
    request = s.proposal_request_extension(actor=world.lead_liaison, assignment=lead, reason="需协调",
                                           requested_deadline=dt.date(2026, 1, 30))  # fmt: skip
    s.proposal_decide_extension(actor=world.staff, request=request, grant=True)
    assert due(dt.date(2025, 12, 2)) == set()  # no longer overdue
    assert due(dt.date(2026, 1, 1)) == {
        (lead.pk, "30", dt.date(2026, 1, 30))
    }  # a new deadline, new reminders
    approved_reply(world, p)
    assert due(dt.date(2026, 1, 29)) == set()


def test_reminder_days_follow_the_council_settings(world):
    s.proposal_settings_update(actor=world.staff, council=world.council, data={"reminder_days": [3]})
    p = handling(world, co=False)
    lead = assignment(p, world.lead_unit)
    assert sel.proposal_reminders_due(lead.deadline - dt.timedelta(days=10)) == []
    assert [r.kind for r in sel.proposal_reminders_due(lead.deadline - dt.timedelta(days=3))] == ["3"]


# --- the year's figures -----------------------------------------------------------------------------------------


def test_year_summary(world, clock):
    # Six proposals received in 2025: a joint one closed (rated, met face to face), a collective one replied,
    # one filed and waiting for assignment with another merged into it, one declined, one withdrawn; plus a
    # draft that was never submitted and does not count.
    a = handling(world, co=False, kind="joint")  # lead 张委员, co-signer 李委员
    s.proposal_record_contact(actor=world.lead_liaison, assignment=assignment(a, world.lead_unit),
                              date=clock.today, method="visit", summary="走访", members_met=[world.member_a])  # fmt: skip
    approved_reply(world, a, result="B")
    for member, user in ((world.member_a, world.member), (world.member_b, world.member_b_user)):
        s.proposal_evaluate(actor=user, evaluation=evaluation_of(a, member), work_rating="satisfied",
                            result_rating="basically_satisfied", consulted=True)  # fmt: skip
    s.proposal_close(actor=world.staff, proposal=a)
    replied(world, kind="collective", result="C")
    s.proposal_decline(actor=world.staff, proposal=submitted(world), reason=DEFAULT_DECLINE_REASONS[2],
                       disposition="archive")  # fmt: skip
    c = filed(world)
    s.proposal_merge(actor=world.staff, proposal=c, merged=[submitted(world)])
    s.proposal_withdraw(actor=world.member, proposal=submitted(world))
    draft(world)

    summary = sel.proposal_year_summary(world.staff, world.council, 2025)
    t = summary["total"]
    assert (t["received"], t["filed"], t["declined"], t["merged"], t["withdrawn"], t["converted"]) == (
        6,
        3,
        1,
        1,
        1,
        0,
    )
    assert t["filing_rate"] == 50.0
    assert (t["handled"], t["replied"], t["reply_rate"]) == (3, 2, 66.7)
    assert (t["first_replies"], t["on_time"], t["on_time_rate"]) == (2, 2, 100.0)
    assert (t["submitters"], t["met"], t["contact_rate"]) == (
        4,
        1,
        25.0,
    )  # 张, 李, the collective, 张; met 张
    assert (t["rated"], t["work_satisfaction_rate"], t["result_satisfaction_rate"]) == (2, 100.0, 100.0)
    assert t["class_shares"] == {"A": 0.0, "B": 50.0, "C": 50.0}
    kinds = {row["key"]: row for row in summary["kind"]}
    assert (kinds["joint"]["received"], kinds["collective"]["received"], kinds["individual"]["received"]) == (
        1,
        1,
        4,
    )
    assert kinds["joint"]["label"] == "联名提案"
    categories = {row["label"]: row["received"] for row in summary["category"]}
    assert categories == {"经济建设": 6}
    sectors = {row["label"] for row in summary["sector"]}
    assert len(sectors) == 2  # 张委员's sector, and the organisation's (none: "—")
    units = {row["label"]: row for row in summary["unit"]}
    assert (
        units["市教育局"]["assigned"],
        units["市教育局"]["replies"],
        units["市教育局"]["contact_rate"],
    ) == (2, 2, 50.0)
    assert units["市教育局"]["class_shares"] == {"A": 0.0, "B": 50.0, "C": 50.0}


def test_year_summary_refused_without_the_right(world):
    for user in (world.member, world.lead_liaison, world.other_staff):
        with pytest.raises(PermissionDenied):
            sel.proposal_year_summary(user, world.council, 2025)


def test_year_summary_is_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for _ in range(3):
        replied(world)
    with django_assert_max_num_queries(40) as ctx:
        sel.proposal_year_summary(world.staff, world.council, 2025)
    few = len(ctx.captured_queries)
    for _ in range(5):
        replied(world, kind="joint")
    with django_assert_max_num_queries(few):
        sel.proposal_year_summary(world.staff, world.council, 2025)


# --- query counts of the hot lists ---------------------------------------------------------------------------


def _render_list(rows):
    return [(p.title, p.council.name, p.submitter_label, str(p.category), p.is_overdue, p.next_deadline, p.state)
            for p in rows]  # fmt: skip


def test_proposal_list_has_no_n_plus_one(world, django_assert_max_num_queries):
    for _ in range(2):
        handling(world)
    with django_assert_max_num_queries(8) as ctx:
        _render_list(sel.proposals_visible_to(world.staff)[:50])
    few = len(ctx.captured_queries)
    for _ in range(6):
        handling(world, kind="collective")
    with django_assert_max_num_queries(few):
        assert len(_render_list(sel.proposals_visible_to(world.staff)[:50])) == 8
    with django_assert_max_num_queries(few):
        _render_list(sel.proposals_visible_to(world.member)[:50])


def test_unit_inbox_has_no_n_plus_one(world, django_assert_max_num_queries):
    handling(world)
    with django_assert_max_num_queries(20) as ctx:
        inbox = sel.unit_inbox(world.lead_liaison)
        rows = [(a.proposal.title, a.unit.name, a.due) for bucket in inbox.values() for a in bucket]
    few = len(ctx.captured_queries)
    for _ in range(6):
        handling(world)
    with django_assert_max_num_queries(few):
        inbox = sel.unit_inbox(world.lead_liaison)
        rows = [(a.proposal.title, a.unit.name, a.due) for bucket in inbox.values() for a in bucket]
    assert len(rows) == 7


def test_countersign_queue_costs_one_query_when_empty_and_two_with_rows(world, django_assert_num_queries):
    sel.countersign_queue(world.co_liaison)  # the user's roles, read once per request
    with django_assert_num_queries(1):
        assert sel.countersign_queue(world.co_liaison) == []

    def shown():
        return [
            (cs.assignment_id, cs.reply.proposal.title, cs.reply.proposal.case_number, cs.reply.assignment.unit.name,
             cs.reply.round, cs.reply.result, cs.reply.submitted_at is not None)
            for cs in sel.countersign_queue(world.co_liaison)
        ]  # fmt: skip

    for n in (1, 3):
        while len(sel.countersignatures_pending(world.co_liaison)) < n:
            p = handling(world)
            s.proposal_submit_reply(actor=world.lead_liaison, reply=drafted_reply(world, p))
        with django_assert_num_queries(2):
            rows = shown()
        assert len(rows) == n
        assert all(row[3] == world.lead_unit.name and row[6] for row in rows)
    assert rows[0][1] == refresh(Proposal.objects.order_by("pk").filter(state="handling").first()).title
    assert sel.countersign_queue(world.lead_liaison) == sel.countersign_queue(world.stranger_liaison) == []
    assert len(sel.countersign_queue(world.co_liaison, limit=2)) == 2


def test_timeline_lists_the_proposals_events(world):
    p = filed(world)
    actions = list(sel.proposal_timeline(world.staff, p).values_list("action", flat=True))
    assert actions == ["proposal.file", "proposal.submit", "proposal.create"]
    refresh(p)


def test_case_labels_and_submitters_for_display(world, django_assert_num_queries):
    a, b = filed(world), filed(world, kind="joint")
    with django_assert_num_queries(1):
        labels = sel.proposal_case_labels([a, b])
    assert labels == {a.pk: "第0001号", b.pk: "第0002号"}
    assert [(src.pk, m.name if m else None) for src, m in sel.proposal_submitters(b)] == [
        (b.pk, "张委员"), (b.pk, "李委员")]  # fmt: skip


def test_case_labels_come_with_rows_read_with_their_councils_format(world, django_assert_num_queries):
    """The hot pages read each row with its council's number format (CASE_FORMAT_RELATED): no query then; rows
    read without it cost one query for their councils; a council without settings numbers in the default."""
    from yizheng.proposals.models import ProposalSettings

    a, b = filed(world), filed(world)
    ProposalSettings.objects.filter(council=world.council).update(case_number_format="{year}-{n:03d}")
    with_format = list(Proposal.objects.filter(pk__in=[a.pk, b.pk]).select_related(sel.CASE_FORMAT_RELATED))
    slim = list(  # as the list reads them: a few columns and the format
        Proposal.objects.filter(pk__in=[a.pk, b.pk])
        .select_related(sel.CASE_FORMAT_RELATED)
        .only("council_id", "case_number", "year", f"{sel.CASE_FORMAT_RELATED}__case_number_format")
    )
    plain = list(Proposal.objects.filter(pk__in=[a.pk, b.pk]))
    expected = {a.pk: f"第{a.year}-001号", b.pk: f"第{b.year}-002号"}
    with django_assert_num_queries(0):
        assert sel.proposal_case_labels(with_format) == expected
        assert sel.proposal_case_labels(slim) == expected
    with django_assert_num_queries(1):
        assert sel.proposal_case_labels(plain) == expected
    # the format is the council's: one row that brings it serves the others
    with django_assert_num_queries(0):
        assert sel.proposal_case_labels([plain[0], with_format[1]]) == expected
    ProposalSettings.objects.filter(council=world.council).delete()
    fresh = Proposal.objects.select_related(sel.CASE_FORMAT_RELATED).get(pk=a.pk)
    with django_assert_num_queries(0):
        assert sel.proposal_case_labels([fresh]) == {a.pk: "第0001号"}  # no settings row: the default format


def test_first_contact_expected_within_the_working_days(world, clock):
    p = handling(world)  # first contact due 2025-09-15 (10 working days)
    lead = assignment(p, world.lead_unit)
    assert list(sel.first_contact_overdue(world.staff, today=dt.date(2025, 9, 15))) == []
    assert list(sel.first_contact_overdue(world.staff, today=dt.date(2025, 9, 16))) == [lead]
    assert list(sel.first_contact_overdue(world.lead_liaison, today=dt.date(2025, 9, 16))) == [lead]
    assert list(sel.first_contact_overdue(world.stranger_liaison, today=dt.date(2025, 9, 16))) == []
    s.proposal_record_contact(actor=world.lead_liaison, assignment=lead, date=clock.today, method="phone",
                              summary="电话沟通")  # fmt: skip
    assert list(sel.first_contact_overdue(world.staff, today=dt.date(2025, 9, 16))) == []


def test_proposal_years_lists_every_year_with_submitted_proposals(world):
    """The list's year filter: exact (a year without proposals in between is left out), drafts never submitted
    don't count, nor do other councils'."""
    for year in (2019, 2021, 2022, 2025):
        Proposal.objects.filter(pk=submitted(world).pk).update(year=year)
    Proposal.objects.filter(pk=draft(world).pk).update(year=2023)
    Proposal.objects.filter(pk=submitted(world).pk).update(year=2018, council=world.other_council)
    assert sel.proposal_years(world.staff) == [2025, 2022, 2021, 2019]
    assert sel.proposal_years(world.other_staff) == [2018]
    assert sel.proposal_years(world.member) == []
    Proposal.objects.filter(year__in=[2019, 2021, 2022]).delete()
    assert sel.proposal_years(world.staff) == [2025]
