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


def _unit_fields(unit) -> dict[str, object]:
    return {f.attname: getattr(unit, f.attname) for f in unit._meta.concrete_fields}


def test_joined_instances_read_what_select_related_reads_and_cache_the_joined_rows(
    django_assert_num_queries,
):
    """A window, its hall and the hall's city, and the city, whose parent is missing (LEFT JOIN:
    None, cached, so reading it asks nothing)."""
    from quanban.accounts.models import OrgUnit
    from tests import factories

    city = factories.make_city()
    related = ("parent", "parent__parent")
    join = rows.joined(OrgUnit, related, connection.vendor)
    sql = f"SELECT {join.columns}, 7 FROM {join.tables} WHERE t0.id IN (%s, %s) ORDER BY t0.id"
    with django_assert_num_queries(1):
        found = rows.instances(OrgUnit, sql, [city.window.pk, city.city.pk], related=related)
        (top, top_extra), (window, window_extra) = found
        assert (window.parent.name, window.parent.parent.name) == ("济南市民中心", "济南市")
        assert top.parent is None
        assert (top_extra, window_extra) == ((7,), (7,))
    expected = OrgUnit.objects.select_related(*related).get(pk=city.window.pk)
    assert _unit_fields(window) == _unit_fields(expected)
    assert _unit_fields(window.parent) == _unit_fields(expected.parent)
    assert _unit_fields(window.parent.parent) == _unit_fields(expected.parent.parent)
    assert not window.parent._state.adding and window.parent._state.db == "default"


def test_rows_joining_the_same_row_share_its_instance():
    """Two windows of one hall: one hall instance, as the lock of a case's tasks shares one case."""
    from quanban.accounts import services as accounts
    from quanban.accounts.models import OrgUnit
    from tests import factories

    city = factories.make_city()
    second = accounts.org_unit_create(
        kind="window", name="综合受理窗口 2", parent=city.window.parent
    )
    related = ("parent", "parent__parent")
    join = rows.joined(OrgUnit, related, connection.vendor)
    sql = f"SELECT {join.columns}, 7 FROM {join.tables} WHERE t0.id IN (%s, %s) ORDER BY t0.id"
    (first, first_extra), (other, other_extra) = rows.instances(
        OrgUnit, sql, [city.window.pk, second.pk], related=related
    )
    assert (first.pk, other.pk) == (city.window.pk, second.pk)
    assert first.parent is other.parent
    assert first.parent.pk == city.window.parent_id
    assert first.parent.parent is other.parent.parent
    assert first.parent.parent.name == "济南市"
    # The shared rows' columns are passed over, not lost: the extra column is still each row's.
    assert (first_extra, other_extra) == ((7,), (7,))


def test_update_writes_only_the_fields_named_and_refuses_a_missing_row():
    from django.db import DatabaseError

    from quanban.accounts.models import OrgUnit
    from tests import factories

    city = factories.make_city()
    office = OrgUnit.objects.get(pk=city.office.pk)
    stale = OrgUnit.objects.get(pk=city.office.pk)
    office.name, office.phone = "准入审批处", "0531-12345678"
    rows.update(office, ["name"])
    stored = OrgUnit.objects.get(pk=office.pk)
    assert (stored.name, stored.phone) == ("准入审批处", stale.phone)
    assert _unit_fields(stored) == {**_unit_fields(stale), "name": "准入审批处"}
    gone = OrgUnit(pk=office.pk + 1000, name="无")
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        rows.update(gone, ["name"])
    assert not OrgUnit.objects.filter(name="无").exists()


def test_insert_many_writes_the_rows_bulk_create_would_and_numbers_them_in_order():
    import datetime as dt

    from quanban.notify.models import OutboxMessage

    at = dt.datetime(2026, 6, 15, 2, 0, 1, tzinfo=dt.UTC)
    made = rows.insert_many(
        [
            AuditRecord(seq=9100 + n, at=at, action=f"test.many.{n}", prev_hash="p", hash=f"h{n}")
            for n in range(3)
        ]
    )
    stored = AuditRecord.objects.filter(pk__in=[r.pk for r in made]).values_list(
        "pk", "seq", "action"
    )
    assert sorted(stored) == [(r.pk, r.seq, r.action) for r in made]
    assert [r.action for r in made] == ["test.many.0", "test.many.1", "test.many.2"]
    assert all(not r._state.adding for r in made)
    # Keys the model makes (UUIDs), and one row, and none.
    texts = rows.insert_many(
        [
            OutboxMessage(
                channel="sms",
                recipient=f"1390000{n:04d}",
                body=f"第{n}条",
                created_at=at,
                next_attempt_at=at,
            )
            for n in range(2)
        ]
    )
    assert sorted(OutboxMessage.objects.values_list("pk", "body")) == sorted(
        [(t.pk, t.body) for t in texts]
    )
    one = OutboxMessage(channel="sms", recipient="1", body="一", created_at=at, next_attempt_at=at)
    assert rows.insert_many([one]) == [one] and OutboxMessage.objects.filter(pk=one.pk).exists()
    assert rows.insert_many([]) == []
    assert OutboxMessage.objects.count() == 3


