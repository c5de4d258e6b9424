"""Write operations on the organisation: one function per use case, each one transaction, each audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from yizheng.audit.services import diff, event_record
from yizheng.core.errors import ApplicationError, ConflictError

from . import permissions
from .models import Council, Member, Membership, Unit, User

# role_grant lives with the other role services (scope rules, 三员分立); still importable from here.
from .services_accounts import role_grant  # noqa: F401
from .validators import id_number_problem, validate_phone

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


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(first, errors=errors)


def _check_conflict(obj, expected_updated_at) -> None:
    """Optimistic locking: the form carried the record's `updated_at`; refuse if someone saved since."""
    if expected_updated_at is not None and obj.updated_at != expected_updated_at:
        raise ConflictError(_("该记录已被他人修改,请刷新后重试"))


def _check_contact(errors: dict[str, list[str]], data: dict[str, Any], phone: str, email: str) -> None:
    if data.get(phone):
        try:
            validate_phone(data[phone])
        except ValidationError as exc:
            errors[phone] = list(exc.messages)
    if data.get(email):
        try:
            validate_email(data[email])
        except ValidationError:
            errors[email] = [_("电子邮箱格式不正确")]


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


def _check_member(*, council: Council, data: dict[str, Any], exclude_pk=None) -> dict[str, list[str]]:
    """Person data the database cannot judge: a valid and, within the council, unique ID number; phone; email.

    Normalises the ID number in `data` (upper-case X, no spaces)."""
    errors: dict[str, list[str]] = {}
    if data.get("id_number"):
        id_number = "".join(data["id_number"].split()).upper()
        data["id_number"] = id_number
        problem = id_number_problem(id_number)
        if problem:
            errors["id_number"] = [problem]
        elif _id_number_taken(council, id_number, exclude_pk):
            errors["id_number"] = [_("本政协已有委员登记了该身份证号码")]
    _check_contact(errors, data, "phone", "email")
    return errors


def _id_number_taken(council: Council, id_number: str, exclude_pk=None) -> bool:
    same = Member.objects.filter(council=council, id_number__in={id_number, id_number.lower()})
    return same.exclude(pk=exclude_pk).exists() if exclude_pk else same.exists()


def _check_seat(*, council: Council, term, seat: dict[str, Any], committees, groups) -> dict[str, list[str]]:
    """A seat may only refer to its own council's term, sector and committees, and to its term's groups."""
    errors: dict[str, list[str]] = {}
    if term is not None and term.council_id != council.pk:
        errors["term"] = [_("届次不属于该政协")]
    sector = seat.get("sector")
    if sector is not None and sector.council_id != council.pk:
        errors["sector"] = [_("界别不属于该政协")]
    if any(c.council_id != council.pk for c in committees or ()):
        errors["committees"] = [_("专委会不属于该政协")]
    if term is not None and any(g.term_id != term.pk for g in groups or ()):
        errors["groups"] = [_("委员组不属于本届")]
    return errors


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
    """Add a member and their seat in `term`. A taken ID number or a foreign sector is refused, not a crash."""
    if actor is not None:
        permissions.require(actor, "member.edit", council)
    data = {k: v for k, v in data.items() if k in MEMBER_FIELDS}
    seat_data = {k: v for k, v in (membership or {}).items() if k in MEMBERSHIP_FIELDS}
    _refuse(
        _check_member(council=council, data=data)
        | _check_seat(council=council, term=term, seat=seat_data, committees=committees, groups=groups)
    )
    try:
        with transaction.atomic():
            member = Member.objects.create(council=council, **data)
            seat = Membership.objects.create(member=member, term=term, **seat_data)
            if committees:
                seat.committees.set(committees)
            if groups:
                seat.groups.set(groups)
            after = {**_snapshot(member, MEMBER_FIELDS), **_snapshot(seat, MEMBERSHIP_FIELDS)}
            if committees:
                after["committees"] = sorted(c.name for c in committees)
            if groups:
                after["groups"] = sorted(g.name for g in groups)
            event_record(actor=actor, action="member.create", target=member, payload={"after": after})
    except IntegrityError:
        # Someone registered the same ID number between the check and the insert.
        if data.get("id_number") and _id_number_taken(council, data["id_number"]):
            _refuse({"id_number": [_("本政协已有委员登记了该身份证号码")]})
        raise
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
    term=None,
    expected_updated_at=None,
) -> Member:
    """Change a member's person data and, optionally, their seat in a term. Records the changes.

    `membership`: the seat to change; or pass `term` to change the member's seat in that term, which is
    created when the member has none there. `expected_updated_at`: the `updated_at` the editor saw; if the
    record was saved since, ConflictError and nothing changes. Any change (seat included) bumps `updated_at`.
    """
    permissions.require(actor, "member.edit", member.council)
    data = {k: v for k, v in data.items() if k in MEMBER_FIELDS}
    seat_data = {k: v for k, v in (membership_data or {}).items() if k in MEMBERSHIP_FIELDS}
    try:
        with transaction.atomic():
            locked = Member.objects.select_for_update().get(pk=member.pk)
            locked.council = member.council  # already loaded; not locked with the row
            _check_conflict(locked, expected_updated_at)
            seat_term = membership.term if membership is not None else term
            _refuse(
                _check_member(council=locked.council, data=data, exclude_pk=locked.pk)
                | _check_seat(
                    council=locked.council,
                    term=seat_term,
                    seat=seat_data,
                    committees=committees,
                    groups=groups,
                )
            )
            before = _snapshot(locked, MEMBER_FIELDS)
            changed = [k for k in MEMBER_FIELDS if k in data and getattr(locked, k) != data[k]]
            for k in changed:
                setattr(locked, k, data[k])
            after = _snapshot(locked, MEMBER_FIELDS)
            seat, created = None, False
            if membership is not None:
                seat = Membership.objects.select_for_update().get(pk=membership.pk, member=locked)
            elif term is not None:
                seat = Membership.objects.select_for_update().filter(member=locked, term=term).first()
                if seat is None:
                    seat, created = Membership.objects.create(member=locked, term=term, **seat_data), True
            if seat is not None:
                if not created:
                    before.update(_snapshot(seat, MEMBERSHIP_FIELDS))
                seat_changed = [
                    k for k in MEMBERSHIP_FIELDS if k in seat_data and getattr(seat, k) != seat_data[k]
                ]
                for k in seat_changed:
                    setattr(seat, k, seat_data[k])
                if seat_changed:
                    seat.save(update_fields=seat_changed)
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
                # updated_at moves on any change, the seat's included, so a concurrent editor notices.
                locked.save(update_fields=[*changed, "updated_at"])
                event_record(actor=actor, action="member.update", target=locked, payload={"changes": changes})
    except IntegrityError:
        if data.get("id_number") and _id_number_taken(member.council, data["id_number"], member.pk):
            _refuse({"id_number": [_("本政协已有委员登记了该身份证号码")]})
        raise
    member.refresh_from_db()
    return locked


