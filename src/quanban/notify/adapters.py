"""SMS gateways and e-mail. Code talks to the ``SmsAdapter`` protocol; settings.SMS_ADAPTER picks
one. E-mail goes through Django's e-mail backends (settings.EMAIL_BACKEND: SMTP in production, a
file backend in the demo), see :func:`email_send`.

``"sandbox"`` is the built-in :class:`SandboxSmsAdapter`; any other value is the dotted path of a
class implementing the protocol (a real gateway's client, or a test double of a gateway).
"""

from __future__ import annotations

import logging
import re
import smtplib
import uuid
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.utils.module_loading import import_string

from quanban.core import clock
from quanban.core.masking import mask_phone

logger = logging.getLogger("quanban.notify")

# What Chinese gateways accept in one request: a mainland mobile number and a bounded text.
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
MAX_SMS_CHARS = 500


class SmsError(Exception):
    """The gateway did not take the message. ``permanent`` ones are never retried."""

    permanent = False


class SmsRejected(SmsError):
    """The gateway refused the message itself (bad number, too long): retrying will not help."""

    permanent = True


class SmsUnavailable(SmsError):
    """The gateway could not be reached or was busy: try again later."""


@runtime_checkable
class SmsAdapter(Protocol):
    name: str

    def send(self, *, to: str, text: str, reference: str) -> str:
        """Hand one message to the gateway; return the gateway's message id or raise SmsError.

        ``reference`` is our outbox id, so a gateway that deduplicates can do so.
        """
        ...


class SandboxSmsAdapter:
    """A gateway that delivers nowhere but behaves like one: it checks what it is given, answers
    with a message id, records the message in the outbox and writes its text to the worker log."""

    name = "sandbox"

    def send(self, *, to: str, text: str, reference: str) -> str:
        if not MOBILE_RE.match(to):
            raise SmsRejected(f"invalid mobile number {mask_phone(to)}")
        if not text or len(text) > MAX_SMS_CHARS:
            raise SmsRejected(f"text length {len(text)} outside 1..{MAX_SMS_CHARS}")
        message_id = f"sandbox-{uuid.uuid4().hex}"
        self._record(to=to, text=text, reference=reference, message_id=message_id)
        # The text goes to the log on purpose: in the sandbox the log is the phone.
        logger.info("SMS (sandbox) %s to %s: %s", message_id, mask_phone(to), text)
        return message_id

    def _record(self, *, to: str, text: str, reference: str, message_id: str) -> None:
        from quanban.notify.models import OutboxMessage

        outbox_id = _uuid_or_none(reference)
        updated = outbox_id is not None and OutboxMessage.objects.filter(pk=outbox_id).update(
            gateway_message_id=message_id
        )
        if not updated:
            # Sent directly, not through the outbox: keep a row so the sandbox still shows it.
            now = clock.now()
            OutboxMessage.objects.create(
                channel=OutboxMessage.Channel.SMS,
                recipient=to,
                body=text,
                state=OutboxMessage.State.SENT,
                attempts=1,
                created_at=now,
                next_attempt_at=now,
                sent_at=now,
                gateway_message_id=message_id,
            )


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None


def sms_adapter() -> SmsAdapter:
    """The adapter settings.SMS_ADAPTER names (read per call, so tests can override it)."""
    name = settings.SMS_ADAPTER
    if name == SandboxSmsAdapter.name:
        return SandboxSmsAdapter()
    adapter_class = import_string(name)
    adapter: SmsAdapter = adapter_class()
    return adapter


# --- E-mail -------------------------------------------------------------------------------------


class EmailError(Exception):
    """The mail server did not take the message. ``permanent`` ones are never retried."""

    permanent = False


class EmailRejected(EmailError):
    """The address or the message itself was refused: retrying will not help."""

    permanent = True


def email_message_id(reference: str) -> str:
    """The Message-ID a message of outbox row ``reference`` carries, every time it is sent.

    The same id on every attempt is what lets a receiver keep one copy of a message that was
    delivered twice (the worker died between sending and marking it sent).
    """
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "quanban.invalid"
    return f"<{reference}@{domain}>"


def email_send(*, to: str, subject: str, body: str, reference: str) -> str:
    """Hand one e-mail to settings.EMAIL_BACKEND; return its Message-ID or raise EmailError."""
    try:
        validate_email(to)
    except ValidationError:
        raise EmailRejected(f"invalid e-mail address {mask_email(to)}") from None
    message_id = email_message_id(reference)
    message = EmailMessage(
        subject=subject or body[:60],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": message_id, "X-Quanban-Outbox-Id": reference},
    )
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
        raise EmailRejected(f"{type(error).__name__}: {error}") from error
    except (smtplib.SMTPException, OSError) as error:
        raise EmailError(f"{type(error).__name__}: {error}") from error
    logger.info("E-mail %s to %s: %s", message_id, mask_email(to), subject)
    return message_id


def mask_email(value: str) -> str:
    """``zhang.san@example.cn`` → ``z*******@example.cn`` (the domain stays: it says little)."""
    local, at, domain = value.partition("@")
    if not at:
        return "*" * len(value)
    return (local[:1] + "*" * max(len(local) - 1, 1)) + "@" + domain
