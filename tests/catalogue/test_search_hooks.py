"""Publishing, retiring and importing keep the search index current, in the same transaction."""

from __future__ import annotations

import pytest

from quanban.catalogue import services
from quanban.catalogue.interchange import catalogue_export_json, catalogue_import
from quanban.catalogue.models import ServiceItem
from quanban.searchindex.models import SearchDoc
from quanban.searchindex.query import search
from tests.catalogue import helpers

pytestmark = pytest.mark.django_db


def _names(query: str) -> list[str]:
    return [hit.name for hit in search(query)]


def test_a_published_item_is_found_and_a_retired_one_is_not(city):
    version = helpers.published(city.department, name="城市道路挖掘许可")
    assert _names("挖掘") == ["城市道路挖掘许可"]
    assert _names("csdl") == ["城市道路挖掘许可"]
    services.version_retire(user=None, version=version)
    assert _names("挖掘") == []
    assert not SearchDoc.objects.filter(item_id=version.item_id).exists()


def test_a_draft_is_not_searchable(city):
    helpers.submitted(city.department, name="排污许可")
    assert _names("排污") == []


def test_a_new_published_version_replaces_the_old_one_in_search(city):
    first = helpers.published(city.department, name="出版物零售许可")
    draft = services.version_new_draft(user=None, item=first.item)
    services.version_update(user=None, version=draft, name="出版物零售业务许可")
    services.version_submit(user=None, version=draft)
    services.version_publish(user=None, version=draft)
    assert _names("出版物") == ["出版物零售业务许可"]
    assert SearchDoc.objects.filter(item_id=first.item_id).count() == 1


def test_imported_items_are_searchable(city):
    helpers.published(city.department, name="民办学校设立")
    document = catalogue_export_json()
    ServiceItem.objects.all().delete()
    SearchDoc.objects.all().delete()
    catalogue_import(user=None, document=document)
    assert _names("民办") == ["民办学校设立"]
