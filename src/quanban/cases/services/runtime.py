"""The process runtime: routing, tasks and joins, decisions, issue, termination, 容缺 and 告知承诺.

A case accepted is routed to its lead department and office (分转中枢) and walks the steps of the
process definition it pinned (quanban.catalogue.process). Every step with work opens tasks; when the
last open task of a step is done the next step opens. Every service here locks the case row
before its tasks, so two people completing the last two parallel tasks at once are serialised:
the second sees the first's work and opens the next step, exactly once (and a unique constraint
on (case, step, department) would refuse a second opening anyway).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, RoleAssignment, User
from quanban.accounts.roles import Perm, Role
from quanban.accounts.selectors import require_perm
from quanban.cases import clock as case_clock
from quanban.cases.models import Case, CaseMaterial, CreditRecord, RoutingRule, Task
from quanban.cases.notifications import applicant_notify
from quanban.cases.services._common import (
    LOCK_RELATED,
    NUMBER_SQL,
    ONLINE_CHANNELS,
    State,
    as_locked,
    audit,
    card_for,
    case_number,
    case_number_next,
    case_snapshot,
    clock_events_sql,
    defer,
    flush,
    lock,
    require_transition,
    save,
    suspensions_of,
)
from quanban.catalogue import codes, rules
from quanban.catalogue import process as definitions
from quanban.core import clock
from quanban.core import rows as sql_rows
from quanban.core.audit import audit_record, audited_atomic, snapshot
from quanban.core.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationFailed
from quanban.licences.services import licence_issue_with_result

# Who may work a task given its role. Reviewing and approving stay apart (一审一核): an approver
# may review, but never approve a case they reviewed themselves (task_complete checks that).
ELIGIBLE_ROLES: dict[str, frozenset[str]] = {
    Role.REVIEWER: frozenset({Role.REVIEWER, Role.APPROVER, Role.OFFICE_HEAD}),
    Role.APPROVER: frozenset({Role.APPROVER, Role.OFFICE_HEAD, Role.DEPARTMENT_HEAD}),
    Role.OFFICE_HEAD: frozenset({Role.OFFICE_HEAD, Role.DEPARTMENT_HEAD}),
    Role.DEPARTMENT_HEAD: frozenset({Role.DEPARTMENT_HEAD}),
    Role.WINDOW_CLERK: frozenset(
        {Role.WINDOW_CLERK, Role.REVIEWER, Role.APPROVER, Role.OFFICE_HEAD}
    ),
}
# Outcomes a task of each kind may end with.
OUTCOMES: dict[str, frozenset[str]] = {
    "review": frozenset({"pass", "fail"}),
    "co_review": frozenset({"agree", "disagree"}),
    "meeting": frozenset({"held"}),
    "inspection": frozenset({"pass", "fail"}),
    "approve": frozenset({"approve", "partial", "reject"}),
    "issue": frozenset({"issued"}),
    "commitment_inspection": frozenset({"confirmed", "false"}),
}
# 告知承诺: the inspection after approval is a step outside the chain, with its own deadline.
COMMITMENT_STEP = "commitment_inspection"
COMMITMENT_INSPECTION_DAYS = 20
# The certificate leaves within 10 days of the decision (行政许可法 Art. 44).
ISSUE_LIMIT_DAYS = 10
TERMINATE_ROLES = frozenset({Role.APPROVER, Role.OFFICE_HEAD, Role.DEPARTMENT_HEAD})
_TASK_AUDIT_FIELDS = (
    "case",
    "step",
    "department",
    "office",
    "role",
    "assignee",
    "state",
    "due_on",
    "outcome",
    "version",
)


# --- Who may act ------------------------------------------------------------------------------


def user_has_role_in(user: User, roles: Collection[str], unit: OrgUnit) -> bool:
    """Whether the user holds one of ``roles`` in a scope that covers ``unit``."""
    if not user.is_authenticated or not user.is_active:
        return False
    paths = set(_ancestor_paths(unit))
    return any(role in roles and path in paths for role, path in _role_scopes(user))


# The user's roles and the paths of their scopes, read once for the user object (as
# accounts.selectors.user_perms keeps the permissions): a request checks several tasks, or one
# task at several points, and a person holds a handful of roles.
_ROLE_SCOPES = "_quanban_role_scopes"


def _role_scopes(user: User) -> frozenset[tuple[str, str]]:
    scopes = getattr(user, _ROLE_SCOPES, None)
    if scopes is None:
        scopes = frozenset(
            RoleAssignment.objects.filter(user=user).values_list("role", "org_unit__path")
        )
        setattr(user, _ROLE_SCOPES, scopes)
    return scopes


def _ancestor_paths(unit: OrgUnit) -> list[str]:
    """The materialized paths of the unit and every unit above it."""
    parts = unit.path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def task_may_work(user: User, task: Task) -> bool:
    roles = ELIGIBLE_ROLES.get(task.role, frozenset({task.role}))
    return user_has_role_in(user, roles, task.office or task.department)


# --- Routing (分转中枢) -------------------------------------------------------------------------


@functools.cache
def _routing_sql(vendor: str, numbered: bool = False) -> str:
    """Routing's one statement, written out once (every acceptance runs it): the units the rule
    that applies names, or the department's own with its first office if none does, each row
    with the rule's columns beside it (null without one). ``numbered`` (PostgreSQL): the day's
    next case number too, as the last column (``NUMBER_SQL`` as a data-modifying CTE; its day is
    the first parameter). ``vendor`` is the cache's key: the quoting is the vendor's."""
    q = connection.ops.quote_name
    rules, units = q(RoutingRule._meta.db_table), q(OrgUnit._meta.db_table)
    # The item's own rules, or its department's for any item; of those, the ones without an area
    # or with one on the window's path (the path is the chain of ids, "/1/4/17/"). The item's
    # own first, then one with an area, then the priority, then the oldest.
    rule = (
        f"SELECT {sql_rows.columns(RoutingRule)} FROM {rules} r"
        f" WHERE (r.{q('item_id')} = %s"
        f" OR (r.{q('item_id')} IS NULL AND r.{q('department_id')} = %s))"
        f" AND (r.{q('area_id')} IS NULL"
        f" OR %s LIKE '%%/' || CAST(r.{q('area_id')} AS TEXT) || '/%%')"
        f" ORDER BY (r.{q('item_id')} IS NOT NULL) DESC, (r.{q('area_id')} IS NOT NULL) DESC,"
        f" r.{q('priority')} DESC, r.{q('id')} LIMIT 1"
    )
    first_office = (
        f"SELECT o.{q('id')} FROM {units} o WHERE o.{q('parent_id')} = %s AND o.{q('kind')} = %s"
        f" AND o.{q('is_active')} ORDER BY o.{q('sort')}, o.{q('id')} LIMIT 1"
    )
    number = (
        (f"number AS ({NUMBER_SQL}), ", ", (SELECT last FROM number)") if numbered else ("", "")
    )
    return (
        f"WITH {number[0]}rule AS ({rule})"
        f" SELECT {sql_rows.columns(OrgUnit, 'u')}, {sql_rows.columns(RoutingRule, 'rule')}"
        f"{number[1]} FROM {units} u LEFT JOIN rule ON 1 = 1"
        f" WHERE u.{q('id')} = rule.{q('department_id')} OR u.{q('id')} = rule.{q('office_id')}"
        f" OR (rule.{q('id')} IS NULL AND (u.{q('id')} = %s OR u.{q('id')} = ({first_office})))"
    )


Route = tuple[OrgUnit, OrgUnit | None, RoutingRule | None, str]


def case_route(case: Case) -> Route:
    """The lead department and office of a case, the rule that chose them and why.

    The case's area is its window (and everything above it); an online case has none, so only
    rules without an area apply to it. Without a rule: the implementing department and its first
    office.
    """
    return _route(case, numbered=False)[0]


def case_route_and_number(case: Case, *, day: dt.date) -> tuple[Route, str]:
    """The case's routing (:func:`case_route`) and the day's next case number
    (:func:`case_number_next`), in one statement on PostgreSQL: an acceptance needs both, and
    takes the number's lock as late as it can."""
    if connection.vendor != "postgresql":  # no data-modifying CTE: the number on its own
        return case_route(case), case_number_next(day=day)
    route, last = _route(case, numbered=True, day=day)
    return route, case_number(day, last)


