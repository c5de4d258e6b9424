"""Tables exported to Excel (.xlsx): a title row, Chinese headers in bold, column widths, percentages as
percentages, the header frozen so it stays visible while scrolling.

Percent columns take the platform's figures as they are shown (83.3 meaning 83.3 %) and store the fraction
(0.833) with a percent number format, so Excel computes with them correctly.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

TEXT, INTEGER, PERCENT = "text", "integer", "percent"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="F2DCDB")
_FONT = "宋体"


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: str = INTEGER
    width: float | None = None  # characters; default from the header and the kind


def _width(column: Column, rows: Sequence[Mapping[str, Any]]) -> float:
    if column.width:
        return column.width

    def display(text: str) -> int:  # a CJK character is about two Latin ones wide
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    longest = max([display(str(column.header))] + [display(str(r.get(column.key, ""))) for r in rows[:200]])
    return min(max(longest + 2, 8 if column.kind != TEXT else 12), 50)


def _value(column: Column, value: Any) -> Any:
    if value is None or value == "":
        return None
    if column.kind == PERCENT:
        return round(float(value) / 100.0, 4)
    if column.kind == INTEGER:
        return int(value)
    return str(value)


def table_workbook(
    *, title: str, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], sheet: str = ""
) -> Workbook:
    """One sheet: the title in row 1, headers in row 2 (bold, frozen below), then one row per mapping."""
    rows = list(rows)
    workbook = Workbook()
    ws = workbook.active
    ws.title = (sheet or title)[:31]
    ws.cell(row=1, column=1, value=title).font = Font(name=_FONT, bold=True, size=14)
    if len(columns) > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    ws.row_dimensions[1].height = 24
    for i, column in enumerate(columns, 1):
        cell = ws.cell(row=2, column=i, value=str(column.header))
        cell.font = Font(name=_FONT, bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = _width(column, rows)
    for r, row in enumerate(rows, 3):
        for i, column in enumerate(columns, 1):
            cell = ws.cell(row=r, column=i, value=_value(column, row.get(column.key)))
            cell.border = _BORDER
            cell.font = Font(name=_FONT)
            if column.kind == PERCENT:
                cell.number_format = "0.0%"
            elif column.kind == INTEGER:
                cell.number_format = "0"
    ws.freeze_panes = "B3" if len(columns) > 1 else "A3"
    return workbook


def table_xlsx(**kwargs: Any) -> bytes:
    """`table_workbook(...)` saved to bytes."""
    buffer = io.BytesIO()
    table_workbook(**kwargs).save(buffer)
    return buffer.getvalue()
