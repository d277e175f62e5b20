"""Reads of the licence library: verification (public), the holder's wallet, staff access, shares.

Verification never needs a login. It answers one of:

- ``valid``: the seal verifies, the stored data matches what was signed, in force today;
- ``suspended`` / ``revoked`` / ``superseded`` (renewed; the newer version is in force);
- ``expired``: past its last day of validity;
- ``unknown``: no such licence (or an identifier whose form or check character is wrong);
- ``tampered``: the stored data no longer matches its seal.

The order matters: a tampered licence says tampered whatever its status, because its status row
could be as forged as its data.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import ROLE_PERMS, Perm
from quanban.accounts.selectors import applicant_may_unmask, unit_ids_reached
from quanban.catalogue.themes import PARTS_SOURCE
from quanban.core import clock
from quanban.core import rows as sql_rows
from quanban.core.errors import NotFound, ValidationFailed
from quanban.core.masking import mask_id_number, mask_name
from quanban.core.models import AuditRecord
from quanban.licences import seals
from quanban.licences.canonical import canonical_bytes
from quanban.licences.identifiers import parse_identifier
from quanban.licences.models import ArchivePackage, HolderKind, Licence, LicenceType
from quanban.licences.services import LICENCE_ROLES, SHARE_SALT

VALID = "valid"
SUSPENDED = "suspended"
REVOKED = "revoked"
SUPERSEDED = "superseded"
EXPIRED = "expired"
UNKNOWN = "unknown"
TAMPERED = "tampered"
# A comprehensive licence (综合许可证) intact and in force whose permits are not all in force.
PARTIAL = "partial"
RESULTS = (VALID, SUSPENDED, REVOKED, SUPERSEDED, EXPIRED, UNKNOWN, TAMPERED, PARTIAL)
RESULT_LABELS = {
    VALID: gettext_lazy("有效"),
    SUSPENDED: gettext_lazy("已暂停"),
    REVOKED: gettext_lazy("已注销"),
    SUPERSEDED: gettext_lazy("已换发（请以新版本为准）"),
    EXPIRED: gettext_lazy("已过期"),
    UNKNOWN: gettext_lazy("未找到该证照"),
    TAMPERED: gettext_lazy("数据被篡改，证照无效"),
    PARTIAL: gettext_lazy("部分许可已失效，仅所列有效的许可仍可经营"),
}
# The marker under which a licence PDF carries its seal (see quanban.licences.pdf).
PDF_SEAL_MARKER = b"QBSEAL1:"
_PDF_SEAL_RE = re.compile(rb"QBSEAL1:([A-Za-z0-9_\-=]+)")
MAX_PDF_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class PartVerification:
    """One permit a comprehensive licence lists, verified: as listed (signed into the
    comprehensive licence) and, when renewed since, the version in force now."""

    licence_type: str
    issuer: str
    listed: str
    identifier: str
    result: str

    @property
    def label(self) -> str:
        return str(RESULT_LABELS[self.result])


@dataclass(frozen=True)
class Verification:
    result: str
    identifier: str
    licence: Licence | None = None
    detail: str = ""  # a machine code: why unknown or tampered
    # A comprehensive licence's permits (一业一证), each verified.
    parts: tuple[PartVerification, ...] = ()

    @property
    def label(self) -> str:
        return str(RESULT_LABELS[self.result])

    @property
    def ok(self) -> bool:
        return self.result == VALID


# Verification is the hot path (every QR scan): one indexed raw query for the licence row, whose
# compilation costs a fraction of the ORM's, and its type and issuer from a short-lived cache in
# this process (they change rarely; a type renamed shows under its new name within the minute).
@functools.cache
def _load_sql(vendor: str) -> str:
    # ``vendor`` is the cache's key: the quoting is the vendor's.
    return f"SELECT {sql_rows.columns(Licence)} FROM {Licence._meta.db_table} WHERE identifier = %s"


REF_TTL_S = 60.0
_REFS: dict[tuple[str, int], tuple[float, Any]] = {}


def _ref(model: Any, pk: int) -> Any:
    key = (model._meta.label, pk)
    now = time.monotonic()
    cached = _REFS.get(key)
    if cached is not None and now - cached[0] < REF_TTL_S:
        return cached[1]
    row = model.objects.get(pk=pk)
    if len(_REFS) > 10_000:
        _REFS.clear()
    _REFS[key] = (now, row)
    return row


def licence_ref_cache_clear() -> None:
    _REFS.clear()


def _load(identifier: str) -> Licence | None:
    found = sql_rows.instances(Licence, _load_sql(connection.vendor), [identifier])
    if not found:
        return None
    licence = found[0][0]
    licence.licence_type = _ref(LicenceType, licence.licence_type_id)
    licence.issuer = _ref(OrgUnit, licence.issuer_id)
    return licence


def seal_intact(licence: Licence) -> str:
    """'' when the seal verifies and the row's columns match what was signed; else why not."""
    content = licence.canonical.encode()
    seal = seals.Seal(licence.seal_algorithm, licence.seal_key_id, licence.signature)
    if not seals.seal_verify(department_code=licence.issuer.uscc, seal=seal, data=content):
        return "signature_mismatch"
    try:
        body = json.loads(content)
    except ValueError:
        return "canonical_unreadable"
    if canonical_bytes(body) != content:
        return "canonical_not_canonical"
    expected = {
        "identifier": licence.identifier,
        "serial": licence.serial,
        "version": licence.version,
        "type": licence.licence_type.code,
        "issuer": licence.issuer.uscc,
        "holder": {
            "kind": licence.holder_kind,
            "name": licence.holder_name,
            "code": licence.holder_code,
        },
        "data": licence.data,
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
    }
    signed = {
        "identifier": body.get("identifier"),
        "serial": body.get("serial"),
        "version": body.get("version"),
        "type": (body.get("type") or {}).get("code"),
        "issuer": (body.get("issuer") or {}).get("code"),
        "holder": body.get("holder"),
        "data": body.get("data"),
        "valid_from": body.get("valid_from"),
        "valid_until": body.get("valid_until"),
    }
    if signed != expected:
        return "columns_mismatch"
    return ""


