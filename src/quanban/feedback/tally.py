"""Running counts behind the public results (好差评 公示), kept in the transaction that changes
what they count (docs/feedback.md, "Public results").

A department's public page used to count its current ratings by level, its follow-ups by state
and its complaints on every view: with twenty million ratings that is millions of index entries
a view. Instead each change writes its deltas to ``Tally`` rows (scope, subject, day, measure) in
one upsert statement, and a page sums its subject's rows (a few thousand at most).

What moves a count, and where it is written:

- a rating given: ``level<n>`` +1 for its department, hall, item and district on its day
  (``rating_counted``); replaced by a second rating or removed by an upheld appeal: −1 (the same
  function with ``-1``), so the counts are always of ``COUNTED`` ratings;
- a follow-up opened: ``followup:<state>`` +1 on the day it was opened, for its department and
  its rating's or complaint's hall and item (and the rating's district); each change of state
  moves one count from the old state to the new (``followup_moved``);
- a complaint filed: ``complaints`` +1 for its department, hall and item (``complaint_filed``).

Rows are written in key order, in one statement a transaction (``batch``), so two transactions
never wait on each other's rows crosswise.
``rebuild`` recomputes every row from the tables (for bulk loads and as the check the tests make).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Sum

from quanban.feedback.models import COUNTED, Complaint, FollowUp, Rating, Tally

# The subjects a page is published for, and the rating columns that name them.
SCOPES = ("department", "hall", "item", "district")
COMPLAINT_SCOPES = ("department", "hall", "item")

Key = tuple[str, int, dt.date, str]


def level_measure(level: int) -> str:
    return f"level{level}"


def followup_measure(state: str) -> str:
    return f"followup:{state}"


COMPLAINTS = "complaints"


_PENDING = "quanban_tally_pending"


@contextlib.contextmanager
def batch() -> Iterator[None]:
    """Write every count changed inside in one statement when the block ends (nested blocks join
    the outermost; nothing is written if it raises).

    A service that changes several counts (a second rating replacing the first, a bad rating's
    follow-up, a complaint's) wraps them in one batch, so each transaction locks all its rows in
    one statement in one global key order: two of them can wait on each other, never deadlock.
    """
    connection = transaction.get_connection()
    if getattr(connection, _PENDING, None) is not None:
        yield
        return
    pending: Counter[Key] = Counter()
    setattr(connection, _PENDING, pending)
    try:
        yield
    finally:
        setattr(connection, _PENDING, None)
    _upsert(pending)


def _write(deltas: Mapping[Key, int]) -> None:
    pending = getattr(transaction.get_connection(), _PENDING, None)
    if pending is not None:
        pending.update(deltas)
        return
    _upsert(deltas)


def _upsert(deltas: Mapping[Key, int]) -> None:
    rows = sorted(key for key, n in deltas.items() if n)
    if not rows:
        return
    table = connection.ops.quote_name(Tally._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for key in rows:
        params.extend((*key, deltas[key]))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, subject_id, day, measure, n) VALUES {values}"
            f" ON CONFLICT (scope, subject_id, day, measure) DO UPDATE SET n = {table}.n + EXCLUDED.n",
            params,
        )


def _add(
    deltas: Counter[Key], subjects: Mapping[str, int | None], day: dt.date, measure: str, n: int
) -> None:
    for scope, subject in subjects.items():
        if subject is not None:
            deltas[(scope, subject, day, measure)] += n


def rating_counted(rating: Rating, n: int = 1) -> None:
    """A rating starts (``n=1``) or stops (``n=-1``) being counted."""
    deltas: Counter[Key] = Counter()
    _add(
        deltas,
        {s: getattr(rating, f"{s}_id") for s in SCOPES},
        rating.rated_on,
        level_measure(rating.level),
        n,
    )
    _write(deltas)


def _followup_subjects(followup: FollowUp) -> dict[str, int | None]:
    source: Rating | Complaint | None = followup.rating or followup.complaint
    return {
        "department": followup.department_id,
        "hall": getattr(source, "hall_id", None),
        "item": getattr(source, "item_id", None),
        "district": followup.rating.district_id if followup.rating is not None else None,
    }


def followup_moved(followup: FollowUp, before: str | None) -> None:
    """A follow-up opened (``before`` None) or moved from the state ``before`` to its own."""
    subjects = _followup_subjects(followup)
    deltas: Counter[Key] = Counter()
    if before is not None:
        _add(deltas, subjects, followup.opened_on, followup_measure(before), -1)
    _add(deltas, subjects, followup.opened_on, followup_measure(followup.state), 1)
    _write(deltas)


def complaint_filed(complaint: Complaint) -> None:
    deltas: Counter[Key] = Counter()
    _add(
        deltas,
        {s: getattr(complaint, f"{s}_id") for s in COMPLAINT_SCOPES},
        complaint.created_on,
        COMPLAINTS,
        1,
    )
    _write(deltas)


# --- Reading ----------------------------------------------------------------------------------


def figures(scope: str, subject_id: int) -> dict[str, int]:
    """Every measure of one subject, summed over its days: one indexed query."""
    return {
        measure: int(n)
        for measure, n in Tally.objects.filter(scope=scope, subject_id=subject_id)
        .order_by()
        .values_list("measure")
        .annotate(n=Sum("n"))
    }


def figures_by_subject(scope: str, measures: Iterable[str]) -> dict[int, dict[str, int]]:
    """The given measures of every subject of a scope, summed over their days."""
    out: dict[int, dict[str, int]] = {}
    for subject, measure, n in (
        Tally.objects.filter(scope=scope, measure__in=list(measures))
        .order_by()
        .values_list("subject_id", "measure")
        .annotate(n=Sum("n"))
    ):
        out.setdefault(subject, {})[measure] = int(n)
    return out


# --- Rebuilding -------------------------------------------------------------------------------


def computed() -> dict[Key, int]:
    """Every count, from the ratings, follow-ups and complaints themselves (grouped queries)."""
    out: Counter[Key] = Counter()
    for scope in SCOPES:
        column = f"{scope}_id"
        for subject, day, level, n in (
            Rating.objects.filter(COUNTED, **{f"{column}__isnull": False})
            .order_by()
            .values_list(column, "rated_on", "level")
            .annotate(n=Count("*"))
        ):
            out[(scope, subject, day, level_measure(level))] += n
    arms = {
        "department": ("department_id",),
        "hall": ("rating__hall_id", "complaint__hall_id"),
        "item": ("rating__item_id", "complaint__item_id"),
        "district": ("rating__district_id",),
    }
    for scope, columns in arms.items():
        for column in columns:
            for subject, day, state, n in (
                FollowUp.objects.filter(**{f"{column}__isnull": False})
                .order_by()
                .values_list(column, "opened_on", "state")
                .annotate(n=Count("*"))
            ):
                out[(scope, subject, day, followup_measure(state))] += n
    for scope in COMPLAINT_SCOPES:
        column = f"{scope}_id"
        for subject, day, n in (
            Complaint.objects.filter(**{f"{column}__isnull": False})
            .order_by()
            .values_list(column, "created_on")
            .annotate(n=Count("*"))
        ):
            out[(scope, subject, day, COMPLAINTS)] += n
    return {key: n for key, n in out.items() if n}


def stored() -> dict[Key, int]:
    return {
        (scope, subject, day, measure): n
        for scope, subject, day, measure, n in Tally.objects.exclude(n=0).values_list(
            "scope", "subject_id", "day", "measure", "n"
        )
    }


def rebuild() -> int:
    """Every row recomputed from the tables, in one transaction; the number of rows."""
    rows = computed()
    with transaction.atomic():
        Tally.objects.all().delete()
        Tally.objects.bulk_create(
            [
                Tally(scope=s, subject_id=i, day=d, measure=m, n=n)
                for (s, i, d, m), n in rows.items()
            ],
            batch_size=5000,
        )
    return len(rows)
