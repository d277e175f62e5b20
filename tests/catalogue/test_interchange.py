"""Catalogue import and export: JSON and Excel round trips, every problem at once, the command."""

from __future__ import annotations

import copy
import io
import json
from io import StringIO
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quanban.accounts import services as accounts
from quanban.accounts.models import User
from quanban.accounts.roles import Role
from quanban.catalogue import codes
from quanban.catalogue.interchange import (
    catalogue_export_json,
    catalogue_import,
    catalogue_schema,
)
from quanban.catalogue.interchange_xlsx import catalogue_export_xlsx, catalogue_import_xlsx
from quanban.catalogue.models import (
    ItemVersion,
    Material,
    RetainedProof,
    ServiceItem,
    Situation,
    SituationOption,
)
from quanban.core.errors import PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from tests import factories

pytestmark = pytest.mark.django_db

ALL_STATES = ("draft", "submitted", "published", "retired")
PROCESS = {
    "kind": "review_approve",
    "co_review_departments": [],
    "meeting_allowed": False,
    "instant_rule_set": "",
    "commitment_allowed": True,
    "inspection_required": True,
}


def material(seq: int, name: str, **overrides: Any) -> dict[str, Any]:
    out = {
        "seq": seq,
        "name": name,
        "form": "1",
        "original_count": 1,
        "copy_count": 0,
        "necessity": "1",
        "is_core": False,
        "source": "10",
        "source_ref": "",
        "legal_basis": "",
        "is_proof": False,
        "retained_proof": None,
        "situational": False,
        "notes": "",
    }
    out.update(overrides)
    return out


def item(
    department: str, basic: str, name: str, state: str = "published", **overrides: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "basic_code": basic,
        "implementation_code": f"{department}3{basic}",
        "implementing_department": department,
        "state": state,
        "valid_from": "2026-01-01",
        "valid_until": None,
        "name": name,
        "short_description": f"{name}的办事指南",
        "keywords": "",
        "item_type": "01",
        "exercise_level": "3",
        "service_objects": ["2"],
        "co_departments": [],
        "legal_basis": [{"law": "《中华人民共和国行政许可法》", "article": "第十二条"}],
        "acceptance_conditions": "申请人具有完全民事行为能力。",
        "handling_forms": ["1", "2"],
        "case_kind": "2",
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "visits_required": 0,
        "online_depth": "4",
        "fees": [],
        "result_name": "",
        "result_licence_type": "",
        "handling_place": "济南市民中心 2 楼综合受理窗口",
        "handling_hours": "工作日 9:00–17:00",
        "consult_phone": "0531-12345",
        "supervise_phone": "0531-12345",
        "faq": [],
        "agent_service": False,
        "process": {},
        "commitment_text": "",
        "materials": [],
        "situations": [],
    }
    out.update(overrides)
    return out


