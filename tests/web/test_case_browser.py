"""Cases in a real browser: a clerk accepts at the window, a reviewer and an approver work their
tasks from the inbox, the clerk hands the result over, the citizen sees it finished in the portal;
a refusal with its guidance; a 容缺 acceptance with the latest date it allows.

The tests travel to Monday 2026-06-15 10:00 (Asia/Shanghai), a day the working-day calendar
covers, as the case tests do. The browser judges cookie expiry by the real clock, so the session
and CSRF cookies are made browser-session cookies here (no expiry date to be "in the past").
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases.models import Case, CaseMaterial
from quanban.catalogue import services as catalogue
from quanban.notify.models import OutboxMessage
from tests import factories
from tests.catalogue import helpers

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _a_covered_day(settings):
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)):
        yield


@pytest.fixture
def people(work_calendar):
    city = factories.make_city()
    citizen = factories.make_citizen("13900002222")
    person = accounts.person_register(
        name="李四", id_number=factories.valid_id_number(seq="661"), user=citizen
    )
    return {
        "city": city,
        "clerk": factories.make_staff(city, Role.WINDOW_CLERK, username="clerk", scope=city.hall),
        "reviewer": factories.make_staff(
            city, Role.REVIEWER, username="reviewer", scope=city.department
        ),
        "approver": factories.make_staff(
            city, Role.APPROVER, username="approver", scope=city.department
        ),
        "citizen": citizen,
        "person": person,
    }


@pytest.fixture
def new_page(chromium, live_server):
    """Pages of browsers of their own (one per person), closed when the test ends."""
    contexts = []

    def make():
        context = chromium.new_context(base_url=live_server.url, locale="zh-CN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def staff_sign_in(page, user) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/login/verify/")
    page.get_by_role("textbox", name="动态口令").fill(factories.totp_code(user))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")


def citizen_sign_in(page, citizen) -> None:
    page.goto("/portal/login/")
    page.get_by_label("手机号码").fill(citizen.phone)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="获取验证码").click()
    page.wait_for_url("**/portal/login/code/")
    body = OutboxMessage.objects.filter(recipient=citizen.phone).latest("created_at").body
    page.get_by_role("textbox", name="验证码").fill(
        re.search(r"验证码是 ([0-9]{6})", body).group(1)
    )
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: url.endswith("/"))


def menu(page, name: str) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name=name, exact=True).click()


def status(page) -> str:
    return page.get_by_role("status").first.inner_text()


def work_task(page, case_number: str) -> None:
    """From the inbox: claim the case's task in the team's tab, open it from my tab."""
    menu(page, "待办")
    page.get_by_role("link", name="全部可办").click()
    page.get_by_role("button", name=re.compile(f"签收 {case_number}")).click()
    page.wait_for_load_state()
    assert "已签收" in status(page)
    page.get_by_role("link", name="我的待办").click()
    page.get_by_role("link", name="办理", exact=True).click()
    page.wait_for_url("**/workbench/cases/*/#task-*")


def receive_at_the_window(page, item_name: str, person) -> None:
    menu(page, "受理")
    page.get_by_label("已发布事项").select_option(label=item_name)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/workbench/cases/intake/*/")
    page.get_by_label("公民身份号码").fill(person.id_number)
    page.get_by_label("公民身份号码").press("Tab")
    page.locator("#applicant-status").get_by_text("已登记的申请人：李四").wait_for()


def test_accept_review_approve_issue_and_the_citizen_sees_it_finished(new_page, people):
    city = people["city"]
    helpers.published(city.department, result_name="食品经营许可证")

    # The clerk receives and accepts at the window.
    clerk = new_page()
    staff_sign_in(clerk, people["clerk"])
    receive_at_the_window(clerk, "食品经营许可", people["person"])
    clerk.get_by_label("已收取：食品经营许可申请书").check()
    clerk.get_by_role("button", name="受理", exact=True).click()
    clerk.wait_for_url("**/workbench/cases/*/")
    case = Case.objects.get()
    assert status(clerk) == f"已受理，办件编号 {case.number}。"
    assert clerk.locator("#promised-due").inner_text().startswith("2026-06-23")
    assert clerk.locator("#case-state").inner_text() == "在办"

    # The reviewer passes it.
    reviewer = new_page()
    staff_sign_in(reviewer, people["reviewer"])
    work_task(reviewer, case.number)
    reviewer.get_by_label("通过", exact=True).check()
    reviewer.get_by_label("办理意见").fill("材料齐全，符合受理条件")
    reviewer.get_by_role("button", name="办理完成").click()
    reviewer.wait_for_url("**/workbench/cases/?scope=mine")
    assert status(reviewer) == f"已办理：{case.number} · 审查"

    # The approver approves.
    approver = new_page()
    staff_sign_in(approver, people["approver"])
    work_task(approver, case.number)
    approver.get_by_label("准予许可").check()
    approver.get_by_role("button", name="办理完成").click()
    approver.wait_for_url("**/workbench/cases/?scope=mine")

    # The clerk hands the licence over at the window.
    work_task(clerk, case.number)
    assert clerk.get_by_label("送达方式").input_value() == "window"
    clerk.get_by_role("button", name="办理完成").click()
    clerk.wait_for_url("**/workbench/cases/?scope=mine")
    case.refresh_from_db()
    assert (case.state, case.decision, case.delivery) == ("finished", "approve", "window")

    # The citizen sees it finished in the portal.
    citizen = new_page()
    citizen_sign_in(citizen, people["citizen"])
    menu(citizen, "我的办件")
    citizen.get_by_role("link", name="食品经营许可").click()
    assert citizen.locator("#case-status").inner_text() == "已办结。"
    assert citizen.locator("#decision").inner_text() == "准予许可"
    timeline = citizen.locator(".timeline").inner_text()
    for label in ("收件", "受理", "作出决定", "出件"):
        assert label in timeline


def test_a_refusal_with_guidance_and_a_deferred_acceptance(new_page, people):
    city = people["city"]
    helpers.published(city.department, name="食品经营许可")
    deferrable = helpers.draft(city.department, name="小餐饮经营许可")
    catalogue.material_add(
        user=None, version=deferrable, name="场所平面图", form="3", necessity="3", source="10"
    )
    catalogue.version_submit(user=None, version=deferrable)
    catalogue.version_publish(user=None, version=deferrable)
    clerk = new_page()
    staff_sign_in(clerk, people["clerk"])

    # 不予受理: the three parts are required; the notice names where to go instead.
    receive_at_the_window(clerk, "食品经营许可", people["person"])
    clerk.locator("summary", has_text="不予受理").click()
    clerk.get_by_label("不予受理理由").fill("申请人经营场所位于市外，不属于本机关管辖")
    clerk.get_by_role("button", name="不予受理", exact=True).click()
    clerk.wait_for_load_state()
    assert (
        clerk.locator("#field-refuse_guidance .errorlist").inner_text() == "不予受理必须填写此项。"
    )
    assert Case.objects.count() == 0
    clerk.get_by_label("法律依据").fill("《中华人民共和国行政许可法》第三十二条第一款第二项")
    clerk.get_by_label("办理指引").fill("请向经营场所所在地的市场监督管理部门申请。")
    clerk.get_by_role("button", name="不予受理", exact=True).click()
    clerk.wait_for_url("**/workbench/cases/*/")
    assert "不予受理告知书" in clerk.locator("#refusal-notice").inner_text()
    refused = Case.objects.get()
    assert refused.state == "refused"

    # 容缺受理: the plan of the premises comes later, by a date no later than the promise.
    receive_at_the_window(clerk, "小餐饮经营许可", people["person"])
    clerk.get_by_label("已收取：食品经营许可申请书").check()
    clerk.locator("summary", has_text="容缺受理").click()
    assert "承诺补交日期最晚为 2026-06-23。" in clerk.locator("#intake-actions").inner_text()
    clerk.get_by_label("“场所平面图”承诺补交日期").fill("2026-06-19")
    clerk.get_by_role("button", name="容缺受理", exact=True).click()
    clerk.wait_for_url("**/workbench/cases/*/")
    deferred = Case.objects.exclude(pk=refused.pk).get()
    assert (
        status(clerk) == f"已容缺受理，办件编号 {deferred.number}；容缺材料须在 2026-06-19 前补交。"
    )
    plan = CaseMaterial.objects.get(case=deferred, material__name="场所平面图")
    assert (plan.received, plan.deferred_until) == (False, dt.date(2026, 6, 19))

    # The citizen reads the refusal's guidance and what they still owe.
    citizen = new_page()
    citizen_sign_in(citizen, people["citizen"])
    citizen.goto(f"/my/cases/{refused.pk}/")
    assert (
        citizen.locator("#refusal-guidance").inner_text()
        == "请向经营场所所在地的市场监督管理部门申请。"
    )
    citizen.goto(f"/my/cases/{deferred.pk}/")
    assert (
        "场所平面图：请于 2026-06-19 前补交"
        in citizen.get_by_role("region", name="您还需提交的材料").inner_text()
    )


def test_a_tick_made_while_the_material_list_refreshes_is_kept(new_page, people):
    """Typing the applicant's number refreshes the material list (and says who the applicant
    is) in one request. A clerk who ticks a material while that response is on its way keeps
    the tick: the refreshed list was rendered from the form as it was before the tick."""
    city = people["city"]
    helpers.published(city.department)
    clerk = new_page()
    staff_sign_in(clerk, people["clerk"])
    held = []
    clerk.route(re.compile(r"/workbench/cases/intake/\d+/\?"), lambda route: held.append(route))
    menu(clerk, "受理")
    clerk.get_by_label("已发布事项").select_option(label="食品经营许可")
    clerk.get_by_role("button", name="下一步").click()
    clerk.wait_for_url("**/workbench/cases/intake/*/")
    clerk.get_by_label("公民身份号码").fill(people["person"].id_number)
    clerk.get_by_label("公民身份号码").press("Tab")
    box = clerk.get_by_label("已收取：食品经营许可申请书")
    box.check()
    for _ in range(100):  # the sync API hands the held request over while it waits
        if held:
            break
        clerk.wait_for_timeout(20)
    assert all("received" not in route.request.url for route in held)
    for route in held:
        route.continue_()
    clerk.locator("#applicant-status").get_by_text("已登记的申请人：李四").wait_for()
    assert box.is_checked()
    assert len(held) == 1
    clerk.get_by_role("button", name="受理", exact=True).click()
    clerk.wait_for_url("**/workbench/cases/*/")
    case = Case.objects.get()
    assert status(clerk) == f"已受理，办件编号 {case.number}。"
