"""Write operations on proposals: one function per use case, each one transaction, each audited.

Every transition follows the same steps: lock the proposal row (`select_for_update`), work out the actor's
relations to it (`permissions.actor_kinds`), let the workflow table allow or refuse the transition (PermissionDenied
before TransitionNotAllowed), compare `expected_version` (ConflictError when someone changed it meanwhile),
check the guards (deadlines, windows, input), save with `update_fields`, bump `version` and append one Event
`proposal.<verb>` with from/to state and a payload. Any refusal raises before anything is written, and the
transaction rolls back whatever was.

Events target the proposal (even for unit work on an assignment) so that its timeline is one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from yizheng.audit.services import diff, event_record
from yizheng.core.errors import ApplicationError, ConflictError, TransitionNotAllowed
from yizheng.followups.services import followup_create
from yizheng.org import permissions as org_permissions
from yizheng.org.models import Council, Member, MemberGroup, Plenary, Role, Unit

from . import deadlines
from . import permissions as perms
from . import workflow as wf
from .models import (
    DEFAULT_CATEGORIES,
    AdjustmentRequest,
    Assignment,
    Attachment,
    CaseCounter,
    Category,
    ContactRecord,
    CoSignature,
    Countersignature,
    Evaluation,
    ExtensionRequest,
    Proposal,
    ProposalSettings,
    Reminder,
    Reply,
)
from .richtext import plain_text, sanitize
from .selectors import (
    approved_reply_of_round,
    forget_filter_choices,
    proposal_final_replies,
    proposal_submitters,
)
from .uploads import check_upload
from .workflow import AssignmentRole, EvaluationStatus, Kind, ReplyStatus, State


def _now() -> datetime:
    return timezone.now()


def _today() -> date:
    return timezone.localdate()


# --- helpers ----------------------------------------------------------------------------------------------


def _lock(proposal: Proposal) -> Proposal:
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("council", "organization", "committee", "sector", "lead_member")
        .get(pk=proposal.pk)
    )


def _check_version(locked: Proposal, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != locked.version:
        raise ConflictError(_("该提案已被他人修改,请刷新页面后重试"))


def _begin(
    actor,
    proposal: Proposal,
    transition: str,
    *,
    expected_version: int | None = None,
    **related,
) -> tuple[Proposal, wf.Transition]:
    """Lock, authorise, check state and version. Must run inside the service's transaction."""
    locked = _lock(proposal)
    kinds = perms.actor_kinds(actor, locked, **related)
    t = wf.check(transition, locked.state, kinds)
    _check_version(locked, expected_version)
    return locked, t


def _record(
    actor,
    locked: Proposal,
    action: str,
    *,
    from_state: str,
    fields: Sequence[str] = (),
    payload: dict[str, Any] | None = None,
) -> None:
    """Save the changed fields with a bumped version, append the event, and bring the proposal's assignments'
    `awaiting` up to date with what the transition changed (every proposal transition records here, after
    its writes)."""
    save_and_record(
        actor, locked, f"proposal.{action}", from_state=from_state, fields=fields, payload=payload
    )
    if locked.state in wf.OPEN_HANDLING_STATES:
        assignments_refresh_awaiting(Assignment.objects.filter(proposal_id=locked.pk), handled=True)
    elif from_state in wf.OPEN_HANDLING_STATES:  # handling ended: nobody owes an answer any more
        Assignment.objects.filter(proposal_id=locked.pk, awaiting=True).update(awaiting=False)
    # else neither before nor after being handled: every flag of the proposal is false already


def assignments_refresh_awaiting(assignments: QuerySet[Assignment], *, handled: bool = False) -> int:
    """Set `Assignment.awaiting` on `assignments` from what it stands for: active, its proposal being handled,
    and its answer still due — a co unit's opinion, or a lead or separate unit's approved reply of its round.
    One UPDATE; returns the rows it touched. The proposal transitions call it for their proposal while it is
    being handled (`handled=True`: the state need not be looked up); a bulk load (the benchmark's generator)
    calls it for every assignment at the end."""
    whens = [When(active=False, then=Value(False))]
    if not handled:
        open_ = Proposal.objects.filter(pk=OuterRef("proposal_id"), state__in=sorted(wf.OPEN_HANDLING_STATES))
        whens.append(When(~Exists(open_), then=Value(False)))
    whens += [
        When(role=AssignmentRole.CO, opinion_at__isnull=True, then=Value(True)),
        When(role=AssignmentRole.CO, then=Value(False)),
        When(approved_reply_of_round(), then=Value(False)),
    ]
    return assignments.update(awaiting=Case(*whens, default=Value(True), output_field=BooleanField()))


def save_and_record(
    actor,
    locked,
    action: str,
    *,
    from_state: str,
    fields: Sequence[str] = (),
    payload: dict[str, Any] | None = None,
) -> None:
    """Save a locked, versioned row's changed fields with its version bumped, and append the event `action`
    (the full name, e.g. `selection.approve`). Shared by the proposal and the selection-round services."""
    locked.version += 1
    locked.save(update_fields=[*dict.fromkeys(fields), "version", "updated_at"])
    event_record(
        actor=actor,
        action=action,
        target=locked,
        council=locked.council,
        from_state=from_state,
        to_state=locked.state,
        payload=payload or {},
    )


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(message, errors={field: [message]})
    return value


def _lock_assignment(assignment: Assignment, locked: Proposal) -> Assignment:
    found = Assignment.objects.select_for_update(of=("self",)).select_related("unit").get(pk=assignment.pk)
    if found.proposal_id != locked.pk:
        raise PermissionDenied
    return found


def _begin_unit(
    actor, assignment: Assignment, transition: str, *, expected_version: int | None = None
) -> tuple[Proposal, Assignment, wf.Transition]:
    """`_begin` for a unit's work on one assignment: the assignment is locked and re-read too, so a unit whose
    assignment was just ended (adjustment granted) is refused."""
    locked = _lock(Proposal(pk=assignment.proposal_id))
    found = _lock_assignment(assignment, locked)
    t = wf.check(transition, locked.state, perms.actor_kinds(actor, locked, assignment=found))
    _check_version(locked, expected_version)
    return locked, found, t


# --- settings and categories ------------------------------------------------------------------------------


def proposal_settings_get(council: Council) -> ProposalSettings:
    """The council's proposal settings, created with the defaults on first use."""
    found, _created = ProposalSettings.objects.get_or_create(council=council)
    return found


SETTINGS_FIELDS = (
    "case_number_format",
    "case_scope",
    "handling_months",
    "hard_case_max_months",
    "adjustment_window_days",
    "first_contact_days",
    "co_opinion_months",
    "evaluation_window_days",
    "rehandle_months",
    "cosign_days",
    "reminder_days",
    "result_classes",
    "decline_reasons",
    "excellent_quota",
)


def _check_settings(values: dict[str, Any]) -> None:
    wf.validate_case_number_format(values["case_number_format"])
    if values["case_scope"] not in wf.CaseScope.values:
        raise ApplicationError(_("请选择案号编号范围"), errors={"case_scope": [""]})
    if not 1 <= values["handling_months"] <= values["hard_case_max_months"] <= 24:
        raise ApplicationError(
            _("办理期限须至少 1 个月,且不超过疑难提案最长办理期限"), errors={"handling_months": [""]}
        )
    for field in (
        "adjustment_window_days",
        "first_contact_days",
        "evaluation_window_days",
        "co_opinion_months",
        "rehandle_months",
        "cosign_days",
    ):
        if not 1 <= int(values[field]) <= 365:
            raise ApplicationError(_("期限须为 1 至 365 之间的整数"), errors={field: [""]})
    days = values["reminder_days"]
    if not isinstance(days, list) or not days or not all(isinstance(d, int) and 0 < d <= 365 for d in days):
        raise ApplicationError(_("提醒天数须为正整数列表,例如 30, 7, 1"), errors={"reminder_days": [""]})
    classes = values["result_classes"]
    codes = [c.get("code") for c in classes] if isinstance(classes, list) else []
    if (
        not codes
        or len(codes) != len(set(codes))
        or not all(isinstance(c, str) and c.strip() for c in codes)
        or not all(str(c.get("label", "")).strip() for c in classes)
    ):
        raise ApplicationError(_("办理结果分类须各有不重复的代码和名称"), errors={"result_classes": [""]})
    reasons = values["decline_reasons"]
    if (
        not isinstance(reasons, list)
        or not reasons
        or not all(isinstance(r, str) and r.strip() for r in reasons)
    ):
        raise ApplicationError(_("不予立案理由不能为空"), errors={"decline_reasons": [""]})


