"""Background delivery of the outbox: every minute, and at once when a message is queued."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from quanban.core.context import Actor, acting_as
from quanban.notify.services import DeliveryReport, outbox_deliver_due

WORKER = Actor(channel="worker")


@db_periodic_task(crontab(minute="*"))
def outbox_deliver_periodic() -> DeliveryReport:
    with acting_as(WORKER):
        return outbox_deliver_due()


@db_task()
def outbox_deliver_now() -> DeliveryReport:
    """Queued by ``outbox_enqueue`` after its transaction commits (the wake-up)."""
    with acting_as(WORKER):
        return outbox_deliver_due()
