"""Follow-ups (回头看 and every tracked item): the list and one item for owners and council staff, and the
owner's or staff's start and complete (销号, evidence required)."""

import datetime as dt
from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.pagination import paginate

from yizheng.core.api import ERROR_RESPONSES, ErrorOut, LimitOffsetPagination
from yizheng.core.uploads import download_response
from yizheng.org.schemas import Ref, choice

from . import selectors, services
from .workflow import Status

router = Router(tags=["followups"])

RESPONSES: dict[int, Any] = {**ERROR_RESPONSES, 409: ErrorOut}
FollowUpStatus = choice(Status)
VERSION_HELP = _("读取时的版本号(version);他人已修改时返回 409,不作任何修改")


class FollowUpOut(Schema):
    id: int
    council: Ref
    source_type: str
    source_id: str
    source_label: str
    title: str
    description: str
    owner_unit: Ref | None
    owner_user_id: int | None
    due_date: dt.date
    due_provisional: bool = Field(description=_("该年度法定节假日安排尚未公布,按工作日暂算"))
    status: FollowUpStatus
    is_overdue: bool = False
    evidence: str
    evidence_file: str | None = Field(
        description=_("佐证文件的下载地址(API),没有佐证文件时为空;文件名见 evidence_file_name")
    )
    evidence_file_name: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int

    @staticmethod
    def resolve_evidence_file(obj) -> str | None:
        return f"/api/v1/followups/{obj.pk}/evidence-file" if obj.evidence_file else None

    @staticmethod
    def resolve_owner_unit(obj):
        return None if obj.owner_unit is None else {"id": obj.owner_unit.pk, "name": obj.owner_unit.name}


class FollowUpFilters(Schema):
    status: FollowUpStatus | None = Field(None, description=_("状态"))
    overdue: bool | None = Field(None, description=_("是否逾期"))


class StartIn(Schema):
    expected_version: int | None = Field(None, description=VERSION_HELP)
    note: str = ""


class CompleteIn(Schema):
    expected_version: int | None = Field(None, description=VERSION_HELP)
    evidence: str = Field(description=_("落实情况(佐证材料)"))


@router.get(
    "/followups",
    response={200: list[FollowUpOut], **RESPONSES},
    summary=_("回头看事项列表"),
    description=_(
        "本级及下级政协的事项(工作人员、领导、督办),本单位的事项(承办单位),或本人的事项;先到期的在前。"
    ),
)
@paginate(LimitOffsetPagination)
def followup_list(request, filters: Query[FollowUpFilters]):
    return selectors.followups_filtered(request.auth, status=filters.status, overdue=filters.overdue)


@router.get("/followups/{followup_id}", response={200: FollowUpOut, **RESPONSES}, summary=_("回头看事项详情"))
def followup_detail(request, followup_id: int):
    return selectors.followup_for(request.auth, followup_id)


@router.get(
    "/followups/{followup_id}/evidence-file",
    response={200: None, **RESPONSES},
    summary=_("下载回头看事项的佐证文件"),
    description=_("能查看该事项的用户才能下载;没有佐证文件时返回 404。"),
    openapi_extra={
        "responses": {
            200: {
                "description": "文件",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def followup_evidence_file(request, followup_id: int):
    f = selectors.followup_for(request.auth, followup_id)
    if not f.evidence_file:
        raise Http404
    return download_response(f.evidence_file, f.evidence_file_name, f.evidence_file_type)


@router.post(
    "/followups/{followup_id}/actions/start",
    response={200: FollowUpOut, **RESPONSES},
    summary=_("开始办理回头看事项"),
)
def followup_start(request, followup_id: int, body: StartIn):
    f = selectors.followup_for(request.auth, followup_id, "start")
    return services.followup_start(
        actor=request.auth, followup=f, note=body.note, expected_version=body.expected_version
    )


@router.post(
    "/followups/{followup_id}/actions/complete",
    response={200: FollowUpOut, **RESPONSES},
    summary=_("回头看事项销号"),
    description=_("须写明落实情况。要同时上传佐证文件,用 actions/complete-with-file(multipart/form-data)。"),
)
def followup_complete(request, followup_id: int, body: CompleteIn):
    f = selectors.followup_for(request.auth, followup_id, "complete")
    return services.followup_complete(
        actor=request.auth, followup=f, evidence=body.evidence, expected_version=body.expected_version
    )


@router.post(
    "/followups/{followup_id}/actions/complete-with-file",
    response={200: FollowUpOut, **RESPONSES},
    summary=_("回头看事项销号(附佐证文件)"),
    description=_(
        "与销号相同,以 multipart/form-data 提交:落实情况(evidence)、版本号(expected_version)和可选的佐证文件"
        "(file,PDF、Word、Excel、JPG 或 PNG,不超过 20 MB,按内容核对类型)。文件不合格时返回 400,不作任何修改。"
    ),
)
def followup_complete_with_file(
    request,
    followup_id: int,
    body: Form[CompleteIn],
    file: File[UploadedFile | None] = None,
):
    f = selectors.followup_for(request.auth, followup_id, "complete")
    return services.followup_complete(
        actor=request.auth,
        followup=f,
        evidence=body.evidence,
        evidence_file=file,
        expected_version=body.expected_version,
    )
