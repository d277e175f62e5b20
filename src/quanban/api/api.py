"""The one JSON interface: django-ninja at /api/v1/, OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from quanban import __version__
from quanban.api import problems
from quanban.api.auth import AUTH
from quanban.api.parser import NulSafeParser
from quanban.api.routers import (
    accounts,
    audit,
    calendar,
    cases,
    catalogue,
    datahub,
    feedback,
    licences,
    my_cases,
    search,
    supervision,
    system,
    tasks,
    themes,
)


class QuanbanAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document also describes the problem+json every error answers."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return problems.document_problems(schema)


api = QuanbanAPI(
    title="Quanban 全办 API",
    version=__version__,
    description=(
        "全办政务服务平台接口。Errors are RFC 9457 problem+json with a stable `code`; messages "
        "follow the request's Accept-Language (zh-Hans by default, en available). Systems "
        "authenticate with `Authorization: Bearer <token>`; browsers with their session."
    ),
    urls_namespace="api",
    auth=AUTH,
    parser=NulSafeParser(),
)
problems.install(api)
api.add_router("/", system.router, tags=["system"])
api.add_router("/", accounts.router, tags=["accounts"])
api.add_router("/calendar", calendar.router, tags=["calendar"])
api.add_router("/audit", audit.router, tags=["audit"])
api.add_router("/search", search.router, tags=["search"])
api.add_router("/catalogue", catalogue.router, tags=["catalogue"])
api.add_router("/catalogue", themes.router, tags=["catalogue"])
api.add_router("/", cases.router, tags=["cases"])
api.add_router("/", tasks.router, tags=["tasks"])
api.add_router("/", my_cases.router, tags=["my cases"])
api.add_router("/", licences.router, tags=["licences"])
api.add_router("/", feedback.router, tags=["feedback"])
api.add_router("/datahub", datahub.router, tags=["datahub"])
api.add_router("/supervision", supervision.router, tags=["supervision"])
