"""Read endpoints of the organisation: councils, members, units, sectors and committees.

Same scoping and permissions as the staff screens: a role reaches its council and every council below it;
unit roles see only their own unit. A role without the permission gets 403, a record outside the caller's
reach 404 (never another party's data).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from ninja.pagination import paginate

from yizheng.core.api import ERROR_RESPONSES, LimitOffsetPagination

from . import permissions
from .models import Committee, Council, Member, Membership, Sector, Unit
from .schemas import (
    CommitteeOut,
    CouncilFilters,
    CouncilOut,
    MemberFilters,
    MemberOut,
    SectorOut,
    UnitFilters,
    UnitOut,
)

router = Router(tags=["org"])

# --- scoped queries ---------------------------------------------------------------------------------------
# Fetch-and-authorise: each returns only what the caller may see, after raising PermissionDenied (403) when
# the caller's roles lack the permission everywhere.


def _councils_visible(user) -> QuerySet[Council]:
    permissions.require(user, "org.view")
    return permissions.councils_for(user, "org.view")


def _own_councils_q(user, field: str = "council") -> Q:
    """Every role may read the sectors and committees of the councils it is assigned in."""
    ids = sorted({a.council_id for a in permissions.roles_of(user)})
    if not ids:
        raise PermissionDenied
    return permissions.council_q(user, "org.view", field) | Q(**{f"{field}_id__in": ids})


def _members_visible(user) -> QuerySet[Member]:
    permissions.require(user, "member.view")
    seats = Membership.objects.select_related("term", "sector").prefetch_related("committees", "groups")
    return (
        Member.objects.filter(permissions.council_q(user, "member.view"))
        .select_related("council")
        .prefetch_related(Prefetch("memberships", queryset=seats.order_by("-term__number")))
        .order_by("council__path", "id")
    )


def _units_visible(user) -> QuerySet[Unit]:
    """Council-wide roles see their council tree's units; unit roles only the unit they work for."""
    permissions.require(user, "unit.view")
    grants = permissions.grants(user, "unit.view")
    q = Q(pk__in=[])
    for path in sorted({a.council.path for a in grants if a.unit_id is None}):
        q |= Q(council__path__startswith=path)
    unit_ids = sorted({a.unit_id for a in grants if a.unit_id is not None})
    if unit_ids:
        q |= Q(pk__in=unit_ids)
    return Unit.objects.filter(q).select_related("council").order_by("council__path", "order", "id")


def _one(queryset: QuerySet, pk: int):
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# --- councils ---------------------------------------------------------------------------------------------


@router.get(
    "/councils",
    response={200: list[CouncilOut], **ERROR_RESPONSES},
    summary=_("政协组织列表"),
    description=_("本人可见的政协组织树(本级及下级),按层级顺序排列。"),
)
@paginate(LimitOffsetPagination)
def council_list(request):
    return _councils_visible(request.auth).order_by("path")


@router.get(
    "/councils/{council_id}",
    response={200: CouncilOut, **ERROR_RESPONSES},
    summary=_("政协组织详情"),
)
def council_detail(request, council_id: int):
    return _one(_councils_visible(request.auth), council_id)


# --- sectors and committees -------------------------------------------------------------------------------


@router.get(
    "/sectors",
    response={200: list[SectorOut], **ERROR_RESPONSES},
    summary=_("界别列表"),
)
@paginate(LimitOffsetPagination)
def sector_list(request, filters: Query[CouncilFilters]):
    rows = Sector.objects.filter(_own_councils_q(request.auth))
    if filters.council is not None:
        rows = rows.filter(council_id=filters.council)
    return rows.order_by("council__path", "order", "id")


@router.get(
    "/committees",
    response={200: list[CommitteeOut], **ERROR_RESPONSES},
    summary=_("专门委员会列表"),
)
@paginate(LimitOffsetPagination)
def committee_list(request, filters: Query[CouncilFilters]):
    rows = Committee.objects.filter(_own_councils_q(request.auth))
    if filters.council is not None:
        rows = rows.filter(council_id=filters.council)
    return rows.order_by("council__path", "order", "id")


# --- members ----------------------------------------------------------------------------------------------


@router.get(
    "/members",
    response={200: list[MemberOut], **ERROR_RESPONSES},
    summary=_("委员列表"),
    description=_(
        "可按政协组织、届、界别、专委会、是否常委、任职状态筛选(任职条件须在同一届中同时满足),"
        "按姓名或工作单位搜索。无委员编辑权限时,身份证号码只显示前6位和后4位。"
    ),
)
@paginate(LimitOffsetPagination)
def member_list(request, filters: Query[MemberFilters]):
    rows = _members_visible(request.auth)
    if filters.council is not None:
        rows = rows.filter(council_id=filters.council)
    seat = {}
    if filters.term is not None:
        seat["term_id"] = filters.term
    if filters.sector is not None:
        seat["sector_id"] = filters.sector
    if filters.committee is not None:
        seat["committees"] = filters.committee
    if filters.is_standing is not None:
        seat["is_standing"] = filters.is_standing
    if filters.status is not None:
        seat["status"] = filters.status
    if seat:
        rows = rows.filter(Exists(Membership.objects.filter(member=OuterRef("pk"), **seat)))
    text = (filters.q or "").strip()
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(work_unit__icontains=text))
    return rows


@router.get(
    "/members/{member_id}",
    response={200: MemberOut, **ERROR_RESPONSES},
    summary=_("委员详情"),
)
def member_detail(request, member_id: int):
    return _one(_members_visible(request.auth), member_id)


# --- units ------------------------------------------------------------------------------------------------


@router.get(
    "/units",
    response={200: list[UnitOut], **ERROR_RESPONSES},
    summary=_("承办单位列表"),
    description=_("承办单位联络员、审核人只能看到本单位。"),
)
@paginate(LimitOffsetPagination)
def unit_list(request, filters: Query[UnitFilters]):
    rows = _units_visible(request.auth)
    if filters.council is not None:
        rows = rows.filter(council_id=filters.council)
    if filters.kind is not None:
        rows = rows.filter(kind=filters.kind)
    if filters.is_active is not None:
        rows = rows.filter(is_active=filters.is_active)
    text = (filters.q or "").strip()
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(short_name__icontains=text) | Q(code__icontains=text))
    return rows


@router.get(
    "/units/{unit_id}",
    response={200: UnitOut, **ERROR_RESPONSES},
    summary=_("承办单位详情"),
)
def unit_detail(request, unit_id: int):
    return _one(_units_visible(request.auth), unit_id)
