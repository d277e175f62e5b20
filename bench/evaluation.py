"""The monthly evaluation (绩效评估) of every staff member, window, office and department.

Target (issue: supervision), on PostgreSQL with this machine's two cores: with 10,000,000 finished
cases, the monthly evaluation of all staff in under 60 s.

The data: ``bench.finishedgen.generate_finished(n)`` — the demo city's finished cases spread over
the twelve months up to the reference day (2026-06-15) — and the cards they would have had: for
every case finished after its promised day, a yellow and a red card event on the case (its lead
department; about ``LATE_SHARE`` of the cases), written by one ``INSERT … SELECT``. The month
evaluated is May 2026, the last whole month of the data (about a twelfth of the cases finished in
it, plus those received or accepted in it).

Measured:

1. ``evaluation_s``: ``evaluation_compute(month=2026-05)`` as the worker runs it — counting every
   subject's figures, inserting the rows, auditing — wall time, and its two counting queries on
   their own (``cases_query_s``, ``cards_query_s``).
2. ``recompute_s``: a supervisor's recomputation of the same month (the rows replaced).
3. On PostgreSQL, the case query's plan (``EXPLAIN (ANALYZE, BUFFERS)``) in ``details``.

``--size quick`` makes 200,000 cases, ``full`` 10,000,000; ``QUANBAN_BENCH_CASES`` overrides
either. Needs PostgreSQL (finishedgen writes with ``generate_series``); on SQLite it says so.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

from bench.harness import RESULTS, Result

SIZES = {"quick": 200_000, "full": 10_000_000}
TARGET_S = 60.0
MONTH = dt.date(2026, 5, 1)


def cases_for(size: str) -> int:
    override = os.environ.get("QUANBAN_BENCH_CASES", "").replace("_", "").replace(",", "")
    return int(override) if override else SIZES[size]


class Skipped(Result):
    """Measured nothing: an earlier PostgreSQL result, if any, stays as it was."""

    def write(self) -> Path:
        path = RESULTS / f"{self.name}.json"
        return path if path.exists() else super().write()


def _cards() -> int:
    """A yellow and a red card for every case finished late, as the sweep would have raised."""
    from django.conf import settings
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO supervision_cardevent
                (task_id, case_id, level, department_id, due_on, fired_at, explanation)
            SELECT NULL, c.id, l.level, c.lead_department_id,
                   CASE WHEN l.level = 'yellow' THEN c.warn_on ELSE c.promised_due + 1 END,
                   c.finished_at, ''
              FROM cases_case c
              CROSS JOIN (VALUES ('yellow'), ('red')) AS l(level)
             WHERE c.lead_department_id IS NOT NULL AND c.promised_due IS NOT NULL
               AND c.warn_on IS NOT NULL
               AND (c.finished_at AT TIME ZONE %s)::date > c.promised_due
            """,
            [settings.TIME_ZONE],
        )
        made = cursor.rowcount
        cursor.execute("ANALYZE supervision_cardevent")
    return made


def _supervisor() -> Any:
    from quanban.accounts.models import User
    from quanban.accounts.roles import Role

    return User.objects.filter(role_assignments__role=Role.SUPERVISOR).first()


def _plan(month: dt.date) -> list[str]:
    from django.db import connection

    from quanban.supervision import evaluation

    start, end = evaluation._bounds(month)
    inner, params = evaluation._month_cases(start, end).query.sql_with_params()
    sql = f"WITH m AS ({inner}) {evaluation._CASE_ARMS}"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return [row[0] for row in cursor.fetchall()]


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def run(size: str) -> Result:
    from django.db import connection

    if connection.vendor != "postgresql":
        return Skipped(
            name="evaluation",
            size=size,
            figures={"skipped": 1.0},
            summary=f"skipped on {connection.vendor}: finishedgen needs PostgreSQL (DATABASE_URL)",
        )
    from bench.finishedgen import generate_finished
    from quanban.cases.models import Case
    from quanban.core.context import Actor, acting_as, actor_for_user
    from quanban.supervision import evaluation
    from quanban.supervision.models import CardEvent, EvaluationRow

    n = cases_for(size)
    made = generate_finished(n)
    cards = _cards()
    start, end = evaluation._bounds(MONTH)
    data = {
        "finished_cases": made["cases"],
        "late_cases": made["late"],
        "card_events": cards,
        "cases_table_mb": 0,
        "month_finished": Case.objects.filter(finished_at__gte=start, finished_at__lt=end).count(),
        "month_received": Case.objects.filter(received_at__gte=start, received_at__lt=end).count(),
        "month_cards": CardEvent.objects.filter(
            due_on__gte=MONTH, due_on__lt=evaluation.next_month(MONTH)
        ).count(),
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('cases_case') / 1048576")
        data["cases_table_mb"] = int(cursor.fetchone()[0])

    # The counting queries on their own, then the whole service (counting, rows, audit), as the
    # worker runs it; then a supervisor's recomputation.
    cases_s, _ = _timed(lambda: evaluation._case_figures(MONTH, {}))
    cards_s, _ = _timed(lambda: evaluation._card_figures(MONTH, {}))
    with acting_as(Actor(channel="worker")):
        evaluation_s, month = _timed(lambda: evaluation.evaluation_compute(month=MONTH))
    supervisor = _supervisor()
    with acting_as(actor_for_user(supervisor, channel="web")):
        recompute_s, month = _timed(
            lambda: evaluation.evaluation_compute(month=MONTH, user=supervisor, recompute=True)
        )
    rows = {
        scope: EvaluationRow.objects.filter(evaluation=month, scope=scope).count()
        for scope in EvaluationRow.Scope.values
    }
    data.update({f"rows_{scope}": count for scope, count in rows.items()})
    plan = _plan(MONTH)
    figures = {
        "evaluation_s": round(evaluation_s, 3),
        "recompute_s": round(recompute_s, 3),
        "cases_query_s": round(cases_s, 3),
        "cards_query_s": round(cards_s, 3),
        "generate_s": float(made["seconds"]),
        "target_s": TARGET_S,
    }
    met = "met" if evaluation_s < TARGET_S else "NOT met"
    return Result(
        name="evaluation",
        size=size,
        figures=figures,
        data=data,
        summary=(
            f"{made['cases']:,} finished cases ({data['cases_table_mb']:,} MB), May 2026 "
            f"({data['month_finished']:,} finished in it): evaluation {evaluation_s:.1f} s "
            f"(target {TARGET_S:.0f} s: {met}), recompute {recompute_s:.1f} s; "
            f"{sum(rows.values()):,} rows ({rows['staff']:,} staff)"
        ),
        details={"cases_query_plan": plan},
    )
