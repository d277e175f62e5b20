"""Schemathesis over the whole OpenAPI, in-process, as anonymous and authenticated callers.

Whatever it sends, the API must never answer 5xx, and every 4xx must be problem+json. Examples are
derandomized (a fixed seed per operation) and bounded so the run stays well under two minutes.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from quanban.accounts.roles import Role
from tests import factories
from tests.api.clients import bearer

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20260101,
        "generation": {"mode": "all", "deterministic": True, "max-examples": 10},
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
)

CALLERS = ["anonymous", "window_clerk", "security_admin", "system_admin"]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Keep the test's database connection across WSGI requests, as Django's test client does.

    The WSGI handler closes "old" connections when a request starts and ends; inside a test that
    would close the connection holding the test's transaction.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(params=CALLERS)
def caller_headers(request, db) -> dict[str, str]:
    if request.param == "anonymous":
        return {}
    city = factories.make_city()
    if request.param == "security_admin":
        return bearer(factories.security_admin(city))
    if request.param == "system_admin":  # organisation tree and calendar writes
        return bearer(factories.make_staff(city, Role.SYSTEM_ADMIN))
    clerk = factories.make_staff(city, Role.WINDOW_CLERK)
    # Something to find: an applicant the clerk's token may read and the fuzzer may hit by id.
    from quanban.accounts import services

    services.person_register(name="李四", id_number=factories.valid_id_number())
    return bearer(clerk)


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_fails_and_speaks_problem_json(case, caller_headers):
    headers = {**(case.headers or {}), **caller_headers}
    response = case.call(headers=headers)
    case.validate_response(response, checks=[not_a_server_error], headers=headers)
    if 400 <= response.status_code < 500:
        content_type = response.headers.get("Content-Type", response.headers.get("content-type"))
        if isinstance(content_type, list):
            content_type = content_type[0]
        assert content_type == "application/problem+json", (
            f"{case.method} {case.formatted_path} answered {response.status_code} "
            f"with {content_type}: {response.text[:300]}"
        )
