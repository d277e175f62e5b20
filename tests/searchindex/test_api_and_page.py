"""The public search API and the portal's results page."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_api_answers_with_ranked_hits(catalogue):
    response = Client().get("/api/v1/search", {"q": "营业执照", "limit": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "营业执照"
    version = catalogue.version("个体工商户营业执照设立登记")
    first = body["hits"][0]
    assert {k: v for k, v in first.items() if k != "score"} == {
        "item_id": version.item_id,
        "version_id": version.pk,
        "name": "个体工商户营业执照设立登记",
        "department_id": catalogue.city.other_department.pk,
        "department_name": "济南市市场监督管理局",
        "level": "3",
        "matched": ["name"],
    }
    assert [h["name"] for h in body["hits"]] == ["个体工商户营业执照设立登记", "营业执照遗失补领"]


def test_the_api_filters_and_finds_by_pinyin(catalogue):
    response = Client().get(
        "/api/v1/search",
        {"q": "xk", "department": catalogue.city.department.pk, "level": "4"},
    )
    assert response.status_code == 200
    assert [h["name"] for h in response.json()["hits"]] == ["城市道路挖掘许可"]


@pytest.mark.parametrize(
    ("params", "code", "title"),
    [
        ({"q": ""}, "search_query_empty", "请输入要搜索的事项名称、关键词或拼音首字母。"),
        ({}, "search_query_empty", "请输入要搜索的事项名称、关键词或拼音首字母。"),
        ({"q": "   "}, "search_query_empty", "请输入要搜索的事项名称、关键词或拼音首字母。"),
        ({"q": "户" * 51}, "search_query_too_long", "搜索词过长：最多 50 个字，请精简后再试。"),
    ],
)
def test_an_empty_or_over_long_query_is_a_clear_422(catalogue, params, code, title):
    response = Client().get("/api/v1/search", params)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["code"], body["title"], body["field"]) == (code, title, "q")


@pytest.mark.parametrize(
    "params",
    [
        {"q": "户" * 201},
        {"q": "户口", "limit": 0},
        {"q": "户口", "limit": 51},
        {"q": "户口", "level": "9"},
    ],
)
def test_parameters_are_bounded(catalogue, params):
    response = Client().get("/api/v1/search", params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_the_results_page_lists_hits(catalogue):
    response = Client().get("/search/", {"q": "hkqy"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "户口迁移" in page
    assert "找到 1 个事项" in page
    assert "济南市行政审批服务局" in page


def test_the_results_page_explains_a_bad_query_and_no_hits(catalogue):
    page = Client().get("/search/", {"q": "户" * 60}).content.decode()
    assert "搜索词过长：最多 50 个字，请精简后再试。" in page
    page = Client().get("/search/", {"q": "宇宙飞船"}).content.decode()
    assert "没有找到相关事项" in page
    page = Client().get("/search/").content.decode()
    assert "没有找到相关事项" not in page


def test_the_portal_search_box_submits_to_the_results_page(db):
    page = Client().get("/").content.decode()
    assert 'action="/search/"' in page
