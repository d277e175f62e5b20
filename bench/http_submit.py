"""Submissions over HTTP: the real server (``quanban serve``, gunicorn, two workers) on PostgreSQL,
and the load generator on the same machine (bench/http_load.py).

The headline submission is a citizen's online application (``POST /api/v1/my/cases``) for an
instant-approval (秒批) item, its one required material reused from an earlier case: one request,
accepted and decided by the rules inside its transaction, the result sent electronically and the
applicant texted (outbox). Every request carries an ``Idempotency-Key``, as a careful client's do.
Beside it, the window's pair: a clerk receives (``POST /api/v1/cases``) and accepts
(``POST /api/v1/cases/{id}/accept``) an ordinary item, which opens its review.

The baseline is a bare Django view (bench/bare_urls.py) on a second server with the same settings,
middleware and two workers, doing the same inserts without the service layer: the token's user,
then a Case row, its CaseMaterial rows and one audit-like row in one transaction.

Measured, for the issue's targets:

- closed loop, ``clients`` concurrent clients for ``round_s`` seconds: accepted submissions per
  second, Quanban and bare alternating for ``rounds`` rounds each (who goes first alternates too);
  the ratio is the median of the rounds' ratios. Targets: Quanban ≥ 250/s, ratio ≥ 0.5.
- open loop at a fixed 100 submissions/s: p95 from when each request was due (target < 50 ms);
  the instant submission is the headline, so its end-to-end p95 (target < 100 ms) is the same run.
- the rules themselves: ``elapsed_ms`` in each decided case's stored ``instant_outcome``
  (target p95 < 1 ms).
- statements per request (in-process, Django's test client on the same database).

Needs PostgreSQL (``DATABASE_URL=postgres://…``): the servers are separate processes and must
share the bench's throwaway database. On SQLite the benchmark says so and measures nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.harness import REFERENCE_TIME, RESULTS, Result, on_reference_day
from bench.http_load import (
    Call,
    FlowResult,
    Run,
    Server,
    closed_loop,
    open_loop,
    percentiles,
)


@dataclass(frozen=True)
class Plan:
    rounds: int  # closed-loop rounds per side
    round_s: float  # measured seconds of each closed-loop round
    warmup_s: float  # seconds before each run that are not counted
    open_s: float  # measured seconds of each open-loop run
    patience_s: float  # how long an open loop waits for the server to catch up afterwards
    clients: int  # concurrent clients in the closed loop


SIZES = {
    "quick": Plan(rounds=3, round_s=3.0, warmup_s=1.0, open_s=5.0, patience_s=5.0, clients=8),
    "full": Plan(rounds=5, round_s=15.0, warmup_s=2.0, open_s=30.0, patience_s=15.0, clients=8),
}
WORKERS = 2
FIXED_RATE_PER_S = 100.0
# Persistent database connections in the servers (QUANBAN_DB_CONN_MAX_AGE), as a production
# deployment sets them; the shipped default, 0, opens a connection per request.
CONN_MAX_AGE_S = int(os.environ.get("QUANBAN_BENCH_CONN_MAX_AGE", "60"))

TARGET_PER_S = 250.0
TARGET_P95_MS = 50.0
TARGET_RATIO = 0.5
TARGET_INSTANT_P95_MS = 100.0
TARGET_RULES_P95_MS = 1.0

CITIZENS = 64
WINDOW_LEGAL_LIMIT_DAYS = 20
CLERKS = 4
RULE_SET_KEY = "bench-elderly-allowance"
PROJECT_DIR = Path(__file__).resolve().parents[1]

# --- The city ------------------------------------------------------------------------------------


@dataclass
class Citizen:
    token: str
    person_id: int
    reuse: dict[str, int]  # material id → the CaseMaterial id of an earlier case (received)


@dataclass
class World:
    instant_version_id: int
    window_version_id: int
    window_material_ids: list[int]
    window_id: int
    citizens: list[Citizen]
    clerk_tokens: list[str]
    instant_material_ids: list[int] = field(default_factory=list)


def _build_world() -> World:
    """A city hall and a department with an office, clerks and an approver, two published items
    (高龄津贴申领 decided by instant rules, and an ordinary licence), and citizens aged 86 in
    Jinan with an API token each and an earlier case whose material they can reuse."""
    from quanban.accounts import services as accounts
    from quanban.accounts.demo import department_uscc
    from quanban.accounts.roles import Role
    from quanban.api.auth import token_create
    from quanban.cases import services as cases
    from quanban.cases.models import CaseMaterial, Channel
    from quanban.catalogue import rules
    from quanban.catalogue import services as catalogue
    from quanban.core.identifiers import id_number_check_digit

    city = accounts.org_unit_create(kind="city", name="济南市", division_code="370100")
    department = accounts.org_unit_create(
        kind="department",
        name="济南市行政审批服务局",
        uscc=department_uscc(0, "370100"),
        parent=city,
    )
    office = accounts.org_unit_create(kind="office", name="社会事务审批处", parent=department)
    hall = accounts.org_unit_create(kind="hall", name="济南市民中心", parent=city)
    window = accounts.org_unit_create(kind="window", name="综合受理窗口 1", parent=hall)

    password = "Quanban#2026"
    admin = accounts.staff_create(
        username="secadmin", display_name="安全管理员", password=password, department=department
    )
    accounts.bootstrap_admin_grant(user=admin, role=Role.SECURITY_ADMIN, org_unit=city)

    def staff(username: str, name: str, role: str, scope: Any) -> Any:
        user = accounts.staff_create(
            username=username,
            display_name=name,
            password=password,
            department=department,
            office=office,
        )
        accounts.role_grant(granted_by=admin, user=user, role=role, org_unit=scope)
        return user

    clerks = [
        staff(f"clerk{n:02d}", f"窗口人员{n}", Role.WINDOW_CLERK, hall) for n in range(CLERKS)
    ]
    for role, username in ((Role.REVIEWER, "reviewer01"), (Role.APPROVER, "approver01")):
        staff(username, username, role, office)

    rules.rule_set_create(
        user=None,
        key=RULE_SET_KEY,
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

    def published(basic_code: str, name: str, materials: list[str], **fields: Any) -> Any:
        version = catalogue.item_create(
            user=None,
            implementing_department=department,
            basic_code=basic_code,
            exercise_level="3",
            name=name,
            item_type="01",
            legal_basis=[{"law": "《山东省老年人权益保障条例》", "article": "第三十条"}],
            handling_forms=["1", "2"],
            service_objects=["1"],
            **fields,
        )
        for material in materials:
            catalogue.material_add(
                user=None, version=version, name=material, form="4", necessity="1", source="10"
            )
        catalogue.version_submit(user=None, version=version)
        return catalogue.version_publish(user=None, version=version)

    instant = published(
        "000000000001",
        "高龄津贴申领",
        ["高龄津贴申请书"],
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
        process={"kind": "instant_rule", "instant_rule_set": RULE_SET_KEY},
        result_name="高龄津贴发放决定",
    )
    ordinary = published(
        "000000000002",
        "养老机构设立备案",
        ["备案书", "场所使用证明"],
        case_kind="2",
        legal_limit_days=WINDOW_LEGAL_LIMIT_DAYS,
        promised_limit_days=5,
    )
    instant_material_ids = list(instant.materials.order_by("seq").values_list("pk", flat=True))
    window_material_ids = list(ordinary.materials.order_by("seq").values_list("pk", flat=True))

    citizens = []
    for n in range(CITIZENS):
        phone = f"139053{n:05d}"
        account = accounts.citizen_create(phone=phone, password=password, display_name=f"申请人{n}")
        body = f"370102194003{n % 28 + 1:02d}{n % 1000:03d}"
        person = accounts.person_register(
            name=f"申请人{n}",
            id_number=body + id_number_check_digit(body),
            phone=phone,
            user=account,
        )
        # The application form handed in at a window once: reusable online afterwards.
        earlier = cases.case_receive(
            user=clerks[0],
            item_version=instant,
            applicant=person,
            channel=Channel.OFFLINE_ONE_WINDOW,
            answers={},
            window=window,
            received_material_ids=instant_material_ids,
        )
        rows = CaseMaterial.objects.filter(case=earlier).values_list("material_id", "pk")
        _token, clear = token_create(user=account, name="bench")
        citizens.append(
            Citizen(token=clear, person_id=person.pk, reuse={str(m): pk for m, pk in rows})
        )
    clerk_tokens = [token_create(user=clerk, name="bench")[1] for clerk in clerks]
    return World(
        instant_version_id=instant.pk,
        window_version_id=ordinary.pk,
        window_material_ids=window_material_ids,
        window_id=window.pk,
        citizens=citizens,
        clerk_tokens=clerk_tokens,
        instant_material_ids=instant_material_ids,
    )


def _create_bare_audit_table() -> None:
    """The bare view's audit-like table: the audit table's columns and indexes, no chain."""
    from django.db import connection

    from quanban.core.models import AuditRecord

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE bench_bare_audit (LIKE {AuditRecord._meta.db_table} INCLUDING ALL)"
        )
        cursor.execute("CREATE SEQUENCE bench_bare_audit_seq")


# --- Requests ------------------------------------------------------------------------------------


def _bearer(token: str, *, key: bool = True) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    return headers


def _instant_body(world: World, citizen: Citizen) -> dict[str, Any]:
    return {"item_version_id": world.instant_version_id, "channel": "2", "reuse": citizen.reuse}


class Flows:
    """The units of work the load generator repeats, against one server each."""

    def __init__(self, world: World, quanban: Server, bare: Server) -> None:
        self.world, self.quanban, self.bare = world, quanban, bare

    async def instant(self, n: int) -> FlowResult:
        citizen = self.world.citizens[n % len(self.world.citizens)]
        response, call = await self.quanban.timed(
            "submit",
            "POST",
            "/api/v1/my/cases",
            body=_instant_body(self.world, citizen),
            headers=_bearer(citizen.token),
        )
        if response.status != 201:
            return FlowResult(False, [call], f"{response.status} {response.body[:200]!r}")
        state = response.json()["state"]
        return FlowResult(state == "finished", [call], "" if state == "finished" else state)

    async def bare_submit(self, n: int) -> FlowResult:
        citizen = self.world.citizens[n % len(self.world.citizens)]
        response, call = await self.bare.timed(
            "submit",
            "POST",
            "/bare/submit",
            body=_instant_body(self.world, citizen),
            headers=_bearer(citizen.token, key=False),
        )
        ok = response.status == 201
        return FlowResult(ok, [call], "" if ok else f"{response.status} {response.body[:200]!r}")

    async def window(self, n: int) -> FlowResult:
        world = self.world
        token = world.clerk_tokens[n % len(world.clerk_tokens)]
        citizen = world.citizens[n % len(world.citizens)]
        received, receive = await self.quanban.timed(
            "receive",
            "POST",
            "/api/v1/cases",
            body={
                "item_version_id": world.window_version_id,
                "person_id": citizen.person_id,
                "channel": "8",
                "window_id": world.window_id,
                "received_material_ids": world.window_material_ids,
            },
            headers=_bearer(token),
        )
        if received.status != 201:
            return FlowResult(
                False, [receive], f"receive {received.status} {received.body[:200]!r}"
            )
        case = received.json()
        accepted, accept = await self.quanban.timed(
            "accept",
            "POST",
            f"/api/v1/cases/{case['id']}/accept",
            body={},
            headers={**_bearer(token), "If-Match": f'"{case["version"]}"'},
        )
        calls: list[Call] = [receive, accept]
        if accepted.status != 200:
            return FlowResult(False, calls, f"accept {accepted.status} {accepted.body[:200]!r}")
        state = accepted.json()["state"]
        return FlowResult(state == "accepted", calls, "" if state == "accepted" else state)


_STATEMENT = re.compile(r'^\s*(\w+)(?:.*?\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?)?', re.S | re.I)


def _statement_kind(sql: str) -> str:
    """``SELECT cases_casematerial``, ``SAVEPOINT`` …: the verb and the first table named."""
    match = _STATEMENT.match(sql)
    if match is None:
        return sql[:20]
    verb, table = match.group(1).upper(), match.group(2)
    if verb in {"SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"}:
        return verb
    if verb == "UPDATE":
        table = sql.split(None, 2)[1].strip('"')
    return f"{verb} {table}" if table else verb


@dataclass
class InProcess:
    statements: dict[str, int]  # request → statements it ran
    breakdown: dict[str, int]  # the instant submission's statements by kind
    chain_head_ms: dict[str, float]  # how long the submission held the audit chain's head


def _in_process(world: World, n: int = 30) -> InProcess:
    """What one request does, seen from inside (Django's test client, same database, one at a
    time): statements per request, what the instant submission's are, and for how much of it
    the submission holds the audit chain's head — the lock every audited write in the city
    waits for, taken when its audit records are appended and held until the transaction commits."""
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from quanban.core import audit

    client = Client()
    citizen = world.citizens[0]
    counts: dict[str, int] = {}
    kinds: Counter[str] = Counter()

    def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[Any, Any]:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(path, body, content_type="application/json", headers=headers)
        assert response.status_code in (200, 201), (path, response.status_code, response.content)
        return response.json(), queries

    for _ in range(2):  # the second of each counts: caches warm, as in a running worker
        _, queries = post("/api/v1/my/cases", _instant_body(world, citizen), _bearer(citizen.token))
        counts["instant_submit"] = len(queries)
        kinds = Counter(_statement_kind(q["sql"]) for q in queries.captured_queries)
        case, queries = post(
            "/api/v1/cases",
            {
                "item_version_id": world.window_version_id,
                "person_id": citizen.person_id,
                "channel": "8",
                "window_id": world.window_id,
                "received_material_ids": world.window_material_ids,
            },
            _bearer(world.clerk_tokens[0]),
        )
        counts["window_receive"] = len(queries)
        _, queries = post(f"/api/v1/cases/{case['id']}/accept", {}, _bearer(world.clerk_tokens[0]))
        counts["window_accept"] = len(queries)
        with override_settings(ROOT_URLCONF="bench.bare_urls"):
            _, queries = post(
                "/bare/submit", _instant_body(world, citizen), _bearer(citizen.token, key=False)
            )
        counts["bare_submit"] = len(queries)

    # Timing only: the head is taken as before; the wrapper notes when, and when it is let go.
    # The head's row lock is taken by the first write after a head (audit._write_after: the
    # conditional move, or the locking read it falls back to) and held to the commit. The writes
    # held for the append's statement (heldwrites) run in it before the head is taken, and are
    # counted here too: the figure is at most how long the head is held.
    marks: dict[str, float] = {}
    write_after = audit._write_after

    def timed_write(*args: Any, **kwargs: Any) -> Any:
        if "taken" not in marks:
            marks["taken"] = time.perf_counter()
            transaction.on_commit(lambda: marks.setdefault("released", time.perf_counter()))
        return write_after(*args, **kwargs)

    held, share = [], []
    audit._write_after = timed_write  # type: ignore[assignment]
    try:
        for i in range(n):
            marks.clear()
            citizen = world.citizens[i % len(world.citizens)]
            start = time.perf_counter()
            post("/api/v1/my/cases", _instant_body(world, citizen), _bearer(citizen.token))
            total = time.perf_counter() - start
            held.append((marks["released"] - marks["taken"]) * 1000)
            share.append((marks["released"] - marks["taken"]) / total)
    finally:
        audit._write_after = write_after  # type: ignore[assignment]
    return InProcess(
        statements=counts,
        breakdown=dict(kinds.most_common()),
        chain_head_ms={
            "held_p50_ms": round(statistics.median(held), 2),
            "share_of_request_p50": round(statistics.median(share), 3),
        },
    )


# --- Servers -------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{s['NAME']}"


@dataclass
class Served:
    server: Server
    pid: int  # gunicorn's master (the workers are its children)
    log: Path


@contextlib.contextmanager
def _serve(
    settings_module: str, var_dir: Path, travel: bool, workers: int = WORKERS
) -> Iterator[Served]:
    """``quanban serve`` with ``workers`` workers (two unless told) on a free port, on the bench's
    database, DEBUG off."""
    port = _free_port()
    log = var_dir / f"{settings_module}.{port}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(PROJECT_DIR), os.environ.get("PYTHONPATH")])
        ),
        "DATABASE_URL": _database_url(),
        "QUANBAN_DEBUG": "0",
        "QUANBAN_DB_CONN_MAX_AGE": str(CONN_MAX_AGE_S),
        "QUANBAN_VAR_DIR": str(var_dir),
        "QUANBAN_TASKS_IMMEDIATE": "0",
    }
    if travel:
        env["QUANBAN_BENCH_TRAVEL"] = REFERENCE_TIME.isoformat()
    else:
        env.pop("QUANBAN_BENCH_TRAVEL", None)
    command = [
        str(Path(sys.executable).with_name("quanban")),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=var_dir, stdout=out, stderr=out)
    try:
        yield Served(Server("127.0.0.1", port), process.pid, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- CPU -----------------------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc); 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


class CpuMeter:
    """CPU time spent by each server's workers, the bench database's backends and the load
    generator (this process): where a submission's CPU goes, whatever else the machine runs."""

    def __init__(self, servers: dict[str, int]) -> None:
        import psycopg
        from django.db import connection

        s = connection.settings_dict
        self.available = Path("/proc/self/stat").exists()
        self.servers = servers
        self.database = s["NAME"]
        self.connection = psycopg.connect(
            host=s.get("HOST") or "127.0.0.1",
            port=s.get("PORT") or 5432,
            user=s.get("USER") or None,
            password=s.get("PASSWORD") or None,
            dbname=s["NAME"],
            autocommit=True,
        )

    def close(self) -> None:
        self.connection.close()

    def snapshot(self) -> dict[str, dict[int, float]]:
        if not self.available:
            return {}
        out = {
            name: {pid: _cpu_s(pid) for pid in _children(master)}
            for name, master in self.servers.items()
        }
        backends = self.connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [self.database],
        ).fetchall()
        out["database"] = {pid: _cpu_s(pid) for (pid,) in backends}
        out["load_generator"] = {0: time.process_time()}
        return out

    @staticmethod
    def spent_ms(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict:
        return {
            name: 1000 * sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items())
            for name, pids in after.items()
        }


