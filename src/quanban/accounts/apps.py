from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "quanban.accounts"
    label = "accounts"
    verbose_name = "Accounts"
