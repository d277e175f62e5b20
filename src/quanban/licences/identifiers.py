"""The national identifier of an electronic licence (电子证照标识, GB/T 36903 / GB/T 36904).

``1.2.156.3005.2.<type code>.<issuer credit code>.<serial>.<version>.<check>``:

- type code: the defining body's unified social credit code (18) + a 3-digit sequence;
- issuer credit code: the issuing department's unified social credit code (18);
- serial: assigned by the issuer, upper-case letters and digits (at most 20 here);
- version: 3 digits, 001 for the first issue, one more for every renewal;
- check: one character, ISO/IEC 7064 MOD 37,36 over the four middle parts joined without dots.

The check character is computed and validated in one place, :func:`check_character`, with
python-stdnum's ``iso7064.mod_37_36`` doing the arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from stdnum.iso7064 import mod_37_36

from quanban.core.errors import ValidationFailed

PREFIX = "1.2.156.3005.2."
CREDIT_CODE = r"[0-9A-HJ-NPQRTUWXY]{18}"
TYPE_CODE_RE = re.compile(rf"^{CREDIT_CODE}[0-9]{{3}}$")
ISSUER_CODE_RE = re.compile(rf"^{CREDIT_CODE}$")
SERIAL_RE = re.compile(r"^[0-9A-Z]{1,20}$")
IDENTIFIER_RE = re.compile(
    r"^1\.2\.156\.3005\.2\."
    rf"(?P<type_code>{CREDIT_CODE}[0-9]{{3}})\."
    rf"(?P<issuer_code>{CREDIT_CODE})\."
    r"(?P<serial>[0-9A-Z]{1,20})\."
    r"(?P<version>[0-9]{3})\."
    r"(?P<check>[0-9A-Z])$"
)
# Longest identifier: prefix + 21 + 18 + 20 + 3 + 1 and the dots between them.
MAX_LENGTH = len(PREFIX) + 21 + 1 + 18 + 1 + 20 + 1 + 3 + 1 + 1


@dataclass(frozen=True)
class LicenceIdentifier:
    type_code: str
    issuer_code: str
    serial: str
    version: int

    @property
    def check(self) -> str:
        return check_character(self.type_code, self.issuer_code, self.serial, self.version)

    def __str__(self) -> str:
        return (
            f"{PREFIX}{self.type_code}.{self.issuer_code}.{self.serial}."
            f"{self.version:03d}.{self.check}"
        )


def check_character(type_code: str, issuer_code: str, serial: str, version: int) -> str:
    """The MOD 37,36 check character of the identifier's four middle parts (the one place)."""
    return str(mod_37_36.calc_check_digit(f"{type_code}{issuer_code}{serial}{version:03d}"))


def licence_identifier(
    *, type_code: str, issuer_code: str, serial: str, version: int
) -> LicenceIdentifier:
    """A new identifier from its parts, each checked for the form the standard gives it."""
    if not TYPE_CODE_RE.match(type_code):
        raise ValidationFailed(
            _("证照类型代码应为 18 位统一社会信用代码加 3 位顺序号。"),
            code="licence_type_code_invalid",
            field="type_code",
        )
    if not ISSUER_CODE_RE.match(issuer_code):
        raise ValidationFailed(
            _("颁证单位代码应为 18 位统一社会信用代码。"),
            code="licence_issuer_code_invalid",
            field="issuer_code",
        )
    if not SERIAL_RE.match(serial):
        raise ValidationFailed(
            _("证照流水号应为 1 至 20 位大写字母或数字。"),
            code="licence_serial_invalid",
            field="serial",
        )
    if not 1 <= version <= 999:
        raise ValidationFailed(
            _("证照版本号应在 001 至 999 之间。"), code="licence_version_invalid", field="version"
        )
    return LicenceIdentifier(type_code, issuer_code, serial, version)


def parse_identifier(value: str) -> LicenceIdentifier:
    """The parts of an identifier whose form and check character are right, or ValidationFailed."""
    text = (value or "").strip().upper()
    match = IDENTIFIER_RE.match(text) if len(text) <= MAX_LENGTH else None
    if match is None:
        raise ValidationFailed(
            _("电子证照标识格式不正确。"), code="licence_identifier_invalid", field="identifier"
        )
    parsed = LicenceIdentifier(
        match["type_code"], match["issuer_code"], match["serial"], int(match["version"])
    )
    if parsed.check != match["check"]:
        raise ValidationFailed(
            _("电子证照标识的校验位不正确。"),
            code="licence_identifier_check",
            field="identifier",
        )
    return parsed
