"""CPSV-AP 3.2 JSON-LD export of the published catalogue (docs/catalogue-json.md, STANDARDS.md).

Each published item is a ``cpsv:PublicService``; its department a ``cv:PublicOrganisation`` whose
``dct:spatial`` is the administrative division it belongs to; materials are ``cv:Evidence``
(inputs, and the evidence of the acceptance requirement); the result a ``cv:Output``; fees
``cv:Cost``; handling forms ``cv:Channel``; the legal basis ``cpsv:Rule``s implementing
``eli:LegalResource``s. The ``@context`` is inline, so no consumer has to fetch one.

``cv:processingTime`` is the promised limit as an ISO 8601 duration in days (``P5D``). Chinese
limits count *working* days; the duration cannot say so, so every description does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit
from quanban.catalogue import codes
from quanban.catalogue.models import ItemVersion, Material

CONTEXT: dict[str, str] = {
    "cpsv": "http://purl.org/vocab/cpsv#",
    "cv": "http://data.europa.eu/m8g/",
    "dct": "http://purl.org/dc/terms/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
LANG = "zh"
CNY = "http://publications.europa.eu/resource/authority/currency/CNY"
CHINESE = "http://publications.europa.eu/resource/authority/language/ZHO"


def _text(value: str) -> dict[str, str]:
    return {"@value": value, "@language": LANG}


def _ref(uri: str) -> dict[str, str]:
    return {"@id": uri}


def _concept(uri: str, label: str) -> dict[str, Any]:
    return {"@id": uri, "@type": "skos:Concept", "skos:prefLabel": _text(label)}


def _division(department: OrgUnit) -> OrgUnit | None:
    parent = department.parent
    if parent is not None and parent.kind in OrgUnit.DIVISION_KINDS:
        return parent
    ancestors = [int(x) for x in department.path.strip("/").split("/") if x][:-1]
    return (
        OrgUnit.objects.filter(pk__in=ancestors, kind__in=OrgUnit.DIVISION_KINDS)
        .order_by("-path")
        .first()
    )


def catalogue_export_cpsv(*, base_uri: str) -> dict[str, Any]:
    """Published items as one CPSV-AP JSON-LD document (``@context`` + ``@graph``)."""
    base = base_uri.rstrip("/")
    versions = (
        ItemVersion.objects.filter(state=ItemVersion.State.PUBLISHED)
        .select_related("item__implementing_department__parent")
        .prefetch_related(
            Prefetch("co_departments", queryset=OrgUnit.objects.select_related("parent")),
            Prefetch("materials", queryset=Material.objects.order_by("seq")),
        )
        .order_by("item__implementation_code")
    )
    # Organisations, places, concepts and laws are shared by many services: one node each.
    shared: dict[str, dict[str, Any]] = {}

    def organisation(unit: OrgUnit) -> dict[str, Any]:
        uri = f"{base}/organisations/{unit.uscc}"
        if uri not in shared:
            division = _division(unit)
            place = f"{base}/divisions/{division.division_code if division else 'unknown'}"
            shared[place] = {
                "@id": place,
                "@type": "dct:Location",
                "dct:identifier": division.division_code if division else "",
                "skos:prefLabel": _text(division.name if division else _("未知行政区划")),
            }
            shared[uri] = {
                "@id": uri,
                "@type": ["cv:PublicOrganisation", "foaf:Agent"],
                "dct:identifier": unit.uscc,
                "dct:title": _text(unit.name),
                "skos:prefLabel": _text(unit.name),
                "dct:spatial": _ref(place),
            }
        return shared[uri]

    def concept(kind: str, code: str, label: str) -> dict[str, str]:
        uri = f"{base}/codes/{kind}/{code}"
        shared.setdefault(uri, _concept(uri, label))
        return _ref(uri)

    shared[CNY] = _concept(CNY, "人民币")
    shared[CHINESE] = {"@id": CHINESE, "@type": "dct:LinguisticSystem"}

    def register(node: dict[str, Any]) -> dict[str, str]:
        shared.setdefault(node["@id"], node)
        return _ref(node["@id"])

    services = [_service(version, base, organisation, concept, register) for version in versions]
    return {"@context": CONTEXT, "@graph": [*services, *(shared[k] for k in sorted(shared))]}


def _service(
    version: ItemVersion,
    base: str,
    organisation: Callable[[OrgUnit], dict[str, Any]],
    concept: Callable[[str, str, str], dict[str, str]],
    register: Callable[[dict[str, Any]], dict[str, str]],
) -> dict[str, Any]:
    item = version.item
    code = item.implementation_code
    uri = f"{base}/catalogue/items/{code}"
    authority = organisation(item.implementing_department)
    days = version.promised_limit_days
    timing = _(
        "办理时限按工作日计算：承诺 %(promised)d 个工作日，法定 %(legal)d 个工作日"
        "（processingTime 中的天数为工作日）。"
    ) % {"promised": days, "legal": version.legal_limit_days}
    description = " ".join(filter(None, [version.short_description.strip(), timing]))

    evidence: list[dict[str, Any]] = [
        {
            "@id": f"{uri}/materials/{material.seq}",
            "@type": "cv:Evidence",
            "dct:identifier": f"{code}{material.seq:03d}",
            "dct:title": _text(material.name),
            "dct:description": _text(
                "；".join(
                    filter(
                        None,
                        [
                            str(codes.MaterialForm(material.form).label),
                            str(codes.Necessity(material.necessity).label),
                            str(codes.MaterialSource(material.source).label),
                            material.notes.strip(),
                        ],
                    )
                )
            ),
        }
        for material in version.materials.all()
    ]
    requirement: dict[str, Any] = {
        "@id": f"{uri}/requirements/acceptance",
        "@type": "cv:Requirement",
        "dct:identifier": f"{code}-acceptance",
        "dct:title": _text(_("受理条件")),
        "cv:hasSupportingEvidence": [_ref(e["@id"]) for e in evidence],
    }
    if version.acceptance_conditions.strip():
        requirement["dct:description"] = _text(version.acceptance_conditions.strip())

    rules, laws = [], []
    for n, entry in enumerate(version.legal_basis or [], start=1):
        law, article = str(entry.get("law", "")).strip(), str(entry.get("article", "")).strip()
        law_uri = f"{base}/legal-resources/{quote(law, safe='')}"
        laws.append(
            register({"@id": law_uri, "@type": "eli:LegalResource", "dct:title": _text(law)})
        )
        title = f"{law}{article}"
        rules.append(
            {
                "@id": f"{uri}/rules/{n}",
                "@type": "cpsv:Rule",
                "dct:identifier": f"{code}-rule-{n}",
                "dct:title": _text(title),
                "dct:description": _text(_("设定依据：%(basis)s") % {"basis": title}),
                "cpsv:implements": _ref(law_uri),
            }
        )

    costs = []
    for n, fee in enumerate(version.fees or [], start=1):
        text = "；".join(
            filter(None, [str(fee.get(k, "")).strip() for k in ("name", "standard", "basis")])
        )
        costs.append(
            {
                "@id": f"{uri}/costs/{n}",
                "@type": "cv:Cost",
                "dct:identifier": f"{code}-cost-{n}",
                "dct:description": _text(text),
                "cv:currency": _ref(CNY),
            }
        )
    if not costs:
        costs.append(
            {
                "@id": f"{uri}/costs/free",
                "@type": "cv:Cost",
                "dct:identifier": f"{code}-cost-free",
                "dct:description": _text(_("不收费")),
                "cv:hasValue": {"@value": "0.0", "@type": "xsd:double"},
                "cv:currency": _ref(CNY),
            }
        )

    channels = [
        {
            "@id": f"{uri}/channels/{form}",
            "@type": "cv:Channel",
            "dct:identifier": f"{code}-channel-{form}",
            "dct:type": concept("handling-form", form, str(codes.HandlingForm(form).label)),
            "dct:description": _text(str(codes.HandlingForm(form).label)),
        }
        for form in version.handling_forms or []
    ]

    service: dict[str, Any] = {
        "@id": uri,
        "@type": "cpsv:PublicService",
        "dct:identifier": code,
        "dct:title": _text(version.name),
        "dct:description": _text(description),
        "dct:language": _ref(CHINESE),
        "cv:hasCompetentAuthority": _ref(authority["@id"]),
        "cv:isClassifiedBy": concept(
            "item-type", version.item_type, str(codes.ItemType(version.item_type).label)
        ),
        "cv:processingTime": {"@value": f"P{days}D", "@type": "xsd:duration"},
        "cpsv:hasInput": evidence,
        "cv:holdsRequirement": requirement,
        "cv:hasCost": costs,
        "cv:hasChannel": channels,
        "cpsv:follows": rules,
        "cv:hasLegalResource": laws,
        # The service is offered where its authority governs.
        "dct:spatial": authority["dct:spatial"],
    }
    if version.result_name.strip():
        service["cpsv:produces"] = {
            "@id": f"{uri}/output",
            "@type": "cv:Output",
            "dct:identifier": f"{code}-output",
            "dct:title": _text(version.result_name.strip()),
        }
    co = sorted(version.co_departments.all(), key=lambda unit: unit.uscc)
    if co:
        service["cv:hasParticipation"] = [
            {
                "@id": f"{uri}/participations/{unit.uscc}",
                "@type": "cv:Participation",
                "dct:identifier": f"{code}-co-{unit.uscc}",
                "dct:description": _text(_("联办部门：%(name)s") % {"name": unit.name}),
                "cv:role": concept("participation-role", "co-department", _("联办部门")),
                "cv:hasParticipant": _ref(organisation(unit)["@id"]),
            }
            for unit in co
        ]
    return service
