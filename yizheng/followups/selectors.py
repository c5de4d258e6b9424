"""Reading follow-ups, scoped to what the user may see."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Case, Q, QuerySet, When
from django.http import Http404
from django.utils import timezone

from yizheng.audit.services import target_type_of

from . import permissions as perms
from . import workflow as wf
from .models import FollowUp
from .workflow import Status


def with_overdue(qs: QuerySet[FollowUp], today: date | None = None) -> QuerySet[FollowUp]:
    """Annotate `is_overdue`: marked overdue, or still open past the due date (before the daily job ran)."""
    today = today or timezone.localdate()
    return qs.annotate(
        is_overdue=Case(
            When(
                Q(status=Status.OVERDUE)
                | Q(status__in=[Status.OPEN, Status.IN_PROGRESS], due_date__lt=today),
                then=True,
            ),
            default=False,
            output_field=models.BooleanField(),
        )
    )


def followups_visible_to(user, today: date | None = None) -> QuerySet[FollowUp]:
    """Follow-ups of the user's councils (staff, leaders, supervisors), of their unit, or their own; with
    `is_overdue` annotated."""
    return with_overdue(
        FollowUp.objects.filter(perms.visible_q(user)).select_related("council", "owner_unit", "owner_user"),
        today,
    )


def followup_for(user, pk, action: str = "view") -> FollowUp:
    """Fetch and authorise: 404 outside the user's scope, 403 when they may not fire `action`."""
    followup = followups_visible_to(user).filter(pk=pk).first()
    if followup is None:
        raise Http404
    if action != "view" and not wf.TRANSITIONS[action].actors & perms.actor_kinds(user, followup):
        raise PermissionDenied
    return followup


def followups_for_unit(user, unit=None) -> QuerySet[FollowUp]:
    """Open items owned by the user's unit(s) (or one of them), soonest due first."""
    units = perms.unit_ids(user)
    if unit is not None:
        units &= {unit.pk}
    return (
        followups_visible_to(user)
        .filter(owner_unit_id__in=sorted(units), status__in=sorted(wf.OPEN_STATUSES))
        .order_by("due_date", "pk")
    )


def followups_for_source(user, source: models.Model) -> QuerySet[FollowUp]:
    return followups_visible_to(user).filter(source_type=target_type_of(source), source_id=str(source.pk))


def followups_overdue(user, today: date | None = None) -> QuerySet[FollowUp]:
    return followups_visible_to(user, today).filter(is_overdue=True).order_by("due_date", "pk")


def followups_filtered(
    user, *, status: str | None = None, overdue: bool | None = None, today: date | None = None
) -> QuerySet[FollowUp]:
    """`followups_visible_to` by status and overdue flag, soonest due first (the API's list)."""
    rows = followups_visible_to(user, today)
    if status:
        rows = rows.filter(status=status)
    if overdue is not None:
        rows = rows.filter(is_overdue=overdue)
    return rows.order_by("due_date", "pk")
