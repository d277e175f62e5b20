"""Model instances read, and rows inserted, with statements written out once: the hot paths.

``Model.objects.raw()`` works out again, on every call, which column is which field and how each
converts. ``instances`` works it out once per model and database vendor: the statement selects
the model's concrete fields in declaration order (``columns``), then any extra columns, which come
back beside each instance; ``joined`` writes out the joins of a ``select_related`` once, and
``instances(…, related=…)`` caches the joined rows on each instance as the ORM would;
``where`` and ``by_pk`` read the rows of one value of a field that way. ``insert``
and ``insert_many`` write new rows the same way, where ``Model.objects.create`` and
``bulk_create`` compile their INSERT again on every call; ``update`` writes chosen fields of a
row, as ``save(update_fields=…)`` does; ``related_one`` reads a reverse one-to-one (a user's
person, their notification preferences), or takes it from a statement that joined it
(``related_one_known``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DatabaseError, connection, models, transaction
from django.db.models import signals
from django.db.models.base import ModelState

from quanban.core import heldwrites

M = TypeVar("M", bound=models.Model)
Converter = Callable[[Any, Any, Any], Any]


# The cursor the hot paths' statements share, per connection: (the driver's connection it was made
# on, whether it logs statements, Django's cursor). See ``shared_cursor``.
_KEPT = "quanban_kept_cursor"


@contextmanager
def shared_cursor() -> Iterator[Any]:
    """A cursor of the default connection for the statements written out here, kept and used
    again: Django makes a new one (and a new driver cursor) for every ``connection.cursor()``,
    about a tenth of a small statement's cost on the client.

    Made anew, through ``connection.cursor()``, when the connection was (re)opened, when
    statement logging was switched on or off (a test counting queries), and once a request
    while Django's health check of a persistent connection is due, which that call makes.
    Errors are wrapped as Django's, and execute wrappers apply, as with any cursor. Its
    statements carry the writes held for them (:mod:`quanban.core.heldwrites`).
    """
    db = transaction.get_connection()  # not the proxy, which finds it again on every use
    kept = getattr(db, _KEPT, None)
    if (
        kept is None
        or kept[0] is not db.connection
        or kept[1] != db.queries_logged
        # Django's own attributes (4.1+), which its stubs do not name.
        or (
            getattr(db, "health_check_enabled", False)
            and not getattr(db, "health_check_done", True)
        )
    ):
        made = _Carrier(db.cursor())
        kept = (db.connection, db.queries_logged, made)
        setattr(db, _KEPT, kept)
    yield kept[2]


class _Carrier:
    """Django's cursor, whose statements carry the writes held for the next one."""

    __slots__ = ("cursor",)

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def execute(self, sql: str, params: Any = None) -> Any:
        sql, params = heldwrites.carry(self.cursor, sql, params)
        return self.cursor.execute(sql, params)

    # The driver's fetches under Django's error wrapping, as Django's cursor gives them, without
    # the wrapped function it makes anew on every attribute lookup.
    def fetchone(self) -> Any:
        with self.cursor.db.wrap_database_errors:
            return self.cursor.cursor.fetchone()

    def fetchall(self) -> list[Any]:
        with self.cursor.db.wrap_database_errors:
            return self.cursor.cursor.fetchall()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cursor, name)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.cursor)


def later(sql: str, params: Sequence[Any]) -> None:
    """Send a write that needs nothing back with the transaction's next statement (held, see
    :mod:`quanban.core.heldwrites`), or now where nothing is holding writes."""
    if not heldwrites.hold(sql, params):
        with shared_cursor() as cursor:
            cursor.execute(sql, params)


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


@functools.cache
def _plain(model: type[models.Model]) -> bool:
    """Whether an instance of ``model`` is its fields' values and nothing more: no ``__init__`` of
    its own (the signals are asked on each build, as receivers may come and go)."""
    return model.__init__ is models.Model.__init__


