"""The rest of the case journeys through the API: 容缺 lapsed, 告知承诺 (kept and false), 秒批, and a
parallel item with a stale edit in the middle.

Every call is an HTTP request with the caller's own token (tests/api/case_journey.py); services are
called only to build the city, staff, items and rule sets, and — as the worker does every night —
to flag the 容缺 cases whose supply date has passed. Every test starts on Monday 15 June 2026,
10:00 in the city: a 5-working-day promise accepted that day is due on Tuesday the 23rd (the Dragon
Boat Festival is 19–21 June).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile

from quanban.accounts import services as accounts
from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import Role
from quanban.cases.models import Case, CaseMaterial, CreditRecord, Task
from quanban.cases.services import case_flag_lapsed_deferrals
from quanban.cases.tasks import WORKER
from quanban.catalogue import rules
from quanban.catalogue import services as catalogue
from quanban.catalogue.models import ItemVersion
from quanban.core.context import acting_as
from quanban.core.models import AuditRecord
from quanban.notify.models import OutboxMessage
from tests import factories
from tests.api.case_journey import A_MONDAY, SHANGHAI, Caller, ok, problem
from tests.catalogue import helpers

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases"
TASKS = "/api/v1/tasks"
MY = "/api/v1/my/cases"


@pytest.fixture(autouse=True)
def _a_covered_monday():
    with time_machine.travel(A_MONDAY, tick=False):
        yield


def at(day: int, hour: int, minute: int = 0) -> Any:
    """Travel to a moment of June 2026 in the city (time stands still there)."""
    return time_machine.travel(dt.datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI), tick=False)


# --- People ------------------------------------------------------------------------------------


def applicant(phone: str, *, birth: str = "19900101", region: str = "370102") -> User:
    """A citizen account holding its registered person (李四)."""
    user = factories.make_citizen(phone)
    accounts.person_register(
        name="李四",
        id_number=factories.valid_id_number(region=region, birth=birth),
        phone=phone,
        user=user,
    )
    user.refresh_from_db()
    return user


@pytest.fixture
def citizen_with_person(db):
    return applicant("13900000001")


@pytest.fixture
def me(citizen_with_person):
    return Caller.of(citizen_with_person)


@pytest.fixture
def window(clerk):
    return Caller.of(clerk)


@pytest.fixture
def reviewer(city):
    return Caller.of(factories.make_staff(city, Role.REVIEWER, scope=city.department))


@pytest.fixture
def approver(city):
    return Caller.of(factories.make_staff(city, Role.APPROVER, scope=city.department))


@pytest.fixture
def hall(city):
    return Caller.of(factories.make_staff(city, Role.WINDOW_CLERK, scope=city.hall))


# --- Calls -------------------------------------------------------------------------------------


def receive(window: Caller, version: ItemVersion, person_id: int, window_unit: OrgUnit) -> dict:
    """收件 at the window with the required materials (necessity 1) handed in."""
    required = list(version.materials.filter(necessity="1").values_list("pk", flat=True))
    body = {
        "item_version_id": version.pk,
        "person_id": person_id,
        "channel": "8",
        "window_id": window_unit.pk,
        "received_material_ids": required,
        "form": {"经营场所": "历下区解放路 1 号"},
    }
    return ok(window.post(CASES, body), 201)


def accept(window: Caller, case: dict, **body: Any) -> dict:
    url = f"{CASES}/{case['id']}/accept"
    return ok(window.post(url, body, {"If-Match": f'"{case["version"]}"'}))


def inbox(caller: Caller, **filters: Any) -> list[tuple[int, str]]:
    """(case, step) of every open task the caller's roles reach, most urgent first."""
    items = ok(caller.get(TASKS, scope="team", limit=200, **filters))["items"]
    return [(t["case_id"], t["step"]) for t in items]


def open_task(caller: Caller, case_id: int, step: str) -> dict:
    items = ok(caller.get(TASKS, scope="team", limit=200))["items"]
    (task,) = [t for t in items if t["case_id"] == case_id and t["step"] == step]
    return task


def complete(caller: Caller, task: dict, **body: Any) -> dict:
    done = ok(caller.post(f"{TASKS}/{task['id']}/complete", {"version": task["version"], **body}))
    assert done["state"] == "done", done
    return done


def case_of(caller: Caller, case_id: int) -> dict:
    return ok(caller.get(f"{CASES}/{case_id}"))


def mine(caller: Caller, case_id: int) -> dict:
    return ok(caller.get(f"{MY}/{case_id}"))


def task_rows(case: dict) -> list[tuple[str, str]]:
    return [(t["step"], t["state"]) for t in case["tasks"]]


