"""The announcement of the year's excellent proposals (优秀提案通报) in Word, official-document layout
(GB/T 9704-2012, see yizheng.reports.docx_official), like the reply letter: document number, title, body, the
list (case number, title, submitters, lead unit), the council as issuer and the date.

The approved key proposals (重点提案及督办安排) in the same layout: the notice naming the meeting that approved
them and its date, then the list with each proposal's supervising leaders (督办领导).

Generated on demand from the announced round (the round never changes afterwards). The builder takes data already
fetched and authorised by the view; it checks nothing and writes nothing.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from yizheng.reports import docx_official as doc
from yizheng.reports.docx_official import WD_ALIGN_PARAGRAPH


def announcement_title(selection) -> str:
    return _("关于%(year)s年度优秀提案的通报") % {"year": selection.year}


def announcement_filename(selection) -> str:
    return _("%(year)s年度优秀提案通报.docx") % {"year": selection.year}


def excellent_announcement_docx(selection, rows: list[dict]) -> bytes:
    """`rows` from selectors_selection.announcement_rows."""
    document = doc.official_document()
    if selection.document_number:
        doc.add_paragraph(document, selection.document_number, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_paragraph(document)
    doc.add_title(document, announcement_title(selection))
    doc.add_paragraph(document)
    doc.add_paragraph(document, _("各位委员,各参加单位,各提案承办单位:"), indent=False)
    meeting = selection.meeting_name or _("主席会议")
    doc.add_paragraph(
        document,
        _(
            "%(year)s年度,广大政协委员和各参加单位紧扣中心工作建言献策,各承办单位认真办理,提案工作取得新成效。"
            "经各方推荐、提案委员会评审,%(meeting)s审定,决定对以下%(n)s件优秀提案予以通报表彰。"
        )
        % {"year": selection.year, "meeting": meeting, "n": len(rows)},
    )
    doc.add_paragraph(document, _("希望受到表彰的委员和单位再接再厉,广大委员以他们为榜样,不断提高提案质量。"))
    doc.add_paragraph(document)
    doc.add_paragraph(document, _("附:%(year)s年度优秀提案名单") % {"year": selection.year}, indent=False)
    headers = (_("序号"), _("案号"), _("提案标题"), _("提案人"), _("主办单位"))
    widths = (doc.Mm(12), doc.Mm(22), doc.Mm(60), doc.Mm(34), doc.Mm(28))
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text, width in zip(table.rows[0].cells, headers, widths, strict=True):
        cell.width = width
        doc.cell_text(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for i, row in enumerate(rows, 1):
        values = (str(i), row["case_label"], row["title"], row["submitters"], row["lead_unit"] or "—")
        for cell, text, width in zip(table.add_row().cells, values, widths, strict=True):
            cell.width = width
            doc.cell_text(cell, text)
    doc.add_paragraph(document)
    doc.add_paragraph(
        document, selection.council.name, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent_chars=4
    )
    day = selection.decided_on or timezone.localdate()
    doc.add_paragraph(
        document, doc.chinese_date(day), indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent_chars=4
    )
    return doc.to_bytes(document)


def key_list_title(selection) -> str:
    return _("关于%(year)s年度重点提案及督办安排的通知") % {"year": selection.year}


def key_list_filename(selection) -> str:
    return _("%(year)s年度重点提案及督办安排.docx") % {"year": selection.year}


def key_list_docx(selection, rows: list[dict]) -> bytes:
    """The approved key-proposal list. `rows` as from selectors_selection.announcement_rows, each with
    "leaders" (the supervising leaders' names, joined) added by the caller. The 文号, when the approval
    recorded one, stands centred above the title, as on the excellent-proposal announcement."""
    document = doc.official_document()
    if selection.document_number:
        doc.add_paragraph(document, selection.document_number, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    doc.add_paragraph(document)
    doc.add_title(document, key_list_title(selection))
    doc.add_paragraph(document)
    doc.add_paragraph(document, _("各位委员,各参加单位,各提案承办单位:"), indent=False)
    day = selection.decided_on or timezone.localdate()
    doc.add_paragraph(
        document,
        _(
            "经提案委员会审议,%(meeting)s于%(date)s审定,确定以下%(n)s件提案为%(year)s年度重点提案,"
            "由政协领导督办。现将重点提案名单及督办安排印发给你们。"
        )
        % {
            "meeting": selection.meeting_name or _("主席会议"),
            "date": _("%(y)s年%(m)s月%(d)s日") % {"y": day.year, "m": day.month, "d": day.day},
            "n": len(rows),
            "year": selection.year,
        },
    )
    doc.add_paragraph(
        document,
        _("请各主办单位主要负责同志亲自研究办理,主动向督办领导汇报办理进展,与提案者加强沟通,确保办理实效。"),
    )
    doc.add_paragraph(document)
    doc.add_paragraph(
        document, _("附:%(year)s年度重点提案及督办安排") % {"year": selection.year}, indent=False
    )
    headers = (_("序号"), _("案号"), _("提案标题"), _("提案人"), _("主办单位"), _("督办领导"))
    widths = (doc.Mm(12), doc.Mm(22), doc.Mm(48), doc.Mm(28), doc.Mm(26), doc.Mm(20))
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text, width in zip(table.rows[0].cells, headers, widths, strict=True):
        cell.width = width
        doc.cell_text(cell, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    for i, row in enumerate(rows, 1):
        values = (
            str(i),
            row["case_label"],
            row["title"],
            row["submitters"],
            row["lead_unit"] or "—",
            row["leaders"] or "—",
        )
        for cell, text, width in zip(table.add_row().cells, values, widths, strict=True):
            cell.width = width
            doc.cell_text(cell, text)
    doc.add_paragraph(document)
    doc.add_paragraph(
        document, selection.council.name, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent_chars=4
    )
    doc.add_paragraph(
        document, doc.chinese_date(day), indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent_chars=4
    )
    return doc.to_bytes(document)