def _build(model: type[M], names: tuple[str, ...], values: list[Any], alias: str) -> M:
    """An instance of ``model`` loaded from the database, as ``Model.from_db`` makes it. For a
    plain model without init signals, without ``Model.__init__``: for a row of every column, its
    field by field ``setattr`` only stores each value under its attribute name (a foreign key's
    descriptor also drops a cached object, and a new instance has none)."""
    if (
        not _plain(model)
        or signals.pre_init.has_listeners(model)
        or signals.post_init.has_listeners(model)
    ):
        return model.from_db(alias, names, values)
    obj = model.__new__(model)
    state = ModelState()
    state.adding = False
    state.db = alias
    obj.__dict__["_state"] = state
    obj.__dict__.update(zip(names, values, strict=True))
    return obj


def _values(
    model: type[models.Model], row: Sequence[Any], start: int, db: Any
) -> tuple[list[Any], int]:
    """The converted values of ``model``'s columns in ``row`` from ``start``, and where they end."""
    names, converters = _layout(model, db.vendor)
    end = start + len(names)
    values = list(row[start:end])
    for i, col, convert in converters:
        for converter in convert:
            values[i] = converter(values[i], col, db)
    return values, end


def instance_at(model: type[M], row: Sequence[Any], start: int) -> tuple[M | None, int]:
    """The instance of ``model`` whose columns (``columns(model)``) start at ``start`` in ``row``
    (None if its key is null: an outer join found none), and where its columns end: for a
    statement that selects a second model's columns among the extra columns of ``instances``."""
    db = transaction.get_connection()
    model_pk = model._meta.concrete_fields.index(model._meta.pk)
    values, end = _values(model, row, start, db)
    if values[model_pk] is None:
        return None, end
    return _build(model, _layout(model, db.vendor)[0], values, db.alias), end


def for_update_of(*aliases: str) -> str:
    """The clause that locks the rows of ``aliases`` only, where the database locks rows (SQLite
    does not: its transactions take the whole database for writing). PostgreSQL locks each
    result row's tables in the order named, so a statement that locks a parent and its children
    names the parent first, as a service that locks them one by one takes them."""
    if not connection.features.has_select_for_update_of:
        return ""
    return f" FOR UPDATE OF {', '.join(aliases)}"


@dataclass(frozen=True)
class Join:
    """A model with some of its forward relations joined, written out once (``joined``)."""

    # Each joined relation: its path ("item_version__item"), its field, the related model and the
    # position of that model's key among its columns (a null key: no row, LEFT JOIN).
    related: tuple[tuple[str, models.ForeignKey[Any, Any], type[models.Model], int], ...]
    # The SELECT list: the model's columns (alias t0), then each related model's (t1, t2, …).
    columns: str
    # The FROM clause: the model's table as t0 and one JOIN a relation (LEFT where it may be null).
    tables: str


@functools.cache
def joined(model: type[models.Model], related: tuple[str, ...], vendor: str) -> Join:
    """``model`` with the forward relations ``related`` joined (a path's parent before it), as
    ``select_related(*related)`` would read them. ``vendor`` is the cache's key."""
    q = connection.ops.quote_name
    aliases = {"": "t0"}
    models_at: dict[str, type[models.Model]] = {"": model}
    parts = [columns(model, "t0")]
    tables = [f"{q(model._meta.db_table)} t0"]
    found = []
    nullable_at = {"": False}
    for n, path in enumerate(related, start=1):
        parent, _sep, name = path.rpartition("__")
        field = models_at[parent]._meta.get_field(name)
        assert isinstance(field, models.ForeignKey), path
        target = field.related_model
        assert isinstance(target, type)
        alias = f"t{n}"
        aliases[path], models_at[path] = alias, target
        nullable_at[path] = nullable_at[parent] or field.null
        join = "LEFT JOIN" if nullable_at[path] else "JOIN"
        tables.append(
            f"{join} {q(target._meta.db_table)} {alias}"
            f" ON {alias}.{q(str(field.target_field.column))} = {aliases[parent]}.{q(str(field.column))}"
        )
        parts.append(columns(target, alias))
        found.append((path, field, target, target._meta.concrete_fields.index(target._meta.pk)))
    return Join(tuple(found), ", ".join(parts), " ".join(tables))


