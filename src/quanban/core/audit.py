"""The audit trail: one append-only, SM3 hash-chained record per write.

Services call :func:`audit_record` inside their transaction, as their last statement, so the lock
on the chain head is held only for the moment between the append and the commit.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from django.db import models, transaction

from quanban.core import clock, heldwrites
from quanban.core.context import Actor, current_actor
from quanban.core.heldwrites import Write
from quanban.core.masking import mask_field
from quanban.core.models import GENESIS_HASH, AuditChainHead, AuditRecord
from quanban.core.rows import shared_cursor


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


# Values that are their own JSON (the exact types: a subclass, such as a choice, goes the long way).
_PLAIN_TYPES = frozenset({str, int, bool, float, type(None)})


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN_TYPES:  # most values: asked first, and cheaply
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of a model instance, as JSON-able values (foreign keys by id)."""
    out: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        out[name] = _jsonable(getattr(instance, attname))
    return out


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields that changed, personal numbers masked."""
    before = before or {}
    after = after or {}
    changed: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = _jsonable(before.get(name)), _jsonable(after.get(name))
        if old != new:
            changed[name] = [mask_field(name, old), mask_field(name, new)]
    return changed


def content_of(record: AuditRecord) -> bytes:
    """The canonical bytes a record's hash covers (everything but the hash itself)."""
    return _canonical(_content(record))


def _canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _content(record: AuditRecord) -> dict[str, Any]:
    """What a record's hash covers, as JSON values: its columns but the id and the hash."""
    return {
        "seq": record.seq,
        "at": record.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": record.actor_id,
        "actor_name": record.actor_name,
        "actor_role": record.actor_role,
        "org_unit_id": record.org_unit_id,
        "ip": record.ip,
        "channel": record.channel,
        "action": record.action,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "result": record.result,
        "changes": record.changes,
        "prev_hash": record.prev_hash,
    }


def audit_record(
    *,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
    result: str = AuditRecord.Result.OK,
    actor: Actor | None = None,
) -> AuditRecord:
    """Append one record to the chain. Call inside the service's transaction."""
    actor = actor or current_actor()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    body = dict(diff(before, after))
    if changes:
        body.update({k: _jsonable(v) for k, v in changes.items()})
    record = AuditRecord(
        at=clock.now(),
        actor_id=actor.user_id,
        actor_name=actor.username,
        actor_role=actor.role,
        org_unit_id=actor.org_unit_id,
        ip=actor.ip,
        channel=actor.channel,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        result=result,
        changes=body,
    )
    connection = transaction.get_connection()
    batch = getattr(connection, _BATCH, None)
    if batch is not None:
        batch.append(record)  # chained when the batch ends (audit_batch)
    else:
        _append([record])
    return record


def audit_pending() -> list[AuditRecord]:
    """The records of the batch under way, in the order written, not yet chained (no ``seq``):
    a read of the trail inside a batch (a case's timeline in a service's reply) adds them to what
    the database holds."""
    return list(getattr(transaction.get_connection(), _BATCH, None) or ())


def _send(writes: list[Write]) -> None:
    with shared_cursor() as cursor:
        cursor.execute(*heldwrites.together(writes))


@contextmanager
def audit_batch() -> Iterator[None]:
    """Chain the audit records written inside in one go, when the block ends.

    A service wraps its work in ``with audited_atomic():`` (``transaction.atomic()`` with this)
    so that the chain head is locked for the moment of the append at its end, not from its first
    record to its commit. Records written inside are numbered and hashed when the block ends
    (``seq`` and ``hash`` are unset until then). Nested batches join the outermost. Nothing
    inside may catch the rollback of a savepoint that wrote audit records (its records would
    still be chained).
    """
    connection = transaction.get_connection()
    if getattr(connection, _BATCH, None) is not None:
        yield
        return
    records: list[AuditRecord] = []
    setattr(connection, _BATCH, records)
    try:
        # Writes handed to rows.later inside are held for the next statement; the last ones
        # go with the append (PostgreSQL).
        with heldwrites.holding() as held:
            yield
    finally:
        setattr(connection, _BATCH, None)
    writes = held or []
    if records:
        _append(records, writes)
    elif writes:
        _send(writes)


