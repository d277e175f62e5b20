"""The card sweep (红黄牌亮灯): raise yellow and red on tasks and cases whose time has come.

The worker runs :func:`card_sweep` every minute. It takes open tasks (and running cases) whose
warning day or due date has passed and whose card is lower than that, in batches locked with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (so several workers never take the same row),
raises their card, records one :class:`CardEvent` per level — a task that passed both while the
worker was down gets its yellow recorded too — and tells the responsible people
(quanban.supervision.escalation) in-app.

A batch is a handful of statements whatever its size, so that a sweep after a long stop (tens of
thousands of cards) takes seconds: one locked select of the columns it needs, one UPDATE per
level, one INSERT of the events, one audit record naming every card it raised (the card events
are the per-task record), and one message per person and level listing their cards (a person
with forty yellow tasks gets one message, not forty).

A case whose clock stands still (a running suspension) gets no card: its tasks are skipped until
it resumes, when their due dates are recomputed. Case cards are recorded the same way; their
escalation is their tasks'.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from quanban.accounts.models import RoleAssignment, User
from quanban.accounts.roles import Perm, Role
from quanban.accounts.selectors import require_perm
from quanban.cases.models import CardLevel, Case, CaseSuspension, Task
from quanban.cases.services.runtime import user_has_role_in
from quanban.core import clock
from quanban.core.audit import audit_record
from quanban.core.errors import Conflict, PermissionDenied, ValidationFailed
from quanban.notify.models import OutboxMessage
from quanban.notify.services import outbox_enqueue
from quanban.supervision.escalation import (
    Person,
    Responsibles,
    department_heads,
    item_persons_of,
    responsible_for,
)
from quanban.supervision.models import CardEvent, SupervisionNote

BATCH_SIZE = 2000
_ONE_DAY = dt.timedelta(days=1)
# A message lists this many of a person's cards; the rest are counted.
LISTED_CARDS = 5


@dataclass
class SweepReport:
    yellow: int = 0  # cards raised to yellow (tasks and cases)
    red: int = 0  # cards raised to red
    messages: int = 0


def _running_suspension(case_ref: OuterRef) -> Exists:
    return Exists(CaseSuspension.objects.filter(case=case_ref, ended_on__isnull=True))


def _locked(rows: QuerySet[Any], batch_size: int) -> list[Any]:
    if connection.vendor == "postgresql":
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return list(rows[:batch_size])


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


def card_sweep(*, today: dt.date | None = None, batch_size: int = BATCH_SIZE) -> SweepReport:
    """Raise every card that is due; returns what it raised. Safe to run in several workers."""
    today = today or clock.today()
    report = SweepReport()
    responsibles: Responsibles | None = None
    # Each half of "due" (the warning day passed with no card; the due date passed below red)
    # is its own query along its own partial index: one query for both would read every row.
    for half in (_WARN, _DUE):
        claimed = batch_size
        while claimed == batch_size:
            with transaction.atomic():
                rows = _claim_tasks(today, batch_size, half)
                if rows:
                    responsibles = responsibles or Responsibles.load()
                    _raise_tasks(rows, today, report, responsibles)
            claimed = len(rows)
    for half in (_WARN, _DUE):
        while _sweep_cases(today, batch_size, report, half):
            pass
    return report


_WARN = "warn"
_DUE = "due"
_TASK_COLUMNS = (
    "pk",
    "case_id",
    "department_id",
    "office_id",
    "assignee_id",
    "assignee__username",
    "warn_on",
    "due_on",
    "card_level",
    "name",
    "case__number",
    "case__item_version_id",
)


@dataclass(frozen=True)
class _DueTask:
    pk: int
    case_id: int
    department_id: int
    office_id: int | None
    assignee_id: int | None
    assignee_username: str | None
    warn_on: dt.date | None
    due_on: dt.date | None
    card_level: str
    name: str
    case_number: str | None
    item_version_id: int


def _task_half(today: dt.date, half: str) -> QuerySet[Task]:
    open_tasks = Task.objects.filter(state=Task.State.OPEN)
    if half == _WARN:
        return open_tasks.filter(card_level=CardLevel.NONE, warn_on__lte=today).order_by(
            "warn_on", "pk"
        )
    return open_tasks.filter(
        card_level__in=[CardLevel.NONE, CardLevel.YELLOW], due_on__lt=today
    ).order_by("due_on", "pk")


def _case_half(today: dt.date, half: str) -> QuerySet[Case]:
    running = Case.objects.filter(state=Case.State.ACCEPTED, lead_department__isnull=False)
    if half == _WARN:
        return running.filter(card_level=CardLevel.NONE, warn_on__lte=today).order_by(
            "warn_on", "pk"
        )
    return running.filter(
        card_level__in=[CardLevel.NONE, CardLevel.YELLOW], promised_due__lt=today
    ).order_by("promised_due", "pk")


class _Batch:
    """A batch's writes, each one statement: the raised levels, the events, the audit record."""

    def __init__(self, today: dt.date) -> None:
        self.today = today
        self.now = clock.now()
        self.raised: dict[str, list[int]] = {CardLevel.YELLOW: [], CardLevel.RED: []}
        self.events: list[CardEvent] = []
        self.audited: list[list[Any]] = []

    def raise_card(
        self,
        *,
        pk: int,
        old: str,
        warn_on: dt.date | None,
        due_on: dt.date | None,
        event: dict[str, Any],
    ) -> str:
        new = _level(self.today, due_on)
        self.raised[new].append(pk)
        passed = _events(old, new, warn_on, due_on)
        self.events += [
            CardEvent(level=level, due_on=began, fired_at=self.now, **event)
            for level, began in passed
        ]
        self.audited.append([pk, old, new])
        return new

    def write(self, model: type[Task] | type[Case], report: SweepReport) -> None:
        for level, pks in self.raised.items():
            if pks:
                model.objects.filter(pk__in=pks).update(card_level=level)
        CardEvent.objects.bulk_create(self.events, ignore_conflicts=True)
        # One record for the batch: the card events are the per-row record of what was raised.
        audit_record(
            action="card.raise",
            object_type=model._meta.label_lower,
            changes={"on": self.today.isoformat(), "cards": self.audited},
        )
        report.yellow += len(self.raised[CardLevel.YELLOW])
        report.red += len(self.raised[CardLevel.RED])


