"""Reads behind the proposal documents (提案表, 答复函), the year summary and the settings page: each fetches and
authorises in one call — Http404 outside the user's scope, PermissionDenied when the role may not do it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from yizheng.org import permissions as org_permissions
from yizheng.org.models import Committee, Council, Member, Membership

from . import permissions as perms
from . import workflow as wf
from .models import Category, CoSignature, Proposal, Reply
from .selectors import proposal_submitters, reply_for
from .workflow import AssignmentRole, Kind, ReplyStatus, State

PUBLISHED_STATES = frozenset({State.REPLIED, State.CLOSED})


def mask_phone(value: str) -> str:
    """13812345678 → 138****5678."""
    value = (value or "").strip()
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# --- proposal form (提案表) ------------------------------------------------------------------------------


def _sectors_of(member_ids: list[int]) -> dict[int, str]:
    """Each member's sector in their latest term, in one query."""
    out: dict[int, str] = {}
    rows = (
        Membership.objects.filter(member_id__in=member_ids)
        .select_related("sector")
        .order_by("member_id", "-term__start_date")
    )
    for seat in rows:
        if seat.member_id not in out:
            out[seat.member_id] = seat.sector.name if seat.sector_id else ""
    return out


def proposal_form_data(user, proposal: Proposal) -> dict[str, Any]:
    """What the printable proposal form shows. `proposal` came from `proposal_for(user, pk)`; phone numbers
    are shown in full only to council staff."""
    from .services import proposal_settings_get

    config = proposal_settings_get(proposal.council)
    show_phone = org_permissions.can(user, "proposal.review", proposal.council)
    members: list[Member] = []
    if proposal.kind != Kind.COLLECTIVE and proposal.lead_member_id:
        members.append(proposal.lead_member)
    members += [
        c.member
        for c in proposal.cosignatures.filter(status=CoSignature.Status.ACCEPTED)
        .select_related("member")
        .order_by("pk")
    ]
    sectors = _sectors_of([m.pk for m in members])
    people = [
        {
            "name": m.name,
            "sector": sectors.get(m.pk, ""),
            "work": " ".join(x for x in (m.work_unit, m.job_title) if x),
            "phone": m.phone if show_phone else mask_phone(m.phone),
        }
        for m in members
    ]
    collective = proposal.submitter_label if proposal.kind == Kind.COLLECTIVE else ""
    if proposal.kind == Kind.COLLECTIVE and proposal.organization_id and proposal.organization.sector_id:
        collective_sector = proposal.organization.sector.name
    elif proposal.kind == Kind.COLLECTIVE and proposal.sector_id:
        collective_sector = proposal.sector.name
    else:
        collective_sector = ""
    assignments = list(proposal.assignments.filter(active=True).select_related("unit").order_by("role", "pk"))
    units = {role: [a.unit.name for a in assignments if a.role == role] for role in AssignmentRole.values}
    return {
        "proposal": proposal,
        "case_label": config.case_label(proposal),
        "people": people,
        "collective": collective,
        "collective_sector": collective_sector,
        "units": units,
        "assigned_at": min((a.assigned_at for a in assignments), default=None),
    }


# --- reply letter (答复函) --------------------------------------------------------------------------------


def reply_letter_for(user, pk) -> Reply:
    """An approved reply whose letter the user may read: the units on the proposal (the answering unit, and
    co units for the lead reply), proposal staff, supervisors and council readers once it is approved; its
    submitters once it is published to them. A reply not approved yet has no letter (404)."""
    reply = reply_for(user, pk)
    if reply.status != ReplyStatus.APPROVED:
        raise Http404
    proposal = reply.proposal
    kinds = perms.actor_kinds(user, proposal)
    staff_like = bool(kinds & {wf.Actor.PROPOSAL_STAFF, wf.Actor.SUPERVISOR}) or org_permissions.can(
        user, "proposal.view", proposal.council
    )
    if staff_like:
        return reply
    mine = perms.unit_ids(user)
    if mine:
        if reply.assignment.unit_id in mine:
            return reply
        if reply.assignment.role == AssignmentRole.LEAD and wf.Actor.CO_UNIT in kinds:
            return reply
        raise Http404  # another unit's answer
    published = proposal.state in PUBLISHED_STATES or reply.round < proposal.round
    if not published:
        raise Http404
    return reply


