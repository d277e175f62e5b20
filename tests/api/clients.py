"""Test clients signed in the way real callers are: a session past its second factor, or a token."""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from quanban.accounts.models import User
from quanban.api.auth import token_create


def session_client(user: User, *, enforce_csrf: bool = False) -> Client:
    """A browser session for ``user``; staff have passed their TOTP step (as django_otp.login)."""
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def bearer(user: User, name: str = "tests") -> dict[str, str]:
    """Headers carrying a fresh API token of ``user``."""
    _token, clear = token_create(user=user, name=name)
    return {"Authorization": f"Bearer {clear}"}
