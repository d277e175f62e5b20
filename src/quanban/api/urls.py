from django.urls import path

from quanban.api.api import api

urlpatterns = [path("api/v1/", api.urls)]
