from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "quanban.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from quanban.core import (
            checks,  # noqa: F401  (registers system checks)
            timestamps,
        )

        timestamps.install()