def _rows() -> dict[str, int]:
    from django.db import connection

    from quanban.cases.models import Case, CaseMaterial, IdempotencyKey
    from quanban.core.models import AuditRecord
    from quanban.notify.models import OutboxMessage

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_bare_audit")
        bare_audit = int(cursor.fetchone()[0])
    return {
        "cases": Case.objects.count(),
        "case_materials": CaseMaterial.objects.count(),
        "audit_records": AuditRecord.objects.count(),
        "outbox_messages": OutboxMessage.objects.count(),
        "idempotency_keys": IdempotencyKey.objects.count(),
        "bare_audit_rows": bare_audit,
    }


def _needs_travel() -> bool:
    """Whether the calendar fails to cover the days the window's cases run into from today (its
    legal limit, with some to spare): then everything runs on the reference day instead."""
    from quanban.core import clock, workdays

    try:
        workdays.add_working_days(clock.today(), WINDOW_LEGAL_LIMIT_DAYS + 10)
    except workdays.CalendarNotCovered:
        return True
    return False


# --- Running -------------------------------------------------------------------------------------


@dataclass
class Measured:
    quanban_rounds: list[Run] = field(default_factory=list)
    bare_rounds: list[Run] = field(default_factory=list)
    window_rounds: list[Run] = field(default_factory=list)
    instant_open: Run | None = None
    bare_open: Run | None = None
    window_open: Run | None = None
    instant_single: Run | None = None


