"""Write operations on the organisation: one function per use case, each one transaction, each audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict

from yizheng.audit.services import diff, event_record

from . import permissions
from .models import Council, Member, Membership, Unit, User

# role_grant lives with the other role services (scope rules, 三员分立); still importable from here.
from .services_accounts import role_grant  # noqa: F401

MEMBER_FIELDS = (
    "name", "gender", "ethnicity", "birth_date", "id_number", "political_affiliation", "education",
    "work_unit", "job_title", "phone", "email", "address",
)  # fmt: skip
MEMBERSHIP_FIELDS = ("sector", "is_standing", "position", "status", "card_number", "joined_on", "left_on")
UNIT_FIELDS = (
    "name", "short_name", "kind", "parent", "code", "contact_name", "contact_phone", "contact_email",
    "address", "is_active", "order",
)  # fmt: skip


def _snapshot(obj, fields) -> dict[str, Any]:
    data = model_to_dict(obj, fields=fields)
    return {
        k: (str(v) if v is not None and not isinstance(v, bool | int | str) else v) for k, v in data.items()
    }


# --- councils ---------------------------------------------------------------------------------------------


def council_create(*, actor, name: str, level: str, parent: Council | None = None, **extra) -> Council:
    if actor is not None and parent is not None:
        permissions.require(actor, "council.manage", parent)
    with transaction.atomic():
        council = Council.objects.create(name=name, level=level, parent=parent, **extra)
        council.path = f"{parent.path if parent else '/'}{council.pk}/"
        council.save(update_fields=["path"])
        event_record(actor=actor, action="council.create", target=council, council=council,
                     payload={"name": name, "level": level})  # fmt: skip
    return council


# --- members ----------------------------------------------------------------------------------------------


def member_create(
    *,
    actor,
    council: Council,
    term,
    data: dict[str, Any],
    membership: dict[str, Any] | None = None,
    committees=(),
    groups=(),
) -> Member:
    """Add a member and their seat in `term`."""
    if actor is not None:
        permissions.require(actor, "member.edit", council)
    with transaction.atomic():
        member = Member.objects.create(
            council=council, **{k: v for k, v in data.items() if k in MEMBER_FIELDS}
        )
        seat = Membership.objects.create(
            member=member,
            term=term,
            **{k: v for k, v in (membership or {}).items() if k in MEMBERSHIP_FIELDS},
        )
        if committees:
            seat.committees.set(committees)
        if groups:
            seat.groups.set(groups)
        event_record(
            actor=actor,
            action="member.create",
            target=member,
            payload={"after": {**_snapshot(member, MEMBER_FIELDS), **_snapshot(seat, MEMBERSHIP_FIELDS)}},
        )
    return member


def member_update(
    *,
    actor,
    member: Member,
    data: dict[str, Any],
    membership: Membership | None = None,
    membership_data: dict[str, Any] | None = None,
    committees=None,
    groups=None,
) -> Member:
    """Change a member's person data and, optionally, their seat in a term. Records before/after."""
    permissions.require(actor, "member.edit", member.council)
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        before = _snapshot(locked, MEMBER_FIELDS)
        changed = [k for k in MEMBER_FIELDS if k in data and getattr(locked, k) != data[k]]
        for k in changed:
            setattr(locked, k, data[k])
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
        after = _snapshot(locked, MEMBER_FIELDS)
        if membership is not None:
            seat = Membership.objects.select_for_update().get(pk=membership.pk, member=locked)
            seat_before = _snapshot(seat, MEMBERSHIP_FIELDS)
            seat_changed = [k for k in MEMBERSHIP_FIELDS if k in (membership_data or {})]
            for k in seat_changed:
                setattr(seat, k, membership_data[k])
            if seat_changed:
                seat.save(update_fields=seat_changed)
            before.update(seat_before)
            after.update(_snapshot(seat, MEMBERSHIP_FIELDS))
            if committees is not None:
                old = sorted(seat.committees.values_list("name", flat=True))
                seat.committees.set(committees)
                before["committees"], after["committees"] = old, sorted(c.name for c in committees)
            if groups is not None:
                old = sorted(seat.groups.values_list("name", flat=True))
                seat.groups.set(groups)
                before["groups"], after["groups"] = old, sorted(g.name for g in groups)
        changes = diff(before, after)
        if changes:
            event_record(actor=actor, action="member.update", target=locked, payload={"changes": changes})
    member.refresh_from_db()
    return locked


# --- units ------------------------------------------------------------------------------------------------


def unit_create(*, actor, council: Council, data: dict[str, Any]) -> Unit:
    if actor is not None:
        permissions.require(actor, "unit.edit", council)
    with transaction.atomic():
        unit = Unit.objects.create(council=council, **{k: v for k, v in data.items() if k in UNIT_FIELDS})
        event_record(
            actor=actor, action="unit.create", target=unit, payload={"after": _snapshot(unit, UNIT_FIELDS)}
        )
    return unit


def unit_update(*, actor, unit: Unit, data: dict[str, Any]) -> Unit:
    permissions.require(actor, "unit.edit", unit.council)
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        before = _snapshot(locked, UNIT_FIELDS)
        changed = [k for k in UNIT_FIELDS if k in data and getattr(locked, k) != data[k]]
        for k in changed:
            setattr(locked, k, data[k])
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            event_record(
                actor=actor,
                action="unit.update",
                target=locked,
                payload={"changes": diff(before, _snapshot(locked, UNIT_FIELDS))},
            )
    return locked


# --- accounts and roles -----------------------------------------------------------------------------------


def user_create(
    *, actor, username: str, council: Council, full_name: str = "", password: str | None = None, **extra
) -> User:
    if actor is not None:
        permissions.require(actor, "account.manage", council)
    with transaction.atomic():
        user = User(username=username, council=council, full_name=full_name, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        event_record(actor=actor, action="account.create", target=user, council=council,
                     payload={"username": username, "full_name": full_name})  # fmt: skip
    return user
