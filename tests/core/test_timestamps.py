"""PostgreSQL timestamps are read by psycopg's compiled parser, with Django's result."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the timestamptz loader is PostgreSQL's"
    ),
]


def test_timestamps_read_as_django_reads_them_with_the_compiled_loader():
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    sql = (
        "SELECT '2026-06-15 10:00:00.123456+08'::timestamptz, '1900-01-01 00:00:00+00'::timestamptz,"
        " '9999-12-31 23:59:59.999999+00'::timestamptz, NULL::timestamptz"
    )
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(1184, 0)  # timestamptz, as text
        assert (loader.__module__, loader.__name__) == (
            "quanban.core.timestamps",
            "TimestamptzLoader",
        )
        cursor.execute(sql)
        ours = cursor.fetchone()
    assert ours == (
        dt.datetime(2026, 6, 15, 2, 0, 0, 123456, tzinfo=dt.UTC),
        dt.datetime(1900, 1, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        None,
    )
    assert all(v.tzinfo is connection.timezone for v in ours[:3])
    # Django's own loader reads the same values.
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)
        cursor.execute(sql)
        assert cursor.fetchone() == ours
