"""Write operations on follow-ups: create, start, complete (with evidence), mark overdue (daily job).

Each is one transaction that locks the row, checks the workflow, saves narrowly, bumps `version` and appends an
Event `followup.<verb>`. Domain apps create follow-ups through `followup_create` (e.g. proposals on closing,
for every B-class commitment).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yizheng.audit.services import event_record, target_type_of
from yizheng.core.errors import ApplicationError, ConflictError
from yizheng.core.uploads import check_upload
from yizheng.org import permissions as org_permissions

from . import permissions as perms
from . import workflow as wf
from .models import FollowUp
from .workflow import Actor, Status


def _now():
    return timezone.now()


def _today() -> date:
    return timezone.localdate()


def _record(actor, followup: FollowUp, action: str, *, from_state: str, fields=(), payload=None) -> None:
    followup.version += 1
    followup.save(update_fields=[*fields, "version"])
    event_record(
        actor=actor,
        action=f"followup.{action}",
        target=followup,
        council=followup.council,
        from_state=from_state,
        to_state=followup.status,
        payload=payload or {},
    )


def followup_create(
    *,
    actor,
    council,
    source: models.Model,
    title: str,
    due_date: date,
    owner_unit=None,
    owner_user=None,
    description: str = "",
    source_label: str | None = None,
    due_provisional: bool = False,
    due_rule: dict[str, Any] | None = None,
) -> FollowUp:
    """A tracked item with one owner (a unit or a person) and a due date, pointing back at its source record."""
    if actor is not None and not org_permissions.can(actor, "followup.manage", council):
        raise PermissionDenied
    title = (title or "").strip()
    if not title:
        raise ApplicationError(_("请填写事项内容"), errors={"title": [_("请填写事项内容")]})
    if (owner_unit is None) == (owner_user is None):
        raise ApplicationError(_("跟踪事项须有且只有一个责任单位或责任人"), errors={"owner_unit": [""]})
    if owner_unit is not None and owner_unit.council_id != council.pk:
        raise ApplicationError(_("责任单位须是本会的承办单位"), errors={"owner_unit": [""]})
    if due_date is None:
        raise ApplicationError(_("请填写完成时限"), errors={"due_date": [_("请填写完成时限")]})
    with transaction.atomic():
        followup = FollowUp.objects.create(
            council=council,
            source_type=target_type_of(source),
            source_id=str(source.pk),
            source_label=(source_label or str(source))[:200],
            title=title[:300],
            description=(description or "").strip(),
            owner_unit=owner_unit,
            owner_user=owner_user,
            due_date=due_date,
            due_provisional=bool(due_provisional),
            due_rule=due_rule or {},
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        event_record(
            actor=actor,
            action="followup.create",
            target=followup,
            council=council,
            to_state=followup.status,
            payload={
                "source_type": followup.source_type,
                "source_id": followup.source_id,
                "owner": followup.owner_label,
                "due_date": due_date,
            },
        )
    return followup


def _begin(actor, followup: FollowUp, name: str, expected_version: int | None, kinds=None):
    locked = FollowUp.objects.select_for_update(of=("self",)).select_related("council").get(pk=followup.pk)
    t = wf.check(name, locked.status, perms.actor_kinds(actor, locked) if kinds is None else kinds)
    if expected_version is not None and int(expected_version) != locked.version:
        raise ConflictError(_("该事项已被他人修改,请刷新页面后重试"))
    return locked, t


def followup_start(
    *, actor, followup: FollowUp, note: str = "", expected_version: int | None = None
) -> FollowUp:
    with transaction.atomic():
        locked, t = _begin(actor, followup, "start", expected_version)
        from_state, locked.status = locked.status, t.target
        locked.started_at = locked.started_at or _now()
        _record(
            actor,
            locked,
            "start",
            from_state=from_state,
            fields=["status", "started_at"],
            payload={"note": (note or "").strip()},
        )
    return locked


def followup_complete(
    *, actor, followup: FollowUp, evidence: str, evidence_file=None, expected_version: int | None = None
) -> FollowUp:
    """销号: done, with the evidence of what was carried out (required) and optionally a file (size- and
    type-checked, stored through Django storage beside the item). A refusal stores nothing."""
    stored = None
    try:
        with transaction.atomic():
            locked, t = _begin(actor, followup, "complete", expected_version)
            locked.evidence = wf.check_evidence(evidence)
            fields = ["status", "evidence", "closed_at", "closed_by"]
            if evidence_file is not None:
                name, content_type, _size = check_upload(evidence_file)
                locked.evidence_file.save(name, evidence_file, save=False)
                stored = locked.evidence_file.name
                locked.evidence_file_name, locked.evidence_file_type = name, content_type
                fields += ["evidence_file", "evidence_file_name", "evidence_file_type"]
            from_state, locked.status = locked.status, t.target
            locked.closed_at, locked.closed_by = _now(), actor
            _record(
                actor,
                locked,
                "complete",
                from_state=from_state,
                fields=fields,
                payload={
                    "evidence": locked.evidence,
                    "evidence_file": locked.evidence_file_name or None,
                    "late": locked.due_date < _today(),
                },
            )
    except BaseException:
        if stored:
            locked.evidence_file.storage.delete(stored)
        raise
    return locked


def followups_mark_overdue(*, today: date | None = None) -> int:
    """Daily job: open or in-progress items past their due date become overdue (one event each)."""
    today = today or _today()
    ids = list(
        FollowUp.objects.filter(status__in=[Status.OPEN, Status.IN_PROGRESS], due_date__lt=today)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    count = 0
    for pk in ids:
        with transaction.atomic():
            locked = FollowUp.objects.select_for_update(of=("self",)).select_related("council").get(pk=pk)
            if not wf.is_overdue(locked.status, locked.due_date, today):
                continue
            t = wf.check("mark_overdue", locked.status, {Actor.SYSTEM})
            from_state, locked.status = locked.status, t.target
            _record(
                None,
                locked,
                "mark_overdue",
                from_state=from_state,
                fields=["status"],
                payload={"due_date": locked.due_date, "today": today},
            )
            count += 1
    return count


def recompute_year(year: int, actor=None) -> int:
    """Recompute provisional due dates that reach into `year` from their rule (calendar recomputer)."""
    from yizheng.core import calendar

    changed = 0
    with transaction.atomic():
        rows = FollowUp.objects.select_for_update().filter(due_provisional=True, due_date__year__gte=year)
        for followup in rows.exclude(due_rule={}).select_related("council").order_by("pk"):
            rule = followup.due_rule
            start = date.fromisoformat(rule["from"])
            if "months" in rule:
                result = calendar.add_months_deadline(start, int(rule["months"]))
            else:
                result = calendar.add_working_days(start, int(rule["working_days"]))
            before = [followup.due_date.isoformat(), followup.due_provisional]
            after = [result.date.isoformat(), bool(result.provisional)]
            if before != after:
                followup.due_date, followup.due_provisional = result.date, bool(result.provisional)
                followup.save(update_fields=["due_date", "due_provisional"])
                event_record(
                    actor=actor,
                    action="followup.deadline_recomputed",
                    target=followup,
                    council=followup.council,
                    payload={"year": year, "due_date": [before, after]},
                )
                changed += 1
    return changed


def register_recomputer() -> None:
    from yizheng.core import calendar

    calendar.register_deadline_recomputer(recompute_year)