@contextmanager
def audited_atomic() -> Iterator[None]:
    """A service's transaction: ``transaction.atomic()`` with an :func:`audit_batch`.

    Inside a batch already under way (a service called by another, or by an idempotent request)
    it is part of that batch and takes no savepoint of its own: a failure inside fails the whole
    batch. A savepoint would only let a caller catch the failure and go on, and the batch would
    then chain the records of writes rolled back. (Outside a batch it nests as ``atomic`` does.)
    """
    connection = transaction.get_connection()
    inside_batch = getattr(connection, _BATCH, None) is not None
    with transaction.atomic(savepoint=not inside_batch), audit_batch():
        yield


def _append(records: list[AuditRecord], writes: list[Write] | None = None) -> None:
    """Number, link, hash and insert the records after the chain's head, and move the head;
    ``writes`` (held till now: ``rows.later``) go with the first statement."""
    # No savepoint of its own: the records belong to the caller's transaction, and a failure
    # here fails that transaction anyway.
    with transaction.atomic(savepoint=False):
        connection = transaction.get_connection()
        known = getattr(connection, _KNOWN_HEAD, None)
        lock_first = getattr(connection, _LOCK_FIRST, 0)
        # First try after the head this connection last wrote (most often still the head when
        # one writer is busy: one statement on PostgreSQL); if anything else moved it, lock it and
        # read it afresh. After such a miss, other writers are busy: the next appends lock first
        # (two statements) rather than try, wait for the other commit, miss and lock (three).
        if lock_first:
            setattr(connection, _LOCK_FIRST, lock_first - 1)
        elif known is not None:
            moved = _write_after(connection, records, *known, writes=writes or [])
            writes = []  # sent, whether or not the head moved
            if moved:
                return
            setattr(connection, _LOCK_FIRST, LOCK_FIRST_AFTER_MISS)
        seq, head_hash = _locked_head(connection)
        # The writes go with this statement unless the first try already sent them.
        written = _write_after(connection, records, seq, head_hash, writes=writes or [])
        assert written, "the chain head moved while locked"


_BATCH = "quanban_audit_batch"
# The head this connection last wrote (sequence number and hash). The next append moves the head
# from exactly that value with one conditional statement instead of locking and reading it first;
# if it is no longer the head (another writer, a rolled-back transaction or savepoint, a flush),
# the statement changes nothing and the append falls back to the lock.
_KNOWN_HEAD = "quanban_audit_head"
# How many appends lock the head first after the known head was found moved by another writer.
_LOCK_FIRST = "quanban_audit_lock_first"
LOCK_FIRST_AFTER_MISS = 16


def _write_after(
    connection: Any,
    records: list[AuditRecord],
    seq: int,
    prev_hash: str,
    *,
    writes: list[Write],
) -> bool:
    """Link the records after ``(seq, prev_hash)`` and write them, moving the head, if that is
    still the head; False (nothing written) if it is not. ``writes`` (held: PostgreSQL only) go
    in the same statement either way.

    The head moves with an UPDATE that names its sequence number *and* hash: under a concurrent
    writer it waits for that writer's commit and then matches nothing, so a stale head never links
    a record. The row lock it takes is held to the commit, as the chain needs.
    """
    rows = _link_all(records, seq=seq, prev_hash=prev_hash)
    last = records[-1]
    if connection.vendor == "postgresql":
        moved = _write_after_pg(
            connection, records, rows, seq=seq, prev_hash=prev_hash, writes=writes
        )
    else:
        assert not writes, "writes are held on PostgreSQL only"
        moved = bool(
            AuditChainHead.objects.filter(pk=1, seq=seq, hash=prev_hash).update(
                seq=last.seq, hash=last.hash
            )
        )
        if moved:
            _insert(records)
    setattr(connection, _KNOWN_HEAD, (last.seq, last.hash) if moved else None)
    return moved


# The columns of an audit record written (all but the id): what its hash covers, and the hash.
_COLUMNS = tuple(str(f.column) for f in AuditRecord._meta.concrete_fields if not f.primary_key)


