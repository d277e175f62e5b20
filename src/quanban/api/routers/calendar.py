"""The working-day calendar: public arithmetic and schedules; corrections for calendar editors."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from quanban.core import workdays
from quanban.core.models import CalendarDay, CalendarYear
from quanban.core.services import calendar_day_set

router = Router()

MAX_DAYS = 3650  # ten years of working days is far beyond any statutory limit


class AddIn(Schema):
    date: dt.date = Field(description="起算日 (ISO date); it never counts itself")
    days: int = Field(ge=0, le=MAX_DAYS, description="工作日天数 N")


class AddOut(Schema):
    date: dt.date
    days: int
    result: dt.date = Field(description="the N-th working day after `date`")


class CountIn(Schema):
    start: dt.date
    end: dt.date


class CountOut(Schema):
    start: dt.date
    end: dt.date
    working_days: int = Field(
        description="working days after `start` up to and including `end`; negative if end < start"
    )


class DayOut(Schema):
    date: dt.date
    is_workday: bool
    kind: str = Field(description="workday | weekend | holiday | makeup_workday")
    name: str = Field(description="the holiday the day belongs to, e.g. 春节; may be empty")


class YearOut(Schema):
    year: int
    source: str
    note: str
    updated_at: dt.datetime
    days: list[DayOut] = Field(description="holidays and make-up working days, by date")


class DaySetIn(Schema):
    is_workday: bool
    name: str = Field("", max_length=64, description="holiday name, e.g. 国庆节")


def _day_out(day: CalendarDay) -> DayOut:
    return DayOut(date=day.date, is_workday=day.is_workday, kind=day.kind, name=day.name)


@router.get("/add", response=AddOut, auth=None, summary="Add working days / 计算第 N 个工作日")
def add(request: HttpRequest, params: Query[AddIn]) -> AddOut:
    result = workdays.add_working_days(params.date, params.days)
    return AddOut(date=params.date, days=params.days, result=result)


@router.get("/count", response=CountOut, auth=None, summary="Count working days / 计算工作日数")
def count(request: HttpRequest, params: Query[CountIn]) -> CountOut:
    total = workdays.count_working_days(params.start, params.end)
    return CountOut(start=params.start, end=params.end, working_days=total)


@router.get(
    "/years/{year}", response=YearOut, auth=None, summary="A year's holidays / 年度节假日安排"
)
def year_schedule(request: HttpRequest, year: int = Path(..., ge=1, le=9999)) -> YearOut:
    if not workdays.year_is_covered(year):
        raise workdays.CalendarNotCovered(year)
    calendar_year = CalendarYear.objects.get(year=year)
    days = CalendarDay.objects.filter(
        date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
    ).exclude(kind__in=[CalendarDay.Kind.WORKDAY, CalendarDay.Kind.WEEKEND])
    return YearOut(
        year=calendar_year.year,
        source=calendar_year.source,
        note=calendar_year.note,
        updated_at=calendar_year.updated_at,
        days=[_day_out(day) for day in days.order_by("date")],
    )


@router.put("/days/{date}", response=DayOut, summary="Correct one day / 更正某日")
def day_set(request: HttpRequest, date: dt.date, payload: DaySetIn) -> DayOut:
    day = calendar_day_set(
        user=request.user, date=date, is_workday=payload.is_workday, name=payload.name
    )
    return _day_out(day)
