"""Reads of the cards: the ones a person answers for, and every one for a supervisor."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from quanban.accounts.models import RoleAssignment, User
from quanban.accounts.roles import Role
from quanban.accounts.selectors import unit_ids_reached
from quanban.supervision.models import CardEvent


def _units_with(user: User, role: str) -> list[int]:
    return unit_ids_reached(user, [role])


def is_supervisor(user: User) -> bool:
    return RoleAssignment.objects.filter(user=user, role=Role.SUPERVISOR).exists()


def _cards_for(user: User) -> QuerySet[CardEvent]:
    cards = CardEvent.objects.select_related(
        "task", "case", "case__item_version", "department", "acknowledged_by"
    ).order_by("-fired_at", "-pk")
    if is_supervisor(user):
        return cards
    offices = _units_with(user, Role.OFFICE_HEAD)
    departments = _units_with(user, Role.DEPARTMENT_HEAD)
    mine = Q(task__assignee=user) | Q(task__office_id__in=offices, task__isnull=False)
    mine |= Q(department_id__in=departments, level="red")
    return cards.filter(mine)


def card_list_for_user(*, user: User, limit: int = 100) -> QuerySet[CardEvent]:
    """Newest first: a supervisor's are every card; anyone else's, the cards they answer for
    (their tasks', and for heads their offices' and departments')."""
    return _cards_for(user)[:limit]


def card_get_for_user(*, user: User, card_id: int) -> CardEvent | None:
    return _cards_for(user).filter(pk=card_id).first()
