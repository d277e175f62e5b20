"""The notification pages' URLs (quanban.web.notify_views)."""

from django.urls import path

from quanban.web import notify_views

urlpatterns = [
    path("notifications/", notify_views.inbox, name="notify_inbox"),
    path("notifications/bell/", notify_views.bell, name="notify_bell"),
    path("notifications/read-all/", notify_views.read_all, name="notify_read_all"),
    path("notifications/<uuid:message_id>/read/", notify_views.read, name="notify_read"),
    path("account/notifications/", notify_views.preferences, name="notify_preferences"),
    path("workbench/notifications/failed/", notify_views.failed, name="notify_failed"),
    path(
        "workbench/notifications/failed/<uuid:message_id>/resend/",
        notify_views.resend,
        name="notify_resend",
    ),
]
