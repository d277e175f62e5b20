"""Bulk finished cases (办结) for the dashboard and evaluation benchmarks, written by PostgreSQL.

``generate_finished(n)`` adds ``n`` finished cases of the demo city (``quanban demo``: 济南市, its
departments, offices, halls, windows, staff and catalogue; loaded first when missing), finished on
working days spread evenly over the twelve months up to ``today`` (default: the benchmarks'
reference day). Rows are made by the database itself — ``INSERT … SELECT … FROM
generate_series`` in batches, one transaction each — from arrays of the city's ids; nothing is
built row by row in Python, so ten million cases are a matter of minutes.

What a case looks like (the shares are the module's constants):

- an item chosen with the same skew as ``bench.casegen`` (a few items carry much of the work); its
  implementing department and first office lead (``lead_department``, ``lead_office``);
- 即办 (``ON_THE_SPOT_SHARE``): at a window, accepted, decided and handed over the same day;
  秒批 (``INSTANT_SHARE``): online, decided by the rules (``instant_outcome.decision``), sent
  electronically the same day, nobody deciding;
- the rest: online (``ONLINE_SHARE``: PC, mobile or the online one-window) or at a window, handled
  for 0 … the promised limit working days, ``LATE_SHARE`` of them 1–5 working days late (their card
  red), results collected at a window, posted or sent electronically;
- window cases: the window, its clerk as first responder and acceptor; online ones: a member of
  the lead department accepts; a member of the lead department decides; the clerk (or for results
  not collected at a window a department member) issues;
- ``legal_due``, ``promised_due`` and ``warn_on`` from the working-day calendar (the case clock's
  rules without suspensions), ``received_at`` a few minutes before acceptance, ``decided_at`` before
  ``finished_at`` = ``issued_at``.

No tasks and no materials are written (a finished case's tasks are not what these benchmarks
read). Numbers are ``<city code>-<YYYYMMDD>-<9-digit id>``: never equal to a counter's 6-digit ones.

Needs PostgreSQL. Run it on its own: ``python -m bench.finishedgen 100000``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.harness import REFERENCE_TIME

BATCH = 500_000
ON_THE_SPOT_SHARE = 0.12
INSTANT_SHARE = 0.05
ONLINE_SHARE = 0.35
LATE_SHARE = 0.06
POOL = 1000  # the weighted item draw: item indexes repeated by weight in an array this long


def _arrays(rng: random.Random, today: dt.date) -> dict[str, Any]:
    """The city's ids as arrays (1-based in SQL), and the working days around ``today``."""
    from bench.casegen import _city
    from quanban.core import workdays

    city = _city(rng)
    items = city.items
    total = sum(city.weights)
    pool: list[int] = []
    for index, weight in enumerate(city.weights, start=1):
        pool.extend([index] * max(1, round(POOL * weight / total)))
    staff_flat: list[int] = []
    staff_off: list[int] = []
    staff_len: list[int] = []
    seen: dict[int, tuple[int, int]] = {}
    for item in items:
        if item.lead_department not in seen:
            people = city.staff_by_department.get(item.lead_department) or city.staff
            seen[item.lead_department] = (len(staff_flat), len(people))
            staff_flat.extend(people)
        off, length = seen[item.lead_department]
        staff_off.append(off)
        staff_len.append(length)

    # Working days from a little over a year back to as far ahead as the calendar knows (due
    # dates of the last cases lie after today).
    start = today - dt.timedelta(days=400)
    days: list[dt.date] = []
    day = start
    while workdays.year_is_covered(day.year) and day <= today + dt.timedelta(days=200):
        if workdays.is_working_day(day):
            days.append(day)
        day += dt.timedelta(days=1)
    today_index = max(i for i, d in enumerate(days, start=1) if d <= today)
    first_index = min(i for i, d in enumerate(days, start=1) if d > today - dt.timedelta(days=365))
    windows = [w for w, _hall in city.windows] or [0]
    return {
        "pool": pool,
        "pool_len": len(pool),
        "version": [i.version_id for i in items],
        "lead": [i.lead_department for i in items],
        "office": [i.lead_office for i in items],
        "promised": [i.promised_limit for i in items],
        "legal": [i.legal_limit for i in items],
        "staff": staff_flat,
        "staff_off": staff_off,
        "staff_len": staff_len,
        "clerks": city.clerks,
        "windows": windows,
        "persons": city.persons or [0],
        "entities": city.entities or [0],
        "has_persons": bool(city.persons),
        "has_entities": bool(city.entities),
        "wd": days,
        "wd_len": len(days),
        "wd_today": today_index,
        "wd_first": first_index,
    }


