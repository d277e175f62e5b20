from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "quanban.supervision"
    label = "supervision"
    verbose_name = "Supervision"
