"""Once only (不得重复提交, 减材料, 减证明): materials the government already holds are fetched.

When a case is received, every material still owed whose source is a licence type or a registry
is fetched instead of asked for:

- from the licence library (电子证照库) when the material is a licence type the applicant holds
  in force today (the material's name, without a leading “申请人”, is the type's name, or its
  ``source_ref`` is the type's code);
- from a registry (人口库 for a person, 法人库 for an entity) when the material is a document the
  registry stands in for (``REGISTRY_DOCUMENTS``) or its ``source_ref`` names the registry, and
  the registry holds the applicant in good standing. Every registry query is logged
  (quanban.datahub.services.registry_query) with the case and the purpose.

Only materials of source “政府部门核发” or “系统共享获取” are looked for. The case material records
how it was obtained (``source``: fetched, reused, uploaded or handed in on paper) and from where
(the licence, the registry query, the earlier case material), with a readable ``source_ref``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from quanban.accounts.models import LegalEntity, NaturalPerson, User
from quanban.cases.models import Case, CaseMaterial
from quanban.catalogue import codes
from quanban.catalogue.models import Material
from quanban.core import clock
from quanban.datahub.models import LegalEntityRecord, PopulationRecord, Registry
from quanban.datahub.services import registry_query
from quanban.licences.models import HolderKind, Licence, LicenceType

FETCHABLE_SOURCES = frozenset({codes.MaterialSource.GOVERNMENT, codes.MaterialSource.SHARED})
# What a material's name may begin with when it is the applicant's own document.
OWN_PREFIXES = ("申请人", "本人")
# The documents each registry stands in for (the material's name without OWN_PREFIXES).
REGISTRY_DOCUMENTS: dict[str, frozenset[str]] = {
    Registry.POPULATION: frozenset({"居民身份证", "居民户口簿", "户口簿", "户籍信息", "户籍证明"}),
    Registry.LEGAL_ENTITY: frozenset({"营业执照"}),
}
# A ``source_ref`` beginning with one of these names the registry outright.
REGISTRY_REFS: dict[str, tuple[str, ...]] = {
    Registry.POPULATION: ("人口库",),
    Registry.LEGAL_ENTITY: ("法人库",),
}


@dataclass(frozen=True)
class FetchPlan:
    """Where a material will be looked for: a licence type or a registry (one of them)."""

    material_id: int
    licence_type: LicenceType | None = None
    registry: str = ""

    @property
    def label(self) -> str:
        if self.licence_type is not None:
            return _("电子证照库（%(type)s）") % {"type": self.licence_type.name}
        return str(Registry(self.registry).label)


def own_name(name: str) -> str:
    for prefix in OWN_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _registry_of(material: Material, *, person: bool) -> str:
    registry = Registry.POPULATION if person else Registry.LEGAL_ENTITY
    ref = material.source_ref.strip()
    if own_name(material.name) in REGISTRY_DOCUMENTS[registry] or ref.startswith(
        REGISTRY_REFS[registry]
    ):
        return registry
    return ""


def fetch_plans(materials: Iterable[Material], *, person: bool) -> dict[int, FetchPlan]:
    """For each material that may be fetched for an applicant who is a person (or an entity),
    where it would be looked for (the catalogue's rules only: nothing is queried)."""
    candidates = [m for m in materials if m.source in FETCHABLE_SOURCES]
    if not candidates:
        return {}
    kind = HolderKind.PERSON if person else HolderKind.ENTITY
    names = {own_name(m.name) for m in candidates}
    refs = {m.source_ref.strip() for m in candidates if m.source_ref.strip()}
    types = list(
        LicenceType.objects.filter(is_active=True, holder_kind=kind)
        .filter(Q(name__in=sorted(names)) | Q(code__in=sorted(refs)))
        .order_by("code")
    )
    plans: dict[int, FetchPlan] = {}
    for material in candidates:
        ref = material.source_ref.strip()
        licence_type = next((t for t in types if t.code == ref), None) or next(
            (t for t in types if t.name == own_name(material.name)), None
        )
        registry = _registry_of(material, person=person)
        if licence_type is not None or registry:
            plans[material.pk] = FetchPlan(material.pk, licence_type, registry)
    return plans


def _licences_in_force(
    applicant: NaturalPerson | LegalEntity, types: Sequence[LicenceType]
) -> dict[int, Licence]:
    """The applicant's newest licence in force today of each type."""
    if not types:
        return {}
    today = clock.today()
    holder = Q(person=applicant) if isinstance(applicant, NaturalPerson) else Q(entity=applicant)
    rows = (
        Licence.objects.filter(
            holder,
            licence_type__in=[t.pk for t in types],
            status=Licence.Status.VALID,
            valid_from__lte=today,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .order_by("licence_type_id", "-issued_at", "-pk")
    )
    found: dict[int, Licence] = {}
    for licence in rows:
        found.setdefault(licence.licence_type_id, licence)
    return found


def _in_good_standing(record: PopulationRecord | LegalEntityRecord | None) -> bool:
    if isinstance(record, PopulationRecord):
        return record.status == PopulationRecord.Status.NORMAL
    if isinstance(record, LegalEntityRecord):
        return record.status == LegalEntityRecord.Status.ACTIVE
    return False


def materials_fetch(
    case: Case,
    rows: Sequence[CaseMaterial],
    applicant: NaturalPerson | LegalEntity,
    *,
    user: User,
) -> list[int]:
    """Fetch every owed material of the case that the library or a registry holds; the material
    ids fetched. Call inside the receiving transaction (the registry queries log with the case)."""
    owed = [row for row in rows if not row.received]
    plans = fetch_plans([row.material for row in owed], person=isinstance(applicant, NaturalPerson))
    if not plans:
        return []
    now = clock.now()
    fetched: list[int] = []
    types = {p.licence_type.pk: p.licence_type for p in plans.values() if p.licence_type}
    licences = _licences_in_force(applicant, list(types.values()))
    by_registry: dict[str, list[CaseMaterial]] = {}
    for row in owed:
        plan = plans.get(row.material_id)
        if plan is None:
            continue
        licence = licences.get(plan.licence_type.pk) if plan.licence_type else None
        if licence is not None:
            row.received, row.received_at = True, now
            row.source = CaseMaterial.Source.FETCHED
            row.source_licence = licence
            row.source_ref = _("电子证照 %(identifier)s") % {"identifier": licence.identifier}
            row.save(
                update_fields=["received", "received_at", "source", "source_licence", "source_ref"]
            )
            fetched.append(row.material_id)
        elif plan.registry:
            by_registry.setdefault(plan.registry, []).append(row)
    for registry, wanted in sorted(by_registry.items()):
        key = applicant.id_number if isinstance(applicant, NaturalPerson) else applicant.uscc
        purpose = _("收件共享获取材料：%(item)s（%(materials)s）") % {
            "item": case.item_version.name,
            "materials": "、".join(row.material.name for row in wanted),
        }
        answer = registry_query(
            user=user, registry=registry, key=key, purpose=purpose[:200], case=case
        )
        if not _in_good_standing(answer.record):
            continue
        assert answer.record is not None
        ref = _("%(registry)s（%(owner)s），查询记录 %(query)d") % {
            "registry": Registry(registry).label,
            "owner": answer.record.owner.name,
            "query": answer.query.pk,
        }
        for row in wanted:
            row.received, row.received_at = True, now
            row.source = CaseMaterial.Source.FETCHED
            row.source_query = answer.query
            row.source_ref = ref
            row.save(
                update_fields=["received", "received_at", "source", "source_query", "source_ref"]
            )
            fetched.append(row.material_id)
    return sorted(fetched)


def unretained_proof(material: Material) -> bool:
    """A proof (证明事项) not on the retained-proofs list, or struck off it: never asked for."""
    if not material.is_proof:
        return False
    proof = material.retained_proof
    return proof is None or not proof.is_active


def fetch_preview(
    materials: Iterable[Material], applicant: NaturalPerson | LegalEntity
) -> dict[int, str]:
    """What the intake pages show before anything is received: for each material that will be
    fetched, from where (a licence the applicant holds in force, by its identifier; a registry by
    name). No registry is queried here (that happens, logged, when the case is received); a
    registry that turns out not to know the applicant leaves the material to be handed in."""
    plans = fetch_plans(materials, person=isinstance(applicant, NaturalPerson))
    types = [p.licence_type for p in plans.values() if p.licence_type is not None]
    licences = _licences_in_force(applicant, types)
    shown: dict[int, str] = {}
    for material_id, plan in plans.items():
        licence = licences.get(plan.licence_type.pk) if plan.licence_type else None
        if licence is not None:
            shown[material_id] = _("电子证照 %(identifier)s") % {"identifier": licence.identifier}
        elif plan.registry:
            shown[material_id] = str(Registry(plan.registry).label)
    return shown
