"""Who may do what, in which council. Declared here, enforced in services and selectors.

A role assignment in a council reaches that council and every council below it (市县联动). Unit roles reach only
their own unit's records. The three administrators (三员分立) each have one domain and none of the others':
the system admin manages accounts and the council structure, the security admin grants roles and lifts
lock-outs, the audit admin only reads the audit trail.
"""

from __future__ import annotations

import functools
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
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
    """The user's role assignments, fetched once per request object, and kept between requests in the shared
    cache when there is one (Redis: `settings.SHARED_CACHE`), where every process sees a change at once.

    The cache key carries two version numbers: the user's, moved on whenever one of their assignments is
    saved or deleted (`forget_roles`, signals), and everyone's, moved on whenever a council, unit, committee,
    organization or sector is (their names and council paths come with the roles). A version moves at the
    change and again once it is committed, so a reader that read the rows before the commit wrote them under
    a version nobody asks for again: a revoked role cannot come back from the cache. Deactivation needs none of
    this: `user.is_active` is read with the user on every request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_yz_roles", None)
    if cached is None:
        cached = _shared_roles(user) if settings.SHARED_CACHE else _read_roles(user)
        user._yz_roles = cached
    return cached


def _read_roles(user) -> list[RoleAssignment]:
    return list(
        RoleAssignment.objects.filter(user=user).select_related(
            "council", "unit", "committee", "organization", "sector"
        )
    )


ROLES_SECONDS = 600
ROLES_GENERATION = "org:roles:generation"


def _user_version_key(user_id: int) -> str:
    return f"org:roles:version:{user_id}"


@functools.cache
def _rows_format() -> str:
    """The columns of the cached rows: a deployment that changes them does not read the old pickles."""
    from .models import Committee, Organization, Sector, Unit

    models = (RoleAssignment, Council, Unit, Committee, Organization, Sector)
    names = "|".join(",".join(f.attname for f in m._meta.concrete_fields) for m in models)
    return hashlib.sha256(names.encode()).hexdigest()[:8]


def _inside_a_transaction() -> bool:
    """In a transaction of the application's own (a test's wrapping one does not count): what it reads may
    never be committed, so it is not cached."""
    connection = transaction.get_connection()
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _shared_roles(user) -> list[RoleAssignment]:
    names = [ROLES_GENERATION, _user_version_key(user.pk)]
    versions = cache.get_many(names)
    if len(versions) < len(names):  # never set, or evicted: start from a number no earlier entry used
        for name in names:
            cache.add(name, time.time_ns(), None)
        versions = cache.get_many(names)
    if len(versions) < len(names) or _inside_a_transaction():
        return _read_roles(user)
    key = f"org:roles:{_rows_format()}:{user.pk}:{versions[names[0]]}:{versions[names[1]]}"
    found = cache.get(key)
    if found is None:
        found = _read_roles(user)
        cache.set(key, found, ROLES_SECONDS)
    return found


def _move_on(name: str) -> None:
    try:
        cache.incr(name)
    except ValueError:  # not there: any number readers have not used will do
        cache.set(name, time.time_ns(), None)


def forget_roles(user) -> None:
    """After a change to the user's role assignments: this request object and, once the change is committed,
    the shared cache read them again."""
    user.__dict__.pop("_yz_roles", None)
    forget_roles_of(user.pk)


def forget_roles_of(user_id: int) -> None:
    _move_on_now_and_on_commit(_user_version_key(user_id))


def forget_everyones_roles() -> None:
    """After a change to a council, unit, committee, organization or sector (shown with the roles)."""
    _move_on_now_and_on_commit(ROLES_GENERATION)


def _move_on_now_and_on_commit(name: str) -> None:
    """Now, for what this transaction reads next; again once it commits, for a reader elsewhere that read the
    rows as they were before the commit and cached them under the version of now. The second move is
    `robust`: the change is committed already, so a cache failure then is logged (Django's own log) rather
    than turned into an error, and what it leaves cached lives `ROLES_SECONDS` at most."""
    if settings.SHARED_CACHE:
        _move_on(name)
        transaction.on_commit(lambda: _move_on(name), robust=True)


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