def licence_status_today(licence: Licence, today: dt.date | None = None) -> str:
    """The status verification reports for an intact licence."""
    if licence.status != Licence.Status.VALID:
        return str(licence.status)
    day = today or timezone.localdate(clock.now())
    if licence.valid_until is not None and day > licence.valid_until:
        return EXPIRED
    if day < licence.valid_from:
        return SUSPENDED  # not yet in force: never issued so, but never "valid" either
    return VALID


def licence_verify(identifier: str) -> Verification:
    """Verify a licence by its identifier (parse, load, check the seal, check the status).

    A comprehensive licence (综合许可证, 一业一证) also verifies every permit its signed data lists
    (a renewed one by the version in force now): it is ``valid`` only while all of them are; intact
    and in force itself but with a permit revoked, suspended, expired, unknown or tampered, it is
    ``partial``, and the permits say which.
    """
    verification = _verify_one(identifier)
    licence = verification.licence
    if licence is None or verification.result == TAMPERED:
        return verification
    field = parts_field(licence.licence_type)
    if field is None:
        return verification
    listed = licence.data.get(field) or []
    parts = tuple(_verify_part(entry) for entry in listed if isinstance(entry, dict))
    result = verification.result
    if result == VALID and any(part.result != VALID for part in parts):
        result = PARTIAL
    return Verification(result, verification.identifier, licence, verification.detail, parts)


def parts_field(licence_type: LicenceType) -> str | None:
    """The field of a comprehensive licence type that lists its permits; None for any other."""
    for name, spec in (licence_type.fields_schema.get("properties") or {}).items():
        if isinstance(spec, dict) and spec.get("x-source") == PARTS_SOURCE:
            return str(name)
    return None


def _verify_part(entry: dict[str, Any]) -> PartVerification:
    listed = str(entry.get("identifier", ""))
    verification = _verify_one(listed)
    # Renewed (换发/变更) since: the newest version is the permit in force.
    for _step in range(999):
        if verification.result != SUPERSEDED or verification.licence is None:
            break
        newer = _newer(verification.licence)
        if newer is None:
            break
        verification = _verify_one(newer)
    return PartVerification(
        licence_type=str(entry.get("type", "")),
        issuer=str(entry.get("issuer", "")),
        listed=listed,
        identifier=verification.identifier,
        result=verification.result,
    )


def _verify_one(identifier: str) -> Verification:
    text = (identifier or "").strip()
    try:
        parsed = parse_identifier(text)
    except ValidationFailed as error:
        return Verification(UNKNOWN, text[:120], detail=error.code)
    canonical_id = str(parsed)
    licence = _load(canonical_id)
    if licence is None:
        return Verification(UNKNOWN, canonical_id, detail="not_found")
    broken = seal_intact(licence)
    if broken:
        return Verification(TAMPERED, canonical_id, licence, detail=broken)
    return Verification(licence_status_today(licence), canonical_id, licence)


def identifier_from_link(value: str) -> str:
    """The identifier in what someone pasted: the identifier itself or a verification link."""
    text = (value or "").strip()
    match = re.search(r"1\.2\.156\.3005\.2\.[0-9A-Za-z.]+", text)
    return match.group(0) if match else text


