"""Seed the working-day calendar with every year the ``chinesecalendar`` package covers.

Self-contained on purpose (historical models, no application imports): what this migration writes
must not change when application code does. Later years are added by administrators
(``calendar_year_load``); see docs/calendar.md.
"""

import datetime as dt

import chinese_calendar
from django.db import migrations
from django.utils import timezone

SOURCE = "chinesecalendar"


def package_years():
    """The years the package knows: it raises for anything outside min..max of its holidays."""
    years = {d.year for d in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


def holiday_name(value):
    """The package stores English names; the calendar keeps the Chinese one (e.g. 春节)."""
    try:
        return chinese_calendar.Holiday(value).chinese
    except ValueError:
        return str(value)[:64]


def year_days(CalendarDay, year):
    days = []
    day = dt.date(year, 1, 1)
    one = dt.timedelta(days=1)
    while day.year == year:
        weekend = day.weekday() >= 5
        if day in chinese_calendar.workdays:
            is_workday = True
            kind = "makeup_workday" if weekend else "workday"
            name = holiday_name(chinese_calendar.workdays[day]) if weekend else ""
        elif day in chinese_calendar.holidays:
            is_workday, kind = False, "holiday"
            name = holiday_name(chinese_calendar.holidays[day])
        else:
            is_workday = not weekend
            kind = "weekend" if weekend else "workday"
            name = ""
        days.append(
            CalendarDay(date=day, is_workday=is_workday, kind=kind, name=name, source=SOURCE)
        )
        day += one
    return days


def seed(apps, schema_editor):
    seed_database(apps, schema_editor.connection.alias)


def seed_database(apps, db):
    """Add every package year the database lacks (tests call it again after a flush)."""
    CalendarYear = apps.get_model("core", "CalendarYear")
    CalendarDay = apps.get_model("core", "CalendarDay")
    have = set(CalendarYear.objects.using(db).values_list("year", flat=True))
    now = timezone.now()
    note = f"chinesecalendar {chinese_calendar.__version__}"
    years, days = [], []
    for year in package_years():
        if year in have:
            continue
        years.append(CalendarYear(year=year, source=SOURCE, note=note, updated_at=now))
        days.extend(year_days(CalendarDay, year))
    CalendarYear.objects.using(db).bulk_create(years)
    CalendarDay.objects.using(db).bulk_create(days, batch_size=2000)


def unseed(apps, schema_editor):
    CalendarYear = apps.get_model("core", "CalendarYear")
    CalendarDay = apps.get_model("core", "CalendarDay")
    db = schema_editor.connection.alias
    years = list(
        CalendarYear.objects.using(db).filter(source=SOURCE).values_list("year", flat=True)
    )
    for year in years:
        CalendarDay.objects.using(db).filter(date__year=year).delete()
    CalendarYear.objects.using(db).filter(year__in=years).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_calendar")]
    operations = [migrations.RunPython(seed, unseed)]
