"""Page tests in a real browser (Chromium via Playwright) against the live server."""

from __future__ import annotations

import pytest

from quanban.accounts.roles import Role
from tests import factories

# The live server needs committed rows, so these tests flush the database after themselves;
# serialized_rollback brings back the rows migrations seed (audit chain head, calendar).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_portal_loads(page):
    page.goto("/")
    assert page.locator("h1").inner_text() == "在泉城，全办成"
    assert page.get_by_label("搜索办事事项").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-hans"


def test_workbench_sends_a_visitor_to_the_staff_login(page):
    page.goto("/workbench/")
    assert page.url.endswith("/login/?next=/workbench/")
    assert page.locator("h1").inner_text() == "工作人员登录"


def test_language_switch_turns_the_page_english(page):
    page.goto("/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "In the City of Springs, get it all done"
    assert page.get_by_label("Search services").is_visible()


def test_staff_login_with_second_factor_reaches_the_workbench(page):
    city = factories.make_city()
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, username="clerk")
    page.goto("/login/")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/login/verify/")
    page.get_by_role("textbox", name="动态口令").fill(factories.totp_code(clerk))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")
    assert page.locator("h1").inner_text() == "工作台"
    assert "窗口人员" in page.locator("main").inner_text()


def test_staff_login_refuses_a_wrong_password(page):
    city = factories.make_city()
    factories.make_staff(city, Role.WINDOW_CLERK, username="clerk")
    page.goto("/login/")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill("Wrong#Pass1")
    page.get_by_role("button", name="下一步").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").inner_text().strip() == "用户名或密码不正确。"
    assert page.url.endswith("/login/")
    page.goto("/workbench/")
    assert "/login/" in page.url
