from django.apps import AppConfig


class LicencesConfig(AppConfig):
    name = "quanban.licences"
    label = "licences"
    verbose_name = "Licences"
