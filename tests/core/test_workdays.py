"""Working-day arithmetic against the real 2025 and 2026 schedules, and the calendar services."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest

from quanban.core import workdays
from quanban.core.audit import chain_verify
from quanban.core.context import acting_as, actor_for_user
from quanban.core.errors import Conflict, PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord, CalendarDay, CalendarYear
from quanban.core.services import calendar_day_set, calendar_year_load
from quanban.core.workdays import (
    CalendarNotCovered,
    add_working_days,
    count_working_days,
    is_working_day,
    next_working_day,
)
from tests import factories

D = dt.date.fromisoformat


def dates(first: str, last: str) -> list[dt.date]:
    start, end = D(first), D(last)
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


@pytest.fixture
def calendar_admin(city):
    return factories.make_staff(city, factories.Role.SYSTEM_ADMIN, username="sysadmin")


# --- the seeded calendar ------------------------------------------------------------------------


def test_seeded_years_are_exactly_the_package_years(work_calendar):
    package_years = {d.year for d in chinese_calendar.holidays}
    years = list(CalendarYear.objects.values_list("year", "source"))
    assert years == [(y, "chinesecalendar") for y in range(2004, max(package_years) + 1)]
    assert min(package_years) == 2004
    assert max(package_years) >= 2026
    # every day of every covered year is stored
    assert CalendarDay.objects.count() == sum(
        366 if y % 4 == 0 and (y % 100 or y % 400 == 0) else 365 for y, _ in years
    )


def test_seeded_days_agree_with_the_package_on_every_day(work_calendar):
    for day in CalendarDay.objects.all():
        assert day.is_workday == chinese_calendar.is_workday(day.date), day.date


@pytest.mark.parametrize(
    "day",
    [
        "2026-01-04",  # Sun, make-up day for 元旦
        "2026-02-14",  # Sat, make-up day for 春节
        "2026-02-28",  # Sat, make-up day for 春节
        "2026-05-09",  # Sat, make-up day for 劳动节
        "2026-09-20",  # Sun, make-up day for 国庆节
        "2026-10-10",  # Sat, make-up day for 国庆节
        "2025-01-26",  # Sun, make-up day for 春节
        "2025-02-08",  # Sat, make-up day for 春节
        "2025-04-27",  # Sun, make-up day for 劳动节
        "2025-09-28",  # Sun, make-up day for 国庆节
        "2025-10-11",  # Sat, make-up day for 国庆节
    ],
)
def test_make_up_weekend_days_are_working_days(work_calendar, day):
    date = D(day)
    assert chinese_calendar.is_workday(date)  # the package agrees
    assert date.weekday() >= 5
    assert is_working_day(date) is True
    row = CalendarDay.objects.get(date=date)
    assert (row.kind, row.is_workday) == ("makeup_workday", True)


@pytest.mark.parametrize(
    ("first", "last", "name"),
    [
        ("2026-01-01", "2026-01-03", "元旦"),
        ("2026-02-15", "2026-02-23", "春节"),
        ("2026-04-04", "2026-04-06", "清明"),
        ("2026-05-01", "2026-05-05", "劳动节"),
        ("2026-06-19", "2026-06-21", "端午"),
        ("2026-09-25", "2026-09-27", "中秋"),
        ("2026-10-01", "2026-10-07", "国庆节"),
        ("2025-01-28", "2025-02-04", "春节"),
        ("2025-05-01", "2025-05-05", "劳动节"),
    ],
)
def test_holiday_spans_are_days_off_with_their_name(work_calendar, first, last, name):
    for date in dates(first, last):
        assert not chinese_calendar.is_workday(date)
        assert is_working_day(date) is False, date
    rows = CalendarDay.objects.filter(date__gte=D(first), date__lte=D(last))
    assert {(r.kind, r.name) for r in rows} == {("holiday", name)}


def test_national_day_2025_runs_1_to_8_october_with_mid_autumn_on_the_6th(work_calendar):
    assert [is_working_day(d) for d in dates("2025-09-30", "2025-10-09")] == [
        True, False, False, False, False, False, False, False, False, True,
    ]  # fmt: skip
    names = dict(
        CalendarDay.objects.filter(
            date__gte=D("2025-10-01"), date__lte=D("2025-10-08")
        ).values_list("date", "name")
    )
    assert names[D("2025-10-06")] == "中秋"
    assert {names[d] for d in dates("2025-10-01", "2025-10-08") if d != D("2025-10-06")} == {
        "国庆节"
    }


def test_ordinary_days(work_calendar):
    assert is_working_day(D("2026-03-02")) is True  # Monday
    assert is_working_day(D("2026-03-07")) is False  # Saturday
    assert CalendarDay.objects.get(date=D("2026-03-07")).kind == "weekend"
    assert CalendarDay.objects.get(date=D("2026-03-02")).kind == "workday"


# --- arithmetic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-02-13", 0, "2026-02-13"),  # zero working days after a day is the day itself
        ("2026-02-14", 0, "2026-02-14"),
        ("2026-02-12", 1, "2026-02-13"),  # Thu → Fri
        ("2026-02-13", 1, "2026-02-14"),  # Fri → make-up Saturday
        ("2026-02-13", 2, "2026-02-24"),  # then nine days of 春节
        ("2026-02-13", 5, "2026-02-27"),
        ("2026-02-13", 6, "2026-02-28"),  # make-up Saturday
        ("2026-02-13", 7, "2026-03-02"),
        ("2026-02-15", 1, "2026-02-24"),  # from inside the holiday
        ("2026-09-18", 1, "2026-09-20"),  # Fri → make-up Sunday
        ("2026-09-30", 1, "2026-10-08"),  # over 国庆节
        ("2026-09-30", 3, "2026-10-10"),  # make-up Saturday
        ("2026-09-30", 4, "2026-10-12"),
        ("2025-12-31", 1, "2026-01-04"),  # across the year, 元旦 1–3, make-up Sunday
        ("2025-01-24", 1, "2025-01-26"),  # Fri → make-up Sunday
        ("2025-01-26", 1, "2025-01-27"),
        ("2025-01-27", 1, "2025-02-05"),  # over 春节 2025
        ("2025-02-07", 1, "2025-02-08"),  # make-up Saturday
        ("2025-09-26", 1, "2025-09-28"),
        ("2025-09-30", 1, "2025-10-09"),  # over 国庆节 + 中秋 2025
        ("2025-10-10", 1, "2025-10-11"),
        ("2025-10-10", 2, "2025-10-13"),
        ("2026-01-05", 20, "2026-02-02"),  # a statutory 20 working days
    ],
)
def test_add_working_days(work_calendar, start, n, expected):
    assert add_working_days(D(start), n) == D(expected)
    # The package, walked one day at a time, agrees.
    if n:
        day, left = D(start), n
        while left:
            day += dt.timedelta(days=1)
            left -= chinese_calendar.is_workday(day)
        assert day == D(expected)


def test_add_working_days_across_many_years(work_calendar):
    start = D("2004-01-01")
    total = sum(chinese_calendar.is_workday(d) for d in dates("2004-01-02", "2026-12-31"))
    last = max(d for d in dates("2026-12-01", "2026-12-31") if chinese_calendar.is_workday(d))
    assert add_working_days(start, total) == last
    assert count_working_days(start, last) == total


def test_next_working_day_is_strictly_after(work_calendar):
    assert next_working_day(D("2026-02-24")) == D("2026-02-25")
    assert next_working_day(D("2026-02-14")) == D("2026-02-24")
    assert next_working_day(D("2026-10-01")) == D("2026-10-08")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-02-13", "2026-02-13", 0),
        ("2026-02-13", "2026-02-14", 1),  # make-up Saturday counts
        ("2026-02-13", "2026-02-23", 1),  # the holiday does not
        ("2026-02-13", "2026-02-24", 2),
        ("2026-02-13", "2026-02-28", 6),  # = add_working_days(2/13, 6)
        ("2026-02-24", "2026-02-13", -2),  # end before start: minus the count the other way
        ("2026-09-30", "2026-10-10", 3),
        ("2026-01-01", "2026-12-31", 248),
        ("2025-01-01", "2025-12-31", 248),
        ("2025-12-31", "2026-01-05", 2),  # Sun 1/4 and Mon 1/5
        ("2025-01-24", "2025-02-08", 6),  # 1/26, 1/27, then 2/5, 2/6, 2/7 and make-up 2/8
    ],
)
def test_count_working_days(work_calendar, start, end, expected):
    assert count_working_days(D(start), D(end)) == expected
    if expected >= 0:
        assert expected == sum(
            chinese_calendar.is_workday(D(start) + dt.timedelta(days=i + 1))
            for i in range((D(end) - D(start)).days)
        )


def test_count_and_add_are_inverse(work_calendar):
    start = D("2025-09-15")
    for n in range(0, 60):
        assert count_working_days(start, add_working_days(start, n)) == n


def test_count_is_additive(work_calendar):
    a, b, c = D("2025-01-20"), D("2025-10-05"), D("2026-02-20")
    assert count_working_days(a, b) + count_working_days(b, c) == count_working_days(a, c)
    assert count_working_days(c, a) == -count_working_days(a, c)


def test_negative_days_are_refused(work_calendar):
    with pytest.raises(ValidationFailed) as caught:
        add_working_days(D("2026-01-05"), -1)
    assert caught.value.code == "working_days_negative"


def test_datetimes_are_refused(work_calendar):
    with pytest.raises(TypeError):
        is_working_day(dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC))  # type: ignore[arg-type]


# --- uncovered years ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: is_working_day(D("2027-01-04")),
        lambda: add_working_days(D("2026-12-30"), 2),  # 12/31 is the year's last working day
        lambda: next_working_day(D("2026-12-31")),
        lambda: count_working_days(D("2026-12-01"), D("2027-01-10")),
        lambda: count_working_days(D("2027-01-10"), D("2026-12-01")),
    ],
)
def test_2027_is_not_covered(work_calendar, call):
    with pytest.raises(CalendarNotCovered) as caught:
        call()
    error = caught.value
    assert (error.code, error.status, error.year) == ("calendar_year_not_covered", 422, 2027)
    assert "2027" in str(error)


@pytest.mark.parametrize(
    "call",
    [
        lambda: is_working_day(D("2003-12-31")),
        lambda: add_working_days(D("2003-12-30"), 1),
        lambda: count_working_days(D("2003-06-01"), D("2004-01-05")),
    ],
)
def test_2003_is_not_covered(work_calendar, call):
    with pytest.raises(CalendarNotCovered) as caught:
        call()
    assert caught.value.year == 2003
    assert "2003" in str(caught.value)


def test_covered_years_edges(work_calendar):
    assert add_working_days(D("2026-12-30"), 1) == D("2026-12-31")
    # Counting starts after ``start``: the day before 2004 is never asked about.
    assert count_working_days(D("2003-12-31"), D("2004-01-05")) == 2  # 1/1 holiday; 1/2, 1/5
    assert add_working_days(D("2030-06-01"), 0) == D("2030-06-01")


# --- administrators: loading a year -------------------------------------------------------------

SCHEDULE_2027 = {
    "holidays": [*dates("2027-01-01", "2027-01-03"), *dates("2027-02-06", "2027-02-13")],
    "makeup_workdays": [D("2027-02-14"), D("2027-02-20")],
}


def load_2027(user, **overrides):
    kwargs = {**SCHEDULE_2027, "note": "国办发明电〔2026〕×号", **overrides}
    if "names" not in kwargs:
        listed = [*kwargs["holidays"], *kwargs["makeup_workdays"]]
        kwargs["names"] = {d: "元旦" if d.month == 1 else "春节" for d in listed}
    return calendar_year_load(user=user, year=2027, **kwargs)


def test_admin_loads_next_year_then_it_is_covered(work_calendar, calendar_admin):
    with pytest.raises(CalendarNotCovered):
        is_working_day(D("2027-01-04"))  # cached as uncovered before the load
    audit_before = AuditRecord.objects.count()

    with acting_as(actor_for_user(calendar_admin, channel="cli")):
        year = load_2027(calendar_admin)

    assert (year.year, year.source, year.note) == (2027, "admin", "国办发明电〔2026〕×号")
    assert CalendarDay.objects.filter(date__year=2027).count() == 365
    assert is_working_day(D("2027-01-04")) is True  # Monday
    assert is_working_day(D("2027-01-02")) is False
    assert is_working_day(D("2027-02-08")) is False  # Monday inside 春节
    assert is_working_day(D("2027-02-14")) is True  # make-up Sunday
    assert is_working_day(D("2027-02-20")) is True  # make-up Saturday
    assert is_working_day(D("2027-02-21")) is False  # ordinary Sunday
    assert add_working_days(D("2026-12-31"), 1) == D("2027-01-04")
    assert add_working_days(D("2027-02-05"), 1) == D("2027-02-14")
    assert CalendarDay.objects.get(date=D("2027-02-14")).kind == "makeup_workday"
    assert CalendarDay.objects.get(date=D("2027-02-13")).name == "春节"
    record = AuditRecord.objects.get(seq=AuditRecord.objects.count())
    assert AuditRecord.objects.count() == audit_before + 1
    assert (record.action, record.object_type, record.object_id) == (
        "calendar_year.load",
        "core.calendaryear",
        "2027",
    )
    assert (record.actor_id, record.actor_name, record.channel) == (
        calendar_admin.pk,
        "sysadmin",
        "cli",
    )
    assert record.changes["makeup_workdays"] == ["2027-02-14", "2027-02-20"]
    assert chain_verify() == (AuditRecord.objects.count(), None)


def test_loading_a_covered_year_again_needs_replace(work_calendar, calendar_admin):
    load_2027(calendar_admin)
    with pytest.raises(Conflict) as caught:
        load_2027(calendar_admin)
    assert caught.value.code == "calendar_year_exists"
    load_2027(calendar_admin, makeup_workdays=[D("2027-02-14")], replace=True)
    assert is_working_day(D("2027-02-20")) is False
    assert CalendarDay.objects.filter(date__year=2027).count() == 365


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"makeup_workdays": [D("2027-02-15")]}, "calendar_makeup_not_weekend"),
        ({"makeup_workdays": [D("2027-01-02")]}, "calendar_day_conflict"),
        ({"holidays": [D("2026-10-01")]}, "calendar_date_outside_year"),
        ({"names": {D("2027-03-01"): "植树节"}}, "calendar_name_not_applicable"),
    ],
)
def test_bad_schedules_are_refused_and_change_nothing(
    work_calendar, calendar_admin, overrides, code
):
    audit_before = AuditRecord.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        load_2027(calendar_admin, **overrides)
    assert caught.value.code == code
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert AuditRecord.objects.count() == audit_before


def test_a_user_without_calendar_edit_cannot_load_a_year(work_calendar, clerk):
    audit_before = AuditRecord.objects.count()
    with pytest.raises(PermissionDenied):
        load_2027(clerk)
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    assert AuditRecord.objects.count() == audit_before
    with pytest.raises(CalendarNotCovered):
        is_working_day(D("2027-01-04"))


# --- administrators: correcting a day -----------------------------------------------------------


def test_correcting_a_day_changes_the_arithmetic_at_once(work_calendar, calendar_admin):
    monday = D("2026-03-02")
    assert is_working_day(monday) is True  # now cached
    assert add_working_days(D("2026-02-27"), 2) == D("2026-03-02")  # 2/28 make-up, then Monday

    day = calendar_day_set(user=calendar_admin, date=monday, is_workday=False, name="特别休假")

    assert (day.is_workday, day.kind, day.name, day.source) == (
        False,
        "holiday",
        "特别休假",
        "admin",
    )
    assert is_working_day(monday) is False
    assert add_working_days(D("2026-02-27"), 2) == D("2026-03-03")
    record = AuditRecord.objects.order_by("-seq").first()
    assert record is not None
    assert (record.action, record.object_id) == ("calendar_day.set", "2026-03-02")
    assert record.changes == {
        "is_workday": [True, False],
        "kind": ["workday", "holiday"],
        "name": ["", "特别休假"],
        "source": ["chinesecalendar", "admin"],
    }


def test_making_a_saturday_a_working_day_makes_it_a_make_up_day(work_calendar, calendar_admin):
    saturday = D("2026-03-07")
    assert is_working_day(saturday) is False
    day = calendar_day_set(user=calendar_admin, date=saturday, is_workday=True, name="")
    assert (day.kind, day.is_workday) == ("makeup_workday", True)
    assert is_working_day(saturday) is True
    assert count_working_days(D("2026-03-06"), D("2026-03-09")) == 2


def test_setting_a_day_to_what_it_is_records_nothing(work_calendar, calendar_admin):
    audit_before = AuditRecord.objects.count()
    day = calendar_day_set(user=calendar_admin, date=D("2026-02-16"), is_workday=False, name="春节")
    assert (day.kind, day.source) == ("holiday", "chinesecalendar")
    assert AuditRecord.objects.count() == audit_before


def test_the_cache_notices_a_change_made_by_another_process(work_calendar, monkeypatch):
    """Another process's write reaches this one through the year's ``updated_at``."""
    monkeypatch.setattr(workdays, "RECHECK_SECONDS", 0.0)  # recheck on every call
    monday = D("2026-03-02")
    assert is_working_day(monday) is True
    # What another process's calendar_day_set writes, without touching this process's cache:
    CalendarDay.objects.filter(date=monday).update(is_workday=False, kind="holiday")
    assert is_working_day(monday) is True  # the year's stamp is unchanged: still cached
    CalendarYear.objects.filter(year=2026).update(updated_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert is_working_day(monday) is False
    assert is_working_day(D("2025-03-03")) is True  # other years are unaffected


def test_correcting_a_day_of_an_uncovered_year_is_refused(work_calendar, calendar_admin):
    with pytest.raises(CalendarNotCovered) as caught:
        calendar_day_set(user=calendar_admin, date=D("2027-01-04"), is_workday=False)
    assert caught.value.year == 2027
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_a_name_on_an_ordinary_working_day_is_refused(work_calendar, calendar_admin):
    with pytest.raises(ValidationFailed) as caught:
        calendar_day_set(user=calendar_admin, date=D("2026-03-02"), is_workday=True, name="x")
    assert caught.value.code == "calendar_name_not_applicable"


def test_a_user_without_calendar_edit_changes_nothing(work_calendar, clerk):
    monday = D("2026-03-02")
    before = CalendarDay.objects.values().get(date=monday)
    year_before = CalendarYear.objects.values().get(year=2026)
    audit_before = AuditRecord.objects.count()
    with pytest.raises(PermissionDenied) as caught:
        calendar_day_set(user=clerk, date=monday, is_workday=False, name="特别休假")
    assert caught.value.code == "forbidden"
    assert CalendarDay.objects.values().get(date=monday) == before
    assert CalendarYear.objects.values().get(year=2026) == year_before
    assert AuditRecord.objects.count() == audit_before
    assert is_working_day(monday) is True


def test_anonymous_callers_change_nothing(work_calendar):
    with pytest.raises(PermissionDenied):
        calendar_day_set(user=None, date=D("2026-03-02"), is_workday=False)
    assert CalendarDay.objects.get(date=D("2026-03-02")).is_workday is True
