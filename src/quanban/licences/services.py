"""Writes of the licence library: types, issue, suspension, reinstatement, revocation, renewal,
share links. Each runs in a transaction and writes its audit record.

``licence_issue(case=..., user=...)`` is what the case runtime calls when a decided case's result
is issued; it is idempotent (a second call for the same case returns the licence already issued).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import jsonschema
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import Role
from quanban.cases.models import Case
from quanban.catalogue.models import ItemVersion
from quanban.catalogue.theme_selectors import version_parts
from quanban.catalogue.themes import PARTS_SOURCE
from quanban.core import clock
from quanban.core.audit import audit_record, snapshot
from quanban.core.errors import (
    ApplicationError,
    Conflict,
    PermissionDenied,
    StaleEdit,
    ValidationFailed,
)
from quanban.core.models import AuditRecord
from quanban.licences import seals
from quanban.licences.canonical import canonical_bytes, licence_body
from quanban.licences.identifiers import TYPE_CODE_RE, licence_identifier
from quanban.licences.models import HolderKind, Licence, LicenceSerialCounter, LicenceType

# Who may suspend, reinstate, revoke and renew a licence: the decision makers of the issuing
# department (a scope covering it).
LICENCE_ROLES = frozenset({Role.APPROVER, Role.OFFICE_HEAD, Role.DEPARTMENT_HEAD})
APPROVED = frozenset({Case.Decision.APPROVE, Case.Decision.PARTIAL})
ISSUABLE_STATES = frozenset({Case.State.DECIDED, Case.State.FINISHED})
AUDIT_FIELDS = ("identifier", "status", "status_reason", "version", "valid_until")
SHARE_SALT = "quanban.licences.share"
MAX_SHARE_HOURS = 30 * 24
MAX_REASON = 1000

logger = logging.getLogger("quanban.licences")


# --- Licence types -----------------------------------------------------------------------------


def licence_type_create(
    *,
    code: str,
    name: str,
    defining_body: str,
    defining_department: OrgUnit,
    holder_kind: str,
    fields_schema: Mapping[str, Any],
    validity_years: int | None,
    layout: Mapping[str, Any] | None = None,
) -> LicenceType:
    """A new licence type (an administrator's act; the demo loader and tests call it)."""
    if not TYPE_CODE_RE.match(code):
        raise ValidationFailed(
            _("证照类型代码应为 18 位统一社会信用代码加 3 位顺序号。"),
            code="licence_type_code_invalid",
            field="code",
        )
    if holder_kind not in HolderKind.values:
        raise ValidationFailed(
            _("持证主体类型应为 111（自然人）或 001（法人）。"),
            code="licence_holder_kind_invalid",
            field="holder_kind",
        )
    if defining_department.kind != OrgUnit.Kind.DEPARTMENT:
        raise ValidationFailed(
            _("主管部门应为部门。"), code="licence_department_invalid", field="defining_department"
        )
    try:
        jsonschema.Draft202012Validator.check_schema(dict(fields_schema))
    except jsonschema.SchemaError as error:
        raise ValidationFailed(
            _("照面字段定义不是有效的 JSON Schema：%(error)s") % {"error": error.message},
            code="licence_schema_invalid",
            field="fields_schema",
        ) from error
    if validity_years is not None and validity_years < 1:
        raise ValidationFailed(
            _("有效期至少 1 年，长期有效请留空。"),
            code="licence_validity_invalid",
            field="validity_years",
        )
    with transaction.atomic():
        if LicenceType.objects.filter(code=code).exists():
            raise Conflict(
                _("证照类型代码 %(code)s 已存在。") % {"code": code}, code="licence_type_exists"
            )
        licence_type = LicenceType.objects.create(
            code=code,
            name=name,
            defining_body=defining_body,
            defining_department=defining_department,
            holder_kind=holder_kind,
            fields_schema=dict(fields_schema),
            validity_years=validity_years,
            layout=dict(layout or {}),
            created_at=clock.now(),
        )
        audit_record(
            action="licence_type.create",
            obj=licence_type,
            after=snapshot(licence_type, ("code", "name", "holder_kind", "validity_years")),
        )
    return licence_type


def licence_type_for(version_value: str, *, holder_kind: str | None = None) -> LicenceType | None:
    """The active type an item version's ``result_licence_type`` names (its code or its name);
    of two types of one name (营业执照 of a company and of a 个体工商户), the holder's kind."""
    value = version_value.strip()
    if not value:
        return None
    types = LicenceType.objects.select_related("defining_department").filter(is_active=True)
    by_code = types.filter(code=value).first()
    if by_code is not None:
        return by_code
    named = list(types.filter(name=value).order_by("code"))
    matching = [t for t in named if t.holder_kind == holder_kind]
    chosen = matching or named
    return chosen[0] if chosen else None


# --- Issuing -----------------------------------------------------------------------------------


def _holder(case: Case, licence_type: LicenceType) -> dict[str, Any]:
    if licence_type.holder_kind == HolderKind.PERSON:
        if case.person is None:
            raise Conflict(
                _("证照“%(type)s”的持证主体应为自然人，本办件的申请人是法人。")
                % {"type": licence_type.name},
                code="licence_holder_mismatch",
            )
        person = case.person
        return {"person": person, "name": person.name, "code": person.id_number}
    if case.entity is None:
        raise Conflict(
            _("证照“%(type)s”的持证主体应为法人或其他组织，本办件的申请人是自然人。")
            % {"type": licence_type.name},
            code="licence_holder_mismatch",
        )
    entity = case.entity
    return {"entity": entity, "name": entity.name, "code": entity.uscc}


def _field_value(
    source: str,
    case: Case,
    holder: dict[str, Any],
    version: ItemVersion | None = None,
    parts: list[dict[str, str]] | None = None,
) -> Any:
    """A field's value from where the type's schema says it comes from (``x-source``).

    ``version`` is the item the licence is for (a bundled item of a 一业一证 case; the case's own
    otherwise); ``parts`` the underlying permits a comprehensive licence lists (``licence.parts``).
    """
    entity = holder.get("entity")
    version = version or case.item_version
    sources: dict[str, Any] = {
        "holder.name": holder["name"],
        "holder.code": holder["code"],
        "holder.legal_representative": entity.legal_representative if entity else None,
        "holder.address": (entity.address or None) if entity else None,
        "case.number": case.number,
        "case.decision_text": case.decision_text or None,
        "item.name": version.name,
        "item.result_name": version.result_name or None,
        "issuer.name": version.item.implementing_department.name,
        PARTS_SOURCE: parts,
    }
    if source.startswith("form:"):
        value = (case.form_data or {}).get(source[5:])
        return value if value not in ("", None) else None
    return sources.get(source)


def _licence_data(
    licence_type: LicenceType,
    case: Case,
    holder: dict[str, Any],
    *,
    version: ItemVersion | None = None,
    parts: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """The licence's fields: each property of the type's schema filled from its ``x-source``
    (or from the application form under the field's own name), then checked against the schema."""
    properties: dict[str, Any] = licence_type.fields_schema.get("properties", {})
    data: dict[str, Any] = {}
    for name, spec in properties.items():
        source = spec.get("x-source", f"form:{name}") if isinstance(spec, dict) else f"form:{name}"
        value = _field_value(source, case, holder, version, parts)
        if value is not None:
            data[name] = value
    _check_data(licence_type, data)
    return data


def _check_data(licence_type: LicenceType, data: Mapping[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(licence_type.fields_schema)
    errors = sorted(validator.iter_errors(dict(data)), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        raise ValidationFailed(
            _("照面信息不符合证照类型“%(type)s”的要求：%(error)s")
            % {"type": licence_type.name, "error": first.message},
            code="licence_data_invalid",
            extra={"path": [str(p) for p in first.path]},
        )
    if _has_float(data):
        raise ValidationFailed(_("照面信息不能含小数，请以文字填写。"), code="licence_data_invalid")


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False


def _valid_until(licence_type: LicenceType, start: dt.date) -> dt.date | None:
    """The last day of validity: ``validity_years`` after the start, less one day."""
    years = licence_type.validity_years
    if years is None:
        return None
    try:
        end = start.replace(year=start.year + years)
    except ValueError:  # 29 February into a common year
        end = start.replace(year=start.year + years, day=28)
    return end - dt.timedelta(days=1)


def _next_serial(licence_type: LicenceType, issuer: OrgUnit, year: int) -> str:
    """``<year><7 digits>``, from a row-locked per-type, per-issuer, per-year counter."""
    LicenceSerialCounter.objects.bulk_create(
        [LicenceSerialCounter(licence_type=licence_type, issuer=issuer, year=year)],
        ignore_conflicts=True,
    )
    counter = LicenceSerialCounter.objects.select_for_update().get(
        licence_type=licence_type, issuer=issuer, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{year:04d}{counter.last:07d}"


def _seal_and_create(
    *,
    licence_type: LicenceType,
    issuer: OrgUnit,
    serial: str,
    version: int,
    holder: dict[str, Any],
    data: dict[str, Any],
    valid_from: dt.date,
    valid_until: dt.date | None,
    case: Case | None,
    previous: Licence | None,
) -> Licence:
    now = clock.now().replace(microsecond=0)
    identifier = str(
        licence_identifier(
            type_code=licence_type.code, issuer_code=issuer.uscc, serial=serial, version=version
        )
    )
    body = licence_body(
        identifier=identifier,
        type_code=licence_type.code,
        type_name=licence_type.name,
        issuer_code=issuer.uscc,
        issuer_name=issuer.name,
        serial=serial,
        version=version,
        holder_kind=licence_type.holder_kind,
        holder_name=holder["name"],
        holder_code=holder["code"],
        data=data,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_at=now,
    )
    content = canonical_bytes(body)
    seal = seals.seal_sign(department_code=issuer.uscc, data=content)
    return Licence.objects.create(
        identifier=identifier,
        licence_type=licence_type,
        issuer=issuer,
        serial=serial,
        version=version,
        previous=previous,
        case=case,
        holder_kind=licence_type.holder_kind,
        holder_name=holder["name"],
        holder_code=holder["code"],
        person=holder.get("person"),
        entity=holder.get("entity"),
        data=data,
        valid_from=valid_from,
        valid_until=valid_until,
        issued_at=now,
        canonical=content.decode(),
        digest=seals.sm3_hex(content),
        seal_algorithm=seal.algorithm,
        seal_key_id=seal.key_id,
        signature=seal.signature,
    )


def licence_due(case: Case) -> bool:
    """Whether the case's result is a licence to issue: approved, and its item names a type."""
    return case.decision in APPROVED and bool(case.item_version.result_licence_type.strip())


def licence_issue_with_result(*, case: Case, user: User | None) -> Licence | None:
    """The case runtime's call when a result is issued: the licence its item produces, if the
    library holds that type (a result the library does not know is a paper one).

    A licence that cannot be issued (no seal key yet, the form lacks a field the type needs, the
    applicant cannot hold it) does not keep the applicant from the result: the refusal is
    written to the audit trail (``licence.issue``, failed, with its code and message) and logged,
    and ``licence_issue`` can be called again once it is put right.
    """
    if not licence_due(case):
        return None
    kind = HolderKind.PERSON if case.person_id else HolderKind.ENTITY
    if licence_type_for(case.item_version.result_licence_type, holder_kind=kind) is None:
        return None
    try:
        return licence_issue(case=case, user=user)
    except ApplicationError as refused:
        logger.warning("Licence for case %s not issued: %s", case.pk, refused)
        audit_record(
            action="licence.issue",
            obj=case,
            result=AuditRecord.Result.FAILED,
            changes={"code": refused.code, "message": str(refused)},
        )
        return None


def licence_issue(*, case: Case, user: User | None) -> Licence:
    """Issue the licence an approved case's item produces, signed with the issuing department's
    seal. Idempotent: a second call for the same case returns the licence already issued.

    Reads the case from the instance given (its state, decision, form, applicant), not from its
    row: inside the case runtime, fields set in the same transaction may not be written yet. The
    case row is locked to serialise two issuers of one case (the runtime already holds it).
    """
    existing = Licence.objects.filter(case_id=case.pk).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            list(Case.objects.select_for_update().filter(pk=case.pk).values_list("pk", flat=True))
            existing = Licence.objects.filter(case_id=case.pk).first()
            if existing is not None:
                return existing
            return _issue_locked(case, user)
    except IntegrityError:
        # Another process issued it between our check and our insert.
        existing = Licence.objects.filter(case_id=case.pk).first()
        if existing is None:
            raise
        return existing


def _issue_locked(case: Case, user: User | None) -> Licence:
    if case.state not in ISSUABLE_STATES or case.decision not in APPROVED:
        raise Conflict(
            _("只有准予许可（或部分准予）的办件可以颁发证照。"),
            code="licence_case_not_approved",
            extra={"state": case.state, "decision": case.decision},
        )
    named = case.item_version.result_licence_type
    kind = HolderKind.PERSON if case.person_id else HolderKind.ENTITY
    licence_type = licence_type_for(named, holder_kind=kind)
    parts = version_parts(case.item_version)
    if parts and licence_type is not None:
        return _issue_comprehensive(case, user, licence_type, parts)
    if licence_type is None:
        raise Conflict(
            _("事项“%(item)s”的结果证照类型“%(type)s”不在证照库中。")
            % {"item": case.item_version.name, "type": named or "—"},
            code="licence_type_unknown",
        )
    issuer = case.item_version.item.implementing_department
    return _issue_one(case, user, licence_type, issuer, case.item_version, linked=True)


def _issue_one(
    case: Case,
    user: User | None,
    licence_type: LicenceType,
    issuer: OrgUnit,
    version: ItemVersion,
    *,
    linked: bool,
    parts: list[dict[str, str]] | None = None,
    cap: dt.date | None = None,
) -> Licence:
    """One licence for the case, sealed by ``issuer``; ``linked``: the case's own licence (a
    comprehensive case's permits are not: one licence a case, and that is the comprehensive one).
    ``cap``: the last day it may be valid (a comprehensive licence ends with its first permit)."""
    holder = _holder(case, licence_type)
    data = _licence_data(licence_type, case, holder, version=version, parts=parts)
    today = timezone.localdate(clock.now())
    serial = _next_serial(licence_type, issuer, today.year)
    valid_until = _valid_until(licence_type, today)
    if cap is not None and (valid_until is None or cap < valid_until):
        valid_until = cap
    licence = _seal_and_create(
        licence_type=licence_type,
        issuer=issuer,
        serial=serial,
        version=1,
        holder=holder,
        data=data,
        valid_from=today,
        valid_until=valid_until,
        case=case if linked else None,
        previous=None,
    )
    audit_record(
        action="licence.issue",
        obj=licence,
        after=snapshot(licence, AUDIT_FIELDS),
        changes={
            "case": case.pk,
            "seal_key_id": licence.seal_key_id,
            "by": user.pk if user else None,
            "item_version": version.pk,
        },
    )
    return licence


def _issue_comprehensive(
    case: Case, user: User | None, comprehensive: LicenceType, parts: list[ItemVersion]
) -> Licence:
    """一业一证: every bundled item's licence under its own department's seal, then the
    comprehensive licence (综合许可证) of the lead department listing them, all in one
    transaction (a refusal of any one issues none)."""
    permits: list[Licence] = []
    for part in parts:
        licence_type = licence_type_for(part.result_licence_type, holder_kind=HolderKind.ENTITY)
        if licence_type is None:
            raise Conflict(
                _("事项“%(item)s”的结果证照类型“%(type)s”不在证照库中。")
                % {"item": part.name, "type": part.result_licence_type or "—"},
                code="licence_type_unknown",
            )
        issuer = part.item.implementing_department
        permits.append(_issue_one(case, user, licence_type, issuer, part, linked=False))
    listed = [
        {
            "type": permit.licence_type.name,
            "identifier": permit.identifier,
            "issuer": permit.issuer.name,
        }
        for permit in permits
    ]
    ends = [permit.valid_until for permit in permits if permit.valid_until is not None]
    return _issue_one(
        case,
        user,
        comprehensive,
        case.item_version.item.implementing_department,
        case.item_version,
        linked=True,
        parts=listed,
        cap=min(ends) if ends else None,
    )


# --- Status changes ----------------------------------------------------------------------------

# The statuses each change may start from: the services refuse the rest, and the staff page
# offers a change only where it is allowed.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "suspend": frozenset({Licence.Status.VALID}),
    "reinstate": frozenset({Licence.Status.SUSPENDED}),
    "revoke": frozenset({Licence.Status.VALID, Licence.Status.SUSPENDED}),
    "renew": frozenset({Licence.Status.VALID}),
}


def licence_may_manage(user: User, licence: Licence) -> bool:
    from quanban.cases.services.runtime import user_has_role_in

    return bool(
        user.is_authenticated
        and getattr(user, "kind", "") == User.Kind.STAFF
        and user_has_role_in(user, LICENCE_ROLES, licence.issuer)
    )


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(_("请填写理由。"), code="reason_required", field="reason")
    if len(text) > MAX_REASON or "\x00" in text:
        raise ValidationFailed(
            _("理由不超过 %(n)d 个字。") % {"n": MAX_REASON}, code="reason_invalid", field="reason"
        )
    return text


def _lock(licence: Licence, user: User, expected_version: int | None) -> Licence:
    if not licence_may_manage(user, licence):
        raise PermissionDenied(
            _("只有颁证部门的审批人员或负责人可以变更证照状态。"), code="forbidden"
        )
    locked = (
        Licence.objects.select_for_update(of=("self",))
        .select_related("licence_type", "issuer")
        .get(pk=licence.pk)
    )
    if expected_version is not None and locked.row_version != expected_version:
        raise StaleEdit(
            _("证照已被他人变更，请刷新后重试。"),
            code="stale",
            extra={"current_version": locked.row_version},
        )
    return locked


def _change_status(
    *,
    licence: Licence,
    user: User,
    reason: str,
    allowed_from: frozenset[str],
    to: str,
    action: str,
    expected_version: int | None,
) -> Licence:
    text = _reason(reason)
    with transaction.atomic():
        locked = _lock(licence, user, expected_version)
        if locked.status not in allowed_from:
            raise Conflict(
                _("证照当前状态为“%(status)s”，不能执行此操作。")
                % {"status": locked.get_status_display()},
                code="licence_status_conflict",
                extra={"status": locked.status},
            )
        before = snapshot(locked, AUDIT_FIELDS)
        locked.status = to
        locked.status_reason = text
        locked.status_changed_at = clock.now()
        locked.row_version += 1
        locked.save(update_fields=["status", "status_reason", "status_changed_at", "row_version"])
        audit_record(
            action=f"licence.{action}",
            obj=locked,
            before=before,
            after=snapshot(locked, AUDIT_FIELDS),
        )
    return locked


def licence_suspend(
    *, licence: Licence, user: User, reason: str, expected_version: int | None = None
) -> Licence:
    """暂停: a valid licence stops counting until reinstated."""
    return _change_status(
        licence=licence,
        user=user,
        reason=reason,
        allowed_from=ALLOWED_FROM["suspend"],
        to=Licence.Status.SUSPENDED,
        action="suspend",
        expected_version=expected_version,
    )


def licence_reinstate(
    *, licence: Licence, user: User, reason: str, expected_version: int | None = None
) -> Licence:
    """恢复: a suspended licence is valid again."""
    return _change_status(
        licence=licence,
        user=user,
        reason=reason,
        allowed_from=ALLOWED_FROM["reinstate"],
        to=Licence.Status.VALID,
        action="reinstate",
        expected_version=expected_version,
    )


def licence_revoke(
    *, licence: Licence, user: User, reason: str, expected_version: int | None = None
) -> Licence:
    """注销 / 撤销: for good; verification answers "revoked" from the commit on."""
    return _change_status(
        licence=licence,
        user=user,
        reason=reason,
        allowed_from=ALLOWED_FROM["revoke"],
        to=Licence.Status.REVOKED,
        action="revoke",
        expected_version=expected_version,
    )


def licence_renew(
    *,
    licence: Licence,
    user: User,
    reason: str,
    changes: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> Licence:
    """换发 (renewal, or 变更 with ``changes``): the next version with the same serial, a new
    validity from today and the fields changed as given, newly sealed; the old version is
    superseded."""
    text = _reason(reason)
    with transaction.atomic():
        locked = _lock(licence, user, expected_version)
        if locked.status not in ALLOWED_FROM["renew"]:
            raise Conflict(
                _("只有有效的证照可以换发或变更，当前状态为“%(status)s”。")
                % {"status": locked.get_status_display()},
                code="licence_status_conflict",
                extra={"status": locked.status},
            )
        if locked.version >= 999:
            raise Conflict(_("证照版本号已用尽。"), code="licence_version_exhausted")
        data = {**locked.data, **dict(changes or {})}
        licence_type = locked.licence_type
        _check_data(licence_type, data)
        holder: dict[str, Any] = {
            "name": locked.holder_name,
            "code": locked.holder_code,
            "person": locked.person,
            "entity": locked.entity,
        }
        before = snapshot(locked, AUDIT_FIELDS)
        locked.status = Licence.Status.SUPERSEDED
        locked.status_reason = text
        locked.status_changed_at = clock.now()
        locked.row_version += 1
        locked.save(update_fields=["status", "status_reason", "status_changed_at", "row_version"])
        today = timezone.localdate(clock.now())
        renewed = _seal_and_create(
            licence_type=licence_type,
            issuer=locked.issuer,
            serial=locked.serial,
            version=locked.version + 1,
            holder=holder,
            data=data,
            valid_from=today,
            valid_until=_valid_until(licence_type, today),
            case=None,
            previous=locked,
        )
        audit_record(
            action="licence.supersede",
            obj=locked,
            before=before,
            after=snapshot(locked, AUDIT_FIELDS),
        )
        audit_record(
            action="licence.renew",
            obj=renewed,
            after=snapshot(renewed, AUDIT_FIELDS),
            changes={"previous": locked.identifier, "changed_fields": sorted(changes or {})},
        )
    return renewed


# --- Share links -------------------------------------------------------------------------------


def licence_share_create(
    *, licence: Licence, user: User, hours: int | None = None
) -> tuple[str, dt.datetime]:
    """A signed, time-limited token that shows the licence to whoever holds it; audited."""
    valid_hours = settings.LICENCE_SHARE_HOURS if hours is None else hours
    if not 1 <= valid_hours <= MAX_SHARE_HOURS:
        raise ValidationFailed(
            _("分享有效期应在 1 至 %(n)d 小时之间。") % {"n": MAX_SHARE_HOURS},
            code="share_hours_invalid",
            field="hours",
        )
    if licence.status == Licence.Status.REVOKED:
        raise Conflict(_("已注销的证照不能分享。"), code="licence_status_conflict")
    expires = clock.now().replace(microsecond=0) + dt.timedelta(hours=valid_hours)
    token = signing.dumps({"l": licence.pk, "e": int(expires.timestamp())}, salt=SHARE_SALT)
    with transaction.atomic():
        audit_record(
            action="licence.share",
            obj=licence,
            changes={"expires_at": expires.isoformat(), "by": user.pk},
        )
    return token, expires
