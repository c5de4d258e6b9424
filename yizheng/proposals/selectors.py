"""Reading proposals, scoped to what the user may see, and the figures of the year.

`proposals_visible_to(user)` is the one scope every list starts from:
- staff, leaders and supervisors: every proposal of their council tree, except drafts never submitted;
- members: their own (lead), those they are invited to or co-signed, those merged from theirs, those they are due
  to rate, and public filed proposals of their council tree;
- collective agents: their collective's proposals, and public ones;
- unit users: proposals ever assigned to their unit.

`*_for(user, pk, action)` fetch and authorise in one call: Http404 when the row is outside the user's scope
(another council, another unit, another member's proposal), PermissionDenied when they can see it but may not
fire `action`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import Http404
from django.utils import timezone

from yizheng.audit.models import Event
from yizheng.audit.selectors import history_for
from yizheng.core.errors import TransitionNotAllowed
from yizheng.org import permissions as org_permissions
from yizheng.org.models import Member, Membership

from . import permissions as perms
from . import workflow as wf
from .models import (
    AdjustmentRequest,
    Assignment,
    Attachment,
    ContactRecord,
    CoSignature,
    Countersignature,
    Evaluation,
    ExtensionRequest,
    Proposal,
    Reminder,
    Reply,
)
from .workflow import AssignmentRole, EvaluationStatus, Kind, Rating, ReplyStatus, State


def _today() -> date:
    return timezone.localdate()


# --- scope ------------------------------------------------------------------------------------------------


def visible_q(user) -> Q:
    q = Q(pk__in=[])
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return q
    if org_permissions.grants(user, "proposal.view"):
        q |= org_permissions.council_q(user, "proposal.view") & ~Q(
            state=State.DRAFT, submitted_at__isnull=True
        )
    member_id = perms.member_id_of(user)
    public = Q(is_public=True, state__in=sorted(wf.FILED_STATES))
    if member_id is not None:
        q |= Q(lead_member_id=member_id)
        q |= Q(
            pk__in=CoSignature.objects.filter(
                member_id=member_id, status__in=[CoSignature.Status.INVITED, CoSignature.Status.ACCEPTED]
            ).values("proposal_id")
        )
        q |= Q(
            pk__in=Proposal.objects.filter(lead_member_id=member_id)
            .exclude(merged_into=None)
            .values("merged_into")
        )
        q |= Q(pk__in=Evaluation.objects.filter(member_id=member_id).values("proposal_id"))
    if perms.agent_scopes(user):
        q |= perms.agent_q(user)
        q |= Q(
            pk__in=Proposal.objects.filter(perms.agent_q(user))
            .exclude(merged_into=None)
            .values("merged_into")
        )
    if member_id is not None or perms.agent_scopes(user):
        q |= public & org_permissions.council_q(user, "proposal.draft")
    units = perms.unit_ids(user)
    if units:
        q |= Q(pk__in=Assignment.objects.filter(unit_id__in=sorted(units)).values("proposal_id"))
    return q


def approved_reply_of_round() -> Exists:
    """In a query of assignments: the assignment has an approved reply of its own round (its answer is in)."""
    return Exists(
        Reply.objects.filter(assignment=OuterRef("pk"), round=OuterRef("round"), status=ReplyStatus.APPROVED)
    )


def _overdue_assignment_q(today: date) -> Q:
    """An active answering assignment past its deadline without an approved reply of its round."""
    return Q(
        active=True,
        role__in=sorted(wf.ANSWERING_ROLES),
        deadline__lt=today,
        proposal__state__in=sorted(wf.OPEN_HANDLING_STATES),
    ) & ~Q(approved_reply_of_round())


def with_overdue(qs: QuerySet[Proposal], today: date | None = None) -> QuerySet[Proposal]:
    """Annotate `is_overdue` (some answering unit is past its deadline without an approved reply) and
    `next_deadline` (the earliest deadline of an active answering assignment still to answer)."""
    today = today or _today()
    overdue = Assignment.objects.filter(_overdue_assignment_q(today), proposal=OuterRef("pk"))
    open_deadlines = (
        Assignment.objects.filter(proposal=OuterRef("pk"), active=True, role__in=sorted(wf.ANSWERING_ROLES))
        .exclude(approved_reply_of_round())
        .order_by("deadline")
        .values("deadline")[:1]
    )
    return qs.annotate(
        is_overdue=Exists(overdue),
        next_deadline=Case(
            When(state__in=sorted(wf.OPEN_HANDLING_STATES), then=Subquery(open_deadlines)),
            default=Value(None),
            output_field=models.DateField(),
        ),
    )


def mark_deadlines(proposals: Iterable[Proposal], today: date | None = None) -> list[Proposal]:
    """The proposals as a list, each with `is_overdue` and `next_deadline` set as `with_overdue` annotates them,
    from one query over the active answering assignments still to answer of those being handled (none when
    no row is): cheaper than the annotation for a page of rows, most of them long closed."""
    today = today or _today()
    rows = list(proposals)
    handling = {}
    for p in rows:
        p.is_overdue, p.next_deadline = False, None
        if p.state in wf.OPEN_HANDLING_STATES:
            handling[p.pk] = p
    if not handling:
        return rows
    waiting = (
        Assignment.objects.filter(
            proposal_id__in=sorted(handling), active=True, role__in=sorted(wf.ANSWERING_ROLES)
        )
        .exclude(approved_reply_of_round())
        .values_list("proposal_id", "deadline")
    )
    for proposal_id, deadline in waiting:
        p = handling[proposal_id]
        if p.next_deadline is None or deadline < p.next_deadline:
            p.next_deadline = deadline
        p.is_overdue = p.is_overdue or deadline < today
    return rows


def with_assignment_overdue(qs: QuerySet[Assignment], today: date | None = None) -> QuerySet[Assignment]:
    """Annotate assignments with `is_overdue` (active answering unit past its deadline, no approved reply)."""
    today = today or _today()
    return qs.annotate(
        is_overdue=Exists(Assignment.objects.filter(_overdue_assignment_q(today), pk=OuterRef("pk")))
    )


def proposals_visible_to(user, today: date | None = None) -> QuerySet[Proposal]:
    """The user's proposals, ready for a list: council, submitter, category joined; overdue annotated."""
    return with_overdue(Proposal.objects.filter(visible_q(user)).select_related(*VISIBLE_RELATED), today)


VISIBLE_RELATED = ("council", "lead_member", "organization", "committee", "sector", "category", "plenary")
# What to select_related (and, with .only(), to read) for `proposal_case_labels` to find the number format on the
# row: the council and its proposal settings, two joins on keys instead of a query per page.
CASE_FORMAT_RELATED = "council__proposal_settings"
PROPOSAL_FOR_RELATED = (CASE_FORMAT_RELATED, "lead_member", "category", "plenary__term")


def _sees(user, proposal: Proposal) -> bool:
    """Whether `proposal` lies in `visible_q(user)`: the common cases (the submitter, a council reader) are
    decided on the row itself; the rest (co-signers, evaluators, units, public proposals) by one query."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    member_id = perms.member_id_of(user)
    if member_id is not None and proposal.lead_member_id == member_id:
        return True
    if perms.is_agent_for(user, proposal):
        return True
    if not (proposal.state == State.DRAFT and proposal.submitted_at is None) and org_permissions.can(
        user, "proposal.view", proposal.council
    ):
        return True
    return Proposal.objects.filter(visible_q(user), pk=proposal.pk).exists()


def proposal_for(user, pk, action: str = "view", *, deadlines: bool = True) -> Proposal:
    """Fetch and authorise one proposal: 404 outside the user's scope, 403 when they may not fire `action`.
    The row is read by its key and checked against the scope (`_sees`), rather than the table filtered by the
    scope: that filter is an OR of subqueries that SQLite evaluates across every proposal.
    To view, the row comes with `is_overdue` and `next_deadline` (`with_overdue`), unless `deadlines=False`:
    the detail page reads the assignments and replies anyway and derives them from those
    (`proposal_detail_parts`), which saves two correlated subqueries to build and plan."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    # Not the collective submitter's three keys: each join adds planning time (9 joins plan in ≈2 ms, this
    # query in 0.7 ms on PostgreSQL), and for a member's proposal they are empty, so reading them costs nothing;
    # a collective proposal reads its one organization, committee or sector when it is shown.
    rows = Proposal.objects.filter(pk=pk).select_related(*PROPOSAL_FOR_RELATED)
    if action == "view" and deadlines:  # what a page or answer shows; an action re-reads it under its lock
        rows = with_overdue(rows)
    proposal = rows.first()
    if proposal is None or not _sees(user, proposal):
        raise Http404
    if action != "view" and not wf.TRANSITIONS[action].actors & perms.actor_kinds(user, proposal):
        raise PermissionDenied
    return proposal


