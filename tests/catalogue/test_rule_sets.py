"""秒批 rule sets in the catalogue: creating versions, what a rule set may contain, and publishing
an instant-approval item, which needs a rule set that compiles and pins its latest version."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quanban.catalogue import rules, services
from quanban.catalogue.interchange import catalogue_export_json, catalogue_import
from quanban.catalogue.models import InstantRuleSet, ItemVersion
from quanban.catalogue.rules import rule_set_compile_problems, rule_set_create
from quanban.core import clock
from quanban.core.errors import PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from tests.catalogue import helpers

pytestmark = pytest.mark.django_db

KEY = "elderly-card"


@pytest.fixture(autouse=True)
def _compiled_rules_reset():
    """Each test's database rolls back; the rules compiled from it must go with it."""
    yield
    rules.rule_set_cache_clear()


def table() -> dict[str, Any]:
    """老年人优待证: 60 or older with a 济南 household is approved; under 60 is refused."""
    return rules.decision_table(
        name="老年人优待证",
        columns=(
            ("age", "年龄", "applicant.age"),
            ("division", "户籍地", "applicant.division_code"),
        ),
        rules=(
            rules.Rule("under-60", "reject", "未满 60 周岁。", {"age": "< 60"}),
            rules.Rule(
                "eligible",
                "approve",
                "年满 60 周岁且户籍在济南市。",
                {"age": ">= 60", "division": 'startsWith($, "3701")'},
            ),
            rules.Rule("others", "refer", "转工作人员审核。", {}),
        ),
    )


def the_table(content: dict[str, Any]) -> dict[str, Any]:
    return next(n for n in content["nodes"] if n["type"] == "decisionTableNode")["content"]


# --- What a rule set may contain ---------------------------------------------------------------


# As the GoRules editor saves a table: generated ids, positions, names, single-column conditions.
EDITOR_EXPORT: dict[str, Any] = {
    "contentType": "application/vnd.gorules.decision",
    "nodes": [
        {
            "id": "0b8dcf6b-fc04-47cb-bf82-bda764e6c09b",
            "type": "inputNode",
            "position": {"x": 110, "y": 114},
            "name": "Request",
        },
        {
            "id": "6e1ba4c7-9f4e-4b8b-b1d5-07c6d8bd9c9b",
            "type": "decisionTableNode",
            "position": {"x": 410, "y": 114},
            "name": "老年人优待证",
            "content": {
                "hitPolicy": "first",
                "inputs": [
                    {
                        "id": "b9a2c3f1-0d7e-4b1a-9a7d-4f3b1c2d5e6f",
                        "name": "年龄",
                        "type": "expression",
                        "field": "applicant.age",
                    }
                ],
                "outputs": [
                    {"id": "5c1e", "name": "决定", "type": "expression", "field": "decision"},
                    {"id": "7d2f", "name": "理由", "type": "expression", "field": "reason"},
                    {"id": "9e3a", "name": "规则", "type": "expression", "field": "rule"},
                ],
                "rules": [
                    {
                        "_id": "c8d2e0a4-3f5b-4d6c-8e7f-9a0b1c2d3e4f",
                        "b9a2c3f1-0d7e-4b1a-9a7d-4f3b1c2d5e6f": ">= 60",
                        "5c1e": '"approve"',
                        "7d2f": '"年满 60 周岁。"',
                        "9e3a": '"age-60"',
                    }
                ],
            },
        },
        {
            "id": "f2b7a1d3-8c4e-4f6a-b5d9-0e1c2a3b4d5e",
            "type": "outputNode",
            "position": {"x": 710, "y": 114},
            "name": "Response",
        },
    ],
    "edges": [
        {
            "id": "e1",
            "sourceId": "0b8dcf6b-fc04-47cb-bf82-bda764e6c09b",
            "type": "edge",
            "targetId": "6e1ba4c7-9f4e-4b8b-b1d5-07c6d8bd9c9b",
        },
        {
            "id": "e2",
            "sourceId": "6e1ba4c7-9f4e-4b8b-b1d5-07c6d8bd9c9b",
            "type": "edge",
            "targetId": "f2b7a1d3-8c4e-4f6a-b5d9-0e1c2a3b4d5e",
        },
    ],
}


