"""Reads of cases and tasks, with their access rules: inboxes, the case page, the applicant's view.

Staff see a case when one of their role scopes is a unit the case is handled in (its lead
department or office, a department or office with a task on it, or the hall whose window
received it) or when they received it themselves (首问负责). Applicants see their own cases only:
those they submitted, or whose applicant is the person or company their account holds. Anyone
else gets "not found", never "forbidden" (a case number says nothing about whether it exists).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from quanban.accounts.models import REACH_CACHE, OrgUnit, RoleAssignment, User
from quanban.accounts.roles import ADMIN_ROLES, Role
from quanban.cases import clock as case_clock
from quanban.cases.models import CardLevel, Case, CaseMaterial, CaseSuspension, Task
from quanban.cases.services._common import (
    ever_suspended,
    extensions_of,
    suspensions_of,
)
from quanban.core import clock
from quanban.core import rows as sql_rows
from quanban.core.audit import audit_pending
from quanban.core.errors import NotFound, ValidationFailed
from quanban.core.models import AuditRecord

BUSINESS_ROLES = frozenset(
    {
        Role.WINDOW_CLERK,
        Role.REVIEWER,
        Role.APPROVER,
        Role.OFFICE_HEAD,
        Role.DEPARTMENT_HEAD,
    }
)
INBOX_SCOPES = ("mine", "office", "department", "team")
MAX_PAGE = 200


def work_unit_ids(user: User) -> list[int]:
    """The units the user works in: the scopes of their business roles (departments, offices,
    halls) and everything under them."""
    return [pk for pk, _kind, _parent in _reach(user)]


def _reach(user: User) -> list[tuple[int, str, int | None]]:
    """(id, kind, parent id) of every unit the user's business roles reach."""
    if not user.is_authenticated:
        return []
    # Kept on the user object, as ``User.role_names`` keeps the roles: a request asks it several
    # times (the task it reads, that task's case, the reply). Granting a role forgets it.
    cached: list[tuple[int, str, int | None]] | None = getattr(user, REACH_CACHE, None)
    if cached is None:
        cached = _reach_read(user)
        setattr(user, REACH_CACHE, cached)
    return cached


_REACH_ROLES = tuple(sorted(BUSINESS_ROLES - ADMIN_ROLES))


@functools.cache
def _scope_paths_sql(vendor: str) -> str:
    # ``vendor`` is the cache's key (quoting), here and in ``_units_under_sql``.
    q = connection.ops.quote_name
    roles = ", ".join(["%s"] * len(_REACH_ROLES))
    return (
        f"SELECT DISTINCT o.{q('path')} FROM {q(RoleAssignment._meta.db_table)} r"
        f" JOIN {q(OrgUnit._meta.db_table)} o ON o.{q('id')} = r.{q('org_unit_id')}"
        f" WHERE r.{q('user_id')} = %s AND r.{q('role')} IN ({roles}) ORDER BY o.{q('path')}"
    )


@functools.cache
def _units_under_sql(vendor: str, scopes: int) -> str:
    q = connection.ops.quote_name
    # The vendor's LIKE for a prefix, with its escape (every backend has the table; the base
    # class's stubs do not name it).
    like = connection.operators["startswith"]  # type: ignore[attr-defined]
    under = " OR ".join([f"{q('path')} {like}"] * scopes)
    return (
        f"SELECT {q('id')}, {q('kind')}, {q('parent_id')} FROM {q(OrgUnit._meta.db_table)}"
        f" WHERE {under} ORDER BY {q('id')}"
    )


def _reach_read(user: User) -> list[tuple[int, str, int | None]]:
    """The scopes of the user's business roles, then every unit under them (a scope covers its
    unit and everything below: a path prefix, which the path's index serves): two statements
    written out once, where the ORM compiled them on every staff request."""
    with sql_rows.shared_cursor() as cursor:
        cursor.execute(_scope_paths_sql(connection.vendor), [user.pk, *_REACH_ROLES])
        paths = [path for (path,) in cursor.fetchall()]
        if not paths:
            return []
        cursor.execute(
            _units_under_sql(connection.vendor, len(paths)),
            [connection.ops.prep_for_like_query(path) + "%" for path in paths],
        )
        return [(pk, kind, parent) for pk, kind, parent in cursor.fetchall()]


