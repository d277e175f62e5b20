"""``quanban catalogue``: import and export the service catalogue.

quanban catalogue import FILE [--as USERNAME]
    FILE is a JSON document (docs/catalogue-json.md) or an Excel workbook (docs/catalogue-excel.md),
    told apart by its extension. Everything is checked first; on any problem every problem is
    printed and nothing is imported (exit status 1). USERNAME is a catalogue editor (and reviewer
    for published items) of the items' departments. Without --as the import runs as the system,
    and the audit trail says so: use --as in production.
quanban catalogue export --format json|xlsx|cpsv-ap [-o FILE] [--base-uri URI] [--state STATE]
    json and cpsv-ap go to standard output unless -o is given; xlsx needs -o.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from quanban.core.context import Actor, acting_as, actor_for_user, current_actor
from quanban.core.errors import ApplicationError

FORMATS = ("json", "xlsx", "cpsv-ap")
BAR_WIDTH = 30


class TextProgress:
    """A one-line text progress bar on standard error, redrawn only when it changes."""

    def __init__(self, out: OutputWrapper) -> None:
        self.out = out
        self.last: tuple[str, int] | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if total <= 0:
            return
        filled = min(BAR_WIDTH, BAR_WIDTH * done // total)
        if self.last == (stage, filled) and done != total:
            return
        self.last = (stage, filled)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.out.write(f"\r{stage:<6} [{bar}] {done}/{total}", ending="")
        if done >= total:
            self.out.write("", ending="\n")
        self.out.flush()


class Command(BaseCommand):
    help = "Service catalogue import/export / 事项目录导入导出"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import a .json document or an .xlsx workbook")
        imp.add_argument("file")
        imp.add_argument(
            "--as", dest="username", default="", help="a catalogue editor (recommended)"
        )
        exp = sub.add_parser("export", help="export the published catalogue")
        exp.add_argument("--format", choices=FORMATS, default="json")
        exp.add_argument("-o", "--output", default="", help="output file (default: stdout)")
        exp.add_argument(
            "--base-uri",
            default="http://localhost:8000",
            help="where the catalogue is published (cpsv-ap URIs are made under it)",
        )
        exp.add_argument(
            "--state",
            action="append",
            choices=("draft", "submitted", "published", "retired"),
            help="json only: version states to export (repeatable; default published)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(Path(options["file"]), options["username"])
        else:
            self._export(options)

    def _import(self, path: Path, username: str) -> None:
        from quanban.accounts.models import User
        from quanban.catalogue.interchange import catalogue_import
        from quanban.catalogue.interchange_xlsx import catalogue_import_xlsx

        user = None
        if username:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"找不到用户 / no such user: {username}")
        else:
            self.stderr.write(
                "未指定 --as：以系统身份导入，审计记录将注明 / no --as: importing as the system"
            )
        suffix = path.suffix.lower()
        if suffix not in (".json", ".xlsx"):
            raise CommandError(f"文件须为 .json 或 .xlsx / FILE must be .json or .xlsx: {path}")
        here = current_actor()
        actor = actor_for_user(user, ip=here.ip, channel="cli") if user else Actor(channel="cli")
        try:
            with acting_as(actor):
                if suffix == ".json":
                    try:
                        document = json.loads(path.read_text(encoding="utf-8"))
                    except (OSError, ValueError) as error:
                        raise CommandError(f"无法读取 / cannot read {path}: {error}") from None
                    report = catalogue_import(user=user, document=document)
                else:
                    try:
                        stream = path.open("rb")
                    except OSError as error:
                        raise CommandError(f"无法读取 / cannot read {path}: {error}") from None
                    with stream:
                        report = catalogue_import_xlsx(
                            user=user, stream=stream, progress=TextProgress(self.stderr)
                        )
        except ApplicationError as error:
            for problem in error.extra.get("problems", []):
                self.stderr.write(f"{problem['location']}: {problem['message']}")
            raise CommandError(str(error)) from None
        counts = report.as_dict()
        self.stdout.write(
            "已导入 / imported: "
            f"{counts['versions_created']} 个事项版本 / item versions "
            f"({counts['items_created']} 个新事项 / new items, "
            f"{counts['versions_retired']} 个旧版本停用 / versions retired), "
            f"{counts['materials']} 份材料 / materials, "
            f"{counts['situations']} 个情形 / situations ({counts['options']} 个选项 / options), "
            f"{counts['proofs_created']} 条保留证明 / retained proofs "
            f"({counts['proofs_kept']} 条已存在 / kept)"
        )

    def _export(self, options: dict[str, Any]) -> None:
        from quanban.catalogue.cpsv import catalogue_export_cpsv
        from quanban.catalogue.interchange import catalogue_export_json
        from quanban.catalogue.interchange_xlsx import catalogue_export_xlsx

        fmt, output = options["format"], options["output"]
        if options["state"] and fmt != "json":
            raise CommandError("--state 仅用于 json / --state is for --format json only")
        if fmt == "xlsx":
            if not output:
                raise CommandError("xlsx 须用 -o 指定文件 / xlsx needs -o FILE")
            catalogue_export_xlsx(output)
            self.stderr.write(f"已写入 / written: {output}")
            return
        if fmt == "json":
            document = catalogue_export_json(states=options["state"] or ("published",))
        else:
            document = catalogue_export_cpsv(base_uri=options["base_uri"])
        text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"已写入 / written: {output}")
        else:
            self.stdout.write(text, ending="")