# Per row: the draws (u*), then what follows from them. ``k`` is the kind: 1 即办, 2 秒批, 0 other.
_DRAWS = """
g AS (
  SELECT n, random() AS u_item, random() AS u_kind, random() AS u_online, random() AS u_late,
         random() AS u_h, random() AS u_f, random() AS u_t1, random() AS u_t2, random() AS u_ch,
         random() AS u_del, random() AS u_app, random() AS u_who, random() AS u_s1, random() AS u_s2,
         random() AS u_win
  FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS n
),
a AS (
  SELECT g.*, (%(pool)s::int[])[1 + floor(u_item * %(pool_len)s)::int] AS it,
         CASE WHEN u_kind < %(spot)s THEN 1 WHEN u_kind < %(spot)s + %(instant)s THEN 2
              ELSE 0 END AS k
  FROM g
),
b AS (
  SELECT a.*,
    (%(promised)s::int[])[it] AS pl,
    (%(legal)s::int[])[it] AS ll,
    CASE WHEN k = 2 THEN true WHEN k = 1 THEN false ELSE u_online < %(online)s END AS online,
    CASE WHEN k > 0 THEN 0
         WHEN u_late < %(late)s THEN (%(promised)s::int[])[it] + 1 + floor(u_h * 5)::int
         ELSE floor(u_h * u_h * ((%(promised)s::int[])[it] + 1))::int END AS h
  FROM a
),
c AS (
  SELECT b.*,
    -- the finishing working day: evenly over the year up to today
    %(wd_first)s + floor(u_f * (%(wd_today)s - %(wd_first)s + 1))::int AS fi
  FROM b
),
d AS (
  SELECT c.*, greatest(1, fi - h) AS ai,
    greatest(1, -(-pl * 20 / 100)) AS warn_days
  FROM c
),
e AS (
  SELECT d.*,
    (%(wd)s::date[])[ai] AS accepted_on,
    (%(wd)s::date[])[fi] AS finished_on,
    (%(wd)s::date[])[least(ai + pl, %(wd_len)s)] AS promised_due,
    (%(wd)s::date[])[least(ai + ll, %(wd_len)s)] AS legal_due,
    (%(wd)s::date[])[least(ai + greatest(0, pl - warn_days), %(wd_len)s)] AS warn_on,
    (%(staff)s::bigint[])[(%(staff_off)s::int[])[it] + 1
       + floor(u_s1 * (%(staff_len)s::int[])[it])::int] AS dept_staff,
    (%(staff)s::bigint[])[(%(staff_off)s::int[])[it] + 1
       + floor(u_s2 * (%(staff_len)s::int[])[it])::int] AS decider,
    (%(clerks)s::bigint[])[1 + floor(u_who * %(clerks_len)s)::int] AS clerk,
    CASE WHEN k = 2 THEN 'electronic'
         WHEN k = 1 THEN 'window'
         WHEN online AND u_del < 0.6 THEN 'electronic'
         WHEN online AND u_del < 0.85 THEN 'post'
         WHEN online THEN 'window'
         WHEN u_del < 0.85 THEN 'window' ELSE 'post' END AS delivery
  FROM d
),
f AS (
  SELECT e.*,
    -- office hours, local time; a same-day case is accepted in the morning
    (accepted_on + make_interval(mins => 540 + floor(u_t1 * (CASE WHEN h = 0 THEN 180 ELSE 500 END))::int))
      AT TIME ZONE %(tz)s AS accepted_at,
    CASE WHEN h = 0 THEN
      (accepted_on + make_interval(mins => 730 + floor(u_t2 * 300)::int)) AT TIME ZONE %(tz)s
    ELSE
      (finished_on + make_interval(mins => 540 + floor(u_t2 * 510)::int)) AT TIME ZONE %(tz)s
    END AS finished_at
  FROM e
)
"""


