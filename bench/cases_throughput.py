"""Case lifecycle throughput: Quanban's service layer beside SpiffWorkflow, same process, same database.

The process is a parallel approval (并联审批): accept → review → co-review by three departments at
once → join → approve → issue. Quanban runs it through its services as the windows and offices
would — ``case_receive``, ``case_accept``, ``task_claim`` and ``task_complete`` of the review,
``task_complete`` of each department's co-review (the last one is the join), of the approval (by
someone other than the reviewer) and of the issue — with row locks, the hash-chained audit trail,
the case clock and every task's due date.

SpiffWorkflow (the BPMN engine, from PyPI) runs the same process as BPMN: user tasks, and a
parallel gateway for the three co-reviews and their join. Every step is what one request of a web
application would do: in one transaction, read the case's serialized workflow (``SELECT … FOR
UPDATE``), restore it, complete the ready user task, run the engine, serialize it
(``BpmnWorkflowSerializer.serialize_json``, the documented way to persist it), ``UPDATE`` the row
and insert a plain audit-like row. A second figure keeps the workflow object in memory between
steps (no restore; still serialized, written and audited every step) — Spiff's best case.

Both run in the same process on the same database, in alternating rounds; the figures are the
medians of the rounds. The target (issue: case runtime) is Quanban at least 2× SpiffWorkflow's
cases per second. The applicant's texts (accepted, decided, issued) are queued in the outbox in the
same transactions on both sides (``outbox``: true); sending them is the worker's, not timed.
"""

from __future__ import annotations

import itertools
import json
import logging
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.harness import Result, on_reference_day

# (rounds, cases per round per side)
SIZES = {"quick": (5, 12), "full": (9, 60)}
TARGET_RATIO = 2.0
CO_REVIEW_DEPARTMENTS = 3

# --- SpiffWorkflow: the same process as BPMN ------------------------------------------------------

SPIFF_PROCESS_ID = "case_parallel_approval"
_FLOWS = [
    ("start", "accept"),
    ("accept", "review"),
    ("review", "split"),
    *((("split", f"co_review_{n}")) for n in range(1, CO_REVIEW_DEPARTMENTS + 1)),
    *(((f"co_review_{n}", "join")) for n in range(1, CO_REVIEW_DEPARTMENTS + 1)),
    ("join", "approve"),
    ("approve", "issue"),
    ("issue", "end"),
]
SPIFF_BPMN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'id="quanban_bench" targetNamespace="https://quanban.example/bench">\n'
    f'  <bpmn:process id="{SPIFF_PROCESS_ID}" name="并联审批" isExecutable="true">\n'
    '    <bpmn:startEvent id="start" name="收件"/>\n'
    '    <bpmn:userTask id="accept" name="受理"/>\n'
    '    <bpmn:userTask id="review" name="审查"/>\n'
    '    <bpmn:parallelGateway id="split" name="并联审查开始"/>\n'
    + "".join(
        f'    <bpmn:userTask id="co_review_{n}" name="并联审查"/>\n'
        for n in range(1, CO_REVIEW_DEPARTMENTS + 1)
    )
    + '    <bpmn:parallelGateway id="join" name="并联审查汇合"/>\n'
    '    <bpmn:userTask id="approve" name="审批"/>\n'
    '    <bpmn:userTask id="issue" name="出件"/>\n'
    '    <bpmn:endEvent id="end" name="办结"/>\n'
    + "".join(
        f'    <bpmn:sequenceFlow id="flow_{i}" sourceRef="{a}" targetRef="{b}"/>\n'
        for i, (a, b) in enumerate(_FLOWS, start=1)
    )
    + "  </bpmn:process>\n</bpmn:definitions>\n"
)
# The user tasks in the order the people complete them, with what each records.
SPIFF_STEPS: list[tuple[str, dict[str, str]]] = [
    ("accept", {"outcome": "accepted"}),
    ("review", {"outcome": "pass", "opinion": "材料齐全，符合法定条件。"}),
    *(
        (f"co_review_{n}", {"outcome": "agree", "opinion": "同意。"})
        for n in range(1, CO_REVIEW_DEPARTMENTS + 1)
    ),
    ("approve", {"outcome": "approve", "opinion": "准予许可。"}),
    ("issue", {"outcome": "issued", "delivery": "window"}),
]

