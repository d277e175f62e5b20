"""``quanban calendar``: working-day arithmetic and the calendar's contents on the command line.

quanban calendar add DATE N       the N-th working day after DATE (ISO date)
quanban calendar count FROM TO    working days after FROM up to and including TO
quanban calendar show YEAR        the year's holidays (by name) and make-up working days
quanban calendar load FILE --as USERNAME [--replace]
                                  enter a year's schedule from a JSON file (docs/calendar.md)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from quanban.core import workdays
from quanban.core.context import acting_as, actor_for_user
from quanban.core.errors import ApplicationError
from quanban.core.models import CalendarDay

T = TypeVar("T")


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"不是有效的日期 / not a valid date: {value!r} (expected YYYY-MM-DD, e.g. 2026-02-13)"
        ) from None


def parse_int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise CommandError(f"{what} 必须是整数 / must be an integer: {value!r}") from None


def parse_dates(value: str) -> list[dt.date]:
    """One ISO date, or an inclusive range ``FIRST..LAST``."""
    first, sep, last = value.partition("..")
    start = parse_date(first.strip())
    end = parse_date(last.strip()) if sep else start
    if end < start or (end - start).days > 366:
        raise CommandError(f"日期范围无效 / invalid date range: {value!r}")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _domain(call: Callable[[], T]) -> T:
    """Run a calendar call; a domain error (e.g. an uncovered year) becomes a non-zero exit."""
    try:
        return call()
    except ApplicationError as error:
        raise CommandError(str(error)) from None


class Command(BaseCommand):
    help = "Working-day calendar / 工作日历: add, count, show, load"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="the N-th working day after DATE")
        add.add_argument("date")
        add.add_argument("n")
        count = sub.add_parser("count", help="working days after FROM up to and including TO")
        count.add_argument("start", metavar="FROM")
        count.add_argument("end", metavar="TO")
        show = sub.add_parser("show", help="a year's holidays and make-up working days")
        show.add_argument("year")
        load = sub.add_parser("load", help="enter a year's schedule from a JSON file")
        load.add_argument("file")
        load.add_argument("--as", dest="username", required=True, help="a CALENDAR_EDIT holder")
        load.add_argument("--replace", action="store_true", help="replace a covered year")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            start = parse_date(options["date"])
            n = parse_int(options["n"], "N")
            if n < 0:
                raise CommandError(f"N 不能为负数 / N must not be negative: {n}")
            result = _domain(lambda: workdays.add_working_days(start, n))
            self.stdout.write(result.isoformat())
        elif action == "count":
            start, end = parse_date(options["start"]), parse_date(options["end"])
            self.stdout.write(str(_domain(lambda: workdays.count_working_days(start, end))))
        elif action == "show":
            self._show(parse_int(options["year"], "YEAR"))
        elif action == "load":
            self._load(Path(options["file"]), options["username"], options["replace"])

    def _show(self, year: int) -> None:
        if not 1 <= year <= 9999 or not workdays.year_is_covered(year):
            raise CommandError(str(workdays.CalendarNotCovered(year)))
        days = CalendarDay.objects.filter(
            date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
        ).exclude(kind__in=[CalendarDay.Kind.WORKDAY, CalendarDay.Kind.WEEKEND])
        holidays: dict[str, list[dt.date]] = {}
        makeup: list[tuple[dt.date, str]] = []
        for day in days.order_by("date"):
            if day.kind == CalendarDay.Kind.HOLIDAY:
                holidays.setdefault(day.name or "节假日", []).append(day.date)
            else:
                makeup.append((day.date, day.name))
        self.stdout.write(f"{year} 年节假日 / holidays:")
        for name, dates in holidays.items():
            first, last = dates[0].isoformat(), dates[-1].isoformat()
            self.stdout.write(f"  {name}  {first}–{last}  ({len(dates)} 天 / days)")
            if (dates[-1] - dates[0]).days + 1 != len(dates):
                self.stdout.write("    " + " ".join(d.isoformat() for d in dates))
        self.stdout.write("调休上班 / make-up working days:")
        for date, name in makeup:
            weekday = "一二三四五六日"[date.weekday()]
            suffix = f"  ({name})" if name else ""
            self.stdout.write(f"  {date.isoformat()} 星期{weekday}{suffix}")
        if not makeup:
            self.stdout.write("  —")

    def _load(self, path: Path, username: str, replace: bool) -> None:
        from quanban.accounts.models import User
        from quanban.core.services import calendar_year_load

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            year = int(data["year"])
            holidays: dict[dt.date, str] = {}
            for name, values in data.get("holidays", {}).items():
                for value in values:
                    holidays.update(dict.fromkeys(parse_dates(value), name))
            makeup: dict[dt.date, str] = {}
            for name, values in data.get("makeup_workdays", {}).items():
                for value in values:
                    makeup.update(dict.fromkeys(parse_dates(value), name))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            raise CommandError(f"无法读取日历文件 / cannot read {path}: {error}") from None
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"找不到用户 / no such user: {username}")
        with acting_as(actor_for_user(user, channel="cli")):
            _domain(
                lambda: calendar_year_load(
                    user=user,
                    year=year,
                    holidays=holidays,
                    makeup_workdays=makeup,
                    names={**holidays, **makeup},
                    note=str(data.get("note", "")),
                    replace=replace,
                )
            )
        self.stdout.write(
            f"{year}: {len(holidays)} 个节假日, {len(makeup)} 个调休上班日 / "
            "holidays, make-up working days loaded"
        )
