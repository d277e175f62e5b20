from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "quanban.cases"
    label = "cases"
    verbose_name = "Cases"