def _route(case: Case, *, numbered: bool, day: dt.date | None = None) -> tuple[Route, Any]:
    item = case.item_version.item
    department_id = item.implementing_department_id
    path = case.window.path if case.window is not None else ""
    params = [item.pk, department_id, path, department_id, department_id, OrgUnit.Kind.OFFICE]
    if numbered:
        params.insert(0, connection.ops.adapt_datefield_value(day))
    found = sql_rows.instances(OrgUnit, _routing_sql(connection.vendor, numbered), params)
    units = {unit.pk: unit for unit, _rule in found}
    last = found[0][1][-1] if numbered else None
    rule = sql_rows.instance_at(RoutingRule, found[0][1], 0)[0] if found else None
    if rule is not None:
        note = rule.note or _("分办规则 #%(id)d") % {"id": rule.pk}
        return (units[rule.department_id], units[rule.office_id], rule, note), last
    department = units.pop(department_id)
    office = next(iter(units.values()), None)
    return (department, office, None, _("默认：事项实施部门")), last


# --- Starting and advancing -----------------------------------------------------------------


def case_start(locked: Case, *, user: User | None, commitment: bool, route: Route) -> None:
    """Route a just-accepted case (``route``: :func:`case_route_and_number`'s), pin its process
    and open its first step (inside the accepting transaction, on the locked row)."""
    now = clock.now()
    today = clock.today()
    definition = definitions.definition_for(locked.item_version.process or {})
    problems = definitions.definition_problems(definition)
    if problems:
        raise Conflict(
            _("事项的办理流程定义有误，不能受理：%(problems)s") % {"problems": "；".join(problems)},
            code="process_invalid",
        )
    department, office, rule, note = route
    locked.process = definition
    locked.lead_department = department
    locked.lead_office = office
    locked.routing_rule = rule
    locked.routing_note = note
    defer(
        locked,
        fields=("process", "lead_department", "lead_office", "routing_rule", "routing_note"),
        bump=False,
    )
    audit_record(
        action="case.route",
        obj=locked,
        changes={
            "department": department.pk,
            "office": office.pk if office else None,
            "rule": rule.pk if rule else None,
            "note": note,
        },
    )
    if locked.on_the_spot:
        return  # 即办: the window decides and hands over in the same sitting
    if commitment:
        # 告知承诺: approved at once on the applicant's commitment; the inspection comes after.
        _decide(
            locked,
            decision=Case.Decision.APPROVE,
            by=None,
            text=locked.item_version.result_name or str(Case.Decision.APPROVE.label),
            reason=_("告知承诺：申请人已签署告知承诺书，当场作出审批决定。"),
            basis="",
            now=now,
            notify=False,
        )
        _open_commitment_inspection(locked, now=now, today=today)
        _open(locked, definitions.step_of(definition, "issue"), now=now, today=today)
        return
    _advance(locked, after="accept", now=now, today=today)


