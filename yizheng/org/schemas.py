"""The shapes of the organisation API: what /api/v1/ answers about councils, members, units, sectors and
committees, and the filters each list accepts. Field names follow GLOSSARY.md."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from . import permissions
from .models import Committee, Council, Member, Membership, Sector, Unit
from .selectors import mask_id_number

Q_MAX_LENGTH = 50


def choice(choices) -> object:
    """A Literal of a TextChoices' values: inlined in the OpenAPI document (no clash between the several
    `Kind` enums) and checked on input."""
    return Literal[tuple(choices.values)]


CouncilLevel = choice(Council.Level)
SectorKind = choice(Sector.Kind)
CommitteeKind = choice(Committee.Kind)
Gender = choice(Member.Gender)
Position = choice(Membership.Position)
MembershipStatus = choice(Membership.Status)
UnitKind = choice(Unit.Kind)


# --- references -------------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class TermRef(Schema):
    id: int
    number: int
    start_date: dt.date
    end_date: dt.date
    is_current: bool


# --- councils, sectors, committees ------------------------------------------------------------------------


class CouncilOut(Schema):
    id: int
    name: str
    short_name: str
    level: CouncilLevel
    parent_id: int | None
    region_code: str


class SectorOut(Schema):
    id: int
    council_id: int
    name: str
    kind: SectorKind
    order: int


class CommitteeOut(Schema):
    id: int
    council_id: int
    name: str
    kind: CommitteeKind
    order: int
    is_active: bool


class CouncilFilters(Schema):
    council: int | None = Field(None, description=_("政协组织编号"))


# --- members ----------------------------------------------------------------------------------------------


class MembershipOut(Schema):
    id: int
    term: TermRef
    sector: Ref | None
    committees: list[Ref]
    groups: list[Ref]
    is_standing: bool
    position: Position
    status: MembershipStatus
    card_number: str
    joined_on: dt.date | None
    left_on: dt.date | None

    @staticmethod
    def resolve_committees(obj: Membership) -> list:
        return list(obj.committees.all())  # prefetched

    @staticmethod
    def resolve_groups(obj: Membership) -> list:
        return list(obj.groups.all())  # prefetched


class MemberOut(Schema):
    id: int
    council: Ref
    name: str
    gender: Gender
    ethnicity: str
    birth_date: dt.date | None
    id_number: str = Field(description=_("身份证号码;无委员编辑权限时只显示前6位和后4位"))
    political_affiliation: str
    education: str
    work_unit: str
    job_title: str
    phone: str
    email: str
    address: str
    updated_at: dt.datetime
    memberships: list[MembershipOut]

    @staticmethod
    def resolve_id_number(obj: Member, context) -> str:
        user = context["request"].auth
        if permissions.can(user, "member.edit", obj.council):
            return obj.id_number
        return mask_id_number(obj.id_number)

    @staticmethod
    def resolve_memberships(obj: Member) -> list:
        return obj.seats  # prefetched by the selectors, newest term first


class MemberFilters(Schema):
    council: int | None = Field(None, description=_("政协组织编号"))
    term: int | None = Field(None, description=_("届编号"))
    sector: int | None = Field(None, description=_("界别编号"))
    committee: int | None = Field(None, description=_("专委会编号"))
    is_standing: bool | None = Field(None, description=_("是否常委"))
    status: MembershipStatus | None = Field(None, description=_("任职状态"))
    q: str | None = Field(
        None,
        max_length=Q_MAX_LENGTH,
        description=_("按姓名、工作单位、职务或手机号码搜索;有委员编辑权限时也可按身份证号码搜索"),
    )


# --- units ------------------------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    council: Ref
    name: str
    short_name: str
    kind: UnitKind
    parent_id: int | None
    code: str
    contact_name: str
    contact_phone: str
    contact_email: str
    address: str
    is_active: bool
    order: int
    updated_at: dt.datetime


class UnitFilters(Schema):
    council: int | None = Field(None, description=_("政协组织编号"))
    kind: UnitKind | None = Field(None, description=_("单位类型"))
    is_active: bool | None = Field(None, description=_("是否有效"))
    q: str | None = Field(
        None, max_length=Q_MAX_LENGTH, description=_("按单位名称、简称、联系人或联系电话搜索")
    )
