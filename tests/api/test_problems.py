"""Every error path of the API answers RFC 9457 problem+json in the request's language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from quanban.accounts.models import ApiToken, NaturalPerson
from tests import factories
from tests.api.clients import bearer, session_client

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"https://quanban.example/problems/{code}"
    assert body["instance"] == response.wsgi_request.path
    assert body["title"]
    return body


@pytest.mark.parametrize(
    "path", ["/api/v1/", "/api/v1/no-such-thing", "/api/v1/health/", "/api/v2/health", "/api/"]
)
def test_unknown_api_urls_are_problem_404(db, path):
    assert_problem(Client().get(path), 404, "not_found")


def test_wrong_method_is_problem_405(db):
    body = assert_problem(Client().delete("/api/v1/health"), 405, "method_not_allowed")
    assert body["allowed"] == ["GET"]


def test_unauthenticated_is_problem_401(db):
    assert_problem(Client().get("/api/v1/me"), 401, "unauthenticated")
    bad_token = Client().get("/api/v1/me", headers={"Authorization": "Bearer qb_nonsense"})
    assert_problem(bad_token, 401, "unauthenticated")


def test_forbidden_is_problem_403(clerk):
    response = Client().get(f"/api/v1/users/{clerk.pk + 1000}/roles", headers=bearer(clerk))
    assert_problem(response, 403, "forbidden")


def test_validation_error_is_problem_422_listing_fields(clerk):
    response = Client().post(
        "/api/v1/applicants/persons",
        {"name": "", "id_number": 5},
        content_type="application/json",
        headers=bearer(clerk),
    )
    body = assert_problem(response, 422, "invalid_request")
    assert sorted(e["field"] for e in body["errors"]) == ["id_number", "name"]


def test_malformed_json_is_problem_400(clerk):
    response = Client().post(
        "/api/v1/applicants/persons",
        "{not json",
        content_type="application/json",
        headers=bearer(clerk),
    )
    assert_problem(response, 400, "malformed_body")
    assert NaturalPerson.objects.count() == 0


def test_problem_titles_follow_accept_language(db):
    zh = Client().get("/api/v1/me", headers={"Accept-Language": "zh-hans"})
    en = Client().get("/api/v1/me", headers={"Accept-Language": "en"})
    assert zh.json()["title"] == "请先登录或提供有效的接口令牌。"
    with translation.override("en"):
        assert en.json()["title"] == translation.gettext("请先登录或提供有效的接口令牌。")
    assert (zh["Content-Language"], en["Content-Language"]) == ("zh-hans", "en")


def test_staff_session_without_second_factor_is_not_authenticated(city):
    user = factories.make_staff(city, with_totp=False)
    client = Client()
    client.force_login(user)
    assert_problem(client.get("/api/v1/me"), 401, "unauthenticated")


def test_session_reads_work_without_csrf(clerk):
    client = session_client(clerk, enforce_csrf=True)
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "clerk"


def test_session_writes_need_csrf(clerk):
    client = session_client(clerk, enforce_csrf=True)
    refused = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert_problem(refused, 403, "csrf_failed")
    assert ApiToken.objects.count() == 0

    client.get("/login/")  # a page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"]
    accepted = client.post(
        "/api/v1/tokens",
        {"name": "x"},
        content_type="application/json",
        headers={"X-CSRFToken": token.value},
    )
    assert accepted.status_code == 201
    assert ApiToken.objects.count() == 1


def test_bearer_writes_need_no_csrf(clerk):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/tokens", {"name": "x"}, content_type="application/json", headers=bearer(clerk)
    )
    assert response.status_code == 201


def test_anonymous_unsafe_request_is_401_not_csrf(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert_problem(response, 401, "unauthenticated")


def test_nul_characters_are_refused_in_bodies_and_queries(city, work_calendar):
    from quanban.accounts.roles import Role
    from quanban.core.models import CalendarDay

    admin = factories.make_staff(city, Role.SYSTEM_ADMIN)
    day = CalendarDay.objects.filter(date="2026-03-02").values_list("is_workday", "name").first()
    # A router whose schema does not forbid NUL itself is covered by the parser.
    response = Client().put(
        "/api/v1/calendar/days/2026-03-02",
        {"is_workday": False, "name": "国庆\x00节"},
        content_type="application/json",
        headers=bearer(admin),
    )
    body = assert_problem(response, 422, "invalid_character")
    assert body["field"] == "name"
    assert (
        CalendarDay.objects.filter(date="2026-03-02").values_list("is_workday", "name").first()
        == day
    )
    query = Client().get("/api/v1/calendar/add", {"date": "2026-01-05\x00", "days": "1"})
    assert_problem(query, 422, "invalid_character")
