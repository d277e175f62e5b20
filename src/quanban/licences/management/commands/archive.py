"""``quanban archive build|verify|due|dispose``: the electronic archives of closed cases.

- ``build [--case NUMBER]``: archive one closed case, or every closed case not archived yet (what
  the worker does every five minutes);
- ``verify PATH``: check a package (exit 0 when intact; 1 naming every changed, missing or extra
  file, or the bad seal);
- ``due [--on YYYY-MM-DD]``: the packages whose retention period has ended by that day (today);
- ``dispose --case NUMBER --reason … --approved-by …``: destroy a due package's file after appraisal.

See docs/licences.md, "Electronic archives".
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from quanban.cases.models import Case
from quanban.core import clock
from quanban.core.context import Actor, acting_as
from quanban.core.errors import ApplicationError
from quanban.licences import archives
from quanban.licences.models import ArchivePackage

CLI = Actor(username="quanban archive", channel="cli")
KINDS = {
    "unreadable": "无法读取 / unreadable",
    "signature": "签章无效 / bad seal",
    "changed": "已被修改 / changed",
    "missing": "缺失 / missing",
    "extra": "多出 / extra",
}


def _case(number: str) -> Case:
    case = Case.objects.filter(number=number.strip()).first()
    if case is None:
        raise CommandError(f"找不到办件 / no case numbered {number!r}")
    return case


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(
            f"日期格式应为 YYYY-MM-DD / a date is written YYYY-MM-DD: {value!r}"
        ) from error


class Command(BaseCommand):
    help = "Electronic archives of closed cases / 办件电子档案"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("build", help="Archive closed cases / 归档已办结办件")
        build.add_argument("--case", help="a case number (default: every closed case)")
        verify = sub.add_parser("verify", help="Check a package / 校验档案包")
        verify.add_argument("path", help="the package (.zip)")
        due = sub.add_parser("due", help="Packages due for disposal / 到期档案清单")
        due.add_argument("--on", help="YYYY-MM-DD (default: today)")
        dispose = sub.add_parser("dispose", help="Destroy a due package / 销毁到期档案")
        dispose.add_argument("--case", required=True, help="the case number")
        dispose.add_argument("--reason", required=True, help="the appraisal's finding / 鉴定意见")
        dispose.add_argument("--approved-by", required=True, help="who approved / 批准人")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with acting_as(CLI):
                getattr(self, f"_{options['action']}")(options)
        except ApplicationError as error:
            raise CommandError(f"{error} ({error.code})") from error

    def _build(self, options: dict[str, Any]) -> None:
        if options["case"]:
            package = archives.archive_build(case=_case(options["case"]))
            self.stdout.write(
                self.style.SUCCESS(
                    f"已归档 / archived: {package.case} → {archives.archive_dir() / package.path}"
                )
            )
            return
        total = 0
        while True:
            done = archives.archive_sweep()
            total += done
            if done == 0:
                break
        left = archives.archivable_cases().count()
        self.stdout.write(
            self.style.SUCCESS(f"已归档 {total} 件 / archived {total} cases")
            + (f"; {left} 件未能归档，见日志 / {left} could not be, see the log" if left else "")
        )

    def _verify(self, options: dict[str, Any]) -> None:
        path = Path(options["path"])
        check = archives.archive_verify(path)
        result = check.verification
        if not result.ok:
            lines = [
                f"档案包校验未通过 / archive package FAILED verification: {path}",
                *(f"  {KINDS[p.kind]}: {p.path} — {p.detail}" for p in result.problems),
            ]
            raise CommandError("\n".join(lines))
        case = result.manifest.get("case", {})
        seal = result.seal
        self.stdout.write(
            self.style.SUCCESS(
                f"档案包完整 / archive package intact: {path} — 办件 / case "
                f"{case.get('number') or case.get('id')}, {result.files} 个文件 / files, "
                f"签章 / sealed by {seal.get('signer')} ({seal.get('key_id')})"
            )
        )

    def _due(self, options: dict[str, Any]) -> None:
        on = _day(options["on"]) if options["on"] else timezone.localdate(clock.now())
        packages = list(archives.archive_due(on=on))
        self.stdout.write(
            f"{on.isoformat()} 前到期 / due by {on.isoformat()}: {len(packages)} 件 / packages"
        )
        for package in packages:
            assert package.dispose_on is not None
            self.stdout.write(
                f"{package.dispose_on.isoformat()}  {package.case}  "
                f"{package.retention_years}年  {package.department.name}  {package.path}"
            )

    def _dispose(self, options: dict[str, Any]) -> None:
        case = _case(options["case"])
        package = ArchivePackage.objects.filter(case=case).first()
        if package is None:
            raise CommandError(f"办件 {case} 尚未归档 / case {case} has no archive package")
        archives.archive_dispose(
            package=package, reason=options["reason"], approved_by=options["approved_by"]
        )
        self.stdout.write(self.style.SUCCESS(f"已销毁 / disposed: {package.path}"))
