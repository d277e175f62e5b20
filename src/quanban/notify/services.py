"""The outbox: enqueue a message in the caller's transaction; the worker delivers it.

Outbox rows are delivery bookkeeping, not business data, so they are not written to the audit
trail: the business write that caused a message carries the audit record, and a message body may
hold a one-time code that must never reach the (permanent) audit trail.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F

from quanban.core import clock
from quanban.core.errors import ValidationFailed
from quanban.notify.adapters import SmsError, sms_adapter
from quanban.notify.models import OutboxMessage

logger = logging.getLogger("quanban.notify")

MAX_ATTEMPTS = 6
FIRST_RETRY_S = 60
MAX_RETRY_S = 3600
# A claimed row is hidden from other workers this long; if its worker dies, it comes back.
CLAIM_LEASE_S = 300
BATCH_SIZE = 100


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def outbox_enqueue(
    *,
    channel: str,
    recipient: str,
    body: str,
    subject: str = "",
    expires_at: dt.datetime | None = None,
) -> OutboxMessage:
    """Queue one message. Joins the caller's transaction; the worker is woken after commit."""
    if channel not in OutboxMessage.Channel.values:
        raise ValidationFailed(
            f"unknown channel {channel!r}", code="outbox_channel", field="channel"
        )
    now = clock.now()
    # No savepoint of its own: the message belongs to the caller's transaction.
    with transaction.atomic(savepoint=False):
        message = OutboxMessage.objects.create(
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            created_at=now,
            next_attempt_at=now,
            expires_at=expires_at,
        )
        transaction.on_commit(_wake_worker)
    return message


def _wake_worker() -> None:
    from quanban.notify.tasks import outbox_deliver_now

    outbox_deliver_now()


def retry_delay_s(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed try: 60, 120, 240 … at most an hour."""
    return int(min(FIRST_RETRY_S * 2 ** max(attempts - 1, 0), MAX_RETRY_S))


def outbox_deliver_due(*, batch_size: int = BATCH_SIZE) -> DeliveryReport:
    """Claim due pending messages and send them; mark each sent, retrying later, or failed."""
    sent = retrying = failed = 0
    for message in _claim_due(batch_size):
        outcome = _deliver_one(message)
        sent += outcome == OutboxMessage.State.SENT
        failed += outcome == OutboxMessage.State.FAILED
        retrying += outcome == OutboxMessage.State.PENDING
    return DeliveryReport(sent=sent, retrying=retrying, failed=failed)


def _claim_due(batch_size: int) -> list[OutboxMessage]:
    now = clock.now()
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            state=OutboxMessage.State.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at")
        if connection.features.has_select_for_update_skip_locked:
            # Two workers never take the same row, and neither waits for the other.
            due = due.select_for_update(skip_locked=True)
        claimed = list(due[:batch_size])
        OutboxMessage.objects.filter(pk__in=[m.pk for m in claimed]).update(
            attempts=F("attempts") + 1, next_attempt_at=now + dt.timedelta(seconds=CLAIM_LEASE_S)
        )
    for message in claimed:
        message.attempts += 1
    return claimed


def _deliver_one(message: OutboxMessage) -> str:
    now = clock.now()
    if message.expires_at is not None and message.expires_at <= now:
        return _mark_failed(message, "expired before it could be sent")
    if message.channel == OutboxMessage.Channel.IN_APP:
        # The row is the in-app message (the workbench's bell reads it): delivered once stored.
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.SENT, sent_at=now, last_error=""
        )
        return OutboxMessage.State.SENT
    if message.channel != OutboxMessage.Channel.SMS:
        return _mark_failed(message, f"no delivery adapter for channel {message.channel}")
    try:
        gateway_id = sms_adapter().send(
            to=message.recipient, text=message.body, reference=str(message.pk)
        )
    except SmsError as error:
        if error.permanent:
            return _mark_failed(message, str(error))
        return _retry_or_fail(message, str(error))
    except Exception as error:  # a gateway client's bug must not stop the other messages
        logger.exception("SMS gateway raised for outbox message %s", message.pk)
        return _retry_or_fail(message, f"{type(error).__name__}: {error}")
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.SENT,
            sent_at=clock.now(),
            gateway_message_id=gateway_id,
            last_error="",
        )
    return OutboxMessage.State.SENT


def _retry_or_fail(message: OutboxMessage, error: str) -> str:
    if message.attempts >= MAX_ATTEMPTS:
        return _mark_failed(message, error)
    next_at = clock.now() + dt.timedelta(seconds=retry_delay_s(message.attempts))
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            next_attempt_at=next_at, last_error=error
        )
    logger.warning(
        "Outbox message %s: attempt %d failed (%s); retrying at %s",
        message.pk,
        message.attempts,
        error,
        next_at.isoformat(),
    )
    return OutboxMessage.State.PENDING


def _mark_failed(message: OutboxMessage, error: str) -> str:
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.FAILED, last_error=error
        )
    logger.error("Outbox message %s failed for good: %s", message.pk, error)
    return OutboxMessage.State.FAILED
