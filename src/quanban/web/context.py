from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from quanban.accounts.middleware import pop_logout_notice
from quanban.accounts.selectors import user_perms
from quanban.notify.selectors import inbox_unread_count


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    perms = user_perms(user) if getattr(user, "is_staff_user", False) else frozenset()
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        # The bell's count comes with the page (a callable: counted only where a page shows the
        # bell); htmx refreshes it when the window regains focus.
        "notify_unread": functools.partial(_unread, user),
        "logout_notice": pop_logout_notice(request),
        "perms": {perm.replace(".", "_") for perm in perms},
    }


def _unread(user: Any) -> int:
    """The signed-in person's unread in-app messages (none before a staff member's second step)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    if user.is_staff_user and not user.is_verified():
        return 0
    return inbox_unread_count(user)
