"""The JSON interchange document (docs/catalogue-json.md; the schema beside this module).

Its shape (the field lists and the JSON Schema), its export, and the schema check whose problems
speak the active language and name where they are (``items[3].materials[2].name``). The import
itself, which also checks references and the publish-time rules, is ``interchange``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from quanban.catalogue.models import (
    MATERIAL_CONTENT_FIELDS,
    VERSION_CONTENT_FIELDS,
    ItemVersion,
    Material,
    RetainedProof,
    Situation,
    SituationOption,
)

FORMAT = "quanban-catalogue"
FORMAT_VERSION = 1
# The schema is documentation and contract at once: one file, read by the importer.
SCHEMA_PATH = Path(__file__).resolve().parent / "catalogue.schema.json"

# ItemVersion fields carried as they are, in the order of docs/catalogue-json.md.
VERSION_FIELDS = VERSION_CONTENT_FIELDS
MATERIAL_FIELDS = MATERIAL_CONTENT_FIELDS
PROOF_FIELDS: tuple[str, ...] = (
    "code",
    "name",
    "issuing_body",
    "legal_basis",
    "online_checkable",
    "is_active",
)


@functools.cache
def catalogue_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


# --- Export ---------------------------------------------------------------------------------------


def catalogue_export_json(*, states: Iterable[str] = ("published",)) -> dict[str, Any]:
    """The catalogue as one interchange document, in a stable order (item code, then version)."""
    versions = (
        ItemVersion.objects.filter(state__in=list(states))
        .select_related("item__implementing_department")
        .prefetch_related(
            "co_departments",
            Prefetch(
                "materials",
                queryset=Material.objects.select_related("retained_proof").order_by("seq"),
            ),
            Prefetch(
                "situations",
                queryset=Situation.objects.order_by("seq").prefetch_related(
                    Prefetch(
                        "options",
                        queryset=SituationOption.objects.order_by("seq").prefetch_related(
                            "adds_materials", "removes_materials"
                        ),
                    )
                ),
            ),
        )
        .order_by("item__implementation_code", "number")
    )
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "retained_proofs": [
            {name: getattr(proof, name) for name in PROOF_FIELDS}
            for proof in RetainedProof.objects.order_by("code")
        ],
        "items": [_version_document(version) for version in versions],
    }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _version_document(version: ItemVersion) -> dict[str, Any]:
    item = version.item
    out: dict[str, Any] = {
        "basic_code": item.basic_code,
        "implementation_code": item.implementation_code,
        "implementing_department": item.implementing_department.uscc,
        "state": version.state,
        "valid_from": _iso(version.valid_from),
        "valid_until": _iso(version.valid_until),
    }
    for name in VERSION_FIELDS:
        out[name] = getattr(version, name)
    out["co_departments"] = sorted(unit.uscc for unit in version.co_departments.all())
    out["materials"] = [
        {
            **{name: getattr(material, name) for name in MATERIAL_FIELDS},
            "retained_proof": material.retained_proof.code if material.retained_proof else None,
        }
        for material in version.materials.all()
    ]
    out["situations"] = [
        {
            "seq": situation.seq,
            "question": situation.question,
            "options": [
                {
                    "seq": option.seq,
                    "label": option.label,
                    "adds_materials": sorted(m.seq for m in option.adds_materials.all()),
                    "removes_materials": sorted(m.seq for m in option.removes_materials.all()),
                    "adds_conditions": option.adds_conditions,
                }
                for option in situation.options.all()
            ],
        }
        for situation in version.situations.all()
    ]
    return out


# --- Import: problems ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    location: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"location": self.location, "code": self.code, "message": self.message}


def location_of(path: Iterable[str | int]) -> str:
    """``items[3].materials[2].name`` from a JSON path."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_SCHEMA_TYPES = {
    "string": "文本",
    "integer": "整数",
    "boolean": "布尔值（true/false）",
    "array": "列表",
    "object": "对象",
    "null": "空值",
}


def _schema_message(error: jsonschema.ValidationError) -> tuple[str, str, str]:
    """(extra path part, code, message in the active language) for one schema error."""
    value = error.instance
    keyword = error.validator
    shown = json.dumps(value, ensure_ascii=False)[:80]
    if keyword == "required":
        # jsonschema reports each missing property as its own error, naming it in the message.
        match = re.search(r"'([^']+)' is a required property", error.message)
        missing = match.group(1) if match else ""
        return f".{missing}", "required", _("缺少必填项。")
    if keyword == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in (value or {}) if k not in allowed)
        return (
            "",
            "unknown_field",
            _("不认识的字段：%(fields)s。") % {"fields": "、".join(extra)},
        )
    if keyword == "type":
        types = error.validator_value
        names = [types] if isinstance(types, str) else list(types)
        wanted = "或".join(str(_(_SCHEMA_TYPES.get(name, name))) for name in names)
        return (
            "",
            "wrong_type",
            _("应为%(type)s，实际为 %(value)s。")
            % {
                "type": wanted,
                "value": shown,
            },
        )
    if keyword in ("enum", "const"):
        allowed_values = error.validator_value if keyword == "enum" else [error.validator_value]
        return (
            "",
            "not_allowed",
            _("取值 %(value)s 不在允许范围内（可用：%(allowed)s）。")
            % {
                "value": shown,
                "allowed": "、".join(str(v) for v in allowed_values),
            },
        )
    if keyword == "pattern":
        hint = error.schema.get("description", "")
        return (
            "",
            "bad_format",
            _("格式不正确：%(value)s。%(hint)s")
            % {
                "value": shown,
                "hint": hint,
            },
        )
    if keyword in ("minLength", "minItems"):
        return "", "empty", _("不能为空。")
    if keyword == "maxLength":
        return "", "too_long", _("过长：最多 %(n)s 个字符。") % {"n": error.validator_value}
    if keyword in ("minimum", "maximum"):
        return "", "out_of_range", _("数值 %(value)s 超出允许范围。") % {"value": shown}
    if keyword == "uniqueItems":
        return "", "duplicate", _("列表中有重复的值。")
    if keyword == "format":
        return "", "bad_format", _("日期格式应为 YYYY-MM-DD，实际为 %(value)s。") % {"value": shown}
    return "", str(keyword), error.message


def schema_problems(document: Any) -> list[ImportProblem]:
    validator = jsonschema.Draft202012Validator(
        catalogue_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    problems: list[ImportProblem] = []
    errors = sorted(
        validator.iter_errors(document),
        key=lambda e: [f"{p:09d}" if isinstance(p, int) else p for p in e.absolute_path],
    )
    for error in errors:
        suffix, code, message = _schema_message(error)
        location = location_of(error.absolute_path) + suffix
        problems.append(ImportProblem(location.lstrip("."), code, str(message)))
    return problems
