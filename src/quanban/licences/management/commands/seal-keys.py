"""``quanban seal-keys create|list --department <id> | --platform``: electronic seal keys.

``create`` writes a new key pair to the seal store (settings.LICENCE_SEAL_DIR) and makes it the
department's current key; the keys it had stay there, so what they sealed still verifies
(rotation). ``list`` shows the department's keys, the current one marked. The department is named
by its id, its credit code or its exact name; ``--platform`` names the platform's own seal
(settings.PLATFORM_SEAL_CODE), which signs the manifests of the electronic archives.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from quanban.accounts.models import OrgUnit
from quanban.core.audit import audit_record
from quanban.core.context import Actor, acting_as
from quanban.core.errors import ApplicationError
from quanban.licences import seals
from quanban.licences.archives import platform_signer


def _department(value: str) -> OrgUnit:
    departments = OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT)
    found = None
    if value.isdigit():
        found = departments.filter(pk=int(value)).first()
    found = found or departments.filter(uscc=value.upper()).first()
    found = found or departments.filter(name=value).first()
    if found is None:
        raise CommandError(f"找不到部门 / no department {value!r} (id, credit code or name)")
    return found


def _whose(parser: CommandParser) -> None:
    whose = parser.add_mutually_exclusive_group(required=True)
    whose.add_argument("--department", help="id, credit code or name")
    whose.add_argument(
        "--platform", action="store_true", help="the platform's seal (electronic archives)"
    )


class Command(BaseCommand):
    help = "Electronic seal keys of departments / 部门电子印章密钥"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create (or rotate to) a new key / 生成新密钥")
        _whose(create)
        create.add_argument(
            "--algorithm",
            choices=["sm2", "ed25519"],
            default=None,
            help="Default: settings.LICENCE_SEAL_ALGORITHM (sm2).",
        )
        _whose(sub.add_parser("list", help="List a department's keys / 列出密钥"))

    def handle(self, *args: Any, **options: Any) -> None:
        department: OrgUnit | None = None
        if options["platform"]:
            code, name = platform_signer(), "平台电子印章 / platform seal"
        else:
            department = _department(options["department"])
            code, name = department.uscc, department.name
        if options["action"] == "list":
            keys = seals.seal_keys_list(department_code=code)
            if not keys:
                self.stdout.write(f"{name}: 尚无密钥 / no keys")
            for key in keys:
                mark = "*" if key.current else " "
                self.stdout.write(f"{mark} {key.key_id}  {key.algorithm}")
            return
        try:
            with (
                acting_as(Actor(username="quanban seal-keys", channel="cli")),
                transaction.atomic(),
            ):
                key = seals.seal_key_create(
                    department_code=code, algorithm_name=options["algorithm"]
                )
                audit_record(
                    action="seal_key.create",
                    obj=department,
                    object_type="" if department else "platform",
                    object_id="" if department else code,
                    changes={"key_id": key.key_id, "algorithm": key.algorithm},
                )
        except ApplicationError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"{name}: 新密钥 / new current key {key.key_id} "
                f"({key.algorithm}) in {seals.seal_dir() / code}"
            )
        )
