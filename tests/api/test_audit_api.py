"""The audit trail over the API: the audit administrator reads it, nobody else does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from quanban.accounts import services
from quanban.accounts.roles import Role
from quanban.core.models import AuditRecord
from tests import factories
from tests.api.clients import bearer


@pytest.fixture
def auditor(city):
    return factories.make_staff(city, Role.AUDIT_ADMIN)


def test_audit_admin_lists_newest_first(city, auditor):
    headers = bearer(auditor)
    response = Client().get("/api/v1/audit/", {"limit": 2}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    newest = list(AuditRecord.objects.order_by("-seq")[:2])
    assert body["count"] == AuditRecord.objects.count()
    assert [r["seq"] for r in body["items"]] == [r.seq for r in newest]
    assert body["items"][0]["hash"] == newest[0].hash


def test_audit_filters(city, auditor):
    headers = bearer(auditor)
    person = services.person_register(name="李四", id_number=factories.valid_id_number())
    by_action = (
        Client().get("/api/v1/audit/", {"action": "person.register"}, headers=headers).json()
    )
    assert [(r["object_type"], r["object_id"]) for r in by_action["items"]] == [
        ("accounts.naturalperson", str(person.pk))
    ]
    # Personal numbers in the recorded changes are masked.
    assert by_action["items"][0]["changes"]["id_number"][1] == "3701**********1231"

    by_object = (
        Client()
        .get(
            "/api/v1/audit/",
            {"object_type": "accounts.orgunit", "object_id": str(city.window.pk)},
            headers=headers,
        )
        .json()
    )
    assert [r["action"] for r in by_object["items"]] == ["org_unit.create"]

    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert Client().get("/api/v1/audit/", {"since": future}, headers=headers).json()["count"] == 0
    everything = Client().get("/api/v1/audit/", {"until": future}, headers=headers).json()
    assert everything["count"] == AuditRecord.objects.count()
    none = Client().get("/api/v1/audit/", {"result": "denied"}, headers=headers).json()
    assert none["count"] == AuditRecord.objects.filter(result="denied").count()


def test_audit_rejects_out_of_range_dates(auditor):
    response = Client().get(
        "/api/v1/audit/", {"since": "0001-01-01T00:00:00+08:00"}, headers=bearer(auditor)
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.WINDOW_CLERK, Role.SUPERVISOR])
def test_others_may_not_read_the_trail(city, role):
    user = factories.make_staff(city, role)
    response = Client().get("/api/v1/audit/", headers=bearer(user))
    assert response.status_code == 403
    assert response.json()["code"] == "audit_forbidden"


def test_security_admin_may_not_read_the_trail(city):
    response = Client().get("/api/v1/audit/", headers=bearer(factories.security_admin(city)))
    assert response.status_code == 403


def test_anonymous_gets_401(db):
    response = Client().get("/api/v1/audit/")
    assert response.status_code == 401
