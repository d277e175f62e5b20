"""Feedback fixtures: a city with an office head, a citizen with a finished case, a window clerk.

Tests travel to Monday 2026-06-15 10:00 (Asia/Shanghai), a day the seeded calendar covers.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases import services as cases
from tests import factories
from tests.catalogue import helpers

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _a_covered_day():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def traveller(_a_covered_day):
    return _a_covered_day


@pytest.fixture
def world(work_calendar):
    city = factories.make_city()
    citizen = factories.make_citizen("13900001111")
    person = accounts.person_register(
        name="李四",
        id_number=factories.valid_id_number(seq="551"),
        phone="13900001111",
        user=citizen,
    )
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, username="clerk", scope=city.hall)
    head = factories.make_staff(city, Role.OFFICE_HEAD, username="head", scope=city.office)
    member = factories.make_staff(city, Role.REVIEWER, username="member", scope=city.department)
    supervisor = factories.make_staff(city, Role.SUPERVISOR, username="supervisor")
    return {
        "city": city,
        "citizen": citizen,
        "person": person,
        "clerk": clerk,
        "head": head,
        "member": member,
        "supervisor": supervisor,
    }


def finished_case(world, *, person=None):
    """A 即办 case of the city's first department, finished at the window by the clerk."""
    city = world["city"]
    version = helpers.published(
        city.department, case_kind="1", legal_limit_days=0, promised_limit_days=0
    )
    case = cases.case_receive(
        user=world["clerk"],
        item_version=version,
        applicant=person or world["person"],
        channel="8",
        answers={},
        window=city.window,
    )
    return cases.case_finish_on_the_spot(
        user=world["clerk"], case=case, received_material_ids=[version.materials.get().pk]
    )


@pytest.fixture
def case(world):
    return finished_case(world)
