"""Word documents in the official document format (GB/T 9704-2012《党政机关公文格式》), built with python-docx.

The standard fixes: A4 paper; top margin 37 mm, binding (left) margin 28 mm, so that the type area is
156 × 225 mm (bottom 35 mm, right 26 mm); title in 2号 (22 pt) 小标宋; body in 3号 (16 pt) 仿宋; 22 lines of
28 characters per page (line pitch 225 mm / 22 ≈ 28.95 pt, set as an exact line spacing and as the section's
document grid); page numbers in 4号 (14 pt) 宋体 as "— 1 —", odd pages on the right, even pages on the left,
one character in from the edge of the type area.

Word picks an East-Asian font only from `w:rFonts/@w:eastAsia`, so every style and run here sets it explicitly.
Where the official fonts (方正小标宋简体, 仿宋_GB2312, 楷体_GB2312) are not installed, the document's font table
names the usual substitutes (`w:altName`), and `FALLBACKS` lists them for readers of the file.
"""

from __future__ import annotations

import datetime as dt
import io
from html.parser import HTMLParser

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from yizheng.core.text import chinese_numeral

# --- fonts and sizes --------------------------------------------------------------------------------------

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_KAI = "楷体_GB2312"
FONT_HEI = "黑体"
FONT_PAGE_NUMBER = "宋体"
LATIN_FONT = "Times New Roman"

# Substitutes, best first, for offices without the official fonts installed.
FALLBACKS: dict[str, tuple[str, ...]] = {
    FONT_TITLE: ("宋体", "SimSun", "Noto Serif CJK SC"),
    FONT_BODY: ("仿宋", "FangSong", "Noto Serif CJK SC"),
    FONT_KAI: ("楷体", "KaiTi", "Noto Serif CJK SC"),
    FONT_HEI: ("SimHei", "Noto Sans CJK SC"),
    FONT_PAGE_NUMBER: ("SimSun", "Noto Serif CJK SC"),
}

SIZE_TITLE = Pt(22)  # 2号
SIZE_BODY = Pt(16)  # 3号
SIZE_PAGE_NUMBER = Pt(14)  # 4号
SIZE_SMALL = Pt(14)  # 4号, tables of forms

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
LINE_PITCH = Pt(28.95)  # 225 mm / 22 lines


# --- dates ------------------------------------------------------------------------------------------------

_YEAR_DIGITS = "〇一二三四五六七八九"


def chinese_date(day: dt.date) -> str:
    """2026-11-25 → 二〇二六年十一月二十五日 (the date of a signed official document)."""
    year = "".join(_YEAR_DIGITS[int(c)] for c in str(day.year))
    return f"{year}年{chinese_numeral(day.month)}月{chinese_numeral(day.day)}日"


def arabic_date(day: dt.date) -> str:
    """2026-11-25 → 2026年11月25日 (dates inside tables and texts)."""
    return f"{day.year}年{day.month}月{day.day}日"


# --- fonts on styles and runs ------------------------------------------------------------------------------


def set_fonts(
    target, east_asia: str, *, size=None, bold: bool | None = None, latin: str = LATIN_FONT
) -> None:
    """Set the East-Asian and Latin font names (and size, bold) on a run or a style."""
    font = target.font
    font.name = latin
    if size is not None:
        font.size = size
    if bold is not None:
        font.bold = bold
    rpr = target.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:hint"), "eastAsia")


def east_asia_font(run_or_style) -> str | None:
    """The run's (or style's) East-Asian font name, as Word reads it."""
    rpr = run_or_style.element.rPr
    if rpr is None or rpr.find(qn("w:rFonts")) is None:
        return None
    return rpr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def _declare_fallbacks(document) -> None:
    """Name a substitute for each official font in the font table (w:altName)."""
    part = next(
        (rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/fontTable")),
        None,
    )
    if part is None:  # pragma: no cover - python-docx's default template has one
        return
    from lxml import etree

    root = etree.fromstring(part.blob)
    for name, substitutes in FALLBACKS.items():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        alt = etree.SubElement(font, qn("w:altName"))
        alt.set(qn("w:val"), substitutes[0])
        charset = etree.SubElement(font, qn("w:charset"))
        charset.set(qn("w:val"), "86")  # GB2312
        family = etree.SubElement(font, qn("w:family"))
        family.set(qn("w:val"), "modern" if name == FONT_BODY else "roman")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- the document ------------------------------------------------------------------------------------------


def _exact_lines(paragraph_format, pitch=LINE_PITCH) -> None:
    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.line_spacing = pitch
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(0)


def _doc_grid(section) -> None:
    """22 lines per page on the section's document grid (line pitch in twentieths of a point)."""
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))


def _page_number(paragraph) -> None:
    """ "— PAGE —" as a field, so every page shows its own number."""

    def run(text: str = ""):
        r = paragraph.add_run(text)
        set_fonts(r, FONT_PAGE_NUMBER, size=SIZE_PAGE_NUMBER, latin=FONT_PAGE_NUMBER)
        return r

    run("— ")
    for kind, instr in (("begin", None), (None, " PAGE "), ("separate", None), (None, None), ("end", None)):
        r = run("1" if (kind is None and instr is None) else "")
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            r._r.append(fld)
        elif instr:
            text = OxmlElement("w:instrText")
            text.set(qn("xml:space"), "preserve")
            text.text = instr
            r._r.append(text)
    run(" —")


