from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "quanban.licences"
    label = "licences"
    verbose_name = "Licences"

    def ready(self) -> None:
        from quanban.licences import checks  # noqa: F401  (registers system checks)
