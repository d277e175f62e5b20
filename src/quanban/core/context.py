"""Who is acting, from where, through which channel: the audit trail's context.

Set once per request by the middleware, per command by the CLI, per task by the worker; services
read it instead of taking a request argument.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    username: str = ""
    role: str = ""
    org_unit_id: int | None = None
    ip: str = ""
    channel: str = "system"  # web | api | cli | worker | system


SYSTEM = Actor()
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("quanban_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def actor_for_user(user: object, *, ip: str = "", channel: str = "system") -> Actor:
    """Build the actor for a user object (authenticated or not)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor(ip=ip, channel=channel)
    return Actor(
        user_id=user.pk,  # type: ignore[attr-defined]
        username=user.get_username(),  # type: ignore[attr-defined]
        role=getattr(user, "primary_role", "") or "",
        org_unit_id=getattr(user, "department_id", None),
        ip=ip,
        channel=channel,
    )


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or ""


class RequestContextMiddleware:
    """Binds the request's actor for the duration of the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        actor = actor_for_user(
            getattr(request, "user", None), ip=client_ip(request), channel=channel
        )
        with acting_as(actor):
            return self.get_response(request)


def rebind_user(user: object) -> None:
    """Inside a request, name the user who just authenticated (API token, login) as the actor.

    The middleware's reset at the end of the request restores the outer value.
    """
    actor = current_actor()
    _current.set(actor_for_user(user, ip=actor.ip, channel=actor.channel))
