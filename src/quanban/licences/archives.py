"""Electronic archives of closed cases (电子档案), in the spirit of DA/T 85-2019 (政务服务事项
电子文件归档规范): when a case is closed for good, its files are gathered into one package, its
manifest sealed by the platform, and the package kept for the retention period of its item type.

- ``archive_build(case=…)``: the package of one closed case; idempotent (one package a case).
- ``archive_sweep()``: every closed case not yet archived (the worker runs it every five minutes).
- ``archive_verify(path)``: the package's seal and files, and the record the platform keeps of it.
- ``archive_due(on=…)``: packages whose retention period has ended (to appraise for disposal).
- ``archive_dispose(…)``: the file of a due package destroyed after appraisal, the row kept.

A case is closed for good when it is 办结 (and the result reached the applicant), 不予受理,
终止 (withdrawn, deferral lapsed) or 撤销, and no task of it is open (a 告知承诺 case stays open to
its inspection, which may still revoke it).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from quanban.accounts.models import User
from quanban.cases.models import Case, Task
from quanban.catalogue.codes import ItemType
from quanban.core import clock
from quanban.core.audit import audit_record
from quanban.core.errors import ApplicationError, Conflict, ValidationFailed
from quanban.core.models import AuditRecord
from quanban.licences import seals
from quanban.licences.archive_contents import iso, package_members
from quanban.licences.archive_package import (
    Problem,
    Verification,
    manifest_build,
    package_verify,
    package_write,
    safe_name,
    signature_bytes,
)
from quanban.licences.models import ArchivePackage

logger = logging.getLogger("quanban.licences.archives")

CLOSED_STATES = (
    Case.State.FINISHED,
    Case.State.REFUSED,
    Case.State.TERMINATED,
    Case.State.REVOKED,
)

# Years a package is kept, by item type (GB/T 39046 A.1); None: permanently (永久). The three
# periods are those of the archives administration's rules for government records (国家档案局令
# 第 8 号《机关文件材料归档范围和文书档案保管期限规定》: 永久, 定期 30 年, 定期 10 年). Which type gets which
# is this project's default, not a national table: acts that settle a status or a dispute for good
# (确认, 裁决) permanently; acts that grant, take or impose something (许可, 处罚, 强制, 征收, 给付,
# 奖励, other powers) 30 years, beyond the limitation periods of the acts they record; inspections,
# public services and others 10 years. An installation changes it with QUANBAN_ARCHIVE_RETENTION.
RETENTION_YEARS: dict[str, int | None] = {
    ItemType.ADMIN_POWER: 30,
    ItemType.LICENSING: 30,
    ItemType.PENALTY: 30,
    ItemType.ENFORCEMENT: 30,
    ItemType.LEVY: 30,
    ItemType.BENEFIT: 30,
    ItemType.INSPECTION: 10,
    ItemType.CONFIRMATION: None,
    ItemType.REWARD: 30,
    ItemType.ADJUDICATION: None,
    ItemType.OTHER: 10,
    ItemType.PUBLIC_SERVICE: 10,
}
# A case that ended without a decision (不予受理, withdrawn, deferral lapsed) records no act of the
# authority: kept 10 years, or its type's period if that is shorter.
UNDECIDED_YEARS = 10
DEFAULT_YEARS = 10
_SIGNER_FORM = re.compile(r"^[0-9A-Za-z_-]{1,40}$")


# --- Retention ----------------------------------------------------------------------------------


def retention_table() -> dict[str, int | None]:
    """The defaults with the installation's changes (settings.ARCHIVE_RETENTION, JSON)."""
    table = dict(RETENTION_YEARS)
    raw = settings.ARCHIVE_RETENTION.strip()
    if not raw:
        return table
    try:
        changes = json.loads(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"QUANBAN_ARCHIVE_RETENTION is not JSON: {error}") from error
    if not isinstance(changes, dict):
        raise ImproperlyConfigured("QUANBAN_ARCHIVE_RETENTION must be a JSON object")
    for code, years in changes.items():
        if code not in ItemType.values:
            raise ImproperlyConfigured(f"QUANBAN_ARCHIVE_RETENTION: no item type {code!r}")
        if years is not None and (
            not isinstance(years, int) or isinstance(years, bool) or years < 1
        ):
            raise ImproperlyConfigured(
                f"QUANBAN_ARCHIVE_RETENTION[{code!r}]: years ≥ 1, or null for permanent"
            )
        table[code] = years
    return table


