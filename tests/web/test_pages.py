"""The page shell: portal, workbench, hall screen, audit trail page, language switch."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from quanban.accounts.roles import Role
from quanban.core.errors import PermissionDenied
from quanban.core.models import AuditRecord
from quanban.core.selectors import audit_list_for_user
from tests import factories

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    client.post("/login/", {"username": user.username, "password": factories.PASSWORD})
    response = client.post("/login/verify/", {"code": factories.totp_code(user)})
    assert response.status_code == 302, response.content.decode()


def text(response):
    return response.content.decode()


def test_portal_home_has_search_and_categories(client):
    response = client.get("/")
    assert response.status_code == 200
    html = text(response)
    assert '<html lang="zh-hans">' in html
    assert 'role="search"' in html and '<label for="portal-search">搜索办事事项</label>' in html
    assert "按主题办事" in html and "企业开办" in html
    assert 'href="#main"' in html  # skip link


def test_hall_screen_needs_no_login(client):
    response = client.get("/screens/hall/")
    assert response.status_code == 200
    assert "正在叫号" in text(response) and 'class="screen"' in text(response)


def test_workbench_sends_anonymous_visitors_to_login(client):
    response = client.get("/workbench/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/workbench/"


def test_workbench_refuses_a_citizen(client, citizen):
    client.force_login(citizen)
    response = client.get("/workbench/")
    assert response.status_code == 403
    assert "此页面仅供工作人员使用。" in text(response)


def test_workbench_refuses_staff_who_skipped_the_second_factor(client, clerk):
    client.force_login(clerk)  # a session without OTP verification
    response = client.get("/workbench/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/workbench/"


def test_workbench_navigation_follows_permissions(client, city):
    auditor = factories.make_staff(city, Role.AUDIT_ADMIN, username="auditor")
    sign_in(client, auditor)
    html = text(client.get("/workbench/"))
    assert 'href="/workbench/audit/"' in html and "审计管理员" in html
    assert "办件" not in html

    other = client.__class__()
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, username="clerk2")
    sign_in(other, clerk)
    html = text(other.get("/workbench/"))
    assert 'href="/workbench/audit/"' not in html
    assert "办件" in html and "即将开放" in html


def test_staff_without_workbench_permission_get_403(client, city):
    nobody = factories.make_staff(city, None, username="norole")
    sign_in(client, nobody)
    response = client.get("/workbench/")
    assert response.status_code == 403 and "您没有访问此页面的权限。" in text(response)


def test_audit_page_lists_and_filters_records_for_the_audit_administrator(client, city):
    auditor = factories.make_staff(city, Role.AUDIT_ADMIN, username="auditor")
    sign_in(client, auditor)
    response = client.get("/workbench/audit/")
    assert response.status_code == 200
    html = text(response)
    total = AuditRecord.objects.count()
    assert f"共 {total} 条记录" in html
    assert "org_unit.create" in html and "role.bootstrap" in html

    response = client.get("/workbench/audit/", {"action": "role.bootstrap"})
    expected = AuditRecord.objects.filter(action="role.bootstrap").count()
    assert f"共 {expected} 条记录" in text(response)
    assert "org_unit.create</code>" not in text(response)

    response = client.get("/workbench/audit/", {"action": "org_unit.", "result": "ok"})
    assert f"共 {AuditRecord.objects.filter(action='org_unit.create').count()} 条记录" in text(
        response
    )


def test_audit_page_paginates(client, city):
    auditor = factories.make_staff(city, Role.AUDIT_ADMIN, username="auditor")
    for n in range(55):
        factories.make_citizen(phone=f"139{n:08d}")
    sign_in(client, auditor)
    first = text(client.get("/workbench/audit/"))
    assert "第 1 / 2 页" in first and 'rel="next"' in first
    second = text(client.get("/workbench/audit/", {"page": 2}))
    assert "第 2 / 2 页" in second and 'rel="prev"' in second


def test_system_administrator_gets_403_on_the_audit_page(client, city):
    sysadmin = factories.make_staff(city, Role.SYSTEM_ADMIN, username="sysadmin")
    sign_in(client, sysadmin)
    response = client.get("/workbench/audit/")
    assert response.status_code == 403
    assert "您没有访问此页面的权限。" in text(response)
    assert "role.bootstrap" not in text(response)


def test_audit_selector_refuses_without_audit_view(city):
    sysadmin = factories.make_staff(city, Role.SYSTEM_ADMIN, username="sysadmin")
    with pytest.raises(PermissionDenied) as caught:
        audit_list_for_user(sysadmin)
    assert caught.value.code == "audit_forbidden"


def test_audit_selector_filters(city):
    auditor = factories.make_staff(city, Role.AUDIT_ADMIN, username="auditor")
    department = city.department
    records = audit_list_for_user(
        auditor, object_type="accounts.orgunit", object_id=str(department.pk)
    )
    assert [(r.action, r.object_id) for r in records] == [("org_unit.create", str(department.pk))]
    assert list(audit_list_for_user(auditor, actor="nobody-like-this")) == []
    assert audit_list_for_user(auditor, result="denied").count() == 0


def test_audit_selector_date_range_uses_city_days(city):
    auditor = factories.make_staff(city, Role.AUDIT_ADMIN, username="auditor")
    # 2026-03-01 23:30 in Shanghai is 15:30 UTC the same day.
    with time_machine.travel(dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC), tick=False):
        factories.make_citizen(phone="13700000001")
    day = dt.date(2026, 3, 1)
    found = audit_list_for_user(auditor, date_from=day, date_to=day)
    assert [r.action for r in found] == ["user.create"]
    assert (
        audit_list_for_user(
            auditor, date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 2)
        ).count()
        == 0
    )


def test_language_switch_turns_the_page_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = text(client.get("/"))
    assert '<html lang="en">' in html
    assert "Search services" in html
    assert "搜索办事事项" not in html
