from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "quanban.api"
    label = "api"
