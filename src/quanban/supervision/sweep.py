"""The card sweep (红黄牌亮灯): raise yellow and red on tasks and cases whose time has come.

The worker runs :func:`card_sweep` every minute. It takes open tasks (and running cases) whose
warning day or due date has passed and whose card is lower than that, in batches locked with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (so several workers never take the same row),
raises their card, records one :class:`CardEvent` per level — a task that passed both while the
worker was down gets its yellow recorded too — and tells the responsible people
(quanban.supervision.escalation) in-app.

A batch costs a handful of statements whatever its size, so that a sweep after a long stop (tens
of thousands of cards) takes seconds: on PostgreSQL one statement locks the batch, raises the
cards and inserts their events (``UPDATE … RETURNING`` inside a ``WITH``); elsewhere one locked
select, one UPDATE a level and one INSERT of the events. Then one audit record naming every card
the batch raised (the card events are the per-task record), and one message a person and level
listing their cards (a person with forty late tasks gets one message, not forty), on the channels
each chose (quanban.notify: in-app always; red cards never wait for quiet hours to end).

A case whose clock stands still (a running suspension) gets no card: its tasks are skipped until
it resumes, when their due dates are recomputed. Case cards are recorded the same way; their
escalation is their tasks'.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, QuerySet

from quanban.accounts.models import User
from quanban.cases.models import CardLevel, Case, CaseSuspension, Task
from quanban.core import clock
from quanban.core.audit import audit_record
from quanban.notify.services import Notice, notify_many
from quanban.supervision.escalation import Responsibles
from quanban.supervision.models import CardEvent

BATCH_SIZE = 2000
_ONE_DAY = dt.timedelta(days=1)
# A message lists this many of a person's cards; the rest are counted.
LISTED_CARDS = 5
_WARN = "warn"
_DUE = "due"


@dataclass
class SweepReport:
    yellow: int = 0  # cards raised to yellow (tasks and cases)
    red: int = 0  # cards raised to red
    messages: int = 0

    def add(self, other: SweepReport) -> None:
        self.yellow += other.yellow
        self.red += other.red
        self.messages += other.messages


class _Raised(NamedTuple):
    """A task whose card the batch raised, with what its message needs."""

    pk: int
    old: str
    new: str
    case_id: int
    department_id: int
    office_id: int | None
    assignee_id: int | None
    due_on: dt.date | None
    name: str
    case_number: str | None
    item_version_id: int


def card_sweep(
    *, today: dt.date | None = None, batch_size: int = BATCH_SIZE, threads: int | None = None
) -> SweepReport:
    """Raise every card that is due; returns what it raised. Safe to run in several workers.

    When there is a backlog (a full first batch) on PostgreSQL, ``threads`` connections (default
    settings.SUPERVISION_SWEEP_THREADS) drain it side by side, as that many workers would: the
    batches lock with SKIP LOCKED, so no card is raised twice.
    """
    today = today or clock.today()
    threads = settings.SUPERVISION_SWEEP_THREADS if threads is None else threads
    parallel = threads > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block
    sweeper = _Sweeper(today, batch_size)
    # Each half of "due" (the warning day passed with no card; the due date passed below red)
    # is its own query along its own partial index: one query for both would read every row.
    for half in (_WARN, _DUE):
        if sweeper.batch(half) < batch_size:
            continue
        helpers = []
        if parallel:
            pool = ThreadPoolExecutor(max_workers=threads - 1)
            helpers = [
                pool.submit(contextvars.copy_context().run, _drain, today, batch_size, half)
                for _ in range(threads - 1)
            ]
            pool.shutdown(wait=False)
        while sweeper.batch(half) == batch_size:
            pass
        for helper in helpers:
            sweeper.report.add(helper.result())
    for half in (_WARN, _DUE):
        while _sweep_cases(today, batch_size, sweeper.report, half):
            pass
    return sweeper.report


class _Sweeper:
    """One connection's sweeping of tasks, a batch at a time, and what it raised."""

    def __init__(self, today: dt.date, batch_size: int) -> None:
        self.today = today
        self.batch_size = batch_size
        self.report = SweepReport()
        self.responsibles: Responsibles | None = None
        self.raise_batch = (
            _raise_tasks_sql if connection.vendor == "postgresql" else _raise_tasks_orm
        )

    def batch(self, half: str) -> int:
        """Raise the next batch of ``half``; returns how many cards it raised."""
        with transaction.atomic():
            _commit_without_waiting()
            rows = self.raise_batch(self.today, self.batch_size, half)
            if rows:
                self.responsibles = self.responsibles or Responsibles.load()
                record_cards(Task, self.today, [[r.pk, r.old, r.new] for r in rows], self.report)
                self.report.messages += _tell(rows, self.responsibles)
        return len(rows)