def _select(columns: list[str], defaults: dict[str, str], first_id: int) -> str:
    """The SELECT list in the table's column order: computed columns, else the default."""
    received = (
        "accepted_at - make_interval(mins => CASE WHEN k = 2 THEN 1 "
        "ELSE 5 + floor(u_t2 * 85)::int END)"
    )
    computed = {
        "id": f"{first_id} + n",
        "number": (
            "%(prefix)s || '-' || to_char(accepted_on, 'YYYYMMDD') || '-' "
            f"|| lpad(({first_id} + n)::text, 9, '0')"
        ),
        "item_version_id": "(%(version)s::bigint[])[it]",
        "person_id": (
            "CASE WHEN NOT %(has_entities)s OR (%(has_persons)s AND u_app < 0.5) "
            "THEN (%(persons)s::bigint[])[1 + floor(u_app * 2 * %(persons_len)s)::int] END"
        ),
        "entity_id": (
            "CASE WHEN NOT (NOT %(has_entities)s OR (%(has_persons)s AND u_app < 0.5)) "
            "THEN (%(entities)s::bigint[])"
            "[1 + floor(greatest(0, u_app * 2 - 1) * %(entities_len)s)::int] END"
        ),
        "channel": (
            "CASE WHEN online THEN (CASE WHEN u_ch < 0.5 THEN '1' WHEN u_ch < 0.85 THEN '2' "
            "ELSE '9' END) ELSE (CASE WHEN u_ch < 0.8 THEN '8' ELSE '0' END) END"
        ),
        "state": "'finished'",
        "first_responder_id": "CASE WHEN online THEN NULL ELSE clerk END",
        "window_id": (
            "CASE WHEN online THEN NULL ELSE "
            "(%(windows)s::bigint[])[1 + floor(u_win * %(windows_len)s)::int] END"
        ),
        "received_at": received,
        "accepted_at": "accepted_at",
        "accepted_by_id": "CASE WHEN online THEN dept_staff ELSE clerk END",
        "legal_due": "legal_due",
        "promised_due": "promised_due",
        "warn_on": "warn_on",
        "card_level": (
            "CASE WHEN h > pl THEN 'red' WHEN k = 0 AND h >= pl - warn_days THEN 'yellow' "
            "ELSE 'none' END"
        ),
        "lead_department_id": "(%(lead)s::bigint[])[it]",
        "lead_office_id": "(%(office)s::bigint[])[it]",
        "routing_note": "'默认：事项实施部门'",
        "on_the_spot": "k = 1",
        "instant_outcome": (
            "CASE WHEN k = 2 THEN jsonb_build_object('rule_set', 'bench', 'rule_set_version', 1,"
            " 'rule', 'r1', 'decision', 'approve', 'reason', '符合条件') ELSE '{}'::jsonb END"
        ),
        "decision": "'approve'",
        "decision_text": "'准予许可'",
        "decided_at": (
            "CASE WHEN h = 0 THEN finished_at - interval '5 minutes' "
            "ELSE finished_at - make_interval(mins => 30 + floor(u_t1 * 120)::int) END"
        ),
        "decided_by_id": "CASE WHEN k = 2 THEN NULL ELSE decider END",
        "delivery": "delivery",
        "issued_at": "finished_at",
        "issued_by_id": (
            "CASE WHEN k = 2 THEN NULL WHEN delivery = 'window' AND NOT online THEN clerk "
            "ELSE dept_staff END"
        ),
        "delivered_at": (
            "CASE WHEN delivery = 'post' THEN finished_at + interval '2 days' ELSE finished_at END"
        ),
        "finished_at": "finished_at",
        "version": "8",
        "created_at": received,
        "updated_at": "finished_at",
    }
    parts = []
    for column in columns:
        expression = computed.get(column)
        if expression is None:
            expression = defaults[column]
        parts.append(expression)
    return ", ".join(parts)


