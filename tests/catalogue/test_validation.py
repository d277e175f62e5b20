"""Every publish-time rule refuses with its exact message and code, and changes nothing."""

from __future__ import annotations

import pytest

from quanban.catalogue import services
from quanban.catalogue.models import ItemVersion
from quanban.catalogue.validation import VAGUE_MATERIAL_NAMES, is_vague_material_name
from quanban.core.errors import ValidationFailed
from quanban.core.models import AuditRecord
from tests import factories
from tests.catalogue import helpers

pytestmark = pytest.mark.django_db


def refused(version: ItemVersion) -> list[dict[str, str]]:
    """Publish ``version`` (submitting it first); it must be refused and leave everything as it was."""
    if version.state == ItemVersion.State.DRAFT:
        version = services.version_submit(user=None, version=version)
    before = helpers.state_of(version.item)
    records = AuditRecord.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.version_publish(user=None, version=version)
    assert caught.value.code == "version_not_publishable"
    assert caught.value.status == 422
    assert helpers.state_of(version.item) == before
    assert AuditRecord.objects.count() == records
    version.refresh_from_db()
    assert (version.valid_from, version.published_at) == (None, None)
    return caught.value.extra["problems"]


def with_material(city, **material) -> ItemVersion:
    version = helpers.draft(city.department)
    fields = {"form": "1", "necessity": "1", "source": "10", **material}
    services.material_add(user=None, version=version, **fields)
    return version


@pytest.mark.parametrize(
    "name", [*VAGUE_MATERIAL_NAMES, "营业执照等材料", "申请人需要的其他材料。"]
)
def test_a_vague_material_name_is_refused(city, name):
    problems = refused(with_material(city, name=name))
    assert problems == [
        {
            "field": "materials[2].name",
            "code": "material_name_vague",
            "message": f"材料“{name}”名称笼统：请写明具体材料名称，不得使用“其他材料”“有关材料”等兜底表述。",
        }
    ]


@pytest.mark.parametrize("name", ["营业执照", "房屋租赁合同", "其他材料清单说明书"])
def test_a_specific_material_name_passes(city, name):
    assert not is_vague_material_name(name)
    version = services.version_submit(user=None, version=with_material(city, name=name))
    assert services.version_publish(user=None, version=version).state == "published"


def test_a_proof_not_on_the_retained_list_is_refused(city):
    problems = refused(with_material(city, name="无犯罪记录证明", is_proof=True))
    assert problems == [
        {
            "field": "materials[2].retained_proof",
            "code": "proof_not_retained",
            "message": "材料“无犯罪记录证明”是证明事项，但不在保留证明事项清单内，不得要求申请人提供。",
        }
    ]


def test_a_proof_whose_entry_is_no_longer_active_is_refused(city):
    proof = helpers.proof(active=False)
    problems = refused(
        with_material(city, name="出生医学证明", is_proof=True, retained_proof=proof)
    )
    assert [p["code"] for p in problems] == ["proof_not_retained"]


def test_a_retained_proof_passes(city):
    proof = helpers.proof()
    version = with_material(city, name="出生医学证明", is_proof=True, retained_proof=proof)
    version = services.version_submit(user=None, version=version)
    assert services.version_publish(user=None, version=version).state == "published"


def test_a_promised_limit_above_the_legal_limit_is_refused(city):
    problems = refused(helpers.draft(city.department, legal_limit_days=20, promised_limit_days=30))
    assert problems == [
        {
            "field": "promised_limit_days",
            "code": "promised_limit_above_legal",
            "message": "承诺办结时限（30 个工作日）不能超过法定办结时限（20 个工作日）。",
        }
    ]


def test_an_implementation_code_of_another_body_is_refused(city):
    basic = helpers.basic_code()
    other = factories.valid_uscc(2)
    version = helpers.draft(
        city.department, basic_code=basic, implementation_code=f"{other}3{basic}"
    )
    assert refused(version) == [
        {
            "field": "implementation_code",
            "code": "implementation_code_body",
            "message": f"实施编码第 1–18 位（{other}）与实施主体的统一社会信用代码（"
            f"{city.department.uscc}）不一致。",
        }
    ]


def test_an_implementation_code_of_another_level_is_refused(city):
    version = helpers.draft(city.department, exercise_level="3")
    version = services.version_update(user=None, version=version, exercise_level="4")
    assert refused(version) == [
        {
            "field": "implementation_code",
            "code": "implementation_code_level",
            "message": "实施编码第 19 位（3）与行使层级（4）不一致。",
        }
    ]


def test_an_implementation_code_with_another_basic_code_is_refused(city):
    basic, other = helpers.basic_code(), helpers.basic_code()
    version = helpers.draft(
        city.department, basic_code=basic, implementation_code=f"{city.department.uscc}3{other}"
    )
    assert refused(version) == [
        {
            "field": "implementation_code",
            "code": "implementation_code_basic",
            "message": f"实施编码第 20–31 位（{other}）与基本编码（{basic}）不一致。",
        }
    ]


def test_an_implementation_code_of_the_wrong_length_is_refused(city):
    basic = helpers.basic_code()
    version = helpers.draft(
        city.department,
        basic_code=basic,
        implementation_code=f"{city.department.uscc}3{basic[:-1]}",
    )
    assert refused(version) == [
        {
            "field": "implementation_code",
            "code": "implementation_code_length",
            "message": "实施编码应为 31 位：实施主体统一社会信用代码（18 位）+ 行使层级（1 位）+ "
            "基本编码（12 位）。",
        }
    ]


def test_a_deferrable_core_material_is_refused(city):
    problems = refused(with_material(city, name="营业执照", necessity="3", is_core=True))
    assert problems == [
        {
            "field": "materials[2].necessity",
            "code": "core_material_deferrable",
            "message": "材料“营业执照”是主审要件，不能设为容缺后补。",
        }
    ]


def test_a_deferrable_material_that_is_not_core_passes(city):
    version = with_material(city, name="营业执照", necessity="3", is_core=False)
    version = services.version_submit(user=None, version=version)
    assert services.version_publish(user=None, version=version).state == "published"


@pytest.mark.parametrize("legal_basis", [[], [{"law": " ", "article": "第一条"}]])
def test_a_missing_legal_basis_is_refused(city, legal_basis):
    problems = refused(helpers.draft(city.department, legal_basis=legal_basis))
    assert problems == [
        {
            "field": "legal_basis",
            "code": "legal_basis_missing",
            "message": "缺少设定依据：请至少填写一部法律法规及条款。",
        }
    ]


def test_every_problem_is_reported_at_once(city):
    version = helpers.draft(
        city.department, legal_basis=[], legal_limit_days=5, promised_limit_days=9
    )
    services.material_add(
        user=None,
        version=version,
        name="相关材料",
        form="1",
        necessity="3",
        source="10",
        is_core=True,
    )
    problems = refused(version)
    assert [(p["field"], p["code"]) for p in problems] == [
        ("legal_basis", "legal_basis_missing"),
        ("promised_limit_days", "promised_limit_above_legal"),
        ("materials[2].name", "material_name_vague"),
        ("materials[2].necessity", "core_material_deferrable"),
    ]


def test_an_on_the_spot_item_must_promise_zero_days(city):
    problems = refused(helpers.draft(city.department, case_kind="1", promised_limit_days=1))
    assert [(p["field"], p["code"]) for p in problems] == [
        ("promised_limit_days", "instant_item_has_limit")
    ]


def test_a_parallel_process_must_name_its_departments(city):
    version = helpers.draft(city.department, process={"kind": "parallel"})
    assert [p["code"] for p in refused(version)] == ["parallel_without_departments"]
