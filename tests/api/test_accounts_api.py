"""The accounts API: organisation tree, applicants (with masking), role grants, tokens."""

from __future__ import annotations

from typing import get_args

import pytest
from django.test import Client

from quanban.accounts import services
from quanban.accounts.models import ApiToken, LegalEntity, NaturalPerson, OrgUnit, RoleAssignment
from quanban.accounts.roles import Role
from quanban.api.auth import token_hash
from quanban.api.routers.accounts import OrgUnitKind, RoleCode
from quanban.core.models import AuditRecord
from tests import factories
from tests.api.clients import bearer

PROBLEM = "application/problem+json"
ID_NUMBER = factories.valid_id_number()  # 370102199001011231


def test_literal_types_match_the_model_choices():
    assert list(get_args(OrgUnitKind)) == list(OrgUnit.Kind.values)
    assert list(get_args(RoleCode)) == list(Role.values)


# --- Organisation tree ------------------------------------------------------------------------


def test_org_units_are_public_and_filterable(city):
    client = Client()
    response = client.get("/api/v1/org/units", {"kind": "department"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [u["name"] for u in body["items"]] == ["济南市行政审批服务局", "济南市市场监督管理局"]
    assert body["items"][0]["uscc"] == city.department.uscc

    children = client.get("/api/v1/org/units", {"parent": city.hall.pk}).json()
    assert [u["id"] for u in children["items"]] == [city.window.pk]

    by_name = client.get("/api/v1/org/units", {"q": "街道"}).json()
    assert [u["id"] for u in by_name["items"]] == [city.subdistrict.pk]


def test_org_units_paginate_within_bounds(city):
    client = Client()
    page = client.get("/api/v1/org/units", {"limit": 3, "offset": 2}).json()
    assert (page["count"], page["limit"], page["offset"]) == (8, 3, 2)
    assert [u["id"] for u in page["items"]] == [u.pk for u in OrgUnit.objects.order_by("path")[2:5]]
    too_big = client.get("/api/v1/org/units", {"limit": 201})
    assert too_big.status_code == 422
    assert too_big["Content-Type"] == PROBLEM
    assert too_big.json()["errors"][0]["field"] == "limit"


def test_org_unit_detail_and_unknown_id(city):
    client = Client()
    response = client.get(f"/api/v1/org/units/{city.district.pk}")
    assert response.status_code == 200
    assert response.json() == {
        "id": city.district.pk,
        "kind": "district",
        "name": "历下区",
        "short_name": "",
        "parent_id": city.city.pk,
        "division_code": "370102",
        "uscc": "",
        "address": "",
        "phone": "",
        "sort": 0,
    }
    missing = client.get("/api/v1/org/units/999999")
    assert missing.status_code == 404
    assert missing.json()["code"] == "org_unit_not_found"


def test_system_admin_creates_an_org_unit(city):
    admin = factories.make_staff(city, Role.SYSTEM_ADMIN)
    response = Client().post(
        "/api/v1/org/units",
        {"kind": "office", "name": "审批一处", "parent_id": city.department.pk},
        content_type="application/json",
        headers=bearer(admin),
    )
    assert response.status_code == 201
    unit = OrgUnit.objects.get(pk=response.json()["id"])
    assert (unit.kind, unit.name, unit.parent_id) == ("office", "审批一处", city.department.pk)
    assert AuditRecord.objects.filter(action="org_unit.create", object_id=str(unit.pk)).exists()


def test_org_unit_create_refused_without_org_manage(city, clerk):
    before = OrgUnit.objects.count()
    response = Client().post(
        "/api/v1/org/units",
        {"kind": "office", "name": "审批一处", "parent_id": city.department.pk},
        content_type="application/json",
        headers=bearer(clerk),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert OrgUnit.objects.count() == before


def test_org_unit_create_reports_domain_errors(city):
    admin = factories.make_staff(city, Role.SYSTEM_ADMIN)
    response = Client().post(
        "/api/v1/org/units",
        {
            "kind": "community",
            "name": "某社区",
            "parent_id": city.district.pk,
            "division_code": "1",
        },
        content_type="application/json",
        headers=bearer(admin),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "org_parent_kind"
    assert response.json()["field"] == "parent"


# --- Applicants -------------------------------------------------------------------------------


def test_clerk_registers_a_person_and_sees_full_numbers(city, clerk):
    headers = bearer(clerk)
    response = Client().post(
        "/api/v1/applicants/persons",
        {"name": "李四", "id_number": ID_NUMBER, "phone": "13912345678"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["id_number"], body["phone"], body["masked"]) == (ID_NUMBER, "13912345678", False)
    detail = Client().get(f"/api/v1/applicants/persons/{body['id']}", headers=headers).json()
    assert detail["id_number"] == ID_NUMBER


def test_supervisor_reads_persons_masked(city, clerk):
    person = services.person_register(name="李四", id_number=ID_NUMBER, phone="13912345678")
    supervisor = factories.make_staff(city, Role.SUPERVISOR)
    response = Client().get(f"/api/v1/applicants/persons/{person.pk}", headers=bearer(supervisor))
    assert response.status_code == 200
    body = response.json()
    assert body["id_number"] == ID_NUMBER[:4] + "**********" + ID_NUMBER[-4:]
    assert body["phone"] == "139****5678"
    assert body["masked"] is True


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.SECURITY_ADMIN])
def test_administrators_do_not_read_applicants(city, role):
    person = services.person_register(name="李四", id_number=ID_NUMBER)
    admin = (
        factories.security_admin(city)
        if role == Role.SECURITY_ADMIN
        else factories.make_staff(city, role)
    )
    response = Client().get(f"/api/v1/applicants/persons/{person.pk}", headers=bearer(admin))
    assert response.status_code == 403


def test_citizen_reads_own_person_record_masked_but_not_others(city, citizen):
    own = services.person_register(name="张三", id_number=ID_NUMBER, user=citizen)
    other = services.person_register(name="王五", id_number=factories.valid_id_number(seq="456"))
    headers = bearer(citizen)
    assert Client().get(f"/api/v1/applicants/persons/{own.pk}", headers=headers).json()["masked"]
    assert (
        Client().get(f"/api/v1/applicants/persons/{other.pk}", headers=headers).status_code == 403
    )


@pytest.mark.parametrize(
    ("id_number", "code", "position"),
    [
        (ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1"), "id_number_checksum", 18),
        ("37010219900101123A", "id_number_character", None),
        ("3701021990010112", "id_number_length", None),
        ("37010A199001011237", "id_number_character", 6),
    ],
)
def test_invalid_id_numbers_are_422_with_their_code(city, clerk, id_number, code, position):
    before = NaturalPerson.objects.count()
    response = Client().post(
        "/api/v1/applicants/persons",
        {"name": "李四", "id_number": id_number},
        content_type="application/json",
        headers=bearer(clerk),
    )
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert (body["code"], body["field"]) == (code, "id_number")
    if position is not None:
        assert body["position"] == position
    assert NaturalPerson.objects.count() == before


def test_checksum_message_follows_accept_language(city, clerk):
    from django.utils import translation

    bad = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    payload = {"name": "李四", "id_number": bad}
    headers = bearer(clerk)
    zh = Client().post(
        "/api/v1/applicants/persons", payload, content_type="application/json", headers=headers
    )
    en = Client().post(
        "/api/v1/applicants/persons",
        payload,
        content_type="application/json",
        headers={**headers, "Accept-Language": "en"},
    )
    expected = {"expected": ID_NUMBER[-1], "actual": bad[-1]}
    msgid = "公民身份号码校验位不符：第 18 位应为 %(expected)s，实为 %(actual)s。"
    assert zh.json()["title"] == msgid % expected
    assert zh["Content-Language"] == "zh-hans"
    with translation.override("en"):
        assert en.json()["title"] == translation.gettext(msgid) % expected
    assert en["Content-Language"] == "en"


def test_entity_register_and_uscc_errors(city, clerk):
    headers = bearer(clerk)
    good = factories.valid_uscc(77)
    response = Client().post(
        "/api/v1/applicants/entities",
        {
            "name": "济南某某科技有限公司",
            "uscc": good,
            "legal_representative": "赵六",
            "legal_rep_id_number": ID_NUMBER,
        },
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201
    assert response.json()["uscc"] == good
    supervisor = factories.make_staff(city, Role.SUPERVISOR)
    masked = (
        Client()
        .get(f"/api/v1/applicants/entities/{response.json()['id']}", headers=bearer(supervisor))
        .json()
    )
    assert masked["legal_rep_id_number"] == ID_NUMBER[:4] + "**********" + ID_NUMBER[-4:]

    before = LegalEntity.objects.count()
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    for uscc, code in [
        (wrong_check, "uscc_checksum"),
        (good[:9] + "I" + good[10:], "uscc_character"),
    ]:
        bad = Client().post(
            "/api/v1/applicants/entities",
            {"name": "某公司", "uscc": uscc, "legal_representative": "赵六"},
            content_type="application/json",
            headers=headers,
        )
        assert bad.status_code == 422
        assert bad.json()["code"] == code
    assert LegalEntity.objects.count() == before


def test_applicant_write_refused_for_supervisor(city):
    supervisor = factories.make_staff(city, Role.SUPERVISOR)
    response = Client().post(
        "/api/v1/applicants/persons",
        {"name": "李四", "id_number": ID_NUMBER},
        content_type="application/json",
        headers=bearer(supervisor),
    )
    assert response.status_code == 403
    assert NaturalPerson.objects.count() == 0


# --- Roles ------------------------------------------------------------------------------------


def test_security_admin_grants_lists_and_revokes(city):
    secadmin = factories.security_admin(city)
    target = factories.make_staff(city, None)
    headers = bearer(secadmin)
    granted = Client().post(
        "/api/v1/roles",
        {"user_id": target.pk, "role": "reviewer", "org_unit_id": city.department.pk},
        content_type="application/json",
        headers=headers,
    )
    assert granted.status_code == 201
    body = granted.json()
    assert (body["user_id"], body["role"], body["org_unit_id"], body["granted_by_id"]) == (
        target.pk,
        "reviewer",
        city.department.pk,
        secadmin.pk,
    )
    listed = Client().get(f"/api/v1/users/{target.pk}/roles", headers=headers).json()
    assert [(r["role"], r["org_unit_name"]) for r in listed] == [
        ("reviewer", "济南市行政审批服务局")
    ]

    revoked = Client().delete(f"/api/v1/roles/{body['id']}", headers=headers)
    assert revoked.status_code == 204
    assert not RoleAssignment.objects.filter(user=target).exists()


def test_system_admin_cannot_grant_roles(city):
    sysadmin = factories.make_staff(city, Role.SYSTEM_ADMIN)
    target = factories.make_staff(city, None)
    response = Client().post(
        "/api/v1/roles",
        {"user_id": target.pk, "role": "reviewer", "org_unit_id": city.city.pk},
        content_type="application/json",
        headers=bearer(sysadmin),
    )
    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(user=target).exists()


def test_three_role_separation_through_the_api(city):
    secadmin = factories.security_admin(city)
    auditor = factories.make_staff(city, Role.AUDIT_ADMIN)
    before = RoleAssignment.objects.count()
    response = Client().post(
        "/api/v1/roles",
        {"user_id": auditor.pk, "role": "system_admin", "org_unit_id": city.city.pk},
        content_type="application/json",
        headers=bearer(secadmin),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "role_separation"
    self_grant = Client().post(
        "/api/v1/roles",
        {"user_id": secadmin.pk, "role": "reviewer", "org_unit_id": city.city.pk},
        content_type="application/json",
        headers=bearer(secadmin),
    )
    assert self_grant.status_code == 403
    assert self_grant.json()["code"] == "role_self_grant"
    assert RoleAssignment.objects.count() == before


def test_user_roles_visible_to_self_not_to_colleagues(city, clerk):
    colleague = factories.make_staff(city, Role.REVIEWER)
    assert Client().get(f"/api/v1/users/{clerk.pk}/roles", headers=bearer(clerk)).status_code == 200
    other = Client().get(f"/api/v1/users/{colleague.pk}/roles", headers=bearer(clerk))
    assert other.status_code == 403


# --- Tokens -----------------------------------------------------------------------------------


def test_token_is_shown_once_and_works(city, clerk):
    response = Client().post(
        "/api/v1/tokens",
        {"name": "办件系统"},
        content_type="application/json",
        headers=bearer(clerk),
    )
    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert token.token_hash == token_hash(body["token"])
    assert body["token"] not in str(token.__dict__)
    me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["username"] == "clerk"


def test_token_creation_needs_a_caller(db):
    response = Client().post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 401
    assert ApiToken.objects.count() == 0
