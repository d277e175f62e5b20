"""One error tree for domain code.

Every error a user can cause is an ``ApplicationError`` with a stable ``code`` (for machines), an
HTTP status (for the API) and a message in the active language (for people). The API renders it as
RFC 9457 problem+json; pages render the message.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class ApplicationError(Exception):
    code = "application_error"
    status = 400

    def __init__(
        self,
        message: str | Promise,
        *,
        code: str | None = None,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.extra = extra or {}

    def __str__(self) -> str:
        return str(self.message)


class ValidationFailed(ApplicationError):
    code = "validation_failed"
    status = 422


class NotFound(ApplicationError):
    code = "not_found"
    status = 404


class PermissionDenied(ApplicationError):
    code = "forbidden"
    status = 403


class Conflict(ApplicationError):
    code = "conflict"
    status = 409


class StaleEdit(ApplicationError):
    """The thing changed since the caller read it (their version is old); nothing was written."""

    code = "stale"
    status = 412
