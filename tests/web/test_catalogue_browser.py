"""The catalogue in a real browser: an editor writes an item, a reviewer publishes it, a citizen
answers its situation question and sees their own material list change in place."""

from __future__ import annotations

import pytest

from quanban.accounts.roles import Role
from quanban.catalogue.models import ItemVersion
from tests import factories

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(page, user) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/login/verify/")
    page.get_by_role("textbox", name="动态口令").fill(factories.totp_code(user))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")


def material_names(page) -> list[str]:
    return [name.strip() for name in page.locator("#my-materials .material-name").all_inner_texts()]


def test_editor_writes_reviewer_publishes_citizen_narrows_materials(page, chromium, live_server):
    city = factories.make_city()
    editor = factories.make_staff(city, Role.CATALOGUE_EDITOR, username="editor")
    reviewer = factories.make_staff(city, Role.CATALOGUE_REVIEWER, username="reviewer")

    # The editor creates the item from the workbench menu.
    sign_in(page, editor)
    page.get_by_role("link", name="事项目录").click()
    page.get_by_role("link", name="新建事项").click()
    page.get_by_label("实施主体").select_option(label="济南市行政审批服务局")
    page.get_by_label("基本编码").fill("000000000909")
    page.get_by_label("行使层级").select_option("3")
    page.get_by_label("事项名称").fill("出版物零售许可")
    page.get_by_label("事项类型").select_option("01")
    page.get_by_label("办件类型").select_option("2")
    page.get_by_label("法定办结时限(工作日)").fill("20")
    page.get_by_label("承诺办结时限(工作日)").fill("10")
    page.get_by_role("button", name="创建草稿").click()
    page.wait_for_url("**/workbench/catalogue/versions/*/")
    assert "事项已创建" in page.get_by_role("status").first.inner_text()

    page.get_by_label("设定依据").fill("《出版管理条例》 | 第三十七条")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_load_state()

    for name, situational in (("出版物经营许可申请表", False), ("授权委托书", True)):
        page.locator("summary", has_text="添加材料").click()
        page.get_by_label("材料名称").fill(name)
        if situational:
            page.get_by_label("仅特定情形需要").check()
        page.get_by_role("button", name="添加材料").click()
        page.wait_for_load_state()

    page.locator("summary", has_text="添加情形").click()
    page.locator("#situation_question").fill("是否委托代理人办理？")
    page.locator("#situation_option_1_label").fill("是")
    page.locator('input[name="option_1_adds"][value="2"]').check()
    page.locator("#situation_option_2_label").fill("否")
    page.get_by_role("button", name="添加情形").click()
    page.wait_for_load_state()

    page.get_by_role("link", name="校验").click()
    assert "校验通过，可以提交审核。" in page.locator("#validation").inner_text()
    page.get_by_role("button", name="提交审核").click()
    page.wait_for_load_state()
    assert "待审核" in page.locator("h1").inner_text()

    # The reviewer publishes it, in a browser of their own.
    desk_context = chromium.new_context(base_url=live_server.url, locale="zh-CN")
    desk = desk_context.new_page()
    sign_in(desk, reviewer)
    desk.get_by_role("link", name="事项审核").click()
    desk.get_by_role("link", name="出版物零售许可").click()
    desk.get_by_role("button", name="发布").click()
    desk.wait_for_url("**/workbench/catalogue/review/")
    assert "已发布" in desk.get_by_role("status").first.inner_text()
    desk_context.close()

    # A citizen (anonymous) reads the guide and answers the question.
    version = ItemVersion.objects.get(name="出版物零售许可")
    assert version.state == "published"
    citizen_context = chromium.new_context(base_url=live_server.url, locale="zh-CN")
    citizen = citizen_context.new_page()
    citizen.goto(f"/items/{version.item_id}/")
    assert citizen.locator("h1").inner_text() == "出版物零售许可"
    assert material_names(citizen) == ["出版物经营许可申请表"]
    citizen.get_by_label("是", exact=True).check()
    citizen.locator("#my-materials .material-name", has_text="授权委托书").wait_for()
    assert material_names(citizen) == ["出版物经营许可申请表", "授权委托书"]
    assert citizen.url.endswith(f"/items/{version.item_id}/")  # swapped in place, no reload
    citizen.get_by_label("否", exact=True).check()
    citizen.locator("#my-materials .material-name", has_text="授权委托书").wait_for(
        state="detached"
    )
    assert material_names(citizen) == ["出版物经营许可申请表"]
    citizen_context.close()
