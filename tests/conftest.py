"""Shared fixtures. Factories live in tests/factories.py and go through the real services."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def city(db):
    return factories.make_city()


@pytest.fixture
def clerk(city):
    return factories.make_staff(city, factories.Role.WINDOW_CLERK, username="clerk")


@pytest.fixture
def citizen(db):
    return factories.make_citizen()
