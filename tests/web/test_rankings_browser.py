"""The public rankings (综合排名) in a real browser: anyone opens the page without signing in, the
departments' chart is drawn, and a department's name leads to its public results.

Two ratings on the window pad on 15 June 2026 (5 and 2, the clerk's department), ranked as June's
provisional ranking.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quanban.accounts.roles import Role
from quanban.feedback import services as feedback
from quanban.feedback.rankings import ranking_compute
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MONDAY = dt.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def ranked(work_calendar):
    city = factories.make_city()
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, username="clerk")
    with time_machine.travel(MONDAY, tick=False):
        for level in (5, 2):
            _invite, token = feedback.rating_pad_open(user=clerk, window=city.window)
            feedback.rating_submit_by_token(token=token, level=level, user=clerk)
        ranking_compute(kind="month", day=MONDAY.date())
    return city


def test_anyone_sees_the_ranking_and_its_chart_and_drills_down(page, ranked):
    page.goto("/feedback/rankings/")
    assert page.locator("#period-title").inner_text() == "2026-06 月度排名"
    page.wait_for_selector("[data-chart][data-rendered='true'] canvas")
    row = page.locator("#ranking-department tbody tr").first
    cells = [cell.strip() for cell in row.locator("td").all_inner_texts()]
    # 35 × 1/2 + 15 × 0/1 + 15 + 5 + 30 = 67.50
    assert cells[:4] == ["1", "新", "济南市行政审批服务局", "67.50"]
    assert "评分权重 v1" in page.locator("#weights").inner_text()
    row.get_by_role("link", name="济南市行政审批服务局").click()
    page.wait_for_url(f"**/feedback/department/{ranked.department.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == "济南市行政审批服务局"
