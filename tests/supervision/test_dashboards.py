"""The dashboards: the rollup's figures for known cases, filters, the forecast, Excel, who sees.

The cases, all of the city's first department, accepted on Monday 2026-06-15 at 10:00 (promised
in 5 working days: due 23 June, the Dragon Boat Festival being 19–21 June):

- A: at a window of the district hall (历下区), 即办, finished the same day, collected there;
- B: online (PC), finished Thursday 18 June (3 working days), sent electronically (不见面), one
  of its materials fetched from another department (共享获取);
- C: online (mobile), finished Wednesday 24 June (6 working days: late), collected at a window;
- D: online (online one-window), 秒批, finished the same day, sent electronically;
- E: still open, yellow;
- F: received on 16 June, not accepted.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from openpyxl import load_workbook

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases import services as cases
from quanban.cases.models import Case, CaseMaterial, Task
from quanban.core.context import Actor, acting_as
from quanban.core.errors import PermissionDenied
from quanban.core.models import AuditRecord
from quanban.supervision import dashboards, rollups
from quanban.supervision.models import DashboardDay, DashboardRefresh
from tests import factories
from tests.catalogue import helpers
from tests.supervision.test_sweep import _on_the_day_of_acceptance, accepted_case
from tests.web.test_synonym_page import signed_in

__all__ = ["_on_the_day_of_acceptance"]

D = dt.date.fromisoformat
SHANGHAI = ZoneInfo("Asia/Shanghai")
JUNE = dashboards.Filters(first_day=D("2026-06-01"), last_day=D("2026-06-30"))
WORKER = Actor(channel="worker")


def at(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(D(day), dt.time(hour, minute), tzinfo=SHANGHAI)


def finish(case: Case, *, day: str, hour: int, **fields: object) -> None:
    """The case as the runtime leaves it when it finishes (its tasks out of the way)."""
    Task.objects.filter(case=case).update(state=Task.State.CANCELLED)
    Case.objects.filter(pk=case.pk).update(
        state=Case.State.FINISHED,
        decision=Case.Decision.APPROVE,
        decided_at=at(day, hour) - dt.timedelta(minutes=5),
        issued_at=at(day, hour),
        finished_at=at(day, hour),
        delivered_at=at(day, hour),
        **fields,
    )


@pytest.fixture
def known(city):
    return make_known(city)


def make_known(city) -> dict[str, object]:
    """Cases A–F of the module's docstring, rolled up (call it on 15 June 2026)."""
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, username="clerk")
    district_hall = accounts.org_unit_create(
        kind="hall", name="历下区政务服务中心", parent=city.district
    )
    district_window = accounts.org_unit_create(
        kind="window", name="综合受理窗口", parent=district_hall
    )
    made: dict[str, Any] = {
        name: accepted_case(city, clerk, n) for n, name in enumerate("ABCDE", start=1)
    }
    finish(
        made["A"], day="2026-06-15", hour=15, on_the_spot=True, delivery="window",
        window=district_window,
    )  # fmt: skip
    finish(made["B"], day="2026-06-18", hour=11, channel="1", window=None, delivery="electronic")
    CaseMaterial.objects.filter(case=made["B"]).update(source=CaseMaterial.Source.FETCHED)
    finish(made["C"], day="2026-06-24", hour=16, channel="2", window=None, delivery="window")
    finish(
        made["D"], day="2026-06-15", hour=10, channel="9", window=None, delivery="electronic",
        instant_outcome={"rule": "r1", "decision": "approve"},
    )  # fmt: skip
    Case.objects.filter(pk=made["E"].pk).update(card_level="yellow")
    version = helpers.published(city.department)
    person = accounts.person_register(
        name="申请人6", id_number=factories.valid_id_number(seq="006")
    )
    received = cases.case_receive(
        user=clerk,
        item_version=version,
        applicant=person,
        channel="8",
        answers={},
        window=city.window,
        received_material_ids=[],
    )
    Case.objects.filter(pk=received.pk).update(received_at=at("2026-06-16", 9))
    made["F"] = received
    made["district_window"] = district_window
    with acting_as(WORKER):
        rollups.dashboard_rollup_rebuild(first_day=D("2026-06-01"), last_day=D("2026-06-30"))
    return made


