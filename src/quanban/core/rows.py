"""Model instances from a statement written out once, for the hottest reads.

``Model.objects.raw()`` works out again, on every call, which column is which field and how each
converts. ``instances`` works it out once per model and database vendor: the statement selects
the model's concrete fields in declaration order (``columns``), then any extra columns, which come
back beside each instance.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection, models

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
