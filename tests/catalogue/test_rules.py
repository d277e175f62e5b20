"""秒批 rules (quanban.catalogue.rules): what a rule set decides, and when a person decides instead.

Every outcome is checked whole: the decision, the rule that fired, the reason the applicant reads and
the inputs as the rules saw them. The rules' speed is measured by bench/rules.py, not here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
from typing import Any

import pytest

from quanban.catalogue import rules
from quanban.catalogue.demo_data import INSTANT_RULE_SETS, demo_rule_sets_load
from quanban.catalogue.models import InstantRuleSet
from quanban.catalogue.rules import RuleOutcome, rule_outcome, rule_set_compiled, rule_set_create
from quanban.core.errors import NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _compiled_rules_reset():
    """Each test's database rolls back; the rules compiled from it must go with it."""
    yield
    rules.rule_set_cache_clear()


KEY = "test-elderly-allowance"
NO_RULE = "您的申请不在自动审批规则的适用情形内，已转由工作人员审核。"
CANNOT = "自动审批暂时无法判定您的申请，已转由工作人员审核。"
APPROVED = "年满八十周岁且户籍在济南市，符合条件。"
UNDER_80 = "未满八十周岁。"
NO_BIRTH_DATE = "未能取得出生日期，转工作人员核实。"


def elderly_table(approve_reason: str = APPROVED) -> dict[str, Any]:
    return rules.decision_table(
        name="高龄津贴",
        columns=(
            ("age", "年龄", "applicant.age"),
            ("division", "户籍地", "applicant.division_code"),
            ("similar", "已领取同类津贴", "form.receiving_similar_allowance"),
        ),
        rules=(
            rules.Rule("age-unknown", "refer", NO_BIRTH_DATE, {"age": "$ == null"}),
            rules.Rule("under-80", "reject", UNDER_80, {"age": "< 80"}),
            rules.Rule(
                "eligible",
                "approve",
                approve_reason,
                {"age": ">= 80", "division": 'startsWith($, "3701")', "similar": "false"},
            ),
        ),
    )


def applicant(age: Any = 82, division: Any = "370102", **form: Any) -> dict[str, Any]:
    return {
        "applicant": {"kind": "person", "age": age, "division_code": division},
        "form": {"receiving_similar_allowance": False, **form},
    }


@pytest.fixture
def rule_set() -> InstantRuleSet:
    return rule_set_create(user=None, key=KEY, name="高龄津贴测试规则", content=elderly_table())


def outcome_without_time(outcome: RuleOutcome) -> dict[str, Any]:
    fields = dataclasses.asdict(outcome)
    assert fields.pop("elapsed_ms") >= 0
    return fields


# --- Deciding ---------------------------------------------------------------------------------------


def test_the_first_matching_row_approves(rule_set):
    inputs = applicant(age=82)

    outcome = rule_outcome(key=KEY, number=1, inputs=inputs)

    assert outcome_without_time(outcome) == {
        "decision": "approve",
        "rule_set": KEY,
        "rule_set_version": 1,
        "rule_id": "eligible",
        "reason": APPROVED,
        "inputs": inputs,
    }
    assert outcome.elapsed_ms > 0


def test_a_row_rejects_with_its_reason(rule_set):
    outcome = rule_outcome(key=KEY, number=1, inputs=applicant(age=79))

    assert (outcome.decision, outcome.rule_id, outcome.reason) == ("reject", "under-80", UNDER_80)


def test_a_refer_row_hands_the_case_to_a_person_with_its_own_reason(rule_set):
    outcome = rule_outcome(key=KEY, number=1, inputs=applicant(age=None))

    assert (outcome.decision, outcome.rule_id, outcome.reason) == (
        None,
        "age-unknown",
        NO_BIRTH_DATE,
    )


@pytest.mark.parametrize(
    "inputs",
    [
        applicant(division="110105"),  # a Beijing household: no row says what to do
        applicant(receiving_similar_allowance=None),  # the form did not say
    ],
    ids=["no-row-matches", "form-field-missing"],
)
def test_when_no_row_matches_a_person_decides(rule_set, inputs):
    outcome = rule_outcome(key=KEY, number=1, inputs=inputs)

    assert outcome_without_time(outcome) == {
        "decision": None,
        "rule_set": KEY,
        "rule_set_version": 1,
        "rule_id": "",
        "reason": NO_RULE,
        "inputs": inputs,
    }


