"""Writing notifications and sending their emails.

Notifications are created by the event subscribers (after the commit of the change that caused them) and by the
daily reminder job, never by domain apps. Each has a `dedupe_key`, so a handler or job that runs twice creates
nothing new. Emails go out in a task after the notifications are committed; a failure is logged, counted and
retried by the next run of `emails_retry` (part of the daily job) — it never touches the change that caused it.

Marking read is the recipient's own inbox state (like a read receipt), so it is not an audited event.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yizheng.org.models import Member, User

from .models import Notification

logger = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 5
NO_ADDRESS = "no-address"
RETRY_WINDOW = timedelta(days=3)
RETRY_GRACE = timedelta(minutes=10)  # a just-enqueued email is left to its own task


@dataclass(frozen=True)
class Draft:
    """One notification to create."""

    recipient: User
    kind: str
    title: str
    dedupe_key: str
    body: str = ""
    url: str = ""
    council_id: int | None = None
    target_type: str = ""
    target_id: str = ""
    source_event_id: int | None = None


def notifications_create(*, items: Iterable[Draft]) -> list[int]:
    """Create the notifications not created before (by recipient and dedupe key); their emails are queued
    after the commit. Returns the ids of the new notifications."""
    drafts: dict[tuple[int, str], Draft] = {}
    for d in items:
        if d.recipient is not None and d.recipient.is_active:
            drafts.setdefault((d.recipient.pk, d.dedupe_key), d)
    if not drafts:
        return []
    keys = {key for _user, key in drafts}
    with transaction.atomic():
        existing = set(
            Notification.objects.filter(dedupe_key__in=keys).values_list("recipient_id", "dedupe_key")
        )
        new = [
            Notification(
                recipient=d.recipient,
                council_id=d.council_id,
                kind=d.kind[:64],
                title=d.title[:200],
                body=d.body,
                url=d.url[:300],
                target_type=d.target_type,
                target_id=str(d.target_id),
                source_event_id=d.source_event_id,
                dedupe_key=d.dedupe_key[:120],
            )
            for pair, d in drafts.items()
            if pair not in existing
        ]
        Notification.objects.bulk_create(new, ignore_conflicts=True)
        wanted = {(n.recipient_id, n.dedupe_key) for n in new}
        ids = [
            pk
            for pk, user_id, key in Notification.objects.filter(
                dedupe_key__in={n.dedupe_key for n in new}, email_attempts=0, emailed_at__isnull=True
            )
            .order_by("pk")
            .values_list("pk", "recipient_id", "dedupe_key")
            if (user_id, key) in wanted
        ]
        if ids:
            transaction.on_commit(lambda: _queue_emails(ids))
    return ids


def _queue_emails(ids: list[int]) -> None:
    from .tasks import send_notification_emails

    try:
        send_notification_emails.enqueue(notification_ids=ids)
    except Exception:  # the queue being down must not break anything; emails_retry picks them up
        logger.exception("could not queue emails for notifications %s", ids)


def notification_mark_read(*, actor, notification: Notification) -> Notification:
    if notification.recipient_id != getattr(actor, "pk", None):
        raise PermissionDenied
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, actor) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


# --- email ------------------------------------------------------------------------------------------------


def email_address_of(user: User) -> str:
    """The account's email, else the email of the member the account belongs to."""
    if user.email:
        return user.email
    return Member.objects.filter(user=user).exclude(email="").values_list("email", flat=True).first() or ""


def site_url() -> str:
    """The address in email links: YIZHENG_SITE_URL (setting or environment), else the first trusted origin,
    else the first allowed host."""
    configured = getattr(settings, "YIZHENG_SITE_URL", "") or os.environ.get("YIZHENG_SITE_URL", "")
    if configured:
        return configured
    if settings.CSRF_TRUSTED_ORIGINS:
        return settings.CSRF_TRUSTED_ORIGINS[0]
    host = next((h for h in settings.ALLOWED_HOSTS if h and not h.startswith((".", "*"))), "127.0.0.1")
    return f"http://{host}:8000" if host in ("127.0.0.1", "localhost", "[::1]") else f"https://{host}"


