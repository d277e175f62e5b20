"""Settings of the servers bench/http_submit.py starts: the real settings, unchanged, except
that when the pinned working-day calendar does not cover the days the benchmark's cases run
into, the clock is set to the benchmark's reference day (``QUANBAN_BENCH_TRAVEL``, ISO time)
and runs on from there, as the bench process's own clock is."""

from __future__ import annotations

import datetime as dt
import os

from quanban.config.settings import *  # noqa: F403

if os.environ.get("QUANBAN_BENCH_TRAVEL"):
    import time_machine

    time_machine.travel(
        dt.datetime.fromisoformat(os.environ["QUANBAN_BENCH_TRAVEL"]), tick=True
    ).start()
