"""The card sweep (红黄牌亮灯): raise yellow and red on tasks and cases whose time has come.

The worker runs :func:`card_sweep` every minute. It takes open tasks (and running cases) whose
warning time or due date has passed and whose card is lower than that, in batches locked with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (so several workers never take the same row),
raises their card, records one :class:`CardEvent` per level — a task that passed both while the
worker was down gets its yellow recorded too — and tells the responsible people:

- yellow: the task's assignee and the office's responsible person (处(科)室负责人);
- red: the assignee, the office head and the department head (部门负责人) — the three responsible
  levels the policy names.

Who is responsible comes from the role assignments, not from code. A case whose clock stands
still (a running suspension) gets no card: its tasks are skipped until it resumes, when their due
dates are recomputed. Case cards are recorded the same way; their escalation is the tasks'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, RoleAssignment, User
from quanban.accounts.roles import Perm, Role
from quanban.accounts.selectors import require_perm
from quanban.cases.models import CardLevel, Case, CaseSuspension, Task
from quanban.cases.services.runtime import user_has_role_in
from quanban.core import clock
from quanban.core.audit import audit_batch, audit_record
from quanban.core.errors import Conflict, PermissionDenied, ValidationFailed
from quanban.notify.models import OutboxMessage
from quanban.notify.services import outbox_enqueue
from quanban.supervision.models import CardEvent, SupervisionNote

BATCH_SIZE = 500
_ONE_DAY = dt.timedelta(days=1)


@dataclass
class SweepReport:
    yellow: int = 0  # cards raised to yellow (tasks and cases)
    red: int = 0  # cards raised to red
    messages: int = 0


def _running_suspension(case_ref: OuterRef) -> Exists:
    return Exists(CaseSuspension.objects.filter(case=case_ref, ended_on__isnull=True))


def _locked(rows: QuerySet, batch_size: int) -> list:
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
    # Each half of "due" (the warning day passed with no card; the due date passed below red)
    # is its own query along its own partial index: one query for both would read every row.
    for half in (_WARN, _DUE):
        while _sweep_tasks(today, batch_size, report, half):
            pass
    for half in (_WARN, _DUE):
        while _sweep_cases(today, batch_size, report, half):
            pass
    return report


_WARN = "warn"
_DUE = "due"


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


def _sweep_tasks(today: dt.date, batch_size: int, report: SweepReport, half: str) -> bool:
    with transaction.atomic(), audit_batch():
        rows = (
            _task_half(today, half)
            .exclude(_running_suspension(OuterRef("case")))
            .select_related("case", "department", "office", "assignee")
        )
        tasks: list[Task] = _locked(rows, batch_size)
        now = clock.now()
        for task in tasks:
            old, new = task.card_level, _level(today, task.due_on)
            passed = _events(old, new, task.warn_on, task.due_on)
            task.card_level = new
            task.save(update_fields=["card_level"])
            CardEvent.objects.bulk_create(
                [
                    CardEvent(
                        task=task,
                        case=task.case,
                        level=level,
                        department=task.department,
                        due_on=began,
                        fired_at=now,
                    )
                    for level, began in passed
                ],
                ignore_conflicts=True,
            )
            audit_record(
                action="card.raise",
                obj=task,
                before={"card_level": old},
                after={"card_level": new},
                changes={"levels": [level for level, _began in passed]},
            )
            report.yellow += new == CardLevel.YELLOW
            report.red += new == CardLevel.RED
            report.messages += _escalate(task, new)
    return len(tasks) == batch_size


def _sweep_cases(today: dt.date, batch_size: int, report: SweepReport, half: str) -> bool:
    with transaction.atomic(), audit_batch():
        rows = _case_half(today, half).exclude(_running_suspension(OuterRef("pk")))
        cases: list[Case] = _locked(rows, batch_size)
        now = clock.now()
        for case in cases:
            old, new = case.card_level, _level(today, case.promised_due)
            passed = _events(old, new, case.warn_on, case.promised_due)
            case.card_level = new
            case.save(update_fields=["card_level"])
            assert case.lead_department_id is not None
            CardEvent.objects.bulk_create(
                [
                    CardEvent(
                        case=case,
                        level=level,
                        department_id=case.lead_department_id,
                        due_on=began,
                        fired_at=now,
                    )
                    for level, began in passed
                ],
                ignore_conflicts=True,
            )
            audit_record(
                action="card.raise",
                obj=case,
                before={"card_level": old},
                after={"card_level": new},
                changes={"levels": [level for level, _began in passed]},
            )
            report.yellow += new == CardLevel.YELLOW
            report.red += new == CardLevel.RED
    return len(cases) == batch_size


# --- Who is told -------------------------------------------------------------------------------


def _holders(role: str, unit: OrgUnit | None) -> list[User]:
    """Active users holding ``role`` in a scope that covers ``unit``."""
    if unit is None:
        return []
    parts = unit.path.strip("/").split("/")
    paths = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    ids = RoleAssignment.objects.filter(role=role, org_unit__path__in=paths).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def responsible_for(task: Task, level: str) -> list[User]:
    """Who a card on ``task`` is for: the assignee and the office head; for red also the
    department head. Each person once, in that order."""
    people: list[User] = [task.assignee] if task.assignee is not None else []
    people += _holders(Role.OFFICE_HEAD, task.office)
    if level == CardLevel.RED:
        people += _holders(Role.DEPARTMENT_HEAD, task.department)
    return list({user.pk: user for user in people}.values())


def _escalate(task: Task, level: str) -> int:
    case = task.case
    due = task.due_on.isoformat() if task.due_on else ""
    if level == CardLevel.RED:
        text = _("【全办】红牌：办件 %(number)s 的“%(step)s”环节已于 %(due)s 超期，请立即办理。")
    else:
        text = _("【全办】黄牌预警：办件 %(number)s 的“%(step)s”环节将于 %(due)s 到期。")
    body = text % {"number": case.number or f"#{case.pk}", "step": task.name, "due": due}
    recipients: Iterable[User] = responsible_for(task, level)
    sent = 0
    for user in recipients:
        outbox_enqueue(channel=OutboxMessage.Channel.IN_APP, recipient=user.username, body=body)
        sent += 1
    return sent


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
    return _holders(Role.DEPARTMENT_HEAD, card.department)
