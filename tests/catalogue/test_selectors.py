"""Reads: the applicant's own material list, and the published lists with their query counts."""

from __future__ import annotations

import pytest
from django.db.models import F

from quanban.accounts import services as accounts
from quanban.catalogue import selectors, services
from quanban.catalogue.models import ServiceItem
from quanban.core.errors import ValidationFailed
from tests import factories
from tests.catalogue import helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_situations(city):
    """1 申请书 (everyone), 2 营业执照 (situational), 3 身份证 (everyone), 4 委托书 (situational).

    Situation 1 申请人类型？ 1 个人 → removes 2 (had it been added); 2 企业 → adds 2.
    Situation 2 是否委托代理？ 1 是 → adds 4; 2 否 → nothing.
    Situation 3 是否已办理身份核验？ 1 是 → removes 3.
    """
    version = helpers.draft(city.department)
    for name, situational in (("营业执照", True), ("居民身份证", False), ("授权委托书", True)):
        services.material_add(
            user=None,
            version=version,
            name=name,
            form="1",
            necessity="1",
            source="10",
            situational=situational,
        )
    services.situation_add(
        user=None,
        version=version,
        question="申请人类型？",
        options=[
            {"label": "个人", "removes_materials": [2]},
            {"label": "企业", "adds_materials": [2]},
        ],
    )
    services.situation_add(
        user=None,
        version=version,
        question="是否委托代理？",
        options=[{"label": "是", "adds_materials": [4]}, {"label": "否"}],
    )
    services.situation_add(
        user=None,
        version=version,
        question="是否已办理身份核验？",
        options=[{"label": "是", "removes_materials": [3]}, {"label": "否"}],
    )
    services.version_submit(user=None, version=version)
    return services.version_publish(user=None, version=version)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, ["食品经营许可申请书", "居民身份证"]),
        ({1: 1}, ["食品经营许可申请书", "居民身份证"]),
        ({1: 2}, ["食品经营许可申请书", "营业执照", "居民身份证"]),
        ({1: 2, 2: 1}, ["食品经营许可申请书", "营业执照", "居民身份证", "授权委托书"]),
        ({1: 1, 2: 1, 3: 1}, ["食品经营许可申请书", "授权委托书"]),
        ({2: 2, 3: 2}, ["食品经营许可申请书", "居民身份证"]),
    ],
)
def test_material_list_for_answers(with_situations, answers, expected):
    materials = selectors.material_list_for_answers(with_situations, answers)
    assert [m.name for m in materials] == expected


def test_material_list_for_answers_names_an_unknown_situation_or_option(with_situations):
    with pytest.raises(ValidationFailed) as caught:
        selectors.material_list_for_answers(with_situations, {7: 1})
    assert (caught.value.code, caught.value.field, str(caught.value)) == (
        "situation_unknown",
        "answers.7",
        "该事项没有序号为 7 的情形。",
    )
    with pytest.raises(ValidationFailed) as caught:
        selectors.material_list_for_answers(with_situations, {2: 5})
    assert (caught.value.code, str(caught.value)) == (
        "option_unknown",
        "情形“是否委托代理？”没有序号为 5 的选项。",
    )


def test_version_current(city):
    version = helpers.published(city.department)
    assert selectors.version_current(version.item) == version
    services.version_retire(user=None, version=version)
    assert selectors.version_current(version.item) is None


@pytest.fixture
def catalogue(city):
    """Published items in three departments (one under a district) and an unpublished one."""
    district_department = accounts.org_unit_create(
        kind="department",
        name="历下区行政审批服务局",
        uscc=factories.valid_uscc(3),
        parent=city.district,
    )
    proof = helpers.proof("JN-ZM-001")
    helpers.proof("JN-ZM-002")  # on the list, asked for by nobody
    items = {}
    items["instant"] = helpers.published(
        city.department, name="居民身份证换领", case_kind="1", promised_limit_days=0
    )
    items["district_instant"] = helpers.published(
        district_department,
        name="结婚登记",
        case_kind="1",
        promised_limit_days=0,
        exercise_level="4",
        agent_service=True,
    )
    deferrable = helpers.draft(
        city.other_department, name="公共场所卫生许可", process={"commitment_allowed": True}
    )
    services.material_add(
        user=None, version=deferrable, name="卫生检测报告", form="1", necessity="3", source="10"
    )
    services.material_add(
        user=None,
        version=deferrable,
        name="出生医学证明",
        form="1",
        necessity="1",
        source="10",
        is_proof=True,
        retained_proof=proof,
    )
    services.material_add(
        user=None, version=deferrable, name="从业人员健康证明", form="1", necessity="3", source="10"
    )
    services.version_submit(user=None, version=deferrable)
    items["deferrable"] = services.version_publish(user=None, version=deferrable)
    items["agent"] = helpers.published(
        city.department, name="建筑工程施工许可证核发", agent_service=True
    )
    helpers.draft(city.department, name="未发布的事项", case_kind="1", promised_limit_days=0)
    items["district_department"] = district_department
    return items


