"""The supervision dashboard with millions of finished cases: the rollup's build, and the city
dashboard's first paint over real HTTP.

The data: ``bench.finishedgen`` adds N finished cases of the demo city over the twelve months up
to the reference day (quick 100,000; full 10,000,000, or ``QUANBAN_BENCH_FINISHED``). Then:

- **rollup build**: ``dashboard_rollup_rebuild`` over the whole year, one ``INSERT … SELECT …
  GROUP BY`` (what the first run after an upgrade, or a rebuild on demand, costs);
- **refresh**: the ten-minute run (the reference day again) and the nightly one (31 days); then
  the ten-minute run again with indexes on the cases' received, accepted and finished times
  (created by the bench only: the schema does not have them yet);
- **first paint**: the server time of the city dashboard's HTML (``GET /workbench/dashboard/``,
  this month, no filters) as a supervisor's browser asks it — ``quanban serve`` with two workers on
  the bench database, a signed-in session, sequential requests timed from the request to the last
  byte, p50 and p95 — and the same for the whole year's view and for the Excel download.
  Target: under 1 s.

Needs PostgreSQL (the generator writes with ``generate_series``; the server is a separate process).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import REFERENCE_TIME, Result, on_reference_day

SIZES = {"quick": 100_000, "full": 10_000_000}
REQUESTS = {"quick": 15, "full": 25}
TARGET_MS = 1000.0


def _signed_in_cookie() -> str:
    """A supervisor's session as the login leaves it (password and TOTP passed), as a cookie."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from quanban.accounts.middleware import LOGIN_AT, SEEN_AT
    from quanban.accounts.models import RoleAssignment, User
    from quanban.accounts.roles import Role
    from quanban.core import clock

    assignment = RoleAssignment.objects.filter(role=Role.SUPERVISOR).order_by("pk").first()
    assert assignment is not None, "the demo city has a supervisor"
    user = User.objects.get(pk=assignment.user_id)
    device = TOTPDevice.objects.filter(user=user).first() or TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True
    )
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["otp_device_id"] = device.persistent_id
    now = clock.now().timestamp()
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


async def _timed(server: Any, path: str, cookie: str, n: int) -> dict[str, float]:
    samples = []
    statuses = set()
    for _ in range(n):
        start = time.perf_counter()
        response = await server.request("GET", path, headers={"Cookie": cookie})
        samples.append((time.perf_counter() - start) * 1000)
        statuses.add(response.status)
    if statuses != {200}:
        raise RuntimeError(f"dashboard bench: {path} answered {sorted(statuses)}")
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
        "max_ms": round(samples[-1], 1),
        "first_ms": round(samples[0], 1),
    }


def run(size: str) -> Result:
    from django.db import connection

    if connection.vendor != "postgresql":
        return Result(
            name="dashboard",
            size=size,
            summary=f"skipped on {connection.vendor}: needs PostgreSQL (DATABASE_URL)",
        )
    n = int(os.environ.get("QUANBAN_BENCH_FINISHED") or SIZES[size])
    with on_reference_day():
        return _run(size, n)


def _run(size: str, n: int) -> Result:
    from django.db import connection

    from bench.finishedgen import generate_finished
    from bench.http_load import Server
    from bench.http_submit import _serve
    from quanban.core.context import Actor, acting_as
    from quanban.supervision import rollups
    from quanban.supervision.models import DashboardDay

    today = REFERENCE_TIME.date()
    made = generate_finished(n, today=today)
    worker = Actor(channel="worker")
    with acting_as(worker):
        started = time.perf_counter()
        build = rollups.dashboard_rollup_rebuild(
            first_day=today - dt.timedelta(days=400), last_day=today
        )
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        rollups.dashboard_rollup_rebuild(first_day=today, last_day=today)
        refresh_s = time.perf_counter() - started
        started = time.perf_counter()
        rollups.dashboard_rollup_nightly(today=today)
        nightly_s = time.perf_counter() - started
    # What the ten-minute refresh would cost with the case table's event times indexed (not in
    # the schema yet: the refresh above reads the whole table three times).
    with connection.cursor() as cursor:
        for column in ("received_at", "accepted_at", "finished_at"):
            cursor.execute(f"CREATE INDEX bench_case_{column} ON cases_case ({column})")
        cursor.execute("ANALYZE cases_case")
    with acting_as(worker):
        started = time.perf_counter()
        rollups.dashboard_rollup_rebuild(first_day=today, last_day=today)
        refresh_indexed_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {DashboardDay._meta.db_table}")
        cursor.execute("SELECT pg_total_relation_size('cases_case')")
        case_bytes = cursor.fetchone()[0]
    rows = DashboardDay.objects.count()
    cookie = _signed_in_cookie()
    year = f"?first_day={today - dt.timedelta(days=364):%Y-%m-%d}&last_day={today:%Y-%m-%d}"
    requests = REQUESTS[size]
    with tempfile.TemporaryDirectory(prefix="quanban-dashboard-bench-") as tmp:
        var_dir = Path(tmp)
        try:
            with _serve("bench.http_settings", var_dir, travel=True) as served:
                connection.close()
                server: Server = served.server
                paint, year_view, export = asyncio.run(_measure(server, cookie, year, requests))
        except Exception:
            for log in var_dir.glob("*.log"):
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
            raise
    figures = {
        "rollup_build_s": round(build_s, 2),
        "rollup_refresh_s": round(refresh_s, 3),
        "rollup_nightly_s": round(nightly_s, 2),
        "rollup_refresh_indexed_s": round(refresh_indexed_s, 3),
        "first_paint_p50_ms": paint["p50_ms"],
        "first_paint_p95_ms": paint["p95_ms"],
        "year_view_p50_ms": year_view["p50_ms"],
        "year_view_p95_ms": year_view["p95_ms"],
        "export_p50_ms": export["p50_ms"],
    }
    met = paint["p95_ms"] < TARGET_MS
    return Result(
        name="dashboard",
        size=size,
        figures=figures,
        data={
            "finished_cases": made["cases"],
            "finished_late": made["late"],
            "rollup_rows": rows,
            "rollup_rows_built": build.rows,
            "case_table_mb": round(case_bytes / 2**20),
            "generate_s": made["seconds"],
            "requests_each": requests,
        },
        summary=(
            f"{made['cases']:,} finished cases: rollup build {build_s:.1f} s ({rows:,} rows), "
            f"refresh {refresh_s * 1000:.0f} ms ({refresh_indexed_s * 1000:.0f} ms with the event "
            f"times indexed), nightly {nightly_s:.1f} s; city dashboard "
            f"p50 {paint['p50_ms']:.0f} ms / p95 {paint['p95_ms']:.0f} ms "
            f"({'met' if met else 'NOT met'}: < {TARGET_MS:.0f} ms), year view p50 "
            f"{year_view['p50_ms']:.0f} ms, Excel p50 {export['p50_ms']:.0f} ms"
        ),
        details={"first_paint": paint, "year_view": year_view, "export": export},
    )


async def _measure(
    server: Any, cookie: str, year: str, requests: int
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    await server.wait_ready("/api/v1/health")
    # A few requests first, so both workers have imported and connected (not the page's cost).
    await _timed(server, "/workbench/", cookie, 4)
    paint = await _timed(server, "/workbench/dashboard/", cookie, requests)
    year_view = await _timed(server, "/workbench/dashboard/" + year, cookie, requests)
    export = await _timed(server, "/workbench/dashboard/export.xlsx" + year, cookie, 5)
    return paint, year_view, export
