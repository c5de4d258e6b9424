"""Reading key-proposal selection and excellent-proposal rounds, scoped to the user's councils.

Proposal staff see the rounds of the councils where they are proposal staff, leaders those of the councils they
lead; nobody else sees any (404). Which steps a user may take is the workflow's answer (`allowed`).
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from yizheng.org.models import Council

from . import permissions as perms
from . import selection_workflow as swf
from .models import Assignment, Nomination, Proposal, Selection
from .selectors import proposal_case_labels, proposal_submitters
from .workflow import AssignmentRole


def may_use_selections(user) -> bool:
    """Proposal staff or a leader somewhere: the screens exist for them."""
    if not getattr(user, "is_authenticated", False):
        return False
    from yizheng.org import permissions as org_permissions
    from yizheng.org.models import Role

    return bool(perms.proposal_staff_grants(user)) or org_permissions.has_role(user, Role.LEADER)


def _visible_q(user) -> Q:
    return perms.proposal_staff_q(user) | perms.leader_q(user)


def selections_visible_to(user) -> QuerySet[Selection]:
    return (
        Selection.objects.filter(_visible_q(user)).select_related("council").order_by("-year", "kind", "pk")
    )


def selection_for(user, pk) -> Selection:
    found = selections_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def nomination_for(user, pk) -> Nomination:
    found = (
        Nomination.objects.filter(selection__in=selections_visible_to(user), pk=pk)
        .select_related("selection", "proposal")
        .first()
    )
    if found is None:
        raise Http404
    return found


def selection_allowed(user, selection: Selection) -> list[str]:
    return swf.allowed(selection.kind, selection.state, perms.selection_actor_kinds(user, selection.council))


def councils_for_new_round(user) -> list[Council]:
    """The councils where the user may open a round (their own proposal-staff councils)."""
    ids = {a.council_id for a in perms.proposal_staff_grants(user)}
    return list(Council.objects.filter(pk__in=ids).order_by("path"))


def _lead_units() -> Prefetch:
    return Prefetch(
        "proposal__assignments",
        queryset=Assignment.objects.filter(active=True, role=AssignmentRole.LEAD).select_related("unit"),
        to_attr="lead_assignments",
    )


def selection_nominations(selection: Selection) -> list[Nomination]:
    """The round's list with what its screens show: proposal, case label, lead unit, suggested leaders."""
    rows = list(
        selection.nominations.select_related(
            "proposal",
            "proposal__lead_member",
            "proposal__organization",
            "proposal__committee",
            "proposal__sector",
        )
        .prefetch_related("suggested_leaders", _lead_units())
        .order_by("proposal__case_scope", "proposal__case_number", "pk")
    )
    labels = proposal_case_labels([n.proposal for n in rows])
    for n in rows:
        n.selection = selection
        n.case_label = labels.get(n.proposal_id, "")
        n.lead_unit = n.proposal.lead_assignments[0].unit if n.proposal.lead_assignments else None
    return rows


def selection_candidates(selection: Selection, q: str = "", limit: int = 20) -> list[Proposal]:
    """Proposals of the round's council and year that may still be put on its list, by title or case number."""
    qs = Proposal.objects.filter(
        council_id=selection.council_id,
        year=selection.year,
        state__in=sorted(swf.ELIGIBLE_STATES[selection.kind]),
    ).exclude(nominations__selection=selection)
    q = (q or "").strip()
    if q:
        digits = "".join(ch for ch in q if ch.isdigit())
        match = Q(title__icontains=q)
        if digits and len(digits) <= 6:
            match |= Q(case_number=int(digits))
        qs = qs.filter(match)
    rows = list(
        qs.select_related("lead_member", "organization", "committee", "sector").order_by(
            "case_scope", "case_number", "pk"
        )[:limit]
    )
    labels = proposal_case_labels(rows)
    for p in rows:
        p.case_label = labels.get(p.pk, "")
    return rows


def council_leaders(council: Council):
    """Leaders who may be suggested as supervising leaders of a key proposal."""
    from yizheng.org.models import Role, RoleAssignment, User

    paths = [p for p in _ancestor_paths(council.path)]
    ids = RoleAssignment.objects.filter(role=Role.LEADER, council__path__in=paths).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("pk")


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def announcement_rows(selection: Selection) -> list[dict]:
    """The announced (or, before that, the recommended) excellent proposals, for the list and the .docx."""
    rows = []
    wanted = (swf.Decision.SELECTED,)
    for n in selection_nominations(selection):
        if n.decision not in wanted:
            continue
        names = []
        for source, member in proposal_submitters(n.proposal):
            names.append(str(member) if member is not None else source.submitter_label)
        rows.append(
            {
                "case_label": n.case_label,
                "title": n.proposal.title,
                "submitters": "、".join(dict.fromkeys(names)),
                "lead_unit": str(n.lead_unit) if n.lead_unit else "",
                "proposal": n.proposal,
            }
        )
    return rows


def proposal_selection_rounds(user, proposal: Proposal) -> list[Selection]:
    """The approved key rounds and announced excellent rounds that made this proposal key or excellent, for its
    detail page; each with `may_open` (the user may see the round's page). No query unless the proposal carries
    one of the two marks, one otherwise."""
    kinds = Q(pk__in=[])
    if proposal.is_key:
        kinds |= Q(selection__kind=swf.SelectionKind.KEY)
    if proposal.is_excellent:
        kinds |= Q(selection__kind=swf.SelectionKind.EXCELLENT, selection__state=swf.SelectionState.ANNOUNCED)
    if not (proposal.is_key or proposal.is_excellent):
        return []
    rounds = [
        n.selection
        for n in Nomination.objects.filter(
            kinds,
            proposal=proposal,
            decision=swf.Decision.SELECTED,
            selection__state__in=[swf.SelectionState.APPROVED, swf.SelectionState.ANNOUNCED],
        )
        .select_related("selection__council")
        .order_by("-selection__kind", "-selection__year")
    ]
    for r in rounds:
        r.may_open = bool(perms.selection_actor_kinds(user, r.council))
    return rounds
