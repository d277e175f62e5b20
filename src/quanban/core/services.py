"""Writes to the core tables: the working-day calendar. Every function here audits its changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from quanban.accounts.roles import Perm
from quanban.accounts.selectors import require_perm
from quanban.core import clock, workdays
from quanban.core.audit import audit_record, snapshot
from quanban.core.errors import Conflict, ValidationFailed
from quanban.core.models import CalendarDay, CalendarSource, CalendarYear

DAY_FIELDS = ("is_workday", "kind", "name", "source")
NAME_MAX = CalendarDay._meta.get_field("name").max_length or 64
YEAR_MIN, YEAR_MAX = 1949, 2999


def _day_kind(date: dt.date, *, is_workday: bool, name: str) -> str:
    weekend = date.weekday() >= 5
    if is_workday:
        if not weekend and name:
            raise ValidationFailed(
                _("%(date)s 是普通工作日，不能填写节日名称。") % {"date": date.isoformat()},
                code="calendar_name_not_applicable",
                field="name",
            )
        return CalendarDay.Kind.MAKEUP_WORKDAY if weekend else CalendarDay.Kind.WORKDAY
    # A weekend inside a holiday span carries the holiday's name; a bare weekend is a weekend.
    if weekend and not name:
        return CalendarDay.Kind.WEEKEND
    return CalendarDay.Kind.HOLIDAY


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            _("节日名称不能超过 %(max)s 个字符。") % {"max": NAME_MAX},
            code="calendar_name_too_long",
            field="name",
        )
    return name


def _invalidate_now_and_on_commit() -> None:
    # Now, so later reads in this transaction see the change; on commit, so nothing read meanwhile
    # by another thread (before the commit) survives.
    workdays.invalidate()
    transaction.on_commit(workdays.invalidate)


def calendar_day_set(*, user: Any, date: dt.date, is_workday: bool, name: str = "") -> CalendarDay:
    """Correct one day of a covered year (e.g. a schedule change announced late).

    The kind follows from the weekday: a working Saturday or Sunday is a make-up working day
    (调休); a day off on a weekday, or a named weekend day, is a holiday.
    """
    require_perm(user, Perm.CALENDAR_EDIT)
    name = _clean_name(name)
    kind = _day_kind(date, is_workday=is_workday, name=name)
    with transaction.atomic():
        year = CalendarYear.objects.select_for_update().filter(year=date.year).first()
        if year is None:
            raise workdays.CalendarNotCovered(date.year)
        day = CalendarDay.objects.select_for_update().get(date=date)
        before = snapshot(day, DAY_FIELDS)
        if (day.is_workday, day.kind, day.name) == (is_workday, kind, name):
            return day  # nothing to change, nothing to record
        day.is_workday, day.kind, day.name = is_workday, kind, name
        day.source = CalendarSource.ADMIN
        day.save()
        year.updated_at = clock.now()
        year.save(update_fields=["updated_at"])
        _invalidate_now_and_on_commit()
        audit_record(
            action="calendar_day.set",
            object_type="core.calendarday",
            object_id=date.isoformat(),
            before=before,
            after=snapshot(day, DAY_FIELDS),
        )
    return day


def calendar_year_load(
    *,
    user: Any,
    year: int,
    holidays: Iterable[dt.date],
    makeup_workdays: Iterable[dt.date],
    names: Mapping[dt.date, str] | None = None,
    note: str = "",
    replace: bool = False,
) -> CalendarYear:
    """Enter a whole year's schedule, as the State Council publishes it each November.

    Every day of the year is stored: Saturdays and Sundays off, Monday to Friday working, except
    the listed holidays (off, whatever the weekday) and the listed make-up working days (Saturdays
    or Sundays that are worked). ``names`` gives the holiday each listed day belongs to (e.g. 春节).
    A year already covered is refused unless ``replace`` is set.
    """
    require_perm(user, Perm.CALENDAR_EDIT)
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValidationFailed(
            _("年份必须在 %(min)s 到 %(max)s 之间。") % {"min": YEAR_MIN, "max": YEAR_MAX},
            code="calendar_year_out_of_range",
            field="year",
        )
    off = set(holidays)
    on = set(makeup_workdays)
    names = {day: _clean_name(name) for day, name in (names or {}).items()}
    for field, listed in (("holidays", off), ("makeup_workdays", on), ("names", set(names))):
        stray = sorted(d for d in listed if d.year != year)
        if stray:
            raise ValidationFailed(
                _("%(date)s 不在 %(year)s 年内。") % {"date": stray[0].isoformat(), "year": year},
                code="calendar_date_outside_year",
                field=field,
            )
    both = sorted(off & on)
    if both:
        raise ValidationFailed(
            _("%(date)s 不能既是节假日又是调休上班日。") % {"date": both[0].isoformat()},
            code="calendar_day_conflict",
            field="makeup_workdays",
        )
    weekdays = sorted(d for d in on if d.weekday() < 5)
    if weekdays:
        raise ValidationFailed(
            _("调休上班日必须是星期六或星期日，%(date)s 不是。")
            % {"date": weekdays[0].isoformat()},
            code="calendar_makeup_not_weekend",
            field="makeup_workdays",
        )
    unlisted = sorted(set(names) - off - on)
    if unlisted:
        raise ValidationFailed(
            _("%(date)s 有节日名称，但不在节假日或调休上班日中。")
            % {"date": unlisted[0].isoformat()},
            code="calendar_name_not_applicable",
            field="names",
        )

    days: list[CalendarDay] = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        is_workday = day in on or (day.weekday() < 5 and day not in off)
        # Listed holidays are holidays even on a weekend (they belong to the span).
        kind = (
            CalendarDay.Kind.HOLIDAY
            if day in off
            else _day_kind(day, is_workday=is_workday, name=names.get(day, ""))
        )
        days.append(
            CalendarDay(
                date=day,
                is_workday=is_workday,
                kind=kind,
                name=names.get(day, ""),
                source=CalendarSource.ADMIN,
            )
        )
        day += dt.timedelta(days=1)

    with transaction.atomic():
        existing = CalendarYear.objects.select_for_update().filter(year=year).first()
        if existing is not None and not replace:
            raise Conflict(
                _("%(year)s 年的工作日历已经存在；如需整年替换，请选择替换。") % {"year": year},
                code="calendar_year_exists",
                field="year",
            )
        if existing is not None:
            CalendarDay.objects.filter(
                date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
            ).delete()
        calendar_year, _created = CalendarYear.objects.update_or_create(
            year=year,
            defaults={
                "source": CalendarSource.ADMIN,
                "note": note[:200],
                "updated_at": clock.now(),
            },
        )
        CalendarDay.objects.bulk_create(days)
        _invalidate_now_and_on_commit()
        audit_record(
            action="calendar_year.load",
            object_type="core.calendaryear",
            object_id=year,
            changes={
                "replaced": existing is not None,
                "holidays": sorted(d.isoformat() for d in off),
                "makeup_workdays": sorted(d.isoformat() for d in on),
                "names": {d.isoformat(): n for d, n in sorted(names.items())},
                "note": note[:200],
            },
        )
    return calendar_year