def _team_units(user: User) -> tuple[list[int], list[int]]:
    """The departments (and halls) and the offices whose open tasks are the user's team's, as
    the inbox indexes serve them.

    A task's ``department`` is a department or a hall and its ``office`` an office, so the
    filter names departments and halls by the first column and only the offices whose department
    is out of reach by the second: a reviewer of a department gets ``department_id IN (…)``
    alone, which the (department, state, due_on) index returns in due order.
    """
    units = _reach(user)
    departments = {pk for pk, kind, _parent in units if kind in _TASK_DEPARTMENT_KINDS}
    offices = [
        pk
        for pk, kind, parent in units
        if kind == OrgUnit.Kind.OFFICE and parent not in departments
    ]
    return sorted(departments), offices


_TASK_DEPARTMENT_KINDS = frozenset({OrgUnit.Kind.DEPARTMENT, OrgUnit.Kind.HALL})


# --- Inboxes ----------------------------------------------------------------------------------

# What an inbox row shows of its task, read with it.
_INBOX_RELATED = ("case", "case__item_version", "department", "office", "assignee")
_INBOX_ORDERS = {
    # Earliest due first: red (past due) before yellow before the rest, and the inbox index
    # (department, state, due_on) serves it without a sort. A task whose clock stands still
    # (due date unknown while suspended) comes last.
    "urgency": (("due_on", "ASC NULLS LAST"), ("opened_at", "ASC"), ("id", "ASC")),
    "opened": (("opened_at", "ASC"), ("id", "ASC")),
    "-opened": (("opened_at", "DESC"), ("id", "DESC")),
}


@functools.cache
def _inbox_sql(
    vendor: str, where: tuple[tuple[str, int], ...], card: bool, kind: bool, order: str
) -> str:
    """The inbox's statement for one shape of filter: ``where`` names the columns compared, each
    with how many values (1: equal, more: one of them; two columns: either). ``vendor`` is the
    cache's key: the quoting is the vendor's."""
    q = connection.ops.quote_name
    join = sql_rows.joined(Task, _INBOX_RELATED, vendor)

    def compare(column: str, count: int) -> str:
        if count == 1:
            return f"t0.{q(column)} = %s"
        return f"t0.{q(column)} IN ({', '.join(['%s'] * count)})"

    either = " OR ".join(compare(column, count) for column, count in where)
    conditions = [f"t0.{q('state')} = %s", f"({either})"]
    if card:
        conditions.append(f"t0.{q('card_level')} = %s")
    if kind:
        conditions.append(f"t0.{q('kind')} = %s")
    ordering = ", ".join(f"t0.{q(column)} {way}" for column, way in _INBOX_ORDERS[order])
    return (
        f"SELECT {join.columns} FROM {join.tables} WHERE {' AND '.join(conditions)}"
        f" ORDER BY {ordering} LIMIT %s OFFSET %s"
    )


def task_inbox_statement(
    *,
    user: User,
    scope: str = "mine",
    card: str = "",
    kind: str = "",
    order: str = "urgency",
    limit: int = 50,
    offset: int = 0,
) -> tuple[str, list[Any]] | None:
    """The statement of :func:`task_inbox` and its parameters; None when the scope reaches
    nothing (an empty inbox, no statement)."""
    if scope not in INBOX_SCOPES:
        raise ValidationFailed(
            _("待办范围应为 mine、office、department 或 team。"),
            code="inbox_scope_invalid",
            field="scope",
        )
    if card and card not in CardLevel.values:
        raise ValidationFailed(_("亮灯筛选无效。"), code="card_invalid", field="card")
    if order not in _INBOX_ORDERS:
        raise ValidationFailed(_("排序方式无效。"), code="order_invalid", field="order")
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ValidationFailed(
            _("每页 1 至 %(n)d 条。") % {"n": MAX_PAGE}, code="page_invalid", field="limit"
        )
    values: dict[str, list[int]] = {}
    if scope == "mine":
        values["assignee_id"] = [user.pk]
    elif scope in ("office", "department"):
        # The user's own office (处/科室) or department, as far as their roles reach.
        reach = set(work_unit_ids(user))
        own = user.office_id if scope == "office" else user.department_id
        if own is None or own not in reach:
            return None
        values["office_id" if scope == "office" else "department_id"] = [own]
    else:
        departments, offices = _team_units(user)
        if departments:
            values["department_id"] = departments
        if offices:
            values["office_id"] = offices
        if not values:
            return None
    where = tuple((column, len(ids)) for column, ids in values.items())
    sql = _inbox_sql(connection.vendor, where, bool(card), bool(kind), order)
    params: list[Any] = [Task.State.OPEN, *(pk for ids in values.values() for pk in ids)]
    params += [value for value in (card, kind) if value]
    return sql, [*params, limit, offset]


