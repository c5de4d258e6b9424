"""The follow-up lifecycle (回头看 / 销号) as plain data and pure functions.

open → in_progress → done (evidence required); open or in_progress → overdue (daily job, past the due date);
an overdue item may still be started and completed. `done` is final.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yizheng.core.errors import ApplicationError, TransitionNotAllowed


class Status(models.TextChoices):
    OPEN = "open", gettext_lazy("待办理")
    IN_PROGRESS = "in_progress", gettext_lazy("办理中")
    DONE = "done", gettext_lazy("已销号")
    OVERDUE = "overdue", gettext_lazy("已逾期")


class Actor:
    OWNER = "owner"  # a user of the owner unit, or the owner person
    STAFF = "staff"  # council staff who track follow-ups
    SYSTEM = "system"  # the daily job


@dataclass(frozen=True)
class Transition:
    name: str
    label: str | Promise
    sources: frozenset[str]
    target: str
    actors: frozenset[str]


S, A = Status, Actor
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition(
            "start",
            gettext_lazy("开始办理"),
            frozenset({S.OPEN, S.OVERDUE}),
            S.IN_PROGRESS,
            frozenset({A.OWNER, A.STAFF}),
        ),
        Transition(
            "complete",
            gettext_lazy("销号"),
            frozenset({S.OPEN, S.IN_PROGRESS, S.OVERDUE}),
            S.DONE,
            frozenset({A.OWNER, A.STAFF}),
        ),
        Transition(
            "mark_overdue",
            gettext_lazy("逾期"),
            frozenset({S.OPEN, S.IN_PROGRESS}),
            S.OVERDUE,
            frozenset({A.SYSTEM, A.STAFF}),
        ),
    )
}
OPEN_STATUSES = frozenset({S.OPEN, S.IN_PROGRESS, S.OVERDUE})


def check(name: str, status: str, kinds: Iterable[str]) -> Transition:
    transition = TRANSITIONS[name]
    if not set(kinds) & transition.actors:
        raise PermissionDenied(_("您无权对该事项执行“%(action)s”") % {"action": transition.label})
    if status not in transition.sources:
        raise TransitionNotAllowed(
            _("事项当前状态为“%(status)s”,不能执行“%(action)s”")
            % {"status": Status(status).label, "action": transition.label}
        )
    return transition


def allowed(status: str, kinds: Iterable[str]) -> list[str]:
    kinds = set(kinds)
    return [t.name for t in TRANSITIONS.values() if status in t.sources and kinds & t.actors]


def is_overdue(status: str, due: date, today: date) -> bool:
    return status in (S.OPEN, S.IN_PROGRESS) and due < today


def check_evidence(evidence: str) -> str:
    evidence = (evidence or "").strip()
    if not evidence:
        raise ApplicationError(_("销号须写明落实情况(佐证材料)"), errors={"evidence": [_("请填写落实情况")]})
    return evidence
