"""RFC 9457 problem+json for every error the API returns, with a stable ``code``.

Every way a request can fail under ``/api/`` ends here: domain errors (``ApplicationError``), input
validation, a body that is not JSON, missing or failed authentication, CSRF, an unknown URL, a
method the URL does not take, and — logged, never shown — an unexpected server error. Titles are
translated into the request's language (LocaleMiddleware has activated it).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from quanban.api.parser import NulCharacter
from quanban.core.errors import ApplicationError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE_URI = "https://quanban.example/problems/"

logger = logging.getLogger(__name__)


class CsrfFailed(HttpError):
    """A browser session made an unsafe request without a valid CSRF token."""

    def __init__(self) -> None:
        super().__init__(403, "CSRF check failed")


def problem_body(
    request: HttpRequest, *, status: int, code: str, title: str, detail: str = "", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE_URI + code,
        "title": title,
        "status": status,
        "code": code,
        "detail": detail or title,
        "instance": request.path,
    }
    body.update({k: v for k, v in extra.items() if v not in (None, {}, [])})
    return body


def problem(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: str,
    title: str,
    detail: str = "",
    **extra: Any,
) -> HttpResponse:
    body = problem_body(request, status=status, code=code, title=title, detail=detail, **extra)
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM_CONTENT_TYPE
    return response


def plain_problem(
    request: HttpRequest, *, status: int, code: str, title: str, **extra: Any
) -> HttpResponse:
    """A problem response built outside ninja (unknown URLs, methods a path does not take)."""
    body = problem_body(request, status=status, code=code, title=title, **extra)
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any URL under /api/ that names no operation: problem+json, never Django's HTML page."""
    return plain_problem(request, status=404, code="not_found", title=_("找不到请求的资源。"))


def method_not_allowed(request: HttpRequest, allowed: str) -> HttpResponse:
    response = plain_problem(
        request,
        status=405,
        code="method_not_allowed",
        title=_("此地址不支持 %(method)s 方法。") % {"method": request.method},
        allowed=sorted(m.strip() for m in allowed.split(",") if m.strip()),
    )
    response["Allow"] = allowed
    return response


def problem_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Wrap one of ninja's URL views so its non-ninja failures are problem+json too.

    ninja answers a method its path does not take with a bare text 405, and its API-root view
    raises Http404 for Django to render as HTML; both are turned into problems here.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return not_found_view(request)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/"):
            return method_not_allowed(request, response.get("Allow", ""))
        return response

    return wrapped


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "too_many_requests",
}


def _http_title(status: int) -> str:
    titles = {
        400: _("请求格式有误。"),
        401: _("请先登录或提供有效的接口令牌。"),
        403: _("您没有执行此操作的权限。"),
        404: _("找不到请求的资源。"),
        405: _("此地址不支持该请求方法。"),
        409: _("请求与当前数据状态冲突。"),
        429: _("请求过于频繁，请稍后再试。"),
    }
    return titles.get(status, _("请求未能完成。"))


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details, with a stable machine-readable `code`.",
    "type": "object",
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem."},
        "title": {"type": "string", "description": "What went wrong, in the request's language."},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable code, e.g. id_number_checksum."},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request path."},
        "field": {"type": "string", "description": "The input field at fault, if one is."},
        "errors": {
            "type": "array",
            "description": "Per-field errors of a 422 invalid_request.",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
                "required": ["field", "message", "type"],
            },
        },
    },
    "required": ["type", "title", "status", "code", "detail", "instance"],
    "additionalProperties": True,
}


def document_problems(schema: Any) -> Any:
    """Add the Problem schema and a ``4XX``/``5XX`` problem+json response to every operation."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    content = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            # ninja keys responses by int; OpenAPI (and sorted JSON) wants strings.
            responses = {str(k): v for k, v in operation.get("responses", {}).items()}
            operation["responses"] = responses
            responses.setdefault(
                "4XX", {"description": "Client error (problem+json)", "content": content}
            )
            responses.setdefault(
                "5XX", {"description": "Server error (problem+json)", "content": content}
            )
    return schema


def _field_of(loc: Any) -> str:
    """``("body", "payload", "id_number")`` → ``id_number``; ``("query", "limit")`` → ``limit``."""
    parts = [str(p) for p in loc]
    if parts[:1] == ["body"]:
        parts = parts[2:]  # drop "body" and the handler's parameter name
    elif parts[:1] in (["query"], ["path"], ["header"], ["cookie"]):
        parts = parts[1:]
    return ".".join(parts)


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return problem(
            api,
            request,
            status=exc.status,
            code=exc.code,
            title=str(exc.message),
            field=exc.field,
            **exc.extra,
        )

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            {
                "field": _field_of(e.get("loc", ())),
                "message": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors
        ]
        return problem(
            api,
            request,
            status=422,
            code="invalid_request",
            title=_("请求参数有误，请按提示修改后重试。"),
            errors=errors,
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(api, request, status=401, code="unauthenticated", title=_http_title(401))

    @api.exception_handler(AuthorizationError)
    def unauthorized(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return problem(api, request, status=403, code="forbidden", title=_http_title(403))

    @api.exception_handler(CsrfFailed)
    def csrf_failed(request: HttpRequest, exc: CsrfFailed) -> HttpResponse:
        return problem(
            api,
            request,
            status=403,
            code="csrf_failed",
            title=_("请求缺少有效的 CSRF 令牌，请刷新页面后重试。"),
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(api, request, status=404, code="not_found", title=_http_title(404))

    @api.exception_handler(NulCharacter)
    def nul_character(request: HttpRequest, exc: NulCharacter) -> HttpResponse:
        return problem(
            api,
            request,
            status=422,
            code="invalid_character",
            title=_("输入中含有不允许的控制字符（NUL）。"),
            field=exc.where or None,
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        if isinstance(exc.__cause__, NulCharacter):  # raised while parsing the body
            return nul_character(request, exc.__cause__)
        if status == 400 and str(exc.message).startswith("Cannot parse request body"):
            # ninja's wording for a body that is not valid JSON.
            return problem(
                api,
                request,
                status=400,
                code="malformed_body",
                title=_("请求正文不是有效的 JSON。"),
            )
        return problem(
            api,
            request,
            status=status,
            code=_HTTP_CODES.get(status, "error"),
            title=_http_title(status),
        )

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
        return problem(
            api,
            request,
            status=500,
            code="server_error",
            title=_("服务器内部错误，请稍后再试；如问题持续，请联系管理员。"),
        )
