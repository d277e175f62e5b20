"""Licence fixtures: a seal store of the test's own, a licence type, an approved 即办 case."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quanban.accounts import services as accounts
from quanban.cases import services as cases
from quanban.cases.models import Channel
from quanban.licences import seals
from quanban.licences.selectors import licence_ref_cache_clear
from quanban.licences.services import licence_type_create
from tests import factories
from tests.catalogue import helpers

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)

FOOD_SCHEMA = {
    "type": "object",
    "properties": {
        "经营者名称": {
            "type": "string",
            "title": "经营者名称",
            "x-source": "holder.name",
            "x-public": True,
        },
        "法定代表人": {
            "type": "string",
            "title": "法定代表人（负责人）",
            "x-source": "holder.legal_representative",
        },
        "经营场所": {"type": "string", "title": "经营场所", "x-public": True},
        "主体业态": {"type": "string", "title": "主体业态", "x-public": True},
        "经营项目": {"type": "string", "title": "经营项目", "x-source": "case.decision_text"},
    },
    "required": ["经营者名称", "经营场所", "主体业态"],
    "additionalProperties": False,
}
FORM = {"经营场所": "济南市历下区泉城路 1 号", "主体业态": "餐饮服务经营者（小型餐饮）"}


@pytest.fixture(autouse=True)
def _a_covered_day():
    with time_machine.travel(DAY, tick=False):
        yield


@pytest.fixture(autouse=True)
def seal_store(settings, tmp_path):
    settings.LICENCE_SEAL_DIR = tmp_path / "seals"
    seals.seal_cache_clear()
    licence_ref_cache_clear()  # rows of another test's database may share these ids
    yield settings.LICENCE_SEAL_DIR
    seals.seal_cache_clear()


@pytest.fixture
def seal_key(city, seal_store):
    return seals.seal_key_create(department_code=city.department.uscc)


@pytest.fixture
def food_type(city):
    return licence_type_create(
        code=city.department.uscc + "001",
        name="食品经营许可证",
        defining_body="国家市场监督管理总局",
        defining_department=city.department,
        holder_kind="001",
        fields_schema=FOOD_SCHEMA,
        validity_years=5,
        layout={
            "title": "食品经营许可证",
            "fields": ["经营者名称", "法定代表人", "经营场所", "主体业态", "经营项目"],
        },
    )


@pytest.fixture
def entity(db):
    return accounts.entity_register(
        name="济南示例餐饮有限公司",
        uscc=factories.valid_uscc(77),
        legal_representative="王五",
    )


@pytest.fixture
def person(db):
    return accounts.person_register(name="李四", id_number=factories.valid_id_number())


@pytest.fixture
def instant_version(city, food_type):
    """A published 即办 item of the city's department whose result is the food licence."""
    return helpers.published(
        city.department,
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
        result_name="食品经营许可证",
        result_licence_type="食品经营许可证",
    )


def decided_case(clerk, version, applicant, window, *, decision="approve", form=FORM):
    case = cases.case_receive(
        user=clerk,
        item_version=version,
        applicant=applicant,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=window,
        form_data=form,
    )
    owed = list(case.materials.values_list("material_id", flat=True))
    return cases.case_finish_on_the_spot(
        user=clerk,
        case=case,
        decision=decision,
        decision_text="预包装食品（含冷藏冷冻食品）销售；热食类食品制售",
        reason="" if decision == "approve" else "不符合条件",
        legal_basis="" if decision == "approve" else "《中华人民共和国食品安全法》第三十五条",
        received_material_ids=owed,
    )


@pytest.fixture
def approved_case(city, clerk, instant_version, entity, seal_key, work_calendar):
    return decided_case(clerk, instant_version, entity, city.window)


@pytest.fixture
def approver(city):
    return factories.make_staff(city, factories.Role.APPROVER, scope=city.department)