def licence_verify_pdf(content: bytes) -> Verification:
    """Verify an uploaded licence PDF: the seal it carries must be the seal on record for its
    identifier (and that record intact); a PDF whose seal differs says tampered."""
    if len(content) > MAX_PDF_BYTES or not content.startswith(b"%PDF"):
        return Verification(UNKNOWN, "", detail="not_a_licence_pdf")
    match = _PDF_SEAL_RE.search(content)
    if match is None:
        return Verification(UNKNOWN, "", detail="no_seal_in_pdf")
    try:
        carried = json.loads(base64.urlsafe_b64decode(match.group(1)))
        identifier = str(carried["identifier"])
        signature = str(carried["signature"])
    except (ValueError, KeyError, TypeError):
        return Verification(UNKNOWN, "", detail="no_seal_in_pdf")
    verification = licence_verify(identifier)
    licence = verification.licence
    if licence is not None and verification.result != TAMPERED and signature != licence.signature:
        return Verification(TAMPERED, verification.identifier, licence, "pdf_seal_mismatch")
    return verification


# --- Masked views --------------------------------------------------------------------------------


def holder_code_masked(licence: Licence) -> str:
    if licence.holder_kind == HolderKind.PERSON:
        return mask_id_number(licence.holder_code)
    return licence.holder_code  # a credit code is public (企业信用信息公示)


def holder_name_masked(licence: Licence) -> str:
    if licence.holder_kind == HolderKind.PERSON:
        return mask_name(licence.holder_name)
    return licence.holder_name


def fields_of(licence: Licence, *, public: bool) -> list[tuple[str, str]]:
    """(label, value) of the licence's fields in print order; the public sees only the fields
    the type marks ``x-public``."""
    schema = licence.licence_type.fields_schema.get("properties", {})
    order = list(licence.licence_type.layout.get("fields") or schema.keys())
    order += [name for name in schema if name not in order]
    rows = []
    for name in order:
        spec = schema.get(name, {})
        if name not in licence.data or (public and not spec.get("x-public")):
            continue
        rows.append((str(spec.get("title", name)), _text(licence.data[name])))
    return rows


def _text(value: Any) -> str:
    if isinstance(value, list):
        # A comprehensive licence's permits one a line (the PDF prints line breaks).
        permits = all(isinstance(v, dict) and "identifier" in v for v in value)
        return ("\n" if value and permits else "、").join(_text(v) for v in value)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dict) and "identifier" in value:
        # A permit a comprehensive licence lists: its type and identifier.
        return f"{value.get('type', '')} {value['identifier']}".strip()
    return str(value)


def public_view(verification: Verification) -> dict[str, Any]:
    """What anyone may see of a verified licence (names and numbers masked)."""
    licence = verification.licence
    view: dict[str, Any] = {
        "result": verification.result,
        "label": verification.label,
        "identifier": verification.identifier,
        "detail": verification.detail,
    }
    if licence is None or verification.result == TAMPERED:
        return view
    view.update(
        licence_type=licence.licence_type.name,
        issuer=licence.issuer.name,
        holder_name=holder_name_masked(licence),
        holder_code=holder_code_masked(licence),
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        issued_at=licence.issued_at,
        status_reason=licence.status_reason if licence.status != Licence.Status.VALID else "",
        fields=fields_of(licence, public=True),
        superseded_by=_newer(licence) if verification.result == SUPERSEDED else None,
        parts=[
            {
                "licence_type": part.licence_type,
                "issuer": part.issuer,
                "listed": part.listed,
                "identifier": part.identifier,
                "result": part.result,
                "label": part.label,
            }
            for part in verification.parts
        ],
    )
    return view


def _newer(licence: Licence) -> str | None:
    """The identifier of the version that replaced a superseded licence."""
    return (
        Licence.objects.filter(previous_id=licence.pk).values_list("identifier", flat=True).first()
    )


# --- The holder's wallet and shares -------------------------------------------------------------


def _own(user: User) -> QuerySet[Licence]:
    if not user.is_authenticated:
        return Licence.objects.none()
    return Licence.objects.filter(Q(person__user=user) | Q(entity__user=user))


def licence_list_for_holder(*, user: User) -> QuerySet[Licence]:
    """The holder's licences, newest first (renewed versions included, marked superseded)."""
    return _own(user).select_related("licence_type", "issuer").order_by("-issued_at", "-pk")[:200]


def licence_get_for_holder(*, user: User, licence_id: int) -> Licence:
    licence = _own(user).select_related("licence_type", "issuer").filter(pk=licence_id).first()
    if licence is None:
        raise NotFound(_("找不到该证照。"), code="licence_not_found")
    return licence


def licence_get_for_staff(*, user: User, licence_id: int) -> Licence:
    """A licence for the status services; staff who may not manage it get "not found"."""
    from quanban.licences.services import licence_may_manage

    licence = Licence.objects.select_related("licence_type", "issuer").filter(pk=licence_id).first()
    if licence is None or not licence_may_manage(user, licence):
        raise NotFound(_("找不到该证照。"), code="licence_not_found")
    return licence


