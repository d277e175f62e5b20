"""API authentication: bearer tokens for systems, the session (with CSRF) for the browser."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from quanban.accounts.models import ApiToken, User
from quanban.api.problems import CsrfFailed
from quanban.core import clock
from quanban.core.audit import audit_record
from quanban.core.context import current_actor, rebind_user

TOKEN_PREFIX = "qb_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for a user; the clear token is returned once and never stored."""
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=clear[3:11],
            token_hash=token_hash(clear),
            created_at=clock.now(),
        )
        audit_record(action="api_token.create", obj=token, after={"user": user.pk, "name": name})
    return token, clear


def _bind(request: HttpRequest, user: User) -> User:
    request.user = user
    rebind_user(user)  # the actor was bound before authentication
    return user


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token.startswith(TOKEN_PREFIX):
            return None
        found = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        return _bind(request, found.user)


class SessionAuth(APIKeyCookie):
    """The browser's session, with Django's CSRF check on unsafe methods.

    A request that carries no session cookie cannot be a cross-site forgery of a session, so it is
    simply unauthenticated (401) rather than refused for CSRF (403).
    """

    param_name = "sessionid"  # the OpenAPI name; the cookie read is SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not key:
            return None
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise CsrfFailed()
        return key

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if getattr(user, "is_staff_user", False) and not user.is_verified():
            return None  # staff must have passed their second factor
        if current_actor().user_id != user.pk:
            return _bind(request, user)
        return user


AUTH = [BearerToken(), SessionAuth()]
