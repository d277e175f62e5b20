"""Reads about people and organisations that carry access rules."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit, RoleAssignment, User
from quanban.accounts.roles import ADMIN_ROLES, ROLE_PERMS, Perm
from quanban.core.errors import NotFound, PermissionDenied


def user_perms(user: Any) -> frozenset[str]:
    """Every permission the user's roles give, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_quanban_perms", None)
    if cached is None:
        cached = frozenset(p for role in user.role_names for p in ROLE_PERMS.get(role, ()))
        user._quanban_perms = cached
    return cached


def user_has_perm(user: Any, perm: str) -> bool:
    return perm in user_perms(user)


def require_perm(user: Any, perm: str) -> None:
    if not user_has_perm(user, perm):
        raise PermissionDenied(_("您没有执行此操作的权限。"), code="forbidden")


def unit_ids_reached(user: Any, roles: Collection[str]) -> list[int]:
    """Every unit a scope of the user's ``roles`` covers: the scope's unit and all under it."""
    if not getattr(user, "is_authenticated", False):
        return []
    paths = list(
        RoleAssignment.objects.filter(user=user, role__in=sorted(roles)).values_list(
            "org_unit__path", flat=True
        )
    )
    if not paths:
        return []
    under = Q()
    for path in paths:
        under |= Q(path__startswith=path)
    return list(OrgUnit.objects.filter(under).values_list("pk", flat=True))


# --- Reads for the API: organisation tree, applicants, role assignments -------------------------


def org_unit_list(
    *, kind: str | None = None, parent_id: int | None = None, name_contains: str = ""
) -> QuerySet[OrgUnit]:
    """The organisation tree is public: anyone may browse it, active units only."""
    units = OrgUnit.objects.filter(is_active=True).order_by("path")
    if kind:
        units = units.filter(kind=kind)
    if parent_id is not None:
        units = units.filter(parent_id=parent_id)
    if name_contains:
        units = units.filter(name__icontains=name_contains)
    return units


def org_unit_get(*, unit_id: int) -> OrgUnit:
    unit = OrgUnit.objects.filter(pk=unit_id, is_active=True).first()
    if unit is None:
        raise NotFound(_("找不到该组织机构。"), code="org_unit_not_found")
    return unit


def _may_read_applicants(user: Any) -> bool:
    """Staff doing or overseeing casework; the three administrators run the platform, not cases."""
    if not user_has_perm(user, Perm.WORKBENCH):
        return False
    roles = set(user.role_names)  # a request's user has them already (its token's statement)
    return bool(roles - ADMIN_ROLES)


def applicant_may_unmask(user: Any) -> bool:
    return user_has_perm(user, Perm.APPLICANT_UNMASK)


def person_get_for_user(*, user: Any, person_id: int) -> NaturalPerson:
    """A natural-person applicant, for casework staff or the citizen it belongs to."""
    person = NaturalPerson.objects.filter(pk=person_id).first()
    own = person is not None and person.user_id is not None and person.user_id == user.pk
    if not own and not _may_read_applicants(user):
        raise PermissionDenied(_("您没有查看申请人信息的权限。"), code="forbidden")
    if person is None:
        raise NotFound(_("找不到该自然人。"), code="person_not_found")
    return person


def entity_get_for_user(*, user: Any, entity_id: int) -> LegalEntity:
    """A legal-entity applicant, for casework staff or the account it belongs to."""
    entity = LegalEntity.objects.filter(pk=entity_id).first()
    own = entity is not None and entity.user_id is not None and entity.user_id == user.pk
    if not own and not _may_read_applicants(user):
        raise PermissionDenied(_("您没有查看申请人信息的权限。"), code="forbidden")
    if entity is None:
        raise NotFound(_("找不到该法人。"), code="entity_not_found")
    return entity


def user_get_for_role_grant(*, actor: Any, user_id: int) -> User:
    """The staff account a security administrator is about to grant a role to."""
    require_perm(actor, Perm.ROLE_GRANT)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("找不到该用户。"), code="user_not_found", field="user_id")
    return user


def role_assignment_list_for_user(*, actor: Any, user_id: int) -> QuerySet[RoleAssignment]:
    """A user's roles: for the user themselves, the security and the system administrator."""
    if actor.pk != user_id and not (
        user_has_perm(actor, Perm.ROLE_GRANT) or user_has_perm(actor, Perm.ACCOUNT_MANAGE)
    ):
        raise PermissionDenied(_("您没有查看该用户角色的权限。"), code="forbidden")
    if not User.objects.filter(pk=user_id).exists():
        raise NotFound(_("找不到该用户。"), code="user_not_found")
    return RoleAssignment.objects.filter(user_id=user_id).select_related("org_unit").order_by("id")