def retention_years(*, item_type: str, decided: bool) -> int | None:
    years = retention_table().get(item_type, DEFAULT_YEARS)
    if decided:
        return years
    return UNDECIDED_YEARS if years is None else min(years, UNDECIDED_YEARS)


def dispose_on_for(closed_on: dt.date, years: int | None) -> dt.date | None:
    """The first day after the retention period, which is counted from 1 January of the year
    after the case closed (the archives' rule: 保管期限从文件形成年度的次年 1 月 1 日起算)."""
    if years is None:
        return None
    return dt.date(closed_on.year + 1 + years, 1, 1)


def closed_at(case: Case) -> dt.datetime | None:
    return {
        Case.State.FINISHED: case.finished_at,
        Case.State.REFUSED: case.refused_at,
        Case.State.TERMINATED: case.terminated_at,
        Case.State.REVOKED: case.revoked_at,
    }.get(Case.State(case.state))


# --- Which cases -----------------------------------------------------------------------------


def archivable_cases() -> QuerySet[Case]:
    """Cases closed for good and not archived yet, oldest first."""
    open_tasks = Task.objects.filter(case=OuterRef("pk"), state=Task.State.OPEN)
    return (
        Case.objects.filter(state__in=CLOSED_STATES, archive_package__isnull=True)
        .exclude(state=Case.State.FINISHED, delivered_at__isnull=True)
        .exclude(Exists(open_tasks))
        .order_by("pk")
    )


def _refuse_unclosed(case: Case) -> None:
    if not archivable_cases().filter(pk=case.pk).exists():
        raise Conflict(
            _(
                "办件 %(case)s 尚不能归档：须已办结并送达，或已不予受理、终止、撤销，"
                "且没有在办任务。"
            )
            % {"case": case},
            code="archive_case_not_closed",
            extra={"state": case.state},
        )


# --- The signer ----------------------------------------------------------------------------------


def platform_signer() -> str:
    code = settings.PLATFORM_SEAL_CODE
    if not _SIGNER_FORM.match(code):
        raise ImproperlyConfigured(
            "QUANBAN_PLATFORM_SEAL_CODE: letters, digits, '-' and '_' only (1–40)"
        )
    return str(code)


def _require_platform_key(signer: str) -> None:
    if not any(key.current for key in seals.seal_keys_list(department_code=signer)):
        raise Conflict(
            _(
                "平台电子印章（%(code)s）尚无密钥，请先运行 quanban seal-keys create --platform 生成。"
            )
            % {"code": signer},
            code="archive_seal_missing",
        )


# --- Building -------------------------------------------------------------------------------


def _department(case: Case) -> Any:
    return case.lead_department or case.item_version.item.implementing_department


def _package_path(case: Case, closed_on: dt.date) -> str:
    name = safe_name(case.number) if case.number else f"case-{case.pk}"
    return f"{closed_on.year}/{name}.zip"


def archive_dir() -> Path:
    return Path(settings.ARCHIVE_DIR)