def test_a_first_hit_table_compiles():
    assert rule_set_compile_problems(table()) == []
    assert rule_set_compile_problems(EDITOR_EXPORT) == []


def _changed(change) -> dict[str, Any]:
    content = copy.deepcopy(table())
    change(content)
    return content


def _function_node(c: dict[str, Any]) -> None:
    c["nodes"].append(
        {"id": "js", "type": "functionNode", "content": {"source": "export const handler = 1"}}
    )


def _set_cell(row: int, column: str, value: Any):
    def change(c: dict[str, Any]) -> None:
        the_table(c)["rules"][row][column] = value

    return change


BROKEN: list[tuple[str, Any, list[str]]] = [
    ("not-an-object", "age >= 60", ["规则集内容应为 JDM 决策图（JSON 对象）。"]),
    (
        "other-content-type",
        _changed(lambda c: c.update(contentType="application/json")),
        ["规则集内容类型应为 application/vnd.gorules.decision。"],
    ),
    (
        "function-node",
        _changed(_function_node),
        ["规则集只能由一个输入节点、一个决策表和一个输出节点组成，不能使用：functionNode。"],
    ),
    (
        "two-tables",
        _changed(lambda c: c["nodes"].append({**c["nodes"][1], "id": "table-2"})),
        ["规则集应正好有一个输入节点、一个决策表节点和一个输出节点。"],
    ),
    (
        "table-not-connected",
        _changed(lambda c: c["edges"].pop()),
        ["规则集的连线应为：输入节点 → 决策表 → 输出节点。"],
    ),
    (
        "collect",
        _changed(lambda c: the_table(c).update(hitPolicy="collect")),
        ["决策表的命中策略应为 first（自上而下取第一条命中的规则）。"],
    ),
    (
        "bad-input-expression",
        _changed(lambda c: the_table(c)["inputs"][0].update(field="applicant.")),
        ["输入列“年龄”的取值表达式无法解析：Expected a property at (10, 10)"],
    ),
    (
        "bad-condition",
        _changed(_set_cell(1, "age", "foo(1)")),
        ["第 2 条规则“年龄”列的条件无法解析：Incomplete parser output"],
    ),
    (
        "condition-not-text",
        _changed(_set_cell(0, "age", 60)),
        ["第 1 条规则“年龄”列应为文本。"],
    ),
    (
        "no-rule-column",
        _changed(lambda c: the_table(c)["outputs"].pop()),
        ["决策表的输出列应正好是 decision（决定）、reason（理由）和 rule（规则编号）。"],
    ),
    (
        "no-rows",
        _changed(lambda c: the_table(c).update(rules=[])),
        ["决策表应有 1 到 500 条规则。"],
    ),
    (
        "unknown-decision",
        _changed(_set_cell(0, "decision", '"maybe"')),
        ['第 1 条规则的决定应为 "approve"、"reject" 或 "refer"。'],
    ),
    (
        "reason-not-constant",
        _changed(_set_cell(0, "reason", "applicant.age")),
        ["第 1 条规则应写明给申请人看的理由（带引号的文字，不超过 500 字）。"],
    ),
    (
        "rule-id-missing",
        _changed(_set_cell(2, "rule", '""')),
        ["第 3 条规则应有规则编号（带引号的文字，不超过 64 字）。"],
    ),
    (
        "rule-id-repeated",
        _changed(_set_cell(2, "rule", '"under-60"')),
        ["第 3 条规则的编号“under-60”与前面的规则重复。"],
    ),
]


