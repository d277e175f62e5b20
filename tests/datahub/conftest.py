"""Data hub fixtures: a person and a company in the registries, owned by their departments."""

from __future__ import annotations

import datetime as dt

import pytest

from quanban.datahub.services import legal_entity_record_upsert, population_record_upsert
from tests import factories


@pytest.fixture
def person_record(city):
    return population_record_upsert(
        id_number=factories.valid_id_number(),
        name="张三",
        sex="1",
        birth_date=dt.date(1990, 1, 1),
        ethnicity="汉族",
        household_address="山东省济南市历下区泉城路 1 号",
        household_division="370102",
        owner=city.department,
    )


@pytest.fixture
def entity_record(city):
    return legal_entity_record_upsert(
        uscc=factories.valid_uscc(77),
        name="济南示例餐饮有限公司",
        entity_type="有限责任公司",
        legal_representative="王五",
        registered_address="济南市历下区解放路 1 号",
        established_on=dt.date(2020, 5, 1),
        business_scope="餐饮服务",
        owner=city.other_department,
    )
