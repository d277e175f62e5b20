"""What every benchmark shares: a throwaway database, timing, and the result file."""

from __future__ import annotations

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

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Result:
    name: str
    size: str
    figures: dict[str, float] = field(default_factory=dict)
    data: dict[str, int] = field(default_factory=dict)
    summary: str = ""

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
    from django.test.utils import setup_databases, teardown_databases

    old = setup_databases(verbosity=0, interactive=False, keepdb=False)
    try:
        yield
    finally:
        teardown_databases(old, verbosity=0)


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