def messages() -> list[str]:
    """Every SMS queued for the applicant, in a stable order (time stands still in the tests)."""
    return sorted(OutboxMessage.objects.filter(channel="sms").values_list("body", flat=True))


def actions(timeline: list[dict]) -> list[str]:
    return [e["action"] for e in timeline]


def unchanged(case_id: int) -> tuple:
    """What a refused write must leave as it was: the case row, its tasks, the audit trail."""
    case = Case.objects.filter(pk=case_id).values_list(
        "state", "version", "termination", "deferral_lapsed", "decision", "issued_at"
    )
    tasks = Task.objects.filter(case_id=case_id).order_by("pk")
    return (
        case.get(),
        list(tasks.values_list("step", "state", "assignee", "outcome", "version")),
        AuditRecord.objects.count(),
    )


# --- 容缺: promised materials never come -----------------------------------------------------------


@pytest.fixture
def deferrable_version(city):
    """Material 1 (required) and 2 场所平面图 (容缺后补: may be brought after acceptance)."""
    version = helpers.draft(city.department)
    catalogue.material_add(
        user=None, version=version, name="场所平面图", form="3", necessity="3", source="10"
    )
    catalogue.version_submit(user=None, version=version)
    return catalogue.version_publish(user=None, version=version)


def test_deferred_materials_not_supplied_in_time_end_in_termination(
    city, window, reviewer, approver, hall, me, citizen_with_person, deferrable_version
):
    plan = deferrable_version.materials.get(seq=2).pk
    received = receive(window, deferrable_version, citizen_with_person.person.pk, city.window)
    # 场所平面图 is owed but deferrable: the applicant promises it for Wednesday (容缺受理).
    case = accept(window, received, deferred={plan: "2026-06-17"})
    assert (case["state"], case["deferral_due"], case["deferral_lapsed"]) == (
        "accepted",
        "2026-06-17",
        False,
    )
    assert case["clock"]["promised_due"] == "2026-06-23"
    assert [(m["seq"], m["received"], m["deferred_until"]) for m in case["materials"]] == [
        (1, True, None),
        (2, False, "2026-06-17"),
    ]
    owed = [{"material_id": plan, "name": "场所平面图", "deferred_until": "2026-06-17"}]
    view = mine(me, case["id"])
    assert (view["status"], view["owed"]) == ("已受理，正在办理。", owed)

    complete(reviewer, open_task(reviewer, case["id"], "review"), outcome="pass", opinion="通过")
    complete(approver, open_task(approver, case["id"], "approve"), outcome="approve")
    issue = open_task(hall, case["id"], "issue")
    # Approved, but the result stays in until the promised material is in.
    before = unchanged(case["id"])
    held = problem(
        hall.post(
            f"{TASKS}/{issue['id']}/complete",
            {"outcome": "issued", "delivery": "window", "version": issue["version"]},
        ),
        409,
        "deferred_materials_outstanding",
    )
    assert held["material_ids"] == [plan]
    # Before the supply date has passed, "not supplied in time" is not a reason to terminate.
    decided = case_of(window, case["id"])
    problem(
        approver.post(
            f"{CASES}/{case['id']}/terminate",
            {"termination": "deferral_lapsed", "note": "逾期未补", "version": decided["version"]},
        ),
        409,
        "deferral_not_lapsed",
    )
    assert unchanged(case["id"]) == before
    assert decided["state"] == "decided"

    # The worker's nightly run: on the promised day itself nothing has lapsed yet …
    with at(17, 23, 59), acting_as(WORKER):
        assert case_flag_lapsed_deferrals() == 0
    # … just after midnight it has.
    with at(18, 0, 5), acting_as(WORKER):
        assert case_flag_lapsed_deferrals() == 1
        assert case_flag_lapsed_deferrals() == 0  # once

    with at(18, 9, 30):
        flagged = case_of(window, case["id"])
        assert (flagged["state"], flagged["deferral_lapsed"], flagged["version"]) == (
            "decided",
            True,
            decided["version"] + 1,
        )
        assert (flagged["timeline"][-1]["action"], flagged["timeline"][-1]["label"]) == (
            "case.deferral_lapsed",
            "容缺材料逾期",
        )
        terminate = f"{CASES}/{case['id']}/terminate"
        body = {"termination": "deferral_lapsed", "note": "承诺期限内未补交场所平面图"}
        before = unchanged(case["id"])
        # The version seen before the flag is stale; a reviewer may not end a case.
        stale = problem(
            approver.post(terminate, {**body, "version": decided["version"]}), 412, "stale"
        )
        assert stale["current_version"] == flagged["version"]
        problem(
            reviewer.post(terminate, {**body, "version": flagged["version"]}),
            403,
            "terminate_not_allowed",
        )
        assert unchanged(case["id"]) == before

        ended = ok(approver.post(terminate, {**body, "version": flagged["version"]}))
        assert (ended["state"], ended["termination"], ended["termination_note"]) == (
            "terminated",
            "deferral_lapsed",
            "承诺期限内未补交场所平面图",
        )
        assert (ended["finished_at"], ended["current_step"], ended["national_state"]) == (
            "2026-06-18T01:30:00Z",
            "",
            "10",
        )
        assert ended["decision"]["decision"] == "approve"
        assert ended["result"] is None
        assert task_rows(ended) == [("review", "done"), ("approve", "done"), ("issue", "cancelled")]
        # Nothing more happens to a terminated case: no issue, no late supply.
        before = unchanged(case["id"])
        problem(
            hall.post(
                f"{TASKS}/{issue['id']}/complete", {"outcome": "issued", "delivery": "window"}
            ),
            409,
            "task_state",
        )
        problem(
            window.post(f"{CASES}/{case['id']}/deferred-supply", {"material_ids": [plan]}),
            409,
            "case_state",
        )
        assert unchanged(case["id"]) == before
        assert inbox(hall) == []

        view = mine(me, case["id"])
    assert (view["state"], view["status"]) == ("terminated", "办理已终止。")
    assert (view["current_step"], view["current_departments"], view["result"]) == ("", [], None)
    assert view["owed"] == owed
    number = case["number"]
    assert messages() == sorted(
        [
            f"【全办】您申请的“食品经营许可”已受理，办件编号 {number}，承诺 2026-06-23 前办结。",
            f"【全办】您的办件 {number} 已作出决定：准予许可。",
            f"【全办】您的办件 {number} 已终止办理：承诺期限内未补交场所平面图。",
        ]
    )
    assert actions(view["timeline"]) == [
        "case.receive",
        "case.accept",
        "case.step_open",
        "case.step_open",
        "case.decide",
        "case.step_open",
        "case.deferral_lapsed",
        "case.terminate",
    ]


