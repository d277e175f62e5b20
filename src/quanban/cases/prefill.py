"""Prefilling an application (免填单, 不得重复提交): what the platform already knows of the applicant.

Two kinds of help, both read-only:

- the applicant's profile fields (a person's name, ID number and phone from the applicant
  record; a company's name, credit code, legal representative, phone and address from the legal
  entity registry), each with where it came from;
- for each material of the item version, the files the same applicant handed in on earlier
  cases for a material of the same name or the same retained proof (保留证明事项), newest first,
  each with the earlier case number and date: offered for reuse, which
  ``services.case_submit_online(reuse={material_id: case_material_id})`` records.

Nothing is masked here: the page or API that shows the result masks (quanban.core.masking).
Only the applicant's own earlier cases are searched; never another applicant's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from quanban.accounts.models import LegalEntity, NaturalPerson
from quanban.cases.models import CaseMaterial
from quanban.cases.services._common import UNREUSABLE_CASE_STATES
from quanban.catalogue.models import ItemVersion
from quanban.core.errors import ValidationFailed

# The newest few files per material are enough to choose from.
MAX_CANDIDATES = 5
# Earlier materials looked at in all (newest first): a frequent applicant has many cases.
MAX_ROWS = 500


@dataclass(frozen=True)
class PrefillField:
    key: str  # the applicant attribute: name, id_number, phone, uscc, legal_representative, address
    label: str
    value: str
    source: str  # 申请人档案 (a person) or 法人库 (a legal entity)


@dataclass(frozen=True)
class ReuseCandidate:
    case_material_id: int  # what ``reuse`` takes
    case_id: int
    case_number: str  # the earlier case's number (or ``#id`` if it never got one)
    received_on: dt.date
    material_name: str  # the earlier material's name (the same, or the same retained proof)
    file_name: str  # the stored file's base name
    source: str  # "办件 <number>，<date>提交"


@dataclass(frozen=True)
class MaterialPrefill:
    material_id: int
    seq: int
    name: str
    candidates: tuple[ReuseCandidate, ...]  # newest first


@dataclass(frozen=True)
class Prefill:
    applicant_kind: str  # "person" or "entity"
    fields: tuple[PrefillField, ...]
    materials: tuple[MaterialPrefill, ...]  # every material of the version, in order

    def value(self, key: str) -> str:
        """The field's value ("" when the applicant record has none)."""
        return next((f.value for f in self.fields if f.key == key), "")

    def newest_reuse(self) -> dict[int, int]:
        """``{material_id: case_material_id}`` of the newest candidate of every material that
        has one: the ``reuse`` argument if the applicant takes every suggestion."""
        return {
            m.material_id: m.candidates[0].case_material_id for m in self.materials if m.candidates
        }


def prefill_for(*, applicant: NaturalPerson | LegalEntity, item_version: ItemVersion) -> Prefill:
    """The applicant's known fields and reusable earlier materials for an item version."""
    if isinstance(applicant, NaturalPerson):
        kind, owner = "person", Q(case__person=applicant)
    elif isinstance(applicant, LegalEntity):
        kind, owner = "entity", Q(case__entity=applicant)
    else:
        raise ValidationFailed(_("请选择申请人。"), code="applicant_invalid", field="applicant")
    materials = list(item_version.materials.order_by("seq", "pk"))
    names = {m.name for m in materials}
    proofs = {m.retained_proof_id for m in materials if m.retained_proof_id is not None}
    same = Q(material__name__in=sorted(names))
    if proofs:
        same |= Q(material__retained_proof_id__in=sorted(proofs))
    earlier = list(
        CaseMaterial.objects.filter(owner, same, received=True)
        .exclude(file="")
        # Still valid: not from a refused case or a revoked approval.
        .exclude(case__state__in=sorted(UNREUSABLE_CASE_STATES))
        .select_related("case", "material")
        .order_by("-received_at", "-pk")[:MAX_ROWS]
    )
    return Prefill(
        applicant_kind=kind,
        fields=_fields(applicant),
        materials=tuple(
            MaterialPrefill(
                material_id=m.pk,
                seq=m.seq,
                name=m.name,
                candidates=_candidates(m.name, m.retained_proof_id, earlier),
            )
            for m in materials
        ),
    )


def _fields(applicant: NaturalPerson | LegalEntity) -> tuple[PrefillField, ...]:
    if isinstance(applicant, NaturalPerson):
        source = _("申请人档案")
        rows = [
            ("name", _("姓名"), applicant.name),
            ("id_number", _("公民身份号码"), applicant.id_number),
            ("phone", _("手机号码"), applicant.phone),
        ]
    else:
        source = _("法人库")
        rows = [
            ("name", _("名称"), applicant.name),
            ("uscc", _("统一社会信用代码"), applicant.uscc),
            ("legal_representative", _("法定代表人"), applicant.legal_representative),
            ("phone", _("联系电话"), applicant.phone),
            ("address", _("住所"), applicant.address),
        ]
    return tuple(
        PrefillField(key=key, label=label, value=value, source=source)
        for key, label, value in rows
        if value
    )


def _candidates(
    name: str, proof_id: int | None, earlier: list[CaseMaterial]
) -> tuple[ReuseCandidate, ...]:
    found: list[ReuseCandidate] = []
    files: set[str] = set()
    for row in earlier:
        matches = row.material.name == name or (
            proof_id is not None and row.material.retained_proof_id == proof_id
        )
        stored = row.file.name or ""
        # A file reused from case to case is one file: offer it once, from its newest case.
        if not matches or not stored or stored in files:
            continue
        files.add(stored)
        received = timezone.localdate(row.received_at or row.case.received_at)
        number = row.case.number or f"#{row.case_id}"
        found.append(
            ReuseCandidate(
                case_material_id=row.pk,
                case_id=row.case_id,
                case_number=number,
                received_on=received,
                material_name=row.material.name,
                file_name=stored.rsplit("/", 1)[-1],
                source=_("办件 %(number)s，%(date)s提交")
                % {"number": number, "date": date_format(received, "DATE_FORMAT")},
            )
        )
        if len(found) == MAX_CANDIDATES:
            break
    return tuple(found)


__all__ = ["MaterialPrefill", "Prefill", "PrefillField", "ReuseCandidate", "prefill_for"]