@pytest.mark.parametrize(
    ("content", "problems"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_what_is_not_a_usable_rule_set_is_named(content, problems):
    assert rule_set_compile_problems(content) == problems


def test_every_problem_of_a_row_is_named_at_once():
    content = _changed(_set_cell(0, "decision", '"yes"'))
    the_table(content)["rules"][0]["reason"] = '""'

    assert rule_set_compile_problems(content) == [
        '第 1 条规则的决定应为 "approve"、"reject" 或 "refer"。',
        "第 1 条规则应写明给申请人看的理由（带引号的文字，不超过 500 字）。",
    ]


# --- Creating versions -------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_a_change_is_a_new_number_and_each_is_audited(editor):
    first = rule_set_create(user=editor, key=KEY, name="老年人优待证办理规则", content=table())
    second = rule_set_create(user=editor, key=KEY, name="老年人优待证办理规则", content=table())
    other = rule_set_create(user=None, key="other-rules", name="其他规则", content=table())

    assert [(r.key, r.number) for r in (first, second, other)] == [
        (KEY, 1),
        (KEY, 2),
        ("other-rules", 1),
    ]
    assert (first.created_by, first.created_at, first.content) == (
        editor,
        dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC),
        table(),
    )
    records = AuditRecord.objects.filter(action="rules.rule_set_create").order_by("seq")
    assert [(r.object_type, r.object_id) for r in records] == [
        ("catalogue.instantruleset", str(first.pk)),
        ("catalogue.instantruleset", str(second.pk)),
        ("catalogue.instantruleset", str(other.pk)),
    ]
    changes = records[0].changes
    assert {k: changes[k] for k in ("key", "number", "name")} == {
        "key": KEY,
        "number": 1,
        "name": "老年人优待证办理规则",
    }
    assert changes["content_sm3"] == records[1].changes["content_sm3"]
    assert len(changes["content_sm3"]) == 64


def test_only_catalogue_editors_create_rule_sets(clerk, reviewer):
    for user in (clerk, reviewer):
        with pytest.raises(PermissionDenied) as refused:
            rule_set_create(user=user, key=KEY, name="老年人优待证办理规则", content=table())
        assert refused.value.code == "forbidden"

    assert InstantRuleSet.objects.count() == 0
    assert not AuditRecord.objects.filter(action="rules.rule_set_create").exists()


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"key": "老年人 优待证"}, "rule_set_key_invalid", "key"),
        ({"key": "a" * 101}, "rule_set_key_invalid", "key"),
        ({"name": "  "}, "rule_set_name_required", "name"),
        ({"content": {"nodes": []}}, "rule_set_invalid", "content"),
    ],
    ids=["key-with-space", "key-too-long", "no-name", "content"],
)
def test_bad_rule_sets_are_refused_and_nothing_is_written(editor, fields, code, field):
    values = {"key": KEY, "name": "老年人优待证办理规则", "content": table(), **fields}

    with pytest.raises(ValidationFailed) as refused:
        rule_set_create(user=editor, **values)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert InstantRuleSet.objects.count() == 0
    assert not AuditRecord.objects.filter(action="rules.rule_set_create").exists()


def test_a_refused_content_lists_its_problems(editor):
    content = _changed(lambda c: the_table(c).update(hitPolicy="collect"))

    with pytest.raises(ValidationFailed) as refused:
        rule_set_create(user=editor, key=KEY, name="老年人优待证办理规则", content=content)

    assert refused.value.extra == {
        "problems": ["决策表的命中策略应为 first（自上而下取第一条命中的规则）。"]
    }


# --- Publishing an instant-approval item ----------------------------------------------------------


def instant_item(department, key: str = KEY, **process: Any) -> ItemVersion:
    return helpers.submitted(
        department,
        name="老年人优待证办理",
        item_type="07",
        case_kind="1",
        legal_limit_days=5,
        promised_limit_days=0,
        service_objects=["1"],
        process={"kind": "instant_rule", "instant_rule_set": key, **process},
    )


def test_publishing_pins_the_latest_version_of_the_rule_set(city):
    rule_set_create(user=None, key=KEY, name="老年人优待证办理规则", content=table())
    rule_set_create(user=None, key=KEY, name="老年人优待证办理规则", content=table())

    version = services.version_publish(user=None, version=instant_item(city.department))

    version.refresh_from_db()
    assert version.state == "published"
    assert version.process == {
        "kind": "instant_rule",
        "instant_rule_set": KEY,
        "instant_rule_set_version": 2,
    }
    record = AuditRecord.objects.filter(action="catalogue.version_publish").get()
    assert record.changes["process"] == [
        {"kind": "instant_rule", "instant_rule_set": KEY},
        {"kind": "instant_rule", "instant_rule_set": KEY, "instant_rule_set_version": 2},
    ]


