"""Idle and absolute session time-outs (等保 level 3: idle log-out within 30 minutes)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from quanban.core import clock

LOGIN_AT = "quanban_login_at"
SEEN_AT = "quanban_seen_at"
# Why the last session ended; the next page shows it once (see ``pop_logout_notice``).
LOGOUT_REASON = "quanban_logout_reason"
IDLE = "idle"
EXPIRED = "expired"


def session_start(request: HttpRequest) -> None:
    """Call right after login: both clocks start now."""
    now = clock.now().timestamp()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now


def pop_logout_notice(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    if session is None:
        return None
    reason = session.pop(LOGOUT_REASON, None)
    if reason == IDLE:
        return _("长时间未操作，已安全退出，请重新登录。")
    if reason == EXPIRED:
        return _("登录已超过最长时限，请重新登录。")
    return None


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
                # The message framework is not set up yet at this point of the chain, so the
                # reason waits in the new, empty session for the next page to show.
                request.session[LOGOUT_REASON] = IDLE if idle else EXPIRED
            else:
                session[SEEN_AT] = now
        return self.get_response(request)