def catalogue_document(city: factories.City) -> dict[str, Any]:
    """Four items of two departments: materials, situations, proofs, co-departments, a draft."""
    a, b = city.department.uscc, city.other_department.uscc
    return {
        "format": "quanban-catalogue",
        "version": 1,
        "retained_proofs": [
            {
                "code": "JN-ZM-001",
                "name": "出生医学证明",
                "issuing_body": "助产机构",
                "legal_basis": "《中华人民共和国母婴保健法》第二十三条",
                "online_checkable": True,
                "is_active": True,
            },
            {
                "code": "JN-ZM-002",
                "name": "无犯罪记录证明",
                "issuing_body": "公安机关",
                "legal_basis": "《公安机关办理犯罪记录查询工作规定》",
                "online_checkable": False,
                "is_active": True,
            },
        ],
        "items": [
            item(
                a,
                "000000000001",
                "食品经营许可",
                co_departments=[b],
                keywords="餐饮 饭店 食品销售",
                legal_basis=[{"law": "《中华人民共和国食品安全法》", "article": "第三十五条"}],
                handling_forms=["1", "2", "3"],
                result_name="食品经营许可证",
                result_licence_type="food_licence",
                faq=[{"q": "需要现场核查吗？", "a": "首次申请需要。"}],
                agent_service=True,
                process=PROCESS,
                commitment_text="本人承诺所填信息真实。",
                materials=[
                    material(1, "食品经营许可申请书", form="4", is_core=True),
                    material(2, "营业执照", form="6", source="30", source_ref="市场主体登记库"),
                    material(
                        3,
                        "无犯罪记录证明",
                        source="20",
                        is_proof=True,
                        retained_proof="JN-ZM-002",
                        situational=True,
                    ),
                    material(4, "健康证明", necessity="3", copy_count=1),
                ],
                situations=[
                    {
                        "seq": 1,
                        "question": "是否聘用外籍管理人员？",
                        "options": [
                            {
                                "seq": 1,
                                "label": "是",
                                "adds_materials": [3],
                                "removes_materials": [],
                                "adds_conditions": "管理人员无犯罪记录。",
                            },
                            {
                                "seq": 2,
                                "label": "否",
                                "adds_materials": [],
                                "removes_materials": [4],
                                "adds_conditions": "",
                            },
                        ],
                    }
                ],
            ),
            item(
                b,
                "000000000002",
                "个体工商户设立登记",
                item_type="07",
                case_kind="1",
                legal_limit_days=15,
                promised_limit_days=0,
                fees=[
                    {"name": "登记费", "standard": "0 元", "basis": "国家规定", "waivable": True}
                ],
                materials=[material(1, "经营者身份证明", form="3")],
            ),
            item(
                a,
                "000000000003",
                "公共场所卫生许可",
                state="draft",
                valid_from=None,
                materials=[material(1, "卫生许可申请表", form="4")],
            ),
            item(
                b,
                "000000000004",
                "出生登记",
                item_type="20",
                service_objects=["1"],
                co_departments=[a],
                materials=[
                    material(1, "出生医学证明", is_proof=True, retained_proof="JN-ZM-001"),
                    material(2, "父母双方居民身份证", form="3", original_count=2),
                ],
                situations=[
                    {
                        "seq": 1,
                        "question": "父母是否已登记结婚？",
                        "options": [
                            {
                                "seq": 1,
                                "label": "是",
                                "adds_materials": [],
                                "removes_materials": [],
                                "adds_conditions": "",
                            }
                        ],
                    },
                    {
                        "seq": 2,
                        "question": "是否在本市出生？",
                        "options": [
                            {
                                "seq": 1,
                                "label": "否",
                                "adds_materials": [2],
                                "removes_materials": [],
                                "adds_conditions": "",
                            },
                            {
                                "seq": 2,
                                "label": "是",
                                "adds_materials": [],
                                "removes_materials": [],
                                "adds_conditions": "",
                            },
                        ],
                    },
                ],
            ),
        ],
    }


@pytest.fixture
def importer(city) -> User:
    """A catalogue editor and reviewer for the whole city."""
    user = factories.make_staff(city, Role.CATALOGUE_EDITOR, username="importer")
    accounts.role_grant(
        granted_by=factories.security_admin(city),
        user=user,
        role=Role.CATALOGUE_REVIEWER,
        org_unit=city.city,
    )
    return user


@pytest.fixture
def loaded(city, importer) -> dict[str, Any]:
    document = catalogue_document(city)
    catalogue_import(user=importer, document=document)
    return document


def flush_catalogue() -> None:
    ItemVersion.objects.all().delete()
    ServiceItem.objects.all().delete()
    RetainedProof.objects.all().delete()


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            RetainedProof,
            ServiceItem,
            ItemVersion,
            Material,
            Situation,
            SituationOption,
            AuditRecord,
        )
    } | {
        "co_departments": ItemVersion.co_departments.through.objects.count(),
        "adds": SituationOption.adds_materials.through.objects.count(),
        "removes": SituationOption.removes_materials.through.objects.count(),
    }


def dumped(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, sort_keys=True)


# --- The schema speaks the code lists ------------------------------------------------------------


def test_schema_enums_are_the_national_code_lists():
    defs = catalogue_schema()["$defs"]
    item_props, material_props = defs["item"]["properties"], defs["material"]["properties"]
    assert item_props["item_type"]["enum"] == sorted(codes.ItemType.values)
    assert item_props["exercise_level"]["enum"] == sorted(codes.ExerciseLevel.values)
    assert item_props["case_kind"]["enum"] == sorted(codes.CaseKind.values)
    assert item_props["online_depth"]["enum"] == sorted(codes.OnlineDepth.values)
    assert item_props["service_objects"]["items"]["enum"] == sorted(codes.ServiceObject.values)
    assert item_props["handling_forms"]["items"]["enum"] == sorted(codes.HandlingForm.values)
    assert item_props["state"]["enum"] == sorted(ItemVersion.State.values, key=ALL_STATES.index)
    assert material_props["form"]["enum"] == sorted(codes.MaterialForm.values)
    assert material_props["necessity"]["enum"] == sorted(codes.Necessity.values)
    assert material_props["source"]["enum"] == sorted(codes.MaterialSource.values)
    assert defs["process"]["properties"]["kind"]["enum"] == sorted(codes.ProcessKind.values)


