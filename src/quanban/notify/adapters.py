"""SMS gateways. Code talks to the ``SmsAdapter`` protocol; settings.SMS_ADAPTER picks one.

``"sandbox"`` is the built-in :class:`SandboxSmsAdapter`; any other value is the dotted path of a
class implementing the protocol (a real gateway's client, or a test double of a gateway).
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Protocol, runtime_checkable

from django.conf import settings
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
