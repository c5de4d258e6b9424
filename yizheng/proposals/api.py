"""The proposals API: lists, the detail with its timeline, drafting, and one action endpoint per transition.

Every endpoint fetches and authorises through the selectors (404 outside the caller's scope, 403 for a role that
may not act) and writes through exactly one service, so the API behaves as the screens do. Actions on a
proposal carry the `version` the caller read as `expected_version`: a stale one gets 409 and nothing is written;
so does a transition the proposal's state does not allow.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from yizheng.core.api import ERROR_RESPONSES, ErrorOut, LimitOffsetPagination
from yizheng.org import permissions as org_permissions

from . import permissions as perms
from . import selectors, services, uploads
from .schemas import (
    AdjustmentIn,
    AdjustmentRequestOut,
    AssignBatchIn,
    AssignIn,
    AssignmentOut,
    AttachmentOut,
    ConsentIn,
    ContactIn,
    ContactOut,
    CoOpinionIn,
    CoSignatureOut,
    CosignInvitationOut,
    CosignInviteIn,
    CountersignatureOut,
    CountersignIn,
    DecideIn,
    DeclineIn,
    DraftReplyIn,
    EvaluateIn,
    EvaluationDueOut,
    EvaluationOut,
    EventOut,
    ExcellentIn,
    ExtensionDecideIn,
    ExtensionIn,
    ExtensionRequestOut,
    FileIn,
    InboxOut,
    MergeIn,
    NoteIn,
    ProposalCreatedOut,
    ProposalDetailOut,
    ProposalFilters,
    ProposalIn,
    ProposalOut,
    ProposalPatch,
    ProposalState,
    PublicIn,
    ReopenIn,
    ReplyOut,
    ReplyQueueOut,
    ReplySubmitIn,
    ReturnIn,
    ReviewIn,
    SetKeyIn,
    VersionIn,
    WithdrawIn,
)

router = Router(tags=["proposals"])

RESPONSES: dict[int, Any] = {**ERROR_RESPONSES, 409: ErrorOut}


class ProposalStateOut(Schema):
    """What an action answers: the proposal's new state and version (GET the detail for the rest)."""

    id: int
    state: ProposalState
    version: int
    case_number: int | None
    is_key: bool
    is_public: bool
    is_excellent: bool
    round: int


# --- lists ------------------------------------------------------------------------------------------------


@router.get(
    "/proposals",
    response={200: list[ProposalOut], **RESPONSES},
    summary=gettext_lazy("提案列表"),
    description=gettext_lazy(
        "本人可见的提案:工作人员、领导、督办看到本级及下级政协已提交的提案;委员看到本人领衔、联名、"
        "待评价的提案和公开的提案;承办单位只看到交本单位办理的提案。"
    ),
)
@paginate(LimitOffsetPagination)
def proposal_list(request, filters: Query[ProposalFilters]):
    return selectors.proposals_filtered(request.auth, **filters.dict(exclude_none=True))


@router.get(
    "/proposals/review-queue",
    response={200: list[ProposalOut], **RESPONSES},
    summary=gettext_lazy("待审查提案"),
    description=gettext_lazy("提案工作人员:已提交、等待审查的提案,先交先审。"),
)
@paginate(LimitOffsetPagination)
def proposal_review_queue(request):
    if not perms.proposal_staff_grants(request.auth):
        raise PermissionDenied
    return selectors.proposals_review_queue(request.auth)


@router.post(
    "/proposals/assign-batch",
    response={200: list[ProposalStateOut], **RESPONSES},
    summary=gettext_lazy("批量交办"),
    description=gettext_lazy("全部成功或全部不办:任何一件不能交办时,整批不作修改,并指出是哪一件。"),
)
def proposal_assign_batch(request, body: AssignBatchIn):
    items = []
    for item in body.items:
        p = selectors.proposal_for(request.auth, item.proposal, "assign")
        items.append({"proposal": p, **_assign_kwargs(p.council, item)})
    return services.proposals_assign_batch(actor=request.auth, items=items)