_SPIFF_DDL = {
    "postgresql": [
        "CREATE TABLE bench_spiff_case (id bigserial PRIMARY KEY, number varchar(32) NOT NULL,"
        " state varchar(20) NOT NULL, step varchar(40) NOT NULL, workflow text NOT NULL,"
        " version integer NOT NULL, created_at timestamptz NOT NULL,"
        " updated_at timestamptz NOT NULL)",
        "CREATE TABLE bench_spiff_audit (id bigserial PRIMARY KEY, case_id bigint NOT NULL"
        " REFERENCES bench_spiff_case (id), action varchar(40) NOT NULL, at timestamptz NOT NULL,"
        " changes jsonb NOT NULL)",
        "CREATE INDEX bench_spiff_audit_case ON bench_spiff_audit (case_id)",
        "CREATE TABLE bench_spiff_outbox (id bigserial PRIMARY KEY, channel varchar(10) NOT NULL,"
        " recipient varchar(200) NOT NULL, body text NOT NULL, state varchar(10) NOT NULL,"
        " attempts integer NOT NULL, created_at timestamptz NOT NULL,"
        " next_attempt_at timestamptz NOT NULL)",
        "CREATE INDEX bench_spiff_outbox_due ON bench_spiff_outbox (state, next_attempt_at)",
    ],
    "sqlite": [
        "CREATE TABLE bench_spiff_case (id integer PRIMARY KEY AUTOINCREMENT,"
        " number varchar(32) NOT NULL, state varchar(20) NOT NULL, step varchar(40) NOT NULL,"
        " workflow text NOT NULL, version integer NOT NULL, created_at datetime NOT NULL,"
        " updated_at datetime NOT NULL)",
        "CREATE TABLE bench_spiff_audit (id integer PRIMARY KEY AUTOINCREMENT,"
        " case_id bigint NOT NULL REFERENCES bench_spiff_case (id), action varchar(40) NOT NULL,"
        " at datetime NOT NULL, changes text NOT NULL)",
        "CREATE INDEX bench_spiff_audit_case ON bench_spiff_audit (case_id)",
        "CREATE TABLE bench_spiff_outbox (id integer PRIMARY KEY AUTOINCREMENT,"
        " channel varchar(10) NOT NULL, recipient varchar(200) NOT NULL, body text NOT NULL,"
        " state varchar(10) NOT NULL, attempts integer NOT NULL, created_at datetime NOT NULL,"
        " next_attempt_at datetime NOT NULL)",
        "CREATE INDEX bench_spiff_outbox_due ON bench_spiff_outbox (state, next_attempt_at)",
    ],
}
# The applicant's texts, at the steps where Quanban's services queue one (accepted, decided,
# issued), so both sides write the same outbox rows.
SPIFF_TEXTS = {
    "accept": "【全办】您申请的“建设工程竣工联合验收”已受理，办件编号 {number}，承诺 {due} 前办结。",
    "approve": "【全办】您的办件 {number} 已作出决定：准予许可。",
    "issue": "【全办】您的办件 {number} 已办结，结果已窗口领取。",
}


