"""The half-way state of a two-step login, kept in the (server-side) session.

After the password step the session remembers who is signing in; nobody is logged in until the
second factor passes. A citizen's SMS code is kept only as a salted HMAC, with its expiry, the
number of tries left and when it was sent (for the resend throttle).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from quanban.accounts.models import User
from quanban.core import clock
from quanban.notify.models import OutboxMessage
from quanban.notify.services import outbox_enqueue

PENDING = "quanban_pending_login"
SMS_CODE = "quanban_sms_code"
PENDING_TTL_S = 10 * 60
SMS_CODE_MAX_TRIES = 5
SMS_RESEND_AFTER_S = 60
_HMAC_SALT = "quanban.web.login_flow.sms_code"


@dataclass(frozen=True)
class Pending:
    user: User
    backend: str
    next_url: str


def pending_start(request: HttpRequest, user: User, *, next_url: str = "") -> None:
    request.session[PENDING] = {
        "user_id": user.pk,
        "kind": user.kind,
        "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
        "at": clock.now().timestamp(),
        "next": next_url,
    }
    request.session.pop(SMS_CODE, None)


def pending_get(request: HttpRequest, *, kind: str) -> Pending | None:
    data: dict[str, Any] | None = request.session.get(PENDING)
    if not data or data.get("kind") != kind:
        return None
    if clock.now().timestamp() - data["at"] > PENDING_TTL_S:
        pending_clear(request)
        return None
    user = User.objects.filter(pk=data["user_id"], is_active=True, kind=kind).first()
    if user is None:
        pending_clear(request)
        return None
    return Pending(user=user, backend=data["backend"], next_url=data.get("next", ""))


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)
    request.session.pop(SMS_CODE, None)


def second_factor_failed(request: HttpRequest, user: User) -> bool:
    """Count a wrong second factor as a failed login (django-axes); True if now locked out."""
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    return bool(getattr(request, "axes_locked_out", False))


def _digest(salt: str, code: str) -> str:
    return salted_hmac(_HMAC_SALT, salt + code, algorithm="sha256").hexdigest()


def sms_resend_wait_s(request: HttpRequest) -> int:
    """Seconds until another code may be sent to this login (0 = now)."""
    data = request.session.get(SMS_CODE)
    if not data:
        return 0
    waited = clock.now().timestamp() - data["sent_at"]
    return max(0, int(SMS_RESEND_AFTER_S - waited + 0.999))


def sms_code_send(request: HttpRequest, user: User) -> OutboxMessage:
    """Make a new 6-digit code, keep its HMAC in the session and queue the SMS."""
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    now = clock.now()
    ttl = settings.SMS_CODE_TTL_S
    request.session[SMS_CODE] = {
        "salt": salt,
        "digest": _digest(salt, code),
        "expires": now.timestamp() + ttl,
        "tries_left": SMS_CODE_MAX_TRIES,
        "sent_at": now.timestamp(),
    }
    text = _(
        "【全办】您的登录验证码是 %(code)s，%(minutes)d 分钟内有效。请勿将验证码告诉他人。"
    ) % {
        "code": code,
        "minutes": max(1, ttl // 60),
    }
    return outbox_enqueue(
        channel=OutboxMessage.Channel.SMS,
        recipient=user.phone or user.get_username(),
        body=text,
        expires_at=now + dt.timedelta(seconds=ttl),
    )


class SmsCodeResult:
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED_UP = "used_up"
    MISSING = "missing"


def sms_code_check(request: HttpRequest, code: str) -> str:
    data = request.session.get(SMS_CODE)
    if not data:
        return SmsCodeResult.MISSING
    if clock.now().timestamp() > data["expires"]:
        return SmsCodeResult.EXPIRED
    if data["tries_left"] <= 0:
        return SmsCodeResult.USED_UP
    if constant_time_compare(_digest(data["salt"], code.strip()), data["digest"]):
        request.session.pop(SMS_CODE, None)
        return SmsCodeResult.OK
    data["tries_left"] -= 1
    request.session[SMS_CODE] = data
    return SmsCodeResult.WRONG if data["tries_left"] > 0 else SmsCodeResult.USED_UP
