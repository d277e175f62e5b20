"""The case API end to end: window, back office and applicant, versions, idempotency, masking.

Every test runs on Monday 15 June 2026 (tests/api/case_journey.py): a 5-working-day promise
accepted that day is due on Tuesday the 23rd (the Dragon Boat Festival is 19–21 June).
"""

from __future__ import annotations

import datetime as dt
from typing import get_args

import pytest
import time_machine

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.api.idempotency import request_hash
from quanban.api.preconditions import expected_version
from quanban.api.routers import cases as cases_router
from quanban.api.routers import tasks as tasks_router
from quanban.cases import selectors
from quanban.cases.models import (
    Case,
    CaseMaterial,
    CaseSuspension,
    Channel,
    IdempotencyKey,
    Task,
)
from quanban.cases.services.runtime import OUTCOMES
from quanban.core.models import AuditRecord
from tests import factories
from tests.api.case_journey import A_MONDAY, SHANGHAI, Caller, ok, problem
from tests.catalogue import helpers

pytestmark = pytest.mark.django_db

CASES = "/api/v1/cases"
TASKS = "/api/v1/tasks"
MY = "/api/v1/my/cases"
ID_NUMBER = factories.valid_id_number()


def test_literal_types_match_the_domain():
    assert list(get_args(cases_router.ChannelCode)) == list(Channel.values)
    assert list(get_args(cases_router.StateCode)) == list(Case.State.values)
    assert list(get_args(cases_router.SuspensionKind)) == list(CaseSuspension.Kind.values)
    assert list(get_args(cases_router.DecisionCode)) == list(Case.Decision.values)
    assert list(get_args(tasks_router.DeliveryCode)) == list(Case.Delivery.values)
    assert list(get_args(tasks_router.TaskKind)) == list(OUTCOMES)
    scopes = tasks_router.InboxFilters.model_fields["scope"].annotation
    assert get_args(scopes) == selectors.INBOX_SCOPES


@pytest.fixture(autouse=True)
def _a_covered_monday():
    with time_machine.travel(A_MONDAY, tick=False):
        yield


@pytest.fixture
def citizen_with_person(db):
    user = factories.make_citizen("13900000001")
    accounts.person_register(name="李四", id_number=ID_NUMBER, phone="13900000001", user=user)
    return user


@pytest.fixture
def person(citizen_with_person):
    return citizen_with_person.person


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


@pytest.fixture
def version(city):
    """A published 5-day item of the city's first department: material 1 (required) only."""
    return helpers.published(city.department)


def receive_body(version, person, city, **overrides):
    body = {
        "item_version_id": version.pk,
        "person_id": person.pk,
        "channel": "8",
        "window_id": city.window.pk,
        "received_material_ids": [version.materials.get(seq=1).pk],
        "form": {"经营场所": "历下区解放路 1 号", "面积": 120},
    }
    body.update(overrides)
    return body


def receive(window, version, person, city, **overrides):
    return ok(window.post(CASES, receive_body(version, person, city, **overrides)), 201)


def accept(window, case, **body):
    return ok(
        window.post(f"{CASES}/{case['id']}/accept", body, {"If-Match": f'"{case["version"]}"'})
    )


def open_task(caller, case_id, step):
    (task,) = [
        t
        for t in ok(caller.get(TASKS, scope="team", limit=200))["items"]
        if t["case_id"] == case_id and t["step"] == step
    ]
    return task


def complete(caller, task, **body):
    return ok(caller.post(f"{TASKS}/{task['id']}/complete", {"version": task["version"], **body}))


def case_state(case_id):
    return Case.objects.filter(pk=case_id).values_list("state", "number", "version").get()


# --- The journey: receive, accept, review, approve, issue --------------------------------------