def _drain(today: dt.date, batch_size: int, half: str) -> SweepReport:
    """A helper thread: batches of ``half`` until none is full, on its own connection."""
    sweeper = _Sweeper(today, batch_size)
    try:
        while sweeper.batch(half) == batch_size:
            pass
    finally:
        connection.close()
    return sweeper.report


def _commit_without_waiting() -> None:
    """PostgreSQL: this transaction's commit does not wait for its WAL to reach the disk.

    A batch writes megabytes of WAL (every card's row and index entries), and waiting for their
    flush was a fifth of a sweep. Safe here because a batch carries everything it does — the
    raised cards, their events, the audit record, the messages: if the server crashes before the
    flush, the whole batch is lost together, the cards are still due, and the next sweep raises
    them again. (Other writers keep the default; this is ``SET LOCAL``, for this transaction.)
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _running_suspension(case_ref: OuterRef) -> Exists:
    return Exists(CaseSuspension.objects.filter(case=case_ref, ended_on__isnull=True))


def _task_half(today: dt.date, half: str) -> QuerySet[Task]:
    open_tasks = Task.objects.filter(state=Task.State.OPEN).exclude(
        _running_suspension(OuterRef("case"))
    )
    if half == _WARN:
        return open_tasks.filter(card_level=CardLevel.NONE, warn_on__lte=today).order_by(
            "warn_on", "pk"
        )
    return open_tasks.filter(
        card_level__in=[CardLevel.NONE, CardLevel.YELLOW], due_on__lt=today
    ).order_by("due_on", "pk")


def _case_half(today: dt.date, half: str) -> QuerySet[Case]:
    running = Case.objects.filter(state=Case.State.ACCEPTED, lead_department__isnull=False).exclude(
        _running_suspension(OuterRef("pk"))
    )
    if half == _WARN:
        return running.filter(card_level=CardLevel.NONE, warn_on__lte=today).order_by(
            "warn_on", "pk"
        )
    return running.filter(
        card_level__in=[CardLevel.NONE, CardLevel.YELLOW], promised_due__lt=today
    ).order_by("promised_due", "pk")


def _level(today: dt.date, due: dt.date | None) -> str:
    return CardLevel.RED if due is not None and due < today else CardLevel.YELLOW


def _events(
    old: str, new: str, warn_on: dt.date | None, due_on: dt.date | None
) -> list[tuple[str, dt.date]]:
    """(level, the day it began) of every level passed, yellow before red."""
    passed: list[tuple[str, dt.date]] = []
    if old == CardLevel.NONE and warn_on is not None:
        passed.append((CardLevel.YELLOW, warn_on))
    if new == CardLevel.RED and due_on is not None:
        passed.append((CardLevel.RED, due_on + _ONE_DAY))
    return passed


# --- Raising a batch: one statement on PostgreSQL, three elsewhere ------------------------------

# The batch's columns, in _Raised's order after pk, old and new.
_TASK_COLUMNS = (
    "case_id",
    "department_id",
    "office_id",
    "assignee_id",
    "due_on",
    "name",
    "case__number",
    "case__item_version_id",
)

# Lock the batch, raise its cards and insert its events in one round trip. The batch's select is
# the ORM's (_task_half, with its FOR UPDATE … SKIP LOCKED); the yellow event of a card that was
# none, the red one of a card now red — the same rule as _events. The unique constraints make an
# event met twice a no-op.
_RAISE_SQL = """
WITH batch AS ({batch}),
raised AS (
    UPDATE cases_task AS t
       SET card_level = CASE WHEN t.due_on < %s THEN 'red' ELSE 'yellow' END
      FROM batch
     WHERE t.id = batch.id
 RETURNING t.id, batch.card_level AS old, t.card_level AS new, t.case_id, t.department_id,
           t.office_id, t.assignee_id, t.warn_on, t.due_on, t.name
),
events AS (
    INSERT INTO supervision_cardevent
           (task_id, case_id, level, department_id, due_on, fired_at, explanation)
    SELECT id, case_id, 'yellow', department_id, warn_on, %s, ''
      FROM raised WHERE old = 'none' AND warn_on IS NOT NULL
    UNION ALL
    SELECT id, case_id, 'red', department_id, due_on + 1, %s, ''
      FROM raised WHERE new = 'red'
    ON CONFLICT DO NOTHING
)
SELECT r.id, r.old, r.new, r.case_id, r.department_id, r.office_id, r.assignee_id, r.due_on,
       r.name, c.number, c.item_version_id
  FROM raised AS r
  JOIN cases_case AS c ON c.id = r.case_id
 ORDER BY r.id