def _updated_at_key(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def proposal_settings_update(
    *, actor, council: Council, data: dict[str, Any], expected_updated_at: datetime | str | None = None
) -> ProposalSettings:
    """Change the council's settings. `expected_updated_at` is the `updated_at` the form was rendered with: a
    form left open while someone else saved is refused (ConflictError) instead of undoing their change."""
    if not perms.is_proposal_staff(actor, council):
        raise PermissionDenied
    with transaction.atomic():
        proposal_settings_get(council)
        locked = ProposalSettings.objects.select_for_update().get(council=council)
        if expected_updated_at not in (None, ""):
            try:
                stale = _updated_at_key(expected_updated_at) != locked.updated_at
            except ValueError:
                stale = True
            if stale:
                raise ConflictError(_("提案工作设置已被他人修改,请刷新页面后重试"))
        before = {f: getattr(locked, f) for f in SETTINGS_FIELDS}
        after = {**before, **{k: v for k, v in data.items() if k in SETTINGS_FIELDS}}
        _check_settings(after)
        changes = diff(before, after)
        if changes:
            for field in changes:
                setattr(locked, field, after[field])
            locked.save(update_fields=[*changes, "updated_at"])
            event_record(
                actor=actor,
                action="proposal_settings.update",
                target=locked,
                council=council,
                payload={"changes": changes},
            )
    return locked


def categories_ensure(council: Council) -> list[Category]:
    """The council's categories, creating the six usual ones the first time."""
    if not Category.objects.filter(council=council).exists():
        Category.objects.bulk_create(
            [Category(council=council, name=name, order=i) for i, name in enumerate(DEFAULT_CATEGORIES, 1)],
            ignore_conflicts=True,
        )
        transaction.on_commit(forget_filter_choices)  # bulk_create sends no signals
    return list(Category.objects.filter(council=council))


def category_create(*, actor, council: Council, name: str, order: int = 0) -> Category:
    if not perms.is_proposal_staff(actor, council):
        raise PermissionDenied
    name = _required(name, "name", _("请填写分类名称"))
    with transaction.atomic():
        if Category.objects.filter(council=council, name=name).exists():
            raise ApplicationError(_("已有同名分类"), errors={"name": [_("已有同名分类")]})
        category = Category.objects.create(council=council, name=name, order=order)
        event_record(
            actor=actor,
            action="proposal_category.create",
            target=category,
            council=council,
            payload={"after": {"name": name, "order": order}},
        )
    return category


def category_update(*, actor, category: Category, data: dict[str, Any]) -> Category:
    if not perms.is_proposal_staff(actor, category.council):
        raise PermissionDenied
    fields = ("name", "order", "is_active")
    with transaction.atomic():
        locked = Category.objects.select_for_update().get(pk=category.pk)
        before = {f: getattr(locked, f) for f in fields}
        after = {**before, **{k: v for k, v in data.items() if k in fields}}
        after["name"] = _required(str(after["name"]), "name", _("请填写分类名称"))
        if Category.objects.filter(council=locked.council, name=after["name"]).exclude(pk=locked.pk).exists():
            raise ApplicationError(_("已有同名分类"), errors={"name": [_("已有同名分类")]})
        changes = diff(before, after)
        if changes:
            for field in changes:
                setattr(locked, field, after[field])
            locked.save(update_fields=list(changes))
            event_record(
                actor=actor,
                action="proposal_category.update",
                target=locked,
                council=locked.council,
                payload={"changes": changes},
            )
    return locked


# --- drafting ---------------------------------------------------------------------------------------------

TEXT_FIELDS = ("title", "reason", "analysis", "suggestions")
DRAFT_FIELDS = (*TEXT_FIELDS, "category", "tags", "plenary", "kind")


def _clean_tags(tags: Iterable[str]) -> list[str]:
    out: list[str] = []
    for tag in tags or []:
        tag = str(tag).strip()[:20]
        if tag and tag not in out:
            out.append(tag)
    if len(out) > 10:
        raise ApplicationError(_("标签不能超过 10 个"), errors={"tags": [_("标签不能超过 10 个")]})
    return out


def _clean_draft(council: Council, data: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "title" in data:
        title = _required(data["title"], "title", _("请填写提案标题"))
        if len(title) > 200:
            raise ApplicationError(_("标题不能超过 200 字"), errors={"title": [_("标题不能超过 200 字")]})
        clean["title"] = title
    for field in ("reason", "analysis", "suggestions"):
        if field in data:
            clean[field] = sanitize(data[field])
    if "category" in data:
        category = data["category"]
        if category is not None and (category.council_id != council.pk or not category.is_active):
            raise ApplicationError(
                _("请选择本会的提案分类"), errors={"category": [_("请选择本会的提案分类")]}
            )
        clean["category"] = category
    if "tags" in data:
        clean["tags"] = _clean_tags(data["tags"])
    if "plenary" in data:
        plenary = data["plenary"]
        if plenary is not None and plenary.term.council_id != council.pk:
            raise ApplicationError(_("请选择本会的全体会议"), errors={"plenary": [""]})
        clean["plenary"] = plenary
    if "kind" in data:
        if data["kind"] not in (Kind.INDIVIDUAL, Kind.JOINT):
            raise ApplicationError(
                _("个人提案和联名提案之间可以互改,集体提案不能改为其他类型"), errors={"kind": [""]}
            )
        clean["kind"] = data["kind"]
    return clean


def _snapshot(proposal: Proposal) -> dict[str, Any]:
    return {
        "title": proposal.title,
        "reason": proposal.reason,
        "analysis": proposal.analysis,
        "suggestions": proposal.suggestions,
        "category": str(proposal.category) if proposal.category_id else None,
        "tags": list(proposal.tags),
        "plenary": str(proposal.plenary) if proposal.plenary_id else None,
        "kind": proposal.kind,
    }


def proposal_create(
    *,
    actor,
    council: Council,
    title: str,
    reason: str = "",
    analysis: str = "",
    suggestions: str = "",
    kind: str = Kind.INDIVIDUAL,
    category=None,
    tags: Iterable[str] = (),
    plenary: Plenary | None = None,
    organization=None,
    committee=None,
    sector=None,
) -> Proposal:
    """A new draft: by a member for themself (individual or joint), or by a collective agent for their
    organisation, committee or sector (collective)."""
    org_permissions.require(actor, "proposal.draft", council)
    collective = {"organization": organization, "committee": committee, "sector": sector}
    given = {k: v for k, v in collective.items() if v is not None}
    lead_member = None
    if kind == Kind.COLLECTIVE:
        if len(given) != 1:
            raise ApplicationError(
                _("集体提案须且只能以一个党派团体、专委会或界别的名义提出"), errors={"organization": [""]}
            )
        ((field, value),) = given.items()
        if value.council_id != council.pk or (field, value.pk) not in perms.agent_scopes(actor):
            raise PermissionDenied(_("您不是该集体的提案经办人"))
    elif kind in (Kind.INDIVIDUAL, Kind.JOINT):
        if given:
            raise ApplicationError(_("个人提案和联名提案不能以集体名义提出"), errors={"kind": [""]})
        lead_member = perms.member_of(actor)
        if lead_member is None or lead_member.council_id != council.pk:
            raise PermissionDenied(_("只有本会委员可以提出个人或联名提案"))
    else:
        raise ApplicationError(_("请选择提案类型"), errors={"kind": [""]})
    data = _clean_draft(
        council,
        {
            "title": title,
            "reason": reason,
            "analysis": analysis,
            "suggestions": suggestions,
            "category": category,
            "tags": tags,
            "plenary": plenary,
        },
    )
    with transaction.atomic():
        proposal = Proposal.objects.create(
            council=council,
            year=(plenary.start_date.year if plenary else _today().year),
            kind=kind,
            lead_member=lead_member,
            drafted_by=actor,
            **given,
            **data,
        )
        event_record(
            actor=actor,
            action="proposal.create",
            target=proposal,
            council=council,
            to_state=proposal.state,
            payload={"after": _snapshot(proposal)},
        )
    return proposal


def proposal_update(
    *, actor, proposal: Proposal, data: dict[str, Any], expected_version: int | None = None
) -> Proposal:
    """Edit a draft (also one returned for revision)."""
    with transaction.atomic():
        locked, _t = _begin(actor, proposal, "edit", expected_version=expected_version)
        clean = _clean_draft(locked.council, {k: v for k, v in data.items() if k in DRAFT_FIELDS})
        if clean.get("kind") and locked.kind == Kind.COLLECTIVE:
            raise ApplicationError(_("集体提案不能改为其他类型"), errors={"kind": [""]})
        before = _snapshot(locked)
        for field, value in clean.items():
            setattr(locked, field, value)
        changes = diff(before, _snapshot(locked))
        if not changes:
            return locked
        if "plenary" in clean and not locked.submitted_at:
            locked.year = locked.plenary.start_date.year if locked.plenary else locked.year
        _record(
            actor,
            locked,
            "update",
            from_state=locked.state,
            fields=[*clean, "year"],
            payload={"changes": changes},
        )
    return locked


def attachment_add(*, actor, proposal: Proposal, file) -> Attachment:
    name, content_type, size = check_upload(file)
    with transaction.atomic():
        locked, _t = _begin(actor, proposal, "edit")
        if locked.attachments.count() >= 20:
            raise ApplicationError(_("每件提案最多 20 个附件"), errors={"file": [""]})
        attachment = Attachment(
            proposal=locked, original_name=name, size=size, content_type=content_type, uploaded_by=actor
        )
        attachment.file.save(name, file, save=False)
        attachment.save()
        _record(
            actor,
            locked,
            "attachment_add",
            from_state=locked.state,
            payload={"attachment": attachment.pk, "name": name, "size": size},
        )
    return attachment


def attachment_remove(*, actor, attachment: Attachment) -> None:
    with transaction.atomic():
        locked, _t = _begin(actor, attachment.proposal, "edit")
        found = Attachment.objects.select_for_update().filter(pk=attachment.pk, proposal=locked).first()
        if found is None:
            raise ApplicationError(_("附件不存在或已删除"))
        name = found.original_name
        storage, path = found.file.storage, found.file.name
        found.delete()
        transaction.on_commit(lambda: storage.delete(path))
        _record(
            actor,
            locked,
            "attachment_remove",
            from_state=locked.state,
            payload={"attachment": attachment.pk, "name": name},
        )


# --- co-signing (联名) -------------------------------------------------------------------------------------


def proposal_cosign_invite(
    *,
    actor,
    proposal: Proposal,
    members: Iterable[Member] = (),
    group: MemberGroup | None = None,
    deadline: datetime | None = None,
    expected_version: int | None = None,
) -> list[CoSignature]:
    """Invite members, by name and/or a whole member group, to co-sign a joint proposal."""
    with transaction.atomic():
        locked, _t = _begin(actor, proposal, "cosign_invite", expected_version=expected_version)
        if locked.kind != Kind.JOINT:
            raise ApplicationError(_("只有联名提案可以邀请委员联名"), errors={"kind": [""]})
        if group is not None and group.council_id != locked.council_id:
            raise ApplicationError(_("请选择本会的委员组"), errors={"group": [""]})
        invitees: dict[int, tuple[Member, MemberGroup | None]] = {m.pk: (m, None) for m in members}
        if group is not None:
            for member in Member.objects.filter(memberships__groups=group, memberships__status="active"):
                invitees.setdefault(member.pk, (member, group))
        invitees.pop(locked.lead_member_id, None)
        if not invitees:
            raise ApplicationError(_("请选择要邀请联名的委员"), errors={"members": [_("请选择委员")]})
        if any(m.council_id != locked.council_id for m, _g in invitees.values()):
            raise ApplicationError(_("只能邀请本会委员联名"), errors={"members": [""]})
        now = _now()
        if deadline is not None:
            if deadline <= now:
                raise ApplicationError(_("联名截止时间须晚于现在"), errors={"deadline": [""]})
            locked.cosign_deadline = deadline
        elif locked.cosign_deadline is None or locked.cosign_deadline <= now:
            locked.cosign_deadline = now + timedelta(days=proposal_settings_get(locked.council).cosign_days)
        existing = {c.member_id: c for c in CoSignature.objects.select_for_update().filter(proposal=locked)}
        result, invited = [], []
        for member, via in invitees.values():
            found = existing.get(member.pk)
            if found is not None and found.status in (
                CoSignature.Status.INVITED,
                CoSignature.Status.ACCEPTED,
            ):
                result.append(found)
                continue
            if found is None:
                found = CoSignature.objects.create(
                    proposal=locked, member=member, via_group=via, invited_by=actor
                )
            else:
                found.status, found.via_group, found.invited_by, found.responded_at = (
                    CoSignature.Status.INVITED,
                    via,
                    actor,
                    None,
                )
                found.save(update_fields=["status", "via_group", "invited_by", "responded_at"])
            result.append(found)
            invited.append(member.name)
        if not invited:
            raise ApplicationError(_("所选委员都已邀请过"), errors={"members": [_("所选委员都已邀请过")]})
        _record(
            actor,
            locked,
            "cosign_invite",
            from_state=locked.state,
            fields=["cosign_deadline"],
            payload={
                "members": invited,
                "group": str(group) if group else None,
                "deadline": locked.cosign_deadline,
            },
        )
    return result


def _cosign_respond(actor, cosignature: CoSignature, accept: bool) -> CoSignature:
    with transaction.atomic():
        locked, _t = _begin(actor, cosignature.proposal, "cosign_respond", cosignature=cosignature)
        found = CoSignature.objects.select_for_update().get(pk=cosignature.pk)
        if found.status != CoSignature.Status.INVITED:
            raise TransitionNotAllowed(_("该联名邀请已答复或已取消"))
        if locked.cosign_deadline and _now() > locked.cosign_deadline:
            raise ApplicationError(_("联名截止时间已过,不能再答复"))
        found.status = CoSignature.Status.ACCEPTED if accept else CoSignature.Status.DECLINED
        found.responded_at = _now()
        found.save(update_fields=["status", "responded_at"])
        _record(
            actor,
            locked,
            "cosign_accept" if accept else "cosign_decline",
            from_state=locked.state,
            payload={"member": str(found.member), "cosignature": found.pk},
        )
    return found


def cosignature_accept(*, actor, cosignature: CoSignature) -> CoSignature:
    return _cosign_respond(actor, cosignature, True)


def cosignature_decline(*, actor, cosignature: CoSignature) -> CoSignature:
    return _cosign_respond(actor, cosignature, False)


def cosignature_withdraw(*, actor, cosignature: CoSignature) -> CoSignature:
    """The lead cancels an invitation (or an acceptance) while the proposal is a draft."""
    with transaction.atomic():
        locked, _t = _begin(actor, cosignature.proposal, "cosign_withdraw")
        found = CoSignature.objects.select_for_update().get(pk=cosignature.pk, proposal=locked)
        if found.status not in (CoSignature.Status.INVITED, CoSignature.Status.ACCEPTED):
            raise TransitionNotAllowed(_("该联名邀请已答复或已取消"))
        before = found.status
        found.status = CoSignature.Status.WITHDRAWN
        found.save(update_fields=["status"])
        _record(
            actor,
            locked,
            "cosign_withdraw",
            from_state=locked.state,
            payload={"member": str(found.member), "cosignature": found.pk, "was": before},
        )
    return found


# --- submit, withdraw, review ------------------------------------------------------------------------------


def _current_plenary(council: Council, now: datetime) -> Plenary | None:
    return (
        Plenary.objects.filter(
            term__council=council,
            proposal_window_start__lte=timezone.localtime(now).date(),
            proposal_deadline__gte=now,
        )
        .order_by("proposal_deadline")
        .first()
    )


def proposal_submit(*, actor, proposal: Proposal, expected_version: int | None = None) -> Proposal:
    """Submit a draft for review. A plenary proposal after the plenary's deadline is taken as interim."""
    with transaction.atomic():
        locked, t = _begin(actor, proposal, "submit", expected_version=expected_version)
        accepted = locked.cosignatures.filter(status=CoSignature.Status.ACCEPTED).count()
        problems = wf.submit_blockers(
            kind=locked.kind,
            accepted_cosigners=accepted,
            title=locked.title,
            suggestions_text=plain_text(locked.suggestions),
        )
        if problems:
            raise ApplicationError("；".join(problems), errors={"__all__": problems})
        now = _now()
        plenary = locked.plenary or _current_plenary(locked.council, now)
        window = wf.window_for(
            timezone.localtime(now),
            plenary.proposal_window_start if plenary else None,
            plenary.proposal_deadline if plenary else None,
        )
        taken_as_interim = plenary is not None and window == wf.Window.INTERIM
        locked.window = window
        locked.plenary = plenary if window == wf.Window.PLENARY else locked.plenary
        locked.year = plenary.start_date.year if window == wf.Window.PLENARY else timezone.localtime(now).year
        locked.submitted_at = now
        locked.review_note = ""
        from_state, locked.state = locked.state, t.target
        _record(
            actor,
            locked,
            "submit",
            from_state=from_state,
            fields=["state", "window", "plenary", "year", "submitted_at", "review_note"],
            payload={"window": window, "taken_as_interim": taken_as_interim, "cosigners": accepted},
        )
    return locked


def proposal_withdraw(
    *, actor, proposal: Proposal, reason: str = "", expected_version: int | None = None
) -> Proposal:
    with transaction.atomic():
        locked, t = _begin(actor, proposal, "withdraw", expected_version=expected_version)
        from_state, locked.state = locked.state, t.target
        _record(
            actor,
            locked,
            "withdraw",
            from_state=from_state,
            fields=["state"],
            payload={"reason": (reason or "").strip()},
        )
    return locked


def proposal_return_for_revision(
    *, actor, proposal: Proposal, comments: str, expected_version: int | None = None
) -> Proposal:
    with transaction.atomic():
        locked, t = _begin(actor, proposal, "return_for_revision", expected_version=expected_version)
        locked.review_note = _required(comments, "comments", _("请写明退回修改的意见"))
        from_state, locked.state = locked.state, t.target
        _record(
            actor,
            locked,
            "return_for_revision",
            from_state=from_state,
            fields=["state", "review_note"],
            payload={"comments": locked.review_note},
        )
    return locked


def proposal_decline(
    *,
    actor,
    proposal: Proposal,
    reason: str,
    disposition: str,
    note: str = "",
    conversion_consent: bool | None = None,
    expected_version: int | None = None,
) -> Proposal:
    """不予立案 with a reason from the council's list and a disposition; the submitter is told why (the event
    carries reason, note and disposition for the notice). Conversion to a public-opinion report waits for the
    submitter's consent and keeps the proposal listed as awaiting conversion."""
    with transaction.atomic():
        locked, t = _begin(actor, proposal, "decline", expected_version=expected_version)
        wf.check_decline(proposal_settings_get(locked.council).decline_reasons, reason, disposition)
        to_opinion = disposition == wf.Disposition.TO_OPINION_REPORT
        locked.decline_reason = reason
        locked.review_note = (note or "").strip()
        locked.disposition = disposition
        locked.conversion_consent = conversion_consent if to_opinion else None
        locked.awaiting_conversion = to_opinion and conversion_consent is not False
        from_state, locked.state = locked.state, t.target
        _record(
            actor,
            locked,
            "decline",
            from_state=from_state,
            fields=[
                "state",
                "decline_reason",
                "review_note",
                "disposition",
                "conversion_consent",
                "awaiting_conversion",
            ],
            payload={
                "reason": reason,
                "note": locked.review_note,
                "disposition": disposition,
                "conversion_consent": locked.conversion_consent,
            },
        )
    return locked


def proposal_give_conversion_consent(
    *, actor, proposal: Proposal, consent: bool, expected_version: int | None = None
) -> Proposal:
    """The submitter agrees (or not) that a declined proposal becomes a public-opinion report."""
    with transaction.atomic():
        locked, _t = _begin(actor, proposal, "consent_conversion", expected_version=expected_version)
        if locked.disposition != wf.Disposition.TO_OPINION_REPORT or locked.conversion_requested_at:
            raise TransitionNotAllowed(_("该提案不在待转社情民意信息之列"))
        if locked.conversion_consent is not None:
            raise TransitionNotAllowed(_("已答复是否同意转为社情民意信息"))
        locked.conversion_consent = bool(consent)
        locked.awaiting_conversion = bool(consent)
        _record(
            actor,
            locked,
            "consent_conversion",
            from_state=locked.state,
            fields=["conversion_consent", "awaiting_conversion"],
            payload={"consent": bool(consent)},
        )
    return locked


def proposal_convert_to_opinion(
    *, actor, proposal: Proposal, expected_version: int | None = None
) -> Proposal:
    """Ask for a declined proposal to become a public-opinion report (社情民意信息) draft.

    This is the hook the opinions app completes: it subscribes to the `proposal.convert_to_opinion` event,
    creates the report draft from the proposal and then clears `awaiting_conversion`. Here the request is
    recorded (conversion_requested_at) and the proposal stays listed as awaiting conversion."""
    with transaction.atomic():
        locked, _t = _begin(actor, proposal, "convert_to_opinion", expected_version=expected_version)
        if locked.disposition != wf.Disposition.TO_OPINION_REPORT or not locked.awaiting_conversion:
            raise TransitionNotAllowed(_("该提案不在待转社情民意信息之列"))
        if locked.conversion_requested_at is not None:
            raise TransitionNotAllowed(_("已申请转为社情民意信息"))
        if locked.conversion_consent is not True:
            raise ApplicationError(_("须经提案人同意后才能转为社情民意信息"))
        locked.conversion_requested_at = _now()
        _record(
            actor,
            locked,
            "convert_to_opinion",
            from_state=locked.state,
            fields=["conversion_requested_at"],
            payload={"title": locked.title},
        )
    return locked


def proposal_merge(
    *,
    actor,
    proposal: Proposal,
    merged: Iterable[Proposal],
    note: str = "",
    expected_version: int | None = None,
) -> Proposal:
    """并案: merge several proposals into `proposal` (the primary). Each merged one goes to `merged`; the
    primary is handled for all of them and every submitter gets its answer and rates it."""
    others = sorted({p.pk for p in merged} - {proposal.pk})
    if not others:
        raise ApplicationError(_("请选择要并入的提案"), errors={"merged": [_("请选择要并入的提案")]})
    with transaction.atomic():
        # Lock every row in primary-key order, so two merges never wait on each other in a circle.
        ids = sorted([proposal.pk, *others])
        rows = {
            p.pk: p
            for p in Proposal.objects.select_for_update(of=("self",))
            .select_related("council")
            .filter(pk__in=ids)
            .order_by("pk")
        }
        primary = rows[proposal.pk]
        kinds = perms.actor_kinds(actor, primary)
        if wf.Actor.PROPOSAL_STAFF not in kinds:
            raise PermissionDenied(_("您无权对该提案执行“并案”"))
        _check_version(primary, expected_version)
        if primary.state not in wf.MERGE_PRIMARY_STATES:
            raise TransitionNotAllowed(
                _("主提案当前状态为“%(state)s”,不能并入其他提案") % {"state": State(primary.state).label}
            )
        for pk in others:
            other = rows.get(pk)
            if other is None or other.council_id != primary.council_id:
                raise ApplicationError(_("只能合并本会的提案"), errors={"merged": [""]})
            wf.check("merge", other.state, perms.actor_kinds(actor, other))
            if Proposal.objects.filter(merged_into=other).exists():
                raise ApplicationError(
                    _("《%(title)s》已并有其他提案,请以它为主提案") % {"title": other.title},
                    errors={"merged": [""]},
                )
        for pk in others:
            other = rows[pk]
            from_state = other.state
            other.state, other.merged_into = State.MERGED, primary
            _record(
                actor,
                other,
                "merge",
                from_state=from_state,
                fields=["state", "merged_into"],
                payload={"primary": primary.pk, "primary_title": primary.title, "note": note},
            )
        _record(
            actor,
            primary,
            "merge_primary",
            from_state=primary.state,
            payload={"merged": others, "titles": [rows[pk].title for pk in others], "note": note},
        )
    return primary


def _next_case_number(council: Council, scope: str) -> int:
    try:
        counter = CaseCounter.objects.select_for_update().get(council=council, scope=scope)
    except CaseCounter.DoesNotExist:
        CaseCounter.objects.bulk_create([CaseCounter(council=council, scope=scope)], ignore_conflicts=True)
        counter = CaseCounter.objects.select_for_update().get(council=council, scope=scope)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def proposal_file(
    *,
    actor,
    proposal: Proposal,
    category: Category | None = None,
    tags: Iterable[str] | None = None,
    expected_version: int | None = None,
) -> Proposal:
    """立案: the next gap-free case number of the proposal's sequence (per plenary or per year)."""
    with transaction.atomic():
        locked, t = _begin(actor, proposal, "file", expected_version=expected_version)
        if category is not None:
            locked.category = _clean_draft(locked.council, {"category": category})["category"]
        if locked.category_id is None:
            raise ApplicationError(_("立案前请确定提案分类"), errors={"category": [_("请选择提案分类")]})
        if tags is not None:
            locked.tags = _clean_tags(tags)
        config = proposal_settings_get(locked.council)
        scope = wf.case_scope(
            config.case_scope, window=locked.window, plenary_id=locked.plenary_id, year=locked.year
        )
        locked.case_scope = scope
        locked.case_number = _next_case_number(locked.council, scope)
        locked.filed_at = _now()
        from_state, locked.state = locked.state, t.target
        _record(
            actor,
            locked,
            "file",
            from_state=from_state,
            fields=["state", "category", "tags", "case_scope", "case_number", "filed_at"],
            payload={
                "case_number": locked.case_number,
                "case_scope": scope,
                "case_label": config.case_label(locked),
                "category": str(locked.category),
                "tags": locked.tags,
            },
        )
    return locked


# --- assignment (交办) -------------------------------------------------------------------------------------


def _check_leaders(council: Council, leaders) -> list:
    leaders = list(leaders or [])
    for leader in leaders:
        if not org_permissions.has_role(leader, Role.LEADER) or not any(
            a.role == Role.LEADER and council.path.startswith(a.council.path)
            for a in org_permissions.roles_of(leader)
        ):
            raise ApplicationError(_("督办领导须是本会领导"), errors={"supervising_leaders": [""]})
    return leaders


def _new_assignment(
    locked: Proposal, unit: Unit, role: str, actor, months: int, config, today: date
) -> Assignment:
    assignment = Assignment(
        proposal=locked,
        unit=unit,
        role=role,
        assigned_at=_now(),
        assigned_by=actor,
        rules={"start": today.isoformat(), "months": months},
    )
    deadlines.apply(assignment, "deadline", "deadline_provisional", deadlines.rule_months(today, months))
    deadlines.apply(
        assignment,
        "adjustment_deadline",
        "adjustment_deadline_provisional",
        deadlines.rule_working_days(today, config.adjustment_window_days),
    )
    if role in wf.ANSWERING_ROLES:
        deadlines.apply(
            assignment,
            "first_contact_deadline",
            "first_contact_deadline_provisional",
            deadlines.rule_working_days(today, config.first_contact_days),
        )
    else:
        deadlines.apply(
            assignment,
            "opinion_deadline",
            "opinion_deadline_provisional",
            deadlines.rule_months(today, config.co_opinion_months),
        )
    assignment.round = locked.round
    assignment.save()
    return assignment


def proposal_assign(
    *,
    actor,
    proposal: Proposal,
    lead_unit: Unit | None = None,
    co_units: Iterable[Unit] = (),
    separate_units: Iterable[Unit] = (),
    months: int | None = None,
    is_key: bool | None = None,
    supervising_leaders: Iterable | None = None,
    expected_version: int | None = None,
) -> Proposal:
    """交办: one lead unit (主办) and optional co (协办) and separate (分办) units, with the handling deadline
    (default from the settings, up to the hard-case maximum). A filed proposal needs a lead unit; a proposal in
    handling may get more units, or a new lead after an adjustment was granted."""
    co_units, separate_units = list(co_units), list(separate_units)
    with transaction.atomic():
        locked, t = _begin(actor, proposal, "assign", expected_version=expected_version)
        config = proposal_settings_get(locked.council)
        months = config.handling_months if months is None else int(months)
        wf.check_months(months, default=config.handling_months, hard_max=config.hard_case_max_months)
        active = list(locked.assignments.filter(active=True))
        has_lead = any(a.role == AssignmentRole.LEAD for a in active)
        if has_lead and lead_unit is not None:
            raise ApplicationError(_("该提案已有主办单位"), errors={"lead_unit": [_("该提案已有主办单位")]})
        wf.check_units(
            lead_unit.pk if lead_unit else None,
            [u.pk for u in co_units] + [a.unit_id for a in active],
            [u.pk for u in separate_units],
            lead_required=not has_lead,
        )
        units = [u for u in [lead_unit, *co_units, *separate_units] if u is not None]
        if not units:
            raise ApplicationError(_("请选择承办单位"), errors={"lead_unit": [_("请选择承办单位")]})
        for unit in units:
            if unit.council_id != locked.council_id or not unit.is_active:
                raise ApplicationError(
                    _("“%(unit)s”不是本会有效的承办单位") % {"unit": unit}, errors={"lead_unit": [""]}
                )
        leaders = (
            _check_leaders(locked.council, supervising_leaders) if supervising_leaders is not None else None
        )
        today = _today()
        created = []
        for unit, role in (
            ([(lead_unit, AssignmentRole.LEAD)] if lead_unit else [])
            + [(u, AssignmentRole.CO) for u in co_units]
            + [(u, AssignmentRole.SEPARATE) for u in separate_units]
        ):
            created.append(_new_assignment(locked, unit, role, actor, months, config, today))
        fields = ["state"]
        if is_key is not None:
            locked.is_key = bool(is_key)
            fields.append("is_key")
        if leaders is not None:
            locked.supervising_leaders.set(leaders)
        from_state, locked.state = locked.state, t.target
        _record(
            actor,
            locked,
            "assign",
            from_state=from_state,
            fields=fields,
            payload={
                "assignments": [
                    {
                        "id": a.pk,
                        "unit": str(a.unit),
                        "role": a.role,
                        "deadline": a.deadline,
                        "provisional": a.deadline_provisional,
                    }
                    for a in created
                ],
                "months": months,
                "is_key": locked.is_key,
                "supervising_leaders": [str(u) for u in leaders] if leaders is not None else None,
            },
        )
    return locked


def proposals_assign_batch(*, actor, items: Iterable[dict[str, Any]]) -> list[Proposal]:
    """Assign many proposals at once (the assignment board): each item holds the keyword arguments of
    `proposal_assign` for one proposal. All or nothing: one refused item refuses the batch, naming it."""
    items = sorted(items, key=lambda item: item["proposal"].pk)
    if not items:
        raise ApplicationError(_("请选择要交办的提案"))
    done = []
    with transaction.atomic():
        for item in items:
            try:
                done.append(proposal_assign(actor=actor, **item))
            except ApplicationError as exc:
                raise type(exc)(
                    _("《%(title)s》:%(error)s") % {"title": item["proposal"].title, "error": exc.message},
                    errors=exc.errors,
                ) from exc
    return done


def proposal_set_key(
    *,
    actor,
    proposal: Proposal,
    is_key: bool,
    supervising_leaders: Iterable = (),
    expected_version: int | None = None,
) -> Proposal:
    """重点提案 flag and its supervising leaders (领导领衔督办)."""
    with transaction.atomic():
        locked, _t = _begin(actor, proposal, "set_key", expected_version=expected_version)
        leaders = _check_leaders(locked.council, supervising_leaders) if is_key else []
        before = {
            "is_key": locked.is_key,
            "leaders": sorted(str(u) for u in locked.supervising_leaders.all()),
        }
        locked.is_key = bool(is_key)
        locked.supervising_leaders.set(leaders)
        after = {"is_key": locked.is_key, "leaders": sorted(str(u) for u in leaders)}
        _record(
            actor,
            locked,
            "set_key",
            from_state=locked.state,
            fields=["is_key"],
            payload={"changes": diff(before, after)},
        )
    return locked


# --- adjustment (申请调整) -----------------------------------------------------------------------------------


def proposal_request_adjustment(
    *, actor, assignment: Assignment, reason: str, suggested_unit: str = ""
) -> AdjustmentRequest:
    """A unit asks to be re-routed, within the adjustment window (working days from assignment)."""
    with transaction.atomic():
        locked, found, _t = _begin_unit(actor, assignment, "request_adjustment")
        reason = _required(reason, "reason", _("请写明申请调整的理由"))
        if not wf.adjustment_window_open(_today(), found.adjustment_deadline):
            raise ApplicationError(
                _("申请调整的期限(%(date)s)已过,请按交办意见办理")
                % {"date": found.adjustment_deadline.isoformat()}
            )
        if found.adjustment_requests.filter(status=AdjustmentRequest.Status.PENDING).exists():
            raise ConflictError(_("已有待审批的调整申请"))
        request = AdjustmentRequest.objects.create(
            assignment=found,
            reason=reason,
            requested_by=actor,
            suggested_unit=(suggested_unit or "").strip()[:100],
        )
        _record(
            actor,
            locked,
            "request_adjustment",
            from_state=locked.state,
            payload={
                "request": request.pk,
                "assignment": found.pk,
                "unit": str(found.unit),
                "role": found.role,
                "reason": reason,
            },
        )
    return request


def proposal_decide_adjustment(
    *, actor, request: AdjustmentRequest, grant: bool, note: str = ""
) -> AdjustmentRequest:
    """Staff grant (the assignment ends; a lead's proposal goes back to be assigned again) or refuse (the unit
    must handle it)."""
    with transaction.atomic():
        locked, _t = _begin(actor, request.assignment.proposal, "decide_adjustment")
        found = AdjustmentRequest.objects.select_for_update().get(pk=request.pk)
        if found.status != AdjustmentRequest.Status.PENDING:
            raise TransitionNotAllowed(_("该调整申请已审批"))
        if not grant:
            _required(note, "note", _("不同意调整时请写明理由"))
        assignment = _lock_assignment(found.assignment, locked)
        now = _now()
        found.status = AdjustmentRequest.Status.GRANTED if grant else AdjustmentRequest.Status.REFUSED
        found.decided_by, found.decided_at, found.note = actor, now, (note or "").strip()
        found.save(update_fields=["status", "decided_by", "decided_at", "note"])
        fields = []
        from_state = locked.state
        if grant:
            assignment.active, assignment.deactivated_at = False, now
            assignment.save(update_fields=["active", "deactivated_at"])
            if assignment.role == AssignmentRole.LEAD:
                locked.state = State.FILED  # to be assigned again (交办) to a new lead unit
                fields.append("state")
        _record(
            actor,
            locked,
            "decide_adjustment",
            from_state=from_state,
            fields=fields,
            payload={
                "request": found.pk,
                "granted": bool(grant),
                "note": found.note,
                "assignment": assignment.pk,
                "unit": str(assignment.unit),
                "role": assignment.role,
            },
        )
    return found


# --- handling (办理) ---------------------------------------------------------------------------------------


def _submitter_members(proposal: Proposal) -> set[int]:
    """Member ids of everyone who submitted the proposal or a proposal merged into it."""
    sources = [proposal.pk, *Proposal.objects.filter(merged_into=proposal).values_list("pk", flat=True)]
    ids = set(
        Proposal.objects.filter(pk__in=sources, lead_member__isnull=False).values_list(
            "lead_member_id", flat=True
        )
    )
    ids |= set(
        CoSignature.objects.filter(proposal_id__in=sources, status=CoSignature.Status.ACCEPTED).values_list(
            "member_id", flat=True
        )
    )
    return ids


def proposal_record_contact(
    *,
    actor,
    assignment: Assignment,
    date: date,
    method: str,
    summary: str,
    people: str = "",
    members_met: Iterable[Member] = (),
    collective_met: bool = False,
    expected_version: int | None = None,
) -> ContactRecord:
    """沟通: a contact of the unit with the submitters (date, method, people, summary, whom it met)."""
    members_met = list(members_met)
    with transaction.atomic():
        locked, found, _t = _begin_unit(
            actor, assignment, "record_contact", expected_version=expected_version
        )
        if method not in ContactRecord.Method.values:
            raise ApplicationError(_("请选择沟通方式"), errors={"method": [_("请选择沟通方式")]})
        if date is None or date > _today():
            raise ApplicationError(_("沟通日期不能晚于今天"), errors={"date": [_("沟通日期不能晚于今天")]})
        summary = _required(summary, "summary", _("请填写沟通情况"))
        submitters = _submitter_members(locked)
        if any(m.pk not in submitters for m in members_met):
            raise ApplicationError(_("只能选择本提案的提案人"), errors={"members_met": [""]})
        record = ContactRecord.objects.create(
            assignment=found,
            date=date,
            method=method,
            summary=summary,
            people=(people or "").strip()[:200],
            recorded_by=actor,
            collective_met=bool(collective_met),
        )
        record.members_met.set(members_met)
        _record(
            actor,
            locked,
            "record_contact",
            from_state=locked.state,
            payload={
                "contact": record.pk,
                "assignment": found.pk,
                "unit": str(found.unit),
                "date": date,
                "method": method,
                "members_met": [m.name for m in members_met],
                "collective_met": bool(collective_met),
            },
        )
    return record


def proposal_give_co_opinion(
    *, actor, assignment: Assignment, opinion: str, expected_version: int | None = None
) -> Assignment:
    """A co unit sends its opinion to the lead unit (may be revised until the lead reply is approved)."""
    with transaction.atomic():
        locked, found, _t = _begin_unit(
            actor, assignment, "give_co_opinion", expected_version=expected_version
        )
        found.opinion = sanitize(_required(opinion, "opinion", _("请填写协办意见")))
        found.opinion_at = _now()
        found.save(update_fields=["opinion", "opinion_at"])
        _record(
            actor,
            locked,
            "give_co_opinion",
            from_state=locked.state,
            payload={
                "assignment": found.pk,
                "unit": str(found.unit),
                "on_time": bool(found.opinion_deadline and _today() <= found.opinion_deadline),
            },
        )
    return found


def _hard_max(found: Assignment, config: ProposalSettings) -> date:
    start = date.fromisoformat(
        (found.rules or {}).get("start") or timezone.localtime(found.assigned_at).date().isoformat()
    )
    return deadlines.compute(deadlines.rule_months(start, config.hard_case_max_months)).date


def proposal_request_extension(
    *, actor, assignment: Assignment, reason: str, requested_deadline: date
) -> ExtensionRequest:
    """延期申请: a new deadline, at most the hard-case maximum from assignment."""
    with transaction.atomic():
        locked, found, _t = _begin_unit(actor, assignment, "request_extension")
        reason = _required(reason, "reason", _("请写明延期理由"))
        if requested_deadline is None:
            raise ApplicationError(_("请填写申请延至的日期"), errors={"requested_deadline": [""]})
        config = proposal_settings_get(locked.council)
        wf.check_extension(requested_deadline, current=found.deadline, hard_max=_hard_max(found, config))
        if found.extension_requests.filter(status=ExtensionRequest.Status.PENDING).exists():
            raise ConflictError(_("已有待审批的延期申请"))
        request = ExtensionRequest.objects.create(
            assignment=found, reason=reason, requested_by=actor, requested_deadline=requested_deadline
        )
        _record(
            actor,
            locked,
            "request_extension",
            from_state=locked.state,
            payload={
                "request": request.pk,
                "assignment": found.pk,
                "unit": str(found.unit),
                "reason": reason,
                "requested_deadline": requested_deadline,
                "current_deadline": found.deadline,
            },
        )
    return request


def proposal_decide_extension(
    *, actor, request: ExtensionRequest, grant: bool, note: str = "", deadline: date | None = None
) -> ExtensionRequest:
    """Staff grant (the new deadline — the requested one, or another they set — is recorded) or refuse."""
    with transaction.atomic():
        locked, _t = _begin(actor, request.assignment.proposal, "decide_extension")
        found = ExtensionRequest.objects.select_for_update().get(pk=request.pk)
        if found.status != ExtensionRequest.Status.PENDING:
            raise TransitionNotAllowed(_("该延期申请已审批"))
        assignment = _lock_assignment(found.assignment, locked)
        old = assignment.deadline
        if grant:
            new = deadline or found.requested_deadline
            wf.check_extension(
                new, current=old, hard_max=_hard_max(assignment, proposal_settings_get(locked.council))
            )
            assignment.deadline, assignment.deadline_provisional, assignment.extended = new, False, True
            assignment.rules = {k: v for k, v in (assignment.rules or {}).items() if k != "deadline"}
            assignment.save(update_fields=["deadline", "deadline_provisional", "extended", "rules"])
            found.granted_deadline = new
        else:
            _required(note, "note", _("不同意延期时请写明理由"))
        found.status = ExtensionRequest.Status.GRANTED if grant else ExtensionRequest.Status.REFUSED
        found.decided_by, found.decided_at, found.note = actor, _now(), (note or "").strip()
        found.save(update_fields=["status", "decided_by", "decided_at", "note", "granted_deadline"])
        _record(
            actor,
            locked,
            "decide_extension",
            from_state=locked.state,
            payload={
                "request": found.pk,
                "granted": bool(grant),
                "note": found.note,
                "assignment": assignment.pk,
                "unit": str(assignment.unit),
                "deadline": [old, assignment.deadline],
            },
        )
    return found


# --- replies (答复), countersigning (会签), supervision (督办审核) ------------------------------------------------


def _reply_for_round(found: Assignment, round_: int) -> Reply | None:
    return Reply.objects.select_for_update().filter(assignment=found, round=round_).first()


def proposal_draft_reply(
    *,
    actor,
    assignment: Assignment,
    body: str = "",
    result: str = "",
    commitments: Iterable[dict[str, Any]] = (),
    expected_version: int | None = None,
) -> Reply:
    """Write or revise the answering unit's reply letter for the current round."""
    with transaction.atomic():
        locked, found, _t = _begin_unit(actor, assignment, "draft_reply", expected_version=expected_version)
        if found.round != locked.round:
            raise TransitionNotAllowed(_("本单位的答复已审定,无需重新办理"))
        classes = proposal_settings_get(locked.council).result_classes
        commitments = list(commitments or [])
        if result:
            commitments = wf.check_commitments(
                [{**c, "requires_commitments": False} for c in classes], result, commitments
            )
        elif commitments:
            commitments = wf.check_commitments([{"code": "", "requires_commitments": False}], "", commitments)
        reply = _reply_for_round(found, locked.round)
        if reply is None:
            reply = Reply(proposal=locked, assignment=found, round=locked.round, drafted_by=actor)
        else:
            wf.reply_check("edit", reply.status)
        reply.body, reply.result, reply.commitments = sanitize(body), result, commitments
        reply.save()
        _record(
            actor,
            locked,
            "draft_reply",
            from_state=locked.state,
            payload={
                "reply": reply.pk,
                "assignment": found.pk,
                "unit": str(found.unit),
                "round": reply.round,
                "result": result,
            },
        )
    return reply


def proposal_submit_reply(*, actor, reply: Reply, expected_version: int | None = None) -> Reply:
    """Send the reply on: to the co units for countersigning (lead reply with co units), else to supervision."""
    with transaction.atomic():
        locked, _assignment, _t = _begin_unit(
            actor, reply.assignment, "submit_reply", expected_version=expected_version
        )
        found = (
            Reply.objects.select_for_update(of=("self",)).select_related("assignment__unit").get(pk=reply.pk)
        )
        wf.reply_check("submit", found.status)
        if found.round != locked.round:
            raise TransitionNotAllowed(_("这是上一轮的答复,不能再提交"))
        _required(plain_text(found.body), "body", _("请填写答复内容"))
        classes = proposal_settings_get(locked.council).result_classes
        found.commitments = wf.check_commitments(classes, found.result, found.commitments)
        co = []
        if found.assignment.role == AssignmentRole.LEAD:
            co = list(locked.assignments.filter(active=True, role=AssignmentRole.CO))
        for co_assignment in co:
            Countersignature.objects.update_or_create(
                reply=found,
                assignment=co_assignment,
                defaults={
                    "status": wf.CountersignStatus.PENDING,
                    "comment": "",
                    "signed_by": None,
                    "signed_at": None,
                },
            )
        found.countersignatures.exclude(assignment__in=co).delete()
        found.status = wf.reply_status_after_submit(countersigners=len(co))
        found.submitted_at = _now()
        found.save(update_fields=["status", "submitted_at", "commitments", "updated_at"])
        _record(
            actor,
            locked,
            "submit_reply",
            from_state=locked.state,
            payload={
                "reply": found.pk,
                "unit": str(found.assignment.unit),
                "round": found.round,
                "result": found.result,
                "status": found.status,
                "countersigners": [str(a.unit) for a in co],
            },
        )
    return found


def proposal_countersign(
    *, actor, countersignature: Countersignature, sign: bool, comment: str = ""
) -> Countersignature:
    """会签: a co unit signs the lead reply, or returns it with comments."""
    with transaction.atomic():
        locked, _assignment, _t = _begin_unit(actor, countersignature.assignment, "countersign")
        found = (
            Countersignature.objects.select_for_update(of=("self",))
            .select_related("reply", "assignment__unit")
            .get(pk=countersignature.pk)
        )
        reply = Reply.objects.select_for_update().get(pk=found.reply_id)
        wf.reply_check("countersign", reply.status)
        if found.status != wf.CountersignStatus.PENDING:
            raise TransitionNotAllowed(_("本单位已会签或已退回意见"))
        if not sign:
            _required(comment, "comment", _("退回时请写明意见"))
        found.status = wf.CountersignStatus.SIGNED if sign else wf.CountersignStatus.RETURNED
        found.comment, found.signed_by, found.signed_at = (comment or "").strip(), actor, _now()
        found.save(update_fields=["status", "comment", "signed_by", "signed_at"])
        reply.status = wf.reply_status_after_countersign(
            reply.countersignatures.values_list("status", flat=True)
        )
        reply.save(update_fields=["status", "updated_at"])
        _record(
            actor,
            locked,
            "countersign",
            from_state=locked.state,
            payload={
                "reply": reply.pk,
                "unit": str(found.assignment.unit),
                "signed": bool(sign),
                "comment": found.comment,
                "reply_status": reply.status,
            },
        )
    return found


def _publish(actor, locked: Proposal, config: ProposalSettings) -> list[Evaluation]:
    """答复: every submitter is due to rate each approved reply of the round, within the evaluation window."""
    today = _today()
    rule = deadlines.rule_working_days(today, config.evaluation_window_days)
    replies = Reply.objects.filter(
        proposal=locked,
        round=locked.round,
        status=ReplyStatus.APPROVED,
        assignment__active=True,
        assignment__round=locked.round,
    )
    submitters = proposal_submitters(locked)
    created = []
    for reply in replies:
        for source, member in submitters:
            evaluation = Evaluation(
                proposal=locked, reply=reply, source=source, member=member, round=locked.round
            )
            deadlines.apply(evaluation, "deadline", "deadline_provisional", rule)
            created.append(evaluation)
    Evaluation.objects.bulk_create(created)
    from_state = locked.state
    locked.state = State.REPLIED
    locked.replied_at = locked.replied_at or _now()
    _record(
        actor,
        locked,
        "publish",
        from_state=from_state,
        fields=["state", "replied_at"],
        payload={
            "round": locked.round,
            "replies": [r.pk for r in replies],
            "evaluators": [str(m) if m else s.submitter_label for s, m in submitters],
            "evaluation_deadline": created[0].deadline if created else None,
        },
    )
    return created


def proposal_supervise_review(
    *,
    actor,
    reply: Reply,
    approve: bool,
    result: str | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Reply:
    """督办审核: approve (optionally changing the result class) — the reply is published, and once every
    answering unit's reply of the round is approved the proposal is replied and the submitters are due to
    rate it — or send it back to the unit with a note."""
    with transaction.atomic():
        locked, _t = _begin(actor, reply.proposal, "supervise_review", expected_version=expected_version)
        found = (
            Reply.objects.select_for_update(of=("self",)).select_related("assignment__unit").get(pk=reply.pk)
        )
        wf.reply_check("review", found.status)
        config = proposal_settings_get(locked.council)
        now = _now()
        if approve:
            if result and result != found.result:
                found.commitments = wf.check_commitments(config.result_classes, result, found.commitments)
                found.result_before_review, found.result = found.result, result
            found.status, found.published_at = ReplyStatus.APPROVED, now
        else:
            _required(note, "note", _("退回时请写明督办意见"))
            found.status = ReplyStatus.RETURNED
        found.supervisor_note, found.reviewed_by, found.reviewed_at = (note or "").strip(), actor, now
        found.save(
            update_fields=[
                "status",
                "published_at",
                "result",
                "result_before_review",
                "commitments",
                "supervisor_note",
                "reviewed_by",
                "reviewed_at",
                "updated_at",
            ]
        )
        _record(
            actor,
            locked,
            "supervise_review",
            from_state=locked.state,
            payload={
                "reply": found.pk,
                "unit": str(found.assignment.unit),
                "approved": bool(approve),
                "result": found.result,
                "result_before": found.result_before_review or None,
                "note": found.supervisor_note,
            },
        )
        if approve:
            answering = locked.assignments.filter(
                active=True, role__in=wf.ANSWERING_ROLES, round=locked.round
            )
            approved = Reply.objects.filter(proposal=locked, round=locked.round, status=ReplyStatus.APPROVED)
            if wf.proposal_replied(
                answering.values_list("pk", flat=True), approved.values_list("assignment_id", flat=True)
            ):
                wf.check("publish", locked.state, perms.actor_kinds(actor, locked))
                _publish(actor, locked, config)
    return found


# --- evaluation (满意度评价), rehandling, closing -----------------------------------------------------------------


def proposal_evaluate(
    *,
    actor,
    evaluation: Evaluation,
    work_rating: str,
    result_rating: str,
    consulted: bool | None = None,
    comment: str = "",
    on_paper: bool = False,
    expected_version: int | None = None,
) -> Evaluation:
    """A submitter rates the handling work and the result. Staff may record a rating given on paper (marked
    so). A unit can never enter one."""
    with transaction.atomic():
        locked, _t = _begin(
            actor,
            evaluation.proposal,
            "evaluate_on_paper" if on_paper else "evaluate",
            evaluation=evaluation,
            expected_version=expected_version,
        )
        found = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if found.status != EvaluationStatus.PENDING:
            raise TransitionNotAllowed(
                _("该答复已评价,不能重复评价")
                if found.status == EvaluationStatus.RATED
                else _("评价期限已过,已记为未评价")
            )
        if not on_paper and _today() > found.deadline:
            raise ApplicationError(_("评价期限(%(date)s)已过") % {"date": found.deadline.isoformat()})
        errors = {
            f: [_("请选择评价")]
            for f, v in (("work_rating", work_rating), ("result_rating", result_rating))
            if v not in wf.Rating.values
        }
        if errors:
            raise ApplicationError(_("请对办理工作和办理结果分别作出评价"), errors=errors)
        found.status, found.work_rating, found.result_rating = (
            EvaluationStatus.RATED,
            work_rating,
            result_rating,
        )
        found.consulted, found.comment, found.on_paper = consulted, (comment or "").strip(), bool(on_paper)
        found.recorded_by, found.rated_at = actor, _now()
        found.save(
            update_fields=[
                "status",
                "work_rating",
                "result_rating",
                "consulted",
                "comment",
                "on_paper",
                "recorded_by",
                "rated_at",
            ]
        )
        _record(
            actor,
            locked,
            "evaluate",
            from_state=locked.state,
            payload={
                "evaluation": found.pk,
                "reply": found.reply_id,
                "round": found.round,
                "member": str(found.member) if found.member_id else found.source.submitter_label,
                "work": work_rating,
                "result": result_rating,
                "consulted": consulted,
                "on_paper": bool(on_paper),
            },
        )
    return found


def _current_cycle(locked: Proposal) -> Q:
    """Evaluations of the replies of active assignments: a reopened proposal's earlier ratings stay in the
    record but no longer decide rehandling or closing."""
    return Q(proposal=locked, reply__assignment__active=True)


def _views(evaluations) -> list[wf.EvaluationView]:
    return [wf.EvaluationView(e.status, e.deadline, e.work_rating, e.result_rating) for e in evaluations]


def proposal_rehandle(
    *, actor, proposal: Proposal, note: str = "", expected_version: int | None = None
) -> Proposal:
    """重新办理, once, after a dissatisfied rating: every unit whose reply was rated dissatisfied answers again
    within the (shorter) rehandling deadline. Round-1 ratings still pending are recorded as unrated."""
    with transaction.atomic():
        locked, t = _begin(actor, proposal, "rehandle", expected_version=expected_version)
        evaluations = list(
            Evaluation.objects.select_for_update().filter(_current_cycle(locked), round=locked.round)
        )
        wf.may_rehandle(locked.round, _views(evaluations))
        config = proposal_settings_get(locked.council)
        today = _today()
        dissatisfied = {
            e.reply_id
            for e in evaluations
            if e.status == EvaluationStatus.RATED and wf.is_dissatisfied(e.work_rating, e.result_rating)
        }
        unrated = [e.pk for e in evaluations if e.status == EvaluationStatus.PENDING]
        Evaluation.objects.filter(pk__in=unrated).update(status=EvaluationStatus.UNRATED)
        assignments = list(
            Assignment.objects.select_for_update(of=("self",))
            .select_related("unit")
            .filter(active=True, pk__in=Reply.objects.filter(pk__in=dissatisfied).values("assignment_id"))
            .order_by("pk")
        )
        for a in assignments:
            a.round = 2
            deadlines.apply(
                a, "deadline", "deadline_provisional", deadlines.rule_months(today, config.rehandle_months)
            )
            a.rules["start"] = today.isoformat()
            a.save(update_fields=["round", "deadline", "deadline_provisional", "rules"])
        locked.round = 2
        from_state, locked.state = locked.state, t.target
        _record(
            actor,
            locked,
            "rehandle",
            from_state=from_state,
            fields=["state", "round"],
            payload={
                "note": (note or "").strip(),
                "unrated": unrated,
                "assignments": [
                    {
                        "id": a.pk,
                        "unit": str(a.unit),
                        "deadline": a.deadline,
                        "provisional": a.deadline_provisional,
                    }
                    for a in assignments
                ],
            },
        )
    return locked


def _mark_unrated(evaluations: list[Evaluation], today: date) -> list[int]:
    expired = [e.pk for e in evaluations if e.status == EvaluationStatus.PENDING and e.deadline < today]
    if expired:
        Evaluation.objects.filter(pk__in=expired).update(status=EvaluationStatus.UNRATED)
        for e in evaluations:
            if e.pk in expired:
                e.status = EvaluationStatus.UNRATED
    return expired


def proposal_close(*, actor, proposal: Proposal, expected_version: int | None = None) -> Proposal:
    """办结, when every rating is in or its window has passed (those are recorded as unrated, never as
    satisfied). Every commitment of an approved reply whose class requires commitments (B) becomes a follow-up
    (回头看) owned by that reply's unit, due on the promised date."""
    with transaction.atomic():
        locked, t = _begin(actor, proposal, "close", expected_version=expected_version)
        today = _today()
        evaluations = list(Evaluation.objects.select_for_update().filter(_current_cycle(locked)))
        wf.may_close(locked.round, _views(evaluations), today)
        unrated = _mark_unrated(evaluations, today)
        config = proposal_settings_get(locked.council)
        committing = {c["code"] for c in config.result_classes if c.get("requires_commitments")}
        final = proposal_final_replies(locked)
        followups = []
        for reply in final:
            if reply.result not in committing:
                continue
            for item in reply.commitments:
                followups.append(
                    followup_create(
                        actor=actor,
                        council=locked.council,
                        source=reply,
                        source_label=_("%(case)s 《%(title)s》%(unit)s答复")
                        % {
                            "case": config.case_label(locked),
                            "title": locked.title,
                            "unit": reply.assignment.unit,
                        },
                        title=item["text"],
                        owner_unit=reply.assignment.unit,
                        due_date=date.fromisoformat(item["due"]),
                        description=_("提案答复(%(cls)s类)中的承诺事项") % {"cls": reply.result},
                    )
                )
        locked.closed_at = _now()
        from_state, locked.state = locked.state, t.target
        _record(
            actor,
            locked,
            "close",
            from_state=from_state,
            fields=["state", "closed_at"],
            payload={"unrated": unrated, "followups": [f.pk for f in followups]},
        )
    return locked


def proposal_reopen(
    *, actor, proposal: Proposal, reason: str, expected_version: int | None = None
) -> Proposal:
    """重启办理: a closed proposal whose final answers are all of class C (not possible now) is handled again, in a
    calendar year later than its last answer, when conditions have changed. Its assignments end (they stay in
    the record with their replies and ratings) and it goes back to `filed`, awaiting a new assignment, for a
    new handling cycle (round 1 again, so it may be rehandled once more)."""
    with transaction.atomic():
        locked, t = _begin(actor, proposal, "reopen", expected_version=expected_version)
        reason = _required(reason, "reason", _("请写明重启办理的理由"))
        final = list(proposal_final_replies(locked).order_by("pk"))
        wf.may_reopen(
            [(r.result, timezone.localtime(r.published_at).date()) for r in final if r.published_at],
            _today(),
        )
        ended = list(
            Assignment.objects.select_for_update(of=("self",))
            .filter(proposal=locked, active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        Assignment.objects.filter(pk__in=ended).update(active=False, deactivated_at=_now())
        previous = {
            "round": locked.round,
            "replied_at": locked.replied_at,
            "closed_at": locked.closed_at,
        }
        locked.round, locked.replied_at, locked.closed_at = 1, None, None
        from_state, locked.state = locked.state, t.target
        _record(
            actor,
            locked,
            "reopen",
            from_state=from_state,
            fields=["state", "round", "replied_at", "closed_at"],
            payload={
                "reason": reason,
                "replies": [
                    {
                        "id": r.pk,
                        "unit": str(r.assignment.unit),
                        "result": r.result,
                        "published_at": r.published_at,
                    }
                    for r in final
                ],
                "assignments": ended,
                "previous": previous,
            },
        )
    return locked


def evaluations_mark_unrated(*, today: date | None = None) -> int:
    """Daily job: ratings whose window has passed are recorded as unrated (one event per proposal)."""
    today = today or _today()
    count = 0
    pending = (
        Evaluation.objects.filter(status=EvaluationStatus.PENDING, deadline__lt=today)
        .values_list("proposal_id", flat=True)
        .distinct()
    )
    for proposal_id in sorted(set(pending)):
        with transaction.atomic():
            locked = _lock(Proposal(pk=proposal_id))
            evaluations = list(Evaluation.objects.select_for_update().filter(proposal=locked))
            expired = _mark_unrated(evaluations, today)
            if expired:
                _record(
                    None,
                    locked,
                    "evaluation_unrated",
                    from_state=locked.state,
                    payload={"evaluations": expired},
                )
                count += len(expired)
    return count


# --- marks: public, excellent -----------------------------------------------------------------------------


def proposal_set_public(
    *, actor, proposal: Proposal, is_public: bool, expected_version: int | None = None
) -> Proposal:
    with transaction.atomic():
        locked, _t = _begin(actor, proposal, "set_public", expected_version=expected_version)
        if locked.is_public != bool(is_public):
            locked.is_public = bool(is_public)
            _record(
                actor,
                locked,
                "set_public",
                from_state=locked.state,
                fields=["is_public"],
                payload={"is_public": locked.is_public},
            )
    return locked


def proposal_mark_excellent(
    *,
    actor,
    proposal: Proposal,
    is_excellent: bool = False,
    reason: str = "",
    expected_version: int | None = None,
) -> Proposal:
    """撤销优秀提案: a correction only, with its reason in the audit trail. Excellent proposals are awarded by the
    year's excellent-proposal round (nomination, review within the quota, announcement: services_selection),
    never by a direct mark."""
    with transaction.atomic():
        locked, _t = _begin(actor, proposal, "mark_excellent", expected_version=expected_version)
        if is_excellent:
            message = _("优秀提案须经推荐、评审并审定通报产生,不能直接评定")
            raise ApplicationError(message, errors={"is_excellent": [message]})
        if not locked.is_excellent:
            raise ConflictError(_("该提案不是优秀提案"))
        reason = _required(reason, "reason", _("请填写撤销理由"))
        locked.is_excellent = False
        _record(
            actor,
            locked,
            "mark_excellent",
            from_state=locked.state,
            fields=["is_excellent"],
            payload={"is_excellent": False, "reason": reason},
        )
    return locked


# --- reminders ---------------------------------------------------------------------------------------------


def reminders_record(*, due: Iterable[Any]) -> int:
    """Log reminders as sent (items from selectors.proposal_reminders_due), so none goes out twice."""
    rows = [Reminder(assignment_id=d.assignment.pk, kind=d.kind, deadline=d.deadline) for d in due]
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# --- the member's draft form ----------------------------------------------------------------------------------


def proposal_update_and_submit(
    *, actor, proposal: Proposal, data: dict[str, Any], expected_version: int | None = None
) -> Proposal:
    """The draft form's 提交 button: save the edits and submit, in one transaction, so a refused submit (a
    joint proposal without an accepted co-signer, say) leaves the draft exactly as it was."""
    with transaction.atomic():
        updated = proposal_update(
            actor=actor, proposal=proposal, data=data, expected_version=expected_version
        )
        return proposal_submit(actor=actor, proposal=updated, expected_version=updated.version)
