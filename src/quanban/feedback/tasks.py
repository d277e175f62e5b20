"""The worker's part of feedback: inviting applicants to rate once their result reached them."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from quanban.core.context import Actor, acting_as
from quanban.feedback.services import rating_invite_due

WORKER = Actor(channel="worker")


@db_periodic_task(crontab(minute="*/5"))
def rating_invite_periodic() -> int:
    with acting_as(WORKER):
        return rating_invite_due()


@db_periodic_task(crontab(minute="15"))
def ranking_hourly_periodic() -> list[str]:
    """末位: hourly, this month's provisional ranking; from a month's first working day, the
    month before closed once (and in January the year before)."""
    from quanban.feedback.rankings import ranking_compute_due

    with acting_as(WORKER):
        return ranking_compute_due()


@db_periodic_task(crontab(hour="3", minute="15"))
def ranking_year_nightly_periodic() -> str | None:
    """末位: nightly, this year's provisional ranking so far."""
    from quanban.feedback.rankings import ranking_year_refresh

    with acting_as(WORKER):
        return ranking_year_refresh()