# --- Import --------------------------------------------------------------------------------------


def test_import_creates_everything_with_one_audit_record_per_item(city, importer):
    records = AuditRecord.objects.count()
    report = catalogue_import(user=importer, document=catalogue_document(city))
    assert report.as_dict() == {
        "items_created": 4,
        "versions_created": 4,
        "versions_retired": 0,
        "materials": 8,
        "situations": 3,
        "options": 5,
        "proofs_created": 2,
        "proofs_kept": 0,
    }
    food = ItemVersion.objects.get(name="食品经营许可")
    assert (food.number, food.state, food.published_by) == (1, "published", importer)
    assert food.item.implementation_code == f"{city.department.uscc}3000000000001"
    assert list(food.co_departments.all()) == [city.other_department]
    proof_material = food.materials.get(seq=3)
    assert proof_material.retained_proof.code == "JN-ZM-002"
    yes = SituationOption.objects.get(situation__version=food, seq=1)
    assert [m.seq for m in yes.adds_materials.all()] == [3]
    no = SituationOption.objects.get(situation__version=food, seq=2)
    assert [m.seq for m in no.removes_materials.all()] == [4]
    assert ItemVersion.objects.get(name="公共场所卫生许可").state == "draft"

    new = AuditRecord.objects.filter(seq__gt=records).order_by("seq")
    assert [r.action for r in new] == ["catalogue.import"] * 4 + ["catalogue.import_summary"]
    assert {r.actor_name for r in new} == {"importer"}
    first = new[0]
    assert first.object_type == "catalogue.itemversion"
    assert first.changes == {
        "implementation_code": f"{city.department.uscc}3000000000001",
        "number": 1,
        "state": "published",
        "materials": 4,
        "situations": 1,
    }
    assert new.last().changes["versions_created"] == 4


def test_import_of_an_existing_item_makes_a_new_version_and_retires_the_published_one(
    city, importer, loaded
):
    document = copy.deepcopy(loaded)
    document["retained_proofs"] = []
    food = document["items"][0]
    food["name"] = "食品经营许可（新）"
    food["valid_from"] = "2026-03-01"
    document["items"] = [food]
    report = catalogue_import(user=importer, document=document)
    assert (report.items_created, report.versions_created, report.versions_retired) == (0, 1, 1)
    item = ServiceItem.objects.get(implementation_code=food["implementation_code"])
    assert list(item.versions.order_by("number").values_list("number", "state", "name")) == [
        (1, "retired", "食品经营许可"),
        (2, "published", "食品经营许可（新）"),
    ]
    assert str(item.versions.get(number=1).valid_until) == "2026-02-28"
    assert ServiceItem.objects.count() == 4


def test_import_reports_every_problem_with_its_location_and_changes_nothing(city, importer, loaded):
    document = copy.deepcopy(loaded)
    food, shop, draft, birth = document["items"]
    food["item_type"] = "99"  # schema: not a national code
    food["materials"][0]["extra"] = 1  # schema: unknown field
    shop["implementing_department"] = factories.valid_uscc(77)  # no such department
    shop["implementation_code"] = f"{factories.valid_uscc(77)}3000000000002"
    birth["materials"][0]["retained_proof"] = "JN-ZM-404"  # not in the file nor the database
    birth["situations"][1]["options"][0]["adds_materials"] = [2, 9]  # no material 9
    birth["materials"][1]["name"] = "其他材料"  # publish rule: vague name
    birth["promised_limit_days"] = 30  # publish rule: above the legal limit
    draft["materials"][0]["name"] = "相关材料"  # a draft: publish rules do not apply yet
    document["retained_proofs"].append(dict(document["retained_proofs"][0]))  # duplicate code
    before = row_counts()

    with pytest.raises(ValidationFailed) as caught:
        catalogue_import(user=importer, document=document)

    assert caught.value.code == "import_invalid"
    problems = caught.value.extra["problems"]
    assert [(p["location"], p["code"]) for p in problems] == [
        ("items[0].item_type", "not_allowed"),
        ("items[0].materials[0]", "unknown_field"),
        ("retained_proofs[2].code", "duplicate"),
        ("items[1].implementing_department", "department_unknown"),
        ("items[3].materials[0].retained_proof", "proof_unknown"),
        ("items[3].situations[1].options[0].adds_materials[1]", "material_unknown"),
        ("items[3].promised_limit_days", "promised_limit_above_legal"),
        ("items[3].materials[1].name", "material_name_vague"),
    ]
    messages = {p["location"]: p["message"] for p in problems}
    assert messages["items[1].implementing_department"] == (
        f"找不到统一社会信用代码为 {factories.valid_uscc(77)} 的部门。"
    )
    assert messages["items[0].materials[0]"] == "不认识的字段：extra。"
    assert str(caught.value) == "导入文件有 8 处问题，未导入任何内容。"
    assert row_counts() == before


