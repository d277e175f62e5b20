"""The process runtime through the services: routing, tasks, joins, decisions, issue, clocks.

The conftest travels to Monday 2026-06-15 10:00 (Asia/Shanghai). The Dragon Boat Festival holiday
of 2026 is Friday 19 June through Sunday 21 June, so a 5-working-day promise accepted on the 15th
runs 16, 17, 18, 22, 23 June: due on Tuesday the 23rd.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases import services
from quanban.cases.models import (
    CardLevel,
    Case,
    CaseMaterial,
    Channel,
    CreditRecord,
    RoutingRule,
    Task,
)
from quanban.catalogue import services as catalogue
from quanban.core.errors import Conflict, PermissionDenied, StaleEdit, ValidationFailed
from quanban.core.models import AuditRecord
from tests import factories
from tests.catalogue import helpers

D = dt.date.fromisoformat
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def reviewer(city):
    return factories.make_staff(city, Role.REVIEWER, scope=city.department)


@pytest.fixture
def approver(city):
    return factories.make_staff(city, Role.APPROVER, scope=city.department)


@pytest.fixture
def hall_clerk(city):
    return factories.make_staff(city, Role.WINDOW_CLERK, scope=city.hall)


def accept(clerk, version, applicant, **kwargs):
    case = services.case_receive(
        user=clerk,
        item_version=version,
        applicant=applicant,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=kwargs.pop("window"),
        received_material_ids=kwargs.pop(
            "ticks", list(version.materials.filter(necessity="1").values_list("pk", flat=True))
        ),
    )
    return services.case_accept(user=clerk, case=case, **kwargs)


def open_tasks(case):
    return list(
        Task.objects.filter(case=case, state="open")
        .order_by("department__name")
        .values_list("step", "department__name", "office__name", "due_on", "warn_on")
    )


def only_open(case) -> Task:
    (task,) = Task.objects.filter(case=case, state="open")
    return task


def refreshed(case) -> Case:
    case.refresh_from_db()
    return case


# --- Review and approve ---------------------------------------------------------------------------


def test_review_then_approve_then_issue_at_the_window(
    city, clerk, person, version, reviewer, approver, hall_clerk
):
    case = accept(clerk, version, person, window=city.window)
    assert case.state == Case.State.ACCEPTED
    assert case.lead_department == city.department
    assert case.lead_office == city.office  # the department's first office, no rule
    assert case.routing_rule is None
    assert case.routing_note == "默认：事项实施部门"
    assert [s["id"] for s in case.process["steps"]] == ["accept", "review", "approve", "issue"]
    assert case.promised_due == D("2026-06-23")
    # The review has 40 % of 5 days: 2 working days.
    assert open_tasks(case) == [
        ("review", city.department.name, city.office.name, D("2026-06-17"), D("2026-06-16"))
    ]
    review = only_open(case)
    claimed = services.task_claim(user=reviewer, task=review, expected_version=review.version)
    assert claimed.assignee == reviewer
    # Someone else cannot complete a task the reviewer holds.
    with pytest.raises(Conflict):
        services.task_complete(user=approver, task=claimed, outcome="pass", opinion="同意")
    services.task_complete(
        user=reviewer, task=claimed, outcome="pass", opinion="材料齐全，符合条件"
    )
    # The approval has the remaining 60 %: 3 working days, due the 18th.
    assert open_tasks(case) == [
        ("approve", city.department.name, city.office.name, D("2026-06-18"), D("2026-06-17"))
    ]
    assert refreshed(case).current_step == "approve"
    approve = only_open(case)
    # 一审一核: the reviewer holds the approver role too in a scope above? Not here — but a
    # reviewer may never approve what they reviewed.
    with pytest.raises(PermissionDenied):
        services.task_complete(user=reviewer, task=approve, outcome="approve")
    services.task_complete(user=approver, task=approve, outcome="approve", opinion="准予许可")
    case = refreshed(case)
    assert case.state == Case.State.DECIDED
    assert (case.decision, case.decision_text, case.decided_by) == (
        "approve",
        "准予许可",
        approver,
    )
    # 一口出: the result leaves through the hall whose window received the person.
    assert open_tasks(case) == [("issue", city.hall.name, None, D("2026-06-30"), D("2026-06-26"))]
    issue = only_open(case)
    with pytest.raises(PermissionDenied):
        services.task_complete(user=reviewer, task=issue, outcome="issued", delivery="window")
    with pytest.raises(ValidationFailed) as error:
        services.task_complete(user=hall_clerk, task=issue, outcome="issued", delivery="post")
    assert error.value.code == "tracking_number_required"
    services.task_complete(
        user=hall_clerk,
        task=issue,
        outcome="issued",
        delivery="post",
        tracking_number="1234567890123",
    )
    case = refreshed(case)
    assert case.state == Case.State.FINISHED
    assert (case.delivery, case.tracking_number, case.delivered_at) == (
        "post",
        "1234567890123",
        None,
    )
    with time_machine.travel(dt.datetime(2026, 6, 17, 15, 0, tzinfo=SHANGHAI)):
        services.case_deliver(user=hall_clerk, case=case)
    assert refreshed(case).delivered_at == dt.datetime(2026, 6, 17, 7, 0, tzinfo=dt.UTC)
    actions = list(
        AuditRecord.objects.filter(object_type="cases.case", object_id=str(case.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "case.receive",
        "case.accept",
        "case.route",
        "case.step_open",
        "case.step_open",
        "case.decide",
        "case.step_open",
        "case.issue",
        "case.deliver",
    ]


def test_a_routing_rule_for_the_item_and_area_wins(city, clerk, person, version):
    second = accounts.org_unit_create(kind="office", name="市场准入审批处", parent=city.department)
    area_rule = RoutingRule.objects.create(
        area=city.city, department=city.department, office=city.office, note="全市默认"
    )
    item_rule = RoutingRule.objects.create(
        item=version.item,
        area=city.hall,
        department=city.department,
        office=second,
        note="市民中心受理的本事项由市场准入审批处办理",
    )
    case = accept(clerk, version, person, window=city.window)
    assert (case.lead_office, case.routing_rule) == (second, item_rule)
    assert case.routing_note == "市民中心受理的本事项由市场准入审批处办理"
    assert area_rule.pk != item_rule.pk


def test_routing_takes_the_items_rule_then_one_for_the_area_then_the_departments(city, version):
    """Which rules apply: the item's own, or its department's for any item; of them, those with
    no area or an area the window sits in. The item's beats the department's, an area beats
    none, then the priority. An online case (no window) has no area."""
    from quanban.cases.services.runtime import case_route

    other_hall = accounts.org_unit_create(
        kind="hall", name="历下区政务服务中心", parent=city.district
    )
    second = accounts.org_unit_create(kind="office", name="市场准入审批处", parent=city.department)
    anywhere = RoutingRule.objects.create(department=city.department, office=city.office)
    in_hall = RoutingRule.objects.create(
        department=city.department, office=second, area=city.hall, priority=5
    )
    # Never for this item: another department's rule, and the item's own in another hall.
    elsewhere = accounts.org_unit_create(kind="office", name="综合处", parent=city.other_department)
    RoutingRule.objects.create(
        department=city.other_department, office=elsewhere, area=city.hall, priority=9
    )
    RoutingRule.objects.create(
        item=version.item, department=city.department, office=second, area=other_hall, priority=9
    )
    at_window = Case(item_version=version, window=city.window)
    online = Case(item_version=version, window=None)
    assert case_route(at_window) == (city.department, second, in_hall, f"分办规则 #{in_hall.pk}")
    assert case_route(online) == (
        city.department,
        city.office,
        anywhere,
        f"分办规则 #{anywhere.pk}",
    )
    higher = RoutingRule.objects.create(
        department=city.department, office=city.office, area=city.city, priority=6, note="全市"
    )
    assert case_route(at_window)[2:] == (higher, "全市")
    own = RoutingRule.objects.create(item=version.item, department=city.department, office=second)
    assert case_route(at_window)[2] == own and case_route(online)[2] == own


def test_a_rejection_needs_reason_and_legal_basis(city, clerk, person, version, reviewer, approver):
    case = accept(clerk, version, person, window=city.window)
    services.task_complete(user=reviewer, task=only_open(case), outcome="fail", opinion="不符合")
    approve = only_open(case)
    with pytest.raises(ValidationFailed) as error:
        services.task_complete(user=approver, task=approve, outcome="reject", opinion="不符合条件")
    assert error.value.code == "rejection_incomplete"
    assert refreshed(case).state == Case.State.ACCEPTED
    assert only_open(case).state == "open"
    services.task_complete(
        user=approver,
        task=approve,
        outcome="reject",
        opinion="经营场所不符合要求",
        legal_basis="《食品经营许可管理办法》第十一条",
    )
    case = refreshed(case)
    assert (case.state, case.decision, case.decision_legal_basis) == (
        "decided",
        "reject",
        "《食品经营许可管理办法》第十一条",
    )


def test_a_stale_task_version_is_refused_and_changes_nothing(
    city, clerk, person, version, reviewer
):
    case = accept(clerk, version, person, window=city.window)
    review = only_open(case)
    services.task_claim(user=reviewer, task=review, expected_version=review.version)
    with pytest.raises(StaleEdit) as error:
        services.task_complete(
            user=reviewer, task=review, outcome="pass", expected_version=review.version
        )
    assert error.value.status == 412
    assert error.value.extra == {"current_version": review.version + 1}
    review.refresh_from_db()
    assert (review.state, review.outcome) == ("open", "")


# --- Parallel co-review --------------------------------------------------------------------------


@pytest.fixture
def three_departments(city):
    return [
        accounts.org_unit_create(
            kind="department", name=name, uscc=factories.valid_uscc(40 + n), parent=city.city
        )
        for n, name in enumerate(
            ("济南市自然资源和规划局", "济南市住房和城乡建设局", "济南市城市管理局")
        )
    ]


@pytest.fixture
def parallel_version(city, three_departments):
    return helpers.published(
        city.department,
        process={
            "kind": "parallel",
            "co_review_departments": [d.uscc for d in three_departments],
        },
        promised_limit_days=10,
    )


def test_parallel_co_review_joins_before_the_decision(
    city, clerk, person, parallel_version, three_departments, reviewer, approver
):
    case = accept(clerk, parallel_version, person, window=city.window)
    services.task_complete(user=reviewer, task=only_open(case), outcome="pass", opinion="初审通过")
    co = list(Task.objects.filter(case=case, state="open").order_by("pk"))
    assert [(t.step, t.department, t.office, t.limit_days) for t in co] == [
        ("co_review", d, None, 3) for d in three_departments
    ]
    reviewers = [factories.make_staff(city, Role.REVIEWER, scope=d) for d in three_departments]
    # A reviewer of one department cannot do another's part.
    with pytest.raises(PermissionDenied):
        services.task_complete(user=reviewers[0], task=co[1], outcome="agree")
    for task, who in zip(co[:2], reviewers[:2], strict=True):
        services.task_complete(user=who, task=task, outcome="agree", opinion="同意")
        assert refreshed(case).current_step == "co_review"
    assert Task.objects.filter(case=case, step="approve").count() == 0
    services.task_complete(user=reviewers[2], task=co[2], outcome="disagree", opinion="需整改")
    assert refreshed(case).current_step == "approve"
    assert Task.objects.filter(case=case, step="approve", state="open").count() == 1


# --- 容缺 -------------------------------------------------------------------------------------------


@pytest.fixture
def deferrable_version(city):
    version = helpers.draft(city.department)
    catalogue.material_add(
        user=None, version=version, name="场所平面图", form="3", necessity="3", source="10"
    )
    catalogue.version_submit(user=None, version=version)
    return catalogue.version_publish(user=None, version=version)


def _deferred_case(city, clerk, person, version, promised):
    first = version.materials.get(seq=1).pk
    plan = version.materials.get(seq=2).pk
    case = accept(
        clerk, version, person, window=city.window, ticks=[first], deferred={plan: promised}
    )
    return case, plan


def _decide_approve(case, reviewer, approver):
    services.task_complete(user=reviewer, task=only_open(case), outcome="pass", opinion="通过")
    services.task_complete(user=approver, task=only_open(case), outcome="approve")


def test_deferral_date_must_not_pass_the_promised_due(city, clerk, person, deferrable_version):
    plan = deferrable_version.materials.get(seq=2).pk
    case = services.case_receive(
        user=clerk,
        item_version=deferrable_version,
        applicant=person,
        channel="8",
        answers={},
        received_material_ids=[deferrable_version.materials.get(seq=1).pk],
    )
    with pytest.raises(ValidationFailed) as error:
        services.case_accept(user=clerk, case=case, deferred={plan: D("2026-06-24")})
    assert error.value.code == "deferral_after_due"
    assert refreshed(case).state == Case.State.RECEIVED
    assert CaseMaterial.objects.get(case=case, material_id=plan).deferred_until is None


def test_deferred_material_supplied_in_time_lets_the_result_out(
    city, clerk, person, deferrable_version, reviewer, approver, hall_clerk
):
    case, plan = _deferred_case(city, clerk, person, deferrable_version, D("2026-06-19"))
    assert refreshed(case).deferral_due == D("2026-06-19")
    _decide_approve(case, reviewer, approver)
    issue = only_open(case)
    with pytest.raises(Conflict) as error:
        services.task_complete(user=hall_clerk, task=issue, outcome="issued", delivery="window")
    assert error.value.code == "deferred_materials_outstanding"
    assert refreshed(case).state == Case.State.DECIDED
    assert services.case_supply_deferred(user=clerk, case=case, material_ids=[plan]) == []
    services.task_complete(user=hall_clerk, task=issue, outcome="issued", delivery="window")
    assert refreshed(case).state == Case.State.FINISHED


def test_deferred_material_not_supplied_is_flagged_and_may_be_terminated(
    city, clerk, person, deferrable_version, reviewer, approver
):
    case, _plan = _deferred_case(city, clerk, person, deferrable_version, D("2026-06-17"))
    with pytest.raises(Conflict):
        services.case_terminate(
            user=approver, case=case, termination="deferral_lapsed", note="逾期未补"
        )
    assert services.case_flag_lapsed_deferrals(today=D("2026-06-17")) == 0
    assert services.case_flag_lapsed_deferrals(today=D("2026-06-18")) == 1
    assert services.case_flag_lapsed_deferrals(today=D("2026-06-18")) == 0
    assert refreshed(case).deferral_lapsed is True
    with pytest.raises(PermissionDenied):
        services.case_terminate(
            user=reviewer, case=case, termination="deferral_lapsed", note="逾期未补"
        )
    services.case_terminate(
        user=approver, case=case, termination="deferral_lapsed", note="承诺期限内未补交场所平面图"
    )
    case = refreshed(case)
    assert (case.state, case.termination) == ("terminated", "deferral_lapsed")
    assert list(Task.objects.filter(case=case).values_list("step", "state")) == [
        ("review", "cancelled")
    ]


# --- 告知承诺 -----------------------------------------------------------------------------------------


@pytest.fixture
def commitment_version(city):
    return helpers.published(
        city.department,
        process={"kind": "single_approver", "commitment_allowed": True},
        commitment_text="申请人郑重承诺：所填写的信息和提交的材料真实、准确、完整。",
        result_name="食品经营许可证",
    )


def test_a_commitment_is_approved_at_once_and_inspected(
    city, clerk, person, commitment_version, reviewer, hall_clerk
):
    case = accept(clerk, commitment_version, person, window=city.window, commitment=True)
    assert (case.state, case.decision, case.decided_by) == ("decided", "approve", None)
    assert case.commitment_text.startswith("申请人郑重承诺")
    assert sorted(open_tasks(case)) == [
        (
            "commitment_inspection",
            city.department.name,
            city.office.name,
            D("2026-07-14"),
            D("2026-07-08"),
        ),
        ("issue", city.hall.name, None, D("2026-06-30"), D("2026-06-26")),
    ]
    services.task_complete(
        user=hall_clerk,
        task=Task.objects.get(case=case, step="issue"),
        outcome="issued",
        delivery="window",
    )
    inspection = Task.objects.get(case=case, step="commitment_inspection")
    services.task_complete(
        user=reviewer, task=inspection, outcome="confirmed", opinion="现场与承诺一致"
    )
    assert refreshed(case).state == Case.State.FINISHED
    assert CreditRecord.objects.count() == 0


def test_a_false_commitment_revokes_the_approval_and_records_credit(
    city, clerk, person, commitment_version, reviewer
):
    case = accept(clerk, commitment_version, person, window=city.window, commitment=True)
    inspection = Task.objects.get(case=case, step="commitment_inspection")
    services.task_complete(
        user=reviewer, task=inspection, outcome="false", opinion="现场无冷藏设施，与承诺不符"
    )
    case = refreshed(case)
    assert (case.state, case.termination, case.revocation_reason) == (
        "revoked",
        "false_commitment",
        "现场无冷藏设施，与承诺不符",
    )
    assert list(CreditRecord.objects.values_list("person", "kind", "finding")) == [
        (person.pk, "false_commitment", "现场无冷藏设施，与承诺不符")
    ]
    assert list(Task.objects.filter(case=case, step="issue").values_list("state", flat=True)) == [
        "cancelled"
    ]


def test_commitment_refused_for_an_item_without_it(city, clerk, person, version):
    with pytest.raises(ValidationFailed) as error:
        accept(clerk, version, person, window=city.window, commitment=True)
    assert error.value.code == "commitment_not_allowed"
    assert Case.objects.get().state == Case.State.RECEIVED


# --- 即办 -------------------------------------------------------------------------------------------


def test_an_on_the_spot_item_finishes_in_one_sitting(city, clerk, person):
    version = helpers.published(
        city.department, case_kind="1", legal_limit_days=0, promised_limit_days=0
    )
    case = services.case_receive(
        user=clerk,
        item_version=version,
        applicant=person,
        channel="8",
        answers={},
        window=city.window,
    )
    done = services.case_finish_on_the_spot(
        user=clerk, case=case, received_material_ids=[version.materials.get().pk]
    )
    assert (done.state, done.on_the_spot, done.decision, done.delivery) == (
        "finished",
        True,
        "approve",
        "window",
    )
    assert done.promised_due == D("2026-06-15")
    assert Task.objects.filter(case=case).count() == 0


def test_on_the_spot_refused_for_a_promised_item(city, clerk, person, version):
    case = services.case_receive(
        user=clerk, item_version=version, applicant=person, channel="8", answers={}
    )
    with pytest.raises(Conflict):
        services.case_finish_on_the_spot(user=clerk, case=case)
    assert refreshed(case).state == Case.State.RECEIVED


# --- Clock events on tasks ------------------------------------------------------------------------


def test_an_extension_moves_the_case_and_its_open_tasks(
    city, clerk, person, version, reviewer, approver
):
    case = accept(clerk, version, person, window=city.window)
    with pytest.raises(PermissionDenied):
        services.case_extend(user=reviewer, case=case, days=5, reason="需专家论证")
    with pytest.raises(ValidationFailed):
        services.case_extend(user=approver, case=case, days=5, reason=" ")
    extension = services.case_extend(
        user=approver, case=case, days=5, reason="情况复杂，需专家论证"
    )
    assert extension.decided_on == D("2026-06-15")
    case = refreshed(case)
    # 5 + 5 working days from the 15th: 16,17,18,22,23,24,25,26,29,30.
    assert (case.promised_due, case.legal_due) == (D("2026-06-30"), D("2026-07-21"))
    review = only_open(case)
    assert (review.limit_days, review.due_on) == (7, D("2026-06-25"))


def test_a_suspension_moves_the_open_tasks_when_it_ends(city, clerk, person, version):
    case = accept(clerk, version, person, window=city.window)
    with time_machine.travel(dt.datetime(2026, 6, 16, 9, 0, tzinfo=SHANGHAI)):
        services.case_suspend(user=clerk, case=case, kind="inspection", reason="现场核查")
    with time_machine.travel(dt.datetime(2026, 6, 23, 9, 0, tzinfo=SHANGHAI)):
        services.case_resume(user=clerk, case=case)
    review = only_open(case)
    # 16 June through 23 June do not count: 2 days are 24 and 25 June.
    assert (review.due_on, review.card_level) == (D("2026-06-25"), CardLevel.NONE)
    assert refreshed(case).promised_due == D("2026-06-30")


# --- What the applicant is told ---------------------------------------------------------------------


def test_the_applicant_is_texted_at_the_steps_that_matter(
    city, clerk, version, reviewer, approver, hall_clerk
):
    from quanban.notify.models import OutboxMessage

    applicant = accounts.person_register(
        name="王五", id_number=factories.valid_id_number(seq="456"), phone="13905310009"
    )
    case = accept(clerk, version, applicant, window=city.window)
    services.task_complete(user=reviewer, task=only_open(case), outcome="pass", opinion="通过")
    services.task_complete(user=approver, task=only_open(case), outcome="approve")
    services.task_complete(
        user=hall_clerk, task=only_open(case), outcome="issued", delivery="window"
    )
    case = refreshed(case)
    assert list(OutboxMessage.objects.order_by("created_at").values_list("recipient", "body")) == [
        (
            "13905310009",
            f"【全办】您申请的“食品经营许可”已受理，办件编号 {case.number}，承诺 2026-06-23 前办结。",
        ),
        ("13905310009", f"【全办】您的办件 {case.number} 已作出决定：准予许可。"),
        ("13905310009", f"【全办】您的办件 {case.number} 已办结，结果已窗口领取。"),
    ]


# --- Inboxes ------------------------------------------------------------------------------------


def test_inboxes_by_person_office_department_and_team(city, clerk, person, version, reviewer):
    from quanban.cases import selectors

    first = accept(clerk, version, person, window=city.window)
    with time_machine.travel(dt.datetime(2026, 6, 16, 9, 0, tzinfo=SHANGHAI)):
        second = accept(clerk, version, person, window=city.window)
    older, newer = only_open(first), only_open(second)
    assert (older.due_on, newer.due_on) == (D("2026-06-17"), D("2026-06-18"))

    def inbox(scope, **kwargs):
        return [t.pk for t in selectors.task_inbox(user=reviewer, scope=scope, **kwargs)]

    assert inbox("team") == inbox("office") == inbox("department") == [older.pk, newer.pk]
    assert inbox("mine") == []
    services.task_claim(user=reviewer, task=newer)
    assert inbox("mine") == [newer.pk]
    assert inbox("team", kind="approve") == []
    # Someone whose roles reach another department sees none of it.
    outsider = factories.make_staff(city, Role.REVIEWER, scope=city.other_department)
    assert list(selectors.task_inbox(user=outsider, scope="team")) == []
    assert list(selectors.task_inbox(user=outsider, scope="department")) == []
    with pytest.raises(ValidationFailed):
        selectors.task_inbox(user=reviewer, scope="everyone")


def test_the_applicant_sees_the_days_left_with_the_extension(
    city, clerk, person, version, approver
):
    from quanban.cases import selectors

    case = accept(clerk, version, person, window=city.window)
    assert selectors.case_applicant_view(refreshed(case))["working_days_left"] == 5
    services.case_extend(user=approver, case=case, days=3, reason="需补充技术审查")
    with time_machine.travel(dt.datetime(2026, 6, 17, 9, 0, tzinfo=SHANGHAI)):
        view = selectors.case_applicant_view(refreshed(case))
    # 16 and 17 June used: 5 + 3 - 2.
    assert (view["working_days_left"], view["promised_due"]) == (6, D("2026-06-26"))