def _message(notification: Notification, address: str) -> EmailMessage:
    with translation.override(settings.LANGUAGE_CODE):
        link = site_url().rstrip("/") + reverse("notification_open", args=[notification.pk])
        subject = _("【议政】%(title)s") % {"title": notification.title}
        lines = [
            _("%(name)s:") % {"name": notification.recipient},
            "",
            notification.body or notification.title,
            "",
            _("查看详情:%(link)s") % {"link": link},
            "",
            _("—— 议政 · 智慧政协(系统自动发送,请勿直接回复)"),
        ]
    return EmailMessage(subject=subject.replace("\n", " "), body="\n".join(lines), to=[address])


def notification_email_send(notification_id: int) -> bool:
    """Send one notification's email, at most once. The attempt is claimed by a conditional update, so two
    workers never send the same email; no lock is held while talking to the mail server."""
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None or notification.emailed_at is not None:
        return False
    if notification.email_attempts >= MAX_EMAIL_ATTEMPTS or notification.email_error == NO_ADDRESS:
        return False
    address = email_address_of(notification.recipient)
    if not address:
        Notification.objects.filter(pk=notification.pk).update(email_error=NO_ADDRESS)
        return False
    attempts = notification.email_attempts
    claimed = Notification.objects.filter(
        pk=notification.pk, emailed_at__isnull=True, email_attempts=attempts
    ).update(email_attempts=attempts + 1)
    if not claimed:
        return False
    try:
        _message(notification, address).send()
    except Exception as exc:
        logger.warning(
            "email for notification %s to %s failed (attempt %s): %s",
            notification.pk,
            address,
            attempts + 1,
            exc,
            exc_info=True,
        )
        Notification.objects.filter(pk=notification.pk).update(
            email_error=str(exc)[:300] or type(exc).__name__
        )
        return False
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now(), email_error="")
    return True


def emails_pending(now=None) -> list[int]:
    """Notifications whose email has not gone out: failed earlier, or never sent (a queue that was down)."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(
            emailed_at__isnull=True,
            email_attempts__lt=MAX_EMAIL_ATTEMPTS,
            created_at__gte=now - RETRY_WINDOW,
        )
        .exclude(email_error=NO_ADDRESS)
        .filter(Q(email_attempts__gt=0) | Q(created_at__lte=now - RETRY_GRACE))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def emails_retry(now=None) -> int:
    return sum(1 for pk in emails_pending(now) if notification_email_send(pk))


# --- the daily job ----------------------------------------------------------------------------------------


def reminders_send(*, today: date | None = None) -> dict[str, int]:
    """The daily job: ratings past their window become unrated, follow-ups past due become overdue (their
    events notify the owners), every assignment deadline reminder due today (30/7/1 days before, overdue) is
    sent to the unit — overdue ones to the proposal office too — and logged so it goes out once; follow-ups
    due within 7 days are reminded; failed emails are retried."""
    from yizheng.followups.services import followups_mark_overdue
    from yizheng.proposals.selectors import proposal_reminders_due
    from yizheng.proposals.services import evaluations_mark_unrated, reminders_record

    from . import messages

    today = today or timezone.localdate()
    unrated = evaluations_mark_unrated(today=today)
    overdue_followups = followups_mark_overdue(today=today)
    with transaction.atomic():
        due = proposal_reminders_due(today)
        with translation.override(settings.LANGUAGE_CODE):
            drafts = messages.assignment_reminders(due, today) + messages.followup_reminders(today)
        created = notifications_create(items=drafts)
        reminders_record(due=due)
    retried = emails_retry()
    return {
        "reminders": len(due),
        "notifications": len(created),
        "unrated": unrated,
        "followups_overdue": overdue_followups,
        "emails_retried": retried,
    }