def test_a_broken_frame_is_reported_without_going_further(importer):
    with pytest.raises(ValidationFailed) as caught:
        catalogue_import(user=importer, document={"format": "other", "items": {}})
    assert [(p["location"], p["code"]) for p in caught.value.extra["problems"]] == [
        ("version", "required"),
        ("format", "not_allowed"),
        ("items", "wrong_type"),
    ]


def test_only_catalogue_editors_import_and_only_within_their_scope(city):
    document = catalogue_document(city)
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, username="clerk")
    editor = factories.make_staff(
        city, Role.CATALOGUE_EDITOR, username="deptedit", scope=city.department
    )
    before = row_counts()
    with pytest.raises(PermissionDenied):
        catalogue_import(user=clerk, document=document)
    with pytest.raises(PermissionDenied) as caught:
        catalogue_import(user=editor, document=document)
    # Items of the other department, and published items (no reviewer role): all but the draft.
    assert caught.value.code == "import_out_of_scope"
    assert caught.value.extra == {"items": ["items[0]", "items[1]", "items[3]"]}
    assert row_counts() == before


def test_system_import_is_audited_as_such(city):
    catalogue_import(user=None, document=catalogue_document(city))
    summary = AuditRecord.objects.filter(action="catalogue.import_summary").get()
    assert (summary.actor_id, summary.changes["system_import"]) == (None, True)


# --- Round trips ---------------------------------------------------------------------------------


def test_json_export_is_stable_and_in_the_documented_format(loaded):
    exported = catalogue_export_json(states=ALL_STATES)
    assert dumped(exported) == dumped(catalogue_export_json(states=ALL_STATES))
    # Items in implementation-code order: the first department's two, then the other's.
    loaded["items"].sort(key=lambda entry: entry["implementation_code"])
    assert dumped(exported) == dumped(loaded)
    published = catalogue_export_json()
    assert [i["name"] for i in published["items"]] == [
        "食品经营许可",
        "个体工商户设立登记",
        "出生登记",
    ]


def test_json_round_trip_into_an_empty_catalogue(loaded, importer):
    first = dumped(catalogue_export_json(states=ALL_STATES))
    flush_catalogue()
    assert catalogue_export_json(states=ALL_STATES)["items"] == []
    catalogue_import(user=importer, document=json.loads(first))
    assert dumped(catalogue_export_json(states=ALL_STATES)) == first


def test_excel_round_trip_into_an_empty_catalogue(loaded, importer):
    first = dumped(catalogue_export_json())
    book = io.BytesIO()
    catalogue_export_xlsx(book)
    flush_catalogue()
    book.seek(0)
    report = catalogue_import_xlsx(user=importer, stream=book)
    assert report.versions_created == 3
    assert dumped(catalogue_export_json()) == first


def test_excel_layout_has_chinese_headers_and_field_codes(loaded):
    book = io.BytesIO()
    catalogue_export_xlsx(book)
    book.seek(0)
    workbook = openpyxl.load_workbook(book)
    assert workbook.sheetnames == ["事项", "材料", "情形", "保留证明"]
    materials = workbook["材料"]
    assert [c.value for c in materials[1]][:4] == ["实施编码", "材料序号", "材料名称", "材料形式"]
    assert [c.value for c in materials[2]][:4] == ["implementation_code", "seq", "name", "form"]
    items = workbook["事项"]
    header = [c.value for c in items[2]]
    food = [c.value for c in items[3]]
    assert food[header.index("legal_basis")] == "《中华人民共和国食品安全法》|第三十五条"
    assert food[header.index("handling_forms")] == "1;2;3"
    assert food[header.index("agent_service")] == "是"
    situations = workbook["情形"]
    assert [c.value for c in situations[3]] == [
        food[0],
        1,
        "是否聘用外籍管理人员？",
        1,
        "是",
        "3",
        None,
        "管理人员无犯罪记录。",
    ]


