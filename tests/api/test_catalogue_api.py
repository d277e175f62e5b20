"""The catalogue API: public reads, the applicant's material list, the lists, editing, publishing."""

from __future__ import annotations

import pytest
from django.test import Client

from quanban.accounts.roles import Role
from quanban.catalogue import services
from quanban.catalogue.models import ItemVersion, ServiceItem
from tests import factories
from tests.api.clients import bearer
from tests.catalogue import helpers

pytestmark = pytest.mark.django_db

API = "/api/v1/catalogue"


@pytest.fixture
def editor_headers(city):
    return bearer(factories.make_staff(city, Role.CATALOGUE_EDITOR, scope=city.department))


@pytest.fixture
def reviewer_headers(city):
    return bearer(factories.make_staff(city, Role.CATALOGUE_REVIEWER, scope=city.city))


def post(client: Client, url: str, body: dict | None = None, headers: dict | None = None):
    return client.post(url, body or {}, content_type="application/json", headers=headers or {})


def test_published_items_are_public(client, city):
    version = helpers.published(city.department, name="食品经营许可")
    helpers.draft(city.department, name="草稿事项")
    response = client.get(f"{API}/items")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], [i["name"] for i in body["items"]]) == (1, ["食品经营许可"])
    assert body["items"][0]["implementation_code"] == version.item.implementation_code
    assert client.get(f"{API}/items?q=草稿").json()["count"] == 0
    assert client.get(f"{API}/items?department={city.other_department.pk}").json()["count"] == 0

    detail = client.get(f"{API}/items/{version.item_id}").json()
    assert (detail["id"], detail["state"], detail["name"]) == (
        version.pk,
        "published",
        "食品经营许可",
    )
    assert [m["name"] for m in detail["materials"]] == ["食品经营许可申请书"]
    assert detail["materials"][0]["code"] == version.item.implementation_code + "001"


def test_an_unpublished_item_is_not_found(client, city):
    version = helpers.draft(city.department)
    response = client.get(f"{API}/items/{version.item_id}")
    assert (response.status_code, response.json()["code"]) == (404, "item_not_found")


def test_materials_for_answers(client, city):
    version = helpers.draft(city.department)
    services.material_add(
        user=None,
        version=version,
        name="营业执照",
        form="1",
        necessity="1",
        source="10",
        situational=True,
    )
    services.situation_add(
        user=None,
        version=version,
        question="申请人类型？",
        options=[{"label": "个人"}, {"label": "企业", "adds_materials": [2]}],
    )
    services.version_submit(user=None, version=version)
    services.version_publish(user=None, version=version)
    url = f"{API}/items/{version.item_id}/materials-for-answers"
    response = post(client, url, {"answers": {"1": 2}})
    assert response.status_code == 200
    assert [m["name"] for m in response.json()["materials"]] == ["食品经营许可申请书", "营业执照"]
    assert [m["name"] for m in post(client, url, {"answers": {}}).json()["materials"]] == [
        "食品经营许可申请书"
    ]
    response = post(client, url, {"answers": {"3": 1}})
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (
        422,
        "situation_unknown",
        "answers.3",
    )


def test_the_lists(client, city):
    helpers.published(city.department, name="居民身份证换领", case_kind="1", promised_limit_days=0)
    helpers.proof()
    body = client.get(f"{API}/lists/on-the-spot?level=3").json()
    assert (body["name"], [i["name"] for i in body["items"]]) == ("on-the-spot", ["居民身份证换领"])
    body = client.get(f"{API}/lists/retained-proofs").json()
    assert [p["code"] for p in body["items"]] == ["JN-ZM-001"]
    for name in ("deferrable", "commitment", "agent-service"):
        assert client.get(f"{API}/lists/{name}").json()["count"] == 0
    assert client.get(f"{API}/lists/top").json()["count"] == 1
    assert client.get(f"{API}/lists/everything").status_code == 422


