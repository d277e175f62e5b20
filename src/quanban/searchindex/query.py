"""Answering a search: normalise, segment like the index, expand synonyms, rank in one query.

The score of an item is the sum, over the query's terms it contains, of the weights of the fields
holding the term (name > keywords > department > materials), plus a log-scaled frequency bonus
from its case count. Grouping and ordering happen in the database; Python sees only the top rows.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from quanban.core.errors import ValidationFailed
from quanban.searchindex import text
from quanban.searchindex.models import Field, SearchDoc, SearchTerm, Synonym

MAX_QUERY_LENGTH = 50
MAX_LIMIT = 50
# A query this long in terms is already specific; more terms only slow the query down.
MAX_TERMS = 40


class SearchQueryInvalid(ValidationFailed):
    code = "search_query_invalid"


@dataclass(frozen=True)
class Hit:
    item_id: int
    version_id: int
    name: str
    department_id: int
    department_name: str
    level: str
    score: float
    matched: tuple[str, ...]  # field names, e.g. ("name", "materials")


@dataclass(frozen=True)
class ParsedQuery:
    terms: frozenset[str]  # matched exactly
    prefixes: frozenset[str]  # ASCII (pinyin) matched by prefix

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes)


_FIELD_NAMES = {
    Field.NAME: "name",
    Field.KEYWORDS: "keywords",
    Field.DEPARTMENT: "department",
    Field.MATERIALS: "materials",
}


def clean_query(query: str) -> str:
    """The normalised query, or a clear refusal when it is empty or too long."""
    normalised = text.normalise(query)
    if not normalised:
        raise SearchQueryInvalid(
            _("请输入要搜索的事项名称、关键词或拼音首字母。"), code="search_query_empty", field="q"
        )
    if len(normalised) > MAX_QUERY_LENGTH:
        raise SearchQueryInvalid(
            _("搜索词过长：最多 %(max)s 个字，请精简后再试。") % {"max": MAX_QUERY_LENGTH},
            code="search_query_too_long",
            field="q",
        )
    return normalised


def parse_query(normalised: str) -> ParsedQuery:
    terms: set[str] = set()
    prefixes: set[str] = set()
    for run in text.runs(normalised):
        if text.is_chinese(run):
            terms |= text.chinese_terms(run)
        elif len(run) == 1:
            terms.add(run)
        else:
            prefixes.add(run[: text.MAX_PINYIN_LENGTH])
    return ParsedQuery(frozenset(terms), frozenset(prefixes))


# --- Synonyms: the whole (small) list, cached per process ------------------------------------

SYNONYM_CACHE_SECONDS = 30
_synonyms: dict[str, tuple[str, ...]] | None = None
_synonyms_loaded_at = 0.0
_synonyms_lock = threading.Lock()


def synonyms_invalidate() -> None:
    """Forget the cached list (``synonym_set`` calls this when its transaction commits)."""
    global _synonyms
    with _synonyms_lock:
        _synonyms = None


def _synonym_map() -> dict[str, tuple[str, ...]]:
    """The synonyms list; other processes see an edit within SYNONYM_CACHE_SECONDS."""
    global _synonyms, _synonyms_loaded_at
    now = time.monotonic()
    with _synonyms_lock:
        if _synonyms is None or now - _synonyms_loaded_at > SYNONYM_CACHE_SECONDS:
            rows = Synonym.objects.values_list("term", "synonyms")
            _synonyms = {term: tuple(values) for term, values in rows}
            _synonyms_loaded_at = now
        return _synonyms


def expand_synonyms(parsed: ParsedQuery, normalised: str) -> ParsedQuery:
    """Add the terms of every synonym of the whole query or of one of its terms."""
    table = _synonym_map()
    extra: set[str] = set()
    for key in {*parsed.terms, normalised.replace(" ", "")}:
        for synonym in table.get(key, ()):
            extra |= text.text_terms(synonym, pinyin=False)
    if not extra:
        return parsed
    return ParsedQuery(parsed.terms | extra, parsed.prefixes)


# --- Ranking in SQL ---------------------------------------------------------------------------

# A term with at most this many postings is read in full. A commoner term (登记, 许可 at 100,000
# items) contributes only its best postings by weight + frequency — for a one-term query that is
# exact, as its ranking is that order; in a longer query the rarer terms pick out the items.
RARE_POSTINGS = 2000
COMMON_CAP = 500


@dataclass(frozen=True)
class _Source:
    """One query term (exact) or pinyin prefix, as a SQL condition on the term column."""

    sql: str
    params: tuple[str, ...]


def _sources(parsed: ParsedQuery) -> list[_Source]:
    found = [_Source("term = %s", (term,)) for term in sorted(parsed.terms)[:MAX_TERMS]]
    for prefix in sorted(parsed.prefixes)[:MAX_TERMS]:
        if connection.vendor == "postgresql":
            # text_pattern_ops turns a prefix LIKE into an index range whatever the collation.
            found.append(_Source("term LIKE %s", (prefix + "%",)))  # prefix is [a-z0-9]+
        else:
            # SQLite's LIKE ignores a BINARY index; a range over the same bytes uses it.
            found.append(_Source("term >= %s AND term < %s", (prefix, prefix + "\U0010ffff")))
    return found


def _counts(sources: list[_Source]) -> list[int]:
    """How many postings each source has, counted up to RARE_POSTINGS + 1 (one statement)."""
    table = SearchTerm._meta.db_table
    parts = [
        f"SELECT {i} AS i, (SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {source.sql} "
        f"LIMIT {RARE_POSTINGS + 1}) AS c) AS n"
        for i, source in enumerate(sources)
    ]
    params = [p for source in sources for p in source.params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        counts = dict(cursor.fetchall())
    return [counts[i] for i in range(len(sources))]


def _postings_sql(source: _Source, cap: int | None, filters: str) -> str:
    table = SearchTerm._meta.db_table
    doc_table = SearchDoc._meta.db_table
    if filters:
        base = (
            f"SELECT t.doc_id, t.weight, t.rank, t.fields FROM {table} t "
            f"JOIN {doc_table} d ON d.version_id = t.doc_id WHERE t.{source.sql}{filters}"
        )
        order = "t.rank"
    else:
        base = f"SELECT doc_id, weight, rank, fields FROM {table} WHERE {source.sql}"
        order = "rank"
    if cap is not None:
        base += f" ORDER BY {order} DESC LIMIT {int(cap)}"
    return f"SELECT * FROM ({base}) AS p"


def search(
    query: str,
    *,
    limit: int = 20,
    department: int | None = None,
    level: str | None = None,
) -> list[Hit]:
    """The best ``limit`` published items for ``query``, best first (two SQL statements)."""
    normalised = clean_query(query)
    limit = max(1, min(limit, MAX_LIMIT))
    parsed = parse_query(normalised)
    if not parsed:
        return []
    sources = _sources(expand_synonyms(parsed, normalised))
    counts = _counts(sources)
    # Rare terms are read in full; common ones only their best postings, so a query of common
    # words stays cheap and a rarer word in it still decides which items come first.
    chosen = [
        (source, None if n <= RARE_POSTINGS else COMMON_CAP)
        for source, n in zip(sources, counts, strict=True)
        if n
    ]
    if not chosen:
        return []
    filters = ""
    filter_params: list[Any] = []
    if department is not None:
        filters += " AND d.department_id = %s"
        filter_params.append(department)
    if level is not None:
        filters += " AND d.level = %s"
        filter_params.append(level)
    union = " UNION ALL ".join(_postings_sql(s, cap, filters) for s, cap in chosen)
    params: list[Any] = [p for s, _cap in chosen for p in (*s.params, *filter_params)]
    flags = ", ".join(f"MAX(fields & {bit}) AS f{bit}" for bit in _FIELD_NAMES)
    doc_table = SearchDoc._meta.db_table
    sql = (
        "SELECT d.item_id, d.version_id, d.name, d.department_id, d.department_name, d.level, "
        f"g.score, {', '.join(f'g.f{bit}' for bit in _FIELD_NAMES)} "
        f"FROM (SELECT doc_id, SUM(weight) + MAX(rank - weight) AS score, {flags} "
        f"FROM ({union}) AS h GROUP BY doc_id ORDER BY score DESC, doc_id LIMIT %s) AS g "
        f"JOIN {doc_table} d ON d.version_id = g.doc_id ORDER BY g.score DESC, g.doc_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        rows = cursor.fetchall()
    return [
        Hit(
            item_id=row[0],
            version_id=row[1],
            name=row[2],
            department_id=row[3],
            department_name=row[4],
            level=row[5],
            score=round(float(row[6]), 3),
            matched=tuple(
                name for flag, name in zip(row[7:], _FIELD_NAMES.values(), strict=True) if flag
            ),
        )
        for row in rows
    ]
