"""The issuing department's licence pages (证照管理): the list, a licence's page, and the status
changes behind its forms, over Django's test client; the case page links to its licence."""

from __future__ import annotations

import re

import pytest

from quanban.accounts import services as accounts
from quanban.core.models import AuditRecord
from quanban.licences.models import Licence
from quanban.licences.services import licence_issue
from tests import factories
from tests.api.clients import session_client


@pytest.fixture
def licence(approved_case):
    return licence_issue(case=approved_case, user=None)


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_an_approver_lists_the_departments_licences_and_finds_one(licence, approver):
    client = session_client(approver)
    html = page_of(client, "/workbench/licences/")
    assert f'id="licence-{licence.pk}"' in html and licence.identifier in html
    assert "共 1 张证照" in html
    # By identifier, by the holder's code, by the case number; a status filter that excludes it.
    for query in (licence.identifier, licence.holder_code, licence.case.number):
        assert f'id="licence-{licence.pk}"' in page_of(client, f"/workbench/licences/?q={query}")
    assert "共 0 张证照" in page_of(client, "/workbench/licences/?status=revoked")
    assert "证照管理" in page_of(client, "/workbench/")


def test_the_licence_page_shows_fields_versions_and_the_actions_its_status_allows(
    licence, approver
):
    html = page_of(session_client(approver), f"/workbench/licences/{licence.pk}/")
    assert licence.identifier in html and "济南市历下区泉城路 1 号" in html
    # A valid licence may be suspended, revoked or renewed; not reinstated.
    actions = re.findall(r'action="/workbench/licences/\d+/(\w+)/"', html)
    assert actions == ["suspend", "revoke", "renew"]
    assert 'id="licence-status">有效<' in html


def test_suspending_from_the_page_shows_at_verification_at_once(licence, approver):
    client = session_client(approver)
    response = client.post(
        f"/workbench/licences/{licence.pk}/suspend/",
        {"suspend-reason": "责令整改期间暂停", "suspend-version": licence.row_version},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/workbench/licences/{licence.pk}/"
    licence.refresh_from_db()
    assert (licence.status, licence.status_reason, licence.row_version) == (
        "suspended",
        "责令整改期间暂停",
        2,
    )
    html = page_of(client, response["Location"])
    assert "证照已暂停。" in html
    assert re.findall(r'action="/workbench/licences/\d+/(\w+)/"', html) == ["reinstate", "revoke"]
    assert "责令整改期间暂停" in html.split('id="licence-history"')[1]
    verify = page_of(client, f"/verify/?id={licence.identifier}")
    assert "已暂停" in verify
    assert (
        AuditRecord.objects.filter(action="licence.suspend", object_id=str(licence.pk)).count() == 1
    )


def test_renewing_from_the_page_goes_to_the_new_version(licence, approver):
    client = session_client(approver)
    response = client.post(
        f"/workbench/licences/{licence.pk}/renew/",
        {"renew-reason": "有效期届满换发", "renew-version": licence.row_version},
    )
    renewed = Licence.objects.get(previous=licence)
    assert response["Location"] == f"/workbench/licences/{renewed.pk}/"
    assert (renewed.version, renewed.status) == (2, "valid")
    html = page_of(client, response["Location"])
    assert f'href="/workbench/licences/{licence.pk}/">第 1 版</a>' in html


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"revoke-reason": "", "revoke-version": 1}, "这个字段是必填项。"),
        ({"revoke-reason": "注销", "revoke-version": 7}, "刷新"),
    ],
    ids=["no reason", "stale version"],
)
def test_a_refused_change_says_why_and_changes_nothing(licence, approver, form, message):
    before = AuditRecord.objects.count()
    response = session_client(approver).post(f"/workbench/licences/{licence.pk}/revoke/", form)
    assert response.status_code == 400
    assert message in response.content.decode()
    licence.refresh_from_db()
    assert (licence.status, licence.row_version) == ("valid", 1)
    assert AuditRecord.objects.count() == before


def test_a_change_its_status_does_not_allow_is_refused(licence, approver):
    response = session_client(approver).post(
        f"/workbench/licences/{licence.pk}/reinstate/",
        {"reinstate-reason": "恢复", "reinstate-version": 1},
    )
    assert response.status_code == 400
    assert "证照当前状态为“有效”，不能执行此操作。" in response.content.decode()
    assert Licence.objects.get(pk=licence.pk).status == "valid"


def test_staff_who_may_not_manage_it_get_nothing_and_change_nothing(licence, city, clerk):
    client = session_client(clerk)
    assert client.get("/workbench/licences/").status_code == 403
    assert client.get(f"/workbench/licences/{licence.pk}/").status_code == 404
    response = client.post(
        f"/workbench/licences/{licence.pk}/revoke/",
        {"revoke-reason": "注销", "revoke-version": 1},
    )
    assert response.status_code == 404
    assert Licence.objects.get(pk=licence.pk).status == "valid"
    # An approver of another department sees an empty list and not this licence.
    other = factories.make_staff(
        city,
        factories.Role.APPROVER,
        username="approver-elsewhere",
        scope=accounts.org_unit_create(
            kind="department",
            name="济南市卫生健康委员会",
            uscc=factories.valid_uscc(51),
            parent=city.city,
        ),
    )
    other_client = session_client(other)
    assert "共 0 张证照" in page_of(other_client, "/workbench/licences/")
    assert other_client.get(f"/workbench/licences/{licence.pk}/").status_code == 404


def test_the_case_page_links_to_its_licence(licence, approver, clerk):
    case_url = f"/workbench/cases/{licence.case_id}/"
    html = page_of(session_client(approver), case_url)
    assert f'href="/workbench/licences/{licence.pk}/"' in html
    # The clerk may see the case but not manage the licence: the public verification link only.
    clerk_html = page_of(session_client(clerk), case_url)
    assert f'href="/workbench/licences/{licence.pk}/"' not in clerk_html
    assert f"/verify/?id={licence.identifier}" in clerk_html
