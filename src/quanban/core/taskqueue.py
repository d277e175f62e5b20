"""The embedded task queue: Huey on a SQLite file, without a disk flush for every task queued.

Huey's SQLite storage leaves SQLite's default, ``synchronous=FULL``: every task queued waits for a
flush of the file to disk (0.3–0.5 ms here), inside the request that queues it. The only task
Quanban queues is the outbox's wake-up (``notify.tasks.outbox_deliver_now``); the periodic tasks
are the consumer's own schedule, not rows. A wake-up lost to a power cut is made up by the
outbox's sweep within the minute, and the messages themselves are rows of the main database.
So the queue runs with ``synchronous=NORMAL``, which in WAL mode keeps the file consistent
through any crash and gives up only the last moments' tasks after a power loss.

Redis (``QUANBAN_REDIS_URL``) replaces the file in a deployment with several hosts.
"""

from __future__ import annotations

import sqlite3

from huey import SqliteHuey
from huey.storage import SqliteStorage


class _SqliteStorage(SqliteStorage):
    def _create_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = super()._create_connection()
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn


class SqliteQueue(SqliteHuey):
    """Huey on a SQLite file in WAL mode with ``synchronous=NORMAL`` (see the module's note)."""

    storage_class = _SqliteStorage
