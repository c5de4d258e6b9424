"""Follow-ups (跟踪落实 / 回头看 / 销号): any tracked item that must be closed, whatever record it came from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .workflow import Status


def evidence_upload_to(instance: FollowUp, filename: str) -> str:
    """Evidence files are kept beside their item: followups/<pk>/<name>."""
    return f"followups/{instance.pk}/{filename}"


class FollowUp(models.Model):
    council = models.ForeignKey(
        "org.Council", on_delete=models.PROTECT, related_name="followups", verbose_name=_("政协组织")
    )
    # The record it came from, by model label and primary key (e.g. "proposals.reply" / 42), so that any app's
    # records can carry follow-ups without this app depending on them.
    source_type = models.CharField(_("来源类型"), max_length=64)
    source_id = models.CharField(_("来源编号"), max_length=64)
    source_label = models.CharField(_("来源"), max_length=200)
    title = models.CharField(_("事项"), max_length=300)
    description = models.TextField(_("说明"), blank=True)
    owner_unit = models.ForeignKey(
        "org.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
        verbose_name=_("责任单位"),
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followups",
        verbose_name=_("责任人"),
    )
    due_date = models.DateField(_("完成时限"))
    due_provisional = models.BooleanField(_("时限待定(节假日数据未发布)"), default=False)
    due_rule = models.JSONField(default=dict, blank=True)  # {"from": iso, "working_days": n} when computed
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.OPEN)
    evidence = models.TextField(_("落实情况"), blank=True)
    evidence_file = models.FileField(_("佐证文件"), upload_to=evidence_upload_to, max_length=300, blank=True)
    evidence_file_name = models.CharField(_("佐证文件名"), max_length=200, blank=True)
    evidence_file_type = models.CharField(_("佐证文件类型"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始办理时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("销号人"),
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("跟踪事项")
        verbose_name_plural = _("跟踪事项")
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner_unit__isnull=False) & Q(owner_user__isnull=True))
                | (Q(owner_unit__isnull=True) & Q(owner_user__isnull=False)),
                name="followup_one_owner",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.DONE) | (~Q(evidence="") & Q(closed_at__isnull=False)),
                name="followup_done_has_evidence",
            ),
        ]
        indexes = [
            models.Index(fields=["source_type", "source_id"]),
            models.Index(fields=["owner_unit", "status", "due_date"]),
            models.Index(fields=["council", "status", "due_date"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def owner_label(self) -> str:
        return str(self.owner_unit or self.owner_user or "")
