"""Background work of the case runtime: flag 容缺 cases whose supply date has passed, daily."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from quanban.cases.services import case_flag_lapsed_deferrals
from quanban.core.context import Actor, acting_as

WORKER = Actor(channel="worker")


# Huey's schedule runs in UTC: 16:05 UTC is 00:05 in the city (Asia/Shanghai, no summer time).
@db_periodic_task(crontab(minute="5", hour="16"))
def deferrals_flag_daily() -> int:
    """Just after the city's midnight: yesterday was the last day to supply."""
    with acting_as(WORKER):
        return case_flag_lapsed_deferrals()


# 01:00 UTC is 09:00 in the city: a reminder read in the morning (quiet hours are kept anyway).
@db_periodic_task(crontab(minute="0", hour="1"))
def deferral_reminders_daily() -> int:
    """容缺: remind applicants of materials still owed, N working days before the supply date."""
    from quanban.cases.notifications import deferral_reminders_send

    with acting_as(WORKER):
        return deferral_reminders_send()
