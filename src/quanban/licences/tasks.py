"""The worker's part of the licences app: archiving closed cases (电子档案) every five minutes."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from quanban.core.context import Actor, acting_as
from quanban.licences.archives import archive_sweep

WORKER = Actor(channel="worker")


@db_periodic_task(crontab(minute="*/5"))
def archive_sweep_periodic() -> int:
    """Closed cases not archived yet, a batch a run (settings.ARCHIVE_SWEEP_BATCH)."""
    with acting_as(WORKER):
        return archive_sweep()
