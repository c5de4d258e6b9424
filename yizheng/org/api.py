"""Read endpoints of the organisation: councils, members, units, sectors and committees.

Same scoping and permissions as the staff screens: a role reaches its council and every council below it;
unit roles see only their own unit. A role without the permission gets 403, a record outside the caller's
reach 404 (never another party's data).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router
from ninja.pagination import paginate

from yizheng.core.api import ERROR_RESPONSES, LimitOffsetPagination

from . import permissions, selectors
from .models import Committee, Council, Sector, Term
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
# Members and units come from the selectors the staff screens use (fetch-and-authorise); councils, sectors and
# committees are read here. Each raises PermissionDenied (403) when the caller's roles lack the permission
# everywhere and returns only what the caller may see.


def _councils_visible(user) -> QuerySet[Council]:
    permissions.require(user, "org.view")
    return permissions.councils_for(user, "org.view")


def _own_councils_q(user, field: str = "council") -> Q:
    """Every role may read the sectors and committees of the councils it is assigned in."""
    ids = sorted({a.council_id for a in permissions.roles_of(user)})
    if not ids:
        raise PermissionDenied
    return permissions.council_q(user, "org.view", field) | Q(**{f"{field}_id__in": ids})


def _ref(model, pk: int | None):
    """A reference to filter by, without a query: an id outside the caller's reach simply matches nothing."""
    return None if pk is None else model(pk=pk)


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
        "可按政协组织、届、界别、专委会、是否常委、任职状态筛选,任职条件须在同一届中同时满足;"
        "列表中的任职记录只列出满足条件的届次,详情列出全部届次。"
        "无委员编辑权限时,身份证号码只显示前6位和后4位。"
    ),
)
@paginate(LimitOffsetPagination)
def member_list(request, filters: Query[MemberFilters]):
    return selectors.members_visible_to(
        request.auth,
        q=filters.q or "",
        council=_ref(Council, filters.council),
        term=_ref(Term, filters.term),
        all_terms=filters.term is None,
        sector=_ref(Sector, filters.sector),
        committee=_ref(Committee, filters.committee),
        standing=filters.is_standing,
        status=filters.status or "",
    )


@router.get(
    "/members/{member_id}",
    response={200: MemberOut, **ERROR_RESPONSES},
    summary=_("委员详情"),
)
def member_detail(request, member_id: int):
    return selectors.member_for(request.auth, member_id, "view")


# --- units ------------------------------------------------------------------------------------------------


@router.get(
    "/units",
    response={200: list[UnitOut], **ERROR_RESPONSES},
    summary=_("承办单位列表"),
    description=_("承办单位联络员、审核人只能看到本单位。"),
)
@paginate(LimitOffsetPagination)
def unit_list(request, filters: Query[UnitFilters]):
    return selectors.units_visible_to(
        request.auth,
        q=filters.q or "",
        council=_ref(Council, filters.council),
        kind=filters.kind or "",
        active=filters.is_active,
    )


@router.get(
    "/units/{unit_id}",
    response={200: UnitOut, **ERROR_RESPONSES},
    summary=_("承办单位详情"),
)
def unit_detail(request, unit_id: int):
    return selectors.unit_for(request.auth, unit_id, "view")
