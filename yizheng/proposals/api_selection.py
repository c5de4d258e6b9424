"""The selection API: key-proposal selection (重点提案遴选) and excellent-proposal awards (优秀提案评选).

Rounds of the caller's councils only (another council's round is 404; a role that may not act is 403). Every
write names the round's `version` the caller read as `expected_version`: a stale one, or a step the round's stage
does not allow, gets 409 and nothing is written. Each endpoint calls exactly one service, as the screens do.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from yizheng.core.api import ERROR_RESPONSES, ErrorOut, LimitOffsetPagination
from yizheng.core.errors import ApplicationError
from yizheng.org.models import Council

from . import permissions as perms
from . import selectors_selection as ss
from . import services_selection
from .models import Proposal
from .schemas import VERSION_HELP

router = Router(tags=["selections"])

RESPONSES: dict[int, Any] = {**ERROR_RESPONSES, 409: ErrorOut}

SelectionKindOut = Literal["key", "excellent"]
SelectionStateOut = Literal["shortlisting", "nominating", "reviewing", "submitted", "approved", "announced"]
DecisionOut = Literal["pending", "selected", "rejected", "struck"]
SourceIn = Literal["staff", "unit", "sector", "organization", "committee"]


class SelectionOut(Schema):
    id: int
    council: int = Field(alias="council_id")
    year: int
    kind: SelectionKindOut
    state: SelectionStateOut
    state_label: str
    version: int
    quota: int | None
    meeting_name: str
    document_number: str
    decided_on: dt.date | None
    decision_note: str
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None


class NominationOut(Schema):
    id: int
    proposal: int = Field(alias="proposal_id")
    title: str = Field(alias="proposal.title")
    case_label: str = ""
    reason: str
    source: SourceIn
    source_name: str
    suggested_leaders: list[int]
    lead_unit_note: str
    decision: DecisionOut
    score: Decimal | None
    opinion: str
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_suggested_leaders(obj) -> list[int]:
        return [u.pk for u in obj.suggested_leaders.all()]


class SelectionDetailOut(SelectionOut):
    allowed_actions: list[str]
    nominations: list[NominationOut]

    @staticmethod
    def resolve_allowed_actions(obj, context) -> list[str]:
        return ss.selection_allowed(context["request"].auth, obj)

    @staticmethod
    def resolve_nominations(obj) -> list:
        return ss.selection_nominations(obj)


class SelectionOpenIn(Schema):
    council: int
    year: int
    kind: SelectionKindOut


class NominationIn(Schema):
    expected_version: int = Field(description=VERSION_HELP)
    proposal: int
    reason: str
    source: SourceIn = "staff"
    source_name: str = ""
    suggested_leaders: list[int] = Field(default_factory=list, description="重点提案:建议督办领导(用户 id)")
    lead_unit_note: str = ""


class RoundVersionIn(Schema):
    expected_version: int = Field(description=VERSION_HELP)


class DecideIn(RoundVersionIn):
    decision: Literal["selected", "rejected"]
    score: Decimal | None = None
    opinion: str = ""


class SendBackIn(RoundVersionIn):
    note: str


class ApproveIn(RoundVersionIn):
    meeting_name: str
    decided_on: dt.date
    struck: list[int] = Field(default_factory=list, description="划去的名单项(nomination id)")
    note: str = ""
    document_number: str = Field("", description="印发文号(选填),如 政协〔2026〕12号")


class AnnounceIn(RoundVersionIn):
    document_number: str
    decided_on: dt.date
    meeting_name: str = ""
    struck: list[int] = Field(default_factory=list, description="划去的名单项(nomination id)")
    note: str = ""


def _detail(user, selection):
    """The round as it is now (re-read after the write)."""
    return ss.selection_for(user, selection.pk)


@router.get(
    "/selections",
    response={200: list[SelectionOut], **RESPONSES},
    summary=gettext_lazy("评选列表"),
    description=gettext_lazy("本人所在政协(提案工作人员或领导)的重点提案遴选和优秀提案评选,按年度倒序。"),
)
@paginate(LimitOffsetPagination)
def selection_list(request):
    return ss.selections_visible_to(request.auth)


@router.post(
    "/selections",
    response={201: SelectionDetailOut, **RESPONSES},
    summary=gettext_lazy("启动评选"),
    description=gettext_lazy(
        "提案工作人员启动某年度的重点提案遴选(key)或优秀提案评选(excellent),每年各一次。"
    ),
)
def selection_open(request, body: SelectionOpenIn):
    council = Council.objects.filter(pk=body.council).first()
    if council is None or not perms.selection_actor_kinds(request.auth, council):
        raise Http404
    selection = services_selection.selection_open(
        actor=request.auth, council=council, year=body.year, kind=body.kind
    )
    return 201, _detail(request.auth, selection)


@router.get(
    "/selections/{selection_id}",
    response={200: SelectionDetailOut, **RESPONSES},
    summary=gettext_lazy("评选详情"),
    description=gettext_lazy("名单、审议结果,以及本人现在可以执行的操作。"),
)
def selection_detail(request, selection_id: int):
    return _detail(request.auth, ss.selection_for(request.auth, selection_id))


@router.post(
    "/selections/{selection_id}/nominations",
    response={201: SelectionDetailOut, **RESPONSES},
    summary=gettext_lazy("列入名单(初选/推荐)"),
    description=gettext_lazy(
        "重点提案:本年度已立案的提案,可附建议督办领导和牵头单位建议;优秀提案:本年度已答复或已办结的提案,"
        "可记录推荐方(承办单位、界别等)。理由必填。"
    ),
)
def nomination_add(request, selection_id: int, body: NominationIn):
    selection = ss.selection_for(request.auth, selection_id)
    proposal = Proposal.objects.filter(pk=body.proposal, council_id=selection.council_id).first()
    if proposal is None:
        raise ApplicationError(_("只能选择本会的提案"), errors={"proposal": [_("不是本会的提案")]})
    leaders = list(ss.council_leaders(selection.council).filter(pk__in=body.suggested_leaders))
    if len(leaders) != len(set(body.suggested_leaders)):
        raise ApplicationError(
            _("督办领导须是本会领导"), errors={"suggested_leaders": [_("督办领导须是本会领导")]}
        )
    services_selection.nomination_add(
        actor=request.auth,
        selection=selection,
        proposal=proposal,
        reason=body.reason,
        source=body.source,
        source_name=body.source_name,
        suggested_leaders=leaders,
        lead_unit_note=body.lead_unit_note,
        expected_version=body.expected_version,
    )
    return 201, _detail(request.auth, selection)


def _nomination(user, selection_id: int, nomination_id: int):
    nomination = ss.nomination_for(user, nomination_id)
    if nomination.selection_id != selection_id:
        raise Http404
    return nomination


@router.post(
    "/selections/{selection_id}/nominations/{nomination_id}/actions/withdraw",
    response={200: SelectionDetailOut, **RESPONSES},
    summary=gettext_lazy("移出名单"),
    description=gettext_lazy("提交审议前,提案工作人员把提案移出初选或推荐名单。"),
)
def nomination_withdraw(request, selection_id: int, nomination_id: int, body: RoundVersionIn):
    nomination = _nomination(request.auth, selection_id, nomination_id)
    services_selection.nomination_remove(
        actor=request.auth, nomination=nomination, expected_version=body.expected_version
    )
    return _detail(request.auth, nomination.selection)


@router.post(
    "/selections/{selection_id}/nominations/{nomination_id}/actions/decide",
    response={200: SelectionDetailOut, **RESPONSES},
    summary=gettext_lazy("记录审议结果"),
    description=gettext_lazy(
        "提案委员会审议(评审)一件:selected 入选/推荐,rejected 未入选/不推荐。优秀提案须有评分或评审意见,"
        "推荐件数不超过名额。"
    ),
)
def nomination_decide(request, selection_id: int, nomination_id: int, body: DecideIn):
    nomination = _nomination(request.auth, selection_id, nomination_id)
    services_selection.nomination_decide(
        actor=request.auth,
        nomination=nomination,
        decision=body.decision,
        score=body.score,
        opinion=body.opinion,
        expected_version=body.expected_version,
    )
    return _detail(request.auth, nomination.selection)


def _round_action(verb: str, summary, description=""):
    return router.post(
        f"/selections/{{selection_id}}/actions/{verb}",
        response={200: SelectionDetailOut, **RESPONSES},
        summary=summary,
        description=description,
        operation_id=f"selection_action_{verb}",
    )


@_round_action("start_review", gettext_lazy("提交审议"), gettext_lazy("名单交提案委员会审议(评审)。"))
def action_start_review(request, selection_id: int, body: RoundVersionIn):
    selection = ss.selection_for(request.auth, selection_id)
    services_selection.selection_start_review(
        actor=request.auth, selection=selection, expected_version=body.expected_version
    )
    return _detail(request.auth, selection)


@_round_action("reopen", gettext_lazy("退回初选(推荐)"), gettext_lazy("审议中发现名单需增删时退回。"))
def action_reopen(request, selection_id: int, body: RoundVersionIn):
    selection = ss.selection_for(request.auth, selection_id)
    services_selection.selection_reopen(
        actor=request.auth, selection=selection, expected_version=body.expected_version
    )
    return _detail(request.auth, selection)


@_round_action("submit", gettext_lazy("报审定"), gettext_lazy("每件都已审议、至少一件入选时报审定。"))
def action_submit(request, selection_id: int, body: RoundVersionIn):
    selection = ss.selection_for(request.auth, selection_id)
    services_selection.selection_submit(
        actor=request.auth, selection=selection, expected_version=body.expected_version
    )
    return _detail(request.auth, selection)


@_round_action(
    "send_back", gettext_lazy("退回重新审议"), gettext_lazy("领导或记录会议的工作人员退回,须写明理由。")
)
def action_send_back(request, selection_id: int, body: SendBackIn):
    selection = ss.selection_for(request.auth, selection_id)
    services_selection.selection_send_back(
        actor=request.auth, selection=selection, note=body.note, expected_version=body.expected_version
    )
    return _detail(request.auth, selection)


@_round_action(
    "approve",
    gettext_lazy("主席会议审定重点提案"),
    gettext_lazy("未划去的提案列为重点提案,建议督办领导成为督办领导;通知承办单位和督办领导。"),
)
def action_approve(request, selection_id: int, body: ApproveIn):
    selection = ss.selection_for(request.auth, selection_id)
    services_selection.selection_approve(
        actor=request.auth,
        selection=selection,
        meeting_name=body.meeting_name,
        decided_on=body.decided_on,
        struck=body.struck,
        note=body.note,
        document_number=body.document_number,
        expected_version=body.expected_version,
    )
    return _detail(request.auth, selection)


@_round_action(
    "announce",
    gettext_lazy("审定并通报优秀提案"),
    gettext_lazy("未划去的提案评为优秀提案并通知提案人;通报(Word)见网页。"),
)
def action_announce(request, selection_id: int, body: AnnounceIn):
    selection = ss.selection_for(request.auth, selection_id)
    services_selection.selection_announce(
        actor=request.auth,
        selection=selection,
        document_number=body.document_number,
        meeting_name=body.meeting_name,
        decided_on=body.decided_on,
        struck=body.struck,
        note=body.note,
        expected_version=body.expected_version,
    )
    return _detail(request.auth, selection)
