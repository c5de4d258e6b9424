"""The official-document helpers: page, fonts, line grid, page numbers, dates, rich text."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from docx.oxml.ns import qn

from yizheng.reports import docx_official as official


def _reopen(document) -> Document:
    return Document(io.BytesIO(official.to_bytes(document)))


def test_page_and_grid_follow_gb_t_9704():
    document = _reopen(official.official_document())
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = [
        section.top_margin.mm,
        section.bottom_margin.mm,
        section.left_margin.mm,
        section.right_margin.mm,
    ]
    assert margins == [pytest.approx(m, abs=0.05) for m in (37, 35, 28, 26)]
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:linePitch")) == "579"  # 28.95 pt: 22 lines in 225 mm
    assert document.settings.odd_and_even_pages_header_footer
    assert section.footer.paragraphs[0].text == "— 1 —"
    assert section.footer.paragraphs[0].alignment == official.WD_ALIGN_PARAGRAPH.RIGHT
    assert section.even_page_footer.paragraphs[0].alignment == official.WD_ALIGN_PARAGRAPH.LEFT


def test_fonts_are_set_for_east_asian_text_with_substitutes():
    document = official.official_document()
    title = official.add_title(document, "关于测试的函")
    body = official.add_paragraph(document, "正文")
    document = _reopen(document)
    assert official.east_asia_font(document.styles["Normal"]) == "仿宋_GB2312"
    assert official.east_asia_font(document.paragraphs[0].runs[0]) == "方正小标宋简体"
    assert document.paragraphs[0].runs[0].font.size.pt == 22
    assert document.paragraphs[1].runs[0].font.size.pt == 16
    assert document.paragraphs[1].paragraph_format.first_line_indent.pt == 32  # two characters
    assert title.text
    assert body.text
    font_table = next(
        rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/fontTable")
    ).blob.decode()
    assert 'w:name="仿宋_GB2312"' in font_table
    assert 'w:altName w:val="仿宋"' in font_table


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (dt.date(2026, 11, 25), "二〇二六年十一月二十五日"),
        (dt.date(2027, 1, 10), "二〇二七年一月十日"),
        (dt.date(2030, 10, 31), "二〇三〇年十月三十一日"),
    ],
)
def test_chinese_date(day, text):
    assert official.chinese_date(day) == text


def test_html_becomes_paragraphs():
    document = official.official_document()
    added = official.add_html(
        document,
        "<h3>一、总体情况</h3><p>第一段<br>第二行</p><ul><li>甲</li></ul><table><tr><td>a</td><td>b</td></tr></table>",
    )
    texts = [p.text for p in _reopen(document).paragraphs]
    assert added == 5
    assert texts == ["一、总体情况", "第一段", "第二行", "· 甲", "a | b"]
    assert official.add_html(document, "") == 0
