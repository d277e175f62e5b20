"""好差评: rating submission through the window pad over HTTP, and the public results page with
many ratings (docs/feedback.md).

- Pad submissions: the real server (``quanban serve``, gunicorn, four workers on the two cores,
  bench/http_submit.py's ``_serve``) on PostgreSQL; clients POST ``/api/v1/feedback/pad/rating`` with the token of a pad
  invitation their clerk opened (the invitations are written beforehand, in bulk: the submission is
  what is measured), one in ten a bad rating (which opens a follow-up and tells the office head).
  Closed loop with ``clients`` concurrent clients: ratings a second (target ≥ 300 on two cores),
  latency percentiles, statements a submission (in-process).
- The public page: ``ratings`` current ratings written with one ``INSERT … SELECT
  generate_series`` over 40 departments (a quarter of them to the first one, the one measured), with
  follow-ups for the bad ones, and their running counts rebuilt (``quanban.feedback.tally``; the
  services keep them as they go); the selector ``public_results``, the page
  ``/feedback/department/<id>/`` and the index ``/feedback/`` timed (target under 200 ms; the
  issue's figure is 20 million ratings, see ``SIZES``).

Needs PostgreSQL (``DATABASE_URL=postgres://…``); on SQLite it says so and measures nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import Result, on_reference_day
from bench.http_load import FlowResult, Run, Server, closed_loop, percentiles


@dataclass(frozen=True)
class Plan:
    rounds: int  # closed-loop rounds
    round_s: float  # measured seconds of each round
    warmup_s: float
    clients: int
    ratings: int  # current ratings for the public page
    page_samples: int


SIZES = {
    "quick": Plan(
        rounds=3, round_s=4.0, warmup_s=1.0, clients=8, ratings=1_000_000, page_samples=30
    ),
    "full": Plan(
        rounds=5, round_s=10.0, warmup_s=2.0, clients=8, ratings=20_000_000, page_samples=50
    ),
}
TARGET_PER_S = 300.0
# Server workers on the two cores: a worker waits on the database for about half of each rating
# (ten round trips), so two workers leave the cores idle that long; four keep them busy.
# QUANBAN_BENCH_WORKERS to compare.
WORKERS = int(os.environ.get("QUANBAN_BENCH_WORKERS", "4"))
TARGET_PAGE_MS = 200.0
CLERKS = 8
DEPARTMENTS = 40
# Levels the pad's clients give in turn: one bad rating in ten.
LEVELS = (5, 5, 4, 5, 3, 4, 5, 5, 2, 5)


@dataclass
class World:
    department_ids: list[int]
    window_id: int
    clerk_tokens: list[str]  # API tokens, one a clerk
    clerk_ids: list[int]


def _build_world() -> World:
    from quanban.accounts import services as accounts
    from quanban.accounts.demo import department_uscc
    from quanban.accounts.roles import Role
    from quanban.api.auth import token_create

    city = accounts.org_unit_create(kind="city", name="济南市", division_code="370100")
    departments = [
        accounts.org_unit_create(
            kind="department",
            name=f"部门{n:02d}",
            uscc=department_uscc(n, "370100"),
            parent=city,
        )
        for n in range(DEPARTMENTS)
    ]
    office = accounts.org_unit_create(kind="office", name="综合受理处", parent=departments[0])
    hall = accounts.org_unit_create(kind="hall", name="济南市民中心", parent=city)
    window = accounts.org_unit_create(kind="window", name="综合受理窗口 1", parent=hall)
    password = "Quanban#2026"
    admin = accounts.staff_create(
        username="secadmin", display_name="安全管理员", password=password, department=departments[0]
    )
    accounts.bootstrap_admin_grant(user=admin, role=Role.SECURITY_ADMIN, org_unit=city)
    head = accounts.staff_create(
        username="head", display_name="处长", password=password, department=departments[0]
    )
    accounts.role_grant(granted_by=admin, user=head, role=Role.OFFICE_HEAD, org_unit=office)
    clerks = []
    for n in range(CLERKS):
        clerk = accounts.staff_create(
            username=f"clerk{n:02d}",
            display_name=f"窗口人员{n}",
            password=password,
            department=departments[0],
            office=office,
        )
        accounts.role_grant(granted_by=admin, user=clerk, role=Role.WINDOW_CLERK, org_unit=hall)
        clerks.append(clerk)
    return World(
        department_ids=[d.pk for d in departments],
        window_id=window.pk,
        clerk_tokens=[token_create(user=c, name="bench")[1] for c in clerks],
        clerk_ids=[c.pk for c in clerks],
    )


def _invites(world: World, count: int) -> list[tuple[int, str]]:
    """``count`` open pad invitations, round robin over the clerks: (clerk index, token). Written
    in bulk: opening the pad is not what is measured."""
    from quanban.core import clock
    from quanban.feedback.models import RatingInvite
    from quanban.feedback.services import token_hash

    now = clock.now()
    out, rows = [], []
    for n in range(count):
        clerk = n % CLERKS
        token = f"bench-pad-{n:09d}"
        out.append((clerk, token))
        rows.append(
            RatingInvite(
                kind="visit",
                channel="pad",
                window_id=world.window_id,
                staff_id=world.clerk_ids[clerk],
                token_hash=token_hash(token),
                created_at=now,
                expires_at=now + dt.timedelta(days=2),
            )
        )
    RatingInvite.objects.bulk_create(rows, batch_size=5000)
    return out


class Flows:
    def __init__(self, world: World, server: Server, invites: list[tuple[int, str]]) -> None:
        self.world, self.server, self.invites = world, server, invites
        self.next = itertools.count()

    async def pad(self, _n: int) -> FlowResult:
        n = next(self.next)
        clerk, token = self.invites[n]
        level = LEVELS[n % len(LEVELS)]
        response, call = await self.server.timed(
            "pad",
            "POST",
            "/api/v1/feedback/pad/rating",
            body={"token": token, "level": level, "attitude": level, "skill": level},
            headers={"Authorization": f"Bearer {self.world.clerk_tokens[clerk]}"},
        )
        ok = response.status == 201
        return FlowResult(ok, [call], "" if ok else f"{response.status} {response.body[:200]!r}")


def _statements(world: World, invites: list[tuple[int, str]]) -> dict[str, int]:
    """Statements one pad submission runs (good and bad), in-process, after a warm one."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    counts = {}
    for label, level, (clerk, token) in (
        ("warm", 5, invites[0]),
        ("good", 5, invites[1]),
        ("bad", 2, invites[2]),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/api/v1/feedback/pad/rating",
                {"token": token, "level": level},
                content_type="application/json",
                headers={"Authorization": f"Bearer {world.clerk_tokens[clerk]}"},
            )
        assert response.status_code == 201, response.content
        counts[label] = len(queries)
    counts.pop("warm")
    return counts


