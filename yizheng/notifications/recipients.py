"""Who is told: the accounts behind the submitters of a proposal, a unit, the proposal office, the supervisors.

Only active accounts are returned. Office accounts are those whose role is held in the proposal's own council
(a provincial office is not told about a city's requests, though its role reaches them).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from yizheng.org.models import UNIT_ROLES, Committee, Member, Office, Role, RoleAssignment, User
from yizheng.proposals.selectors import proposal_submitters


def _users(q: Q) -> list[User]:
    ids = RoleAssignment.objects.filter(q).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def members_users(members: Iterable[Member]) -> list[User]:
    ids = [m.user_id for m in members if m is not None and m.user_id]
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def collective_agents(proposal) -> list[User]:
    q = Q(pk__in=[])
    for field in ("organization", "committee", "sector"):
        value = getattr(proposal, f"{field}_id")
        if value is not None:
            q |= Q(**{field + "_id": value})
    return _users(Q(role=Role.COLLECTIVE_AGENT, council_id=proposal.council_id) & q)


def submitters(proposal) -> list[User]:
    """Lead members, accepted co-signers and collective agents of the proposal and those merged into it."""
    users: dict[int, User] = {}
    members = []
    for source, member in proposal_submitters(proposal):
        if member is None:
            users.update((u.pk, u) for u in collective_agents(source))
        else:
            members.append(member)
    users.update((u.pk, u) for u in members_users(members))
    return [users[k] for k in sorted(users)]


def lead_submitters(proposal) -> list[User]:
    """The lead member's account, or the collective's agents (no co-signers)."""
    if proposal.lead_member_id:
        return members_users([proposal.lead_member])
    return collective_agents(proposal)


def unit_users(unit_ids: Iterable[int]) -> list[User]:
    ids = sorted(set(unit_ids))
    if not ids:
        return []
    return _users(Q(role__in=list(UNIT_ROLES), unit_id__in=ids))


def proposal_staff(council_id: int) -> list[User]:
    office = Q(office=Office.PROPOSAL) | Q(committee__kind=Committee.Kind.PROPOSAL)
    return _users(Q(role=Role.STAFF, council_id=council_id) & office)


def leaders(council_id: int) -> list[User]:
    return _users(Q(role=Role.LEADER, council_id=council_id))


def supervisors(council_id: int) -> list[User]:
    return _users(Q(role=Role.SUPERVISOR, council_id=council_id))
