"""Key-proposal selection (重点提案遴选) and excellent-proposal awards (优秀提案评选) as plain data.

Both are a yearly round (`Selection`) of one council with its own small lifecycle:

- key:       shortlisting (初选) → reviewing (提案委员会审议遴选) → submitted (报主席会议审定) → approved (已审定)
- excellent: nominating (推荐) → reviewing (评审) → submitted (报审定) → announced (已通报表彰)

A submitted round may be sent back to review. Actor kinds are relations of a user to the round's council:
proposal staff record every step (and may record the chair's meeting), leaders of the council approve or
announce. Nothing here touches the database (tests/test_selection_workflow.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from yizheng.core.errors import ApplicationError, TransitionNotAllowed

from .workflow import FILED_STATES, State


class SelectionKind(models.TextChoices):
    KEY = "key", gettext_lazy("重点提案遴选")
    EXCELLENT = "excellent", gettext_lazy("优秀提案评选")


class SelectionState(models.TextChoices):
    SHORTLISTING = "shortlisting", gettext_lazy("初选")
    NOMINATING = "nominating", pgettext_lazy("selection stage", "推荐")
    REVIEWING = "reviewing", gettext_lazy("审议")
    SUBMITTED = "submitted", gettext_lazy("待审定")
    APPROVED = "approved", gettext_lazy("已审定")
    ANNOUNCED = "announced", gettext_lazy("已通报")


class Decision(models.TextChoices):
    PENDING = "pending", gettext_lazy("待审议")
    SELECTED = "selected", gettext_lazy("入选")
    REJECTED = "rejected", gettext_lazy("未入选")
    STRUCK = "struck", gettext_lazy("审定未通过")


class NominationSource(models.TextChoices):
    """Who put the proposal forward (推荐单位)."""

    STAFF = "staff", gettext_lazy("提案委员会")
    UNIT = "unit", gettext_lazy("承办单位")
    SECTOR = "sector", gettext_lazy("界别")
    ORGANIZATION = "organization", gettext_lazy("党派团体")
    COMMITTEE = "committee", gettext_lazy("专委会")


class SelectionActor:
    PROPOSAL_STAFF = "proposal_staff"
    LEADER = "leader"


SS = SelectionState
SA = SelectionActor
K = SelectionKind

FIRST_STATE = {K.KEY: SS.SHORTLISTING, K.EXCELLENT: SS.NOMINATING}
FINAL_STATE = {K.KEY: SS.APPROVED, K.EXCELLENT: SS.ANNOUNCED}

# Proposals that may be put forward: key proposals among the filed ones of the year; excellent ones among those
# that have been answered.
ELIGIBLE_STATES = {
    K.KEY: frozenset(FILED_STATES),
    K.EXCELLENT: frozenset({State.REPLIED, State.CLOSED}),
}

# Labels that read right for each kind (初选 vs 推荐, 入选 vs 推荐为优秀提案).
DECISION_LABELS = {
    K.KEY: {Decision.SELECTED: gettext_lazy("入选"), Decision.REJECTED: gettext_lazy("未入选")},
    K.EXCELLENT: {
        Decision.SELECTED: pgettext_lazy("review decision", "推荐"),
        Decision.REJECTED: gettext_lazy("不推荐"),
    },
}


@dataclass(frozen=True)
class Transition:
    name: str
    label: str | Promise
    sources: frozenset[str]
    target: str | None  # None: the round's state does not change
    actors: frozenset[str]


def _t(name, label, sources, target, actors) -> Transition:
    return Transition(name, label, frozenset(sources), target, frozenset(actors))


_STAFF = [SA.PROPOSAL_STAFF]
_APPROVERS = [SA.LEADER, SA.PROPOSAL_STAFF]

TRANSITIONS: dict[str, dict[str, Transition]] = {
    K.KEY: {
        t.name: t
        for t in (
            _t("nominate", gettext_lazy("列入初选名单"), [SS.SHORTLISTING], None, _STAFF),
            _t("withdraw_nomination", gettext_lazy("移出初选名单"), [SS.SHORTLISTING], None, _STAFF),
            _t("start_review", gettext_lazy("提交提案委员会审议"), [SS.SHORTLISTING], SS.REVIEWING, _STAFF),
            _t("decide", gettext_lazy("记录遴选结果"), [SS.REVIEWING], None, _STAFF),
            _t("reopen", gettext_lazy("退回初选"), [SS.REVIEWING], SS.SHORTLISTING, _STAFF),
            _t("submit", gettext_lazy("报主席会议审定"), [SS.REVIEWING], SS.SUBMITTED, _STAFF),
            _t("send_back", gettext_lazy("退回重新审议"), [SS.SUBMITTED], SS.REVIEWING, _APPROVERS),
            _t("approve", gettext_lazy("审定"), [SS.SUBMITTED], SS.APPROVED, _APPROVERS),
        )
    },
    K.EXCELLENT: {
        t.name: t
        for t in (
            _t("nominate", gettext_lazy("推荐优秀提案"), [SS.NOMINATING], None, _STAFF),
            _t("withdraw_nomination", gettext_lazy("撤回推荐"), [SS.NOMINATING], None, _STAFF),
            _t("start_review", gettext_lazy("开始评审"), [SS.NOMINATING], SS.REVIEWING, _STAFF),
            _t("decide", gettext_lazy("记录评审意见"), [SS.REVIEWING], None, _STAFF),
            _t("reopen", gettext_lazy("退回推荐"), [SS.REVIEWING], SS.NOMINATING, _STAFF),
            _t("submit", gettext_lazy("报审定"), [SS.REVIEWING], SS.SUBMITTED, _STAFF),
            _t("send_back", gettext_lazy("退回重新评审"), [SS.SUBMITTED], SS.REVIEWING, _APPROVERS),
            _t("announce", gettext_lazy("审定并通报"), [SS.SUBMITTED], SS.ANNOUNCED, _APPROVERS),
        )
    },
}


def state_label(kind: str, state: str) -> str:
    """The state as the council says it for this kind of round (待审定 → 待主席会议审定 for key proposals)."""
    if kind == K.KEY and state == SS.SUBMITTED:
        return _("待主席会议审定")
    if kind == K.KEY and state == SS.REVIEWING:
        return _("提案委员会审议")
    if kind == K.EXCELLENT and state == SS.REVIEWING:
        return _("评审")
    return str(SelectionState(state).label)


def decision_label(kind: str, decision: str) -> str:
    return str(DECISION_LABELS.get(kind, {}).get(decision) or Decision(decision).label)


def check(kind: str, name: str, state: str, kinds: Iterable[str]) -> Transition:
    """The transition, if a user holding `kinds` may fire it from `state` (PermissionDenied first)."""
    transition = TRANSITIONS[kind][name]
    if not set(kinds) & transition.actors:
        raise PermissionDenied(_("您无权执行“%(action)s”") % {"action": transition.label})
    if state not in transition.sources:
        raise TransitionNotAllowed(
            _("当前为“%(state)s”阶段,不能执行“%(action)s”")
            % {"state": state_label(kind, state), "action": transition.label}
        )
    return transition


def allowed(kind: str, state: str, kinds: Iterable[str]) -> list[str]:
    kinds = set(kinds)
    return [t.name for t in TRANSITIONS[kind].values() if state in t.sources and kinds & t.actors]


# --- guards ------------------------------------------------------------------------------------------------


def check_eligible(kind: str, *, year: int, proposal_year: int, proposal_state: str) -> None:
    if proposal_year != year:
        raise ApplicationError(
            _("只能选择%(year)s年度的提案") % {"year": year}, errors={"proposal": [_("年度不符")]}
        )
    if proposal_state not in ELIGIBLE_STATES[kind]:
        message = (
            _("只有已立案的提案可以列为重点提案")
            if kind == K.KEY
            else _("只有已答复或已办结的提案可以推荐为优秀提案")
        )
        raise ApplicationError(message, errors={"proposal": [message]})


def check_quota(selected: int, quota: int | None) -> None:
    """`selected` counts the recommended items including the one being added."""
    if quota is not None and selected > quota:
        raise ApplicationError(
            _("推荐的优秀提案已达名额(%(quota)s件)") % {"quota": quota},
            errors={"decision": [_("超出名额")]},
        )


def check_submit(kind: str, decisions: Iterable[str], quota: int | None) -> None:
    decisions = list(decisions)
    if Decision.PENDING in decisions:
        raise ApplicationError(_("还有未审议的提案,请逐件记录结果后再报审定"))
    selected = sum(1 for d in decisions if d == Decision.SELECTED)
    if not selected:
        raise ApplicationError(_("没有入选的提案,不能报审定"))
    if kind == K.EXCELLENT:
        check_quota(selected, quota)


def check_start_review(count: int) -> None:
    if not count:
        raise ApplicationError(_("名单为空,不能提交审议"))