def _proposal_committee(council: Council) -> str:
    committee = (
        Committee.objects.filter(council=council, kind=Committee.Kind.PROPOSAL, is_active=True)
        .order_by("order", "pk")
        .first()
    )
    return f"{council.name}{committee.name}" if committee else f"{council.name}提案委员会"


def reply_letter_data(reply: Reply) -> dict[str, Any]:
    """What the reply letter says, for a reply from `reply_letter_for`."""
    from .services import proposal_settings_get

    proposal = (
        Proposal.objects.select_related(
            "council", "plenary__term", "lead_member", "organization", "committee", "sector"
        )
        .filter(pk=reply.proposal_id)
        .get()
    )
    config = proposal_settings_get(proposal.council)
    classes = {c["code"]: c for c in config.result_classes}
    unit = reply.assignment.unit
    submitters = [s for s in proposal_submitters(proposal) if s[0].pk == proposal.pk]
    return {
        "proposal": proposal,
        "reply": reply,
        "unit": unit,
        "case_label": config.case_label(proposal),
        "result_class": classes.get(reply.result, {"code": reply.result, "label": ""}),
        "addressees": [m.name if m else s.submitter_label for s, m in submitters],
        "lead_addressee": proposal.lead_member.name if proposal.lead_member_id else proposal.submitter_label,
        "copy_to": _proposal_committee(proposal.council),
        "co_units": [
            a.unit.name
            for a in proposal.assignments.filter(active=True, role=AssignmentRole.CO).select_related("unit")
        ]
        if reply.assignment.role == AssignmentRole.LEAD
        else [],
    }


# --- year summary, settings --------------------------------------------------------------------------------


def _council_in(user, perm: str, council_pk, councils) -> Council:
    if not org_permissions.can(user, perm):
        raise PermissionDenied
    councils = list(councils)
    if council_pk in (None, ""):
        if not councils:
            raise PermissionDenied
        return min(councils, key=lambda c: (len(c.path), c.path))
    try:
        pk = int(council_pk)
    except (TypeError, ValueError):
        raise Http404 from None
    found = next((c for c in councils if c.pk == pk), None)
    if found is None:
        raise Http404
    return found


def stats_councils(user) -> list[Council]:
    return list(org_permissions.councils_for(user, "proposal.stats").order_by("path"))


def stats_council_for(user, council_pk=None) -> Council:
    """The council whose year summary the user asked for (default: the highest they may read)."""
    return _council_in(user, "proposal.stats", council_pk, stats_councils(user))


def settings_councils(user) -> list[Council]:
    """Councils whose proposal settings the user may edit: where they are proposal-office staff."""
    q = Q(pk__in=[])
    for path in sorted({a.council.path for a in perms.proposal_staff_grants(user)}):
        q |= Q(path__startswith=path)
    return list(Council.objects.filter(q).order_by("path"))


def settings_council_for(user, council_pk=None) -> Council:
    """403 for roles that may not configure proposal work (incl. staff of other offices), 404 for a council
    outside the user's reach."""
    if not perms.proposal_staff_grants(user):
        raise PermissionDenied
    return _council_in(user, "proposal.configure", council_pk, settings_councils(user))


def category_for(user, pk) -> Category:
    if not perms.proposal_staff_grants(user):
        raise PermissionDenied
    category = Category.objects.filter(perms.proposal_staff_q(user), pk=pk).select_related("council").first()
    if category is None:
        raise Http404
    return category
