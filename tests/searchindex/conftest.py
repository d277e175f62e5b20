"""A handful of published items, built as rows (the search index reads rows, not services)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from quanban.accounts import services as accounts
from quanban.accounts.models import OrgUnit
from quanban.catalogue.models import ItemVersion, Material, ServiceItem
from quanban.core import clock
from quanban.searchindex.indexer import reindex_all
from tests import factories


@dataclass
class Catalogue:
    city: factories.City
    health: OrgUnit  # a third department
    items: dict[str, ServiceItem] = field(default_factory=dict)

    def version(self, name: str) -> ItemVersion:
        return self.items[name].versions.get(state=ItemVersion.State.PUBLISHED)


def make_item(
    department: OrgUnit,
    name: str,
    *,
    keywords: str = "",
    materials: tuple[str, ...] = (),
    level: str = "3",
    case_count: int = 0,
    state: str = ItemVersion.State.PUBLISHED,
) -> ServiceItem:
    now = clock.now()
    serial = ServiceItem.objects.count() + 1
    basic = f"{serial:012d}"
    item = ServiceItem.objects.create(
        basic_code=basic,
        implementation_code=f"{department.uscc}{level}{basic}",
        implementing_department=department,
        created_at=now,
        case_count=case_count,
    )
    version = ItemVersion.objects.create(
        item=item,
        number=1,
        state=state,
        name=name,
        keywords=keywords,
        item_type="01",
        exercise_level=level,
        case_kind="2",
        legal_limit_days=20,
        promised_limit_days=5,
        created_at=now,
        published_at=now if state == ItemVersion.State.PUBLISHED else None,
    )
    for seq, material in enumerate(materials, start=1):
        Material.objects.create(
            version=version, seq=seq, name=material, form="1", necessity="1", source="10"
        )
    return item


@pytest.fixture(autouse=True)
def _fresh_synonyms():
    """The synonyms list is cached per process; no test may see another's."""
    from quanban.searchindex.query import synonyms_invalidate

    synonyms_invalidate()
    yield
    synonyms_invalidate()


@pytest.fixture
def catalogue(city) -> Catalogue:
    health = accounts.org_unit_create(
        kind="department",
        name="济南市卫生健康委员会",
        uscc=factories.valid_uscc(3),
        parent=city.city,
    )
    market = city.other_department  # 济南市市场监督管理局
    approval = city.department  # 济南市行政审批服务局
    built = Catalogue(city=city, health=health)
    for department, name, options in [
        (
            market,
            "个体工商户营业执照设立登记",
            {
                "keywords": "开店、个体户",
                "materials": ("经营者身份证明", "经营场所使用证明"),
                "case_count": 900,
            },
        ),
        (
            approval,
            "食品经营许可",
            {
                "keywords": "饭店 小吃店",
                "materials": ("营业执照复印件", "食品安全管理制度"),
                "case_count": 500,
            },
        ),
        (
            approval,
            "户口迁移",
            {
                "keywords": "迁户口 落户",
                "materials": ("居民户口簿",),
                "level": "4",
                "case_count": 2000,
            },
        ),
        (
            approval,
            "公共场所卫生许可",
            {"materials": ("营业执照复印件", "卫生管理制度"), "case_count": 50},
        ),
        (health, "医师执业注册", {"materials": ("医师资格证书",), "case_count": 10}),
        (
            approval,
            "城市道路挖掘许可",
            {"keywords": "掘路", "materials": ("施工方案",), "level": "4"},
        ),
        (market, "营业执照遗失补领", {"materials": ("遗失声明",), "case_count": 5}),
    ]:
        built.items[name] = make_item(department, name, **options)  # type: ignore[arg-type]
    # A draft is never found.
    built.items["排污许可"] = make_item(approval, "排污许可", state=ItemVersion.State.DRAFT)
    reindex_all()
    return built
