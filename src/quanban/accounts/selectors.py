"""Reads about people and organisations that carry access rules."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from quanban.accounts.roles import ROLE_PERMS
from quanban.core.errors import PermissionDenied


def user_perms(user: Any) -> frozenset[str]:
    """Every permission the user's roles give, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_quanban_perms", None)
    if cached is None:
        roles = list(user.role_assignments.values_list("role", flat=True))
        cached = frozenset(p for role in roles for p in ROLE_PERMS.get(role, ()))
        user._quanban_perms = cached
    return cached


def user_has_perm(user: Any, perm: str) -> bool:
    return perm in user_perms(user)


def require_perm(user: Any, perm: str) -> None:
    if not user_has_perm(user, perm):
        raise PermissionDenied(_("您没有执行此操作的权限。"), code="forbidden")
