"""一业一证 themes: the combined material list, publishing the theme item, and bad input."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from quanban.accounts import services as accounts
from quanban.cases.models import Case
from quanban.catalogue import services as catalogue
from quanban.catalogue import theme_selectors, themes
from quanban.catalogue.models import IndustryTheme, ItemVersion, ServiceItem, ThemePart
from quanban.catalogue.selectors import material_list_for_answers
from quanban.catalogue.theme_materials import theme_materials
from quanban.core.errors import Conflict, PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from quanban.licences.models import LicenceType
from tests import factories
from tests.api.clients import bearer
from tests.catalogue import helpers
from tests.catalogue.theme_helpers import build_world, make_theme, published_theme


@pytest.fixture
def world(city, settings, tmp_path):
    settings.LICENCE_SEAL_DIR = tmp_path / "seals"
    return build_world(city)


def test_combined_material_list_merges_duplicates(world):
    merged = theme_materials([world.food, world.books, world.devices])
    assert [(m.name, m.necessity, m.is_core, m.item_names) for m in merged] == [
        ("食品经营许可申请书", "1", True, ["食品经营许可"]),
        ("营业执照", "1", False, ["食品经营许可", "出版物零售业务许可", "第二类医疗器械经营备案"]),
        # 容缺后补 in one item, required in another: required.
        ("经营场所使用证明", "1", False, ["食品经营许可", "出版物零售业务许可"]),
        ("从业人员健康证明", "2", False, ["食品经营许可"]),
        ("出版物经营许可申请表", "1", True, ["出版物零售业务许可"]),
        # The same retained proof under two names: one material.
        ("无犯罪记录证明", "1", False, ["出版物零售业务许可", "第二类医疗器械经营备案"]),
        ("第二类医疗器械经营备案表", "1", True, ["第二类医疗器械经营备案"]),
    ]
    assert sum(len(m.sources) for m in merged) == 11
    # The larger of the copy counts.
    assert next(m for m in merged if m.name == "经营场所使用证明").copy_count == 2


def test_publishing_builds_a_parallel_item_of_the_lead_department(world):
    theme, version = published_theme(world)
    theme.refresh_from_db()
    assert version.state == ItemVersion.State.PUBLISHED
    assert theme.item == version.item
    assert version.item.implementing_department == world.lead
    assert version.item.implementation_code == world.lead.uscc + "3" + "101019990000"
    assert version.name == "便利店“一业一证”综合许可"
    assert version.result_licence_type == "行业综合许可证"
    assert version.service_objects == ["2"]
    # Co-review by each bundled item's department, once each, in the theme's order.
    assert version.process == {
        "kind": "parallel",
        "co_review_departments": [world.market.uscc, world.culture.uscc],
        "inspection_required": False,
    }
    assert version.materials.count() == 7
    assert list(version.materials.order_by("seq").values_list("seq", "name", "necessity")) == [
        (1, "食品经营许可申请书", "1"),
        (2, "营业执照", "1"),
        (3, "经营场所使用证明", "1"),
        (4, "从业人员健康证明", "2"),
        (5, "出版物经营许可申请表", "1"),
        (6, "无犯罪记录证明", "1"),
        (7, "第二类医疗器械经营备案表", "1"),
    ]
    assert version.materials.get(seq=2).notes.endswith(
        "适用于：食品经营许可、出版物零售业务许可、第二类医疗器械经营备案"
    )
    assert version.materials.get(seq=6).retained_proof == world.proof
    assert list(
        ThemePart.objects.filter(version=version).order_by("seq").values_list("part", flat=True)
    ) == [world.food.pk, world.books.pk, world.devices.pk]
    assert theme_selectors.version_parts(version) == [world.food, world.books, world.devices]
    # The applicant's own list: everything not situational.
    assert len(material_list_for_answers(version, {})) == 7
    # Limits: the longest of the bundled items (they run side by side).
    assert (version.legal_limit_days, version.promised_limit_days) == (20, 5)
    record = AuditRecord.objects.filter(action="catalogue.theme_publish").get()
    assert record.changes["materials"] == 7
    assert record.changes["merged_from"] == 11
    assert [t.code for t in theme_selectors.themes_published()] == ["convenience-store"]


def test_republishing_makes_the_next_version_and_retires_the_old(world):
    theme, first = published_theme(world)
    theme.refresh_from_db()
    second = themes.theme_publish(user=None, theme=theme)
    first.refresh_from_db()
    assert (first.number, first.state) == (1, ItemVersion.State.RETIRED)
    assert (second.number, second.state) == (2, ItemVersion.State.PUBLISHED)
    assert second.item == first.item
    assert second.materials.count() == 7
    assert theme_selectors.version_parts(second) == [world.food, world.books, world.devices]
    # The retired version keeps the parts its cases pinned.
    assert theme_selectors.version_parts(first) == [world.food, world.books, world.devices]


def test_a_theme_with_fewer_than_two_items_is_refused(world):
    with pytest.raises(ValidationFailed) as error:
        make_theme(world, items=[world.food.item])
    assert error.value.code == "theme_items_too_few"
    assert "至少" in str(error.value) or "2 至 20" in str(error.value)
    assert not IndustryTheme.objects.exists()


def test_duplicate_items_and_bad_codes_are_refused(world):
    with pytest.raises(ValidationFailed) as error:
        make_theme(world, items=[world.food.item, world.food.item])
    assert error.value.code == "theme_item_duplicate"
    with pytest.raises(ValidationFailed) as error:
        make_theme(world, code="Bad Code")
    assert error.value.code == "theme_code_invalid"
    with pytest.raises(ValidationFailed) as error:
        make_theme(world, basic_code="12")
    assert error.value.code == "basic_code_format"
    assert not IndustryTheme.objects.exists()


def test_an_item_without_a_licence_type_and_unpublished_items_are_refused(city, world):
    no_licence = helpers.published(city.other_department, name="食品经营备案")
    unpublished = helpers.draft(city.other_department, name="小餐饮经营许可")
    theme = make_theme(world, items=[world.food.item, no_licence.item, unpublished.item])
    items_before = ServiceItem.objects.count()
    with pytest.raises(ValidationFailed) as error:
        themes.theme_publish(user=None, theme=theme)
    assert error.value.code == "theme_not_publishable"
    assert [(p["code"], p["item"]) for p in error.value.extra["problems"]] == [
        ("theme_item_without_licence", no_licence.item.pk),
        ("theme_item_unpublished", unpublished.item.pk),
    ]
    assert "食品经营备案" in str(error.value)
    theme.refresh_from_db()
    assert theme.item is None
    assert ServiceItem.objects.count() == items_before
    assert not AuditRecord.objects.filter(action="catalogue.theme_publish").exists()


def test_a_licence_type_the_library_lacks_and_a_plain_comprehensive_type_are_refused(world):
    LicenceType.objects.filter(name="出版物经营许可证").update(is_active=False)
    theme = make_theme(world, licence_type="食品经营许可证")
    with pytest.raises(ValidationFailed) as error:
        themes.theme_publish(user=None, theme=theme)
    assert [p["code"] for p in error.value.extra["problems"]] == [
        "theme_licence_type_unknown",
        "theme_comprehensive_type_invalid",
    ]
    theme.refresh_from_db()
    assert theme.item is None


def test_only_catalogue_staff_of_the_lead_department_create_and_publish(city, world):
    fields = {
        "code": "pharmacy",
        "name": "药店",
        "lead_department": world.lead,
        "basic_code": "101019990001",
        "exercise_level": "3",
        "licence_type": "行业综合许可证",
        "items": [world.food.item, world.devices.item],
    }
    clerk = factories.make_staff(city)
    market_editor = factories.make_staff(city, "catalogue_editor", scope=world.market)
    for outsider in (clerk, market_editor):
        with pytest.raises(PermissionDenied):
            themes.theme_create(user=outsider, **fields)
    assert not IndustryTheme.objects.exists()
    editor = factories.make_staff(city, "catalogue_editor", scope=world.lead)
    reviewer = factories.make_staff(city, "catalogue_reviewer", scope=world.market)
    theme = themes.theme_create(user=editor, **fields)
    with pytest.raises(PermissionDenied):
        themes.theme_publish(user=clerk, theme=theme)
    with pytest.raises(PermissionDenied):
        themes.theme_publish(user=reviewer, theme=theme)  # another department's reviewer
    theme.refresh_from_db()
    assert theme.item is None
    lead_reviewer = factories.make_staff(city, "catalogue_reviewer", scope=world.lead)
    version = themes.theme_publish(user=lead_reviewer, theme=theme)
    assert version.materials.count() == 6


def test_a_theme_item_cannot_be_bundled_again(world):
    _theme, version = published_theme(world)
    with pytest.raises(ValidationFailed) as error:
        make_theme(world, code="again", items=[version.item, world.food.item])
    assert error.value.code == "theme_item_is_theme"
    assert IndustryTheme.objects.count() == 1


def test_a_theme_item_is_not_edited_as_an_item(city, world):
    _theme, version = published_theme(world)
    editor = factories.make_staff(city, "catalogue_editor", scope=world.lead)
    with pytest.raises(Conflict) as error:
        catalogue.version_new_draft(user=editor, item=version.item)
    assert error.value.code == "theme_item_managed"
    assert ItemVersion.objects.filter(item=version.item).count() == 1


# --- API and pages ---------------------------------------------------------------------------------


def test_the_api_lists_and_shows_published_themes(world):
    _theme, version = published_theme(world)
    make_theme(world, code="unpublished", items=[world.food.item, world.books.item])
    listed = Client().get("/api/v1/catalogue/themes")
    assert listed.status_code == 200
    body = listed.json()
    assert [t["code"] for t in body] == ["convenience-store"]
    assert body[0]["item_id"] == version.item_id
    assert body[0]["version_id"] == version.pk
    assert body[0]["co_review_departments"] == [world.market.uscc, world.culture.uscc]
    assert [
        (p["name"], p["implementing_department"]["name"], p["licence_type"])
        for p in body[0]["parts"]
    ] == [
        ("食品经营许可", world.market.name, "食品经营许可证"),
        ("出版物零售业务许可", world.culture.name, "出版物经营许可证"),
        ("第二类医疗器械经营备案", world.market.name, "第二类医疗器械经营备案凭证"),
    ]
    detail = Client().get("/api/v1/catalogue/themes/convenience-store").json()
    assert [m["name"] for m in detail["materials"]] == [
        "食品经营许可申请书",
        "营业执照",
        "经营场所使用证明",
        "从业人员健康证明",
        "出版物经营许可申请表",
        "无犯罪记录证明",
        "第二类医疗器械经营备案表",
    ]
    missing = Client().get("/api/v1/catalogue/themes/unpublished")
    assert missing.status_code == 404
    assert missing.json()["code"] == "theme_not_found"


def test_the_api_creates_and_publishes_for_the_lead_departments_staff(city, world):
    editor = factories.make_staff(city, "catalogue_editor", scope=world.lead)
    reviewer = factories.make_staff(city, "catalogue_reviewer", scope=world.lead)
    body = {
        "code": "bookshop",
        "name": "书店",
        "lead_department_id": world.lead.pk,
        "basic_code": "101019990002",
        "exercise_level": "3",
        "licence_type": "行业综合许可证",
        "item_ids": [world.books.item_id, world.food.item_id],
    }
    client = Client()
    too_few = client.post(
        "/api/v1/catalogue/themes",
        {**body, "item_ids": [world.books.item_id]},
        content_type="application/json",
        headers=bearer(editor),
    )
    assert too_few.status_code == 422
    assert too_few.json()["code"] == "theme_items_too_few"
    unknown = client.post(
        "/api/v1/catalogue/themes",
        {**body, "item_ids": [world.books.item_id, 999_999]},
        content_type="application/json",
        headers=bearer(editor),
    )
    assert (unknown.status_code, unknown.json()["code"]) == (422, "item_unknown")
    assert not IndustryTheme.objects.exists()
    created = client.post(
        "/api/v1/catalogue/themes", body, content_type="application/json", headers=bearer(editor)
    )
    assert created.status_code == 201
    assert (created.json()["item_id"], created.json()["parts"]) == (None, [])
    denied = client.post("/api/v1/catalogue/themes/bookshop/publish", headers=bearer(editor))
    assert denied.status_code == 403
    assert IndustryTheme.objects.get(code="bookshop").item is None
    published = client.post("/api/v1/catalogue/themes/bookshop/publish", headers=bearer(reviewer))
    assert published.status_code == 200
    assert [p["name"] for p in published.json()["parts"]] == ["出版物零售业务许可", "食品经营许可"]
    assert published.json()["co_review_departments"] == [world.culture.uscc, world.market.uscc]


def test_the_portal_pages_show_the_themes_and_the_one_material_list(world):
    _theme, version = published_theme(world)
    page = Client().get("/themes/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-theme="convenience-store"' in html
    assert "食品经营许可（济南市市场监督管理局）" in html
    detail = Client().get("/themes/convenience-store/")
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "各事项共需 11 份材料，合并重复后只需提交 7 份" in html
    assert html.count('data-material-seq="') == 7
    assert f'href="/items/{version.item_id}/apply/"' in html
    assert "济南市市场监督管理局、济南市文化和旅游局" in html
    assert Client().get("/themes/no-such-theme/").status_code == 404


def test_a_company_applies_online_for_a_theme_with_one_material_list(world, work_calendar):
    _theme, version = published_theme(world)
    citizen = factories.make_citizen("13900007777")
    entity = accounts.entity_register(
        name="济南便民超市有限公司",
        uscc=factories.valid_uscc(88),
        legal_representative="周七",
        user=citizen,
    )
    client = Client()
    client.force_login(citizen)
    url = f"/items/{version.item_id}/apply/"
    page = client.get(url).content.decode()
    assert "便利店“一业一证”综合许可" in page
    application = version.materials.get(seq=1)
    upload = SimpleUploadedFile("申请书.pdf", b"%PDF-1.4 theme", content_type="application/pdf")
    response = client.post(url, {f"file_{application.pk}": upload, "s1": "1"})
    case = Case.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/my/cases/{case.pk}/")
    assert (case.entity, case.item_version) == (entity, version)
    assert case.materials.count() == 7
    assert list(case.materials.filter(received=True).values_list("material__name", flat=True)) == [
        "食品经营许可申请书"
    ]