def allowed_actions(user, proposal: Proposal) -> list[str]:
    """Transitions the user may fire on the proposal now (buttons, API links)."""
    return wf.allowed(proposal.state, perms.actor_kinds(user, proposal))


def proposal_case_labels(proposals) -> dict[int, str]:
    """{proposal pk: "第0001号"} for rows of a list. A council's number format comes with its rows when they were
    read with `CASE_FORMAT_RELATED` (the hot pages do: no query more); for the other councils, one query."""
    from .models import ProposalSettings

    rows = list(proposals)
    default = ProposalSettings._meta.get_field("case_number_format").default
    formats: dict[int, str] = {}
    for p in rows:
        if p.council_id not in formats and (found := _case_format_read_with(p, default)) is not None:
            formats[p.council_id] = found
    if missing := {p.council_id for p in rows} - formats.keys():
        formats.update(
            ProposalSettings.objects.filter(council_id__in=missing).values_list(
                "council_id", "case_number_format"
            )
        )
    return {p.pk: wf.case_label(formats.get(p.council_id, default), p.case_number, p.year) for p in rows}


def _case_format_read_with(p: Proposal, default: str) -> str | None:
    """The council's number format if the row was read with it, else None."""
    from yizheng.org.models import Council

    if not Proposal.council.is_cached(p) or not Council.proposal_settings.is_cached(p.council):
        return None
    settings = Council.proposal_settings.related.get_cached_value(p.council)  # None: no settings row yet
    return settings.case_number_format if settings is not None else default


def proposal_submitters(
    proposal: Proposal, *, merged: list[Proposal] | None = None, cosignatures: list[CoSignature] | None = None
) -> list[tuple[Proposal, Member | None]]:
    """(source proposal, member) for every submitter: the lead member or the collective (member None),
    accepted co-signers, and the same for each proposal merged into this one. A member appears once.
    A page that has already read the merged proposals and the proposal's co-signatures (with their members)
    passes them in."""
    out: list[tuple[Proposal, Member | None]] = []
    seen: set[int] = set()
    if merged is None:
        merged = list(Proposal.objects.filter(merged_into=proposal).select_related("lead_member"))
    sources = [proposal, *sorted(merged, key=lambda p: p.pk)]
    for source in sources:
        if source.kind == Kind.COLLECTIVE:
            out.append((source, None))
        elif source.lead_member_id not in seen:
            seen.add(source.lead_member_id)
            out.append((source, source.lead_member))
        if source is proposal and cosignatures is not None:
            accepted = [c for c in cosignatures if c.status == CoSignature.Status.ACCEPTED]
        else:
            accepted = source.cosignatures.filter(status=CoSignature.Status.ACCEPTED).select_related("member")
        for cosignature in accepted:
            if cosignature.member_id not in seen:
                seen.add(cosignature.member_id)
                out.append((source, cosignature.member))
    return out


def _child_for(user, qs: QuerySet, pk, action: str, related: str | None):
    obj = qs.filter(proposal__in=Proposal.objects.filter(visible_q(user)), pk=pk).first()
    if obj is None:
        raise Http404
    if action != "view":
        kwargs = {related: obj} if related else {}
        if not wf.TRANSITIONS[action].actors & perms.actor_kinds(user, obj.proposal, **kwargs):
            raise PermissionDenied
    return obj


def assignment_for(user, pk, action: str = "view") -> Assignment:
    """An assignment (for unit actions: the user's own unit, active)."""
    qs = Assignment.objects.select_related("proposal__council", "unit")
    units = perms.unit_ids(user)
    obj = _child_for(user, qs, pk, "view", None)
    if units and not perms.is_proposal_staff(user, obj.proposal.council) and obj.unit_id not in units:
        raise Http404  # another unit's part of a proposal the user's unit shares
    if action != "view" and not wf.TRANSITIONS[action].actors & perms.actor_kinds(
        user, obj.proposal, assignment=obj
    ):
        raise PermissionDenied
    return obj


def reply_for(user, pk, action: str = "view") -> Reply:
    qs = Reply.objects.select_related("proposal__council", "assignment__unit")
    obj = _child_for(user, qs, pk, "view", None)
    if action != "view":
        related = {"assignment": obj.assignment} if action in {"draft_reply", "submit_reply"} else {}
        if not wf.TRANSITIONS[action].actors & perms.actor_kinds(user, obj.proposal, **related):
            raise PermissionDenied
    if action == "view" and obj.status != ReplyStatus.APPROVED:
        # Drafts are the unit's and the reviewers' business, not the submitters'.
        kinds = perms.actor_kinds(user, obj.proposal)
        if not kinds & (wf.UNIT_KINDS | {wf.Actor.PROPOSAL_STAFF, wf.Actor.SUPERVISOR}) and not (
            org_permissions.grants(user, "proposal.view")
        ):
            raise Http404
    return obj


def countersignature_for(user, pk, action: str = "countersign") -> Countersignature:
    qs = Countersignature.objects.select_related("reply__proposal__council", "assignment__unit")
    obj = qs.filter(reply__proposal__in=Proposal.objects.filter(visible_q(user)), pk=pk).first()
    if obj is None:
        raise Http404
    if not wf.TRANSITIONS[action].actors & perms.actor_kinds(
        user, obj.reply.proposal, assignment=obj.assignment
    ):
        raise PermissionDenied
    return obj


def cosignature_for(user, pk, action: str = "cosign_respond") -> CoSignature:
    obj = _child_for(
        user, CoSignature.objects.select_related("proposal__council", "member"), pk, "view", None
    )
    if not wf.TRANSITIONS[action].actors & perms.actor_kinds(user, obj.proposal, cosignature=obj):
        raise PermissionDenied
    return obj


def evaluation_for(user, pk, action: str = "evaluate") -> Evaluation:
    qs = Evaluation.objects.select_related("proposal__council", "reply", "member", "source")
    return _child_for(user, qs, pk, action, "evaluation")


def adjustment_request_for(user, pk, action: str = "decide_adjustment") -> AdjustmentRequest:
    qs = AdjustmentRequest.objects.select_related("assignment__proposal__council", "assignment__unit")
    obj = qs.filter(assignment__proposal__in=Proposal.objects.filter(visible_q(user)), pk=pk).first()
    if obj is None:
        raise Http404
    if not wf.TRANSITIONS[action].actors & perms.actor_kinds(user, obj.assignment.proposal):
        raise PermissionDenied
    return obj


def extension_request_for(user, pk, action: str = "decide_extension") -> ExtensionRequest:
    qs = ExtensionRequest.objects.select_related("assignment__proposal__council", "assignment__unit")
    obj = qs.filter(assignment__proposal__in=Proposal.objects.filter(visible_q(user)), pk=pk).first()
    if obj is None:
        raise Http404
    if not wf.TRANSITIONS[action].actors & perms.actor_kinds(user, obj.assignment.proposal):
        raise PermissionDenied
    return obj


def proposal_timeline(user, proposal: Proposal) -> QuerySet[Event]:
    """The proposal's events, newest first (its timeline). The caller got `proposal` via proposal_for."""
    return history_for(proposal)


# --- queues -----------------------------------------------------------------------------------------------


def _staff_proposals(user) -> QuerySet[Proposal]:
    return proposals_visible_to(user).filter(perms.proposal_staff_q(user))


def proposals_review_queue(user) -> QuerySet[Proposal]:
    """Submitted proposals waiting for the proposal office's review, oldest first."""
    return _staff_proposals(user).filter(state=State.SUBMITTED).order_by("submitted_at", "pk")


def proposals_to_assign(user) -> QuerySet[Proposal]:
    """Filed proposals without a lead unit: the assignment board."""
    return _staff_proposals(user).filter(state=State.FILED).order_by("case_scope", "case_number")


def proposals_awaiting_conversion(user) -> QuerySet[Proposal]:
    return _staff_proposals(user).filter(state=State.NOT_FILED, awaiting_conversion=True).order_by("pk")


def adjustment_requests_pending(user) -> QuerySet[AdjustmentRequest]:
    return (
        AdjustmentRequest.objects.filter(
            status=AdjustmentRequest.Status.PENDING,
            assignment__proposal__in=_staff_proposals(user).values("pk"),
        )
        .select_related("assignment__proposal", "assignment__unit", "requested_by")
        .order_by("requested_at")
    )


def extension_requests_pending(user) -> QuerySet[ExtensionRequest]:
    return (
        ExtensionRequest.objects.filter(
            status=ExtensionRequest.Status.PENDING,
            assignment__proposal__in=_staff_proposals(user).values("pk"),
        )
        .select_related("assignment__proposal", "assignment__unit", "requested_by")
        .order_by("requested_at")
    )


