"""Writes held back and sent with the transaction's next statement (PostgreSQL): fewer round trips.

A service's last writes (the task it completed, the case it moved, the applicant's texts in the
outbox) need no answer from the database. Sent one by one, each costs a round trip. Held instead,
they go with the next statement the transaction sends anyway, as data-modifying CTEs in front of
it (``WITH w0 AS (UPDATE …), w1 AS (INSERT …) SELECT …``); the last ones go with the audit append,
which ends every service. PostgreSQL runs every such CTE to completion, whatever the rest does.

Held writes stay in order and stay visible to whatever comes after them:

- a statement that names a table a held write changes does not carry them: they are sent first,
  as their own statement (every sub-statement of one statement sees the same snapshot, so it
  would not see them);
- a second held write to a table already held sends the first first (two changes of one row in
  one statement would lose one);
- any other statement (the ORM's, a savepoint) sends them first, through an execute wrapper;
- statements that cannot take a ``WITH`` in front (``SET``, ``WITH RECURSIVE``, many rows at
  once) send them first too.

Only a write that needs nothing back may be held (no ``RETURNING``, no row count checked), and
only on rows the transaction holds locked or inserts: then carrying it later takes no lock in a
different order. Writes are held only inside an audited transaction (``audited_atomic``); its
end sends what is left with the audit records, or alone. Elsewhere, and on SQLite (no round trip
to save), a write handed over is sent at once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import transaction

_HELD = "quanban_held_writes"

# What a held write is, and which table it changes.
_WRITE = re.compile(r'\s*(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
# Statements that can take data-modifying CTEs in front of them.
_CARRIER = re.compile(r"\s*(?:SELECT|INSERT|UPDATE|DELETE|WITH\s+(?!RECURSIVE\b))", re.IGNORECASE)


@dataclass(frozen=True)
class Write:
    sql: str
    params: tuple[Any, ...]
    table: str


@functools.lru_cache(maxsize=256)
def _table(sql: str) -> str:
    found = _WRITE.match(sql)
    if found is None or " RETURNING " in sql.upper():
        raise ValueError(f"not a write that can be held: {sql[:80]}")
    return found.group(1)


@functools.lru_cache(maxsize=256)
def _names(table: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(table)}\b")


@contextmanager
def holding() -> Iterator[list[Write] | None]:
    """Hold the writes handed to :func:`hold` while the block runs (PostgreSQL, inside a
    transaction, outermost block only). Yields the list still held when the block ends, for the
    caller to send (with its last statement: :func:`carried`), or None when nothing is held
    here. If the block raises, what is held is dropped with the transaction."""
    db = transaction.get_connection()
    if db.vendor != "postgresql" or not db.in_atomic_block or getattr(db, _HELD, None) is not None:
        yield None
        return
    held: list[Write] = []
    setattr(db, _HELD, held)
    db.execute_wrappers.append(_send_first)
    try:
        yield held
    finally:
        setattr(db, _HELD, None)
        db.execute_wrappers.remove(_send_first)


def hold(sql: str, params: Sequence[Any]) -> bool:
    """Hold a write for the next statement; False (nothing held) when no block is holding."""
    db = transaction.get_connection()
    held: list[Write] | None = getattr(db, _HELD, None)
    if held is None:
        return False
    table = _table(sql)
    if any(w.table == table for w in held):
        with db.cursor() as cursor:
            _send_held(held, cursor)
    held.append(Write(sql, tuple(params), table))
    return True


def carried(
    writes: Sequence[Write], sql: str, params: Sequence[Any], *, returning: bool = False
) -> tuple[str, list[Any]]:
    """``sql`` with ``writes`` as data-modifying CTEs in front (``w0``, ``w1``, …; ``returning``:
    each returns a row per row it wrote, for ``sql`` to wait on), and the parameters of all."""
    if not writes:
        return sql, list(params)
    end = " RETURNING 1" if returning else ""
    ctes = ", ".join(f"w{n} AS ({w.sql}{end})" for n, w in enumerate(writes))
    body = sql.lstrip()
    if body[:4].upper() == "WITH":
        body = f"WITH {ctes}, {body[4:].lstrip()}"
    else:
        body = f"WITH {ctes} {body}"
    return body, [*(p for w in writes for p in w.params), *params]


def together(writes: Sequence[Write]) -> tuple[str, list[Any]]:
    """The writes as one statement: the last carries the others."""
    *first, last = writes
    return carried(first, last.sql, last.params)


def _may_carry(held: Sequence[Write], sql: str, params: Any) -> bool:
    return (
        isinstance(params, list | tuple)
        and _CARRIER.match(sql) is not None
        and not any(_names(w.table).search(sql) for w in held)
    )


def carry(cursor: Any, sql: str, params: Any) -> tuple[str, Any]:
    """A statement about to be sent on ``cursor`` (Django's), with what is held in front of it if
    it can carry it. If it cannot, the held writes are sent first, and it goes as it is."""
    held: list[Write] | None = getattr(cursor.db, _HELD, None)
    if not held:
        return sql, params
    if params is None and "%" not in sql:
        params = []
    if _may_carry(held, sql, params):
        writes = held[:]
        held.clear()
        return carried(writes, sql, params)
    _send_held(held, cursor)
    return sql, params


def _send_held(held: list[Write], cursor: Any) -> None:
    """Send what is held, as one statement; emptied first, so the wrapper lets it through."""
    if held:
        writes = held[:]
        held.clear()
        cursor.execute(*together(writes))


def _send_first(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """Execute wrapper: anything sent while writes are held sends them first (a statement of our
    own that carries them has taken them already). They go on a cursor of their own: the one
    given may be a server-side cursor (``QuerySet.iterator()``), which declares only a query."""
    held = getattr(context["connection"], _HELD, None)
    if held:
        with context["connection"].cursor() as cursor:
            _send_held(held, cursor)
    return execute(sql, params, many, context)
