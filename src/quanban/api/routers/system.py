"""Health and identity of the caller."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest
from ninja import Router, Schema

from quanban import __version__
from quanban.accounts.selectors import user_perms

router = Router()


class HealthOut(Schema):
    status: str
    version: str
    database: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    kind: str
    roles: list[str]
    permissions: list[str]


@router.get("/health", response=HealthOut, auth=None, summary="Service health / 服务状态")
def health(request: HttpRequest) -> HealthOut:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HealthOut(status="ok", version=__version__, database=connection.vendor)


@router.get("/me", response=MeOut, summary="The authenticated caller / 当前用户")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    assert user.pk is not None  # the route requires authentication
    return MeOut(
        id=user.pk,
        username=user.get_username(),
        display_name=getattr(user, "display_name", ""),
        kind=getattr(user, "kind", ""),
        roles=sorted(set(user.role_assignments.values_list("role", flat=True))),
        permissions=sorted(user_perms(user)),
    )
