"""Masking of personal numbers for people who may not see them (PIPL; STANDARDS.md)."""

from __future__ import annotations


def mask_id_number(value: str) -> str:
    """``370102199001011234`` → ``3701**********1234``."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """``张三`` → ``张*``; ``欧阳娜娜`` → ``欧***``."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)


# Field names that hold personal numbers, wherever they appear (audit diffs, API output).
SENSITIVE_FIELDS = {
    "id_number": mask_id_number,
    "legal_rep_id_number": mask_id_number,
    "phone": mask_phone,
    "mobile": mask_phone,
}
# Never written anywhere, not even masked.
SECRET_FIELDS = {"password", "key", "token", "token_hash", "secret"}


def mask_field(name: str, value: object) -> object:
    if name in SECRET_FIELDS:
        return None if value is None else "[secret]"
    masker = SENSITIVE_FIELDS.get(name)
    if masker is not None and isinstance(value, str) and value:
        return masker(value)
    return value
