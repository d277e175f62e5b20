"""Failed messages: an administrator sees them (recipients masked) and resends them, audited."""

from __future__ import annotations

import datetime as dt

import pytest

from quanban.accounts.roles import Role
from quanban.core.errors import Conflict, PermissionDenied
from quanban.core.models import AuditRecord
from quanban.notify.models import OutboxMessage
from quanban.notify.services import (
    DeliveryReport,
    outbox_deliver_due,
    outbox_enqueue,
    outbox_resend,
)
from tests import factories
from tests.api.clients import session_client
from tests.notify.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin(city):
    return factories.make_staff(city, Role.SYSTEM_ADMIN, username="sysadmin")


@pytest.fixture
def failed(frozen, settings):
    """An SMS that failed for good: the number was refused by the sandbox gateway."""
    settings.SMS_ADAPTER = "tests.notify.test_resend.FlakyGateway"
    FlakyGateway.down = True
    message = outbox_enqueue(channel="sms", recipient="13812345678", body="您的办件已受理")
    assert outbox_deliver_due() == DeliveryReport(failed=1)
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 1)
    return message


class FlakyGateway:
    """A gateway that refuses everything while ``down``, then behaves like the sandbox."""

    name = "flaky"
    down = True

    def send(self, *, to: str, text: str, reference: str) -> str:
        from quanban.notify.adapters import SandboxSmsAdapter, SmsRejected

        if type(self).down:
            raise SmsRejected("account suspended by the gateway")
        return SandboxSmsAdapter().send(to=to, text=text, reference=reference)


def test_failed_then_resend_then_sent(failed, sysadmin, frozen):
    FlakyGateway.down = False
    frozen.shift(dt.timedelta(minutes=30))
    outbox_resend(user=sysadmin, message=failed)
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.next_attempt_at, failed.last_error) == (
        "pending",
        0,
        at(10, 30),
        "",
    )
    assert outbox_deliver_due() == DeliveryReport(sent=1)
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.sent_at) == ("sent", 1, at(10, 30))
    record = AuditRecord.objects.get(action="outbox.resend")
    assert (record.object_type, record.object_id) == (
        "notify.outboxmessage",
        str(failed.pk),
    )
    assert record.changes == {
        "channel": "sms",
        "recipient": "138****5678",
        "event": "",
        "last_error": "account suspended by the gateway",
    }
    assert "您的办件已受理" not in str(record.changes)


def test_only_the_system_administrator_resends(failed, city):
    clerk = factories.make_staff(city, Role.WINDOW_CLERK)
    with pytest.raises(PermissionDenied):
        outbox_resend(user=clerk, message=failed)
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("failed", 1)
    assert not AuditRecord.objects.filter(action="outbox.resend").exists()


def test_a_message_that_did_not_fail_is_not_resent(frozen, sysadmin):
    message = outbox_enqueue(channel="sms", recipient="13812345678", body="x")
    with pytest.raises(Conflict) as error:
        outbox_resend(user=sysadmin, message=message)
    assert error.value.code == "outbox_not_failed"
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("pending", 0)


def test_an_expired_code_is_not_resent(frozen, sysadmin):
    message = outbox_enqueue(
        channel="sms",
        recipient="13812345678",
        body="您的验证码是 123456",
        expires_at=at(10, 5),
    )
    frozen.shift(dt.timedelta(minutes=6))
    assert outbox_deliver_due() == DeliveryReport(failed=1)
    with pytest.raises(Conflict) as error:
        outbox_resend(user=sysadmin, message=message)
    assert error.value.code == "outbox_expired"
    message.refresh_from_db()
    assert message.state == "failed"


def test_the_failed_page_masks_recipients_and_resends(failed, sysadmin):
    email = outbox_enqueue(channel="email", recipient="zhang.san@example.cn", body="x", subject="s")
    OutboxMessage.objects.filter(pk=email.pk).update(state="failed", last_error="550")
    client = session_client(sysadmin)
    page = client.get("/workbench/notifications/failed/").content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert "z********@example.cn" in page and "zhang.san" not in page
    assert "您的办件已受理" not in page  # administrators do not read message texts
    response = client.post(f"/workbench/notifications/failed/{failed.pk}/resend/")
    assert (response.status_code, response["Location"]) == (302, "/workbench/notifications/failed/")
    failed.refresh_from_db()
    assert failed.state == "pending"
    assert AuditRecord.objects.get(action="outbox.resend").actor_name == "sysadmin"


def test_an_applicants_user_name_is_their_number_and_is_masked_too(frozen):
    from quanban.notify.services import recipient_masked

    message = outbox_enqueue(channel="in_app", recipient="13812345678", body="x")
    assert recipient_masked(message) == "138****5678"
    staff_message = outbox_enqueue(channel="in_app", recipient="reviewer1", body="x")
    assert recipient_masked(staff_message) == "reviewer1"
