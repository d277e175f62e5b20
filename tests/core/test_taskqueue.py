"""The embedded task queue flushes to disk at checkpoints, not for every task queued."""

from __future__ import annotations

from django.conf import settings

from quanban.core.taskqueue import SqliteQueue


def test_the_embedded_queue_is_wal_without_a_flush_a_task(tmp_path):
    queue = SqliteQueue("quanban-test", filename=str(tmp_path / "huey.sqlite3"))

    @queue.task()
    def wake() -> None:
        pass

    wake()
    conn = queue.storage.conn
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL (FULL is 2)
    assert queue.pending_count() == 1


def test_the_site_uses_it_unless_redis_is_configured():
    from quanban.config import settings as site

    expected = "huey.RedisHuey" if site.HUEY_REDIS_URL else "quanban.core.taskqueue.SqliteQueue"
    assert site.HUEY["huey_class"] == expected
    assert settings.HUEY["huey_class"] == "huey.MemoryHuey"  # the tests run tasks in-process