def official_document(*, page_numbers: bool = True):
    """An empty document with the GB/T 9704 page, fonts and line grid."""
    document = Document()
    section = document.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance, section.footer_distance = Mm(15), Mm(25)
    _doc_grid(section)
    normal = document.styles["Normal"]
    set_fonts(normal, FONT_BODY, size=SIZE_BODY)
    _exact_lines(normal.paragraph_format)
    _declare_fallbacks(document)
    if page_numbers:
        # Single pages: number on the right, one character in; double pages: on the left.
        document.settings.odd_and_even_pages_header_footer = True
        for footer, align, indent in (
            (section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
            (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left"),
        ):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
            paragraph.alignment = align
            setattr(paragraph.paragraph_format, f"{indent}_indent", SIZE_PAGE_NUMBER)
            _page_number(paragraph)
    return document


def add_title(document, text: str):
    """The document title: 2号 小标宋, centred, with a blank line after."""
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _exact_lines(paragraph.paragraph_format, Pt(35))
    set_fonts(paragraph.add_run(text), FONT_TITLE, size=SIZE_TITLE)
    return paragraph


def add_paragraph(
    document,
    text: str = "",
    *,
    indent: bool = True,
    align=None,
    font: str = FONT_BODY,
    size=SIZE_BODY,
    bold: bool = False,
    right_indent_chars: int = 0,
):
    """A body paragraph: 3号 仿宋, first line indented two characters (unless `indent` is False)."""
    paragraph = document.add_paragraph()
    _exact_lines(paragraph.paragraph_format)
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size.pt * 2)
    if right_indent_chars:
        paragraph.paragraph_format.right_indent = Pt(size.pt * right_indent_chars)
    if align is not None:
        paragraph.alignment = align
    if text:
        set_fonts(paragraph.add_run(text), font, size=size, bold=bold)
    return paragraph


def add_runs(paragraph, parts: list[tuple[str, bool]], *, font: str = FONT_BODY, size=SIZE_BODY) -> None:
    for text, bold in parts:
        if text:
            set_fonts(paragraph.add_run(text), font, size=size, bold=bold)


# --- sanitised rich text → paragraphs ----------------------------------------------------------------------

_BLOCKS = {"p", "li", "h3", "h4", "blockquote", "tr"}


class _Blocks(HTMLParser):
    """Splits sanitised HTML (yizheng.proposals.richtext) into blocks of (text, bold) runs: paragraphs, list
    items numbered "1." (ordered) or "·" (unordered), headings in bold, table rows with cells joined."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[dict] = []
        self.current: list[tuple[str, bool]] | None = None
        self.bold = 0
        self.lists: list[list] = []  # [kind, counter]
        self.cells = 0

    def _open(self, kind: str) -> None:
        self._close()
        self.current = []
        self.blocks.append({"kind": kind, "runs": self.current})

    def _close(self) -> None:
        if self.current is not None and not "".join(t for t, _b in self.current).strip():
            self.blocks.pop()
        self.current = None

    def handle_starttag(self, tag, attrs):
        if tag in ("ol", "ul"):
            self._close()
            self.lists.append([tag, 0])
        elif tag in _BLOCKS:
            self._open(tag)
            if tag == "li" and self.lists:
                self.lists[-1][1] += 1
                kind, n = self.lists[-1]
                self.current.append((f"{n}. " if kind == "ol" else "· ", False))
            if tag in ("h3", "h4"):
                self.bold += 1
            self.cells = 0
        elif tag in ("strong", "b", "th"):
            self.bold += 1
        elif tag == "br" and self.current is not None:
            self._open(self.blocks[-1]["kind"] if self.blocks else "p")
        if tag in ("td", "th"):
            if self.current is None:
                self._open("tr")
            if self.cells:
                self.current.append((" | ", False))
            self.cells += 1

    def handle_endtag(self, tag):
        if tag in ("ol", "ul"):
            self._close()
            if self.lists:
                self.lists.pop()
        elif tag in _BLOCKS:
            if tag in ("h3", "h4"):
                self.bold = max(0, self.bold - 1)
            self._close()
        elif tag in ("strong", "b", "th"):
            self.bold = max(0, self.bold - 1)

    def handle_data(self, data):
        if not data.strip() and self.current is None:
            return
        if self.current is None:
            self._open("p")
        self.current.append((data, self.bold > 0))


def html_blocks(html: str) -> list[dict]:
    """[{"kind": "p" | "li" | "h3" | …, "runs": [(text, bold), …]}, …]"""
    parser = _Blocks()
    parser.feed(html or "")
    parser.close()
    parser._close()
    return parser.blocks


def add_html(document, html: str, *, font: str = FONT_BODY, size=SIZE_BODY) -> int:
    """Append sanitised rich text as body paragraphs; returns how many were added."""
    blocks = html_blocks(html)
    for block in blocks:
        paragraph = add_paragraph(document, indent=block["kind"] in ("p", "li", "blockquote"), size=size)
        runs = [(t.replace("\n", " "), b) for t, b in block["runs"]]
        if runs:
            runs[0] = (runs[0][0].lstrip(), runs[0][1])
        add_runs(paragraph, runs, font=font, size=size)
    return len(blocks)


def cell_text(cell, text: str, *, bold: bool = False, size=SIZE_SMALL, align=None, font: str = FONT_BODY):
    """Write text into a table cell (replacing its first paragraph's content)."""
    paragraph = cell.paragraphs[0]
    for run in list(paragraph.runs):
        run._r.getparent().remove(run._r)
    _exact_lines(paragraph.paragraph_format, Pt(size.pt * 1.6))
    if align is not None:
        paragraph.alignment = align
    set_fonts(paragraph.add_run(text), font, size=size, bold=bold)
    return paragraph


def to_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