def task_inbox(
    *,
    user: User,
    scope: str = "mine",
    card: str = "",
    kind: str = "",
    order: str = "urgency",
    limit: int = 50,
    offset: int = 0,
) -> list[Task]:
    """Open tasks, most urgent first (earliest due date): ``mine`` (claimed by the user),
    ``office`` or ``department`` (the user's own, when their roles reach it), or ``team`` (every
    unit their roles reach: departments, offices and halls). Each with its case, the case's item
    version, its units and its assignee, read in one statement written out once per shape of
    filter (an inbox is the request staff make most)."""
    statement = task_inbox_statement(
        user=user, scope=scope, card=card, kind=kind, order=order, limit=limit, offset=offset
    )
    if statement is None:
        return []
    sql, params = statement
    return [task for task, _extra in sql_rows.instances(Task, sql, params, related=_INBOX_RELATED)]


# A task as its page and the API show it, with what deciding who may see it reads of its case.
_TASK_RELATED = ("case", "case__window", "department", "office", "assignee")


def task_get_for_user(*, user: User, task_id: int) -> Task:
    task = sql_rows.by_pk(Task, task_id, related=_TASK_RELATED)
    if task is None or not _staff_may_see(user, task.case):
        raise NotFound(_("找不到该任务。"), code="task_not_found")
    return task


# --- The case page (staff) ---------------------------------------------------------------------


def _staff_may_see(user: User, case: Case) -> bool:
    if not user.is_authenticated or user.kind != User.Kind.STAFF:
        return False
    if case.first_responder_id == user.pk:
        return True
    if case.first_responder_id is None and case.state in (
        Case.State.RECEIVED,
        Case.State.PENDING_SUPPLEMENT,
    ):
        # An online submission before any clerk took it: every window clerk may (网上预审).
        return RoleAssignment.objects.filter(user=user, role=Role.WINDOW_CLERK).exists()
    units = set(work_unit_ids(user))
    if not units:
        return False
    seen = {case.lead_department_id, case.lead_office_id}
    if case.window is not None:
        seen.add(case.window.parent_id)
    if units & seen:
        return True
    return (
        Task.objects.filter(case=case)
        .filter(Q(department_id__in=units) | Q(office_id__in=units))
        .exists()
    )


# What the case page and the staff API show of a case, read with it in one statement.
_STAFF_CASE_RELATED = (
    "item_version",
    "item_version__item",
    "person",
    "entity",
    "window",
    "lead_department",
    "lead_office",
    "first_responder",
    "accepted_by",
    "decided_by",
    "issued_by",
)


def case_get_for_staff(*, user: User, case_id: int) -> Case:
    # Written out once (rows.by_pk): the ORM compiled the eleven joins on every request.
    case = sql_rows.by_pk(Case, case_id, related=_STAFF_CASE_RELATED)
    if case is None or not _staff_may_see(user, case):
        raise NotFound(_("找不到该办件。"), code="case_not_found")
    return case


def case_list_for_staff(
    *, user: User, state: str = "", limit: int = 50, offset: int = 0
) -> QuerySet[Case]:
    """Cases handled in the user's units, or received by them, newest first."""
    if state and state not in Case.State.values:
        raise ValidationFailed(_("办件状态无效。"), code="state_invalid", field="state")
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ValidationFailed(
            _("每页 1 至 %(n)d 条。") % {"n": MAX_PAGE}, code="page_invalid", field="limit"
        )
    units = work_unit_ids(user)
    cases = Case.objects.filter(
        Q(first_responder=user)
        | Q(lead_department_id__in=units)
        | Q(lead_office_id__in=units)
        | Q(window__parent_id__in=units)
    )
    if state:
        cases = cases.filter(state=state)
    return cases.select_related("item_version", "person", "entity", "lead_department").order_by(
        "-received_at", "-pk"
    )[offset : offset + limit]


