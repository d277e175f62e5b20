"""Keeping the index current: the catalogue calls these when a version is published or retired.

``index_version`` and ``index_remove`` run inside the caller's transaction, so the index changes
exactly when the catalogue does. ``reindex_all`` rebuilds everything in batches (bulk inserts).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Prefetch

from quanban.catalogue.models import ItemVersion, Material, ServiceItem
from quanban.searchindex import text
from quanban.searchindex.models import FIELD_WEIGHTS, Field, SearchDoc, SearchTerm

DEFAULT_BATCH = 500


def frequency_boost(case_count: int) -> float:
    """The frequency bonus: log-scaled, so popularity orders equals but never outranks a name."""
    return 2.0 * math.log10(1 + max(case_count, 0))


@dataclass(frozen=True)
class IndexStats:
    docs: int
    terms: int


def _field_texts(version: ItemVersion) -> dict[int, tuple[list[str], bool]]:
    """Per field: the texts to index and whether they also get pinyin."""
    departments = [version.item.implementing_department.name]
    departments += [unit.name for unit in version.co_departments.all()]
    return {
        Field.NAME: ([version.name], True),
        Field.KEYWORDS: (text.keywords_of(version.keywords), True),
        Field.DEPARTMENT: (departments, False),
        Field.MATERIALS: ([m.name for m in version.materials.all()], False),
    }


# (term, weight, fields) rows of one document; the doc id and rank are added when writing.
TermRows = list[tuple[str, int, int]]


def _build(version: ItemVersion) -> tuple[SearchDoc, TermRows]:
    item = version.item
    doc = SearchDoc(
        version=version,
        item=item,
        name=version.name,
        department_id=item.implementing_department_id,
        department_name=item.implementing_department.name,
        level=version.exercise_level,
        case_count=item.case_count,
        boost=frequency_boost(item.case_count),
    )
    fields: dict[str, int] = {}
    for field, (texts, pinyin) in _field_texts(version).items():
        for value in texts:
            for term in text.text_terms_cached(value, pinyin=pinyin):
                fields[term] = fields.get(term, 0) | field
    rows = [
        (term, sum(w for f, w in FIELD_WEIGHTS.items() if bits & f), bits)
        for term, bits in fields.items()
    ]
    return doc, rows


def _write_terms(batch: list[tuple[SearchDoc, TermRows]]) -> int:
    """Insert the term rows of some documents in one statement per few thousand rows.

    The ORM's bulk_create spends most of its time building half a million model instances;
    the index has no behaviour on its rows, so plain parameter tuples go straight in.
    """
    table = SearchTerm._meta.db_table
    rows = [
        (term, doc.pk, weight, weight + doc.boost, bits)
        for doc, doc_rows in batch
        for term, weight, bits in doc_rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            copy_sql = f"COPY {table} (term, doc_id, weight, rank, fields) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO {table} (term, doc_id, weight, rank, fields) VALUES (%s, %s, %s, %s, %s)"
            for start in range(0, len(rows), 5000):
                cursor.executemany(sql, rows[start : start + 5000])
    return len(rows)


def _versions() -> Iterable[ItemVersion]:
    return ItemVersion.objects.select_related("item__implementing_department").prefetch_related(
        "co_departments", Prefetch("materials", queryset=Material.objects.only("version", "name"))
    )


def index_version(version: ItemVersion) -> None:
    """(Re)index an item's published version; any earlier document of the item is replaced."""
    if version.state != ItemVersion.State.PUBLISHED:
        index_remove(version.item)
        return
    version = _versions().get(pk=version.pk)  # type: ignore[attr-defined]
    with transaction.atomic():
        SearchDoc.objects.filter(item_id=version.item_id).delete()
        doc, rows = _build(version)
        doc.save(force_insert=True)
        _write_terms([(doc, rows)])


def index_remove(item: ServiceItem) -> None:
    """Take an item out of search (its version was retired)."""
    SearchDoc.objects.filter(item_id=item.pk).delete()


def reindex_all(
    *, batch_size: int = DEFAULT_BATCH, progress: Callable[[int, int], None] | None = None
) -> IndexStats:
    """Rebuild the whole index from the published versions; ``progress(done, total)`` per batch."""
    published = ItemVersion.objects.filter(state=ItemVersion.State.PUBLISHED)
    ids = list(published.order_by("pk").values_list("pk", flat=True))
    total_terms = 0
    with transaction.atomic():
        SearchTerm.objects.all().delete()
        SearchDoc.objects.all().delete()
        if progress:
            progress(0, len(ids))
        for start in range(0, len(ids), batch_size):
            chunk = ids[start : start + batch_size]
            built = [_build(v) for v in _versions().filter(pk__in=chunk)]  # type: ignore[attr-defined]
            SearchDoc.objects.bulk_create([doc for doc, _rows in built])
            total_terms += _write_terms(built)
            if progress:
                progress(min(start + batch_size, len(ids)), len(ids))
    return IndexStats(docs=len(ids), terms=total_terms)


def index_optimise() -> None:
    """Refresh planner statistics after a rebuild (VACUUM needs to be outside a transaction).

    On PostgreSQL, VACUUM also marks the freshly copied pages all-visible, so searches read the
    covering index alone (index-only scans) instead of visiting the table for every posting.
    """
    tables = [SearchTerm._meta.db_table, SearchDoc._meta.db_table]
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                cursor.execute(f"VACUUM ANALYZE {table}")
            else:
                cursor.execute(f"ANALYZE {table}")