class SpiffRunner:
    """The process on SpiffWorkflow, persisted after every step to raw tables of the database."""

    def __init__(self) -> None:
        from django.db import connection
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

        parser = BpmnParser()
        parser.add_bpmn_str(SPIFF_BPMN.encode("utf-8"))
        self.spec = parser.get_spec(SPIFF_PROCESS_ID)
        self.serializer = BpmnWorkflowSerializer()
        self.numbers = itertools.count(1)
        with connection.cursor() as cursor:
            for statement in _SPIFF_DDL[connection.vendor]:
                cursor.execute(statement)

    def _ready(self, workflow: Any, name: str) -> Any:
        from SpiffWorkflow.util.task import TaskState

        for task in workflow.get_tasks(state=TaskState.READY, manual=True):
            if task.task_spec.name == name:
                return task
        raise AssertionError(f"SpiffWorkflow: no ready task {name}")

    def _start(self) -> tuple[int, Any]:
        from django.db import connection, transaction
        from SpiffWorkflow.bpmn import BpmnWorkflow

        from quanban.core import clock

        with transaction.atomic(), connection.cursor() as cursor:
            workflow = BpmnWorkflow(self.spec)
            workflow.do_engine_steps()
            now = clock.now()
            cursor.execute(
                "INSERT INTO bench_spiff_case (number, state, step, workflow, version,"
                " created_at, updated_at) VALUES (%s, %s, %s, %s, 1, %s, %s) RETURNING id",
                [
                    f"SPIFF-{next(self.numbers):08d}",
                    "received",
                    "accept",
                    self.serializer.serialize_json(workflow),
                    now,
                    now,
                ],
            )
            case_id = cursor.fetchone()[0]
            self._audit(cursor, case_id, "receive", {"step": "accept"}, now)
        return case_id, workflow

    def _step(self, case_id: int, workflow: Any | None, name: str, data: dict[str, str]) -> Any:
        """One person's step: load (unless kept), complete, run the engine, save, audit."""
        from django.db import connection, transaction

        from quanban.core import clock

        with transaction.atomic(), connection.cursor() as cursor:
            if workflow is None:
                cursor.execute(
                    "SELECT workflow FROM bench_spiff_case WHERE id = %s FOR UPDATE"
                    if connection.vendor == "postgresql"
                    else "SELECT workflow FROM bench_spiff_case WHERE id = %s",
                    [case_id],
                )
                loaded = self.serializer.deserialize_json(cursor.fetchone()[0])
            else:
                loaded = workflow
            task = self._ready(loaded, name)
            task.data.update(data)
            task.run()
            loaded.do_engine_steps()
            done = loaded.is_completed()
            now = clock.now()
            cursor.execute(
                "UPDATE bench_spiff_case SET workflow = %s, state = %s, step = %s,"
                " version = version + 1, updated_at = %s WHERE id = %s",
                [
                    self.serializer.serialize_json(loaded),
                    "finished" if done else "accepted",
                    name,
                    now,
                    case_id,
                ],
            )
            self._audit(cursor, case_id, f"task.{name}", {"step": name, **data}, now)
            if name in SPIFF_TEXTS:
                text = SPIFF_TEXTS[name].format(number=f"SPIFF-{case_id:08d}", due="2026-06-29")
                cursor.execute(
                    "INSERT INTO bench_spiff_outbox (channel, recipient, body, state, attempts,"
                    " created_at, next_attempt_at) VALUES ('sms', %s, %s, 'pending', 0, %s, %s)",
                    ["13905310001", text, now, now],
                )
        return loaded

    def _audit(self, cursor: Any, case_id: int, action: str, changes: Any, now: Any) -> None:
        cursor.execute(
            "INSERT INTO bench_spiff_audit (case_id, action, at, changes) VALUES (%s, %s, %s, %s)",
            [case_id, action, now, json.dumps(changes, ensure_ascii=False)],
        )

    def case(self, *, keep_in_memory: bool = False) -> int:
        case_id, workflow = self._start()
        for name, data in SPIFF_STEPS:
            kept = self._step(case_id, workflow if keep_in_memory else None, name, data)
            workflow = kept if keep_in_memory else None
        return case_id

    def finished(self) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bench_spiff_case WHERE state = 'finished'")
            return int(cursor.fetchone()[0])

    def outbox_rows(self) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM bench_spiff_outbox")
            return int(cursor.fetchone()[0])

    def serialized_bytes(self) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT max(length(workflow)) FROM bench_spiff_case")
            return int(cursor.fetchone()[0] or 0)


