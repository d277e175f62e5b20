"""Intake: receive, accept (with its number), the one-time supplement notice, refusal."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases import services
from quanban.cases.models import Case, CaseMaterial, CaseNumberCounter, Channel
from quanban.catalogue.models import ItemVersion
from quanban.core import clock
from quanban.core.errors import Conflict, PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from tests import factories
from tests.catalogue import helpers

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_1 = dt.datetime(2026, 11, 27, 9, 30, tzinfo=SHANGHAI)
# 00:30 local on the 28th is still the 27th in UTC: the local day decides.
DAY_2 = dt.datetime(2026, 11, 28, 0, 30, tzinfo=SHANGHAI)


def seqs(case: Case, *, received: bool | None = None) -> list[int]:
    rows = CaseMaterial.objects.filter(case=case)
    if received is not None:
        rows = rows.filter(received=received)
    return list(rows.order_by("material__seq").values_list("material__seq", flat=True))


def material_ids(version: ItemVersion, *seq: int) -> list[int]:
    return list(version.materials.filter(seq__in=seq).values_list("pk", flat=True))


def receive(clerk, version, applicant, *, answers=None, ticks=(), **kwargs) -> Case:
    return services.case_receive(
        user=clerk,
        item_version=version,
        applicant=applicant,
        channel=kwargs.pop("channel", Channel.OFFLINE_ONE_WINDOW),
        answers=answers or {},
        received_material_ids=material_ids(version, *ticks),
        **kwargs,
    )


def state_of(case: Case) -> tuple[str, str | None, int]:
    case.refresh_from_db()
    return case.state, case.number, case.version


# --- Receive --------------------------------------------------------------------------------------


def test_receive_builds_the_applicants_own_list_with_the_ticks(
    city, clerk, person, situational_version
):
    case = receive(
        clerk,
        situational_version,
        person,
        answers={1: 1},
        ticks=(1, 3),
        window=city.window,
    )
    assert case.state == Case.State.RECEIVED
    assert case.number is None
    assert case.first_responder == clerk
    assert case.window == city.window
    assert case.person == person and case.entity is None
    assert case.channel == "8"
    assert case.answers == {"1": 1}
    assert case.version == 1
    assert seqs(case) == [1, 2, 3, 4]
    assert seqs(case, received=True) == [1, 3]
    record = AuditRecord.objects.get(action="case.receive")
    assert record.object_id == str(case.pk)
    assert record.changes["received_materials"] == material_ids(situational_version, 1, 3)


def test_receive_without_the_situation_leaves_its_material_out(clerk, entity, situational_version):
    case = receive(clerk, situational_version, entity, answers={1: 2})
    assert case.entity == entity and case.person is None
    assert seqs(case) == [1, 2, 4]
    assert seqs(case, received=True) == []


def test_receive_refuses_an_unpublished_version(city, clerk, person):
    draft = helpers.draft(city.department)
    with pytest.raises(Conflict) as caught:
        receive(clerk, draft, person)
    assert caught.value.code == "version_not_published"
    assert Case.objects.count() == 0


def test_receive_refuses_a_tick_not_on_the_list(clerk, person, situational_version):
    with pytest.raises(ValidationFailed) as caught:
        receive(clerk, situational_version, person, answers={1: 2}, ticks=(3,))
    assert caught.value.code == "material_not_in_list"
    assert (Case.objects.count(), CaseMaterial.objects.count()) == (0, 0)


def test_receive_needs_business_permission(city, person, version):
    supervisor = factories.make_staff(city, Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        receive(supervisor, version, person)
    assert Case.objects.count() == 0
    assert not AuditRecord.objects.filter(action="case.receive").exists()


def test_a_case_has_exactly_one_applicant(clerk, person, entity, version):
    case = receive(clerk, version, person)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(entity=entity)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(person=None)


# --- Accept and the case number ----------------------------------------------------------------


def test_accept_numbers_per_local_day(clerk, person, version):
    with time_machine.travel(DAY_1, tick=False):
        first = receive(clerk, version, person, ticks=(1,))
        second = receive(clerk, version, person, ticks=(1,))
        third = receive(clerk, version, person, ticks=(1,))
        services.case_accept(user=clerk, case=first)
        services.case_accept(user=clerk, case=second)
    with time_machine.travel(DAY_2, tick=False):
        services.case_accept(user=clerk, case=third)
    assert state_of(first) == ("accepted", "370100-20261127-000001", 2)
    assert state_of(second) == ("accepted", "370100-20261127-000002", 2)
    assert state_of(third) == ("accepted", "370100-20261128-000001", 2)
    assert first.accepted_at == DAY_1
    assert first.accepted_by == clerk
    assert list(CaseNumberCounter.objects.order_by("day").values_list("day", "last")) == [
        (dt.date(2026, 11, 27), 2),
        (dt.date(2026, 11, 28), 1),
    ]
    assert AuditRecord.objects.filter(action="case.accept").count() == 3


def test_any_clerk_accepts_an_item_of_another_department(city, clerk, person, situational_version):
    # The clerk belongs to the first department; the item is the other department's.
    assert clerk.department != situational_version.item.implementing_department
    case = receive(clerk, situational_version, person, answers={1: 2}, ticks=(1, 2))
    with time_machine.travel(DAY_1, tick=False):
        services.case_accept(user=clerk, case=case)
    # An optional material (4) never holds acceptance up.
    assert state_of(case) == ("accepted", "370100-20261127-000001", 2)


def test_accept_with_missing_materials_lists_them_all_and_changes_nothing(
    clerk, person, situational_version
):
    case = receive(clerk, situational_version, person, answers={1: 1}, ticks=(2,))
    with pytest.raises(ValidationFailed) as caught:
        services.case_accept(user=clerk, case=case)
    assert caught.value.code == "materials_missing"
    assert [m["seq"] for m in caught.value.extra["missing"]] == [1, 3]
    assert str(caught.value) == "以下材料尚未收取，不能受理：食品经营许可申请书、授权委托书"
    assert state_of(case) == ("received", None, 1)
    assert CaseNumberCounter.objects.count() == 0
    assert seqs(case, received=True) == [2]
    assert not AuditRecord.objects.filter(action="case.accept").exists()


def test_accept_twice_is_refused_by_the_transition_table(clerk, person, version):
    case = receive(clerk, version, person, ticks=(1,))
    with time_machine.travel(DAY_1, tick=False):
        services.case_accept(user=clerk, case=case)
        with pytest.raises(Conflict) as caught:
            services.case_accept(user=clerk, case=case)
    assert caught.value.code == "case_state"
    assert state_of(case) == ("accepted", "370100-20261127-000001", 2)
    assert CaseNumberCounter.objects.get().last == 1


# --- The one-time supplement notice -------------------------------------------------------------


def test_supplement_names_every_missing_material_at_once_then_accepts(
    clerk, person, situational_version
):
    case = receive(clerk, situational_version, person, answers={1: 1}, ticks=(2,))
    with time_machine.travel(DAY_1, tick=False):
        notice = services.case_request_supplement(user=clerk, case=case)
    assert [(m["seq"], m["name"]) for m in notice["missing"]] == [
        (1, "食品经营许可申请书"),
        (3, "授权委托书"),
    ]
    assert notice["applicant_name"] == "李四"
    assert notice["item_name"] == "食品经营许可"
    assert state_of(case) == ("pending_supplement", None, 2)
    assert case.supplement_notice == notice
    assert case.supplement_requested_at == DAY_1

    # Never a second notice.
    with pytest.raises(Conflict) as caught:
        services.case_request_supplement(user=clerk, case=case)
    assert caught.value.code == "case_state"
    assert state_of(case) == ("pending_supplement", None, 2)

    with time_machine.travel(DAY_1, tick=False):
        services.case_accept(
            user=clerk, case=case, received_material_ids=material_ids(situational_version, 1, 3)
        )
    assert state_of(case) == ("accepted", "370100-20261127-000001", 3)
    assert seqs(case, received=True) == [1, 2, 3]


def test_supplement_with_nothing_missing_is_refused(clerk, person, version):
    case = receive(clerk, version, person, ticks=(1,))
    with pytest.raises(Conflict) as caught:
        services.case_request_supplement(user=clerk, case=case)
    assert caught.value.code == "nothing_missing"
    assert state_of(case) == ("received", None, 1)
    assert case.supplement_notice == {}


# --- Refusal (不予受理) -----------------------------------------------------------------------------

REFUSAL = {
    "reason": "申请事项不属于本机关职权范围",
    "legal_basis": "《中华人民共和国行政许可法》第三十二条第一款第（二）项",
    "guidance": "请向历下区市场监督管理局申请（历下区解放路 1 号）",
}


@pytest.mark.parametrize("missing", ["reason", "legal_basis", "guidance"])
def test_refusal_without_all_three_is_refused_and_nothing_changes(clerk, person, version, missing):
    case = receive(clerk, version, person)
    with pytest.raises(ValidationFailed) as caught:
        services.case_refuse(user=clerk, case=case, **{**REFUSAL, missing: "  "})
    assert (caught.value.code, caught.value.field) == ("refusal_incomplete", missing)
    assert state_of(case) == ("received", None, 1)
    assert (case.refused_reason, case.refused_legal_basis, case.refused_guidance) == ("", "", "")
    assert case.refused_at is None
    assert not AuditRecord.objects.filter(action="case.refuse").exists()


def test_refusal_with_reason_basis_and_guidance(clerk, person, version):
    case = receive(clerk, version, person)
    with time_machine.travel(DAY_1, tick=False):
        services.case_refuse(user=clerk, case=case, **REFUSAL)
    assert state_of(case) == ("refused", None, 2)
    assert case.refused_reason == REFUSAL["reason"]
    assert case.refused_legal_basis == REFUSAL["legal_basis"]
    assert case.refused_guidance == REFUSAL["guidance"]
    assert case.refused_at == DAY_1
    assert AuditRecord.objects.get(action="case.refuse").changes["guidance"] == REFUSAL["guidance"]
    # A refused case goes nowhere.
    with pytest.raises(Conflict) as caught:
        services.case_accept(user=clerk, case=case)
    assert caught.value.code == "case_state"
    assert state_of(case) == ("refused", None, 2)


def test_refusing_an_accepted_case_is_refused(clerk, person, version):
    case = receive(clerk, version, person, ticks=(1,))
    with time_machine.travel(DAY_1, tick=False):
        services.case_accept(user=clerk, case=case)
    with pytest.raises(Conflict) as caught:
        services.case_refuse(user=clerk, case=case, **REFUSAL)
    assert caught.value.code == "case_state"
    assert state_of(case) == ("accepted", "370100-20261127-000001", 2)
    assert case.refused_reason == ""


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_acceptances_get_twenty_consecutive_numbers():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises whole-database writes")
    city = factories.make_city()
    clerk = factories.make_staff(city, Role.WINDOW_CLERK)
    person = accounts.person_register(name="李四", id_number=factories.valid_id_number())
    version = helpers.published(city.department)
    cases = [receive(clerk, version, person, ticks=(1,)) for _ in range(20)]
    barrier = threading.Barrier(len(cases))
    errors: list[BaseException] = []

    def accept(case: Case) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            services.case_accept(user=clerk, case=case)
        except Exception as error:  # reported below, not swallowed
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=accept, args=(case,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    numbers = sorted(Case.objects.values_list("number", flat=True))
    prefix = f"370100-{clock.today():%Y%m%d}-"
    assert numbers == [f"{prefix}{n:06d}" for n in range(1, 21)]
    assert CaseNumberCounter.objects.get().last == 20
    assert set(Case.objects.values_list("state", flat=True)) == {"accepted"}
