"""Bulk case data for the benchmarks: N open cases and their tasks, the way a busy city has them.

The city is the demo city (``quanban demo``: 济南市, its 21 departments, halls, windows, staff and
catalogue), loaded first when the database does not have it. Each case is an application for a
demo item (a few items carry most of the cases), received at a window (or online), accepted, and
somewhere along the process its item's version defines (quanban.catalogue.process): its finished
steps have done tasks, its current step open ones (a co-review step one per department, some of
them already answered). Cases spread over the steps so that there are three tasks a case on
average, all of them open cases (在办 or 已决定待出件).

Dates are real: every task's due and warn dates come from the case clock on the working-day
calendar (quanban.cases.clock) from the day its step opened, and its card level (亮灯) is what
they say on the reference day; about 5% of the open tasks are yellow or red. Cases keep their own
clock the same way. ``due_share`` leaves a share of the open tasks past their warning or due date
with the card still lower (the card sweep has not been round yet: bench.supervision).
``generate`` writes with ``COPY`` on PostgreSQL (bulk_create elsewhere) in batches, one
transaction each, printing its progress; a million cases take minutes.

Run it on its own to fill a development database: ``python -m bench.casegen 100000``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bench.harness import REFERENCE_TIME, on_reference_day

TZ = ZoneInfo("Asia/Shanghai")
TASKS_PER_CASE = 3
BATCH_CASES = 20_000
# Of the open tasks, about this share yellow or red (two fifths of them red). A step of one working
# day is yellow the day it opens (its warning time is its whole limit), so the generator draws
# fewer late tasks of its own while those keep the share at the target.
LATE_SHARE = 0.05
RED_SHARE = 0.015
# Cases spread over their steps as time is spent in them (Little's law): about half a step's
# limit, and a day or two at the issue window.
ISSUE_DAYS = 1.5
ONLINE_SHARE = 0.2
CLAIMED_SHARE = 0.4


@dataclass
class StepPlan:
    id: str
    kind: str
    name: str
    role: str
    limit: int
    departments: list[int]  # the departments its tasks go to (the co-review's, or the lead's)
    offices: list[int | None]


@dataclass
class ItemPlan:
    version_id: int
    definition: dict[str, Any]
    lead_department: int
    lead_office: int | None
    legal_limit: int
    promised_limit: int
    steps: list[StepPlan]
    # Tasks a case has when it stands at step i: the done tasks before it and the step's own.
    tasks_at: list[int] = field(default_factory=list)


@dataclass
class City:
    items: list[ItemPlan]
    weights: list[float]
    windows: list[tuple[int, int]]  # (window, its hall)
    clerks: list[int]
    staff_by_department: dict[int, list[int]]
    staff: list[int]
    persons: list[int]
    entities: list[int]


def _city(rng: random.Random) -> City:
    from quanban.accounts.demo import demo_is_loaded, demo_load
    from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit, RoleAssignment, User
    from quanban.accounts.roles import Role
    from quanban.cases.services.runtime import ISSUE_LIMIT_DAYS
    from quanban.catalogue import process as definitions
    from quanban.catalogue.models import ItemVersion

    if not demo_is_loaded():
        with on_reference_day():  # its own cases need due dates the calendar covers
            demo_load()
    units = list(OrgUnit.objects.filter(is_active=True).values("pk", "kind", "parent_id", "uscc"))
    by_uscc = {u["uscc"]: u["pk"] for u in units if u["kind"] == OrgUnit.Kind.DEPARTMENT}
    first_office: dict[int, int] = {}
    for office in OrgUnit.objects.filter(kind=OrgUnit.Kind.OFFICE, is_active=True).order_by(
        "sort", "pk"
    ):
        assert office.parent_id is not None
        first_office.setdefault(office.parent_id, office.pk)
    windows = [(u["pk"], u["parent_id"]) for u in units if u["kind"] == OrgUnit.Kind.WINDOW]

    items: list[ItemPlan] = []
    versions = ItemVersion.objects.filter(
        state=ItemVersion.State.PUBLISHED,
        promised_limit_days__gt=0,
        process__kind__in=["single_approver", "review_approve", "parallel"],
    ).select_related("item")
    for version in versions.order_by("pk"):
        definition = definitions.definition_for(version.process or {})
        if definitions.definition_problems(definition):
            continue
        lead = version.item.implementing_department_id
        office = first_office.get(lead)
        steps = []
        for step in definition["steps"]:
            if step["kind"] not in definitions.TASK_KINDS:
                continue
            if step["kind"] == "issue":
                limit = ISSUE_LIMIT_DAYS
            else:
                share = int(step.get("share", 0))
                limit = max(1, version.promised_limit_days * share // 100)
            if step["kind"] == "co_review":
                departments = [by_uscc[code] for code in step["departments"]]
                offices: list[int | None] = [None] * len(departments)
            else:
                departments, offices = [lead], [office]
            steps.append(
                StepPlan(
                    id=step["id"],
                    kind=step["kind"],
                    name=step["name"],
                    role=step.get("role", str(Role.REVIEWER)),
                    limit=limit,
                    departments=departments,
                    offices=offices,
                )
            )
        plan = ItemPlan(
            version_id=version.pk,
            definition=definition,
            lead_department=lead,
            lead_office=office,
            legal_limit=version.legal_limit_days,
            promised_limit=version.promised_limit_days,
            steps=steps,
        )
        total = 0
        for step in steps:
            plan.tasks_at.append(total + len(step.departments))
            total += len(step.departments)
        items.append(plan)
    if not items:
        raise RuntimeError("casegen: no published demo items to make cases of")
    # Applications per item are skewed (Zipf-like): a few items carry much of the work. The open
    # cases of an item are its applications times the time each stays open (Little's law).
    ranks = list(range(1, len(items) + 1))
    rng.shuffle(ranks)
    weights = [
        sum(_step_days(step) for step in item.steps) / rank**0.8
        for item, rank in zip(items, ranks, strict=True)
    ]

    staff_by_department: dict[int, list[int]] = {}
    for user_id, department_id in User.objects.filter(kind=User.Kind.STAFF).values_list(
        "pk", "department_id"
    ):
        if department_id is not None:
            staff_by_department.setdefault(department_id, []).append(user_id)
    clerks = list(
        RoleAssignment.objects.filter(role=Role.WINDOW_CLERK).values_list("user_id", flat=True)
    )
    return City(
        items=items,
        weights=weights,
        windows=windows,
        clerks=clerks or [u for users in staff_by_department.values() for u in users],
        staff_by_department=staff_by_department,
        staff=[u for users in staff_by_department.values() for u in users],
        persons=list(NaturalPerson.objects.values_list("pk", flat=True)),
        entities=list(LegalEntity.objects.values_list("pk", flat=True)),
    )


class Calendar:
    """Working days back from the reference day, and the case clock's dates, memoised."""

    def __init__(self, today: dt.date) -> None:
        from quanban.core import workdays

        self.today = today
        days = [today - dt.timedelta(days=n) for n in range(0, 500)]
        # back[e]: the e-th working day before today (back[0] is today, or the last working day).
        self.back = [d for d in days if workdays.is_working_day(d)]
        self._clock: dict[tuple[dt.date, int], tuple[dt.date, dt.date, str]] = {}

    def clock(self, start: dt.date, limit: int) -> tuple[dt.date, dt.date, str]:
        """(due, warn, card level) of a limit of working days from ``start``, on the reference
        day."""
        key = (start, limit)
        known = self._clock.get(key)
        if known is None:
            from quanban.cases import clock as case_clock
            from quanban.cases.services._common import card_for

            due = case_clock.due_date(start, limit)
            warn = case_clock.warn_date(start, limit)
            assert due is not None and warn is not None
            known = self._clock[key] = (due, warn, card_for(self.today, warn, due))
        return known

    def elapsed_for(self, rng: random.Random, limit: int, card: str) -> int:
        """Working days a step has been open for its card to be ``card`` (in time if it can)."""
        from quanban.cases import clock as case_clock

        threshold = case_clock.warning_threshold(limit)
        if card == "red":
            return limit + rng.randint(1, 8)
        if card == "yellow":
            return rng.randint(max(0, limit - threshold), limit)
        return rng.randint(0, max(0, limit - threshold - 1))


