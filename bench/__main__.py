"""Run the benchmarks: ``python -m bench --size quick|full [name …]``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

BENCHMARKS = ["audit_append", "workdays", "search"]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--size", choices=["quick", "full"], default="quick")
    parser.add_argument("names", nargs="*", default=BENCHMARKS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quanban.config.settings_test")
    import django

    django.setup()
    from bench.harness import throwaway_database

    with throwaway_database():
        for name in args.names:
            module = importlib.import_module(f"bench.{name}")
            result = module.run(args.size)
            path = result.write()
            print(f"{name}: {result.summary}  → {path.relative_to(path.parents[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
