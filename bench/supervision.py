"""The card sweep (红黄牌亮灯) at city scale: a million open tasks, 5 % of them due.

Targets (issue: supervision), on PostgreSQL with this machine's two cores: with 1,000,000 open
tasks, 5 % of them past their yellow or red time, one full sweep in under 5 s; a quiet sweep
(nothing due) in under 50 ms. The sweep is the worker's: ``supervision.sweep.card_sweep`` for
the reference day, as the worker runs it (``acting_as`` the worker; the outbox's wake-ups queued,
not run: the worker sends).

The data comes from ``bench.casegen`` (the demo city, its departments and items) with
``due_share=0.05``: of the open tasks, about 5 % are past their warning or due date with their
card still lower, as the sweep finds them after it has been down (a red one half the time still
without its yellow, so that the sweep records both). Cases keep their cards as their dates say.
``--size quick`` makes 20,000 cases, ``full`` a million (about one open task a case);
``QUANBAN_BENCH_CASES`` overrides either.

Measured, in order:

1. ``full_sweep_s``: one ``card_sweep`` over every due card, and what it wrote (cards raised,
   card events, audit records, in-app messages, wake-ups queued for the outbox worker).
2. ``quiet_sweep_*``: the sweep again, nothing due, p50/p95 over repeats (on PostgreSQL with the
   plans of its two queries, ``EXPLAIN ANALYZE``).
3. ``replay_*``: a fixed number of the raised tasks put back (card lowered, its events removed)
   and swept again by one worker, then by two processes at once, each with its own connection
   (PostgreSQL only: ``SELECT … FOR UPDATE SKIP LOCKED``), checking that each card fired once;
   and a third time with every statement captured, for where the time goes (statements a card,
   by kind, and the database's share of the wall time).

A sweep writes in batches (``supervision.sweep.BATCH_SIZE`` cards): one audit record a batch
naming each card, one message a person and level a batch.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.harness import REFERENCE_TIME, Result, latencies_ms, on_reference_day

SIZES = {"quick": 20_000, "full": 1_000_000}
DUE_SHARE = 0.05
TARGET_FULL_S = 5.0
TARGET_QUIET_MS = 50.0
QUIET_REPEATS = 20
# Tasks put back for the replays: enough to time, few enough to replay three times at full size.
REPLAY_TASKS = 5_000


def cases_for(size: str) -> int:
    override = os.environ.get("QUANBAN_BENCH_CASES", "").replace("_", "").replace(",", "")
    return int(override) if override else SIZES[size]


@contextmanager
def as_the_worker() -> Iterator[None]:
    """As the worker runs the sweep: its actor, and the outbox's wake-ups queued (the test
    settings would run each at once, in the caller); nothing consumes the queue."""
    from huey.contrib.djhuey import HUEY

    from quanban.core.context import acting_as
    from quanban.supervision.tasks import WORKER

    immediate = HUEY.immediate
    HUEY.immediate = False
    try:
        with acting_as(WORKER):
            yield
    finally:
        HUEY.immediate = immediate


def _due_tasks(today: dt.date) -> Any:
    """Open tasks whose card is lower than their dates say, as the sweep selects them."""
    from django.db.models import Q

    from quanban.cases.models import Task

    return Task.objects.filter(state="open").filter(
        Q(card_level="none", warn_on__lte=today)
        | Q(card_level__in=["none", "yellow"], due_on__lt=today)
    )


def _due_cases(today: dt.date) -> Any:
    from django.db.models import Q

    from quanban.cases.models import Case

    return Case.objects.filter(state="accepted", lead_department__isnull=False).filter(
        Q(card_level="none", warn_on__lte=today)
        | Q(card_level__in=["none", "yellow"], promised_due__lt=today)
    )


def _written() -> dict[str, int]:
    """Rows of what a sweep writes, and the outbox wake-ups queued."""
    from huey.contrib.djhuey import HUEY

    from quanban.core.models import AuditRecord
    from quanban.notify.models import OutboxMessage
    from quanban.supervision.models import CardEvent

    return {
        "card_events": CardEvent.objects.count(),
        "audit_records": AuditRecord.objects.filter(action="card.raise").count(),
        # each batch's record names the cards it raised
        "audited_cards": sum(
            len(changes["yellow"]) + len(changes["red"])
            for changes in AuditRecord.objects.filter(action="card.raise").values_list(
                "changes", flat=True
            )
        ),
        "messages": OutboxMessage.objects.filter(channel="in_app").count(),
        "wakeups": HUEY.pending_count(),
    }


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after}


def _sweep(today: dt.date) -> tuple[Any, float]:
    from quanban.supervision.sweep import card_sweep

    start = time.perf_counter()
    report = card_sweep(today=today)
    return report, time.perf_counter() - start


Statement = tuple[str, Any, float]  # SQL, its parameters, seconds


@contextmanager
def statements() -> Iterator[list[Statement]]:
    """Every statement run on the connection inside, with its parameters and time."""
    from django.db import connection

    got: list[Statement] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            got.append((sql, params, time.perf_counter() - start))

    with connection.execute_wrapper(timed):
        yield got


def _plans(ran: list[Statement]) -> dict[str, list[str]]:
    """EXPLAIN ANALYZE of the SELECTs a quiet sweep runs (PostgreSQL), by the table they read."""
    from django.db import connection, transaction

    plans: dict[str, list[str]] = {}
    if connection.vendor != "postgresql":
        return plans
    for sql, params, _seconds in ran:
        if not sql.startswith("SELECT"):
            continue
        table = re.search(r'FROM "(\w+)"', sql)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plans[table.group(1) if table else sql[:40]] = [row[0] for row in cursor.fetchall()]
    return plans


def _quiet(today: dt.date, label: str) -> tuple[dict[str, float], list[Statement]]:
    """p50/p95 of a sweep with nothing due, and the statements it runs."""
    from quanban.supervision.sweep import SweepReport, card_sweep

    def once() -> None:
        assert card_sweep(today=today) == SweepReport(), f"{label}: the sweep found work"

    once()  # warm, as the worker is after its first minute
    with statements() as ran:
        once()
    return latencies_ms(once, n=QUIET_REPEATS), ran


# --- Replays: the same cards swept again, one worker, two, and with the statements captured ------


def _put_back(task_ids: list[int], cards: dict[int, str]) -> None:
    """Lower the tasks' cards to what they were before the full sweep, without their events."""
    from django.db import transaction

    from quanban.cases.models import Task
    from quanban.supervision.models import CardEvent

    with transaction.atomic():
        CardEvent.objects.filter(task_id__in=task_ids).delete()
        by_card: dict[str, list[int]] = {}
        for pk in task_ids:
            by_card.setdefault(cards[pk], []).append(pk)
        for card, pks in by_card.items():
            Task.objects.filter(pk__in=pks).update(card_level=card)


