"""Shared fixtures. Factories live in tests/factories.py and go through the real services."""

from __future__ import annotations

import pytest

from tests import factories

# The real browser (tests/browser.py): one Chromium for every directory's page tests.
pytest_plugins = ["tests.browser"]


@pytest.fixture
def city(db):
    return factories.make_city()


@pytest.fixture
def clerk(city):
    return factories.make_staff(city, factories.Role.WINDOW_CLERK, username="clerk")


@pytest.fixture
def citizen(db):
    return factories.make_citizen()


@pytest.fixture(autouse=True)
def _working_day_cache_reset():
    """Working-day data cached in process memory must not outlive the test that read it."""
    yield
    from quanban.core import workdays

    workdays.invalidate()


@pytest.fixture(autouse=True)
def _compiled_rules_reset():
    """Instant-approval rule sets compiled, and published versions kept, in one test must not
    meet another test's database, which may reuse a (key, number) or an id after rolling back."""
    yield
    from quanban.catalogue.rules import rule_set_cache_clear
    from quanban.catalogue.selectors import version_published_cache_clear

    rule_set_cache_clear()
    version_published_cache_clear()


@pytest.fixture
def work_calendar(db):
    """The working-day calendar as `quanban migrate` seeds it (re-seeded if a flush emptied it)."""
    import importlib

    from django.apps import apps

    from quanban.core import workdays
    from quanban.core.models import CalendarYear

    if not CalendarYear.objects.exists():
        seed = importlib.import_module("quanban.core.migrations.0004_calendar_seed")
        seed.seed_database(apps, "default")
    workdays.invalidate()
    return workdays


@pytest.fixture(autouse=True)
def _calendar_after_a_flush(request):
    """A transactional test starts after the previous one's flush emptied every table, the
    calendar seeded by the migrations included: give it the calendar back (the others keep it)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    if marker.kwargs.get("serialized_rollback"):
        return  # the flushed rows come back from the serialized copy
    request.getfixturevalue("work_calendar")


@pytest.fixture(autouse=True)
def _default_language():
    """Code outside a request speaks the site's default language (Chinese), as requests do."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield
