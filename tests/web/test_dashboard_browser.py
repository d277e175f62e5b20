"""The dashboard (数据看板) in a real browser: a supervisor opens it from the workbench, picks June
2026, sees the charts drawn and their tables' numbers, and downloads the Excel file.

The cases are those of tests/supervision/test_dashboards.py (made on 15 June 2026).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from quanban.accounts.roles import Role
from tests import factories
from tests.supervision.test_dashboards import make_known
from tests.web.test_case_browser import staff_sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ACCEPTED = dt.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
D1 = "济南市行政审批服务局"


@pytest.fixture
def june(work_calendar, settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    city = factories.make_city()
    supervisor = factories.make_staff(city, Role.SUPERVISOR, username="supervisor")
    with time_machine.travel(ACCEPTED, tick=False):
        make_known(city)
    return {"city": city, "supervisor": supervisor}


def table(page, table_id: str) -> list[list[str]]:
    body = page.locator(f"#{table_id} tbody tr")
    return [
        [cell.strip() for cell in body.nth(i).locator("th, td").all_inner_texts()]
        for i in range(body.count())
    ]


def test_a_supervisor_sees_the_charts_and_downloads_the_numbers(page, june, tmp_path):
    staff_sign_in(page, june["supervisor"])
    page.locator("main").get_by_role("link", name="数据看板").click()
    page.wait_for_url("**/workbench/dashboard/")
    assert page.get_by_role("heading", level=1).inner_text() == "数据看板"
    page.get_by_label("开始日期").fill("2026-06-01")
    page.get_by_label("截止日期").fill("2026-06-30")
    page.get_by_role("button", name="查询").click()
    page.wait_for_url("**/workbench/dashboard/?first_day=2026-06-01&last_day=2026-06-30*")

    # Every chart drawn by ECharts on a canvas.
    charts = page.locator("[data-chart]")
    assert charts.count() == 4
    page.wait_for_selector("[data-chart][data-rendered='true'] canvas")
    for i in range(charts.count()):
        assert charts.nth(i).get_attribute("data-rendered") == "true"
        assert charts.nth(i).locator("canvas").count() >= 1

    figures = dict(
        zip(
            page.locator("#summary dt").all_inner_texts(),
            page.locator("#summary dd").all_inner_texts(),
            strict=True,
        )
    )
    assert (figures["办结"], figures["按时办结率"], figures["90%办结工作日"]) == (
        "4",
        "75.0%",
        "10",
    )
    assert (figures["在办件"], figures["黄牌办件"], figures["不见面审批占比"]) == (
        "1",
        "1",
        "50.0%",
    )
    assert table(page, "table-departments") == [
        [D1, "1", "1", "0", "5", "4", "75.0%", "2.25", "10", "25.0%", "75.0%", "50.0%"],
        ["未分配", "0", "0", "0", "1", "0", "—", "—", "—", "—", "—", "—"],
    ]
    assert [row[:6] for row in table(page, "table-districts")] == [
        ["历下区", "0", "0", "0", "1", "1"],
        ["市本级", "1", "1", "0", "5", "3"],
    ]

    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    download = info.value
    assert download.suggested_filename == "dashboard-20260601-20260630.xlsx"
    path = tmp_path / "june.xlsx"
    download.save_as(path)
    book = load_workbook(path)
    overview = {row[0]: row[1] for row in book["概览"].iter_rows(min_row=2, values_only=True)}
    assert (overview["收件"], overview["办结"], overview["按时办结率"]) == (6, 4, 0.75)
    assert [list(r[:6]) for r in book["部门"].iter_rows(min_row=2, values_only=True)] == [
        [D1, 1, 1, 0, 5, 4],
        ["未分配", 0, 0, 0, 1, 0],
    ]
