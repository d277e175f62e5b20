"""The outbox and the SMS adapters: enqueue, wake-up, delivery, retries, failure."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.db import transaction

from quanban.notify import services
from quanban.notify.adapters import SandboxSmsAdapter, SmsAdapter, SmsUnavailable, sms_adapter
from quanban.notify.models import OutboxMessage
from quanban.notify.services import DeliveryReport, outbox_deliver_due, outbox_enqueue
from quanban.notify.tasks import outbox_deliver_periodic

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 5, 11, 8, 0, tzinfo=dt.UTC)
PHONE = "13812345678"


class BusyGateway:
    """A gateway that answers "busy" to every request, as real ones do under load."""

    name = "busy"
    calls = 0

    def send(self, *, to: str, text: str, reference: str) -> str:
        type(self).calls += 1
        raise SmsUnavailable("gateway busy (HTTP 503)")


@pytest.fixture
def frozen():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def enqueue(body="您的验证码是 123456", **kwargs):
    return outbox_enqueue(channel=OutboxMessage.Channel.SMS, recipient=PHONE, body=body, **kwargs)


def test_sandbox_is_an_sms_adapter(settings):
    settings.SMS_ADAPTER = "sandbox"
    assert isinstance(sms_adapter(), SandboxSmsAdapter)
    assert isinstance(sms_adapter(), SmsAdapter)


def test_delivery_marks_the_message_sent_and_logs_its_text(frozen, caplog):
    message = enqueue()
    with caplog.at_level(logging.INFO, logger="quanban.notify"):
        report = outbox_deliver_due()
    assert report == DeliveryReport(sent=1)
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT
    assert message.sent_at == START and message.attempts == 1 and message.last_error == ""
    assert message.gateway_message_id.startswith("sandbox-")
    logged = [r.getMessage() for r in caplog.records if r.name == "quanban.notify"]
    assert logged == [
        f"SMS (sandbox) {message.gateway_message_id} to 138****5678: 您的验证码是 123456"
    ]


def test_enqueue_wakes_the_worker_after_commit(frozen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = enqueue()
        assert OutboxMessage.objects.get(pk=message.pk).state == OutboxMessage.State.PENDING
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT


def test_enqueue_joins_the_callers_transaction(frozen):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue()
        raise RuntimeError("the business write failed")
    assert not OutboxMessage.objects.exists()


def test_periodic_task_delivers_due_messages(frozen):
    message = enqueue()
    outbox_deliver_periodic()
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.SENT


def test_messages_not_yet_due_are_left_alone(frozen):
    message = enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=START + dt.timedelta(minutes=5)
    )
    assert outbox_deliver_due() == DeliveryReport()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxMessage.State.PENDING, 0)


def test_the_sandbox_rejects_a_bad_number_for_good(frozen):
    message = outbox_enqueue(channel=OutboxMessage.Channel.SMS, recipient="12345", body="hi")
    assert outbox_deliver_due() == DeliveryReport(failed=1)
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.FAILED
    assert message.attempts == 1 and message.last_error == "invalid mobile number *****"
    assert message.gateway_message_id == ""


def test_an_expired_message_is_not_sent(frozen):
    message = enqueue(expires_at=START + dt.timedelta(minutes=5))
    frozen.shift(dt.timedelta(minutes=6))
    assert outbox_deliver_due() == DeliveryReport(failed=1)
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.FAILED
    assert message.last_error == "expired before it could be sent"


def test_a_busy_gateway_is_retried_with_back_off_then_given_up(frozen, settings):
    settings.SMS_ADAPTER = "tests.notify.test_sms.BusyGateway"
    BusyGateway.calls = 0
    message = enqueue()
    delays = []
    for attempt in range(1, services.MAX_ATTEMPTS):
        assert outbox_deliver_due() == DeliveryReport(retrying=1)
        message.refresh_from_db()
        assert (message.state, message.attempts) == (OutboxMessage.State.PENDING, attempt)
        assert message.last_error == "gateway busy (HTTP 503)"
        delay = message.next_attempt_at - services.clock.now()
        delays.append(int(delay.total_seconds()))
        # Not due yet: a second run right away does not call the gateway.
        assert outbox_deliver_due() == DeliveryReport()
        frozen.shift(delay)
    assert delays == [60, 120, 240, 480, 960]
    assert outbox_deliver_due() == DeliveryReport(failed=1)
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxMessage.State.FAILED, services.MAX_ATTEMPTS)
    assert BusyGateway.calls == services.MAX_ATTEMPTS


def test_retry_delay_is_capped_at_an_hour():
    assert [services.retry_delay_s(n) for n in (1, 2, 7, 8, 20)] == [60, 120, 3600, 3600, 3600]


def test_sandbox_records_a_direct_send_in_the_outbox(frozen):
    message_id = SandboxSmsAdapter().send(to=PHONE, text="直接发送", reference="not-an-outbox-id")
    row = OutboxMessage.objects.get()
    assert (row.state, row.recipient, row.body, row.gateway_message_id) == (
        OutboxMessage.State.SENT,
        PHONE,
        "直接发送",
        message_id,
    )
