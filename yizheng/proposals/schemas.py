"""The shapes of the proposals API: what /api/v1/proposals… answers, the filters of each list and the typed
body of every action. Field names follow GLOSSARY.md; states and kinds are the workflow's values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from yizheng.org.schemas import Q_MAX_LENGTH, Ref, choice

from .models import AdjustmentRequest, ContactRecord, CoSignature, Proposal
from .workflow import (
    AssignmentRole,
    CountersignStatus,
    Disposition,
    EvaluationStatus,
    Kind,
    Rating,
    ReplyStatus,
    State,
    Window,
)

ProposalState = choice(State)
ProposalKind = choice(Kind)
ProposalWindow = choice(Window)
Role = choice(AssignmentRole)
ReplyStatusValue = choice(ReplyStatus)
CountersignStatusValue = choice(CountersignStatus)
EvaluationStatusValue = choice(EvaluationStatus)
RatingValue = choice(Rating)
DispositionValue = choice(Disposition)
CoSignatureStatus = choice(CoSignature.Status)
RequestStatus = choice(AdjustmentRequest.Status)
ContactMethod = choice(ContactRecord.Method)

VERSION_HELP = _("读取时的版本号(version);他人已修改时返回 409,不作任何修改")
OPTIONAL_VERSION_HELP = _("提案读取时的版本号(version),可不填;给出且他人已修改时返回 409,不作任何修改")


def _ref(obj) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj.name)}


# --- proposals --------------------------------------------------------------------------------------------


class ProposalOut(Schema):
    id: int
    council: Ref
    year: int
    window: ProposalWindow
    kind: ProposalKind
    state: ProposalState
    title: str
    submitter: str = Field(description=_("领衔人,或集体提案的党派团体、专委会、界别"))
    lead_member: Ref | None
    category: Ref | None
    case_scope: str
    case_number: int | None
    is_key: bool
    is_public: bool
    is_excellent: bool
    round: int = Field(description=_("办理轮次:1,重新办理后为 2"))
    is_overdue: bool = Field(description=_("有承办单位超过办理期限仍未答复"))
    next_deadline: dt.date | None = Field(description=_("尚未答复的主办、分办单位中最早的办理期限"))
    submitted_at: dt.datetime | None
    filed_at: dt.datetime | None
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    updated_at: dt.datetime
    version: int

    @staticmethod
    def resolve_submitter(obj: Proposal) -> str:
        return obj.submitter_label

    @staticmethod
    def resolve_lead_member(obj: Proposal):
        return _ref(obj.lead_member)

    @staticmethod
    def resolve_category(obj: Proposal):
        return _ref(obj.category)


class SubmitterOut(Schema):
    source_id: int = Field(description=_("所属提案(并案时为被并入的提案)"))
    member: Ref | None = Field(description=_("委员;集体提案为空"))
    label: str


class CoSignatureOut(Schema):
    id: int
    proposal_id: int
    member: Ref
    status: CoSignatureStatus
    invited_at: dt.datetime
    responded_at: dt.datetime | None


class AssignmentOut(Schema):
    id: int
    proposal_id: int
    unit: Ref
    role: Role
    assigned_at: dt.datetime
    deadline: dt.date
    deadline_provisional: bool = Field(description=_("该年度法定节假日安排尚未公布,按工作日暂算"))
    adjustment_deadline: dt.date
    first_contact_deadline: dt.date | None
    opinion: str
    opinion_at: dt.datetime | None
    opinion_deadline: dt.date | None
    extended: bool
    round: int
    active: bool
    is_overdue: bool = False


class CountersignatureOut(Schema):
    id: int
    unit: Ref
    status: CountersignStatusValue
    comment: str
    signed_at: dt.datetime | None

    @staticmethod
    def resolve_unit(obj):
        return _ref(obj.assignment.unit)


class ReplyOut(Schema):
    id: int
    proposal_id: int
    assignment_id: int
    unit: Ref
    round: int
    result: str = Field(description=_("办理结果分类,如 A / B / C"))
    body: str
    commitments: list[dict[str, Any]] = Field(description=_("承诺事项 [{text, due}]"))
    status: ReplyStatusValue
    submitted_at: dt.datetime | None
    supervisor_note: str
    reviewed_at: dt.datetime | None
    published_at: dt.datetime | None
    countersignatures: list[CountersignatureOut]

    @staticmethod
    def resolve_unit(obj):
        return _ref(obj.assignment.unit)

    @staticmethod
    def resolve_countersignatures(obj) -> list:
        return list(obj.countersignatures.all())


class EvaluationOut(Schema):
    id: int
    proposal_id: int
    reply_id: int
    source_id: int
    member: Ref | None = Field(description=_("评价的委员;集体提案为空"))
    round: int
    status: EvaluationStatusValue
    work_rating: str = Field(description=_("对办理工作的评价"))
    result_rating: str = Field(description=_("对办理结果的评价"))
    consulted: bool | None
    comment: str
    on_paper: bool
    rated_at: dt.datetime | None
    deadline: dt.date

    @staticmethod
    def resolve_member(obj):
        return _ref(obj.member)


class ProposalLinks(Schema):
    self: str = Field(description=_("草稿全文(GET)与修改(PATCH)"))
    submit: str = Field(description=_("提交(POST,带 expected_version)"))
    timeline: str


class ProposalCreatedOut(Schema):
    """What creating a draft answers: enough to submit it or edit it (GET `links.self` for the whole draft)."""

    id: int
    state: ProposalState
    version: int
    links: ProposalLinks

    @staticmethod
    def resolve_links(obj) -> dict[str, str]:
        base = f"/api/v1/proposals/{obj.pk}"
        return {"self": base, "submit": f"{base}/actions/submit", "timeline": f"{base}/timeline"}


class ProposalDetailOut(ProposalOut):
    case_label: str = Field(description=_("案号,如 第0001号"))
    plenary: Ref | None
    reason: str = Field(description=_("案由(经过清理的 HTML)"))
    analysis: str = Field(description=_("情况分析(经过清理的 HTML)"))
    suggestions: str = Field(description=_("具体建议(经过清理的 HTML)"))
    tags: list[str]
    organization: Ref | None
    committee: Ref | None
    sector: Ref | None
    cosign_deadline: dt.datetime | None
    merged_into_id: int | None
    decline_reason: str
    review_note: str
    disposition: str
    conversion_consent: bool | None
    awaiting_conversion: bool
    submitters: list[SubmitterOut]
    cosignatures: list[CoSignatureOut]
    assignments: list[AssignmentOut]
    replies: list[ReplyOut] = Field(description=_("提案人只看到已审定的答复"))
    evaluations: list[EvaluationOut] = Field(description=_("提案人只看到自己的评价"))
    allowed_actions: list[str] = Field(description=_("本人现在可以执行的操作"))

    @staticmethod
    def resolve_case_label(obj) -> str:
        return obj.detail_case_label

    @staticmethod
    def resolve_plenary(obj):
        return None if obj.plenary is None else {"id": obj.plenary.pk, "name": str(obj.plenary)}

    @staticmethod
    def resolve_organization(obj):
        return _ref(obj.organization)

    @staticmethod
    def resolve_committee(obj):
        return _ref(obj.committee)

    @staticmethod
    def resolve_sector(obj):
        return _ref(obj.sector)

    @staticmethod
    def resolve_submitters(obj) -> list:
        return [
            {
                "source_id": source.pk,
                "member": _ref(member),
                "label": member.name if member else source.submitter_label,
            }
            for source, member in obj.detail_submitters
        ]

    @staticmethod
    def resolve_cosignatures(obj) -> list:
        return obj.detail_cosignatures

    @staticmethod
    def resolve_assignments(obj) -> list:
        return obj.detail_assignments

    @staticmethod
    def resolve_replies(obj) -> list:
        return obj.detail_replies

    @staticmethod
    def resolve_evaluations(obj) -> list:
        return obj.detail_evaluations

    @staticmethod
    def resolve_allowed_actions(obj) -> list:
        return obj.detail_allowed_actions


class AttachmentOut(Schema):
    id: int
    name: str = Field(description=_("原文件名"))
    content_type: str
    size: int = Field(description=_("字节数"))
    uploaded_at: dt.datetime
    download: str = Field(description=_("下载地址(API)"))

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.original_name

    @staticmethod
    def resolve_download(obj) -> str:
        return f"/api/v1/proposals/{obj.proposal_id}/attachments/{obj.pk}/file"


class EventOut(Schema):
    seq: int
    occurred_at: dt.datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    payload: dict[str, Any]

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor_label or (str(obj.actor) if obj.actor_id else "")


class ProposalFilters(Schema):
    year: int | None = Field(None, description=_("年度"))
    state: ProposalState | None = Field(None, description=_("状态"))
    kind: ProposalKind | None = Field(None, description=_("提案类型"))
    category: int | None = Field(None, description=_("提案分类编号"))
    unit: int | None = Field(None, description=_("承办单位编号(现承办的)"))
    is_key: bool | None = Field(None, description=_("是否重点提案"))
    overdue: bool | None = Field(None, description=_("是否超期"))
    q: str | None = Field(None, max_length=Q_MAX_LENGTH, description=_("按标题、领衔人或集体名称搜索"))


# --- drafting ---------------------------------------------------------------------------------------------


class ProposalIn(Schema):
    council: int = Field(description=_("政协组织编号"))
    title: str = Field(max_length=200, description=_("标题,如 关于……的提案"))
    reason: str = Field("", description=_("案由(HTML,会被清理)"))
    analysis: str = Field("", description=_("情况分析(HTML,会被清理)"))
    suggestions: str = Field("", description=_("具体建议(HTML,会被清理)"))
    kind: ProposalKind = Kind.INDIVIDUAL
    category: int | None = Field(None, description=_("提案分类编号"))
    tags: list[str] = Field(default_factory=list, max_length=10)
    plenary: int | None = Field(None, description=_("全体会议编号"))
    organization: int | None = Field(None, description=_("集体提案:党派团体编号"))
    committee: int | None = Field(None, description=_("集体提案:专委会编号"))
    sector: int | None = Field(None, description=_("集体提案:界别编号"))


class ProposalPatch(Schema):
    expected_version: int = Field(description=VERSION_HELP)
    title: str | None = Field(None, max_length=200)
    reason: str | None = None
    analysis: str | None = None
    suggestions: str | None = None
    kind: ProposalKind | None = None
    category: int | None = None
    tags: list[str] | None = Field(None, max_length=10)


# --- proposal actions -------------------------------------------------------------------------------------


class VersionIn(Schema):
    expected_version: int = Field(description=VERSION_HELP)


class WithdrawIn(VersionIn):
    reason: str = ""


class ReturnIn(VersionIn):
    comments: str = Field(description=_("退回修改的意见"))


class DeclineIn(VersionIn):
    reason: str = Field(description=_("不予立案理由,须为本会设置的理由之一"))
    disposition: DispositionValue
    note: str = ""
    conversion_consent: bool | None = Field(None, description=_("提案人是否已同意转为社情民意信息"))


class MergeIn(VersionIn):
    merged: list[int] = Field(min_length=1, description=_("并入本提案的提案编号"))
    note: str = ""


class FileIn(VersionIn):
    category: int | None = Field(None, description=_("提案分类编号"))
    tags: list[str] | None = Field(None, max_length=10)


class AssignIn(VersionIn):
    lead_unit: int | None = Field(None, description=_("主办单位编号"))
    co_units: list[int] = Field(default_factory=list, description=_("协办单位编号"))
    separate_units: list[int] = Field(default_factory=list, description=_("分办单位编号"))
    months: int | None = Field(None, description=_("办理期限(月),默认按本会设置"))
    is_key: bool | None = None
    supervising_leaders: list[int] | None = Field(None, description=_("督办领导的账号编号"))


class AssignBatchItem(AssignIn):
    proposal: int = Field(description=_("提案编号"))


class AssignBatchIn(Schema):
    items: list[AssignBatchItem] = Field(min_length=1, max_length=200)


class SetKeyIn(VersionIn):
    is_key: bool
    supervising_leaders: list[int] = Field(default_factory=list, description=_("督办领导的账号编号"))


class NoteIn(VersionIn):
    note: str = ""


class ReopenIn(VersionIn):
    reason: str = Field(description=_("重启办理的理由(条件发生的变化)"))


class PublicIn(VersionIn):
    is_public: bool


class ExcellentIn(VersionIn):
    is_excellent: bool = False
    reason: str = ""


class ConsentIn(VersionIn):
    consent: bool


class CosignInviteIn(VersionIn):
    members: list[int] = Field(default_factory=list, description=_("委员编号"))
    group: int | None = Field(None, description=_("委员组编号:邀请组内全体委员"))
    deadline: dt.datetime | None = Field(None, description=_("联名截止时间,默认按本会设置"))


# --- units' work ------------------------------------------------------------------------------------------


class AdjustmentIn(Schema):
    reason: str
    suggested_unit: str = Field("", max_length=100)


class ContactIn(Schema):
    date: dt.date
    method: ContactMethod
    summary: str
    people: str = Field("", max_length=200)
    members_met: list[int] = Field(default_factory=list, description=_("沟通的提案人(委员编号)"))
    collective_met: bool = False
    expected_version: int | None = Field(None, description=OPTIONAL_VERSION_HELP)


class CoOpinionIn(Schema):
    opinion: str
    expected_version: int | None = Field(None, description=OPTIONAL_VERSION_HELP)


class ExtensionIn(Schema):
    reason: str
    requested_deadline: dt.date


class CommitmentIn(Schema):
    text: str
    due: dt.date


class DraftReplyIn(Schema):
    expected_version: int | None = Field(None, description=VERSION_HELP)
    body: str = Field("", description=_("答复内容(HTML,会被清理)"))
    result: str = Field("", max_length=4, description=_("办理结果分类,如 A / B / C"))
    commitments: list[CommitmentIn] = Field(default_factory=list)


class ReplySubmitIn(Schema):
    expected_version: int | None = Field(None, description=VERSION_HELP)


class CountersignIn(Schema):
    sign: bool = Field(description=_("true 会签;false 退回意见"))
    comment: str = ""


class ReviewIn(Schema):
    expected_version: int | None = Field(None, description=VERSION_HELP)
    approve: bool = Field(description=_("true 审定(全部答复审定后即答复提案人);false 退回承办单位"))
    result: str | None = Field(None, max_length=4, description=_("改定的办理结果分类"))
    note: str = ""


class EvaluateIn(Schema):
    expected_version: int | None = Field(None, description=VERSION_HELP)
    work_rating: RatingValue
    result_rating: RatingValue
    consulted: bool | None = None
    comment: str = ""
    on_paper: bool = Field(False, description=_("工作人员录入纸质评价"))


class DecideIn(Schema):
    grant: bool
    note: str = ""


class ExtensionDecideIn(DecideIn):
    deadline: dt.date | None = Field(None, description=_("批准的新期限,默认为申请的期限"))


# --- requests, inbox --------------------------------------------------------------------------------------


class ProposalRef(Schema):
    id: int
    title: str
    state: ProposalState
    case_number: int | None
    year: int


class AdjustmentRequestOut(Schema):
    id: int
    assignment_id: int
    proposal: ProposalRef
    unit: Ref
    reason: str
    suggested_unit: str
    status: RequestStatus
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    note: str

    @staticmethod
    def resolve_proposal(obj):
        return obj.assignment.proposal

    @staticmethod
    def resolve_unit(obj):
        return _ref(obj.assignment.unit)


class ExtensionRequestOut(AdjustmentRequestOut):
    suggested_unit: str = ""
    requested_deadline: dt.date
    granted_deadline: dt.date | None


class ContactOut(Schema):
    id: int
    assignment_id: int
    date: dt.date
    method: ContactMethod
    people: str
    summary: str
    collective_met: bool


class InboxItemOut(Schema):
    id: int
    proposal: ProposalRef
    unit: Ref
    role: Role
    due: dt.date | None = Field(description=_("本单位的期限:主办、分办为办理期限,协办为协办意见期限"))
    deadline_provisional: bool
    adjustment_deadline: dt.date
    round: int

    @staticmethod
    def resolve_unit(obj):
        return _ref(obj.unit)

    @staticmethod
    def resolve_deadline_provisional(obj) -> bool:
        if obj.role == AssignmentRole.CO:
            return obj.opinion_deadline_provisional
        return obj.deadline_provisional


class InboxBucketOut(Schema):
    count: int
    items: list[InboxItemOut]


class InboxOut(Schema):
    new: InboxBucketOut
    handling: InboxBucketOut
    due_soon: InboxBucketOut
    overdue: InboxBucketOut
    rehandle: InboxBucketOut


class ReplyQueueOut(ReplyOut):
    proposal: ProposalRef


class CosignInvitationOut(CoSignatureOut):
    proposal: ProposalRef
    lead_member: Ref | None
    cosign_deadline: dt.datetime | None

    @staticmethod
    def resolve_lead_member(obj):
        return _ref(obj.proposal.lead_member)

    @staticmethod
    def resolve_cosign_deadline(obj):
        return obj.proposal.cosign_deadline


class EvaluationDueOut(EvaluationOut):
    proposal: ProposalRef
    unit: Ref

    @staticmethod
    def resolve_unit(obj):
        return _ref(obj.reply.assignment.unit)
