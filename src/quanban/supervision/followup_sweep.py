"""Cards on the follow-ups of bad ratings and complaints (回访整改亮灯), beside the task sweep.

A follow-up (quanban.feedback) has two deadlines, each with its warning day: contact the rater
(回访) and rectify and reply (整改). It gets a yellow card when the warning day of the step it is
at has come (contact while it is open; rectification while it is open or contacted), a red one
when that step's due date has passed; a follow-up that is rectified or closed gets none. Like a
task's, a card is raised once a level — a follow-up that passed both while the worker was down
goes straight to red with its yellow recorded too — and never twice: the rows are taken with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (so two workers never take the same one, and a
follow-up being handled at that moment waits for the next sweep), their ``card_level`` raised, and
one :class:`FollowUpCard` a level inserted under a unique constraint.

The same pieces as the task sweep: the audit record of a batch (``card.raise``, object type
``feedback.followup``), the escalation rule (``Responsibles.for_follow_up``: the unit's head; red
adds the department head; never the person rated or complained about) and one message a person and level on the channels each chose (a red
card never waits for quiet hours).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import QuerySet

from quanban.accounts.models import User
from quanban.cases.models import CardLevel
from quanban.core import clock
from quanban.feedback.models import FollowUp, FollowUpCard
from quanban.notify.services import Notice, notify_many
from quanban.supervision.escalation import Responsibles
from quanban.supervision.sweep import BATCH_SIZE, LISTED_CARDS, SweepReport, record_cards

_ONE_DAY = dt.timedelta(days=1)
_OPEN = FollowUp.State.OPEN
_PENDING = (FollowUp.State.OPEN, FollowUp.State.CONTACTED)
# The four halves, each along its own partial index (quanban.feedback.models.FollowUp).
HALVES = ("contact_warn", "contact_due", "rectify_warn", "rectify_due")
FOLLOWUPS_LINK = "/workbench/feedback/followups/"


class _Raised(NamedTuple):
    pk: int
    old: str
    new: str
    stage: str
    unit_id: int
    department_id: int | None
    due_on: dt.date  # the late step's due date
    subject_id: int | None  # the staff member rated or complained about


def _half(today: dt.date, half: str) -> QuerySet[FollowUp]:
    rows = FollowUp.objects.all()
    if half == "contact_warn":
        rows = rows.filter(state=_OPEN, card_level=CardLevel.NONE, contact_warn_on__lte=today)
    elif half == "contact_due":
        rows = rows.filter(
            state=_OPEN,
            card_level__in=[CardLevel.NONE, CardLevel.YELLOW],
            contact_due_on__lt=today,
        )
    elif half == "rectify_warn":
        rows = rows.filter(
            state__in=_PENDING, card_level=CardLevel.NONE, rectify_warn_on__lte=today
        )
    else:
        rows = rows.filter(
            state__in=_PENDING,
            card_level__in=[CardLevel.NONE, CardLevel.YELLOW],
            rectify_due_on__lt=today,
        )
    column = half.replace("_warn", "_warn_on").replace("_due", "_due_on")
    return rows.order_by(column, "pk")


def followup_card_sweep(
    *, today: dt.date | None = None, batch_size: int = BATCH_SIZE
) -> SweepReport:
    """Raise every follow-up card that is due; returns what it raised (``messages``: the
    people-and-levels told). Safe to run in several workers at once."""
    today = today or clock.today()
    report = SweepReport()
    responsibles: Responsibles | None = None
    for half in HALVES:
        while True:
            with transaction.atomic():
                rows = _raise(today, batch_size, half)
                if rows:
                    responsibles = responsibles or Responsibles.load()
                    record_cards(FollowUp, today, [[r.pk, r.old, r.new] for r in rows], report)
                    report.messages += _tell(rows, responsibles)
            if len(rows) < batch_size:
                break
    return report


def _raise(today: dt.date, batch_size: int, half: str) -> list[_Raised]:
    batch = _half(today, half).values_list(
        "pk",
        "state",
        "card_level",
        "unit_id",
        "department_id",
        "contact_warn_on",
        "contact_due_on",
        "rectify_warn_on",
        "rectify_due_on",
        "rating__staff_id",
        "complaint__person_id",
    )
    if connection.vendor == "postgresql":
        batch = batch.select_for_update(skip_locked=True, of=("self",))
    now = clock.now()
    raised: list[_Raised] = []
    cards: list[FollowUpCard] = []
    for row in batch[:batch_size]:
        pk, state, old, unit_id, dept_id, c_warn, c_due, r_warn, r_due, rated, named = row
        # An open follow-up is late in contacting (its contact deadlines come first); a
        # contacted one in rectifying.
        stage = FollowUpCard.Stage.CONTACT if state == _OPEN else FollowUpCard.Stage.RECTIFY
        warn_on, due_on = (
            (c_warn, c_due) if stage == FollowUpCard.Stage.CONTACT else (r_warn, r_due)
        )
        if due_on >= today and r_due < today:
            due_on = r_due  # contact given more days than rectification (a setting): the latter
        new = CardLevel.RED if due_on < today else CardLevel.YELLOW
        raised.append(_Raised(pk, old, new, stage, unit_id, dept_id, due_on, rated or named))
        if old == CardLevel.NONE:
            cards.append(
                FollowUpCard(
                    follow_up_id=pk,
                    level=CardLevel.YELLOW,
                    stage=stage,
                    due_on=warn_on,
                    fired_at=now,
                )
            )
        if new == CardLevel.RED:
            cards.append(
                FollowUpCard(
                    follow_up_id=pk,
                    level=CardLevel.RED,
                    stage=stage,
                    due_on=due_on + _ONE_DAY,
                    fired_at=now,
                )
            )
    for level in (CardLevel.YELLOW, CardLevel.RED):
        pks = [row.pk for row in raised if row.new == level]
        if pks:
            FollowUp.objects.filter(pk__in=pks).update(card_level=level)
    FollowUpCard.objects.bulk_create(cards, ignore_conflicts=True)
    return raised


def _tell(rows: list[_Raised], responsibles: Responsibles) -> int:
    """One message a person and level, listing their follow-ups; returns how many were sent."""
    responsibles.learn_paths([row.unit_id for row in rows] + [row.department_id for row in rows])
    inbox: dict[tuple[int, str], list[_Raised]] = defaultdict(list)
    for row in rows:
        for user_id in responsibles.for_follow_up(
            level=row.new,
            unit_id=row.unit_id,
            department_id=row.department_id,
            subject_id=row.subject_id,
        ):
            inbox[user_id, row.new].append(row)
    users = User.objects.in_bulk({user_id for user_id, _level in inbox})
    notify_many(_notice(users[user_id], level, cards) for (user_id, level), cards in inbox.items())
    return len(inbox)


def _notice(user: User, level: str, rows: list[_Raised]) -> Notice:
    listed = "; ".join(
        f"#{row.pk} {FollowUpCard.Stage(row.stage).label} ({row.due_on.isoformat()})"
        for row in rows[:LISTED_CARDS]
    )
    if len(rows) > LISTED_CARDS:
        listed += " …"
    event = "followup_card_red" if level == CardLevel.RED else "followup_card_yellow"
    return Notice(
        user=user,
        event=event,
        context={"count": len(rows), "listed": listed},
        link=f"{FOLLOWUPS_LINK}{rows[0].pk}/" if len(rows) == 1 else FOLLOWUPS_LINK,
    )
