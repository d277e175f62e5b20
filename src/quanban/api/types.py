"""Input types shared by the routers: bounded ids, NUL-free text, sane dates, pagination.

The bounds are part of the contract (they appear in the OpenAPI schema) and keep out values no
database column can hold — ids beyond 64 bits, NUL characters (PostgreSQL refuses them), dates
outside what a time zone conversion survives — so such input is a 422, never a 500.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.db.models import QuerySet
from django.utils import timezone
from ninja import Field, Path, Schema
from pydantic import AfterValidator

MAX_ID = 2**63 - 1
NO_NUL = r"^[^\x00]*$"

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _bounded(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not 1970 <= value.year <= 9998:
        raise ValueError("year must be between 1970 and 9998")
    return value


Instant = Annotated[dt.datetime, AfterValidator(_bounded)]


class PageIn(Schema):
    limit: int = Field(50, ge=1, le=200, description="Rows per page (1–200).")
    offset: int = Field(0, ge=0, le=1_000_000, description="Rows to skip.")


def page_of(queryset: QuerySet[Any], page: PageIn) -> tuple[int, list[Any]]:
    """The total count and one page of rows."""
    return queryset.count(), list(queryset[page.offset : page.offset + page.limit])
