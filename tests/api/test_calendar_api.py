"""/api/v1/calendar: public working-day arithmetic and schedules; corrections by editors."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from quanban.api.auth import token_create
from quanban.core.models import AuditRecord, CalendarDay, CalendarYear
from tests import factories

BASE = "/api/v1/calendar"


@pytest.fixture
def client() -> Client:
    return Client()


def bearer(user) -> dict[str, str]:
    _token, clear = token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": "Bearer " + clear}


def problem(response) -> dict:
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize(
    ("date", "days", "result"),
    [
        ("2026-02-13", 0, "2026-02-13"),
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 2, "2026-02-24"),
        ("2026-09-30", 3, "2026-10-10"),
        ("2025-09-30", 1, "2025-10-09"),
        ("2025-12-31", 1, "2026-01-04"),
    ],
)
def test_add(work_calendar, client, date, days, result):
    response = client.get(BASE + "/add", {"date": date, "days": days})
    assert response.status_code == 200
    assert response.json() == {"date": date, "days": days, "result": result}


def test_count(work_calendar, client):
    response = client.get(BASE + "/count", {"start": "2026-02-13", "end": "2026-02-28"})
    assert response.status_code == 200
    assert response.json() == {"start": "2026-02-13", "end": "2026-02-28", "working_days": 6}
    back = client.get(BASE + "/count", {"start": "2026-02-28", "end": "2026-02-13"})
    assert back.json()["working_days"] == -6


def test_year_lists_holidays_and_make_up_days(work_calendar, client):
    response = client.get(BASE + "/years/2026")
    assert response.status_code == 200
    body = response.json()
    assert (body["year"], body["source"]) == (2026, "chinesecalendar")
    days = {d["date"]: (d["kind"], d["name"], d["is_workday"]) for d in body["days"]}
    assert days["2026-01-04"] == ("makeup_workday", "元旦", True)
    assert days["2026-02-14"] == ("makeup_workday", "春节", True)
    assert days["2026-02-28"] == ("makeup_workday", "春节", True)
    assert days["2026-09-20"] == ("makeup_workday", "国庆节", True)
    assert days["2026-10-10"] == ("makeup_workday", "国庆节", True)
    assert [d for d, v in days.items() if v[:2] == ("holiday", "春节")] == [
        f"2026-02-{n}" for n in range(15, 24)
    ]
    assert len([v for v in days.values() if v[0] == "holiday"]) == 33
    assert len([v for v in days.values() if v[0] == "makeup_workday"]) == 6
    assert list(days) == sorted(days)


@pytest.mark.parametrize(
    ("url", "params", "year"),
    [
        ("/add", {"date": "2026-12-31", "days": 1}, 2027),
        ("/add", {"date": "2003-06-01", "days": 1}, 2003),
        ("/add", {"date": "9999-12-31", "days": 3650}, 9999),
        ("/count", {"start": "2026-12-01", "end": "2027-01-31"}, 2027),
        ("/count", {"start": "0001-01-01", "end": "9999-12-31"}, 1),
        ("/years/2027", {}, 2027),
        ("/years/2003", {}, 2003),
    ],
)
def test_uncovered_years_are_a_problem_naming_the_year(work_calendar, client, url, params, year):
    response = client.get(BASE + url, params)
    assert response.status_code == 422
    body = problem(response)
    assert body["code"] == "calendar_year_not_covered"
    assert str(year) in body["title"]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/add", {"date": "2026-02-30", "days": 1}),
        ("/add", {"date": "tomorrow", "days": 1}),
        ("/add", {"date": "2026-02-13", "days": -1}),
        ("/add", {"date": "2026-02-13", "days": 3651}),
        ("/add", {"date": "2026-02-13", "days": 10**30}),
        ("/add", {"date": "2026-02-13"}),
        ("/count", {"start": "2026-02-13"}),
        ("/years/0", {}),
        ("/years/10000", {}),
        ("/years/abc", {}),
    ],
)
def test_bad_input_is_a_4xx_problem(work_calendar, client, url, params):
    response = client.get(BASE + url, params)
    assert response.status_code in (400, 404, 422)
    assert problem(response)["status"] == response.status_code


# --- corrections --------------------------------------------------------------------------------


@pytest.fixture
def calendar_admin(city):
    return factories.make_staff(city, factories.Role.SYSTEM_ADMIN, username="sysadmin")


def put_day(client, date, body, **headers):
    return client.put(
        BASE + "/days/" + date, data=json.dumps(body), content_type="application/json", **headers
    )


def test_a_calendar_editor_corrects_a_day(work_calendar, client, calendar_admin):
    assert client.get(BASE + "/add", {"date": "2026-02-27", "days": 2}).json()["result"] == (
        "2026-03-02"
    )
    response = put_day(
        client, "2026-03-02", {"is_workday": False, "name": "特别休假"}, **bearer(calendar_admin)
    )
    assert response.status_code == 200
    assert response.json() == {
        "date": "2026-03-02",
        "is_workday": False,
        "kind": "holiday",
        "name": "特别休假",
    }
    assert client.get(BASE + "/add", {"date": "2026-02-27", "days": 2}).json()["result"] == (
        "2026-03-03"
    )
    record = AuditRecord.objects.order_by("-seq").first()
    assert record is not None
    assert (record.action, record.object_id, record.actor_id, record.channel) == (
        "calendar_day.set",
        "2026-03-02",
        calendar_admin.pk,
        "api",
    )


def _unchanged_state():
    return (
        CalendarDay.objects.values().get(date="2026-03-02"),
        CalendarYear.objects.values().get(year=2026),
        AuditRecord.objects.filter(action="calendar_day.set").count(),
    )


def test_anonymous_callers_cannot_correct_a_day(work_calendar, client):
    before = _unchanged_state()
    response = put_day(client, "2026-03-02", {"is_workday": False})
    assert response.status_code == 401
    assert problem(response)["code"] == "unauthenticated"
    assert _unchanged_state() == before


def test_staff_without_calendar_edit_cannot_correct_a_day(work_calendar, client, clerk):
    before = _unchanged_state()
    response = put_day(client, "2026-03-02", {"is_workday": False}, **bearer(clerk))
    assert response.status_code == 403
    assert problem(response)["code"] == "forbidden"
    assert _unchanged_state() == before


@pytest.mark.parametrize(
    ("date", "body", "status", "code"),
    [
        ("2027-01-04", {"is_workday": False}, 422, "calendar_year_not_covered"),
        ("2026-03-02", {"is_workday": True, "name": "x"}, 422, "calendar_name_not_applicable"),
        ("2026-03-02", {"is_workday": False, "name": "假" * 65}, 422, "invalid_request"),
        ("2026-03-02", {"name": "假"}, 422, "invalid_request"),
        ("2026-02-30", {"is_workday": False}, 422, "invalid_request"),
    ],
)
def test_bad_corrections_are_refused(
    work_calendar, client, calendar_admin, date, body, status, code
):
    headers = bearer(calendar_admin)
    before = _unchanged_state()
    response = put_day(client, date, body, **headers)
    assert response.status_code == status
    assert problem(response)["code"] == code
    assert _unchanged_state() == before


def test_the_openapi_schema_documents_the_calendar(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(p for p in paths if p.startswith(BASE)) == {
        BASE + "/add",
        BASE + "/count",
        BASE + "/years/{year}",
        BASE + "/days/{date}",
    }
    params = {p["name"]: p for p in paths[BASE + "/add"]["get"]["parameters"]}
    assert params["days"]["schema"]["maximum"] == 3650
    assert params["days"]["schema"]["minimum"] == 0
