from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "quanban.web"
    label = "web"
