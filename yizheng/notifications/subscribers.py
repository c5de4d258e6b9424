"""Notifications subscribe to recorded events (DESIGN.md: domain apps never import notifications).

`yizheng.audit.services` calls the handler after the commit of the change that recorded the event. Whatever
goes wrong here is logged and swallowed: the change is already committed and must not look failed.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import translation

from yizheng.audit.models import Event
from yizheng.audit.services import subscribe

logger = logging.getLogger(__name__)

PREFIXES = ("proposal.", "followup.", "selection.")
_registered = False


def notify(event: Event) -> None:
    from . import messages, services

    try:
        with translation.override(settings.LANGUAGE_CODE):
            drafts = messages.drafts_for(event)
        if drafts:
            services.notifications_create(items=drafts)
    except Exception:
        logger.exception("notifications for event #%s (%s) failed", event.seq, event.action)


def register() -> None:
    global _registered
    if _registered:
        return
    for prefix in PREFIXES:
        subscribe(prefix, notify)
    _registered = True