def archive_build(*, case: Case, user: User | None = None) -> ArchivePackage:
    """The archive package of a closed case, built, sealed, written and recorded. Idempotent: a
    case already archived returns its package (nothing is written again).

    The files are gathered and the package written outside the write transaction (PDFs take a
    while); the row is then inserted under the case's row lock if the case has not changed
    meanwhile (its version), else the work is thrown away and ``Conflict`` raised.
    """
    existing = ArchivePackage.objects.filter(case_id=case.pk).first()
    if existing is not None:
        return existing
    case = (
        Case.objects.select_related(
            "item_version__item__implementing_department",
            "person",
            "entity",
            "window",
            "lead_department",
            "lead_office",
            "first_responder",
            "accepted_by",
            "decided_by",
        )
        .filter(pk=case.pk)
        .get()
    )
    _refuse_unclosed(case)
    signer = platform_signer()
    _require_platform_key(signer)
    closed = closed_at(case)
    assert closed is not None
    closed_on = timezone.localdate(closed)
    decided = bool(case.decision)
    years = retention_years(item_type=case.item_version.item_type, decided=decided)
    dispose_on = dispose_on_for(closed_on, years)
    department = _department(case)
    members = package_members(
        case, department_name=department.name, years=years, dispose_on=dispose_on, closed=closed
    )
    built_at = clock.now().replace(microsecond=0)
    manifest = manifest_build(
        case={"id": case.pk, "number": case.number, "item": case.item_version.name},
        built_at=built_at,
        signer=signer,
        members=members,
    )
    seal = seals.seal_sign(department_code=signer, data=manifest)
    relative = _package_path(case, closed_on)
    target = archive_dir() / relative
    # Its own name: two workers building one case at once never write each other's file.
    staged = target.with_name(f".staged-{secrets.token_hex(8)}-{target.name}")
    try:
        size = package_write(
            staged,
            members=members,
            manifest=manifest,
            signature=signature_bytes(signer=signer, seal=seal, manifest=manifest),
            when=timezone.localtime(built_at),
        )
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            existing = ArchivePackage.objects.filter(case_id=case.pk).first()
            if existing is not None:
                return existing
            if locked.version != case.version:
                raise Conflict(
                    _("办件 %(case)s 在归档过程中发生变化，请稍后重试。") % {"case": case},
                    code="archive_case_changed",
                )
            package = ArchivePackage.objects.create(
                case=case,
                department=department,
                item_type=case.item_version.item_type,
                path=relative,
                size=size,
                file_count=len(members),
                manifest_sm3=seals.sm3_hex(manifest),
                signer=signer,
                seal_algorithm=seal.algorithm,
                seal_key_id=seal.key_id,
                signature=seal.signature,
                closed_on=closed_on,
                retention_years=years,
                dispose_on=dispose_on,
                built_at=built_at,
            )
            # In place before the commit: a crash between the two leaves a file without a row,
            # which the next build of the case replaces.
            staged.replace(target)
            audit_record(
                action="archive.build",
                obj=package,
                changes={
                    "case": case.pk,
                    "number": case.number,
                    "path": relative,
                    "manifest_sm3": package.manifest_sm3,
                    "files": len(members),
                    "retention_years": years,
                    "dispose_on": iso(dispose_on),
                    "by": user.pk if user is not None else None,
                },
            )
            return package
    except IntegrityError:
        # Another worker archived the case between our check and our insert.
        existing = ArchivePackage.objects.filter(case_id=case.pk).first()
        if existing is None:
            raise
        return existing
    finally:
        staged.unlink(missing_ok=True)


def archive_sweep(*, limit: int | None = None) -> int:
    """Archive closed cases not archived yet, oldest first, at most ``limit``
    (settings.ARCHIVE_SWEEP_BATCH) in one run; the number archived.

    A case that cannot be archived now (the case changed meanwhile, a material's file missing
    from storage) is logged, audited as failed and passed over, so that it does not hold up
    the cases behind it; the next run tries it again. At most ``limit`` failures a run; without
    the platform key the run stops at the first case."""
    batch = settings.ARCHIVE_SWEEP_BATCH if limit is None else limit
    done = failed = 0
    after = 0
    while done < batch and failed < batch:
        cases = list(archivable_cases().filter(pk__gt=after)[: batch - done])
        if not cases:
            break
        for case in cases:
            after = case.pk
            try:
                archive_build(case=case)
            except (ApplicationError, OSError) as refused:
                code = getattr(refused, "code", type(refused).__name__)
                _sweep_failed(case, code, refused)
                if code == "archive_seal_missing":
                    return done  # every other case would fail the same way
                failed += 1
                if failed >= batch:
                    break
                continue
            done += 1
    return done


