"""The case clock on the real 2025 and 2026 schedules, with dates worked out by hand.

2026 中秋/国庆: 9/25–9/27 and 10/1–10/7 off, Sun 9/20 and Sat 10/10 working. A case accepted on
Fri 2026-09-25 counts: 9/28 (1), 9/29 (2), 9/30 (3), 10/8 (4), 10/9 (5), Sat 10/10 (6),
10/12–10/16 (7–11), 10/19–10/23 (12–16), 10/26 (17), 10/27 (18), 10/28 (19), 10/29 (20), 10/30 (21),
11/2–11/6 (22–26), 11/9–11/12 (27–30).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import chinese_calendar
import pytest

from quanban.cases.clock import (
    Extension,
    Suspension,
    due_date,
    is_red,
    is_yellow,
    merge_suspensions,
    warn_date,
    warning_threshold,
    working_days_left,
    working_days_used,
)
from quanban.core.workdays import CalendarNotCovered

D = dt.date.fromisoformat
ONE = dt.timedelta(days=1)

pytestmark = pytest.mark.django_db

NATIONAL_DAY = D("2026-09-25")  # the acceptance day of most cases below (itself a holiday)


def held(first: str, last: str | None, reason: str = "补正") -> Suspension:
    return Suspension(D(first), None if last is None else D(last), reason)


def extended(days: int) -> Extension:
    return Extension(days, "情况复杂，经负责人批准延长", D("2026-10-20"))


def reference_due(start: dt.date, n: int, suspensions: Sequence[Suspension] = ()) -> dt.date:
    """Day by day with the ``chinese_calendar`` package: an independent check of the arithmetic."""

    def suspended(d: dt.date) -> bool:
        return any(s.start <= d and (s.end is None or d <= s.end) for s in suspensions)

    day = start
    while n:
        day += ONE
        if chinese_calendar.is_workday(day) and not suspended(day):
            n -= 1
    return day


@pytest.fixture(autouse=True)
def _calendar(work_calendar):
    return work_calendar


# --- due dates across holidays with make-up days ------------------------------------------------


@pytest.mark.parametrize(
    ("start", "limit", "expected"),
    [
        # 中秋/国庆 2026, accepted on the holiday itself; Sat 10/10 counts
        ("2026-09-25", 20, "2026-10-29"),
        ("2026-09-25", 6, "2026-10-10"),
        ("2026-09-25", 3, "2026-09-30"),
        ("2026-09-25", 4, "2026-10-08"),
        # accepted the Friday before: Sun 9/20 is day 1
        ("2026-09-18", 1, "2026-09-20"),
        ("2026-09-18", 20, "2026-10-22"),
        # 春节 2026: Sat 2/14 and Sat 2/28 are working days, 2/15–2/23 off
        ("2026-02-06", 6, "2026-02-14"),
        ("2026-02-06", 7, "2026-02-24"),
        ("2026-02-06", 10, "2026-02-27"),
        ("2026-02-06", 11, "2026-02-28"),
        ("2026-02-06", 12, "2026-03-02"),
        ("2026-02-14", 1, "2026-02-24"),  # accepted on the make-up Saturday
        # 国庆 2025 (10/1–10/8 off, Sun 9/28 and Sat 10/11 working)
        ("2025-09-26", 1, "2025-09-28"),
        ("2025-09-26", 5, "2025-10-10"),
        ("2025-09-26", 6, "2025-10-11"),
        # across the new year into 2026 (元旦 1/1–1/3 off, Sun 1/4 working)
        ("2025-12-25", 4, "2025-12-31"),
        ("2025-12-25", 5, "2026-01-04"),
        ("2025-12-25", 10, "2026-01-09"),
    ],
)
def test_due_date_across_holidays(start, limit, expected):
    assert due_date(D(start), limit) == D(expected)
    assert reference_due(D(start), limit) == D(expected)


def test_a_limit_of_0_is_due_the_same_day():
    # 即办件: accepted and due on the same day, even on a holiday
    assert due_date(NATIONAL_DAY, 0) == NATIONAL_DAY
    assert due_date(D("2026-10-12"), 0) == D("2026-10-12")
    assert working_days_left(D("2026-10-12"), 0, D("2026-10-12")) == 0
    assert not is_red(D("2026-10-12"), D("2026-10-12"))
    assert is_red(D("2026-10-13"), D("2026-10-12"))


# --- suspensions --------------------------------------------------------------------------------


def test_a_suspension_of_3_working_days_moves_the_due_date_by_3_working_days():
    without = due_date(NATIONAL_DAY, 20)
    suspended = [held("2026-10-12", "2026-10-14")]  # Mon–Wed
    assert without == D("2026-10-29")
    assert due_date(NATIONAL_DAY, 20, suspended) == D("2026-11-03")  # 10/30, 11/2, 11/3
    assert reference_due(NATIONAL_DAY, 20, suspended) == D("2026-11-03")


def test_a_suspension_over_the_holiday_only_skips_its_working_days():
    # 9/30 .. 10/9 spans ten calendar days but only three working days: 9/30, 10/8, 10/9
    suspended = [held("2026-09-30", "2026-10-09", "现场核查")]
    assert due_date(NATIONAL_DAY, 20, suspended) == D("2026-11-03")


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("2026-10-12", "2026-10-12", "2026-10-30"),  # one day: start and end are both suspended
        ("2026-10-11", "2026-10-11", "2026-10-29"),  # a Sunday only: no working day skipped
        ("2026-10-10", "2026-10-11", "2026-10-30"),  # the make-up Saturday is skipped
        ("2026-09-25", "2026-09-28", "2026-10-30"),  # from the acceptance day: 9/28 skipped
        ("2026-09-01", "2026-09-24", "2026-10-29"),  # wholly before acceptance: nothing
        ("2026-09-01", "2026-09-28", "2026-10-30"),  # begun before acceptance: 9/28 skipped
        ("2026-10-29", "2026-10-29", "2026-10-30"),  # on the due date itself
        ("2026-10-30", "2026-11-20", "2026-10-29"),  # after the limit ran out: no effect
        ("2026-10-29", "2026-11-03", "2026-11-04"),  # 10/29, 10/30, 11/2, 11/3 skipped
    ],
)
def test_suspension_boundaries_are_inclusive(first, last, expected):
    suspended = [held(first, last)]
    assert due_date(NATIONAL_DAY, 20, suspended) == D(expected)
    assert reference_due(NATIONAL_DAY, 20, suspended) == D(expected)


def test_overlapping_and_out_of_order_suspensions_are_merged():
    suspended = [
        held("2026-10-13", "2026-10-16", "专家评审"),
        held("2026-10-12", "2026-10-14", "技术审查"),
        held("2026-10-14", "2026-10-14", "听证"),  # nested
        held("2026-10-19", "2026-10-19", "补正"),  # separate: 10/17 and 10/18 lie between
    ]
    assert merge_suspensions(suspended) == [
        (D("2026-10-12"), D("2026-10-16")),
        (D("2026-10-19"), D("2026-10-19")),
    ]
    # 10/12–10/16 and 10/19: six working days once, not eight
    assert due_date(NATIONAL_DAY, 20, suspended) == D("2026-11-06")
    assert reference_due(NATIONAL_DAY, 20, suspended) == D("2026-11-06")
    assert working_days_used(NATIONAL_DAY, D("2026-10-20"), suspended) == 7  # 6 + 10/20
    # the same suspension twice counts once
    twice = [held("2026-10-12", "2026-10-14"), held("2026-10-12", "2026-10-14")]
    assert due_date(NATIONAL_DAY, 20, twice) == D("2026-11-03")


def test_touching_suspensions_merge_and_a_later_open_one_is_swallowed():
    assert merge_suspensions(
        [
            held("2026-10-15", None, "专家评审"),
            held("2026-10-14", "2026-10-14"),
            held("2026-10-12", "2026-10-13"),
            held("2026-10-20", "2026-10-22"),
        ]
    ) == [(D("2026-10-12"), None)]
    assert merge_suspensions([held("2026-10-12", "2026-10-13"), held("2026-10-15", None)]) == [
        (D("2026-10-12"), D("2026-10-13")),
        (D("2026-10-15"), None),
    ]


def test_an_open_suspension_leaves_the_due_date_unknown_until_it_ends():
    running = [held("2026-10-12", None, "现场核查")]
    assert due_date(NATIONAL_DAY, 20, running) is None
    assert warn_date(NATIONAL_DAY, 20, running) is None
    assert not is_red(D("2026-12-31"), None)
    # the days left stand still while it runs: 6 used (9/28–9/30, 10/8–10/10)
    for today in ("2026-10-12", "2026-10-20", "2026-11-30"):
        assert working_days_used(NATIONAL_DAY, D(today), running) == 6
        assert working_days_left(NATIONAL_DAY, 20, D(today), running) == 14
    # it ends on 10/20: 7 working days skipped (10/12–10/16, 10/19, 10/20)
    ended = [held("2026-10-12", "2026-10-20", "现场核查")]
    assert due_date(NATIONAL_DAY, 20, ended) == D("2026-11-09")
    assert reference_due(NATIONAL_DAY, 20, ended) == D("2026-11-09")
    assert working_days_left(NATIONAL_DAY, 20, D("2026-10-21"), ended) == 13


def test_an_open_suspension_after_the_limit_ran_out_does_not_hide_the_due_date():
    late = [held("2026-10-30", None)]
    assert due_date(NATIONAL_DAY, 20, late) == D("2026-10-29")
    assert is_red(D("2026-11-02"), due_date(NATIONAL_DAY, 20, late))
    # it started on the due date itself, so that day no longer counts: unknown
    assert due_date(NATIONAL_DAY, 20, [held("2026-10-29", None)]) is None


# --- extensions ---------------------------------------------------------------------------------


def test_an_extension_of_10_days():
    assert due_date(NATIONAL_DAY, 20, extensions=[extended(10)]) == D("2026-11-12")
    assert due_date(NATIONAL_DAY, 30) == D("2026-11-12")
    assert due_date(NATIONAL_DAY, 20, extensions=[extended(4), extended(6)]) == D("2026-11-12")
    suspended = [held("2026-10-12", "2026-10-14")]
    assert due_date(NATIONAL_DAY, 20, suspended, [extended(10)]) == D("2026-11-17")
    assert reference_due(NATIONAL_DAY, 30, suspended) == D("2026-11-17")
    assert working_days_left(NATIONAL_DAY, 20, D("2026-10-29"), (), [extended(10)]) == 10


# --- days used and left, red --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "used"),
    [
        ("2026-09-24", 0),  # before acceptance
        ("2026-09-25", 0),  # the acceptance day never counts
        ("2026-09-28", 1),
        ("2026-10-07", 3),  # during the holiday
        ("2026-10-10", 6),  # the make-up Saturday counts
        ("2026-10-11", 6),
        ("2026-10-23", 16),
        ("2026-10-29", 20),
        ("2026-10-30", 21),
    ],
)
def test_working_days_used_and_left(today, used):
    assert working_days_used(NATIONAL_DAY, D(today)) == used
    assert working_days_left(NATIONAL_DAY, 20, D(today)) == 20 - used


def test_days_left_agree_with_the_due_date():
    due = due_date(NATIONAL_DAY, 20)
    assert due == D("2026-10-29")
    assert working_days_left(NATIONAL_DAY, 20, due) == 0
    assert not is_red(due, due)
    assert working_days_left(NATIONAL_DAY, 20, due + ONE) == -1
    assert is_red(due + ONE, due)
    suspended = [held("2026-10-12", "2026-10-14")]
    due = due_date(NATIONAL_DAY, 20, suspended)
    assert working_days_left(NATIONAL_DAY, 20, due, suspended) == 0
    assert working_days_left(NATIONAL_DAY, 20, D("2026-10-14"), suspended) == 14
    assert working_days_left(NATIONAL_DAY, 20, D("2026-10-15"), suspended) == 13


# --- yellow -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "threshold"),
    [(0, 1), (1, 1), (4, 1), (5, 1), (6, 2), (10, 2), (15, 3), (20, 4), (21, 5), (30, 6), (45, 9)],
)
def test_warning_threshold_is_1_day_or_20_percent_whichever_is_later(total, threshold):
    assert warning_threshold(total) == threshold


@pytest.mark.parametrize(
    ("start", "limit", "warn", "due"),
    [
        ("2026-09-25", 0, "2026-09-25", "2026-09-25"),
        ("2026-09-30", 1, "2026-09-30", "2026-10-08"),  # yellow from acceptance
        ("2026-09-25", 5, "2026-10-08", "2026-10-09"),  # 1 day left on the 4th day
        ("2026-09-25", 20, "2026-10-23", "2026-10-29"),  # 4 days left on the 16th day
        ("2026-02-06", 20, "2026-03-06", "2026-03-12"),  # across 春节: 16th day 3/6
    ],
)
def test_warn_date(start, limit, warn, due):
    assert warn_date(D(start), limit) == D(warn)
    assert due_date(D(start), limit) == D(due)
    threshold = warning_threshold(limit)
    assert working_days_left(D(start), limit, D(warn)) <= threshold
    if D(warn) > D(start):
        assert working_days_left(D(start), limit, D(warn) - ONE) > threshold
    assert is_yellow(D(warn), D(warn), D(due))
    assert is_yellow(D(due), D(warn), D(due))
    assert not is_yellow(D(due) + ONE, D(warn), D(due))  # red now
    assert not is_yellow(D(warn) - ONE, D(warn), D(due))


def test_warn_date_is_configurable():
    assert warn_date(NATIONAL_DAY, 20, percent=50) == D("2026-10-15")  # 10 left on day 10
    assert warn_date(NATIONAL_DAY, 20, min_days=5) == D("2026-10-22")  # 5 left on day 15
    assert warn_date(NATIONAL_DAY, 20, percent=0, min_days=0) == D("2026-10-29")
    assert warn_date(NATIONAL_DAY, 15) == D("2026-10-19")  # threshold 3, not 4 (no float error)


def test_warn_date_moves_with_suspensions_and_extensions():
    suspended = [held("2026-10-12", "2026-10-14")]
    assert warn_date(NATIONAL_DAY, 20, suspended) == D("2026-10-28")
    # extended to 30: threshold 6, warn on the 24th counted day
    assert warn_date(NATIONAL_DAY, 20, extensions=[extended(10)]) == D("2026-11-04")
    # a running suspension that began after the warn date leaves it known
    assert warn_date(NATIONAL_DAY, 20, [held("2026-10-26", None)]) == D("2026-10-23")


# --- refusals -----------------------------------------------------------------------------------


def test_a_suspension_ending_before_it_starts_is_refused():
    with pytest.raises(
        ValueError, match=r"cannot end \(2026-10-12\) before it starts \(2026-10-14\)"
    ):
        held("2026-10-14", "2026-10-12")


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: due_date(NATIONAL_DAY, -1), ValueError),
        (lambda: warn_date(NATIONAL_DAY, -1), ValueError),
        (lambda: warn_date(NATIONAL_DAY, 20, percent=-5), ValueError),
        (lambda: Extension(-3, "延长", D("2026-10-20")), ValueError),
        (lambda: Extension(3, "  ", D("2026-10-20")), ValueError),
        (lambda: Suspension(D("2026-10-12"), None, ""), ValueError),
        (lambda: Suspension(dt.datetime(2026, 10, 12, tzinfo=dt.UTC), None, "补正"), TypeError),
        (lambda: due_date(dt.datetime(2026, 10, 12, tzinfo=dt.UTC), 20), TypeError),
        (lambda: working_days_used(NATIONAL_DAY, dt.datetime(2026, 10, 12)), TypeError),
    ],
)
def test_bad_arguments_are_refused(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: due_date(D("2026-12-01"), 30),  # runs into 2027
        lambda: due_date(D("2026-12-01"), 5, [held("2026-12-02", "2027-01-10")]),
        lambda: warn_date(D("2026-12-01"), 30),
        lambda: working_days_used(D("2026-12-01"), D("2027-01-05")),
        lambda: working_days_left(D("2026-12-01"), 30, D("2027-01-05")),
        lambda: due_date(D("2027-01-04"), 1),
    ],
)
def test_a_year_without_calendar_data_raises(call):
    with pytest.raises(CalendarNotCovered) as caught:
        call()
    assert caught.value.year == 2027


def test_a_year_without_calendar_data_is_not_asked_when_not_needed():
    # December 2026 has enough working days, and the suspension in 2027 comes after the end.
    assert due_date(D("2026-12-01"), 5, [held("2027-01-04", "2027-01-10")]) == D("2026-12-08")
