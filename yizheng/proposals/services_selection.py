"""Write operations of key-proposal selection (重点提案遴选) and excellent-proposal awards (优秀提案评选).

Same steps as every proposal service: one transaction, lock the round (`Selection` row, `select_for_update`), work
out the actor's relations to its council, let `selection_workflow` allow or refuse (PermissionDenied before
TransitionNotAllowed), compare `expected_version` (ConflictError), check the guards, write with `update_fields`,
bump the round's version and append one event `selection.<verb>`. Every write on a round holds its lock, so the
quota of excellent proposals is counted and enforced under it.

Approval and announcement change the proposals themselves: each approved key proposal gets `is_key` and the
suggested supervising leaders with the same `proposal.set_key` event the assignment board records; each announced
excellent proposal gets `is_excellent` with a `proposal.mark_excellent` event. Notifications subscribe to those.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from yizheng.audit.services import diff, event_record
from yizheng.core.errors import ApplicationError, ConflictError

from . import permissions as perms
from . import selection_workflow as swf
from . import services
from .models import Nomination, Proposal, Selection
from .selection_workflow import Decision, SelectionKind


def _record(actor, locked: Selection, action: str, *, from_state: str, fields=(), payload=None) -> None:
    services.save_and_record(
        actor,
        locked,
        f"selection.{action}",
        from_state=from_state,
        fields=fields,
        payload={"kind": locked.kind, "year": locked.year, **(payload or {})},
    )


def _begin(actor, selection: Selection, transition: str, *, expected_version=None):
    locked = Selection.objects.select_for_update(of=("self",)).select_related("council").get(pk=selection.pk)
    kinds = perms.selection_actor_kinds(actor, locked.council)
    t = swf.check(locked.kind, transition, locked.state, kinds)
    if expected_version is not None and int(expected_version) != locked.version:
        raise ConflictError(_("名单已被他人修改,请刷新页面后重试"))
    return locked, t


_required = services._required


# --- opening a round ---------------------------------------------------------------------------------------


def selection_open(*, actor, council, year: int, kind: str) -> Selection:
    """Start the year's round; proposal staff of the council only, one round per council, year and kind."""
    if kind not in SelectionKind.values:
        raise ApplicationError(_("评选类别无效"), errors={"kind": [_("评选类别无效")]})
    if "proposal_staff" not in perms.selection_actor_kinds(actor, council):
        raise PermissionDenied(_("只有提案工作人员可以启动评选"))
    year = int(year)
    if not 2000 <= year <= 2100:
        raise ApplicationError(_("年度无效"), errors={"year": [_("年度无效")]})
    with transaction.atomic():
        if Selection.objects.filter(council=council, year=year, kind=kind).exists():
            raise ConflictError(_("%(year)s年度的该项评选已经启动") % {"year": year})
        try:
            with transaction.atomic():
                selection = Selection.objects.create(
                    council=council, year=year, kind=kind, state=swf.FIRST_STATE[kind], created_by=actor
                )
        except IntegrityError as exc:  # a parallel request opened it first
            raise ConflictError(_("%(year)s年度的该项评选已经启动") % {"year": year}) from exc
        event_record(
            actor=actor,
            action="selection.open",
            target=selection,
            council=council,
            to_state=selection.state,
            payload={"kind": kind, "year": year},
        )
    return selection


# --- the list: shortlisting (初选) / nominating (推荐) -------------------------------------------------------