# --- Quanban: the same process through the services ----------------------------------------------


@dataclass
class World:
    version: Any
    material_ids: list[int]
    window: Any
    clerk: Any
    reviewer: Any
    approver: Any
    co_reviewers: dict[int, Any]  # department id → the reviewer of that department
    applicants: list[Any]


def _build_world() -> World:
    """A city hall, a lead department and three co-review departments, their staff, and one
    published parallel item naming the three (as a real 并联审批 item does)."""
    from quanban.accounts import services as accounts
    from quanban.accounts.demo import department_uscc
    from quanban.accounts.models import OrgUnit
    from quanban.accounts.roles import Role
    from quanban.catalogue import services as catalogue
    from quanban.core.identifiers import id_number_check_digit

    city = accounts.org_unit_create(kind="city", name="济南市", division_code="370100")
    names = ["济南市行政审批服务局", "济南市市场监督管理局", "济南市住房和城乡建设局"]
    names += ["济南市生态环境局", "济南市公安局"][: CO_REVIEW_DEPARTMENTS - 2]
    departments = [
        accounts.org_unit_create(
            kind="department", name=name, uscc=department_uscc(i, "370100"), parent=city
        )
        for i, name in enumerate(names)
    ]
    lead, co_departments = departments[0], departments[1:]
    if len(co_departments) < CO_REVIEW_DEPARTMENTS:  # the lead reviews with the others
        co_departments = [lead, *co_departments]
    office = accounts.org_unit_create(kind="office", name="市场准入审批处", parent=lead)
    hall = accounts.org_unit_create(kind="hall", name="济南市民中心", parent=city)
    window = accounts.org_unit_create(kind="window", name="综合受理窗口 1", parent=hall)

    password = "Quanban#2026"
    admin = accounts.staff_create(
        username="secadmin", display_name="安全管理员", password=password, department=lead
    )
    accounts.bootstrap_admin_grant(user=admin, role=Role.SECURITY_ADMIN, org_unit=city)

    def staff(username: str, name: str, role: str, scope: OrgUnit, department: OrgUnit) -> Any:
        user = accounts.staff_create(
            username=username, display_name=name, password=password, department=department
        )
        accounts.role_grant(granted_by=admin, user=user, role=role, org_unit=scope)
        return user

    clerk = staff("clerk01", "王丽", Role.WINDOW_CLERK, hall, lead)
    reviewer = staff("reviewer01", "李明", Role.REVIEWER, office, lead)
    approver = staff("approver01", "高峰", Role.APPROVER, office, lead)
    co_reviewers = {
        department.pk: staff(f"coreviewer{i}", f"会审人{i}", Role.REVIEWER, department, department)
        for i, department in enumerate(co_departments, start=1)
    }

    version = catalogue.item_create(
        user=None,
        implementing_department=lead,
        basic_code="000000000001",
        exercise_level="3",
        name="建设工程竣工联合验收",
        item_type="01",
        case_kind="2",
        legal_limit_days=20,
        promised_limit_days=10,
        legal_basis=[{"law": "《建设工程质量管理条例》", "article": "第十六条"}],
        handling_forms=["1", "2"],
        service_objects=["2"],
        process={
            "kind": "parallel",
            "co_review_departments": [d.uscc for d in co_departments],
        },
    )
    for name in ("联合验收申请表", "工程竣工验收报告"):
        catalogue.material_add(
            user=None, version=version, name=name, form="4", necessity="1", source="10"
        )
    catalogue.version_submit(user=None, version=version)
    version = catalogue.version_publish(user=None, version=version)
    applicants = []
    for n in range(20):
        body = f"370102199001{n + 1:02d}{n:03d}"
        applicants.append(
            accounts.person_register(
                name=f"申请人{n}",
                id_number=body + id_number_check_digit(body),
                phone=f"139053{n:05d}",
            )
        )
    return World(
        version=version,
        material_ids=list(version.materials.values_list("pk", flat=True)),
        window=window,
        clerk=clerk,
        reviewer=reviewer,
        approver=approver,
        co_reviewers=co_reviewers,
        applicants=applicants,
    )


