"""The audit trail, for the audit administrator only (the system administrator may not read it)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from quanban.api.types import MAX_ID, NO_NUL, Instant, PageIn, page_of
from quanban.core.models import AuditRecord
from quanban.core.selectors import audit_list_for_user

router = Router()


class AuditFilters(Schema):
    action: str = Field(
        "",
        max_length=64,
        pattern=NO_NUL,
        description="Action code; ending in '.' matches every code with that prefix (role.).",
    )
    actor_id: int | None = Field(None, ge=1, le=MAX_ID)
    object_type: str = Field("", max_length=64, pattern=NO_NUL, description="e.g. accounts.user")
    object_id: str = Field("", max_length=64, pattern=NO_NUL)
    result: Literal["ok", "denied", "failed"] | None = None
    since: Instant | None = Field(None, description="At or after this instant.")
    until: Instant | None = Field(None, description="Before this instant.")


class AuditRecordOut(Schema):
    seq: int
    at: dt.datetime
    actor_id: int | None
    actor_name: str
    actor_role: str
    org_unit_id: int | None
    ip: str
    channel: str
    action: str
    object_type: str
    object_id: str
    result: str
    changes: dict[str, Any]
    prev_hash: str
    hash: str

    @staticmethod
    def of(record: AuditRecord) -> AuditRecordOut:
        return AuditRecordOut(
            seq=record.seq,
            at=record.at,
            actor_id=record.actor_id,
            actor_name=record.actor_name,
            actor_role=record.actor_role,
            org_unit_id=record.org_unit_id,
            ip=record.ip,
            channel=record.channel,
            action=record.action,
            object_type=record.object_type,
            object_id=record.object_id,
            result=record.result,
            changes=record.changes,
            prev_hash=record.prev_hash,
            hash=record.hash,
        )


class AuditPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AuditRecordOut]


@router.get("/", response=AuditPage, summary="Browse the audit trail / 审计记录查询")
def audit_list(
    request: HttpRequest, filters: Query[AuditFilters], page: Query[PageIn]
) -> AuditPage:
    records = audit_list_for_user(
        request.user,
        action=filters.action,
        object_type=filters.object_type,
        object_id=filters.object_id,
        result=filters.result or "",
    )
    # Narrowings the shared selector does not offer (it filters by user name and calendar day).
    if filters.actor_id is not None:
        records = records.filter(actor_id=filters.actor_id)
    if filters.since is not None:
        records = records.filter(at__gte=filters.since)
    if filters.until is not None:
        records = records.filter(at__lt=filters.until)
    count, rows = page_of(records, page)
    return AuditPage(
        count=count,
        limit=page.limit,
        offset=page.offset,
        items=[AuditRecordOut.of(r) for r in rows],
    )