def replies_to_review(user) -> QuerySet[Reply]:
    """Replies waiting for supervision (督办审核) in councils where the user supervises or is proposal staff."""
    q = perms.proposal_staff_q(user, "proposal__council")
    for a in org_permissions.roles_of(user):
        if a.role == org_permissions.R.SUPERVISOR:
            q |= Q(proposal__council__path__startswith=a.council.path)
    return (
        Reply.objects.filter(q, status=ReplyStatus.UNDER_REVIEW)
        .select_related("proposal", "assignment__unit")
        .order_by("submitted_at", "pk")
    )


def countersignatures_pending(user) -> QuerySet[Countersignature]:
    """Lead replies the user's unit is asked to countersign (会签)."""
    return (
        Countersignature.objects.filter(
            assignment__unit_id__in=sorted(perms.unit_ids(user)),
            assignment__active=True,
            status=wf.CountersignStatus.PENDING,
            reply__status=ReplyStatus.COUNTERSIGNING,
        )
        .select_related("reply__proposal", "reply__assignment__unit", "assignment__unit")
        .order_by("reply__submitted_at", "pk")
    )


def countersign_queue(user, limit: int = 50) -> list[Countersignature]:
    """The first `limit` of `countersignatures_pending`, as the inbox lists them above its buckets. Their ids
    come first, from a query light to plan (a unit rarely has any waiting, and then that is all); then those
    rows, with only what a row shows: the reply's round, class and date, its proposal's title and case number,
    its lead unit's name."""
    ids = list(countersignatures_pending(user).values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    return list(
        countersignatures_pending(user)
        .filter(pk__in=ids)
        .select_related(None)
        .select_related("reply__proposal", "reply__assignment__unit")
        .only(*COUNTERSIGN_QUEUE_COLUMNS)
    )


COUNTERSIGN_QUEUE_COLUMNS = (
    "reply_id", "assignment_id", "status",
    "reply__proposal_id", "reply__assignment_id", "reply__round", "reply__result", "reply__status",
    "reply__submitted_at",
    "reply__proposal__council_id", "reply__proposal__title", "reply__proposal__case_number",
    "reply__proposal__year", "reply__proposal__state",
    "reply__assignment__unit_id", "reply__assignment__unit__name",
)  # fmt: skip


def cosign_invitations(user) -> QuerySet[CoSignature]:
    """Open invitations to co-sign, for a member."""
    member_id = perms.member_id_of(user)
    if member_id is None:
        return CoSignature.objects.none()
    return (
        CoSignature.objects.filter(
            member_id=member_id,
            status=CoSignature.Status.INVITED,
            proposal__state__in=[State.DRAFT, State.SUBMITTED],
        )
        .select_related("proposal__lead_member", "invited_by")
        .order_by("proposal__cosign_deadline", "pk")
    )


def evaluations_due(user, today: date | None = None) -> QuerySet[Evaluation]:
    """Published replies the user is due to rate (as a member, or as agent of a collective); nothing to look
    for, and no query built, for anyone else."""
    today = today or _today()
    member_id = perms.member_id_of(user)
    if member_id is None and not perms.agent_scopes(user):
        return Evaluation.objects.none()
    q = Q(member_id=member_id) if member_id is not None else Q(pk__in=[])
    if perms.agent_scopes(user):
        q |= Q(member__isnull=True) & perms.agent_q(user, prefix="source__")
    return (
        Evaluation.objects.filter(
            q, status=EvaluationStatus.PENDING, deadline__gte=today, proposal__state=State.REPLIED
        )
        .select_related("proposal", "reply__assignment__unit")
        .order_by("deadline", "pk")
    )


def key_proposals_for_leader(user) -> QuerySet[Proposal]:
    """Key proposals (重点提案) the leader supervises, with their status and overdue flag."""
    return (
        proposals_visible_to(user)
        .filter(is_key=True, supervising_leaders=user)
        .order_by("-year", "case_number")
    )


def overdue_assignments(user, today: date | None = None) -> QuerySet[Assignment]:
    """The overdue board: assignments past their deadline without an approved reply (staff: council tree;
    unit users: their own units)."""
    today = today or _today()
    qs = Assignment.objects.filter(_overdue_assignment_q(today))
    if org_permissions.grants(user, "proposal.view"):
        scope = org_permissions.council_q(user, "proposal.view", "proposal__council")
    else:
        scope = Q(unit_id__in=sorted(perms.unit_ids(user)))
    return qs.filter(scope).select_related("proposal", "unit").order_by("deadline", "pk")


def first_contact_overdue(user, today: date | None = None) -> QuerySet[Assignment]:
    """Answering assignments past their first-contact deadline (首次沟通, working days after assignment) with no
    contact recorded yet — staff: their council tree; unit users: their own units."""
    today = today or _today()
    qs = Assignment.objects.filter(
        active=True,
        role__in=sorted(wf.ANSWERING_ROLES),
        first_contact_deadline__lt=today,
        proposal__state__in=sorted(wf.OPEN_HANDLING_STATES),
    ).exclude(Exists(ContactRecord.objects.filter(assignment=OuterRef("pk"))))
    if org_permissions.grants(user, "proposal.view"):
        scope = org_permissions.council_q(user, "proposal.view", "proposal__council")
    else:
        scope = Q(unit_id__in=sorted(perms.unit_ids(user)))
    return qs.filter(scope).select_related("proposal", "unit").order_by("first_contact_deadline", "pk")


# --- the unit's inbox -------------------------------------------------------------------------------------


INBOX_BUCKETS = ("new", "handling", "due_soon", "overdue", "rehandle")


def inbox_bucket(due: date | None, round_: int, adjustment_deadline: date, today: date, soon_days: int = 7):
    """The inbox bucket of an open, unanswered assignment (see `unit_inbox`); None when it has no due date
    (it is then in no bucket, as in `unit_inbox_counts`)."""
    if due is None:
        return None
    if due < today:
        return "overdue"
    if round_ == 2:
        return "rehandle"
    if due <= today + timedelta(days=soon_days):
        return "due_soon"
    return "new" if adjustment_deadline >= today else "handling"


def unit_inbox_ids(user, today: date | None = None, soon_days: int = 7) -> dict[str, list[int]]:
    """The ids of the unit's inbox, bucket by bucket (see `unit_inbox`), by due date: one light query of the
    unit's assignments still awaiting their answer (`Assignment.awaiting`, a partial index: a few hundred rows
    for the busiest unit), bucketed here, so the page costs the same whichever bucket it shows, and the bucket
    sizes come with it. Read the rows to show with `unit_inbox_rows`."""
    today = today or _today()
    buckets: dict[str, list[int]] = {name: [] for name in INBOX_BUCKETS}
    rows = (
        Assignment.objects.filter(unit_id__in=sorted(perms.unit_ids(user)), awaiting=True)
        .annotate(due=_ASSIGNMENT_DUE)
        .order_by("due", "pk")
        .values_list("pk", "due", "round", "adjustment_deadline")
    )
    for pk, due, round_, adjustment_deadline in rows:
        bucket = inbox_bucket(due, round_, adjustment_deadline, today, soon_days)
        if bucket is not None:
            buckets[bucket].append(pk)
    return buckets


def unit_inbox_rows(user, ids) -> list[Assignment]:
    """The assignments `ids` of the user's units, in that order, with `due`, the unit and the few columns of the
    proposal a row shows (title, state, case number, year, council). The ids come from `unit_inbox_ids`, which
    chose the open, unanswered ones: this query only keeps to the user's units, without asking again."""
    ids = list(ids)
    if not ids:
        return []
    rows = (
        Assignment.objects.filter(pk__in=ids, unit_id__in=sorted(perms.unit_ids(user)), active=True)
        .annotate(due=_ASSIGNMENT_DUE)
        .select_related(f"proposal__{CASE_FORMAT_RELATED}", "unit")
        .only(*INBOX_ROW_COLUMNS)
    )
    found = {a.pk: a for a in rows}
    return [found[pk] for pk in ids if pk in found]


_ASSIGNMENT_DUE = Case(
    When(role=AssignmentRole.CO, then=F("opinion_deadline")),
    default=F("deadline"),
    output_field=models.DateField(),
)
INBOX_ROW_COLUMNS = (
    "proposal_id", "unit_id", "role", "round", "assigned_at", "deadline", "deadline_provisional",
    "opinion_deadline", "opinion_deadline_provisional", "adjustment_deadline", "active",
    "proposal__council_id", "proposal__title", "proposal__state", "proposal__case_number", "proposal__year",
    "unit__name", f"proposal__{CASE_FORMAT_RELATED}__case_number_format",
)  # fmt: skip


def unit_inbox(user, today: date | None = None, soon_days: int = 7) -> dict[str, list[Assignment]]:
    """The unit's inbox in buckets (each a list of assignments, by due date; every open assignment in exactly
    one): overdue (past due, unanswered), rehandle (second round), due_soon (due within `soon_days`),
    new (still inside the adjustment window), handling (the rest). Co units' due date is their opinion
    deadline; they leave the inbox once they gave their opinion (countersigning has its own queue).
    Two queries; a page shows one bucket, so it reads `unit_inbox_ids` and the rows of its page instead."""
    ids = unit_inbox_ids(user, today, soon_days)
    rows = {a.pk: a for a in unit_inbox_rows(user, [pk for bucket in ids.values() for pk in bucket])}
    return {name: [rows[pk] for pk in bucket if pk in rows] for name, bucket in ids.items()}


def unit_inbox_counts(user, today: date | None = None, soon_days: int = 7) -> dict[str, int]:
    """Bucket sizes in one aggregate query over the unit's assignments still awaiting their answer."""
    today = today or _today()
    soon = today + timedelta(days=soon_days)
    base = Assignment.objects.filter(unit_id__in=sorted(perms.unit_ids(user)), awaiting=True).annotate(
        due=_ASSIGNMENT_DUE
    )
    return base.aggregate(
        overdue=Count("pk", filter=Q(due__lt=today)),
        rehandle=Count("pk", filter=Q(due__gte=today, round=2)),
        due_soon=Count("pk", filter=Q(due__gte=today, due__lte=soon) & ~Q(round=2)),
        new=Count("pk", filter=Q(due__gt=soon, adjustment_deadline__gte=today) & ~Q(round=2)),
        handling=Count("pk", filter=Q(due__gt=soon, adjustment_deadline__lt=today) & ~Q(round=2)),
    )


# --- reminders --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderDue:
    assignment: Assignment
    kind: str  # "30", "7", "1", "overdue"
    deadline: date


def proposal_reminders_due(today: date | None = None) -> list[ReminderDue]:
    """Assignments that need a reminder today — before the deadline (each council's reminder days, default
    30/7/1) or overdue — and have not had that reminder for that deadline yet (see services.reminders_record).
    Answering units are reminded of their handling deadline; co units of their opinion deadline until they
    give it. Two queries, whatever the number of assignments."""
    from .models import ProposalSettings

    today = today or _today()
    candidates = list(_unit_assignments_all(today))
    sent = set(
        Reminder.objects.filter(assignment_id__in=[a.pk for a in candidates]).values_list(
            "assignment_id", "kind", "deadline"
        )
    )
    days = dict(ProposalSettings.objects.values_list("council_id", "reminder_days"))
    due: list[ReminderDue] = []
    for assignment in candidates:
        kind = wf.reminder_kind(assignment.due, today, days.get(assignment.proposal.council_id) or (30, 7, 1))
        if kind is None or (assignment.pk, kind, assignment.due) in sent:
            continue
        due.append(ReminderDue(assignment, kind, assignment.due))
    return due


def _unit_assignments_all(today: date) -> QuerySet[Assignment]:
    horizon = today + timedelta(days=366)
    return (
        Assignment.objects.filter(active=True, proposal__state__in=sorted(wf.OPEN_HANDLING_STATES))
        .annotate(
            answered=Case(
                When(role=AssignmentRole.CO, then=Q(opinion_at__isnull=False)),
                default=approved_reply_of_round(),
                output_field=models.BooleanField(),
            ),
            due=_ASSIGNMENT_DUE,
        )
        .filter(answered=False, due__lte=horizon)
        .select_related("proposal__council", "unit")
        .order_by("due", "pk")
    )


# --- the year's figures -----------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _sector_expr(prefix: str = ""):
    """The sector a proposal counts under: the collective's sector, the organisation's sector, or the lead
    member's sector in their latest term."""
    latest = (
        Membership.objects.filter(member_id=OuterRef(f"{prefix}lead_member_id"))
        .order_by("-term__start_date")
        .values("sector_id")[:1]
    )
    return Coalesce(
        F(f"{prefix}sector_id"),
        F(f"{prefix}organization__sector_id"),
        Subquery(latest),
        output_field=models.BigIntegerField(),
    )


GROUPINGS = ("category", "kind", "sector", "unit")


def _group_expr(grouping: str, prefix: str = ""):
    if grouping == "category":
        return F(f"{prefix}category_id")
    if grouping == "kind":
        return F(f"{prefix}kind")
    if grouping == "sector":
        return _sector_expr(prefix)
    raise ValueError(grouping)


def _proposal_counts(qs: QuerySet[Proposal]) -> dict[str, Any]:
    return dict(
        received=Count("pk"),
        filed=Count("pk", filter=Q(filed_at__isnull=False)),
        handled=Count("pk", filter=Q(state__in=sorted(wf.FILED_STATES))),
        replied=Count("pk", filter=Q(state__in=[State.REPLIED, State.REHANDLING, State.CLOSED])),
        closed=Count("pk", filter=Q(state=State.CLOSED)),
        declined=Count("pk", filter=Q(state=State.NOT_FILED)),
        merged=Count("pk", filter=Q(state=State.MERGED)),
        withdrawn=Count("pk", filter=Q(state=State.WITHDRAWN)),
        converted=Count("pk", filter=Q(conversion_requested_at__isnull=False)),
        awaiting_conversion=Count("pk", filter=Q(awaiting_conversion=True)),
        rehandled=Count("pk", filter=Q(round=2)),
        key_proposals=Count("pk", filter=Q(is_key=True)),
    )


def _reply_counts(classes: list[str]) -> dict[str, Any]:
    final = Q(status=ReplyStatus.APPROVED, round=F("assignment__round"))
    first = Q(status=ReplyStatus.APPROVED, round=1)
    counts = dict(
        replies=Count("pk", filter=final),
        first_replies=Count("pk", filter=first),
        on_time=Count("pk", filter=first & Q(published_at__date__lte=F("assignment__deadline"))),
    )
    for code in classes:
        counts[f"class_{code}"] = Count("pk", filter=final & Q(result=code))
    return counts


def _evaluation_counts() -> dict[str, Any]:
    final = Q(round=F("proposal__round"))
    rated = final & Q(status=EvaluationStatus.RATED)
    counts: dict[str, Any] = dict(
        evaluations=Count("pk", filter=final),
        rated=Count("pk", filter=rated),
        unrated=Count("pk", filter=final & Q(status=EvaluationStatus.UNRATED)),
        consulted=Count("pk", filter=rated & Q(consulted=True)),
    )
    for aspect in ("work", "result"):
        for rating in Rating.values:
            counts[f"{aspect}_{rating}"] = Count("pk", filter=rated & Q(**{f"{aspect}_rating": rating}))
    return counts


def _satisfaction(row: dict[str, Any]) -> None:
    for aspect in ("work", "result"):
        good = row.get(f"{aspect}_satisfied", 0) + row.get(f"{aspect}_basically_satisfied", 0)
        row[f"{aspect}_satisfaction_rate"] = _rate(good, row.get("rated", 0))


def _classes(row: dict[str, Any], classes: list[str]) -> None:
    for key in ("replies", "first_replies", "on_time", "rated", *[f"class_{c}" for c in classes]):
        row.setdefault(key, 0)
    row["on_time_rate"] = _rate(row["on_time"], row["first_replies"])
    row["class_shares"] = {c: _rate(row[f"class_{c}"], row["replies"]) for c in classes}
    _satisfaction(row)


def _derive(row: dict[str, Any], classes: list[str]) -> dict[str, Any]:
    """Rates of a proposal-level row (total, or one category / kind / sector)."""
    row = dict(row)
    for key in ("received", "filed", "handled", "replied", "submitters", "met"):
        row.setdefault(key, 0)
    row["filing_rate"] = _rate(row["filed"], row["received"])
    row["reply_rate"] = _rate(row["replied"], row["handled"])
    row["contact_rate"] = _rate(row["met"], row["submitters"])
    _classes(row, classes)
    return row


def _submitter_counts(handled: QuerySet[Proposal], grouping: str | None = None) -> tuple[dict, dict]:
    """Submitters of handled proposals (the lead member or the collective, plus accepted co-signers) and how
    many of them the units met face to face (见面), per group key (one total under key 0 without grouping)."""

    def key(prefix: str = ""):
        return _group_expr(grouping, prefix) if grouping else Value(0)

    def counted(qs, prefix: str = "", n=None) -> dict:
        grouped = qs.order_by().annotate(g=key(prefix)).values("g")
        return dict(grouped.annotate(n=n or Count("pk")).values_list("g", "n"))

    leads = counted(handled)
    cosigners = counted(
        CoSignature.objects.filter(status=CoSignature.Status.ACCEPTED, proposal__in=handled.values("pk")),
        "proposal__",
    )
    through = ContactRecord.members_met.through
    met_members = counted(
        through.objects.filter(
            contactrecord__method__in=ContactRecord.FACE_TO_FACE,
            contactrecord__assignment__proposal__in=handled.values("pk"),
        ),
        "contactrecord__assignment__proposal__",
        Count(_pair("contactrecord__assignment__proposal_id", "member_id"), distinct=True),
    )
    met_collective = counted(
        handled.filter(kind=Kind.COLLECTIVE).filter(
            Exists(
                ContactRecord.objects.filter(
                    assignment__proposal=OuterRef("pk"),
                    collective_met=True,
                    method__in=ContactRecord.FACE_TO_FACE,
                )
            )
        )
    )
    submitters = {g: leads.get(g, 0) + cosigners.get(g, 0) for g in set(leads) | set(cosigners)}
    met = {
        g: met_members.get(g, 0) + met_collective.get(g, 0) for g in set(met_members) | set(met_collective)
    }
    return submitters, met


def _pair(a: str, b: str):
    """ "<a>:<b>" as text, to count distinct pairs."""
    return Concat(Cast(a, models.CharField()), Value(":"), Cast(b, models.CharField()))


def proposal_year_summary(user, council, year: int) -> dict[str, Any]:
    """The figures of an annual proposal report, for one council (and those below it) and year: received,
    filed and filing rate, declined / merged / withdrawn / converted, reply rate, on-time rate, contact rate
    (见面率), satisfaction rates on work and result, result-class shares — in total and grouped by category,
    kind, sector and unit. Every figure comes from aggregate queries."""
    from .services import proposal_settings_get

    if not org_permissions.can(user, "proposal.stats", council):
        raise PermissionDenied
    classes = [c["code"] for c in proposal_settings_get(council).result_classes]
    base = Proposal.objects.filter(
        council__path__startswith=council.path, year=year, submitted_at__isnull=False
    )
    handled = base.filter(state__in=sorted(wf.FILED_STATES))
    # A reopened proposal counts once, in its own year, with its current handling cycle: the replies and
    # ratings of the assignments its reopening ended stay in its record but not in the figures.
    replies = Reply.objects.filter(proposal__in=handled.values("pk"), assignment__active=True)
    evaluations = Evaluation.objects.filter(proposal__in=handled.values("pk"), reply__assignment__active=True)

    total = base.aggregate(**_proposal_counts(base))
    total.update(replies.aggregate(**_reply_counts(classes)))
    total.update(evaluations.aggregate(**_evaluation_counts()))
    submitters, met = _submitter_counts(handled)
    total["submitters"], total["met"] = submitters.get(0, 0), met.get(0, 0)
    summary: dict[str, Any] = {
        "council": council,
        "year": year,
        "classes": classes,
        "total": _derive(total, classes),
    }

    for grouping in ("category", "kind", "sector"):
        rows: dict[Any, dict[str, Any]] = {}

        def merge(pairs, rows=rows):
            for pair in pairs:
                g = pair.pop("g")
                rows.setdefault(g, {}).update(pair)

        merge(
            base.order_by().annotate(g=_group_expr(grouping)).values("g").annotate(**_proposal_counts(base))
        )
        merge(
            replies.order_by()
            .annotate(g=_group_expr(grouping, "proposal__"))
            .values("g")
            .annotate(**_reply_counts(classes))
        )
        merge(
            evaluations.order_by()
            .annotate(g=_group_expr(grouping, "proposal__"))
            .values("g")
            .annotate(**_evaluation_counts())
        )
        subs, met_g = _submitter_counts(handled, grouping)
        for g in set(subs) | set(met_g):
            rows.setdefault(g, {}).update(submitters=subs.get(g, 0), met=met_g.get(g, 0))
        labels = _group_labels(grouping, rows)
        summary[grouping] = [
            {"key": g, "label": labels.get(g, "—"), **_derive(r, classes)}
            for g, r in sorted(rows.items(), key=lambda kv: (kv[0] is None, str(labels.get(kv[0], ""))))
        ]

    summary["unit"] = _unit_rows(handled, classes)
    return summary


def _group_labels(grouping: str, keys) -> dict[Any, str]:
    """Names of the group keys, in one query."""
    from yizheng.org.models import Sector

    from .models import Category

    keys = [k for k in keys if k is not None]
    if grouping == "kind":
        return {k: str(Kind(k).label) for k in keys}
    model = {"category": Category, "sector": Sector}[grouping]
    return dict(model.objects.filter(pk__in=keys).values_list("pk", "name"))


def _unit_rows(handled: QuerySet[Proposal], classes: list[str]) -> list[dict[str, Any]]:
    """Per answering unit (lead or separate): assignments, replies (reply rate), replies on time, assignments
    whose unit met the submitters face to face (contact rate), result classes, and the satisfaction of the
    ratings of its replies."""
    assignments = Assignment.objects.filter(
        proposal__in=handled.values("pk"), role__in=sorted(wf.ANSWERING_ROLES), active=True
    )
    face_to_face = ContactRecord.objects.filter(
        assignment=OuterRef("pk"), method__in=ContactRecord.FACE_TO_FACE
    )
    rows: dict[Any, dict[str, Any]] = {}
    for pair in (
        assignments.order_by()
        .values("unit_id", "unit__name")
        .annotate(assigned=Count("pk"), met_assignments=Count("pk", filter=Q(Exists(face_to_face))))
    ):
        rows[pair["unit_id"]] = {"label": pair.pop("unit__name"), **pair}
    replies = Reply.objects.filter(assignment__in=assignments.values("pk"))
    for pair in replies.order_by().values("assignment__unit_id").annotate(**_reply_counts(classes)):
        rows.setdefault(pair.pop("assignment__unit_id"), {}).update(pair)
    evaluations = Evaluation.objects.filter(reply__assignment__in=assignments.values("pk"))
    for pair in evaluations.order_by().values("reply__assignment__unit_id").annotate(**_evaluation_counts()):
        rows.setdefault(pair.pop("reply__assignment__unit_id"), {}).update(pair)
    out = []
    for unit_id, row in sorted(rows.items(), key=lambda kv: str(kv[1].get("label", ""))):
        row.pop("unit_id", None)
        _classes(row, classes)
        row["reply_rate"] = _rate(row["replies"], row.get("assigned", 0))
        row["contact_rate"] = _rate(row.get("met_assignments", 0), row.get("assigned", 0))
        out.append({"key": unit_id, **row})
    return out


# --- handling screens (assignment board, overdue board, key proposals, unit workspace) ---------------------


def overdue_board(user, unit_id: int | None = None, today: date | None = None) -> QuerySet[Assignment]:
    """The overdue board rows: `overdue_assignments`, optionally one unit, each annotated with `contacted`
    (the unit has recorded a contact with the submitters)."""
    qs = overdue_assignments(user, today).annotate(
        contacted=Exists(ContactRecord.objects.filter(assignment=OuterRef("pk")))
    )
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    return qs


def key_proposals_supervised(user, today: date | None = None) -> QuerySet[Proposal]:
    """Key proposals (重点提案) in the proposal staff's councils, with their supervising leaders."""
    return (
        _staff_proposals(user)
        .filter(is_key=True)
        .prefetch_related("supervising_leaders")
        .order_by("-year", "case_scope", "case_number")
    )


def latest_events(proposals, per_proposal: int = 3) -> dict[int, list[Event]]:
    """{proposal pk: its newest events} for rows of a list, in one query. The caller got the proposals from a
    scoped selector."""
    rows = list(proposals)
    out: dict[int, list[Event]] = {p.pk: [] for p in rows}
    if not rows:
        return out
    events = Event.objects.filter(
        target_type=Proposal._meta.label_lower, target_id__in=[str(p.pk) for p in rows]
    ).order_by("-seq")[: per_proposal * len(rows) * 10]
    for event in events:
        bucket = out.get(int(event.target_id))
        if bucket is not None and len(bucket) < per_proposal:
            bucket.append(event)
    return out


# Events that name the assignments they create or change in payload["assignments"] (ids, or rows with "id").
_ASSIGNMENT_LIST_EVENTS = ("proposal.assign", "proposal.rehandle", "proposal.reopen")


def _names_assignment(event: Event, pk: int) -> bool:
    if event.action not in _ASSIGNMENT_LIST_EVENTS:
        return True
    rows = event.payload.get("assignments") or []
    return any((row.get("id") if isinstance(row, dict) else row) == pk for row in rows)


def assignment_history(user, assignment: Assignment, limit: int = 30) -> list[Event]:
    """The events of the assignment's proposal that concern its unit (the unit's actions and the staff's
    decisions on them) and the assignment itself (交办, 重新办理, 重启办理), newest first, at most `limit`.
    The caller got `assignment` via assignment_for."""
    events = history_for(assignment.proposal).filter(
        Q(payload__unit=str(assignment.unit)) | Q(action__in=_ASSIGNMENT_LIST_EVENTS)
    )
    return [e for e in events if _names_assignment(e, assignment.pk)][:limit]


def assignment_workspace(user, assignment: Assignment) -> dict[str, Any]:
    """What the unit's workspace shows beside the assignment: the current-round reply of an answering unit with
    its countersignatures, the lead reply a co unit is asked to countersign, the co units' opinions (for the
    lead), the contacts, and the pending adjustment / extension requests."""
    proposal = assignment.proposal
    reply = (
        Reply.objects.filter(assignment=assignment, round=assignment.round)
        .prefetch_related("countersignatures__assignment__unit")
        .first()
        if assignment.role in wf.ANSWERING_ROLES
        else None
    )
    lead_reply = None
    my_countersignature = None
    if assignment.role == AssignmentRole.CO:
        my_countersignature = (
            Countersignature.objects.filter(assignment=assignment)
            .select_related("reply__assignment__unit")
            .order_by("-reply__round", "-pk")
            .first()
        )
        lead_reply = my_countersignature.reply if my_countersignature else None
    co_opinions = []
    if assignment.role == AssignmentRole.LEAD:
        co_opinions = list(
            Assignment.objects.filter(proposal=proposal, role=AssignmentRole.CO, active=True)
            .select_related("unit")
            .order_by("pk")
        )
    return {
        "reply": reply,
        "lead_reply": lead_reply,
        "my_countersignature": my_countersignature,
        "co_opinions": co_opinions,
        "contacts": list(assignment.contacts.prefetch_related("members_met").order_by("-date", "-pk")),
        "adjustments": list(assignment.adjustment_requests.order_by("-requested_at")),
        "extensions": list(assignment.extension_requests.order_by("-requested_at")),
    }


# --- the JSON API -----------------------------------------------------------------------------------------


def proposals_filtered(
    user,
    *,
    year: int | None = None,
    state: str | None = None,
    kind: str | None = None,
    category: int | None = None,
    unit: int | None = None,
    is_key: bool | None = None,
    overdue: bool | None = None,
    q: str = "",
    today: date | None = None,
    annotate: bool = True,
) -> QuerySet[Proposal]:
    """`proposals_visible_to` narrowed by the list filters; ids outside the user's reach simply match nothing.
    `annotate=False` leaves out the joins and the overdue annotations (a list that pages ids first, then reads
    the rows of the page with `proposal_list_rows`)."""
    today = today or _today()
    rows = proposals_visible_to(user, today) if annotate else Proposal.objects.filter(visible_q(user))
    if year is not None:
        rows = rows.filter(year=year)
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    if category is not None:
        rows = rows.filter(category_id=category)
    if unit is not None:
        rows = rows.filter(
            Exists(Assignment.objects.filter(proposal=OuterRef("pk"), unit_id=unit, active=True))
        )
    if is_key is not None:
        rows = rows.filter(is_key=is_key)
    if overdue is not None:
        late = Exists(Assignment.objects.filter(_overdue_assignment_q(today), proposal=OuterRef("pk")))
        rows = rows.filter(late if overdue else ~late)
    q = (q or "").strip()
    if q:
        rows = rows.filter(
            Q(title__icontains=q)
            | Q(lead_member__name__icontains=q)
            | Q(organization__name__icontains=q)
            | Q(committee__name__icontains=q)
            | Q(sector__name__icontains=q)
        )
    return rows.order_by(*LIST_ORDER)


LIST_ORDER = ("-year", "-submitted_at", "-pk")
# What a list row shows (the submitter and the category); each join adds planning time to every page.
LIST_RELATED = ("lead_member", "organization", "committee", "sector", "category")
# The columns a list row shows or orders by, and its case label's (a member row alone has some thirty).
LIST_COLUMNS = (
    "council_id", "year", "case_number", "title", "kind", "state", "is_key", "submitted_at",
    *(f"{name}__name" for name in LIST_RELATED), f"{CASE_FORMAT_RELATED}__case_number_format",
)  # fmt: skip


def proposal_list_rows(page_ids, today: date | None = None) -> list[Proposal]:
    """The proposals of one page of a list, in list order, joined and annotated like `proposals_visible_to`.
    `page_ids` is the page's slice of the list's `values_list("pk")`. Its ids are read first, so the overdue
    annotations and joins are worked out for these rows only: PostgreSQL plans an annotated, filtered and
    paginated list as a hashed sub-plan over every open assignment, and a `pk IN (subquery)` as a join of the
    whole table — each a scan of 100k rows whatever the page. `is_overdue` and `next_deadline` come from
    `mark_deadlines` (one more query, and only when a row is being handled) rather than two correlated
    subqueries on every row."""
    ids = list(page_ids)
    if not ids:
        return []
    qs = (
        Proposal.objects.filter(pk__in=ids)
        .select_related(*LIST_RELATED, CASE_FORMAT_RELATED)
        .only(*LIST_COLUMNS)
    )
    return mark_deadlines(qs.order_by(*LIST_ORDER), today)


def _sees_unpublished(user, proposal: Proposal, kinds: set[str]) -> bool:
    """Reply drafts and every submitter's rating are for units, reviewers and council readers."""
    return bool(
        kinds & (wf.UNIT_KINDS | {wf.Actor.PROPOSAL_STAFF, wf.Actor.SUPERVISOR})
    ) or org_permissions.can(user, "proposal.view", proposal.council)


def proposal_detail_for(user, pk) -> Proposal:
    """One proposal as the detail answer shows it, fetched and authorised (404 outside the scope), with
    `detail_submitters`, `detail_cosignatures`, `detail_assignments`, `detail_replies` (approved ones only,
    unless the user is a unit, reviewer or council reader), `detail_evaluations` (the user's own, unless
    privileged as above), `detail_allowed_actions` and `detail_case_label` attached."""
    proposal = proposal_for(user, pk)
    kinds = perms.actor_kinds(user, proposal)
    privileged = _sees_unpublished(user, proposal, kinds)
    replies = proposal.replies.select_related("assignment__unit").prefetch_related(
        models.Prefetch(
            "countersignatures",
            queryset=Countersignature.objects.select_related("assignment__unit").order_by("pk"),
        )
    )
    evaluations = proposal.evaluations.select_related("member", "source")
    if not privileged:
        replies = replies.filter(status=ReplyStatus.APPROVED)
        mine = Q(member_id=perms.member_id_of(user)) if perms.member_id_of(user) else Q(pk__in=[])
        if perms.agent_scopes(user):
            mine |= Q(member__isnull=True) & perms.agent_q(user, prefix="source__")
        evaluations = evaluations.filter(mine)
    proposal.detail_submitters = proposal_submitters(proposal)
    proposal.detail_cosignatures = list(proposal.cosignatures.select_related("member").order_by("pk"))
    proposal.detail_assignments = list(
        with_assignment_overdue(proposal.assignments.select_related("unit")).order_by("role", "pk")
    )
    proposal.detail_replies = list(replies.order_by("round", "pk"))
    proposal.detail_evaluations = list(evaluations.order_by("round", "pk"))
    proposal.detail_allowed_actions = wf.allowed(proposal.state, kinds)
    proposal.detail_case_label = proposal_case_labels([proposal])[proposal.pk]
    return proposal


def reply_countersignature_for(user, reply_pk) -> Countersignature:
    """The countersignature (会签) the user's unit owes on a reply: 404 when the reply is outside the user's
    scope, 403 when their unit is not asked to countersign it."""
    reply = _child_for(user, Reply.objects.select_related("proposal__council"), reply_pk, "view", None)
    found = (
        Countersignature.objects.filter(reply=reply, assignment__unit_id__in=sorted(perms.unit_ids(user)))
        .select_related("reply__proposal__council", "assignment__unit")
        .order_by("-assignment__active", "pk")
        .first()
    )
    if found is None:
        raise PermissionDenied
    return countersignature_for(user, found.pk, "countersign")


def proposal_references(
    council,
    *,
    units: Iterable[int] = (),
    members: Iterable[int] = (),
    leaders: Iterable[int] = (),
    category: int | None = None,
    group: int | None = None,
    proposals: Iterable[int] = (),
    plenary: int | None = None,
    organization: int | None = None,
    committee: int | None = None,
    sector: int | None = None,
) -> dict[str, Any]:
    """The rows an action names by id (units, members, leaders, a category, a member group), read within the
    proposal's council. An id that is not there is bad input (ApplicationError naming the field), never a
    row of another council. Leaders are accounts; the services check that they lead this council."""
    from django.contrib.auth import get_user_model
    from django.utils.translation import gettext as _

    from yizheng.core.errors import ApplicationError
    from yizheng.org.models import Committee, MemberGroup, Organization, Plenary, Sector, Unit

    from .models import Category

    def load(field: str, qs: QuerySet, ids: Iterable[int], message: str) -> dict[int, Any]:
        ids = list(dict.fromkeys(ids))
        found = {row.pk: row for row in qs.filter(pk__in=ids)} if ids else {}
        if len(found) != len(ids):
            raise ApplicationError(message, errors={field: [message]})
        return found

    out: dict[str, Any] = {
        "units": load(
            "units", Unit.objects.filter(council=council), units, _("所选承办单位不存在或不属于本会")
        ),
        "members": load(
            "members", Member.objects.filter(council=council), members, _("所选委员不存在或不属于本会")
        ),
        "leaders": load(
            "supervising_leaders",
            get_user_model().objects.filter(is_active=True),
            leaders,
            _("所选督办领导不存在"),
        ),
        "proposals": load(
            "merged", Proposal.objects.filter(council=council), proposals, _("所选提案不存在或不属于本会")
        ),
    }
    single = {
        "category": (category, Category.objects.filter(council=council), _("请选择本会的提案分类")),
        "group": (group, MemberGroup.objects.filter(council=council), _("请选择本会的委员组")),
        "plenary": (plenary, Plenary.objects.filter(term__council=council), _("请选择本会的全体会议")),
        "organization": (
            organization,
            Organization.objects.filter(council=council),
            _("请选择本会的党派团体"),
        ),
        "committee": (committee, Committee.objects.filter(council=council), _("请选择本会的专委会")),
        "sector": (sector, Sector.objects.filter(council=council), _("请选择本会的界别")),
    }
    for field, (pk, qs, message) in single.items():
        out[field] = None if pk is None else load(field, qs, [pk], message)[pk]
    return out


def drafting_council_for(user, pk) -> Any:
    """A council the user holds a role in (where they may draft proposals): 404 for any other."""
    from yizheng.org.models import Council

    if int(pk) not in {a.council_id for a in org_permissions.roles_of(user)}:
        raise Http404
    return Council.objects.get(pk=pk)


# --- member and review screens (drafting choices, co-sign search, merge search, the staff list) -----------


def proposal_categories(council) -> QuerySet:
    """The council's active proposal categories, in their order (choices of the draft and filing forms)."""
    from .models import Category

    return Category.objects.filter(council=council, is_active=True).order_by("order", "pk")


def drafting_councils(user) -> list:
    """The councils the user may draft in, with the collectives they file for: [(council, [collectives])].
    A member drafts in their own member's council; an agent in the council of each collective."""
    from yizheng.org.models import Committee, Organization, Sector

    out: dict[int, tuple[Any, list]] = {}
    member = perms.member_of(user)
    if member is not None and org_permissions.can(user, "proposal.draft", member.council):
        out.setdefault(member.council_id, (member.council, []))
    models_ = {"organization": Organization, "committee": Committee, "sector": Sector}
    for field, value in perms.agent_scopes(user):
        collective = models_[field].objects.select_related("council").filter(pk=value).first()
        if collective is not None:
            out.setdefault(collective.council_id, (collective.council, []))[1].append((field, collective))
    return list(out.values())


def cosign_candidates(user, proposal: Proposal, q: str = "", limit: int = 20) -> QuerySet[Member]:
    """Members of the proposal's council with an active seat whose name matches `q`, for the lead to invite
    (the lead and members already invited or co-signing are left out). The caller got `proposal` through
    proposal_for(user, pk, "cosign_invite")."""
    q = (q or "").strip()
    if not q:
        return Member.objects.none()
    taken = CoSignature.objects.filter(
        proposal=proposal, status__in=[CoSignature.Status.INVITED, CoSignature.Status.ACCEPTED]
    ).values("member_id")
    return (
        Member.objects.filter(council_id=proposal.council_id, name__icontains=q[:40])
        .filter(Exists(Membership.objects.filter(member=OuterRef("pk"), status=Membership.Status.ACTIVE)))
        .exclude(pk=proposal.lead_member_id or 0)
        .exclude(pk__in=taken)
        .order_by("name", "pk")[:limit]
    )


def member_groups_of(council) -> QuerySet:
    """Member groups of the council's current term (co-signing a whole group)."""
    from yizheng.org.models import MemberGroup

    return MemberGroup.objects.filter(council=council, term__is_current=True).order_by("name", "pk")


def proposal_cosignatures(proposal: Proposal) -> QuerySet[CoSignature]:
    return proposal.cosignatures.select_related("member", "via_group").order_by("pk")


def merge_candidates(user, proposal: Proposal, q: str = "", limit: int = 20) -> QuerySet[Proposal]:
    """Proposals of the same council the proposal office may merge with `proposal` (submitted or filed, not
    itself), found by case number or title."""
    qs = (
        _staff_proposals(user)
        .filter(council_id=proposal.council_id, state__in=[State.SUBMITTED, State.FILED])
        .exclude(pk=proposal.pk)
        .exclude(Exists(Proposal.objects.filter(merged_into=OuterRef("pk"))))
    )
    q = (q or "").strip()
    if q:
        digits = q.strip("第号 ").lstrip("0")
        match = Q(title__icontains=q[:60])
        if digits.isdigit():
            match |= Q(case_number=int(digits))
        qs = qs.filter(match)
    return qs.order_by("-submitted_at", "-pk")[:limit]


def proposals_by_ids(user, ids, *, council_id: int | None = None) -> list[Proposal]:
    """Proposals the user may see among `ids` (a merge form's choice)."""
    qs = proposals_visible_to(user).filter(pk__in=[int(i) for i in ids])
    if council_id is not None:
        qs = qs.filter(council_id=council_id)
    return list(qs.order_by("pk"))


def proposal_list_for(user, *, filters: dict[str, Any] | None = None) -> QuerySet[Proposal]:
    """The staff / leader / supervisor list (提案): submitted proposals of their council tree, narrowed by the
    list filters (`proposals_filtered`); a case number (12 or 第0012号) in `q` also matches. Requires
    proposal.view. The rows are neither joined nor annotated: page their ids and read the page's rows with
    `proposal_list_rows`."""
    org_permissions.require(user, "proposal.view")
    f = dict(filters or {})
    text = (f.pop("q", "") or "").strip()
    qs = proposals_filtered(user, annotate=False, **f).filter(
        org_permissions.council_q(user, "proposal.view"), submitted_at__isnull=False
    )
    if text:
        match = (
            Q(title__icontains=text)
            | Q(lead_member__name__icontains=text)
            | Q(organization__name__icontains=text)
            | Q(committee__name__icontains=text)
            | Q(sector__name__icontains=text)
        )
        digits = text.strip("第号 ").lstrip("0")
        if digits.isdigit():
            match |= Q(case_number=int(digits))
        qs = qs.filter(match)
    return qs


def proposal_years(user) -> list[int]:
    """Years that have proposals the user may list (the year filter), newest first.

    Asked on every list request, so it never reads the table through (a `DISTINCT year` over a ten-year
    council's 100k proposals costs 40–50 ms on PostgreSQL): the first and last year, then for each year in
    between the first year at or after it, are each one step down the `proposal_listed_year` index. Two
    small queries, exact; the list page reads them through `proposal_filter_choices`, cached."""
    if not org_permissions.grants(user, "proposal.view"):
        return []
    councils = org_permissions.councils_for(user, "proposal.view")
    listed = Proposal.objects.filter(council__in=councils.values("pk"), submitted_at__isnull=False)
    # Each `first year >= y` is read in year order from the index, on both databases. (MIN/MAX over a
    # `council IN (subquery)` filter, or EXISTS(year = y), may be planned as scans of the whole table.)
    one_row = councils.order_by("pk")

    def first_from(y=None):
        rows = listed.filter(year__gte=y) if y is not None else listed
        return Subquery(rows.order_by("year").values("year")[:1])

    bounds = one_row.values(first=first_from(), last=Subquery(listed.order_by("-year").values("year")[:1]))
    bounds = bounds.first() or {"first": None}
    if bounds["first"] is None:
        return []
    found = {bounds["first"], bounds["last"]}
    between = range(bounds["first"] + 1, bounds["last"])
    if between:
        nexts = one_row.values(**{f"y{y}": first_from(y) for y in between}).first()
        found |= {v for v in nexts.values() if v is not None}
    return sorted(found, reverse=True)


MINE_TABS = {
    "draft": [State.DRAFT],
    "submitted": [State.SUBMITTED, State.FILED],
    "handling": [State.HANDLING, State.REHANDLING],
    "replied": [State.REPLIED],
    "closed": [State.CLOSED],
    "not_filed": [State.NOT_FILED, State.WITHDRAWN, State.MERGED],
}


def _mine_q(user) -> Q:
    q = Q(pk__in=[])
    member_id = perms.member_id_of(user)
    if member_id is not None:
        q |= Q(lead_member_id=member_id)
        q |= Q(
            pk__in=CoSignature.objects.filter(member_id=member_id, status=CoSignature.Status.ACCEPTED).values(
                "proposal_id"
            )
        )
    if perms.agent_scopes(user):
        q |= perms.agent_q(user)
    return q


def proposals_mine(user, tab: str = "draft") -> QuerySet[Proposal]:
    """我的提案: proposals the user leads, co-signed (accepted) or files for as a collective agent, in one tab."""
    org_permissions.require(user, "proposal.draft")
    states = MINE_TABS.get(tab, MINE_TABS["draft"])
    return proposals_visible_to(user).filter(_mine_q(user), state__in=states).order_by("-updated_at", "-pk")


def proposals_mine_counts(user) -> dict[str, int]:
    """The size of each tab of 我的提案, in one query."""
    org_permissions.require(user, "proposal.draft")
    base = Proposal.objects.filter(_mine_q(user))
    counts = base.aggregate(
        **{tab: Count("pk", filter=Q(state__in=states)) for tab, states in MINE_TABS.items()}
    )
    return {tab: counts.get(tab) or 0 for tab in MINE_TABS}


def proposal_detail_parts(user, proposal: Proposal, today: date | None = None) -> dict[str, Any]:
    """Everything the detail page shows besides the proposal itself, each part limited to what the user may
    see: attachments, co-signers, assignments (units see their own and the lead), replies (published ones for
    submitters; all for staff, supervisors and readers; units their own), evaluations, merged proposals.

    Six plain queries, each by the proposal's key: the page is the one every role opens most, so what can be
    derived in memory is not asked of the database. Every reply of the proposal is read (a handful) and the
    ones the user may not see are dropped here; from them come each assignment's `is_overdue` (active
    answering unit past its deadline without an approved reply of its round, as `with_assignment_overdue`)
    and the proposal's own `is_overdue` and `next_deadline` (as `with_overdue`). An evaluation's source is
    this proposal or one merged into it, both already read."""
    today = today or _today()
    kinds = perms.actor_kinds(user, proposal)
    reader = bool(org_permissions.grants(user, "proposal.view")) and org_permissions.can(
        user, "proposal.view", proposal.council
    )
    staffish = reader or bool(kinds & {wf.Actor.PROPOSAL_STAFF, wf.Actor.SUPERVISOR})
    mine_units = perms.unit_ids(user)
    all_replies = list(proposal.replies.select_related("assignment__unit").order_by("round", "pk"))
    approved = {(r.assignment_id, r.round) for r in all_replies if r.status == ReplyStatus.APPROVED}
    assignments = list(proposal.assignments.filter(active=True).select_related("unit").order_by("role", "pk"))
    handling = proposal.state in wf.OPEN_HANDLING_STATES
    open_deadlines = []
    for a in assignments:
        waiting = a.role in wf.ANSWERING_ROLES and (a.pk, a.round) not in approved
        a.is_overdue = handling and waiting and a.deadline is not None and a.deadline < today
        if handling and waiting and a.deadline is not None:
            open_deadlines.append(a.deadline)
    proposal.is_overdue = any(a.is_overdue for a in assignments)
    proposal.next_deadline = min(open_deadlines, default=None)
    if staffish:
        replies = all_replies
    elif mine_units:
        replies = [r for r in all_replies if r.assignment.unit_id in mine_units]
    else:
        replies = [r for r in all_replies if r.status == ReplyStatus.APPROVED]
    merged = list(Proposal.objects.filter(merged_into=proposal).select_related("lead_member", "organization"))
    evaluations = proposal.evaluations.select_related("member").order_by("round", "pk")
    if not staffish:
        member_id = perms.member_id_of(user)
        own = Q(member_id=member_id) if member_id is not None else Q(pk__in=[])
        if perms.agent_scopes(user):
            own |= Q(member__isnull=True) & perms.agent_q(user, prefix="source__")
        evaluations = evaluations.filter(own) if not mine_units else evaluations.none()
    evaluations = list(evaluations)
    sources = {p.pk: p for p in (proposal, *merged)}
    for e in evaluations:
        if e.source_id in sources:  # this proposal or one merged into it; anything else is read on access
            e.source = sources[e.source_id]
    return {
        "attachments": list(proposal.attachments.order_by("pk")),
        "cosignatures": list(proposal_cosignatures(proposal)),
        "assignments": assignments,
        "replies": replies,
        "evaluations": evaluations,
        "merged": merged,
        "staffish": staffish,
    }


FILTER_CHOICES_SECONDS = 60
FILTER_CHOICES_GENERATION = "proposals:filter-choices:generation"


def proposal_filter_choices(user) -> dict[str, list]:
    """The list filter's options — `years`, `categories` and `units` — for the councils where the user may list
    proposals. Asked on every list page and the same for everyone of those councils, so it is cached (Redis in
    the scaled set-up) per set of councils: a category, unit or proposal saved anywhere starts a new
    generation (`forget_filter_choices`, from the models' signals), and an entry lives a minute at most, for
    what signals do not see (bulk inserts, another process's in-memory cache)."""
    paths = sorted({a.council.path for a in org_permissions.grants(user, "proposal.view")})
    if not paths:
        return {"years": [], "categories": [], "units": []}
    generation = cache.get_or_set(FILTER_CHOICES_GENERATION, 0, None)
    digest = hashlib.sha256("|".join(paths).encode()).hexdigest()[:32]
    key = f"proposals:filter-choices:{generation}:{digest}"
    found = cache.get(key)
    if found is None:
        found = {
            "years": proposal_years(user),
            "categories": proposal_filter_categories(user),
            "units": proposal_filter_units(user),
        }
        cache.set(key, found, FILTER_CHOICES_SECONDS)
    return found


def forget_filter_choices() -> None:
    """Start a new generation of the cached filter options (every council's)."""
    try:
        cache.incr(FILTER_CHOICES_GENERATION)
    except ValueError:  # not there (evicted, or never asked for): the next read starts afresh anyway
        cache.set(FILTER_CHOICES_GENERATION, 1, None)


def proposal_filter_categories(user) -> list[tuple[int, str]]:
    """(pk, name) of the categories of the councils the user may list proposals of (the list's filter)."""
    from .models import Category

    return list(
        Category.objects.filter(org_permissions.council_q(user, "proposal.view"))
        .order_by("council_id", "order", "pk")
        .values_list("pk", "name")
    )


def proposal_filter_units(user) -> list[tuple[int, str]]:
    """(pk, name) of the units of the councils the user may list proposals of (the list's filter)."""
    from yizheng.org.models import Unit

    return list(
        Unit.objects.filter(org_permissions.council_q(user, "proposal.view"))
        .order_by("name", "pk")
        .values_list("pk", "name")
    )


def proposals_returned(user) -> QuerySet[Proposal]:
    """The user's drafts that the proposal office returned for revision (退回修改)."""
    if not org_permissions.grants(user, "proposal.draft"):
        return Proposal.objects.none()
    return Proposal.objects.filter(_mine_q(user), state=State.DRAFT, submitted_at__isnull=False).exclude(
        review_note=""
    )


def proposal_final_replies(proposal: Proposal) -> QuerySet[Reply]:
    """The approved replies the proposal ended with: the latest round of each active answering assignment."""
    return Reply.objects.filter(
        proposal=proposal,
        status=ReplyStatus.APPROVED,
        assignment__active=True,
        round=F("assignment__round"),
    ).select_related("assignment__unit")


def proposal_reopen_status(proposal: Proposal, today: date | None = None) -> tuple[bool, str]:
    """For the staff's handling page of a closed proposal: (may it be reopened now, why not). The reason is
    empty when its answers are not all of class C, so no reopening section is shown for A/B answers."""
    final = [
        (r.result, timezone.localtime(r.published_at).date())
        for r in proposal_final_replies(proposal)
        if r.published_at
    ]
    try:
        wf.may_reopen(final, today or _today())
    except TransitionNotAllowed as exc:
        c_class = bool(final) and all(code == wf.REOPENABLE_CLASS for code, _day in final)
        return False, exc.message if c_class else ""
    return True, ""


def proposal_reopened_assignments(proposal: Proposal) -> set[int]:
    """Ids of the assignments that a reopening (重启办理) of the proposal ended."""
    ids: set[int] = set()
    for payload in history_for(proposal).filter(action="proposal.reopen").values_list("payload", flat=True):
        ids.update(payload.get("assignments") or [])
    return ids


def attachment_for(user, proposal_pk, attachment_pk) -> Attachment:
    """One attachment of a proposal the user may view (404 otherwise, also for another proposal's attachment)."""
    proposal = proposal_for(user, proposal_pk)
    found = Attachment.objects.filter(proposal=proposal, pk=attachment_pk).first()
    if found is None:
        raise Http404
    found.proposal = proposal
    return found