def test_a_new_version_of_the_item_pins_the_rules_of_its_own_publishing(city):
    rule_set_create(user=None, key=KEY, name="老年人优待证办理规则", content=table())
    first = services.version_publish(user=None, version=instant_item(city.department))
    rule_set_create(user=None, key=KEY, name="老年人优待证办理规则（修订）", content=table())

    draft = services.version_new_draft(user=None, item=first.item)
    services.version_submit(user=None, version=draft)
    second = services.version_publish(user=None, version=draft)

    first.refresh_from_db()
    assert (first.state, first.process["instant_rule_set_version"]) == ("retired", 1)
    assert (second.state, second.process["instant_rule_set_version"]) == ("published", 2)


def test_an_import_pins_the_latest_version_here_not_the_one_in_the_file(city):
    rule_set_create(user=None, key=KEY, name="老年人优待证办理规则", content=table())
    services.version_publish(user=None, version=instant_item(city.department))
    document = catalogue_export_json()
    rule_set_create(user=None, key=KEY, name="老年人优待证办理规则（修订）", content=table())

    catalogue_import(user=None, document=document)

    assert document["items"][0]["process"]["instant_rule_set_version"] == 1
    imported = ItemVersion.objects.get(state="published")
    assert (imported.number, imported.process["instant_rule_set_version"]) == (2, 2)


def test_publishing_refuses_a_rule_set_that_does_not_exist(city):
    version = instant_item(city.department, key="no-such-rules")

    with pytest.raises(ValidationFailed) as refused:
        services.version_publish(user=None, version=version)

    assert refused.value.code == "version_not_publishable"
    assert refused.value.extra["problems"] == [
        {
            "field": "process.instant_rule_set",
            "code": "instant_rule_set_invalid",
            "message": "秒批规则集“no-such-rules”不存在：请先建立该规则集，或改填已有的规则集标识。",
        }
    ]
    version.refresh_from_db()
    assert (version.state, version.process) == (
        "submitted",
        {"kind": "instant_rule", "instant_rule_set": "no-such-rules"},
    )


def test_publishing_refuses_a_rule_set_that_does_not_compile(city):
    # Stored past the service's check, as a row written before a check existed would be.
    broken = _changed(lambda c: the_table(c).update(hitPolicy="collect"))
    InstantRuleSet.objects.create(
        key=KEY, number=1, name="老年人优待证办理规则", content=broken, created_at=clock.now()
    )
    version = instant_item(city.department)

    with pytest.raises(ValidationFailed) as refused:
        services.version_publish(user=None, version=version)

    assert refused.value.extra["problems"] == [
        {
            "field": "process.instant_rule_set",
            "code": "instant_rule_set_invalid",
            "message": (
                "秒批规则集“elderly-card”第 1 版无法使用："
                "决策表的命中策略应为 first（自上而下取第一条命中的规则）。"
            ),
        }
    ]
    version.refresh_from_db()
    assert version.state == "submitted"


def test_publishing_still_asks_for_a_rule_set_name(city):
    version = instant_item(city.department, key=" ")

    with pytest.raises(ValidationFailed) as refused:
        services.version_publish(user=None, version=version)

    assert [p["code"] for p in refused.value.extra["problems"]] == ["instant_rule_set_missing"]


def test_another_process_drops_a_pin_copied_from_an_earlier_version(city):
    version = helpers.submitted(
        city.department, process={"kind": "review_approve", "instant_rule_set_version": 3}
    )

    published = services.version_publish(user=None, version=version)

    published.refresh_from_db()
    assert published.process == {"kind": "review_approve"}


def test_the_pin_is_a_number(city):
    with pytest.raises(ValidationFailed) as refused:
        helpers.draft(
            city.department, process={"kind": "instant_rule", "instant_rule_set_version": "2"}
        )

    assert (refused.value.code, refused.value.field) == ("field_invalid", "process")