@pytest.fixture
def supervisor(city):
    return factories.make_staff(city, Role.SUPERVISOR, username="supervisor")


def test_the_rollup_counts_the_known_cases_exactly(known, supervisor):
    summary = dashboards.dashboard_summary(user=supervisor, filters=JUNE)
    assert summary == {
        "received": 6,
        "accepted": 5,
        "finished": 4,
        "finished_on_time": 3,
        "on_time_rate": 0.75,
        "average_days": 2.25,  # (0 + 3 + 6 + 0) / 4
        "p90_days": 10,  # 0, 0, 3, 6: the 90th percentile lies in the 6–10 bucket
        "on_the_spot_share": 0.25,
        "instant_share": 0.25,
        "online_share": 0.75,
        "no_visit_share": 0.5,
        "materials": 4,
        "materials_fetched": 1,
        "materials_reused": 0,
        "material_reduction": 0.25,
        "open": 1,
        "yellow": 1,
        "red": 0,
        "on_time_now": 1,
        "tasks_open": 1,
        "tasks_yellow": 0,
        "tasks_red": 0,
    }
    by_day = {
        row["day"]: (row["received"], row["accepted"], row["finished"])
        for row in DashboardDay.objects.values("day")
        .annotate(received=Sum("received"), accepted=Sum("accepted"), finished=Sum("finished"))
        .order_by("day")
    }
    assert by_day == {
        D("2026-06-15"): (5, 5, 2),
        D("2026-06-16"): (1, 0, 0),
        D("2026-06-18"): (0, 0, 1),
        D("2026-06-24"): (0, 0, 1),
    }
    assert AuditRecord.objects.filter(action="dashboard.rollup").count() == 1


def test_a_rebuild_replaces_its_days_and_leaves_the_others(known, supervisor):
    before = list(DashboardDay.objects.order_by("day", "item_id").values_list("day", "finished"))
    with acting_as(WORKER):
        report = rollups.dashboard_rollup_rebuild(
            first_day=D("2026-06-18"), last_day=D("2026-06-18")
        )
    assert report.rows == 1
    after = list(DashboardDay.objects.order_by("day", "item_id").values_list("day", "finished"))
    assert after == before


def test_the_refresh_takes_the_days_since_the_last_run(known):
    # The last run began on 15 June (the frozen clock): 15 June through today again.
    with acting_as(WORKER):
        report = rollups.dashboard_rollup_refresh(today=D("2026-06-16"))
    assert report is not None
    assert (report.first_day, report.last_day) == (D("2026-06-15"), D("2026-06-16"))
    assert DashboardRefresh.objects.count() == 2
    assert DashboardDay.objects.filter(day__lte=D("2026-06-16")).aggregate(r=Sum("received")) == {
        "r": 6
    }


def test_filters_by_district_department_item_and_period(known, supervisor, city):
    lixia = dashboards.dashboard_summary(
        user=supervisor,
        filters=dashboards.Filters(**{**vars(JUNE), "district_id": city.district.pk}),
    )
    assert (lixia["finished"], lixia["on_the_spot_share"], lixia["open"]) == (1, 1.0, 0)
    city_level = dashboards.dashboard_summary(
        user=supervisor,
        filters=dashboards.Filters(**{**vars(JUNE), "district_id": dashboards.CITY_LEVEL}),
    )
    assert (city_level["received"], city_level["finished"], city_level["open"]) == (5, 3, 1)
    other = dashboards.dashboard_summary(
        user=supervisor,
        filters=dashboards.Filters(**{**vars(JUNE), "department_id": city.other_department.pk}),
    )
    assert (other["received"], other["finished"], other["open"]) == (0, 0, 0)
    item_c = known["C"].item_version.item_id
    c_only = dashboards.dashboard_summary(
        user=supervisor, filters=dashboards.Filters(**{**vars(JUNE), "item_id": item_c})
    )
    assert (c_only["finished"], c_only["on_time_rate"], c_only["average_days"]) == (1, 0.0, 6.0)
    week = dashboards.dashboard_summary(
        user=supervisor,
        filters=dashboards.Filters(first_day=D("2026-06-16"), last_day=D("2026-06-19")),
    )
    assert (week["received"], week["accepted"], week["finished"]) == (1, 0, 1)


