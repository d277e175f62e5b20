"""Writes of the data hub: a registry query (always logged) and the registry records themselves.

:func:`registry_query` is the one way to read a registry: it writes the query log row and an
audit record in the caller's transaction, found or not, so no fact leaves a registry unrecorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import Perm
from quanban.accounts.selectors import user_has_perm
from quanban.core import clock
from quanban.core.audit import audit_record, sm3_hex
from quanban.core.errors import PermissionDenied, ValidationFailed
from quanban.core.masking import mask_id_number
from quanban.datahub.models import LegalEntityRecord, PopulationRecord, Registry, RegistryQuery

if TYPE_CHECKING:
    from quanban.cases.models import Case

MAX_PURPOSE = 200


@dataclass(frozen=True)
class RegistryAnswer:
    """What a query found (``record`` None: nothing under that key) and its log row."""

    query: RegistryQuery
    record: PopulationRecord | LegalEntityRecord | None


def _own_key(user: User, registry: str, key: str) -> bool:
    """An applicant may have their own record (or their company's) looked up."""
    if registry == Registry.POPULATION:
        person = getattr(user, "person", None)
        return person is not None and person.id_number == key
    entity = getattr(user, "entity", None)
    return entity is not None and entity.uscc == key


def registry_query(
    *,
    user: User,
    registry: str,
    key: str,
    purpose: str,
    case: Case | None = None,
) -> RegistryAnswer:
    """Look a person (by ID number) or an entity (by credit code) up in a registry, and log it.

    Staff who handle cases may look anyone up for a stated purpose; an applicant only their own
    record. The log row names the user, the time, the registry, the key (hashed and masked), the
    case (if any) and the purpose.
    """
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationFailed(
            _("查询共享数据须写明查询目的。"), code="purpose_required", field="purpose"
        )
    if len(purpose) > MAX_PURPOSE:
        raise ValidationFailed(
            _("查询目的不能超过 %(n)d 字。") % {"n": MAX_PURPOSE},
            code="purpose_too_long",
            field="purpose",
        )
    if registry not in Registry.values:
        raise ValidationFailed(
            _("未知的数据库：%(registry)s") % {"registry": registry},
            code="registry_unknown",
            field="registry",
        )
    key = (key or "").strip().upper()
    if not user_has_perm(user, Perm.BUSINESS_WRITE) and not _own_key(user, registry, key):
        raise PermissionDenied(_("您没有查询该共享数据的权限。"), code="registry_query_forbidden")
    with transaction.atomic():
        person = entity = None
        if registry == Registry.POPULATION:
            person = PopulationRecord.objects.select_related("owner").filter(id_number=key).first()
            masked = mask_id_number(key)
        else:
            entity = LegalEntityRecord.objects.select_related("owner").filter(uscc=key).first()
            masked = key[:18]  # a credit code is public
        record = person or entity
        query = RegistryQuery.objects.create(
            registry=registry,
            key_hash=sm3_hex(key.encode()),
            key_masked=masked,
            found=record is not None,
            person_record=person,
            entity_record=entity,
            user=user,
            user_name=(user.display_name or user.get_username())[:150],
            case=case,
            purpose=purpose,
            at=clock.now(),
        )
        audit_record(
            action="registry.query",
            obj=query,
            changes={
                "registry": registry,
                "key": masked,
                "found": query.found,
                "case": getattr(case, "pk", None),
                "purpose": purpose,
            },
        )
    return RegistryAnswer(query=query, record=record)


# --- Records (the owning departments' feed; the demo loads through these) ------------------------


def population_record_upsert(
    *,
    id_number: str,
    name: str,
    sex: str,
    birth_date: dt.date,
    household_address: str,
    owner: OrgUnit,
    ethnicity: str = "",
    household_division: str = "",
    status: str = PopulationRecord.Status.NORMAL,
) -> PopulationRecord:
    """Create or replace one person's record, as the owning department sends it."""
    with transaction.atomic():
        record, created = PopulationRecord.objects.update_or_create(
            id_number=id_number,
            defaults={
                "name": name,
                "sex": sex,
                "birth_date": birth_date,
                "ethnicity": ethnicity,
                "household_address": household_address,
                "household_division": household_division,
                "status": status,
                "owner": owner,
                "updated_at": clock.now(),
            },
        )
        audit_record(
            action="population_record.create" if created else "population_record.update",
            obj=record,
            changes={"id_number": mask_id_number(id_number), "status": status},
        )
    return record


def legal_entity_record_upsert(
    *,
    uscc: str,
    name: str,
    entity_type: str,
    legal_representative: str,
    registered_address: str,
    established_on: dt.date,
    owner: OrgUnit,
    registered_capital: str = "",
    business_scope: str = "",
    status: str = LegalEntityRecord.Status.ACTIVE,
) -> LegalEntityRecord:
    """Create or replace one entity's record, as the owning department sends it."""
    with transaction.atomic():
        record, created = LegalEntityRecord.objects.update_or_create(
            uscc=uscc,
            defaults={
                "name": name,
                "entity_type": entity_type,
                "legal_representative": legal_representative,
                "registered_address": registered_address,
                "registered_capital": registered_capital,
                "established_on": established_on,
                "business_scope": business_scope,
                "status": status,
                "owner": owner,
                "updated_at": clock.now(),
            },
        )
        audit_record(
            action="legal_entity_record.create" if created else "legal_entity_record.update",
            obj=record,
            changes={"uscc": uscc, "status": status},
        )
    return record