def nomination_add(
    *,
    actor,
    selection: Selection,
    proposal: Proposal,
    reason: str,
    source: str = swf.NominationSource.STAFF,
    source_name: str = "",
    suggested_leaders: Iterable = (),
    lead_unit_note: str = "",
    expected_version: int | None = None,
) -> Nomination:
    with transaction.atomic():
        locked, _t = _begin(actor, selection, "nominate", expected_version=expected_version)
        reason = _required(reason, "reason", _("请填写理由"))
        if source not in swf.NominationSource.values:
            raise ApplicationError(_("推荐方无效"), errors={"source": [_("推荐方无效")]})
        if proposal.council_id != locked.council_id:
            raise ApplicationError(_("只能选择本会的提案"), errors={"proposal": [_("不是本会的提案")]})
        swf.check_eligible(
            locked.kind, year=locked.year, proposal_year=proposal.year, proposal_state=proposal.state
        )
        if locked.nominations.filter(proposal=proposal).exists():
            raise ApplicationError(_("该提案已在名单中"), errors={"proposal": [_("该提案已在名单中")]})
        leaders = []
        if locked.kind == SelectionKind.KEY:
            leaders = services._check_leaders(locked.council, suggested_leaders)
        nomination = Nomination.objects.create(
            selection=locked,
            proposal=proposal,
            reason=reason,
            source=source,
            source_name=(source_name or "").strip()[:100],
            lead_unit_note=(lead_unit_note or "").strip()[:200] if locked.kind == SelectionKind.KEY else "",
            created_by=actor,
        )
        nomination.suggested_leaders.set(leaders)
        _record(
            actor,
            locked,
            "nominate",
            from_state=locked.state,
            payload={
                "nomination": nomination.pk,
                "proposal": proposal.pk,
                "title": proposal.title,
                "reason": reason,
                "source": source,
                "source_name": nomination.source_name,
                "leaders": [str(u) for u in leaders],
            },
        )
    return nomination


def _lock_nomination(nomination: Nomination, locked: Selection) -> Nomination:
    found = (
        Nomination.objects.select_for_update(of=("self",)).select_related("proposal").get(pk=nomination.pk)
    )
    if found.selection_id != locked.pk:
        raise PermissionDenied
    return found


def nomination_remove(*, actor, nomination: Nomination, expected_version: int | None = None) -> None:
    with transaction.atomic():
        locked, _t = _begin(
            actor,
            Selection(pk=nomination.selection_id),
            "withdraw_nomination",
            expected_version=expected_version,
        )
        found = _lock_nomination(nomination, locked)
        payload = {"proposal": found.proposal_id, "title": found.proposal.title}
        found.delete()
        _record(actor, locked, "withdraw_nomination", from_state=locked.state, payload=payload)


# --- review (审议 / 评审) -----------------------------------------------------------------------------------


def _move(
    actor, selection: Selection, transition: str, *, expected_version, guard=None, fields=(), payload=None
):
    with transaction.atomic():
        locked, t = _begin(actor, selection, transition, expected_version=expected_version)
        if guard is not None:
            guard(locked)
        from_state = locked.state
        locked.state = t.target
        if callable(payload):
            payload = payload(locked)
        _record(actor, locked, transition, from_state=from_state, fields=["state", *fields], payload=payload)
    return locked


def selection_start_review(*, actor, selection: Selection, expected_version: int | None = None) -> Selection:
    """Hand the list to the proposal committee (提案委员会审议) or the review panel (评审)."""

    def guard(locked: Selection) -> None:
        swf.check_start_review(locked.nominations.count())
        if locked.kind == SelectionKind.EXCELLENT:
            locked.quota = services.proposal_settings_get(locked.council).excellent_quota

    return _move(
        actor, selection, "start_review", expected_version=expected_version, guard=guard, fields=["quota"]
    )


def selection_reopen(*, actor, selection: Selection, expected_version: int | None = None) -> Selection:
    """Back to the list (to add or remove items); decisions taken so far are kept."""
    return _move(actor, selection, "reopen", expected_version=expected_version)


