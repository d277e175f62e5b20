"""``quanban demo``: load the demo city (济南市) and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from quanban.accounts.demo import demo_is_loaded, demo_load, demo_logins
from quanban.accounts.models import OrgUnit
from quanban.core.context import Actor, acting_as


class Command(BaseCommand):
    help = "Load the demo city and print the demo logins / 加载演示城市并列出演示账号"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only when the database has no organisation units (used by `make run`).",
        )
        parser.add_argument(
            "--address",
            default="http://127.0.0.1:8000/",
            help="The address printed for the newcomer to open.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and OrgUnit.objects.exists() and not demo_is_loaded():
            self.stdout.write(_("数据库中已有组织机构，不加载演示城市。"))
            return
        if not demo_is_loaded():
            # Every account's password is hashed on the way in: this takes a little while.
            self.stdout.write(_("正在通过各项服务创建演示城市济南市……"))
            with acting_as(Actor(username="quanban demo", channel="cli")):
                summary = demo_load(progress=self._progress)
            style = self.style.SUCCESS if summary.loaded else self.style.WARNING
            self.stdout.write(style(summary.message))
            if not summary.loaded:
                return
        else:
            self.stdout.write(_("演示城市已加载，未作任何改动。"))
        self._print_logins(options["address"])

    def _progress(self, line: str) -> None:
        self.stdout.write("  · " + line)

    def _print_logins(self, address: str) -> None:
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                _("打开 %(address)s ，工作人员从 %(address)sworkbench/ 登录。")
                % {"address": address}
            )
        )
        rows = [(_("用户名"), _("角色"), _("密码"))] + [
            (row["username"], f"{row['role_label']}（{row['display_name']}）", row["password"])
            for row in demo_logins()
        ]
        widths = [max(_display_width(row[i]) for row in rows) for i in range(3)]
        for number, row in enumerate(rows):
            self.stdout.write("  " + "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)))
            if number == 0:
                self.stdout.write("  " + "  ".join("-" * width for width in widths))
        self.stdout.write(
            _(
                "工作人员还需动态口令：演示模式下登录页显示每个演示账号当前的口令。群众账号用手机号登录。"
            )
        )


def _display_width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _display_width(text))