# --- 告知承诺 ---------------------------------------------------------------------------------------

COMMITMENT = "申请人郑重承诺：所填写的信息和提交的材料真实、准确、完整。"
DECIDED_ON_COMMITMENT = "告知承诺：申请人已签署告知承诺书，当场作出审批决定。"


@pytest.fixture
def commitment_version(city):
    return helpers.published(
        city.department,
        process={"kind": "single_approver", "commitment_allowed": True},
        commitment_text=COMMITMENT,
        result_name="食品经营许可证",
    )


def accept_on_commitment(window, city, version, person) -> dict:
    return accept(window, receive(window, version, person.pk, city.window), commitment=True)


def test_a_commitment_is_approved_at_once_and_the_inspection_confirms_it(
    city, window, reviewer, approver, hall, me, citizen_with_person, commitment_version
):
    case = accept_on_commitment(window, city, commitment_version, citizen_with_person.person)
    # Version 3: the acceptance and the decision it made are two changes of the case.
    assert (case["state"], case["version"], case["commitment_signed_at"]) == (
        "decided",
        3,
        "2026-06-15T02:00:00Z",
    )
    assert case["decision"] == {
        "decision": "approve",
        "text": "食品经营许可证",
        "reason": DECIDED_ON_COMMITMENT,
        "legal_basis": "",
        "decided_at": "2026-06-15T02:00:00Z",
        "decided_by": None,
        "instant_outcome": None,
    }
    # The result goes out from the hall (10 days); the inspection is the department's (20 days).
    assert [(t["step"], t["state"], t["department"]["id"], t["due_on"]) for t in case["tasks"]] == [
        ("commitment_inspection", "open", city.department.pk, "2026-07-14"),
        ("issue", "open", city.hall.pk, "2026-06-30"),
    ]
    assert inbox(hall) == [(case["id"], "issue")]
    assert inbox(reviewer) == [(case["id"], "commitment_inspection")]
    assert inbox(reviewer, kind="commitment_inspection") == [(case["id"], "commitment_inspection")]
    assert inbox(approver, kind="approve") == []

    view = mine(me, case["id"])
    assert (view["state"], view["status"]) == ("decided", "已作出决定，等待领取或送达结果。")
    # The applicant is shown the result's way out, not the inspection that will follow.
    assert (view["current_step"], view["current_departments"]) == ("出件", ["济南市民中心"])
    assert (view["decision"]["decision"], view["decision"]["reason"]) == (
        "approve",
        DECIDED_ON_COMMITMENT,
    )

    complete(hall, open_task(hall, case["id"], "issue"), outcome="issued", delivery="window")
    issued = case_of(window, case["id"])
    assert (issued["state"], issued["result"]["delivery"]) == ("finished", "window")

    inspection = open_task(reviewer, case["id"], "commitment_inspection")
    before = unchanged(case["id"])
    # The hall cannot inspect; an inspection without its findings is no inspection.
    problem(
        hall.post(f"{TASKS}/{inspection['id']}/complete", {"outcome": "confirmed", "opinion": "x"}),
        403,
        "task_not_yours",
    )
    missing = problem(
        reviewer.post(f"{TASKS}/{inspection['id']}/complete", {"outcome": "confirmed"}),
        422,
        "opinion_required",
    )
    assert missing["field"] == "opinion"
    assert unchanged(case["id"]) == before

    done = complete(reviewer, inspection, outcome="confirmed", opinion="现场核查与承诺一致")
    assert (done["outcome"], done["completed_by"]["id"]) == ("confirmed", reviewer.user.pk)
    after = case_of(window, case["id"])
    assert (after["state"], after["version"]) == ("finished", issued["version"])
    assert task_rows(after) == [("commitment_inspection", "done"), ("issue", "done")]
    assert inbox(reviewer) == [] and inbox(hall) == []
    assert not CreditRecord.objects.exists()
    view = mine(me, case["id"])
    assert (view["state"], view["status"], view["result"]["delivery"]) == (
        "finished",
        "已办结。",
        "window",
    )


