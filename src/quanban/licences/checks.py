"""System checks of the licences app: the archives' settings are read when a case is archived,
so a mistake in them is reported at start (``quanban check``, ``serve``, ``worker``) instead."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register()
def archive_settings(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    from quanban.licences.archives import platform_signer, retention_table

    errors: list[checks.CheckMessage] = []
    for read, setting, code in (
        (retention_table, "QUANBAN_ARCHIVE_RETENTION", "quanban.E101"),
        (platform_signer, "QUANBAN_PLATFORM_SEAL_CODE", "quanban.E102"),
    ):
        try:
            read()
        except ImproperlyConfigured as error:
            errors.append(
                checks.Error(str(error), hint=f"See {setting} in docs/operations.md.", id=code)
            )
    return errors