def _score(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        score = Decimal(str(value))
    except InvalidOperation:
        score = Decimal(-1)
    if not Decimal(0) <= score <= Decimal(100):
        raise ApplicationError(_("评分须在0到100之间"), errors={"score": [_("评分须在0到100之间")]})
    return score.quantize(Decimal("0.1"))


def nomination_decide(
    *,
    actor,
    nomination: Nomination,
    decision: str,
    score=None,
    opinion: str = "",
    expected_version: int | None = None,
) -> Nomination:
    """Record the committee's decision on one item: selected (入选/推荐) or not; excellent ones carry a score or
    an opinion. At most `quota` excellent proposals are recommended — counted here under the round's lock."""
    with transaction.atomic():
        locked, _t = _begin(
            actor, Selection(pk=nomination.selection_id), "decide", expected_version=expected_version
        )
        found = _lock_nomination(nomination, locked)
        if decision not in (Decision.SELECTED, Decision.REJECTED):
            raise ApplicationError(_("请选择审议结果"), errors={"decision": [_("请选择审议结果")]})
        score = _score(score)
        opinion = (opinion or "").strip()
        if locked.kind == SelectionKind.EXCELLENT and score is None and not opinion:
            raise ApplicationError(_("请填写评分或评审意见"), errors={"opinion": [_("请填写评分或评审意见")]})
        if locked.kind == SelectionKind.EXCELLENT and decision == Decision.SELECTED:
            others = locked.nominations.filter(decision=Decision.SELECTED).exclude(pk=found.pk).count()
            swf.check_quota(others + 1, locked.quota)
        before = {"decision": found.decision, "score": found.score, "opinion": found.opinion}
        found.decision, found.score, found.opinion = decision, score, opinion
        found.decided_by, found.decided_at = actor, services._now()
        found.save(update_fields=["decision", "score", "opinion", "decided_by", "decided_at"])
        after = {"decision": found.decision, "score": found.score, "opinion": found.opinion}
        _record(
            actor,
            locked,
            "decide",
            from_state=locked.state,
            payload={
                "nomination": found.pk,
                "proposal": found.proposal_id,
                "title": found.proposal.title,
                "changes": diff(
                    {k: str(v) for k, v in before.items()}, {k: str(v) for k, v in after.items()}
                ),
            },
        )
    return found


def selection_submit(*, actor, selection: Selection, expected_version: int | None = None) -> Selection:
    """Send the selected list for approval (报主席会议审定 / 报审定)."""

    def guard(locked: Selection) -> None:
        swf.check_submit(locked.kind, locked.nominations.values_list("decision", flat=True), locked.quota)
        locked.submitted_at = services._now()

    return _move(
        actor,
        selection,
        "submit",
        expected_version=expected_version,
        guard=guard,
        fields=["submitted_at"],
        payload=lambda locked: {"selected": _selected_ids(locked)},
    )


def _selected_ids(selection: Selection) -> list[int]:
    return list(
        Nomination.objects.filter(selection_id=selection.pk, decision=Decision.SELECTED).values_list(
            "proposal_id", flat=True
        )
    )


def selection_send_back(
    *, actor, selection: Selection, note: str, expected_version: int | None = None
) -> Selection:
    """The meeting sends the list back to review, with its reasons."""
    note = _required(note, "note", _("请填写退回理由"))
    return _move(
        actor,
        selection,
        "send_back",
        expected_version=expected_version,
        guard=lambda locked: setattr(locked, "decision_note", note),
        fields=["decision_note"],
        payload={"reason": note},
    )


# --- approval (主席会议审定) and announcement (通报表彰) ------------------------------------------------------


def _decide_round(
    actor,
    selection: Selection,
    transition: str,
    *,
    decided_on: date | None,
    meeting_name: str = "",
    document_number: str = "",
    note: str = "",
    struck: Iterable[int] = (),
    expected_version: int | None,
    apply,
) -> Selection:
    with transaction.atomic():
        locked, t = _begin(actor, selection, transition, expected_version=expected_version)
        if locked.kind == SelectionKind.KEY:
            meeting_name = _required(meeting_name, "meeting_name", _("请填写审定会议"))
        else:
            document_number = _required(document_number, "document_number", _("请填写通报文号"))
        if decided_on is None:
            raise ApplicationError(_("请填写审定日期"), errors={"decided_on": [_("请填写审定日期")]})
        items = list(
            Nomination.objects.select_for_update(of=("self",))
            .filter(selection=locked, decision=Decision.SELECTED)
            .select_related("proposal")
            .order_by("pk")
        )
        struck = {int(x) for x in struck}
        unknown = struck - {n.pk for n in items}
        if unknown:
            raise ApplicationError(_("只能划去名单中入选的提案"), errors={"struck": [_("不在名单中")]})
        kept = [n for n in items if n.pk not in struck]
        if not kept:
            raise ApplicationError(_("全部划去时请退回重新审议"), errors={"struck": [_("至少保留一件")]})
        if locked.kind == SelectionKind.EXCELLENT:
            swf.check_quota(len(kept), locked.quota)
        now = services._now()
        for n in items:
            if n.pk in struck:
                n.decision, n.decided_by, n.decided_at = Decision.STRUCK, actor, now
                n.save(update_fields=["decision", "decided_by", "decided_at"])
        label = meeting_name if locked.kind == SelectionKind.KEY else document_number
        for n in kept:
            apply(locked, n, label)
        from_state = locked.state
        locked.state = t.target
        locked.meeting_name, locked.document_number = meeting_name.strip(), document_number.strip()
        locked.decided_on, locked.decision_note = decided_on, (note or "").strip()
        locked.decided_by, locked.decided_at = actor, now
        _record(
            actor,
            locked,
            transition,
            from_state=from_state,
            fields=[
                "state",
                "meeting_name",
                "document_number",
                "decided_on",
                "decision_note",
                "decided_by",
                "decided_at",
            ],
            payload={
                "name": label,
                "decided_on": decided_on,
                "proposals": [n.proposal_id for n in kept],
                "struck": sorted(n.proposal_id for n in items if n.pk in struck),
            },
        )
    return locked


def _proposal_locked(actor, nomination: Nomination, selection: Selection) -> Proposal:
    p = services._lock(nomination.proposal)
    if p.council_id != selection.council_id or p.state not in swf.ELIGIBLE_STATES[selection.kind]:
        raise ApplicationError(
            _("《%(title)s》当前状态为“%(state)s”,请划去后再审定")
            % {"title": p.title, "state": p.get_state_display()},
            errors={"struck": [str(nomination.pk)]},
        )
    return p


def selection_approve(
    *,
    actor,
    selection: Selection,
    meeting_name: str,
    decided_on: date | None,
    struck: Iterable[int] = (),
    note: str = "",
    document_number: str = "",
    expected_version: int | None = None,
) -> Selection:
    """The chair's meeting approves the key proposals (minus the struck items): each becomes a key proposal,
    supervised by the leaders suggested for it (added to any it already had). `document_number` (optional) is
    the 文号 under which the list is issued; the notice document prints it."""

    def apply(locked: Selection, n: Nomination, label: str) -> None:
        p = _proposal_locked(actor, n, locked)
        before = {"is_key": p.is_key, "leaders": sorted(str(u) for u in p.supervising_leaders.all())}
        p.is_key = True
        p.supervising_leaders.add(*n.suggested_leaders.all())
        after = {"is_key": True, "leaders": sorted(str(u) for u in p.supervising_leaders.all())}
        services._record(
            actor,
            p,
            "set_key",
            from_state=p.state,
            fields=["is_key"],
            payload={"changes": diff(before, after), "selection": locked.pk, "name": label},
        )

    return _decide_round(
        actor,
        selection,
        "approve",
        decided_on=decided_on,
        meeting_name=meeting_name,
        document_number=document_number,
        note=note,
        struck=struck,
        expected_version=expected_version,
        apply=apply,
    )


def selection_announce(
    *,
    actor,
    selection: Selection,
    document_number: str,
    decided_on: date | None,
    meeting_name: str = "",
    struck: Iterable[int] = (),
    note: str = "",
    expected_version: int | None = None,
) -> Selection:
    """Approve and announce the year's excellent proposals (通报表彰): each recommended one becomes excellent."""

    def apply(locked: Selection, n: Nomination, label: str) -> None:
        p = _proposal_locked(actor, n, locked)
        if not p.is_excellent:
            p.is_excellent = True
            services._record(
                actor,
                p,
                "mark_excellent",
                from_state=p.state,
                fields=["is_excellent"],
                payload={"is_excellent": True, "selection": locked.pk, "name": label},
            )

    return _decide_round(
        actor,
        selection,
        "announce",
        decided_on=decided_on,
        document_number=document_number,
        meeting_name=meeting_name or "",
        note=note,
        struck=struck,
        expected_version=expected_version,
        apply=apply,
    )
