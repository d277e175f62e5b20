"""Writes to cases, by concept: intake (收件 … 受理), the clock's events, and the process runtime.

Callers import this package: ``from quanban.cases import services; services.case_accept(...)``.
"""

from quanban.cases.services._common import TRANSITIONS, case_number_next
from quanban.cases.services.intake import (
    case_accept,
    case_receive,
    case_refuse,
    case_request_supplement,
    case_submit_online,
)
from quanban.cases.services.runtime import (
    case_deliver,
    case_finish_on_the_spot,
    case_flag_lapsed_deferrals,
    case_route,
    case_supply_deferred,
    case_terminate,
    case_withdraw,
    task_claim,
    task_complete,
    task_release,
)
from quanban.cases.services.suspensions import case_extend, case_resume, case_suspend

__all__ = [
    "TRANSITIONS",
    "case_accept",
    "case_deliver",
    "case_extend",
    "case_finish_on_the_spot",
    "case_flag_lapsed_deferrals",
    "case_number_next",
    "case_receive",
    "case_refuse",
    "case_request_supplement",
    "case_resume",
    "case_route",
    "case_submit_online",
    "case_supply_deferred",
    "case_suspend",
    "case_terminate",
    "case_withdraw",
    "task_claim",
    "task_complete",
    "task_release",
]
