from django.apps import AppConfig


class DatahubConfig(AppConfig):
    name = "quanban.datahub"
    label = "datahub"
    verbose_name = "Data hub"
