"""API authentication: bearer tokens for systems, the session (with CSRF) for the browser."""

from __future__ import annotations

import functools
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from quanban.accounts.models import ApiToken, NaturalPerson, RoleAssignment, User
from quanban.api.problems import CsrfFailed
from quanban.core import clock, rows
from quanban.core.audit import audit_record
from quanban.core.context import current_actor, rebind_user
from quanban.notify.models import NotificationPreference

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


# What the token's user brings along, read in the same statement (none: NULL columns): their
# person (every "my" request of a citizen's asks who they are) and their notification choices
# (asked when their own request texts them, as an instant decision does).
_USER_ONE_TO_ONE = (("person", NaturalPerson), ("notify_preference", NotificationPreference))


@functools.cache
def _token_user_sql(vendor: str) -> str:
    """The user a live token names, one row per role held (none: one row, role NULL), with the
    user's ``_USER_ONE_TO_ONE`` rows. Built once per database vendor (``vendor`` is the cache's
    key: the quoting is the vendor's)."""
    q = connection.ops.quote_name
    joined = []
    for n, (_accessor, model) in enumerate(_USER_ONE_TO_ONE):
        field = model._meta.get_field("user")
        assert isinstance(field, models.OneToOneField)
        joined.append((f"o{n}", model, str(field.column)))
    return (
        f"SELECT {rows.columns(User, 'u')}, r.{q('role')} AS held_role"
        + "".join(f", {rows.columns(model, alias)}" for alias, model, _column in joined)
        + f" FROM {q(ApiToken._meta.db_table)} t"
        f" JOIN {q(User._meta.db_table)} u ON u.{q('id')} = t.{q('user_id')}"
        f" LEFT JOIN {q(RoleAssignment._meta.db_table)} r ON r.{q('user_id')} = u.{q('id')}"
        + "".join(
            f" LEFT JOIN {q(model._meta.db_table)} {alias} ON {alias}.{q(column)} = u.{q('id')}"
            for alias, model, column in joined
        )
        + f" WHERE t.{q('token_hash')} = %s AND t.{q('revoked_at')} IS NULL AND u.{q('is_active')}"
        f" ORDER BY r.{q('id')}"
    )


def token_user(token: str) -> User | None:
    """The active user a live token names, with their roles, in one statement.

    Every API call with a token asks this, so it is written out once (``_token_user_sql``)
    rather than compiled by the ORM each time, and it reads the roles the permissions and the
    audit's actor need in the same round trip (``User.role_names``), and the user's person and
    notification choices (cached as ``rows.related_one`` reads them).
    """
    found = rows.instances(User, _token_user_sql(connection.vendor), [token_hash(token)])
    if not found:
        return None
    user, extra = found[0]
    user._role_names = tuple(extra[0] for _user, extra in found if extra[0])
    end = 1
    for accessor, model in _USER_ONE_TO_ONE:
        row, end = rows.instance_at(model, extra, end)
        rows.related_one_known(user, accessor, row)
    return user


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token.startswith(TOKEN_PREFIX):
            return None
        user = token_user(token)
        if user is None:
            return None
        return _bind(request, user)


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
