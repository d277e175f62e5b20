"""Idle and absolute session time-outs (等保 level 3: idle log-out within 30 minutes)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from quanban.core import clock

LOGIN_AT = "quanban_login_at"
SEEN_AT = "quanban_seen_at"


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = clock.now().timestamp()
            session = request.session
            login_at = session.setdefault(LOGIN_AT, now)
            seen_at = session.get(SEEN_AT, now)
            idle = now - seen_at > settings.SESSION_IDLE_TIMEOUT_S
            expired = now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT_S
            if idle or expired:
                logout(request)
                messages.info(
                    request,
                    _("长时间未操作，已安全退出，请重新登录。") if idle else _("登录已超过最长时限，请重新登录。"),
                )
            else:
                session[SEEN_AT] = now
        return self.get_response(request)
