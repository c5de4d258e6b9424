"""The daily job: reminders 30, 7 and 1 days before an assignment deadline and when overdue, to the unit (and the
proposal office when overdue), each once even when the job runs twice; by email too; ratings past their window
become unrated; follow-ups past due become overdue and are notified."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from yizheng.followups.services import followup_create
from yizheng.notifications.models import Notification
from yizheng.notifications.tasks import send_reminders
from yizheng.notifications.tests.conftest import subject
from yizheng.proposals.models import Evaluation, Reminder
from yizheng.proposals.tests.conftest import approved_reply, assignment, handling, refresh


def run(day: dt.date) -> str:
    out = StringIO()
    call_command("send_reminders", "--date", day.isoformat(), stdout=out)
    return out.getvalue()


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user, kind__startswith="reminder.").order_by("pk")
                .values_list("kind", flat=True))  # fmt: skip


def test_reminders_at_30_7_1_days_and_overdue_each_once(world, committed):
    p = handling(world, co=False)
    deadline = assignment(p, world.lead_unit).deadline
    with committed():
        for days in (40, 30, 29, 7, 1, -1, -2):
            day = deadline - dt.timedelta(days=days)
            run(day)
            run(day)  # the job runs twice: nothing twice
    assert kinds(world.lead_liaison) == ["reminder.30", "reminder.7", "reminder.1", "reminder.overdue"]
    assert kinds(world.staff) == ["reminder.overdue"]
    for outsider in (
        world.co_liaison,
        world.stranger_liaison,
        world.other_liaison,
        world.member,
        world.other_staff,
    ):
        assert kinds(outsider) == []
    n30, n7, n1, overdue = Notification.objects.filter(recipient=world.lead_liaison).order_by("pk")
    assert n30.title == "还有30天到期:提案第0001号《关于发展普惠托育服务的提案》"
    assert n7.title.startswith("还有7天到期")
    assert n1.title.startswith("还有1天到期")
    assert overdue.title.startswith("已超期1天")
    assert "请抓紧办理" in overdue.body
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in n30.body
    assert Reminder.objects.filter(assignment=assignment(p, world.lead_unit)).count() == 4


def test_a_missed_day_still_sends_the_reminder_once(world, committed):
    p = handling(world, co=False)
    deadline = assignment(p, world.lead_unit).deadline
    with committed():
        run(deadline - dt.timedelta(days=25))  # the job did not run on day 30
        run(deadline - dt.timedelta(days=24))
    assert kinds(world.lead_liaison) == ["reminder.30"]


def test_co_units_are_reminded_of_their_opinion_deadline(world, committed):
    p = handling(world)
    co = assignment(p, world.co_unit)
    with committed():
        run(co.opinion_deadline - dt.timedelta(days=7))
    (n,) = Notification.objects.filter(recipient=world.co_liaison, kind="reminder.7")
    assert "协办意见" in n.body


def test_reminder_email_reaches_the_unit(world, mailbox, committed):
    world.lead_liaison.email = "jyj@example.cn"
    world.lead_liaison.save(update_fields=["email"])
    p = handling(world, co=False)
    deadline = assignment(p, world.lead_unit).deadline
    with committed():
        send_reminders.enqueue(date=(deadline - dt.timedelta(days=7)).isoformat())
    (message,) = mailbox.to("jyj@example.cn")
    assert subject(message) == "【议政】还有7天到期:提案第0001号《关于发展普惠托育服务的提案》"


def test_unrated_ratings_and_overdue_followups(world, clock, committed):
    p = handling(world, co=False)
    approved_reply(world, p, result="A")
    evaluation = refresh(p).evaluations.get(member=world.member_a)
    f = followup_create(actor=world.staff, council=world.council, source=p, title="新增托位",
                        owner_unit=world.lead_unit, due_date=clock.today + dt.timedelta(days=7))  # fmt: skip
    with committed():
        for days in (0, 0, 3, 6, 6):  # 7 days left, twice; 4 left; 1 left, twice
            run(clock.today + dt.timedelta(days=days))
    followup_kinds = list(
        Notification.objects.filter(recipient=world.lead_liaison, target_type="followups.followup")
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert followup_kinds == ["reminder.7", "reminder.1"]
    with committed():
        out = run(evaluation.deadline + dt.timedelta(days=30))
    assert "unrated=1" in out
    assert Evaluation.objects.get(pk=evaluation.pk).status == "unrated"
    overdue = Notification.objects.filter(kind="followup.mark_overdue").values_list("recipient_id", flat=True)
    assert set(overdue) == {world.lead_liaison.pk, world.staff.pk}
    assert Notification.objects.filter(kind="followup.mark_overdue", target_id=str(f.pk)).count() == 2


def test_bad_date_is_refused():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "2026-13-01")