def test_breakdowns_trend_and_district_grid(known, supervisor, city):
    departments = dashboards.dashboard_breakdown(
        user=supervisor, filters=JUNE, dimension="department"
    )
    # F, received but not accepted, has no lead department yet (未分配).
    assert [
        (r["label"], r["received"], r["finished"], r["open"], r["yellow"]) for r in departments
    ] == [("济南市行政审批服务局", 5, 4, 1, 1), ("未分配", 1, 0, 0, 0)]
    channels = dashboards.dashboard_breakdown(user=supervisor, filters=JUNE, dimension="channel")
    assert sorted((r["key"], r["received"], r["finished"]) for r in channels) == [
        ("1", 1, 1),
        ("2", 1, 1),
        ("8", 3, 1),
        ("9", 1, 1),
    ]
    grid = dashboards.dashboard_district_grid(user=supervisor, filters=JUNE)
    assert [(r["label"], r["finished"], r["open"]) for r in grid] == [
        ("历下区", 1, 0),
        ("市本级", 3, 1),
    ]
    trend = dashboards.dashboard_trend(
        user=supervisor,
        filters=dashboards.Filters(first_day=D("2026-06-14"), last_day=D("2026-06-18")),
    )
    assert [(r["label"], r["received"], r["finished"]) for r in trend] == [
        ("06-14", 0, 0),
        ("06-15", 5, 2),
        ("06-16", 1, 0),
        ("06-17", 0, 0),
        ("06-18", 0, 1),
    ]
    monthly = dashboards.dashboard_trend(
        user=supervisor,
        filters=dashboards.Filters(first_day=D("2026-04-01"), last_day=D("2026-06-30")),
    )
    assert [(r["label"], r["finished"]) for r in monthly] == [
        ("2026-04", 0),
        ("2026-05", 0),
        ("2026-06", 4),
    ]


def _task(case: Case, department, n: int, *, due: str, done: bool = False) -> Task:
    return Task.objects.create(
        case=case,
        step=f"s{n}",
        kind="review",
        name="审查",
        department=department,
        role=Role.REVIEWER,
        state=Task.State.DONE if done else Task.State.OPEN,
        opened_at=at("2026-06-01", 9),
        opened_on=D("2026-06-01"),
        due_on=D(due),
        completed_at=at("2026-06-15", 9) if done else None,
    )


def test_the_forecast_counts_what_the_pace_cannot_finish(known, supervisor, city):
    case = known["E"]  # its review task is open, due 17 June
    for n in range(20):  # 20 done in the last 20 working days: a pace of 1 a day
        _task(case, city.department, 100 + n, due="2026-06-12", done=True)
    _task(case, city.department, 1, due="2026-06-12")  # already late: first in the queue
    _task(case, city.department, 2, due="2026-06-15")
    _task(case, city.department, 3, due="2026-06-17")
    _task(case, city.department, 4, due="2026-06-22")
    _task(case, city.department, 5, due="2026-06-23")  # beyond 5 working days
    _task(case, city.other_department, 6, due="2026-06-16")
    forecast = dashboards.dashboard_forecast(
        user=supervisor, filters=JUNE, days=5, today=D("2026-06-15")
    )
    # Queue of the first department at one a day: the late one (place 1); due today (place 2,
    # 1 done by today: red); due 17 June (places 3, 4; 3 done by then: one red); due 22 June
    # (place 5, 5 done by then: in time).
    assert forecast == [
        {
            "key": city.department.pk,
            "label": "济南市行政审批服务局",
            "overdue": 1,
            "due_soon": 4,
            "pace": 1.0,
            "forecast_red": 2,
        },
        {
            "key": city.other_department.pk,
            "label": "济南市市场监督管理局",
            "overdue": 0,
            "due_soon": 1,
            "pace": 0.0,
            "forecast_red": 1,
        },
    ]
    tomorrow_only = dashboards.dashboard_forecast(
        user=supervisor, filters=JUNE, days=1, today=D("2026-06-15")
    )
    assert [(r["label"], r["due_soon"], r["forecast_red"]) for r in tomorrow_only] == [
        ("济南市行政审批服务局", 1, 1)
    ]


