"""The inbox queries at city scale: a million open cases, three million tasks.

Targets (issue: case runtime), on PostgreSQL: one department's 50 most urgent open tasks in under
10 ms; the count of yellow and red open tasks per department over the whole city in under 1 s.
The queries are the ones the inbox and the supervision pages run (``INBOX`` and ``CARDS`` below).

The data comes from ``bench.casegen`` (the demo city, its departments and items). ``--size
quick`` makes 20,000 cases; ``full`` a million; ``QUANBAN_BENCH_CASES`` overrides either. The
department timed alone is the one with the most open tasks (the worst inbox); every department's
inbox is timed too. p50 and p95 are over repeated runs of the same query on a warm database,
as a running server sees them.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench.harness import Result, latencies_ms

SIZES = {"quick": 20_000, "full": 1_000_000}
TARGET_INBOX_MS = 10.0
TARGET_CARDS_MS = 1000.0
INBOX_REPEATS = 200
CARDS_REPEATS = 15


def cases_for(size: str) -> int:
    override = os.environ.get("QUANBAN_BENCH_CASES", "").replace("_", "").replace(",", "")
    return int(override) if override else SIZES[size]


def inbox(department_id: int) -> list[Any]:
    """The department's 50 most urgent open tasks, as its inbox lists them."""
    from quanban.cases.models import Task

    return list(
        Task.objects.filter(department_id=department_id, state="open").order_by(
            "due_on", "opened_at", "pk"
        )[:50]
    )


def cards() -> list[dict[str, Any]]:
    """Yellow and red open tasks per department and level, over the whole city."""
    from django.db.models import Count

    from quanban.cases.models import Task

    return list(
        Task.objects.filter(state="open", card_level__in=["yellow", "red"])
        .values("department", "card_level")
        .annotate(n=Count("pk"))
    )


def _team_member(unit_id: int) -> Any:
    """Someone who works in the unit (its whole team inbox is theirs): a demo account holding a
    business role there, or a new one granted it by the security administrator."""
    from quanban.accounts import services as accounts
    from quanban.accounts.models import OrgUnit, RoleAssignment, User
    from quanban.accounts.roles import Role

    unit = OrgUnit.objects.get(pk=unit_id)
    role = Role.WINDOW_CLERK if unit.kind == OrgUnit.Kind.HALL else Role.REVIEWER
    held = RoleAssignment.objects.filter(org_unit=unit, role=role).select_related("user").first()
    if held is not None:
        return held.user
    admin = User.objects.get(role_assignments__role=Role.SECURITY_ADMIN)
    user = accounts.staff_create(
        username=f"bench{unit_id}",
        display_name="压测人员",
        password="Quanban#2026",
        department=unit if unit.kind == OrgUnit.Kind.DEPARTMENT else None,
    )
    accounts.role_grant(granted_by=admin, user=user, role=role, org_unit=unit)
    return User.objects.get(pk=user.pk)


