"""Proposal documents in Word: the printable proposal form (提案表) and the reply letter (答复函) in official
letter layout (GB/T 9704-2012, see yizheng.reports.docx_official).

Letters are generated on demand from the approved reply rather than stored at approval: building one takes about
50 ms (a two-page letter, measured on the 2-core machine), the approved reply never changes afterwards, and a
stored copy would be a second truth to keep in step with fixes to the layout.

Builders take data already fetched and authorised by `selectors_documents`; they do no permission checks and
write nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yizheng.reports import docx_official as doc
from yizheng.reports.docx_official import WD_ALIGN_PARAGRAPH
from yizheng.reports.xlsx import PERCENT, TEXT, Column

from .workflow import AssignmentRole, Kind, Window

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _local_date(value) -> date | None:
    if value is None:
        return None
    return timezone.localtime(value).date() if hasattr(value, "tzinfo") else value


def session_label(proposal) -> str:
    """示例市政协六届三次会议 / 示例市政协2026年平时(闭会期间)."""
    council = proposal.council.name
    if proposal.window == Window.PLENARY and proposal.plenary_id:
        return f"{council}{proposal.plenary}"
    return _("%(council)s%(year)s年") % {"council": council, "year": proposal.year}


def form_title(proposal) -> str:
    if proposal.window == Window.PLENARY and proposal.plenary_id:
        return _("%(session)s提案") % {"session": session_label(proposal)}
    return _("%(council)s平时提案") % {"council": proposal.council.name}


# --- the proposal form (提案表) ------------------------------------------------------------------------


def _cell_html(cell, html: str) -> None:
    """Rich text into a table cell, one paragraph per block."""
    first = cell.paragraphs[0]
    added = doc.add_html(cell, html, size=doc.SIZE_SMALL)
    if added:
        first._p.getparent().remove(first._p)
    else:
        doc.cell_text(cell, "—")
    for paragraph in cell.paragraphs:
        paragraph.paragraph_format.line_spacing = doc.Pt(doc.SIZE_SMALL.pt * 1.6)


def proposal_form_docx(data: dict[str, Any]) -> bytes:
    """The printable proposal form from `selectors_documents.proposal_form_data`."""
    proposal = data["proposal"]
    document = doc.official_document()
    doc.add_title(document, form_title(proposal))
    doc.add_paragraph(
        document,
        _("案号:%(case)s") % {"case": data["case_label"] or _("(未立案)")},
        indent=False,
        align=WD_ALIGN_PARAGRAPH.RIGHT,
        size=doc.SIZE_SMALL,
    )

    table = document.add_table(rows=0, cols=4)
    table.style = "Table Grid"
    widths = (doc.Mm(28), doc.Mm(50), doc.Mm(28), doc.Mm(50))

    def row(*cells: str, bold_labels: bool = True):
        r = table.add_row()
        for i, (cell, width) in enumerate(zip(r.cells, widths, strict=True)):
            cell.width = width
            if i < len(cells):
                doc.cell_text(cell, cells[i], bold=bold_labels and i % 2 == 0)
        return r

    def wide(label: str, text: str = "", html: str | None = None):
        r = row(label)
        merged = r.cells[1].merge(r.cells[3])
        if html is not None:
            _cell_html(merged, html)
        else:
            doc.cell_text(merged, text or "—")
        return r

    row(_("案号"), data["case_label"] or "—", _("分类"), str(proposal.category or "—"))
    row(_("提案类型"), str(Kind(proposal.kind).label), _("提出时间"), str(Window(proposal.window).label))
    if proposal.kind == Kind.COLLECTIVE:
        wide(_("提案人"), _("%(name)s(集体提案)") % {"name": data["collective"]})
        wide(_("界别"), data["collective_sector"] or "—")
    else:
        names = [p["name"] for p in data["people"]]
        label = names[0] + (_("(领衔)") if len(names) > 1 else "") if names else "—"
        wide(_("提案人"), "、".join([label, *names[1:]]))
        for person in data["people"]:
            row(_("姓名"), person["name"], _("界别"), person["sector"] or "—")
            row(_("工作单位及职务"), person["work"] or "—", _("联系电话"), person["phone"] or "—")
    wide(_("题目"), proposal.title)
    wide(_("案由"), html=proposal.reason)
    wide(_("情况分析"), html=proposal.analysis)
    wide(_("具体建议"), html=proposal.suggestions)
    units = data["units"]
    handling = [
        f"{AssignmentRole(role).label}:{'、'.join(names)}"
        for role in (AssignmentRole.LEAD, AssignmentRole.CO, AssignmentRole.SEPARATE)
        if (names := units.get(role))
    ]
    wide(_("承办单位"), ";".join(handling) or _("(尚未交办)"))

    def day(value) -> str:
        found = _local_date(value)
        return doc.arabic_date(found) if found else "—"

    row(_("提交日期"), day(proposal.submitted_at), _("立案日期"), day(proposal.filed_at))
    row(_("交办日期"), day(data["assigned_at"]), _("答复日期"), day(proposal.replied_at))
    return doc.to_bytes(document)


# --- the reply letter (答复函) ----------------------------------------------------------------------------


def letter_reference(data: dict[str, Any]) -> str:
    """发文字号: the unit's short name, 〔year〕 and the case number: 市教育局〔2026〕12号."""
    unit, proposal = data["unit"], data["proposal"]
    return f"{unit.short_name or unit.name}〔{proposal.year}〕{proposal.case_number or 0}号"


