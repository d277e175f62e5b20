"""The one JSON interface: django-ninja at /api/v1/, OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from ninja import NinjaAPI

from quanban import __version__
from quanban.api import problems
from quanban.api.auth import AUTH
from quanban.api.routers import accounts, audit, calendar, system

api = NinjaAPI(
    title="Quanban 全办 API",
    version=__version__,
    description=(
        "全办政务服务平台接口。Errors are RFC 9457 problem+json with a stable `code`; messages "
        "follow the request's Accept-Language (zh-Hans by default, en available). Systems "
        "authenticate with `Authorization: Bearer <token>`; browsers with their session."
    ),
    urls_namespace="api",
    auth=AUTH,
)
problems.install(api)
api.add_router("/", system.router, tags=["system"])
api.add_router("/", accounts.router, tags=["accounts"])
api.add_router("/calendar", calendar.router, tags=["calendar"])
api.add_router("/audit", audit.router, tags=["audit"])