def test_a_department_head_sees_their_department_only(known, city):
    head = factories.make_staff(city, Role.DEPARTMENT_HEAD, scope=city.other_department)
    summary = dashboards.dashboard_summary(user=head, filters=JUNE)
    assert (summary["received"], summary["finished"], summary["open"]) == (0, 0, 0)
    assert dashboards.dashboard_breakdown(user=head, filters=JUNE, dimension="department") == []
    with pytest.raises(PermissionDenied):
        dashboards.dashboard_summary(
            user=head,
            filters=dashboards.Filters(**{**vars(JUNE), "department_id": city.department.pk}),
        )
    own = factories.make_staff(city, Role.DEPARTMENT_HEAD, scope=city.department)
    assert dashboards.dashboard_summary(user=own, filters=JUNE)["finished"] == 4


@pytest.mark.parametrize("role", [Role.WINDOW_CLERK, Role.OFFICE_HEAD, Role.AUDIT_ADMIN])
def test_anyone_else_sees_nothing(known, city, role):
    user = factories.make_staff(city, role)
    with pytest.raises(PermissionDenied):
        dashboards.dashboard_summary(user=user, filters=JUNE)
    client = signed_in(user)
    for url in ("/workbench/dashboard/", "/workbench/dashboard/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 403
        assert "济南市行政审批服务局" not in response.content.decode(errors="replace")


def test_the_page_shows_the_tables_and_the_excel_has_the_numbers(known, supervisor, city):
    client = signed_in(supervisor)
    query = "?first_day=2026-06-01&last_day=2026-06-30"
    page = client.get("/workbench/dashboard/" + query)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="table-departments"' in html and "济南市行政审批服务局" in html
    assert "75.0%" in html  # the on-time rate
    assert 'data-chart="line"' in html and "vendor/echarts/echarts.min.js" in html
    # The material-reduction figures of the same period are a link away (docs/once-only.md).
    assert (
        'id="dashboard-reduction" href="/workbench/reduction/'
        '?first_day=2026-06-01&amp;last_day=2026-06-30"'
    ) in html
    assert client.get("/workbench/reduction/" + query).status_code == 200
    response = client.get("/workbench/dashboard/export.xlsx" + query)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="dashboard-20260601-20260630.xlsx"'
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["概览", "趋势", "部门", "区县", "事项", "渠道", "转红预测"]
    overview = {row[0]: row[1] for row in book["概览"].iter_rows(min_row=2, values_only=True)}
    assert overview["办结"] == 4
    assert overview["按时办结率"] == 0.75
    assert overview["平均办理工作日"] == 2.25
    assert overview["90%办结工作日"] == 10
    assert overview["网办率"] == 0.75
    assert overview["不见面审批占比"] == 0.5
    departments = list(book["部门"].iter_rows(values_only=True))
    assert departments[0][:6] == ("部门", "在办", "黄牌", "红牌", "收件", "办结")
    assert departments[1][:6] == ("济南市行政审批服务局", 1, 1, 0, 5, 4)
    trend = list(book["趋势"].iter_rows(min_row=2, values_only=True))
    assert len(trend) == 30 and trend[14] == ("06-15", 5, 5, 2, 2)
    districts = [row[0] for row in book["区县"].iter_rows(min_row=2, values_only=True)]
    assert districts == ["历下区", "市本级"]