def _open_tasks(case_id: int, step: str) -> list[Any]:
    """The open tasks of a case's step, as a person's inbox lists them: their ids (and
    departments), read with one plain statement. The services lock and re-read each task they
    are given; the driver only has to name it, as SpiffWorkflow's names its task."""
    from django.db import connection

    from quanban.cases.models import Task

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, department_id FROM cases_task"
            " WHERE case_id = %s AND step = %s AND state = %s ORDER BY id",
            [case_id, step, Task.State.OPEN],
        )
        return [Task(pk=pk, case_id=case_id, department_id=dep) for pk, dep in cursor.fetchall()]


def quanban_case(world: World, n: int) -> int:
    """One case from the window to the result handed over, every step through the services."""
    from quanban.cases import services
    from quanban.cases.models import Channel

    case = services.case_receive(
        user=world.clerk,
        item_version=world.version,
        applicant=world.applicants[n % len(world.applicants)],
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=world.window,
        received_material_ids=world.material_ids,
    )
    services.case_accept(user=world.clerk, case=case)
    (review,) = _open_tasks(case.pk, "review")
    services.task_claim(user=world.reviewer, task=review)
    services.task_complete(
        user=world.reviewer, task=review, outcome="pass", opinion="材料齐全，符合法定条件。"
    )
    for task in _open_tasks(case.pk, "co_review"):
        services.task_complete(
            user=world.co_reviewers[task.department_id],
            task=task,
            outcome="agree",
            opinion="同意。",
        )
    (approve,) = _open_tasks(case.pk, "approve")
    services.task_complete(
        user=world.approver, task=approve, outcome="approve", opinion="准予许可。"
    )
    (issue,) = _open_tasks(case.pk, "issue")
    services.task_complete(user=world.clerk, task=issue, outcome="issued", delivery="window")
    return case.pk


# --- Running both ------------------------------------------------------------------------------


