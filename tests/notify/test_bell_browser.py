"""The bell in a real browser: a staff member sees the unread count, opens the list, marks read."""

from __future__ import annotations

import pytest

from quanban.notify.services import notify_user
from tests import factories

# The live server needs committed rows: these tests flush the database after themselves;
# serialized_rollback brings back the rows migrations seed (audit chain head, calendar).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def staff_sign_in(page, user) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/login/verify/")
    page.get_by_role("textbox", name="动态口令").fill(factories.totp_code(user))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")


def unread(page) -> str | None:
    """The bell's count as the page shows it (None: no unread messages)."""
    page.wait_for_load_state("networkidle")
    badge = page.locator("#notify-bell .bell-count")
    return badge.get_attribute("data-count") if badge.count() else None


def test_a_staff_member_sees_the_count_opens_the_list_and_marks_read(page, staff):
    for text in ("请于周三前办结", "请说明超期原因"):
        notify_user(
            user=staff, event="supervision_note", context={"text": text, "due": "2026-12-31"}
        )
    staff_sign_in(page, staff)
    page.locator("#notify-bell .bell-count").wait_for()
    assert unread(page) == "2"

    page.locator("#notify-bell").click()
    page.wait_for_url("**/notifications/")
    assert page.locator("h1").inner_text() == "消息"
    items = page.locator(".notify-list li")
    assert items.count() == 2
    first = items.filter(has_text="请说明超期原因")
    first.get_by_role("button", name="标为已读").click()
    page.wait_for_url("**/notifications/")
    assert unread(page) == "1"
    assert items.filter(has_text="请说明超期原因").get_by_role("button").count() == 0
    assert "已读" in items.filter(has_text="请说明超期原因").inner_text()

    page.get_by_role("button", name="全部标为已读").click()
    page.wait_for_url("**/notifications/")
    assert "已将 1 条消息标为已读。" in page.get_by_role("status").inner_text()
    assert unread(page) is None
    assert page.get_by_role("button", name="标为已读").count() == 0