def case_online_intake(*, user: User, limit: int = 50) -> QuerySet[Case]:
    """Online submissions waiting for a clerk's acceptance (网上预审), oldest first."""
    if not RoleAssignment.objects.filter(user=user, role=Role.WINDOW_CLERK).exists():
        return Case.objects.none()
    return (
        Case.objects.filter(
            state__in=[Case.State.RECEIVED, Case.State.PENDING_SUPPLEMENT],
            first_responder__isnull=True,
        )
        .select_related("item_version", "person", "entity")
        .order_by("received_at", "pk")[:limit]
    )


_CASE_TASK_RELATED = ("department", "office", "assignee", "completed_by")


def case_tasks(case: Case) -> list[Task]:
    """The case's tasks, oldest first, with their units and people (one statement)."""
    return sql_rows.where(
        Task, "case", case.pk, related=_CASE_TASK_RELATED, order=("opened_at", "id")
    )


def case_materials(case: Case) -> list[CaseMaterial]:
    """The case's materials in the list's order, each with its catalogue entry (one statement)."""
    return sql_rows.where(
        CaseMaterial, "case", case.pk, related=("material",), order=("material__seq", "id")
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    action: str
    label: str
    actor: str
    detail: dict[str, Any]


_ACTION_LABELS = {
    "case.receive": "收件",
    "case.submit": "网上申报",
    "case.accept": "受理",
    "case.route": "分办",
    "case.request_supplement": "一次性告知补正",
    "case.refuse": "不予受理",
    "case.suspend": "挂起",
    "case.resume": "恢复计时",
    "case.extend": "延长审批",
    "case.step_open": "进入环节",
    "case.instant": "秒批",
    "case.decide": "作出决定",
    "case.issue": "出件",
    "case.deliver": "送达",
    "case.terminate": "终止",
    "case.revoke": "撤销",
    "case.supply_deferred": "补交容缺材料",
    "case.deferral_lapsed": "容缺材料逾期",
    "task.claim": "签收任务",
    "task.release": "退回任务",
    "task.complete": "办理任务",
}
# What an applicant is shown of the timeline (not who claimed what inside the departments).
APPLICANT_ACTIONS = frozenset(
    {
        "case.receive",
        "case.submit",
        "case.accept",
        "case.request_supplement",
        "case.refuse",
        "case.suspend",
        "case.resume",
        "case.extend",
        "case.step_open",
        "case.instant",
        "case.decide",
        "case.issue",
        "case.deliver",
        "case.terminate",
        "case.revoke",
        "case.supply_deferred",
        "case.deferral_lapsed",
    }
)


@functools.cache
def _timeline_sql(vendor: str, for_applicant: bool) -> str:
    """The case's audit records and its tasks' (their ids as the text the trail keeps), in one
    statement written out once: every case page and applicant's view reads it. ``vendor`` is the
    cache's key: the quoting is the vendor's."""
    q = connection.ops.quote_name
    records, tasks = q(AuditRecord._meta.db_table), q(Task._meta.db_table)
    sql = (
        f"SELECT {sql_rows.columns(AuditRecord, 'a')} FROM {records} a"
        f" WHERE ((a.{q('object_type')} = %s AND a.{q('object_id')} = %s)"
        f" OR (a.{q('object_type')} = %s AND a.{q('object_id')} IN"
        f" (SELECT CAST(t.{q('id')} AS TEXT) FROM {tasks} t WHERE t.{q('case_id')} = %s)))"
    )
    if for_applicant:
        sql += f" AND a.{q('action')} IN ({', '.join(['%s'] * len(APPLICANT_ACTIONS))})"
    return sql + f" ORDER BY a.{q('seq')}"


# The records that say a case was created: a case whose creation is in the batch under way was
# created by this transaction, so nothing about it (or its tasks) is stored yet.
_CREATION_ACTIONS = frozenset({"case.receive", "case.submit"})


def _pending_records(
    case: Case, pending: list[AuditRecord], *, for_applicant: bool
) -> list[AuditRecord]:
    """The case's records (its own and its tasks') of the audit batch under way (``pending``): a
    reply built in the transaction that wrote them, before the batch is chained at its end."""
    if not pending:
        return []
    tasks: set[str] = set()
    if any(r.object_type == "cases.task" for r in pending):
        tasks = {str(pk) for pk in Task.objects.filter(case=case).values_list("pk", flat=True)}
    return [
        r
        for r in pending
        if (
            (r.object_type == "cases.case" and r.object_id == str(case.pk))
            or (r.object_type == "cases.task" and r.object_id in tasks)
        )
        and (not for_applicant or r.action in APPLICANT_ACTIONS)
    ]


def case_timeline(case: Case, *, for_applicant: bool = False) -> list[TimelineEntry]:
    """Every event of the case from the audit trail, oldest first."""
    pending = audit_pending()
    created_now = any(
        r.object_type == "cases.case"
        and r.object_id == str(case.pk)
        and r.action in _CREATION_ACTIONS
        for r in pending
    )
    records = []
    if not created_now:
        params: list[Any] = ["cases.case", str(case.pk), "cases.task", case.pk]
        if for_applicant:
            params += sorted(APPLICANT_ACTIONS)
        records = [
            record
            for record, _extra in sql_rows.instances(
                AuditRecord, _timeline_sql(connection.vendor, for_applicant), params
            )
        ]
    records += _pending_records(case, pending, for_applicant=for_applicant)
    entries = []
    for record in records:
        label = _ACTION_LABELS.get(record.action, record.action)
        entries.append(
            TimelineEntry(
                at=record.at,
                action=record.action,
                label=_(label),
                actor="" if for_applicant else record.actor_name,
                detail={} if for_applicant else dict(record.changes),
            )
        )
    return entries


# --- The applicant's view ----------------------------------------------------------------------


def _own_cases(user: User) -> QuerySet[Case]:
    if not user.is_authenticated:
        return Case.objects.none()
    return Case.objects.filter(Q(submitted_by=user) | Q(person__user=user) | Q(entity__user=user))


def case_list_for_applicant(*, user: User, limit: int = 50, offset: int = 0) -> QuerySet[Case]:
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ValidationFailed(
            _("每页 1 至 %(n)d 条。") % {"n": MAX_PAGE}, code="page_invalid", field="limit"
        )
    return (
        _own_cases(user)
        .select_related("item_version", "lead_department")
        .order_by("-received_at", "-pk")[offset : offset + limit]
    )


_APPLICANT_CASE_RELATED = ("item_version", "lead_department", "lead_office", "person", "entity")


def _owns(user: User, case: Case) -> bool:
    """What ``_own_cases`` selects, asked of one case read with its person and entity."""
    return (
        case.submitted_by_id == user.pk
        or (case.person is not None and case.person.user_id == user.pk)
        or (case.entity is not None and case.entity.user_id == user.pk)
    )


def case_get_for_applicant(*, user: User, case_id: int) -> Case:
    # One statement written out once (rows.by_pk), whose owner is then checked: the ORM compiled
    # the three-way ownership filter and its joins on every poll of a case's status.
    case = (
        sql_rows.by_pk(Case, case_id, related=_APPLICANT_CASE_RELATED)
        if user.is_authenticated
        else None
    )
    if case is None or not _owns(user, case):
        raise NotFound(_("找不到该办件。"), code="case_not_found")
    return case


def case_status_text(case: Case) -> str:
    """The case's status in plain words, for the applicant."""
    running = case.state == Case.State.ACCEPTED and ever_suspended(case)
    suspension = (
        CaseSuspension.objects.filter(case=case, ended_on=None).first() if running else None
    )
    if suspension is not None:
        return _("已暂停计时：%(reason)s") % {"reason": suspension.reason}
    texts = {
        Case.State.RECEIVED: _("已收到您的申请，等待受理。"),
        Case.State.PENDING_SUPPLEMENT: _("材料需要补正，请按一次性告知书补齐。"),
        Case.State.ACCEPTED: _("已受理，正在办理。"),
        Case.State.REFUSED: _("不予受理，请查看理由和办理指引。"),
        Case.State.DECIDED: _("已作出决定，等待领取或送达结果。"),
        Case.State.FINISHED: _("已办结。"),
        Case.State.TERMINATED: _("办理已终止。"),
        Case.State.REVOKED: _("审批决定已撤销。"),
    }
    return str(texts[Case.State(case.state)])


def case_applicant_view(case: Case) -> dict[str, Any]:
    """Everything an applicant is told about their case, in one structure (portal and API)."""
    # Open tasks (other than a 告知承诺 inspection) belong to a case in progress: accepted, or
    # decided and waiting to issue. Received, refused and ended cases have none to ask for.
    running = case.state in (Case.State.ACCEPTED, Case.State.DECIDED)
    open_tasks = (
        list(
            Task.objects.filter(case=case, state=Task.State.OPEN)
            .exclude(step="commitment_inspection")
            .select_related("department")
        )
        if running
        else []
    )
    today = clock.today()
    days_left = None
    if case.promised_due is not None and case.state == Case.State.ACCEPTED:
        days_left = case_clock.working_days_left(
            timezone.localdate(case.accepted_at) if case.accepted_at else today,
            case.item_version.promised_limit_days,
            today,
            suspensions_of(case),
            extensions_of(case),
        )
    # Owed: what a supplement notice asks for, or 容缺 materials (deferred only at acceptance,
    # which sets the case's deferral date): without either there is nothing to ask for.
    supplement = case.state == Case.State.PENDING_SUPPLEMENT
    owed = (
        [
            {
                "material_id": row.material_id,
                "name": row.material.name,
                "deferred_until": row.deferred_until,
            }
            for row in CaseMaterial.objects.filter(case=case, received=False)
            .select_related("material")
            .order_by("material__seq")
            if row.deferred_until is not None or supplement
        ]
        if supplement or case.deferral_due is not None
        else []
    )
    return {
        "status": case_status_text(case),
        "state": case.state,
        "current_step": (open_tasks[0].name if open_tasks else ""),
        "current_departments": sorted({t.department.name for t in open_tasks}),
        "legal_due": case.legal_due,
        "promised_due": case.promised_due,
        "working_days_left": days_left,
        "suspensions": [
            {
                "kind": s.get_kind_display(),
                "reason": s.reason,
                "started_on": s.started_on,
                "ended_on": s.ended_on,
            }
            for s in (
                CaseSuspension.objects.filter(case=case).order_by("started_on", "pk")
                if ever_suspended(case)
                else []
            )
        ],
        "owed": owed,
        "supplement_notice": case.supplement_notice or None,
        "refusal": {
            "reason": case.refused_reason,
            "legal_basis": case.refused_legal_basis,
            "guidance": case.refused_guidance,
        }
        if case.state == Case.State.REFUSED
        else None,
        "decision": {
            "decision": case.decision,
            "label": case.get_decision_display(),
            "text": case.decision_text,
            "reason": case.decision_reason,
            "legal_basis": case.decision_legal_basis,
            "decided_at": case.decided_at,
            "by_rules": case.instant_outcome or None,
        }
        if case.decision
        else None,
        "result": {
            "delivery": case.delivery,
            "label": case.get_delivery_display(),
            "tracking_number": case.tracking_number,
            "issued_at": case.issued_at,
            "delivered_at": case.delivered_at,
        }
        if case.issued_at
        else None,
        "ended": _ended(case),
        "timeline": case_timeline(case, for_applicant=True),
    }


def _ended(case: Case) -> dict[str, Any] | None:
    """Why a case ended without its result: terminated (and why) or its approval revoked."""
    if case.state == Case.State.TERMINATED:
        return {
            "kind": case.termination,
            "label": case.get_termination_display(),
            "note": case.termination_note,
            "at": case.terminated_at,
        }
    if case.state == Case.State.REVOKED:
        return {
            "kind": case.termination,
            "label": _("审批决定已撤销"),
            "note": case.revocation_reason,
            "at": case.revoked_at,
        }
    return None