def test_review_and_approve_through_the_api(
    city, window, reviewer, approver, hall, version, person
):
    received = window.post(CASES, receive_body(version, person, city))
    case = ok(received, 201)
    assert received["ETag"] == '"1"'
    assert (case["state"], case["number"], case["version"]) == ("received", None, 1)
    assert case["first_responder"]["id"] == window.user.pk
    assert case["form"] == {"经营场所": "历下区解放路 1 号", "面积": 120}
    assert [(m["seq"], m["received"]) for m in case["materials"]] == [(1, True)]

    detail = window.get(f"{CASES}/{case['id']}")
    assert (detail.status_code, detail["ETag"]) == (200, '"1"')

    accepted = window.post(f"{CASES}/{case['id']}/accept", {}, {"If-Match": detail["ETag"]})
    case = ok(accepted)
    assert accepted["ETag"] == '"2"'
    assert (case["state"], case["number"], case["version"]) == (
        "accepted",
        "370100-20260615-000001",
        2,
    )
    assert case["clock"]["promised_due"] == "2026-06-23"
    assert (case["clock"]["working_days_used"], case["clock"]["working_days_left"]) == (0, 5)
    assert case["lead_department"]["id"] == city.department.pk
    assert [(t["step"], t["state"]) for t in case["tasks"]] == [("review", "open")]

    review = open_task(reviewer, case["id"], "review")
    assert (review["case_number"], review["item_name"]) == (case["number"], "食品经营许可")
    task_detail = reviewer.get(f"{TASKS}/{review['id']}")
    assert task_detail["ETag"] == f'"{review["version"]}"'
    claimed = ok(
        reviewer.post(f"{TASKS}/{review['id']}/claim", {}, {"If-Match": task_detail["ETag"]})
    )
    assert (claimed["assignee"]["id"], claimed["version"]) == (reviewer.user.pk, 2)
    assert [t["id"] for t in ok(reviewer.get(TASKS))["items"]] == [review["id"]]
    done = complete(reviewer, claimed, outcome="pass", opinion="材料齐全，符合条件")
    assert (done["state"], done["outcome"], done["opinion"]) == (
        "done",
        "pass",
        "材料齐全，符合条件",
    )

    approve = open_task(approver, case["id"], "approve")
    # A reviewer is not eligible to approve (and 一审一核 keeps a reviewer from approving).
    problem(
        reviewer.post(f"{TASKS}/{approve['id']}/complete", {"outcome": "approve"}),
        403,
        "task_not_yours",
    )
    complete(approver, approve, outcome="approve", opinion="准予许可")

    case = ok(window.get(f"{CASES}/{case['id']}"))
    assert case["state"] == "decided"
    assert (case["decision"]["decision"], case["decision"]["decided_by"]["id"]) == (
        "approve",
        approver.user.pk,
    )
    issue = open_task(hall, case["id"], "issue")
    assert issue["department"]["id"] == city.hall.pk
    complete(hall, issue, outcome="issued", delivery="window")

    case = ok(window.get(f"{CASES}/{case['id']}"))
    assert (case["state"], case["national_state"]) == ("finished", "10")
    assert case["result"]["delivery"] == "window"
    assert [e["action"] for e in case["timeline"]] == [
        "case.receive",
        "case.accept",
        "case.route",
        "case.step_open",
        "task.claim",
        "task.complete",
        "case.step_open",
        "case.decide",
        "task.complete",
        "case.step_open",
        "case.issue",
        "task.complete",
    ]
    listed = ok(window.get(CASES, state="finished"))
    assert [c["id"] for c in listed["items"]] == [case["id"]]


# --- The parallel item: the join opens the decision once -----------------------------------


