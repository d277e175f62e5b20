"""The demo catalogue: what issue 3 asks of it, the publish rules, and loading it with the demo city."""

from __future__ import annotations

import io
from collections import Counter
from typing import Any

import jsonschema
import pytest
from django.core.management import call_command
from django.db import transaction

from quanban.accounts import demo
from quanban.accounts.models import OrgUnit
from quanban.catalogue import selectors
from quanban.catalogue.demo_data import (
    demo_catalogue_document,
    demo_catalogue_load,
    demo_rule_sets_load,
    department_codes,
)
from quanban.catalogue.interchange import catalogue_export_json, catalogue_schema
from quanban.catalogue.models import (
    IndustryTheme,
    ItemVersion,
    Material,
    RetainedProof,
    ServiceItem,
    Situation,
    SituationOption,
)
from quanban.catalogue.validation import is_vague_material_name, version_problems
from quanban.core.models import AuditRecord

DOCUMENT = demo_catalogue_document()
ITEMS: list[dict[str, Any]] = DOCUMENT["items"]
BY_NAME = {item["name"]: item for item in ITEMS}

# The items issue 3 names, each by the name it has in the demo catalogue.
NAMED_ITEMS = (
    "食品经营许可",
    "个体工商户设立登记",
    "公共场所卫生许可",
    "建筑工程施工许可证核发",
    "城市道路挖掘许可",
    "医师执业注册",
    "居民身份证换领",
    "户口迁移（迁入本市）",
    "内地居民结婚登记",
    "最低生活保障审批",
    "失业保险金申领",
    "道路旅客运输经营许可",
    "排污许可证核发",
    "出版物零售业务许可",
    "民办学校设立（正式设立）",
    "企业设立登记",
    "药品零售企业经营许可",
    "护士执业注册",
    "城市建筑垃圾处置核准",
    "户外广告设施设置许可",
    "机动车驾驶证有效期满换证",
    "普通护照签发",
)


def count(predicate: Any) -> int:
    return sum(1 for item in ITEMS if predicate(item))


# --- The document ---------------------------------------------------------------------------------


def test_the_document_has_what_the_issue_asks_for():
    assert len(ITEMS) >= 60
    assert len({item["implementing_department"] for item in ITEMS}) >= 12
    assert count(lambda i: i["case_kind"] == "1" and i["promised_limit_days"] == 0) >= 10
    assert count(lambda i: any(m["necessity"] == "3" for m in i["materials"])) >= 10
    assert count(lambda i: i["process"]["commitment_allowed"] and i["commitment_text"].strip()) >= 8
    assert count(lambda i: i["situations"]) >= 5
    assert (
        count(
            lambda i: (
                i["process"]["kind"] == "parallel"
                and i["process"]["co_review_departments"]
                and i["co_departments"]
            )
        )
        >= 5
    )
    assert count(lambda i: i["process"]["kind"] == "instant_rule") >= 3
    assert count(lambda i: i["agent_service"]) >= 5
    assert 10 <= len(DOCUMENT["retained_proofs"]) <= 12


def test_the_named_items_are_there():
    assert [name for name in NAMED_ITEMS if name not in BY_NAME] == []


def test_the_document_matches_the_interchange_schema():
    errors = list(jsonschema.Draft202012Validator(catalogue_schema()).iter_errors(DOCUMENT))

    assert [error.message for error in errors] == []


def test_codes_are_unique_and_built_from_department_level_and_basic_code():
    assert len({i["implementation_code"] for i in ITEMS}) == len(ITEMS)
    assert len({i["basic_code"] for i in ITEMS}) == len(ITEMS)
    for item in ITEMS:
        basic = item["basic_code"]
        assert len(basic) == 12 and basic.isdigit(), item["name"]
        assert item["implementation_code"] == (
            item["implementing_department"] + item["exercise_level"] + basic
        )


