"""The demo city's 一业一证 themes: 便利店, 餐饮店 and 药店, each bundling published demo items of
several departments, led by 济南市行政审批服务局 and issuing one 行业综合许可证.

Loaded after the licence library (``quanban.licences.demo``): a theme is published only when every
bundled item's licence type and the comprehensive type are in the library, and its departments
have seal keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quanban.accounts.models import OrgUnit
from quanban.catalogue import codes
from quanban.catalogue.demo_data import _PREFIX
from quanban.catalogue.models import IndustryTheme, ItemVersion
from quanban.catalogue.themes import PARTS_SOURCE, theme_create, theme_publish
from quanban.licences.demo import ENTITY_HOLDER_FIELDS

LEAD = "济南市行政审批服务局"
COMPREHENSIVE = "行业综合许可证"


@dataclass(frozen=True)
class ThemeSpec:
    code: str
    name: str
    description: str
    items: tuple[str, ...]  # bundled item names, in the theme's order


THEMES: tuple[ThemeSpec, ...] = (
    ThemeSpec(
        "convenience-store",
        "便利店",
        "开办便利店（含预包装食品、散装食品销售，书报刊零售，计生用品等第二类医疗器械销售）"
        "一次申请、并联审批，领取一张行业综合许可证。",
        ("食品经营许可", "出版物零售业务许可", "第二类医疗器械经营备案"),
    ),
    ThemeSpec(
        "restaurant",
        "餐饮店",
        "开办饭店、餐馆（餐饮服务并设置门头招牌）一次申请、并联审批，领取一张行业综合许可证。",
        ("食品经营许可", "户外广告设施设置许可"),
    ),
    ThemeSpec(
        "pharmacy",
        "药店",
        "开办零售药店（药品零售，兼营第二类医疗器械、保健食品）一次申请、并联审批，"
        "领取一张行业综合许可证。",
        ("药品零售企业经营许可", "第二类医疗器械经营备案", "食品经营许可"),
    ),
)


def comprehensive_schema() -> dict[str, Any]:
    """The 行业综合许可证's fields: the holder, the industry, and the permits it stands for."""
    return {
        "type": "object",
        "properties": {
            **ENTITY_HOLDER_FIELDS,
            "行业": {
                "type": "string",
                "title": "行业类别",
                "x-source": "item.name",
                "x-public": True,
            },
            "许可事项": {
                "type": "array",
                "title": "载明的许可",
                "x-source": PARTS_SOURCE,
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


def _comprehensive_type(lead: OrgUnit) -> None:
    from quanban.licences.models import LicenceType
    from quanban.licences.services import licence_type_create

    if LicenceType.objects.filter(name=COMPREHENSIVE).exists():
        return
    codes_taken = LicenceType.objects.filter(defining_department=lead).values_list(
        "code", flat=True
    )
    sequence = max((int(code[-3:]) for code in codes_taken), default=0) + 1
    licence_type_create(
        code=f"{lead.uscc}{sequence:03d}",
        name=COMPREHENSIVE,
        defining_body=lead.name,
        defining_department=lead,
        holder_kind="001",
        fields_schema=comprehensive_schema(),
        validity_years=None,  # ends with the first of its permits to end
        layout={
            "title": COMPREHENSIVE,
            "fields": ["名称", "统一社会信用代码", "法定代表人", "住所", "行业", "许可事项"],
        },
    )


def demo_themes_load() -> int:
    """The comprehensive licence type and the three themes, published; themes created."""
    lead = OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT, name=LEAD).first()
    if lead is None or IndustryTheme.objects.exists():
        return 0
    _comprehensive_type(lead)
    published = {
        v.name: v.item
        for v in ItemVersion.objects.filter(state=ItemVersion.State.PUBLISHED).select_related(
            "item"
        )
    }
    made = 0
    for index, spec in enumerate(THEMES, start=1):
        theme = theme_create(
            user=None,
            code=spec.code,
            name=spec.name,
            description=spec.description,
            lead_department=lead,
            # The lead's prefix, 行政许可, a sequence from 901 (clear of its items' own codes).
            basic_code=f"{_PREFIX['spj']}{codes.ItemType.LICENSING.value}{900 + index:03d}0000",
            exercise_level=codes.ExerciseLevel.CITY.value,
            licence_type=COMPREHENSIVE,
            items=[published[name] for name in spec.items],
        )
        theme_publish(user=None, theme=theme)
        made += 1
    return made
