"""``Idempotency-Key``: a POST sent twice with the same key does its work once.

A client that is not sure its request arrived (a timeout, a dropped connection) sends it again with
the same key and gets the first response back instead of a second case. The rules:

- The key is the client's, scoped to the signed-in user (``IdempotencyKey``: unique per key and
  user). It is 1–255 visible ASCII characters; a UUID is the usual choice.
- The request is identified by the SHA-256 of its canonical JSON: method, path and the validated
  body (sorted keys, no insignificant whitespace), so key order or spacing never makes two
  requests differ, while another operation or another body does.
- Same key, same request: the stored status and body are replayed (with ``Idempotent-Replayed:
  true``). What is stored is the reply as it was sent (rendered once, then read back), so the
  replay gives the same JSON. Same key, different request: 422 ``idempotency_key_reused``,
  nothing done.
- Only successful responses are stored. A request that fails (a 4xx problem) rolls back with its
  key, so correcting the problem and retrying with the same key works.
- A key is remembered for 24 hours (:data:`KEY_TTL`); after that the same key starts afresh.

Concurrency: the key row is inserted *first*, inside the transaction that does the work, with
``INSERT … ON CONFLICT DO NOTHING RETURNING id`` (one statement, no savepoint). A second request
with the same key blocks on the unique index until the first commits (PostgreSQL), then inserts
nothing and reads and replays the committed response; on SQLite the second transaction already
waits at ``BEGIN IMMEDIATE``. If the first rolled back, the second's insert simply succeeds and it
does the work itself. So however many requests race with one key, the work is done exactly once.
An expired key is deleted only when it is met again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Schema

from quanban.accounts.models import User
from quanban.cases.models import IdempotencyKey
from quanban.core import clock, rows
from quanban.core.audit import audited_atomic
from quanban.core.errors import Conflict, ValidationFailed

KEY_TTL = dt.timedelta(hours=24)
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

KeyHeader = Annotated[
    str | None,
    Header(
        None,
        alias=HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "Optional. The same key with the same body within 24 hours replays the first "
            "response; with another body it is refused (422 `idempotency_key_reused`)."
        ),
    ),
]


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]  # the reply as JSON values: as sent, stored with the key, replayed
    content: bytes | None = None  # the reply rendered, when it was made now; None: replayed


def _rendered(request: HttpRequest, status: int, out: Schema) -> tuple[bytes, dict[str, Any]]:
    """The reply as the API renders a schema it returns (the same bytes a GET of the resource
    gives), and those bytes read back: what is stored and replayed."""
    from quanban.api.api import api  # the API imports the routers that import this module

    content = api.renderer.render(request, out.model_dump(), response_status=status)
    return content, json.loads(content)


def request_hash(request: HttpRequest, payload: Any) -> str:
    """SHA-256 of the request's canonical JSON (method, path, validated body)."""
    if isinstance(payload, Schema):
        payload = payload.model_dump(mode="json")
    canonical = json.dumps(
        {"method": request.method, "path": request.path, "body": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(
    request: HttpRequest,
    *,
    key: str | None,
    payload: Any,
    run: Callable[[], tuple[int, Schema]],
) -> Outcome:
    """Run ``run`` (which returns a status and an output schema) at most once per key.

    Without a key it simply runs. With one, the work and the stored response commit together.
    """
    if key is None:
        status, out = run()
        content, body = _rendered(request, status, out)
        return Outcome(status, body, content=content)
    user = request.user
    assert isinstance(user, User)  # the operations that take a key require authentication
    digest = request_hash(request, payload)
    # One audit batch for the request: its records are chained at the very end, just before the
    # commit, so the chain's head (which every audited write in the city takes in turn) is held
    # for the append and the commit only, not while the reply is built and stored.
    with audited_atomic():
        now = clock.now()
        row_id = _claim(key=key, user=user, digest=digest, now=now)
        if row_id is None:
            # Another request with this key committed first (we waited for it): replay it, unless
            # it has expired (then the key may be used again: forget its old request).
            row = IdempotencyKey.objects.filter(key=key, user=user).first()
            if row is not None and row.created_at < now - KEY_TTL:
                IdempotencyKey.objects.filter(pk=row.pk).delete()
                row_id = _claim(key=key, user=user, digest=digest, now=now)
                if row_id is None:
                    row = IdempotencyKey.objects.filter(key=key, user=user).first()
            if row_id is None:
                return _replay(row, digest)
        status, out = run()
        content, body = _rendered(request, status, out)
        stored = IdempotencyKey(pk=row_id, response_status=status, response_body=body)
        # The request's last write, on the row it inserted: sent with its audit records.
        rows.update(stored, ["response_status", "response_body"], held=True)
    return Outcome(status, body, content=content)


def _claim(*, key: str, user: User, digest: str, now: dt.datetime) -> int | None:
    """Insert the key's row; its id, or None if the user's key is taken (nothing inserted).

    One statement and no savepoint: the ORM's insert would raise on the duplicate, which needs a
    savepoint around it to keep the transaction usable (three statements instead of one).
    """
    q = connection.ops.quote_name
    columns = ", ".join(q(name) for name in ("key", "user_id", "request_hash", "created_at"))
    with rows.shared_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(IdempotencyKey._meta.db_table)} ({columns})"
            f" VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING {q('id')}",
            [key, user.pk, digest, connection.ops.adapt_datetimefield_value(now)],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _replay(row: IdempotencyKey | None, digest: str) -> Outcome:
    if row is not None and row.request_hash != digest:
        raise ValidationFailed(
            _("该幂等键已用于另一个请求；请为新的请求使用新的幂等键。"),
            code="idempotency_key_reused",
            field=HEADER,
        )
    if row is None or row.response_status is None or row.response_body is None:
        raise Conflict(
            _("使用该幂等键的请求仍在处理中，请稍后重试。"), code="idempotency_in_progress"
        )
    return Outcome(row.response_status, row.response_body)


def idempotency_purge(*, now: dt.datetime | None = None) -> int:
    """Delete keys older than :data:`KEY_TTL`; returns how many (for a periodic task)."""
    cutoff = (now or clock.now()) - KEY_TTL
    deleted, _per_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
