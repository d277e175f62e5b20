from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "quanban.catalogue"
    label = "catalogue"
    verbose_name = "Catalogue"
