"""Entering a year's holiday notice (放假安排) into the working-day calendar.

The calendar is one for the whole platform (the State Council's notice applies to every council), so it is
entered by a system administrator of a top-level council; the event belongs to no council and is read by the
top-level audit administrators.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yizheng.audit.services import event_record
from yizheng.org import permissions

from . import calendar
from .calendar_notice import NoticeDay, check_days
from .errors import ApplicationError, ConflictError
from .models import CALENDAR_MAX_YEAR, CALENDAR_MIN_YEAR, CalendarDay, CalendarYear

PERM = "calendar.manage"
MAX_SOURCE_CHARS = 200


def calendar_may_enter(actor) -> bool:
    """May the actor enter notices? Only a system administrator of a top-level council: the calendar is shared
    by every council on the platform."""
    return any(a.council.parent_id is None for a in permissions.grants(actor, PERM))


def calendar_require_enter(actor) -> None:
    permissions.require(actor, PERM)
    if not calendar_may_enter(actor):
        raise PermissionDenied


def _as_list(days: Iterable[NoticeDay]) -> list[list[str]]:
    return [[d.date.isoformat(), d.kind, d.name] for d in days]


def calendar_year_set(
    *,
    actor,
    year: int,
    days: Iterable[tuple[dt.date, str, str]],
    source: str,
    notice: str = "",
) -> CalendarYear:
    """Replace the entered holidays and make-up workdays of `year` with `days` (date, kind, name), in one
    transaction, audited as "calendar.year_set"; then every registered deadline holder recomputes the deadlines
    that consulted the year. Refuses (and changes nothing) when any day is wrong. `actor` None: the system
    (a command run by the operator)."""
    if actor is not None:
        calendar_require_enter(actor)
    if not isinstance(year, int) or not CALENDAR_MIN_YEAR <= year <= CALENDAR_MAX_YEAR:
        raise ApplicationError(
            _("年份应在 %(a)s 至 %(b)s 之间") % {"a": CALENDAR_MIN_YEAR, "b": CALENDAR_MAX_YEAR},
            errors={"year": [_("年份无效")]},
        )
    source = (source or "").strip()
    if not source:
        raise ApplicationError(
            _("请填写通知文号或来源"),
            errors={"source": [_("请填写通知文号或来源,例如国务院办公厅通知的文号")]},
        )
    if len(source) > MAX_SOURCE_CHARS:
        raise ApplicationError(
            _("通知文号或来源过长"), errors={"source": [_("不超过 %(n)s 个字") % {"n": MAX_SOURCE_CHARS}]}
        )
    entries = check_days(year, days)

    with transaction.atomic():
        record = CalendarYear.objects.select_for_update().filter(year=year).first()
        before = None
        if record is None:
            record = CalendarYear(year=year)
        else:
            rows = record.days.values_list("date", "kind", "name")
            before = {"source": record.source, "days": [[d.isoformat(), k, n] for d, k, n in rows]}
        record.source = source
        record.notice = notice or ""
        record.token = uuid.uuid4().hex
        record.entered_by = actor if getattr(actor, "is_authenticated", False) else None
        record.entered_at = timezone.now()
        try:
            with transaction.atomic():
                if record.pk is None:
                    record.save()
                else:
                    record.save(update_fields=["source", "notice", "token", "entered_by", "entered_at"])
        except IntegrityError as exc:
            # Two administrators entering the same year for the first time at once: the later one retries.
            raise ConflictError(_("该年度的放假安排刚被他人录入,请刷新后重试")) from exc
        record.days.all().delete()
        CalendarDay.objects.bulk_create(
            CalendarDay(calendar_year=record, date=d.date, kind=d.kind, name=d.name) for d in entries
        )
        calendar.database_source.note_write()

        recomputed = {}
        for recompute in calendar.deadline_recomputers():
            changed = recompute(year, actor=actor)
            recomputed[f"{recompute.__module__}.{recompute.__qualname__}"] = changed

        after = {"source": source, "days": _as_list(entries)}
        old = {tuple(x) for x in (before or {}).get("days", [])}
        new = {tuple(x) for x in after["days"]}
        event_record(
            actor=actor,
            action="calendar.year_set",
            target=record,
            council=None,
            payload={
                "year": year,
                "before": before,
                "after": after,
                "changes": {
                    "added": sorted(list(x) for x in new - old),
                    "removed": sorted(list(x) for x in old - new),
                },
                "recomputed": recomputed,
            },
        )
    return record