def _advance(case: Case, *, after: str, now: dt.datetime, today: dt.date) -> None:
    """Open the step after ``after``; an instant step decides (or falls through to a person)."""
    step = definitions.step_after(case.process, after)
    while step is not None and step["kind"] == "instant":
        if _instant(case, step, now=now):
            # Decided by the rules: the result is handed over (or, online, already sent).
            if case.state == State.FINISHED:
                return
            step = definitions.first_step_of_kind(case.process, "issue")
            break
        step = definitions.step_after(case.process, step["id"])
    if step is None:
        return
    _open(case, step, now=now, today=today)


def _instant(case: Case, step: Mapping[str, Any], *, now: dt.datetime) -> bool:
    """秒批: let the item's published rules decide; False when they cannot (a person will)."""
    process = case.item_version.process or {}
    outcome = rules.rule_outcome(
        key=str(process.get("instant_rule_set", "")),
        number=int(process.get("instant_rule_set_version") or 0),
        inputs=rule_inputs(case),
    )
    case.instant_outcome = {
        "rule_set": outcome.rule_set,
        "rule_set_version": outcome.rule_set_version,
        "rule": outcome.rule_id,
        "decision": outcome.decision,
        "reason": outcome.reason,
        "inputs": outcome.inputs,
        "elapsed_ms": round(outcome.elapsed_ms, 3),
        "decided_at": now.isoformat(),
    }
    defer(case, fields=("instant_outcome",), bump=False)
    audit_record(action="case.instant", obj=case, changes=case.instant_outcome)
    if outcome.decision not in (Case.Decision.APPROVE, Case.Decision.REJECT):
        return False
    _decide(
        case,
        decision=outcome.decision,
        by=None,
        text=(case.item_version.result_name or str(Case.Decision.APPROVE.label))
        if outcome.decision == Case.Decision.APPROVE
        else "",
        reason=outcome.reason,
        basis=_("秒批规则 %(key)s 第 %(n)d 版")
        % {"key": outcome.rule_set, "n": outcome.rule_set_version},
        now=now,
        notify=False,
    )
    if case.channel in ONLINE_CHANNELS:
        # Applied online and decided by the rules: the result goes out electronically at once.
        _issue(case, by=None, delivery=Case.Delivery.ELECTRONIC, tracking="", now=now, notify=False)
    return True


def rule_inputs(case: Case) -> dict[str, Any]:
    """What the instant rules see: the applicant's kind, age and area, and the declared form."""
    applicant: dict[str, Any]
    if case.person is not None:
        number = case.person.id_number
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        today = clock.today()
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        applicant = {"kind": "person", "age": age, "division_code": number[:6]}
    else:
        assert case.entity is not None
        applicant = {"kind": "entity", "age": None, "division_code": case.entity.uscc[2:8]}
    return {"applicant": applicant, "form": dict(case.form_data)}


