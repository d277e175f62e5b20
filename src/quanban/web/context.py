from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from quanban.accounts.middleware import pop_logout_notice
from quanban.accounts.selectors import user_perms


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    perms = user_perms(user) if getattr(user, "is_staff_user", False) else frozenset()
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "logout_notice": pop_logout_notice(request),
        "perms": {perm.replace(".", "_") for perm in perms},
    }
