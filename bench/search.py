"""Chinese search at catalogue scale: index N published items, then time a mixed query set.

Items are named the way real ones are — an object (食品经营, 营业执照, 户口, 道路挖掘 …) and an
action (设立, 变更, 注销, 许可, 登记, 备案 …), sometimes with a qualifier — in the departments of a
city, each with a few real-sounding materials. The query set mixes two-character terms (the most
common searches, and the hardest: they match thousands of items), longer phrases and pinyin.
The target (issue 3) is p95 under 20 ms at 100,000 items, in-process, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from bench.harness import RESULTS, Result, latencies_ms

SIZES = {"quick": 10_000, "full": 100_000}
TARGET_P95_MS = 20.0

DEPARTMENTS = [
    "行政审批服务局",
    "市场监督管理局",
    "公安局",
    "卫生健康委员会",
    "人力资源和社会保障局",
    "民政局",
    "交通运输局",
    "生态环境局",
    "住房和城乡建设局",
    "城市管理局",
    "自然资源和规划局",
    "教育局",
    "文化和旅游局",
    "农业农村局",
    "商务局",
    "医疗保障局",
    "税务局",
    "水务局",
    "应急管理局",
    "退役军人事务局",
]
OBJECTS = [
    "食品经营",
    "食品生产",
    "个体工商户营业执照",
    "企业营业执照",
    "户口",
    "城市道路挖掘",
    "医师执业",
    "护士执业",
    "排污",
    "出版物零售",
    "民办学校",
    "公共场所卫生",
    "建筑工程施工",
    "道路运输经营",
    "最低生活保障",
    "失业保险金",
    "居民身份证",
    "结婚",
    "药品零售",
    "医疗机构执业",
    "旅行社业务经营",
    "娱乐场所经营",
    "危险化学品经营",
    "燃气经营",
    "城镇污水排入排水管网",
    "户外广告设施设置",
    "林木采伐",
    "取水",
    "特种设备使用",
    "养老机构",
    "社会团体",
    "民办非企业单位",
    "机动车驾驶证",
    "房屋建筑工程竣工验收",
    "不动产",
    "住房公积金",
    "烟草专卖零售",
    "犬只",
    "人力资源服务",
    "劳务派遣经营",
]
ACTIONS = [
    "设立",
    "变更",
    "注销",
    "许可",
    "登记",
    "备案",
    "核发",
    "延续",
    "审批",
    "注册",
    "迁移",
    "补领",
    "换领",
    "年检",
    "认定",
    "申领",
]
QUALIFIERS = ["", "", "", "", "分支机构", "区县级", "临时", "首次", "跨省"]
SUFFIXES = ["", "", "", "", "（延续）", "（含变更）", "（告知承诺）", "（网上办理）"]
MATERIALS = [
    "申请表",
    "营业执照复印件",
    "法定代表人身份证明",
    "经营场所使用证明",
    "授权委托书",
    "居民户口簿",
    "居民身份证",
    "施工方案",
    "平面布局图",
    "卫生管理制度",
    "食品安全管理制度",
    "从业人员健康证明",
    "医师资格证书",
    "环境影响评价文件",
    "公司章程",
    "房屋所有权证明",
    "消防安全检查合格证明",
    "设备清单",
    "安全生产管理制度",
    "劳动合同",
]
QUERIES = [
    # Two-character terms: some match thousands of items.
    "户口",
    "餐饮",
    "许可",
    "登记",
    "医师",
    "排污",
    "食品",
    "挖掘",
    "执照",
    "变更",
    "养老",
    "公积",
    # Longer phrases.
    "食品经营许可",
    "个体工商户营业执照变更登记",
    "城市道路挖掘许可",
    "医师执业注册",
    "民办学校设立审批",
    "失业保险金申领",
    "营业执照遗失",
    # Pinyin: initials and full spellings, matched by prefix.
    "yyzz",
    "hkqy",
    "spjy",
    "dlwj",
    "yingyezhizhao",
    "hukou",
    "paiwu",
]


def _build(n: int, rng: random.Random) -> dict[str, int]:
    from quanban.accounts import services as accounts
    from quanban.accounts.models import OrgUnit
    from quanban.catalogue.models import ItemVersion, Material, ServiceItem
    from quanban.core import clock
    from quanban.core.identifiers import uscc_check_digit

    city = OrgUnit.objects.filter(kind=OrgUnit.Kind.CITY).first() or accounts.org_unit_create(
        kind="city", name="济南市", division_code="370100"
    )
    departments = []
    for serial, name in enumerate(DEPARTMENTS, start=900):
        body = f"11370100MB{serial:07d}"[:17]
        departments.append(
            accounts.org_unit_create(
                kind="department",
                name="济南市" + name,
                uscc=body + uscc_check_digit(body),
                parent=city,
            )
        )
    now = clock.now()
    materials = 0
    batch = 5000
    for start in range(0, n, batch):
        items, versions, item_materials = [], [], []
        for i in range(start, min(start + batch, n)):
            department = departments[i % len(departments)]
            name = (
                rng.choice(QUALIFIERS)
                + rng.choice(OBJECTS)
                + rng.choice(ACTIONS)
                + rng.choice(SUFFIXES)
            )
            level = rng.choice("3344455")
            basic = f"{i + 1:012d}"
            item = ServiceItem(
                basic_code=basic,
                implementation_code=f"{department.uscc}{level}{basic}",
                implementing_department=department,
                created_at=now,
                # Case counts are heavy-tailed: a few items carry most of the work.
                case_count=int(rng.paretovariate(1.2)) - 1,
            )
            items.append(item)
            versions.append(
                ItemVersion(
                    number=1,
                    state=ItemVersion.State.PUBLISHED,
                    name=name,
                    keywords="",
                    item_type="01",
                    exercise_level=level,
                    case_kind="2",
                    legal_limit_days=20,
                    promised_limit_days=5,
                    created_at=now,
                    published_at=now,
                )
            )
            item_materials.append(rng.sample(MATERIALS, rng.randint(2, 5)))
        ServiceItem.objects.bulk_create(items)
        for item, version in zip(items, versions, strict=True):
            version.item = item
        ItemVersion.objects.bulk_create(versions)
        rows = [
            Material(version=version, seq=seq, name=name, form="1", necessity="1", source="10")
            for version, names in zip(versions, item_materials, strict=True)
            for seq, name in enumerate(names, start=1)
        ]
        Material.objects.bulk_create(rows, batch_size=2000)
        materials += len(rows)
    return {"items": n, "departments": len(departments), "materials": materials}


class SearchResult(Result):
    """Keeps each database's figures side by side: a SQLite run does not erase PostgreSQL's."""

    def write(self) -> Path:
        from django.db import connection

        path = RESULTS / f"{self.name}.json"
        previous: dict[str, object] = {}
        if path.exists():
            previous = json.loads(path.read_text(encoding="utf-8")).get("by_database", {})
        written = super().write()
        body = json.loads(written.read_text(encoding="utf-8"))
        body["by_database"] = {
            **previous,
            connection.vendor: {"size": self.size, "figures": self.figures, "data": self.data},
        }
        written.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return written


def run(size: str) -> Result:
    from django.db import connection

    from quanban.searchindex.indexer import index_optimise, reindex_all
    from quanban.searchindex.models import Synonym
    from quanban.searchindex.query import search

    n = SIZES[size]
    rng = random.Random(2026)
    data = _build(n, rng)
    Synonym.objects.create(term="餐饮", synonyms=["食品经营"], updated_at=time_now())

    started = time.perf_counter()
    stats = reindex_all(batch_size=1000)
    index_s = time.perf_counter() - started
    index_optimise()  # as `quanban search reindex` does: statistics, and VACUUM on PostgreSQL

    # Every query must find something before any is timed.
    empty = [q for q in QUERIES if not search(q)]
    assert not empty, f"queries that found nothing: {empty}"
    for query in QUERIES:  # warm the caches as a running server would be
        search(query)

    queries = iter(QUERIES * 40)
    figures = latencies_ms(lambda: search(next(queries)), n=len(QUERIES) * 40)
    per_query = {}
    for query in QUERIES:
        per_query[query] = latencies_ms(lambda q=query: search(q), n=15)["p50_ms"]
    slowest = sorted(per_query.items(), key=lambda kv: -kv[1])[:5]
    figures = {k: round(v, 2) for k, v in figures.items()}
    figures.update(
        index_items_per_s=round(stats.docs / index_s, 1),
        index_s=round(index_s, 1),
        target_p95_ms=TARGET_P95_MS,
        met=float(figures["p95_ms"] < TARGET_P95_MS),
    )
    data.update(terms=stats.terms, queries=len(QUERIES))
    result = SearchResult(
        name="search",
        size=size,
        figures=figures,
        data=data,
        summary=(
            f"{n:,} items on {connection.vendor}: indexed {stats.docs / index_s:,.0f} items/s "
            f"({stats.terms:,} terms); search p50 {figures['p50_ms']:.1f} ms, "
            f"p95 {figures['p95_ms']:.1f} ms (target < {TARGET_P95_MS:.0f} ms); slowest "
            + ", ".join(f"{q} {ms:.1f} ms" for q, ms in slowest)
        ),
    )
    return result


def time_now():  # type: ignore[no-untyped-def]
    from quanban.core import clock

    return clock.now()
