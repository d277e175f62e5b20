"""一业一证 test builders: three bundled items of two departments, their licence types, seal keys,
the comprehensive licence type and a theme, all through the real services.

The bundled items share materials on purpose (the combined list's count is known exactly):

- 食品经营许可 (市场监管局): 食品经营许可申请书, 营业执照, 经营场所使用证明 (容缺后补), 从业人员健康证明
  (非必要) — 4;
- 出版物零售业务许可 (文化和旅游局): 出版物经营许可申请表, 营业执照 (same name), 经营场所使用证明
  (same name, 必要 here), 无犯罪记录证明 (a retained proof) — 4, 2 of them new;
- 第二类医疗器械经营备案 (市场监管局 again): 第二类医疗器械经营备案表, 营业 执照 (the same name once
  white space goes), 经营负责人无犯罪记录证明 (the same retained proof, another name) — 3, 1 new.

Combined: 7 materials from 11.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quanban.accounts import services as accounts
from quanban.accounts.models import OrgUnit
from quanban.catalogue import services as catalogue
from quanban.catalogue import themes
from quanban.catalogue.models import IndustryTheme, ItemVersion, RetainedProof
from quanban.licences import seals
from quanban.licences.models import LicenceType
from quanban.licences.services import licence_type_create
from tests import factories
from tests.catalogue import helpers

ENTITY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "名称": {"type": "string", "title": "名称", "x-source": "holder.name", "x-public": True},
        "统一社会信用代码": {
            "type": "string",
            "title": "统一社会信用代码",
            "x-source": "holder.code",
            "x-public": True,
        },
        "事项": {"type": "string", "title": "事项", "x-source": "item.name", "x-public": True},
        "许可内容": {"type": "string", "title": "许可内容", "x-source": "case.decision_text"},
    },
    "required": ["名称", "统一社会信用代码"],
    "additionalProperties": False,
}
COMPREHENSIVE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "名称": {"type": "string", "title": "名称", "x-source": "holder.name", "x-public": True},
        "统一社会信用代码": {
            "type": "string",
            "title": "统一社会信用代码",
            "x-source": "holder.code",
            "x-public": True,
        },
        "行业": {"type": "string", "title": "行业", "x-source": "item.name", "x-public": True},
        "许可事项": {
            "type": "array",
            "title": "许可事项",
            "x-source": "licence.parts",
            "x-public": True,
            "minItems": 2,
            "items": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "identifier": {"type": "string"},
                    "issuer": {"type": "string"},
                },
                "required": ["type", "identifier", "issuer"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["名称", "统一社会信用代码", "许可事项"],
    "additionalProperties": False,
}


@dataclass
class ThemeWorld:
    lead: OrgUnit
    market: OrgUnit
    culture: OrgUnit
    food: ItemVersion
    books: ItemVersion
    devices: ItemVersion
    comprehensive: LicenceType
    proof: RetainedProof


def _material(version: ItemVersion, name: str, **fields: Any) -> None:
    values = {"form": "1", "necessity": "1", "source": "10", "original_count": 1}
    values.update(fields)
    catalogue.material_add(user=None, version=version, name=name, **values)


def _item(
    department: OrgUnit, name: str, licence: str, materials: list[tuple[str, dict[str, Any]]]
):
    version = catalogue.item_create(
        user=None,
        implementing_department=department,
        **helpers.item_fields(name=name, result_name=licence, result_licence_type=licence),
    )
    for material_name, fields in materials:
        _material(version, material_name, **fields)
    return version


def _publish(version: ItemVersion) -> ItemVersion:
    catalogue.version_submit(user=None, version=version)
    return catalogue.version_publish(user=None, version=version)


def _type(department: OrgUnit, seq: int, name: str, schema: dict[str, Any], years: int | None):
    return licence_type_create(
        code=f"{department.uscc}{seq:03d}",
        name=name,
        defining_body=department.name,
        defining_department=department,
        holder_kind="001",
        fields_schema=schema,
        validity_years=years,
        layout={"title": name},
    )


def build_world(city: factories.City, *, publish: bool = True) -> ThemeWorld:
    """The departments, items (published unless told), licence types and seal keys."""
    lead, market = city.department, city.other_department
    culture = accounts.org_unit_create(
        kind="department",
        name="济南市文化和旅游局",
        uscc=factories.valid_uscc(60),
        parent=city.city,
    )
    proof = helpers.proof("JN-ZM-004")
    shared = {"form": "6", "source": "30", "source_ref": "市场主体登记信息", "original_count": 0}
    food = _item(
        market,
        "食品经营许可",
        "食品经营许可证",
        [
            ("食品经营许可申请书", {"form": "4", "is_core": True}),
            ("营业执照", shared),
            ("经营场所使用证明", {"necessity": "3"}),
            ("从业人员健康证明", {"necessity": "2", "copy_count": 1}),
        ],
    )
    books = _item(
        culture,
        "出版物零售业务许可",
        "出版物经营许可证",
        [
            ("出版物经营许可申请表", {"form": "4", "is_core": True}),
            ("营业执照", shared),
            ("经营场所使用证明", {"copy_count": 2}),
            ("无犯罪记录证明", {"is_proof": True, "retained_proof": proof, "source": "20"}),
        ],
    )
    devices = _item(
        market,
        "第二类医疗器械经营备案",
        "第二类医疗器械经营备案凭证",
        [
            ("第二类医疗器械经营备案表", {"form": "4", "is_core": True}),
            ("营业 执照", shared),
            (
                "经营负责人无犯罪记录证明",
                {"is_proof": True, "retained_proof": proof, "source": "20"},
            ),
        ],
    )
    if publish:
        food, books, devices = _publish(food), _publish(books), _publish(devices)
    # Sequences from 501: clear of the 001s other tests' types use in the same departments.
    _type(market, 501, "食品经营许可证", ENTITY_SCHEMA, 5)
    _type(culture, 501, "出版物经营许可证", ENTITY_SCHEMA, 6)
    _type(market, 502, "第二类医疗器械经营备案凭证", ENTITY_SCHEMA, None)
    comprehensive = _type(lead, 501, "行业综合许可证", COMPREHENSIVE_SCHEMA, None)
    for department in (lead, market, culture):
        seals.seal_key_create(department_code=department.uscc)
    return ThemeWorld(lead, market, culture, food, books, devices, comprehensive, proof)


def make_theme(world: ThemeWorld, *, code: str = "convenience-store", items=None, **overrides):
    fields: dict[str, Any] = {
        "code": code,
        "name": "便利店",
        "lead_department": world.lead,
        "basic_code": "101019990000",
        "exercise_level": "3",
        "licence_type": "行业综合许可证",
        "description": "开办便利店一次申请、一证准营。",
    }
    fields.update(overrides)
    bundled = (
        items if items is not None else [world.food.item, world.books.item, world.devices.item]
    )
    return themes.theme_create(user=None, items=bundled, **fields)


def published_theme(world: ThemeWorld) -> tuple[IndustryTheme, ItemVersion]:
    theme = make_theme(world)
    return theme, themes.theme_publish(user=None, theme=theme)
