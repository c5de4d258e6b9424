"""The proposal lifecycle as plain data and pure functions: states, transitions, who may fire each, guards.

Nothing here touches the database, so every rule is tested without one (tests/test_workflow.py). Services in
`services.py` lock the row, work out which actor kinds the user holds on the proposal (`permissions.py`), call
`check()` and the guards below, and only then write.

Actor kinds are relations between a user and one proposal (or one of its assignments), not roles:
a member is the `submitter` of their own proposal only, a unit liaison is `lead_unit` only on an active lead
assignment of their own unit.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yizheng.core.errors import ApplicationError, TransitionNotAllowed


class State(models.TextChoices):
    DRAFT = "draft", gettext_lazy("草稿")
    SUBMITTED = "submitted", gettext_lazy("待审查")
    FILED = "filed", gettext_lazy("已立案")
    HANDLING = "handling", gettext_lazy("办理中")
    REPLIED = "replied", gettext_lazy("已答复")
    REHANDLING = "rehandling", gettext_lazy("重新办理")
    CLOSED = "closed", gettext_lazy("已办结")
    NOT_FILED = "not_filed", gettext_lazy("不予立案")
    WITHDRAWN = "withdrawn", gettext_lazy("已撤案")
    MERGED = "merged", gettext_lazy("已并案")


S = State
FILED_STATES = frozenset({S.FILED, S.HANDLING, S.REPLIED, S.REHANDLING, S.CLOSED})  # carry a case number
OPEN_HANDLING_STATES = frozenset({S.HANDLING, S.REHANDLING})
MERGE_PRIMARY_STATES = frozenset({S.SUBMITTED, S.FILED, S.HANDLING})


class Actor:
    """Kinds of relation between a user and a proposal (see permissions.actor_kinds)."""

    SUBMITTER = "submitter"  # the lead member, or an agent of the collective submitter
    COSIGNER = "cosigner"  # a member invited to co-sign (acts on their own invitation only)
    EVALUATOR = "evaluator"  # a submitter due to rate a published reply (lead, co-signers, merged ones)
    PROPOSAL_STAFF = "proposal_staff"  # staff of the proposal office / proposal committee of the council
    SUPERVISOR = "supervisor"  # 督办: supervisor role of the council
    LEAD_UNIT = "lead_unit"  # user of the unit of an active lead assignment
    CO_UNIT = "co_unit"  # user of the unit of an active co assignment
    SEPARATE_UNIT = "separate_unit"  # user of the unit of an active separate assignment


A = Actor
UNIT_KINDS = frozenset({A.LEAD_UNIT, A.CO_UNIT, A.SEPARATE_UNIT})
ANSWERING_UNIT_KINDS = frozenset({A.LEAD_UNIT, A.SEPARATE_UNIT})


@dataclass(frozen=True)
class Transition:
    name: str
    label: str | Promise
    sources: frozenset[str]
    target: str | None  # None: the proposal's state does not change
    actors: frozenset[str]


def _t(name, label, sources, target, actors) -> Transition:
    return Transition(name, label, frozenset(sources), target, frozenset(actors))


_HANDLING = (S.HANDLING, S.REHANDLING)
_AFTER_FILING = (S.FILED, S.HANDLING, S.REPLIED, S.REHANDLING, S.CLOSED)

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        # drafting and co-signing (联名)
        _t("edit", gettext_lazy("修改"), [S.DRAFT], None, [A.SUBMITTER]),
        _t("cosign_invite", gettext_lazy("邀请联名"), [S.DRAFT], None, [A.SUBMITTER]),
        _t("cosign_withdraw", gettext_lazy("取消联名邀请"), [S.DRAFT], None, [A.SUBMITTER]),
        _t("cosign_respond", gettext_lazy("答复联名邀请"), [S.DRAFT, S.SUBMITTED], None, [A.COSIGNER]),
        _t("submit", gettext_lazy("提交"), [S.DRAFT], S.SUBMITTED, [A.SUBMITTER]),
        _t("withdraw", gettext_lazy("撤案"), [S.DRAFT, S.SUBMITTED], S.WITHDRAWN, [A.SUBMITTER]),
        # review (审查)
        _t("return_for_revision", gettext_lazy("退回修改"), [S.SUBMITTED], S.DRAFT, [A.PROPOSAL_STAFF]),
        _t("decline", gettext_lazy("不予立案"), [S.SUBMITTED], S.NOT_FILED, [A.PROPOSAL_STAFF]),
        _t("merge", gettext_lazy("并案"), [S.SUBMITTED, S.FILED], S.MERGED, [A.PROPOSAL_STAFF]),
        _t("file", gettext_lazy("立案"), [S.SUBMITTED], S.FILED, [A.PROPOSAL_STAFF]),
        _t("consent_conversion", gettext_lazy("答复转社情民意意见"), [S.NOT_FILED], None, [A.SUBMITTER]),
        _t("convert_to_opinion", gettext_lazy("转为社情民意信息"), [S.NOT_FILED], None, [A.PROPOSAL_STAFF]),
        # assignment (交办) and handling (办理)
        _t("assign", gettext_lazy("交办"), [S.FILED, S.HANDLING], S.HANDLING, [A.PROPOSAL_STAFF]),
        _t("set_key", gettext_lazy("设置重点提案"), _AFTER_FILING, None, [A.PROPOSAL_STAFF]),
        _t("request_adjustment", gettext_lazy("申请调整"), [S.HANDLING], None, UNIT_KINDS),
        _t("decide_adjustment", gettext_lazy("审批调整申请"), [S.HANDLING], None, [A.PROPOSAL_STAFF]),
        _t("record_contact", gettext_lazy("记录沟通"), _HANDLING, None, UNIT_KINDS),
        _t("give_co_opinion", gettext_lazy("提出协办意见"), _HANDLING, None, [A.CO_UNIT]),
        _t("request_extension", gettext_lazy("申请延期"), _HANDLING, None, ANSWERING_UNIT_KINDS),
        _t("decide_extension", gettext_lazy("审批延期申请"), _HANDLING, None, [A.PROPOSAL_STAFF]),
        # reply (答复), countersign (会签), supervision (督办审核)
        _t("draft_reply", gettext_lazy("拟写答复"), _HANDLING, None, ANSWERING_UNIT_KINDS),
        _t("submit_reply", gettext_lazy("提交答复"), _HANDLING, None, ANSWERING_UNIT_KINDS),
        _t("countersign", gettext_lazy("会签"), _HANDLING, None, [A.CO_UNIT]),
        _t("supervise_review", gettext_lazy("督办审核"), _HANDLING, None, [A.SUPERVISOR, A.PROPOSAL_STAFF]),
        _t("publish", gettext_lazy("答复"), _HANDLING, S.REPLIED, [A.SUPERVISOR, A.PROPOSAL_STAFF]),
        # evaluation (满意度评价), rehandling, closing
        _t("evaluate", gettext_lazy("评价"), [S.REPLIED], None, [A.EVALUATOR]),
        _t("evaluate_on_paper", gettext_lazy("录入纸质评价"), [S.REPLIED], None, [A.PROPOSAL_STAFF]),
        _t("rehandle", gettext_lazy("重新办理"), [S.REPLIED], S.REHANDLING, [A.PROPOSAL_STAFF]),
        _t("close", gettext_lazy("办结"), [S.REPLIED], S.CLOSED, [A.PROPOSAL_STAFF]),
        _t("reopen", gettext_lazy("重启办理"), [S.CLOSED], S.FILED, [A.PROPOSAL_STAFF]),
        # marks
        _t("set_public", gettext_lazy("设置公开"), _AFTER_FILING, None, [A.PROPOSAL_STAFF]),
        _t("mark_excellent", gettext_lazy("撤销优秀提案"), _AFTER_FILING, None, [A.PROPOSAL_STAFF]),
    )
}


def check(name: str, state: str, kinds: Iterable[str]) -> Transition:
    """The transition, if a user holding `kinds` may fire it from `state`.

    Raises PermissionDenied when none of the kinds may fire it, TransitionNotAllowed when the state forbids it.
    """
    transition = TRANSITIONS[name]
    if not set(kinds) & transition.actors:
        raise PermissionDenied(_("您无权对该提案执行“%(action)s”") % {"action": transition.label})
    if state not in transition.sources:
        raise TransitionNotAllowed(
            _("提案当前状态为“%(state)s”,不能执行“%(action)s”")
            % {"state": State(state).label, "action": transition.label}
        )
    return transition


def allowed(state: str, kinds: Iterable[str]) -> list[str]:
    """Names of the transitions a user holding `kinds` may fire now (for buttons and the API)."""
    kinds = set(kinds)
    return [t.name for t in TRANSITIONS.values() if state in t.sources and kinds & t.actors]


# --- kinds, windows, case numbers ----------------------------------------------------------------------


class Kind(models.TextChoices):
    INDIVIDUAL = "individual", gettext_lazy("个人提案")
    JOINT = "joint", gettext_lazy("联名提案")
    COLLECTIVE = "collective", gettext_lazy("集体提案")


class Window(models.TextChoices):
    PLENARY = "plenary", gettext_lazy("大会期间")
    INTERIM = "interim", gettext_lazy("平时")


class CaseScope(models.TextChoices):
    PLENARY = "plenary", gettext_lazy("按次会议编号")
    YEAR = "year", gettext_lazy("按年度编号")


def window_for(submitted_at: datetime, window_start: date | None, deadline: datetime | None) -> str:
    """Plenary when submitted inside the plenary's proposal window; a plenary proposal that arrives after the
    deadline is taken as an interim one."""
    if window_start is None or deadline is None:
        return Window.INTERIM
    if window_start <= submitted_at.date() and submitted_at <= deadline:
        return Window.PLENARY
    return Window.INTERIM


def case_scope(scope: str, *, window: str, plenary_id: int | None, year: int) -> str:
    """The numbering sequence a filed proposal draws from.

    Per-plenary numbering gives plenary proposals one sequence per plenary and interim proposals one per year;
    per-year numbering gives every proposal of the year one sequence."""
    if scope == CaseScope.PLENARY and window == Window.PLENARY and plenary_id:
        return f"plenary-{plenary_id}"
    if scope == CaseScope.PLENARY:
        return f"interim-{year}"
    return f"year-{year}"


_FORMAT_FIELDS = {"n", "year"}


def validate_case_number_format(fmt: str) -> None:
    """A format uses {n} (the number, e.g. {n:04d}) and optionally {year}; nothing else."""
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(fmt) if f is not None}
        if "n" not in fields or fields - _FORMAT_FIELDS:
            raise ValueError
        fmt.format(n=1, year=2026)
    except (ValueError, IndexError, KeyError):
        raise ApplicationError(
            _("案号格式须包含 {n}(可写作 {n:04d}),可另含 {year}"), errors={"case_number_format": [""]}
        ) from None


def format_case_number(fmt: str, n: int, year: int) -> str:
    return fmt.format(n=n, year=year)


def case_label(fmt: str, n: int | None, year: int) -> str:
    """第0001号."""
    if n is None:
        return ""
    return _("第%(number)s号") % {"number": format_case_number(fmt, n, year)}


# --- submit, co-signing ---------------------------------------------------------------------------------


def submit_blockers(*, kind: str, accepted_cosigners: int, title: str, suggestions_text: str) -> list[str]:
    """What keeps a draft from being submitted (empty: it may be submitted)."""
    problems = []
    if not title.strip():
        problems.append(_("请填写提案标题"))
    if not suggestions_text.strip():
        problems.append(_("请填写具体建议"))
    if kind == Kind.JOINT and accepted_cosigners < 1:
        problems.append(_("联名提案至少需要一位委员接受联名"))
    return problems


# --- assignments, adjustment, extension -----------------------------------------------------------------


class AssignmentRole(models.TextChoices):
    LEAD = "lead", gettext_lazy("主办")
    CO = "co", gettext_lazy("协办")
    SEPARATE = "separate", gettext_lazy("分办")


ROLE_KIND = {
    AssignmentRole.LEAD: A.LEAD_UNIT,
    AssignmentRole.CO: A.CO_UNIT,
    AssignmentRole.SEPARATE: A.SEPARATE_UNIT,
}
ANSWERING_ROLES = frozenset({AssignmentRole.LEAD, AssignmentRole.SEPARATE})


def check_units(lead: int | None, co: Iterable[int], separate: Iterable[int], *, lead_required: bool) -> None:
    """One lead unit (when required); no unit twice."""
    co, separate = list(co), list(separate)
    if lead_required and lead is None:
        raise ApplicationError(_("请选择主办单位"), errors={"lead_unit": [_("请选择主办单位")]})
    units = ([lead] if lead is not None else []) + co + separate
    if len(units) != len(set(units)):
        raise ApplicationError(_("同一单位不能重复交办"), errors={"co_units": [_("同一单位不能重复交办")]})


def check_months(months: int, *, default: int, hard_max: int) -> None:
    if months < 1 or months > hard_max:
        raise ApplicationError(
            _("办理期限须在 1 至 %(max)s 个月之间(一般为 %(default)s 个月)")
            % {"max": hard_max, "default": default},
            errors={"months": [""]},
        )


def adjustment_window_open(today: date, window_deadline: date | None) -> bool:
    return window_deadline is not None and today <= window_deadline


def check_extension(requested: date, *, current: date, hard_max: date) -> None:
    if requested <= current:
        raise ApplicationError(
            _("申请的新期限须晚于当前期限(%(current)s)") % {"current": current.isoformat()},
            errors={"requested_deadline": [""]},
        )
    if requested > hard_max:
        raise ApplicationError(
            _("延期后的期限不能晚于疑难提案的最长办理期限(%(max)s)") % {"max": hard_max.isoformat()},
            errors={"requested_deadline": [""]},
        )


# --- replies, countersigning, supervision ---------------------------------------------------------------


class ReplyStatus(models.TextChoices):
    DRAFT = "draft", gettext_lazy("草稿")
    COUNTERSIGNING = "countersigning", gettext_lazy("会签中")
    UNDER_REVIEW = "under_review", gettext_lazy("督办审核中")
    APPROVED = "approved", gettext_lazy("已审定")
    RETURNED = "returned", gettext_lazy("已退回")


RS = ReplyStatus
EDITABLE_REPLY = frozenset({RS.DRAFT, RS.RETURNED})
REPLY_STEPS: dict[str, frozenset[str]] = {
    "edit": EDITABLE_REPLY,
    "submit": EDITABLE_REPLY,
    "countersign": frozenset({RS.COUNTERSIGNING}),
    "review": frozenset({RS.UNDER_REVIEW}),
}


def reply_check(step: str, status: str) -> None:
    if status not in REPLY_STEPS[step]:
        raise TransitionNotAllowed(
            _("答复当前状态为“%(status)s”,不能执行此操作") % {"status": ReplyStatus(status).label}
        )


def reply_status_after_submit(*, countersigners: int) -> str:
    """Co units countersign a lead reply first; without co units it goes straight to supervision."""
    return RS.COUNTERSIGNING if countersigners else RS.UNDER_REVIEW


def reply_status_after_countersign(signatures: Iterable[str]) -> str:
    """Any return sends the reply back to the lead unit; when every co unit has signed, it goes to review."""
    signatures = list(signatures)
    if CountersignStatus.RETURNED in signatures:
        return RS.RETURNED
    if all(s == CountersignStatus.SIGNED for s in signatures):
        return RS.UNDER_REVIEW
    return RS.COUNTERSIGNING


class CountersignStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("待会签")
    SIGNED = "signed", gettext_lazy("已会签")
    RETURNED = "returned", gettext_lazy("退回意见")


def result_class(classes: list[dict], code: str) -> dict:
    for c in classes:
        if c.get("code") == code:
            return c
    raise ApplicationError(_("请选择办理结果分类"), errors={"result": [_("请选择办理结果分类")]})


def check_commitments(classes: list[dict], code: str, commitments: list[dict]) -> list[dict]:
    """Commitments as [{text, due}] with ISO dates; a class that requires them (B) needs at least one, each
    with a text and a due date."""
    cls = result_class(classes, code)
    clean = []
    for item in commitments or []:
        text = str(item.get("text", "")).strip()
        due = item.get("due")
        if not text and not due:
            continue
        if not text:
            raise ApplicationError(
                _("每项承诺都须写明内容"), errors={"commitments": [_("每项承诺都须写明内容")]}
            )
        try:
            due_date = due if isinstance(due, date) else date.fromisoformat(str(due))
        except ValueError:
            raise ApplicationError(
                _("承诺“%(text)s”须有完成时限(日期)") % {"text": text}, errors={"commitments": [""]}
            ) from None
        clean.append({"text": text, "due": due_date.isoformat()})
    if cls.get("requires_commitments") and not clean:
        raise ApplicationError(
            _("%(label)s类答复须列明承诺事项及完成时限") % {"label": cls.get("code")},
            errors={"commitments": [_("请至少列明一项承诺及完成时限")]},
        )
    return clean


def proposal_replied(answering: Iterable[int], approved: Iterable[int]) -> bool:
    """The proposal is replied when every active lead / separate assignment has an approved reply."""
    answering = set(answering)
    return bool(answering) and answering <= set(approved)


# --- evaluation, rehandling, closing --------------------------------------------------------------------


class Rating(models.TextChoices):
    SATISFIED = "satisfied", gettext_lazy("满意")
    BASICALLY_SATISFIED = "basically_satisfied", gettext_lazy("基本满意")
    DISSATISFIED = "dissatisfied", gettext_lazy("不满意")


class EvaluationStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("待评价")
    RATED = "rated", gettext_lazy("已评价")
    UNRATED = "unrated", gettext_lazy("逾期未评价")


def is_dissatisfied(work: str, result: str) -> bool:
    return Rating.DISSATISFIED in (work, result)


@dataclass(frozen=True)
class EvaluationView:
    status: str
    deadline: date | None
    work: str = ""
    result: str = ""


def evaluation_open(e: EvaluationView, today: date) -> bool:
    """Still waiting: not rated and its window has not passed."""
    return e.status == EvaluationStatus.PENDING and (e.deadline is None or today <= e.deadline)


def may_rehandle(round_: int, evaluations: Iterable[EvaluationView]) -> None:
    """Rehandling happens once, after a dissatisfied rating in the first round."""
    if round_ >= 2:
        raise TransitionNotAllowed(_("该提案已重新办理过一次,不能再次重新办理"))
    if not any(e.status == EvaluationStatus.RATED and is_dissatisfied(e.work, e.result) for e in evaluations):
        raise TransitionNotAllowed(_("没有不满意的评价,不能重新办理"))


def may_close(round_: int, evaluations: Iterable[EvaluationView], today: date) -> None:
    """Closing needs every evaluation in or its window passed; a first-round dissatisfied rating must be
    rehandled first."""
    evaluations = list(evaluations)
    waiting = [e for e in evaluations if evaluation_open(e, today)]
    if waiting:
        raise TransitionNotAllowed(
            _("还有 %(n)s 位提案人在评价期限内尚未评价,暂不能办结") % {"n": len(waiting)}
        )
    if round_ < 2 and any(
        e.status == EvaluationStatus.RATED and is_dissatisfied(e.work, e.result) for e in evaluations
    ):
        raise TransitionNotAllowed(_("有不满意的评价,须先重新办理"))


# A C-class proposal (not possible now, kept for reference) may be handled again in a later year when conditions
# change: the code of the class is fixed, its wording is the council's.
REOPENABLE_CLASS = "C"


def may_reopen(final_replies: Iterable[tuple[str, date]], today: date) -> None:
    """重启办理: every final answer (result code, local date it was published) is of class C, and the latest of
    them was given in an earlier calendar year than `today`."""
    final_replies = list(final_replies)
    if not final_replies:
        raise TransitionNotAllowed(_("该提案没有已审定的答复,不能重启办理"))
    if any(code != REOPENABLE_CLASS for code, _day in final_replies):
        raise TransitionNotAllowed(
            _("只有办理结果为%(code)s类的提案才能重启办理") % {"code": REOPENABLE_CLASS}
        )
    year = max(day for _code, day in final_replies).year
    if today.year <= year:
        raise TransitionNotAllowed(_("该提案于%(year)s年答复,须在以后年度才能重启办理") % {"year": year})


# --- decline, disposition --------------------------------------------------------------------------------


class Disposition(models.TextChoices):
    TO_OPINION_REPORT = "to_opinion_report", gettext_lazy("转社情民意信息")
    MEMBER_LETTER = "member_letter", gettext_lazy("转意见和建议(委员来信)")
    ARCHIVE = "archive", gettext_lazy("存档备查")


def check_decline(reasons: list[str], reason: str, disposition: str) -> None:
    if reason not in reasons:
        raise ApplicationError(
            _("请从列表中选择不予立案的理由"), errors={"reason": [_("请从列表中选择不予立案的理由")]}
        )
    if disposition not in Disposition.values:
        raise ApplicationError(_("请选择处理方式"), errors={"disposition": [_("请选择处理方式")]})


# --- reminders -------------------------------------------------------------------------------------------


OVERDUE = "overdue"


def reminder_kind(deadline: date, today: date, days: Iterable[int] = (30, 7, 1)) -> str | None:
    """Which reminder is due for a deadline today: the tightest of the configured day counts that has been
    reached ("30", "7", "1"), "overdue" once past the deadline, None when none is due yet. A job that
    missed a day still sends each reminder once (the log is keyed on the kind)."""
    left = (deadline - today).days
    if left < 0:
        return OVERDUE
    reached = [d for d in sorted(set(days)) if left <= d]
    return str(reached[0]) if reached else None