def test_parallel_co_review_joins_before_the_approval(city, window, reviewer, approver, person):
    departments, version = helpers.parallel_published(city, uscc_from=40)
    case = accept(window, receive(window, version, person, city))
    complete(
        reviewer, open_task(reviewer, case["id"], "review"), outcome="pass", opinion="初审通过"
    )
    co_reviewers = [
        Caller.of(factories.make_staff(city, Role.REVIEWER, scope=d)) for d in departments
    ]
    first, second = (open_task(c, case["id"], "co_review") for c in co_reviewers)
    assert [first["department"]["id"], second["department"]["id"]] == [d.pk for d in departments]
    # Another department's part is not theirs to do.
    problem(
        co_reviewers[0].post(f"{TASKS}/{second['id']}/complete", {"outcome": "agree"}),
        403,
        "task_not_yours",
    )
    complete(co_reviewers[0], first, outcome="agree", opinion="同意")
    assert ok(window.get(f"{CASES}/{case['id']}"))["current_step"] == "co_review"
    assert Task.objects.filter(case_id=case["id"], step="approve").count() == 0
    complete(co_reviewers[1], second, outcome="disagree", opinion="需整改消防通道")
    detail = ok(window.get(f"{CASES}/{case['id']}"))
    assert detail["current_step"] == "approve"
    assert [(t["step"], t["state"]) for t in detail["tasks"] if t["step"] == "approve"] == [
        ("approve", "open")
    ]


# --- Refusal (不予受理) with guidance, seen by the applicant --------------------------------------

REFUSAL = {
    "reason": "申请事项不属于本机关职权范围",
    "legal_basis": "《中华人民共和国行政许可法》第三十二条第一款第（二）项",
    "guidance": "请向历下区市场监督管理局申请（历下区解放路 1 号）",
}


def test_a_refusal_needs_guidance_and_the_applicant_sees_it(
    city, window, version, person, citizen_with_person
):
    case = receive(window, version, person, city)
    url = f"{CASES}/{case['id']}/refuse"
    blank = problem(window.post(url, {**REFUSAL, "guidance": "  "}), 422, "refusal_incomplete")
    assert blank["field"] == "guidance"
    missing = problem(
        window.post(url, {"reason": REFUSAL["reason"], "legal_basis": "x"}), 422, "invalid_request"
    )
    assert [e["field"] for e in missing["errors"]] == ["guidance"]
    assert case_state(case["id"]) == ("received", None, 1)
    assert not AuditRecord.objects.filter(action="case.refuse").exists()

    refused = ok(window.post(url, {**REFUSAL, "version": 1}))
    assert (refused["state"], refused["version"]) == ("refused", 2)
    assert refused["refusal"]["guidance"] == REFUSAL["guidance"]

    mine = ok(Caller.of(citizen_with_person).get(f"{MY}/{case['id']}"))
    assert mine["state"] == "refused"
    assert mine["status"] == "不予受理，请查看理由和办理指引。"
    assert mine["refusal"] == {
        "reason": REFUSAL["reason"],
        "legal_basis": REFUSAL["legal_basis"],
        "guidance": REFUSAL["guidance"],
    }


# --- Stale edits: 412 with the current version, nothing changed -------------------------------


def test_a_stale_version_is_refused_with_412_and_changes_nothing(city, window, person):
    version = helpers.published(city.department)
    case = receive(window, version, person, city, received_material_ids=[])
    seen = case["version"]
    # Another clerk asks for the missing material meanwhile: the case moves to version 2.
    other = Caller.of(factories.make_staff(city, Role.WINDOW_CLERK))
    ok(other.post(f"{CASES}/{case['id']}/supplement-request", {"version": seen}))
    material = version.materials.get(seq=1).pk
    url = f"{CASES}/{case['id']}/accept"
    for headers, body in (
        ({"If-Match": f'"{seen}"'}, {}),  # the ETag as sent
        ({"If-Match": str(seen)}, {}),  # unquoted
        ({}, {"version": seen}),  # in the body
        ({"If-Match": '"2"'}, {"version": seen}),  # the two disagree: one of them is stale
        ({"If-Match": '"not-ours"'}, {}),  # a tag that is no version of ours never matches
    ):
        stale = problem(
            window.post(url, {**body, "received_material_ids": [material]}, headers), 412, "stale"
        )
        assert stale["current_version"] == 2
    assert case_state(case["id"]) == ("pending_supplement", None, 2)
    assert Case.objects.get(pk=case["id"]).materials.filter(received=True).count() == 0
    assert not AuditRecord.objects.filter(action="case.accept").exists()
    # The handler-checked operations (this service takes no version itself) refuse the same way.
    stale = problem(
        window.post(f"{CASES}/{case['id']}/refuse", {**REFUSAL, "version": seen}), 412, "stale"
    )
    assert stale["current_version"] == 2
    assert case_state(case["id"]) == ("pending_supplement", None, 2)
    # If-Match: * means "whatever it is now".
    accepted = ok(window.post(url, {"received_material_ids": [material]}, {"If-Match": "*"}))
    assert (accepted["state"], accepted["version"]) == ("accepted", 3)


