"""The licence API and pages over real HTTP requests (Django's test client)."""

from __future__ import annotations

import pytest
from django.test import Client

from quanban.accounts.services import citizen_create
from quanban.core.models import AuditRecord
from quanban.licences.models import Licence
from quanban.licences.services import licence_issue
from tests.api.clients import bearer, session_client
from tests.factories import PASSWORD


@pytest.fixture
def licence(approved_case):
    return licence_issue(case=approved_case, user=None)


@pytest.fixture
def holder(entity):
    """The company's own account (the wallet shows what its person or company holds)."""
    user = citizen_create(phone="13900000001", password=PASSWORD, display_name="王五")
    entity.user = user
    entity.save(update_fields=["user"])
    return user


def test_the_verify_api_needs_no_login_and_masks(licence):
    response = Client().get(f"/api/v1/licences/verify/{licence.identifier}")
    assert response.status_code == 200
    body = response.json()
    assert (body["result"], body["label"], body["identifier"]) == (
        "valid",
        "有效",
        licence.identifier,
    )
    assert body["licence_type"] == "食品经营许可证"
    assert body["holder_name"] == "济南示例餐饮有限公司"
    assert body["valid_until"] == "2031-06-14"
    assert [f["label"] for f in body["fields"]] == ["经营者名称", "经营场所", "主体业态"]


def test_the_verify_api_says_tampered_and_shows_nothing(licence):
    Licence.objects.filter(pk=licence.pk).update(
        canonical=licence.canonical.replace("王五", "王六")
    )
    body = Client().get(f"/api/v1/licences/verify/{licence.identifier}").json()
    assert (body["result"], body["detail"], body["holder_name"], body["fields"]) == (
        "tampered",
        "signature_mismatch",
        None,
        [],
    )


def test_the_verify_api_answers_unknown_for_a_wrong_check_character(licence):
    wrong = licence.identifier[:-1] + ("A" if licence.identifier[-1] != "A" else "B")
    body = Client().get(f"/api/v1/licences/verify/{wrong}").json()
    assert (body["result"], body["detail"]) == ("unknown", "licence_identifier_check")


def test_an_approver_revokes_over_the_api_and_verification_says_so(licence, approver):
    headers = bearer(approver)
    client = Client()
    got = client.get(f"/api/v1/licences/{licence.pk}", headers=headers)
    assert got.status_code == 200 and got["ETag"] == '"1"'
    response = client.post(
        f"/api/v1/licences/{licence.pk}/revoke",
        data={"reason": "申请人申请注销"},
        content_type="application/json",
        headers={**headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["row_version"]) == ("revoked", 2)
    body = Client().get(f"/api/v1/licences/verify/{licence.identifier}").json()
    assert (body["result"], body["status_reason"]) == ("revoked", "申请人申请注销")


def test_a_stale_if_match_changes_nothing(licence, approver):
    response = Client().post(
        f"/api/v1/licences/{licence.pk}/suspend",
        data={"reason": "整改"},
        content_type="application/json",
        headers={**bearer(approver), "If-Match": '"5"'},
    )
    assert response.status_code == 412
    assert Licence.objects.get(pk=licence.pk).status == "valid"


def test_renew_over_the_api(licence, approver):
    response = Client().post(
        f"/api/v1/licences/{licence.pk}/renew",
        data={"reason": "换发", "changes": {"经营场所": "新址"}},
        content_type="application/json",
        headers=bearer(approver),
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["version"], body["data"]["经营场所"], body["status"]) == (2, "新址", "valid")
    assert Licence.objects.get(pk=licence.pk).status == "superseded"


def test_a_clerk_gets_not_found_and_nothing_changes(licence, clerk):
    response = Client().post(
        f"/api/v1/licences/{licence.pk}/revoke",
        data={"reason": "注销"},
        content_type="application/json",
        headers=bearer(clerk),
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert Licence.objects.get(pk=licence.pk).status == "valid"


def test_the_holder_lists_and_shares_over_the_api(licence, holder, citizen):
    listed = Client().get("/api/v1/my/licences", headers=bearer(holder))
    assert [row["identifier"] for row in listed.json()] == [licence.identifier]
    assert Client().get("/api/v1/my/licences", headers=bearer(citizen)).json() == []
    shared = Client().post(
        f"/api/v1/my/licences/{licence.pk}/share",
        data={"hours": 24},
        content_type="application/json",
        headers=bearer(holder),
    )
    assert shared.status_code == 201
    assert shared.json()["expires_at"] == "2026-06-16T02:00:00Z"
    page = Client().get(shared.json()["url"].removeprefix("http://testserver"))
    assert page.status_code == 200
    assert "法定代表人（负责人）" in page.content.decode()  # all fields, not only the public ones
    other = Client().post(
        f"/api/v1/my/licences/{licence.pk}/share",
        data={"hours": 24},
        content_type="application/json",
        headers=bearer(citizen),
    )
    assert other.status_code == 404
    assert AuditRecord.objects.filter(action="licence.share").count() == 1


def test_the_public_page_by_qr_link_and_by_pdf(licence, holder):
    page = Client().get("/verify/", {"id": licence.identifier})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-result="valid"' in html and "有效" in html
    pdf = session_client(holder).get(f"/my/licences/{licence.pk}/licence.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("licence.pdf", pdf.content, content_type="application/pdf")
    posted = Client().post("/verify/", {"id": "", "pdf": upload})
    assert 'data-result="valid"' in posted.content.decode()


def test_the_wallet_shows_the_holders_licences_only(licence, holder, citizen):
    own = session_client(holder).get("/my/licences/").content.decode()
    assert licence.identifier in own
    assert licence.identifier not in session_client(citizen).get("/my/licences/").content.decode()
    assert session_client(citizen).get(f"/my/licences/{licence.pk}/licence.pdf").status_code == 404


def test_a_share_link_from_the_wallet(licence, holder):
    client = session_client(holder)
    response = client.post(f"/my/licences/{licence.pk}/share/", {"hours": "1"})
    assert response.status_code == 302
    wallet = client.get("/my/licences/").content.decode()
    assert 'id="share-link"' in wallet
    assert Client().get("/verify/s/not-a-token/").status_code == 404
