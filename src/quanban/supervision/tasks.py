"""The card sweep (tasks, cases, then follow-ups of bad ratings and complaints), every minute (it
catches up by itself after the worker was down)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from quanban.core.context import Actor, acting_as
from quanban.supervision.evaluation import evaluation_compute_previous_month
from quanban.supervision.followup_sweep import followup_card_sweep
from quanban.supervision.rollups import (
    RollupReport,
    dashboard_rollup_nightly,
    dashboard_rollup_refresh,
)
from quanban.supervision.sweep import SweepReport, card_sweep

WORKER = Actor(channel="worker")


@db_periodic_task(crontab(minute="*"))
def card_sweep_periodic() -> SweepReport:
    with acting_as(WORKER):
        report = card_sweep()
        report.add(followup_card_sweep())
        return report


@db_periodic_task(crontab(minute="5"))
def evaluation_monthly_periodic() -> int | None:
    """绩效评估: hourly, a look whether today is on or after this month's first working day and
    the month before is still to compute (then it is computed, once)."""
    with acting_as(WORKER):
        evaluation = evaluation_compute_previous_month()
    return evaluation.pk if evaluation is not None else None


@db_periodic_task(crontab(minute="*/10"))
def dashboard_rollup_periodic() -> RollupReport | None:
    """数据看板: the rollup of the days since the last run began (docs/dashboards.md)."""
    with acting_as(WORKER):
        return dashboard_rollup_refresh()


@db_periodic_task(crontab(hour="2", minute="30"))
def dashboard_rollup_nightly_periodic() -> RollupReport:
    """数据看板: every night, the last month's days again."""
    with acting_as(WORKER):
        return dashboard_rollup_nightly()