class Bench:
    """The phases, each timed on the CPU of the server it loads, and drained before the next."""

    def __init__(self, plan: Plan, flows: Flows, meter: CpuMeter) -> None:
        self.plan, self.flows, self.meter = plan, flows, meter

    async def drain(self, server: Server, path: str) -> None:
        """Until requests still queued from the last phase are done: a request per worker
        answered (the listen queue is first come, first served), twice."""
        for _ in range(2):
            await asyncio.gather(*(server.request("GET", path) for _ in range(WORKERS)))

    async def phase(self, side: str, make: Any) -> Run:
        server, path = (
            (self.flows.bare, "/bare/ping")
            if side == "bare"
            else (self.flows.quanban, "/api/v1/health")
        )
        before = self.meter.snapshot()
        run: Run = await make()
        after = self.meter.snapshot()
        await self.drain(server, path)
        if before and run.completed:
            spent = CpuMeter.spent_ms(before, after)
            run.cpu_ms = {
                "app": round(spent[side] / run.completed, 2),
                "database": round(spent["database"] / run.completed, 2),
                "load_generator": round(spent["load_generator"] / run.completed, 2),
            }
        return run

    def closed(self, flow: Any, clients: int | None = None) -> Any:
        plan = self.plan
        return lambda: closed_loop(
            flow,
            clients=clients or plan.clients,
            duration_s=plan.round_s,
            warmup_s=plan.warmup_s,
        )

    def open(self, flow: Any, rate_per_s: float) -> Any:
        plan = self.plan
        return lambda: open_loop(
            flow,
            rate_per_s=rate_per_s,
            duration_s=plan.open_s,
            warmup_s=plan.warmup_s,
            patience_s=plan.patience_s,
        )

    async def run(self) -> Measured:
        flows, measured = self.flows, Measured()
        await asyncio.gather(
            flows.quanban.wait_ready("/api/v1/health"), flows.bare.wait_ready("/bare/ping")
        )
        # Warm up: every worker imports, connects and fills its caches before anything counts.
        for flow in (flows.instant, flows.bare_submit, flows.window):
            await closed_loop(flow, clients=WORKERS * 2, duration_s=1.0, warmup_s=0.0)
        await self.drain(flows.quanban, "/api/v1/health")
        for r in range(self.plan.rounds):
            # Alternate who goes first, so neither always runs on the warmer (or fuller) database.
            sides = [("quanban", flows.instant), ("bare", flows.bare_submit)]
            for side, flow in sides if r % 2 == 0 else sides[::-1]:
                rounds = measured.quanban_rounds if side == "quanban" else measured.bare_rounds
                rounds.append(await self.phase(side, self.closed(flow)))
        for _ in range(max(1, self.plan.rounds // 2)):
            measured.window_rounds.append(await self.phase("quanban", self.closed(flows.window)))
        measured.instant_single = await self.phase("quanban", self.closed(flows.instant, 1))
        measured.instant_open = await self.phase(
            "quanban", self.open(flows.instant, FIXED_RATE_PER_S)
        )
        measured.bare_open = await self.phase(
            "bare", self.open(flows.bare_submit, FIXED_RATE_PER_S)
        )
        # The window's pair is two requests: 50 pairs a second is 100 requests a second.
        measured.window_open = await self.phase(
            "quanban", self.open(flows.window, FIXED_RATE_PER_S / 2)
        )
        return measured


def _rules_ms(first_case_id: int, instant_version_id: int) -> list[float]:
    from quanban.cases.models import Case

    outcomes = Case.objects.filter(
        pk__gt=first_case_id, item_version_id=instant_version_id, state=Case.State.FINISHED
    ).values_list("instant_outcome", flat=True)
    return [float(o["elapsed_ms"]) for o in outcomes if o and "elapsed_ms" in o]


class Skipped(Result):
    """Measured nothing: an earlier PostgreSQL result, if any, stays as it was."""

    def write(self) -> Path:
        path = RESULTS / f"{self.name}.json"
        return path if path.exists() else super().write()


def _skipped(size: str, vendor: str) -> Result:
    return Skipped(
        name="http_submit",
        size=size,
        figures={"skipped": 1.0},
        summary=(
            f"skipped on {vendor}: the servers need a database they can share "
            "(DATABASE_URL=postgres://…)"
        ),
    )


def run(size: str) -> Result:
    from django.db import connection
    from huey.contrib.djhuey import HUEY

    if connection.vendor != "postgresql":
        return _skipped(size, connection.vendor)
    plan = SIZES[size]
    travel = _needs_travel()
    # The test settings run background tasks at once, in the caller; a server only queues them.
    immediate = HUEY.immediate
    HUEY.immediate = False
    try:
        with on_reference_day() if travel else contextlib.nullcontext():
            return _run(size, plan, travel)
    finally:
        HUEY.immediate = immediate


def _median_cpu(runs: list[Run]) -> dict[str, float]:
    keys = {k for r in runs for k in r.cpu_ms}
    return {
        k: round(statistics.median(r.cpu_ms[k] for r in runs if k in r.cpu_ms), 2) for k in keys
    }


def _run(size: str, plan: Plan, travel: bool) -> Result:
    from django.db import connection

    from quanban.cases.models import Case

    started = time.perf_counter()
    world = _build_world()
    _create_bare_audit_table()
    inside = _in_process(world)
    statements = inside.statements
    rows_before = _rows()
    first_case_id = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="quanban-http-bench-") as tmp:
        var_dir = Path(tmp)
        quanban_settings = "bench.http_settings" if travel else "quanban.config.settings"
        try:
            with (
                _serve(quanban_settings, var_dir, travel) as quanban,
                _serve("bench.bare_settings", var_dir, travel) as bare,
            ):
                meter = CpuMeter({"quanban": quanban.pid, "bare": bare.pid})
                connection.close()  # the bench process holds nothing while the servers run
                try:
                    flows = Flows(world, quanban.server, bare.server)
                    measured = asyncio.run(Bench(plan, flows, meter).run())
                finally:
                    meter.close()
        except Exception:
            for log in var_dir.glob("*.log"):
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
            raise
        logs = "\n".join(log.read_text(errors="replace") for log in var_dir.glob("*.log"))
        server_errors = logs.count("ERROR django.request")
        deadlocks = logs.count("deadlock detected")
        # Each distinct exception the servers logged (the traceback's exception line).
        errors: Counter[str] = Counter()
        for block in re.split(r"\n(?=\d{4}-\d\d-\d\d |\[\d{4}-)", logs):
            if "Traceback" in block:
                raised = re.findall(r"^[A-Za-z_][\w.]*(?:Error|Exception)\b.*$", block, re.M)
                errors[(raised or block.strip().splitlines())[-1][:300]] += 1
    load_after = os.getloadavg()
    rows_after = _rows()
    rules = _rules_ms(first_case_id, world.instant_version_id)

    assert measured.instant_open and measured.bare_open and measured.window_open
    assert measured.instant_single
    quanban_rates = [r.per_s() for r in measured.quanban_rounds]
    bare_rates = [r.per_s() for r in measured.bare_rounds]
    ratios = [q / b for q, b in zip(quanban_rates, bare_rates, strict=True)]
    ratio = statistics.median(ratios)
    quanban_rate = statistics.median(quanban_rates)
    bare_rate = statistics.median(bare_rates)
    window_rate = statistics.median(r.per_s() for r in measured.window_rounds)
    closed_latency = percentiles([ms for r in measured.quanban_rounds for ms in r.flow_ms()])
    bare_closed_latency = percentiles([ms for r in measured.bare_rounds for ms in r.flow_ms()])
    # At a fixed rate, a request that failed or was given up on counts with the time it took:
    # the percentile is then a lower bound (``failed_…_open`` says how many).
    at_rate = percentiles(measured.instant_open.flow_ms(failed_too=True))
    bare_at_rate = percentiles(measured.bare_open.flow_ms(failed_too=True))
    single = percentiles(measured.instant_single.flow_ms())
    window_pair = percentiles(measured.window_open.flow_ms(failed_too=True))
    window_receive = percentiles(measured.window_open.call_ms("receive"))
    window_accept = percentiles(measured.window_open.call_ms("accept"))
    rules_p = percentiles(rules)
    quanban_cpu = _median_cpu(measured.quanban_rounds)
    bare_cpu = _median_cpu(measured.bare_rounds)
    window_cpu = _median_cpu(measured.window_rounds)
    cores = os.cpu_count() or 1

    def ceiling(cpu: dict[str, float]) -> float:
        """Submissions a second the machine's cores could carry at this CPU cost each, with
        nothing else running and no lock in the way."""
        total = sum(cpu.values())
        return round(1000 * cores / total, 1) if total else 0.0

    failures = {
        "quanban_closed": sum(r.failed for r in measured.quanban_rounds),
        "bare_closed": sum(r.failed for r in measured.bare_rounds),
        "window_closed": sum(r.failed for r in measured.window_rounds),
        "instant_open": measured.instant_open.failed,
        "bare_open": measured.bare_open.failed,
        "window_open": measured.window_open.failed,
    }
    samples = [
        s
        for run in (
            *measured.quanban_rounds,
            *measured.bare_rounds,
            *measured.window_rounds,
            measured.instant_open,
            measured.bare_open,
            measured.window_open,
        )
        for s in run.failures(3)
    ]
    kept_up = not (failures["instant_open"] or measured.instant_open.saturated)
    met = {
        "closed_loop": quanban_rate >= TARGET_PER_S,
        "p95_at_100_per_s": at_rate["p95_ms"] < TARGET_P95_MS and kept_up,
        "ratio": ratio >= TARGET_RATIO,
        "instant_p95": at_rate["p95_ms"] < TARGET_INSTANT_P95_MS and kept_up,
        "rules_p95": rules_p["p95_ms"] < TARGET_RULES_P95_MS,
    }
    figures: dict[str, float] = {
        "quanban_closed_loop_per_s": round(quanban_rate, 1),
        "bare_closed_loop_per_s": round(bare_rate, 1),
        "ratio": round(ratio, 3),
        "p95_ms_at_100_per_s": at_rate["p95_ms"],
        "instant_p95_ms": at_rate["p95_ms"],
        "rules_p95_ms": round(rules_p["p95_ms"], 4),
        "rules_p50_ms": round(rules_p["p50_ms"], 4),
        "p50_ms_at_100_per_s": at_rate["p50_ms"],
        "p99_ms_at_100_per_s": at_rate["p99_ms"],
        "achieved_per_s_at_100_per_s": round(measured.instant_open.per_s(), 1),
        "bare_p95_ms_at_100_per_s": bare_at_rate["p95_ms"],
        "instant_single_client_p50_ms": single["p50_ms"],
        "instant_single_client_p95_ms": single["p95_ms"],
        "quanban_closed_loop_p95_ms": closed_latency["p95_ms"],
        "bare_closed_loop_p95_ms": bare_closed_latency["p95_ms"],
        "quanban_rounds_min_per_s": round(min(quanban_rates), 1),
        "quanban_rounds_max_per_s": round(max(quanban_rates), 1),
        "bare_rounds_min_per_s": round(min(bare_rates), 1),
        "bare_rounds_max_per_s": round(max(bare_rates), 1),
        "window_pairs_closed_loop_per_s": round(window_rate, 1),
        "window_pair_p95_ms_at_50_pairs_per_s": window_pair["p95_ms"],
        "window_receive_p95_ms_at_50_pairs_per_s": window_receive["p95_ms"],
        "window_accept_p95_ms_at_50_pairs_per_s": window_accept["p95_ms"],
        # CPU per submission (median of the closed-loop rounds): what it costs, whatever else
        # the machine was doing, and the rate the cores could carry at that cost.
        "quanban_app_cpu_ms": quanban_cpu.get("app", 0.0),
        "quanban_db_cpu_ms": quanban_cpu.get("database", 0.0),
        "bare_app_cpu_ms": bare_cpu.get("app", 0.0),
        "bare_db_cpu_ms": bare_cpu.get("database", 0.0),
        "load_generator_cpu_ms": quanban_cpu.get("load_generator", 0.0),
        "quanban_cpu_ceiling_per_s": ceiling(quanban_cpu),
        "bare_cpu_ceiling_per_s": ceiling(bare_cpu),
        "window_pair_app_cpu_ms": window_cpu.get("app", 0.0),
        "window_pair_db_cpu_ms": window_cpu.get("database", 0.0),
        "chain_head_held_ms": inside.chain_head_ms["held_p50_ms"],
        "chain_head_share_of_request": inside.chain_head_ms["share_of_request_p50"],
        "workers": WORKERS,
        "clients": plan.clients,
        "duration_s": plan.round_s,
        "rounds": plan.rounds,
        "open_loop_s": plan.open_s,
        "conn_max_age_s": CONN_MAX_AGE_S,
        "load_average_before": round(load_before[0], 2),
        "load_average_after": round(load_after[0], 2),
        "target_per_s": TARGET_PER_S,
        "target_p95_ms": TARGET_P95_MS,
        "target_ratio": TARGET_RATIO,
        "target_instant_p95_ms": TARGET_INSTANT_P95_MS,
        "target_rules_p95_ms": TARGET_RULES_P95_MS,
        "met": float(all(met.values())),
        "clock_travelled": float(travel),
    }
    data: dict[str, int] = {
        **{f"rows_before_{k}": v for k, v in rows_before.items()},
        **{f"rows_after_{k}": v for k, v in rows_after.items()},
        **{f"statements_{k}": v for k, v in statements.items()},
        **{f"failed_{k}": v for k, v in failures.items()},
        "abandoned_instant_open": measured.instant_open.abandoned,
        "saturated_instant_open": int(measured.instant_open.saturated),
        "saturated_bare_open": int(measured.bare_open.saturated),
        "saturated_window_open": int(measured.window_open.saturated),
        "abandoned_window_open": measured.window_open.abandoned,
        "server_errors_logged": server_errors,
        "deadlocks_logged": deadlocks,
        "decided_instant_cases": len(rules),
        "citizens": CITIZENS,
        "clerks": CLERKS,
        "cpus": cores,
    }
    details: dict[str, Any] = {
        "met": met,
        "rounds_per_s": {
            "quanban": [round(x, 1) for x in quanban_rates],
            "bare": [round(x, 1) for x in bare_rates],
            "ratios": [round(x, 3) for x in ratios],
            "window_pairs": [round(r.per_s(), 1) for r in measured.window_rounds],
        },
        "cpu_ms_per_flow": {
            "instant_closed_loop": quanban_cpu,
            "bare_closed_loop": bare_cpu,
            "window_pair_closed_loop": window_cpu,
            "instant_single_client": measured.instant_single.cpu_ms,
            "instant_at_100_per_s": measured.instant_open.cpu_ms,
            "bare_at_100_per_s": measured.bare_open.cpu_ms,
        },
        "latency_ms": {
            "instant_at_100_per_s": at_rate,
            "bare_at_100_per_s": bare_at_rate,
            "instant_single_client": single,
            "instant_closed_loop": closed_latency,
            "bare_closed_loop": bare_closed_latency,
            "window_pair_at_50_pairs_per_s": window_pair,
            "window_receive_at_50_pairs_per_s": window_receive,
            "window_accept_at_50_pairs_per_s": window_accept,
            "rules": rules_p,
        },
        "instant_submit_statements": inside.breakdown,
        "chain_head": inside.chain_head_ms,
        "rows_before": rows_before,
        "rows_after": rows_after,
        "statements_per_request": statements,
        "failures": failures,
        "failure_samples": samples[:10],
        "server_exceptions": dict(errors.most_common(5)),
        "server": f"quanban serve --workers {WORKERS} (gunicorn sync), DEBUG off",
        "bench_seconds": round(time.perf_counter() - started, 1),
    }
    missed = [name for name, ok in met.items() if not ok]
    return Result(
        name="http_submit",
        size=size,
        figures=figures,
        data=data,
        details=details,
        summary=(
            f"{WORKERS} workers, {plan.clients} clients: Quanban {quanban_rate:,.0f} instant "
            f"submissions/s (target ≥ {TARGET_PER_S:.0f}) vs bare view {bare_rate:,.0f}/s, "
            f"ratio {ratio:.2f} (≥ {TARGET_RATIO}); at {FIXED_RATE_PER_S:.0f}/s p95 "
            f"{at_rate['p95_ms']:.1f} ms (< {TARGET_P95_MS:.0f}); rules p95 "
            f"{rules_p['p95_ms']:.3f} ms; window receive+accept {window_rate:,.0f} pairs/s; "
            f"CPU a submission {quanban_cpu.get('app', 0):.1f} ms app + "
            f"{quanban_cpu.get('database', 0):.1f} ms db (bare {bare_cpu.get('app', 0):.1f} + "
            f"{bare_cpu.get('database', 0):.1f}); {statements['instant_submit']} statements; "
            f"chain head held {inside.chain_head_ms['share_of_request_p50']:.0%} of a submission"
            + (f"; missed: {', '.join(missed)}" if missed else "; all targets met")
            + (f"; {sum(failures.values())} failed requests" if sum(failures.values()) else "")
            + (f"; load average {load_before[0]:.1f}" if load_before[0] > 1 else "")
        ),
    )
