"""The case pages through Django's test client: intake at the window, the inbox, the case page,
the applicant's portal. Each page renders for the right people and is not found or forbidden for
the others; each form changes exactly what it should, and a refusal changes nothing.

The tests travel to Monday 2026-06-15 10:00 (Asia/Shanghai), as tests/cases do: a 5-working-day
promise accepted that day is due on Tuesday the 23rd (the Dragon Boat Festival is 19–21 June).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from quanban.accounts import services as accounts
from quanban.accounts.models import NaturalPerson
from quanban.accounts.roles import Role
from quanban.cases import services
from quanban.cases.models import Case, CaseMaterial, CaseSuspension, Channel, Task
from quanban.catalogue import services as catalogue
from quanban.catalogue.models import ItemVersion
from tests import factories
from tests.api.clients import session_client
from tests.catalogue import helpers

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date.fromisoformat
STALE = "办件已被他人修改，请刷新后重试。"


@pytest.fixture(autouse=True)
def _a_covered_day():
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)):
        yield


# --- People and items -------------------------------------------------------------------------


@pytest.fixture
def hall_clerk(city):
    return factories.make_staff(city, Role.WINDOW_CLERK, scope=city.hall)


@pytest.fixture
def reviewer(city):
    return factories.make_staff(city, Role.REVIEWER, scope=city.department)


@pytest.fixture
def approver(city):
    return factories.make_staff(city, Role.APPROVER, scope=city.department)


@pytest.fixture
def outsider(city):
    """A reviewer of another department: sees nothing of the first department's cases."""
    return factories.make_staff(city, Role.REVIEWER, scope=city.other_department)


@pytest.fixture
def person(citizen):
    """The citizen's own registered person (so window cases show in their portal)."""
    return accounts.person_register(
        name="李四", id_number=factories.valid_id_number(seq="441"), user=citizen
    )


@pytest.fixture
def version(city):
    """A published review → approve item of the first department: one required material."""
    return helpers.published(city.department)


@pytest.fixture
def deferrable_version(city):
    """Material 1 required, material 2 “场所平面图” may be supplied later (容缺后补)."""
    version = helpers.draft(city.department, name="小餐饮经营许可")
    catalogue.material_add(
        user=None, version=version, name="场所平面图", form="3", necessity="3", source="10"
    )
    catalogue.version_submit(user=None, version=version)
    return catalogue.version_publish(user=None, version=version)


@pytest.fixture
def commitment_version(city):
    return helpers.published(
        city.department,
        name="公共场所卫生许可",
        process={"kind": "single_approver", "commitment_allowed": True},
        commitment_text="申请人郑重承诺：所填写的信息和提交的材料真实、准确、完整。",
        result_name="公共场所卫生许可证",
    )


@pytest.fixture
def situational_version(city):
    """Material 2 “授权委托书” only when the applicant answers “是” to “是否委托代理？”."""
    version = helpers.draft(city.department, name="出版物零售许可")
    catalogue.material_add(
        user=None,
        version=version,
        name="授权委托书",
        form="1",
        necessity="1",
        source="10",
        situational=True,
    )
    catalogue.situation_add(
        user=None,
        version=version,
        question="是否委托代理？",
        options=[{"label": "是", "adds_materials": [2]}, {"label": "否"}],
    )
    catalogue.version_submit(user=None, version=version)
    return catalogue.version_publish(user=None, version=version)


def text(response) -> str:
    return html.unescape(response.content.decode())


