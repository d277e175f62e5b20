"""Who a card is for (红黄牌亮灯的责任人), from the organisation data, never from code.

- yellow: the task's assignee and the office's responsible person (处(科)室负责人);
- red: the assignee, the office head and the department head (部门负责人) — the three
  responsible levels the policy names — and the item's published responsible persons
  (事项责任人, on the item version the case pinned);
- a follow-up of a bad rating or a complaint (回访整改): its unit's head, the department head
  when the unit has no office head; red adds the department head (``for_follow_up``).

A role held on a unit covers everything under it (``OrgUnit.path``). The sweep meets thousands
of cards at once, so :class:`Responsibles` loads the heads once and answers from memory; the
one-card helpers below use the same class, so both read the same rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from quanban.accounts.models import OrgUnit, RoleAssignment, User
from quanban.accounts.roles import Role
from quanban.cases.models import CardLevel, Task
from quanban.catalogue.models import ItemVersion

HEAD_ROLES = (Role.OFFICE_HEAD, Role.DEPARTMENT_HEAD)


@dataclass
class Responsibles:
    """The heads of every unit, the paths of the units and the responsible persons of the item
    versions asked about, loaded once; people are user ids."""

    # role → [(scope path, user id)], active users only
    heads: dict[str, list[tuple[str, int]]]
    paths: dict[int, str] = field(default_factory=dict)
    item_persons: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Responsibles:
        heads: dict[str, list[tuple[str, int]]] = defaultdict(list)
        rows = RoleAssignment.objects.filter(role__in=HEAD_ROLES, user__is_active=True).values_list(
            "role", "org_unit__path", "user_id"
        )
        for role, path, user_id in rows.order_by("user_id"):
            heads[role].append((path, user_id))
        return cls(heads=dict(heads))

    def learn_paths(self, unit_ids: Iterable[int | None]) -> None:
        missing = {pk for pk in unit_ids if pk is not None and pk not in self.paths}
        if missing:
            self.paths.update(OrgUnit.objects.filter(pk__in=missing).values_list("pk", "path"))

    def learn_items(self, version_ids: Iterable[int]) -> None:
        """事项责任人 of the item versions not asked about before (active users), one query."""
        missing = set(version_ids) - self.item_persons.keys()
        if not missing:
            return
        self.item_persons.update({pk: [] for pk in missing})
        rows = (
            ItemVersion.responsible_persons.through.objects.filter(
                itemversion_id__in=missing, user__is_active=True
            )
            .order_by("user_id")
            .values_list("itemversion_id", "user_id")
        )
        for version_id, user_id in rows:
            self.item_persons[version_id].append(user_id)

    def holders(self, role: str, unit_id: int | None) -> list[int]:
        """Who holds ``role`` on the unit or above it."""
        if unit_id is None:
            return []
        self.learn_paths([unit_id])
        path = self.paths[unit_id]
        return [user_id for scope, user_id in self.heads.get(role, []) if path.startswith(scope)]

    def for_card(
        self,
        *,
        level: str,
        assignee_id: int | None,
        office_id: int | None,
        department_id: int | None,
        item_version_id: int,
    ) -> list[int]:
        """Each person once, in the order of responsibility."""
        people: list[int] = [assignee_id] if assignee_id is not None else []
        people += self.holders(Role.OFFICE_HEAD, office_id)
        if level == CardLevel.RED:
            people += self.holders(Role.DEPARTMENT_HEAD, department_id)
            self.learn_items([item_version_id])
            people += self.item_persons[item_version_id]
        return list(dict.fromkeys(people))

    def for_follow_up(
        self, *, level: str, unit_id: int, department_id: int | None, subject_id: int | None = None
    ) -> list[int]:
        """Who a follow-up's card is for (回访整改, docs/feedback.md): the responsible unit's
        head (the office head; for a unit with none, a department or a hall, the department
        head); red adds the department head. Never the staff member rated or complained about
        (``subject_id``): a complaint against an office head goes to the head above. A follow-up
        has no assignee and no item version."""
        people = [pk for pk in self.holders(Role.OFFICE_HEAD, unit_id) if pk != subject_id]
        if not people or level == CardLevel.RED:
            people += self.holders(Role.DEPARTMENT_HEAD, department_id or unit_id)
        return [pk for pk in dict.fromkeys(people) if pk != subject_id]

    def for_task(self, task: Task, level: str, *, item_version_id: int) -> list[int]:
        return self.for_card(
            level=level,
            assignee_id=task.assignee_id,
            office_id=task.office_id,
            department_id=task.department_id,
            item_version_id=item_version_id,
        )


def users_of(ids: list[int]) -> list[User]:
    """The users, in the order of ``ids``."""
    users = User.objects.in_bulk(ids)
    return [users[pk] for pk in ids if pk in users]


def responsible_for(task: Task, level: str) -> list[User]:
    """Who a card of ``level`` on ``task`` is for (see the module's docstring), as users."""
    return users_of(
        Responsibles.load().for_task(task, level, item_version_id=task.case.item_version_id)
    )


def department_heads(department_id: int) -> list[User]:
    return users_of(Responsibles.load().holders(Role.DEPARTMENT_HEAD, department_id))