def _check_once(
    task_ids: list[int], events: int, raised: int, messages: int, wrote: dict[str, int]
) -> None:
    """Each card fired once: every task raised, one event a level, each card named in one audit
    record, the messages reported written (no more), nothing left due."""
    from django.db.models import Count

    from quanban.cases.models import Task
    from quanban.supervision.models import CardEvent

    assert raised == len(task_ids), (raised, len(task_ids))
    assert wrote["audited_cards"] == raised, wrote
    assert wrote["messages"] == messages, (wrote, messages)
    got = CardEvent.objects.filter(task_id__in=task_ids)
    assert got.count() == events, (got.count(), events)
    twice = got.values("task_id", "level").annotate(n=Count("pk")).filter(n__gt=1)
    assert not twice.exists()
    assert not Task.objects.filter(pk__in=task_ids, card_level="none").exists()


def _worker(today: dt.date, barrier: Any, results: Any) -> None:
    """One of two processes sweeping at once, on a connection of its own."""
    from django.db import connections

    with as_the_worker():
        barrier.wait()
        report, seconds = _sweep(today)
    connections.close_all()
    results.put((report.yellow, report.red, report.messages, seconds))


def _two_workers(today: dt.date) -> tuple[float, list[tuple[int, int, int, float]]]:
    from django.db import connections

    connections.close_all()  # each child opens its own; none inherits the parent's socket
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(3)
    results = ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(today, barrier, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    got = [results.get(timeout=3600) for _ in workers]
    wall = time.perf_counter() - start
    for worker in workers:
        worker.join()
        assert worker.exitcode == 0, worker.exitcode
    return wall, got


def _kind(sql: str) -> str:
    """A statement's verb and first table: ``UPDATE cases_task``."""
    if not sql.startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
        return sql.split(" ", 1)[0]
    verb = sql.split(" ", 1)[0]
    table = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', sql)
    return f"{verb} {table.group(1) if table else '?'}"


def _profile(today: dt.date, cards: int) -> dict[str, Any]:
    """Statements a raised card, by kind, and the share of the wall time spent in them."""
    with statements() as ran:
        report, seconds = _sweep(today)
    raised = report.yellow + report.red
    assert raised == cards, (raised, cards)
    kinds: Counter[str] = Counter()
    in_db: Counter[str] = Counter()
    for sql, _params, took in ran:
        kind = _kind(sql)
        kinds[kind] += 1
        in_db[kind] += took
    db_s = sum(in_db.values())
    return {
        "cards": raised,
        "wall_s": round(seconds, 3),
        "statements": len(ran),
        "statements_per_card": round(len(ran) / raised, 2),
        "statement_time_share": round(db_s / seconds, 3),
        "per_card_ms": round(seconds * 1000 / raised, 3),
        "by_kind": {
            kind: {
                "statements": n,
                "per_card": round(n / raised, 2),
                "ms_per_card": round(in_db[kind] * 1000 / raised, 3),
            }
            for kind, n in kinds.most_common()
        },
    }


# --- The run -----------------------------------------------------------------------------------


def run(size: str) -> Result:
    with on_reference_day(), as_the_worker():
        return _run(size)


def _run(size: str) -> Result:
    from django.db import connection
    from huey.contrib.djhuey import HUEY

    from bench.casegen import generate
    from quanban.cases.models import Task

    today = REFERENCE_TIME.date()
    n = cases_for(size)
    made = generate(n, due_share=DUE_SHARE)
    if connection.vendor == "postgresql":
        # The sweep is measured on a settled database, as a live one is: a task falls due days
        # after it was written, and by then autovacuum has visited its rows and the planner has
        # its statistics; and the generator's dirty pages are flushed first (a live database is
        # written a little at a time). (The VACUUM did not change the full sweep's figure:
        # docs/benchmarks.md.)
        with connection.cursor() as cursor:
            for table in ("cases_case", "cases_task", "supervision_cardevent"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
            cursor.execute("CHECKPOINT")
    open_tasks = Task.objects.filter(state="open").count()
    due_tasks = _due_tasks(today).count()
    due_cases = _due_cases(today).count()
    assert due_tasks == made["open_due"], (due_tasks, made["open_due"])
    # Who is due and what card each had, for the replays.
    cards = dict(_due_tasks(today).values_list("pk", "card_level"))

    # 1. The full sweep.
    HUEY.flush()
    before = _written()
    report, full_s = _sweep(today)
    wrote = full_wrote = _delta(before, _written())
    raised = report.yellow + report.red
    assert raised == due_tasks + due_cases, (report, due_tasks, due_cases)
    assert not _due_tasks(today).exists() and not _due_cases(today).exists()
    assert wrote["audited_cards"] == raised and wrote["messages"] == report.messages

    # 2. Quiet sweeps.
    quiet, ran = _quiet(today, "quiet")
    quiet_plans = _plans(ran)

    # 3. Replays of the same cards: one worker, two at once, and captured.
    replay = sorted(cards)[:: max(1, len(cards) // REPLAY_TASKS)][:REPLAY_TASKS]
    details: dict[str, Any] = {
        "quiet_plans": quiet_plans,
        "quiet_statements_ms": [[sql[:60], round(took * 1000, 2)] for sql, _p, took in ran],
    }
    figures: dict[str, float] = {}
    _put_back(replay, cards)
    events_per_replay = _due_events(replay, cards, today)
    before = _written()
    one, one_s = _sweep(today)
    wrote = _delta(before, _written())
    _check_once(replay, events_per_replay, one.yellow + one.red, one.messages, wrote)
    figures["replay_one_worker_s"] = round(one_s, 3)
    figures["replay_one_worker_cards_per_s"] = round(len(replay) / one_s, 1)

    if connection.vendor == "postgresql":
        _put_back(replay, cards)
        before = _written()
        wall, got = _two_workers(today)
        wrote = _delta(before, _written())
        raised_by_both = sum(y + r for y, r, _m, _s in got)
        _check_once(replay, events_per_replay, raised_by_both, sum(m for *_c, m, _s in got), wrote)
        figures["replay_two_workers_s"] = round(wall, 3)
        figures["replay_two_workers_cards_per_s"] = round(len(replay) / wall, 1)
        details["replay_two_workers_split"] = [
            {"raised": y + r, "messages": m, "seconds": round(s, 3)} for y, r, m, s in got
        ]
    else:
        details["replay_two_workers_split"] = "PostgreSQL only (SKIP LOCKED)"

    _put_back(replay, cards)
    details["profile"] = _profile(today, len(replay))

    figures = {
        "full_sweep_s": round(full_s, 3),
        "quiet_sweep_s": round(quiet["p50_ms"] / 1000, 4),
        "open_tasks": open_tasks,
        "quiet_sweep_p50_ms": round(quiet["p50_ms"], 2),
        "quiet_sweep_p95_ms": round(quiet["p95_ms"], 2),
        "full_sweep_cards_per_s": round(raised / full_s, 1),
        **figures,
        "target_full_sweep_s": TARGET_FULL_S,
        "target_quiet_sweep_ms": TARGET_QUIET_MS,
        "met_full": float(full_s < TARGET_FULL_S),
        "met_quiet": float(quiet["p95_ms"] < TARGET_QUIET_MS),
    }
    profile = details["profile"]
    data = {
        "cases": made["cases"],
        "tasks": made["tasks"],
        "open_tasks": open_tasks,
        "due_tasks": due_tasks,
        "due_cases": due_cases,
        "raised_yellow": report.yellow,
        "raised_red": report.red,
        "card_events": full_wrote["card_events"],
        "audit_records": full_wrote["audit_records"],
        "batch_size": _batch_size(),
        "messages": report.messages,
        "outbox_wakeups_queued": full_wrote["wakeups"],
        "replay_tasks": len(replay),
        "quiet_repeats": QUIET_REPEATS,
        "generate_s": made["seconds"],
    }
    summary = (
        f"{open_tasks:,} open tasks, {due_tasks:,} due: full sweep {full_s:.1f} s "
        f"({raised / full_s:,.0f} cards/s, {report.messages:,} messages, "
        f"{profile['statements_per_card']} statements a card; target < {TARGET_FULL_S:g} s: "
        f"{'met' if full_s < TARGET_FULL_S else 'not met'}); quiet p50 {quiet['p50_ms']:.1f} ms, "
        f"p95 {quiet['p95_ms']:.1f} ms (target < {TARGET_QUIET_MS:g} ms: "
        f"{'met' if quiet['p95_ms'] < TARGET_QUIET_MS else 'not met'})"
    )
    return Result(
        name="supervision", size=size, figures=figures, data=data, summary=summary, details=details
    )


def _batch_size() -> int:
    from quanban.supervision.sweep import BATCH_SIZE

    return BATCH_SIZE


def _due_events(task_ids: list[int], cards: dict[int, str], today: dt.date) -> int:
    """Events the sweep records for the tasks put back: yellow unless they had it, red if late."""
    from quanban.cases.models import Task

    late = set(Task.objects.filter(pk__in=task_ids, due_on__lt=today).values_list("pk", flat=True))
    return sum((cards[pk] == "none") + (pk in late) for pk in task_ids)