def _defaults() -> tuple[list[str], dict[str, str], dict[str, Any]]:
    """Columns of the case table, and a typed parameter for each column's default."""
    from django.db import connection, models

    from quanban.cases.models import Case

    columns: list[str] = []
    defaults: dict[str, str] = {}
    params: dict[str, Any] = {}
    for field in Case._meta.concrete_fields:
        columns.append(field.column)
        if field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        else:
            value = ""
        if isinstance(field, models.JSONField):
            value = json.dumps(value if value is not None else {})
        name = f"d_{field.column}"
        params[name] = value
        defaults[field.column] = f"CAST(%({name})s AS {field.db_type(connection)})"
    return columns, defaults, params


def generate_finished(
    n: int,
    *,
    seed: int = 2026,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
    batch: int = BATCH,
) -> dict[str, int]:
    """Add ``n`` finished cases over the twelve months up to ``today`` (PostgreSQL only).

    Returns counts: ``cases``, ``late`` (finished after the promised day), ``on_the_spot``,
    ``instant``, ``online``, ``first_id``, ``last_id``, ``seconds``.
    """
    from django.db import connection, transaction
    from django.db.models import Max

    from quanban.cases.models import Case

    if connection.vendor != "postgresql":
        raise RuntimeError("finishedgen writes with PostgreSQL's generate_series: set DATABASE_URL")
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    started = time.perf_counter()
    today = today or REFERENCE_TIME.date()
    rng = random.Random(seed)
    arrays = _arrays(rng, today)
    columns, defaults, default_params = _defaults()
    first_id = (Case.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    from django.conf import settings

    params: dict[str, Any] = {
        **arrays,
        **default_params,
        "spot": ON_THE_SPOT_SHARE,
        "instant": INSTANT_SHARE,
        "online": ONLINE_SHARE,
        "late": LATE_SHARE,
        "tz": settings.TIME_ZONE,
        "prefix": str(settings.CITY_DIVISION_CODE),
        "clerks_len": len(arrays["clerks"]),
        "windows_len": len(arrays["windows"]),
        "persons_len": len(arrays["persons"]),
        "entities_len": len(arrays["entities"]),
    }
    select = _select(columns, defaults, first_id - 1)
    cols = ", ".join(f'"{c}"' for c in columns)
    sql = f'WITH {_DRAWS} INSERT INTO "{Case._meta.db_table}" ({cols}) SELECT {select} FROM f'
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [((seed % 1000) / 1000.0) - 0.5])
    done = 0
    while done < n:
        size = min(batch, n - done)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, {**params, "lo": done + 1, "hi": done + size})
        done += size
        say(
            f"finishedgen: {done:,}/{n:,} finished cases "
            f"({done / n:.0%}, {time.perf_counter() - started:,.0f} s)"
        )
    last_id = first_id + n - 1
    say("finishedgen: sequence and statistics …")
    table = Case._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
        cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(
            f"""SELECT count(*), count(*) FILTER (WHERE (finished_at AT TIME ZONE %s)::date
                       > promised_due),
                       count(*) FILTER (WHERE on_the_spot),
                       count(*) FILTER (WHERE instant_outcome ? 'decision'),
                       count(*) FILTER (WHERE channel IN ('1', '2', '9'))
                FROM {table} WHERE id BETWEEN %s AND %s""",
            [settings.TIME_ZONE, first_id, last_id],
        )
        cases, late, spot, instant, online = cursor.fetchone()
    return {
        "cases": cases,
        "late": late,
        "on_the_spot": spot,
        "instant": instant,
        "online": online,
        "first_id": first_id,
        "last_id": last_id,
        "seconds": round(time.perf_counter() - started),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os

    parser = argparse.ArgumentParser(
        prog="python -m bench.finishedgen",
        description="Add N finished cases over the last twelve months (PostgreSQL, DATABASE_URL).",
    )
    parser.add_argument("cases", type=int)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quanban.config.settings")
    import django

    django.setup()
    made = generate_finished(args.cases, seed=args.seed)
    print(json.dumps(made, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
