"""Who stands in which relation to a follow-up: the owner (a user of the owner unit, or the owner person),
council staff who track follow-ups (role permission `followup.manage`), or the daily job."""

from __future__ import annotations

from django.db.models import Q

from yizheng.org import permissions as org_permissions
from yizheng.org.models import UNIT_ROLES

from .workflow import Actor


def unit_ids(user) -> set[int]:
    return {a.unit_id for a in org_permissions.roles_of(user) if a.role in UNIT_ROLES and a.unit_id}


def actor_kinds(user, followup) -> set[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    kinds = set()
    if followup.owner_unit_id is not None and followup.owner_unit_id in unit_ids(user):
        kinds.add(Actor.OWNER)
    if followup.owner_user_id is not None and followup.owner_user_id == user.pk:
        kinds.add(Actor.OWNER)
    if org_permissions.can(user, "followup.manage", followup.council):
        kinds.add(Actor.STAFF)
    return kinds


def visible_q(user) -> Q:
    """Follow-ups the user may see: those of councils where they view follow-ups (staff, leaders,
    supervisors), those owned by their unit, those they own."""
    staff_q = Q(pk__in=[])
    for a in org_permissions.grants(user, "followup.view"):
        if a.role not in UNIT_ROLES:
            staff_q |= Q(council__path__startswith=a.council.path)
    return staff_q | Q(owner_unit_id__in=sorted(unit_ids(user))) | Q(owner_user_id=user.pk)