def test_every_department_is_a_demo_department_and_district_items_are_the_districts():
    codes = department_codes()
    known = set(codes.values())
    for item in ITEMS:
        named = {item["implementing_department"], *item["co_departments"]}
        named |= set(item["process"]["co_review_departments"])
        assert named <= known, item["name"]
        assert set(item["process"]["co_review_departments"]) <= set(item["co_departments"])
        district = item["implementing_department"] == codes["lx_spj"]
        assert item["exercise_level"] == ("4" if district else "3"), item["name"]
    assert count(lambda i: i["exercise_level"] == "4") >= 5


def test_instant_rule_items_say_which_data_decide_them():
    rule_items = [i for i in ITEMS if i["process"]["kind"] == "instant_rule"]

    assert sorted(i["process"]["instant_rule_set"] for i in rule_items) == [
        "elderly-allowance-v1",
        "resident-pension-v1",
        "unemployment-benefit-v1",
    ]
    for item in rule_items:
        assert "秒批" in item["short_description"], item["name"]
        assert "判定" in item["short_description"], item["name"]
        assert (item["case_kind"], item["promised_limit_days"]) == ("1", 0)


def test_proofs_are_on_the_retained_list_and_every_listed_proof_is_used():
    listed = {proof["code"] for proof in DOCUMENT["retained_proofs"]}
    used = {m["retained_proof"] for item in ITEMS for m in item["materials"] if m["is_proof"]}

    assert used == listed
    for item in ITEMS:
        for material in item["materials"]:
            assert material["is_proof"] == (material["retained_proof"] is not None)


def test_every_item_has_laws_with_articles_and_materials_with_names():
    for item in ITEMS:
        assert item["legal_basis"], item["name"]
        assert any(entry["article"] for entry in item["legal_basis"]), item["name"]
        assert item["materials"], item["name"]
        assert not [m["name"] for m in item["materials"] if is_vague_material_name(m["name"])]
        assert item["acceptance_conditions"].strip(), item["name"]


def test_situation_options_add_only_situational_materials():
    for item in ITEMS:
        situational = {m["seq"] for m in item["materials"] if m["situational"]}
        added = {
            seq
            for situation in item["situations"]
            for option in situation["options"]
            for seq in option["adds_materials"]
        }
        assert added == situational, item["name"]


def unsaved_version(entry: dict[str, Any]) -> tuple[ItemVersion, list[Material]]:
    """The item as the unsaved objects that publishing checks."""
    department = OrgUnit(kind=OrgUnit.Kind.DEPARTMENT, uscc=entry["implementing_department"])
    item = ServiceItem(
        basic_code=entry["basic_code"],
        implementation_code=entry["implementation_code"],
        implementing_department=department,
    )
    fields = {
        name: entry[name]
        for name in (
            "name",
            "item_type",
            "exercise_level",
            "legal_basis",
            "case_kind",
            "legal_limit_days",
            "promised_limit_days",
            "process",
        )
    }
    version = ItemVersion(item=item, **fields)
    proofs = {p["code"]: RetainedProof(**p) for p in DOCUMENT["retained_proofs"]}
    materials = [
        Material(
            version=version,
            seq=m["seq"],
            name=m["name"],
            form=m["form"],
            necessity=m["necessity"],
            is_core=m["is_core"],
            source=m["source"],
            source_ref=m["source_ref"],
            is_proof=m["is_proof"],
            retained_proof=proofs.get(m["retained_proof"] or ""),
        )
        for m in entry["materials"]
    ]
    return version, materials


@pytest.mark.django_db
@pytest.mark.parametrize("entry", ITEMS, ids=[item["name"] for item in ITEMS])
def test_every_item_passes_the_publish_rules(entry):
    demo_rule_sets_load()  # 秒批 items are published with their rule sets
    version, materials = unsaved_version(entry)

    assert version_problems(version, materials=materials) == []


# --- Loading with the demo city --------------------------------------------------------------------