def test_a_stale_task_version_is_refused_and_the_task_unchanged(
    city, window, reviewer, version, person
):
    case = accept(window, receive(window, version, person, city))
    review = open_task(reviewer, case["id"], "review")
    ok(reviewer.post(f"{TASKS}/{review['id']}/claim", {"version": review["version"]}))
    stale = problem(
        reviewer.post(
            f"{TASKS}/{review['id']}/complete", {"outcome": "pass", "version": review["version"]}
        ),
        412,
        "stale",
    )
    assert stale["current_version"] == review["version"] + 1
    task = Task.objects.get(pk=review["id"])
    assert (task.state, task.outcome, task.version) == ("open", "", 2)


def test_if_match_parsing():
    assert expected_version(None, None) is None
    assert expected_version(None, 4) == 4
    assert expected_version('"4"', None) == 4
    assert expected_version("4", 4) == 4
    assert expected_version('W/"4"', None) == 4
    assert expected_version("*", 4) == 4
    assert expected_version('"4"', 5) == 0
    assert expected_version('"abc"', None) == 0
    assert expected_version('"1", "2"', None) == 0


# --- Idempotency-Key ---------------------------------------------------------------------------


def test_the_same_key_and_body_replay_and_a_different_body_is_refused(
    city, window, version, person
):
    key = {"Idempotency-Key": "9b2f7a1e-receive-0001"}
    body = receive_body(version, person, city)
    first = window.post(CASES, body, key)
    created = ok(first, 201)
    assert first.get("Idempotent-Replayed") is None
    again = window.post(CASES, body, key)
    assert ok(again, 201) == created
    assert (again["Idempotent-Replayed"], again["ETag"]) == ("true", '"1"')
    # Key order and spacing do not make a different request.
    reordered = dict(reversed(list(body.items())))
    assert ok(window.post(CASES, reordered, key), 201)["id"] == created["id"]
    assert Case.objects.count() == 1

    reused = problem(
        window.post(CASES, {**body, "form": {"面积": 80}}, key), 422, "idempotency_key_reused"
    )
    assert reused["field"] == "Idempotency-Key"
    assert Case.objects.count() == 1
    assert AuditRecord.objects.filter(action="case.receive").count() == 1

    # Keys belong to their user: another clerk's same key is another request.
    other = Caller.of(factories.make_staff(city, Role.WINDOW_CLERK))
    assert ok(other.post(CASES, body, key), 201)["id"] != created["id"]
    # After 24 hours a key may be used again.
    with time_machine.travel(A_MONDAY + dt.timedelta(hours=25)):
        later = ok(window.post(CASES, {**body, "form": {"面积": 80}}, key), 201)
    assert later["id"] not in (created["id"],)
    assert Case.objects.count() == 3
    assert IdempotencyKey.objects.filter(key=key["Idempotency-Key"]).count() == 2