def errors_of(page: str, field_id: str) -> list[str]:
    """The errors shown next to a field (Django's error list, tied to the field by its id)."""
    found = re.search(rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


def m(version: ItemVersion, seq: int) -> int:
    return version.materials.get(seq=seq).pk


def refreshed(obj):
    obj.refresh_from_db()
    return obj


def receive(clerk, version, applicant, *, ticks=(), window=None) -> Case:
    return services.case_receive(
        user=clerk,
        item_version=version,
        applicant=applicant,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=window,
        received_material_ids=[m(version, seq) for seq in ticks],
    )


def accepted(clerk, version, applicant, *, window=None) -> Case:
    case = receive(clerk, version, applicant, ticks=(1,), window=window)
    return services.case_accept(user=clerk, case=case)


def open_task(case: Case) -> Task:
    (task,) = Task.objects.filter(case=case, state="open")
    return task


def intake_url(version: ItemVersion) -> str:
    return f"/workbench/cases/intake/{version.item_id}/"


def case_url(case: Case, action: str = "") -> str:
    return f"/workbench/cases/{case.pk}/{action + '/' if action else ''}"


def task_url(task: Task, action: str) -> str:
    return f"/workbench/cases/tasks/{task.pk}/{action}/"


def intake_post(city, version, action, **fields):
    data = {
        "window": city.window.pk,
        "applicant_kind": "person",
        "id_number": factories.valid_id_number(seq="551"),
        "name": "王五",
        "phone": "",
        "action": action,
    }
    data.update(fields)
    return data


# --- Intake ---------------------------------------------------------------------------------------


def test_intake_starts_from_the_catalogue_search_or_list(city, hall_clerk, version):
    client = session_client(hall_clerk)
    page = text(client.get("/workbench/cases/intake/?q=食品经营"))
    assert f'<a href="/workbench/cases/intake/{version.item_id}/">食品经营许可</a>' in page
    assert f'<option value="{version.item_id}">食品经营许可</option>' in page
    response = client.get(f"/workbench/cases/intake/?item={version.item_id}")
    assert (response.status_code, response["Location"]) == (302, intake_url(version))


def test_intake_page_shows_the_applicants_materials_and_the_buttons_that_apply(
    city, hall_clerk, version
):
    page = text(session_client(hall_clerk).get(intake_url(version)))
    assert "<h1>受理：食品经营许可</h1>" in page
    assert '<th scope="row" class="material-name">食品经营许可申请书' in page
    assert f'<option value="{city.window.pk}" selected>综合受理 1 号窗口</option>' in page
    for button in ('value="accept"', 'value="notice"', 'value="refuse"'):
        assert button in page
    # Neither an on-the-spot item, nor one with 告知承诺, nor one with 容缺 materials.
    for absent in ('value="on_the_spot"', 'value="commit"', 'value="defer"'):
        assert absent not in page


def test_accepting_registers_a_new_applicant_and_gives_the_number(city, hall_clerk, version):
    client = session_client(hall_clerk)
    id_number = factories.valid_id_number(seq="551")
    response = client.post(
        intake_url(version), intake_post(city, version, "accept", received=[m(version, 1)])
    )
    case = Case.objects.get()
    assert (response.status_code, response["Location"]) == (302, case_url(case))
    assert (case.state, case.number, case.first_responder, case.window, case.channel) == (
        "accepted",
        "370100-20260615-000001",
        hall_clerk,
        city.window,
        "8",
    )
    assert (case.person.name, case.person.id_number) == ("王五", id_number)
    assert case.promised_due == D("2026-06-23")
    page = text(client.get(response["Location"]))
    assert "已受理，办件编号 370100-20260615-000001。" in page
    assert '<dd id="promised-due">2026-06-23' in page


def test_a_refused_acceptance_keeps_nothing_and_keeps_what_was_typed(city, hall_clerk, version):
    client = session_client(hall_clerk)
    response = client.post(
        intake_url(version), intake_post(city, version, "accept", phone="13900001111")
    )
    assert response.status_code == 200
    page = text(response)
    errors = re.search(
        r'<div class="message message-error" role="alert" id="received-errors">(.*?)</div>', page
    )
    assert errors is not None
    assert errors.group(1) == "<p>以下材料尚未收取，不能受理：食品经营许可申请书</p>"
    assert f'value="{factories.valid_id_number(seq="551")}"' in page
    assert 'value="王五"' in page and 'value="13900001111"' in page
    # The receipt and the registration were rolled back with the refused acceptance.
    assert Case.objects.count() == 0
    assert NaturalPerson.objects.count() == 0


def test_a_registered_applicant_is_checked_by_name(city, hall_clerk, version, person):
    client = session_client(hall_clerk)
    data = intake_post(
        city, version, "accept", id_number=person.id_number, name="李五", received=[m(version, 1)]
    )
    page = text(client.post(intake_url(version), data))
    assert errors_of(page, "id_name") == ["姓名与该公民身份号码登记的姓名不一致，请核对。"]
    assert Case.objects.count() == 0
    data["name"] = "李四"
    assert client.post(intake_url(version), data).status_code == 302
    assert Case.objects.get().person == person


def test_a_refusal_needs_reason_basis_and_guidance_and_prints_a_notice(city, hall_clerk, version):
    client = session_client(hall_clerk)
    data = intake_post(city, version, "refuse", refuse_reason="不属于本事项受理范围")
    page = text(client.post(intake_url(version), data))
    for field in ("refuse_legal_basis", "refuse_guidance"):
        assert errors_of(page, f"id_{field}") == ["不予受理必须填写此项。"]
    assert errors_of(page, "id_refuse_reason") == []
    assert "不属于本事项受理范围" in page  # kept
    assert Case.objects.count() == 0
    data.update(
        refuse_legal_basis="《中华人民共和国行政许可法》第三十二条",
        refuse_guidance="请到济南市市场监督管理局（历下区二环东路）办理。",
    )
    response = client.post(intake_url(version), data)
    case = Case.objects.get()
    assert (case.state, case.refused_reason, case.refused_guidance) == (
        "refused",
        "不属于本事项受理范围",
        "请到济南市市场监督管理局（历下区二环东路）办理。",
    )
    page = text(client.get(response["Location"]))
    assert "不予受理告知书" in page and "请到济南市市场监督管理局（历下区二环东路）办理。" in page
    notice = client.get(f"{case_url(case)}notices/refusal.pdf")
    assert (notice.status_code, notice["Content-Type"]) == (200, "application/pdf")
    assert notice.content.startswith(b"%PDF")
    # A notice the case never gave is not found.
    assert client.get(f"{case_url(case)}notices/acceptance.pdf").status_code == 404


def test_a_supplement_notice_then_acceptance_on_the_case_page(city, hall_clerk, version):
    client = session_client(hall_clerk)
    response = client.post(intake_url(version), intake_post(city, version, "notice"))
    case = Case.objects.get()
    assert case.state == "pending_supplement"
    page = text(client.get(response["Location"]))
    assert "已出具一次性告知书，请将告知内容交给申请人。" in page
    assert re.search(
        r"一次性告知书</h2>.*?<li>食品经营许可申请书（原件 1 / 复印件 0）</li>", page, re.S
    )
    # No second notice: the panel offers acceptance (and refusal) only.
    assert 'value="notice"' not in page and 'value="accept"' in page
    response = client.post(
        case_url(case, "intake"),
        {"version": case.version, "action": "accept", "received": [m(version, 1)]},
    )
    assert response.status_code == 302
    assert refreshed(case).state == "accepted"


def test_deferred_acceptance_shows_the_limit_and_refuses_a_later_date(
    city, hall_clerk, deferrable_version
):
    client = session_client(hall_clerk)
    url = intake_url(deferrable_version)
    plan = m(deferrable_version, 2)
    page = text(client.get(url))
    assert "承诺补交日期最晚为 2026-06-23。" in page
    data = intake_post(
        city,
        deferrable_version,
        "defer",
        received=[m(deferrable_version, 1)],
        **{f"deferred_{plan}": "2026-06-24"},
    )
    page = text(client.post(url, data))
    assert errors_of(page, f"id_deferred_{plan}") == [
        "容缺材料的承诺补交日期不能晚于承诺办结日期 2026-06-23。"
    ]
    assert 'value="2026-06-24"' in page
    assert Case.objects.count() == 0
    data[f"deferred_{plan}"] = "2026-06-19"
    assert client.post(url, data).status_code == 302
    case = Case.objects.get()
    assert (case.state, case.deferral_due) == ("accepted", D("2026-06-19"))
    assert CaseMaterial.objects.get(case=case, material_id=plan).deferred_until == D("2026-06-19")


def test_deferred_acceptance_without_a_date_says_so(city, hall_clerk, deferrable_version):
    data = intake_post(city, deferrable_version, "defer", received=[m(deferrable_version, 1)])
    page = text(session_client(hall_clerk).post(intake_url(deferrable_version), data))
    assert "容缺受理请为待补交的材料填写承诺补交日期。" in page
    assert Case.objects.count() == 0


def test_commitment_shows_the_text_and_needs_the_signature(city, hall_clerk, commitment_version):
    client = session_client(hall_clerk)
    url = intake_url(commitment_version)
    assert "申请人郑重承诺：所填写的信息和提交的材料真实、准确、完整。" in text(client.get(url))
    data = intake_post(city, commitment_version, "commit", received=[m(commitment_version, 1)])
    page = text(client.post(url, data))
    assert errors_of(page, "id_commitment_signed") == ["请确认申请人已签署告知承诺书。"]
    assert Case.objects.count() == 0
    data["commitment_signed"] = "on"
    assert client.post(url, data).status_code == 302
    case = Case.objects.get()
    assert (case.state, case.decision, case.decision_text) == (
        "decided",
        "approve",
        "公共场所卫生许可证",
    )


def test_an_on_the_spot_item_finishes_at_the_window(city, hall_clerk):
    version = helpers.published(
        city.department,
        name="公章刻制备案",
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
    )
    client = session_client(hall_clerk)
    assert 'value="on_the_spot"' in text(client.get(intake_url(version)))
    data = intake_post(city, version, "on_the_spot", received=[m(version, 1)])
    response = client.post(intake_url(version), data)
    case = Case.objects.get()
    assert (case.state, case.on_the_spot, case.decision, case.delivery) == (
        "finished",
        True,
        "approve",
        "window",
    )
    assert "即办件已当场办结" in text(client.get(response["Location"]))


def test_situations_narrow_the_material_list_in_place(city, hall_clerk, situational_version):
    client = session_client(hall_clerk)
    url = intake_url(situational_version)
    agent = m(situational_version, 2)
    fragment = text(client.get(f"{url}?s1=1&received={agent}", headers={"HX-Request": "true"}))
    assert fragment.startswith('<div id="intake-materials"')
    assert "授权委托书" in fragment
    assert re.search(
        rf'<input type="checkbox" name="received" value="{agent}"[^>]*checked', fragment
    )
    fragment = text(client.get(f"{url}?s1=2", headers={"HX-Request": "true"}))
    assert "授权委托书" not in fragment and "食品经营许可申请书" in fragment
    # Receiving with “是” asks for the power of attorney.
    data = intake_post(
        city, situational_version, "accept", s1="1", received=[m(situational_version, 1)]
    )
    page = text(client.post(url, data))
    assert "以下材料尚未收取，不能受理：授权委托书" in page


def test_the_applicant_lookup_says_who_is_registered(city, hall_clerk, version, person):
    client = session_client(hall_clerk)
    hx = {"HX-Request": "true"}
    url = f"{intake_url(version)}?lookup=1&applicant_kind=person"
    # One response: the applicant's material list, and who the applicant is out of band.
    known = text(client.get(f"{url}&id_number={person.id_number}", headers=hx))
    assert known.startswith('<div id="intake-materials"') and "食品经营许可申请书" in known
    assert re.search(r'id="applicant-status"[^>]*hx-swap-oob="true">.*已登记的申请人：李四', known)
    # Without ``lookup`` (the situations changed) the list alone.
    assert "applicant-status" not in text(
        client.get(f"{intake_url(version)}?id_number={person.id_number}", headers=hx)
    )
    assert "尚未登记" in text(
        client.get(f"{url}&id_number={factories.valid_id_number(seq='777')}", headers=hx)
    )
    bad = text(client.get(f"{url}&id_number=370102199001011230", headers=hx))
    assert 'class="bad"' in bad


def test_intake_pages_are_for_business_staff(city, version, citizen):
    supervisor = factories.make_staff(city, Role.SUPERVISOR)
    assert session_client(supervisor).get(intake_url(version)).status_code == 403
    client = Client()
    client.force_login(citizen)
    assert client.get(intake_url(version)).status_code == 403
    response = Client().get(intake_url(version))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    # Window intake is done at a window: a reviewer of a department has none.
    reviewer = factories.make_staff(city, Role.REVIEWER, scope=city.department)
    page = session_client(reviewer).get(intake_url(version))
    assert page.status_code == 403 and "窗口受理须在受理窗口任职" in text(page)
    assert Case.objects.count() == 0
    draft = helpers.draft(city.department, basic_code=helpers.basic_code())
    clerk = factories.make_staff(city, Role.WINDOW_CLERK)
    assert session_client(clerk).get(intake_url(draft)).status_code == 404


# --- The inbox ---------------------------------------------------------------------------------------


def test_the_inbox_has_mine_and_team_and_a_claim_button(city, clerk, reviewer, person, version):
    case = accepted(clerk, version, person, window=city.window)
    task = open_task(case)
    client = session_client(reviewer)
    assert "您没有已签收的待办任务" in text(client.get("/workbench/cases/"))
    page = text(client.get("/workbench/cases/?scope=team"))
    row = re.search(r"<tbody>(.*?)</tbody>", page, re.S).group(1)
    for cell in (
        case.number,
        "食品经营许可",
        "审查",
        "济南市行政审批服务局",
        "综合受理处",
        "2026-06-17",
        '<span class="card-badge card-none">正常</span>',
        "未签收",
    ):
        assert cell in row
    response = client.post(
        task_url(task, "claim"),
        {"version": task.version, "next": "/workbench/cases/?scope=team"},
    )
    assert (response.status_code, response["Location"]) == (302, "/workbench/cases/?scope=team")
    assert refreshed(task).assignee == reviewer
    page = text(client.get("/workbench/cases/?scope=mine"))
    assert f'href="/workbench/cases/{case.pk}/#task-{task.pk}">办理</a>' in page
    assert case.number not in text(client.get("/workbench/cases/?scope=mine&card=red"))
    assert case.number not in text(client.get("/workbench/cases/?scope=mine&kind=approve"))
    assert case.number in text(client.get("/workbench/cases/?scope=mine&kind=review"))


def test_the_inbox_puts_the_most_urgent_first(city, clerk, reviewer, person, version):
    normal = accepted(clerk, version, person, window=city.window)  # review due 17 June
    short = helpers.published(city.department, name="临时占道许可", promised_limit_days=1)
    urgent = accepted(clerk, short, person, window=city.window)  # due 16 June: yellow at once
    assert (open_task(urgent).due_on, open_task(urgent).card_level) == (D("2026-06-16"), "yellow")
    page = text(session_client(reviewer).get("/workbench/cases/?scope=team"))
    assert page.index(urgent.number) < page.index(normal.number)
    assert '<span class="card-badge card-yellow">黄牌</span>' in page
    page = text(session_client(reviewer).get("/workbench/cases/?scope=team&card=yellow"))
    assert urgent.number in page and normal.number not in page


def test_a_task_is_claimed_and_given_back_from_the_inbox(city, clerk, reviewer, person, version):
    case = accepted(clerk, version, person, window=city.window)
    task = open_task(case)
    seen = task.version
    client = session_client(reviewer)
    inbox = "/workbench/cases/?scope=team"
    response = client.post(task_url(task, "claim"), {"version": seen, "next": inbox}, follow=True)
    assert response.redirect_chain == [(inbox, 302)]
    assert f"已签收：{case.number} · 审查" in text(response)
    claimed = Task.objects.get(pk=task.pk)
    assert (claimed.assignee, claimed.version) == (reviewer, seen + 1)
    response = client.post(task_url(task, "release"), {"version": seen + 1}, follow=True)
    assert response.redirect_chain == [(case_url(case), 302)]
    assert f"已退回待办：{case.number} · 审查" in text(response)
    released = Task.objects.get(pk=task.pk)
    assert (released.assignee, released.claimed_at, released.version) == (None, None, seen + 2)
    # The release sent again with the version it had before is stale: the task stays as it is.
    response = client.post(task_url(task, "release"), {"version": seen + 1}, follow=True)
    assert STALE in text(response)
    assert Task.objects.get(pk=task.pk).version == seen + 2


def test_a_stale_claim_changes_nothing(city, clerk, reviewer, approver, person, version):
    case = accepted(clerk, version, person, window=city.window)
    task = open_task(case)
    seen = task.version
    services.task_claim(user=approver, task=task)
    client = session_client(reviewer)
    response = client.post(task_url(task, "claim"), {"version": seen}, follow=True)
    assert STALE in text(response)
    assert refreshed(task).assignee == approver


# --- The case page ----------------------------------------------------------------------------------


def test_the_case_page_is_for_the_people_handling_the_case(
    city, clerk, reviewer, outsider, person, version, citizen
):
    case = accepted(clerk, version, person, window=city.window)
    page = text(session_client(reviewer).get(case_url(case)))
    assert f"办件 {case.number}" in page
    assert f'<code id="applicant-number">{person.id_number}</code>' in page
    assert "默认：事项实施部门" in page and '<dd id="current-step">审查</dd>' in page
    assert session_client(outsider).get(case_url(case)).status_code == 404
    client = Client()
    client.force_login(citizen)
    assert client.get(case_url(case)).status_code == 403
    assert Client().get(case_url(case)).status_code == 302


def test_the_applicants_number_is_masked_for_staff_who_may_not_see_it(city, person, version):
    editor = factories.make_staff(city, Role.CATALOGUE_EDITOR)  # business write, no unmask
    case = receive(editor, version, person)
    page = text(session_client(editor).get(case_url(case)))
    masked = person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    assert f'<code id="applicant-number">{masked}</code>' in page
    assert person.id_number not in page


def test_review_approve_and_issue_through_the_case_page(
    city, clerk, reviewer, approver, hall_clerk, person, version
):
    case = accepted(clerk, version, person, window=city.window)
    review = open_task(case)
    client = session_client(reviewer)
    page = text(client.get(case_url(case)))
    assert 'name="outcome" value="pass"' in page and 'name="outcome" value="fail"' in page
    response = client.post(
        task_url(review, "complete"),
        {"version": review.version, "outcome": "pass", "opinion": "材料齐全，符合条件"},
    )
    assert (response.status_code, response["Location"]) == (302, "/workbench/cases/?scope=mine")
    assert (refreshed(review).state, review.completed_by, review.opinion) == (
        "done",
        reviewer,
        "材料齐全，符合条件",
    )
    approve = open_task(case)
    client = session_client(approver)
    page = text(client.get(case_url(case)))
    assert "决定依据" in page and "邮件号" not in page
    data = {"version": approve.version, "outcome": "reject", "opinion": "经营场所不符合要求"}
    page = text(client.post(task_url(approve, "complete"), data))
    assert "不予许可必须写明理由和法律依据。" in page
    assert "经营场所不符合要求</textarea>" in page
    assert (refreshed(approve).state, refreshed(case).state) == ("open", "accepted")
    data.update(outcome="approve", opinion="准予许可", decision_text="食品经营许可证")
    assert client.post(task_url(approve, "complete"), data).status_code == 302
    assert (refreshed(case).state, case.decision, case.decided_by) == (
        "decided",
        "approve",
        approver,
    )
    issue = open_task(case)
    assert (issue.step, issue.department) == ("issue", city.hall)
    client = session_client(hall_clerk)
    data = {"version": issue.version, "outcome": "issued", "delivery": "post"}
    page = text(client.post(task_url(issue, "complete"), data))
    assert (
        f'<ul class="errorlist" id="task{issue.pk}_tracking_number_error">'
        "<li>邮寄送达须填写邮件号。</li></ul>"
    ) in page
    assert refreshed(case).state == "decided"
    data["tracking_number"] = "1234567890123"
    assert client.post(task_url(issue, "complete"), data).status_code == 302
    case = refreshed(case)
    assert (case.state, case.delivery, case.tracking_number, case.delivered_at) == (
        "finished",
        "post",
        "1234567890123",
        None,
    )
    page = text(client.get(case_url(case)))
    assert "登记送达" in page
    # The post office's record says the 16th, 15:00 (entered on the 17th, in a new session).
    with time_machine.travel(dt.datetime(2026, 6, 17, 15, 0, tzinfo=SHANGHAI)):
        response = session_client(hall_clerk).post(
            case_url(case, "deliver"), {"version": case.version, "delivered_at": "2026-06-16T15:00"}
        )
    assert response.status_code == 302
    assert refreshed(case).delivered_at == dt.datetime(2026, 6, 16, 7, 0, tzinfo=dt.UTC)


def test_a_stale_form_keeps_the_typed_text_and_changes_nothing(
    city, clerk, reviewer, person, version
):
    case = accepted(clerk, version, person, window=city.window)
    seen = case.version
    client = session_client(clerk)
    services.case_suspend(user=reviewer, case=case, kind="inspection", reason="现场核查")
    services.case_resume(user=reviewer, case=case)
    response = client.post(
        case_url(case, "suspend"),
        {"version": seen, "kind": "hearing", "reason": "申请人要求听证"},
    )
    page = text(response)
    assert response.status_code == 200
    assert STALE in page
    assert "申请人要求听证</textarea>" in page
    assert list(CaseSuspension.objects.filter(case=case).values_list("kind", flat=True)) == [
        "inspection"
    ]
    # A task's form: the same message, the opinion kept.
    review = open_task(case)
    services.task_claim(user=reviewer, task=review)
    page = text(
        session_client(reviewer).post(
            task_url(review, "complete"),
            {"version": review.version, "outcome": "pass", "opinion": "同意受理"},
        )
    )
    assert STALE in page and "同意受理</textarea>" in page
    assert refreshed(review).state == "open"


def test_suspend_resume_and_extend_from_the_case_page(
    city, clerk, reviewer, approver, person, version
):
    case = accepted(clerk, version, person, window=city.window)
    client = session_client(reviewer)
    page = text(client.get(case_url(case)))
    assert "挂起（暂停计时）" in page and "延长审批</summary>" not in page
    # Each day in a new session (the idle sign-out would end the old one).
    with time_machine.travel(dt.datetime(2026, 6, 16, 9, 0, tzinfo=SHANGHAI)):
        response = session_client(reviewer).post(
            case_url(case, "suspend"),
            {"version": case.version, "kind": "inspection", "reason": "现场核查经营场所"},
        )
        assert response.status_code == 302
    case = refreshed(case)
    with time_machine.travel(dt.datetime(2026, 6, 23, 9, 0, tzinfo=SHANGHAI)):
        client = session_client(reviewer)
        assert "办件挂起中：现场核查经营场所" in text(client.get(case_url(case)))
        response = client.post(case_url(case, "resume"), {"version": case.version})
        assert response.status_code == 302
    case = refreshed(case)
    assert case.promised_due == D("2026-06-30")
    client = session_client(reviewer)
    # Only an approver (or a head) of the lead department extends; the page offers it to them.
    denied = client.post(
        case_url(case, "extend"), {"version": case.version, "days": "5", "reason": "需专家论证"}
    )
    assert denied.status_code == 403
    assert refreshed(case).promised_due == D("2026-06-30")
    approver_client = session_client(approver)
    assert "延长审批</summary>" in text(approver_client.get(case_url(case)))
    response = approver_client.post(
        case_url(case, "extend"), {"version": case.version, "days": "5", "reason": "需专家论证"}
    )
    assert response.status_code == 302
    assert refreshed(case).promised_due == D("2026-07-07")


def test_supplying_a_deferred_material_and_terminating(
    city, clerk, approver, person, deferrable_version
):
    case = receive(clerk, deferrable_version, person, ticks=(1,), window=city.window)
    plan = m(deferrable_version, 2)
    case = services.case_accept(user=clerk, case=case, deferred={plan: D("2026-06-19")})
    client = session_client(clerk)
    page = text(client.get(case_url(case)))
    assert "容缺，承诺 2026-06-19 前补交" in page and "登记补交" in page
    response = client.post(
        case_url(case, "supply"), {"version": case.version, "material_ids": [plan]}
    )
    assert response.status_code == 302
    assert CaseMaterial.objects.get(case=case, material_id=plan).received is True
    # A clerk of the hall is no approver: terminating is refused and nothing changes.
    case = refreshed(case)
    data = {"version": case.version, "termination": "withdrawn", "note": "申请人书面撤回"}
    assert client.post(case_url(case, "terminate"), data).status_code == 403
    assert refreshed(case).state == "accepted"
    assert session_client(approver).post(case_url(case, "terminate"), data).status_code == 302
    assert (refreshed(case).state, case.termination) == ("terminated", "withdrawn")


# --- Online submissions, in the portal and at the online window ------------------------------------


def test_the_guide_links_to_online_application(client, version):
    assert f'href="/items/{version.item_id}/apply/">在线申办</a>' in text(
        client.get(f"/items/{version.item_id}/")
    )


def test_applying_online_uploads_the_materials_and_a_clerk_accepts(
    city, clerk, citizen, person, version
):
    client = Client()
    client.force_login(citizen)
    url = f"/items/{version.item_id}/apply/"
    page = text(client.get(url))
    assert "在线申办：食品经营许可" in page and "李四" in page
    upload = SimpleUploadedFile("申请书.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = client.post(url, {f"file_{m(version, 1)}": upload, "form_remarks": "首次申请"})
    case = Case.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/my/cases/{case.pk}/")
    assert (case.state, case.channel, case.submitted_by, case.person) == (
        "received",
        "1",
        citizen,
        person,
    )
    assert case.form_data == {"remarks": "首次申请"}
    row = CaseMaterial.objects.get(case=case)
    assert (row.received, row.source) == (True, "uploaded")
    page = text(client.get(response["Location"]))
    assert '<p class="status-big" id="case-status">已收到您的申请，等待受理。</p>' in page
    # The online window: listed, opened, the file downloaded, accepted.
    staff = session_client(clerk)
    assert f'href="/workbench/cases/{case.pk}/"' in text(staff.get("/workbench/cases/all/"))
    download = staff.get(f"/workbench/cases/{case.pk}/materials/{m(version, 1)}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    response = staff.post(case_url(case, "intake"), {"version": case.version, "action": "accept"})
    assert response.status_code == 302
    assert refreshed(case).state == "accepted"


def test_a_wrong_file_type_is_refused_and_nothing_is_submitted(citizen, person, version):
    client = Client()
    client.force_login(citizen)
    upload = SimpleUploadedFile("script.html", b"<script>", content_type="text/html")
    page = text(client.post(f"/items/{version.item_id}/apply/", {f"file_{m(version, 1)}": upload}))
    assert "请上传 PDF、OFD、JPG 或 PNG 文件。" in page
    assert Case.objects.count() == 0


def test_an_applicant_not_registered_is_told_to_register_first(citizen, version):
    client = Client()
    client.force_login(citizen)
    page = text(client.get(f"/items/{version.item_id}/apply/"))
    assert "网上申办须先完成实名登记" in page and '<form method="post" enctype' not in page


def test_the_portal_shows_only_the_applicants_own_cases(
    city, clerk, citizen, person, version, reviewer
):
    case = accepted(clerk, version, person, window=city.window)
    client = Client()
    client.force_login(citizen)
    page = text(client.get("/my/cases/"))
    assert f'<a href="/my/cases/{case.pk}/">食品经营许可</a>' in page
    assert "已受理，正在办理。" in page
    page = text(client.get(f"/my/cases/{case.pk}/"))
    assert '<dd id="current-step">审查（济南市行政审批服务局）</dd>' in page
    assert "2026-06-23" in page
    other = factories.make_citizen("13700000002")
    stranger = Client()
    stranger.force_login(other)
    assert stranger.get(f"/my/cases/{case.pk}/").status_code == 404
    assert "您还没有办件" in text(stranger.get("/my/cases/"))
    assert session_client(reviewer).get("/my/cases/").status_code == 403
    response = Client().get("/my/cases/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/portal/login/?next=/my/cases/",
    )


def test_the_applicant_withdraws_and_a_stale_withdrawal_is_refused(
    city, clerk, reviewer, citizen, person, version
):
    case = accepted(clerk, version, person, window=city.window)
    client = Client()
    client.force_login(citizen)
    seen = case.version
    services.case_suspend(user=reviewer, case=case, kind="supplement", reason="补正材料")
    page = text(client.post(f"/my/cases/{case.pk}/withdraw/", {"version": seen}))
    assert STALE in page
    assert refreshed(case).state == "accepted"
    page = text(client.get(f"/my/cases/{case.pk}/"))
    assert "已暂停计时：补正材料" in page and "补正：补正材料（2026-06-15 – 至今）" in page
    response = client.post(
        f"/my/cases/{case.pk}/withdraw/", {"version": case.version, "note": "不再经营"}
    )
    assert response.status_code == 302
    assert (refreshed(case).state, case.termination, case.termination_note) == (
        "terminated",
        "withdrawn",
        "不再经营",
    )
    assert "办理已终止。" in text(client.get(f"/my/cases/{case.pk}/"))


def test_the_applicant_prints_their_own_notices_only(city, clerk, citizen, person, version):
    case = accepted(clerk, version, person, window=city.window)
    client = Client()
    client.force_login(citizen)
    page = text(client.get(f"/my/cases/{case.pk}/"))
    assert f'href="/my/cases/{case.pk}/notices/acceptance.pdf">下载受理通知书（PDF）</a>' in page
    notice = client.get(f"/my/cases/{case.pk}/notices/acceptance.pdf")
    assert (notice.status_code, notice.content[:4]) == (200, b"%PDF")
    assert client.get(f"/my/cases/{case.pk}/notices/decision.pdf").status_code == 404
    stranger = Client()
    stranger.force_login(factories.make_citizen("13700000003"))
    assert stranger.get(f"/my/cases/{case.pk}/notices/acceptance.pdf").status_code == 404


@pytest.fixture
def elderly_allowance(city):
    """A 秒批 item whose rules read the applicant's age and area and one declared form field."""
    from quanban.catalogue import rules

    rules.rule_set_create(
        user=None,
        key="web-elderly-allowance",
        name="高龄津贴测试规则",
        content=rules.decision_table(
            name="高龄津贴",
            columns=(
                ("age", "年龄", "applicant.age"),
                ("similar", "已领取同类津贴", "form.receiving_similar_allowance"),
                ("months", "居住月数", "form.months_resident"),
            ),
            rules=(
                rules.Rule("under-80", "reject", "未满八十周岁。", {"age": "< 80"}),
                rules.Rule(
                    "eligible",
                    "approve",
                    "年满八十周岁，未领取同类津贴，符合条件。",
                    {"age": ">= 80", "similar": "false", "months": ">= 6"},
                ),
            ),
        ),
    )
    yield helpers.published(
        city.department,
        name="高龄津贴申领",
        process={"kind": "instant_rule", "instant_rule_set": "web-elderly-allowance"},
        result_name="高龄津贴发放",
    )
    rules.rule_set_cache_clear()


def test_an_instant_item_asks_what_its_rules_read_and_decides_at_once(citizen, elderly_allowance):
    accounts.person_register(
        name="王老先生", id_number=factories.valid_id_number(birth="19400101"), user=citizen
    )
    client = Client()
    client.force_login(citizen)
    url = f"/items/{elderly_allowance.item_id}/apply/"
    page = text(client.get(url))
    # The rules' own form fields: a yes/no question and a number, both required.
    assert 'name="form_receiving_similar_allowance" value="true"' in page
    assert 'type="number" name="form_months_resident"' in page
    page = text(client.post(url, {"form_months_resident": "12"}))
    assert errors_of(page, "id_form_receiving_similar_allowance") == ["这个字段是必填项。"]
    assert Case.objects.count() == 0
    upload = SimpleUploadedFile("申请书.pdf", b"%PDF-1.4", content_type="application/pdf")
    response = client.post(
        url,
        {
            "form_receiving_similar_allowance": "false",
            "form_months_resident": "12",
            f"file_{m(elderly_allowance, 1)}": upload,
        },
    )
    case = Case.objects.get()
    assert case.form_data == {"receiving_similar_allowance": False, "months_resident": 12}
    assert (case.state, case.decision, case.delivery) == ("finished", "approve", "electronic")
    page = text(client.get(response["Location"]))
    assert "申请已提交，并已由系统自动审批办结。" in page
    assert '<dd id="decision">准予许可</dd>' in page


def test_a_file_handed_in_before_is_offered_again(city, clerk, citizen, person, version):
    client = Client()
    client.force_login(citizen)
    url = f"/items/{version.item_id}/apply/"
    upload = SimpleUploadedFile("申请书.pdf", b"%PDF-1.4 first", content_type="application/pdf")
    client.post(url, {f"file_{m(version, 1)}": upload})
    first = Case.objects.get()
    first = services.case_accept(user=clerk, case=first)
    earlier = CaseMaterial.objects.get(case=first)
    page = text(client.get(url))
    # 不得重复提交: the earlier file is the default; a new upload would replace it.
    assert re.search(
        rf'<input type="radio" name="reuse_{m(version, 1)}" value="{earlier.pk}"[^>]*checked', page
    )
    assert f"办件 {first.number}" in page
    response = client.post(url, {f"reuse_{m(version, 1)}": str(earlier.pk)})
    assert response.status_code == 302
    second = Case.objects.exclude(pk=first.pk).get()
    row = CaseMaterial.objects.get(case=second)
    assert (row.received, row.source, row.source_ref, row.file.name) == (
        True,
        "reused",
        first.number,
        earlier.file.name,
    )


# --- 实名登记 ----------------------------------------------------------------------------------------


def test_a_citizen_registers_their_identity_then_may_apply(citizen, version):
    client = Client()
    client.force_login(citizen)
    apply_url = f"/items/{version.item_id}/apply/"
    assert "现在登记" in text(client.get(apply_url))
    url = f"/my/identity/?next={apply_url}"
    refused = text(client.post(url, {"name": "赵六", "id_number": "370102199001011230"}))
    assert "公民身份号码校验位不符：第 18 位应为 1，实为 0。" in refused
    assert NaturalPerson.objects.filter(user=citizen).count() == 0
    number = factories.valid_id_number(seq="905")
    response = client.post(url, {"name": "赵六", "id_number": number})
    assert (response.status_code, response["Location"]) == (302, apply_url)
    person = NaturalPerson.objects.get(user=citizen)
    assert (person.name, person.id_number) == ("赵六", number)
    assert "在线申办：食品经营许可" in text(client.get(apply_url))
    assert "您的账号已登记为 赵六。" in text(client.get("/my/identity/"))


def test_identity_next_never_leaves_the_site(citizen):
    client = Client()
    client.force_login(citizen)
    response = client.post(
        "/my/identity/?next=https://evil.example/",
        {"name": "赵六", "id_number": factories.valid_id_number(seq="906")},
    )
    assert (response.status_code, response["Location"]) == (302, "/my/cases/")
