"""Registry queries: always logged (who, when, registry, key hashed and masked, case, purpose),
refused without a purpose or a right to ask, and shown masked to staff who may not unmask."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quanban.accounts import services as accounts
from quanban.core.audit import sm3_hex
from quanban.core.errors import PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from quanban.datahub.models import RegistryQuery
from quanban.datahub.services import registry_query
from tests import factories
from tests.api.clients import session_client

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = dt.datetime(2026, 6, 15, 12, 0, tzinfo=SHANGHAI)


def masked(id_number: str) -> str:
    return id_number[:4] + "*" * 10 + id_number[-4:]


def test_a_query_is_logged_with_who_when_key_and_purpose(clerk, person_record):
    with time_machine.travel(NOON, tick=False):
        answer = registry_query(
            user=clerk,
            registry="population",
            key=person_record.id_number,
            purpose="核对申请人户籍",
        )
    query = answer.query
    assert answer.record == person_record
    assert (
        query.registry,
        query.key_hash,
        query.key_masked,
        query.found,
        query.person_record,
        query.entity_record,
        query.user,
        query.user_name,
        query.case,
        query.purpose,
        query.at,
    ) == (
        "population",
        sm3_hex(person_record.id_number.encode()),
        masked(person_record.id_number),
        True,
        person_record,
        None,
        clerk,
        clerk.display_name,
        None,
        "核对申请人户籍",
        NOON,
    )
    record = AuditRecord.objects.get(action="registry.query")
    assert record.changes == {
        "registry": "population",
        "key": masked(person_record.id_number),
        "found": True,
        "case": None,
        "purpose": "核对申请人户籍",
    }
    assert person_record.id_number not in str(record.changes)


def test_a_miss_is_logged_too_and_a_credit_code_is_kept_in_full(clerk, entity_record):
    answer = registry_query(
        user=clerk, registry="legal_entity", key=factories.valid_uscc(78), purpose="核对企业"
    )
    assert (answer.record, answer.query.found, answer.query.key_masked) == (
        None,
        False,
        factories.valid_uscc(78),
    )
    found = registry_query(
        user=clerk, registry="legal_entity", key=entity_record.uscc.lower(), purpose="核对企业"
    )
    assert (found.record, found.query.entity_record) == (entity_record, entity_record)
    assert RegistryQuery.objects.count() == 2


@pytest.mark.parametrize(
    ("registry", "purpose", "code"),
    [
        ("population", "  ", "purpose_required"),
        ("population", "x" * 201, "purpose_too_long"),
        ("credit", "核对", "registry_unknown"),
    ],
)
def test_bad_input_is_refused_and_logs_nothing(clerk, person_record, registry, purpose, code):
    with pytest.raises(ValidationFailed) as caught:
        registry_query(user=clerk, registry=registry, key=person_record.id_number, purpose=purpose)
    assert caught.value.code == code
    assert RegistryQuery.objects.count() == 0
    assert not AuditRecord.objects.filter(action="registry.query").exists()


def test_an_applicant_may_look_up_only_themselves(citizen, person_record):
    accounts.person_register(name="张三", id_number=person_record.id_number, user=citizen)
    citizen.refresh_from_db()
    own = registry_query(
        user=citizen, registry="population", key=person_record.id_number, purpose="网上申报"
    )
    assert own.record == person_record
    with pytest.raises(PermissionDenied):
        registry_query(
            user=citizen,
            registry="population",
            key=factories.valid_id_number(seq="456"),
            purpose="网上申报",
        )
    assert RegistryQuery.objects.count() == 1


def test_staff_without_casework_may_not_query(city, person_record):
    supervisor = factories.make_staff(city, factories.Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        registry_query(
            user=supervisor, registry="population", key=person_record.id_number, purpose="核对"
        )
    assert RegistryQuery.objects.count() == 0


def test_the_lookup_page_masks_the_id_for_staff_without_the_unmask_permission(
    city, clerk, person_record
):
    # A data officer handles business but may not see full ID numbers.
    officer = factories.make_staff(city, factories.Role.DATA_OFFICER)
    form = {"registry": "population", "key": person_record.id_number, "purpose": "核对户籍"}
    page = session_client(officer).post("/workbench/registries/", form).content.decode()
    assert masked(person_record.id_number) in page and "张*" in page
    assert person_record.id_number not in page and "张三" not in page
    assert "山东省济南市历下区泉城路 1 号" in page
    full = session_client(clerk).post("/workbench/registries/", form).content.decode()
    assert person_record.id_number in full and "张三" in full
    assert list(RegistryQuery.objects.order_by("pk").values_list("user", "purpose")) == [
        (officer.pk, "核对户籍"),
        (clerk.pk, "核对户籍"),
    ]


def test_the_lookup_page_refuses_without_a_purpose_and_logs_nothing(clerk, person_record):
    form = {"registry": "population", "key": person_record.id_number, "purpose": ""}
    response = session_client(clerk).post("/workbench/registries/", form)
    assert response.status_code == 200
    assert "张三" not in response.content.decode()
    assert RegistryQuery.objects.count() == 0
