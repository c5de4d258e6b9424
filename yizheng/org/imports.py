"""Excel (.xlsx) import of members and units.

One engine serves the web page (an ImportJob run by a task) and the command line (`manage.py import_data`):

- `template_build` gives the workbook a council fills in: the data sheet with the Chinese column headers, a
  sheet "说明" explaining every column with its allowed values (this council's sectors, committees, groups …),
  a hidden sheet of choices and drop-down validations that use it.
- `upload_check` refuses anything that is not a real .xlsx within the size limit, before anything is stored.
- `import_run` reads the sheet, checks every row and reports every problem (the row number as Excel shows it,
  the column header, a message); then — unless it is a dry run or any problem was found — writes all rows in
  one transaction: an audit event for every created or changed record and one `import.run` event with the
  counts. Nothing is written when anything fails.
- `import_job_create` / `import_job_confirm` / `import_job_run` are the web flow around an ImportJob: an upload
  is always checked first (dry run); a clean check can be confirmed, which checks again and writes.

Problems are stored as message ids (the Chinese text) with parameters, so each reader sees them in their own
language. Blank cells never clear what an existing record already holds.
"""

from __future__ import annotations

import io
import logging
import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

import openpyxl
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator
from django.db import DatabaseError, connection, connections, models, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from yizheng.audit.services import PendingEvent, diff, event_record, event_record_many
from yizheng.core.errors import ApplicationError, ConflictError

from . import permissions
from .models import Committee, Council, ImportJob, Member, MemberGroup, Membership, Sector, Term, Unit, User
from .services import MEMBER_FIELDS, MEMBERSHIP_FIELDS, UNIT_FIELDS, _snapshot
from .validators import MOBILE_RE, credit_code_problem, id_number_problem, validate_phone

logger = logging.getLogger(__name__)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERMS = {ImportJob.Kind.MEMBERS: "member.import", ImportJob.Kind.UNITS: "unit.import"}
MAX_ROWS = 20_000  # one file; larger lists are imported in parts
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # an .xlsx is a zip: refuse archives that unpack to more than this
PROGRESS_EVERY = 100  # rows between two progress reports
BATCH = 500

Problem = dict[str, Any]  # {"row": int | None, "column": msgid, "message": msgid, "params": {...}}


def _problem(row: int | None, column: str, message: str, **params: Any) -> Problem:
    return {"row": row, "column": column, "message": str(message), "params": params}


def problem_text(problem: Problem) -> str:
    message = gettext(problem["message"])
    return message % problem["params"] if problem.get("params") else message


