"""Issuing a licence from an approved case: identifier, data, seal, idempotency, refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from quanban.cases.models import Case
from quanban.core.errors import Conflict
from quanban.core.models import AuditRecord
from quanban.licences import seals
from quanban.licences.canonical import canonical_bytes
from quanban.licences.identifiers import parse_identifier
from quanban.licences.models import Licence
from quanban.licences.services import licence_issue
from tests.licences.conftest import decided_case


def test_an_approved_case_issues_a_sealed_licence(approved_case, city, entity, food_type, seal_key):
    licence = licence_issue(case=approved_case, user=None)

    serial = "20260000001"
    parsed = parse_identifier(licence.identifier)
    assert (parsed.type_code, parsed.issuer_code, parsed.serial, parsed.version) == (
        city.department.uscc + "001",
        city.department.uscc,
        serial,
        1,
    )
    assert licence.licence_type == food_type
    assert licence.issuer == city.department
    assert (licence.holder_kind, licence.holder_name, licence.holder_code) == (
        "001",
        "济南示例餐饮有限公司",
        entity.uscc,
    )
    assert licence.entity == entity and licence.person is None
    assert licence.data == {
        "经营者名称": "济南示例餐饮有限公司",
        "法定代表人": "王五",
        "经营场所": "济南市历下区泉城路 1 号",
        "主体业态": "餐饮服务经营者（小型餐饮）",
        "经营项目": "预包装食品（含冷藏冷冻食品）销售；热食类食品制售",
    }
    assert (licence.valid_from, licence.valid_until) == (dt.date(2026, 6, 15), dt.date(2031, 6, 14))
    assert licence.status == Licence.Status.VALID
    body = json.loads(licence.canonical)
    assert body["identifier"] == licence.identifier
    assert body["holder"] == {"kind": "001", "name": "济南示例餐饮有限公司", "code": entity.uscc}
    assert body["issued_at"] == "2026-06-15T02:00:00+00:00"
    assert canonical_bytes(body) == licence.canonical.encode()
    assert licence.digest == seals.sm3_hex(licence.canonical.encode())
    assert (licence.seal_algorithm, licence.seal_key_id) == ("sm2", seal_key.key_id)
    seal = seals.Seal("sm2", seal_key.key_id, licence.signature)
    assert seals.seal_verify(
        department_code=city.department.uscc, seal=seal, data=licence.canonical.encode()
    )
    record = AuditRecord.objects.get(action="licence.issue")
    assert record.object_id == str(licence.pk)
    assert record.changes["case"] == approved_case.pk


def test_issuing_twice_returns_the_same_licence(approved_case):
    first = licence_issue(case=approved_case, user=None)
    second = licence_issue(case=approved_case, user=None)
    assert second.pk == first.pk
    assert Licence.objects.count() == 1
    assert AuditRecord.objects.filter(action="licence.issue").count() == 1


def test_serials_count_up_per_issuer_type_and_year(
    city, clerk, instant_version, entity, seal_key, work_calendar
):
    first = licence_issue(case=decided_case(clerk, instant_version, entity, city.window), user=None)
    second = licence_issue(
        case=decided_case(clerk, instant_version, entity, city.window), user=None
    )
    assert (first.serial, second.serial) == ("20260000001", "20260000002")


def test_a_rejected_case_issues_nothing(
    city, clerk, instant_version, entity, seal_key, work_calendar
):
    case = decided_case(clerk, instant_version, entity, city.window, decision="reject")
    with pytest.raises(Conflict) as raised:
        licence_issue(case=case, user=None)
    assert raised.value.code == "licence_case_not_approved"
    assert Licence.objects.count() == 0


def test_a_case_still_in_review_issues_nothing(
    city, clerk, instant_version, entity, seal_store, work_calendar
):
    # Finished before the department had its seal: no licence came with the result.
    case = decided_case(clerk, instant_version, entity, city.window)
    assert Licence.objects.count() == 0
    seals.seal_key_create(department_code=city.department.uscc)
    Case.objects.filter(pk=case.pk).update(state=Case.State.ACCEPTED)
    case.refresh_from_db()
    with pytest.raises(Conflict) as raised:
        licence_issue(case=case, user=None)
    assert raised.value.code == "licence_case_not_approved"
    assert Licence.objects.count() == 0


def test_a_person_cannot_hold_an_entity_licence(
    city, clerk, instant_version, person, seal_key, work_calendar
):
    case = decided_case(clerk, instant_version, person, city.window)
    with pytest.raises(Conflict) as raised:
        licence_issue(case=case, user=None)
    assert raised.value.code == "licence_holder_mismatch"
    assert Licence.objects.count() == 0


def test_an_item_naming_no_known_type_issues_nothing(
    city, clerk, entity, seal_key, food_type, work_calendar
):
    from tests.catalogue import helpers

    version = helpers.published(
        city.department,
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
        result_licence_type="不存在的证",
    )
    case = decided_case(clerk, version, entity, city.window)
    with pytest.raises(Conflict) as raised:
        licence_issue(case=case, user=None)
    assert raised.value.code == "licence_type_unknown"
    assert Licence.objects.count() == 0


def test_missing_required_fields_are_refused(
    city, clerk, instant_version, entity, seal_key, work_calendar
):
    from quanban.core.errors import ValidationFailed

    case = decided_case(
        clerk, instant_version, entity, city.window, form={"经营场所": "泉城路 1 号"}
    )
    with pytest.raises(ValidationFailed) as raised:
        licence_issue(case=case, user=None)
    assert raised.value.code == "licence_data_invalid"
    assert Licence.objects.count() == 0


def test_without_a_seal_key_nothing_is_issued(city, clerk, instant_version, entity, work_calendar):
    case = decided_case(clerk, instant_version, entity, city.window)
    with pytest.raises(Conflict) as raised:
        licence_issue(case=case, user=None)
    assert raised.value.code == "seal_key_missing"
    assert Licence.objects.count() == 0


def test_the_instance_counts_not_the_row(approved_case):
    """Inside the case runtime the decision may be set on the instance and not written yet."""
    from quanban.licences.services import licence_due

    Case.objects.filter(pk=approved_case.pk).update(state=Case.State.ACCEPTED, decision="")
    assert licence_due(approved_case)
    licence = licence_issue(case=approved_case, user=None)
    assert licence.case_id == approved_case.pk


def test_licence_due_only_for_an_approval_of_an_item_naming_a_licence(approved_case):
    from quanban.licences.services import licence_due

    approved_case.decision = Case.Decision.REJECT
    assert not licence_due(approved_case)
    approved_case.decision = Case.Decision.PARTIAL
    assert licence_due(approved_case)
    approved_case.item_version.result_licence_type = " "
    assert not licence_due(approved_case)


def test_the_result_brings_its_licence_and_a_refusal_is_recorded_not_blocking(
    city, clerk, instant_version, entity, seal_store, work_calendar
):
    # No seal key yet: the applicant still gets the result; the refusal is in the audit trail.
    case = decided_case(clerk, instant_version, entity, city.window)
    assert (case.state, Licence.objects.count()) == ("finished", 0)
    refused = AuditRecord.objects.get(action="licence.issue")
    assert (refused.result, refused.object_id, refused.changes["code"]) == (
        "failed",
        str(case.pk),
        "seal_key_missing",
    )
    # With the key, the next result comes with its licence at once.
    seals.seal_key_create(department_code=city.department.uscc)
    second = decided_case(clerk, instant_version, entity, city.window)
    assert list(Licence.objects.values_list("case_id", flat=True)) == [second.pk]
