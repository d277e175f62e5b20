"""The card sweep, every minute (it catches up by itself after the worker was down)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from quanban.core.context import Actor, acting_as
from quanban.supervision.services import SweepReport, card_sweep

WORKER = Actor(channel="worker")


@db_periodic_task(crontab(minute="*"))
def card_sweep_periodic() -> SweepReport:
    with acting_as(WORKER):
        return card_sweep()
