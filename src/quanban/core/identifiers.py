"""Check-digit validation of Chinese identifiers, with messages that say what is wrong.

python-stdnum does the arithmetic (``cn.ric``, ``cn.uscc``); this module turns its verdicts into
messages a clerk can act on: which character is wrong, or that the check digit fails and what it
should be.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from quanban.core.errors import ValidationFailed

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def id_number_check_digit(body: str) -> str:
    """The check character (GB 11643, ISO 7064 MOD 11-2) for the first 17 digits of an ID number."""
    # stdnum's calc_check_digit ignores the last character it is given: pass a placeholder.
    return str(ric.calc_check_digit(body[:17] + "0"))


def uscc_check_digit(body: str) -> str:
    """The check character (GB 32100) for the first 17 characters of a credit code."""
    return str(uscc.calc_check_digit(body[:17]))


def _bad_character(value: str, allowed_at: list[str]) -> int | None:
    """The 1-based position of the first character not allowed at its place, if any."""
    for position, (char, allowed) in enumerate(zip(value, allowed_at, strict=False), start=1):
        if char not in allowed:
            return position
    return None


def validate_id_number(value: str, *, field: str = "id_number") -> str:
    """A citizen ID number (GB 11643-1999), compacted and upper-cased, or ValidationFailed."""
    number = ric.compact(value or "")
    if len(number) != 18:
        raise ValidationFailed(
            _("公民身份号码应为 18 位，当前为 %(n)d 位。") % {"n": len(number)},
            code="id_number_length",
            field=field,
        )
    position = _bad_character(number, ["0123456789"] * 17 + ["0123456789X"])
    if position is not None:
        raise ValidationFailed(
            _("公民身份号码第 %(pos)d 位“%(char)s”不是有效字符（前 17 位为数字，末位为数字或 X）。")
            % {"pos": position, "char": number[position - 1]},
            code="id_number_character",
            field=field,
            extra={"position": position},
        )
    expected = id_number_check_digit(number)
    if number[17] != expected:
        raise ValidationFailed(
            _("公民身份号码校验位不符：第 18 位应为 %(expected)s，实为 %(actual)s。")
            % {"expected": expected, "actual": number[17]},
            code="id_number_checksum",
            field=field,
            extra={"position": 18, "expected": expected},
        )
    # The birth date must exist. The region part is not checked against today's division list:
    # a number keeps the code of where it was first issued, and many such codes are abolished.
    try:
        ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise ValidationFailed(
            _("公民身份号码第 7–14 位的出生日期 %(birth)s 不是有效日期。")
            % {"birth": number[6:14]},
            code="id_number_birth_date",
            field=field,
            extra={"position": 7},
        ) from None
    return number


def validate_uscc(value: str, *, field: str = "uscc") -> str:
    """A unified social credit code (GB 32100-2015), upper-cased, or ValidationFailed."""
    code = uscc.compact(value or "")
    if len(code) != 18:
        raise ValidationFailed(
            _("统一社会信用代码应为 18 位，当前为 %(n)d 位。") % {"n": len(code)},
            code="uscc_length",
            field=field,
        )
    position = _bad_character(code, ["0123456789"] * 8 + [USCC_ALPHABET] * 10)
    if position is not None:
        if position <= 8:
            hint = _("第 3–8 位为登记管理机关行政区划码，只能是数字")
            if position <= 2:
                hint = _("前两位为登记管理部门码和机构类别码，只能是数字")
        else:
            hint = _("不得使用 I、O、S、V、Z 及小写字母")
        raise ValidationFailed(
            _("统一社会信用代码第 %(pos)d 位“%(char)s”不是有效字符（%(hint)s）。")
            % {"pos": position, "char": code[position - 1], "hint": hint},
            code="uscc_character",
            field=field,
            extra={"position": position},
        )
    expected = uscc_check_digit(code)
    if code[17] != expected:
        raise ValidationFailed(
            _("统一社会信用代码校验位不符：第 18 位应为 %(expected)s，实为 %(actual)s。")
            % {"expected": expected, "actual": code[17]},
            code="uscc_checksum",
            field=field,
            extra={"position": 18, "expected": expected},
        )
    return code


_DIVISION_LENGTHS = {"city": 6, "district": 6, "subdistrict": 9, "community": 12}


def validate_division_code(value: str, *, kind: str, field: str = "division_code") -> str:
    """An administrative division code (GB/T 2260 style) of the right length for its level."""
    code = (value or "").strip()
    length = _DIVISION_LENGTHS[kind]
    if not re.fullmatch(r"[0-9]+", code) or len(code) != length:
        raise ValidationFailed(
            _("行政区划代码应为 %(n)d 位数字。") % {"n": length},
            code="division_code_format",
            field=field,
        )
    return code


def validate_phone(value: str, *, field: str = "phone") -> str:
    """A mainland mobile number: 11 digits starting with 1."""
    phone = re.sub(r"[\s-]", "", value or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not re.fullmatch(r"1[3-9][0-9]{9}", phone):
        raise ValidationFailed(
            _("手机号码应为以 1 开头的 11 位数字。"), code="phone_format", field=field
        )
    return phone