def test_a_failed_request_keeps_no_key(city, window, version, person):
    key = {"Idempotency-Key": "retry-after-fixing"}
    body = receive_body(version, person, city)
    problem(
        window.post(CASES, {**body, "received_material_ids": [999999]}, key),
        422,
        "material_not_in_list",
    )
    assert IdempotencyKey.objects.count() == 0
    assert ok(window.post(CASES, body, key), 201)["state"] == "received"


def test_accept_replays_instead_of_refusing_a_second_acceptance(city, window, version, person):
    case = receive(window, version, person, city)
    key = {"Idempotency-Key": "accept-once", "If-Match": '"1"'}
    first = ok(window.post(f"{CASES}/{case['id']}/accept", {}, key))
    # The replay answers what the first did, though the case has moved on (and If-Match is old).
    assert ok(window.post(f"{CASES}/{case['id']}/accept", {}, key)) == first
    problem(window.post(f"{CASES}/{case['id']}/accept", {}), 409, "case_state")
    assert case_state(case["id"]) == ("accepted", "370100-20260615-000001", 2)


def test_the_request_hash_covers_method_path_and_body(rf):
    post = rf.post("/api/v1/cases")
    assert request_hash(post, {"a": 1, "b": [1, 2]}) == request_hash(post, {"b": [1, 2], "a": 1})
    assert request_hash(post, {"a": 1}) != request_hash(post, {"a": 2})
    assert request_hash(post, {"a": 1}) != request_hash(rf.post("/api/v1/my/cases"), {"a": 1})


# --- The applicant's own cases -----------------------------------------------------------------


def materials_of(case_id: int) -> list[str]:
    return list(
        CaseMaterial.objects.filter(case_id=case_id)
        .order_by("material__seq")
        .values_list("material__name", flat=True)
    )


def test_a_published_version_without_its_moment_still_takes_submissions(
    city, version, citizen_with_person
):
    """The model allows a published version without ``published_at`` (an import, old data):
    whether it is published is its state, not that moment."""
    from quanban.catalogue.models import ItemVersion

    ItemVersion.objects.filter(pk=version.pk).update(published_at=None)
    me = Caller.of(citizen_with_person)
    created = ok(me.post(MY, {"item_version_id": version.pk, "channel": "2"}), 201)
    assert materials_of(created["id"]) == ["食品经营许可申请书"]


def test_a_superseded_version_is_refused_at_once_and_the_new_one_has_its_own_list(
    city, version, citizen_with_person
):
    """A submission keeps the published version it met (catalogue.version_published); a new
    version published since retires it, and the next submission of the old one is refused at
    once, while the new one lists its own materials."""
    from quanban.catalogue import services as catalogue

    me = Caller.of(citizen_with_person)
    first = ok(me.post(MY, {"item_version_id": version.pk, "channel": "2"}), 201)
    assert materials_of(first["id"]) == ["食品经营许可申请书"]
    draft = catalogue.version_new_draft(user=None, item=version.item)
    catalogue.material_add(
        user=None,
        version=draft,
        name="经营场所证明",
        form="4",
        necessity="1",
        source="10",
        original_count=1,
    )
    catalogue.version_publish(user=None, version=catalogue.version_submit(user=None, version=draft))
    cases_before = Case.objects.count()
    problem(me.post(MY, {"item_version_id": version.pk, "channel": "2"}), 404, "item_not_found")
    assert Case.objects.count() == cases_before
    second = ok(me.post(MY, {"item_version_id": draft.pk, "channel": "2"}), 201)
    assert materials_of(second["id"]) == ["食品经营许可申请书", "经营场所证明"]