def _per_second(fn: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def run(size: str) -> Result:
    rounds, per_round = SIZES[size]
    # SpiffWorkflow logs every task state change at INFO, which the site's logging would print:
    # an application running it turns that down, and so does the benchmark.
    spiff_log = logging.getLogger("spiff")
    spiff_level = spiff_log.level
    spiff_log.setLevel(logging.WARNING)
    # The test settings run background tasks at once, in the caller: the outbox's wake-up would
    # send every text inside the timed request. A server only queues the wake-up (its worker
    # sends), so the benchmark queues it too, and nothing consumes the queue.
    from huey.contrib.djhuey import HUEY

    immediate = HUEY.immediate
    HUEY.immediate = False
    try:
        return _run(size, rounds, per_round)
    finally:
        HUEY.immediate = immediate
        spiff_log.setLevel(spiff_level)


def _run(size: str, rounds: int, per_round: int) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from quanban.cases.models import Case, Task
    from quanban.core.models import AuditRecord
    from quanban.notify.models import OutboxMessage

    with on_reference_day():
        world = _build_world()
        spiff = SpiffRunner()
        counter = itertools.count()

        # Warm both up (imports, caches, the first statement plans) before anything is timed.
        for _ in range(3):
            quanban_case(world, next(counter))
            spiff.case()
            spiff.case(keep_in_memory=True)
        audit_before = AuditRecord.objects.count()
        outbox_before = OutboxMessage.objects.count()
        connection.queries_log.clear()  # a full log (earlier benchmarks) would count nothing
        with CaptureQueriesContext(connection) as queries:
            quanban_case(world, next(counter))
        queries_per_case = len(queries)
        audits_per_case = AuditRecord.objects.count() - audit_before
        texts_per_case = OutboxMessage.objects.count() - outbox_before
        spiff_texts_before = spiff.outbox_rows()
        spiff.case()
        spiff_texts_per_case = spiff.outbox_rows() - spiff_texts_before
        assert texts_per_case == spiff_texts_per_case, "both sides must text the applicant alike"

        ours: list[float] = []
        theirs: list[float] = []
        theirs_kept: list[float] = []
        sides: list[tuple[list[float], Callable[[], Any]]] = [
            (ours, lambda: quanban_case(world, next(counter))),
            (theirs, lambda: spiff.case()),
            (theirs_kept, lambda: spiff.case(keep_in_memory=True)),
        ]
        for r in range(rounds):
            # Alternate who goes first, so neither always runs on a warmer (or fuller) database.
            order = sides[r % len(sides) :] + sides[: r % len(sides)]
            for samples, fn in order:
                samples.append(_per_second(fn, per_round))

        # Everything each side ran must have finished the process.
        cases = Case.objects.count()
        finished = Case.objects.filter(state=Case.State.FINISHED).count()
        assert finished == cases, f"Quanban: {cases - finished} cases did not finish"
        assert not Task.objects.filter(state=Task.State.OPEN).exists(), "Quanban: open tasks"
        spiff_total = 3 + 3 + 1 + 2 * rounds * per_round
        assert spiff.finished() == spiff_total, "SpiffWorkflow: cases did not finish"
        serialized = spiff.serialized_bytes()

    quanban_rate = statistics.median(ours)
    spiff_rate = statistics.median(theirs)
    kept_rate = statistics.median(theirs_kept)
    ratio = quanban_rate / spiff_rate
    return Result(
        name="cases_throughput",
        size=size,
        figures={
            "quanban_cases_per_s": round(quanban_rate, 2),
            "spiff_cases_per_s": round(spiff_rate, 2),
            "ratio": round(ratio, 2),
            "spiff_kept_in_memory_cases_per_s": round(kept_rate, 2),
            "ratio_to_kept_in_memory": round(quanban_rate / kept_rate, 2),
            "quanban_rounds_min": round(min(ours), 2),
            "quanban_rounds_max": round(max(ours), 2),
            "spiff_rounds_min": round(min(theirs), 2),
            "spiff_rounds_max": round(max(theirs), 2),
            "target_ratio": TARGET_RATIO,
            "met": float(ratio >= TARGET_RATIO),
            # Notifications: whether the case services queued the applicant's texts in the outbox
            # (in the same transaction); the SpiffWorkflow side then writes the same rows.
            "outbox": texts_per_case > 0,
        },
        data={
            "rounds": rounds,
            "cases_per_round": per_round,
            "quanban_cases": cases,
            "spiff_cases": spiff_total,
            "co_review_departments": CO_REVIEW_DEPARTMENTS,
            "quanban_transactions_per_case": 9,
            "spiff_transactions_per_case": 1 + len(SPIFF_STEPS),
            "quanban_queries_per_case": queries_per_case,
            "quanban_audit_records_per_case": audits_per_case,
            "outbox_messages_per_case": texts_per_case,
            "spiff_serialized_workflow_bytes": serialized,
        },
        summary=(
            f"{connection.vendor}: Quanban {quanban_rate:,.1f} cases/s "
            f"({queries_per_case} statements, {audits_per_case} audit records a case) vs "
            f"SpiffWorkflow {spiff_rate:,.1f} cases/s reloaded every step "
            f"({kept_rate:,.1f} kept in memory): ratio {ratio:.2f} "
            f"(target ≥ {TARGET_RATIO:.0f})"
        ),
    )