FALSE_FINDING = "现场无冷藏设施，与承诺不符"


@pytest.mark.parametrize("issued_first", [False, True], ids=["before-issue", "after-issue"])
def test_a_false_commitment_revokes_the_approval_and_records_credit(
    city, window, reviewer, hall, me, citizen_with_person, commitment_version, issued_first
):
    person = citizen_with_person.person
    case = accept_on_commitment(window, city, commitment_version, person)
    issue = open_task(hall, case["id"], "issue")
    if issued_first:
        complete(hall, issue, outcome="issued", delivery="window")
    inspection = open_task(reviewer, case["id"], "commitment_inspection")

    with at(22, 15):
        complete(reviewer, inspection, outcome="false", opinion=FALSE_FINDING)
    revoked = case_of(window, case["id"])
    assert (revoked["state"], revoked["termination"], revoked["current_step"]) == (
        "revoked",
        "false_commitment",
        "",
    )
    assert revoked["national_state"] == "10"
    assert task_rows(revoked) == [
        ("commitment_inspection", "done"),
        ("issue", "done" if issued_first else "cancelled"),
    ]
    assert (revoked["timeline"][-2]["action"], revoked["timeline"][-2]["detail"]["finding"]) == (
        "case.revoke",
        FALSE_FINDING,
    )
    assert list(
        CreditRecord.objects.values_list(
            "case", "person", "entity", "kind", "finding", "recorded_by", "created_at"
        )
    ) == [
        (
            case["id"],
            person.pk,
            None,
            "false_commitment",
            FALSE_FINDING,
            reviewer.user.pk,
            dt.datetime(2026, 6, 22, 15, 0, tzinfo=SHANGHAI),
        )
    ]
    assert inbox(hall) == [] and inbox(reviewer) == []
    if not issued_first:
        # The licence never leaves the hall.
        before = unchanged(case["id"])
        problem(
            hall.post(
                f"{TASKS}/{issue['id']}/complete", {"outcome": "issued", "delivery": "window"}
            ),
            409,
            "task_state",
        )
        assert unchanged(case["id"]) == before

    view = mine(me, case["id"])
    assert (view["state"], view["status"]) == ("revoked", "审批决定已撤销。")
    assert (view["current_step"], view["current_departments"]) == ("", [])
    assert (view["result"] is not None) is issued_first
    assert view["timeline"][-1]["label"] == "撤销"
    number = case["number"]
    assert messages() == sorted(
        [
            f"【全办】您的办件 {number} 已作出决定：准予许可。",
            *([f"【全办】您的办件 {number} 已办结，结果已窗口领取。"] if issued_first else []),
            f"【全办】您的办件 {number} 的审批决定已撤销：{FALSE_FINDING}。",
        ]
    )


