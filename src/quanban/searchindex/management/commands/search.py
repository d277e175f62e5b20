"""``quanban search``: rebuild the search index, or try a query.

quanban search reindex [--batch N]     rebuild the index from every published version
quanban search query TEXT [--limit N]  print the ranked hits of a query
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quanban.core.errors import ApplicationError
from quanban.searchindex.indexer import DEFAULT_BATCH, index_optimise, reindex_all
from quanban.searchindex.query import MAX_LIMIT, search

BAR_WIDTH = 30


class ProgressBar:
    """A one-line progress bar on a terminal; plain percentage lines when output is piped."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.tty = stream.isatty()
        self.started = time.perf_counter()
        self.last_percent = -1

    def __call__(self, done: int, total: int) -> None:
        percent = 100 if total == 0 else done * 100 // total
        elapsed = time.perf_counter() - self.started
        if self.tty:
            filled = BAR_WIDTH * percent // 100
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            end = "\n" if done >= total else ""
            self.stream.write(
                f"\r{self.label} [{bar}] {percent:3d}% {done}/{total} {elapsed:.1f}s{end}"
            )
        elif percent // 10 != self.last_percent // 10 or done >= total:
            self.stream.write(f"{self.label}: {percent}% ({done}/{total})\n")
        self.last_percent = percent
        self.stream.flush()


class Command(BaseCommand):
    help = "Search index / 事项搜索: reindex, query"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reindex = sub.add_parser("reindex", help="rebuild the index from the published versions")
        reindex.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="versions per batch")
        query = sub.add_parser("query", help="print the ranked hits of a query")
        query.add_argument("text")
        query.add_argument("--limit", type=int, default=10)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "reindex":
            self._reindex(options["batch"])
        else:
            self._query(options["text"], options["limit"])

    def _reindex(self, batch: int) -> None:
        if not 1 <= batch <= 10_000:
            raise CommandError("--batch must be between 1 and 10000")
        started = time.perf_counter()
        stats = reindex_all(batch_size=batch, progress=ProgressBar(sys.stderr, "reindex"))
        index_optimise()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"已索引 {stats.docs} 个事项，{stats.terms} 个词条，用时 {elapsed:.1f} 秒 / "
            f"indexed {stats.docs} items, {stats.terms} terms in {elapsed:.1f}s"
        )

    def _query(self, text: str, limit: int) -> None:
        try:
            hits = search(text, limit=max(1, min(limit, MAX_LIMIT)))
        except ApplicationError as error:
            raise CommandError(str(error)) from None
        for hit in hits:
            self.stdout.write(
                f"{hit.score:8.2f}  {hit.name}  ({hit.department_name}; "
                f"item {hit.item_id}, matched: {', '.join(hit.matched)})"
            )
        if not hits:
            self.stdout.write("没有找到 / no hits")
