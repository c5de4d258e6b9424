"""Who may do what, in which council. Declared here, enforced in services and selectors.

A role assignment in a council reaches that council and every council below it (市县联动). Unit roles reach only
their own unit's records. The three administrators (三员分立) each have one domain and none of the others':
the system admin manages accounts and the council structure, the security admin grants roles and lifts
lock-outs, the audit admin only reads the audit trail.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from .models import Council, Role, RoleAssignment

R = Role
PERMISSIONS: dict[str, frozenset[str]] = {
    "member.view": frozenset({R.STAFF, R.LEADER, R.SUPERVISOR}),
    "member.edit": frozenset({R.STAFF}),
    "member.import": frozenset({R.STAFF}),
    "unit.view": frozenset({R.STAFF, R.LEADER, R.SUPERVISOR, R.UNIT_LIAISON, R.UNIT_REVIEWER}),
    "unit.edit": frozenset({R.STAFF}),
    "unit.import": frozenset({R.STAFF}),
    "org.view": frozenset({R.STAFF, R.LEADER, R.SUPERVISOR, R.SYSTEM_ADMIN}),
    "council.manage": frozenset({R.SYSTEM_ADMIN}),
    "account.manage": frozenset({R.SYSTEM_ADMIN}),
    "role.assign": frozenset({R.SECURITY_ADMIN}),
    "lockout.reset": frozenset({R.SECURITY_ADMIN}),
    "audit.view": frozenset({R.AUDIT_ADMIN}),
    "record_history.view": frozenset({R.STAFF, R.AUDIT_ADMIN}),
    "calendar.manage": frozenset({R.SYSTEM_ADMIN}),
    # Proposals (提案): role-level rights; yizheng.proposals.permissions narrows them to one proposal (the
    # proposal office for review/assign/configure, own unit, own proposals).
    "proposal.draft": frozenset({R.MEMBER, R.COLLECTIVE_AGENT}),
    "proposal.evaluate": frozenset({R.MEMBER, R.COLLECTIVE_AGENT}),
    "proposal.view": frozenset({R.STAFF, R.LEADER, R.SUPERVISOR}),
    "proposal.review": frozenset({R.STAFF}),
    "proposal.assign": frozenset({R.STAFF}),
    "proposal.configure": frozenset({R.STAFF}),
    "proposal.handle": frozenset({R.UNIT_LIAISON, R.UNIT_REVIEWER}),
    "proposal.supervise": frozenset({R.SUPERVISOR, R.STAFF}),
    "proposal.stats": frozenset({R.STAFF, R.LEADER, R.SUPERVISOR}),
    "proposal.lead_supervise": frozenset({R.LEADER}),
    # Follow-ups (跟踪落实): staff track them, the owner unit works them.
    "followup.view": frozenset({R.STAFF, R.LEADER, R.SUPERVISOR, R.UNIT_LIAISON, R.UNIT_REVIEWER}),
    "followup.manage": frozenset({R.STAFF}),
    "followup.handle": frozenset({R.UNIT_LIAISON, R.UNIT_REVIEWER}),
}


def roles_of(user) -> list[RoleAssignment]:
    """The user's role assignments, fetched once per request object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_yz_roles", None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.filter(user=user).select_related(
                "council", "unit", "committee", "organization", "sector"
            )
        )
        user._yz_roles = cached
    return cached


def forget_roles(user) -> None:
    user.__dict__.pop("_yz_roles", None)


def role_names(user) -> set[str]:
    return {a.role for a in roles_of(user)}


def has_role(user, *roles: str) -> bool:
    return bool(role_names(user) & set(roles))


def grants(user, perm: str) -> list[RoleAssignment]:
    allowed = PERMISSIONS[perm]
    return [a for a in roles_of(user) if a.role in allowed]


def can(user, perm: str, council: Council | None = None) -> bool:
    """May the user do `perm` at all, or in this council?"""
    found = grants(user, perm)
    if council is None:
        return bool(found)
    return any(council.path.startswith(a.council.path) for a in found)


def require(user, perm: str, council: Council | None = None) -> None:
    if not can(user, perm, council):
        raise PermissionDenied


def council_q(user, perm: str, field: str = "council") -> Q:
    """A filter for rows whose council lies in a council tree where the user holds `perm`.

    Matches nothing when the user holds it nowhere."""
    paths = sorted({a.council.path for a in grants(user, perm)})
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__path__startswith": path})
    return q


def councils_for(user, perm: str) -> QuerySet[Council]:
    paths = sorted({a.council.path for a in grants(user, perm)})
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(path__startswith=path)
    return Council.objects.filter(q)


def councils_visible_to(user) -> QuerySet[Council]:
    paths = sorted({a.council.path for a in roles_of(user)})
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(path__startswith=path)
    return Council.objects.filter(q)
