"""What each service does beyond allowing and refusing its transition (that is test_transitions.py): drafting and
sanitising, co-signing, windows, review outcomes, gap-free numbering, assignment deadlines on the official
calendar, adjustment and extension rules, replies and countersigning, supervision, evaluation, rehandling,
closing with follow-ups, conversion, marks, settings, attachments."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from yizheng.audit.models import Event
from yizheng.core.errors import ApplicationError, ConflictError, TransitionNotAllowed
from yizheng.followups.models import FollowUp
from yizheng.org.models import Role
from yizheng.org.tests.factories import CouncilFactory, UnitFactory
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


def last_event(action: str) -> Event:
    return Event.objects.filter(action=action).order_by("-seq").first()


# --- drafting ---------------------------------------------------------------------------------------------


def test_member_drafts_own_individual_proposal_with_sanitised_text(world):
    p = draft(
        world,
        reason='<p onclick="x()">托育<script>alert(1)</script><b>不足</b></p><a href="javascript:x">链</a>',
    )
    assert p.state == "draft"
    assert p.lead_member == world.member_a
    assert p.drafted_by == world.member
    assert p.reason == "<p>托育<b>不足</b></p>链"
    assert p.version == 1
    event = last_event("proposal.create")
    assert event.target_id == str(p.pk)
    assert event.to_state == "draft"
    assert event.payload["after"]["title"] == p.title


def test_collective_agent_drafts_for_their_organisation_only(world, make_user):
    p = draft(world, kind="collective")
    assert (p.kind, p.organization, p.lead_member) == ("collective", world.organization, None)
    from yizheng.org.tests.factories import OrganizationFactory

    other_org = OrganizationFactory(council=world.council)
    refused(lambda: s.proposal_create(actor=world.agent, council=world.council, title="关于……的提案",
                                      kind="collective", organization=other_org))  # fmt: skip
    refused(lambda: s.proposal_create(actor=world.agent, council=world.council, title="关于……的提案"))
    refused(lambda: s.proposal_create(actor=world.member, council=world.council, title="关于……的提案",
                                      kind="collective", organization=world.organization))  # fmt: skip


def test_staff_and_units_cannot_draft(world):
    for user in (world.staff, world.lead_liaison, world.supervisor):
        refused(lambda user=user: s.proposal_create(actor=user, council=world.council, title="关于……的提案"))


def test_bad_draft_input_is_refused_with_clear_errors(world):
    refused(lambda: draft(world, title="  "), ApplicationError, match="请填写提案标题")
    other_category = s.categories_ensure(world.other_council)[0]
    refused(lambda: draft(world, category=other_category), ApplicationError, match="本会的提案分类")
    refused(lambda: draft(world, tags=[f"标签{i}" for i in range(11)]), ApplicationError, match="10 个")


def test_update_records_a_diff_and_bumps_the_version(world):
    p = draft(world)
    p = s.proposal_update(actor=world.member, proposal=p, data={"title": "关于托育的提案", "tags": ["托育", "托育"]},
                          expected_version=1)  # fmt: skip
    assert p.title == "关于托育的提案"
    assert p.tags == ["托育"]
    assert p.version == 2
    assert last_event("proposal.update").payload["changes"]["title"] == [
        "关于发展普惠托育服务的提案",
        "关于托育的提案",
    ]
    refused(
        lambda: s.proposal_update(actor=world.member, proposal=p, data={"kind": "collective"}),
        ApplicationError,
    )


# --- co-signing ---------------------------------------------------------------------------------------------


def test_invite_a_member_group_and_the_cosign_deadline(world, clock):
    p = draft(world, kind="joint")
    invited = s.proposal_cosign_invite(actor=world.member, proposal=p, group=world.group)
    assert sorted(c.member.name for c in invited) == ["李委员", "王委员"]
    assert all(c.via_group == world.group and c.status == "invited" for c in invited)
    assert refresh(p).cosign_deadline == clock.now + dt.timedelta(days=7)


def test_only_joint_proposals_invite_and_only_own_council_members(world):
    from yizheng.org.models import Member

    individual, joint = draft(world), draft(world, kind="joint")
    refused(lambda: s.proposal_cosign_invite(actor=world.member, proposal=individual, members=[world.member_b]),
            ApplicationError, match="只有联名提案")  # fmt: skip
    outsider = Member.objects.get(user=world.other_member)
    refused(lambda: s.proposal_cosign_invite(actor=world.member, proposal=joint, members=[outsider]),
            ApplicationError, match="本会委员")  # fmt: skip


def test_accept_until_the_deadline_only(world, clock):
    p = draft(world, kind="joint")
    inv = s.proposal_cosign_invite(actor=world.member, proposal=p, members=[world.member_b])[0]
    clock.advance(8)
    refused(lambda: s.cosignature_accept(actor=world.member_b_user, cosignature=inv), ApplicationError,
            match="联名截止时间已过")  # fmt: skip


def test_joint_submit_needs_an_accepted_cosigner_and_only_accepted_count(world):
    p = draft(world, kind="joint")
    invited = s.proposal_cosign_invite(
        actor=world.member, proposal=p, members=[world.member_b, world.member_c]
    )
    refused(
        lambda: s.proposal_submit(actor=world.member, proposal=p),
        ApplicationError,
        match="至少需要一位委员接受联名",
    )
    b = next(c for c in invited if c.member == world.member_b)
    c = next(c for c in invited if c.member == world.member_c)
    s.cosignature_decline(actor=world.member_c_user, cosignature=c)
    s.cosignature_accept(actor=world.member_b_user, cosignature=b)
    s.cosignature_withdraw(actor=world.member, cosignature=b)  # the lead cancels the accepted one
    refused(lambda: s.proposal_submit(actor=world.member, proposal=p), ApplicationError, match="接受联名")
    s.proposal_cosign_invite(actor=world.member, proposal=p, members=[world.member_b])
    s.cosignature_accept(actor=world.member_b_user, cosignature=refresh(b))
    assert s.proposal_submit(actor=world.member, proposal=p).state == "submitted"
    assert last_event("proposal.submit").payload["cosigners"] == 1


# --- submit: window -----------------------------------------------------------------------------------------


def test_submitted_in_the_plenary_window_is_a_plenary_proposal(world, clock):
    clock.set(dt.date(2026, 1, 9))
    p = submitted(world)
    assert (p.window, p.plenary, p.year) == ("plenary", world.plenary, 2026)


def test_plenary_proposal_after_the_deadline_is_taken_as_interim(world, clock):
    clock.set(dt.date(2026, 1, 11))
    p = draft(world, plenary=world.plenary)
    p = s.proposal_submit(actor=world.member, proposal=p)
    assert (p.window, p.year) == ("interim", 2026)
    assert last_event("proposal.submit").payload["taken_as_interim"] is True


def test_submit_needs_suggestions(world):
    p = draft(world, suggestions="<p> </p>")
    refused(lambda: s.proposal_submit(actor=world.member, proposal=p), ApplicationError, match="具体建议")


# --- review ---------------------------------------------------------------------------------------------------


def test_return_for_revision_then_resubmit(world):
    p = submitted(world)
    refused(
        lambda: s.proposal_return_for_revision(actor=world.staff, proposal=p, comments=" "), ApplicationError
    )
    p = s.proposal_return_for_revision(actor=world.staff, proposal=p, comments="请补充全市托位数据")
    assert (p.state, p.review_note) == ("draft", "请补充全市托位数据")
    assert last_event("proposal.return_for_revision").payload["comments"] == "请补充全市托位数据"
    s.proposal_update(actor=world.member, proposal=p, data={"analysis": "<p>缺口约5000个</p>"})
    assert s.proposal_submit(actor=world.member, proposal=p).state == "submitted"


def test_decline_needs_a_listed_reason_and_tells_why(world):
    p = submitted(world)
    refused(lambda: s.proposal_decline(actor=world.staff, proposal=p, reason="不喜欢", disposition="archive"),
            ApplicationError, match="理由")  # fmt: skip
    refused(lambda: s.proposal_decline(actor=world.staff, proposal=p, reason=DEFAULT_DECLINE_REASONS[7],
                                       disposition="shred"), ApplicationError, match="处理方式")  # fmt: skip
    p = s.proposal_decline(actor=world.staff, proposal=p, reason=DEFAULT_DECLINE_REASONS[7],
                           disposition="member_letter", note="建议分别提出")  # fmt: skip
    assert (p.state, p.decline_reason, p.disposition, p.awaiting_conversion) == (
        "not_filed", "一案多事的", "member_letter", False)  # fmt: skip
    payload = last_event("proposal.decline").payload
    assert payload == {"reason": "一案多事的", "note": "建议分别提出", "disposition": "member_letter",
                       "conversion_consent": None}  # fmt: skip


def test_ten_default_decline_reasons():
    assert len(DEFAULT_DECLINE_REASONS) == 10


def test_conversion_to_opinion_report_waits_for_consent(world):
    p = s.proposal_decline(actor=world.staff, proposal=submitted(world), reason=DEFAULT_DECLINE_REASONS[4],
                           disposition="to_opinion_report")  # fmt: skip
    assert (p.awaiting_conversion, p.conversion_consent) == (True, None)
    refused(
        lambda: s.proposal_convert_to_opinion(actor=world.staff, proposal=p), ApplicationError, match="同意"
    )
    p = s.proposal_give_conversion_consent(actor=world.member, proposal=p, consent=True)
    p = s.proposal_convert_to_opinion(actor=world.staff, proposal=p)
    assert p.conversion_requested_at is not None
    assert p.awaiting_conversion  # until the opinions app has made the report


def test_conversion_refused_by_the_submitter(world):
    p = s.proposal_decline(actor=world.staff, proposal=submitted(world), reason=DEFAULT_DECLINE_REASONS[4],
                           disposition="to_opinion_report")  # fmt: skip
    p = s.proposal_give_conversion_consent(actor=world.member, proposal=p, consent=False)
    assert (p.awaiting_conversion, p.conversion_consent) == (False, False)
    refused(lambda: s.proposal_convert_to_opinion(actor=world.staff, proposal=p), TransitionNotAllowed)


def test_merge_carries_the_submitters_of_merged_proposals(world):
    primary = submitted(world)
    theirs = s.proposal_create(actor=world.member_b_user, council=world.council, title="关于增加托育机构的提案",
                               suggestions="<p>建议</p>", category=world.category)  # fmt: skip
    theirs = s.proposal_submit(actor=world.member_b_user, proposal=theirs)
    s.proposal_merge(actor=world.staff, proposal=primary, merged=[theirs], note="内容相近")
    theirs = refresh(theirs)
    assert (theirs.state, theirs.merged_into) == ("merged", primary)
    s.proposal_file(actor=world.staff, proposal=primary)
    s.proposal_assign(actor=world.staff, proposal=primary, lead_unit=world.lead_unit)
    approved_reply(world, primary)
    assert sorted(e.member.name for e in refresh(primary).evaluations.all()) == ["张委员", "李委员"]
    assert evaluation_of(primary, world.member_b).source == theirs


def test_merge_refuses_a_primary_of_others_and_other_councils(world):
    a, b, c = submitted(world), submitted(world), submitted(world)
    s.proposal_merge(actor=world.staff, proposal=a, merged=[b])
    refused(
        lambda: s.proposal_merge(actor=world.staff, proposal=c, merged=[a]), ApplicationError, match="已并有"
    )
    refused(lambda: s.proposal_merge(actor=world.staff, proposal=a, merged=[]), ApplicationError)


# --- filing: case numbers ---------------------------------------------------------------------------------------


def test_case_numbers_per_plenary_and_per_year(world, clock):
    clock.set(dt.date(2026, 1, 9))
    plenary_1, plenary_2 = filed(world), filed(world)
    clock.set(dt.date(2026, 3, 2))
    interim_1 = filed(world)
    assert [(p.case_scope, p.case_number) for p in (plenary_1, plenary_2, interim_1)] == [
        (f"plenary-{world.plenary.pk}", 1), (f"plenary-{world.plenary.pk}", 2), ("interim-2026", 1)]  # fmt: skip
    assert last_event("proposal.file").payload["case_label"] == "第0001号"
    s.proposal_settings_update(actor=world.staff, council=world.council,
                               data={"case_scope": "year", "case_number_format": "{year}{n:03d}"})  # fmt: skip
    year_1 = filed(world)
    assert (year_1.case_scope, year_1.case_number) == ("year-2026", 1)
    assert last_event("proposal.file").payload["case_label"] == "第2026001号"


def test_filing_needs_a_category(world):
    p = submitted(world, category=None)
    refused(lambda: s.proposal_file(actor=world.staff, proposal=p), ApplicationError, match="分类")
    p = s.proposal_file(actor=world.staff, proposal=p, category=world.category, tags=["民生"])
    assert (p.category, p.tags) == (world.category, ["民生"])


def test_staff_of_a_proposal_committee_may_review(world, make_user):
    from yizheng.org.tests.factories import CommitteeFactory

    committee = CommitteeFactory(council=world.council, kind="proposal", name="提案委员会")
    committee_staff = make_user(Role.STAFF, world.council, committee=committee, office="")
    assert s.proposal_file(actor=committee_staff, proposal=submitted(world)).state == "filed"


def test_staff_of_a_parent_council_reach_a_county_proposal(world, make_user, clock):
    county = CouncilFactory(parent=world.council, level="county")
    from yizheng.org.tests.factories import MemberFactory

    county_member = make_user(Role.MEMBER, county)
    MemberFactory(council=county, user=county_member)
    p = s.proposal_create(actor=county_member, council=county, title="关于县域托育的提案", suggestions="<p>建议</p>",
                          category=s.categories_ensure(county)[0])  # fmt: skip
    p = s.proposal_submit(actor=county_member, proposal=p)
    assert s.proposal_file(actor=world.staff, proposal=p).state == "filed"
    county_staff = make_user(Role.STAFF, county, office="proposal")
    city_proposal = submitted(world)
    refused(lambda: s.proposal_return_for_revision(actor=county_staff, proposal=city_proposal, comments="x"))


# --- assignment: deadlines on the official calendar ---------------------------------------------------------------


def test_assignment_deadlines(world, clock):
    p = handling(world)  # assigned Monday 2025-09-01
    lead, co = assignment(p, world.lead_unit), assignment(p, world.co_unit)
    assert (lead.deadline, lead.deadline_provisional) == (dt.date(2025, 12, 1), False)
    assert lead.adjustment_deadline == dt.date(2025, 9, 8)  # 5 working days
    assert lead.first_contact_deadline == dt.date(2025, 9, 15)  # 10 working days
    # one month would be 1 October: National Day holidays run to 8 October, so the 9th
    assert co.opinion_deadline == dt.date(2025, 10, 9)
    payload = last_event("proposal.assign").payload
    assert [a["unit"] for a in payload["assignments"]] == ["市教育局", "市财政局"]


def test_handling_deadline_across_spring_festival(world, clock):
    clock.set(dt.date(2025, 11, 17))
    lead = assignment(handling(world), world.lead_unit)
    # 17 February 2026 is in the Spring Festival holiday (15–23 February): the next working day
    assert (lead.deadline, lead.deadline_provisional) == (dt.date(2026, 2, 24), False)


def test_adjustment_window_across_national_day_with_make_up_days(world, clock):
    clock.set(dt.date(2025, 9, 26))  # Friday
    lead = assignment(handling(world), world.lead_unit)
    # Sun 28 Sep (make-up workday), 29, 30, then holidays 1–8 Oct, then 9, 10
    assert lead.adjustment_deadline == dt.date(2025, 10, 10)


def test_deadline_beyond_the_known_calendar_is_provisional_then_recomputed(world, clock):
    from yizheng.core.services_calendar import calendar_year_set

    clock.set(dt.date(2026, 11, 25))
    p = handling(world, co=False)
    lead = assignment(p, world.lead_unit)
    assert (lead.deadline, lead.deadline_provisional) == (dt.date(2027, 2, 25), True)  # weekdays only
    calendar_year_set(actor=None, year=2027, source="测试用放假通知", days=[
        (dt.date(2027, 2, 20) + dt.timedelta(i), "holiday", "春节") for i in range(7)])  # fmt: skip
    lead = refresh(lead)
    assert (lead.deadline, lead.deadline_provisional) == (dt.date(2027, 3, 1), False)
    event = last_event("proposal.deadline_recomputed")
    assert event.target_id == str(p.pk)
    assert event.payload["changes"]["deadline"] == [["2027-02-25", True], ["2027-03-01", False]]


def test_assign_checks_units_and_months(world):
    p = filed(world)
    other_unit = UnitFactory(council=world.other_council)
    refused(lambda: s.proposal_assign(actor=world.staff, proposal=p, lead_unit=other_unit), ApplicationError,
            match="不是本会有效的承办单位")  # fmt: skip
    refused(lambda: s.proposal_assign(actor=world.staff, proposal=p, co_units=[world.co_unit]), ApplicationError,
            match="主办单位")  # fmt: skip
    refused(lambda: s.proposal_assign(actor=world.staff, proposal=p, lead_unit=world.lead_unit,
                                      co_units=[world.lead_unit]), ApplicationError, match="重复")  # fmt: skip
    refused(lambda: s.proposal_assign(actor=world.staff, proposal=p, lead_unit=world.lead_unit, months=7),
            ApplicationError, match="1 至 6")  # fmt: skip
    refused(lambda: s.proposal_assign(actor=world.staff, proposal=p, lead_unit=world.lead_unit, is_key=True,
                                      supervising_leaders=[world.member]), ApplicationError, match="领导")  # fmt: skip
    p = s.proposal_assign(actor=world.staff, proposal=p, lead_unit=world.lead_unit, months=6, is_key=True,
                          supervising_leaders=[world.leader])  # fmt: skip
    assert p.is_key
    assert list(p.supervising_leaders.all()) == [world.leader]
    assert assignment(p, world.lead_unit).deadline == dt.date(2026, 3, 2)  # 1 March 2026 is a Sunday


def test_batch_assignment_is_all_or_nothing(world):
    a, b, c = filed(world), filed(world), filed(world)
    items = [{"proposal": x, "lead_unit": world.lead_unit} for x in (a, b)]
    items.append({"proposal": c, "lead_unit": world.lead_unit, "months": 12})
    error = refused(lambda: s.proposals_assign_batch(actor=world.staff, items=items), ApplicationError)
    assert c.title in error.message
    done = s.proposals_assign_batch(
        actor=world.staff, items=[*items[:2], {"proposal": c, "lead_unit": world.co_unit}]
    )
    assert [p.state for p in done] == ["handling"] * 3


# --- adjustment and extension -------------------------------------------------------------------------------------


def test_adjustment_only_within_the_window(world, clock):
    lead = assignment(handling(world), world.lead_unit)
    clock.set(lead.adjustment_deadline + dt.timedelta(days=1))
    refused(lambda: s.proposal_request_adjustment(actor=world.lead_liaison, assignment=lead, reason="不属本单位"),
            ApplicationError, match="期限")  # fmt: skip


def test_granted_lead_adjustment_sends_the_proposal_back_to_assignment(world):
    p = handling(world)
    request = s.proposal_request_adjustment(actor=world.lead_liaison, assignment=assignment(p, world.lead_unit),
                                            reason="属于卫健部门职责", suggested_unit="市卫健委")  # fmt: skip
    s.proposal_decide_adjustment(actor=world.staff, request=request, grant=True)
    p = refresh(p)
    assert p.state == "filed"
    assert not refresh(request.assignment).active
    p = s.proposal_assign(actor=world.staff, proposal=p, lead_unit=world.separate_unit)
    assert p.state == "handling"
    assert set(p.assignments.filter(active=True).values_list("unit__name", "role")) == {
        ("市卫健委", "lead"), ("市财政局", "co")}  # fmt: skip
    refused(lambda: s.proposal_record_contact(actor=world.lead_liaison, assignment=request.assignment,
                                              date=dt.date(2025, 9, 1), method="phone", summary="x"))  # fmt: skip


def test_refused_adjustment_needs_a_reason_and_keeps_the_unit(world):
    p = handling(world)
    request = s.proposal_request_adjustment(actor=world.co_liaison, assignment=assignment(p, world.co_unit),
                                            reason="不涉及本单位")  # fmt: skip
    refused(
        lambda: s.proposal_decide_adjustment(actor=world.staff, request=request, grant=False),
        ApplicationError,
    )
    s.proposal_decide_adjustment(actor=world.staff, request=request, grant=False, note="涉及财政补贴,须协办")
    assert refresh(request).status == "refused"
    assert refresh(request.assignment).active
    assert refresh(p).state == "handling"


def test_extension_up_to_the_hard_case_maximum(world):
    lead = assignment(handling(world), world.lead_unit)  # assigned 2025-09-01; 6 months → 2026-03-02
    refused(lambda: s.proposal_request_extension(actor=world.lead_liaison, assignment=lead, reason="复杂",
                                                 requested_deadline=dt.date(2026, 3, 3)),
            ApplicationError, match="最长办理期限")  # fmt: skip
    refused(lambda: s.proposal_request_extension(actor=world.lead_liaison, assignment=lead, reason="复杂",
                                                 requested_deadline=dt.date(2025, 11, 1)),
            ApplicationError, match="晚于当前期限")  # fmt: skip
    request = s.proposal_request_extension(actor=world.lead_liaison, assignment=lead, reason="涉及多部门",
                                           requested_deadline=dt.date(2026, 3, 2))  # fmt: skip
    s.proposal_decide_extension(actor=world.staff, request=request, grant=True, deadline=dt.date(2026, 2, 2))
    lead = refresh(lead)
    assert (lead.deadline, lead.extended, lead.deadline_provisional) == (dt.date(2026, 2, 2), True, False)
    assert refresh(request).granted_deadline == dt.date(2026, 2, 2)


# --- handling: contacts, co opinions ----------------------------------------------------------------------------


def test_contact_records_check_their_input(world, clock):
    lead = assignment(handling(world), world.lead_unit)
    call = s.proposal_record_contact
    refused(lambda: call(actor=world.lead_liaison, assignment=lead, date=clock.today + dt.timedelta(1),
                         method="visit", summary="x"), ApplicationError, match="晚于今天")  # fmt: skip
    refused(lambda: call(actor=world.lead_liaison, assignment=lead, date=clock.today, method="wechat", summary="x"),
            ApplicationError, match="方式")  # fmt: skip
    refused(lambda: call(actor=world.lead_liaison, assignment=lead, date=clock.today, method="visit", summary="x",
                         members_met=[world.member_c]), ApplicationError, match="提案人")  # fmt: skip
    record = call(actor=world.lead_liaison, assignment=lead, date=clock.today, method="meeting", summary="座谈",
                  people="局长、提案人", members_met=[world.member_a])  # fmt: skip
    assert list(record.members_met.all()) == [world.member_a]


def test_co_opinion(world):
    co = assignment(handling(world), world.co_unit)
    refused(
        lambda: s.proposal_give_co_opinion(actor=world.co_liaison, assignment=co, opinion=" "),
        ApplicationError,
    )
    co = s.proposal_give_co_opinion(
        actor=world.co_liaison, assignment=co, opinion="<p>同意,<script>x</script>建议增加补贴</p>"
    )
    assert co.opinion == "<p>同意,建议增加补贴</p>"
    assert last_event("proposal.give_co_opinion").payload["on_time"] is True


# --- replies, countersigning, supervision --------------------------------------------------------------------------


def test_b_class_reply_needs_commitments_with_dates(world):
    p = handling(world, co=False)
    reply = drafted_reply(world, p, result="B", commitments=[])
    refused(lambda: s.proposal_submit_reply(actor=world.lead_liaison, reply=reply), ApplicationError,
            match="承诺")  # fmt: skip
    refused(lambda: drafted_reply(world, p, result="B", commitments=[{"text": "建成", "due": "年底"}]),
            ApplicationError, match="完成时限")  # fmt: skip
    reply = drafted_reply(world, p, result="B")
    assert s.proposal_submit_reply(actor=world.lead_liaison, reply=reply).status == "under_review"


def test_countersign_return_and_resubmit(world):
    p = handling(world)
    reply = s.proposal_submit_reply(actor=world.lead_liaison, reply=drafted_reply(world, p))
    assert reply.status == "countersigning"
    cs = reply.countersignatures.get()
    refused(lambda: s.proposal_countersign(actor=world.co_liaison, countersignature=cs, sign=False),
            ApplicationError, match="意见")  # fmt: skip
    s.proposal_countersign(actor=world.co_liaison, countersignature=cs, sign=False, comment="补贴标准写错")
    assert refresh(reply).status == "returned"
    refused(lambda: s.proposal_supervise_review(actor=world.supervisor, reply=reply, approve=True),
            TransitionNotAllowed)  # fmt: skip
    drafted_reply(world, p, body="<p>修改后的答复</p>")
    reply = s.proposal_submit_reply(actor=world.lead_liaison, reply=reply)
    cs = refresh(cs)
    assert (reply.status, cs.status, cs.comment) == ("countersigning", "pending", "")
    s.proposal_countersign(actor=world.co_liaison, countersignature=cs, sign=True)
    assert refresh(reply).status == "under_review"


def test_supervisor_may_change_the_class_or_send_back(world):
    p = handling(world, co=False)
    reply = s.proposal_submit_reply(actor=world.lead_liaison, reply=drafted_reply(world, p, result="A"))
    refused(lambda: s.proposal_supervise_review(actor=world.supervisor, reply=reply, approve=False),
            ApplicationError, match="督办意见")  # fmt: skip
    refused(lambda: s.proposal_supervise_review(actor=world.supervisor, reply=reply, approve=True, result="B"),
            ApplicationError, match="承诺")  # fmt: skip
    reply = s.proposal_supervise_review(
        actor=world.supervisor, reply=reply, approve=False, note="答复过于简单"
    )
    assert reply.status == "returned"
    reply = s.proposal_submit_reply(actor=world.lead_liaison, reply=reply)
    reply = s.proposal_supervise_review(
        actor=world.staff, reply=reply, approve=True, result="C", note="改为C类"
    )
    assert (reply.status, reply.result, reply.result_before_review) == ("approved", "C", "A")
    assert reply.published_at is not None
    p = refresh(p)
    assert p.state == "replied"
    assert last_event("proposal.publish").to_state == "replied"


def test_separate_units_each_answer_and_the_proposal_is_replied_when_all_are_approved(world):
    p = handling(world, co=False, separate=True)
    approved_reply(world, p)
    assert refresh(p).state == "handling"
    approved_reply(world, p, unit=world.separate_unit, actor=world.separate_liaison, result="B")
    p = refresh(p)
    assert p.state == "replied"
    assert p.evaluations.count() == 2  # the member rates each unit's answer
    assert set(p.evaluations.values_list("reply__assignment__unit__name", flat=True)) == {
        "市教育局",
        "市卫健委",
    }


def test_every_submitter_is_due_to_rate(world, clock):
    p = joint_draft(world)  # member_b accepted, member_c only invited
    s.proposal_submit(actor=world.member, proposal=p)
    s.proposal_file(actor=world.staff, proposal=p)
    s.proposal_assign(actor=world.staff, proposal=p, lead_unit=world.lead_unit)
    approved_reply(world, p)
    evaluations = m.Evaluation.objects.filter(proposal=p)
    assert sorted(e.member.name for e in evaluations) == ["张委员", "李委员"]
    # 15 working days from Monday 1 September 2025
    assert {(e.deadline, e.status) for e in evaluations} == {(dt.date(2025, 9, 22), "pending")}


def test_a_collective_rates_through_its_agent(world):
    p = replied(world, kind="collective")
    evaluation = m.Evaluation.objects.get(proposal=p)
    assert evaluation.member is None
    refused(lambda: s.proposal_evaluate(actor=world.member, evaluation=evaluation, work_rating="satisfied",
                                        result_rating="satisfied"))  # fmt: skip
    s.proposal_evaluate(
        actor=world.agent, evaluation=evaluation, work_rating="satisfied", result_rating="satisfied"
    )
    assert refresh(evaluation).status == "rated"


# --- evaluation, rehandling, closing -------------------------------------------------------------------------------


def test_evaluation_input_and_window(world, clock):
    p = replied(world)
    e = evaluation_of(p, world.member_a)
    refused(lambda: s.proposal_evaluate(actor=world.member, evaluation=e, work_rating="good", result_rating=""),
            ApplicationError, match="分别作出评价")  # fmt: skip
    clock.set(e.deadline + dt.timedelta(days=1))
    refused(lambda: s.proposal_evaluate(actor=world.member, evaluation=e, work_rating="satisfied",
                                        result_rating="satisfied"), ApplicationError, match="评价期限")  # fmt: skip
    e = s.proposal_evaluate(actor=world.staff, evaluation=e, work_rating="satisfied", on_paper=True,
                            result_rating="basically_satisfied", consulted=True, comment="纸质评价表")  # fmt: skip
    assert (e.on_paper, e.recorded_by, e.consulted) == (True, world.staff, True)


def test_rehandle_once_with_a_shorter_deadline(world, clock):
    p = handling(world, co=False, separate=True, kind="joint")
    approved_reply(world, p)
    approved_reply(world, p, unit=world.separate_unit, actor=world.separate_liaison)
    p = refresh(p)
    lead_reply = m.Reply.objects.get(proposal=p, assignment__unit=world.lead_unit)
    e = m.Evaluation.objects.get(proposal=p, member=world.member_a, reply=lead_reply)
    s.proposal_evaluate(
        actor=world.member, evaluation=e, work_rating="satisfied", result_rating="dissatisfied"
    )
    clock.set(dt.date(2025, 9, 10))
    p = s.proposal_rehandle(actor=world.staff, proposal=p, note="提案人不满意")
    assert (p.state, p.round) == ("rehandling", 2)
    lead, sep = assignment(p, world.lead_unit), assignment(p, world.separate_unit)
    assert (lead.round, lead.deadline) == (2, dt.date(2025, 10, 10))  # one month, 10 October is a working day
    assert sep.round == 1  # only the unit whose answer was rated dissatisfied answers again
    assert not m.Evaluation.objects.filter(
        proposal=p, round=1, status="pending"
    ).exists()  # recorded as unrated
    refused(lambda: drafted_reply(world, p, unit=world.separate_unit, actor=world.separate_liaison),
            TransitionNotAllowed)  # fmt: skip
    reply2 = approved_reply(world, p, result="A")
    assert reply2.round == 2
    p = refresh(p)
    assert p.state == "replied"
    assert set(p.evaluations.filter(round=2).values_list("member__name", "reply")) == {
        ("张委员", reply2.pk), ("李委员", reply2.pk)}  # fmt: skip
    for e in p.evaluations.filter(round=2):
        s.proposal_evaluate(actor=world.staff, evaluation=e, work_rating="dissatisfied", result_rating="dissatisfied",
                            on_paper=True)  # fmt: skip
    refused(lambda: s.proposal_rehandle(actor=world.staff, proposal=p), TransitionNotAllowed, match="一次")
    assert s.proposal_close(actor=world.staff, proposal=p).state == "closed"


def test_close_waits_for_ratings_then_records_unrated_never_satisfied(world, clock):
    p = replied(world, kind="joint")
    s.proposal_evaluate(actor=world.member, evaluation=evaluation_of(p, world.member_a), work_rating="satisfied",
                        result_rating="satisfied")  # fmt: skip
    refused(lambda: s.proposal_close(actor=world.staff, proposal=p), TransitionNotAllowed, match="尚未评价")
    late = evaluation_of(p, world.member_b)
    clock.set(late.deadline + dt.timedelta(days=1))
    p = s.proposal_close(actor=world.staff, proposal=p)
    late = refresh(late)
    assert (p.state, late.status, late.work_rating, late.result_rating) == ("closed", "unrated", "", "")
    assert last_event("proposal.close").payload["unrated"] == [late.pk]


def test_close_refused_while_a_first_round_rating_is_dissatisfied(world):
    p = replied(world)
    s.proposal_evaluate(actor=world.member, evaluation=evaluation_of(p, world.member_a), work_rating="dissatisfied",
                        result_rating="satisfied")  # fmt: skip
    refused(lambda: s.proposal_close(actor=world.staff, proposal=p), TransitionNotAllowed, match="重新办理")


def test_closing_turns_b_class_commitments_into_follow_ups(world):
    p = handling(world)
    reply = drafted_reply(world, p, result="B", commitments=[
        {"text": "2026年新增托位2000个", "due": "2026-12-31"}, {"text": "出台托育补贴办法", "due": "2026-06-30"}])  # fmt: skip
    reply = s.proposal_submit_reply(actor=world.lead_liaison, reply=reply)
    s.proposal_countersign(actor=world.co_liaison, countersignature=reply.countersignatures.get(), sign=True)
    s.proposal_supervise_review(actor=world.supervisor, reply=reply, approve=True)
    s.proposal_evaluate(actor=world.member, evaluation=evaluation_of(p, world.member_a), work_rating="satisfied",
                        result_rating="basically_satisfied")  # fmt: skip
    s.proposal_close(actor=world.staff, proposal=p)
    followups = list(FollowUp.objects.order_by("due_date"))
    assert [(f.title, f.due_date, f.owner_unit, f.status) for f in followups] == [
        ("出台托育补贴办法", dt.date(2026, 6, 30), world.lead_unit, "open"),
        ("2026年新增托位2000个", dt.date(2026, 12, 31), world.lead_unit, "open"),
    ]
    assert {(f.source_type, f.source_id) for f in followups} == {("proposals.reply", str(reply.pk))}
    assert "市教育局" in followups[0].source_label
    assert last_event("proposal.close").payload["followups"] == sorted(f.pk for f in followups)


def test_a_class_close_creates_no_follow_up(world):
    p = replied(world, result="A")
    s.proposal_evaluate(actor=world.member, evaluation=evaluation_of(p, world.member_a), work_rating="satisfied",
                        result_rating="satisfied")  # fmt: skip
    s.proposal_close(actor=world.staff, proposal=p)
    assert not FollowUp.objects.exists()


def test_daily_job_marks_expired_ratings_unrated(world, clock):
    p = replied(world)
    e = evaluation_of(p, world.member_a)
    assert s.evaluations_mark_unrated(today=e.deadline) == 0
    assert s.evaluations_mark_unrated(today=e.deadline + dt.timedelta(days=1)) == 1
    assert refresh(e).status == "unrated"
    assert last_event("proposal.evaluation_unrated").payload["evaluations"] == [e.pk]


# --- marks -------------------------------------------------------------------------------------------------------------


def test_excellent_is_never_marked_directly_only_revoked_with_a_reason(world):
    plain = filed(world)
    refused(lambda: s.proposal_mark_excellent(actor=world.staff, proposal=plain, is_excellent=True),
            ApplicationError, match="审定通报")  # fmt: skip
    p = excellent(world)
    refused(
        lambda: s.proposal_mark_excellent(actor=world.staff, proposal=p, reason=" "), ApplicationError, "理由"
    )
    p = s.proposal_mark_excellent(actor=world.staff, proposal=p, reason="经核实不符合条件")
    assert not p.is_excellent
    event = Event.objects.filter(action="proposal.mark_excellent").latest("seq")
    assert event.payload == {"is_excellent": False, "reason": "经核实不符合条件"}


def test_set_public(world):
    p = s.proposal_set_public(actor=world.staff, proposal=filed(world), is_public=True)
    assert p.is_public


# --- settings and categories --------------------------------------------------------------------------------------


def test_settings_have_defaults_and_validate_changes(world):
    config = s.proposal_settings_get(world.council)
    assert (config.handling_months, config.hard_case_max_months, config.adjustment_window_days,
            config.first_contact_days, config.evaluation_window_days, config.rehandle_months,
            config.reminder_days, config.case_number_format) == (3, 6, 5, 10, 15, 1, [30, 7, 1], "{n:04d}")  # fmt: skip
    assert [c["code"] for c in config.result_classes] == ["A", "B", "C"]
    assert [c["code"] for c in config.result_classes if c["requires_commitments"]] == ["B"]
    call = s.proposal_settings_update
    refused(
        lambda: call(actor=world.staff, council=world.council, data={"handling_months": 7}), ApplicationError
    )
    refused(lambda: call(actor=world.staff, council=world.council, data={"case_number_format": "{x}"}),
            ApplicationError)  # fmt: skip
    refused(
        lambda: call(actor=world.staff, council=world.council, data={"reminder_days": ["a"]}),
        ApplicationError,
    )
    refused(lambda: call(actor=world.staff, council=world.council,
                         data={"result_classes": [{"code": "A", "label": "x"}, {"code": "A", "label": "y"}]}),
            ApplicationError)  # fmt: skip
    refused(lambda: call(actor=world.general_staff, council=world.council, data={"handling_months": 2}))
    refused(lambda: call(actor=world.other_staff, council=world.council, data={"handling_months": 2}))
    classes = [*config.result_classes, {"code": "D", "label": "不宜公开答复", "requires_commitments": False}]
    config = call(
        actor=world.staff, council=world.council, data={"result_classes": classes, "handling_months": 2}
    )
    assert config.handling_months == 2
    assert last_event("proposal_settings.update").payload["changes"]["handling_months"] == [3, 2]


def test_categories_default_and_managed_by_proposal_staff(world):
    assert [c.name for c in s.categories_ensure(world.council)] == [
        "经济建设", "政治建设", "文化建设", "社会建设", "生态文明建设", "党的建设和其他"]  # fmt: skip
    category = s.category_create(actor=world.staff, council=world.council, name="乡村振兴", order=7)
    refused(
        lambda: s.category_create(actor=world.staff, council=world.council, name="乡村振兴"), ApplicationError
    )
    refused(lambda: s.category_create(actor=world.member, council=world.council, name="其他"))
    s.category_update(actor=world.staff, category=category, data={"is_active": False})
    refused(lambda: draft(world, category=refresh(category)), ApplicationError)


# --- attachments -------------------------------------------------------------------------------------------------


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_attachments_are_checked_by_extension_and_content(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    p = draft(world)
    pdf = s.attachment_add(
        actor=world.member, proposal=p, file=SimpleUploadedFile("调研报告.pdf", b"%PDF-1.7 ...")
    )
    assert (pdf.original_name, pdf.content_type, pdf.size) == ("调研报告.pdf", "application/pdf", 12)
    s.attachment_add(actor=world.member, proposal=p, file=SimpleUploadedFile("a.docx", _docx()))
    s.attachment_add(
        actor=world.member, proposal=p, file=SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n....")
    )
    bad = [
        (SimpleUploadedFile("a.exe", b"MZ...."), "只能上传"),
        (SimpleUploadedFile("a.pdf", b"MZ not a pdf"), "不符"),
        (SimpleUploadedFile("a.docx", b"PK\x03\x04 broken zip"), "不符"),
        (SimpleUploadedFile("a.xlsx", _docx()), "不符"),  # a Word file renamed .xlsx
        (SimpleUploadedFile("a.jpg", b""), "空文件"),
    ]
    for upload, message in bad:
        refused(lambda upload=upload: s.attachment_add(actor=world.member, proposal=p, file=upload),
                ApplicationError, match=message)  # fmt: skip
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024))
    refused(
        lambda: s.attachment_add(actor=world.member, proposal=p, file=big), ApplicationError, match="20 MB"
    )
    refused(
        lambda: s.attachment_add(actor=world.staff, proposal=p, file=SimpleUploadedFile("b.pdf", b"%PDF-1"))
    )
    s.attachment_remove(actor=world.member, attachment=pdf)
    assert p.attachments.count() == 2


# --- version -------------------------------------------------------------------------------------------------------


def test_every_transition_bumps_the_version(world):
    p = draft(world)
    versions = [p.version]
    for step in (
        lambda: s.proposal_submit(actor=world.member, proposal=p),
        lambda: s.proposal_file(actor=world.staff, proposal=p),
        lambda: s.proposal_assign(actor=world.staff, proposal=p, lead_unit=world.lead_unit),
    ):
        step()
        versions.append(refresh(p).version)
    assert versions == [1, 2, 3, 4]
    refused(
        lambda: s.proposal_set_key(actor=world.staff, proposal=p, is_key=True, expected_version=3),
        ConflictError,
    )


def test_wrong_council_role_is_permission_denied_not_leaked(world):
    p = submitted(world)
    with pytest.raises(PermissionDenied):
        s.proposal_file(actor=world.other_staff, proposal=p)