@router.get(
    "/proposals/{proposal_id}",
    response={200: ProposalDetailOut, **RESPONSES},
    summary=gettext_lazy("提案详情"),
    description=gettext_lazy("含提案人、联名、交办、答复、评价,以及本人现在可以执行的操作。"),
)
def proposal_detail(request, proposal_id: int):
    return selectors.proposal_detail_for(request.auth, proposal_id)


@router.get(
    "/proposals/{proposal_id}/timeline",
    response={200: list[EventOut], **RESPONSES},
    summary=gettext_lazy("提案办理过程"),
    description=gettext_lazy("提案的全部操作记录,最新的在前。"),
)
@paginate(LimitOffsetPagination)
def proposal_timeline(request, proposal_id: int):
    return selectors.proposal_timeline(request.auth, selectors.proposal_for(request.auth, proposal_id))


@router.get(
    "/proposals/{proposal_id}/attachments",
    response={200: list[AttachmentOut], **RESPONSES},
    summary=gettext_lazy("提案附件"),
)
def proposal_attachments(request, proposal_id: int):
    return list(selectors.proposal_for(request.auth, proposal_id).attachments.order_by("pk"))


@router.get(
    "/proposals/{proposal_id}/attachments/{attachment_id}/file",
    response={200: None, **RESPONSES},
    summary=gettext_lazy("下载提案附件"),
    description=gettext_lazy(
        "返回文件本身(Content-Disposition: attachment,含中文文件名);能查看该提案的用户才能下载。"
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "文件",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def proposal_attachment_file(request, proposal_id: int, attachment_id: int):
    return uploads.attachment_response(selectors.attachment_for(request.auth, proposal_id, attachment_id))


# --- drafting ---------------------------------------------------------------------------------------------


@router.post(
    "/proposals",
    response={201: ProposalCreatedOut, **RESPONSES},
    summary=gettext_lazy("新建提案草稿"),
    description=gettext_lazy(
        "委员为本人提出个人或联名提案;党派团体等集体的提案经办人以集体名义提出集体提案(填写 organization、"
        "committee 或 sector 之一)。返回草稿的编号、状态、版本号和后续操作的地址;草稿全文请 GET links.self。"
    ),
)
def proposal_create(request, body: ProposalIn):
    user = request.auth
    council = selectors.drafting_council_for(user, body.council)
    refs = selectors.proposal_references(
        council,
        category=body.category,
        plenary=body.plenary,
        organization=body.organization,
        committee=body.committee,
        sector=body.sector,
    )
    proposal = services.proposal_create(
        actor=user,
        council=council,
        title=body.title,
        reason=body.reason,
        analysis=body.analysis,
        suggestions=body.suggestions,
        kind=body.kind,
        category=refs["category"],
        tags=body.tags,
        plenary=refs["plenary"],
        organization=refs["organization"],
        committee=refs["committee"],
        sector=refs["sector"],
    )
    return 201, proposal


@router.patch(
    "/proposals/{proposal_id}",
    response={200: ProposalStateOut, **RESPONSES},
    summary=gettext_lazy("修改提案草稿"),
    description=gettext_lazy("只改请求中给出的字段;草稿(含退回修改的)才能修改。"),
)
def proposal_update(request, proposal_id: int, body: ProposalPatch):
    user = request.auth
    proposal = selectors.proposal_for(user, proposal_id, "edit")
    data = body.dict(exclude_unset=True)
    expected = data.pop("expected_version")
    if "category" in data:
        data["category"] = selectors.proposal_references(proposal.council, category=data["category"])[
            "category"
        ]
    return services.proposal_update(actor=user, proposal=proposal, data=data, expected_version=expected)


# --- proposal actions -------------------------------------------------------------------------------------


def _action(
    verb: str, summary: str, description: str = "", *, status: int = 200, out: Any = ProposalStateOut
):
    return router.post(
        f"/proposals/{{proposal_id}}/actions/{verb}",
        response={status: out, **RESPONSES},
        summary=summary,
        description=description,
        operation_id=f"proposal_action_{verb}",
    )


@_action("submit", gettext_lazy("提交提案"), gettext_lazy("联名提案须至少有一位委员已接受联名。"))
def action_submit(request, proposal_id: int, body: VersionIn):
    p = selectors.proposal_for(request.auth, proposal_id, "submit")
    return services.proposal_submit(actor=request.auth, proposal=p, expected_version=body.expected_version)


@_action("withdraw", gettext_lazy("撤案"), gettext_lazy("提案人在立案前撤回提案。"))
def action_withdraw(request, proposal_id: int, body: WithdrawIn):
    p = selectors.proposal_for(request.auth, proposal_id, "withdraw")
    return services.proposal_withdraw(
        actor=request.auth, proposal=p, reason=body.reason, expected_version=body.expected_version
    )


@_action(
    "cosign_invite", gettext_lazy("邀请联名"), gettext_lazy("按委员或委员组邀请联名,只适用于联名提案草稿。")
)
def action_cosign_invite(request, proposal_id: int, body: CosignInviteIn):
    p = selectors.proposal_for(request.auth, proposal_id, "cosign_invite")
    refs = selectors.proposal_references(p.council, members=body.members, group=body.group)
    services.proposal_cosign_invite(
        actor=request.auth,
        proposal=p,
        members=list(refs["members"].values()),
        group=refs["group"],
        deadline=body.deadline,
        expected_version=body.expected_version,
    )
    return selectors.proposal_for(request.auth, proposal_id)


@_action("return_for_revision", gettext_lazy("退回修改"))
def action_return_for_revision(request, proposal_id: int, body: ReturnIn):
    p = selectors.proposal_for(request.auth, proposal_id, "return_for_revision")
    return services.proposal_return_for_revision(
        actor=request.auth, proposal=p, comments=body.comments, expected_version=body.expected_version
    )


@_action(
    "decline", gettext_lazy("不予立案"), gettext_lazy("理由须为本会设置的不予立案理由之一,并选择处理方式。")
)
def action_decline(request, proposal_id: int, body: DeclineIn):
    p = selectors.proposal_for(request.auth, proposal_id, "decline")
    return services.proposal_decline(
        actor=request.auth,
        proposal=p,
        reason=body.reason,
        disposition=body.disposition,
        note=body.note,
        conversion_consent=body.conversion_consent,
        expected_version=body.expected_version,
    )


@_action("merge", gettext_lazy("并案"), gettext_lazy("把 merged 中的提案并入本提案(主案),一并办理、答复。"))
def action_merge(request, proposal_id: int, body: MergeIn):
    p = selectors.proposal_for(request.auth, proposal_id, "merge")
    refs = selectors.proposal_references(p.council, proposals=body.merged)
    return services.proposal_merge(
        actor=request.auth,
        proposal=p,
        merged=list(refs["proposals"].values()),
        note=body.note,
        expected_version=body.expected_version,
    )


@_action("file", gettext_lazy("立案"), gettext_lazy("给出连续不重号的案号。"))
def action_file(request, proposal_id: int, body: FileIn):
    p = selectors.proposal_for(request.auth, proposal_id, "file")
    refs = selectors.proposal_references(p.council, category=body.category)
    return services.proposal_file(
        actor=request.auth,
        proposal=p,
        category=refs["category"],
        tags=body.tags,
        expected_version=body.expected_version,
    )


def _assign_kwargs(council, body: AssignIn) -> dict[str, Any]:
    refs = selectors.proposal_references(
        council,
        units=[u for u in [body.lead_unit, *body.co_units, *body.separate_units] if u is not None],
        leaders=body.supervising_leaders or [],
    )
    units = refs["units"]
    return {
        "lead_unit": units[body.lead_unit] if body.lead_unit is not None else None,
        "co_units": [units[u] for u in body.co_units],
        "separate_units": [units[u] for u in body.separate_units],
        "months": body.months,
        "is_key": body.is_key,
        "supervising_leaders": (
            None
            if body.supervising_leaders is None
            else [refs["leaders"][u] for u in body.supervising_leaders]
        ),
        "expected_version": body.expected_version,
    }


@_action(
    "assign",
    gettext_lazy("交办"),
    gettext_lazy("一个主办单位,可另有协办、分办单位;办理期限默认按本会设置。"),
)
def action_assign(request, proposal_id: int, body: AssignIn):
    p = selectors.proposal_for(request.auth, proposal_id, "assign")
    return services.proposal_assign(actor=request.auth, proposal=p, **_assign_kwargs(p.council, body))


@_action("set_key", gettext_lazy("设置重点提案"), gettext_lazy("可同时指定督办领导。"))
def action_set_key(request, proposal_id: int, body: SetKeyIn):
    p = selectors.proposal_for(request.auth, proposal_id, "set_key")
    refs = selectors.proposal_references(p.council, leaders=body.supervising_leaders)
    return services.proposal_set_key(
        actor=request.auth,
        proposal=p,
        is_key=body.is_key,
        supervising_leaders=[refs["leaders"][u] for u in body.supervising_leaders],
        expected_version=body.expected_version,
    )


@_action("rehandle", gettext_lazy("重新办理"), gettext_lazy("有不满意的评价时,重新办理一次。"))
def action_rehandle(request, proposal_id: int, body: NoteIn):
    p = selectors.proposal_for(request.auth, proposal_id, "rehandle")
    return services.proposal_rehandle(
        actor=request.auth, proposal=p, note=body.note, expected_version=body.expected_version
    )


@_action("close", gettext_lazy("办结"), gettext_lazy("全部评价已收回或评价期限已过;B 类承诺转为回头看事项。"))
def action_close(request, proposal_id: int, body: VersionIn):
    p = selectors.proposal_for(request.auth, proposal_id, "close")
    return services.proposal_close(actor=request.auth, proposal=p, expected_version=body.expected_version)


@_action(
    "reopen",
    gettext_lazy("重启办理"),
    gettext_lazy(
        "办理结果均为C类的已办结提案,在答复以后的年度条件发生变化时重启办理:原交办结束,提案回到已立案、待重新交办。"
    ),
)
def action_reopen(request, proposal_id: int, body: ReopenIn):
    p = selectors.proposal_for(request.auth, proposal_id, "reopen")
    return services.proposal_reopen(
        actor=request.auth, proposal=p, reason=body.reason, expected_version=body.expected_version
    )


@_action("set_public", gettext_lazy("设置公开"))
def action_set_public(request, proposal_id: int, body: PublicIn):
    p = selectors.proposal_for(request.auth, proposal_id, "set_public")
    return services.proposal_set_public(
        actor=request.auth, proposal=p, is_public=body.is_public, expected_version=body.expected_version
    )


@_action(
    "mark_excellent",
    gettext_lazy("撤销优秀提案"),
    gettext_lazy(
        "更正:撤销优秀提案标记,须写明理由。评定优秀提案须经年度评选(/selections),is_excellent 为 true 时返回 400。"
    ),
)
def action_mark_excellent(request, proposal_id: int, body: ExcellentIn):
    p = selectors.proposal_for(request.auth, proposal_id, "mark_excellent")
    return services.proposal_mark_excellent(
        actor=request.auth,
        proposal=p,
        is_excellent=body.is_excellent,
        reason=body.reason,
        expected_version=body.expected_version,
    )


@_action("conversion_consent", gettext_lazy("答复是否同意转为社情民意信息"))
def action_conversion_consent(request, proposal_id: int, body: ConsentIn):
    p = selectors.proposal_for(request.auth, proposal_id, "consent_conversion")
    return services.proposal_give_conversion_consent(
        actor=request.auth, proposal=p, consent=body.consent, expected_version=body.expected_version
    )


@_action("convert_to_opinion", gettext_lazy("转为社情民意信息"), gettext_lazy("须经提案人同意。"))
def action_convert_to_opinion(request, proposal_id: int, body: VersionIn):
    p = selectors.proposal_for(request.auth, proposal_id, "convert_to_opinion")
    return services.proposal_convert_to_opinion(
        actor=request.auth, proposal=p, expected_version=body.expected_version
    )


# --- units' work on an assignment -------------------------------------------------------------------------


def _unit_action(verb: str, summary: str, out: Any, status: int = 200, description: str = ""):
    return router.post(
        f"/assignments/{{assignment_id}}/actions/{verb}",
        response={status: out, **RESPONSES},
        summary=summary,
        description=description,
        operation_id=f"assignment_action_{verb}",
    )


@_unit_action(
    "request_adjustment",
    gettext_lazy("申请调整"),
    AdjustmentRequestOut,
    201,
    gettext_lazy("在申请调整期限内,说明理由,可建议承办单位。"),
)
def action_request_adjustment(request, assignment_id: int, body: AdjustmentIn):
    a = selectors.assignment_for(request.auth, assignment_id, "request_adjustment")
    return 201, services.proposal_request_adjustment(
        actor=request.auth, assignment=a, reason=body.reason, suggested_unit=body.suggested_unit
    )


@_unit_action("record_contact", gettext_lazy("记录沟通"), ContactOut, 201)
def action_record_contact(request, assignment_id: int, body: ContactIn):
    a = selectors.assignment_for(request.auth, assignment_id, "record_contact")
    refs = selectors.proposal_references(a.proposal.council, members=body.members_met)
    return 201, services.proposal_record_contact(
        actor=request.auth,
        assignment=a,
        date=body.date,
        method=body.method,
        summary=body.summary,
        people=body.people,
        members_met=list(refs["members"].values()),
        collective_met=body.collective_met,
        expected_version=body.expected_version,
    )


@_unit_action("co_opinion", gettext_lazy("提出协办意见"), AssignmentOut)
def action_co_opinion(request, assignment_id: int, body: CoOpinionIn):
    a = selectors.assignment_for(request.auth, assignment_id, "give_co_opinion")
    return services.proposal_give_co_opinion(
        actor=request.auth, assignment=a, opinion=body.opinion, expected_version=body.expected_version
    )


@_unit_action("request_extension", gettext_lazy("申请延期"), ExtensionRequestOut, 201)
def action_request_extension(request, assignment_id: int, body: ExtensionIn):
    a = selectors.assignment_for(request.auth, assignment_id, "request_extension")
    return 201, services.proposal_request_extension(
        actor=request.auth, assignment=a, reason=body.reason, requested_deadline=body.requested_deadline
    )


@_unit_action(
    "draft_reply",
    gettext_lazy("拟写答复"),
    ReplyOut,
    description=gettext_lazy("保存本轮答复草稿(可反复修改);B 类须列明承诺事项及完成时限。"),
)
def action_draft_reply(request, assignment_id: int, body: DraftReplyIn):
    a = selectors.assignment_for(request.auth, assignment_id, "draft_reply")
    return services.proposal_draft_reply(
        actor=request.auth,
        assignment=a,
        body=body.body,
        result=body.result,
        commitments=[c.dict() for c in body.commitments],
        expected_version=body.expected_version,
    )


# --- replies ----------------------------------------------------------------------------------------------


@router.post(
    "/replies/{reply_id}/actions/submit",
    response={200: ReplyOut, **RESPONSES},
    summary=gettext_lazy("提交答复"),
    description=gettext_lazy("有协办单位时先会签,否则直接送督办审核。"),
)
def reply_submit(request, reply_id: int, body: ReplySubmitIn):
    r = selectors.reply_for(request.auth, reply_id, "submit_reply")
    return services.proposal_submit_reply(actor=request.auth, reply=r, expected_version=body.expected_version)


@router.post(
    "/replies/{reply_id}/actions/countersign",
    response={200: CountersignatureOut, **RESPONSES},
    summary=gettext_lazy("会签答复"),
    description=gettext_lazy("协办单位会签主办单位的答复,或退回意见。"),
)
def reply_countersign(request, reply_id: int, body: CountersignIn):
    cs = selectors.reply_countersignature_for(request.auth, reply_id)
    return services.proposal_countersign(
        actor=request.auth, countersignature=cs, sign=body.sign, comment=body.comment
    )


@router.post(
    "/replies/{reply_id}/actions/review",
    response={200: ReplyOut, **RESPONSES},
    summary=gettext_lazy("督办审核答复"),
    description=gettext_lazy("审定(可改定办理结果分类)或退回;全部答复审定后提案即为已答复。"),
)
def reply_review(request, reply_id: int, body: ReviewIn):
    r = selectors.reply_for(request.auth, reply_id, "supervise_review")
    return services.proposal_supervise_review(
        actor=request.auth,
        reply=r,
        approve=body.approve,
        result=body.result,
        note=body.note,
        expected_version=body.expected_version,
    )


@router.get(
    "/replies/to-review",
    response={200: list[ReplyQueueOut], **RESPONSES},
    summary=gettext_lazy("待督办审核的答复"),
)
@paginate(LimitOffsetPagination)
def replies_to_review(request):
    user = request.auth
    if not perms.proposal_staff_grants(user) and not org_permissions.has_role(
        user, org_permissions.R.SUPERVISOR
    ):
        raise PermissionDenied
    return selectors.replies_to_review(user).prefetch_related("countersignatures__assignment__unit")


# --- co-signatures ----------------------------------------------------------------------------------------


@router.get(
    "/cosignatures/mine",
    response={200: list[CosignInvitationOut], **RESPONSES},
    summary=gettext_lazy("待答复的联名邀请"),
)
@paginate(LimitOffsetPagination)
def cosignatures_mine(request):
    if perms.member_of(request.auth) is None:
        raise PermissionDenied
    return selectors.cosign_invitations(request.auth).select_related("member")


def _cosign_action(verb: str, summary: str):
    return router.post(
        f"/cosignatures/{{cosignature_id}}/actions/{verb}",
        response={200: CoSignatureOut, **RESPONSES},
        summary=summary,
        operation_id=f"cosignature_action_{verb}",
    )


@_cosign_action("accept", gettext_lazy("接受联名"))
def cosignature_accept(request, cosignature_id: int):
    c = selectors.cosignature_for(request.auth, cosignature_id, "cosign_respond")
    return services.cosignature_accept(actor=request.auth, cosignature=c)


@_cosign_action("decline", gettext_lazy("谢绝联名"))
def cosignature_decline(request, cosignature_id: int):
    c = selectors.cosignature_for(request.auth, cosignature_id, "cosign_respond")
    return services.cosignature_decline(actor=request.auth, cosignature=c)


@_cosign_action("withdraw", gettext_lazy("取消联名邀请"))
def cosignature_withdraw(request, cosignature_id: int):
    c = selectors.cosignature_for(request.auth, cosignature_id, "cosign_withdraw")
    return services.cosignature_withdraw(actor=request.auth, cosignature=c)


# --- evaluations ------------------------------------------------------------------------------------------


@router.get(
    "/evaluations/due",
    response={200: list[EvaluationDueOut], **RESPONSES},
    summary=gettext_lazy("待评价的答复"),
)
@paginate(LimitOffsetPagination)
def evaluations_due(request):
    user = request.auth
    if perms.member_of(user) is None and not perms.agent_scopes(user):
        raise PermissionDenied
    return selectors.evaluations_due(user)


@router.post(
    "/evaluations/{evaluation_id}/actions/evaluate",
    response={200: EvaluationOut, **RESPONSES},
    summary=gettext_lazy("满意度评价"),
    description=gettext_lazy(
        "提案人对办理工作和办理结果分别评价;工作人员可录入纸质评价(on_paper=true)。承办单位不能评价。"
    ),
)
def evaluation_evaluate(request, evaluation_id: int, body: EvaluateIn):
    action = "evaluate_on_paper" if body.on_paper else "evaluate"
    e = selectors.evaluation_for(request.auth, evaluation_id, action)
    return services.proposal_evaluate(
        actor=request.auth,
        evaluation=e,
        work_rating=body.work_rating,
        result_rating=body.result_rating,
        consulted=body.consulted,
        comment=body.comment,
        on_paper=body.on_paper,
        expected_version=body.expected_version,
    )


# --- adjustment and extension requests --------------------------------------------------------------------


@router.get(
    "/adjustment-requests",
    response={200: list[AdjustmentRequestOut], **RESPONSES},
    summary=gettext_lazy("待审批的调整申请"),
)
@paginate(LimitOffsetPagination)
def adjustment_requests_pending(request):
    if not perms.proposal_staff_grants(request.auth):
        raise PermissionDenied
    return selectors.adjustment_requests_pending(request.auth)


@router.post(
    "/adjustment-requests/{request_id}/actions/decide",
    response={200: AdjustmentRequestOut, **RESPONSES},
    summary=gettext_lazy("审批调整申请"),
    description=gettext_lazy("同意后该单位的交办结束,须另行交办。"),
)
def adjustment_request_decide(request, request_id: int, body: DecideIn):
    r = selectors.adjustment_request_for(request.auth, request_id)
    return services.proposal_decide_adjustment(
        actor=request.auth, request=r, grant=body.grant, note=body.note
    )


@router.get(
    "/extension-requests",
    response={200: list[ExtensionRequestOut], **RESPONSES},
    summary=gettext_lazy("待审批的延期申请"),
)
@paginate(LimitOffsetPagination)
def extension_requests_pending(request):
    if not perms.proposal_staff_grants(request.auth):
        raise PermissionDenied
    return selectors.extension_requests_pending(request.auth)


@router.post(
    "/extension-requests/{request_id}/actions/decide",
    response={200: ExtensionRequestOut, **RESPONSES},
    summary=gettext_lazy("审批延期申请"),
)
def extension_request_decide(request, request_id: int, body: ExtensionDecideIn):
    r = selectors.extension_request_for(request.auth, request_id)
    return services.proposal_decide_extension(
        actor=request.auth, request=r, grant=body.grant, note=body.note, deadline=body.deadline
    )


# --- the unit's inbox -------------------------------------------------------------------------------------


class InboxParams(Schema):
    limit: int = Field(50, ge=1, le=200, description=gettext_lazy("每组最多列出的条数"))


@router.get(
    "/units/me/inbox",
    response={200: InboxOut, **RESPONSES},
    summary=gettext_lazy("本单位待办"),
    description=gettext_lazy(
        "承办单位的提案分组:新交办(申请调整期内)、办理中、即将到期(7天内)、已超期、重新办理;"
        "每组给出总数 count 和前 limit 条。"
    ),
)
def unit_inbox(request, params: Query[InboxParams]):
    user = request.auth
    if not perms.unit_ids(user):
        raise PermissionDenied
    buckets = selectors.unit_inbox_ids(user)
    shown = [pk for ids in buckets.values() for pk in ids[: params.limit]]
    rows = {a.pk: a for a in selectors.unit_inbox_rows(user, shown)}
    return {
        name: {"count": len(ids), "items": [rows[pk] for pk in ids[: params.limit] if pk in rows]}
        for name, ids in buckets.items()
    }