def test_a_window_is_refused_a_superseded_version_it_received_before(city, window, version, person):
    """The window's receipt keeps the published version it met too; once a new version retires
    it, receiving the old one is refused (409, saying so) and nothing is written, while the new
    one lists its own materials."""
    from quanban.catalogue import services as catalogue

    first = ok(window.post(CASES, receive_body(version, person, city)), 201)
    assert [m["name"] for m in first["materials"]] == ["食品经营许可申请书"]
    draft = catalogue.version_new_draft(user=None, item=version.item)
    catalogue.material_add(
        user=None, version=draft, name="经营场所证明", form="4", necessity="1", source="10"
    )
    catalogue.version_publish(user=None, version=catalogue.version_submit(user=None, version=draft))
    cases_before, audit_before = Case.objects.count(), AuditRecord.objects.count()
    problem(window.post(CASES, receive_body(version, person, city)), 409, "version_not_published")
    assert (Case.objects.count(), AuditRecord.objects.count()) == (cases_before, audit_before)
    body = receive_body(draft, person, city, received_material_ids=[])
    second = ok(window.post(CASES, body), 201)
    assert [m["name"] for m in second["materials"]] == ["食品经营许可申请书", "经营场所证明"]


def test_an_applicant_applies_follows_and_withdraws_their_own_case(
    city, window, version, citizen_with_person
):
    me = Caller.of(citizen_with_person)
    body = {"item_version_id": version.pk, "channel": "2", "form": {"用途": "开店"}}
    created = me.post(MY, body, {"Idempotency-Key": "my-first-application"})
    mine = ok(created, 201)
    assert created["ETag"] == '"1"'
    assert (mine["state"], mine["channel"], mine["item_name"]) == ("received", "2", "食品经营许可")
    assert mine["status"] == "已收到您的申请，等待受理。"
    assert [e["action"] for e in mine["timeline"]] == ["case.submit"]
    assert ok(me.post(MY, body, {"Idempotency-Key": "my-first-application"}), 201) == mine
    assert [c["id"] for c in ok(me.get(MY))["items"]] == [mine["id"]]
    detail = me.get(f"{MY}/{mine['id']}")
    assert (detail.status_code, detail["ETag"]) == (200, '"1"')

    # Someone else's case does not exist for them; staff have no "my cases".
    stranger = Caller.of(factories.make_citizen("13900000002"))
    problem(stranger.get(f"{MY}/{mine['id']}"), 404, "case_not_found")
    problem(stranger.post(f"{MY}/{mine['id']}/withdraw", {}), 404, "case_not_found")
    assert ok(stranger.get(MY))["items"] == []
    problem(window.get(MY), 403, "applicant_account_required")

    # A window clerk takes the online submission in (网上预审) and accepts it.
    accepted = ok(
        window.post(
            f"{CASES}/{mine['id']}/accept",
            {"received_material_ids": [version.materials.get(seq=1).pk]},
        )
    )
    assert accepted["state"] == "accepted"
    problem(me.post(f"{MY}/{mine['id']}/withdraw", {"version": 1}), 412, "stale")
    withdrawn = ok(me.post(f"{MY}/{mine['id']}/withdraw", {"note": "不再开店", "version": 2}))
    assert (withdrawn["state"], withdrawn["status"]) == ("terminated", "办理已终止。")
    case = Case.objects.get(pk=mine["id"])
    assert (case.termination, case.termination_note) == ("withdrawn", "不再开店")


def test_an_applicant_withdraws_before_acceptance(version, citizen_with_person):
    me = Caller.of(citizen_with_person)
    mine = ok(me.post(MY, {"item_version_id": version.pk}), 201)
    withdrawn = ok(me.post(f"{MY}/{mine['id']}/withdraw", {"version": 1}))
    assert (withdrawn["state"], withdrawn["number"], withdrawn["version"]) == (
        "terminated",
        None,
        2,
    )
    case = Case.objects.get(pk=mine["id"])
    assert (case.termination, case.termination_note) == ("withdrawn", "申请人撤回申请")


def test_an_applicant_without_a_registered_person_is_told_to_register(version):
    unregistered = Caller.of(factories.make_citizen("13900000003"))
    problem(unregistered.post(MY, {"item_version_id": version.pk}), 422, "applicant_not_registered")
    problem(
        unregistered.post(
            MY, {"item_version_id": helpers.draft(version.item.implementing_department).pk}
        ),
        404,
        "item_not_found",
    )
    assert Case.objects.count() == 0


