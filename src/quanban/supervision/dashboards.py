"""Reads of the supervision dashboards (数据看板): the rollup's sums and the open work's counts.

Every figure here is a ``GROUP BY`` in the database: the finished-case figures over the
``DashboardDay`` rollup (quanban.supervision.rollups), the live ones (在办, 黄牌, 红牌) over the
indexed columns of open cases and tasks. Nothing loads cases into Python. Definitions are in
docs/dashboards.md.

Who sees what: a supervisor (督查人员) every department; a department head (部门负责人) the
departments of their role's scope; anyone else nothing (``PermissionDenied``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, RoleAssignment, User
from quanban.accounts.roles import Role
from quanban.cases.models import CardLevel, Case, Channel, Task
from quanban.catalogue.models import ItemVersion
from quanban.core import clock, workdays
from quanban.core.errors import PermissionDenied
from quanban.supervision.models import DashboardDay
from quanban.supervision.rollups import BUCKET_MORE, BUCKETS, district_map

OPEN_STATES = (Case.State.ACCEPTED, Case.State.DECIDED)
# The forecast's pace: tasks a department finished over this many working days, a day.
PACE_WORKING_DAYS = 20
FORECAST_DAYS = 5
# Trend by day up to this many days, by month beyond.
TREND_DAILY_MAX_DAYS = 62
CITY_LEVEL = 0  # the district filter's value for cases under no district (市本级)

_SUMS = (
    "received",
    "accepted",
    "finished",
    "finished_on_time",
    "on_the_spot",
    "instant",
    "online",
    "no_visit",
    "handling_days",
    "materials",
    "materials_fetched",
    "materials_reused",
    *(column for _bound, column in BUCKETS),
    BUCKET_MORE,
)


@dataclass(frozen=True)
class Filters:
    """What the dashboard shows: a period of days (inclusive) and optional slices."""

    first_day: dt.date
    last_day: dt.date
    district_id: int | None = None  # CITY_LEVEL for 市本级
    department_id: int | None = None
    item_id: int | None = None


def filters_this_month(today: dt.date | None = None) -> Filters:
    today = today or clock.today()
    return Filters(first_day=today.replace(day=1), last_day=today)


@dataclass(frozen=True)
class Scope:
    """The departments a user may see; ``everything`` for a supervisor."""

    everything: bool
    departments: frozenset[int] = field(default_factory=frozenset)


def dashboard_scope_for_user(user: User) -> Scope:
    """Raises PermissionDenied for anyone who is neither a supervisor nor a department head."""
    roles = RoleAssignment.objects.filter(
        user=user, role__in=[Role.SUPERVISOR, Role.DEPARTMENT_HEAD]
    ).values_list("role", "org_unit__path")
    paths = []
    for role, path in roles:
        if role == Role.SUPERVISOR:
            return Scope(everything=True)
        paths.append(path)
    if not paths:
        raise PermissionDenied(_("数据看板仅供督查人员和部门负责人查看。"))
    under = Q()
    for path in paths:
        under |= Q(path__startswith=path)
    departments = OrgUnit.objects.filter(under, kind=OrgUnit.Kind.DEPARTMENT)
    return Scope(everything=False, departments=frozenset(departments.values_list("pk", flat=True)))


def dashboard_may_view(user: User) -> bool:
    """A supervisor or a department head (the page's tile and menu entry ask)."""
    return RoleAssignment.objects.filter(
        user=user, role__in=[Role.SUPERVISOR, Role.DEPARTMENT_HEAD]
    ).exists()


def _checked(scope: Scope, filters: Filters) -> Filters:
    if filters.last_day < filters.first_day:
        filters = replace(filters, first_day=filters.last_day, last_day=filters.first_day)
    if (
        not scope.everything
        and filters.department_id is not None
        and filters.department_id not in scope.departments
    ):
        raise PermissionDenied(_("您只能查看本部门的数据。"))
    return filters


# --- Slices as query conditions ---------------------------------------------------------------


@dataclass(frozen=True)
class _Areas:
    """The district of a case: its window's, else its lead department's (the rollup's rule)."""

    windows: dict[int, list[int]]  # district → windows under it
    departments: dict[int, list[int]]  # district → departments under it
    mapped_windows: list[int]
    mapped_departments: list[int]


def _areas() -> _Areas:
    windows: dict[int, list[int]] = {}
    departments: dict[int, list[int]] = {}
    kinds = dict(
        OrgUnit.objects.filter(kind__in=[OrgUnit.Kind.WINDOW, OrgUnit.Kind.DEPARTMENT]).values_list(
            "pk", "kind"
        )
    )
    for unit, district in district_map().items():
        target = windows if kinds.get(unit) == OrgUnit.Kind.WINDOW else departments
        target.setdefault(district, []).append(unit)
    return _Areas(
        windows=windows,
        departments=departments,
        mapped_windows=[w for ws in windows.values() for w in ws],
        mapped_departments=[d for ds in departments.values() for d in ds],
    )


def _case_district_q(areas: _Areas, district_id: int, prefix: str = "") -> Q:
    window, department = f"{prefix}window_id", f"{prefix}lead_department_id"
    unmapped_window = Q(**{f"{window}__isnull": True}) | ~Q(
        **{f"{window}__in": areas.mapped_windows}
    )
    if district_id == CITY_LEVEL:
        return unmapped_window & (
            Q(**{f"{department}__isnull": True})
            | ~Q(**{f"{department}__in": areas.mapped_departments})
        )
    return Q(**{f"{window}__in": areas.windows.get(district_id, [])}) | (
        unmapped_window & Q(**{f"{department}__in": areas.departments.get(district_id, [])})
    )


def _rollup_q(scope: Scope, filters: Filters) -> Q:
    q = Q(day__gte=filters.first_day, day__lte=filters.last_day)
    if not scope.everything:
        q &= Q(department_id__in=scope.departments)
    if filters.department_id is not None:
        q &= Q(department_id=filters.department_id)
    if filters.item_id is not None:
        q &= Q(item_id=filters.item_id)
    if filters.district_id == CITY_LEVEL:
        q &= Q(district__isnull=True)
    elif filters.district_id is not None:
        q &= Q(district_id=filters.district_id)
    return q


def _open_cases(scope: Scope, filters: Filters, areas: _Areas | None = None) -> QuerySet[Case]:
    cases = Case.objects.filter(state__in=OPEN_STATES)
    if not scope.everything:
        cases = cases.filter(lead_department_id__in=scope.departments)
    if filters.department_id is not None:
        cases = cases.filter(lead_department_id=filters.department_id)
    if filters.item_id is not None:
        cases = cases.filter(item_version__item_id=filters.item_id)
    if filters.district_id is not None:
        cases = cases.filter(_case_district_q(areas or _areas(), filters.district_id))
    return cases


def _open_tasks(scope: Scope, filters: Filters) -> QuerySet[Task]:
    tasks = Task.objects.filter(state=Task.State.OPEN)
    if not scope.everything:
        tasks = tasks.filter(department_id__in=scope.departments)
    if filters.department_id is not None:
        tasks = tasks.filter(department_id=filters.department_id)
    if filters.item_id is not None:
        tasks = tasks.filter(case__item_version__item_id=filters.item_id)
    if filters.district_id is not None:
        tasks = tasks.filter(_case_district_q(_areas(), filters.district_id, prefix="case__"))
    return tasks


# --- Figures ----------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def percentile_days(sums: dict[str, Any], fraction: float = 0.9) -> int | None:
    """The working days within which ``fraction`` of the finished cases were handled, read from
    the buckets: the upper bound of the bucket holding that case (61 for "more than 60")."""
    total = sum(int(sums.get(column) or 0) for _bound, column in BUCKETS) + int(
        sums.get(BUCKET_MORE) or 0
    )
    if not total:
        return None
    wanted = fraction * total
    seen = 0
    for bound, column in BUCKETS:
        seen += int(sums.get(column) or 0)
        if seen >= wanted:
            return bound
    return BUCKETS[-1][0] + 1


def figures(sums: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's figures from rollup sums (missing sums count as 0)."""
    got = {name: int(sums.get(name) or 0) for name in _SUMS}
    finished = got["finished"]
    materials = got["materials"]
    return {
        "received": got["received"],
        "accepted": got["accepted"],
        "finished": finished,
        "finished_on_time": got["finished_on_time"],
        "on_time_rate": _share(got["finished_on_time"], finished),
        "average_days": round(got["handling_days"] / finished, 2) if finished else None,
        "p90_days": percentile_days(got),
        "on_the_spot_share": _share(got["on_the_spot"], finished),
        "instant_share": _share(got["instant"], finished),
        "online_share": _share(got["online"], finished),
        "no_visit_share": _share(got["no_visit"], finished),
        "materials": materials,
        "materials_fetched": got["materials_fetched"],
        "materials_reused": got["materials_reused"],
        "material_reduction": _share(got["materials_fetched"] + got["materials_reused"], materials),
    }


def _sums(rows: QuerySet[DashboardDay], *group: str) -> Iterable[dict[str, Any]]:
    return rows.values(*group).annotate(**{name: Sum(name) for name in _SUMS}).order_by(*group)


def _live(cases: QuerySet[Case], *group: str) -> Iterable[dict[str, Any]]:
    return (
        cases.values(*group)
        .annotate(
            open=Count("id"),
            yellow=Count("id", filter=Q(card_level=CardLevel.YELLOW)),
            red=Count("id", filter=Q(card_level=CardLevel.RED)),
        )
        .order_by(*group)
    )


def _live_figures(row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    open_, red = int(row.get("open") or 0), int(row.get("red") or 0)
    return {
        "open": open_,
        "yellow": int(row.get("yellow") or 0),
        "red": red,
        # On time now: open and not past due (正常 and 黄牌).
        "on_time_now": open_ - red,
    }


def dashboard_summary(*, user: User, filters: Filters) -> dict[str, Any]:
    """The period's figures and the open work now, for the slices the filters name."""
    scope = dashboard_scope_for_user(user)
    filters = _checked(scope, filters)
    sums = DashboardDay.objects.filter(_rollup_q(scope, filters)).aggregate(
        **{name: Sum(name) for name in _SUMS}
    )
    live = _open_cases(scope, filters).aggregate(
        open=Count("id"),
        yellow=Count("id", filter=Q(card_level=CardLevel.YELLOW)),
        red=Count("id", filter=Q(card_level=CardLevel.RED)),
    )
    tasks = _open_tasks(scope, filters).aggregate(
        open=Count("id"),
        yellow=Count("id", filter=Q(card_level=CardLevel.YELLOW)),
        red=Count("id", filter=Q(card_level=CardLevel.RED)),
    )
    return {
        **figures(sums),
        **_live_figures(live),
        "tasks_open": tasks["open"],
        "tasks_yellow": tasks["yellow"],
        "tasks_red": tasks["red"],
    }


DIMENSIONS = ("department", "office", "item", "district", "channel")


def _labels(dimension: str, keys: Iterable[Any]) -> dict[Any, str]:
    keys = [k for k in keys if k is not None]
    if dimension in ("department", "office", "district"):
        return {
            pk: short or name
            for pk, short, name in OrgUnit.objects.filter(pk__in=keys).values_list(
                "pk", "short_name", "name"
            )
        }
    if dimension == "item":
        names: dict[Any, str] = {}
        for item_id, name in (
            ItemVersion.objects.filter(item_id__in=keys)
            .order_by("item_id", "-pk")
            .values_list("item_id", "name")
        ):
            names.setdefault(item_id, name)
        return names
    return {value: str(label) for value, label in Channel.choices}


def _none_label(dimension: str) -> str:
    if dimension == "district":
        return _("市本级")
    return _("未分配")


def dashboard_breakdown(*, user: User, filters: Filters, dimension: str) -> list[dict[str, Any]]:
    """One row a department, office, item, district or channel: the period's figures, and (but
    for channels) the open cases now. Rows with anything to show, by finished cases."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    scope = dashboard_scope_for_user(user)
    filters = _checked(scope, filters)
    key = f"{dimension}_id" if dimension != "channel" else "channel"
    rows: dict[Any, dict[str, Any]] = {}
    for sums in _sums(DashboardDay.objects.filter(_rollup_q(scope, filters)), key):
        rows[sums[key]] = {"key": sums[key], **figures(sums), **_live_figures(None)}
    live_key = {
        "department": "lead_department_id",
        "office": "lead_office_id",
        "item": "item_version__item_id",
    }.get(dimension)
    areas = _areas()
    if live_key is not None:
        for live in _live(_open_cases(scope, filters, areas), live_key):
            row = rows.setdefault(
                live[live_key], {"key": live[live_key], **figures({}), **_live_figures(None)}
            )
            row.update(_live_figures(live))
    elif dimension == "district":
        for district in [*areas.windows.keys() | areas.departments.keys(), CITY_LEVEL]:
            live = _open_cases(scope, replace(filters, district_id=district), areas).aggregate(
                open=Count("id"),
                yellow=Count("id", filter=Q(card_level=CardLevel.YELLOW)),
                red=Count("id", filter=Q(card_level=CardLevel.RED)),
            )
            row_key = None if district == CITY_LEVEL else district
            if live["open"] or row_key in rows:
                row = rows.setdefault(
                    row_key, {"key": row_key, **figures({}), **_live_figures(None)}
                )
                row.update(_live_figures(live))
    labels = _labels(dimension, rows.keys())
    result = []
    for row in rows.values():
        row["label"] = labels.get(row["key"]) or _none_label(dimension)
        result.append(row)
    result.sort(key=lambda r: (-r["finished"], -r["open"], r["label"]))
    return result


def dashboard_district_grid(*, user: User, filters: Filters) -> list[dict[str, Any]]:
    """Every district of the city (and 市本级) in the city's order, with its figures (zeros when
    it has none): the grid that stands in for a map."""
    rows = {
        row["key"]: row
        for row in dashboard_breakdown(user=user, filters=filters, dimension="district")
    }
    grid = []
    for pk, short, name in (
        OrgUnit.objects.filter(kind=OrgUnit.Kind.DISTRICT)
        .order_by("sort", "pk")
        .values_list("pk", "short_name", "name")
    ):
        grid.append(
            rows.get(pk)
            or {"key": pk, "label": short or name, **figures({}), **_live_figures(None)}
        )
    grid.append(
        rows.get(None)
        or {"key": None, "label": _none_label("district"), **figures({}), **_live_figures(None)}
    )
    return grid


def dashboard_trend(*, user: User, filters: Filters) -> list[dict[str, Any]]:
    """Received, accepted, finished and finished on time by day (a period up to
    ``TREND_DAILY_MAX_DAYS`` days) or by month (longer)."""
    scope = dashboard_scope_for_user(user)
    filters = _checked(scope, filters)
    rows = DashboardDay.objects.filter(_rollup_q(scope, filters))
    monthly = (filters.last_day - filters.first_day).days >= TREND_DAILY_MAX_DAYS
    if monthly:
        rows = rows.annotate(period=TruncMonth("day"))
        group = "period"
    else:
        group = "day"
    found = {
        row[group]: row
        for row in rows.values(group)
        .annotate(
            received=Sum("received"),
            accepted=Sum("accepted"),
            finished=Sum("finished"),
            finished_on_time=Sum("finished_on_time"),
        )
        .order_by(group)
    }
    result = []
    for period in _periods(filters, monthly=monthly):
        row = found.get(period) or {}
        result.append(
            {
                "period": period,
                "label": period.strftime("%Y-%m" if monthly else "%m-%d"),
                "received": int(row.get("received") or 0),
                "accepted": int(row.get("accepted") or 0),
                "finished": int(row.get("finished") or 0),
                "finished_on_time": int(row.get("finished_on_time") or 0),
            }
        )
    return result


def _periods(filters: Filters, *, monthly: bool) -> list[dt.date]:
    periods = []
    if monthly:
        month = filters.first_day.replace(day=1)
        while month <= filters.last_day:
            periods.append(month)
            month = (month + dt.timedelta(days=32)).replace(day=1)
    else:
        day = filters.first_day
        while day <= filters.last_day:
            periods.append(day)
            day += dt.timedelta(days=1)
    return periods


def dashboard_forecast(
    *, user: User, filters: Filters, days: int = FORECAST_DAYS, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Per department: the open tasks that will turn red within ``days`` working days at the
    department's current pace (docs/dashboards.md, "Forecast").

    - *due soon*: open tasks with 0 … ``days`` − 1 working days left (due today or on one of the
      next ``days`` − 1 working days): red within ``days`` working days if nobody finishes them;
    - *pace*: the tasks the department finished in the last ``PACE_WORKING_DAYS`` working days,
      divided by that many (tasks a working day);
    - the department works its open tasks most urgent first (those past due first, then by due
      date); a task with ``j`` working days left is done in time when its place in that queue is
      within ``pace × (j + 1)`` (``pace × j`` on a day off); the others are *forecast red*.
    """
    scope = dashboard_scope_for_user(user)
    filters = _checked(scope, filters)
    today = today or clock.today()
    if days < 1:
        raise ValueError("days must be at least 1")
    working_today = workdays.is_working_day(today)
    horizon = workdays.add_working_days(today, days - 1 if working_today else days)
    tasks = _open_tasks(scope, filters).filter(due_on__isnull=False, due_on__lte=horizon)
    queue: dict[int, list[tuple[dt.date, int]]] = {}  # due_on is not null here
    for row in (
        tasks.values("department_id", "due_on")
        .annotate(n=Count("id"))
        .order_by("department_id", "due_on")
    ):
        due_on = row["due_on"]
        assert due_on is not None  # filtered above
        queue.setdefault(row["department_id"], []).append((due_on, row["n"]))

    back = today
    for _day in range(PACE_WORKING_DAYS):
        back = _previous_working_day(back)
    since = back
    done = Task.objects.filter(
        state=Task.State.DONE,
        department_id__in=list(queue),
        completed_at__date__gt=since,
        completed_at__date__lte=today,
    )
    finished = {
        row["department_id"]: row["n"]
        for row in done.values("department_id").annotate(n=Count("id")).order_by()
    }
    labels = _labels("department", queue.keys())
    result = []
    for department, dates in queue.items():
        finished_recently = finished.get(department, 0)
        place = 0
        overdue = due_soon = red = 0
        for due_on, count in dates:
            if due_on < today:
                overdue += count
                place += count
                continue
            left = workdays.count_working_days(today, due_on)
            # Whole tasks done by the due day: pace × days, in integers (no rounding drift).
            capacity = finished_recently * (left + (1 if working_today else 0)) // PACE_WORKING_DAYS
            due_soon += count
            red += count - max(0, min(count, capacity - place))
            place += count
        if due_soon:
            result.append(
                {
                    "key": department,
                    "label": labels.get(department, _none_label("department")),
                    "overdue": overdue,
                    "due_soon": due_soon,
                    "pace": round(finished_recently / PACE_WORKING_DAYS, 2),
                    "forecast_red": red,
                }
            )
    result.sort(key=lambda r: (-r["forecast_red"], -r["due_soon"], r["label"]))
    return result


def _previous_working_day(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while not workdays.is_working_day(day):
        day -= dt.timedelta(days=1)
    return day


def dashboard_options(*, user: User) -> dict[str, list[tuple[int, str]]]:
    """The filters' choices: districts, the departments the user may see, items with cases."""
    scope = dashboard_scope_for_user(user)
    districts = [
        (pk, short or name)
        for pk, short, name in OrgUnit.objects.filter(kind=OrgUnit.Kind.DISTRICT)
        .order_by("sort", "pk")
        .values_list("pk", "short_name", "name")
    ]
    departments = OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT, is_active=True)
    if not scope.everything:
        departments = departments.filter(pk__in=scope.departments)
    items: dict[int, str] = {}
    versions = ItemVersion.objects.filter(state=ItemVersion.State.PUBLISHED)
    if not scope.everything:
        versions = versions.filter(item__implementing_department_id__in=scope.departments)
    for item_id, name in versions.order_by("item_id", "-pk").values_list("item_id", "name"):
        items.setdefault(item_id, name)
    return {
        "districts": [(CITY_LEVEL, _none_label("district")), *districts],
        "departments": [
            (pk, short or name)
            for pk, short, name in departments.order_by("sort", "pk").values_list(
                "pk", "short_name", "name"
            )
        ],
        "items": sorted(items.items(), key=lambda pair: pair[1]),
    }
