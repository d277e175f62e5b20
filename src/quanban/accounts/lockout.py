"""What a locked-out caller sees (django-axes calls this)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_message() -> str:
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    return _("登录失败次数过多，账号已锁定 %(minutes)d 分钟。请稍后再试或联系安全管理员。") % {
        "minutes": minutes
    }


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "type": "about:blank",
                "title": message,
                "status": 429,
                "code": "account_locked",
                "detail": message,
            },
            status=429,
            content_type="application/problem+json",
        )
    return render(request, "web/locked.html", {"message": message}, status=429)