# --- Who sees what: masking and not-found ----------------------------------------------------


def test_id_numbers_are_masked_for_a_caller_who_may_not_unmask(city, window, version, person):
    # A catalogue editor may receive (business write) but may not see full ID numbers.
    editor = Caller.of(factories.make_staff(city, Role.CATALOGUE_EDITOR))
    case = receive(editor, version, person, city)
    assert case["applicant"] == {
        "kind": "person",
        "id": person.pk,
        "name": "李四",
        "id_number": ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:],
        "uscc": "",
        "legal_representative": "",
        "phone": "139****0001",
        "masked": True,
    }
    assert ok(editor.get(f"{CASES}/{case['id']}"))["applicant"]["masked"] is True
    shown = ok(window.get(f"{CASES}/{case['id']}"))["applicant"]
    assert (shown["id_number"], shown["phone"], shown["masked"]) == (
        ID_NUMBER,
        "13900000001",
        False,
    )


def test_staff_outside_the_case_get_not_found_and_citizens_are_forbidden(
    city, window, version, person, citizen_with_person
):
    case = receive(window, version, person, city)
    outsider = Caller.of(factories.make_staff(city, Role.REVIEWER, scope=city.other_department))
    problem(outsider.get(f"{CASES}/{case['id']}"), 404, "case_not_found")
    problem(outsider.post(f"{CASES}/{case['id']}/refuse", REFUSAL), 404, "case_not_found")
    assert ok(outsider.get(CASES))["items"] == []
    citizen = Caller.of(citizen_with_person)
    problem(citizen.get(f"{CASES}/{case['id']}"), 403, "forbidden")
    problem(citizen.post(CASES, receive_body(version, person, city)), 403, "forbidden")
    assert case_state(case["id"]) == ("received", None, 1)
    assert Case.objects.count() == 1


def test_exactly_one_applicant_is_required(city, window, version, person):
    both = receive_body(version, person, city, entity_id=person.pk)
    problem(window.post(CASES, both), 422, "applicant_required")
    neither = receive_body(version, person, city, person_id=None)
    problem(window.post(CASES, neither), 422, "applicant_required")
    assert Case.objects.count() == 0


# --- The clock's events and the ends of a case -------------------------------------------------


def test_suspend_resume_extend_and_terminate(city, window, approver, version, person):
    case = accept(window, receive(window, version, person, city))
    url = f"{CASES}/{case['id']}"
    with time_machine.travel(dt.datetime(2026, 6, 16, 9, 0, tzinfo=SHANGHAI)):
        suspended = ok(
            window.post(
                f"{url}/suspend", {"kind": "inspection", "reason": "现场核查", "version": 2}
            )
        )
    assert suspended["clock"]["suspended"] is True
    assert suspended["clock"]["suspensions"] == [
        {"kind": "inspection", "reason": "现场核查", "started_on": "2026-06-16", "ended_on": None}
    ]
    with time_machine.travel(dt.datetime(2026, 6, 23, 9, 0, tzinfo=SHANGHAI)):
        resumed = ok(window.post(f"{url}/resume", {}, {"If-Match": f'"{suspended["version"]}"'}))
        assert resumed["clock"]["promised_due"] == "2026-06-30"
        assert resumed["clock"]["working_days_left"] == 5
        problem(
            window.post(f"{url}/extend", {"days": 5, "reason": "需专家论证"}),
            403,
            "extension_not_allowed",
        )
        extended = ok(approver.post(f"{url}/extend", {"days": 5, "reason": "需专家论证"}))
    assert extended["clock"]["promised_due"] == "2026-07-07"
    assert extended["clock"]["extensions"] == [
        {"days": 5, "reason": "需专家论证", "decided_on": "2026-06-23"}
    ]
    problem(
        approver.post(f"{url}/terminate", {"termination": "deferral_lapsed", "note": "逾期"}),
        409,
        "deferral_not_lapsed",
    )
    terminated = ok(
        approver.post(
            f"{url}/terminate",
            {"termination": "withdrawn", "note": "申请人书面撤回", "version": extended["version"]},
        )
    )
    assert (terminated["state"], terminated["termination"]) == ("terminated", "withdrawn")
    assert [t["state"] for t in terminated["tasks"]] == ["cancelled"]


