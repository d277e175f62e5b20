"""The monthly evaluation (绩效评估) in a real browser: a supervisor opens June 2026 from the
workbench, reads its rows per scope, sorts them, and downloads the Excel file.

June's one case: received and accepted by ``clerk`` at the window on Monday 15 June (promised for
23 June), reviewed and approved on the 16th, handed over by ``hall`` on the 17th — on time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases import services
from quanban.cases.models import Task
from quanban.supervision.evaluation import evaluation_compute
from tests import factories
from tests.catalogue import helpers
from tests.web.test_case_browser import staff_sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, month: int = 6):
    return time_machine.travel(dt.datetime(2026, month, day, 10, 0, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def june(work_calendar, settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    city = factories.make_city()
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, username="clerk")
    hall = factories.make_staff(city, Role.WINDOW_CLERK, username="hall", scope=city.hall)
    reviewer = factories.make_staff(city, Role.REVIEWER, username="reviewer", scope=city.department)
    approver = factories.make_staff(city, Role.APPROVER, username="approver", scope=city.department)
    supervisor = factories.make_staff(city, Role.SUPERVISOR, username="supervisor")
    with at(15):
        version = helpers.published(city.department)
        person = accounts.person_register(name="李四", id_number=factories.valid_id_number())
        case = services.case_receive(
            user=clerk,
            item_version=version,
            applicant=person,
            channel="8",
            answers={},
            window=city.window,
            received_material_ids=[version.materials.get().pk],
        )
        case = services.case_accept(user=clerk, case=case)

    def step(user, **kwargs):
        (task,) = Task.objects.filter(case=case, state="open")
        services.task_complete(user=user, task=task, **kwargs)

    with at(16):
        step(reviewer, outcome="pass", opinion="通过")
        step(approver, outcome="approve", opinion="准予")
    with at(17):
        step(hall, outcome="issued", delivery="window")
    with at(1, 7):
        evaluation_compute(month=dt.date(2026, 6, 1))
    return {"city": city, "supervisor": supervisor, "clerk": clerk, "hall": hall}


def rows(page) -> list[list[str]]:
    body = page.locator("#evaluation-rows tbody tr")
    return [
        [cell.strip() for cell in body.nth(i).locator("th, td").all_inner_texts()]
        for i in range(body.count())
    ]


def test_a_supervisor_reads_june_and_downloads_it(page, june, tmp_path):
    staff_sign_in(page, june["supervisor"])
    page.get_by_role("link", name="绩效评估").click()
    page.wait_for_url("**/workbench/evaluation/")
    page.get_by_role("link", name="2026-06").click()
    page.wait_for_url("**/workbench/evaluation/2026-06/")
    assert page.get_by_role("heading", level=1).inner_text() == "2026-06 绩效评估"
    d1 = "济南市行政审批服务局"
    name = {u: june[u].display_name for u in ("clerk", "hall")}
    staff = rows(page)
    assert len(staff) == 3  # the clerk, the approver, the hall clerk (the reviewer counts none)
    assert [name["clerk"], d1, "1", "1", "0", "0", "—", "0", "0", "0", "—", "0", "100.00"] in staff
    assert [
        name["hall"],
        d1,
        "0",
        "0",
        "1",
        "1",
        "100.00%",
        "0",
        "0",
        "0",
        "—",
        "0",
        "100.00",
    ] in staff
    page.get_by_role("link", name="部门", exact=True).click()
    page.wait_for_url("**/2026-06/?scope=department&sort=-score")
    assert rows(page) == [
        [d1, "", "1", "1", "1", "1", "100.00%", "0", "0", "0", "—", "0", "100.00"]
    ]
    # Sorted by the number finished, most first, then least first.
    page.get_by_role("link", name="工作人员", exact=True).click()
    page.wait_for_url("**/2026-06/?scope=staff&sort=-score")
    page.get_by_role("link", name="办结数", exact=True).click()
    page.wait_for_url("**/2026-06/?scope=staff&sort=-finished")
    assert [r[4] for r in rows(page)] == ["1", "1", "0"]
    page.get_by_role("link", name="办结数", exact=True).click()
    page.wait_for_url("**/2026-06/?scope=staff&sort=finished")
    assert [r[4] for r in rows(page)] == ["0", "1", "1"]
    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    download = info.value
    assert download.suggested_filename == "evaluation-2026-06.xlsx"
    path = tmp_path / "june.xlsx"
    download.save_as(path)
    book = load_workbook(path)
    assert book.sheetnames == ["说明", "工作人员", "窗口", "处(科)室", "部门"]
    assert [list(r) for r in book["部门"].iter_rows(min_row=2, values_only=True)] == [
        [d1, None, 1, 1, 1, 1, 1, 0, 0, 0, None, 0, 100]
    ]
    assert book["说明"]["B1"].value == "2026-06"
