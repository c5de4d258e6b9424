"""Reads of members (委员) and units (承办单位). Each fetches and authorises in one call: a role without the
permission gets 403 (PermissionDenied), a record outside the user's council tree, or outside their own unit for
unit roles, is 404 — never another party's data. Lists batch their related rows, so a page costs the same
number of queries whatever its length."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from yizheng.audit.selectors import history_for

from . import permissions
from .models import Committee, Council, Member, MemberGroup, Membership, Sector, Term, Unit

ACTIONS = {"view": ("member.view", "unit.view"), "edit": ("member.edit", "unit.edit")}


def mask_id_number(value: str) -> str:
    """First 6 and last 4 characters shown (region and check part), the birth date hidden."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def _perm(action: str, kind: int) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return ACTIONS[action][kind]


# --- members ----------------------------------------------------------------------------------------------


def _seats(**conditions) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(**conditions)
        .select_related("term", "sector")
        .prefetch_related("committees", "groups")
        .order_by("-term__start_date", "-term__number")
    )


def members_visible_to(
    user,
    *,
    q: str = "",
    council: Council | None = None,
    term: Term | None = None,
    all_terms: bool = False,
    sector: Sector | None = None,
    committee: Committee | None = None,
    standing: bool | None = None,
    position: str = "",
    status: str = "",
) -> QuerySet[Member]:
    """Members of the user's council tree, searched and filtered. `member.seats`: the seats meeting the seat
    conditions, newest first, with term, sector, committees and groups loaded.

    Seat conditions (term, sector, committee, standing, position, status) must hold in one and the same seat.
    The term defaults to each council's current term; `all_terms` drops that condition. Searching by an ID
    number fragment works only where the user may edit members (others see ID numbers masked)."""
    permissions.require(user, "member.view")
    rows = Member.objects.filter(permissions.council_q(user, "member.view"))
    if council is not None:
        rows = rows.filter(council=council)
    seat: dict[str, Any] = {}
    if term is not None:
        seat["term"] = term
    elif not all_terms:
        seat["term__is_current"] = True
    if sector is not None:
        seat["sector"] = sector
    if committee is not None:
        seat["committees"] = committee
    if standing is not None:
        seat["is_standing"] = standing
    if position:
        seat["position"] = position
    if status:
        seat["status"] = status
    if seat:
        rows = rows.filter(Exists(Membership.objects.filter(member=OuterRef("pk"), **seat)))
    text = " ".join((q or "").split())
    if text:
        found = (
            Q(name__icontains=text)
            | Q(work_unit__icontains=text)
            | Q(job_title__icontains=text)
            | Q(phone__icontains=text)
        )
        if permissions.can(user, "member.edit"):
            found |= Q(id_number__icontains=text.upper()) & permissions.council_q(user, "member.edit")
        rows = rows.filter(found)
    # The seat shown in the row is the newest one meeting the same conditions.
    return (
        rows.select_related("council")
        .prefetch_related(Prefetch("memberships", queryset=_seats(**seat), to_attr="seats"))
        .order_by("council__path", "id")
    )


def member_for(user, pk: int, action: str = "view") -> Member:
    """One member with every seat (`member.seats`, newest first). 403 when the role may not `action` members at
    all or not in the member's council; 404 when the member lies outside the user's tree."""
    perm = _perm(action, 0)
    permissions.require(user, perm)
    member = (
        Member.objects.filter(permissions.council_q(user, "member.view"))
        .select_related("council", "user")
        .prefetch_related(Prefetch("memberships", queryset=_seats(), to_attr="seats"))
        .filter(pk=pk)
        .first()
    )
    if member is None:
        raise Http404
    permissions.require(user, perm, member.council)
    return member


def current_term(council: Council) -> Term | None:
    return Term.objects.filter(council=council, is_current=True).first()


def current_seat(member: Member, term: Term | None) -> Membership | None:
    """The member's seat in `term`, from the seats member_for prefetched."""
    if term is None:
        return None
    return next((s for s in member.seats if s.term_id == term.pk), None)


# Choices for the member screens' filters and forms, in the councils where the user holds `perm`.


def councils_for(user, perm: str) -> QuerySet[Council]:
    return permissions.councils_for(user, perm).order_by("path")


def terms_for(user, perm: str) -> QuerySet[Term]:
    return (
        Term.objects.filter(permissions.council_q(user, perm))
        .select_related("council")
        .order_by("council__path", "-number")
    )


def sectors_for(user, perm: str) -> QuerySet[Sector]:
    return (
        Sector.objects.filter(permissions.council_q(user, perm))
        .select_related("council")
        .order_by("council__path", "order", "id")
    )


def committees_for(user, perm: str) -> QuerySet[Committee]:
    return (
        Committee.objects.filter(permissions.council_q(user, perm), is_active=True)
        .select_related("council")
        .order_by("council__path", "order", "id")
    )


def groups_for(user, perm: str) -> QuerySet[MemberGroup]:
    """Groups of the current terms: a member's groups are edited with their current seat."""
    return (
        MemberGroup.objects.filter(permissions.council_q(user, perm), term__is_current=True)
        .select_related("council", "term")
        .order_by("council__path", "id")
    )


# --- units ------------------------------------------------------------------------------------------------


def _units_q(user) -> Q:
    """Council-wide roles reach their council tree's units; unit roles only the unit they work for."""
    grants = permissions.grants(user, "unit.view")
    q = Q(pk__in=[])
    for path in sorted({a.council.path for a in grants if a.unit_id is None}):
        q |= Q(council__path__startswith=path)
    unit_ids = sorted({a.unit_id for a in grants if a.unit_id is not None})
    if unit_ids:
        q |= Q(pk__in=unit_ids)
    return q