# --- The issuing department's pages ------------------------------------------------------------

STAFF_PAGE_SIZE = 50


def licence_staff_may_list(user: User) -> bool:
    """Whether the user holds a role that manages licences somewhere (approver or a head)."""
    return bool(unit_ids_reached(user, LICENCE_ROLES))


def licence_list_for_staff(*, user: User, status: str = "", query: str = "") -> QuerySet[Licence]:
    """The licences of every unit where the user manages licences, newest first; ``status``
    narrows to one status, ``query`` finds an identifier, a holder's name or code, or a case
    number (exact or a prefix)."""
    units = unit_ids_reached(user, LICENCE_ROLES)
    licences = Licence.objects.filter(issuer_id__in=units)
    if status:
        licences = licences.filter(status=status)
    text = query.strip()
    if text:
        licences = licences.filter(
            Q(identifier=text)
            | Q(holder_code=text.upper())
            | Q(holder_name__startswith=text)
            | Q(case__number__startswith=text)
        )
    return licences.select_related("licence_type", "issuer", "case").order_by("-issued_at", "-pk")


def holder_code_for(user: User, licence: Licence) -> str:
    """The holder's code as this staff member may see it: a person's ID number in full only for
    those who may see applicants' numbers."""
    return licence.holder_code if applicant_may_unmask(user) else holder_code_masked(licence)


def licence_versions(licence: Licence) -> list[Licence]:
    """Every version of the licence (same type, issuer and serial), oldest first."""
    return list(
        Licence.objects.filter(
            licence_type_id=licence.licence_type_id,
            issuer_id=licence.issuer_id,
            serial=licence.serial,
        ).order_by("version")
    )


def licence_history(versions: list[Licence]) -> list[AuditRecord]:
    """The audit records of a licence's versions (licence_versions: issued, suspended, renewed
    …), oldest first."""
    ids = [str(version.pk) for version in versions]
    return list(
        AuditRecord.objects.filter(object_type="licences.licence", object_id__in=ids).order_by(
            "seq"
        )
    )


def licences_of_case(case_id: int) -> list[Licence]:
    """The licences a case issued (the case page links to them)."""
    return list(
        Licence.objects.filter(case_id=case_id).select_related("licence_type").order_by("pk")
    )


def licence_share_read(token: str) -> Licence:
    """The licence a share token names, while it has not expired; NotFound otherwise."""
    gone = NotFound(_("分享链接无效或已过期。"), code="share_invalid")
    try:
        payload = signing.loads(token, salt=SHARE_SALT)
    except signing.BadSignature as error:
        raise gone from error
    if not isinstance(payload, dict) or not isinstance(payload.get("e"), int):
        raise gone
    if payload["e"] < clock.now().timestamp():
        raise gone
    licence_id = payload.get("l")
    if not isinstance(licence_id, int):
        raise gone
    licence = Licence.objects.select_related("licence_type", "issuer").filter(pk=licence_id).first()
    if licence is None:
        raise gone
    return licence


def share_expiry(token: str) -> dt.datetime | None:
    try:
        payload = signing.loads(token, salt=SHARE_SALT)
    except signing.BadSignature:
        return None
    return dt.datetime.fromtimestamp(payload["e"], tz=dt.UTC)


# --- Electronic archives (staff) -----------------------------------------------------------------


def _archive_scope(user: Any, perm: str) -> Q | None:
    """The departments whose packages the user may reach with ``perm``: those under the scope of
    a role that grants it; None when there are none."""
    units = unit_ids_reached(user, [role for role, perms in ROLE_PERMS.items() if perm in perms])
    return Q(department_id__in=units) if units else None


def archive_list_for_user(*, user: Any, due_on: dt.date | None = None) -> QuerySet[ArchivePackage]:
    """Packages of the departments the user may see, newest first; with ``due_on``, only those
    still kept whose retention period ended by that day (the disposal listing), earliest first."""
    scope = _archive_scope(user, Perm.ARCHIVE_VIEW)
    if scope is None:
        return ArchivePackage.objects.none()
    packages = ArchivePackage.objects.filter(scope).select_related(
        "case", "case__item_version", "department"
    )
    if due_on is not None:
        return packages.filter(
            state=ArchivePackage.State.ARCHIVED, dispose_on__lte=due_on
        ).order_by("dispose_on", "pk")
    return packages.order_by("-built_at", "-pk")


def archive_get_for_download(*, user: Any, package_id: int) -> ArchivePackage:
    """A package the user may download (a role granting it covers the package's department)."""
    scope = _archive_scope(user, Perm.ARCHIVE_DOWNLOAD)
    package = (
        ArchivePackage.objects.filter(scope).filter(pk=package_id).first()
        if scope is not None
        else None
    )
    if package is None:
        raise NotFound(_("找不到该电子档案。"), code="archive_not_found")
    return package
