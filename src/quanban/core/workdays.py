"""Working-day arithmetic: the one module that knows which days count.

Chinese statutory limits count working days: Monday to Friday, minus statutory holidays, plus the
make-up Saturdays and Sundays (调休). The truth is the ``CalendarDay`` table (seeded from the
``chinesecalendar`` package by ``quanban migrate``, extended by administrators); a year without a
``CalendarYear`` row is *not covered* and every question touching it raises
:class:`CalendarNotCovered` instead of guessing.

Definitions (all dates are calendar dates in the city's time zone, never datetimes):

- ``add_working_days(d, n)``: the n-th working day after ``d``; ``d`` itself never counts, whether
  or not it is a working day. ``n = 0`` returns ``d`` unchanged (and needs no calendar data).
  ``n < 0`` is refused.
- ``count_working_days(start, end)``: the number of working days in ``(start, end]`` — after
  ``start``, up to and including ``end``. ``0`` when ``end == start``; when ``end < start`` it is
  minus the count over ``(end, start]``, so ``count(a, b) + count(b, c) == count(a, c)`` always, and
  ``count(d, add_working_days(d, n)) == n``.
- ``next_working_day(d)``: the first working day strictly after ``d``, i.e.
  ``add_working_days(d, 1)``.

Speed: each covered year is held in process memory as a sorted tuple of its working days'
ordinals, so every call is a dictionary lookup and a binary search or two. The cache is dropped by
:func:`invalidate` (the calendar services call it on every write, and again on commit); other
processes notice a change within ``RECHECK_SECONDS``, when they compare each year's ``updated_at``
with the database's.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from quanban.core.errors import ApplicationError, ValidationFailed
from quanban.core.models import CalendarDay, CalendarYear

RECHECK_SECONDS = 60.0
_DATE = dt.date


class CalendarNotCovered(ApplicationError):
    """The calendar has no data for a year; an administrator must load that year's schedule."""

    code = "calendar_year_not_covered"
    status = 422

    def __init__(self, year: int) -> None:
        super().__init__(
            _("工作日历中没有 %(year)s 年的数据，请系统管理员先录入该年的节假日安排。")
            % {"year": year},
            extra={"year": year},
        )
        self.year = year


@dataclass(frozen=True)
class _Year:
    work: tuple[int, ...]  # ordinals of the year's working days, ascending
    work_set: frozenset[int]


class _Cache:
    """Covered years (with their ``updated_at``) and the loaded years' working days."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.covered: dict[int, dt.datetime] | None = None
        self.years: dict[int, _Year] = {}
        self.fresh_until = 0.0  # monotonic time until which ``covered`` is trusted

    def clear(self) -> None:
        with self.lock:
            self.covered = None
            self.years = {}
            self.fresh_until = 0.0

    def year(self, year: int, _monotonic: Callable[[], float] = time.monotonic) -> _Year:
        # The hot path: one clock read and one dictionary lookup.
        if _monotonic() < self.fresh_until:
            found = self.years.get(year)
            if found is not None:
                return found
        return self._slow(year)

    def _slow(self, year: int) -> _Year:
        covered = self.covered
        if covered is None or time.monotonic() >= self.fresh_until:
            covered = self._refresh()
        found = self.years.get(year)
        if found is not None:
            return found
        if year not in covered:
            raise CalendarNotCovered(year)
        return self._load(year)

    def _refresh(self) -> dict[int, dt.datetime]:
        fresh = dict(CalendarYear.objects.values_list("year", "updated_at"))
        with self.lock:
            old = self.covered or {}
            # Keep loaded years whose data has not changed since they were read.
            self.years = {
                y: data for y, data in self.years.items() if y in fresh and fresh[y] == old.get(y)
            }
            self.covered = fresh
            self.fresh_until = time.monotonic() + RECHECK_SECONDS
        return fresh

    def _load(self, year: int) -> _Year:
        work = tuple(
            d.toordinal()
            for d in CalendarDay.objects.filter(
                date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31), is_workday=True
            )
            .order_by("date")
            .values_list("date", flat=True)
        )
        data = _Year(work=work, work_set=frozenset(work))
        with self.lock:
            self.years = {**self.years, year: data}
        return data


_cache = _Cache()
_year = _cache.year


def invalidate() -> None:
    """Forget everything cached; the next question reads the calendar again."""
    _cache.clear()


def _check_date(d: dt.date) -> None:
    # A datetime is a date too, but its day depends on the time zone: make callers choose.
    if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
        raise TypeError(f"working-day arithmetic takes a date, not {type(d).__name__!r}")


def year_is_covered(year: int) -> bool:
    try:
        _cache.year(year)
    except CalendarNotCovered:
        return False
    return True


def is_working_day(d: dt.date) -> bool:
    """Is ``d`` a working day (an ordinary weekday that is no holiday, or a make-up day)?"""
    if type(d) is not _DATE:
        _check_date(d)
    return d.toordinal() in _year(d.year).work_set


def add_working_days(d: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``d`` (``d`` itself never counts); ``d`` when ``n == 0``."""
    if type(d) is not _DATE:
        _check_date(d)
    if n < 0:
        raise ValidationFailed(
            _("工作日天数不能为负数。"), code="working_days_negative", field="days"
        )
    if n == 0:
        return d
    ordinal = d.toordinal()
    year = d.year
    work = _year(year).work
    index = bisect.bisect_right(work, ordinal)
    while index + n > len(work):
        n -= len(work) - index
        year += 1
        work = _year(year).work
        index = 0
    return dt.date.fromordinal(work[index + n - 1])


def next_working_day(d: dt.date) -> dt.date:
    """The first working day strictly after ``d``."""
    return add_working_days(d, 1)


def count_working_days(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``; negative when ``end < start``."""
    if type(start) is not _DATE or type(end) is not _DATE:
        _check_date(start)
        _check_date(end)
    if end < start:
        return -count_working_days(end, start)
    if end == start:
        return 0
    low, high = start.toordinal(), end.toordinal()
    total = 0
    # The days counted are start+1 .. end, so start's own year need not be covered.
    first_year = start.year + (start.month == 12 and start.day == 31)
    for year in range(first_year, end.year + 1):
        work = _year(year).work
        total += bisect.bisect_right(work, high) - bisect.bisect_right(work, low)
    return total
