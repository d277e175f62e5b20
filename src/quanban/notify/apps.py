from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "quanban.notify"
    label = "notify"