@pytest.mark.parametrize(
    "inputs",
    [
        applicant(age="八十二"),  # text where a number is compared
        applicant(division=370102),  # a number where text is tested
        applicant(age=[82]),
        applicant(receiving_similar_allowance="否"),
    ],
    ids=["age-text", "division-number", "age-list", "form-text"],
)
def test_inputs_of_the_wrong_type_leave_the_decision_to_a_person(rule_set, inputs):
    outcome = rule_outcome(key=KEY, number=1, inputs=inputs)

    assert (outcome.decision, outcome.rule_id, outcome.reason) == (None, "", NO_RULE)
    assert outcome.inputs == inputs


def test_dates_and_decimals_are_evaluated_as_json_text(rule_set):
    inputs = applicant(applied_on=dt.date(2026, 6, 15), income=decimal.Decimal("1200.50"))

    outcome = rule_outcome(key=KEY, number=1, inputs=inputs)

    assert outcome.decision == "approve"
    assert outcome.inputs["form"] == {
        "receiving_similar_allowance": False,
        "applied_on": "2026-06-15",
        "income": "1200.50",
    }


@pytest.mark.parametrize(
    "inputs",
    [applicant(photo=object()), applicant(score=float("nan")), ["not", "a", "mapping"]],
    ids=["object", "nan", "list"],
)
def test_inputs_json_cannot_carry_leave_the_decision_to_a_person(rule_set, inputs):
    outcome = rule_outcome(key=KEY, number=1, inputs=inputs)

    assert outcome_without_time(outcome) == {
        "decision": None,
        "rule_set": KEY,
        "rule_set_version": 1,
        "rule_id": "",
        "reason": CANNOT,
        "inputs": {},
    }


def test_a_rule_set_version_that_does_not_exist_leaves_the_decision_to_a_person(rule_set):
    outcome = rule_outcome(key=KEY, number=2, inputs=applicant())

    assert outcome_without_time(outcome) == {
        "decision": None,
        "rule_set": KEY,
        "rule_set_version": 2,
        "rule_id": "",
        "reason": CANNOT,
        "inputs": applicant(),
    }


def _stored_bypassing_checks(content: dict[str, Any]) -> None:
    """A row the service would refuse (as if written before a check existed)."""
    from quanban.core import clock

    InstantRuleSet.objects.create(
        key="broken", number=1, name="坏规则集", content=content, created_at=clock.now()
    )


def test_a_rule_set_the_engine_cannot_load_leaves_the_decision_to_a_person(db):
    content = elderly_table()
    content["edges"].append({"id": "loop", "sourceId": "output", "targetId": "input"})
    _stored_bypassing_checks(content)

    with pytest.raises(ValidationFailed) as refused:
        rule_set_compiled(key="broken", number=1)
    outcome = rule_outcome(key="broken", number=1, inputs=applicant())

    assert refused.value.code == "rule_set_invalid"
    assert (outcome.decision, outcome.rule_id, outcome.reason) == (None, "", CANNOT)


def test_an_ill_typed_output_leaves_the_decision_to_a_person(db):
    content = elderly_table()
    table = content["nodes"][1]["content"]
    table["rules"][2]["decision"] = '"maybe"'
    _stored_bypassing_checks(content)

    outcome = rule_outcome(key="broken", number=1, inputs=applicant())

    assert (outcome.decision, outcome.rule_id, outcome.reason) == (None, "", CANNOT)


# --- Compiled once ----------------------------------------------------------------------------------


def test_a_version_is_compiled_once_and_then_decides_without_the_database(
    rule_set, django_assert_num_queries
):
    first = rule_set_compiled(key=KEY, number=1)

    with django_assert_num_queries(0):
        again = rule_set_compiled(key=KEY, number=1)
        outcome = rule_outcome(key=KEY, number=1, inputs=applicant())

    assert again is first
    assert (first.key, first.number) == (KEY, 1)
    assert outcome.decision == "approve"


def test_a_new_version_is_a_new_number_and_the_old_one_keeps_deciding(rule_set):
    old = rule_set_compiled(key=KEY, number=1)
    newer = rule_set_create(
        user=None, key=KEY, name="高龄津贴测试规则", content=elderly_table("新规则：符合条件。")
    )

    first = rule_outcome(key=KEY, number=1, inputs=applicant())
    second = rule_outcome(key=KEY, number=2, inputs=applicant())

    assert newer.number == 2
    assert rule_set_compiled(key=KEY, number=1) is old
    assert rule_set_compiled(key=KEY, number=2) is not old
    assert (first.reason, first.rule_set_version) == (APPROVED, 1)
    assert (second.reason, second.rule_set_version) == ("新规则：符合条件。", 2)


