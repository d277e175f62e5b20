"""System checks for deployments."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError


@checks.register(checks.Tags.security)
def superuser_in_production(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Django superusers bypass three-role separation; they are for development only."""
    if settings.DEBUG:
        return []
    from django.contrib.auth import get_user_model

    try:
        active = get_user_model().objects.filter(is_superuser=True, is_active=True).count()
    except DatabaseError:
        return []
    if not active:
        return []
    return [
        checks.Warning(
            f"{active} active superuser account(s) with DEBUG=False. Superusers bypass the "
            "three-role separation (等保三级三员分立); deactivate them in production.",
            id="quanban.W001",
        )
    ]
