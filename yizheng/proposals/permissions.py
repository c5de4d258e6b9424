"""Who stands in which relation to a proposal. The workflow table says which relation may fire what.

Role-level permissions (may this user review proposals at all, in this council?) are declared in
`yizheng.org.permissions.PERMISSIONS` under `proposal.*`. This module narrows them to the proposal at hand:

- proposal staff: a `staff` role whose office is the proposal office (提案工作) or whose committee is the proposal
  committee (提案委员会), reaching the proposal's council;
- supervisor: a `supervisor` role reaching the proposal's council;
- submitter: the lead member's own account (with a `member` role), or a `collective_agent` of the organisation,
  committee or sector that submitted a collective proposal;
- unit kinds: a unit role of the unit of an active assignment on this proposal;
- co-signer / evaluator: the member (or collective) named on that invitation / evaluation.
"""

from __future__ import annotations

from django.db.models import Q

from yizheng.org import permissions as org_permissions
from yizheng.org.models import UNIT_ROLES, Committee, Council, Member, Office, Role

from .workflow import ROLE_KIND, Actor, Kind

COLLECTIVE_FIELDS = ("organization", "committee", "sector")


def _reaches(assignment, council: Council) -> bool:
    return council.path.startswith(assignment.council.path)


def _is_proposal_office(assignment) -> bool:
    if assignment.office == Office.PROPOSAL:
        return True
    return assignment.committee_id is not None and assignment.committee.kind == Committee.Kind.PROPOSAL


def proposal_staff_grants(user) -> list:
    return [a for a in org_permissions.roles_of(user) if a.role == Role.STAFF and _is_proposal_office(a)]


def is_proposal_staff(user, council: Council) -> bool:
    return any(_reaches(a, council) for a in proposal_staff_grants(user))


def proposal_staff_q(user, field: str = "council") -> Q:
    """Rows whose council lies where the user is proposal staff."""
    q = Q(pk__in=[])
    for path in sorted({a.council.path for a in proposal_staff_grants(user)}):
        q |= Q(**{f"{field}__path__startswith": path})
    return q


def is_supervisor(user, council: Council) -> bool:
    return any(a.role == Role.SUPERVISOR and _reaches(a, council) for a in org_permissions.roles_of(user))


def member_of(user) -> Member | None:
    """The member this account belongs to, when it holds a member role; cached on the user object."""
    if not getattr(user, "is_authenticated", False):
        return None
    if "_yz_member" not in user.__dict__:
        member = None
        if any(a.role == Role.MEMBER for a in org_permissions.roles_of(user)):
            member = Member.objects.filter(user=user).first()
        user.__dict__["_yz_member"] = member
    return user.__dict__["_yz_member"]


def member_id_of(user) -> int | None:
    member = member_of(user)
    return member.pk if member else None


def agent_scopes(user) -> list[tuple[str, int]]:
    """The collectives this user files for: [("organization", 3), ("sector", 7), …]."""
    scopes = []
    for a in org_permissions.roles_of(user):
        if a.role != Role.COLLECTIVE_AGENT:
            continue
        for field in COLLECTIVE_FIELDS:
            value = getattr(a, f"{field}_id")
            if value is not None:
                scopes.append((field, value))
    return scopes


def agent_q(user, prefix: str = "") -> Q:
    """Proposals (or related rows via `prefix`) submitted by a collective this user files for."""
    q = Q(pk__in=[])
    for field, value in agent_scopes(user):
        q |= Q(**{f"{prefix}kind": Kind.COLLECTIVE, f"{prefix}{field}_id": value})
    return q


def is_agent_for(user, proposal) -> bool:
    if proposal.kind != Kind.COLLECTIVE:
        return False
    return any(getattr(proposal, f"{field}_id") == value for field, value in agent_scopes(user))


def unit_ids(user) -> set[int]:
    return {a.unit_id for a in org_permissions.roles_of(user) if a.role in UNIT_ROLES and a.unit_id}


def is_submitter(user, proposal) -> bool:
    if proposal.kind == Kind.COLLECTIVE:
        return is_agent_for(user, proposal)
    member_id = member_id_of(user)
    return member_id is not None and proposal.lead_member_id == member_id


def is_evaluator(user, evaluation) -> bool:
    if evaluation.member_id is not None:
        return evaluation.member_id == member_id_of(user)
    return is_agent_for(user, evaluation.source)


def actor_kinds(user, proposal, *, assignment=None, cosignature=None, evaluation=None) -> set[str]:
    """The relations `user` holds to `proposal` (and to one of its assignments, invitations or evaluations)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    kinds: set[str] = set()
    if is_submitter(user, proposal):
        kinds.add(Actor.SUBMITTER)
    if is_proposal_staff(user, proposal.council):
        kinds.add(Actor.PROPOSAL_STAFF)
    if is_supervisor(user, proposal.council):
        kinds.add(Actor.SUPERVISOR)
    if (
        cosignature is not None
        and cosignature.proposal_id == proposal.pk
        and cosignature.member_id == member_id_of(user)
    ):
        kinds.add(Actor.COSIGNER)
    if evaluation is not None and evaluation.proposal_id == proposal.pk and is_evaluator(user, evaluation):
        kinds.add(Actor.EVALUATOR)
    if assignment is not None:
        if (
            assignment.proposal_id == proposal.pk
            and assignment.active
            and assignment.unit_id in unit_ids(user)
        ):
            kinds.add(ROLE_KIND[assignment.role])
    else:
        mine = unit_ids(user)
        if mine:
            roles = proposal.assignments.filter(active=True, unit_id__in=mine).values_list("role", flat=True)
            kinds.update(ROLE_KIND[r] for r in roles)
    return kinds


def is_leader(user, council: Council) -> bool:
    return any(a.role == Role.LEADER and _reaches(a, council) for a in org_permissions.roles_of(user))


def selection_actor_kinds(user, council: Council) -> set[str]:
    """Relations of `user` to a council's key or excellent selection round (selection_workflow.SelectionActor)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    kinds: set[str] = set()
    if is_proposal_staff(user, council):
        kinds.add("proposal_staff")
    if is_leader(user, council):
        kinds.add("leader")
    return kinds


def leader_q(user, field: str = "council") -> Q:
    """Rows whose council lies where the user is a leader."""
    q = Q(pk__in=[])
    paths = {a.council.path for a in org_permissions.roles_of(user) if a.role == Role.LEADER}
    for path in sorted(paths):
        q |= Q(**{f"{field}__path__startswith": path})
    return q