def names(versions) -> list[str]:
    return [v.name for v in versions]


def test_the_published_lists(city, catalogue):
    # In organisation-tree order: the district's department (/1/2/…) before the city's (/1/4/).
    assert names(selectors.on_the_spot_items()) == ["结婚登记", "居民身份证换领"]
    assert names(selectors.deferrable_items()) == ["公共场所卫生许可"]
    [entry] = selectors.deferrable_items()
    assert [m.name for m in entry.deferrable_materials] == ["卫生检测报告", "从业人员健康证明"]
    assert names(selectors.commitment_items()) == ["公共场所卫生许可"]
    assert names(selectors.agent_service_items()) == ["结婚登记", "建筑工程施工许可证核发"]
    assert [p.code for p in selectors.retained_proofs()] == ["JN-ZM-001", "JN-ZM-002"]


def test_the_lists_filter_by_level_department_and_district(city, catalogue):
    district_department = catalogue["district_department"]
    assert names(selectors.on_the_spot_items(level="4")) == ["结婚登记"]
    assert names(selectors.on_the_spot_items(department=city.department.pk)) == ["居民身份证换领"]
    assert names(selectors.on_the_spot_items(district=city.district.pk)) == ["结婚登记"]
    assert names(selectors.on_the_spot_items(district=city.district)) == ["结婚登记"]
    assert names(selectors.agent_service_items(department=district_department)) == ["结婚登记"]
    assert names(selectors.deferrable_items(level="4")) == []
    assert names(selectors.commitment_items(department=city.other_department.pk)) == [
        "公共场所卫生许可"
    ]
    assert [p.code for p in selectors.retained_proofs(department=city.other_department.pk)] == [
        "JN-ZM-001"
    ]
    assert [p.code for p in selectors.retained_proofs(district=city.district.pk)] == []


def test_top_items_rank_by_case_count_then_configured_rank(city, catalogue):
    ranks = {"居民身份证换领": 2, "结婚登记": 1}
    for name, rank in ranks.items():
        ServiceItem.objects.filter(versions__name=name).update(configured_rank=rank)
    assert names(selectors.top_items())[:2] == ["结婚登记", "居民身份证换领"]
    ServiceItem.objects.filter(versions__name="建筑工程施工许可证核发").update(
        case_count=F("case_count") + 40
    )
    assert names(selectors.top_items(limit=3)) == [
        "建筑工程施工许可证核发",
        "结婚登记",
        "居民身份证换领",
    ]
    assert names(selectors.top_items(level="4")) == ["结婚登记"]


@pytest.mark.parametrize(
    ("select", "queries"),
    [
        (selectors.on_the_spot_items, 1),
        (selectors.commitment_items, 1),
        (selectors.agent_service_items, 1),
        (selectors.top_items, 1),
        (selectors.deferrable_items, 2),  # the versions, then their deferrable materials
    ],
)
def test_a_list_page_is_a_fixed_number_of_queries(
    city, catalogue, select, queries, django_assert_num_queries
):
    for n in range(5):
        helpers.published(
            city.department,
            name=f"加项{n}",
            case_kind="1",
            promised_limit_days=0,
            agent_service=True,
            process={"commitment_allowed": True},
        )
    with django_assert_num_queries(queries):
        rows = list(select())
        for row in rows:
            assert row.item.implementation_code and row.item.implementing_department.name
            list(getattr(row, "deferrable_materials", []))
    assert rows


def test_the_guide_detail_is_a_fixed_number_of_queries(with_situations, django_assert_num_queries):
    # version+item+department, materials, situations, options, option adds, option removes,
    # co-departments, responsible persons
    with django_assert_num_queries(8):
        version = selectors.item_published_detail(item_id=with_situations.item_id)
        [m.retained_proof for m in version.materials.all()]
        for situation in version.situations.all():
            for option in situation.options.all():
                list(option.adds_materials.all()), list(option.removes_materials.all())
        list(version.co_departments.all()), list(version.responsible_persons.all())


@pytest.mark.django_db(transaction=True)
def test_a_transaction_asks_once_whether_a_version_is_published_until_the_catalogue_changes_it(
    city, django_assert_num_queries
):
    """The API's check of a submission and intake's ask the same question in one transaction: the
    second is answered without a statement. A catalogue service that changes the version in the
    same transaction makes it ask again; another transaction, or none, always asks."""
    from django.db import transaction

    version = helpers.published(city.department)
    with transaction.atomic():
        with django_assert_num_queries(1):
            first = selectors.version_publication(version.pk)
            assert selectors.version_publication(version.pk) == first is not None
        services.version_retire(user=None, version=version)
        with django_assert_num_queries(1):
            assert selectors.version_publication(version.pk) is None
    with transaction.atomic(), django_assert_num_queries(1):
        assert selectors.version_publication(version.pk) is None
    with django_assert_num_queries(2):
        assert selectors.version_publication(version.pk) is None
        assert selectors.version_publication(version.pk) is None
