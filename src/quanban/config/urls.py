from django.urls import include, path

urlpatterns = [
    path("", include("quanban.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("quanban.web.feedback_urls")),
    path("", include("quanban.web.urls")),
]
