"""Reads for the administrators' screens: accounts, role assignments, lock-outs. Each fetches and authorises:
a role without the permission gets 403, a row outside the user's council tree is 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Min, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from . import permissions
from .models import Council, RoleAssignment, User


def _require_any(actor, perm: str) -> None:
    if not permissions.can(actor, perm):
        raise PermissionDenied


def _users_in_scope(actor, perm: str) -> QuerySet[User]:
    _require_any(actor, perm)
    return User.objects.filter(permissions.council_q(actor, perm))


def _with_roles(qs: QuerySet[User]) -> QuerySet[User]:
    return qs.select_related("council").prefetch_related(
        Prefetch(
            "role_assignments",
            queryset=RoleAssignment.objects.select_related(
                "council", "unit", "committee", "organization", "sector"
            ),
        )
    )


def accounts_visible_to(
    actor,
    *,
    perm: str = "account.manage",
    q: str = "",
    council: Council | None = None,
    role: str = "",
    active: str = "",
) -> QuerySet[User]:
    """Accounts of the actor's council tree, searched and filtered, with their roles prefetched."""
    qs = _users_in_scope(actor, perm)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q) | Q(phone__icontains=q))
    if council is not None:
        qs = qs.filter(council=council)
    if role:
        qs = qs.filter(pk__in=RoleAssignment.objects.filter(role=role).values("user_id"))
    if active == "1":
        qs = qs.filter(is_active=True)
    elif active == "0":
        qs = qs.filter(is_active=False)
    return _with_roles(qs).order_by("council__path", "username")


def account_for(actor, pk: int, *, perm: str = "account.manage") -> User:
    """One account of the actor's council tree (404 outside it, 403 without the permission)."""
    user = _with_roles(_users_in_scope(actor, perm)).filter(pk=pk).first()
    if user is None:
        raise Http404
    return user


def role_assignment_for(actor, pk: int) -> RoleAssignment:
    _require_any(actor, "role.assign")
    assignment = (
        RoleAssignment.objects.filter(permissions.council_q(actor, "role.assign"))
        .filter(user__in=User.objects.filter(permissions.council_q(actor, "role.assign")))
        .select_related("user", "council", "unit", "committee", "organization", "sector")
        .filter(pk=pk)
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


# --- lock-outs --------------------------------------------------------------------------------------------


@dataclass
class Lockout:
    user: User
    failures: int
    first_failure_at: datetime
    last_failure_at: datetime
    addresses: int
    locked: bool

    @property
    def locked_until(self) -> datetime:
        return self.last_failure_at + cool_off()


def cool_off():
    from axes.helpers import get_cool_off

    return get_cool_off()


def lockouts_visible_to(actor, *, include_unlocked: bool = False) -> list[Lockout]:
    """Accounts of the actor's tree with login failures inside the cool-off window, most recent first.

    Locked means django-axes refuses them now: failures in the window reach AXES_FAILURE_LIMIT."""
    from axes.models import AccessAttempt

    users = _users_in_scope(actor, "lockout.reset")
    rows = (
        AccessAttempt.objects.filter(
            attempt_time__gte=timezone.now() - cool_off(),
            username__in=users.values("username"),
        )
        .values("username")
        .annotate(
            failures=Sum("failures_since_start"),
            first=Min("attempt_time"),
            last=Max("attempt_time"),
            addresses=Count("ip_address", distinct=True),
        )
        .order_by("-last")
    )
    limit = settings.AXES_FAILURE_LIMIT
    rows = [r for r in rows if include_unlocked or r["failures"] >= limit]
    by_name = {u.username: u for u in users.filter(username__in=[r["username"] for r in rows])
               .select_related("council")}  # fmt: skip
    return [
        Lockout(
            user=by_name[r["username"]],
            failures=r["failures"],
            first_failure_at=r["first"],
            last_failure_at=r["last"],
            addresses=r["addresses"],
            locked=r["failures"] >= limit,
        )
        for r in rows
        if r["username"] in by_name
    ]
