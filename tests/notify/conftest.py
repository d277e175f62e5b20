"""Notification fixtures: a frozen clock in the city's time, a staff member and an applicant."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_otp.plugins.otp_totp.models import TOTPDevice

from quanban.accounts import services as accounts
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday, mid-morning in the city: outside the default quiet hours (22:00–07:00).
MORNING = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)


def at(hour: int, minute: int = 0, day: int = 15) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def frozen():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def staff(city):
    """A reviewer with a phone and an e-mail address on their account."""
    user = accounts.staff_create(
        username="reviewer1",
        display_name="审查员一",
        password=factories.PASSWORD,
        department=city.department,
        office=city.office,
        phone="13700001111",
        email="reviewer1@example.cn",
    )
    accounts.role_grant(
        granted_by=factories.security_admin(city),
        user=user,
        role=factories.Role.REVIEWER,
        org_unit=city.department,
    )
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


@pytest.fixture
def applicant(db):
    return factories.make_citizen("13900001111")