def instances(
    model: type[M], sql: str, params: Sequence[Any], *, related: tuple[str, ...] = ()
) -> list[tuple[M, tuple[Any, ...]]]:
    """The rows of ``sql`` as instances of ``model``, each with the row's extra columns (see the
    module's note). With ``related``, the statement selects ``joined(model, related).columns``
    first, and each joined row is cached on its instance (None for a missing nullable one); rows
    that join the same related row share its instance (a case's tasks, one case)."""
    with shared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    db = transaction.get_connection()
    join = joined(model, related, db.vendor) if related else None
    names = _layout(model, db.vendor)[0]
    built: dict[tuple[str, Any], models.Model] = {}
    out = []
    for row in rows:
        values, end = _values(model, row, 0, db)
        obj = _build(model, names, values, db.alias)
        if join is not None:
            at: dict[str, models.Model | None] = {"": obj}
            for path, field, target, key in join.related:
                target_names = _layout(target, db.vendor)[0]
                # A row already built from an earlier result row (the case every task of it
                # joins) is taken as it is: its columns are not converted again.
                pk = row[end + key]
                one = None if pk is None else built.get((path, pk))
                if pk is not None and one is None:
                    values, _end = _values(target, row, end, db)
                    one = built[path, pk] = _build(target, target_names, values, db.alias)
                end += len(target_names)
                parent = at[path.rpartition("__")[0]]
                at[path] = one
                if parent is not None:
                    field.set_cached_value(parent, one)
        out.append((obj, tuple(row[end:])))
    return out


@functools.cache
def _where_sql(
    model: type[models.Model],
    field: str,
    related: tuple[str, ...],
    order: tuple[str, ...],
    vendor: str,
) -> str:
    """``model``'s rows whose ``field`` equals a parameter, with ``related`` joined, in ``order``
    (field names, ``path__field`` for a joined one). ``vendor`` is the cache's key."""
    q = connection.ops.quote_name
    join = joined(model, related, vendor)
    aliases = {"": ("t0", model)}
    aliases.update(
        (path, (f"t{n}", target)) for n, (path, _f, target, _k) in enumerate(join.related, start=1)
    )

    def column_of(owner: type[models.Model], name: str) -> str:
        found = owner._meta.get_field(name)
        assert isinstance(found, models.Field), name  # a concrete field, not a reverse relation
        return q(str(found.column))

    terms = []
    for name in order:
        path, _sep, attr = name.rpartition("__")
        alias, owner = aliases[path]
        terms.append(f"{alias}.{column_of(owner, attr)}")
    sql = f"SELECT {join.columns} FROM {join.tables} WHERE t0.{column_of(model, field)} = %s"
    return sql + (f" ORDER BY {', '.join(terms)}" if terms else "")


def where(
    model: type[M],
    field: str,
    value: Any,
    *,
    related: tuple[str, ...] = (),
    order: tuple[str, ...] = (),
) -> list[M]:
    """The rows of ``model`` whose ``field`` is ``value``, with ``related`` joined and cached on
    each as ``select_related(*related)`` would, in ``order`` (ascending): one statement written
    out once per model, field, relations and order, where the ORM compiles its joins again on
    every call."""
    sql = _where_sql(model, field, related, order, connection.vendor)
    return [obj for obj, _extra in instances(model, sql, [value], related=related)]


def by_pk(model: type[M], pk: Any, *, related: tuple[str, ...] = ()) -> M | None:
    """The row of ``model`` whose key is ``pk`` (None if there is none), as :func:`where`
    reads it."""
    found = where(model, model._meta.pk.name, pk, related=related)
    return found[0] if found else None


@functools.cache
def _insert_fields(model: type[models.Model]) -> tuple[tuple[models.Field[Any, Any], ...], bool]:
    """The fields an INSERT of ``model`` writes, in column order, and whether the database
    numbers the rows (an auto primary key, returned in the rows' order)."""
    meta = model._meta
    auto = meta.auto_field is not None
    fields = tuple(f for f in meta.local_concrete_fields if not (auto and f is meta.auto_field))
    for field in fields:
        # Values the database computes itself are not written by this statement.
        assert not getattr(field, "generated", False) and not field.has_db_default(), field
    return fields, auto


@functools.lru_cache(maxsize=256)
def _insert_sql(
    model: type[models.Model], written: tuple[int, ...], count: int, vendor: str
) -> str:
    """The INSERT of ``count`` rows of ``model`` on ``vendor`` writing the fields at the
    positions ``written`` (of ``_insert_fields``); the others take the column's default, NULL."""
    fields, auto = _insert_fields(model)
    meta = model._meta
    q = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(written))})"
    sql = (
        f"INSERT INTO {q(meta.db_table)} ({', '.join(q(str(fields[i].column)) for i in written)})"
        f" VALUES {', '.join([row] * count)}"
    )
    if auto:
        sql += f" RETURNING {q(str(meta.pk.column))}"
    return sql


