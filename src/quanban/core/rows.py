"""Model instances read, and rows inserted, with statements written out once: the hot paths.

``Model.objects.raw()`` works out again, on every call, which column is which field and how each
converts. ``instances`` works it out once per model and database vendor: the statement selects
the model's concrete fields in declaration order (``columns``), then any extra columns, which come
back beside each instance. ``insert`` writes a new row the same way, where ``Model.objects.create``
compiles its INSERT again on every call; ``related_one`` reads a reverse one-to-one (a user's
person, their notification preferences).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models import signals

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, Any], Any]


def columns(model: type[models.Model], alias: str = "") -> str:
    """The model's concrete columns, in declaration order, qualified by ``alias`` if given."""
    q = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{q(str(f.column))}" for f in model._meta.concrete_fields)


@functools.cache
def _layout(
    model: type[models.Model], vendor: str
) -> tuple[tuple[str, ...], tuple[tuple[int, Any, tuple[Converter, ...]], ...]]:
    """The model's field names in column order, and (position, column, converters) of each field
    whose database value needs converting on ``vendor`` (the cache's key: SQLite reads dates as
    text, PostgreSQL does not)."""
    fields = model._meta.concrete_fields
    converters = []
    for i, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        found = [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]
        if found:
            converters.append((i, col, tuple(found)))
    return tuple(f.attname for f in fields), tuple(converters)


def instances(model: type[M], sql: str, params: Sequence[Any]) -> list[tuple[M, tuple[Any, ...]]]:
    """The rows of ``sql`` as instances of ``model``, each with the row's extra columns (see the
    module's note)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names, converters = _layout(model, connection.vendor)
    width = len(names)
    out = []
    for row in rows:
        values = list(row[:width])
        for i, col, convert in converters:
            for converter in convert:
                values[i] = converter(values[i], col, connection)
        out.append((model.from_db(connection.alias, names, values), tuple(row[width:])))
    return out


@functools.cache
def _insert_layout(
    model: type[models.Model], vendor: str
) -> tuple[str, tuple[models.Field[Any, Any], ...], bool]:
    """The INSERT of one row of ``model`` on ``vendor``: the statement, the fields whose values it
    takes in order, and whether the database numbers the row (an auto primary key, returned)."""
    meta = model._meta
    auto = meta.auto_field is not None
    fields = tuple(f for f in meta.local_concrete_fields if not (auto and f is meta.auto_field))
    for field in fields:
        # Values the database computes itself are not written by this statement.
        assert not getattr(field, "generated", False) and not field.has_db_default(), field
    q = connection.ops.quote_name
    sql = (
        f"INSERT INTO {q(meta.db_table)} ({', '.join(q(str(f.column)) for f in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if auto:
        sql += f" RETURNING {q(str(meta.pk.column))}"
    return sql, fields, auto


def insert(obj: M) -> M:
    """Insert ``obj`` as a new row with a statement written out once per model and vendor, as
    ``obj.save(force_insert=True)`` would (field defaults and ``pre_save`` applied), and return
    it saved. A model with save signals is saved by the ORM, so that they fire."""
    model = type(obj)
    if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        obj.save(force_insert=True)
        return obj
    sql, fields, auto = _insert_layout(model, connection.vendor)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if auto:
            obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


@functools.cache
def _related_sql(model: type[models.Model], column: str, vendor: str) -> str:
    # ``vendor`` is the cache's key: the quoting is the vendor's.
    q = connection.ops.quote_name
    return f"SELECT {columns(model)} FROM {q(model._meta.db_table)} WHERE {q(column)} = %s"


def related_one(obj: models.Model, accessor: str) -> Any:
    """``obj``'s reverse one-to-one (``related_one(user, "person")``), or None when there is
    none, read with a statement written out once and cached on both sides as the ORM would (so
    ``getattr(obj, accessor, None)`` then asks nothing)."""
    # The model from its options, not type(obj): a request's user is a lazy wrapper.
    related = getattr(obj._meta.model, accessor).related
    if related.is_cached(obj):
        return related.get_cached_value(obj)
    model, field = related.related_model, related.field
    found = instances(model, _related_sql(model, field.column, connection.vendor), [obj.pk])
    row = found[0][0] if found else None
    related.set_cached_value(obj, row)
    if row is not None:
        field.set_cached_value(row, obj)
    return row
