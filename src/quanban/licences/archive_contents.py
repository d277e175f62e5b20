"""What an archive package holds (电子档案的内容): the files of a closed case, gathered from the
database and the file storage. Reads only; ``quanban.licences.archives`` seals and records them.

- ``case.json``: the case's metadata (item, applicant, dates, clock, tasks, materials, delivery,
  the retention given); ``decision.json``: the decision, refusal, termination or revocation;
- ``materials/``: every material file; ``notices/``: the notices given; ``results/``: the licence;
- ``audit/records.jsonl``: the audit records of the case, its tasks and its licence.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import translation

from quanban.accounts.models import User
from quanban.cases import notices
from quanban.cases.models import Case, CaseMaterial, Task
from quanban.catalogue.codes import ItemType
from quanban.core.audit import content_of
from quanban.core.errors import Conflict
from quanban.core.models import AuditRecord
from quanban.licences.archive_package import Member, json_bytes, safe_name
from quanban.licences.models import Licence
from quanban.licences.pdf import licence_pdf


def iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _name(user: User | None) -> str | None:
    return (user.display_name or user.username) if user is not None else None


def _applicant(case: Case) -> dict[str, Any]:
    if case.person is not None:
        return {"kind": "111", "name": case.person.name, "code": case.person.id_number}
    assert case.entity is not None
    entity = case.entity
    return {
        "kind": "001",
        "name": entity.name,
        "code": entity.uscc,
        "legal_representative": entity.legal_representative,
    }


def _metadata(
    case: Case,
    *,
    materials: list[dict[str, Any]],
    department_name: str,
    years: int | None,
    dispose_on: dt.date | None,
    closed: dt.datetime,
) -> dict[str, Any]:
    version = case.item_version
    item = version.item
    tasks = [
        {
            "step": task.step,
            "name": task.name,
            "kind": task.kind,
            "department": task.department.name,
            "office": task.office.name if task.office else None,
            "role": task.role,
            "assignee": _name(task.assignee),
            "state": task.state,
            "opened_at": iso(task.opened_at),
            "due_on": iso(task.due_on),
            "completed_at": iso(task.completed_at),
            "completed_by": _name(task.completed_by),
            "outcome": task.outcome,
            "opinion": task.opinion,
            "data": task.data,
        }
        for task in case.tasks.select_related(
            "department", "office", "assignee", "completed_by"
        ).order_by("opened_at", "pk")
    ]
    return {
        "number": case.number,
        "id": case.pk,
        "item": {
            "name": version.name,
            "basic_code": item.basic_code,
            "implementation_code": item.implementation_code,
            "version": version.number,
            "item_type": version.item_type,
            "item_type_label": str(ItemType(version.item_type).label),
            "case_kind": version.case_kind,
            "implementing_department": item.implementing_department.name,
            "result_name": version.result_name,
        },
        "applicant": _applicant(case),
        "channel": case.channel,
        "state": case.state,
        "state_label": str(Case.State(case.state).label),
        "national_state_code": Case.NATIONAL_STATE_CODES.get(case.state, ""),
        "window": case.window.name if case.window else None,
        "first_responder": _name(case.first_responder),
        "lead_department": case.lead_department.name if case.lead_department else None,
        "lead_office": case.lead_office.name if case.lead_office else None,
        "received_at": iso(case.received_at),
        "accepted_at": iso(case.accepted_at),
        "accepted_by": _name(case.accepted_by),
        "legal_due": iso(case.legal_due),
        "promised_due": iso(case.promised_due),
        "on_the_spot": case.on_the_spot,
        "answers": case.answers,
        "form_data": case.form_data,
        "commitment_text": case.commitment_text,
        "commitment_signed_at": iso(case.commitment_signed_at),
        "instant_outcome": case.instant_outcome,
        "supplement_notice": case.supplement_notice,
        "suspensions": [
            {
                "kind": s.kind,
                "reason": s.reason,
                "started_on": iso(s.started_on),
                "ended_on": iso(s.ended_on),
            }
            for s in case.suspensions.order_by("started_on", "pk")
        ],
        "extensions": [
            {"days": e.days, "reason": e.reason, "decided_on": iso(e.decided_on)}
            for e in case.extensions.order_by("decided_on", "pk")
        ],
        "tasks": tasks,
        "materials": materials,
        "delivery": case.delivery,
        "tracking_number": case.tracking_number,
        "issued_at": iso(case.issued_at),
        "delivered_at": iso(case.delivered_at),
        "closed_at": iso(closed),
        "archive": {
            "department": department_name,
            "retention_years": years,
            "retention": f"{years}年" if years is not None else "永久",
            "dispose_on": iso(dispose_on),
            "standard": "DA/T 85-2019",
        },
    }


def _decision(case: Case) -> dict[str, Any]:
    return {
        "decision": case.decision,
        "decision_label": str(Case.Decision(case.decision).label) if case.decision else "",
        "decision_text": case.decision_text,
        "reason": case.decision_reason,
        "legal_basis": case.decision_legal_basis,
        "decided_at": iso(case.decided_at),
        "decided_by": _name(case.decided_by),
        "refused_at": iso(case.refused_at),
        "refused_reason": case.refused_reason,
        "refused_legal_basis": case.refused_legal_basis,
        "termination": case.termination,
        "termination_note": case.termination_note,
        "terminated_at": iso(case.terminated_at),
        "revoked_at": iso(case.revoked_at),
        "revocation_reason": case.revocation_reason,
    }


def _material_members(case: Case) -> tuple[list[Member], list[dict[str, Any]]]:
    members: list[Member] = []
    listing: list[dict[str, Any]] = []
    rows = CaseMaterial.objects.filter(case=case).select_related("material")
    for row in rows.order_by("material__seq", "pk"):
        entry: dict[str, Any] = {
            "seq": row.material.seq,
            "name": row.material.name,
            "received": row.received,
            "received_at": iso(row.received_at),
            "source": row.source,
            "source_ref": row.source_ref,
            "deferred_until": iso(row.deferred_until),
            "file": None,
        }
        if row.file:
            with row.file.open("rb") as handle:
                content = handle.read()
            suffix = Path(row.file.name or "").suffix.lower()[:10]
            path = f"materials/{row.material.seq:02d}_{safe_name(row.material.name)}{suffix}"
            members.append(Member(path, content))
            entry["file"] = path
        listing.append(entry)
    return members, listing


NOTICES: tuple[tuple[str, Callable[..., bytes]], ...] = (
    ("notices/supplement.pdf", notices.supplement_notice_pdf),
    ("notices/refusal.pdf", notices.refusal_notice_pdf),
    ("notices/acceptance.pdf", notices.acceptance_notice_pdf),
    ("notices/decision.pdf", notices.decision_notice_pdf),
)


def _notice_members(case: Case) -> list[Member]:
    """The notices the applicant was given (补正, 不予受理, 受理, 决定书), as printed now."""
    members = []
    for path, printer in NOTICES:
        try:
            members.append(Member(path, printer(case, base_url=settings.PUBLIC_URL)))
        except Conflict:
            continue  # not given in this case, or undone (notices.py says which)
    return members


def _licence_members(case: Case) -> list[Member]:
    licence = (
        Licence.objects.select_related("licence_type", "issuer").filter(case_id=case.pk).first()
    )
    if licence is None:
        return []
    record = {
        "identifier": licence.identifier,
        "type": licence.licence_type.name,
        "issuer": licence.issuer.name,
        "status": licence.status,
        "canonical": licence.canonical,
        "digest": licence.digest,
        "seal_algorithm": licence.seal_algorithm,
        "seal_key_id": licence.seal_key_id,
        "signature": licence.signature,
        "issuer_code": licence.issuer.uscc,
    }
    return [
        Member("results/licence.json", json_bytes(record)),
        Member("results/licence.pdf", licence_pdf(licence, base_url=settings.PUBLIC_URL)),
    ]


def case_audit_records(case: Case) -> QuerySet[AuditRecord]:
    """The trail of the case, its tasks and its licence, in chain order."""
    task_ids = (
        Task.objects.filter(case=case)
        .annotate(object_id=Cast("pk", output_field=CharField()))
        .values("object_id")
    )
    scope = Q(object_type="cases.case", object_id=str(case.pk)) | Q(
        object_type="cases.task", object_id__in=task_ids
    )
    licence_id = Licence.objects.filter(case_id=case.pk).values_list("pk", flat=True).first()
    if licence_id is not None:
        scope |= Q(object_type="licences.licence", object_id=str(licence_id))
    return AuditRecord.objects.filter(scope).order_by("seq")


def _audit_member(case: Case) -> Member:
    """One JSON line a record: exactly what its SM3 hash covers, and the hash, so each can be
    checked again (``sm3(canonical JSON of the line without "hash") == hash``)."""
    lines = []
    for record in case_audit_records(case):
        body = json.loads(content_of(record))
        body["hash"] = record.hash
        lines.append(json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    return Member("audit/records.jsonl", ("\n".join(lines) + "\n").encode() if lines else b"")


def package_members(
    case: Case,
    *,
    department_name: str,
    years: int | None,
    dispose_on: dt.date | None,
    closed: dt.datetime,
) -> list[Member]:
    """Every file of the package but the manifest and its seal, written in the platform's
    language (the notices and labels of an archive do not depend on who built it)."""
    with translation.override(settings.LANGUAGE_CODE):
        material_members, listing = _material_members(case)
        metadata = _metadata(
            case,
            materials=listing,
            department_name=department_name,
            years=years,
            dispose_on=dispose_on,
            closed=closed,
        )
        return [
            Member("case.json", json_bytes(metadata)),
            Member("decision.json", json_bytes(_decision(case))),
            *material_members,
            *_notice_members(case),
            *_licence_members(case),
            _audit_member(case),
        ]
