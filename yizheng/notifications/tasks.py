"""Background work: emails of new notifications, and the daily reminder job (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def send_notification_emails(*, notification_ids: list[int]) -> int:
    """Send the emails of these notifications; failures are logged and left for `emails_retry`."""
    return sum(1 for pk in notification_ids if services.notification_email_send(pk))


@task()
def send_reminders(*, date: str | None = None) -> dict[str, int]:
    """The daily job (see docs/deploy.md): deadline reminders, unrated ratings, overdue follow-ups, email
    retries. `date` (YYYY-MM-DD) stands in for today."""
    from datetime import date as date_cls

    return services.reminders_send(today=date_cls.fromisoformat(date) if date else None)
