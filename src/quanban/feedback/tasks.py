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
