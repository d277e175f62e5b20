"""``quanban openapi [-o FILE]``: print or write the API's OpenAPI document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from quanban.api.openapi_export import openapi_document


class Command(BaseCommand):
    help = "Export the OpenAPI schema of /api/v1/ as stable, sorted, indented JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-o", "--output", metavar="FILE", help="Write to FILE instead of stdout."
        )

    def handle(self, *args: Any, output: str | None = None, **options: Any) -> None:
        document = openapi_document()
        if output:
            Path(output).write_text(document, encoding="utf-8")
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(document, ending="")
