"""Builds real .xlsx files for import tests."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from yizheng.org.validators import id_number_check_digit

MEMBER_HEADERS = (
    "姓名*", "性别*", "民族", "出生日期", "身份证号码*", "政治面貌", "学历", "工作单位", "职务", "手机号码*",
    "电子邮箱", "通讯地址", "界别*", "专委会", "委员组", "是否常委", "职务类别", "委员证号",
)  # fmt: skip
UNIT_HEADERS = (
    "单位名称*", "简称", "单位类型*", "上级单位", "统一社会信用代码", "联系人", "联系电话", "电子邮箱", "地址",
)  # fmt: skip


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "委员") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(content: bytes, name: str = "委员.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def id_number(n: int, *, birth: str = "19750308", male: bool = True) -> str:
    """A valid 18-digit identity number; `n` makes it unique, `male` sets the gender digit."""
    seq = (n % 50) * 2 + (1 if male else 0)
    first17 = f"420102{birth}{n // 50 % 10}{seq:02d}"
    return first17 + id_number_check_digit(first17)


def member_row(n: int, **values: Any) -> list[Any]:
    """A valid member row for a council with sector "界别A", committee "经济委员会" and group "第一组"."""
    base = {
        "姓名*": f"委员{n}", "性别*": "男", "民族": "汉族", "出生日期": "1975-03-08",
        "身份证号码*": id_number(n), "政治面貌": "中共党员", "学历": "大学本科", "工作单位": "示例单位",
        "职务": "主任", "手机号码*": f"139{n:08d}", "电子邮箱": f"m{n}@example.cn", "通讯地址": "示例路1号",
        "界别*": "界别A", "专委会": "经济委员会", "委员组": "第一组", "是否常委": "否", "职务类别": "委员",
        "委员证号": f"C{n:05d}",
    }  # fmt: skip
    return _fill(base, values, MEMBER_HEADERS)


def unit_row(name: str, **values: Any) -> list[Any]:
    base = {
        "单位名称*": name, "简称": "", "单位类型*": "政府部门", "上级单位": "", "统一社会信用代码": "",
        "联系人": "李四", "联系电话": "027-88886666", "电子邮箱": "", "地址": "",
    }  # fmt: skip
    return _fill(base, values, UNIT_HEADERS)


def _fill(base: dict[str, Any], values: dict[str, Any], headers: Sequence[str]) -> list[Any]:
    """Override cells by header; a required header may be named without its "*"."""
    for key, value in values.items():
        header = key if key in base else f"{key}*"
        if header not in base:
            raise KeyError(key)
        base[header] = value
    return [base[h] for h in headers]
