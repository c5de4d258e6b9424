"""Validators for Chinese identity data and for passwords."""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_number_problem(value: str) -> str | None:
    """Why an 18-digit resident identity number (GB 11643) is invalid, or None."""
    v = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", v):
        return _("身份证号码应为18位,最后一位可为X")
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return _("身份证号码中的出生日期无效")
    if _CHECK[sum(int(d) * w for d, w in zip(v[:17], _WEIGHTS, strict=True)) % 11] != v[17]:
        return _("身份证号码校验位错误")
    return None


def validate_id_number(value: str) -> None:
    problem = id_number_problem(value)
    if problem:
        raise ValidationError(problem, code="id_number")


def id_number_check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match(value.strip()):
        raise ValidationError(_("手机号码应为以1开头的11位数字"), code="phone")


def validate_phone(value: str) -> None:
    v = value.strip()
    if not (MOBILE_RE.match(v) or LANDLINE_RE.match(v)):
        raise ValidationError(_("电话号码格式不正确(手机号或带区号的固定电话)"), code="phone")


class CharacterClassValidator:
    """等保: passwords mix at least three of upper case, lower case, digits and symbols."""

    def validate(self, password: str, user=None) -> None:
        classes = sum(bool(re.search(p, password)) for p in (r"[A-Z]", r"[a-z]", r"\d", r"[^A-Za-z0-9]"))
        if classes < 3:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号中的至少三类"), code="password_classes"
            )

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号中的至少三类。")


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_problem(value: str) -> str | None:
    """Why a unified social credit code (统一社会信用代码, GB 32100-2015) is invalid, or None.

    Returns the untranslated message, so callers can store it and show it in the reader's language."""
    if not re.fullmatch(rf"[{_USCC_CHARS}]{{18}}", value):
        return N_("统一社会信用代码应为18位数字或大写字母(不含I、O、S、V、Z)")
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(value[:17], _USCC_WEIGHTS, strict=True))
    if _USCC_CHARS[(31 - total % 31) % 31] != value[17]:
        return N_("统一社会信用代码校验位错误")
    return None


def validate_credit_code(value: str) -> None:
    problem = credit_code_problem(value)
    if problem:
        raise ValidationError(_(problem), code="credit_code")
