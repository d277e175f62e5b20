"""What every benchmark shares: a throwaway database, timing, and the result file."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Result:
    name: str
    size: str
    figures: dict[str, float] = field(default_factory=dict)
    data: dict[str, int] = field(default_factory=dict)
    summary: str = ""
    # Anything else worth keeping beside the figures (query plans, per-department timings).
    details: dict[str, Any] = field(default_factory=dict)

    def write(self) -> Path:
        from django.db import connection

        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        body: dict[str, Any] = {
            "name": self.name,
            "size": self.size,
            **self.figures,
            "figures": self.figures,
            "data": self.data,
            **({"details": self.details} if self.details else {}),
            "machine": machine(),
            "database": connection.vendor,
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        path.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


@contextmanager
def throwaway_database() -> Iterator[None]:
    """A fresh test database (SQLite file or PostgreSQL per DATABASE_URL), removed afterwards."""
    from django.contrib.contenttypes.models import ContentType
    from django.test.utils import setup_databases, teardown_databases

    from quanban.core import workdays

    old = setup_databases(verbosity=0, interactive=False, keepdb=False)
    # Caches filled from a database dropped by the previous benchmark must not outlive it.
    ContentType.objects.clear_cache()
    workdays.invalidate()
    try:
        yield
    finally:
        teardown_databases(old, verbosity=0)


# The day the case benchmarks run on: a Monday in a year the pinned working-day calendar covers, so
# acceptance can compute due dates whatever the real date is (a year it does not cover refuses).
REFERENCE_TIME = dt.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@contextmanager
def on_reference_day() -> Iterator[None]:
    """The clock set to ``REFERENCE_TIME`` and running on from there (time-machine)."""
    import time_machine

    with time_machine.travel(REFERENCE_TIME, tick=True):
        yield


def rate(fn: Callable[[], Any], *, n: int, rounds: int = 3) -> float:
    """Best-of-rounds calls per second of ``fn`` called ``n`` times."""
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        best = max(best, n / elapsed)
    return best


def latencies_ms(fn: Callable[[], Any], *, n: int) -> dict[str, float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": statistics.median(samples),
        "p95_ms": samples[int(len(samples) * 0.95) - 1],
        "max_ms": samples[-1],
    }