def letter_title(data: dict[str, Any]) -> str:
    return _("关于%(session)s第%(case)s号提案答复的函") % {
        "session": session_label(data["proposal"]),
        "case": data["case_label"].removeprefix(_("第")).removesuffix(_("号")) or "—",
    }


def _salutation(data: dict[str, Any]) -> str:
    proposal = data["proposal"]
    if proposal.kind == Kind.COLLECTIVE:
        return f"{proposal.submitter_label}:"
    return _("%(name)s委员:") % {"name": data["lead_addressee"]}


def _rule_paragraph(paragraph, *, top: bool, bottom: bool) -> None:
    """A thin line above and/or below (the 版记 of a letter)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side, wanted in (("top", top), ("bottom", bottom)):
        if wanted:
            edge = OxmlElement(f"w:{side}")
            edge.set(qn("w:val"), "single")
            edge.set(qn("w:sz"), "4")
            edge.set(qn("w:space"), "1")
            edge.set(qn("w:color"), "000000")
            borders.append(edge)
    ppr.append(borders)


def reply_letter_docx(data: dict[str, Any]) -> bytes:
    """The reply letter from `selectors_documents.reply_letter_data`."""
    proposal, reply, unit = data["proposal"], data["reply"], data["unit"]
    document = doc.official_document()
    doc.add_paragraph(document, letter_reference(data), indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
    doc.add_paragraph(document)
    doc.add_title(document, letter_title(data))
    code = data["result_class"].get("code") or reply.result
    if code:
        doc.add_paragraph(
            document,
            _("(%(code)s类)") % {"code": code},
            indent=False,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            font=doc.FONT_KAI,
        )
    doc.add_paragraph(document)
    doc.add_paragraph(document, _salutation(data), indent=False)
    you = _("贵单位") if proposal.kind == Kind.COLLECTIVE else _("您")
    doc.add_paragraph(
        document,
        _("%(you)s提出的《%(title)s》(%(case)s)收悉。现答复如下:")
        % {"you": you, "title": proposal.title, "case": data["case_label"]},
    )
    doc.add_html(document, reply.body)
    if reply.commitments:
        doc.add_paragraph(document, _("承诺事项及完成时限:"), font=doc.FONT_HEI)
        for i, item in enumerate(reply.commitments, 1):
            due = date.fromisoformat(item["due"]) if item.get("due") else None
            doc.add_paragraph(
                document,
                _("%(n)s. %(text)s(%(due)s前完成)")
                % {"n": i, "text": item["text"], "due": doc.arabic_date(due) if due else "—"},
            )
    doc.add_paragraph(document, _("感谢%(you)s对我们工作的关心和支持。") % {"you": you})
    doc.add_paragraph(document)
    doc.add_paragraph(document)
    doc.add_paragraph(document, unit.name, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent_chars=4)
    signed = _local_date(reply.published_at) or timezone.localdate()
    doc.add_paragraph(
        document, doc.chinese_date(signed), indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent_chars=4
    )
    contact = [x for x in (unit.contact_name, unit.contact_phone) if x]
    if contact:
        doc.add_paragraph(
            document,
            _("(联系人:%(name)s;联系电话:%(phone)s)")
            % {"name": unit.contact_name or "—", "phone": unit.contact_phone or "—"},
        )
    doc.add_paragraph(document)
    copy_to = [data["copy_to"], *data["co_units"]]
    note = doc.add_paragraph(
        document, _("抄送:%(to)s。") % {"to": ",".join(copy_to)}, indent=False, size=doc.SIZE_SMALL
    )
    note.paragraph_format.left_indent = doc.Pt(doc.SIZE_SMALL.pt)
    _rule_paragraph(note, top=True, bottom=True)
    return doc.to_bytes(document)


# --- the year summary as tables (page, charts and .xlsx share them) -----------------------------------------

SUMMARY_TABLES = ("total", "category", "kind", "sector", "unit")


def _rate_columns(classes: list[str]) -> list[Column]:
    return [
        Column(_("见面率"), "contact_rate", PERCENT),
        Column(_("办理工作满意率"), "work_satisfaction_rate", PERCENT),
        Column(_("办理结果满意率"), "result_satisfaction_rate", PERCENT),
        *[Column(_("%(code)s类占比") % {"code": c}, f"share_{c}", PERCENT) for c in classes],
    ]


def _proposal_columns(label: str, classes: list[str]) -> list[Column]:
    return [
        Column(label, "label", TEXT),
        Column(_("收到提案"), "received"),
        Column(_("立案"), "filed"),
        Column(_("立案率"), "filing_rate", PERCENT),
        Column(_("不予立案"), "declined"),
        Column(_("并案"), "merged"),
        Column(_("撤案"), "withdrawn"),
        Column(_("转社情民意"), "converted"),
        Column(_("已答复"), "replied"),
        Column(_("答复率"), "reply_rate", PERCENT),
        Column(_("按期答复率"), "on_time_rate", PERCENT),
        *_rate_columns(classes),
    ]


def _unit_columns(classes: list[str]) -> list[Column]:
    return [
        Column(_("承办单位"), "label", TEXT),
        Column(_("主办/分办件数"), "assigned"),
        Column(_("已答复"), "replies"),
        Column(_("答复率"), "reply_rate", PERCENT),
        Column(_("按期答复"), "on_time"),
        Column(_("按期答复率"), "on_time_rate", PERCENT),
        *_rate_columns(classes),
    ]


def _flat(row: dict[str, Any], classes: list[str], label: str | None = None) -> dict[str, Any]:
    out = dict(row)
    if label is not None:
        out["label"] = label
    for code in classes:
        out[f"share_{code}"] = (row.get("class_shares") or {}).get(code)
    return out


def summary_tables(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The year summary (selectors.proposal_year_summary) as tables: key, title, columns, rows."""
    classes = summary["classes"]
    groups = {"category": _("分类"), "kind": _("提案类型"), "sector": _("界别")}
    tables = [
        {
            "key": "total",
            "title": _("总体情况"),
            "columns": _proposal_columns(_("范围"), classes),
            "rows": [_flat(summary["total"], classes, _("合计"))],
        }
    ]
    for key, label in groups.items():
        tables.append(
            {
                "key": key,
                "title": _("按%(group)s统计") % {"group": label},
                "columns": _proposal_columns(label, classes),
                "rows": [_flat(r, classes) for r in summary[key]],
            }
        )
    tables.append(
        {
            "key": "unit",
            "title": _("按承办单位统计"),
            "columns": _unit_columns(classes),
            "rows": [_flat(r, classes) for r in summary["unit"]],
        }
    )
    for table in tables:
        table["display"] = [[_display(c, row.get(c.key)) for c in table["columns"]] for row in table["rows"]]
    return tables