def _claim_tasks(today: dt.date, batch_size: int, half: str) -> list[_DueTask]:
    """Lock the next batch (the caller's transaction holds the locks)."""
    rows = (
        _task_half(today, half)
        .exclude(_running_suspension(OuterRef("case")))
        .values_list(*_TASK_COLUMNS)
    )
    return [_DueTask(*row) for row in _locked(rows, batch_size)]


def _raise_tasks(
    rows: list[_DueTask], today: dt.date, report: SweepReport, responsibles: Responsibles
) -> None:
    batch = _Batch(today)
    item_persons = item_persons_of({row.item_version_id for row in rows})
    responsibles.learn_paths([row.office_id for row in rows] + [row.department_id for row in rows])
    # (person, level) → the cards raised for them, in the order met
    inbox: dict[tuple[Person, str], list[_DueTask]] = defaultdict(list)
    for row in rows:
        level = batch.raise_card(
            pk=row.pk,
            old=row.card_level,
            warn_on=row.warn_on,
            due_on=row.due_on,
            event={"task_id": row.pk, "case_id": row.case_id, "department_id": row.department_id},
        )
        assignee = Person(row.assignee_id, row.assignee_username or "") if row.assignee_id else None
        for person in responsibles.for_card(
            level=level,
            assignee=assignee,
            office_id=row.office_id,
            department_id=row.department_id,
            item_persons=item_persons.get(row.item_version_id, []),
        ):
            inbox[person, level].append(row)
    batch.write(Task, report)
    report.messages += _tell(inbox)


def _tell(inbox: dict[tuple[Person, str], list[_DueTask]]) -> int:
    """One in-app message per person and level, listing their cards."""
    for (person, level), rows in inbox.items():
        outbox_enqueue(
            channel=OutboxMessage.Channel.IN_APP,
            recipient=person.username,
            body=card_message(level, rows),
        )
    return len(inbox)


def card_message(level: str, rows: list[_DueTask]) -> str:
    def entry(row: _DueTask) -> dict[str, str]:
        return {
            "number": row.case_number or f"#{row.case_id}",
            "step": row.name,
            "due": row.due_on.isoformat() if row.due_on else "",
        }

    if len(rows) == 1:
        if level == CardLevel.RED:
            text = _(
                "【全办】红牌：办件 %(number)s 的“%(step)s”环节已于 %(due)s 超期，请立即办理。"
            )
        else:
            text = _("【全办】黄牌预警：办件 %(number)s 的“%(step)s”环节将于 %(due)s 到期。")
        return text % entry(rows[0])
    listed = _("；").join(
        _("%(number)s“%(step)s”（%(due)s）") % entry(row) for row in rows[:LISTED_CARDS]
    )
    if level == CardLevel.RED:
        text = _("【全办】红牌：您负责的 %(count)d 个办件环节已超期，请立即办理：%(listed)s")
    else:
        text = _("【全办】黄牌预警：您负责的 %(count)d 个办件环节即将到期：%(listed)s")
    more = len(rows) - LISTED_CARDS
    body = text % {"count": len(rows), "listed": listed}
    if more > 0:
        body += _("等，另有 %(more)d 个，请到“红黄牌”查看。") % {"more": more}
    return body


