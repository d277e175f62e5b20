"""Who a card is for (红黄牌亮灯的责任人), from the organisation data, never from code.

- yellow: the task's assignee and the office's responsible person (处(科)室负责人);
- red: the assignee, the office head and the department head (部门负责人) — the three
  responsible levels the policy names — and the item's published responsible persons
  (事项责任人, on the item version the case pinned).

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


@dataclass(frozen=True)
class Person:
    id: int
    username: str


@dataclass
class Responsibles:
    """The heads of every unit and the paths of the units asked about, loaded once."""

    # role → [(scope path, person)], active users only
    heads: dict[str, list[tuple[str, Person]]]
    paths: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Responsibles:
        heads: dict[str, list[tuple[str, Person]]] = defaultdict(list)
        rows = RoleAssignment.objects.filter(role__in=HEAD_ROLES, user__is_active=True).values_list(
            "role", "org_unit__path", "user_id", "user__username"
        )
        for role, path, user_id, username in rows.order_by("user_id"):
            heads[role].append((path, Person(user_id, username)))
        return cls(heads=dict(heads))

    def learn_paths(self, unit_ids: Iterable[int | None]) -> None:
        missing = {pk for pk in unit_ids if pk is not None and pk not in self.paths}
        if missing:
            self.paths.update(OrgUnit.objects.filter(pk__in=missing).values_list("pk", "path"))

    def holders(self, role: str, unit_id: int | None) -> list[Person]:
        """Who holds ``role`` on the unit or above it."""
        if unit_id is None:
            return []
        self.learn_paths([unit_id])
        path = self.paths[unit_id]
        return [person for scope, person in self.heads.get(role, []) if path.startswith(scope)]

    def for_card(
        self,
        *,
        level: str,
        assignee: Person | None,
        office_id: int | None,
        department_id: int | None,
        item_persons: Iterable[Person] = (),
    ) -> list[Person]:
        """Each person once, in the order of responsibility."""
        people: list[Person] = [assignee] if assignee is not None else []
        people += self.holders(Role.OFFICE_HEAD, office_id)
        if level == CardLevel.RED:
            people += self.holders(Role.DEPARTMENT_HEAD, department_id)
            people += item_persons
        return list({person.id: person for person in people}.values())


def item_persons_of(version_ids: Iterable[int]) -> dict[int, list[Person]]:
    """事项责任人 of each item version: version id → persons (active users)."""
    through = ItemVersion.responsible_persons.through
    rows = (
        through.objects.filter(itemversion_id__in=set(version_ids), user__is_active=True)
        .order_by("user_id")
        .values_list("itemversion_id", "user_id", "user__username")
    )
    persons: dict[int, list[Person]] = defaultdict(list)
    for version_id, user_id, username in rows:
        persons[version_id].append(Person(user_id, username))
    return persons


def responsible_for(task: Task, level: str) -> list[User]:
    """Who a card of ``level`` on ``task`` is for (see the module's docstring), as users."""
    version_id = task.case.item_version_id
    people = Responsibles.load().for_card(
        level=level,
        assignee=Person(task.assignee_id, "") if task.assignee_id else None,
        office_id=task.office_id,
        department_id=task.department_id,
        item_persons=item_persons_of([version_id]).get(version_id, []),
    )
    users = User.objects.in_bulk([person.id for person in people])
    return [users[person.id] for person in people]


def department_heads(department_id: int) -> list[User]:
    ids = [person.id for person in Responsibles.load().holders(Role.DEPARTMENT_HEAD, department_id)]
    users = User.objects.in_bulk(ids)
    return [users[pk] for pk in ids]