def _display(column: Column, value: Any) -> str:
    if column.kind == PERCENT:
        return "—" if value is None else f"{value:.1f}%"
    if column.kind == TEXT:
        return str(value) if value not in (None, "") else "—"
    return str(value or 0)


def summary_charts(summary: dict[str, Any]) -> dict[str, Any]:
    """The data island the summary page's charts are drawn from (plain JSON, no markup)."""
    total = summary["total"]
    classes = summary["classes"]

    def counts(rows, a: str, b: str, label_a: str, label_b: str) -> dict[str, Any]:
        return {
            "type": "bar",
            "labels": [str(r.get("label") or "—") for r in rows],
            "series": [
                {"name": label_a, "data": [r.get(a) or 0 for r in rows]},
                {"name": label_b, "data": [r.get(b) or 0 for r in rows]},
            ],
        }

    rates = [
        (_("立案率"), "filing_rate"),
        (_("答复率"), "reply_rate"),
        (_("按期答复率"), "on_time_rate"),
        (_("见面率"), "contact_rate"),
        (_("工作满意率"), "work_satisfaction_rate"),
        (_("结果满意率"), "result_satisfaction_rate"),
    ]
    received, filed = _("收到提案"), _("立案")
    return {
        "total": {
            "type": "rates",
            "labels": [str(label) for label, _key in rates],
            "series": [{"name": str(_("百分比")), "data": [total.get(key) for _label, key in rates]}],
        },
        "classes": {
            "type": "pie",
            "data": [
                {"name": _("%(code)s类") % {"code": c}, "value": total.get(f"class_{c}", 0)} for c in classes
            ],
        },
        "category": counts(summary["category"], "received", "filed", received, filed),
        "kind": counts(summary["kind"], "received", "filed", received, filed),
        "sector": counts(summary["sector"], "received", "filed", received, filed),
        "unit": counts(summary["unit"], "assigned", "replies", _("主办/分办件数"), _("已答复")),
    }
