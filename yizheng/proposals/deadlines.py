"""Proposal deadlines on the official working-day calendar.

Every computed deadline is stored with the rule it came from (`{"from": "2026-11-30", "months": 3}` or
`{"from": …, "working_days": 5}`) and a `provisional` flag, set when the calendar had no official data for a day
it consulted. When a year's official holiday notice arrives, `recompute_year` recomputes the provisional
deadlines from their rules and records a `proposal.deadline_recomputed` event for each record that changed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from yizheng.core import calendar

# Deadline fields of an assignment and of an evaluation: field → its provisional flag.
ASSIGNMENT_DEADLINES = {
    "deadline": "deadline_provisional",
    "adjustment_deadline": "adjustment_deadline_provisional",
    "first_contact_deadline": "first_contact_deadline_provisional",
    "opinion_deadline": "opinion_deadline_provisional",
}
EVALUATION_DEADLINES = {"deadline": "deadline_provisional"}


def rule_months(start: date, months: int) -> dict[str, Any]:
    return {"from": start.isoformat(), "months": months}


def rule_working_days(start: date, n: int) -> dict[str, Any]:
    return {"from": start.isoformat(), "working_days": n}


def compute(rule: dict[str, Any]) -> calendar.Deadline:
    start = date.fromisoformat(rule["from"])
    if "months" in rule:
        return calendar.add_months_deadline(start, int(rule["months"]))
    return calendar.add_working_days(start, int(rule["working_days"]))


def apply(obj, field: str, flag: str, rule: dict[str, Any]) -> None:
    """Compute a deadline from its rule and set it, its provisional flag and the rule on `obj` (unsaved)."""
    result = compute(rule)
    setattr(obj, field, result.date)
    setattr(obj, flag, bool(result.provisional))
    obj.rules = {**(obj.rules or {}), field: rule}


def _recompute(obj, fields: dict[str, str]) -> dict[str, list]:
    changes: dict[str, list] = {}
    for field, flag in fields.items():
        rule = (obj.rules or {}).get(field)
        if not rule or not getattr(obj, flag):
            continue
        result = compute(rule)
        before = [getattr(obj, field).isoformat() if getattr(obj, field) else None, getattr(obj, flag)]
        after = [result.date.isoformat(), bool(result.provisional)]
        if before != after:
            setattr(obj, field, result.date)
            setattr(obj, flag, bool(result.provisional))
            changes[field] = [before, after]
    return changes


def recompute_year(year: int, actor=None) -> int:
    """Recompute provisional assignment and evaluation deadlines that reach into `year`; returns how many
    records changed. Registered with the calendar, which calls it when a year's data is entered."""
    from django.db.models import Q

    from yizheng.audit.services import event_record

    from .models import Assignment, Evaluation

    changed = 0
    with transaction.atomic():
        q = Q()
        for field, flag in ASSIGNMENT_DEADLINES.items():
            q |= Q(**{flag: True, f"{field}__year__gte": year})
        for assignment in Assignment.objects.filter(q).select_related("proposal", "unit").order_by("pk"):
            changes = _recompute(assignment, ASSIGNMENT_DEADLINES)
            if changes:
                assignment.save(update_fields=[*changes, *(ASSIGNMENT_DEADLINES[f] for f in changes)])
                event_record(
                    actor=actor,
                    action="proposal.deadline_recomputed",
                    target=assignment.proposal,
                    payload={
                        "assignment": assignment.pk,
                        "unit": str(assignment.unit),
                        "year": year,
                        "changes": changes,
                    },
                )
                changed += 1
        evaluations = Evaluation.objects.filter(deadline_provisional=True, deadline__year__gte=year)
        for evaluation in evaluations.select_related("proposal").order_by("pk"):
            changes = _recompute(evaluation, EVALUATION_DEADLINES)
            if changes:
                evaluation.save(update_fields=["deadline", "deadline_provisional"])
                event_record(
                    actor=actor,
                    action="proposal.deadline_recomputed",
                    target=evaluation.proposal,
                    payload={"evaluation": evaluation.pk, "year": year, "changes": changes},
                )
                changed += 1
    return changed


def register() -> None:
    calendar.register_deadline_recomputer(recompute_year)
