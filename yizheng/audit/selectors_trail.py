"""Reading the audit trail on the audit administrator's screens, scoped to their council tree."""

from __future__ import annotations

import datetime as dt
import ipaddress

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yizheng.org import permissions

from .models import Event

PERM = "audit.view"

# Readable names of recorded actions: the foundation's below; each domain app adds its own from its workflow
# table when it starts (`register_action_labels`), so the audit trail needs no import of the apps above it.
ACTION_LABELS = {
    "auth.login": _("登录"),
    "auth.logout": _("退出登录"),
    "auth.login_failed": _("登录失败"),
    "account.create": _("新建账号"),
    "account.update": _("修改账号"),
    "account.disable": _("停用账号"),
    "account.enable": _("启用账号"),
    "account.password_reset": _("重置密码"),
    "account.password_change": _("修改密码"),
    "role.grant": _("授予角色"),
    "role.revoke": _("撤销角色"),
    "lockout.reset": _("解除登录锁定"),
    "audit.export": _("导出审计日志"),
    "audit.verify": _("校验日志完整性"),
    "council.create": _("新建政协组织"),
    "member.create": _("新增委员"),
    "member.update": _("修改委员信息"),
    "unit.create": _("新增承办单位"),
    "unit.update": _("修改承办单位"),
    "member.link_account": _("关联委员账号"),
    "api_token.issue": _("签发接口令牌"),
    "api_token.revoke": _("吊销接口令牌"),
    "calendar.year_set": _("录入年度节假日安排"),
}


def register_action_labels(labels) -> None:
    """Name an app's actions in the trail (called from its AppConfig.ready). A name already given wins."""
    for action, label in labels.items():
        ACTION_LABELS.setdefault(action, label)


def _scope_q(actor) -> Q:
    """Events of the councils the actor audits. Events that belong to no council (system-wide ones) are read
    only by audit administrators of a top-level council."""
    q = permissions.council_q(actor, PERM)
    if any(a.council.parent_id is None for a in permissions.grants(actor, PERM)):
        q |= Q(council__isnull=True)
    return q


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def events_visible_to(
    actor,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    actor_q: str = "",
    action: str = "",
    target_type: str = "",
    q: str = "",
) -> QuerySet[Event]:
    """The filtered event trail of the actor's council tree, newest first."""
    if not permissions.can(actor, PERM):
        raise PermissionDenied
    qs = Event.objects.filter(_scope_q(actor))
    if date_from:
        qs = qs.filter(occurred_at__gte=_start_of(date_from))
    if date_to:
        qs = qs.filter(occurred_at__lt=_start_of(date_to + dt.timedelta(days=1)))
    actor_q = (actor_q or "").strip()
    if actor_q:
        qs = qs.filter(Q(actor_label__icontains=actor_q) | Q(actor__username__iexact=actor_q))
    action = (action or "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    if target_type:
        qs = qs.filter(target_type=target_type)
    q = (q or "").strip()
    if q:
        text = (
            Q(target_label__icontains=q)
            | Q(actor_label__icontains=q)
            | Q(action__icontains=q)
            | Q(target_id=q)
        )
        if _looks_like_ip(q):
            text |= Q(client_ip=q)
        qs = qs.filter(text)
    return qs.select_related("council").order_by("-seq")


def _looks_like_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def event_for(actor, pk: int) -> Event:
    if not permissions.can(actor, PERM):
        raise PermissionDenied
    event = Event.objects.filter(_scope_q(actor)).select_related("council", "actor").filter(pk=pk).first()
    if event is None:
        raise Http404
    return event


def event_neighbours(actor, event: Event) -> tuple[Event | None, Event | None]:
    """The previous and next events in the chain, when the actor may read them."""
    scoped = Event.objects.filter(_scope_q(actor))
    prev = scoped.filter(seq=event.seq - 1).only("pk", "seq").first()
    nxt = scoped.filter(seq=event.seq + 1).only("pk", "seq").first()
    return prev, nxt


def target_types() -> list[tuple[str, str]]:
    """(label_lower, verbose name) of every model an event can be about."""
    out = [
        (m._meta.label_lower, str(m._meta.verbose_name))
        for m in apps.get_models()
        if m.__module__.startswith("yizheng.")
    ]
    return sorted(out, key=lambda pair: pair[0])


def target_type_name(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label