def catalogue_counts() -> dict[str, int]:
    """The imported catalogue's rows (the 一业一证 theme items, built from them, apart)."""
    own = {"version__item__industry_theme": None}
    return {
        "items": ServiceItem.objects.filter(industry_theme=None).count(),
        "versions": ItemVersion.objects.filter(item__industry_theme=None).count(),
        "published": ItemVersion.objects.filter(
            state=ItemVersion.State.PUBLISHED, item__industry_theme=None
        ).count(),
        "materials": Material.objects.filter(**own).count(),
        "situations": Situation.objects.filter(**own).count(),
        "options": SituationOption.objects.filter(
            situation__version__item__industry_theme=None
        ).count(),
        "themes": IndustryTheme.objects.count(),
        "proofs": RetainedProof.objects.count(),
        "audit": AuditRecord.objects.count(),
    }


@pytest.fixture(scope="class")
def demo_city(django_db_setup, django_db_blocker):
    """The demo city with its catalogue, loaded once by `quanban demo` and rolled back after."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("demo", stdout=io.StringIO())
            yield catalogue_counts()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.usefixtures("db")
class TestLoadedWithTheDemoCity:
    def test_every_item_is_published_once(self, demo_city):
        materials = sum(len(i["materials"]) for i in ITEMS)
        situations = sum(len(i["situations"]) for i in ITEMS)
        options = sum(len(s["options"]) for i in ITEMS for s in i["situations"])

        assert demo_city == {
            "items": len(ITEMS),
            "versions": len(ITEMS),
            "published": len(ITEMS),
            "materials": materials,
            "situations": situations,
            "options": options,
            "proofs": len(DOCUMENT["retained_proofs"]),
            "themes": 3,
            "audit": demo_city["audit"],
        }
        implementing = ServiceItem.objects.values_list("implementing_department__name", flat=True)
        assert len(set(implementing)) >= 12
        assert Counter(
            AuditRecord.objects.filter(action__startswith="catalogue.import").values_list(
                "action", flat=True
            )
        ) == {"catalogue.import": len(ITEMS), "catalogue.import_summary": 1}

    def test_the_export_gives_back_the_document(self, demo_city):
        exported = catalogue_export_json()

        def key(item: dict[str, Any]) -> str:
            return item["implementation_code"]

        assert exported["retained_proofs"] == sorted(
            DOCUMENT["retained_proofs"], key=lambda p: p["code"]
        )

        def published(item: dict[str, Any]) -> dict[str, Any]:
            process = item["process"]
            if process["kind"] == "instant_rule":  # publishing pinned the rule set's version 1
                process = {**process, "instant_rule_set_version": 1}
            return {**item, "co_departments": sorted(item["co_departments"]), "process": process}

        themes = set(
            ServiceItem.objects.exclude(industry_theme=None).values_list(
                "implementation_code", flat=True
            )
        )
        assert len(themes) == 3  # exported as items too; compared with the document without them
        imported = [item for item in exported["items"] if key(item) not in themes]
        assert sorted(imported, key=key) == sorted(map(published, ITEMS), key=key)

    def test_the_published_lists_see_the_demo_items(self, demo_city):
        assert len(list(selectors.on_the_spot_items())) >= 10
        assert len(list(selectors.commitment_items())) >= 8
        assert len(list(selectors.agent_service_items())) >= 5

    def test_answers_give_the_applicants_own_materials(self, demo_city):
        version = ItemVersion.objects.get(name="企业设立登记", state=ItemVersion.State.PUBLISHED)
        # 股份有限公司（募集设立）, 全部为自然人股东, 本人办理.
        names = [m.name for m in selectors.material_list_for_answers(version, {1: 3, 2: 1, 3: 1})]

        assert names == [
            "公司登记（备案）申请书",
            "公司章程",
            "股东（自然人）居民身份证",
            "法定代表人、董事、监事和高级管理人员的任职文件",
            "住所使用证明（不动产权证书或者租赁合同）",
            "发起人协议",
            "依法设立的验资机构出具的验资证明",
        ]

    def test_running_the_demo_again_changes_nothing(self, demo_city):
        call_command("demo", stdout=io.StringIO())
        summary = demo.demo_load()
        loaded_again = demo_catalogue_load()

        assert summary.loaded is False
        assert loaded_again == 0
        assert catalogue_counts() == demo_city