def _plan(query: Callable[[], Any]) -> list[str]:
    """The query's plan as PostgreSQL ran it (EXPLAIN ANALYZE, BUFFERS): of a queryset, or of a
    statement and its parameters."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    made = query()
    sql, params = made if isinstance(made, tuple) else made.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return [row[0] for row in cursor.fetchall()]


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))]


def run(size: str) -> Result:
    from django.db import connection
    from django.db.models import Count

    from bench.casegen import generate
    from quanban.cases.models import Case, Task
    from quanban.cases.selectors import task_inbox, task_inbox_statement

    n = cases_for(size)
    made = generate(n)
    open_by_department = dict(
        Task.objects.filter(state="open")
        .values_list("department")
        .annotate(n=Count("pk"))
        .values_list("department", "n")
    )
    busiest = max(open_by_department, key=lambda d: open_by_department[d])

    # Both must answer, and rightly, before either is timed.
    top = inbox(busiest)
    assert len(top) == 50 and all(t.state == "open" and t.department_id == busiest for t in top)
    keys = [(t.due_on, t.opened_at, t.pk) for t in top]
    assert keys == sorted(keys)
    counted = cards()
    expected = Task.objects.filter(state="open", card_level__in=["yellow", "red"]).count()
    assert sum(row["n"] for row in counted) == expected

    for _ in range(5):  # warm, as a running server is
        inbox(busiest)
    inbox_busiest = latencies_ms(lambda: inbox(busiest), n=INBOX_REPEATS)
    # Every department's inbox, round and round.
    departments = sorted(open_by_department)
    per_department: dict[int, list[float]] = {d: [] for d in departments}
    for _ in range(max(5, INBOX_REPEATS // len(departments))):
        for department in departments:
            start = time.perf_counter()
            inbox(department)
            per_department[department].append((time.perf_counter() - start) * 1000)
    every = [ms for samples in per_department.values() for ms in samples]
    # The inbox as the selector serves it today (red, then yellow, then by due date; the user's
    # departments, offices and halls), for the busiest department's team.
    member = _team_member(busiest)
    served = list(task_inbox(user=member, scope="team"))
    assert len(served) == 50
    selector = latencies_ms(
        lambda: list(task_inbox(user=member, scope="team")), n=max(20, INBOX_REPEATS // 4)
    )
    cards()
    card_samples = []
    for _ in range(CARDS_REPEATS):
        start = time.perf_counter()
        cards()
        card_samples.append((time.perf_counter() - start) * 1000)

    inbox_plan = _plan(
        lambda: Task.objects.filter(department_id=busiest, state="open").order_by(
            "due_on", "opened_at", "pk"
        )[:50]
    )
    selector_plan = _plan(lambda: task_inbox_statement(user=member, scope="team"))
    cards_plan = _plan(
        lambda: (
            Task.objects.filter(state="open", card_level__in=["yellow", "red"])
            .values("department", "card_level")
            .annotate(n=Count("pk"))
        )
    )

    cards_p50 = statistics.median(card_samples)
    cards_p95 = _p(card_samples, 0.95)
    figures = {
        "inbox_p50_ms": round(inbox_busiest["p50_ms"], 2),
        "inbox_p95_ms": round(inbox_busiest["p95_ms"], 2),
        "inbox_max_ms": round(inbox_busiest["max_ms"], 2),
        "inbox_all_departments_p50_ms": round(statistics.median(every), 2),
        "inbox_all_departments_p95_ms": round(_p(every, 0.95), 2),
        "inbox_selector_p50_ms": round(selector["p50_ms"], 2),
        "inbox_selector_p95_ms": round(selector["p95_ms"], 2),
        "cards_p50_ms": round(cards_p50, 1),
        "cards_p95_ms": round(cards_p95, 1),
        "target_inbox_ms": TARGET_INBOX_MS,
        "target_cards_ms": TARGET_CARDS_MS,
        "met_inbox": float(inbox_busiest["p95_ms"] < TARGET_INBOX_MS),
        "met_cards": float(cards_p95 < TARGET_CARDS_MS),
    }
    data = {
        "cases": Case.objects.count(),
        "tasks": Task.objects.count(),
        "open_tasks": sum(open_by_department.values()),
        "open_yellow": made.get("open_yellow", 0),
        "open_red": made.get("open_red", 0),
        "cases_yellow": made.get("case_yellow", 0),
        "cases_red": made.get("case_red", 0),
        "departments_with_open_tasks": len(departments),
        "busiest_department_open_tasks": open_by_department[busiest],
        "generate_s": made.get("seconds", 0),
        "inbox_repeats": INBOX_REPEATS,
        "cards_repeats": CARDS_REPEATS,
    }
    share = (data["open_yellow"] + data["open_red"]) / max(1, data["open_tasks"])
    return Result(
        name="cases_queries",
        size=size,
        figures=figures,
        data=data,
        details={
            "open_yellow_or_red_share": round(share, 4),
            "inbox_p50_ms_by_department": {
                str(d): round(statistics.median(s), 2) for d, s in per_department.items()
            },
            "inbox_plan": inbox_plan,
            "inbox_selector_plan": selector_plan,
            "cards_plan": cards_plan,
        },
        summary=(
            f"{data['cases']:,} cases, {data['tasks']:,} tasks ({data['open_tasks']:,} open, "
            f"{share:.1%} yellow or red) on {connection.vendor}, made in "
            f"{data['generate_s']:,} s: busiest inbox ({data['busiest_department_open_tasks']:,}"
            f" open) p50 {figures['inbox_p50_ms']:.2f} ms, p95 {figures['inbox_p95_ms']:.2f} ms"
            f" (target < {TARGET_INBOX_MS:.0f} ms; all departments p95 "
            f"{figures['inbox_all_departments_p95_ms']:.2f} ms; task_inbox selector p95 "
            f"{figures['inbox_selector_p95_ms']:.2f} ms); yellow/red per department "
            f"p50 {cards_p50:,.0f} ms, p95 {cards_p95:,.0f} ms (target < {TARGET_CARDS_MS:,.0f} ms)"
        ),
    )
