"""Recorded events become in-app notifications for exactly the right people: never the actor, never another
unit, never another council; and a failing notifier never breaks the change that caused it."""

from __future__ import annotations

import datetime as dt
import logging

from yizheng.followups.services import followup_create, followups_mark_overdue
from yizheng.notifications import messages
from yizheng.notifications.models import Notification
from yizheng.org.models import Office, Role
from yizheng.proposals import services as s
from yizheng.proposals.models import Proposal
from yizheng.proposals.tests.conftest import (
    approved_reply,
    assignment,
    closed,
    draft,
    drafted_reply,
    filed,
    handling,
    joint_draft,
    refresh,
    submitted,
)


def inbox(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("pk"))


def recipients_of(kind: str) -> set[int]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def test_cosign_invitation_goes_to_the_invited_members_only(world, committed):
    p = draft(world, kind="joint")
    with committed():
        s.proposal_cosign_invite(actor=world.member, proposal=p, members=[world.member_b, world.member_c])
    assert recipients_of("proposal.cosign_invite") == {world.member_b_user.pk, world.member_c_user.pk}
    (n,) = inbox(world.member_b_user)
    assert n.title == "联名邀请:《关于发展普惠托育服务的提案》"
    assert "张委员邀请您联名" in n.body
    assert "年" in n.body
    assert n.council_id == world.council.pk
    assert n.target_id == str(p.pk)
    assert n.url
    assert n.source_event.action == "proposal.cosign_invite"
    assert inbox(world.member) == []
    assert inbox(world.other_member) == []


def test_filed_tells_every_submitter_the_case_number(world, committed):
    p = s.proposal_submit(actor=world.member, proposal=joint_draft(world))  # b accepted, c did not answer
    with committed():
        s.proposal_file(actor=world.staff, proposal=p)
    assert recipients_of("proposal.file") == {world.member.pk, world.member_b_user.pk}
    (n,) = inbox(world.member)
    assert n.title == "提案《关于发展普惠托育服务的提案》已立案,案号第0001号"
    assert inbox(world.member_c_user) == []
    assert inbox(world.staff) == []


def test_declined_with_the_reason_and_returned_with_the_comments(world, committed):
    reason = s.proposal_settings_get(world.council).decline_reasons[6]
    with committed():
        s.proposal_decline(actor=world.staff, proposal=submitted(world), reason=reason, disposition="archive",
                           note="建议进一步调研后再提")  # fmt: skip
        s.proposal_return_for_revision(
            actor=world.staff, proposal=submitted(world), comments="请补充具体建议"
        )
    declined, returned = inbox(world.member)
    assert declined.title.endswith("不予立案")
    assert reason in declined.body
    assert "建议进一步调研后再提" in declined.body
    assert "存档" in declined.body
    assert returned.title.endswith("已退回修改")
    assert "请补充具体建议" in returned.body


def test_collective_proposal_tells_the_collective_agents(world, make_user, committed):
    second_agent = make_user(Role.COLLECTIVE_AGENT, world.council, organization=world.organization)
    p = submitted(world, kind="collective")
    with committed():
        s.proposal_file(actor=world.staff, proposal=p)
    assert recipients_of("proposal.file") == {world.agent.pk, second_agent.pk}


def test_assignment_tells_each_assigned_unit_and_no_other(world, make_user, committed):
    reviewer = make_user(Role.UNIT_REVIEWER, world.council, unit=world.lead_unit)
    p = filed(world)
    with committed():
        s.proposal_assign(actor=world.staff, proposal=p, lead_unit=world.lead_unit, co_units=[world.co_unit])
    assert recipients_of("proposal.assign") == {world.lead_liaison.pk, reviewer.pk, world.co_liaison.pk}
    lead = inbox(world.lead_liaison)[0]
    assert lead.title == "交办提案:第0001号《关于发展普惠托育服务的提案》(主办)"
    assert "办理期限" in lead.body
    assert "申请调整" in lead.body
    assert "协办" in inbox(world.co_liaison)[0].title
    for outsider in (world.separate_liaison, world.stranger_liaison, world.other_liaison, world.member):
        assert inbox(outsider) == []


def test_key_proposal_tells_its_supervising_leader(world, committed):
    with committed():
        s.proposal_assign(actor=world.staff, proposal=filed(world), lead_unit=world.lead_unit, is_key=True,
                          supervising_leaders=[world.leader])  # fmt: skip
    assert [n.title for n in inbox(world.leader)] == [
        "重点提案第0001号《关于发展普惠托育服务的提案》已交办,请领衔督办"
    ]


def test_unit_requests_go_to_the_proposal_office_and_decisions_back_to_the_unit(
    world, make_user, clock, committed
):
    other_office_staff = make_user(Role.STAFF, world.other_council, office=Office.PROPOSAL)
    p = handling(world, separate=True)
    lead = assignment(p, world.lead_unit)
    with committed():
        adjustment = s.proposal_request_adjustment(
            actor=world.lead_liaison, assignment=lead, reason="职能不符"
        )
        extension = s.proposal_request_extension(
            actor=world.separate_liaison, assignment=assignment(p, world.separate_unit), reason="需要调研",
            requested_deadline=lead.deadline + dt.timedelta(days=20),
        )  # fmt: skip
    assert recipients_of("proposal.request_adjustment") == {world.staff.pk}
    assert recipients_of("proposal.request_extension") == {world.staff.pk}
    assert "职能不符" in inbox(world.staff)[0].body
    assert inbox(world.general_staff) == []
    assert inbox(other_office_staff) == []
    assert inbox(world.other_staff) == []
    with committed():
        s.proposal_decide_adjustment(
            actor=world.staff, request=adjustment, grant=False, note="属于本单位职责"
        )
        s.proposal_decide_extension(actor=world.staff, request=extension, grant=True)
    assert recipients_of("proposal.decide_adjustment") == {world.lead_liaison.pk}
    assert recipients_of("proposal.decide_extension") == {world.separate_liaison.pk}
    refused = inbox(world.lead_liaison)[-1]
    assert refused.title.endswith("调整申请未同意")
    assert "属于本单位职责" in refused.body
    assert inbox(world.separate_liaison)[-1].title.endswith("延期申请已同意")
    assert inbox(world.co_liaison) == [n for n in inbox(world.co_liaison) if n.kind == "proposal.assign"]