def _step_days(step: StepPlan) -> float:
    """The working days a case spends at a step, on average."""
    return ISSUE_DAYS if step.kind == "issue" else max(0.5, step.limit / 2)


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment of office hours on ``day`` (Asia/Shanghai), as an aware UTC datetime."""
    minutes = rng.randint(9 * 60, 17 * 60)
    local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=TZ)
    return local.astimezone(dt.UTC)


class Generator:
    """Row dicts (by attribute name) of cases and their tasks."""

    def __init__(
        self,
        city: City,
        calendar: Calendar,
        rng: random.Random,
        first_id: int,
        *,
        due_share: float = 0.0,
    ) -> None:
        self.city = city
        self.cal = calendar
        self.rng = rng
        self.next_id = first_id
        self.numbers: Counter[dt.date] = Counter()
        self.tasks_made = 0
        self.cases_made = 0
        self.open_made = 0
        self.late_made = 0
        self.red_made = 0
        # Of the open tasks, this share has a card lower than its dates say (due for the sweep).
        self.due_share = due_share
        self.late_share = max(LATE_SHARE, due_share)
        self.due_made = 0

    def _stage(self, item: ItemPlan) -> int:
        """Where along its process the case stands: steps as long as the time spent in them,
        tilted (gently, as far as needed) to keep three tasks a case on average."""
        deficit = TASKS_PER_CASE * self.cases_made - self.tasks_made
        tilt = max(-3.0, min(3.0, 0.002 * deficit))
        weights = [
            _step_days(step) * math.exp(tilt * tasks)
            for step, tasks in zip(item.steps, item.tasks_at, strict=True)
        ]
        return self.rng.choices(range(len(item.steps)), weights=weights)[0]

    def _assignee(self, department: int) -> int:
        people = self.city.staff_by_department.get(department) or self.city.staff
        return self.rng.choice(people)

    def case(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng, cal, city = self.rng, self.cal, self.city
        item = rng.choices(city.items, weights=city.weights)[0]
        stage = self._stage(item)
        current = item.steps[stage]

        # Walk back from today: the current step opened `elapsed` working days ago, each step
        # before it took some of its own limit (now and then a day or two more).
        # Red and yellow as drawn, while the shares so far are under their targets.
        wanted = self.open_made + 1
        card = "none"
        if self.red_made < RED_SHARE * wanted and rng.random() < 2 * RED_SHARE:
            card = "red"
        elif self.late_made < self.late_share * wanted and rng.random() < 2 * self.late_share:
            card = "yellow"
        index = cal.elapsed_for(rng, current.limit, card)
        opened_index = [0] * (stage + 1)
        opened_index[stage] = index
        for s in range(stage - 1, -1, -1):
            index += rng.randint(0, item.steps[s].limit // 3 + (rng.random() < 0.1))
            opened_index[s] = index
        accepted_on = cal.back[opened_index[0]]
        accepted_at = _at(accepted_on, rng)
        received_at = accepted_at - dt.timedelta(minutes=rng.randint(5, 90))

        case_id = self.next_id
        self.next_id += 1
        online = rng.random() < ONLINE_SHARE
        window, hall = (None, None) if online else rng.choice(city.windows)
        clerk = rng.choice(city.clerks)
        self.numbers[accepted_on] += 1
        legal_due, _warn, _card = cal.clock(accepted_on, item.legal_limit)
        promised_due, warn_on, card = cal.clock(accepted_on, item.promised_limit)
        use_entity = bool(city.entities) and (rng.random() < 0.5 or not city.persons)
        applicant = rng.choice(city.entities if use_entity else city.persons)

        tasks: list[dict[str, Any]] = []
        approver = None
        decided_at = None
        for s in range(stage + 1):
            step = item.steps[s]
            opened_on = cal.back[opened_index[s]]
            opened_at = _at(opened_on, rng)
            due_on, task_warn, task_card = cal.clock(opened_on, step.limit)
            finished_on = cal.back[opened_index[s + 1]] if s < stage else None
            targets = list(zip(step.departments, step.offices, strict=True))
            if step.kind == "issue" and hall is not None:
                targets = [(hall, None)]
            # A co-review still open has some departments' answers in already (never all).
            answered = rng.randrange(len(targets)) if s == stage else len(targets)
            for t, (department, office) in enumerate(targets):
                done = t < answered
                row: dict[str, Any] = {
                    "case_id": case_id,
                    "step": step.id,
                    "kind": step.kind,
                    "name": step.name,
                    "department_id": department,
                    "office_id": office,
                    "role": step.role,
                    "state": "done" if done else "open",
                    "opened_at": opened_at,
                    "opened_on": opened_on,
                    "warn_on": task_warn,
                    "due_on": due_on,
                    "limit_days": step.limit,
                    "card_level": "none" if done else task_card,
                    "version": 1,
                }
                if done:
                    completed_at = max(_at(finished_on or cal.today, rng), opened_at)
                    person = self._assignee(department)
                    if step.kind == "approve":
                        approver, decided_at = person, completed_at
                    row.update(
                        assignee_id=person,
                        claimed_at=opened_at,
                        completed_at=completed_at,
                        completed_by_id=person,
                        outcome=_OUTCOME[step.kind],
                        opinion="同意。",
                        version=3,
                    )
                elif rng.random() < CLAIMED_SHARE:
                    row.update(assignee_id=self._assignee(department), claimed_at=opened_at)
                    row["version"] = 2
                tasks.append(row)

        decided = current.kind == "issue"
        case: dict[str, Any] = {
            "id": case_id,
            "number": "",  # given in order of acceptance when the batch is written
            "item_version_id": item.version_id,
            "person_id": None if use_entity else applicant,
            "entity_id": applicant if use_entity else None,
            "channel": "1" if online else "8",
            "state": "decided" if decided else "accepted",
            "first_responder_id": None if online else clerk,
            "window_id": window,
            "received_at": received_at,
            "accepted_at": accepted_at,
            "accepted_by_id": clerk,
            "legal_due": legal_due,
            "promised_due": promised_due,
            "warn_on": warn_on,
            "card_level": card,
            "process": item.definition,
            "current_step": current.id,
            "lead_department_id": item.lead_department,
            "lead_office_id": item.lead_office,
            "routing_note": "默认：事项实施部门",
            "version": 2 + stage,
            "created_at": received_at,
            "updated_at": tasks[-1]["opened_at"],
        }
        if decided:
            case.update(
                decision="approve",
                decision_text="准予许可",
                decided_at=decided_at or tasks[-1]["opened_at"],
                decided_by_id=approver,
            )
        self.cases_made += 1
        self.tasks_made += len(tasks)
        for task in tasks:
            if task["state"] == "open":
                self.open_made += 1
                self.late_made += task["card_level"] != "none"
                self.red_made += task["card_level"] == "red"
                if (
                    self.due_share
                    and task["card_level"] != "none"
                    and self.due_made < self.due_share * self.open_made
                ):
                    task["card_level"] = self._unswept(task["card_level"])
                    self.due_made += 1
        return case, tasks

    def _unswept(self, card: str) -> str:
        """The card a late task still has when the sweep has not been round: none for a yellow
        one; for a red one none (the sweep was down since before its warning day) or yellow."""
        if card == "red" and self.rng.random() < 0.5:
            return "yellow"
        return "none"


_OUTCOME = {
    "review": "pass",
    "co_review": "agree",
    "meeting": "held",
    "inspection": "pass",
    "approve": "approve",
    "issue": "issued",
}


# --- Writing ------------------------------------------------------------------------------------


class Table:
    """A model's columns in order, with the defaults of the ones a row leaves out."""

    def __init__(self, model: Any, *, with_pk: bool) -> None:
        from django.db import models

        self.model = model
        # Without the primary key the database numbers the rows (its sequence's default).
        self.fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.table = model._meta.db_table
        self.columns = [f.column for f in self.fields]
        self.json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        self.defaults: list[Any] = []
        for f in self.fields:
            default = f.get_default() if f.has_default() or not f.null else None
            if f.attname in self.json:
                default = json.dumps(default if default is not None else {})
            elif default == "" and f.null:
                default = None
            self.defaults.append(default)
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self._json_cache: dict[int, str] = {}

    def row(self, values: dict[str, Any]) -> list[Any]:
        row = list(self.defaults)
        index = self.index
        for name, value in values.items():
            if name in self.json:
                # The same process definition object repeats: dump it once.
                key = id(value)
                text = self._json_cache.get(key)
                if text is None:
                    text = self._json_cache[key] = json.dumps(value, ensure_ascii=False)
                value = text
            row[index[name]] = value
        return row


