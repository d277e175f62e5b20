"""Model instances from a statement written out once (``quanban.core.rows``)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from quanban.core import rows
from quanban.core.audit import audit_record
from quanban.core.models import AuditRecord

pytestmark = pytest.mark.django_db


def _fields(record: AuditRecord) -> dict[str, object]:
    return {f.attname: getattr(record, f.attname) for f in AuditRecord._meta.concrete_fields}


def test_instances_read_what_the_orm_reads_with_the_extra_columns_beside():
    audit_record(action="test.rows", object_type="t", object_id="7", after={"a": [1, "二"]})
    audit_record(action="test.rows", object_type="t", object_id="8", after={"b": None})
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    found = rows.instances(
        AuditRecord,
        f"SELECT {rows.columns(AuditRecord, 'r')}, r.seq * 10, 'x' FROM {table} r"
        " WHERE r.action = %s ORDER BY r.seq",
        ["test.rows"],
    )
    expected = list(AuditRecord.objects.filter(action="test.rows").order_by("seq"))
    assert [_fields(record) for record, _extra in found] == [_fields(r) for r in expected]
    # Dates come back as dates and the changes (before, after) as JSON on either database.
    assert found[0][0].at == expected[0].at and found[0][0].changes == {"a": [None, [1, "二"]]}
    assert [extra for _record, extra in found] == [(r.seq * 10, "x") for r in expected]
    assert not found[0][0]._state.adding and found[0][0]._state.db == "default"


def test_no_row_is_an_empty_list():
    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    sql = f"SELECT {rows.columns(AuditRecord)} FROM {table} WHERE action = %s"
    assert rows.instances(AuditRecord, sql, ["none.such"]) == []


def test_insert_writes_the_row_the_orm_would_and_numbers_it():
    """An auto-numbered row with JSON and defaults, and a row whose key the model makes (UUID)."""
    import datetime as dt

    from quanban.notify.models import OutboxMessage

    at = dt.datetime(2026, 6, 15, 2, 0, 1, 123456, tzinfo=dt.UTC)
    record = rows.insert(
        AuditRecord(
            seq=9001,
            at=at,
            action="test.insert",
            changes={"a": [None, "二"]},
            prev_hash="p",
            hash="h",
        )
    )
    assert record.pk is not None and not record._state.adding and record._state.db == "default"
    stored = AuditRecord.objects.get(pk=record.pk)
    assert _fields(stored) == _fields(record)
    assert (stored.at, stored.changes, stored.result) == (at, {"a": [None, "二"]}, "ok")
    message = rows.insert(
        OutboxMessage(
            channel="sms", recipient="13900001111", body="测试", created_at=at, next_attempt_at=at
        )
    )
    assert OutboxMessage.objects.filter(pk=message.pk).values_list(
        "body", "state", "attempts"
    ).get() == (
        "测试",
        "pending",
        0,
    )


def test_related_one_reads_a_reverse_one_to_one_once_and_caches_both_sides(
    django_assert_num_queries,
):
    from quanban.accounts.models import User
    from quanban.notify.models import NotificationPreference
    from tests import factories

    chose, never = factories.make_citizen("13900001111"), factories.make_citizen("13900002222")
    NotificationPreference.objects.create(
        user=chose, sms=False, language="en", updated_at=timezone.now()
    )
    chose, never = User.objects.get(pk=chose.pk), User.objects.get(pk=never.pk)
    with django_assert_num_queries(2):
        row = rows.related_one(chose, "notify_preference")
        assert rows.related_one(never, "notify_preference") is None
    assert (row.user_id, row.sms, row.language) == (chose.pk, False, "en")
    with django_assert_num_queries(0):
        assert rows.related_one(chose, "notify_preference") is row
        assert chose.notify_preference is row and row.user is chose
        assert rows.related_one(never, "notify_preference") is None
        assert getattr(never, "notify_preference", None) is None
