"""The append-only event store.

Every state change writes one Event inside the same transaction as the change. Events form a hash chain: each
carries the hash of its predecessor, so a deleted, inserted or edited row breaks `yizheng audit verify`. The
platform never updates or deletes an event: the model refuses, and a database trigger refuses UPDATE (and on
PostgreSQL DELETE as well).
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")

    def for_target(self, target_type: str, target_id) -> EventQuerySet:
        return self.filter(target_type=target_type, target_id=str(target_id))


class Event(models.Model):
    seq = models.BigIntegerField(_("序号"), unique=True)
    council = models.ForeignKey(
        "org.Council",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("政协组织"),
    )
    occurred_at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_label = models.CharField(_("操作人"), max_length=80, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    target_type = models.CharField(_("对象类型"), max_length=64)
    target_id = models.CharField(_("对象编号"), max_length=64)
    target_label = models.CharField(_("对象"), max_length=200, blank=True)
    from_state = models.CharField(_("原状态"), max_length=32, blank=True)
    to_state = models.CharField(_("新状态"), max_length=32, blank=True)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    client_ip = models.GenericIPAddressField(_("客户端地址"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "seq"]),
            models.Index(fields=["council", "occurred_at"]),
            models.Index(fields=["actor", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def canonical(self) -> str:
        """The exact text the hash covers: every field that says what happened."""
        return json.dumps(
            [
                self.seq,
                self.prev_hash,
                self.occurred_at.isoformat(timespec="microseconds"),
                self.council_id,
                self.actor_id,
                self.actor_label,
                self.action,
                self.target_type,
                self.target_id,
                self.target_label,
                self.from_state,
                self.to_state,
                self.payload,
                self.client_ip,
            ],
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()


class ChainHead(models.Model):
    """One row: the last sequence number and hash. Locked by every writer so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"#{self.seq}"