def test_the_applicant_is_told_why_the_approval_was_revoked(
    city, window, reviewer, me, citizen_with_person, commitment_version
):
    case = accept_on_commitment(window, city, commitment_version, citizen_with_person.person)
    inspection = open_task(reviewer, case["id"], "commitment_inspection")
    complete(reviewer, inspection, outcome="false", opinion=FALSE_FINDING)
    view = mine(me, case["id"])
    assert view["state"] == "revoked"
    assert FALSE_FINDING in json.dumps(view, ensure_ascii=False)


def test_the_applicant_is_told_why_the_case_was_terminated(
    city, window, approver, me, citizen_with_person, deferrable_version
):
    plan = deferrable_version.materials.get(seq=2).pk
    received = receive(window, deferrable_version, citizen_with_person.person.pk, city.window)
    case = accept(window, received, deferred={plan: "2026-06-16"})
    note = "承诺期限内未补交场所平面图"
    with at(17, 0, 5), acting_as(WORKER):
        assert case_flag_lapsed_deferrals() == 1
    with at(17, 9):
        body = {"termination": "deferral_lapsed", "note": note}
        ok(approver.post(f"{CASES}/{case['id']}/terminate", body))
        view = mine(me, case["id"])
    assert view["state"] == "terminated"
    assert note in json.dumps(view, ensure_ascii=False)


# --- 秒批 -------------------------------------------------------------------------------------------

RULES = "elderly-allowance-api"
ELIGIBLE = "年满八十周岁且户籍在济南市，符合条件。"
NO_RULE_FITS = "您的申请不在自动审批规则的适用情形内，已转由工作人员审核。"


# What the applicant sees of an online application the rules decided at once.
INSTANT_TIMELINE = ["case.submit", "case.accept", "case.instant", "case.decide", "case.issue"]


def instant_version(city, *, necessity: str) -> ItemVersion:
    """高龄津贴申领 decided by the rule set RULES; one material (居民身份证) of ``necessity``.

    Born in 1940 and registered in 济南 (3701…): approve; under 80: reject; anyone else: a
    person decides.
    """
    rules.rule_set_create(
        user=None,
        key=RULES,
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
                    ELIGIBLE,
                    {"age": ">= 80", "division": 'startsWith($, "3701")'},
                ),
            ),
        ),
    )
    return item_with_material(
        city.department,
        material="居民身份证",
        necessity=necessity,
        name="高龄津贴申领",
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
        process={"kind": "instant_rule", "instant_rule_set": RULES},
        result_name="高龄津贴发放决定",
    )


def item_with_material(
    department: OrgUnit, *, material: str, necessity: str, **overrides: Any
) -> ItemVersion:
    version = catalogue.item_create(
        user=None, implementing_department=department, **helpers.item_fields(**overrides)
    )
    catalogue.material_add(
        user=None, version=version, name=material, form="3", necessity=necessity, source="10"
    )
    catalogue.version_submit(user=None, version=version)
    return catalogue.version_publish(user=None, version=version)


def by_rules(view: dict) -> dict:
    """The rules' outcome as the applicant sees it, without its timing."""
    outcome = dict(view["decision"]["by_rules"])
    assert outcome.pop("elapsed_ms") >= 0
    assert outcome.pop("decided_at") == "2026-06-15T02:00:00+00:00"
    return outcome


@pytest.mark.parametrize(
    ("birth", "decision", "rule", "reason"),
    [
        ("19400301", "approve", "eligible", ELIGIBLE),
        ("19900301", "reject", "under-80", "未满八十周岁。"),
    ],
    ids=["eligible", "under-80"],
)
def test_the_rules_decide_an_online_application_at_once(
    city, approver, birth, decision, rule, reason
):
    version = instant_version(city, necessity="2")  # the one material is optional
    me = Caller.of(applicant("13905319001", birth=birth))
    created = me.post(MY, {"item_version_id": version.pk, "channel": "2", "form": {"用途": "养老"}})
    view = ok(created, 201)
    assert created["ETag"] == f'"{view["version"]}"'
    assert (view["state"], view["status"], view["channel"]) == ("finished", "已办结。", "2")
    assert view["number"] == "370100-20260615-000001"
    assert (view["current_step"], view["owed"], view["working_days_left"]) == ("", [], None)
    assert {k: v for k, v in view["decision"].items() if k != "by_rules"} == {
        "decision": decision,
        "label": {"approve": "准予许可", "reject": "不予许可"}[decision],
        "text": "高龄津贴发放决定" if decision == "approve" else "",
        "reason": reason,
        "legal_basis": f"秒批规则 {RULES} 第 1 版",
        "decided_at": "2026-06-15T02:00:00Z",
    }
    assert by_rules(view) == {
        "rule_set": RULES,
        "rule_set_version": 1,
        "rule": rule,
        "decision": decision,
        "reason": reason,
        "inputs": {
            "applicant": {
                "kind": "person",
                "age": 86 if decision == "approve" else 36,
                "division_code": "370102",
            },
            "form": {"用途": "养老"},
        },
    }
    # Applied online and decided by the rules: sent electronically, at once.
    assert view["result"] == {
        "delivery": "electronic",
        "label": "电子送达",
        "tracking_number": "",
        "issued_at": "2026-06-15T02:00:00Z",
        "delivered_at": "2026-06-15T02:00:00Z",
    }
    assert actions(view["timeline"]) == INSTANT_TIMELINE
    assert mine(me, view["id"]) == view
    # Nobody accepted or decided it by hand, and no task was ever opened.
    staff = case_of(approver, view["id"])
    assert (staff["first_responder"], staff["decision"]["decided_by"], staff["tasks"]) == (
        None,
        None,
        [],
    )
    assert staff["decision"]["instant_outcome"] == view["decision"]["by_rules"]
    assert inbox(approver) == []


