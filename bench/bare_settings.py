"""Settings of the baseline server of bench/http_submit.py: the Quanban server's settings (same
middleware, database, workers), routed to the bare view of bench/bare_urls.py."""

from __future__ import annotations

from bench.http_settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare_urls"