def insert(obj: M) -> M:
    """Insert ``obj`` as a new row with a statement written out once per model and vendor, as
    ``obj.save(force_insert=True)`` would (field defaults and ``pre_save`` applied), and return
    it saved. A model with save signals is saved by the ORM, so that they fire."""
    model = type(obj)
    if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        obj.save(force_insert=True)
        return obj
    insert_many([obj])
    return obj


def insert_many(objs: Sequence[M], *, held: bool = False) -> list[M]:
    """Insert new rows of one model in one statement, written out once per model, count and
    vendor, as ``bulk_create`` would: defaults and ``pre_save`` applied, keys set, and no save
    signals sent (``bulk_create`` sends none).

    ``held``: the rows (of a model whose key is not the database's to give) may go with the
    transaction's next statement (:func:`later`)."""
    if not objs:
        return []
    db = transaction.get_connection()
    model = type(objs[0])
    fields, auto = _insert_fields(model)
    rows = [[f.get_db_prep_save(f.pre_save(obj, True), db) for f in fields] for obj in objs]
    # A nullable column that is NULL in every row is left out (its default is NULL: Django sets
    # no other): a case's row has dozens of them, and a statement of fewer parameters is
    # converted once by psycopg (over 50 it parses the text again on every call).
    written = tuple(
        i
        for i, field in enumerate(fields)
        if not field.null or any(row[i] is not None for row in rows)
    )
    sql = _insert_sql(model, written, len(objs), db.vendor)
    params = [row[i] for row in rows for i in written]
    if held and not auto:
        later(sql, params)
    else:
        with shared_cursor() as cursor:
            cursor.execute(sql, params)
            if auto:
                for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                    obj.pk = pk
    for obj in objs:
        obj._state.adding = False
        obj._state.db = db.alias
    return list(objs)


@functools.cache
def _update_layout(
    model: type[models.Model], names: tuple[str, ...], vendor: str
) -> tuple[str, tuple[models.Field[Any, Any], ...]]:
    meta = model._meta
    fields: list[models.Field[Any, Any]] = []
    for name in names:
        field = meta.get_field(name)
        assert isinstance(field, models.Field) and field.concrete, name
        fields.append(field)
    q = connection.ops.quote_name
    sets = ", ".join(f"{q(str(f.column))} = %s" for f in fields)
    sql = f"UPDATE {q(meta.db_table)} SET {sets} WHERE {q(str(meta.pk.column))} = %s"
    return sql, tuple(fields)


def update(obj: models.Model, fields: Sequence[str], *, held: bool = False) -> None:
    """Write ``fields`` of ``obj``'s row, as ``obj.save(update_fields=fields)`` would (``pre_save``
    applied), with a statement written out once per model, fields and vendor. A model with save
    signals is saved by the ORM, so that they fire.

    ``held``: the write may go with the transaction's next statement (:func:`later`), for a row
    the transaction holds locked; how many rows it changed is then not checked."""
    model = type(obj)
    if signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        obj.save(update_fields=fields)
        return
    sql, params = _update_statement(obj, fields)
    if held:
        later(sql, params)
        return
    with shared_cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")


def _update_statement(obj: models.Model, fields: Sequence[str]) -> tuple[str, list[Any]]:
    """The statement :func:`update` sends, and its parameters."""
    db = transaction.get_connection()
    sql, found = _update_layout(type(obj), tuple(dict.fromkeys(fields)), db.vendor)
    params = [f.get_db_prep_save(f.pre_save(obj, False), db) for f in found]
    return sql, [*params, obj.pk]


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
    related_one_known(obj, accessor, row)
    return row


def related_one_known(obj: models.Model, accessor: str, row: models.Model | None) -> None:
    """Cache ``row`` (None: there is none) as ``obj``'s reverse one-to-one ``accessor``, read by
    a statement that joined it: :func:`related_one` then asks nothing."""
    related = getattr(obj._meta.model, accessor).related
    related.set_cached_value(obj, row)
    if row is not None:
        related.field.set_cached_value(row, obj)