"""


def _raise_tasks_sql(today: dt.date, batch_size: int, half: str) -> list[_Raised]:
    batch = (
        _task_half(today, half)
        .select_for_update(skip_locked=True, of=("self",))
        .values("id", "card_level")[:batch_size]
    )
    batch_sql, batch_params = batch.query.sql_with_params()
    now = clock.now()
    with connection.cursor() as cursor:
        cursor.execute(_RAISE_SQL.format(batch=batch_sql), (*batch_params, today, now, now))
        return [_Raised(*row) for row in cursor.fetchall()]


def _raise_tasks_orm(today: dt.date, batch_size: int, half: str) -> list[_Raised]:
    rows = list(
        _task_half(today, half).values_list("pk", "card_level", "warn_on", *_TASK_COLUMNS)[
            :batch_size
        ]
    )
    now = clock.now()
    raised: list[_Raised] = []
    events: list[CardEvent] = []
    for pk, old, warn_on, *columns in rows:
        row = _Raised(pk, old, _level(today, columns[4]), *columns)
        raised.append(row)
        events += [
            CardEvent(
                task_id=pk,
                case_id=row.case_id,
                department_id=row.department_id,
                level=level,
                due_on=began,
                fired_at=now,
            )
            for level, began in _events(old, row.new, warn_on, row.due_on)
        ]
    for level in (CardLevel.YELLOW, CardLevel.RED):
        pks = [row.pk for row in raised if row.new == level]
        if pks:
            Task.objects.filter(pk__in=pks).update(card_level=level)
    CardEvent.objects.bulk_create(events, ignore_conflicts=True)
    return sorted(raised, key=lambda row: row.pk)  # as the PostgreSQL statement returns them


def record_cards(
    model: type[models.Model], today: dt.date, cards: list[list[Any]], report: SweepReport
) -> None:
    """One audit record for the batch, naming each card it raised by its new level, and those
    that went from none straight to red (their yellow recorded too): ``cards`` is
    [pk, old level, new level] of each."""
    yellow = [pk for pk, _old, new in cards if new == CardLevel.YELLOW]
    red = [pk for pk, _old, new in cards if new == CardLevel.RED]
    audit_record(
        action="card.raise",
        object_type=model._meta.label_lower,
        changes={
            "on": today.isoformat(),
            "yellow": yellow,
            "red": red,
            "red_from_none": [pk for pk, old, new in cards if (old, new) == ("none", "red")],
        },
    )
    report.yellow += len(yellow)
    report.red += len(red)


# --- Telling the people responsible -------------------------------------------------------------


def _tell(rows: list[_Raised], responsibles: Responsibles) -> int:
    """One message per person and level, listing their cards, on the channels each chose;
    returns how many people-and-levels were told."""
    responsibles.learn_items({row.item_version_id for row in rows})
    responsibles.learn_paths([row.office_id for row in rows] + [row.department_id for row in rows])
    # Cards with the same level, assignee, office, department and item are for the same people:
    # the rule is asked once a group, not once a card.
    groups: dict[tuple[str, int | None, int | None, int, int], list[_Raised]] = defaultdict(list)
    for row in rows:
        key = (row.new, row.assignee_id, row.office_id, row.department_id, row.item_version_id)
        groups[key].append(row)
    inbox: dict[tuple[int, str], list[_Raised]] = defaultdict(list)
    for (level, assignee_id, office_id, department_id, version_id), cards in groups.items():
        for user_id in responsibles.for_card(
            level=level,
            assignee_id=assignee_id,
            office_id=office_id,
            department_id=department_id,
            item_version_id=version_id,
        ):
            inbox[user_id, level].extend(cards)
    for cards in inbox.values():
        cards.sort(key=lambda row: row.pk)  # each person's cards in the batch's order
    users = User.objects.in_bulk({user_id for user_id, _level in inbox})
    notify_many(
        card_notice(users[user_id], level, cards) for (user_id, level), cards in inbox.items()
    )
    return len(inbox)


def card_notice(user: User, level: str, rows: list[_Raised]) -> Notice:
    """The card itself (``card_yellow``, ``card_red``), or for several the count and the first
    few (``card_yellow_many``, ``card_red_many``); the texts are quanban.notify.events'."""
    event = "card_red" if level == CardLevel.RED else "card_yellow"

    def entry(row: _Raised) -> dict[str, str]:
        return {
            "number": row.case_number or f"#{row.case_id}",
            "step": row.name,
            "due": row.due_on.isoformat() if row.due_on else "",
        }

    if len(rows) == 1:
        return Notice(user=user, event=event, context=entry(rows[0]), link=_CARDS_LINK)
    listed = "; ".join(
        "{number} {step} ({due})".format(**entry(row)) for row in rows[:LISTED_CARDS]
    )
    if len(rows) > LISTED_CARDS:
        listed += " …"
    return Notice(
        user=user,
        event=f"{event}_many",
        context={"count": len(rows), "listed": listed},
        link=_CARDS_LINK,
    )


_CARDS_LINK = "/workbench/cards/"


# --- Cases ---------------------------------------------------------------------------------------


def _sweep_cases(today: dt.date, batch_size: int, report: SweepReport, half: str) -> bool:
    with transaction.atomic():
        rows = _case_half(today, half).values_list(
            "pk", "card_level", "warn_on", "promised_due", "lead_department_id"
        )
        if connection.vendor == "postgresql":
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        cases = list(rows[:batch_size])
        if not cases:
            return False
        now = clock.now()
        cards: list[list[Any]] = []
        events: list[CardEvent] = []
        for pk, old, warn_on, due, department_id in cases:
            new = _level(today, due)
            cards.append([pk, old, new])
            events += [
                CardEvent(
                    case_id=pk, department_id=department_id, level=level, due_on=began, fired_at=now
                )
                for level, began in _events(old, new, warn_on, due)
            ]
        for level in (CardLevel.YELLOW, CardLevel.RED):
            pks = [pk for pk, _old, new in cards if new == level]
            if pks:
                Case.objects.filter(pk__in=pks).update(card_level=level)
        CardEvent.objects.bulk_create(events, ignore_conflicts=True)
        record_cards(Case, today, cards, report)
    return len(cases) == batch_size
