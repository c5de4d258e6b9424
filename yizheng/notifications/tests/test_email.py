"""Emails reach a real SMTP server (aiosmtpd on loopback) with a Chinese subject and a link; a failed send is
logged and retried later and never undoes the change that caused it."""

from __future__ import annotations

import logging

from yizheng.notifications import services as ns
from yizheng.notifications.models import Notification
from yizheng.notifications.tests.conftest import subject
from yizheng.proposals import services as s
from yizheng.proposals.tests.conftest import assignment, handling, joint_draft, submitted


def test_an_event_emails_the_member_at_their_member_address(world, mailbox, committed):
    world.member_a.email = "zhang@example.cn"
    world.member_a.save(update_fields=["email"])
    with committed():
        s.proposal_file(actor=world.staff, proposal=submitted(world))
    n = Notification.objects.get(recipient=world.member)
    (message,) = mailbox.messages
    assert mailbox.envelopes[0].rcpt_tos == ["zhang@example.cn"]
    assert subject(message) == "【议政】提案《关于发展普惠托育服务的提案》已立案,案号第0001号"
    body = message.get_content()
    assert f"https://yizheng.example.cn/notifications/{n.pk}/open/" in body
    assert "第0001号" in body
    n.refresh_from_db()
    assert n.emailed_at is not None
    assert n.email_attempts == 1
    assert n.email_error == ""


def test_the_account_email_wins_and_only_recipients_are_mailed(world, mailbox, committed):
    world.member_b_user.email = "li@example.cn"
    world.member_b_user.save(update_fields=["email"])
    world.member_b.email = "li.old@example.cn"
    world.member_b.save(update_fields=["email"])
    world.staff.email = "staff@example.cn"
    world.staff.save(update_fields=["email"])
    p = s.proposal_submit(actor=world.member, proposal=joint_draft(world))
    with committed():
        s.proposal_file(actor=world.staff, proposal=p)
    assert [e.rcpt_tos for e in mailbox.envelopes] == [["li@example.cn"]]  # staff acted; member_a has none
    assert subject(mailbox.to("li@example.cn")[0]).startswith("【议政】")
    no_address = Notification.objects.get(recipient=world.member)
    assert no_address.emailed_at is None
    assert no_address.email_error == ns.NO_ADDRESS
    assert ns.emails_pending() == []


def test_unit_liaison_gets_the_assignment_by_email(world, mailbox, committed):
    world.lead_liaison.email = "jyj@example.cn"
    world.lead_liaison.save(update_fields=["email"])
    p = s.proposal_file(actor=world.staff, proposal=submitted(world))
    with committed():
        s.proposal_assign(actor=world.staff, proposal=p, lead_unit=world.lead_unit)
    (message,) = mailbox.to("jyj@example.cn")
    assert subject(message) == "【议政】交办提案:第0001号《关于发展普惠托育服务的提案》(主办)"


def test_a_failed_send_is_logged_kept_and_retried_later(world, start_smtp, committed, caplog):
    world.lead_liaison.email = "jyj@example.cn"
    world.lead_liaison.save(update_fields=["email"])
    p = handling(world)
    # No SMTP server is listening yet: the request for adjustment still goes through.
    world.staff.email = "tian@example.cn"
    world.staff.save(update_fields=["email"])
    with caplog.at_level(logging.WARNING, logger="yizheng.notifications.services"), committed():
        request = s.proposal_request_adjustment(
            actor=world.lead_liaison, assignment=assignment(p, world.lead_unit), reason="职能不符"
        )
    assert request.pk
    assert request.status == "pending"
    n = Notification.objects.get(recipient=world.staff)
    assert n.emailed_at is None
    assert n.email_attempts == 1
    assert n.email_error
    assert "tian@example.cn" in caplog.text
    assert ns.emails_pending() == [n.pk]

    mailbox = start_smtp()
    assert ns.emails_retry() == 1
    n.refresh_from_db()
    assert n.emailed_at is not None
    assert n.email_attempts == 2
    assert n.email_error == ""
    assert [subject(m) for m in mailbox.to("tian@example.cn")] == [
        "【议政】市教育局申请调整提案第0001号《关于发展普惠托育服务的提案》"
    ]
    assert ns.emails_retry() == 0  # sent once, never again
    assert len(mailbox.messages) == 1


def test_attempts_stop_after_the_limit(world, smtp_settings, committed):
    world.member_a.email = "zhang@example.cn"
    world.member_a.save(update_fields=["email"])
    with committed():
        s.proposal_file(actor=world.staff, proposal=submitted(world))
    n = Notification.objects.get(recipient=world.member)
    for _ in range(ns.MAX_EMAIL_ATTEMPTS + 2):
        ns.emails_retry()
    n.refresh_from_db()
    assert n.email_attempts == ns.MAX_EMAIL_ATTEMPTS
    assert n.emailed_at is None
    assert ns.emails_pending() == []
