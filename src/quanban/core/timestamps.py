"""PostgreSQL timestamps read by psycopg's compiled parser.

Django reads every ``timestamptz`` with a loader of its own that subclasses psycopg's pure-Python
one (to set the connection's time zone on the result), so each timestamp is parsed in Python:
about 13 µs a value here, and a case's row has a dozen. psycopg's compiled loader (from the
``psycopg[binary]`` package) parses it in C; the loader below keeps Django's result — the same
moment, with the connection's time zone (UTC) as its ``tzinfo`` — and its ``timezone`` attribute,
which Django's cursors compare to decide whether to register their own.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.signals import connection_created


def _register(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "postgresql":
        return
    import psycopg
    from psycopg import abc
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    raw = connection.connection
    oid = psycopg.adapters.types["timestamptz"].oid
    found = psycopg.adapters.get_loader(oid, Format.TEXT)
    if found is None or found.__module__.startswith("psycopg.types"):
        return  # no compiled loader (pure-Python psycopg): Django's is as fast
    compiled: type[abc.Loader] = found

    class TimestamptzLoader(Loader):
        timezone = connection.timezone

        def __init__(self, oid: int, context: Any = None) -> None:
            super().__init__(oid, context)
            self._parse = compiled(oid, context).load

        def load(self, data: Any) -> Any:
            return self._parse(data).replace(tzinfo=self.timezone)

    raw.adapters.register_loader("timestamptz", TimestamptzLoader)


def install() -> None:
    """Register the compiled loader on every new PostgreSQL connection."""
    connection_created.connect(_register, dispatch_uid="quanban.core.timestamps")
