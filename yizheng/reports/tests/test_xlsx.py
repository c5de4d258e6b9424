"""Table exports: title, bold frozen header, widths, percentages stored as fractions."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from yizheng.reports.xlsx import INTEGER, PERCENT, TEXT, Column, table_xlsx


def test_table_xlsx():
    columns = [Column("单位", "label", TEXT), Column("件数", "n", INTEGER), Column("答复率", "rate", PERCENT)]
    rows = [{"label": "市教育局", "n": 3, "rate": 66.7}, {"label": "市财政局", "n": 0, "rate": None}]
    ws = load_workbook(io.BytesIO(table_xlsx(title="统计表", columns=columns, rows=rows))).active
    assert ws["A1"].value == "统计表"
    assert [c.value for c in ws[2]] == ["单位", "件数", "答复率"]
    assert all(c.font.bold for c in ws[2])
    assert ws.freeze_panes == "B3"
    assert [c.value for c in ws[3]] == ["市教育局", 3, pytest.approx(0.667)]
    assert [c.value for c in ws[4]] == ["市财政局", 0, None]
    assert ws["C3"].number_format == "0.0%"
    assert ws.column_dimensions["A"].width >= 10