def _write(tables: dict[str, Table], rows: dict[str, list[dict[str, Any]]]) -> None:
    from django.db import connection, transaction

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                for name, table in tables.items():
                    columns = ", ".join(f'"{c}"' for c in table.columns)
                    with raw.copy(f'COPY "{table.table}" ({columns}) FROM STDIN') as copy:
                        for values in rows[name]:
                            copy.write_row(table.row(values))
        else:
            for name, table in tables.items():
                table.model.objects.bulk_create(
                    (table.model(**values) for values in rows[name]), batch_size=2000
                )


def _after(numbers: Counter[dt.date]) -> None:
    """Sequences past the ids given, the day counters past the numbers, fresh statistics."""
    from django.db import connection

    from quanban.cases.models import Case, CaseNumberCounter, Task

    for day, last in numbers.items():
        CaseNumberCounter.objects.update_or_create(day=day, defaults={"last": last})
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Case, Task):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
            # What autovacuum would have done to tables that grew by inserts: the visibility map
            # (index-only scans) and the planner's statistics.
            for model in (Case, Task):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def generate(
    cases: int,
    *,
    seed: int = 2026,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
    due_share: float = 0.0,
) -> dict[str, int]:
    """Add ``cases`` open cases and their tasks; returns what was made (counts).

    ``due_share``: about this share of the open tasks (at most what is late, about 5%, unless
    asked for more) is past its warning or due date with its card still lower — what the card
    sweep finds after it has been down. Counted as ``open_due``. 0 (the default): every card is
    what the dates say on ``today``.
    """
    from django.db.models import Max

    from quanban.cases.models import Case, CaseNumberCounter, Task

    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    rng = random.Random(seed)
    today = today or REFERENCE_TIME.date()
    started = time.perf_counter()
    city = _city(rng)
    calendar = Calendar(today)
    first_id = (Case.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    generator = Generator(city, calendar, rng, first_id, due_share=due_share)
    tables = {"case": Table(Case, with_pk=True), "task": Table(Task, with_pk=False)}
    prefix = _number_prefix()

    made: Counter[str] = Counter()
    # Numbers go on from the day counters' last ones, as acceptance's would.
    numbers: Counter[dt.date] = Counter(dict(CaseNumberCounter.objects.values_list("day", "last")))
    for batch_start in range(0, cases, BATCH_CASES):
        size = min(BATCH_CASES, cases - batch_start)
        case_rows: list[dict[str, Any]] = []
        task_rows: list[dict[str, Any]] = []
        for _ in range(size):
            case, tasks = generator.case()
            case_rows.append(case)
            task_rows.extend(tasks)
        # Numbers per day of acceptance, in order of acceptance (as the counter gives them).
        case_rows.sort(key=lambda c: c["accepted_at"])
        for case in case_rows:
            day = case["accepted_at"].astimezone(TZ).date()
            numbers[day] += 1
            case["number"] = f"{prefix}-{day:%Y%m%d}-{numbers[day]:06d}"
        case_rows.sort(key=lambda c: c["id"])
        _write(tables, {"case": case_rows, "task": task_rows})
        made["cases"] += len(case_rows)
        made["tasks"] += len(task_rows)
        for task in task_rows:
            if task["state"] == "open":
                made["open_tasks"] += 1
                made[f"open_{task['card_level']}"] += 1
        for case in case_rows:
            made[f"case_{case['card_level']}"] += 1
        elapsed = time.perf_counter() - started
        say(
            f"casegen: {made['cases']:,}/{cases:,} cases, {made['tasks']:,} tasks "
            f"({made['cases'] / cases:.0%}, {elapsed:,.0f} s)"
        )
    if due_share:
        made["open_due"] = generator.due_made
    say("casegen: sequences, counters and statistics …")
    _after(numbers)
    made["seconds"] = round(time.perf_counter() - started)
    return dict(made)


def _number_prefix() -> str:
    from django.conf import settings

    return str(settings.CITY_DIVISION_CODE)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os

    parser = argparse.ArgumentParser(
        prog="python -m bench.casegen",
        description="Add N open cases with their tasks to the configured database (DATABASE_URL).",
    )
    parser.add_argument("cases", type=int)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--due-share",
        type=float,
        default=0.0,
        help="share of the open tasks whose card the sweep has yet to raise (e.g. 0.05)",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quanban.config.settings")
    import django

    django.setup()
    made = generate(args.cases, seed=args.seed, due_share=args.due_share)
    print(json.dumps(made, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