def test_a_missing_version_is_not_found(db):
    with pytest.raises(NotFound) as missing:
        rule_set_compiled(key=KEY, number=1)

    assert missing.value.code == "rule_set_not_found"


# --- The demo rule sets -------------------------------------------------------------------------------


def person(age: int | None, division: str = "370102", **form: Any) -> dict[str, Any]:
    return {"applicant": {"kind": "person", "age": age, "division_code": division}, "form": form}


DEMO_CASES = [
    # 高龄津贴
    (
        "elderly-allowance-v1",
        person(85, "370102001001", receiving_similar_allowance=False),
        "approve",
        "eligible",
    ),
    ("elderly-allowance-v1", person(78, receiving_similar_allowance=False), "reject", "under-80"),
    (
        "elderly-allowance-v1",
        person(85, "110105", receiving_similar_allowance=False),
        "reject",
        "not-jinan",
    ),
    (
        "elderly-allowance-v1",
        person(85, receiving_similar_allowance=True),
        "reject",
        "already-receiving",
    ),
    ("elderly-allowance-v1", person(None), None, "age-unknown"),
    ("elderly-allowance-v1", person(85), None, ""),  # the form does not say: a person decides
    # 城乡居民基本养老保险待遇
    (
        "resident-pension-v1",
        person(60, contribution_years=15, receiving_other_pension=False),
        "approve",
        "eligible",
    ),
    (
        "resident-pension-v1",
        person(59, contribution_years=20, receiving_other_pension=False),
        "reject",
        "under-60",
    ),
    (
        "resident-pension-v1",
        person(66, contribution_years=14, receiving_other_pension=False),
        "reject",
        "under-15-years",
    ),
    (
        "resident-pension-v1",
        person(66, contribution_years=20, receiving_other_pension=True),
        "reject",
        "other-pension",
    ),
    (
        "resident-pension-v1",
        person(66, "320102", contribution_years=20, receiving_other_pension=False),
        "reject",
        "not-jinan",
    ),
    # 失业保险金
    (
        "unemployment-benefit-v1",
        person(
            35,
            contribution_months=30,
            separation_reason="contract_expired",
            unemployment_registered=True,
            job_seeking=True,
        ),
        "approve",
        "eligible",
    ),
    (
        "unemployment-benefit-v1",
        person(
            35,
            contribution_months=30,
            separation_reason="resigned",
            unemployment_registered=True,
            job_seeking=True,
        ),
        "reject",
        "resigned",
    ),
    (
        "unemployment-benefit-v1",
        person(
            35,
            contribution_months=8,
            separation_reason="employer_terminated",
            unemployment_registered=True,
            job_seeking=True,
        ),
        "reject",
        "under-12-months",
    ),
    (
        "unemployment-benefit-v1",
        person(
            35,
            contribution_months=30,
            separation_reason="employer_terminated",
            unemployment_registered=False,
            job_seeking=True,
        ),
        "reject",
        "not-registered",
    ),
    (
        "unemployment-benefit-v1",
        person(35, contribution_months=30, separation_reason="other"),
        None,
        "",
    ),
]


@pytest.mark.parametrize(
    ("key", "inputs", "decision", "rule_id"),
    DEMO_CASES,
    ids=[f"{case[0]}-{case[3] or 'person'}" for case in DEMO_CASES],
)
def test_the_demo_rule_sets_decide_real_applications(key, inputs, decision, rule_id):
    demo_rule_sets_load()
    rows = {
        rule.id: rule for k, _name, _columns, rows in INSTANT_RULE_SETS if k == key for rule in rows
    }

    outcome = rule_outcome(key=key, number=1, inputs=inputs)

    assert (outcome.decision, outcome.rule_id) == (decision, rule_id)
    assert outcome.reason == (rows[rule_id].reason if rule_id else NO_RULE)


def test_the_demo_rule_sets_load_once(db):
    assert demo_rule_sets_load() == len(INSTANT_RULE_SETS)
    assert demo_rule_sets_load() == 0
    assert sorted(InstantRuleSet.objects.values_list("key", "number")) == [
        ("elderly-allowance-v1", 1),
        ("resident-pension-v1", 1),
        ("unemployment-benefit-v1", 1),
    ]