def test_an_editor_creates_edits_and_submits_and_a_reviewer_publishes(
    client, city, editor_headers, reviewer_headers
):
    basic = helpers.basic_code()
    response = post(
        client,
        f"{API}/items",
        {
            "implementing_department_id": city.department.pk,
            "basic_code": basic,
            "exercise_level": "3",
            "name": "个体工商户设立登记",
            "item_type": "07",
            "case_kind": "2",
            "legal_limit_days": 15,
            "promised_limit_days": 3,
            "legal_basis": [{"law": "《促进个体工商户发展条例》", "article": "第八条"}],
            "process": {"kind": "single_approver"},
            "co_department_ids": [city.other_department.pk],
        },
        editor_headers,
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["implementation_code"] == f"{city.department.uscc}3{basic}"
    assert created["co_departments"][0]["id"] == city.other_department.pk
    assert created["process"] == {
        "kind": "single_approver",
        "co_review_departments": [],
        "meeting_allowed": False,
        "instant_rule_set": "",
        "commitment_allowed": False,
        "inspection_required": False,
    }
    version_id = created["id"]

    response = client.patch(
        f"{API}/versions/{version_id}",
        {"promised_limit_days": 2, "keywords": "个体户 营业执照"},
        content_type="application/json",
        headers=editor_headers,
    )
    assert response.status_code == 200
    assert (response.json()["promised_limit_days"], response.json()["name"]) == (
        2,
        "个体工商户设立登记",
    )

    response = post(
        client,
        f"{API}/versions/{version_id}/materials",
        {"name": "个体工商户登记申请书", "form": "4", "necessity": "1", "source": "10"},
        editor_headers,
    )
    assert (response.status_code, response.json()["seq"]) == (201, 1)

    assert (
        post(client, f"{API}/versions/{version_id}/submit", headers=editor_headers).status_code
        == 200
    )
    response = post(client, f"{API}/versions/{version_id}/publish", headers=editor_headers)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    response = client.post(
        f"{API}/versions/{version_id}/publish?valid_from=2026-01-01", headers=reviewer_headers
    )
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["valid_from"]) == ("published", "2026-01-01")

    item_id = created["item_id"]
    response = post(client, f"{API}/items/{item_id}/drafts", headers=editor_headers)
    assert (response.status_code, response.json()["number"]) == (201, 2)
    assert [m["name"] for m in response.json()["materials"]] == ["个体工商户登记申请书"]

    response = post(client, f"{API}/versions/{version_id}/retire", headers=reviewer_headers)
    assert (response.status_code, response.json()["state"]) == (200, "retired")


def test_publish_refusal_lists_every_problem(client, city, reviewer_headers):
    version = helpers.draft(
        city.department, legal_basis=[], legal_limit_days=3, promised_limit_days=5
    )
    services.material_add(
        user=None, version=version, name="其他材料", form="1", necessity="1", source="10"
    )
    services.version_submit(user=None, version=version)
    response = post(client, f"{API}/versions/{version.pk}/publish", headers=reviewer_headers)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "version_not_publishable"
    assert body["title"] == "该事项版本有 3 处问题，不能发布；请按提示逐项修改。"
    assert [(p["field"], p["code"]) for p in body["problems"]] == [
        ("legal_basis", "legal_basis_missing"),
        ("promised_limit_days", "promised_limit_above_legal"),
        ("materials[2].name", "material_name_vague"),
    ]
    assert all(p["message"] for p in body["problems"])
    assert helpers.state_of(version.item) == [(1, "submitted")]


def test_editing_a_published_version_is_refused(client, city, editor_headers):
    version = helpers.published(city.department)
    response = client.patch(
        f"{API}/versions/{version.pk}",
        {"name": "改名"},
        content_type="application/json",
        headers=editor_headers,
    )
    assert (response.status_code, response.json()["code"]) == (409, "version_not_draft")
    version.refresh_from_db()
    assert version.name == "食品经营许可"


def test_an_editor_of_another_department_is_refused(client, city):
    headers = bearer(factories.make_staff(city, Role.CATALOGUE_EDITOR, scope=city.other_department))
    version = helpers.draft(city.department)
    response = client.patch(
        f"{API}/versions/{version.pk}",
        {"name": "改名"},
        content_type="application/json",
        headers=headers,
    )
    assert (response.status_code, response.json()["code"]) == (403, "catalogue_out_of_scope")
    response = post(
        client,
        f"{API}/items",
        {
            "implementing_department_id": city.department.pk,
            "basic_code": helpers.basic_code(),
            "exercise_level": "3",
            "name": "某事项",
            "item_type": "01",
            "case_kind": "2",
            "legal_limit_days": 10,
            "promised_limit_days": 5,
        },
        headers,
    )
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.name == "食品经营许可"
    assert ServiceItem.objects.count() == 1


def test_return_and_staff_read_of_a_draft(client, city, editor_headers, reviewer_headers):
    version = helpers.submitted(city.department)
    response = post(
        client,
        f"{API}/versions/{version.pk}/return",
        {"reason": "请补充收费依据"},
        reviewer_headers,
    )
    assert (response.status_code, response.json()["state"]) == (200, "draft")
    body = client.get(f"{API}/versions/{version.pk}", headers=editor_headers).json()
    assert (body["state"], body["return_reason"]) == ("draft", "请补充收费依据")
    assert client.get(f"{API}/versions/{version.pk}").status_code == 401
    clerk = bearer(factories.make_staff(city, Role.WINDOW_CLERK))
    assert client.get(f"{API}/versions/{version.pk}", headers=clerk).status_code == 403


def test_situations_are_added_through_the_api(client, city, editor_headers):
    version = helpers.draft(city.department)
    response = post(
        client,
        f"{API}/versions/{version.pk}/situations",
        {
            "question": "是否委托代理？",
            "options": [{"label": "是", "adds_materials": [1]}, {"label": "否"}],
        },
        editor_headers,
    )
    assert response.status_code == 201
    assert response.json()["options"][0]["adds_materials"] == [1]
    assert ItemVersion.objects.get(pk=version.pk).situations.count() == 1
