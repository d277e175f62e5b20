"""Case fixtures: an applicant, a published item of the clerk's department and of another one."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quanban.accounts import services as accounts
from quanban.catalogue import services as catalogue
from tests import factories
from tests.catalogue import helpers


@pytest.fixture(autouse=True)
def _a_covered_day():
    """Cases accepted in these tests fall on a day the seeded calendar covers, whatever today is.

    Acceptance computes due dates in working days; a year the calendar does not know is refused
    (by design), so tests must not depend on the real date. Tests that travel elsewhere nest.
    """
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        yield


@pytest.fixture
def person(db):
    return accounts.person_register(name="李四", id_number=factories.valid_id_number())


@pytest.fixture
def entity(db):
    return accounts.entity_register(
        name="济南示例餐饮有限公司", uscc=factories.valid_uscc(77), legal_representative="王五"
    )


@pytest.fixture
def version(city):
    """A published item of the city's first department: material 1 (required) only."""
    return helpers.published(city.department)


@pytest.fixture
def situational_version(city):
    """A published item of *another* department with three required materials and a situation.

    Everyone: 1 申请书 (required), 2 营业执照 (required), 4 其他说明 (optional).
    Situation 1 “是否委托代理？”: option 1 “是” adds 3 授权委托书 (required); option 2 “否”.
    """
    version = helpers.draft(city.other_department)
    for name, necessity, situational in (
        ("营业执照", "1", False),
        ("授权委托书", "1", True),
        ("其他说明", "2", False),
    ):
        catalogue.material_add(
            user=None,
            version=version,
            name=name,
            form="3",
            necessity=necessity,
            source="10",
            situational=situational,
        )
    catalogue.situation_add(
        user=None,
        version=version,
        question="是否委托代理？",
        options=[{"label": "是", "adds_materials": [3]}, {"label": "否"}],
    )
    catalogue.version_submit(user=None, version=version)
    return catalogue.version_publish(user=None, version=version)