def _sweep_cases(today: dt.date, batch_size: int, report: SweepReport, half: str) -> bool:
    with transaction.atomic():
        rows = (
            _case_half(today, half)
            .exclude(_running_suspension(OuterRef("pk")))
            .values_list("pk", "card_level", "warn_on", "promised_due", "lead_department_id")
        )
        cases = _locked(rows, batch_size)
        if cases:
            batch = _Batch(today)
            for pk, old, warn_on, due, department_id in cases:
                batch.raise_card(
                    pk=pk,
                    old=old,
                    warn_on=warn_on,
                    due_on=due,
                    event={"case_id": pk, "department_id": department_id},
                )
            batch.write(Case, report)
    return len(cases) == batch_size


# --- Acknowledging a card and 督办 ----------------------------------------------------------------


def card_acknowledge(*, user: User, card: CardEvent, explanation: str) -> CardEvent:
    """亮灯说明: one of the people a card is for says they have seen it, and why it happened."""
    require_perm(user, Perm.BUSINESS_WRITE)
    explanation = explanation.strip()
    if not explanation:
        raise ValidationFailed(
            _("请说明超期或预警的原因和处理情况。"),
            code="explanation_required",
            field="explanation",
        )
    if len(explanation) > 2000:
        raise ValidationFailed(
            _("情况说明不超过 2000 字。"), code="explanation_too_long", field="explanation"
        )
    with transaction.atomic():
        locked = (
            CardEvent.objects.select_for_update(of=("self",)).select_related("task").get(pk=card.pk)
        )
        if not card_is_for(user, locked):
            raise PermissionDenied(_("只有该红黄牌的责任人可以说明。"), code="card_not_yours")
        if locked.acknowledged_at is not None:
            raise Conflict(_("该红黄牌已说明。"), code="card_acknowledged")
        locked.acknowledged_at = clock.now()
        locked.acknowledged_by = user
        locked.explanation = explanation
        locked.save(update_fields=["acknowledged_at", "acknowledged_by", "explanation"])
        audit_record(action="card.acknowledge", obj=locked, changes={"explanation": explanation})
    return locked


def card_is_for(user: User, card: CardEvent) -> bool:
    """Whether the card is one of the user's: its task's assignee or a responsible head."""
    task = card.task
    if task is None:
        return user_has_role_in(user, {Role.DEPARTMENT_HEAD}, card.department)
    return any(person.pk == user.pk for person in responsible_for(task, card.level))


def supervision_note_add(
    *, user: User, card: CardEvent, text: str, due_on: dt.date
) -> SupervisionNote:
    """督办: a supervisor instructs on a carded case, with the day it must be answered by."""
    if not RoleAssignment.objects.filter(user=user, role=Role.SUPERVISOR).exists():
        raise PermissionDenied(_("只有督查人员可以督办。"), code="supervisor_required")
    text = text.strip()
    if not text:
        raise ValidationFailed(_("请填写督办意见。"), code="note_required", field="text")
    if not isinstance(due_on, dt.date) or due_on < clock.today():
        raise ValidationFailed(_("督办期限不能早于今天。"), code="note_due_past", field="due_on")
    assert card.case_id is not None  # every card names its case (a task's too)
    with transaction.atomic():
        note = SupervisionNote.objects.create(
            case_id=card.case_id,
            card=card,
            author=user,
            text=text,
            due_on=due_on,
            created_at=clock.now(),
        )
        audit_record(
            action="supervision.note",
            obj=note,
            changes={"case": card.case_id, "text": text, "due_on": due_on.isoformat()},
        )
        for person in _note_recipients(card):
            outbox_enqueue(
                channel=OutboxMessage.Channel.IN_APP,
                recipient=person.username,
                body=_("【全办】督办：%(text)s（请于 %(due)s 前办理）")
                % {"text": text, "due": due_on.isoformat()},
            )
    return note


def _note_recipients(card: CardEvent) -> list[User]:
    if card.task is not None:
        return responsible_for(card.task, CardLevel.RED)
    return department_heads(card.department_id)
