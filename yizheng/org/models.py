"""Councils, terms, plenaries, committees, sectors, organisations, members, units, accounts and roles.

Every row belongs to a Council; councils form a tree (市县联动) kept as a materialised path so that
"this council and every council below it" is one indexed prefix query.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yizheng.core.text import chinese_numeral


class Council(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", _("全国")
        PROVINCIAL = "provincial", _("省级")
        MUNICIPAL = "municipal", _("市级")
        COUNTY = "county", _("县级")

    name = models.CharField(_("名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级政协"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    region_code = models.CharField(_("行政区划代码"), max_length=12, blank=True)

    class Meta:
        verbose_name = _("政协组织")
        verbose_name_plural = _("政协组织")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name


class Term(models.Model):
    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="terms", verbose_name=_("政协组织")
    )
    number = models.PositiveSmallIntegerField(_("届次"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    is_current = models.BooleanField(_("本届"), default=False)

    class Meta:
        verbose_name = _("届")
        verbose_name_plural = _("届")
        ordering = ["council", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["council", "number"], name="term_unique_number"),
            models.UniqueConstraint(
                fields=["council"], condition=Q(is_current=True), name="term_one_current"
            ),
            models.CheckConstraint(
                condition=Q(start_date__lt=models.F("end_date")), name="term_start_before_end"
            ),
        ]

    def __str__(self) -> str:
        return _("第%(n)s届") % {"n": chinese_numeral(self.number)}


class Plenary(models.Model):
    """次会议: the annual plenary session; proposals submitted between its window dates count as plenary ones."""

    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="plenaries", verbose_name=_("届"))
    number = models.PositiveSmallIntegerField(_("次"))
    start_date = models.DateField(_("开幕日期"))
    end_date = models.DateField(_("闭幕日期"))
    proposal_window_start = models.DateField(_("大会提案开始日期"))
    proposal_deadline = models.DateTimeField(_("大会提案截止时间"))

    class Meta:
        verbose_name = _("全体会议")
        verbose_name_plural = _("全体会议")
        ordering = ["term", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["term", "number"], name="plenary_unique_number"),
            models.CheckConstraint(
                condition=Q(start_date__lte=models.F("end_date")), name="plenary_start_le_end"
            ),
        ]

    def __str__(self) -> str:
        return _("%(term)s届%(n)s次会议") % {
            "term": chinese_numeral(self.term.number),
            "n": chinese_numeral(self.number),
        }


class Committee(models.Model):
    class Kind(models.TextChoices):
        PROPOSAL = "proposal", _("提案委员会")
        ECONOMIC = "economic", _("经济委员会")
        AGRICULTURE = "agriculture", _("农业和农村委员会")
        ENVIRONMENT = "environment", _("人口资源环境委员会")
        EDUCATION = "education", _("教科卫体委员会")
        SOCIAL = "social", _("社会和法制委员会")
        ETHNIC_RELIGIOUS = "ethnic_religious", _("民族宗教委员会")
        OVERSEAS = "overseas", _("港澳台侨和外事委员会")
        CULTURE_HISTORY = "culture_history", _("文化文史和学习委员会")
        LIAISON = "liaison", _("委员联络委员会")
        OTHER = "other", _("其他")

    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="committees", verbose_name=_("政协组织")
    )
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("类别"), max_length=24, choices=Kind.choices, default=Kind.OTHER)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("专门委员会")
        verbose_name_plural = _("专门委员会")
        ordering = ["council", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["council", "name"], name="committee_unique_name")]

    def __str__(self) -> str:
        return self.name


class Sector(models.Model):
    class Kind(models.TextChoices):
        PARTY = "party", _("党派")
        ORGANIZATION = "organization", _("人民团体")
        PROFESSION = "profession", _("界别")
        SPECIAL = "special", _("特邀")

    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="sectors", verbose_name=_("政协组织")
    )
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("界别")
        verbose_name_plural = _("界别")
        ordering = ["council", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["council", "name"], name="sector_unique_name")]

    def __str__(self) -> str:
        return self.name


class Organization(models.Model):
    """党派团体: files collective proposals through its agents."""

    class Kind(models.TextChoices):
        PARTY = "party", _("民主党派")
        FEDERATION = "federation", _("工商联")
        PEOPLE = "people", _("人民团体")
        OTHER = "other", _("其他")

    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="organizations", verbose_name=_("政协组织")
    )
    name = models.CharField(_("名称"), max_length=80)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    sector = models.ForeignKey(
        Sector, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("界别")
    )

    class Meta:
        verbose_name = _("党派团体")
        verbose_name_plural = _("党派团体")
        ordering = ["council", "id"]
        constraints = [models.UniqueConstraint(fields=["council", "name"], name="organization_unique_name")]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """承办单位: a body that handles proposals and follow-ups."""

    class Kind(models.TextChoices):
        GOVERNMENT_DEPARTMENT = "government_department", _("政府部门")
        PARTY_ORGAN = "party_organ", _("党委部门")
        COURT = "court", _("法院")
        PROCURATORATE = "procuratorate", _("检察院")
        COUNTY_GOVERNMENT = "county_government", _("县(市、区)政府")
        ENTERPRISE = "enterprise", _("企业")
        OTHER = "other", _("其他")

    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="units", verbose_name=_("政协组织")
    )
    name = models.CharField(_("单位名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    kind = models.CharField(_("单位类型"), max_length=24, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级单位"),
    )
    code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    contact_email = models.EmailField(_("电子邮箱"), blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    order = models.PositiveIntegerField(_("排序"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("承办单位")
        verbose_name_plural = _("承办单位")
        ordering = ["council", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["council", "name"], name="unit_unique_name")]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """An account. Never deleted: disabling (is_active=False) keeps its history."""

    council = models.ForeignKey(
        Council,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("所属政协"),
    )
    full_name = models.CharField(_("姓名"), max_length=40, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.full_name or self.username


class Member(models.Model):
    """委员 (the person); their seat in a term is a Membership."""

    class Gender(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="members", verbose_name=_("政协组织")
    )
    name = models.CharField(_("姓名"), max_length=40)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=16, default="汉族")
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    id_number = models.CharField(_("身份证号码"), max_length=18, blank=True)
    political_affiliation = models.CharField(_("政治面貌"), max_length=24, blank=True)
    education = models.CharField(_("学历"), max_length=24, blank=True)
    work_unit = models.CharField(_("工作单位"), max_length=100, blank=True)
    job_title = models.CharField(_("职务"), max_length=100, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    address = models.CharField(_("通讯地址"), max_length=200, blank=True)
    user = models.OneToOneField(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="member", verbose_name=_("账号")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("委员")
        verbose_name_plural = _("委员")
        ordering = ["council", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["council", "id_number"], condition=~Q(id_number=""), name="member_unique_id_number"
            ),
        ]
        indexes = [models.Index(fields=["council", "name"])]

    def __str__(self) -> str:
        return self.name


class MemberGroup(models.Model):
    """委员组 / 活动组, used for management and for co-signing."""

    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="member_groups", verbose_name=_("政协组织")
    )
    term = models.ForeignKey(
        Term, on_delete=models.PROTECT, related_name="member_groups", verbose_name=_("届")
    )
    name = models.CharField(_("名称"), max_length=60)
    convenor = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("召集人")
    )

    class Meta:
        verbose_name = _("委员组")
        verbose_name_plural = _("委员组")
        ordering = ["term", "id"]
        constraints = [models.UniqueConstraint(fields=["term", "name"], name="member_group_unique_name")]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Position(models.TextChoices):
        CHAIR = "chair", _("主席")
        VICE_CHAIR = "vice_chair", _("副主席")
        SECRETARY_GENERAL = "secretary_general", _("秘书长")
        MEMBER = "member", _("委员")

    class Status(models.TextChoices):
        ACTIVE = "active", _("在任")
        RESIGNED = "resigned", _("辞去")
        REMOVED = "removed", _("撤销资格")
        DECEASED = "deceased", _("去世")

    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("委员")
    )
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("届"))
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("界别"),
    )
    committees = models.ManyToManyField(
        Committee, blank=True, related_name="memberships", verbose_name=_("专委会")
    )
    groups = models.ManyToManyField(
        MemberGroup, blank=True, related_name="memberships", verbose_name=_("委员组")
    )
    is_standing = models.BooleanField(_("常委"), default=False)
    position = models.CharField(_("职务"), max_length=24, choices=Position.choices, default=Position.MEMBER)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    card_number = models.CharField(_("委员证号"), max_length=20, blank=True)
    joined_on = models.DateField(_("任职日期"), null=True, blank=True)
    left_on = models.DateField(_("离任日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("委员任职")
        verbose_name_plural = _("委员任职")
        ordering = ["term", "member"]
        constraints = [
            models.UniqueConstraint(fields=["member", "term"], name="membership_unique_member_term")
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.term}"


class Role(models.TextChoices):
    MEMBER = "member", _("委员")
    COLLECTIVE_AGENT = "collective_agent", _("集体提案经办人")
    STAFF = "staff", _("机关工作人员")
    UNIT_LIAISON = "unit_liaison", _("承办单位联络员")
    UNIT_REVIEWER = "unit_reviewer", _("承办单位审核人")
    SUPERVISOR = "supervisor", _("督办人员")
    LEADER = "leader", _("领导")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


ADMIN_ROLES = (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)  # 三员分立
UNIT_ROLES = (Role.UNIT_LIAISON, Role.UNIT_REVIEWER)


class Office(models.TextChoices):
    GENERAL = "general", _("办公室")
    PROPOSAL = "proposal", _("提案工作")
    INFORMATION = "information", _("社情民意信息")
    RESEARCH = "research", _("研究室")
    LIAISON = "liaison", _("委员联络")


class RoleAssignment(models.Model):
    """Who may act as what, in which council, for which unit / office / committee / collective."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="role_assignments", verbose_name=_("账号")
    )
    council = models.ForeignKey(
        Council, on_delete=models.PROTECT, related_name="role_assignments", verbose_name=_("政协组织")
    )
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("单位"),
    )
    office = models.CharField(_("处室"), max_length=16, choices=Office.choices, blank=True)
    committee = models.ForeignKey(
        Committee, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("专委会")
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("党派团体"),
    )
    sector = models.ForeignKey(
        Sector, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("界别")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        ordering = ["user", "council", "role"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(role__in=list(UNIT_ROLES)) & Q(unit__isnull=False))
                | (~Q(role__in=list(UNIT_ROLES)) & Q(unit__isnull=True)),
                name="role_unit_iff_unit_role",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.STAFF) | ~Q(office="") | Q(committee__isnull=False),
                name="role_staff_has_scope",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.COLLECTIVE_AGENT)
                | Q(organization__isnull=False)
                | Q(committee__isnull=False)
                | Q(sector__isnull=False),
                name="role_agent_has_collective",
            ),
        ]

    def __str__(self) -> str:
        scope = self.unit or self.committee or self.organization or self.sector or self.get_office_display()
        label = self.get_role_display()
        return f"{label}({scope})" if scope else str(label)


class ImportJob(models.Model):
    """An Excel import of members or units: dry run first, then all rows or none."""

    class Kind(models.TextChoices):
        MEMBERS = "members", _("委员")
        UNITS = "units", _("承办单位")

    class Status(models.TextChoices):
        PENDING = "pending", _("等待处理")
        RUNNING = "running", _("处理中")
        CHECKED = "checked", _("检查完成")
        FAILED = "failed", _("有错误")
        DONE = "done", _("已导入")

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="import_jobs")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=200)
    dry_run = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class ApiToken(models.Model):
    """A token for integrations. Only its SHA-256 is stored; the key is shown once when it is issued."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("账号")
    )
    name = models.CharField(_("用途"), max_length=80)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
