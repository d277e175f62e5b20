"""末位: the monthly ranking of every department, district and hall (docs/rankings.md).

Target (issue 7), on PostgreSQL: with 20,000,000 ratings and 500,000 complaints, the monthly
ranking of all departments and districts under 30 s.

The data, all written by the database (``INSERT … SELECT generate_series`` in batches):

- finished cases of the demo city over the twelve months up to the reference day
  (``bench.finishedgen.generate_finished``) and their cards (``bench.evaluation._cards``: a yellow
  and a red card for each case finished late);
- ``ratings`` current ratings spread evenly over the 365 days up to the reference day, each at
  one of the city's windows (its hall and district) for one of its departments, levels in the
  pad's pattern (one in ten bad: 2), and a follow-up for each bad one, half of them rectified;
- ``complaints`` complaints over the same days: one in three about a hall, the rest about an item
  (its implementing department answers).

Measured (``ranking_s`` the target): ``ranking_compute(kind="month", day=2026-05-01)`` as the worker
runs it on the reference day (counting, ranking, rows, audit; the month is closed), the counting on
its own (``figures_s``), a supervisor's recomputation, and the year so far (``year_s``).

``--size quick``: 200,000 ratings, 5,000 complaints, 50,000 cases; ``full``: 20,000,000 ratings,
500,000 complaints, 2,000,000 cases. ``QUANBAN_BENCH_RATINGS``, ``QUANBAN_BENCH_COMPLAINTS`` and
``QUANBAN_BENCH_CASES`` override. Needs PostgreSQL; on SQLite it says so and measures nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from typing import Any

from bench.harness import REFERENCE_TIME, Result, on_reference_day


@dataclass(frozen=True)
class Plan:
    ratings: int
    complaints: int
    cases: int


SIZES = {
    "quick": Plan(ratings=200_000, complaints=5_000, cases=50_000),
    "full": Plan(ratings=20_000_000, complaints=500_000, cases=2_000_000),
}
TARGET_S = 30.0
MONTH = dt.date(2026, 5, 1)
BATCH = 1_000_000


def _override(name: str, default: int) -> int:
    raw = os.environ.get(name, "").replace("_", "").replace(",", "")
    return int(raw) if raw else default


def plan_for(size: str) -> Plan:
    base = SIZES[size]
    return Plan(
        ratings=_override("QUANBAN_BENCH_RATINGS", base.ratings),
        complaints=_override("QUANBAN_BENCH_COMPLAINTS", base.complaints),
        cases=_override("QUANBAN_BENCH_CASES", base.cases),
    )


def _units() -> dict[str, list[Any]]:
    """The demo city's windows (with hall and district), departments and items (with their
    department) as parallel lists for SQL arrays."""
    from quanban.accounts.models import OrgUnit
    from quanban.catalogue.models import ServiceItem
    from quanban.supervision.rollups import district_map

    districts = district_map()
    windows = list(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.WINDOW, parent__kind=OrgUnit.Kind.HALL)
        .order_by("pk")
        .values_list("pk", "parent_id")
    )
    departments = list(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    items = list(
        ServiceItem.objects.filter(implementing_department__isnull=False)
        .order_by("pk")
        .values_list("pk", "implementing_department_id")
    )
    return {
        "window": [w for w, _h in windows],
        "hall": [h for _w, h in windows],
        "district": [districts.get(w) for w, _h in windows],
        "department": departments,
        "item": [i for i, _d in items],
        "item_department": [d for _i, d in items],
    }


def _ratings(units: dict[str, list[Any]], total: int, today: dt.date) -> int:
    from django.db import connection, transaction

    done = 0
    while done < total:
        n = min(BATCH, total - done)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO feedback_rating (kind, channel, level, text, tags, number, superseded,
                    appeal_upheld, rater_phone, rater_kind, department_id, window_id, hall_id,
                    district_id, rated_at, rated_on)
                SELECT 'visit', 'pad', (ARRAY[5,5,4,5,3,4,5,5,2,5])[1 + i %% 10], '', '[]'::jsonb,
                       1, false, false, '', '1',
                       (%s::bigint[])[1 + (i * 7) %% cardinality(%s::bigint[])],
                       (%s::bigint[])[1 + w], (%s::bigint[])[1 + w], (%s::bigint[])[1 + w],
                       ((%s::date - (i %% 365)) + time '10:00') AT TIME ZONE 'Asia/Shanghai',
                       %s::date - (i %% 365)
                  FROM (SELECT i, i %% cardinality(%s::bigint[]) AS w
                          FROM generate_series(%s, %s) AS i) AS g
                """,
                [
                    units["department"],
                    units["department"],
                    units["window"],
                    units["hall"],
                    units["district"],
                    today,
                    today,
                    units["window"],
                    done + 1,
                    done + n,
                ],
            )
        done += n
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO feedback_followup (rating_id, unit_id, department_id, state, opened_at,
                opened_on, contact_warn_on, contact_due_on, rectify_warn_on, rectify_due_on,
                card_level, contact_note, rectification, verdict, closed_at, rectified_at, version)
            SELECT r.id, r.department_id, r.department_id,
                   CASE WHEN r.id % 2 = 0 THEN 'closed' ELSE 'open' END,
                   r.rated_at, r.rated_on, r.rated_on, r.rated_on + 1, r.rated_on + 6,
                   r.rated_on + 7, 'none', '',
                   CASE WHEN r.id % 2 = 0 THEN '已整改' ELSE '' END,
                   CASE WHEN r.id % 2 = 0 THEN 'satisfied' ELSE '' END,
                   CASE WHEN r.id % 2 = 0 THEN r.rated_at + interval '3 days' END,
                   CASE WHEN r.id % 2 = 0 THEN r.rated_at + interval '3 days' END, 1
              FROM feedback_rating r
             WHERE r.level <= 2
            """
        )
    return done


def _complaints(units: dict[str, list[Any]], total: int, today: dt.date) -> int:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO feedback_complaint (target, item_id, hall_id, category, text, evidence,
                anonymous, department_id, created_at, created_on)
            SELECT CASE WHEN i %% 3 = 0 THEN 'hall' ELSE 'item' END,
                   CASE WHEN i %% 3 = 0 THEN NULL
                        ELSE (%s::bigint[])[1 + i %% cardinality(%s::bigint[])] END,
                   CASE WHEN i %% 3 = 0
                        THEN (%s::bigint[])[1 + i %% cardinality(%s::bigint[])] END,
                   'process', '压测投诉', '', true,
                   CASE WHEN i %% 3 = 0 THEN NULL
                        ELSE (%s::bigint[])[1 + i %% cardinality(%s::bigint[])] END,
                   ((%s::date - (i %% 365)) + time '11:00') AT TIME ZONE 'Asia/Shanghai',
                   %s::date - (i %% 365)
              FROM generate_series(1, %s) AS i
            """,
            [
                units["item"],
                units["item"],
                units["hall"],
                units["hall"],
                units["item_department"],
                units["item"],
                today,
                today,
                total,
            ],
        )
    with connection.cursor() as cursor:
        for table in ("feedback_rating", "feedback_followup", "feedback_complaint"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return total


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def run(size: str) -> Result:
    from django.db import connection

    from bench.evaluation import Skipped

    if connection.vendor != "postgresql":
        return Skipped(
            name="rankings",
            size=size,
            figures={"skipped": 1.0},
            summary=f"skipped on {connection.vendor}: the generator needs PostgreSQL (DATABASE_URL)",
        )
    from bench.evaluation import _cards, _supervisor
    from bench.finishedgen import generate_finished
    from quanban.core.context import Actor, acting_as, actor_for_user
    from quanban.feedback import rankings
    from quanban.feedback.models import RankingRow

    plan = plan_for(size)
    today = REFERENCE_TIME.date()
    started = time.perf_counter()
    made = generate_finished(plan.cases)
    cards = _cards()
    units = _units()
    ratings = _ratings(units, plan.ratings, today)
    complaints = _complaints(units, plan.complaints, today)
    generate_s = time.perf_counter() - started
    end = rankings.next_month(MONTH)
    with on_reference_day():
        figures_s, figures = _timed(lambda: rankings.ranking_figures(MONTH, end))
        with acting_as(Actor(channel="worker")):
            ranking_s, period = _timed(
                lambda: rankings.ranking_compute(kind=rankings.Kind.MONTH, day=MONTH)
            )
        supervisor = _supervisor()
        with acting_as(actor_for_user(supervisor, channel="web")):
            recompute_s, period = _timed(
                lambda: rankings.ranking_compute(
                    kind=rankings.Kind.MONTH, day=MONTH, user=supervisor, recompute=True
                )
            )
        with acting_as(Actor(channel="worker")):
            year_s, _year = _timed(
                lambda: rankings.ranking_compute(kind=rankings.Kind.YEAR, day=MONTH)
            )
    rows = {
        scope: RankingRow.objects.filter(period=period, scope=scope).count()
        for scope in RankingRow.Scope.values
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('feedback_rating') / 1048576")
        ratings_mb = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT count(*) FROM feedback_rating WHERE rated_on >= %s AND rated_on < %s",
            [MONTH, end],
        )
        month_ratings = int(cursor.fetchone()[0])
    met = "met" if ranking_s < TARGET_S else "NOT met"
    return Result(
        name="rankings",
        size=size,
        figures={
            "ranking_s": round(ranking_s, 3),
            "figures_s": round(figures_s, 3),
            "recompute_s": round(recompute_s, 3),
            "year_s": round(year_s, 3),
            "generate_s": round(generate_s, 1),
            "target_s": TARGET_S,
        },
        data={
            "ratings": ratings,
            "complaints": complaints,
            "finished_cases": made["cases"],
            "card_events": cards,
            "ratings_table_mb": ratings_mb,
            "month_ratings": month_ratings,
            "subjects": len(figures),
            **{f"rows_{scope}": n for scope, n in rows.items()},
        },
        summary=(
            f"{ratings:,} ratings ({ratings_mb:,} MB), {complaints:,} complaints, "
            f"{made['cases']:,} finished cases: May 2026 ranked in {ranking_s:.1f} s "
            f"(target {TARGET_S:.0f} s: {met}; counting {figures_s:.1f} s), recompute "
            f"{recompute_s:.1f} s, the year so far {year_s:.1f} s; rows {rows}"
        ),
    )
