"""The workbench's search-synonyms page: administrators edit, search follows, others are refused."""

from __future__ import annotations

import pytest
from django.test import Client

from quanban.accounts.roles import Role
from quanban.searchindex.models import Synonym
from quanban.searchindex.query import search
from tests import factories
from tests.catalogue import helpers

pytestmark = pytest.mark.django_db
URL = "/workbench/search/synonyms/"


def signed_in(user) -> Client:
    client = Client()
    client.post("/login/", {"username": user.username, "password": factories.PASSWORD})
    client.post("/login/verify/", {"code": factories.totp_code(user)})
    return client


def test_reviewer_adds_a_synonym_and_search_uses_it(city):
    helpers.published(city.department, name="食品经营许可")
    reviewer = signed_in(factories.make_staff(city, Role.CATALOGUE_REVIEWER, username="rev"))
    assert [hit.name for hit in search("餐饮")] == []
    response = reviewer.post(URL, {"term": "餐饮", "synonyms": "食品经营、饭店"})
    assert response.status_code == 302
    assert list(Synonym.objects.values_list("term", "synonyms")) == [("餐饮", ["食品经营", "饭店"])]
    assert [hit.name for hit in search("餐饮")] == ["食品经营许可"]
    page = reviewer.get(URL).content.decode()
    assert "食品经营、饭店" in page
    # An empty list removes the entry.
    reviewer.post(URL, {"term": "餐饮", "synonyms": ""})
    assert not Synonym.objects.exists()


def test_a_clerk_is_refused_and_nothing_changes(city):
    clerk = signed_in(factories.make_staff(city, Role.WINDOW_CLERK, username="clerk2"))
    assert clerk.get(URL).status_code == 403
    assert clerk.post(URL, {"term": "餐饮", "synonyms": "食品经营"}).status_code == 403
    assert not Synonym.objects.exists()


def test_an_overlong_synonym_is_shown_beside_the_field(city):
    reviewer = signed_in(factories.make_staff(city, Role.CATALOGUE_REVIEWER, username="rev2"))
    response = reviewer.post(URL, {"term": "户口", "synonyms": "户" * 40})
    assert response.status_code == 200
    assert "过长：最多 32 个字" in response.content.decode()
    assert not Synonym.objects.exists()
