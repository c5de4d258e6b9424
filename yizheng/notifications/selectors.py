"""Reading notifications: each user sees only their own."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from .models import Notification


def notifications_for(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, unread first, newest first within each."""
    qs = Notification.objects.filter(recipient_id=user.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.annotate(
        read_rank=Case(
            When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("read_rank", "-created_at", "-id")


def notification_for(user, pk) -> Notification:
    """One of the user's notifications; anybody else's is 404."""
    found = Notification.objects.filter(recipient_id=user.pk, pk=pk).first()
    if found is None:
        raise Http404
    return found


def unread_count(user) -> int:
    """Cached on the user object for the request (the top bar asks once per page)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    if "_yz_unread" not in user.__dict__:
        user.__dict__["_yz_unread"] = Notification.objects.filter(
            recipient_id=user.pk, read_at__isnull=True
        ).count()
    return user.__dict__["_yz_unread"]