def _sweep_failed(case: Case, code: str, refused: Exception) -> None:
    logger.warning("Case %s not archived: %s", case.pk, refused)
    with transaction.atomic():
        audit_record(
            action="archive.build",
            obj=case,
            result=AuditRecord.Result.FAILED,
            changes={"code": code, "message": str(refused)},
        )


# --- Checking, disposal --------------------------------------------------------------------------


@dataclass
class ArchiveCheck:
    verification: Verification
    package: ArchivePackage | None

    @property
    def ok(self) -> bool:
        return self.verification.ok


def archive_verify(path: Path) -> ArchiveCheck:
    """Check a package file: its seal and files (``package_verify``) and, when the platform keeps
    a record of that case's package, that this is the package recorded (its manifest digest)."""
    verification = package_verify(path, signer=platform_signer())
    case_id = verification.manifest.get("case", {}).get("id") if verification.manifest else None
    package = (
        ArchivePackage.objects.filter(case_id=case_id).first() if isinstance(case_id, int) else None
    )
    if (
        package is not None
        and verification.manifest_sm3
        and package.manifest_sm3 != verification.manifest_sm3
    ):
        verification.problems.append(
            Problem(
                "signature",
                "manifest.json",
                f"not the package recorded for case {package.case_id} "
                f"(manifest SM3 {package.manifest_sm3[:16]}…)",
            )
        )
    return ArchiveCheck(verification, package)


def archive_due(*, on: dt.date) -> QuerySet[ArchivePackage]:
    """Packages still kept whose retention period ended by ``on``, earliest first."""
    return (
        ArchivePackage.objects.filter(state=ArchivePackage.State.ARCHIVED, dispose_on__lte=on)
        .select_related("case", "department")
        .order_by("dispose_on", "pk")
    )


def archive_dispose(*, package: ArchivePackage, reason: str, approved_by: str) -> ArchivePackage:
    """销毁: the file of a package whose period has ended is deleted after appraisal; the row
    (what it was, its digest, when and why it went) stays."""
    text, approver = reason.strip(), approved_by.strip()
    if not text or not approver:
        raise ValidationFailed(
            _("销毁须写明鉴定意见和批准人。"), code="reason_required", field="reason"
        )
    today = timezone.localdate(clock.now())
    with transaction.atomic():
        locked = ArchivePackage.objects.select_for_update().get(pk=package.pk)
        if locked.state != ArchivePackage.State.ARCHIVED:
            raise Conflict(_("该档案已销毁。"), code="archive_disposed")
        if locked.dispose_on is None or locked.dispose_on > today:
            raise Conflict(
                _("该档案保管期限未满（%(until)s），不能销毁。")
                % {"until": iso(locked.dispose_on) or _("永久")},
                code="archive_not_due",
            )
        locked.state = ArchivePackage.State.DISPOSED
        locked.save(update_fields=["state"])
        audit_record(
            action="archive.dispose",
            obj=locked,
            changes={"path": locked.path, "reason": text, "approved_by": approver},
        )
        target = archive_dir() / locked.path
        transaction.on_commit(lambda: target.unlink(missing_ok=True))
    return locked


def archive_download(*, user: User, package: ArchivePackage) -> Path:
    """The package's file, for a member of staff the selector let through; audited (the
    download is recorded before the file is handed out)."""
    if package.state != ArchivePackage.State.ARCHIVED:
        raise Conflict(_("该档案已销毁。"), code="archive_disposed")
    path = archive_dir() / package.path
    if not path.is_file():
        raise Conflict(
            _("档案包文件缺失（%(path)s），请联系系统管理员。") % {"path": package.path},
            code="archive_file_missing",
        )
    with transaction.atomic():
        audit_record(
            action="archive.download",
            obj=package,
            changes={"case": package.case_id, "by": user.pk, "manifest_sm3": package.manifest_sm3},
        )
    return path
