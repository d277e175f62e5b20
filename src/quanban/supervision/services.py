"""Cards in people's hands: explaining one (亮灯说明) and 督办 notes. The sweep that raises
them is quanban.supervision.sweep."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from quanban.accounts.models import RoleAssignment, User
from quanban.accounts.roles import Perm, Role
from quanban.accounts.selectors import require_perm
from quanban.cases.models import CardLevel
from quanban.cases.services.runtime import user_has_role_in
from quanban.core import clock
from quanban.core.audit import audit_record
from quanban.core.errors import Conflict, PermissionDenied, ValidationFailed
from quanban.notify.services import notify_users
from quanban.supervision.escalation import Responsibles, department_heads, responsible_for
from quanban.supervision.models import CardEvent, SupervisionNote

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


def card_is_for(user: User, card: CardEvent, responsibles: Responsibles | None = None) -> bool:
    """Whether the card is one of the user's: its task's assignee or a responsible head. A page
    asking for many cards passes one ``Responsibles`` for all of them."""
    task = card.task
    if task is None:
        return user_has_role_in(user, {Role.DEPARTMENT_HEAD}, card.department)
    responsibles = responsibles or Responsibles.load()
    assert card.case is not None  # a task's card names its case
    version_id = card.case.item_version_id
    return user.pk in responsibles.for_task(task, card.level, item_version_id=version_id)


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
        notify_users(
            users=_note_recipients(card),
            event="supervision_note",
            context={"text": text, "due": due_on.isoformat()},
            link="/workbench/cards/",
        )
    return note


def _note_recipients(card: CardEvent) -> list[User]:
    if card.task is not None:
        return responsible_for(card.task, CardLevel.RED)
    return department_heads(card.department_id)
