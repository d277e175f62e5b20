from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchIndexConfig(AppConfig):
    name = "quanban.searchindex"
    label = "searchindex"
    verbose_name = _("事项搜索")
    default_auto_field = "django.db.models.BigAutoField"
