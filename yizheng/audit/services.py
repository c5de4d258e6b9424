"""Writing to and checking the event store."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone

from yizheng.core.context import client_ip as current_client_ip

from .models import ChainHead, Event

GENESIS = "0" * 64

Subscriber = Callable[[Event], None]
_subscribers: list[tuple[str, Subscriber]] = []


def subscribe(action_prefix: str, handler: Subscriber) -> None:
    """Register a handler for events whose action starts with the prefix; it runs after the commit."""
    _subscribers.append((action_prefix, handler))


def _dispatch(event: Event) -> None:
    for prefix, handler in _subscribers:
        if event.action.startswith(prefix):
            handler(event)


def target_type_of(obj: models.Model) -> str:
    return obj._meta.label_lower


def _jsonable(payload: dict[str, Any] | None) -> dict[str, Any]:
    # Round-trip through JSON now, so the hash covers exactly what the database will give back.
    return json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder, ensure_ascii=False))


PendingEvent = tuple[str, models.Model, dict[str, Any]]  # (action, target, payload)


def _actor_fields(actor) -> dict[str, Any]:
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return {"actor": actor if is_user else None, "actor_label": (str(actor) if is_user else "system")[:80]}


def _new_event(
    *, seq: int, prev_hash: str, actor_fields, council, action, target, from_state, to_state, payload
):
    event = Event(
        seq=seq,
        prev_hash=prev_hash,
        occurred_at=timezone.now().astimezone(UTC),
        council=council if council is not None else getattr(target, "council", None),
        action=action,
        target_type=target_type_of(target),
        target_id=str(target.pk),
        target_label=str(target)[:200],
        from_state=from_state,
        to_state=to_state,
        payload=_jsonable(payload),
        client_ip=current_client_ip.get(),
        **actor_fields,
    )
    event.hash = event.compute_hash()
    return event


def event_record(
    *,
    actor,
    action: str,
    target: models.Model,
    council=None,
    from_state: str = "",
    to_state: str = "",
    payload: dict[str, Any] | None = None,
) -> Event:
    """Append one event. Must run inside the caller's transaction (services are atomic)."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
        event = _new_event(
            seq=head.seq + 1, prev_hash=head.hash, actor_fields=_actor_fields(actor), council=council,
            action=action, target=target, from_state=from_state, to_state=to_state, payload=payload,
        )  # fmt: skip
        event.save()
        ChainHead.objects.filter(id=1).update(seq=event.seq, hash=event.hash)
        transaction.on_commit(lambda: _dispatch(event))
    return event


def event_record_many(*, actor, council, events: list[PendingEvent], batch_size: int = 500) -> list[Event]:
    """Append many events at once: the same chain and hashes as one `event_record` call each.

    Rewriting the chain head once per event leaves thousands of row versions in one PostgreSQL transaction that
    every next lock must walk (5,000 events took ~40 s); here the head is locked and moved once and the events
    are inserted in batches. Must run inside the caller's transaction; subscribers get the events after commit.
    """
    if not events:
        return []
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
        actor_fields = _actor_fields(actor)
        seq, prev = head.seq, head.hash
        rows: list[Event] = []
        for action, target, payload in events:
            seq += 1
            event = _new_event(
                seq=seq, prev_hash=prev, actor_fields=actor_fields, council=council, action=action,
                target=target, from_state="", to_state="", payload=payload,
            )  # fmt: skip
            prev = event.hash
            rows.append(event)
        Event.objects.bulk_create(rows, batch_size=batch_size)
        ChainHead.objects.filter(id=1).update(seq=seq, hash=prev)
        transaction.on_commit(lambda: [_dispatch(e) for e in rows])
    return rows


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{field: [old, new]} for the fields that changed."""
    return {
        k: [before.get(k), after.get(k)]
        for k in sorted(set(before) | set(after))
        if before.get(k) != after.get(k)
    }


@dataclass
class VerifyResult:
    checked: int
    ok: bool
    problem: str = ""
    seq: int | None = None


def audit_verify(*, batch: int = 2000) -> VerifyResult:
    """Walk the chain in order and recompute every hash; report the first break."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = list(Event.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return VerifyResult(checked, False, f"missing event(s) before #{event.seq}", event.seq)
            if event.prev_hash != expected_prev:
                return VerifyResult(
                    checked, False, f"#{event.seq} does not link to its predecessor", event.seq
                )
            if event.compute_hash() != event.hash:
                return VerifyResult(checked, False, f"#{event.seq} was altered", event.seq)
            expected_prev = event.hash
            expected_seq += 1
            checked += 1
            last_seq = event.seq
    head = ChainHead.objects.filter(id=1).first()
    if head and head.seq != last_seq:
        return VerifyResult(
            checked, False, f"chain head says #{head.seq}, last event is #{last_seq}", head.seq
        )
    return VerifyResult(checked, True)
