"""E-mail delivery, and what happens when the worker dies between sending a message and marking it.

The worker is "killed" by a gateway (or mail backend) double that accepts the message — the real
sandbox adapter, the real in-memory mail backend — and then raises ``WorkerDied``, a
BaseException no delivery code catches: the process is gone after the send and before the mark.
The claim's lease then runs out, another run delivers the message again under the same id, and
marks it sent once. A receiver that keys messages by their id keeps one copy.
"""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as MemoryBackend

from quanban.notify.adapters import SandboxSmsAdapter
from quanban.notify.models import OutboxMessage
from quanban.notify.services import (
    CLAIM_LEASE_S,
    DeliveryReport,
    notify_preference_update,
    notify_user,
    outbox_deliver_due,
    outbox_enqueue,
)
from tests.notify.conftest import at

pytestmark = pytest.mark.django_db

NOTE = {"text": "请于本周内办结", "due": "2026-06-19"}
NOTE_TEXT = "【全办】督办：请于本周内办结（请于 2026-06-19 前办理）"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


class WorkerDied(BaseException):
    """The worker process ended (killed, power lost) at this point."""


class DyingMailBackend(MemoryBackend):
    """The mail server accepts the message; the worker dies before it marks it sent (first time)."""

    deaths = 0

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        if type(self).deaths == 0:
            type(self).deaths += 1
            raise WorkerDied
        return sent


class DyingGateway(SandboxSmsAdapter):
    """The sandbox gateway accepts the SMS; the worker dies before it marks it sent (first time).
    ``received`` is what reached the phone: (the outbox id the gateway was given, the text)."""

    received: list[tuple[str, str]] = []

    def send(self, *, to: str, text: str, reference: str) -> str:
        message_id = super().send(to=to, text=text, reference=reference)
        type(self).received.append((reference, text))
        if len(type(self).received) == 1:
            raise WorkerDied
        return message_id


