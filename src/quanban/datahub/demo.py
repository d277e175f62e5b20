"""The demo city's registries: every demo applicant in the population registry (人口库, kept by
the public security bureau) and every demo company in the legal-entity registry (法人库, kept by
market regulation), so that their applications fetch what the registries hold. One more person
(deceased) and one deregistered company show records that are found but not in good standing.
"""

from __future__ import annotations

import datetime as dt

from quanban.accounts.demo import (
    CITY_NAME,
    COMPANIES,
    PERSONS,
    CompanySpec,
    PersonSpec,
    company_uscc,
)
from quanban.accounts.models import OrgUnit
from quanban.datahub.models import LegalEntityRecord, PopulationRecord
from quanban.datahub.services import legal_entity_record_upsert, population_record_upsert

POPULATION_OWNER = "济南市公安局"
LEGAL_ENTITY_OWNER = "济南市市场监督管理局"
# The district (or county) of an ID number's address code, for the household address.
DISTRICTS = {
    "370102": "历下区",
    "370103": "市中区",
    "370104": "槐荫区",
    "370105": "天桥区",
    "370112": "历城区",
    "370181": "章丘区",
    "370124": "平阴县",
    "370126": "商河县",
}
STREETS = ("泉城路", "经七路", "经十路", "北园大街", "花园路", "山泉路", "榆山路", "商中路")
# Found in the registry but not in good standing: nothing is fetched for them.
EXTRA_PERSONS = (PersonSpec("钱卫东", "370102", "19400812", "091", ""),)
EXTRA_COMPANIES = (CompanySpec("济南旧城商贸有限公司", "MA3H7C4D", 3, "济南市历下区泉城路", ""),)
SCOPES = (
    "软件开发；信息技术咨询服务；数据处理服务",
    "食品生产；食品销售；农副产品销售",
    "旅游业务；文艺创作；会议及展览服务",
    "建设工程施工；市政设施管理；工程管理服务",
    "餐饮服务；食品销售；餐饮管理",
)


def _department(name: str) -> OrgUnit:
    return OrgUnit.objects.get(kind=OrgUnit.Kind.DEPARTMENT, name=name)


def _birth(spec: PersonSpec) -> dt.date:
    return dt.date(int(spec.birth[:4]), int(spec.birth[4:6]), int(spec.birth[6:]))


def demo_registries_load() -> dict[str, int]:
    """The registry records of the demo people and companies; their counts."""
    police = _department(POPULATION_OWNER)
    market = _department(LEGAL_ENTITY_OWNER)
    people = 0
    for index, spec in enumerate((*PERSONS, *EXTRA_PERSONS)):
        deceased = spec in EXTRA_PERSONS
        population_record_upsert(
            id_number=spec.id_number,
            name=spec.name,
            # The 17th digit: odd for men, even for women (GB 11643).
            sex=PopulationRecord.Sex.MALE
            if int(spec.sequence[-1]) % 2
            else PopulationRecord.Sex.FEMALE,
            birth_date=_birth(spec),
            ethnicity="汉族",
            household_address=(
                f"山东省{CITY_NAME}{DISTRICTS[spec.region]}{STREETS[index % len(STREETS)]}"
                f"{index * 7 + 11}号"
            ),
            household_division=spec.region,
            status=PopulationRecord.Status.DECEASED if deceased else PopulationRecord.Status.NORMAL,
            owner=police,
        )
        people += 1
    entities = 0
    for index, company in enumerate((*COMPANIES, *EXTRA_COMPANIES)):
        gone = company in EXTRA_COMPANIES
        legal_entity_record_upsert(
            uscc=company_uscc(company),
            name=company.name,
            entity_type="有限责任公司（自然人投资或控股）",
            legal_representative=PERSONS[company.representative].name,
            registered_address=company.address,
            registered_capital=f"{(index + 1) * 100}万元人民币",
            established_on=dt.date(2015 + index, 3 + index, 10),
            business_scope=SCOPES[index % len(SCOPES)],
            status=LegalEntityRecord.Status.DEREGISTERED
            if gone
            else LegalEntityRecord.Status.ACTIVE,
            owner=market,
        )
        entities += 1
    return {"population_records": people, "legal_entity_records": entities}
