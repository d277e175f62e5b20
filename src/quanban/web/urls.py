from django.urls import path

from quanban.web import views

app_name = "web"

urlpatterns = [
    path("", views.portal_home, name="portal"),
    path("workbench/", views.workbench_home, name="workbench"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
]
