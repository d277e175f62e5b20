"""``quanban audit verify``: walk the audit chain and name the first broken record."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quanban.core.audit import chain_verify


class Command(BaseCommand):
    help = "Audit trail tools / 审计记录工具"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Verify the SM3 hash chain / 校验审计链")

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = chain_verify()
        if broken is not None:
            raise CommandError(
                f"审计链在第 {broken.seq} 条记录处断裂 / audit chain broken at record "
                f"#{broken.seq}: {broken.reason} ({checked} records verified before it)"
            )
        self.stdout.write(
            self.style.SUCCESS(f"审计链完整 / audit chain intact: {checked} records verified")
        )
