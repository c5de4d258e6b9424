"""What the audit administrator does with the trail besides reading it: export it and verify its chain.

Both are recorded in the trail themselves (an export takes data out of the system; a verification is evidence
that the check was run)."""

from __future__ import annotations

import io
import json
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from yizheng.core.errors import ApplicationError
from yizheng.org import permissions

from .selectors_trail import events_visible_to, target_type_name
from .services import VerifyResult, audit_verify, event_record

EXPORT_MAX_ROWS = 50_000
CELL_MAX = 32_000  # Excel holds at most 32,767 characters in a cell


def _text_cell(ws, value: Any) -> WriteOnlyCell:
    """A cell that is always text: a label such as '=HYPERLINK(…)' must never become a formula."""
    cell = WriteOnlyCell(ws, value="" if value is None else str(value)[:CELL_MAX])
    cell.data_type = "s"
    return cell


def events_export(*, actor, filters: dict[str, Any]) -> tuple[bytes, int]:
    """The filtered events as an .xlsx workbook (newest first) and the row count."""
    events = events_visible_to(actor, **filters)
    count = events.count()
    if count > EXPORT_MAX_ROWS:
        raise ApplicationError(
            _("符合条件的事件有%(n)s条,超过单次导出上限%(max)s条,请缩小时间范围或增加筛选条件后再导出。")
            % {"n": count, "max": EXPORT_MAX_ROWS}
        )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("审计日志"))
    headers = [_("序号"), _("时间"), _("政协组织"), _("操作人"), _("操作"), _("对象类型"), _("对象编号"),
               _("对象"), _("原状态"), _("新状态"), _("客户端地址"), _("内容"), _("哈希值")]  # fmt: skip
    ws.append([_text_cell(ws, h) for h in headers])
    for e in events.iterator(chunk_size=2000):
        ws.append(
            [
                e.seq,
                timezone.localtime(e.occurred_at).replace(tzinfo=None),
                _text_cell(ws, e.council.name if e.council_id else ""),
                _text_cell(ws, e.actor_label),
                _text_cell(ws, e.action),
                _text_cell(ws, target_type_name(e.target_type)),
                _text_cell(ws, e.target_id),
                _text_cell(ws, e.target_label),
                _text_cell(ws, e.from_state),
                _text_cell(ws, e.to_state),
                _text_cell(ws, e.client_ip or ""),
                _text_cell(
                    ws, json.dumps(e.payload, ensure_ascii=False, sort_keys=True) if e.payload else ""
                ),
                _text_cell(ws, e.hash),
            ]
        )
    buffer = io.BytesIO()
    wb.save(buffer)
    with transaction.atomic():
        event_record(
            actor=actor,
            action="audit.export",
            target=actor,
            council=actor.council,
            payload={"filters": {k: str(v) for k, v in filters.items() if v}, "rows": count},
        )
    return buffer.getvalue(), count


def chain_verify(*, actor) -> VerifyResult:
    """Recompute the whole hash chain (the trail is one chain across councils) and record that it was done."""
    permissions.require(actor, "audit.view")
    result = audit_verify()
    with transaction.atomic():
        event_record(
            actor=actor,
            action="audit.verify",
            target=actor,
            council=actor.council,
            payload={
                "ok": result.ok,
                "checked": result.checked,
                "problem": result.problem,
                "seq": result.seq,
            },
        )
    return result
