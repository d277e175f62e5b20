"""The CPSV-AP 3.2 export conforms to the official SHACL shapes and says what it should."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef

from quanban.catalogue.cpsv import catalogue_export_cpsv
from quanban.catalogue.interchange import catalogue_import
from tests.catalogue.test_interchange import catalogue_document

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
SHAPES = REPO / ".." / "shared" / "standards" / "cpsv-ap" / "cpsv-ap-SHACL.ttl"
CPSV = Namespace("http://purl.org/vocab/cpsv#")
CV = Namespace("http://data.europa.eu/m8g/")
# Plain namespaces: pytest's collection trips over rdflib's closed ones.
DCTERMS = Namespace("http://purl.org/dc/terms/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
BASE = "https://zwfw.jinan.example"


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


def graph_of(document: dict[str, Any]) -> Graph:
    # The @context is inline: parsing must not (and cannot) fetch anything.
    return Graph().parse(data=json.dumps(document, ensure_ascii=False), format="json-ld")


def conforms(data: Graph, shapes: Graph) -> tuple[bool, str]:
    ok, _graph, report = validate(data, shacl_graph=shapes, inference="none", advanced=True)
    return bool(ok), str(report)


@pytest.fixture
def exported(city) -> dict[str, Any]:
    catalogue_import(user=None, document=catalogue_document(city))
    return catalogue_export_cpsv(base_uri=BASE + "/")


def test_the_export_conforms_to_the_cpsv_ap_shapes(exported, shapes):
    ok, report = conforms(graph_of(exported), shapes)
    assert ok, report


def test_the_shapes_do_bite(exported, shapes):
    """A service without its identifier fails: the validation above is not vacuous."""
    for node in exported["@graph"]:
        if node.get("@type") == "cpsv:PublicService":
            del node["dct:identifier"]
            break
    ok, report = conforms(graph_of(exported), shapes)
    assert not ok
    assert "MinCountConstraintComponent" in report
    assert "identifier" in report


def test_published_items_only_with_authority_time_evidence_output_cost_and_channels(exported, city):
    g = graph_of(exported)
    services = sorted(g.subjects(RDF_TYPE, CPSV.PublicService))
    a, b = city.department.uscc, city.other_department.uscc
    food = URIRef(f"{BASE}/catalogue/items/{a}3000000000001")
    assert services == sorted(
        URIRef(f"{BASE}/catalogue/items/{code}")
        for code in (f"{a}3000000000001", f"{b}3000000000002", f"{b}3000000000004")
    )
    assert g.value(food, DCTERMS.identifier) == Literal(f"{a}3000000000001")
    assert g.value(food, DCTERMS.title) == Literal("食品经营许可", lang="zh")
    assert g.value(food, CV.processingTime) == Literal("P5D", datatype=XSD.duration)
    description = str(g.value(food, DCTERMS.description))
    assert "承诺 5 个工作日，法定 20 个工作日" in description

    authority = g.value(food, CV.hasCompetentAuthority)
    assert authority == URIRef(f"{BASE}/organisations/{a}")
    assert (authority, RDF_TYPE, CV.PublicOrganisation) in g
    assert g.value(authority, SKOS.prefLabel) == Literal("济南市行政审批服务局", lang="zh")
    place = g.value(authority, DCTERMS.spatial)
    assert place == URIRef(f"{BASE}/divisions/370100")
    assert g.value(place, SKOS.prefLabel) == Literal("济南市", lang="zh")

    evidence = sorted(str(g.value(e, DCTERMS.title)) for e in g.objects(food, CPSV.hasInput))
    assert evidence == ["健康证明", "无犯罪记录证明", "营业执照", "食品经营许可申请书"]
    output = g.value(food, CPSV.produces)
    assert g.value(output, DCTERMS.title) == Literal("食品经营许可证", lang="zh")
    channels = sorted(str(g.value(c, DCTERMS.description)) for c in g.objects(food, CV.hasChannel))
    assert channels == ["电脑端网上办理", "移动端网上申请", "窗口办理"]
    cost = g.value(food, CV.hasCost)
    assert g.value(cost, CV.hasValue) == Literal(0.0)
    rule = g.value(food, CPSV.follows)
    assert g.value(rule, DCTERMS.title) == Literal(
        "《中华人民共和国食品安全法》第三十五条", lang="zh"
    )
    participant = g.value(g.value(food, CV.hasParticipation), CV.hasParticipant)
    assert participant == URIRef(f"{BASE}/organisations/{b}")

    shop = URIRef(f"{BASE}/catalogue/items/{b}3000000000002")
    assert g.value(shop, CV.processingTime) == Literal("P0D", datatype=XSD.duration)
    assert str(g.value(g.value(shop, CV.hasCost), DCTERMS.description)) == "登记费；0 元；国家规定"


def test_cli_exports_cpsv_ap_to_standard_output(exported, shapes):
    out = StringIO()
    call_command("catalogue", "export", "--format", "cpsv-ap", "--base-uri", BASE, stdout=out)
    document = json.loads(out.getvalue())
    assert document == json.loads(json.dumps(exported))
    ok, report = conforms(graph_of(document), shapes)
    assert ok, report
