"""Catalogue fixtures: editors and reviewers with their scopes."""

from __future__ import annotations

import pytest

from quanban.accounts.roles import Role
from tests import factories


@pytest.fixture
def editor(city):
    """A catalogue editor for the city's first department only."""
    return factories.make_staff(city, Role.CATALOGUE_EDITOR, scope=city.department)


@pytest.fixture
def other_editor(city):
    """A catalogue editor for another department."""
    return factories.make_staff(city, Role.CATALOGUE_EDITOR, scope=city.other_department)


@pytest.fixture
def reviewer(city):
    """A catalogue reviewer for the whole city."""
    return factories.make_staff(city, Role.CATALOGUE_REVIEWER, scope=city.city)