# --- units ------------------------------------------------------------------------------------------------


def _check_unit(*, council: Council, data: dict[str, Any], unit: Unit | None = None) -> dict[str, list[str]]:
    """A unit's name is unique in its council; its parent is a unit of the same council and not itself or
    one of its own sub-units; contact phone and email are well-formed."""
    errors: dict[str, list[str]] = {}
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"]:
            errors["name"] = [_("请填写单位名称")]
        elif _unit_name_taken(council, data["name"], unit.pk if unit else None):
            errors["name"] = [_("本政协已有同名的承办单位")]
    parent = data.get("parent")
    if parent is not None:
        if parent.council_id != council.pk:
            errors["parent"] = [_("上级单位须属于同一政协")]
        elif unit is not None:
            seen: set[int] = set()
            node = parent
            while node is not None and node.pk not in seen:
                if node.pk == unit.pk:
                    errors["parent"] = [_("上级单位不能是本单位或其下级单位")]
                    break
                seen.add(node.pk)
                node = node.parent
    _check_contact(errors, data, "contact_phone", "contact_email")
    return errors


def _unit_name_taken(council: Council, name: str, exclude_pk=None) -> bool:
    same = Unit.objects.filter(council=council, name=name)
    return same.exclude(pk=exclude_pk).exists() if exclude_pk else same.exists()


def unit_create(*, actor, council: Council, data: dict[str, Any]) -> Unit:
    if actor is not None:
        permissions.require(actor, "unit.edit", council)
    data = {k: v for k, v in data.items() if k in UNIT_FIELDS}
    _refuse(_check_unit(council=council, data=data))
    try:
        with transaction.atomic():
            unit = Unit.objects.create(council=council, **data)
            event_record(
                actor=actor,
                action="unit.create",
                target=unit,
                payload={"after": _snapshot(unit, UNIT_FIELDS)},
            )
    except IntegrityError:
        if _unit_name_taken(council, data.get("name", "")):
            _refuse({"name": [_("本政协已有同名的承办单位")]})
        raise
    return unit


def unit_update(*, actor, unit: Unit, data: dict[str, Any], expected_updated_at=None) -> Unit:
    """Change a unit. Disabling is `is_active=False`: units are never deleted. `expected_updated_at` as in
    member_update."""
    permissions.require(actor, "unit.edit", unit.council)
    data = {k: v for k, v in data.items() if k in UNIT_FIELDS}
    try:
        with transaction.atomic():
            locked = Unit.objects.select_for_update().get(pk=unit.pk)
            locked.council = unit.council
            _check_conflict(locked, expected_updated_at)
            _refuse(_check_unit(council=locked.council, data=data, unit=locked))
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
    except IntegrityError:
        if _unit_name_taken(unit.council, data.get("name", ""), unit.pk):
            _refuse({"name": [_("本政协已有同名的承办单位")]})
        raise
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
