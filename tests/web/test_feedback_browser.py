"""好差评 in a real browser: a citizen rates a finished case from the portal; the applicant rates
a visit on the window's pad the clerk opened; a bad rating reaches the office, which contacts the
rater and rectifies, and the rater gives their verdict.

The tests travel to Monday 2026-06-15 10:00 (Asia/Shanghai), a day the working-day calendar
covers; session cookies are browser-session cookies (the browser judges expiry by the real clock).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases import services as cases
from quanban.feedback.models import FollowUp, Rating
from tests import factories
from tests.catalogue import helpers
from tests.web.test_case_browser import citizen_sign_in, menu, staff_sign_in, status

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
    citizen = factories.make_citizen("13900003333")
    person = accounts.person_register(
        name="李四", id_number=factories.valid_id_number(seq="671"), user=citizen
    )
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, username="clerk", scope=city.hall)
    head = factories.make_staff(city, Role.OFFICE_HEAD, username="head", scope=city.office)
    version = helpers.published(
        city.department,
        name="户籍证明",
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
    )
    case = cases.case_receive(
        user=clerk,
        item_version=version,
        applicant=person,
        channel="8",
        answers={},
        window=city.window,
    )
    case = cases.case_finish_on_the_spot(
        user=clerk, case=case, received_material_ids=[version.materials.get().pk]
    )
    return {"city": city, "citizen": citizen, "clerk": clerk, "head": head, "case": case}


@pytest.fixture
def new_page(chromium, live_server):
    contexts = []

    def make():
        context = chromium.new_context(base_url=live_server.url, locale="zh-CN")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def rate_from_the_portal(page, case, level: str, text: str) -> None:
    menu(page, "我的办件")
    page.get_by_role("link", name=case.item_version.name).click()
    page.get_by_role("link", name="评价本办件").click()
    page.get_by_label(level, exact=True).check()
    page.get_by_label("办事效率").select_option(label=level)
    page.get_by_label("评价内容（选填）").fill(text)
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url("**/my/feedback/")


def test_a_citizen_rates_a_finished_case_from_the_portal(new_page, people):
    page = new_page()
    citizen_sign_in(page, people["citizen"])
    rate_from_the_portal(page, people["case"], "满意", "窗口服务很快")
    assert "感谢您的评价" in status(page)
    assert page.locator("#my-ratings tbody tr").first.inner_text().split("\t")[:2] == [
        people["case"].number,
        "满意",
    ]
    rating = Rating.objects.get()
    assert (rating.kind, rating.channel, rating.level, rating.efficiency, rating.text) == (
        "case",
        "portal",
        4,
        4,
        "窗口服务很快",
    )
    assert FollowUp.objects.count() == 0


def test_the_applicant_rates_a_visit_on_the_window_pad(new_page, people):
    page = new_page()
    staff_sign_in(page, people["clerk"])
    menu(page, "评价器")
    page.get_by_label("窗口").select_option(label=people["city"].window.name)
    page.get_by_label("办件（选填，内部编号）").fill(str(people["case"].pk))
    page.get_by_role("button", name="开启评价器").click()
    page.wait_for_url("**/workbench/feedback/pad/*/")
    # The pad: full screen, no site header, the visit's dimensions.
    page.get_by_role("heading", name="请您对本次服务评价").wait_for()
    assert page.locator("header.site-header").count() == 0
    assert "户籍证明" in page.locator(".pad-who").inner_text()
    page.get_by_label("非常满意", exact=True).check()
    page.get_by_label("服务态度").select_option(label="非常满意")
    page.get_by_label("业务水平").select_option(label="满意")
    page.get_by_role("button", name="提交评价").click()
    page.get_by_role("heading", name="感谢您的评价！").wait_for()
    rating = Rating.objects.get()
    assert (rating.kind, rating.channel, rating.level, rating.attitude, rating.skill) == (
        "visit",
        "pad",
        5,
        5,
        4,
    )
    assert (rating.staff_id, rating.window_id, rating.case_id) == (
        people["clerk"].pk,
        people["city"].window.pk,
        None,
    )


def test_a_bad_rating_is_followed_up_by_the_office(new_page, people):
    citizen = new_page()
    citizen_sign_in(citizen, people["citizen"])
    rate_from_the_portal(citizen, people["case"], "非常不满意", "材料被退回三次")
    followup = FollowUp.objects.get()
    assert (followup.unit_id, followup.contact_due_on, followup.rectify_due_on) == (
        people["city"].office.pk,
        dt.date(2026, 6, 16),
        dt.date(2026, 6, 23),
    )

    head = new_page()
    staff_sign_in(head, people["head"])
    menu(head, "回访整改")
    row = head.locator(f"#followup-{followup.pk}")
    assert "非常不满意：材料被退回三次" in row.inner_text()
    assert "2026-06-16" in row.inner_text() and "2026-06-23" in row.inner_text()
    row.get_by_role("link").click()
    # The rater is not shown to staff.
    assert "李四" not in head.content() and "13900003333" not in head.content()
    head.get_by_label("回访情况（将告知评价人）").fill("已电话致歉，了解退件原因")
    head.get_by_role("button", name="保存回访情况").click()
    head.locator("#state").get_by_text("整改中").wait_for()
    head.get_by_label("整改情况（将告知评价人并公示）").fill("一次性告知清单已更新")
    head.get_by_role("button", name="保存整改情况").click()
    head.locator("#state").get_by_text("待评价人确认").wait_for()

    citizen.goto("/my/feedback/")
    rating_row = citizen.locator("#my-ratings tbody tr").first
    assert "一次性告知清单已更新" in rating_row.inner_text()
    rating_row.get_by_role("button", name="满意", exact=True).click()
    citizen.wait_for_url("**/my/feedback/")
    assert "已确认整改情况" in status(citizen)
    assert FollowUp.objects.values_list("state", "verdict").get() == ("closed", "satisfied")

    # The department's public page shows the rectification.
    citizen.goto(f"/feedback/department/{people['city'].department.pk}/")
    assert "一次性告知清单已更新" in citizen.locator("#record").inner_text()
