"""Working-day arithmetic: Quanban's calendar module beside the chinesecalendar package.

Every due date in the platform is computed here, so it must be cheap. The baseline is the
``chinesecalendar`` package's own ``find_workday`` (the library the calendar is seeded from), run on
the same random questions in the same run; ``ratio`` is Quanban's rate over the baseline's.
"""

from __future__ import annotations

import datetime as dt
import random

import chinese_calendar

from bench.harness import Result, rate
from quanban.core import workdays

SIZES = {"quick": 20_000, "full": 200_000}


def run(size: str) -> Result:
    n = SIZES[size]
    rng = random.Random(2026)
    start = dt.date(2024, 1, 1)
    # Start on working days: from a holiday, find_workday counts the next working day as day 0,
    # while Quanban answers "the Nth working day after" the date, as the statutes count.
    questions: list[tuple[dt.date, int]] = []
    while len(questions) < n:
        day = start + dt.timedelta(days=rng.randrange(900))
        if chinese_calendar.is_workday(day):
            questions.append((day, rng.randrange(1, 61)))
    # Both must agree before either is timed.
    for day, days in questions[:500]:
        assert workdays.add_working_days(day, days) == chinese_calendar.find_workday(days, day)

    ours = iter(questions * 4)
    theirs = iter(questions * 4)

    def quanban_add() -> None:
        day, days = next(ours)
        workdays.add_working_days(day, days)

    def library_add() -> None:
        day, days = next(theirs)
        chinese_calendar.find_workday(days, day)

    quanban_rate = rate(quanban_add, n=n // 4, rounds=3)
    library_rate = rate(library_add, n=n // 4, rounds=3)
    ratio = quanban_rate / library_rate
    return Result(
        name="workdays",
        size=size,
        figures={
            "quanban_add_per_s": round(quanban_rate, 1),
            "chinesecalendar_add_per_s": round(library_rate, 1),
            "ratio": round(ratio, 2),
        },
        data={"questions": n, "max_days": 60},
        summary=(
            f"add N working days: {quanban_rate:,.0f}/s vs chinesecalendar {library_rate:,.0f}/s "
            f"(ratio {ratio:.1f}×)"
        ),
    )
