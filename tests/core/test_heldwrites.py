"""Writes held for the transaction's next statement (quanban.core.heldwrites): what carries them,
what sends them first, and that whatever comes after sees them."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from quanban.core import audit, heldwrites, rows

pytestmark = pytest.mark.django_db

PG = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="writes are held on PostgreSQL only"
)


def _read(sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    """A statement of our own (the kept cursor: it may carry held writes)."""
    with rows.shared_cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _sent(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_statement_that_does_not_name_the_table_carries_the_write(counter):
    with CaptureQueriesContext(connection) as queries, audit.audited_atomic():
        rows.later(*counter.bump)
        assert _read("SELECT count(*) FROM core_auditchainhead WHERE id = %s", [1]) == [(1,)]
        assert counter.value() == 1
    sent = _sent(queries)
    if connection.vendor == "postgresql":
        assert sent[0].startswith("WITH w0 AS (UPDATE cases_casenumbercounter SET last = last + 1")
        assert sent[0].endswith("SELECT count(*) FROM core_auditchainhead WHERE id = 1")
        assert len(sent) == 2  # and the ORM's read of the counter
    else:  # SQLite: sent when made
        assert sent[0].startswith("UPDATE cases_casenumbercounter") and len(sent) == 3
    assert counter.value() == 1


def test_a_statement_naming_the_table_sees_the_write_sent_before_it(counter):
    """One statement's parts share a snapshot: carried, the write would not be seen."""
    with CaptureQueriesContext(connection) as queries, audit.audited_atomic():
        rows.later(*counter.bump)
        seen = _read("SELECT last FROM cases_casenumbercounter WHERE day = %s", [counter.day])
    assert seen == [(1,)]
    assert [sql.split(" ")[0] for sql in _sent(queries)] == ["UPDATE", "SELECT"]


def test_a_second_write_to_a_held_table_sends_the_first_so_both_count(counter):
    """Two changes of one row in one statement would keep one."""
    with CaptureQueriesContext(connection) as queries, audit.audited_atomic():
        rows.later(*counter.bump)
        rows.later(*counter.bump)
    assert counter.value() == 2
    assert [sql.split(" ")[0] for sql in _sent(queries)] == ["UPDATE", "UPDATE"]


def test_a_held_write_goes_before_a_savepoint_and_survives_its_rollback(counter):
    """The ORM's statements (a savepoint's too) send what is held first: carried by a statement
    inside the savepoint, the write would be rolled back with it."""
    with audit.audited_atomic():
        rows.later(*counter.bump)
        with contextlib.suppress(RuntimeError), transaction.atomic():
            _read("SELECT count(*) FROM core_auditchainhead WHERE id = %s", [1])
            raise RuntimeError("the inner block fails")
    assert counter.value() == 1


@PG
def test_statements_that_cannot_carry_send_the_writes_first(counter):
    with CaptureQueriesContext(connection) as queries, audit.audited_atomic():
        rows.later(*counter.bump)
        _read("WITH RECURSIVE n(i) AS (SELECT 1) SELECT i FROM n")
        rows.later(*counter.bump)
        with rows.shared_cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '5s'")
        rows.later(*counter.bump)
        _read("SELECT 1 AS percent WHERE '100%%' LIKE %s", ["100%"])  # carried: it has params
    assert counter.value() == 3
    assert [sql.split(" ")[0] for sql in _sent(queries)] == [
        "UPDATE",
        "WITH",
        "UPDATE",
        "SET",
        "WITH",
    ]
    assert _sent(queries)[4].startswith("WITH w0 AS (UPDATE")


@PG
def test_only_a_write_that_needs_nothing_back_may_be_held(counter):
    before = counter.value()
    for sql in (
        "UPDATE cases_casenumbercounter SET last = last + 1 WHERE day = %s RETURNING last",
        "SELECT last FROM cases_casenumbercounter WHERE day = %s",
    ):
        with (
            pytest.raises(ValueError, match="not a write that can be held"),
            audit.audited_atomic(),
        ):
            rows.later(sql, [counter.day])
    assert counter.value() == before


@PG
@pytest.mark.django_db(transaction=True)
def test_nothing_is_held_outside_a_transaction():
    """In autocommit every statement is its own transaction: a held write would commit late."""
    assert not connection.in_atomic_block
    with heldwrites.holding() as outside:
        assert outside is None


@PG
def test_nothing_is_held_inside_another_hold_and_the_rest_is_the_callers(counter):
    with transaction.atomic(), heldwrites.holding() as held, heldwrites.holding() as inner:
        assert held == [] and inner is None
        rows.later(*counter.bump)
        assert [w.table for w in held] == ["cases_casenumbercounter"]
        rows.later("UPDATE core_auditchainhead SET seq = seq WHERE id = %s", [1])
        assert [w.table for w in held] == ["cases_casenumbercounter", "core_auditchainhead"]
        sql, params = heldwrites.together(held)
    assert sql.startswith("WITH w0 AS (UPDATE cases_casenumbercounter")
    assert params == [counter.day, 1]
    # Dropped with the block: what is left held is its caller's to send (the audit append).
    assert counter.value() == 0


def test_a_server_side_cursor_after_a_held_write_sees_it(counter):
    """A queryset's ``iterator()`` reads through a server-side cursor on PostgreSQL, which can
    declare no data-modifying statement: the held write is sent on a cursor of its own first."""
    from quanban.cases.models import CaseNumberCounter

    with audit.audited_atomic():
        rows.later(*counter.bump)
        seen = [c.last for c in CaseNumberCounter.objects.filter(day=counter.day).iterator()]
    assert seen == [1]
    assert counter.value() == 1
