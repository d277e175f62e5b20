"""The case clock: due dates, time used and left, yellow and red — pure functions over the calendar.

Nothing here reads the database except through :mod:`quanban.core.workdays`, and nothing reads the
time: callers pass ``today`` (from :func:`quanban.core.clock.today`). Every function raises
:class:`~quanban.core.workdays.CalendarNotCovered` when a year it needs has no calendar data.

Definitions (all dates are calendar dates in the city's time zone):

- **The clock starts** on ``start`` (the day of acceptance), which never counts itself: the first
  day of the limit is the first working day after ``start`` (行政许可法 Art. 82 counts working
  days; this is :func:`~quanban.core.workdays.add_working_days`'s convention).
- **A suspension** (挂起/中止: 补正, 现场核查, 技术审查, 专家评审, 听证 …) covers the calendar days
  from ``Suspension.start`` through ``Suspension.end``, *both inclusive*: a working day ``d`` with
  ``start <= d <= end`` does not count; the clock runs again on the first working day after
  ``end``. ``end=None`` means the suspension is still running. Suspensions may overlap or come in
  any order: they are merged first. Days of a suspension on or before the clock's start change
  nothing (those days never count anyway).
- **A counted day** is a working day after ``start`` that no suspension covers.
- **The due date** is the counted day on which the limit (plus every extension, 延长审批) runs out:
  the ``limit + extensions``-th counted day. A total of 0 (即办件) is due on ``start`` itself.
  While a suspension that began before the limit ran out is still open, the due date is unknown
  and :func:`due_date` returns ``None``: it moves by however long the suspension lasts, and
  guessing "as if it ended today" would show a date that is wrong tomorrow. A suspension that
  begins after the limit has run out does not move the due date (the case is already late).
- **Working days used** on ``today`` are the counted days in ``(start, today]`` — ``today`` counts
  as used, so on the due date itself ``working_days_left`` is 0 (still on time) and without
  suspensions ``working_days_left == count_working_days(today, due)``.
- **Yellow** (预警) starts on the day the days left fall to ``max(min_days, ceil(percent % × total))``
  where ``total = limit + extensions`` (defaults: 1 working day or 20 %, whichever is later).
  **Red** (超期) is any day after the due date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from quanban.core.workdays import add_working_days, count_working_days

__all__ = [
    "Extension",
    "Suspension",
    "due_date",
    "is_red",
    "is_yellow",
    "merge_suspensions",
    "warn_date",
    "warning_threshold",
    "working_days_left",
    "working_days_used",
]

WARN_PERCENT = 20
WARN_MIN_DAYS = 1

_ONE_DAY = dt.timedelta(days=1)


def _require_date(value: object, name: str) -> None:
    # A datetime is a date too, but its day depends on the time zone: make callers choose.
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise TypeError(f"{name} must be a date, not {type(value).__name__!r}")


def _require_days(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


@dataclass(frozen=True)
class Suspension:
    """Days ``start`` through ``end`` (inclusive) do not count; ``end=None``: still running."""

    start: dt.date
    end: dt.date | None
    reason: str

    def __post_init__(self) -> None:
        _require_date(self.start, "Suspension.start")
        if self.end is not None:
            _require_date(self.end, "Suspension.end")
            if self.end < self.start:
                raise ValueError(
                    f"a suspension cannot end ({self.end.isoformat()}) "
                    f"before it starts ({self.start.isoformat()})"
                )
        if not self.reason.strip():
            raise ValueError("a suspension needs a reason")


@dataclass(frozen=True)
class Extension:
    """延长审批: ``days`` more working days, decided on ``decided_on`` (recorded, not counted)."""

    days: int
    reason: str
    decided_on: dt.date

    def __post_init__(self) -> None:
        _require_days(self.days, "Extension.days")
        _require_date(self.decided_on, "Extension.decided_on")
        if not self.reason.strip():
            raise ValueError("an extension needs a reason")


_Interval = tuple[dt.date, dt.date | None]


def merge_suspensions(suspensions: Sequence[Suspension]) -> list[_Interval]:
    """Disjoint ``(start, end)`` intervals in date order; overlapping or touching ones merged.

    Touching means the next one starts on the day after the previous one ends. An open suspension
    (``end=None``) swallows every later one.
    """
    merged: list[_Interval] = []
    for suspension in sorted(suspensions, key=lambda s: s.start):
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                continue
            if suspension.start <= last_end + _ONE_DAY:
                end = suspension.end
                merged[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        merged.append((suspension.start, suspension.end))
    return merged


def _total(limit_days: int, extensions: Sequence[Extension]) -> int:
    _require_days(limit_days, "limit_days")
    return limit_days + sum(extension.days for extension in extensions)


def _nth_counted_day(start: dt.date, n: int, intervals: list[_Interval]) -> dt.date | None:
    """The ``n``-th counted day after ``start``; ``start`` when ``n == 0``; None if an open
    suspension stops the clock before the ``n``-th day is reached."""
    if n == 0:
        return start
    cursor = start  # the clock has counted the working days in (start, cursor]
    remaining = n
    for first, last in intervals:
        if last is not None and last <= cursor:
            continue  # wholly before the clock (or an earlier interval's end): nothing to skip
        if first > cursor:
            candidate = add_working_days(cursor, remaining)
            if candidate < first:
                return candidate
            remaining -= count_working_days(cursor, first - _ONE_DAY)
        if last is None:
            return None
        cursor = last
    return add_working_days(cursor, remaining)


def due_date(
    start: dt.date,
    limit_days: int,
    suspensions: Sequence[Suspension] = (),
    extensions: Sequence[Extension] = (),
) -> dt.date | None:
    """The day the limit (plus extensions) runs out; None while an open suspension stops it."""
    _require_date(start, "start")
    return _nth_counted_day(start, _total(limit_days, extensions), merge_suspensions(suspensions))


def working_days_used(
    start: dt.date, today: dt.date, suspensions: Sequence[Suspension] = ()
) -> int:
    """Counted days in ``(start, today]``; 0 on or before ``start``.

    An open suspension covers every day from its start through ``today``.
    """
    _require_date(start, "start")
    _require_date(today, "today")
    if today <= start:
        return 0
    used = count_working_days(start, today)
    for first, last in merge_suspensions(suspensions):
        low = max(first, start + _ONE_DAY)
        high = today if last is None else min(last, today)
        if low <= high:
            used -= count_working_days(low - _ONE_DAY, high)
    return used


def working_days_left(
    start: dt.date,
    limit_days: int,
    today: dt.date,
    suspensions: Sequence[Suspension] = (),
    extensions: Sequence[Extension] = (),
) -> int:
    """Limit plus extensions minus the days used by ``today``; 0 on the due date, negative after.

    Known even while a suspension is open (it stays still until the suspension ends).
    """
    return _total(limit_days, extensions) - working_days_used(start, today, suspensions)


def warning_threshold(
    total_days: int, *, percent: int = WARN_PERCENT, min_days: int = WARN_MIN_DAYS
) -> int:
    """Days left at which yellow starts: ``max(min_days, ceil(percent / 100 × total_days))``."""
    _require_days(total_days, "total_days")
    _require_days(percent, "percent")
    _require_days(min_days, "min_days")
    # Integer ceiling: 0.2 * 15 in floating point is 3.0000000000000004, whose ceiling is 4.
    return max(min_days, -(-total_days * percent // 100))


def warn_date(
    start: dt.date,
    limit_days: int,
    suspensions: Sequence[Suspension] = (),
    extensions: Sequence[Extension] = (),
    *,
    percent: int = WARN_PERCENT,
    min_days: int = WARN_MIN_DAYS,
) -> dt.date | None:
    """The first day on which the days left are down to the warning threshold (yellow).

    ``start`` itself when the threshold is at least the whole limit (e.g. a limit of 1 or 0);
    None while an open suspension stops the clock before that day.
    """
    _require_date(start, "start")
    total = _total(limit_days, extensions)
    threshold = warning_threshold(total, percent=percent, min_days=min_days)
    return _nth_counted_day(start, max(0, total - threshold), merge_suspensions(suspensions))


def is_red(today: dt.date, due: dt.date | None) -> bool:
    """Past due (超期): any day after the due date. Never while the due date is unknown."""
    _require_date(today, "today")
    return due is not None and today > due


def is_yellow(today: dt.date, warn: dt.date | None, due: dt.date | None) -> bool:
    """In the warning time (预警): on or after the warn date and not yet red."""
    _require_date(today, "today")
    return warn is not None and today >= warn and not is_red(today, due)