def test_excel_problems_name_sheet_row_and_column_and_change_nothing(loaded, importer):
    book = io.BytesIO()
    catalogue_export_xlsx(book)
    book.seek(0)
    workbook = openpyxl.load_workbook(book)
    items, materials, situations = workbook["事项"], workbook["材料"], workbook["情形"]
    columns = {sheet.title: [c.value for c in sheet[2]] for sheet in workbook}
    # Rows 3, 4 and 5 of 事项: 食品经营许可, 个体工商户设立登记, 出生登记.
    items.cell(row=4, column=columns["事项"].index("item_type") + 1, value="99")
    materials.cell(row=4, column=3, value="其他材料")  # 食品经营许可, material 2
    materials.cell(row=20, column=1, value="11370100MB0000099X3000000000009")
    materials.cell(row=20, column=2, value=1)
    materials.cell(row=20, column=3, value="孤立的材料")
    situations.cell(row=3, column=6, value="3;9")
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    flush_catalogue()
    before = row_counts()

    with pytest.raises(ValidationFailed) as caught:
        catalogue_import_xlsx(user=importer, stream=out)

    located = [(p["location"], p["code"]) for p in caught.value.extra["problems"]]
    assert located == [
        ("材料!R20 C1 (implementation_code)", "item_unknown"),
        ("事项!R4 C10 (item_type)", "not_allowed"),
        ("情形!R3 C6 (adds_materials)", "material_unknown"),
        ("材料!R4 C3 (name)", "material_name_vague"),
    ]
    assert caught.value.extra["problems"][2]["path"] == (
        "items[0].situations[0].options[0].adds_materials[1]"
    )
    assert row_counts() == before


# --- The command ---------------------------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("catalogue", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_cli_export_json_and_import_as_a_named_user(loaded, importer, tmp_path):
    out, _err = run("export", "--format", "json")
    assert json.loads(out) == catalogue_export_json()
    path = tmp_path / "catalogue.json"
    path.write_text(out, encoding="utf-8")
    flush_catalogue()
    out, _err = run("import", str(path), "--as", "importer")
    assert out == (
        "已导入 / imported: 3 个事项版本 / item versions (3 个新事项 / new items, "
        "0 个旧版本停用 / versions retired), 7 份材料 / materials, "
        "3 个情形 / situations (5 个选项 / options), 2 条保留证明 / retained proofs "
        "(0 条已存在 / kept)\n"
    )
    assert json.loads(run("export")[0]) == json.loads(path.read_text(encoding="utf-8"))
    record = AuditRecord.objects.filter(action="catalogue.import_summary").order_by("seq").last()
    assert (record.actor_name, record.channel) == ("importer", "cli")


def test_cli_import_prints_every_problem_and_fails(loaded, tmp_path):
    document = copy.deepcopy(loaded)
    document["items"][0]["item_type"] = "99"
    document["items"][1]["materials"][0]["name"] = "有关材料"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    before = row_counts()
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("catalogue", "import", str(path), stdout=StringIO(), stderr=err)
    assert str(caught.value) == "导入文件有 2 处问题，未导入任何内容。"
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("未指定 --as")
    assert lines[1].startswith('items[0].item_type: 取值 "99" 不在允许范围内')
    assert lines[2].startswith("items[1].materials[0].name: 材料“有关材料”名称笼统")
    assert row_counts() == before


def test_cli_xlsx_export_needs_a_file_and_imports_with_a_progress_bar(loaded, tmp_path):
    with pytest.raises(CommandError, match="xlsx needs -o"):
        run("export", "--format", "xlsx")
    path = tmp_path / "catalogue.xlsx"
    run("export", "--format", "xlsx", "-o", str(path))
    flush_catalogue()
    out, err = run("import", str(path))
    assert out.startswith("已导入 / imported: 3 个事项版本")
    assert "\r材料     [" + "#" * 30 + "] 7/7\n" in err
    assert (
        AuditRecord.objects.filter(action="catalogue.import_summary")
        .order_by("seq")
        .last()
        .actor_id
        is None
    )


def test_cli_refuses_unknown_users_and_extensions(tmp_path):
    path = tmp_path / "catalogue.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(CommandError, match="no such user"):
        run("import", str(path), "--as", "nobody")
    with pytest.raises(CommandError, match=r"\.json or \.xlsx"):
        run("import", str(path))
