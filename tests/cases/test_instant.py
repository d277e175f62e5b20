"""秒批 in the runtime: an online submission decided inside its own transaction, or handed to a person.

The conftest travels to 2026-06-15. The applicants are born in 1940 (86) and 1990 (36).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases import services
from quanban.cases.models import Case, Task
from quanban.catalogue import rules
from quanban.core.errors import ValidationFailed
from quanban.notify.models import OutboxMessage
from tests import factories
from tests.catalogue import helpers

KEY = "elderly-allowance-test"


@pytest.fixture(autouse=True)
def _compiled_rules_reset():
    yield
    rules.rule_set_cache_clear()


@pytest.fixture
def instant_version(city):
    rules.rule_set_create(
        user=None,
        key=KEY,
        name="高龄津贴",
        content=rules.decision_table(
            name="高龄津贴",
            columns=(
                ("age", "年龄", "applicant.age"),
                ("division", "户籍地", "applicant.division_code"),
            ),
            rules=(
                rules.Rule("under-80", "reject", "未满八十周岁。", {"age": "< 80"}),
                rules.Rule(
                    "eligible",
                    "approve",
                    "年满八十周岁且户籍在济南市，符合条件。",
                    {"age": ">= 80", "division": 'startsWith($, "3701")'},
                ),
            ),
        ),
    )
    return helpers.published(
        city.department,
        name="高龄津贴申领",
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
        process={"kind": "instant_rule", "instant_rule_set": KEY},
        result_name="高龄津贴发放决定",
    )


def citizen_with_person(phone: str, birth: str, region: str = "370102"):
    account = factories.make_citizen(phone)
    accounts.person_register(
        name="申请人",
        id_number=factories.valid_id_number(region=region, birth=birth, seq="222"),
        phone=phone,
        user=account,
    )
    account.refresh_from_db()
    return account


def test_the_rules_approve_and_the_result_goes_out_at_once(instant_version):
    account = citizen_with_person("13905319001", "19400301")
    # The item's one required material, uploaded online.
    material = instant_version.materials.get()
    case = services.case_submit_online(
        user=account,
        item_version=instant_version,
        answers={},
        channel="2",
        files={material.pk: SimpleUploadedFile("申请书.pdf", b"%PDF-1.4 demo")},
    )
    case.refresh_from_db()
    assert (case.state, case.decision, case.decided_by, case.delivery) == (
        "finished",
        "approve",
        None,
        "electronic",
    )
    assert case.number is not None and case.accepted_by is None
    assert case.decision_reason == "年满八十周岁且户籍在济南市，符合条件。"
    assert case.decision_legal_basis == f"秒批规则 {KEY} 第 1 版"
    outcome = dict(case.instant_outcome)
    assert outcome.pop("elapsed_ms") >= 0
    outcome.pop("decided_at")
    assert outcome == {
        "rule_set": KEY,
        "rule_set_version": 1,
        "rule": "eligible",
        "decision": "approve",
        "reason": "年满八十周岁且户籍在济南市，符合条件。",
        "inputs": {
            "applicant": {"kind": "person", "age": 86, "division_code": "370102"},
            "form": {},
        },
    }
    assert Task.objects.filter(case=case).count() == 0
    # One message: the final state, not three.
    assert list(OutboxMessage.objects.filter(channel="sms").values_list("body", flat=True)) == [
        f"【全办】您的办件 {case.number} 已办结，结果已电子送达。"
    ]


def test_the_rules_reject_with_their_reason(instant_version):
    account = citizen_with_person("13905319002", "19900301")
    material = instant_version.materials.get()
    case = services.case_submit_online(
        user=account,
        item_version=instant_version,
        answers={},
        files={material.pk: SimpleUploadedFile("申请书.pdf", b"%PDF-1.4 demo")},
    )
    case.refresh_from_db()
    assert (case.state, case.decision, case.decision_reason) == (
        "finished",
        "reject",
        "未满八十周岁。",
    )


def test_when_no_rule_fits_a_person_decides(city, instant_version):
    # Born in Qingdao (3702): neither row matches, so an approver gets the case.
    account = citizen_with_person("13905319003", "19400301", region="370202")
    material = instant_version.materials.get()
    case = services.case_submit_online(
        user=account,
        item_version=instant_version,
        answers={},
        files={material.pk: SimpleUploadedFile("申请书.pdf", b"%PDF-1.4 demo")},
    )
    case.refresh_from_db()
    assert (case.state, case.decision, case.instant_outcome["decision"]) == ("accepted", "", None)
    assert list(Task.objects.filter(case=case).values_list("step", "state")) == [
        ("approve", "open")
    ]
    approver = factories.make_staff(city, Role.APPROVER, scope=city.department)
    task = Task.objects.get(case=case)
    services.task_complete(
        user=approver, task=task, outcome="approve", opinion="人工核实户籍后准予"
    )
    case.refresh_from_db()
    assert (case.state, case.decided_by) == ("decided", approver)


def test_an_incomplete_online_submission_waits_for_a_clerk(instant_version):
    account = citizen_with_person("13905319004", "19400301")
    case = services.case_submit_online(user=account, item_version=instant_version, answers={})
    case.refresh_from_db()
    assert (case.state, case.number, case.instant_outcome) == ("received", None, {})
    assert case.submitted_by == account and case.first_responder is None


def test_a_staff_account_cannot_submit_online(city, instant_version):
    clerk = factories.make_staff(city, Role.WINDOW_CLERK)
    with pytest.raises(ValidationFailed) as error:
        services.case_submit_online(user=clerk, item_version=instant_version, answers={})
    assert error.value.code == "applicant_account_required"
    assert Case.objects.count() == 0
