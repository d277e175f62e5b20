"""Helpers for the case API tests: callers with tokens, and JSON calls that show what failed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client

from quanban.accounts.models import User
from tests.api.clients import bearer

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 15 June 2026, 10:00: the seeded calendar covers it (the tests must not depend on today).
# The Dragon Boat Festival holiday is Friday 19 through Sunday 21 June.
A_MONDAY = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)


@dataclass
class Caller:
    """A user calling the API with their own token."""

    user: User
    headers: dict[str, str]
    client: Client

    @classmethod
    def of(cls, user: User) -> Caller:
        return cls(user=user, headers=bearer(user), client=Client())

    def get(self, url: str, **query: Any) -> Any:
        return self.client.get(url, query, headers=self.headers)

    def post(
        self, url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        return self.client.post(
            url,
            body if body is not None else {},
            content_type="application/json",
            headers={**self.headers, **(headers or {})},
        )


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    """The JSON body of a response that must have ``status`` (the body is shown if not)."""
    assert response.status_code == status, (response.status_code, response.content[:600])
    return response.json()


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response["Content-Type"] == "application/problem+json", response.content[:300]
    body = response.json()
    assert (response.status_code, body["code"]) == (status, code), body
    return body