def _many_ratings(world: World, total: int) -> float:
    """``total`` current ratings over the departments (a quarter to the first), dated over the
    last year, one in ten bad with its follow-up (half of them closed); seconds it took."""
    from django.db import connection

    started = time.perf_counter()
    first, last = world.department_ids[0], world.department_ids[-1]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO feedback_rating (kind, channel, level, text, tags, number, superseded,
                appeal_upheld, rater_phone, rater_kind, department_id, window_id, staff_id,
                rated_at, rated_on)
            SELECT 'visit', 'pad', (ARRAY[5,5,4,5,3,4,5,5,2,5])[1 + i %% 10], '', '[]'::jsonb,
                   1, false, false, '', '1',
                   CASE WHEN i %% 4 = 0 THEN %s ELSE %s + i %% (%s - %s + 1) END,
                   %s, %s, now() - (i %% 365) * interval '1 day',
                   (now() - (i %% 365) * interval '1 day')::date
              FROM generate_series(1, %s) AS i
            """,
            [first, first, last, first, world.window_id, world.clerk_ids[0], total],
        )
        cursor.execute(
            """
            INSERT INTO feedback_followup (rating_id, unit_id, department_id, state, opened_at,
                opened_on, contact_warn_on, contact_due_on, rectify_warn_on, rectify_due_on,
                card_level, contact_note, rectification, verdict, closed_at, version)
            SELECT r.id, r.department_id, r.department_id,
                   CASE WHEN r.id % 2 = 0 THEN 'closed' ELSE 'open' END,
                   r.rated_at, r.rated_on, r.rated_on, r.rated_on + 1, r.rated_on + 6,
                   r.rated_on + 7, 'none', '',
                   CASE WHEN r.id % 2 = 0 THEN '已整改' ELSE '' END,
                   CASE WHEN r.id % 2 = 0 THEN 'satisfied' ELSE '' END,
                   CASE WHEN r.id % 2 = 0 THEN r.rated_at + interval '3 days' END, 1
              FROM feedback_rating r
             WHERE r.level <= 2 AND NOT EXISTS (
                   SELECT 1 FROM feedback_followup f WHERE f.rating_id = r.id)
            """
        )
        # As autovacuum would soon after: statistics, and the visibility map that lets the
        # counts read the partial indexes alone.
        cursor.execute("VACUUM ANALYZE feedback_rating")
        cursor.execute("VACUUM ANALYZE feedback_followup")
    return time.perf_counter() - started


def _tallies() -> tuple[float, int]:
    """The running counts for the rows written in bulk (the services keep them as they go):
    seconds and rows."""
    from django.db import connection

    from quanban.feedback import tally

    started = time.perf_counter()
    rows = tally.rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE feedback_tally")
    return time.perf_counter() - started, rows


def _page_times(world: World, samples: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from quanban.feedback import selectors

    department = world.department_ids[0]
    selector_ms, page_ms, index_ms = [], [], []
    for _ in range(3):  # warm
        selectors.public_results(scope="department", subject_id=department)
    for _ in range(samples):
        start = time.perf_counter()
        found = selectors.public_results(scope="department", subject_id=department)
        selector_ms.append((time.perf_counter() - start) * 1000)
    client = Client()
    url = f"/feedback/department/{department}/"
    for _ in range(samples):
        start = time.perf_counter()
        response = client.get(url)
        page_ms.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    for _ in range(samples):
        start = time.perf_counter()
        response = client.get("/feedback/")
        index_ms.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS) SELECT measure, SUM(n) FROM feedback_tally"
            " WHERE scope = 'department' AND subject_id = %s GROUP BY measure",
            [department],
        )
        plan = [row[0] for row in cursor.fetchall()]
    return {
        "department_ratings": found.total,
        "selector": percentiles(selector_ms),
        "page": percentiles(page_ms),
        "index": percentiles(index_ms),
        "plan": plan,
    }


class Skipped(Result):
    def write(self) -> Path:
        from bench.harness import RESULTS

        path = RESULTS / f"{self.name}.json"
        return path if path.exists() else super().write()


def run(size: str) -> Result:
    from django.db import connection
    from huey.contrib.djhuey import HUEY

    from bench.http_submit import _needs_travel

    if connection.vendor != "postgresql":
        return Skipped(
            name="feedback",
            size=size,
            figures={"skipped": 1.0},
            summary=f"skipped on {connection.vendor}: needs PostgreSQL (DATABASE_URL=postgres://…)",
        )
    travel = _needs_travel()
    immediate = HUEY.immediate
    HUEY.immediate = False
    try:
        with on_reference_day() if travel else contextlib.nullcontext():
            return _run(size, SIZES[size], travel)
    finally:
        HUEY.immediate = immediate


def _run(size: str, plan: Plan, travel: bool) -> Result:
    from django.db import connection

    from bench.http_submit import CpuMeter, _serve
    from quanban.feedback.models import FollowUp, Rating

    started = time.perf_counter()
    world = _build_world()
    # Enough invitations for the fastest plausible rate, with room to spare.
    needed = int((plan.rounds * (plan.round_s + plan.warmup_s) + 4) * 1500)
    invites = _invites(world, needed + 3)
    statements = _statements(world, invites[:3])
    flows_invites = invites[3:]
    ratings_before = Rating.objects.count()
    with tempfile.TemporaryDirectory(prefix="quanban-feedback-bench-") as tmp:
        var_dir = Path(tmp)
        settings_module = "bench.http_settings" if travel else "quanban.config.settings"
        try:
            with _serve(settings_module, var_dir, travel, WORKERS) as served:
                meter = CpuMeter({"quanban": served.pid})
                connection.close()
                try:
                    flows = Flows(world, served.server, flows_invites)

                    async def measure() -> list[Run]:
                        await served.server.wait_ready("/api/v1/health")
                        await closed_loop(flows.pad, clients=4, duration_s=1.0, warmup_s=0.0)
                        runs = []
                        for _ in range(plan.rounds):
                            before = meter.snapshot()
                            run = await closed_loop(
                                flows.pad,
                                clients=plan.clients,
                                duration_s=plan.round_s,
                                warmup_s=plan.warmup_s,
                            )
                            after = meter.snapshot()
                            if before and run.completed:
                                spent = CpuMeter.spent_ms(before, after)
                                run.cpu_ms = {
                                    k: round(spent[k] / run.completed, 2)
                                    for k in ("quanban", "database")
                                }
                            runs.append(run)
                        return runs

                    runs = asyncio.run(measure())
                finally:
                    meter.close()
        except Exception:
            for log in var_dir.glob("*.log"):
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
            raise
        logs = "\n".join(log.read_text(errors="replace") for log in var_dir.glob("*.log"))
    rates = [r.per_s() for r in runs]
    latency = percentiles([ms for r in runs for ms in r.flow_ms()])
    failed = sum(r.failed for r in runs)
    rated = Rating.objects.count() - ratings_before
    followups = FollowUp.objects.count()
    cpu = {
        k: round(statistics.median(r.cpu_ms[k] for r in runs if k in r.cpu_ms), 2)
        for k in ("quanban", "database")
        if any(k in r.cpu_ms for r in runs)
    }

    load_s = _many_ratings(world, plan.ratings)
    tally_s, tally_rows = _tallies()
    pages = _page_times(world, plan.page_samples)
    rate = statistics.median(rates)
    figures = {
        "pad_ratings_per_s": round(rate, 1),
        "pad_p50_ms": latency["p50_ms"],
        "pad_p95_ms": latency["p95_ms"],
        "pad_p99_ms": latency["p99_ms"],
        "pad_failed": float(failed),
        "pad_statements_good": float(statements["good"]),
        "pad_statements_bad": float(statements["bad"]),
        "public_selector_p50_ms": pages["selector"]["p50_ms"],
        "public_selector_p95_ms": pages["selector"]["p95_ms"],
        "public_page_p50_ms": pages["page"]["p50_ms"],
        "public_page_p95_ms": pages["page"]["p95_ms"],
        "public_index_p95_ms": pages["index"]["p95_ms"],
        "target_pad_per_s": TARGET_PER_S,
        "target_page_ms": TARGET_PAGE_MS,
        "seconds": round(time.perf_counter() - started, 1),
    }
    summary = (
        f"pad {rate:.0f} ratings/s (target ≥ {TARGET_PER_S:.0f}), p95 {latency['p95_ms']} ms; "
        f"public page p95 {pages['page']['p95_ms']} ms over {pages['department_ratings']:,} "
        f"ratings of one department ({plan.ratings:,} in all; target < {TARGET_PAGE_MS:.0f} ms)"
    )
    return Result(
        name="feedback",
        size=size,
        figures=figures,
        data={
            "pad_ratings_written": rated,
            "follow_ups": followups,
            "ratings": Rating.objects.count(),
            "department_ratings": pages["department_ratings"],
            "server_errors": logs.count("ERROR django.request"),
        },
        summary=summary,
        details={
            "workers": WORKERS,
            "rounds_per_s": [round(r, 1) for r in rates],
            "cpu_ms_per_rating": cpu,
            "failures": [f for r in runs for f in r.failures(3)][:5],
            "load_seconds": round(load_s, 1),
            "tally_rebuild_seconds": round(tally_s, 1),
            "tally_rows": tally_rows,
            "selector": pages["selector"],
            "page": pages["page"],
            "index": pages["index"],
            "count_plan": pages["plan"],
            "travel": travel,
        },
    )
