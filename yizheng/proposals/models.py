"""Proposals (提案): configuration, the proposal with its co-signers and attachments, the routing to units
(assignments), the units' work (adjustment and extension requests, contacts, replies, countersignatures) and the
submitters' evaluations.

State changes happen only through `services.py`; the rules they follow are in `workflow.py`. Invariants that
the database can hold are declared here as constraints.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import selection_workflow as swf
from . import workflow as wf
from .workflow import (
    AssignmentRole,
    CaseScope,
    CountersignStatus,
    Disposition,
    EvaluationStatus,
    Kind,
    Rating,
    ReplyStatus,
    State,
    Window,
)

DEFAULT_RESULT_CLASSES = [
    {
        "code": "A",
        "label": "已解决或采纳",
        "description": "所提问题已经解决或基本解决,建议已被采纳",
        "requires_commitments": False,
    },
    {
        "code": "B",
        "label": "正在解决或列入计划",
        "description": "所提问题正在解决或已列入计划逐步解决,须写明承诺事项和完成时限",
        "requires_commitments": True,
    },
    {
        "code": "C",
        "label": "留作参考",
        "description": "因条件限制或其他原因暂时不能解决,须说明理由,留作参考",
        "requires_commitments": False,
    },
]

# The grounds on which the national CPPCC proposal regulations (《政协全国委员会提案工作条例》) say a proposal is
# not filed; councils may edit the list.
DEFAULT_DECLINE_REASONS = [
    "涉及党和国家秘密的",
    "涉及民族宗教等方面敏感问题、不宜公开提出的",
    "属于学术研究或商榷性问题的",
    "属于宣传、推介作者本人单位或他人作品、产品的",
    "属于个人或少数人诉求、涉及个人利益的",
    "属于司法诉讼或者行政复议案件的",
    "内容空泛、没有具体建议的",
    "一案多事的",
    "超出本级政协职权范围或者所提建议不属于本地区管辖的",
    "其他不宜作为提案的",
]

DEFAULT_CATEGORIES = ["经济建设", "政治建设", "文化建设", "社会建设", "生态文明建设", "党的建设和其他"]


def _default_reminder_days() -> list[int]:
    return [30, 7, 1]


def _default_result_classes() -> list[dict]:
    return [dict(c) for c in DEFAULT_RESULT_CLASSES]


def _default_decline_reasons() -> list[str]:
    return list(DEFAULT_DECLINE_REASONS)


class ProposalSettings(models.Model):
    """One row per council, created with the defaults on first use (services.proposal_settings_get)."""

    council = models.OneToOneField(
        "org.Council", on_delete=models.PROTECT, related_name="proposal_settings", verbose_name=_("政协组织")
    )
    case_number_format = models.CharField(_("案号格式"), max_length=40, default="{n:04d}")
    case_scope = models.CharField(
        _("案号编号范围"), max_length=16, choices=CaseScope.choices, default=CaseScope.PLENARY
    )
    handling_months = models.PositiveSmallIntegerField(_("办理期限(月)"), default=3)
    hard_case_max_months = models.PositiveSmallIntegerField(_("疑难提案最长办理期限(月)"), default=6)
    adjustment_window_days = models.PositiveSmallIntegerField(_("申请调整期限(工作日)"), default=5)
    first_contact_days = models.PositiveSmallIntegerField(_("首次沟通期限(工作日)"), default=10)
    co_opinion_months = models.PositiveSmallIntegerField(_("协办意见期限(月)"), default=1)
    evaluation_window_days = models.PositiveSmallIntegerField(_("评价期限(工作日)"), default=15)
    rehandle_months = models.PositiveSmallIntegerField(_("重新办理期限(月)"), default=1)
    cosign_days = models.PositiveSmallIntegerField(_("联名答复期限(天)"), default=7)
    reminder_days = models.JSONField(_("提醒天数"), default=_default_reminder_days)
    result_classes = models.JSONField(_("办理结果分类"), default=_default_result_classes)
    decline_reasons = models.JSONField(_("不予立案理由"), default=_default_decline_reasons)
    excellent_quota = models.PositiveSmallIntegerField(_("优秀提案名额(每年)"), default=10)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("提案工作设置")
        verbose_name_plural = _("提案工作设置")
        constraints = [
            models.CheckConstraint(
                condition=Q(handling_months__lte=models.F("hard_case_max_months")),
                name="proposal_settings_months_le_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.council} · {_('提案工作设置')}"

    def case_label(self, proposal: Proposal) -> str:
        return wf.case_label(self.case_number_format, proposal.case_number, proposal.year)


class Category(models.Model):
    """提案分类, per council, ordered."""

    council = models.ForeignKey(
        "org.Council",
        on_delete=models.PROTECT,
        related_name="proposal_categories",
        verbose_name=_("政协组织"),
    )
    name = models.CharField(_("名称"), max_length=40)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("提案分类")
        verbose_name_plural = _("提案分类")
        ordering = ["council", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["council", "name"], name="proposal_category_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class CaseCounter(models.Model):
    """The last case number given in one numbering sequence; locked by `file` so numbers have no gaps."""

    council = models.ForeignKey("org.Council", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=40)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["council", "scope"], name="case_counter_unique_scope")]

    def __str__(self) -> str:
        return f"{self.scope}: {self.last}"


class Proposal(models.Model):
    council = models.ForeignKey(
        "org.Council", on_delete=models.PROTECT, related_name="proposals", verbose_name=_("政协组织")
    )
    plenary = models.ForeignKey(
        "org.Plenary",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("全体会议"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    window = models.CharField(_("提出时间"), max_length=16, choices=Window.choices, default=Window.INTERIM)
    kind = models.CharField(_("提案类型"), max_length=16, choices=Kind.choices, default=Kind.INDIVIDUAL)
    lead_member = models.ForeignKey(
        "org.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_proposals",
        verbose_name=_("领衔人"),
    )
    organization = models.ForeignKey(
        "org.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("党派团体"),
    )
    committee = models.ForeignKey(
        "org.Committee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("专委会"),
    )
    sector = models.ForeignKey(
        "org.Sector",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("界别"),
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("撰写人")
    )
    title = models.CharField(_("标题"), max_length=200)
    reason = models.TextField(_("案由"), blank=True)
    analysis = models.TextField(_("情况分析"), blank=True)
    suggestions = models.TextField(_("具体建议"), blank=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("分类"),
    )
    tags = models.JSONField(_("标签"), default=list, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.DRAFT)
    case_number = models.PositiveIntegerField(_("案号"), null=True, blank=True)
    case_scope = models.CharField(_("编号范围"), max_length=40, blank=True)
    cosign_deadline = models.DateTimeField(_("联名截止时间"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_proposals",
        verbose_name=_("并入提案"),
    )
    decline_reason = models.CharField(_("不予立案理由"), max_length=100, blank=True)
    review_note = models.TextField(_("审查意见"), blank=True)
    disposition = models.CharField(_("处理方式"), max_length=24, choices=Disposition.choices, blank=True)
    conversion_consent = models.BooleanField(_("同意转为社情民意信息"), null=True, blank=True)
    awaiting_conversion = models.BooleanField(_("待转化"), default=False)
    conversion_requested_at = models.DateTimeField(_("申请转化时间"), null=True, blank=True)
    is_key = models.BooleanField(_("重点提案"), default=False)
    supervising_leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="supervised_proposals", verbose_name=_("督办领导")
    )
    is_public = models.BooleanField(_("公开"), default=False)
    is_excellent = models.BooleanField(_("优秀提案"), default=False)
    round = models.PositiveSmallIntegerField(_("办理轮次"), default=1)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    filed_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("提案")
        verbose_name_plural = _("提案")
        ordering = ["-year", "case_scope", "case_number", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["council", "case_scope", "case_number"],
                condition=Q(case_number__isnull=False),
                name="proposal_unique_case_number",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=Kind.COLLECTIVE, lead_member__isnull=True)
                    & (
                        Q(organization__isnull=False, committee__isnull=True, sector__isnull=True)
                        | Q(organization__isnull=True, committee__isnull=False, sector__isnull=True)
                        | Q(organization__isnull=True, committee__isnull=True, sector__isnull=False)
                    )
                )
                | (
                    ~Q(kind=Kind.COLLECTIVE)
                    & Q(lead_member__isnull=False, organization__isnull=True, committee__isnull=True)
                    & Q(sector__isnull=True)
                ),
                name="proposal_one_submitter",
            ),
            models.CheckConstraint(
                condition=(Q(state=State.MERGED) & Q(merged_into__isnull=False))
                | (~Q(state=State.MERGED) & Q(merged_into__isnull=True)),
                name="proposal_merged_iff_merged_into",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=sorted(wf.FILED_STATES)) | Q(case_number__isnull=False),
                name="proposal_filed_has_case_number",
            ),
            models.CheckConstraint(condition=Q(round__in=[1, 2]), name="proposal_round_1_or_2"),
        ]
        indexes = [
            models.Index(fields=["council", "year", "state"]),
            models.Index(fields=["council", "state"]),
            models.Index(fields=["lead_member", "state"]),
            # The list's year filter (selectors.proposal_years): first and next year of submitted proposals.
            models.Index(
                fields=["year", "council"],
                condition=Q(submitted_at__isnull=False),
                name="proposal_listed_year",
            ),
            # The staff list filtered by year and state, or year and category, in list order (LIST_ORDER) and
            # with the council for the scope: the page's count and ids are read from the index alone.
            models.Index(
                fields=["year", "state", "submitted_at", "id", "council"],
                condition=Q(submitted_at__isnull=False),
                name="proposal_list_state",
            ),
            models.Index(
                fields=["year", "category", "submitted_at", "id", "council"],
                condition=Q(submitted_at__isnull=False),
                name="proposal_list_category",
            ),
            # Proposals in handling (a few thousand of 100k): units' inboxes, overdue boards, reminders.
            models.Index(
                fields=["state"],
                condition=Q(state__in=sorted(wf.OPEN_HANDLING_STATES)),
                name="proposal_open_handling",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def submitter_label(self) -> str:
        if self.kind == Kind.COLLECTIVE:
            return str(self.organization or self.committee or self.sector or "")
        return str(self.lead_member or "")


class CoSignature(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited", _("待答复")
        ACCEPTED = "accepted", _("已接受")
        DECLINED = "declined", _("已谢绝")
        WITHDRAWN = "withdrawn", _("已取消")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="cosignatures")
    member = models.ForeignKey(
        "org.Member", on_delete=models.PROTECT, related_name="cosignatures", verbose_name=_("委员")
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.INVITED)
    via_group = models.ForeignKey(
        "org.MemberGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("邀请自委员组"),
    )
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(_("邀请时间"), auto_now_add=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("联名")
        verbose_name_plural = _("联名")
        ordering = ["proposal", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "member"], name="cosignature_unique_member"),
        ]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self) -> str:
        return f"{self.member} · {self.get_status_display()}"


class Attachment(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to="proposals/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"))
    content_type = models.CharField(_("类型"), max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["proposal", "id"]

    def __str__(self) -> str:
        return self.original_name


class Assignment(models.Model):
    """交办: one unit's part in handling a proposal. Deadlines keep the rule they came from (`rules`), so they
    can be recomputed when the official calendar of their year arrives."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="proposal_assignments", verbose_name=_("承办单位")
    )
    role = models.CharField(_("办理方式"), max_length=16, choices=AssignmentRole.choices)
    assigned_at = models.DateTimeField(_("交办时间"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("办理期限"))
    deadline_provisional = models.BooleanField(_("期限待定(节假日数据未发布)"), default=False)
    adjustment_deadline = models.DateField(_("申请调整截止日期"))
    adjustment_deadline_provisional = models.BooleanField(default=False)
    first_contact_deadline = models.DateField(_("首次沟通期限"), null=True, blank=True)
    first_contact_deadline_provisional = models.BooleanField(default=False)
    opinion = models.TextField(_("协办意见"), blank=True)
    opinion_at = models.DateTimeField(_("协办意见时间"), null=True, blank=True)
    opinion_deadline = models.DateField(_("协办意见期限"), null=True, blank=True)
    opinion_deadline_provisional = models.BooleanField(default=False)
    rules = models.JSONField(default=dict, blank=True)  # {"deadline": {"from": iso, "months": 3}, ...}
    extended = models.BooleanField(_("已延期"), default=False)
    round = models.PositiveSmallIntegerField(_("答复轮次"), default=1)  # 2 once rehandling this unit's answer
    active = models.BooleanField(_("有效"), default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # Still owes its answer: active, the proposal being handled, and (co units) no opinion yet or (lead and
    # separate units) no approved reply of its round. Derived, kept by the proposal services on every
    # transition (`services.assignments_refresh_awaiting`), so a unit's inbox is an index lookup.
    awaiting = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("交办")
        verbose_name_plural = _("交办")
        ordering = ["proposal", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal"],
                condition=Q(role=AssignmentRole.LEAD, active=True),
                name="assignment_one_active_lead",
            ),
            models.UniqueConstraint(
                fields=["proposal", "unit"], condition=Q(active=True), name="assignment_unit_once_active"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "active", "deadline"]),
            models.Index(fields=["active", "deadline"]),
            models.Index(fields=["unit"], condition=Q(awaiting=True), name="assignment_awaiting_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.get_role_display()}"


class AdjustmentRequest(models.Model):
    """申请调整/退回: a unit asks, within the window, to be re-routed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        GRANTED = "granted", _("已同意")
        REFUSED = "refused", _("不同意")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="adjustment_requests")
    reason = models.TextField(_("申请理由"))
    suggested_unit = models.CharField(_("建议承办单位"), max_length=100, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("调整申请")
        verbose_name_plural = _("调整申请")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(status="pending"), name="adjustment_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.get_status_display()}"


class ExtensionRequest(models.Model):
    """延期申请."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        GRANTED = "granted", _("已同意")
        REFUSED = "refused", _("不同意")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extension_requests")
    reason = models.TextField(_("申请理由"))
    requested_deadline = models.DateField(_("申请延至"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    granted_deadline = models.DateField(_("批准期限"), null=True, blank=True)
    note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(status="pending"), name="extension_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.get_status_display()}"


class ContactRecord(models.Model):
    """沟通: a unit's contact with the submitters."""

    class Method(models.TextChoices):
        PHONE = "phone", _("电话")
        VISIT = "visit", _("走访")
        MEETING = "meeting", _("座谈会面")
        WRITTEN = "written", _("书面")

    FACE_TO_FACE = ("visit", "meeting")

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="contacts")
    date = models.DateField(_("日期"))
    method = models.CharField(_("方式"), max_length=16, choices=Method.choices)
    people = models.CharField(_("参加人员"), max_length=200, blank=True)
    summary = models.TextField(_("沟通情况"))
    members_met = models.ManyToManyField(
        "org.Member", blank=True, related_name="+", verbose_name=_("沟通的提案人")
    )
    collective_met = models.BooleanField(_("已与提案集体沟通"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("沟通记录")
        verbose_name_plural = _("沟通记录")
        ordering = ["assignment", "date", "id"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_method_display()}"


class Reply(models.Model):
    """答复: one answering unit's letter for one round (1, or 2 after rehandling)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="replies")
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="replies")
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    result = models.CharField(_("办理结果分类"), max_length=4, blank=True)
    result_before_review = models.CharField(_("原分类"), max_length=4, blank=True)
    body = models.TextField(_("答复内容"), blank=True)
    commitments = models.JSONField(_("承诺事项"), default=list, blank=True)  # [{"text", "due"}]
    status = models.CharField(
        _("状态"), max_length=16, choices=ReplyStatus.choices, default=ReplyStatus.DRAFT
    )
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    supervisor_note = models.TextField(_("督办意见"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("答复")
        verbose_name_plural = _("答复")
        ordering = ["proposal", "round", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "round"], name="reply_one_per_assignment_round"),
            models.CheckConstraint(condition=Q(round__in=[1, 2]), name="reply_round_1_or_2"),
        ]
        indexes = [models.Index(fields=["status", "round"])]

    def __str__(self) -> str:
        return f"{self.proposal} · {self.assignment.unit}"


class Countersignature(models.Model):
    """会签 of a lead reply by one co unit."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="countersignatures")
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="countersignatures")
    status = models.CharField(
        _("状态"), max_length=16, choices=CountersignStatus.choices, default=CountersignStatus.PENDING
    )
    comment = models.TextField(_("意见"), blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("会签")
        verbose_name_plural = _("会签")
        ordering = ["reply", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "assignment"], name="countersignature_unique_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment.unit} · {self.get_status_display()}"


class Evaluation(models.Model):
    """满意度评价 of one published reply by one submitter: a member, or (member empty) the collective that
    submitted `source`. Created pending when the proposal is replied; rated by the submitter (or recorded by
    staff from paper, marked so); marked unrated when its window passes — never taken as satisfied."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="evaluations")
    reply = models.ForeignKey(Reply, on_delete=models.PROTECT, related_name="evaluations")
    source = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属提案(含并案)")
    )
    member = models.ForeignKey(
        "org.Member", on_delete=models.PROTECT, null=True, blank=True, related_name="proposal_evaluations"
    )
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    status = models.CharField(
        _("状态"), max_length=16, choices=EvaluationStatus.choices, default=EvaluationStatus.PENDING
    )
    work_rating = models.CharField(_("对办理工作的评价"), max_length=24, choices=Rating.choices, blank=True)
    result_rating = models.CharField(_("对办理结果的评价"), max_length=24, choices=Rating.choices, blank=True)
    consulted = models.BooleanField(_("承办单位是否与提案人沟通"), null=True, blank=True)
    comment = models.TextField(_("意见"), blank=True)
    on_paper = models.BooleanField(_("纸质评价"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    deadline = models.DateField(_("评价期限"))
    deadline_provisional = models.BooleanField(default=False)
    rules = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("满意度评价")
        verbose_name_plural = _("满意度评价")
        ordering = ["proposal", "round", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reply", "member"],
                condition=Q(member__isnull=False),
                name="evaluation_one_per_member",
            ),
            models.UniqueConstraint(
                fields=["reply", "source"],
                condition=Q(member__isnull=True),
                name="evaluation_one_per_collective",
            ),
            models.CheckConstraint(
                condition=~Q(status=EvaluationStatus.RATED)
                | (~Q(work_rating="") & ~Q(result_rating="") & Q(rated_at__isnull=False)),
                name="evaluation_rated_has_ratings",
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.proposal} · {self.member or self.source.submitter_label}"


class Reminder(models.Model):
    """Log of reminders computed for an assignment deadline, so that none is sent twice."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16)  # "30", "7", "1", "overdue"
    deadline = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "kind", "deadline"], name="reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.kind}"


# --- key-proposal selection and excellent-proposal awards (see selection_workflow.py) -------------------------


class Selection(models.Model):
    """One council's yearly round of key-proposal selection (重点提案遴选) or excellent-proposal awards
    (优秀提案评选). The approval is recorded with the meeting or document that decided it."""

    council = models.ForeignKey(
        "org.Council",
        on_delete=models.PROTECT,
        related_name="proposal_selections",
        verbose_name=_("政协组织"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("类别"), max_length=16, choices=swf.SelectionKind.choices)
    state = models.CharField(_("阶段"), max_length=16, choices=swf.SelectionState.choices)
    quota = models.PositiveSmallIntegerField(
        _("名额"), null=True, blank=True
    )  # excellent: snapshot of settings
    meeting_name = models.CharField(_("审定会议"), max_length=100, blank=True)  # 六届主席会议第N次会议
    document_number = models.CharField(_("文号"), max_length=60, blank=True)  # 〔2026〕N号
    decided_on = models.DateField(_("审定日期"), null=True, blank=True)
    decision_note = models.TextField(_("审定意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("报审时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审定时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("提案评选")
        verbose_name_plural = _("提案评选")
        ordering = ["-year", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["council", "year", "kind"], name="selection_one_per_year"),
        ]

    def __str__(self) -> str:
        return gettext("%(year)s年%(kind)s") % {"year": self.year, "kind": self.get_kind_display()}

    @property
    def state_label(self) -> str:
        return swf.state_label(self.kind, self.state)


class Nomination(models.Model):
    """A proposal on a round's list: shortlisted (初选) or nominated (推荐), then decided on by the review."""

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="nominations")
    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="nominations", verbose_name=_("提案")
    )
    reason = models.TextField(_("理由"))
    source = models.CharField(
        _("推荐方"), max_length=16, choices=swf.NominationSource.choices, default=swf.NominationSource.STAFF
    )
    source_name = models.CharField(_("推荐单位"), max_length=100, blank=True)
    suggested_leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("建议督办领导")
    )
    lead_unit_note = models.CharField(_("牵头单位建议"), max_length=200, blank=True)
    decision = models.CharField(
        _("结果"), max_length=16, choices=swf.Decision.choices, default=swf.Decision.PENDING
    )
    score = models.DecimalField(_("评分"), max_digits=5, decimal_places=1, null=True, blank=True)
    opinion = models.TextField(_("审议意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审议时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("提名")
        verbose_name_plural = _("提名")
        ordering = ["selection", "id"]
        constraints = [
            models.UniqueConstraint(fields=["selection", "proposal"], name="nomination_once_per_selection"),
        ]

    def __str__(self) -> str:
        return f"{self.selection} · {self.proposal}"

    @property
    def decision_label(self) -> str:
        return swf.decision_label(self.selection.kind, self.decision)
