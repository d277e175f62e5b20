"""一业一证 in a real browser: a visitor finds the theme from the portal's menu, sees the one
material list and is sent to sign in to apply; the comprehensive licence the theme case issued is
verified and each permit it lists opens its own verification.

The fixtures are test_case_browser's (Monday 2026-06-15 10:00, Asia/Shanghai; one browser per
person). The case runs through the real services between page loads, never during one.
"""

from __future__ import annotations

import pytest

from quanban.accounts import services as accounts
from quanban.licences.models import Licence
from tests import factories
from tests.catalogue.theme_helpers import build_world, published_theme
from tests.licences.test_comprehensive import run_theme_case
from tests.web import test_case_browser as browser
from tests.web import test_licence_browser
from tests.web.test_case_browser import menu

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

_a_covered_day = browser._a_covered_day
people = browser.people
new_page = browser.new_page
seal_store = test_licence_browser.seal_store


def test_find_a_theme_and_verify_its_comprehensive_licence(people, new_page):
    world = build_world(people["city"])
    _theme, version = published_theme(world)

    visitor = new_page()
    visitor.goto("/")
    menu(visitor, "一业一证")
    visitor.wait_for_url("**/themes/")
    visitor.locator('[data-theme="convenience-store"]').get_by_role("link", name="便利店").click()
    visitor.wait_for_url("**/themes/convenience-store/")
    assert (
        visitor.locator("#theme-material-count")
        .inner_text()
        .startswith("各事项共需 11 份材料，合并重复后只需提交 7 份")
    )
    assert visitor.locator("#theme-departments").inner_text() == (
        "济南市市场监督管理局、济南市文化和旅游局"
    )
    visitor.get_by_role("link", name="在线申请").click()
    visitor.wait_for_url("**/portal/login/**")

    entity = accounts.entity_register(
        name="济南便民超市有限公司", uscc=factories.valid_uscc(88), legal_representative="周七"
    )
    case = run_theme_case(people["city"], world, version, entity)
    comprehensive = Licence.objects.get(case=case)
    food = Licence.objects.filter(case__isnull=True).order_by("pk").first()
    assert food is not None

    visitor.goto(f"/verify/?id={comprehensive.identifier}")
    result = visitor.locator("#licence-result")
    assert (result.inner_text(), result.get_attribute("data-result")) == ("有效", "valid")
    rows = visitor.locator("#licence-parts tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).get_attribute("data-result") for i in range(3)] == ["valid"] * 3
    rows.nth(0).get_by_role("link").click()
    visitor.wait_for_url(f"**/verify/?id={food.identifier}")
    assert visitor.locator("#licence-identifier").inner_text() == food.identifier
    assert visitor.locator("#licence-result").get_attribute("data-result") == "valid"