def test_the_shared_cursor_is_used_again_and_made_anew_when_it_must_be():
    """One cursor for the written-out statements; a new one when statement logging is switched
    on (a test counting queries sees them) or off, and when the connection was opened again."""
    from django.test.utils import CaptureQueriesContext

    def one() -> object:
        with rows.shared_cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
            return cursor

    first = one()
    assert one() is first
    with CaptureQueriesContext(connection) as queries:
        logged = one()
        assert one() is logged
    assert logged is not first
    assert [q["sql"] for q in queries.captured_queries] == ["SELECT 1", "SELECT 1"]
    unlogged = one()
    assert unlogged is not logged and one() is unlogged


@pytest.mark.django_db(transaction=True)
def test_the_shared_cursor_is_made_anew_on_a_connection_opened_again():
    """(SQLite's in-memory test database keeps its one connection through ``close``.)"""
    with rows.shared_cursor() as cursor:
        cursor.execute("SELECT 1")
        before, driver = cursor, connection.connection
    connection.close()  # as Django does when a persistent connection has grown too old
    with rows.shared_cursor() as cursor:
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)
        assert (cursor is before) == (connection.connection is driver)
    if connection.vendor == "postgresql":
        assert connection.connection is not driver


def test_insert_many_leaves_out_a_nullable_column_null_in_every_row():
    """A column NULL in every row is left to the database (NULL); one set in any row is written
    for all. What is stored is what was given."""
    import datetime as dt

    from django.test.utils import CaptureQueriesContext

    from quanban.notify.models import OutboxMessage

    at = dt.datetime(2026, 6, 15, 2, 0, 1, tzinfo=dt.UTC)
    later = at + dt.timedelta(days=1)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        made = rows.insert_many(
            [
                OutboxMessage(
                    channel="sms",
                    recipient="13900000001",
                    body="一",
                    created_at=at,
                    next_attempt_at=at,
                    expires_at=later,
                ),
                OutboxMessage(
                    channel="sms",
                    recipient="13900000002",
                    body="二",
                    created_at=at,
                    next_attempt_at=at,
                ),
            ]
        )
    (sql,) = [q["sql"] for q in queries.captured_queries]
    columns = sql.split("(", 1)[1].split(")", 1)[0]
    assert '"expires_at"' in columns and '"sent_at"' not in columns
    stored = OutboxMessage.objects.filter(pk__in=[m.pk for m in made]).order_by("recipient")
    assert [(m.body, m.expires_at, m.sent_at, m.state) for m in stored] == [
        ("一", later, None, "pending"),
        ("二", None, None, "pending"),
    ]


def test_by_pk_reads_one_row_with_its_relations_or_none(django_assert_num_queries):
    from quanban.accounts.models import OrgUnit
    from tests import factories

    city = factories.make_city()
    with django_assert_num_queries(1):
        window = rows.by_pk(OrgUnit, city.window.pk, related=("parent", "parent__parent"))
        assert window is not None
        assert (window.name, window.parent.name, window.parent.parent.name) == (
            "综合受理 1 号窗口",
            "济南市民中心",
            "济南市",
        )
    assert rows.by_pk(OrgUnit, city.window.pk) == city.window
    with django_assert_num_queries(1):
        assert rows.by_pk(OrgUnit, 987654321, related=("parent",)) is None


def test_where_reads_the_rows_of_one_value_in_order_with_their_relations(
    django_assert_num_queries,
):
    from quanban.accounts import services as accounts
    from quanban.accounts.models import OrgUnit
    from tests import factories

    city = factories.make_city()
    hall = city.window.parent
    accounts.org_unit_create(kind="window", name="A 综合受理窗口 0", parent=hall)
    with django_assert_num_queries(1):
        found = rows.where(OrgUnit, "parent", hall.pk, related=("parent",), order=("name", "id"))
        assert [(unit.name, unit.parent.name) for unit in found] == [
            ("A 综合受理窗口 0", "济南市民中心"),
            ("综合受理 1 号窗口", "济南市民中心"),
        ]
    assert rows.where(OrgUnit, "parent", 987654321) == []
