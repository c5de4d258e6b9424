"""manage.py send_reminders [--date YYYY-MM-DD]: the daily reminder job, run by cron or a systemd timer."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from yizheng.notifications.services import reminders_send


class Command(BaseCommand):
    help = "每日提醒:办理期限前30/7/1天及超期提醒、评价逾期记为未评价、跟踪事项超期、重发失败的邮件"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按该日期运行(YYYY-MM-DD),默认今天")

    def handle(self, *args, **options):
        today = None
        if options.get("date"):
            try:
                today = date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("日期格式应为 YYYY-MM-DD") from exc
        result = reminders_send(today=today)
        self.stdout.write(
            "reminders={reminders} notifications={notifications} unrated={unrated} "
            "followups_overdue={followups_overdue} emails_retried={emails_retried}".format(**result)
        )