def test_reply_chain_countersign_review_and_publish(world, committed):
    p = handling(world)
    reply = drafted_reply(world, p, result="A")
    with committed():
        reply = s.proposal_submit_reply(actor=world.lead_liaison, reply=reply)
    assert recipients_of("proposal.submit_reply") == {world.co_liaison.pk}  # to countersign first
    assert inbox(world.co_liaison)[-1].title.startswith("请会签市教育局")
    with committed():
        s.proposal_countersign(
            actor=world.co_liaison, countersignature=reply.countersignatures.get(), sign=True
        )
    assert recipients_of("proposal.countersign") == {world.supervisor.pk, world.staff.pk}
    assert inbox(world.supervisor)[-1].title.endswith("的答复待督办审核")
    with committed():
        s.proposal_supervise_review(actor=world.supervisor, reply=reply, approve=False, note="请补充经费安排")
    sent_back = inbox(world.lead_liaison)[-1]
    assert sent_back.title.endswith("答复被督办退回")
    assert "请补充经费安排" in sent_back.body
    assert world.co_liaison.pk not in recipients_of("proposal.supervise_review")


def test_published_reply_asks_every_submitter_to_rate(world, committed):
    p = handling(world, co=False, kind="joint")
    reply = s.proposal_submit_reply(actor=world.lead_liaison, reply=drafted_reply(world, p))
    assert reply.status == "under_review"
    with committed():
        s.proposal_supervise_review(actor=world.supervisor, reply=reply, approve=True)
    assert recipients_of("proposal.publish") == {world.member.pk, world.member_b_user.pk}
    rate = next(n for n in inbox(world.member_b_user) if n.kind == "proposal.publish")
    assert rate.title.endswith("已答复,请评价")
    assert "评价" in rate.body
    assert recipients_of("proposal.supervise_review") == {world.lead_liaison.pk}


def test_rehandle_and_close(world, committed):
    p = handling(world, co=False)
    approved_reply(world, p, result="B")
    evaluation = refresh(p).evaluations.get(member=world.member_a)
    s.proposal_evaluate(actor=world.member, evaluation=evaluation, work_rating="dissatisfied",
                        result_rating="dissatisfied")  # fmt: skip
    with committed():
        s.proposal_rehandle(actor=world.staff, proposal=refresh(p))
    assert recipients_of("proposal.rehandle") == {world.lead_liaison.pk}
    assert "重新办理" in inbox(world.lead_liaison)[-1].title


def test_reopen_tells_every_submitter_why(world, clock, committed):
    p = closed(world, kind="joint")  # member_b accepted the co-signature
    clock.set(dt.date(2026, 3, 2))
    with committed():
        s.proposal_reopen(actor=world.staff, proposal=p, reason="城市更新项目已立项,条件具备")
    assert recipients_of("proposal.reopen") == {world.member.pk, world.member_b_user.pk}
    n = inbox(world.member_b_user)[-1]
    assert n.title.endswith("重启办理")
    assert "城市更新项目已立项" in n.body


def test_followup_created_and_overdue(world, clock, committed):
    p = handling(world, co=False)
    with committed():
        f = followup_create(actor=world.staff, council=world.council, source=p, title="年底前新增托位2000个",
                            owner_unit=world.lead_unit, due_date=clock.today + dt.timedelta(days=3))  # fmt: skip
    assert recipients_of("followup.create") == {world.lead_liaison.pk}
    with committed():
        followups_mark_overdue(today=clock.today + dt.timedelta(days=4))
    assert recipients_of("followup.mark_overdue") == {world.lead_liaison.pk, world.staff.pk}
    assert inbox(world.lead_liaison)[-1].target_id == str(f.pk)


def test_the_actor_is_not_told_of_their_own_action(world, make_user, committed):
    both = make_user(Role.STAFF, world.council, office=Office.PROPOSAL)
    p = handling(world)
    with committed():
        s.proposal_request_adjustment(
            actor=world.lead_liaison, assignment=assignment(p, world.lead_unit), reason="x"
        )
    assert both.pk in recipients_of("proposal.request_adjustment")
    assert world.lead_liaison.pk not in recipients_of("proposal.request_adjustment")


def test_a_failing_notifier_never_breaks_the_change(world, committed, monkeypatch, caplog):
    def broken(event):
        raise RuntimeError("boom")

    monkeypatch.setattr(messages, "drafts_for", broken)
    p = submitted(world)
    with caplog.at_level(logging.ERROR, logger="yizheng.notifications.subscribers"), committed():
        filed_p = s.proposal_file(actor=world.staff, proposal=p)
    assert Proposal.objects.get(pk=p.pk).state == "filed"
    assert filed_p.case_number == 1
    assert Notification.objects.count() == 0
    assert "proposal.file" in caplog.text


def test_the_same_event_notifies_once(world, committed):
    from yizheng.audit.models import Event
    from yizheng.notifications.subscribers import notify

    with committed():
        s.proposal_file(actor=world.staff, proposal=submitted(world))
    notify(Event.objects.get(action="proposal.file"))  # delivered again
    assert Notification.objects.filter(kind="proposal.file").count() == 1