def problems_for_display(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    """Problems in the reader's language: [{"row", "column", "message"}]."""
    return [
        {
            "row": p.get("row"),
            "column": gettext(p["column"]) if p.get("column") else "",
            "message": problem_text(p),
        }
        for p in problems
    ]


# --- columns ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # message id: the Chinese header
    required: bool = False
    note: str = ""  # message id: how to fill it in
    choices: str = ""  # name of a list from the importer's `choices()`
    strict: bool = True  # the drop-down refuses other values (else it only suggests)
    multi: bool = False  # several values separated by 、 or ,
    text: bool = False  # Excel must keep it as text (long digit strings)
    date: bool = False
    width: int = 14

    def header_text(self) -> str:
        return gettext(self.header) + ("*" if self.required else "")


MEMBER_COLUMNS = (
    Column("name", N_("姓名"), required=True, width=10),
    Column("gender", N_("性别"), required=True, choices="gender", width=8,
           note=N_("须与身份证号码一致")),
    Column("ethnicity", N_("民族"), choices="ethnicities", width=10, note=N_("不填时为“汉族”")),
    Column("birth_date", N_("出生日期"), date=True, width=12,
           note=N_("如 1975-03-08;不填时按身份证号码取出生日期,填写时须与身份证号码一致")),
    Column("id_number", N_("身份证号码"), required=True, text=True, width=21,
           note=N_("18位居民身份证号码;本政协已有该身份证号码的委员时,更新该委员的信息")),
    Column("political_affiliation", N_("政治面貌"), choices="affiliations", strict=False, width=12),
    Column("education", N_("学历"), choices="educations", strict=False, width=10),
    Column("work_unit", N_("工作单位"), width=24),
    Column("job_title", N_("职务"), width=20),
    Column("phone", N_("手机号码"), required=True, text=True, width=14, note=N_("11位手机号码")),
    Column("email", N_("电子邮箱"), width=22),
    Column("address", N_("通讯地址"), width=30),
    Column("sector", N_("界别"), required=True, choices="sectors", width=16),
    Column("committees", N_("专委会"), choices="committees", strict=False, multi=True, width=24,
           note=N_("可填多个,以“、”或“,”分隔")),
    Column("groups", N_("委员组"), choices="groups", strict=False, multi=True, width=14,
           note=N_("本届的委员组;可填多个,以“、”或“,”分隔")),
    Column("is_standing", N_("是否常委"), choices="yes_no", width=10, note=N_("不填时为“否”")),
    Column("position", N_("职务类别"), choices="positions", width=10, note=N_("不填时为“委员”")),
    Column("card_number", N_("委员证号"), text=True, width=12),
)  # fmt: skip

UNIT_COLUMNS = (
    Column("name", N_("单位名称"), required=True, width=30,
           note=N_("本政协已有同名单位时,更新该单位的信息")),
    Column("short_name", N_("简称"), width=12),
    Column("kind", N_("单位类型"), required=True, choices="unit_kinds", width=16),
    Column("parent", N_("上级单位"), choices="units", strict=False, width=24,
           note=N_("填写本文件中或本政协已有的另一个单位的名称")),
    Column("code", N_("统一社会信用代码"), text=True, width=22, note=N_("18位,含校验位")),
    Column("contact_name", N_("联系人"), width=10),
    Column("contact_phone", N_("联系电话"), text=True, width=16, note=N_("手机号码或带区号的固定电话")),
    Column("contact_email", N_("电子邮箱"), width=22),
    Column("address", N_("地址"), width=30),
)  # fmt: skip

ETHNICITIES = (
    "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族",
    "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族",
    "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族",
    "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族",
    "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族",
    "门巴族", "珞巴族", "基诺族",
)  # fmt: skip
AFFILIATIONS = (
    "中共党员", "中共预备党员", "共青团员", "民革党员", "民盟盟员", "民建会员", "民进会员", "农工党党员",
    "致公党党员", "九三学社社员", "台盟盟员", "无党派人士", "群众",
)  # fmt: skip
EDUCATIONS = ("博士研究生", "硕士研究生", "大学本科", "大学专科", "中等专科", "高中", "初中及以下")
YES_NO = ((True, N_("是")), (False, N_("否")))

_HEADER_JUNK = re.compile(r"[\s*\uff0a]+|[(\uff08][^)\uff09]*[)\uff09]")  # spaces, "*", "(…)" hints
_SPACES = re.compile(r"[\s\u200b\ufeff]+")
_SEPARATORS = re.compile(r"[、,,;;]+")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_email = EmailValidator()


def _norm_header(text: Any) -> str:
    return _HEADER_JUNK.sub("", str(text or "")).casefold()


def _norm_value(text: Any) -> str:
    return _SPACES.sub("", str(text)).replace("\uff08", "(").replace("\uff09", ")").casefold()


def _in_every_language(label) -> list[str]:
    """The label in each configured language (a message id or a lazy translation)."""
    out = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out.append(gettext(label) if isinstance(label, str) else str(label))
    return out


def _alias_map(pairs: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """{normalised label in any language: value} for (value, label) pairs."""
    out: dict[str, Any] = {}
    for value, label in pairs:
        for text in _in_every_language(label):
            out.setdefault(_norm_value(text), value)
    return out


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not _SPACES.sub("", value))


def _text(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, dates as YYYY-MM-DD, spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").replace("\xa0", " ").replace("\u200b", "").strip()


def _parse_date(value: Any) -> date | None:
    """A date from a date cell, an Excel serial number or text like 1975-03-08 / 1975年3月8日 / 19750308."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        try:
            result = from_excel(value)
        except (ValueError, OverflowError):
            return None
        return result.date() if isinstance(result, datetime) else None
    text = _SPACES.sub("", _text(value))
    match = _DATE_RE.match(text)
    if match is None and re.fullmatch(r"\d{8}", text):
        match = re.match(r"(\d{4})(\d{2})(\d{2})", text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _rows_text(rows: Iterable[int]) -> str:
    return "、".join(str(r) for r in rows)


# --- progress ---------------------------------------------------------------------------------------------


class Progress:
    """Receives progress reports from an import; this base ignores them."""

    def started(self, total: int) -> None: ...

    def checked(self, done: int) -> None: ...

    def written(self, created: int, updated: int) -> None: ...

    def close(self) -> None: ...


class JobProgress(Progress):
    """Writes progress onto the ImportJob row so that the job page can poll it.

    Checking runs outside any transaction, so a plain UPDATE commits at once. Writing runs inside the import's
    transaction; there the counts go through a second connection that commits on its own. SQLite has a single
    writer, so on SQLite the write phase reports its counts only when it has finished.
    """

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.total = 0
        self._side = None

    def started(self, total: int) -> None:
        self.total = total
        ImportJob.objects.filter(pk=self.job_id).update(total_rows=total, processed_rows=0)

    def checked(self, done: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == self.total:
            ImportJob.objects.filter(pk=self.job_id).update(processed_rows=done)

    def written(self, created: int, updated: int) -> None:
        if (created + updated) % PROGRESS_EVERY:
            return
        if not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job_id).update(created_count=created, updated_count=updated)
        elif connection.vendor != "sqlite":
            self._side_update(created_count=created, updated_count=updated)

    def _side_update(self, **values: int) -> None:
        if self._side is None:
            self._side = connections.create_connection(connection.alias)
        qn = self._side.ops.quote_name
        sets = ", ".join(f"{qn(k)} = %s" for k in values)
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {qn(ImportJob._meta.db_table)} SET {sets} WHERE {qn('id')} = %s",
                [*values.values(), self.job_id],
            )

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


# --- reading a workbook -----------------------------------------------------------------------------------


@dataclass
class Sheet:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (Excel row number, {key: value})
    problems: list[Problem] = field(default_factory=list)  # problems that stop the rows from being checked


def _read_sheet(source, columns: tuple[Column, ...]) -> Sheet:
    by_header: dict[str, Column] = {}
    for col in columns:
        for text in _in_every_language(col.header):
            by_header.setdefault(_norm_header(text), col)
    skip_titles = {_norm_header(t) for m in (N_("说明"), N_("选项")) for t in _in_every_language(m)}

    sheet = Sheet()
    workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
    try:
        candidates = [ws for ws in workbook.worksheets if _norm_header(ws.title) not in skip_titles]
        if not candidates:
            sheet.problems.append(_problem(None, "", N_("文件中没有数据工作表")))
            return sheet
        ws = candidates[0]
        ws.reset_dimensions()  # some programs write a wrong size; read what is really there
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None) or ()
        index: dict[str, int] = {}
        for i, text in enumerate(header):
            col = by_header.get(_norm_header(text)) if not _blank(text) else None
            if col is None:
                continue
            if col.key in index:
                sheet.problems.append(_problem(1, col.header, N_("列名重复")))
            index[col.key] = i
        if not index:
            sheet.problems.append(
                _problem(1, "", N_("第1行不是导入模板的列名;请下载导入模板,在模板中填写后上传"))
            )
            return sheet
        for col in columns:
            if col.required and col.key not in index:
                sheet.problems.append(_problem(1, col.header, N_("缺少必填列;请使用导入模板")))
        if sheet.problems:
            return sheet
        for number, values in enumerate(rows, start=2):
            if not values or all(_blank(v) for v in values):
                continue
            if len(sheet.rows) >= MAX_ROWS:
                sheet.problems.append(
                    _problem(number, "", N_("文件超过%(n)s行,请分成几个文件导入"), n=MAX_ROWS)
                )
                return sheet
            sheet.rows.append(
                (number, {key: values[i] if i < len(values) else None for key, i in index.items()})
            )
    finally:
        workbook.close()
    return sheet


# --- members ----------------------------------------------------------------------------------------------


@dataclass
class _MemberRow:
    number: int
    id_number: str = ""
    card_number: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # Member fields from non-blank cells
    seat: dict[str, Any] = field(default_factory=dict)  # Membership fields from non-blank cells
    committees: list[Committee] | None = None  # None: cell blank, leave as is
    groups: list[MemberGroup] | None = None
    existing: Member | None = None


@dataclass
class Plan:
    rows: list[Any]
    problems: list[Problem]
    created: int = 0
    updated: int = 0


class MemberImport:
    kind = ImportJob.Kind.MEMBERS
    columns = MEMBER_COLUMNS
    sheet_title = N_("委员")
    TEXT_FIELDS = ("name", "political_affiliation", "education", "work_unit", "job_title", "address")

    def __init__(self, council: Council) -> None:
        self.council = council
        self.term = Term.objects.filter(council=council, is_current=True).first()
        self.sectors = {s.name: s for s in Sector.objects.filter(council=council)}
        self.committees = {c.name: c for c in Committee.objects.filter(council=council, is_active=True)}
        self.groups = {g.name: g for g in MemberGroup.objects.filter(term=self.term)} if self.term else {}
        self.header = {c.key: c.header for c in self.columns}
        self.genders = _alias_map(Member.Gender.choices)
        self.yes_no = _alias_map(YES_NO)
        self.positions = _alias_map(Membership.Position.choices)
        self.current_row: int | None = None

    def choices(self) -> dict[str, list[str]]:
        return {
            "gender": [str(label) for _v, label in Member.Gender.choices],
            "ethnicities": list(ETHNICITIES),
            "affiliations": list(AFFILIATIONS),
            "educations": list(EDUCATIONS),
            "sectors": list(self.sectors),
            "committees": list(self.committees),
            "groups": list(self.groups),
            "yes_no": [gettext(label) for _v, label in YES_NO],
            "positions": [str(label) for _v, label in Membership.Position.choices],
        }

    def notes(self) -> list[str]:
        term = str(self.term) if self.term else gettext("(本政协尚未设置本届)")
        return [
            gettext("第1行是列名,请勿修改;从第2行起,每行填写一位委员。带 * 的列为必填。"),
            gettext("委员登记为%(council)s%(term)s委员,新登记的委员任职状态为“%(status)s”。")
            % {"council": self.council.name, "term": term, "status": Membership.Status.ACTIVE.label},
            gettext("本政协已有相同身份证号码的委员时,更新该委员的信息;空白单元格不会清除原有信息。"),
            gettext("身份证号码、手机号码、委员证号请按文本填写,以免Excel把长数字改成科学计数法。"),
        ]

    def preflight(self) -> list[Problem]:
        if self.term is None:
            return [_problem(None, "", N_("本政协尚未设置本届,不能导入委员;请先设置本届"))]
        return []

    # checking

    def check(self, rows: list[tuple[int, dict[str, Any]]], progress: Progress) -> Plan:
        problems: list[Problem] = []
        planned: list[_MemberRow] = []
        by_id: dict[str, list[int]] = defaultdict(list)
        by_card: dict[str, list[int]] = defaultdict(list)
        for done, (number, cells) in enumerate(rows, start=1):
            row = self._check_row(number, cells, problems)
            planned.append(row)
            if row.id_number:
                by_id[row.id_number].append(number)
            if row.card_number:
                by_card[row.card_number].append(number)
            progress.checked(done)
        for key, groups, message in (
            ("id_number", by_id, N_("身份证号码与第%(rows)s行重复")),
            ("card_number", by_card, N_("委员证号与第%(rows)s行重复")),
        ):
            for numbers in groups.values():
                if len(numbers) > 1:
                    for n in numbers:
                        others = _rows_text(x for x in numbers if x != n)
                        problems.append(_problem(n, self.header[key], message, rows=others))
        existing = self._existing({r.id_number for r in planned if r.id_number})
        for row in planned:
            row.existing = existing.get(row.id_number)
        order = {c.header: i for i, c in enumerate(self.columns)}
        problems.sort(key=lambda p: (p["row"] or 0, order.get(p["column"], -1)))
        updated = sum(1 for r in planned if r.existing is not None)
        return Plan(planned, problems, created=len(planned) - updated, updated=updated)

    def _existing(self, id_numbers: set[str]) -> dict[str, Member]:
        found: dict[str, Member] = {}
        wanted = sorted(id_numbers | {n.lower() for n in id_numbers if n.endswith("X")})
        for i in range(0, len(wanted), BATCH):
            for m in Member.objects.filter(council=self.council, id_number__in=wanted[i : i + BATCH]):
                found[m.id_number.upper()] = m
        return found

    def _check_row(self, number: int, cells: dict[str, Any], problems: list[Problem]) -> _MemberRow:
        row = _MemberRow(number)

        def problem(key: str, message: str, **params: Any) -> None:
            problems.append(_problem(number, self.header[key], message, **params))

        def text(key: str, model=Member) -> str:
            value = _text(cells.get(key))
            limit = model._meta.get_field(key).max_length
            if limit and len(value) > limit:
                problem(key, N_("不能超过%(n)s个字"), n=limit)
                return ""
            return value

        for col in self.columns:
            if col.required and _blank(cells.get(col.key)):
                problem(col.key, N_("必填项未填写"))

        for key in self.TEXT_FIELDS:
            if value := text(key):
                row.data[key] = value

        if value := _norm_value(_text(cells.get("gender"))):
            if value in self.genders:
                row.data["gender"] = self.genders[value]
            else:
                problem("gender", N_("性别应填“男”或“女”"))

        if value := text("ethnicity"):
            name = value if value in ETHNICITIES else f"{value}族"
            if name in ETHNICITIES:
                row.data["ethnicity"] = name
            else:
                problem(
                    "ethnicity", N_("“%(value)s”不是56个民族的名称之一,请填写如“汉族”“回族”"), value=value
                )

        raw_id = cells.get("id_number")
        id_number = _SPACES.sub("", _text(raw_id)).upper()
        id_birth: date | None = None
        if isinstance(raw_id, float) and raw_id >= 1e15:  # a number of 15+ digits has lost its last digits
            problem(
                "id_number", N_("身份证号码被Excel存成了数字,末几位可能已丢失;请把该列设为文本格式后重新填写")
            )
        elif id_number:
            why = id_number_problem(id_number)
            if why:
                problem("id_number", why)
            else:
                row.id_number = id_number
                row.data["id_number"] = id_number
                id_birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
                id_gender = Member.Gender.MALE if int(id_number[16]) % 2 else Member.Gender.FEMALE
                if row.data.get("gender") and row.data["gender"] != id_gender:
                    problem("gender", N_("性别与身份证号码不一致"))

        raw_birth = cells.get("birth_date")
        if not _blank(raw_birth):
            birth = _parse_date(raw_birth)
            if birth is None:
                problem("birth_date", N_("日期格式不正确,请按“1975-03-08”的格式填写"))
            elif birth > timezone.localdate() or birth.year < 1900:
                problem("birth_date", N_("出生日期不在合理范围内"))
            elif id_birth and birth != id_birth:
                problem(
                    "birth_date",
                    N_("出生日期与身份证号码不一致(身份证号码中为%(date)s)"),
                    date=id_birth.isoformat(),
                )
            else:
                row.data["birth_date"] = birth
        elif id_birth:
            row.data["birth_date"] = id_birth

        if phone := re.sub(r"[\s-]", "", _text(cells.get("phone"))):
            if MOBILE_RE.match(phone):
                row.data["phone"] = phone
            else:
                problem("phone", N_("手机号码应为以1开头的11位数字"))

        if email := text("email"):
            try:
                _email(email)
            except ValidationError:
                problem("email", N_("电子邮箱格式不正确"))
            else:
                row.data["email"] = email

        if name := _text(cells.get("sector")):
            if name in self.sectors:
                row.seat["sector"] = self.sectors[name]
            else:
                problem("sector", N_("本政协没有名为“%(name)s”的界别"), name=name)

        for key, known, message in (
            ("committees", self.committees, N_("本政协没有名为“%(name)s”的专委会")),
            ("groups", self.groups, N_("本届没有名为“%(name)s”的委员组")),
        ):
            names = [n.strip() for n in _SEPARATORS.split(_text(cells.get(key))) if n.strip()]
            if not names:
                continue
            unknown = [n for n in names if n not in known]
            for n in unknown:
                problem(key, message, name=n)
            if not unknown:
                setattr(row, key, [known[n] for n in dict.fromkeys(names)])

        if value := _norm_value(_text(cells.get("is_standing"))):
            if value in self.yes_no:
                row.seat["is_standing"] = self.yes_no[value]
            else:
                problem("is_standing", N_("请填“是”或“否”"))

        if value := _norm_value(_text(cells.get("position"))):
            if value in self.positions:
                row.seat["position"] = self.positions[value]
            else:
                problem("position", N_("职务类别应为主席、副主席、秘书长、委员之一"))

        if card := text("card_number", Membership):
            row.card_number = card
            row.seat["card_number"] = card
        return row

    # writing

    def write(self, plan: Plan, *, progress: Progress, events: list[PendingEvent]) -> tuple[int, int]:
        creates = [r for r in plan.rows if r.existing is None]
        updates = [r for r in plan.rows if r.existing is not None]
        created = self._create(creates, progress=progress, events=events)
        updated = self._update(updates, progress=progress, events=events, created=created)
        return created, updated

    def _create(self, rows: list[_MemberRow], *, progress: Progress, events: list[PendingEvent]) -> int:
        if not rows:
            return 0
        self.current_row = None
        members = [Member(council=self.council, **r.data) for r in rows]
        Member.objects.bulk_create(members, batch_size=BATCH)
        seats = [Membership(member=m, term=self.term, **r.seat) for m, r in zip(members, rows, strict=True)]
        Membership.objects.bulk_create(seats, batch_size=BATCH)
        for attr, fk in (("committees", "committee"), ("groups", "membergroup")):
            through = getattr(Membership, attr).through
            links = [
                through(**{"membership_id": seat.pk, f"{fk}_id": obj.pk})
                for seat, r in zip(seats, rows, strict=True)
                for obj in (getattr(r, attr) or ())
            ]
            through.objects.bulk_create(links, batch_size=BATCH)
        for done, (member, seat, r) in enumerate(zip(members, seats, rows, strict=True), start=1):
            self.current_row = r.number
            after = {**_snapshot(member, MEMBER_FIELDS), **_snapshot(seat, MEMBERSHIP_FIELDS)}
            if r.committees:
                after["committees"] = sorted(c.name for c in r.committees)
            if r.groups:
                after["groups"] = sorted(g.name for g in r.groups)
            events.append(("member.create", member, {"after": after}))
            progress.written(done, 0)
        return len(rows)

    def _update(
        self, rows: list[_MemberRow], *, progress: Progress, events: list[PendingEvent], created: int
    ) -> int:
        """Apply the rows to existing members in memory, then write the changes in a few batched queries."""
        if not rows:
            return 0
        ids = [r.existing.pk for r in rows]
        members: dict[int, Member] = {}
        seats: dict[int, Membership] = {}
        for i in range(0, len(ids), BATCH):
            chunk = ids[i : i + BATCH]
            members.update((m.pk, m) for m in Member.objects.select_for_update().filter(pk__in=chunk))
            seats.update(
                (s.member_id, s)
                for s in Membership.objects.select_for_update()
                .filter(term=self.term, member_id__in=chunk)
                .prefetch_related("committees", "groups")
            )
        now = timezone.now()
        changed_members: list[tuple[Member, tuple[str, ...]]] = []
        new_seats: list[Membership] = []
        changed_seats: list[tuple[Membership, tuple[str, ...]]] = []
        links: dict[str, list[tuple[Membership, list]]] = {"committees": [], "groups": []}
        for done, r in enumerate(rows, start=1):
            self.current_row = r.number
            member = members[r.existing.pk]
            seat = seats.get(member.pk)
            before = _snapshot(member, MEMBER_FIELDS)
            old: dict[str, set[int]] = {"committees": set(), "groups": set()}
            if seat is not None:
                before.update(_snapshot(seat, MEMBERSHIP_FIELDS))
                for attr in old:
                    related = list(getattr(seat, attr).all())
                    before[attr] = sorted(o.name for o in related)
                    old[attr] = {o.pk for o in related}
            changed = [k for k, v in r.data.items() if getattr(member, k) != v]
            for k in changed:
                setattr(member, k, r.data[k])
            if seat is None:
                seat = Membership(member=member, term=self.term, **r.seat)
                new_seats.append(seat)
            else:
                seat_changed = [k for k, v in r.seat.items() if _field_value(seat, k) != _field_value(v)]
                for k in seat_changed:
                    setattr(seat, k, r.seat[k])
                if seat_changed:
                    changed_seats.append((seat, tuple(seat_changed)))
            after = {**_snapshot(member, MEMBER_FIELDS), **_snapshot(seat, MEMBERSHIP_FIELDS)}
            for attr in links:
                after[attr] = before.get(attr, [])
                wanted = getattr(r, attr)
                if wanted is not None and {o.pk for o in wanted} != old[attr]:
                    links[attr].append((seat, wanted))
                    after[attr] = sorted(o.name for o in wanted)
            changes = diff(before, after)
            if changes:
                # updated_at moves on any change, the seat's included, so that a concurrent editor notices.
                member.updated_at = now
                changed_members.append((member, (*changed, "updated_at")))
                events.append(("member.update", member, {"changes": changes}))
            progress.written(created, done)
        _save_fields(Member, changed_members)
        Membership.objects.bulk_create(new_seats, batch_size=BATCH)
        _save_fields(Membership, changed_seats)
        for attr, fk in (("committees", "committee"), ("groups", "membergroup")):
            if not links[attr]:
                continue
            through = getattr(Membership, attr).through
            seat_ids = [seat.pk for seat, _wanted in links[attr]]
            for i in range(0, len(seat_ids), BATCH):
                through.objects.filter(membership_id__in=seat_ids[i : i + BATCH]).delete()
            through.objects.bulk_create(
                [
                    through(**{"membership_id": seat.pk, f"{fk}_id": obj.pk})
                    for seat, wanted in links[attr]
                    for obj in wanted
                ],
                batch_size=BATCH,
            )
        return len(rows)


def _save_fields(model: type[models.Model], changes: list[tuple[models.Model, tuple[str, ...]]]) -> None:
    """Save the named fields of many objects: one prepared UPDATE per set of fields, run with executemany.

    `bulk_update` builds a CASE expression per row and field in Python, which took 9 s for 5,000 members;
    this takes a fraction of a second. Values are prepared by each field, exactly as `save()` prepares them."""
    groups: dict[tuple[str, ...], list[models.Model]] = defaultdict(list)
    for obj, names in changes:
        groups[tuple(sorted(names))].append(obj)
    qn = connection.ops.quote_name
    pk = model._meta.pk
    for names, objs in groups.items():
        fields = [model._meta.get_field(name) for name in names]
        sql = "UPDATE {} SET {} WHERE {} = %s".format(
            qn(model._meta.db_table), ", ".join(f"{qn(f.column)} = %s" for f in fields), qn(pk.column)
        )
        params = [
            [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields] + [obj.pk]
            for obj in objs
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _field_value(obj_or_value, key: str | None = None):
    """Compare foreign keys by primary key, without fetching the related row."""
    if key is None:
        return obj_or_value.pk if hasattr(obj_or_value, "_meta") else obj_or_value
    field_ = obj_or_value._meta.get_field(key)
    return getattr(obj_or_value, field_.attname)


# --- units ------------------------------------------------------------------------------------------------


@dataclass
class _UnitRow:
    number: int
    name: str = ""
    parent_name: str | None = None  # None: cell blank, leave as is
    data: dict[str, Any] = field(default_factory=dict)
    existing: Unit | None = None


class UnitImport:
    kind = ImportJob.Kind.UNITS
    columns = UNIT_COLUMNS
    sheet_title = N_("承办单位")
    TEXT_FIELDS = ("name", "short_name", "contact_name", "address")

    def __init__(self, council: Council) -> None:
        self.council = council
        self.units = {u.name: u for u in Unit.objects.filter(council=council)}
        self.header = {c.key: c.header for c in self.columns}
        self.kinds = _alias_map(Unit.Kind.choices)
        self.current_row: int | None = None

    def choices(self) -> dict[str, list[str]]:
        return {"unit_kinds": [str(label) for _v, label in Unit.Kind.choices], "units": list(self.units)}

    def notes(self) -> list[str]:
        return [
            gettext("第1行是列名,请勿修改;从第2行起,每行填写一个承办单位。带 * 的列为必填。"),
            gettext(
                "单位导入到%(council)s。本政协已有同名单位时,更新该单位的信息;空白单元格不会清除原有信息。"
            )
            % {"council": self.council.name},
            gettext("上级单位可以是本文件中的另一个单位,也可以是本政协已有的单位。"),
        ]

    def preflight(self) -> list[Problem]:
        return []

    def check(self, rows: list[tuple[int, dict[str, Any]]], progress: Progress) -> Plan:
        problems: list[Problem] = []
        planned: list[_UnitRow] = []
        by_name: dict[str, list[int]] = defaultdict(list)
        for done, (number, cells) in enumerate(rows, start=1):
            row = self._check_row(number, cells, problems)
            planned.append(row)
            if row.name:
                by_name[row.name].append(number)
            progress.checked(done)
        for numbers in by_name.values():
            if len(numbers) > 1:
                for n in numbers:
                    others = _rows_text(x for x in numbers if x != n)
                    problems.append(
                        _problem(n, self.header["name"], N_("单位名称与第%(rows)s行重复"), rows=others)
                    )
        in_file = {r.name: r for r in planned if r.name}
        # The parent of every unit once this file is imported: the database, overridden by the file.
        parent_of = {u.name: u.parent.name if u.parent_id else None for u in self._with_parents()}
        for r in planned:
            r.existing = self.units.get(r.name)
            if r.name and r.parent_name is not None:
                parent_of[r.name] = r.parent_name
        for r in planned:
            if not r.name or not r.parent_name:
                continue
            if r.parent_name == r.name:
                problems.append(_problem(r.number, self.header["parent"], N_("上级单位不能是本单位")))
            elif r.parent_name not in in_file and r.parent_name not in self.units:
                problems.append(
                    _problem(
                        r.number,
                        self.header["parent"],
                        N_("找不到上级单位“%(name)s”:它既不在本文件中,也不是本政协已有的单位"),
                        name=r.parent_name,
                    )
                )
            else:
                chain = [r.name]
                current = r.parent_name
                while current is not None and current not in chain:
                    chain.append(current)
                    current = parent_of.get(current)
                if current == r.name:
                    problems.append(
                        _problem(
                            r.number,
                            self.header["parent"],
                            N_("上级单位关系形成了循环:%(chain)s"),
                            chain=" → ".join([*chain, r.name]),
                        )
                    )
        order = {c.header: i for i, c in enumerate(self.columns)}
        problems.sort(key=lambda p: (p["row"] or 0, order.get(p["column"], -1)))
        updated = sum(1 for r in planned if r.existing is not None)
        return Plan(planned, problems, created=len(planned) - updated, updated=updated)

    def _with_parents(self) -> list[Unit]:
        names = {u.pk: u for u in self.units.values()}
        for u in self.units.values():
            u.parent = names.get(u.parent_id) if u.parent_id else None  # no query per unit
        return list(self.units.values())

    def _check_row(self, number: int, cells: dict[str, Any], problems: list[Problem]) -> _UnitRow:
        row = _UnitRow(number)

        def problem(key: str, message: str, **params: Any) -> None:
            problems.append(_problem(number, self.header[key], message, **params))

        def text(key: str) -> str:
            value = _text(cells.get(key))
            limit = Unit._meta.get_field(key).max_length
            if limit and len(value) > limit:
                problem(key, N_("不能超过%(n)s个字"), n=limit)
                return ""
            return value

        for col in self.columns:
            if col.required and _blank(cells.get(col.key)):
                problem(col.key, N_("必填项未填写"))
        for key in self.TEXT_FIELDS:
            if value := text(key):
                row.data[key] = value
        row.name = row.data.get("name", "")

        if value := _norm_value(_text(cells.get("kind"))):
            if value in self.kinds:
                row.data["kind"] = self.kinds[value]
            else:
                problem(
                    "kind",
                    N_("单位类型应为%(choices)s之一"),
                    choices="、".join(str(label) for _v, label in Unit.Kind.choices),
                )

        if parent := _text(cells.get("parent")):
            row.parent_name = parent

        if code := _SPACES.sub("", _text(cells.get("code"))).upper():
            if why := credit_code_problem(code):
                problem("code", why)
            else:
                row.data["code"] = code

        if phone := text("contact_phone"):
            try:
                validate_phone(phone)
            except ValidationError:
                problem("contact_phone", N_("联系电话应为手机号码或带区号的固定电话"))
            else:
                row.data["contact_phone"] = phone

        if email := text("contact_email"):
            try:
                _email(email)
            except ValidationError:
                problem("contact_email", N_("电子邮箱格式不正确"))
            else:
                row.data["contact_email"] = email
        return row

    def write(self, plan: Plan, *, progress: Progress, events: list[PendingEvent]) -> tuple[int, int]:
        rows: list[_UnitRow] = plan.rows
        in_file = {r.name: r for r in rows}
        ordered: list[_UnitRow] = []
        placed: set[str] = set()

        def place(r: _UnitRow) -> None:  # parents first; the check has ruled out cycles
            if r.name in placed:
                return
            placed.add(r.name)
            if r.parent_name in in_file:
                place(in_file[r.parent_name])
            ordered.append(r)

        for r in rows:
            place(r)
        by_name = dict(self.units)
        locked = {
            u.pk: u
            for u in Unit.objects.select_for_update().filter(
                pk__in=[r.existing.pk for r in rows if r.existing is not None]
            )
        }
        created = updated = 0
        for r in ordered:
            self.current_row = r.number
            data = dict(r.data)
            if r.parent_name is not None:
                data["parent"] = by_name[r.parent_name]
            if r.existing is None:
                unit = Unit.objects.create(council=self.council, **data)
                events.append(("unit.create", unit, {"after": _snapshot(unit, UNIT_FIELDS)}))
                created += 1
            else:
                unit = locked[r.existing.pk]
                before = _snapshot(unit, UNIT_FIELDS)
                changed = [k for k, v in data.items() if _field_value(unit, k) != _field_value(v)]
                for k in changed:
                    setattr(unit, k, data[k])
                if changed:
                    unit.save(update_fields=[*changed, "updated_at"])
                    changes = diff(before, _snapshot(unit, UNIT_FIELDS))
                    events.append(("unit.update", unit, {"changes": changes}))
                updated += 1
            by_name[unit.name] = unit
            progress.written(created, updated)
        return created, updated


def events_record(*, actor, council: Council, events: list[PendingEvent]) -> None:
    event_record_many(actor=actor, council=council, events=events, batch_size=BATCH)


IMPORTERS = {ImportJob.Kind.MEMBERS: MemberImport, ImportJob.Kind.UNITS: UnitImport}


def _importer(kind: str, council: Council):
    if kind not in IMPORTERS:
        raise ApplicationError(gettext("不支持的导入类型"))
    return IMPORTERS[kind](council)


# --- the engine -------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    total_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    written: bool = False


def import_run(
    *,
    actor,
    council: Council,
    kind: str,
    source,
    dry_run: bool,
    progress: Progress | None = None,
    job: ImportJob | None = None,
    file_name: str = "",
) -> ImportResult:
    """Check every row of an .xlsx file; unless `dry_run` or a problem was found, write all rows or none.

    `actor` None is the operator at the command line; otherwise they need the import permission there."""
    if actor is not None:
        permissions.require(actor, PERMS.get(kind, "member.import"), council)
    progress = progress or Progress()
    with translation.override(settings.LANGUAGE_CODE):
        importer = _importer(kind, council)
        result = ImportResult(problems=importer.preflight())
        if result.problems:
            return result
        sheet = _read_sheet(source, importer.columns)
        result.total_rows = len(sheet.rows)
        progress.started(result.total_rows)
        if sheet.problems:
            result.problems = sheet.problems
            return result
        plan = importer.check(sheet.rows, progress)
        result.problems, result.created, result.updated = plan.problems, plan.created, plan.updated
        if result.problems or dry_run:
            return result
        via = {"via": "import", **({"import_job": job.pk} if job else {})}
        events: list[PendingEvent] = []
        try:
            with transaction.atomic():
                created, updated = importer.write(plan, progress=progress, events=events)
                events = [(action, target, {**payload, **via}) for action, target, payload in events]
                summary = {"kind": kind, "file": job.original_name if job else file_name,
                           "rows": result.total_rows, "created": created, "updated": updated}  # fmt: skip
                events.append(("import.run", job or council, summary))
                events_record(actor=actor, council=council, events=events)
        except DatabaseError as exc:
            logger.warning("import into %s failed at row %s: %s", council, importer.current_row, exc)
            result.created = result.updated = 0
            result.problems = [
                _problem(
                    importer.current_row,
                    "",
                    N_("写入数据库时出错,所有行均未写入:%(error)s"),
                    error=str(exc)[:200],
                )
            ]
            return result
        result.created, result.updated, result.written = created, updated, True
    return result


# --- the template -----------------------------------------------------------------------------------------

_HEAD_FILL = PatternFill("solid", fgColor="A61B1B")
_HEAD_FONT = Font(bold=True, color="FFFFFF")
_THIN = Side(style="thin", color="D1D5DB")


def template_build(*, council: Council, kind: str) -> bytes:
    """The .xlsx template for `kind`, with this council's allowed values."""
    importer = _importer(kind, council)
    choices = importer.choices()
    workbook = openpyxl.Workbook()
    data = workbook.active
    data.title = gettext(importer.sheet_title)
    notes = workbook.create_sheet(gettext("说明"))
    options = workbook.create_sheet(gettext("选项"))
    options.sheet_state = "hidden"

    option_ranges: dict[str, str] = {}
    for i, (name, values) in enumerate(choices.items(), start=1):
        letter = get_column_letter(i)
        for row, value in enumerate(values, start=1):
            options.cell(row=row, column=i, value=value)
        if values:
            option_ranges[name] = f"'{options.title}'!${letter}$1:${letter}${len(values)}"

    last_row = MAX_ROWS + 1
    for i, col in enumerate(importer.columns, start=1):
        letter = get_column_letter(i)
        cell = data.cell(row=1, column=i, value=col.header_text())
        cell.fill, cell.font = _HEAD_FILL, _HEAD_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center")
        dim = data.column_dimensions[letter]
        dim.width = col.width
        if col.text:
            dim.number_format = "@"
        elif col.date:
            dim.number_format = "yyyy-mm-dd"
        if col.choices in option_ranges:
            check = DataValidation(
                type="list",
                formula1=option_ranges[col.choices],
                allow_blank=True,
                showErrorMessage=col.strict,
                errorTitle=gettext("填写有误"),
                error=gettext("请从下拉列表中选择"),
            )
            check.add(f"{letter}2:{letter}{last_row}")
            data.add_data_validation(check)
    data.freeze_panes = "A2"
    data.row_dimensions[1].height = 22

    title = gettext("%(kind)s导入说明") % {"kind": ImportJob.Kind(kind).label}
    notes["A1"] = title
    notes["A1"].font = Font(bold=True, size=14)
    row = 2
    for line in [
        *importer.notes(),
        gettext(
            "上传后系统先检查全部行,列出所有问题,不写入任何数据;检查无误后点击“确认导入”,"
            "全部行一次写入,任何一行写入失败则全部不写入。"
        ),
    ]:
        notes.cell(row=row, column=1, value=line)
        row += 1
    row += 1
    heads = [gettext("列名"), gettext("是否必填"), gettext("填写说明"), gettext("可选值")]
    for i, text in enumerate(heads, start=1):
        cell = notes.cell(row=row, column=i, value=text)
        cell.fill, cell.font = _HEAD_FILL, _HEAD_FONT
    for col in importer.columns:
        row += 1
        values = choices.get(col.choices, []) if col.choices else []
        allowed = "、".join(values)
        if values and not col.strict and not col.multi:  # several allowed names are still strict
            allowed = gettext("可参考:") + allowed
        if col.choices == "groups" and not values:
            allowed = gettext("本届尚未设置委员组")
        cells = [
            gettext(col.header),
            gettext("必填") if col.required else gettext("选填"),
            gettext(col.note) if col.note else "",
            allowed,
        ]
        for i, text in enumerate(cells, start=1):
            cell = notes.cell(row=row, column=i, value=text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = Border(top=_THIN, bottom=_THIN, left=_THIN, right=_THIN)
    for letter, width in zip("ABCD", (14, 10, 48, 60), strict=True):
        notes.column_dimensions[letter].width = width

    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_file_name(kind: str) -> str:
    return gettext("%(kind)s导入模板.xlsx") % {"kind": ImportJob.Kind(kind).label}


# --- uploads ----------------------------------------------------------------------------------------------


def upload_check(upload) -> None:
    """Refuse anything but a real .xlsx file within the size limit. Raises ApplicationError."""
    name = getattr(upload, "name", "") or ""
    if not name.lower().endswith(".xlsx"):
        raise ApplicationError(
            gettext("只能上传Excel文件(.xlsx);.xls、.et 等格式请先在Excel或WPS中另存为 .xlsx")
        )
    limit = settings.YIZHENG_IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ApplicationError(
            gettext("文件太大(%(size)s),不能超过%(limit)s;请分成几个文件导入")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    not_xlsx = ApplicationError(
        gettext("文件无法作为Excel(.xlsx)打开:请确认文件没有损坏,并且确实是 .xlsx 格式")
    )
    try:
        upload.seek(0)
        if upload.read(4) != b"PK\x03\x04":
            raise not_xlsx
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            infos = archive.infolist()
            if "xl/workbook.xml" not in {i.filename for i in infos}:
                raise not_xlsx
            if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
                raise ApplicationError(gettext("文件解压后过大,请分成几个文件导入"))
        upload.seek(0)
        openpyxl.load_workbook(upload, read_only=True, data_only=True).close()
    except ApplicationError:
        raise
    except Exception as exc:  # any reason openpyxl or zipfile give up
        raise not_xlsx from exc
    finally:
        upload.seek(0)


# --- jobs: selectors --------------------------------------------------------------------------------------


def import_jobs_visible_to(user) -> QuerySet[ImportJob]:
    """Import jobs in the councils where the user may import that kind of data, newest first."""
    q = (Q(kind=ImportJob.Kind.MEMBERS) & permissions.council_q(user, "member.import")) | (
        Q(kind=ImportJob.Kind.UNITS) & permissions.council_q(user, "unit.import")
    )
    return ImportJob.objects.filter(q).select_related("council", "created_by").order_by("-created_at", "-pk")


def import_kinds_for(user) -> list[str]:
    return [kind for kind, perm in PERMS.items() if permissions.can(user, perm)]


def import_councils_for(user, kind: str) -> QuerySet[Council]:
    """Councils the user may import `kind` into; raises PermissionDenied when there are none."""
    if kind not in PERMS:
        raise Http404
    permissions.require(user, PERMS[kind])
    return permissions.councils_for(user, PERMS[kind]).order_by("path")


def import_job_for(user, pk: int) -> ImportJob:
    """One job: 403 when the user may import nothing, 404 when the job is outside their councils."""
    if not import_kinds_for(user):
        raise PermissionDenied
    job = import_jobs_visible_to(user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


# --- jobs: services ---------------------------------------------------------------------------------------


def _enqueue(job_id: int, actor_id: int) -> None:
    from .tasks import import_job_run_task

    import_job_run_task.enqueue(job_id=job_id, actor_id=actor_id)


def import_job_create(*, actor, council: Council, kind: str, upload) -> ImportJob:
    """Store an uploaded file and check it (a dry run, in a task). Nothing else is written."""
    if kind not in PERMS:
        raise ApplicationError(gettext("不支持的导入类型"))
    permissions.require(actor, PERMS[kind], council)
    upload_check(upload)
    original = (getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    with transaction.atomic():
        job = ImportJob(council=council, kind=kind, created_by=actor, original_name=original, dry_run=True)
        upload.seek(0)
        job.file.save(f"{uuid.uuid4().hex}.xlsx", upload, save=False)
        job.save()
        event_record(
            actor=actor,
            action="import.upload",
            target=job,
            council=council,
            payload={"kind": kind, "file": original, "size": upload.size},
        )
        transaction.on_commit(partial(_enqueue, job.pk, actor.pk))
    return job


def import_job_confirm(*, actor, job: ImportJob) -> ImportJob:
    """Run the real import of a file whose check found no problem: it is checked again, then written."""
    permissions.require(actor, PERMS[job.kind], job.council)
    with transaction.atomic():
        planned = {"created": job.created_count, "updated": job.updated_count}
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED, dry_run=True).update(
            dry_run=False, status=ImportJob.Status.PENDING, processed_rows=0, created_count=0, updated_count=0
        )
        if not claimed:
            raise ConflictError(gettext("只有检查通过、尚未导入的文件才能确认导入"))
        event_record(
            actor=actor,
            action="import.confirm",
            target=job,
            council=job.council,
            payload={"kind": job.kind, "file": job.original_name, "planned": planned},
        )
        transaction.on_commit(partial(_enqueue, job.pk, actor.pk))
    job.refresh_from_db()
    return job


def import_job_run(*, job_id: int, actor_id: int | None = None) -> None:
    """Check (dry run) or import one job; called by the task. A job runs once: it must be pending."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, total_rows=0, processed_rows=0, errors=[]
    )
    if not claimed:
        return
    job = ImportJob.objects.select_related("council", "created_by").get(pk=job_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else job.created_by
    progress = JobProgress(job.pk)
    try:
        with job.file.open("rb") as stored:
            source = io.BytesIO(stored.read())
        result = import_run(
            actor=actor,
            council=job.council,
            kind=job.kind,
            source=source,
            dry_run=job.dry_run,
            progress=progress,
            job=job,
        )
    except PermissionDenied:
        result = ImportResult(problems=[_problem(None, "", N_("您已没有在该政协导入此类数据的权限"))])
    except Exception:
        logger.exception("import job %s failed", job_id)
        result = ImportResult(
            problems=[_problem(None, "", N_("处理文件时发生意外错误,没有写入任何数据;请联系系统管理员"))]
        )
    finally:
        progress.close()
    if result.problems:
        status = ImportJob.Status.FAILED
    elif result.written:
        status = ImportJob.Status.DONE
    else:
        status = ImportJob.Status.CHECKED
    ImportJob.objects.filter(pk=job_id).update(
        status=status,
        total_rows=result.total_rows,
        processed_rows=result.total_rows,
        errors=result.problems,
        created_count=result.created,
        updated_count=result.updated,
    )