def test_a_keyed_instant_submission_chains_its_records_last_and_replies_with_them(city, approver):
    """With an Idempotency-Key the request's audit records are chained at its very end (the
    chain's head is held for the append and the commit only), yet the reply, built before, shows
    the whole timeline: the same as the case read afterwards, and as the replay."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    version = instant_version(city, necessity="2")
    me = Caller.of(applicant("13905319002", birth="19400301"))
    body = {"item_version_id": version.pk, "channel": "2", "form": {"用途": "养老"}}
    key = {"Idempotency-Key": "instant-0001"}
    connection.queries_log.clear()  # a request's start clears the log: count from empty
    with CaptureQueriesContext(connection) as queries:
        view = ok(me.post(MY, body, key), 201)
    # Kept now: the next request's start clears the log the capture reads.
    statements = [q["sql"] for q in queries.captured_queries]
    writes = [sql for sql in statements if sql.startswith(("INSERT", "UPDATE", "WITH"))]
    assert actions(view["timeline"]) == INSTANT_TIMELINE
    assert mine(me, view["id"]) == view
    assert ok(me.post(MY, body, key), 201) == view
    # The reply is stored with the key as the request's last write, in the records' append
    # (PostgreSQL: the same statement) or just before it; the append is the last write.
    stored = max(
        i for i, sql in enumerate(writes) if "idempotency" in sql and "response_body" in sql
    )
    chained = min(i for i, sql in enumerate(writes) if "core_audit" in sql)
    assert stored == (chained if connection.vendor == "postgresql" else chained - 1), writes
    assert all("core_audit" in sql for sql in writes[chained:]), writes
    # A case created in this transaction has nothing stored yet: the reply reads no trail.
    assert not [sql for sql in statements if sql.startswith("SELECT") and "core_audit" in sql]
    records = AuditRecord.objects.filter(object_type="cases.case", object_id=str(view["id"]))
    assert sorted(records.values_list("action", flat=True)) == sorted(
        ["case.submit", "case.accept", "case.route", "case.instant", "case.decide", "case.issue"]
    )


def test_a_keyed_reply_is_sent_stored_and_replayed_as_the_same_json_a_read_gives(city):
    """At a moment with microseconds, the reply made now, its replay and a later read of the case
    are the same JSON, nested moments included: the reply is rendered once, as the API renders
    any case, and what is stored is what was sent (as JSON values: PostgreSQL's jsonb keeps the
    values, not the order of a nested object's keys)."""
    version = instant_version(city, necessity="2")
    me = Caller.of(applicant("13905319003", birth="19400301"))
    body = {"item_version_id": version.pk, "channel": "2", "form": {"用途": "养老"}}
    key = {"Idempotency-Key": "instant-0002"}
    moment = dt.datetime(2026, 6, 15, 10, 0, 0, 123456, tzinfo=SHANGHAI)
    with time_machine.travel(moment, tick=False):
        made = me.post(MY, body, key)
    assert made.status_code == 201 and made.get("Idempotent-Replayed") is None
    replayed = me.post(MY, body, key)
    assert (replayed.status_code, replayed["Idempotent-Replayed"]) == (201, "true")
    assert replayed.json() == made.json()
    view = made.json()
    assert replayed["ETag"] == made["ETag"] == f'"{view["version"]}"'
    assert view["decision"]["decided_at"] == view["received_at"] == "2026-06-15T02:00:00.123Z"
    assert mine(me, view["id"]) == view


def test_a_material_reused_from_an_earlier_case_completes_an_instant_application(
    city, window, approver
):
    # The applicant handed in their ID card at a window for another item, last week.
    account = applicant("13905319002", birth="19400301")
    other = item_with_material(city.department, material="居民身份证", necessity="1")
    with at(8, 10):
        earlier = accept(window, receive(window, other, account.person.pk, city.window))
    version = instant_version(city, necessity="1")  # here the ID card is required
    # The API shows an applicant no ids of the materials they handed in (the portal's prefill
    # offers them): read the one a client would be offered (cases.prefill) from the database.
    handed_in = Case.objects.get(pk=earlier["id"]).materials.get().pk
    me = Caller.of(account)
    wanted = version.materials.get().pk

    # Without it the application waits for a clerk (网上预审), undecided.
    waiting = ok(me.post(MY, {"item_version_id": version.pk, "channel": "1"}), 201)
    assert (waiting["state"], waiting["decision"], waiting["number"]) == ("received", None, None)

    view = ok(
        me.post(MY, {"item_version_id": version.pk, "channel": "1", "reuse": {wanted: handed_in}}),
        201,
    )
    assert (view["state"], view["decision"]["decision"], view["result"]["delivery"]) == (
        "finished",
        "approve",
        "electronic",
    )
    assert view["decision"]["by_rules"]["rule"] == "eligible"
    staff = case_of(approver, view["id"])
    assert [(m["received"], m["source"], m["source_ref"]) for m in staff["materials"]] == [
        (True, "reused", earlier["number"])
    ]


def test_when_no_rule_fits_an_approver_decides_through_the_api(city, approver):
    version = instant_version(city, necessity="2")
    # Registered in 青岛 (3702…): neither rule applies.
    me = Caller.of(applicant("13905319003", birth="19400301", region="370202"))
    view = ok(me.post(MY, {"item_version_id": version.pk, "channel": "2"}), 201)
    assert (view["state"], view["status"], view["decision"], view["result"]) == (
        "accepted",
        "已受理，正在办理。",
        None,
        None,
    )
    assert (view["current_step"], view["current_departments"]) == (
        "审批",
        ["济南市行政审批服务局"],
    )
    assert actions(view["timeline"]) == [
        "case.submit",
        "case.accept",
        "case.instant",
        "case.step_open",
    ]
    assert inbox(approver) == [(view["id"], "approve")]
    staff = case_of(approver, view["id"])
    assert (staff["state"], staff["current_step"], staff["decision"]) == (
        "accepted",
        "approve",
        None,
    )
    undecided = Case.objects.get(pk=view["id"]).instant_outcome
    assert (undecided["rule"], undecided["decision"], undecided["reason"]) == (
        "",
        None,
        NO_RULE_FITS,
    )

    approve = open_task(approver, view["id"], "approve")
    # A rejection by a person needs its reason and legal basis, as any rejection.
    before = unchanged(view["id"])
    problem(
        approver.post(f"{TASKS}/{approve['id']}/complete", {"outcome": "reject"}),
        422,
        "rejection_incomplete",
    )
    assert unchanged(view["id"]) == before
    complete(approver, approve, outcome="approve", opinion="人工核实户籍后准予")
    decided = case_of(approver, view["id"])
    assert decided["state"] == "decided"
    assert (
        decided["decision"]["decision"],
        decided["decision"]["decided_by"]["id"],
        decided["decision"]["reason"],
        decided["decision"]["text"],
        decided["decision"]["legal_basis"],
    ) == ("approve", approver.user.pk, "人工核实户籍后准予", "高龄津贴发放决定", "")
    # An online case has no window: the department itself sends the result out.
    issue = open_task(approver, view["id"], "issue")
    assert (issue["department"]["id"], issue["office"]["id"]) == (
        city.department.pk,
        city.office.pk,
    )
    complete(approver, issue, outcome="issued", delivery="electronic")

    view = mine(me, view["id"])
    assert (view["state"], view["status"], view["result"]["delivery"]) == (
        "finished",
        "已办结。",
        "electronic",
    )
    assert (view["decision"]["decision"], view["decision"]["reason"]) == (
        "approve",
        "人工核实户籍后准予",
    )
    # The rules' word is kept beside the person's: they could not decide, and said so.
    assert (by_rules(view)["decision"], by_rules(view)["reason"]) == (None, NO_RULE_FITS)


# --- 并联审批 with a stale edit -----------------------------------------------------------------------


def test_a_stale_co_review_changes_nothing_and_the_join_opens_the_approval_once(
    city, window, reviewer, approver, me, citizen_with_person
):
    planning, housing = (
        accounts.org_unit_create(
            kind="department", name=name, uscc=factories.valid_uscc(40 + n), parent=city.city
        )
        for n, name in enumerate(("济南市自然资源和规划局", "济南市住房和城乡建设局"))
    )
    version = helpers.published(
        city.department,
        process={"kind": "parallel", "co_review_departments": [planning.uscc, housing.uscc]},
        promised_limit_days=10,
    )
    case = accept(window, receive(window, version, citizen_with_person.person.pk, city.window))
    complete(
        reviewer, open_task(reviewer, case["id"], "review"), outcome="pass", opinion="初审通过"
    )
    # Two reviewers of 规划局, one of 住建局.
    first, second = (
        Caller.of(factories.make_staff(city, Role.REVIEWER, scope=planning)) for _ in range(2)
    )
    builder = Caller.of(factories.make_staff(city, Role.REVIEWER, scope=housing))
    seen = open_task(second, case["id"], "co_review")  # the second opens the task: version 1
    assert (seen["department"]["id"], seen["version"], seen["due_on"]) == (
        planning.pk,
        1,
        "2026-06-18",
    )
    claimed = ok(first.post(f"{TASKS}/{seen['id']}/claim", {"version": seen["version"]}))
    assert (claimed["assignee"]["id"], claimed["version"]) == (first.user.pk, 2)

    # The second, on the version they saw, finds it changed: 412, nothing written.
    before = unchanged(case["id"])
    stale = problem(
        second.post(
            f"{TASKS}/{seen['id']}/complete",
            {"outcome": "disagree", "opinion": "不同意", "version": seen["version"]},
        ),
        412,
        "stale",
    )
    assert stale["current_version"] == 2
    stale = problem(
        second.post(f"{TASKS}/{seen['id']}/complete", {"outcome": "disagree"}, {"If-Match": '"1"'}),
        412,
        "stale",
    )
    assert stale["current_version"] == 2
    # Refreshed, it is the first reviewer's to do.
    problem(
        second.post(f"{TASKS}/{seen['id']}/complete", {"outcome": "disagree", "version": 2}),
        409,
        "task_claimed_by_other",
    )
    assert unchanged(case["id"]) == before
    task = ok(second.get(f"{TASKS}/{seen['id']}"))
    assert (task["state"], task["outcome"], task["opinion"], task["assignee"]["id"]) == (
        "open",
        "",
        "",
        first.user.pk,
    )

    complete(first, claimed, outcome="agree", opinion="符合规划")
    assert case_of(window, case["id"])["current_step"] == "co_review"
    assert inbox(approver, kind="approve") == []
    complete(builder, open_task(builder, case["id"], "co_review"), outcome="agree", opinion="同意")

    joined = case_of(window, case["id"])
    assert joined["current_step"] == "approve"
    assert [
        (t["step"], t["department"]["id"], t["state"], t["outcome"], t["completed_by"]["id"])
        for t in joined["tasks"]
        if t["step"] == "co_review"
    ] == [
        ("co_review", planning.pk, "done", "agree", first.user.pk),
        ("co_review", housing.pk, "done", "agree", builder.user.pk),
    ]
    assert inbox(approver, kind="approve") == [(case["id"], "approve")]
    view = mine(me, case["id"])
    assert (view["current_step"], view["current_departments"]) == ("审批", ["济南市行政审批服务局"])


# --- Prefill ----------------------------------------------------------------------------------------


def test_prefill_lists_the_applicants_fields_and_earlier_materials_to_reuse(
    city, window, me, citizen_with_person
):
    """What the platform holds is offered with its source, and the API can reuse it."""
    person = citizen_with_person.person
    version = helpers.published(city.department)
    material = version.materials.get(seq=1)
    earlier = accept(window, receive(window, version, person.pk, city.window))
    row = CaseMaterial.objects.get(case_id=earlier["id"], material=material)
    row.file.save("申请书.pdf", ContentFile(b"%PDF-1.4 earlier"))
    body = ok(me.get("/api/v1/my/prefill", item_version_id=version.pk))
    assert body["applicant_kind"] == "person"
    assert [(f["key"], f["value"], f["source"]) for f in body["fields"]] == [
        ("name", person.name, "申请人档案"),
        ("id_number", person.id_number, "申请人档案"),
        ("phone", person.phone, "申请人档案"),
    ]
    (offered,) = body["materials"]
    assert (offered["material_id"], offered["name"]) == (material.pk, material.name)
    assert [(c["case_material_id"], c["case_number"]) for c in offered["candidates"]] == [
        (row.pk, earlier["number"])
    ]
    problem(me.get("/api/v1/my/prefill", item_version_id=999999), 404, "item_not_found")
