"""In-app notifications (站内消息), each optionally mirrored by one email.

A notification is derived from a recorded event (`source_event`) or from the daily reminder job; `dedupe_key`
makes each derivation idempotent, so a handler or a job that runs twice never notifies twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    council = models.ForeignKey(
        "org.Council",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("政协组织"),
    )
    kind = models.CharField(_("类型"), max_length=64)  # the event action, or "reminder.<kind>"
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    target_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    source_event = models.ForeignKey(
        "audit.Event", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dedupe_key = models.CharField(max_length=120)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_once"),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"]),
            models.Index(
                fields=["email_attempts"], condition=Q(emailed_at__isnull=True), name="notification_unsent"
            ),
        ]

    def __str__(self) -> str:
        return self.title
