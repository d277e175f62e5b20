"""Page handlers: parse, call one service or selector, render."""

from __future__ import annotations

from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST


def portal_home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/portal/home.html")


@login_required
def workbench_home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/workbench/home.html")


def login(request: HttpRequest) -> HttpResponse:
    return render(request, "web/login.html")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("web:portal")