@functools.cache
def _pg_append_sql(held: int = 0) -> str:
    """The head's conditional move and the records' insert, one statement for any number of
    records: they come as one JSON array of rows (``json_populate_recordset`` reads each column
    as the table types it), so the statement's text never changes: one prepared statement, five
    parameters however long the batch.

    With ``held`` writes carried in front (``w0``…), the head's move waits on them: PostgreSQL
    otherwise runs a CTE nothing reads after the rest, with the head locked meanwhile, and every
    other writer in the city waits for the head."""
    columns = ", ".join(f'"{name}"' for name in _COLUMNS)
    gate = ""
    if held:
        scans = " UNION ALL ".join(f"SELECT 1 FROM w{n}" for n in range(held))
        gate = f" AND (SELECT count(*) FROM ({scans}) AS held) >= 0"
    return (
        "WITH head AS (UPDATE core_auditchainhead SET seq = %s, hash = %s"
        f" WHERE id = 1 AND seq = %s AND hash = %s{gate} RETURNING id)"
        f" INSERT INTO core_auditrecord ({columns})"
        f" SELECT {columns} FROM json_populate_recordset(NULL::core_auditrecord, %s)"
        " WHERE EXISTS (SELECT 1 FROM head) RETURNING id, seq"
    )


def _write_after_pg(
    connection: Any,
    records: list[AuditRecord],
    rows: list[dict[str, Any]],
    *,
    seq: int,
    prev_hash: str,
    writes: list[Write],
) -> bool:
    """PostgreSQL: the conditional head move and the records' insert (``rows``: their columns as
    JSON values, as hashed) as one statement.

    The UPDATE runs in a data-modifying CTE; the INSERT takes its rows only if the UPDATE moved
    the head (``EXISTS``), so either both happen or neither. (The ORM needs two statements: this
    is one round trip and one statement to plan per transaction instead of three.)
    """
    last = records[-1]
    params = [last.seq, last.hash, seq, prev_hash, json.dumps(rows, ensure_ascii=False)]
    # The writes held as data-modifying CTEs in front: PostgreSQL runs every one to completion,
    # whatever the statement's main part does, and these before it takes the head.
    sql, params = heldwrites.carried(writes, _pg_append_sql(len(writes)), params, returning=True)
    with shared_cursor() as cursor:
        cursor.execute(sql, params)
        ids = {row_seq: row_id for row_id, row_seq in cursor.fetchall()}
    if not ids:
        return False
    assert len(ids) == len(records)
    for record in records:
        record.pk = ids[record.seq]
        record._state.adding = False
        record._state.db = connection.alias
    return True


def _insert(records: list[AuditRecord]) -> None:
    if len(records) == 1:
        records[0].save(force_insert=True)
    else:
        AuditRecord.objects.bulk_create(records)


def _link_all(records: list[AuditRecord], *, seq: int, prev_hash: str) -> list[dict[str, Any]]:
    """Number, link and hash the records; each one's columns as JSON values (hash included)."""
    rows = []
    for record in records:
        seq += 1
        record.seq = seq
        record.prev_hash = prev_hash
        # Microsecond precision is what every database keeps; hash what will be read back.
        row = _content(record)
        record.hash = row["hash"] = sm3_hex(_canonical(row))
        prev_hash = record.hash
        rows.append(row)
    return rows


def _locked_head(connection: Any) -> tuple[int, str]:
    """The chain head's sequence number and hash, its row locked; created on first use (a
    migration seeds it, a flush removes it). Written out, not compiled by the ORM: when several
    writers are busy, every append asks it."""
    sql = f"SELECT seq, hash FROM {AuditChainHead._meta.db_table} WHERE id = 1"
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with shared_cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
        if row is None:
            AuditChainHead.objects.bulk_create([AuditChainHead(pk=1)], ignore_conflicts=True)
            cursor.execute(sql)
            row = cursor.fetchone()
    return int(row[0]), str(row[1])


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def chain_verify(*, batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return how many records were checked and the first break, if any."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for record in _iter_chain(batch_size):
        if record.seq != expected_seq:
            return checked, ChainBreak(expected_seq, f"record #{expected_seq} is missing")
        if record.prev_hash != expected_prev:
            return checked, ChainBreak(record.seq, "previous-hash link does not match")
        if sm3_hex(content_of(record)) != record.hash:
            return checked, ChainBreak(record.seq, "content does not match its hash")
        expected_prev = record.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first() or AuditChainHead(pk=1)
    if head.seq != checked or (checked and head.hash != expected_prev):
        return checked, ChainBreak(checked + 1, "records after this point are missing")
    return checked, None


def _iter_chain(batch_size: int) -> Iterator[AuditRecord]:
    last = 0
    while True:
        batch = list(AuditRecord.objects.filter(seq__gt=last).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
