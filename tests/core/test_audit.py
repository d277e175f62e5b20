"""The audit trail: masking, the SM3 chain, tamper detection and the database's refusal."""

from __future__ import annotations

import contextlib

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from quanban.core.audit import audit_record, chain_verify, sm3_hex
from quanban.core.context import Actor, acting_as
from quanban.core.models import AuditChainHead, AuditRecord

pytestmark = pytest.mark.django_db


def _append(n: int) -> list[AuditRecord]:
    return [audit_record(action="test.write", object_type="t", object_id=i) for i in range(n)]


def _tamper(sql: str, params: list[object]) -> None:
    """Change audit rows behind the application's back, as an intruder with DB access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE core_auditrecord DISABLE TRIGGER core_auditrecord_append_only"
            )
            cursor.execute(sql, params)
            cursor.execute(
                "ALTER TABLE core_auditrecord ENABLE TRIGGER core_auditrecord_append_only"
            )
        else:
            cursor.execute("DROP TRIGGER core_auditrecord_no_update")
            cursor.execute(sql, params)


def test_sm3_matches_the_standard_test_vector():
    # GB/T 32905-2016 appendix A.1: SM3("abc").
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_record_carries_who_where_what_with_personal_numbers_masked():
    actor = Actor(
        user_id=7,
        username="clerk",
        role="window_clerk",
        org_unit_id=3,
        ip="10.1.2.3",
        channel="web",
    )
    with acting_as(actor):
        record = audit_record(
            action="person.register",
            object_type="accounts.naturalperson",
            object_id=42,
            before={"phone": "13812345678"},
            after={
                "name": "张三",
                "id_number": "370102199001011237",
                "phone": "13900001111",
                "password": "x",
            },
        )
    record.refresh_from_db()
    assert (record.actor_id, record.actor_name, record.actor_role, record.org_unit_id) == (
        7,
        "clerk",
        "window_clerk",
        3,
    )
    assert (record.ip, record.channel, record.action, record.object_id) == (
        "10.1.2.3",
        "web",
        "person.register",
        "42",
    )
    assert record.changes == {
        "id_number": [None, "3701**********1237"],
        "name": [None, "张三"],
        "password": [None, "[secret]"],
        "phone": ["138****5678", "139****1111"],
    }


def test_chain_links_each_record_to_the_previous():
    first, second, third = _append(3)
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (third.seq, third.hash)
    assert chain_verify() == (3, None)


def test_verify_names_the_edited_record():
    records = _append(5)
    _tamper(
        "UPDATE core_auditrecord SET action = %s WHERE seq = %s", ["test.forged", records[2].seq]
    )
    checked, broken = chain_verify()
    assert checked == 2
    assert broken is not None and broken.seq == records[2].seq
    assert broken.reason == "content does not match its hash"
    with pytest.raises(CommandError, match=f"broken at record #{records[2].seq}"):
        call_command("audit", "verify")


def test_verify_detects_a_deleted_record():
    records = _append(4)
    _tamper("DELETE FROM core_auditrecord WHERE seq = %s", [records[1].seq])
    checked, broken = chain_verify()
    assert (checked, broken.seq if broken else None) == (1, records[1].seq)


def test_verify_detects_a_removed_tail():
    records = _append(3)
    _tamper("DELETE FROM core_auditrecord WHERE seq = %s", [records[2].seq])
    checked, broken = chain_verify()
    assert (checked, broken.seq if broken else None) == (2, records[2].seq)


def test_verify_command_reports_an_intact_chain(capsys):
    _append(2)
    call_command("audit", "verify")
    assert "2 records verified" in capsys.readouterr().out


def test_database_refuses_to_update_audit_rows():
    (record,) = _append(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditRecord.objects.filter(pk=record.pk).update(action="test.forged")
    record.refresh_from_db()
    assert record.action == "test.write"


@pytest.mark.postgres
def test_postgres_refuses_to_delete_audit_rows():
    if connection.vendor != "postgresql":
        pytest.skip("the DELETE trigger is PostgreSQL's (SQLite keeps DELETE for test flushes)")
    (record,) = _append(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditRecord.objects.filter(pk=record.pk).delete()
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_chain_restarts_when_its_head_row_is_gone():
    # A flush (transactional tests, a restored empty database) removes the seeded head row.
    AuditChainHead.objects.all().delete()
    assert chain_verify() == (0, None)
    (record,) = _append(1)
    assert (record.seq, record.prev_hash) == (1, "0" * 64)
    assert chain_verify() == (1, None)


def test_records_after_a_rolled_back_savepoint_link_to_the_real_head(db):
    """A transaction moves the head it wrote with a conditional UPDATE; a savepoint rolled back
    in between must not leave it linking to a record that no longer exists."""
    with transaction.atomic():
        audit_record(action="test.first")
        audit_record(action="test.second")
        with contextlib.suppress(RuntimeError), transaction.atomic():
            audit_record(action="test.rolled_back")
            raise RuntimeError("undo the savepoint")
        audit_record(action="test.third")
    records = list(AuditRecord.objects.order_by("seq").values_list("seq", "action"))
    first = records[0][0]
    assert records == [
        (first, "test.first"),
        (first + 1, "test.second"),
        (first + 2, "test.third"),
    ]
    assert chain_verify() == (3, None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises whole-database writes")
    import threading

    from django.db import connections

    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for k in range(10):
                with transaction.atomic():
                    for part in range(3):
                        audit_record(action=f"test.w{n}.{k}.{part}")
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert chain_verify() == (240, None)
    # Each transaction's three records are consecutive: the head lock is held to the commit.
    actions = list(AuditRecord.objects.order_by("seq").values_list("action", flat=True))
    for start in range(0, 240, 3):
        assert len({a.rsplit(".", 1)[0] for a in actions[start : start + 3]}) == 1


def test_a_batch_chains_its_records_when_it_ends_in_order(db):
    from quanban.core.audit import audit_batch

    before = AuditRecord.objects.count()
    with transaction.atomic(), audit_batch():
        first = audit_record(action="test.batch.first")
        with audit_batch():  # a nested batch joins the outer one
            second = audit_record(action="test.batch.second")
        assert (first.seq, second.seq) == (None, None)
        assert AuditRecord.objects.count() == before
    assert second.seq == first.seq + 1 and second.prev_hash == first.hash
    assert AuditChainHead.objects.get().seq == second.seq
    assert chain_verify() == (before + 2, None)


def test_a_batch_that_fails_writes_nothing(db):
    from quanban.core.audit import audit_batch

    before = (AuditRecord.objects.count(), AuditChainHead.objects.values_list("seq").first())
    with contextlib.suppress(RuntimeError), transaction.atomic(), audit_batch():
        audit_record(action="test.batch.lost")
        raise RuntimeError("the service refused")
    assert (
        AuditRecord.objects.count(),
        AuditChainHead.objects.values_list("seq").first(),
    ) == before
    # The next record outside a batch chains at once, after the real head.
    audit_record(action="test.after")
    assert chain_verify() == (before[0] + 1, None)


def test_a_service_transaction_inside_a_batch_has_no_savepoint_so_its_failure_fails_the_batch(db):
    """Inside a batch, a nested service's failure cannot be caught and gone past: the records it
    wrote into the batch would be chained for writes rolled back. Outside a batch it nests with a
    savepoint as ``atomic`` does."""
    from django.db.transaction import TransactionManagementError
    from django.test.utils import CaptureQueriesContext

    from quanban.core.audit import audited_atomic

    before = (AuditRecord.objects.count(), AuditChainHead.objects.values_list("seq").first())
    with contextlib.suppress(TransactionManagementError), audited_atomic():
        audit_record(action="test.outer")
        with (
            CaptureQueriesContext(connection) as queries,
            contextlib.suppress(RuntimeError),
            audited_atomic(),
        ):
            audit_record(action="test.inner.lost")
            raise RuntimeError("the inner service refused")
        assert not [q for q in queries.captured_queries if "SAVEPOINT" in q["sql"]]
        AuditRecord.objects.count()  # going on after the failure is refused
        pytest.fail("the batch went on past a failed service")
    after = (AuditRecord.objects.count(), AuditChainHead.objects.values_list("seq").first())
    assert after == before
    # Outside a batch (here the test's own transaction), a failure rolls back its savepoint only.
    with contextlib.suppress(RuntimeError), audited_atomic():
        audit_record(action="test.alone.lost")
        raise RuntimeError("refused")
    audit_record(action="test.after")
    assert AuditRecord.objects.count() == before[0] + 1
    assert chain_verify() == (before[0] + 1, None)


def test_the_next_transaction_appends_after_the_head_it_knows_in_one_statement(db):
    """A connection remembers the head it wrote: its next transaction moves the head from there
    with one conditional statement (PostgreSQL: the head's UPDATE and the records' INSERT
    together), without locking and reading the head first."""
    from django.test.utils import CaptureQueriesContext

    from quanban.core import audit
    from quanban.core.audit import audit_batch

    # Nothing remembered from an earlier test (whose head was rolled back).
    setattr(connection, audit._LOCK_FIRST, 0)
    setattr(connection, audit._KNOWN_HEAD, None)
    with transaction.atomic(), audit_batch():
        audit_record(action="test.known.first")
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), audit_batch():
        audit_record(action="test.known.second")
        audit_record(action="test.known.third")
    writes = [q["sql"] for q in queries.captured_queries if "audit" in q["sql"]]
    assert len(writes) == (1 if connection.vendor == "postgresql" else 2)
    assert all("FOR UPDATE" not in sql for sql in writes)
    records = list(AuditRecord.objects.order_by("seq").values_list("action", "seq"))
    assert [a for a, _seq in records[-3:]] == [
        "test.known.first",
        "test.known.second",
        "test.known.third",
    ]
    assert AuditChainHead.objects.get().seq == records[-1][1]
    assert chain_verify() == (len(records), None)


def test_a_head_moved_by_someone_else_is_read_afresh_under_the_lock(db):
    """If the head the connection remembers is no longer the head (another writer appended, or
    its transaction was rolled back), the conditional move changes nothing and the append locks
    the head, reads it and links after the real one."""
    from quanban.core import audit

    first = audit_record(action="test.stale.first")
    # Another writer's append, as if on another connection: the head moves behind our back.
    other = AuditRecord(
        at=first.at, action="test.stale.other", changes={}, result=AuditRecord.Result.OK
    )
    audit._link_all([other], seq=first.seq, prev_hash=first.hash)
    other.save(force_insert=True)
    AuditChainHead.objects.filter(pk=1).update(seq=other.seq, hash=other.hash)
    assert getattr(connection, audit._KNOWN_HEAD) == (first.seq, first.hash)
    second = audit_record(action="test.stale.second")
    assert (second.seq, second.prev_hash) == (other.seq + 1, other.hash)
    # A remembered head that never was (a rolled-back transaction's) is refused the same way.
    setattr(connection, audit._KNOWN_HEAD, (second.seq + 5, "f" * 64))
    third = audit_record(action="test.stale.third")
    assert (third.seq, third.prev_hash) == (second.seq + 1, second.hash)
    assert chain_verify() == (AuditRecord.objects.count(), None)


def test_after_a_miss_the_next_appends_lock_the_head_first(db):
    """Another writer moved the head: the next appends lock it and read it (no wasted wait on the
    other's commit) instead of trying the remembered head first; after ``LOCK_FIRST_AFTER_MISS``
    of them the connection tries its remembered head again."""
    from django.test.utils import CaptureQueriesContext

    from quanban.core import audit

    def reads_the_head(queries) -> bool:
        return any(
            q["sql"].startswith("SELECT") and "core_auditchainhead" in q["sql"]
            for q in queries.captured_queries
        )

    setattr(connection, audit._LOCK_FIRST, 0)
    setattr(connection, audit._KNOWN_HEAD, None)  # an earlier test's head was rolled back
    first = audit_record(action="test.miss.first")
    setattr(connection, audit._KNOWN_HEAD, (first.seq + 5, "f" * 64))  # moved behind our back
    with CaptureQueriesContext(connection) as missed:
        second = audit_record(action="test.miss.second")
    assert reads_the_head(missed) and (second.seq, second.prev_hash) == (first.seq + 1, first.hash)
    assert getattr(connection, audit._LOCK_FIRST) == audit.LOCK_FIRST_AFTER_MISS
    read = []
    for n in range(audit.LOCK_FIRST_AFTER_MISS + 1):
        with CaptureQueriesContext(connection) as queries:
            audit_record(action=f"test.miss.{n}")
        read.append(reads_the_head(queries))
    assert read == [True] * audit.LOCK_FIRST_AFTER_MISS + [False]
    assert chain_verify() == (AuditRecord.objects.count(), None)


def test_a_held_write_goes_in_the_appends_statement_once_even_when_the_head_moved(counter):
    """On PostgreSQL a write held to the batch's end rides in the append's own statement; on
    SQLite it is sent when made. Either way it is sent once: also when the remembered head had
    moved and the records are appended again under the lock."""
    from django.test.utils import CaptureQueriesContext

    from quanban.core import audit, rows

    setattr(connection, audit._LOCK_FIRST, 0)
    setattr(connection, audit._KNOWN_HEAD, None)
    audit_record(action="test.ride.first")  # the connection now knows the head
    with CaptureQueriesContext(connection) as queries, audit.audited_atomic():
        audit_record(action="test.ride.second")
        rows.later(*counter.bump)
    assert counter.value() == 1
    sent = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    sent = [sql for sql in sent if "casenumbercounter" in sql or "core_audit" in sql]
    if connection.vendor == "postgresql":
        assert len(sent) == 1 and sent[0].startswith("WITH w0 AS (UPDATE cases_casenumbercounter")
        assert "core_auditrecord" in sent[0]
    else:
        assert "casenumbercounter" in sent[0] and all("core_audit" in s for s in sent[1:])
    # A remembered head that is not the head: the append misses, locks and appends again.
    setattr(connection, audit._KNOWN_HEAD, (10_000, "f" * 64))
    with audit.audited_atomic():
        third = audit_record(action="test.ride.third")
        rows.later(*counter.bump)
    assert counter.value() == 2
    assert third.seq == AuditChainHead.objects.get().seq
    # After the miss the next appends lock the head first: the write still rides with them.
    assert getattr(connection, audit._LOCK_FIRST) > 0
    with CaptureQueriesContext(connection) as queries, audit.audited_atomic():
        audit_record(action="test.ride.fourth")
        rows.later(*counter.bump)
    assert counter.value() == 3
    sent = [q["sql"] for q in queries.captured_queries if "casenumbercounter" in q["sql"]]
    if connection.vendor == "postgresql":
        assert len(sent) == 1 and "core_auditrecord" in sent[0]
    assert chain_verify() == (AuditRecord.objects.count(), None)


def test_a_held_write_is_sent_without_records_and_outside_a_batch_and_lost_with_a_failure(
    counter,
):
    from quanban.core import audit, rows

    with audit.audited_atomic():
        rows.later(*counter.bump)  # a batch that wrote no record
    assert counter.value() == 1
    rows.later(*counter.bump)  # no batch: sent now
    assert counter.value() == 2
    before = AuditRecord.objects.count()
    with contextlib.suppress(RuntimeError), audit.audited_atomic():
        audit_record(action="test.ride.lost")
        rows.later(*counter.bump)
        raise RuntimeError("refused")
    assert (counter.value(), AuditRecord.objects.count()) == (2, before)


@pytest.mark.django_db(transaction=True)
def test_writes_carried_by_the_append_run_before_it_takes_the_head():
    """Every writer in the city waits for the head: the held writes in the append's statement
    run first. A writer that asks for the head while they run gets it at once (PostgreSQL would
    otherwise run them last, with the head locked)."""
    if connection.vendor != "postgresql":
        pytest.skip("writes are held on PostgreSQL only")
    import threading
    import time

    import psycopg
    from django.db import connections

    from quanban.cases.models import CaseNumberCounter
    from quanban.core import audit, rows

    CaseNumberCounter.objects.create(day="2026-06-15", last=0)
    slow = (
        "UPDATE cases_casenumbercounter SET last = last + 1"
        " WHERE day = %s AND pg_sleep(%s) IS NOT NULL"
    )
    started = threading.Event()

    def slow_writer() -> None:
        try:
            audit_record(action="test.slow.first")  # this connection now knows the head
            setattr(connection, audit._LOCK_FIRST, 0)
            with audit.audited_atomic():
                audit_record(action="test.slow.second")
                rows.later(slow, ["2026-06-15", 0.6])
                started.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    started.wait(5)
    time.sleep(0.3)  # the append's statement is running its held write
    s = connection.settings_dict
    other = psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"]
    )
    try:
        other.execute("SET lock_timeout = '50ms'")
        free = other.execute("SELECT seq FROM core_auditchainhead WHERE id = 1 FOR UPDATE NOWAIT")
        seen = free.fetchone()[0]
        other.rollback()
    finally:
        other.close()
    thread.join()
    head = AuditChainHead.objects.get()
    assert seen == head.seq - 1  # taken before the slow writer moved it
    assert CaseNumberCounter.objects.get(day="2026-06-15").last == 1
    assert chain_verify() == (AuditRecord.objects.count(), None)
