"""Background work of the API: forget Idempotency-Keys once they are older than a day."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from quanban.api.idempotency import idempotency_purge
from quanban.core.context import Actor, acting_as

WORKER = Actor(channel="worker")


@db_periodic_task(crontab(minute="17"))
def idempotency_purge_hourly() -> int:
    with acting_as(WORKER):
        return idempotency_purge()
