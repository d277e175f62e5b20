"""Run the benchmarks: ``python -m bench --size quick|full [name …]``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# The case benchmarks come last: supervision and cases_queries fill their databases with a
# million cases each.
# http_submit starts real servers, and needs PostgreSQL (on SQLite it says so and skips).
BENCHMARKS = [
    "audit_append",
    "workdays",
    "search",
    "rules",
    # Licence verification and issuing with the PDF, beside the seal library's raw rates.
    "licences",
    "cases_throughput",
    "http_submit",
    "supervision",
    "cases_queries",
    # Ten million finished cases at full size (PostgreSQL only; on SQLite it says so).
    "evaluation",
    "dashboard",
    # The window pad over HTTP (real server) and the public results page over many ratings
    # (PostgreSQL only; on SQLite it says so).
    "feedback",
    # 末位: the monthly ranking over many ratings and complaints (PostgreSQL only).
    "rankings",
]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--size", choices=["quick", "full"], default="quick")
    parser.add_argument("names", nargs="*", default=BENCHMARKS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quanban.config.settings_test")
    # A server runs with DEBUG off (docs/operations.md): with it on, Django keeps and formats
    # every statement, which would weigh on the in-process benchmarks and not on a server.
    os.environ.setdefault("QUANBAN_DEBUG", "0")
    import django

    django.setup()
    from bench.harness import throwaway_database

    # Each benchmark gets a database of its own: none sees another's rows (a city, a million
    # cases) or pays for another's autovacuum.
    for name in args.names:
        module = importlib.import_module(f"bench.{name}")
        with throwaway_database():
            result = module.run(args.size)
            path = result.write()
        print(f"{name}: {result.summary}  → {path.relative_to(path.parents[2])}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
