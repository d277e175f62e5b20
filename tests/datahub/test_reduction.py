"""The material-reduction rate on its page and in the API: exact figures, and who may see them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quanban.accounts import services as accounts
from quanban.cases import services
from quanban.cases.models import Channel
from quanban.catalogue import services as catalogue
from quanban.datahub.selectors import material_reduction
from tests import factories
from tests.api.clients import bearer, session_client
from tests.catalogue import helpers

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _a_covered_day():
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def item(city):
    """1 申请书 (applicant's), 2 申请人居民身份证 (the population registry), 3 说明 (optional)."""
    version = helpers.draft(city.department, service_objects=["1"])
    catalogue.material_add(
        user=None,
        version=version,
        name="申请人居民身份证",
        form="7",
        necessity="1",
        source="30",
        source_ref="居民身份证电子证照（公安部门）",
    )
    catalogue.material_add(
        user=None, version=version, name="说明", form="8", necessity="2", source="10"
    )
    catalogue.version_submit(user=None, version=version)
    return catalogue.version_publish(user=None, version=version)


@pytest.fixture
def other_item(city):
    return helpers.published(city.other_department, name="其他事项")


@pytest.fixture
def cases(city, clerk, person_record, item, other_item):
    """Two cases of the item (one fetches its ID card, one of someone the registry lacks) and
    one of the other department's item: 5 required materials, 1 fetched."""
    known = accounts.person_register(name="张三", id_number=person_record.id_number)
    stranger = accounts.person_register(name="李四", id_number=factories.valid_id_number(seq="456"))
    made = []
    for applicant, version in ((known, item), (stranger, item), (known, other_item)):
        made.append(
            services.case_receive(
                user=clerk,
                item_version=version,
                applicant=applicant,
                channel=Channel.OFFLINE_ONE_WINDOW,
                answers={},
                window=city.window,
                received_material_ids=[version.materials.get(seq=1).pk],
            )
        )
    return made


JUNE = {"first_day": dt.date(2026, 6, 1), "last_day": dt.date(2026, 6, 30)}


def test_the_rate_per_item_and_department_is_exact(cases, city, item, other_item):
    report = material_reduction(**JUNE)
    assert [
        (r.item_id, r.department_name, r.cases, r.required, r.fetched, r.reused, r.rate)
        for r in report.items
    ] == [
        (item.item_id, "济南市行政审批服务局", 2, 4, 1, 0, 0.25),
        (other_item.item_id, "济南市市场监督管理局", 1, 1, 0, 0, 0.0),
    ]
    assert [
        (r.department_name, r.cases, r.required, r.fetched, r.rate) for r in report.departments
    ] == [
        ("济南市行政审批服务局", 2, 4, 1, 0.25),
        ("济南市市场监督管理局", 1, 1, 0, 0.0),
    ]
    assert (report.total.cases, report.total.required, report.total.fetched, report.total.rate) == (
        3,
        5,
        1,
        0.2,
    )
    only = material_reduction(**JUNE, department=city.other_department)
    assert [r.item_id for r in only.items] == [other_item.item_id]
    empty = material_reduction(first_day=dt.date(2026, 5, 1), last_day=dt.date(2026, 5, 31))
    assert (empty.items, empty.departments, empty.total.required, empty.total.rate) == (
        [],
        [],
        0,
        None,
    )


def test_the_page_shows_the_figures_to_a_supervisor(cases, city):
    supervisor = factories.make_staff(city, factories.Role.SUPERVISOR)
    page = session_client(supervisor).get(
        "/workbench/reduction/?first_day=2026-06-01&last_day=2026-06-30"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "<td>2</td><td>4</td><td>1</td><td>0</td><td>25.0%</td>" in html
    assert "<td>1</td><td>1</td><td>0</td><td>0</td><td>0.0%</td>" in html
    assert 'id="chart-reduction"' in html


def test_a_department_head_sees_their_department_and_a_clerk_nothing(cases, city):
    head = factories.make_staff(city, factories.Role.DEPARTMENT_HEAD, scope=city.other_department)
    query = "first_day=2026-06-01&last_day=2026-06-30"
    body = session_client(head).get(f"/api/v1/datahub/reduction?{query}").json()
    assert [(r["department_name"], r["required"]) for r in body["departments"]] == [
        ("济南市市场监督管理局", 1)
    ]
    clerk = factories.make_staff(city, factories.Role.WINDOW_CLERK)
    assert session_client(clerk).get(f"/workbench/reduction/?{query}").status_code == 403
    response = session_client(clerk).get(f"/api/v1/datahub/reduction?{query}")
    assert response.status_code == 403


def test_the_api_gives_the_same_figures(cases, city, item):
    supervisor = factories.make_staff(city, factories.Role.SUPERVISOR)
    from django.test import Client

    response = Client().get(
        "/api/v1/datahub/reduction?first_day=2026-06-01&last_day=2026-06-30",
        headers=bearer(supervisor),
    )
    body = response.json()
    assert response.status_code == 200
    assert body["total"] == {
        "item_id": None,
        "item_name": "",
        "department_id": 0,
        "department_name": "",
        "cases": 3,
        "required": 5,
        "fetched": 1,
        "reused": 0,
        "rate": 0.2,
    }
    assert [(r["item_id"], r["rate"]) for r in body["items"]] == [
        (item.item_id, 0.25),
        (body["items"][1]["item_id"], 0.0),
    ]


def test_a_reversed_or_overlong_period_is_refused(cases, city):
    supervisor = factories.make_staff(city, factories.Role.SUPERVISOR)
    client = session_client(supervisor)
    reversed_ = client.get("/api/v1/datahub/reduction?first_day=2026-06-30&last_day=2026-06-01")
    assert (reversed_.status_code, reversed_.json()["code"]) == (422, "period_reversed")
    long = client.get("/api/v1/datahub/reduction?first_day=2025-01-01&last_day=2026-06-01")
    assert (long.status_code, long.json()["code"]) == (422, "period_too_long")
    page = client.get("/workbench/reduction/?first_day=2026-06-30&last_day=2026-06-01")
    assert "结束日期不能早于开始日期。" in page.content.decode()