def test_deferred_materials_and_a_posted_result(city, window, reviewer, approver, hall, person):
    version = helpers.draft(city.department)
    from quanban.catalogue import services as catalogue

    catalogue.material_add(
        user=None, version=version, name="场所平面图", form="3", necessity="3", source="10"
    )
    catalogue.version_submit(user=None, version=version)
    version = catalogue.version_publish(user=None, version=version)
    plan = version.materials.get(seq=2).pk
    case = accept(window, receive(window, version, person, city), deferred={plan: "2026-06-19"})
    assert case["deferral_due"] == "2026-06-19"
    complete(reviewer, open_task(reviewer, case["id"], "review"), outcome="pass", opinion="通过")
    complete(approver, open_task(approver, case["id"], "approve"), outcome="approve")
    issue = open_task(hall, case["id"], "issue")
    problem(
        hall.post(f"{TASKS}/{issue['id']}/complete", {"outcome": "issued", "delivery": "window"}),
        409,
        "deferred_materials_outstanding",
    )
    supplied = ok(window.post(f"{CASES}/{case['id']}/deferred-supply", {"material_ids": [plan]}))
    assert [m["received"] for m in supplied["materials"]] == [True, True]
    complete(hall, issue, outcome="issued", delivery="post", tracking_number="1234567890123")
    with time_machine.travel(dt.datetime(2026, 6, 17, 15, 0, tzinfo=SHANGHAI)):
        delivered = ok(hall.post(f"{CASES}/{case['id']}/deliver", {}))
    assert delivered["result"] == {
        "delivery": "post",
        "tracking_number": "1234567890123",
        "issued_at": "2026-06-15T02:00:00Z",
        "delivered_at": "2026-06-17T07:00:00Z",
    }


def test_an_on_the_spot_item_finishes_in_one_call(city, window, person):
    version = helpers.published(
        city.department, case_kind="1", legal_limit_days=0, promised_limit_days=0
    )
    case = receive(window, version, person, city, received_material_ids=[])
    done = ok(
        window.post(
            f"{CASES}/{case['id']}/on-the-spot",
            {"received_material_ids": [version.materials.get().pk], "version": 1},
        )
    )
    assert (done["state"], done["on_the_spot"], done["result"]["delivery"]) == (
        "finished",
        True,
        "window",
    )
    assert done["tasks"] == []


def test_a_task_is_given_back_to_the_inbox(city, window, reviewer, version, person):
    case = accept(window, receive(window, version, person, city))
    review = open_task(reviewer, case["id"], "review")
    claimed = ok(reviewer.post(f"{TASKS}/{review['id']}/claim", {}))
    released = ok(
        reviewer.post(
            f"{TASKS}/{review['id']}/release", {}, {"If-Match": f'"{claimed["version"]}"'}
        )
    )
    assert (released["assignee"], released["version"]) == (None, 3)
    assert ok(reviewer.get(TASKS))["items"] == []
    for scope in ("team", "department", "office"):
        listed = ok(reviewer.get(TASKS, scope=scope))["items"]
        assert [t["id"] for t in listed] == [review["id"]], scope
    other_office = Caller.of(factories.make_staff(city, Role.REVIEWER, scope=city.other_department))
    assert ok(other_office.get(TASKS, scope="office"))["items"] == []