class RefusingMailServer(MemoryBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@example.cn": (550, b"no such user")})


class DownMailServer(MemoryBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def emailing(frozen, staff, settings):
    settings.EMAIL_BACKEND = LOCMEM
    notify_preference_update(user=staff, sms=False, email=True)
    return staff


def email_row() -> OutboxMessage:
    return OutboxMessage.objects.get(channel="email")


def test_email_is_delivered_once_with_the_outbox_id_as_message_id(emailing):
    notify_user(user=emailing, event="supervision_note", context=NOTE)
    row = email_row()
    assert outbox_deliver_due() == DeliveryReport(sent=2)  # the e-mail and the in-app message
    (sent,) = mail.outbox
    assert (sent.to, sent.subject, sent.body, sent.from_email) == (
        ["reviewer1@example.cn"],
        "督办",
        NOTE_TEXT,
        "全办 <noreply@quanban.local>",
    )
    assert sent.extra_headers["Message-ID"] == f"<{row.pk}@quanban.local>"
    assert sent.message()["Message-ID"] == f"<{row.pk}@quanban.local>"
    assert sent.extra_headers["X-Quanban-Outbox-Id"] == str(row.pk)
    row.refresh_from_db()
    assert (row.state, row.attempts, row.sent_at, row.last_error) == ("sent", 1, at(10), "")
    assert row.gateway_message_id == f"<{row.pk}@quanban.local>"
    # Nothing is sent twice.
    assert outbox_deliver_due() == DeliveryReport()
    assert len(mail.outbox) == 1


def test_a_refused_address_fails_for_good(emailing, settings):
    settings.EMAIL_BACKEND = "tests.notify.test_delivery.RefusingMailServer"
    notify_user(user=emailing, event="supervision_note", context=NOTE)
    assert outbox_deliver_due() == DeliveryReport(sent=1, failed=1)
    row = email_row()
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.last_error.startswith("SMTPRecipientsRefused")


def test_an_invalid_address_is_refused_before_the_server(frozen, settings):
    settings.EMAIL_BACKEND = LOCMEM
    message = outbox_enqueue(channel="email", recipient="not-an-address", body="x", subject="s")
    assert outbox_deliver_due() == DeliveryReport(failed=1)
    message.refresh_from_db()
    assert (message.state, message.last_error) == (
        "failed",
        "invalid e-mail address **************",
    )
    assert mail.outbox == []


def test_a_mail_server_that_is_down_is_retried(emailing, settings):
    settings.EMAIL_BACKEND = "tests.notify.test_delivery.DownMailServer"
    notify_user(user=emailing, event="supervision_note", context=NOTE)
    assert outbox_deliver_due() == DeliveryReport(sent=1, retrying=1)
    row = email_row()
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert row.next_attempt_at == at(10) + dt.timedelta(seconds=60)


# --- The restart: the worker stops between send and mark ----------------------------------------


def test_email_sent_but_not_marked_is_sent_again_and_marked_once(frozen, settings):
    settings.EMAIL_BACKEND = "tests.notify.test_delivery.DyingMailBackend"
    DyingMailBackend.deaths = 0
    row = outbox_enqueue(
        channel="email", recipient="reviewer1@example.cn", subject="督办", body=NOTE_TEXT
    )

    with pytest.raises(WorkerDied):
        outbox_deliver_due()
    assert len(mail.outbox) == 1  # the server has it
    row.refresh_from_db()
    # Claimed, not marked: hidden from other workers for the lease, then due again.
    assert (row.state, row.attempts, row.sent_at) == ("pending", 1, None)
    assert row.next_attempt_at == at(10) + dt.timedelta(seconds=CLAIM_LEASE_S)
    assert outbox_deliver_due() == DeliveryReport()  # a restarted worker waits for the lease

    frozen.shift(dt.timedelta(seconds=CLAIM_LEASE_S))
    assert outbox_deliver_due() == DeliveryReport(sent=1)
    row.refresh_from_db()
    assert (row.state, row.attempts, row.sent_at) == ("sent", 2, at(10, 5))
    assert outbox_deliver_due() == DeliveryReport()
    row.refresh_from_db()
    assert (row.state, row.attempts, row.sent_at) == ("sent", 2, at(10, 5))

    # Delivered twice, under one id: a receiver keyed by Message-ID keeps one copy.
    ids = [sent.message()["Message-ID"] for sent in mail.outbox]
    assert ids == [f"<{row.pk}@quanban.local>"] * 2
    inbox = {sent.message()["Message-ID"]: sent.body for sent in mail.outbox}
    assert inbox == {f"<{row.pk}@quanban.local>": NOTE_TEXT}


def test_sms_sent_but_not_marked_is_sent_again_and_marked_once(frozen, settings):
    settings.SMS_ADAPTER = "tests.notify.test_delivery.DyingGateway"
    DyingGateway.received = []
    message = outbox_enqueue(channel="sms", recipient="13812345678", body="您的办件已受理")

    with pytest.raises(WorkerDied):
        outbox_deliver_due()
    message.refresh_from_db()
    assert (message.state, message.attempts, message.sent_at) == ("pending", 1, None)
    assert outbox_deliver_due() == DeliveryReport()

    frozen.shift(dt.timedelta(seconds=CLAIM_LEASE_S))
    assert outbox_deliver_due() == DeliveryReport(sent=1)
    frozen.shift(dt.timedelta(seconds=CLAIM_LEASE_S))
    assert outbox_deliver_due() == DeliveryReport()
    message.refresh_from_db()
    assert (message.state, message.attempts, message.sent_at) == ("sent", 2, at(10, 5))
    assert message.gateway_message_id.startswith("sandbox-")

    # The phone got it twice, with the same outbox id; a receiver keyed by it keeps one.
    assert DyingGateway.received == [(str(message.pk), "您的办件已受理")] * 2
    assert dict(DyingGateway.received) == {str(message.pk): "您的办件已受理"}
    # The sandbox kept no stray rows: both sends were recorded on the outbox row itself.
    assert OutboxMessage.objects.count() == 1