def units_visible_to(
    user,
    *,
    q: str = "",
    council: Council | None = None,
    kind: str = "",
    active: bool | None = None,
) -> QuerySet[Unit]:
    """Units the user may see, searched by name, short name or contact, filtered by kind and status."""
    permissions.require(user, "unit.view")
    rows = Unit.objects.filter(_units_q(user))
    if council is not None:
        rows = rows.filter(council=council)
    if kind:
        rows = rows.filter(kind=kind)
    if active is not None:
        rows = rows.filter(is_active=active)
    text = " ".join((q or "").split())
    if text:
        rows = rows.filter(
            Q(name__icontains=text)
            | Q(short_name__icontains=text)
            | Q(contact_name__icontains=text)
            | Q(contact_phone__icontains=text)
        )
    return rows.select_related("council", "parent").order_by("council__path", "order", "id")


def unit_for(user, pk: int, action: str = "view") -> Unit:
    """One unit. 403 when the role may not `action` units (a liaison asking to edit), 404 when the unit is
    outside the user's reach (another council; for unit roles, any unit but their own)."""
    perm = _perm(action, 1)
    permissions.require(user, perm)
    unit = Unit.objects.filter(_units_q(user)).select_related("council", "parent").filter(pk=pk).first()
    if unit is None:
        raise Http404
    permissions.require(user, perm, unit.council)
    return unit


def unit_children(user, unit: Unit) -> QuerySet[Unit]:
    """The unit's sub-units that the user may see."""
    return Unit.objects.filter(_units_q(user), parent=unit).order_by("order", "id")


def unit_parent_visible(user, unit: Unit) -> bool:
    return unit.parent_id is not None and Unit.objects.filter(_units_q(user), pk=unit.parent_id).exists()


def unit_parents_for(user, council: Council | None = None, exclude: Unit | None = None) -> QuerySet[Unit]:
    """Units that may be chosen as a parent: the editable councils' units, except the unit itself."""
    rows = Unit.objects.filter(permissions.council_q(user, "unit.edit")).select_related("council")
    if council is not None:
        rows = rows.filter(council=council)
    if exclude is not None:
        rows = rows.exclude(pk=exclude.pk)
    return rows.order_by("council__path", "order", "id")


# --- record history ---------------------------------------------------------------------------------------


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    occurred_at: datetime
    actor: str
    action: str
    changes: list[Change] = field(default_factory=list)


def _action_label(action: str) -> str:
    verb = action.rsplit(".", 1)[-1]
    labels = {
        "create": _("新建"),
        "update": _("修改"),
        "import": _("导入"),
        "disable": _("停用"),
        "enable": _("启用"),
    }
    return labels.get(verb, action)


def _labels(*models) -> dict[str, tuple[str, dict]]:
    out: dict[str, tuple[str, dict]] = {}
    for model in models:
        for f in model._meta.get_fields():
            if hasattr(f, "verbose_name") and f.name not in out:
                out[f.name] = (str(f.verbose_name), {str(k): str(v) for k, v in (f.choices or ())})
    return out


def _display(value, choices: dict, related: dict | None = None) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if related is not None and str(value) in related:
        return related[str(value)]
    return choices.get(str(value), str(value))


def history_of(user, obj: Member | Unit, *, limit: int = 50) -> list[HistoryEntry] | None:
    """The record's audit trail for its page, or None when the user may not read record histories.

    Field changes (payload "changes": {field: [old, new]}) come with the field's Chinese label, choice values
    as their labels and related rows (sector, parent unit) by name. ID numbers stay masked for users who may
    not edit the record."""
    if not permissions.can(user, "record_history.view", obj.council):
        return None
    if isinstance(obj, Member):
        labels = _labels(Member, Membership)
        related_models = {"sector": Sector}
        unmasked = permissions.can(user, "member.edit", obj.council)
    else:
        labels = _labels(Unit)
        related_models = {"parent": Unit}
        unmasked = True
    if isinstance(obj, Member):  # the labels the member screens use, where the model's would be ambiguous
        labels["phone"] = (_("联系电话"), {})
        labels["position"] = (_("会内职务"), labels["position"][1])
        labels["status"] = (_("任职状态"), labels["status"][1])
    labels["committees"] = (_("专委会"), {})
    labels["groups"] = (_("委员组"), {})
    labels["term"] = (_("届"), {})
    events = list(history_for(obj)[:limit])
    # Related rows are stored by id: look their names up in one query per kind.
    wanted: dict[str, set[str]] = {name: set() for name in related_models}
    for event in events:
        for name, pair in (event.payload.get("changes") or {}).items():
            if name in wanted:
                wanted[name].update(str(v) for v in pair if str(v).isdigit())
    names: dict[str, dict[str, str]] = {}
    for name, ids in wanted.items():
        if ids:
            found = related_models[name].objects.filter(pk__in=ids).values_list("pk", "name")
            names[name] = {str(pk): label for pk, label in found}
    entries = []
    for event in events:
        changes = []
        for name, pair in (event.payload.get("changes") or {}).items():
            old, new = [*pair, None, None][:2]
            label, choices = labels.get(name, (name, {}))
            if name == "id_number" and not unmasked:
                old, new = mask_id_number(old or ""), mask_id_number(new or "")
            related = names.get(name)
            changes.append(Change(label, _display(old, choices, related), _display(new, choices, related)))
        entries.append(
            HistoryEntry(
                occurred_at=event.occurred_at,
                actor=event.actor_label if event.actor_id else _("系统"),
                action=_action_label(event.action),
                changes=changes,
            )
        )
    return entries
