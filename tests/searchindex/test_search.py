"""Chinese search: segmentation, bigrams, pinyin, synonyms, ranking, filters, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quanban.accounts.roles import Role
from quanban.core.errors import PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from quanban.searchindex.indexer import index_remove, index_version
from quanban.searchindex.models import SearchDoc, Synonym
from quanban.searchindex.query import MAX_QUERY_LENGTH, search
from quanban.searchindex.services import synonym_set
from tests import factories
from tests.searchindex.conftest import make_item

pytestmark = pytest.mark.django_db


def names(query: str, **filters) -> list[str]:
    return [hit.name for hit in search(query, **filters)]


@pytest.mark.parametrize("query", ["yyzz", "yingyezhizhao", "营业", "执照", "营业执照", "ＹＹＺＺ"])
def test_licence_items_are_found_by_words_bigrams_and_pinyin(catalogue, query):
    found = names(query)
    assert found[:2] == ["个体工商户营业执照设立登记", "营业执照遗失补领"]


def test_pinyin_initials_match_inside_a_name_and_by_prefix(catalogue):
    assert names("hkqy") == ["户口迁移"]
    assert names("hukou") == ["户口迁移"]
    assert names("yszyzc") == ["医师执业注册"]
    assert names("zyzc") == ["医师执业注册"]  # from a word start inside the name
    assert names("yish")[:1] == ["医师执业注册"]


def test_two_character_queries_find_their_items(catalogue):
    assert names("户口") == ["户口迁移"]
    assert names("食品") == ["食品经营许可"]
    assert names("挖掘") == ["城市道路挖掘许可"]


def test_keywords_departments_and_materials_are_searched(catalogue):
    assert names("落户") == ["户口迁移"]
    [hit] = search("落户")
    assert hit.matched == ("keywords",)
    assert names("健康委员会") == ["医师执业注册"]
    assert search("健康委员会")[0].matched == ("department",)
    [hit] = search("施工方案")
    assert (hit.name, hit.matched) == ("城市道路挖掘许可", ("materials",))


def test_a_name_match_beats_a_material_match_and_equals_go_by_case_count(catalogue):
    hits = search("营业执照")
    assert [(h.name, h.matched) for h in hits] == [
        ("个体工商户营业执照设立登记", ("name",)),  # 900 cases
        ("营业执照遗失补领", ("name",)),  # 5 cases
        ("食品经营许可", ("materials",)),  # 500 cases
        ("公共场所卫生许可", ("materials",)),  # 50 cases
    ]
    assert hits[0].score > hits[1].score > hits[2].score > hits[3].score


def test_a_hit_names_the_item_version_and_department(catalogue):
    [hit] = search("户口迁移")
    version = catalogue.version("户口迁移")
    assert hit.item_id == version.item_id
    assert hit.version_id == version.pk
    assert hit.department_id == catalogue.city.department.pk
    assert hit.department_name == "济南市行政审批服务局"
    assert hit.level == "4"


def test_filters_by_department_and_level(catalogue):
    market = catalogue.city.other_department.pk
    assert names("许可", department=catalogue.city.department.pk, level="4") == ["城市道路挖掘许可"]
    assert set(names("许可", level="3")) == {"食品经营许可", "公共场所卫生许可"}
    assert names("营业执照", department=market) == [
        "个体工商户营业执照设立登记",
        "营业执照遗失补领",
    ]
    assert names("户口", level="3") == []


def test_drafts_are_not_found_and_limit_is_honoured(catalogue):
    assert names("排污") == []
    assert len(search("许可", limit=2)) == 2


def test_empty_and_over_long_queries_are_refused(catalogue):
    with pytest.raises(ValidationFailed) as empty:
        search("   ")
    assert empty.value.code == "search_query_empty"
    with pytest.raises(ValidationFailed) as long:
        search("许" * (MAX_QUERY_LENGTH + 1))
    assert long.value.code == "search_query_too_long"
    assert str(long.value) == "搜索词过长：最多 50 个字，请精简后再试。"


def test_nothing_matches_nothing(catalogue):
    assert names("宇宙飞船") == []
    assert names("zzzzzz") == []


def test_a_search_takes_two_queries(catalogue, django_assert_num_queries):
    search("户口")  # loads the synonyms list, cached for SYNONYM_CACHE_SECONDS
    for query in ("营业执照", "yyzz", "食品经营许可"):
        with django_assert_num_queries(2):
            search(query, department=catalogue.city.department.pk, level="3")
        with django_assert_num_queries(2):
            search(query)


# --- Synonyms --------------------------------------------------------------------------------


@pytest.fixture
def reviewer(catalogue):
    return factories.make_staff(catalogue.city, Role.CATALOGUE_REVIEWER)


def test_an_admin_synonym_makes_canyin_find_food_business(catalogue, reviewer):
    assert names("餐饮") == []
    synonym_set(user=reviewer, term="餐饮", synonyms=["食品经营", "饭店"])
    # 食品经营 in the name, 饭店 in the keywords, 食品 in 食品安全管理制度; 经营 in the other's materials.
    assert [(h.name, h.matched) for h in search("餐饮")] == [
        ("食品经营许可", ("name", "keywords", "materials")),
        ("个体工商户营业执照设立登记", ("materials",)),
    ]
    entry = Synonym.objects.get(term="餐饮")
    assert entry.synonyms == ["食品经营", "饭店"]
    record = AuditRecord.objects.order_by("-seq").first()
    assert record.action == "search_synonym.set"
    assert record.changes == {
        "synonyms": [None, ["食品经营", "饭店"]],
        "term": [None, "餐饮"],
    }
    # An empty list removes the entry, and the item is no longer found that way.
    assert synonym_set(user=reviewer, term="餐饮", synonyms=[]) is None
    assert not Synonym.objects.filter(term="餐饮").exists()
    assert names("餐饮") == []


def test_the_system_admin_may_edit_synonyms(catalogue):
    admin = factories.make_staff(catalogue.city, Role.SYSTEM_ADMIN)
    synonym_set(user=admin, term="开饭店", synonyms=["食品经营"])
    assert names("开饭店")[0] == "食品经营许可"


@pytest.mark.parametrize("role", [Role.WINDOW_CLERK, Role.CATALOGUE_EDITOR, None])
def test_a_non_admin_cannot_edit_synonyms_and_nothing_changes(catalogue, reviewer, role):
    synonym_set(user=reviewer, term="餐饮", synonyms=["食品经营"])
    other = factories.make_staff(catalogue.city, role)
    audit_before = AuditRecord.objects.count()
    with pytest.raises(PermissionDenied):
        synonym_set(user=other, term="餐饮", synonyms=["宠物"])
    with pytest.raises(PermissionDenied):
        synonym_set(user=other, term="户口", synonyms=["食品经营"])
    assert list(Synonym.objects.values_list("term", "synonyms")) == [("餐饮", ["食品经营"])]
    assert AuditRecord.objects.count() == audit_before
    assert names("餐饮")[0] == "食品经营许可"


def test_synonym_input_is_checked(catalogue, reviewer):
    with pytest.raises(ValidationFailed) as error:
        synonym_set(user=reviewer, term=" ", synonyms=["食品经营"])
    assert error.value.code == "synonym_empty"
    with pytest.raises(ValidationFailed) as error:
        synonym_set(user=reviewer, term="餐饮", synonyms=["x" * 33])
    assert error.value.code == "synonym_too_long"
    assert not Synonym.objects.exists()


# --- Index maintenance -----------------------------------------------------------------------


def test_index_version_replaces_and_index_remove_removes(catalogue):
    item = catalogue.items["户口迁移"]
    version = catalogue.version("户口迁移")
    version.name = "户籍迁入"
    version.save()
    index_version(version)
    assert names("户籍") == ["户籍迁入"]
    assert names("迁移") == []
    assert SearchDoc.objects.filter(item=item).count() == 1
    index_remove(item)
    assert names("户籍") == []
    assert not SearchDoc.objects.filter(item=item).exists()


def test_a_newly_published_item_is_found_after_index_version(catalogue):
    item = make_item(catalogue.health, "护士执业注册", case_count=3)
    index_version(item.versions.get())
    assert names("护士") == ["护士执业注册"]
    assert names("执业注册") == ["医师执业注册", "护士执业注册"]


def test_the_index_works_on_this_database(catalogue):
    # Runs on SQLite by default and on PostgreSQL when DATABASE_URL points there (CI does both).
    assert connection.vendor in {"sqlite", "postgresql"}
    with CaptureQueriesContext(connection) as queries:
        search("yyzz")
    assert "GROUP BY" in queries.captured_queries[-1]["sql"]


def test_the_reindex_command_rebuilds_the_index(catalogue, capsys):
    from django.core.management import call_command

    SearchDoc.objects.all().delete()
    assert names("户口") == []
    call_command("search", "reindex", "--batch", "3")
    out = capsys.readouterr()
    assert "已索引 7 个事项" in out.out
    assert "reindex: 100% (7/7)" in out.err
    assert names("户口") == ["户口迁移"]
