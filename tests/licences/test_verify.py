"""Verification: valid, suspended, revoked, superseded, expired, unknown, tampered; the status
services with their permissions; rotation; PDFs; share links."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import time_machine
from pypdf import PdfReader

from quanban.core.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationFailed
from quanban.core.models import AuditRecord
from quanban.licences import seals, selectors
from quanban.licences.models import Licence
from quanban.licences.pdf import licence_pdf
from quanban.licences.services import (
    licence_issue,
    licence_reinstate,
    licence_renew,
    licence_revoke,
    licence_share_create,
    licence_suspend,
)
from tests import factories
from tests.licences.conftest import SHANGHAI, decided_case


@pytest.fixture
def licence(approved_case):
    return licence_issue(case=approved_case, user=None)


def _state(licence: Licence) -> tuple[str, str, int]:
    row = Licence.objects.get(pk=licence.pk)
    return row.status, row.status_reason, row.row_version


def test_a_fresh_licence_verifies_valid(licence):
    result = selectors.licence_verify(licence.identifier)
    assert (result.result, result.detail, result.licence) == ("valid", "", licence)
    view = selectors.public_view(result)
    assert view["holder_name"] == "济南示例餐饮有限公司"  # an entity's name is public
    assert view["fields"] == [
        ("经营者名称", "济南示例餐饮有限公司"),
        ("经营场所", "济南市历下区泉城路 1 号"),
        ("主体业态", "餐饮服务经营者（小型餐饮）"),
    ]


def test_a_person_holders_name_and_number_are_masked(city, clerk, person, seal_key, work_calendar):
    from quanban.licences.services import licence_type_create
    from tests.catalogue import helpers
    from tests.licences.conftest import decided_case

    licence_type_create(
        code=city.department.uscc + "002",
        name="健康证明",
        defining_body="济南市卫生健康委员会",
        defining_department=city.department,
        holder_kind="111",
        fields_schema={
            "type": "object",
            "properties": {"姓名": {"type": "string", "x-source": "holder.name"}},
        },
        validity_years=None,
    )
    version = helpers.published(
        city.department,
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
        result_licence_type="健康证明",
    )
    licence = licence_issue(case=decided_case(clerk, version, person, city.window), user=None)
    view = selectors.public_view(selectors.licence_verify(licence.identifier))
    assert view["holder_name"] == "李*"
    assert view["holder_code"] == person.id_number[:4] + "**********" + person.id_number[-4:]
    assert view["fields"] == []  # nothing marked public
    assert licence.valid_until is None  # permanent


def test_one_changed_byte_of_the_stored_data_says_tampered(licence):
    canonical = licence.canonical.replace("泉城路 1 号", "泉城路 2 号")
    assert len(canonical.encode()) == len(licence.canonical.encode())
    Licence.objects.filter(pk=licence.pk).update(canonical=canonical)
    result = selectors.licence_verify(licence.identifier)
    assert (result.result, result.detail) == ("tampered", "signature_mismatch")
    assert "holder_name" not in selectors.public_view(result)


def test_a_changed_column_beside_intact_signed_data_says_tampered(licence):
    data = {**licence.data, "经营场所": "别处"}
    Licence.objects.filter(pk=licence.pk).update(data=data)
    result = selectors.licence_verify(licence.identifier)
    assert (result.result, result.detail) == ("tampered", "columns_mismatch")


def test_a_changed_signature_says_tampered(licence):
    signature = seals.unb64(licence.signature)
    forged = seals.b64(signature[:-1] + bytes([signature[-1] ^ 1]))
    Licence.objects.filter(pk=licence.pk).update(signature=forged)
    assert selectors.licence_verify(licence.identifier).result == "tampered"


def test_unknown_and_malformed_identifiers(licence):
    published = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
    assert (
        selectors.licence_verify(published).result,
        selectors.licence_verify(published).detail,
    ) == (
        "unknown",
        "not_found",
    )
    wrong_check = licence.identifier[:-1] + ("A" if licence.identifier[-1] != "A" else "B")
    result = selectors.licence_verify(wrong_check)
    assert (result.result, result.detail) == ("unknown", "licence_identifier_check")
    result = selectors.licence_verify("garbage")
    assert (result.result, result.detail) == ("unknown", "licence_identifier_invalid")
    assert (
        selectors.identifier_from_link("http://testserver/verify/?id=" + licence.identifier)
        == licence.identifier
    )


def test_expired_after_the_last_day(licence):
    assert licence.valid_until == dt.date(2031, 6, 14)
    with time_machine.travel(dt.datetime(2031, 6, 14, 23, 0, tzinfo=SHANGHAI)):
        assert selectors.licence_verify(licence.identifier).result == "valid"
    with time_machine.travel(dt.datetime(2031, 6, 15, 0, 30, tzinfo=SHANGHAI)):
        assert selectors.licence_verify(licence.identifier).result == "expired"


def test_suspend_reinstate_revoke_show_at_verification_at_once(licence, approver):
    suspended = licence_suspend(licence=licence, user=approver, reason="经营场所整改中")
    assert selectors.licence_verify(licence.identifier).result == "suspended"
    assert _state(licence) == ("suspended", "经营场所整改中", 2)
    licence_reinstate(licence=suspended, user=approver, reason="整改完成")
    assert selectors.licence_verify(licence.identifier).result == "valid"
    licence_revoke(licence=licence, user=approver, reason="申请人申请注销", expected_version=3)
    result = selectors.licence_verify(licence.identifier)
    assert result.result == "revoked"
    assert selectors.public_view(result)["status_reason"] == "申请人申请注销"
    assert list(
        AuditRecord.objects.filter(object_type="licences.licence", object_id=str(licence.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    ) == ["licence.issue", "licence.suspend", "licence.reinstate", "licence.revoke"]


def test_a_revoked_licence_cannot_be_revoked_again_or_renewed(licence, approver):
    licence_revoke(licence=licence, user=approver, reason="注销")
    for service in (licence_revoke, licence_suspend, licence_renew):
        with pytest.raises(Conflict) as raised:
            service(licence=licence, user=approver, reason="再次")
        assert raised.value.code == "licence_status_conflict"
    assert _state(licence) == ("revoked", "注销", 2)


def test_a_stale_version_changes_nothing(licence, approver):
    with pytest.raises(StaleEdit):
        licence_revoke(licence=licence, user=approver, reason="注销", expected_version=7)
    assert _state(licence) == ("valid", "", 1)


def test_a_reason_is_required(licence, approver):
    with pytest.raises(ValidationFailed) as raised:
        licence_revoke(licence=licence, user=approver, reason="  ")
    assert raised.value.code == "reason_required"
    assert _state(licence) == ("valid", "", 1)


@pytest.mark.parametrize("role", ["window_clerk", "reviewer", "supervisor"])
def test_others_may_not_change_a_licence(licence, city, role):
    user = factories.make_staff(city, role, scope=city.department)
    with pytest.raises(PermissionDenied):
        licence_revoke(licence=licence, user=user, reason="注销")
    assert _state(licence) == ("valid", "", 1)


def test_an_approver_of_another_department_may_not(licence, city):
    user = factories.make_staff(city, factories.Role.APPROVER, scope=city.other_department)
    with pytest.raises(PermissionDenied):
        licence_suspend(licence=licence, user=user, reason="暂停")
    with pytest.raises(NotFound):
        selectors.licence_get_for_staff(user=user, licence_id=licence.pk)
    assert _state(licence) == ("valid", "", 1)


def test_renewal_is_a_new_sealed_version_and_supersedes_the_old(licence, approver):
    with time_machine.travel(dt.datetime(2027, 3, 1, 9, 0, tzinfo=SHANGHAI)):
        renewed = licence_renew(
            licence=licence,
            user=approver,
            reason="经营场所变更",
            changes={"经营场所": "济南市市中区经四路 5 号"},
        )
        assert renewed.version == 2
        assert renewed.serial == licence.serial
        assert renewed.identifier.rsplit(".", 2)[1] == "002"
        assert renewed.previous == licence
        assert renewed.data["经营场所"] == "济南市市中区经四路 5 号"
        assert (renewed.valid_from, renewed.valid_until) == (
            dt.date(2027, 3, 1),
            dt.date(2032, 2, 29),
        )
        assert selectors.licence_verify(renewed.identifier).result == "valid"
        old = selectors.licence_verify(licence.identifier)
        assert old.result == "superseded"
        assert selectors.public_view(old)["superseded_by"] == renewed.identifier
        assert (
            selectors.public_view(selectors.licence_verify(renewed.identifier))["superseded_by"]
            is None
        )


def test_renewal_refuses_fields_the_type_does_not_have(licence, approver):
    with pytest.raises(ValidationFailed) as raised:
        licence_renew(licence=licence, user=approver, reason="变更", changes={"颜色": "红"})
    assert raised.value.code == "licence_data_invalid"
    assert Licence.objects.count() == 1
    assert _state(licence) == ("valid", "", 1)


def test_rotation_keeps_old_licences_verifiable(licence, city):
    new_key = seals.seal_key_create(department_code=city.department.uscc)
    assert new_key.key_id != licence.seal_key_id
    keys = seals.seal_keys_list(department_code=city.department.uscc)
    assert sorted((k.key_id, k.current) for k in keys) == sorted(
        [(licence.seal_key_id, False), (new_key.key_id, True)]
    )
    assert selectors.licence_verify(licence.identifier).result == "valid"


def test_ed25519_is_the_configurable_alternative(
    city, settings, clerk, instant_version, entity, seal_store, work_calendar
):
    settings.LICENCE_SEAL_ALGORITHM = "ed25519"
    key = seals.seal_key_create(department_code=city.department.uscc)
    assert key.key_id.startswith("ed25519-")
    case = decided_case(clerk, instant_version, entity, city.window)
    licence = licence_issue(case=case, user=None)  # issued with the result; the same one
    assert (licence.seal_algorithm, licence.seal_key_id) == ("ed25519", key.key_id)
    assert selectors.licence_verify(licence.identifier).result == "valid"


def test_the_private_key_file_is_the_owners_only(seal_key, seal_store, city):
    path = seal_store / city.department.uscc / f"{seal_key.key_id}.key"
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_pdf_carries_fields_link_and_seal(licence):
    content = licence_pdf(licence, base_url="http://testserver")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    link = "http://testserver/verify/?id=" + licence.identifier
    assert link in text.replace("\n", "")
    assert "济南市历下区泉城路 1 号" in text
    assert reader.metadata.subject == licence.identifier
    assert selectors.licence_verify_pdf(content).result == "valid"


def test_an_uploaded_pdf_with_another_seal_says_tampered(licence):
    content = licence_pdf(licence, base_url="http://testserver")
    Licence.objects.filter(pk=licence.pk).update(
        signature=licence.signature[:-4]
        + ("AAAA" if not licence.signature.endswith("AAAA") else "BBBB")
    )
    assert selectors.licence_verify_pdf(content).result == "tampered"
    assert selectors.licence_verify_pdf(b"%PDF-1.4 nothing").detail == "no_seal_in_pdf"
    assert selectors.licence_verify_pdf(b"hello").detail == "not_a_licence_pdf"


def test_a_share_link_shows_the_licence_until_it_expires(licence, citizen):
    token, expires = licence_share_create(licence=licence, user=citizen, hours=2)
    assert expires == dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)
    assert selectors.licence_share_read(token) == licence
    with (
        time_machine.travel(dt.datetime(2026, 6, 15, 12, 1, tzinfo=SHANGHAI)),
        pytest.raises(NotFound),
    ):
        selectors.licence_share_read(token)
    with pytest.raises(NotFound):
        selectors.licence_share_read(token[:-2] + "xx")
    assert AuditRecord.objects.filter(action="licence.share").count() == 1


def test_the_canonical_form_is_what_is_signed(licence):
    body = json.loads(licence.canonical)
    assert licence.canonical == json.dumps(
        body, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    assert sorted(body) == [
        "data",
        "holder",
        "identifier",
        "issued_at",
        "issuer",
        "serial",
        "type",
        "v",
        "valid_from",
        "valid_until",
        "version",
    ]
