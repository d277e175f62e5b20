"""The canonical form of a licence: the exact bytes its seal signs.

JSON with sorted keys, no insignificant white space, UTF-8 without escaping (the rules of
RFC 8785 for the values a licence holds: strings, integers, booleans, null, objects and arrays;
floats are refused at issue, so no number formatting question arises). Dates are ISO 8601, the
issue time in UTC to the second.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

CANONICAL_VERSION = 1


def canonical_bytes(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def licence_body(
    *,
    identifier: str,
    type_code: str,
    type_name: str,
    issuer_code: str,
    issuer_name: str,
    serial: str,
    version: int,
    holder_kind: str,
    holder_name: str,
    holder_code: str,
    data: dict[str, Any],
    valid_from: dt.date,
    valid_until: dt.date | None,
    issued_at: dt.datetime,
) -> dict[str, Any]:
    return {
        "v": CANONICAL_VERSION,
        "identifier": identifier,
        "type": {"code": type_code, "name": type_name},
        "issuer": {"code": issuer_code, "name": issuer_name},
        "serial": serial,
        "version": version,
        "holder": {"kind": holder_kind, "name": holder_name, "code": holder_code},
        "data": data,
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
        "issued_at": issued_at.astimezone(dt.UTC).replace(microsecond=0).isoformat(),
    }


def body_of(licence: Any) -> dict[str, Any]:
    """The canonical body rebuilt from a licence row's columns (what verification compares)."""
    return licence_body(
        identifier=licence.identifier,
        type_code=licence.licence_type.code,
        type_name=licence.licence_type.name,
        issuer_code=licence.issuer.uscc,
        issuer_name=licence.issuer.name,
        serial=licence.serial,
        version=licence.version,
        holder_kind=licence.holder_kind,
        holder_name=licence.holder_name,
        holder_code=licence.holder_code,
        data=licence.data,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        issued_at=licence.issued_at,
    )
