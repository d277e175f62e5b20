"""The dashboards' rollup (统计日汇总): one row a day and slice, rebuilt by the database itself.

``dashboard_rollup_rebuild(first_day=, last_day=)`` replaces the ``DashboardDay`` rows of those
days, in one transaction, with one ``INSERT … SELECT … GROUP BY`` over the cases received,
accepted or finished on them: no case is loaded into Python. ``dashboard_rollup_refresh`` (the
worker, every ten minutes) rebuilds the days since its last run began — a case's received,
accepted and finished times are set when those things happen, so only those days can have
changed. The nightly run rebuilds the last ``NIGHTLY_DAYS`` days again.

Definitions (docs/dashboards.md):

- a case's **day** of an event is its local date (``settings.TIME_ZONE``);
- **district** (区县): the district above its window, else above its lead department; none for the
  city level (市本级);
- **finished** (办结): ``finished_at`` set; **on time** (按时办结): finished on or before its
  promised day (``promised_due``); **即办**: ``on_the_spot``; **秒批**: the instant rules decided
  (``instant_outcome.decision`` approve or reject); **online** (网办): channel PC, mobile or the
  online one-window; **不见面**: online, and the result not collected at a window;
- **handling working days** (办理用时): working days from the day of acceptance to the day of
  finishing (``count_working_days`` of quanban.core.workdays: 0 the same day), suspensions
  included; counted into the buckets of ``BUCKETS`` so a percentile can be read from the sums.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min

from quanban.accounts.models import OrgUnit
from quanban.cases.models import Case
from quanban.core import clock
from quanban.core.audit import audit_record
from quanban.supervision.models import DashboardDay, DashboardRefresh

NIGHTLY_DAYS = 31
# Upper bounds (working days, inclusive) of the handling-time buckets and their columns; the
# last bucket (``took_more``) has none.
BUCKETS: tuple[tuple[int, str], ...] = (
    (0, "took_0"),
    (1, "took_1"),
    (2, "took_2"),
    (3, "took_3"),
    (5, "took_5"),
    (10, "took_10"),
    (15, "took_15"),
    (20, "took_20"),
    (30, "took_30"),
    (45, "took_45"),
    (60, "took_60"),
)
BUCKET_MORE = "took_more"
BUCKET_COLUMNS = (*(column for _bound, column in BUCKETS), BUCKET_MORE)
ONLINE_CHANNELS = ("1", "2", "9")
# Any number: the advisory lock that keeps two workers' rebuilds apart on PostgreSQL.
_LOCK_KEY = 5_020_001


@dataclass(frozen=True)
class RollupReport:
    first_day: dt.date
    last_day: dt.date
    rows: int
    seconds: float


def district_map(
    kinds: tuple[str, ...] = (OrgUnit.Kind.WINDOW, OrgUnit.Kind.DEPARTMENT),
) -> dict[int, int]:
    """Window or department id (or another kind's) → the id of the district (区县) above it
    (units under none are left out: the city level)."""
    districts = {
        path: pk
        for pk, path in OrgUnit.objects.filter(kind=OrgUnit.Kind.DISTRICT).values_list("pk", "path")
    }
    if not districts:
        return {}
    mapping: dict[int, int] = {}
    units = OrgUnit.objects.filter(kind__in=kinds).values_list("pk", "path")
    for pk, path in units:
        for district_path, district_id in districts.items():
            if path.startswith(district_path):
                mapping[pk] = district_id
                break
    return mapping


def _tz_name() -> str:
    name = str(settings.TIME_ZONE)
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", name):  # it is put into the SQL text
        raise ValueError(f"unexpected TIME_ZONE {name!r}")
    return name


def local_date_sql(column: str) -> str:
    """SQL for the local date of a timestamp column."""
    if connection.vendor == "postgresql":
        return f"(({column}) AT TIME ZONE '{_tz_name()}')::date"
    # SQLite keeps UTC text; the city's zone has a fixed offset (Asia/Shanghai has no DST).
    offset = dt.datetime.now(ZoneInfo(_tz_name())).utcoffset() or dt.timedelta()
    return f"date({column}, '{int(offset.total_seconds() // 60):+d} minutes')"


def _instant_sql() -> str:
    if connection.vendor == "postgresql":
        return "c.instant_outcome ->> 'decision'"
    return "json_extract(c.instant_outcome, '$.decision')"


def _area_cte(mapping: dict[int, int]) -> str:
    pairs = ", ".join(f"({int(unit)}, {int(district)})" for unit, district in mapping.items())
    return f"area(unit_id, district_id) AS (VALUES {pairs or '(0, 0)'})"


def _bounds(first_day: dt.date, last_day: dt.date) -> tuple[Any, Any]:
    """The UTC moments the local days begin and end, as the database takes them."""
    tz = ZoneInfo(_tz_name())
    low = dt.datetime.combine(first_day, dt.time(), tzinfo=tz)
    high = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    adapt = connection.ops.adapt_datetimefield_value
    return adapt(low), adapt(high)


def rollup_sql() -> str:
    """The statement that inserts the rows of the days between ``%(lo)s`` and ``%(hi)s``."""
    case = Case._meta.db_table
    online = ", ".join(f"'{c}'" for c in ONLINE_CHANNELS)
    dims = (
        "c.lead_department_id AS department_id, c.lead_office_id AS office_id,"
        " v.item_id AS item_id, COALESCE(aw.district_id, ad.district_id) AS district_id,"
        " c.channel AS channel"
    )
    joins = (
        f"FROM {case} c JOIN catalogue_itemversion v ON v.id = c.item_version_id"
        " LEFT JOIN area aw ON aw.unit_id = c.window_id"
        " LEFT JOIN area ad ON ad.unit_id = c.lead_department_id"
    )
    finished_on = local_date_sql("c.finished_at")
    buckets = []
    low = -1
    for bound, column in BUCKETS:
        buckets.append(
            f"SUM(CASE WHEN took > {low} AND took <= {bound} THEN 1 ELSE 0 END) AS {column}"
        )
        low = bound
    buckets.append(f"SUM(CASE WHEN took > {low} THEN 1 ELSE 0 END) AS {BUCKET_MORE}")
    columns = (
        "day, department_id, office_id, item_id, district_id, channel, received, accepted,"
        " finished, finished_on_time, on_the_spot, instant, online, no_visit, handling_days, "
        + ", ".join(BUCKET_COLUMNS)
        + ", materials, materials_fetched, materials_reused"
    )
    zeros = (
        "0 AS finished, 0 AS on_time, 0 AS spot, 0 AS instant, 0 AS online, 0 AS no_visit,"
        " CAST(NULL AS BIGINT) AS took, 0 AS materials, 0 AS fetched, 0 AS reused"
    )
    return f"""
WITH wd AS (
  SELECT date AS d, SUM(CASE WHEN is_workday THEN 1 ELSE 0 END) OVER (ORDER BY date) AS n
  FROM core_calendarday
),
{{area}},
ev AS (
  SELECT {local_date_sql("c.received_at")} AS day, {dims}, 1 AS received, 0 AS accepted, {zeros}
  {joins}
  WHERE c.received_at >= %(lo)s AND c.received_at < %(hi)s
  UNION ALL
  SELECT {local_date_sql("c.accepted_at")} AS day, {dims}, 0 AS received, 1 AS accepted, {zeros}
  {joins}
  WHERE c.accepted_at >= %(lo)s AND c.accepted_at < %(hi)s
  UNION ALL
  SELECT {finished_on} AS day, {dims}, 0 AS received, 0 AS accepted, 1 AS finished,
    CASE WHEN c.promised_due IS NULL OR {finished_on} <= c.promised_due THEN 1 ELSE 0 END,
    CASE WHEN c.on_the_spot THEN 1 ELSE 0 END,
    CASE WHEN {_instant_sql()} IN ('approve', 'reject') THEN 1 ELSE 0 END,
    CASE WHEN c.channel IN ({online}) THEN 1 ELSE 0 END,
    CASE WHEN c.channel IN ({online}) AND c.delivery <> 'window' THEN 1 ELSE 0 END,
    COALESCE(wf.n - wa.n, 0),
    COALESCE(m.total, 0), COALESCE(m.fetched, 0), COALESCE(m.reused, 0)
  {joins}
  LEFT JOIN wd wa ON wa.d = {local_date_sql("c.accepted_at")}
  LEFT JOIN wd wf ON wf.d = {finished_on}
  LEFT JOIN (
    SELECT cm.case_id, COUNT(*) AS total,
      SUM(CASE WHEN cm.source = 'fetched' THEN 1 ELSE 0 END) AS fetched,
      SUM(CASE WHEN cm.source = 'reused' THEN 1 ELSE 0 END) AS reused
    FROM cases_casematerial cm JOIN {case} c2 ON c2.id = cm.case_id
    WHERE c2.finished_at >= %(lo)s AND c2.finished_at < %(hi)s
    GROUP BY cm.case_id
  ) m ON m.case_id = c.id
  WHERE c.finished_at >= %(lo)s AND c.finished_at < %(hi)s
)
INSERT INTO {DashboardDay._meta.db_table} ({columns})
SELECT day, department_id, office_id, item_id, district_id, channel,
  SUM(received), SUM(accepted), SUM(finished), SUM(on_time), SUM(spot), SUM(instant),
  SUM(online), SUM(no_visit), COALESCE(SUM(took), 0), {", ".join(buckets)},
  SUM(materials), SUM(fetched), SUM(reused)
FROM ev
GROUP BY day, department_id, office_id, item_id, district_id, channel
"""


def dashboard_rollup_rebuild(*, first_day: dt.date, last_day: dt.date) -> RollupReport:
    """Replace the rollup rows of ``first_day`` … ``last_day`` (inclusive), in one transaction."""
    if last_day < first_day:
        raise ValueError("last_day before first_day")
    started = time.perf_counter()
    started_at = clock.now()
    sql = rollup_sql().replace("{area}", _area_cte(district_map()))
    low, high = _bounds(first_day, last_day)
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
                # The planner's row guess for the calendar joins is far too high, and compiling
                # the statement (JIT) then took most of the time (measured: 5.1 of 6.9 s).
                cursor.execute("SET LOCAL jit = off")
                # Hash joins with the calendar (a few thousand days), not sorts of every case.
                cursor.execute("SET LOCAL enable_mergejoin = off")
            DashboardDay.objects.filter(day__gte=first_day, day__lte=last_day).delete()
            cursor.execute(sql, {"lo": low, "hi": high})
        # (SQLite's driver reports no row count for a statement that begins with WITH.)
        rows = DashboardDay.objects.filter(day__gte=first_day, day__lte=last_day).count()
        seconds = time.perf_counter() - started
        refresh = DashboardRefresh.objects.create(
            started_at=started_at,
            first_day=first_day,
            last_day=last_day,
            rows=rows,
            seconds=round(seconds, 3),
        )
        audit_record(
            action="dashboard.rollup",
            obj=refresh,
            changes={"first_day": first_day, "last_day": last_day, "rows": rows},
        )
    return RollupReport(first_day=first_day, last_day=last_day, rows=rows, seconds=seconds)


def _first_case_day() -> dt.date | None:
    first = Case.objects.aggregate(first=Min("received_at"))["first"]
    if first is None:
        return None
    return first.astimezone(ZoneInfo(_tz_name())).date()


def dashboard_rollup_refresh(*, today: dt.date | None = None) -> RollupReport | None:
    """Rebuild the days from the one the last run began on through today (every day with a case
    the first time). None when there are no cases at all."""
    today = today or clock.today()
    last = DashboardRefresh.objects.order_by("-started_at", "-pk").first()
    if last is not None:
        first_day = min(last.started_at.astimezone(ZoneInfo(_tz_name())).date(), today)
    else:
        found = _first_case_day()
        if found is None:
            return None
        first_day = min(found, today)
    return dashboard_rollup_rebuild(first_day=first_day, last_day=today)


def dashboard_rollup_nightly(*, today: dt.date | None = None) -> RollupReport:
    """The last ``NIGHTLY_DAYS`` days again (anything changed after its day was rolled up)."""
    today = today or clock.today()
    return dashboard_rollup_rebuild(
        first_day=today - dt.timedelta(days=NIGHTLY_DAYS - 1), last_day=today
    )
