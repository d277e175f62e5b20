"""Stale edits: the version a client last saw, from ``If-Match`` or a ``version`` body field.

A GET of a versioned resource answers with ``ETag: "<version>"``. A write sends that back as
``If-Match`` (quotes optional; ``W/`` ignored) or as ``version`` in its body. When the resource has
changed since, the service refuses with 412 ``stale`` and ``current_version``, writing nothing.
``If-Match: *``, or neither, means no check. Both given and different: nothing can match, 412.
"""

from __future__ import annotations

import re
from typing import Annotated

from django.http import HttpResponse
from ninja import Field, Header, Schema

from quanban.api.types import MAX_ID

# A tag that is not one of our versions never matches: it is compared as version 0 (none is 0).
NO_MATCH = 0
_VERSION_TAG = re.compile(r"[0-9]{1,18}")

IfMatch = Annotated[
    str | None,
    Header(
        None,
        alias="If-Match",
        max_length=200,
        description='The ETag last seen, "<version>" (quotes optional); 412 if it changed.',
    ),
]


class VersionIn(Schema):
    version: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="The version last seen (instead of If-Match); left out: no check.",
    )


def _if_match(value: str | None) -> int | None:
    """The version an If-Match names; None for none or ``*``; NO_MATCH for a foreign tag."""
    if value is None:
        return None
    tag = value.strip()
    if tag in ("", "*"):
        return None
    tag = tag.removeprefix("W/").strip().strip('"')
    return int(tag) if _VERSION_TAG.fullmatch(tag) else NO_MATCH


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version the caller saw (None: no check). If-Match and ``version`` must agree."""
    header = _if_match(if_match)
    if header is None:
        return body_version
    if body_version is None or body_version == header:
        return header
    return NO_MATCH  # they disagree: one of them is stale, whatever the current version is


def set_etag(response: HttpResponse, version: int) -> None:
    response["ETag"] = f'"{version}"'