def _step_limit(case: Case, step: Mapping[str, Any]) -> int:
    if step["kind"] == "issue":
        return ISSUE_LIMIT_DAYS
    promised = case.item_version.promised_limit_days
    if promised == 0:
        return 0
    return max(1, promised * int(step.get("share", 0)) // 100)


@functools.cache
def _departments_sql(count: int, vendor: str) -> str:
    """The code and id of each department of ``count`` codes (a co-review step's). ``vendor`` is
    the cache's key: the quoting is the vendor's."""
    q = connection.ops.quote_name
    return (
        f"SELECT {q('uscc')}, {q('id')} FROM {q(OrgUnit._meta.db_table)}"
        f" WHERE {q('kind')} = %s AND {q('uscc')} IN ({', '.join(['%s'] * count)})"
    )


@functools.cache
def _parent_sql(vendor: str) -> str:
    q = connection.ops.quote_name
    return f"SELECT {q('parent_id')} FROM {q(OrgUnit._meta.db_table)} WHERE {q('id')} = %s"


def _open(case: Case, step: Mapping[str, Any], *, now: dt.datetime, today: dt.date) -> list[Task]:
    """Open a step's tasks: one for the lead office, or one per co-review department."""
    kind = step["kind"]
    role = step.get("role") or Role.REVIEWER
    # (department id, office id) of each task: ids only, nothing loaded that is not needed.
    targets: list[tuple[int, int | None]]
    if kind == "co_review":
        wanted = list(step["departments"])
        with sql_rows.shared_cursor() as cursor:
            cursor.execute(
                _departments_sql(len(wanted), connection.vendor), [OrgUnit.Kind.DEPARTMENT, *wanted]
            )
            by_code = dict(cursor.fetchall())
        unknown = [code for code in step["departments"] if code not in by_code]
        if unknown:
            raise Conflict(
                _("并联审查部门不存在：%(codes)s") % {"codes": "、".join(unknown)},
                code="process_department_unknown",
            )
        targets = [(by_code[code], None) for code in step["departments"]]
    elif kind == "issue" and case.window_id is not None:
        # The hall whose window received the person.
        if Case.window.is_cached(case):
            assert case.window is not None
            hall = case.window.parent_id
        else:
            with sql_rows.shared_cursor() as cursor:
                cursor.execute(_parent_sql(connection.vendor), [case.window_id])
                hall = cursor.fetchone()[0]
        assert hall is not None
        targets = [(hall, None)]
    else:
        assert case.lead_department_id is not None
        targets = [(case.lead_department_id, case.lead_office_id)]
    limit = _step_limit(case, step)
    tasks = [
        Task(
            case=case,
            step=step["id"],
            kind=kind,
            name=step.get("name") or definitions.STEP_KINDS[kind],
            department_id=department,
            office_id=office,
            role=role,
            opened_at=now,
            opened_on=today,
            limit_days=limit,
        )
        for department, office in targets
    ]
    suspensions = suspensions_of(case)
    for task in tasks:
        _task_clock(task, suspensions, today)
    sql_rows.insert_many(tasks)
    if step["id"] != COMMITMENT_STEP:
        case.current_step = step["id"]
        defer(case, fields=("current_step",), bump=False)  # written with the service's UPDATE
    audit_record(
        action="case.step_open",
        obj=case,
        changes={"step": step["id"], "departments": [t.department_id for t in tasks]},
    )
    return tasks


def _open_commitment_inspection(case: Case, *, now: dt.datetime, today: dt.date) -> Task:
    assert case.lead_department_id is not None
    task = Task(
        case=case,
        step=COMMITMENT_STEP,
        kind=COMMITMENT_STEP,
        name=str(_("承诺核查")),
        department_id=case.lead_department_id,
        office_id=case.lead_office_id,
        role=Role.REVIEWER,
        opened_at=now,
        opened_on=today,
        limit_days=COMMITMENT_INSPECTION_DAYS,
    )
    _task_clock(task, suspensions_of(case), today)
    task.save()
    audit_record(action="case.step_open", obj=case, changes={"step": COMMITMENT_STEP})
    return task


def _task_clock(task: Task, suspensions: list[case_clock.Suspension], today: dt.date) -> None:
    task.due_on = case_clock.due_date(task.opened_on, task.limit_days, suspensions)
    task.warn_on = case_clock.warn_date(task.opened_on, task.limit_days, suspensions)
    task.card_level = card_for(today, task.warn_on, task.due_on)


def tasks_reclock(case: Case, *, today: dt.date, extra_days: int = 0) -> None:
    """Recompute the open tasks' due dates (a suspension ended, or an extension added days)."""
    suspensions = suspensions_of(case)
    for task in Task.objects.filter(case=case, state=Task.State.OPEN):
        task.limit_days += extra_days
        _task_clock(task, suspensions, today)
        task.version += 1
        task.save(update_fields=["limit_days", "due_on", "warn_on", "card_level", "version"])


# --- Tasks --------------------------------------------------------------------------------------


def _person_name(user: User | None) -> str:
    return "" if user is None else user.display_name or user.get_username()


_TASK_RELATED = ("department", "office")
# The task lock reads the task's case (locked, with what every case lock reads) in the same
# statement: the case's joins under "case".
_TASK_LOCK_RELATED = (*_TASK_RELATED, "case", *(f"case__{path}" for path in LOCK_RELATED))


@functools.cache
def _case_tasks_sql(vendor: str) -> str:
    """The task, the case's open tasks and its done reviews, with their units and their case
    (its clock events too), the case locked first and then the tasks: the order every service
    takes them in, so that two services never wait for each other. ``vendor`` is the cache's
    key: the quoting is the vendor's."""
    q = connection.ops.quote_name
    join = sql_rows.joined(Task, _TASK_LOCK_RELATED, vendor)
    case = f"t{_TASK_LOCK_RELATED.index('case') + 1}"
    of = sql_rows.for_update_of(case, "t0")
    return (
        f"SELECT {join.columns}{clock_events_sql(case)} FROM {join.tables}"
        f" WHERE t0.{q('case_id')} = %s AND (t0.{q('id')} = %s OR t0.{q('state')} = %s"
        f" OR (t0.{q('kind')} = %s AND t0.{q('state')} = %s)) ORDER BY t0.{q('id')}{of}"
    )


def _lock_task(task: Task, *, expected_version: int | None) -> tuple[Case, Task, list[Task]]:
    """Lock the task's case, then the task with the case's other open tasks (the join asks
    whether they are done) and its done reviews (一审一核 asks who did them), all in one
    statement; refuse a stale version of the task.

    Returns the case, the task and those other tasks of the case.
    """
    assert connection.in_atomic_block, "a task is locked inside the transaction that writes it"
    found = sql_rows.instances(
        Task,
        _case_tasks_sql(connection.vendor),
        [task.case_id, task.pk, Task.State.OPEN, "review", Task.State.DONE],
        related=_TASK_LOCK_RELATED,
    )
    rows = [row for row, _events in found]
    locked = next((row for row in rows if row.pk == task.pk), None)
    if locked is None:
        raise Task.DoesNotExist("Task matching query does not exist.")
    # Every row reads the same case and clock events. With those known, opening the next step
    # asks nothing about suspensions.
    case = as_locked(locked.case, found[0][1], expected_version=None)
    others = [row for row in rows if row.pk != task.pk]
    if expected_version is not None and locked.version != expected_version:
        raise StaleEdit(
            _("任务已被他人处理（您看到的是第 %(seen)d 版，现为第 %(now)d 版），请刷新后重试。")
            % {"seen": expected_version, "now": locked.version},
            extra={"current_version": locked.version},
        )
    if locked.state != Task.State.OPEN:
        raise Conflict(
            _("任务已是“%(state)s”状态。") % {"state": locked.get_state_display()},
            code="task_state",
            extra={"state": locked.state},
        )
    return case, locked, others


def _task_audit(action: str, task: Task, before: Mapping[str, Any] | None, **changes: Any) -> None:
    audit_record(
        action=f"task.{action}",
        obj=task,
        before=before,
        after=snapshot(task, _TASK_AUDIT_FIELDS),
        changes=changes or None,
    )


def task_claim(*, user: User, task: Task, expected_version: int | None = None) -> Task:
    """签收: take an open task from the office's or department's inbox; one person at a time."""
    require_perm(user, Perm.BUSINESS_WRITE)
    with audited_atomic():
        _case, locked, _others = _lock_task(task, expected_version=expected_version)
        if not task_may_work(user, locked):
            raise PermissionDenied(_("您不能办理该任务。"), code="task_not_yours")
        if locked.assignee_id is not None and locked.assignee_id != user.pk:
            raise Conflict(
                _("任务已由%(name)s签收。") % {"name": _person_name(locked.assignee)},
                code="task_claimed",
            )
        if locked.assignee_id == user.pk:
            return locked
        before = snapshot(locked, _TASK_AUDIT_FIELDS)
        locked.assignee = user
        locked.claimed_at = clock.now()
        locked.version += 1
        sql_rows.update(locked, ["assignee", "claimed_at", "version"], held=True)
        _task_audit("claim", locked, before)
    return locked


def task_release(*, user: User, task: Task, expected_version: int | None = None) -> Task:
    """退回待办: give a claimed task back to its inbox (the assignee, or a head over them)."""
    require_perm(user, Perm.BUSINESS_WRITE)
    with transaction.atomic():
        _case, locked, _others = _lock_task(task, expected_version=expected_version)
        heads = frozenset({Role.OFFICE_HEAD, Role.DEPARTMENT_HEAD})
        if locked.assignee_id is None:
            raise Conflict(_("任务尚未签收。"), code="task_not_claimed")
        if locked.assignee_id != user.pk and not user_has_role_in(
            user, heads, locked.office or locked.department
        ):
            raise PermissionDenied(_("只有签收人或负责人可以退回任务。"), code="task_not_yours")
        before = snapshot(locked, _TASK_AUDIT_FIELDS)
        locked.assignee = None
        locked.claimed_at = None
        locked.version += 1
        sql_rows.update(locked, ["assignee", "claimed_at", "version"])
        _task_audit("release", locked, before)
    return locked


def _clean_meeting(data: Mapping[str, Any]) -> dict[str, Any]:
    held_on = data.get("held_on")
    attendees = data.get("attendees")
    decision = str(data.get("decision", "")).strip()
    try:
        held = dt.date.fromisoformat(str(held_on))
    except ValueError:
        held = None
    if (
        held is None
        or not isinstance(attendees, list)
        or not attendees
        or not all(isinstance(a, str) and a.strip() for a in attendees)
        or not decision
    ):
        raise ValidationFailed(
            _("集体研究须记录会议日期、参会人员和研究结论。"),
            code="meeting_record_incomplete",
            field="data",
        )
    if held > clock.today():
        raise ValidationFailed(
            _("会议日期不能晚于今天。"), code="meeting_date_future", field="data.held_on"
        )
    return {
        "held_on": held.isoformat(),
        "attendees": [a.strip() for a in attendees],
        "decision": decision,
    }


def task_complete(
    *,
    user: User,
    task: Task,
    outcome: str,
    opinion: str = "",
    data: Mapping[str, Any] | None = None,
    decision_text: str = "",
    legal_basis: str = "",
    delivery: str = "",
    tracking_number: str = "",
    expected_version: int | None = None,
) -> Task:
    """办理: finish a task with its outcome and opinion; the case moves on when the step is done.

    - review (审查) ``pass``/``fail``, co-review (并联审查) ``agree``/``disagree``, inspection
      (现场核查) ``pass``/``fail``: the opinion is the record; the next step opens (after the
      last co-review task: the join).
    - meeting (集体研究) ``held``: ``data`` records the date, attendees and decision.
    - approve (审批) ``approve``/``partial``/``reject``: the decision; a partial approval or a
      rejection needs its reason (``opinion``), a rejection also its ``legal_basis``.
    - issue (出件) ``issued``: ``delivery`` window/post/electronic (post needs the
      ``tracking_number``); not while 容缺 materials of an approval are still owed.
    - commitment inspection (承诺核查) ``confirmed``/``false``: a false commitment revokes the
      approval and writes a credit record.
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    opinion = opinion.strip()
    with audited_atomic():
        case, locked, others = _lock_task(task, expected_version=expected_version)
        if not task_may_work(user, locked):
            raise PermissionDenied(_("您不能办理该任务。"), code="task_not_yours")
        if locked.assignee_id is not None and locked.assignee_id != user.pk:
            raise Conflict(_("任务已由他人签收，请先由签收人退回。"), code="task_claimed_by_other")
        allowed = OUTCOMES[locked.kind]
        if outcome not in allowed:
            raise ValidationFailed(
                _("办理结果应为：%(outcomes)s") % {"outcomes": "、".join(sorted(allowed))},
                code="outcome_invalid",
                field="outcome",
            )
        record: dict[str, Any] = {}
        if locked.kind == "meeting":
            record = _clean_meeting(data or {})
        if locked.kind in ("inspection", COMMITMENT_STEP) and not opinion:
            raise ValidationFailed(_("请写明核查情况。"), code="opinion_required", field="opinion")
        if locked.kind == "approve":
            _check_separation(user, others)
        now = clock.now()
        today = clock.today()
        before = snapshot(locked, _TASK_AUDIT_FIELDS)
        if locked.kind == "approve":
            _decide_from_task(case, user, outcome, opinion, decision_text, legal_basis, now=now)
        elif locked.kind == "issue":
            _issue(case, by=user, delivery=delivery, tracking=tracking_number, now=now)
        elif locked.kind == COMMITMENT_STEP and outcome == "false":
            _revoke_false_commitment(case, user, opinion, now=now)
        locked.state = Task.State.DONE
        if locked.assignee_id is None:
            locked.assignee = user
        locked.claimed_at = locked.claimed_at or now
        locked.completed_at = now
        locked.completed_by = user
        locked.outcome = outcome
        locked.opinion = opinion
        locked.data = record
        locked.version += 1
        sql_rows.update(locked, _TASK_COMPLETE_FIELDS, held=True)
        _task_audit("complete", locked, before, outcome=outcome, opinion=opinion)
        # The join: the step is done when no other task of it is open (read with the lock; a
        # revocation above cancels tasks of other steps only).
        still_open = any(
            other.step == locked.step and other.state == Task.State.OPEN for other in others
        )
        if locked.step != COMMITMENT_STEP and not still_open:
            if locked.kind == "approve" and case.state == State.DECIDED:
                issue = definitions.first_step_of_kind(case.process, "issue")
                assert issue is not None
                _open(case, issue, now=now, today=today)
            elif locked.kind not in ("approve", "issue"):
                _advance(case, after=locked.step, now=now, today=today)
        flush(case, now=now)  # the case's changes, if any, in one UPDATE
    return locked


_TASK_COMPLETE_FIELDS = (
    "state",
    "assignee",
    "claimed_at",
    "completed_at",
    "completed_by",
    "outcome",
    "opinion",
    "data",
    "version",
)


def _check_separation(user: User, tasks: Iterable[Task]) -> None:
    """一审一核: refuse the approval to whoever did a review of the case (``tasks``: its done
    reviews, as :func:`_lock_task` reads them)."""
    reviewed = any(
        t.kind == "review" and t.state == Task.State.DONE and t.completed_by_id == user.pk
        for t in tasks
    )
    if reviewed:
        raise PermissionDenied(
            _("审查与审批须由不同人员办理（一审一核）：您已审查过本件。"),
            code="review_approve_same_person",
        )


# --- Decisions and the result ------------------------------------------------------------------


def _decide_from_task(
    case: Case,
    user: User,
    outcome: str,
    opinion: str,
    decision_text: str,
    legal_basis: str,
    *,
    now: dt.datetime,
    notify: bool = True,
) -> None:
    decision_text, legal_basis = decision_text.strip(), legal_basis.strip()
    if outcome == Case.Decision.REJECT and not (opinion and legal_basis):
        raise ValidationFailed(
            _("不予许可必须写明理由和法律依据。"),
            code="rejection_incomplete",
            field="opinion" if not opinion else "legal_basis",
        )
    if outcome == Case.Decision.PARTIAL and not (opinion and decision_text):
        raise ValidationFailed(
            _("部分准予须写明准予的内容和不予准予部分的理由。"),
            code="partial_incomplete",
            field="decision_text" if not decision_text else "opinion",
        )
    if outcome == Case.Decision.APPROVE and not decision_text:
        decision_text = case.item_version.result_name or str(Case.Decision.APPROVE.label)
    _decide(
        case,
        decision=outcome,
        by=user,
        text=decision_text,
        reason=opinion,
        basis=legal_basis,
        now=now,
        notify=notify,
    )


def _decide(
    case: Case,
    *,
    decision: str,
    by: User | None,
    text: str,
    reason: str,
    basis: str,
    now: dt.datetime,
    notify: bool = True,
) -> None:
    before = case_snapshot(case)
    case.state = require_transition(case, "decide")
    case.decision = decision
    case.decision_text = text
    case.decision_reason = reason
    case.decision_legal_basis = basis
    case.decided_at = now
    case.decided_by = by
    # Written with the service's one UPDATE of the case (flush).
    defer(
        case,
        fields=(
            "state",
            "decision",
            "decision_text",
            "decision_reason",
            "decision_legal_basis",
            "decided_at",
            "decided_by",
        ),
    )
    audit("decide", case, before, decision=decision, reason=reason, legal_basis=basis)
    if notify:
        applicant_notify(case, "decided")


def owed_materials(case: Case) -> list[CaseMaterial]:
    """容缺 materials promised and not yet handed in."""
    return list(
        CaseMaterial.objects.filter(
            case=case, deferred_until__isnull=False, received=False
        ).select_related("material")
    )


def _issue(
    case: Case,
    *,
    by: User | None,
    delivery: str,
    tracking: str,
    now: dt.datetime,
    notify: bool = True,
) -> None:
    if delivery not in Case.Delivery.values:
        raise ValidationFailed(
            _("请选择送达方式：窗口领取、邮寄送达或电子送达。"),
            code="delivery_invalid",
            field="delivery",
        )
    tracking = tracking.strip()
    if delivery == Case.Delivery.POST and not tracking:
        raise ValidationFailed(
            _("邮寄送达须填写邮件号。"), code="tracking_number_required", field="tracking_number"
        )
    # Materials are deferred (容缺) only at acceptance, which then sets the case's deferral date:
    # without one, nothing can be owed.
    if case.decision != Case.Decision.REJECT and case.deferral_due is not None:
        owed = owed_materials(case)
        if owed:
            raise Conflict(
                _("容缺材料尚未补齐（%(names)s），不能出件。")
                % {"names": "、".join(row.material.name for row in owed)},
                code="deferred_materials_outstanding",
                extra={"material_ids": [row.material_id for row in owed]},
            )
    before = case_snapshot(case)
    case.state = require_transition(case, "issue")
    case.delivery = delivery
    case.tracking_number = tracking
    case.issued_at = now
    case.issued_by = by
    case.finished_at = now
    case.current_step = ""
    # Handed over at the window or sent electronically: the applicant has it now. A posted
    # result is delivered when the post says so (case_deliver).
    if delivery != Case.Delivery.POST:
        case.delivered_at = now
    # Written with the service's one UPDATE of the case (flush).
    defer(
        case,
        fields=(
            "state",
            "delivery",
            "tracking_number",
            "issued_at",
            "issued_by",
            "finished_at",
            "current_step",
            "delivered_at",
        ),
    )
    audit("issue", case, before, delivery=delivery, tracking_number=tracking)
    # The electronic licence the item produces, issued with the result (quanban.licences). The
    # invitation to rate the service follows from the worker once the applicant has the result
    # (quanban.feedback.tasks).
    licence_issue_with_result(case=case, user=by)
    if notify:
        applicant_notify(case, "issued")


def case_deliver(
    *,
    user: User,
    case: Case,
    delivered_at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Case:
    """Record when the applicant received a posted result (the post's delivery date)."""
    require_perm(user, Perm.BUSINESS_WRITE)
    with audited_atomic():
        locked = lock(case, expected_version=expected_version)
        if locked.delivery != Case.Delivery.POST or locked.delivered_at is not None:
            raise Conflict(
                _("只有已寄出且尚未签收的结果可以登记送达。"), code="delivery_not_pending"
            )
        now = clock.now()
        when = delivered_at or now
        assert locked.issued_at is not None
        if when < locked.issued_at or when > now:
            raise ValidationFailed(
                _("送达时间应在寄出之后、现在之前。"),
                code="delivered_at_invalid",
                field="delivered_at",
            )
        before = case_snapshot(locked)
        locked.delivered_at = when
        save(locked, now=now, fields=("delivered_at",))
        audit("deliver", locked, before, delivered_at=when.isoformat())
    return locked


def _cancel_open_tasks(case: Case) -> None:
    Task.objects.filter(case=case, state=Task.State.OPEN).update(state=Task.State.CANCELLED)


def case_terminate(
    *,
    user: User,
    case: Case,
    termination: str,
    note: str,
    expected_version: int | None = None,
) -> Case:
    """终止: the applicant withdrew, or 容缺 materials were not supplied in time.

    An approver or head of the lead department decides it (before acceptance: any clerk, for a
    withdrawal). A 容缺 termination needs the case flagged as lapsed first. (A false commitment
    ends through the commitment inspection, which revokes the approval.)
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    allowed = {Case.Termination.WITHDRAWN, Case.Termination.DEFERRAL_LAPSED}
    if termination not in allowed:
        raise ValidationFailed(
            _("终止原因应为申请人撤回或容缺材料逾期未补。"),
            code="termination_invalid",
            field="termination",
        )
    note = note.strip()
    if not note:
        raise ValidationFailed(
            _("终止须写明说明。"), code="termination_note_required", field="note"
        )
    with audited_atomic():
        locked = lock(case, expected_version=expected_version)
        require_transition(locked, "terminate")
        if locked.lead_department is not None and not user_has_role_in(
            user, TERMINATE_ROLES, locked.lead_department
        ):
            raise PermissionDenied(
                _("只有主办部门的审批人员或负责人可以终止办件。"), code="terminate_not_allowed"
            )
        if termination == Case.Termination.DEFERRAL_LAPSED and not locked.deferral_lapsed:
            raise Conflict(_("容缺材料尚未逾期，不能以此终止。"), code="deferral_not_lapsed")
        _terminate(locked, termination, note, now=clock.now())
    return locked


def _terminate(case: Case, termination: str, note: str, *, now: dt.datetime) -> None:
    before = case_snapshot(case)
    case.state = require_transition(case, "terminate")
    case.termination = termination
    case.termination_note = note
    case.terminated_at = now
    case.finished_at = now
    case.current_step = ""
    save(
        case,
        now=now,
        fields=(
            "state",
            "termination",
            "termination_note",
            "terminated_at",
            "finished_at",
            "current_step",
        ),
    )
    _cancel_open_tasks(case)
    audit("terminate", case, before, termination=termination, note=note)
    applicant_notify(case, "terminated")


def case_withdraw(
    *, user: User, case: Case, note: str = "", expected_version: int | None = None
) -> Case:
    """撤回: the applicant withdraws their own application before it is decided."""
    with transaction.atomic():
        locked = lock(case, expected_version=expected_version)
        own = (
            locked.submitted_by_id == user.pk
            or (locked.person is not None and locked.person.user_id == user.pk)
            or (locked.entity is not None and locked.entity.user_id == user.pk)
        )
        if not own:
            raise NotFound(_("找不到该办件。"), code="case_not_found")
        if locked.state == State.DECIDED:
            raise Conflict(_("已作出决定的办件不能撤回。"), code="case_state")
        _terminate(
            locked,
            Case.Termination.WITHDRAWN,
            note.strip() or str(_("申请人撤回申请")),
            now=clock.now(),
        )
    return locked


def _revoke_false_commitment(case: Case, user: User, finding: str, *, now: dt.datetime) -> None:
    before = case_snapshot(case)
    case.state = require_transition(case, "revoke")
    case.revoked_at = now
    case.revocation_reason = finding
    case.termination = Case.Termination.FALSE_COMMITMENT
    case.current_step = ""
    save(
        case,
        now=now,
        fields=("state", "revoked_at", "revocation_reason", "termination", "current_step"),
    )
    Task.objects.filter(case=case, state=Task.State.OPEN).exclude(step=COMMITMENT_STEP).update(
        state=Task.State.CANCELLED
    )
    record = CreditRecord.objects.create(
        case=case,
        person=case.person,
        entity=case.entity,
        kind=CreditRecord.Kind.FALSE_COMMITMENT,
        finding=finding,
        recorded_by=user,
        created_at=now,
    )
    audit("revoke", case, before, finding=finding, credit_record=record.pk)
    applicant_notify(case, "revoked")


# --- 容缺 ------------------------------------------------------------------------------------


def case_supply_deferred(
    *,
    user: User,
    case: Case,
    material_ids: Iterable[int],
    expected_version: int | None = None,
) -> list[int]:
    """The applicant brings 容缺 materials they promised; returns the ids still owed."""
    require_perm(user, Perm.BUSINESS_WRITE)
    wanted = sorted(set(material_ids))
    if not wanted:
        raise ValidationFailed(
            _("请选择补交的材料。"), code="materials_required", field="material_ids"
        )
    with audited_atomic():
        locked = lock(case, expected_version=expected_version)
        owed = {row.material_id: row for row in owed_materials(locked)}
        not_owed = [m for m in wanted if m not in owed]
        if not_owed:
            raise ValidationFailed(
                _("这些材料不是待补交的容缺材料：%(ids)s") % {"ids": ", ".join(map(str, not_owed))},
                code="material_not_owed",
                field="material_ids",
            )
        if locked.state not in (State.ACCEPTED, State.DECIDED):
            raise Conflict(
                _("办件当前为“%(state)s”，不能补交材料。") % {"state": locked.get_state_display()},
                code="case_state",
            )
        now = clock.now()
        before = case_snapshot(locked)
        CaseMaterial.objects.filter(case=locked, material_id__in=wanted).update(
            received=True, received_at=now, source=CaseMaterial.Source.PAPER
        )
        remaining = sorted(set(owed) - set(wanted))
        if not remaining and locked.deferral_lapsed:
            locked.deferral_lapsed = False
        save(locked, now=now, fields=("deferral_lapsed",))
        audit("supply_deferred", locked, before, supplied=wanted, remaining=remaining)
    return remaining


def case_flag_lapsed_deferrals(*, today: dt.date | None = None) -> int:
    """Flag every running case whose 容缺 supply date has passed with something still owed.

    Run daily by the worker; returns how many cases it flagged (each audited).
    """
    today = today or clock.today()
    due = (
        Case.objects.filter(
            state__in=[State.ACCEPTED, State.DECIDED],
            deferral_lapsed=False,
            deferral_due__lt=today,
            materials__deferred_until__isnull=False,
            materials__received=False,
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    flagged = 0
    for pk in list(due):
        with transaction.atomic():
            locked = lock(Case(pk=pk))
            if locked.deferral_lapsed or not owed_materials(locked):
                continue
            before = case_snapshot(locked)
            locked.deferral_lapsed = True
            save(locked, now=clock.now(), fields=("deferral_lapsed",))
            audit("deferral_lapsed", locked, before)
            flagged += 1
    return flagged


# --- 即办 ------------------------------------------------------------------------------------


def case_finish_on_the_spot(
    *,
    user: User,
    case: Case,
    decision: str = Case.Decision.APPROVE,
    decision_text: str = "",
    reason: str = "",
    legal_basis: str = "",
    received_material_ids: Iterable[int] = (),
    expected_version: int | None = None,
) -> Case:
    """即办: an on-the-spot item accepted, decided and handed over at the window in one sitting."""
    from quanban.cases.services.intake import _accept_locked, _tick

    require_perm(user, Perm.BUSINESS_WRITE)
    if decision not in Case.Decision.values:
        raise ValidationFailed(
            _("审批决定应为准予、部分准予或不予许可。"), code="decision_invalid", field="decision"
        )
    with audited_atomic():
        locked = lock(case, expected_version=expected_version)
        if locked.item_version.case_kind != codes.CaseKind.INSTANT:
            raise Conflict(
                _("事项“%(name)s”不是即办件。") % {"name": locked.item_version.name},
                code="not_on_the_spot_item",
            )
        ticked = _tick(locked, received_material_ids)
        locked.on_the_spot = True
        defer(locked, fields=("on_the_spot",), bump=False)  # written with the acceptance
        _accept_locked(locked, user=user, commitment=False, ticked=ticked, notify=False)
        now = clock.now()
        _decide_from_task(
            locked,
            user,
            decision,
            reason.strip(),
            decision_text,
            legal_basis,
            now=now,
            notify=False,
        )
        _issue(locked, by=user, delivery=Case.Delivery.WINDOW, tracking="", now=now, notify=False)
        flush(locked, now=now)
        applicant_notify(locked, "issued")
    return locked


__all__ = [
    "ELIGIBLE_ROLES",
    "OUTCOMES",
    "case_deliver",
    "case_finish_on_the_spot",
    "case_flag_lapsed_deferrals",
    "case_route",
    "case_start",
    "case_supply_deferred",
    "case_terminate",
    "case_withdraw",
    "owed_materials",
    "rule_inputs",
    "task_claim",
    "task_complete",
    "task_may_work",
    "task_release",
    "tasks_reclock",
    "user_has_role_in",
]
