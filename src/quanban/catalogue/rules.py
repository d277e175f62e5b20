"""秒批: published rules decide an application the moment it arrives, with no person in the loop.

A rule set (``catalogue.InstantRuleSet``) is a zen-engine decision graph (JDM, the format the
GoRules editor saves) holding exactly one decision table with hit policy ``first`` between the input
and the output node. zen expressions are sandboxed and not Turing-complete; nodes that run code
(function nodes), call the host (custom nodes) or load other graphs are refused, so a rule set can
only compare the inputs it is given. Never Python ``eval``.

Each table row's outputs are three constant strings (docs/instant-rules.md):

- ``decision``: ``approve``, ``reject``, or ``refer`` (this row hands the case to a person);
- ``reason``: the Chinese text shown to the applicant as the reason;
- ``rule``: the row's id, stored on the case: an explicit column rather than zen's generated row
  ``_id``, so the id is readable (``under-80``), survives copying a row and needs no trace.

The inputs, built by the case runtime: ``{"applicant": {"kind": "person"|"entity", "age": int|None,
"division_code": str}, "form": {...the declared or fetched form fields...}}``.

A rule set is compiled once per (key, number) and kept for the life of the process: rule sets are
immutable, so nothing needs invalidating. The compiled object is a ``ZenEngine`` whose static loader
holds the one decision: evaluating through it takes about 10 µs, more than ten times less than
``ZenDecision.evaluate``, which prepares the graph again on every call (bench/rules.py).

When the rules cannot decide (no row matches, an input the rules cannot read, an engine error, a
rule set that is missing), the outcome's decision is ``None`` and the case goes to a person; this
module never raises to its caller for bad inputs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import zen
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from quanban.accounts.models import User
from quanban.accounts.roles import Perm
from quanban.catalogue.models import InstantRuleSet
from quanban.catalogue.selectors import require_catalogue_perm
from quanban.core import clock
from quanban.core.audit import audit_record, sm3_hex
from quanban.core.errors import Conflict, NotFound, ValidationFailed

logger = logging.getLogger(__name__)

APPROVE = "approve"
REJECT = "reject"
REFER = "refer"
DECISIONS: tuple[str, ...] = (APPROVE, REJECT, REFER)
OUTPUT_FIELDS: tuple[str, ...] = ("decision", "reason", "rule")
CONTENT_TYPE = "application/vnd.gorules.decision"
_NODE_TYPES = ("inputNode", "decisionTableNode", "outputNode")

MAX_CONTENT_BYTES = 256 * 1024
MAX_ROWS = 500
MAX_COLUMNS = 30
MAX_RULE_ID = 64
MAX_REASON = 500


@dataclass(frozen=True)
class RuleOutcome:
    decision: str | None  # "approve", "reject" or None (the rules cannot decide → a person decides)
    rule_set: str  # key
    rule_set_version: int
    rule_id: str  # id of the rule (table row) that fired, "" if none
    reason: str  # Chinese text shown to the applicant (from the rule row's output)
    inputs: dict[str, Any]  # the inputs as evaluated (JSON-safe)
    elapsed_ms: float  # time inside the rules engine


# --- Writing a rule set ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One table row for :func:`decision_table`: unary tests by column id ("" or absent = any)."""

    id: str
    decision: str
    reason: str
    tests: Mapping[str, str]


def decision_table(
    *, name: str, columns: Sequence[tuple[str, str, str]], rules: Sequence[Rule]
) -> dict[str, Any]:
    """The JDM graph of one first-hit table: ``columns`` are (id, Chinese name, input expression).

    A convenience for rule sets written in code (the demo, tests); a graph saved by the GoRules
    editor in the same shape is just as good. Labels are content, stored as written (Chinese).
    """
    outputs = [
        {"id": field, "name": label, "field": field, "type": "expression"}
        for field, label in zip(OUTPUT_FIELDS, ("决定", "理由", "规则"), strict=True)
    ]
    rows = []
    for rule in rules:
        row = {"_id": rule.id}
        row.update({column: rule.tests.get(column, "") for column, _name, _field in columns})
        row.update(
            {
                "decision": json.dumps(rule.decision),
                "reason": json.dumps(rule.reason, ensure_ascii=False),
                "rule": json.dumps(rule.id, ensure_ascii=False),
            }
        )
        rows.append(row)
    table = {
        "hitPolicy": "first",
        "inputs": [
            {"id": column, "name": label, "field": field, "type": "expression"}
            for column, label, field in columns
        ],
        "outputs": outputs,
        "rules": rows,
    }
    position = {"x": 0, "y": 0}
    return {
        "contentType": CONTENT_TYPE,
        "nodes": [
            {"id": "input", "type": "inputNode", "name": "申请", "position": position},
            {
                "id": "table",
                "type": "decisionTableNode",
                "name": name,
                "position": position,
                "content": table,
            },
            {"id": "output", "type": "outputNode", "name": "结果", "position": position},
        ],
        "edges": [
            {"id": "input-table", "sourceId": "input", "targetId": "table", "type": "edge"},
            {"id": "table-output", "sourceId": "table", "targetId": "output", "type": "edge"},
        ],
    }


# --- Checking a rule set --------------------------------------------------------------------------


def _engine_error(error: BaseException) -> str:
    """The engine's own words, without the Rust backtrace it may append."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    try:
        parsed = json.loads(text)
    except ValueError:
        return text[:200]
    if isinstance(parsed, dict):
        return str(parsed.get("source") or parsed.get("type") or text)[:200]
    return text[:200]


def _constant(cell: Any) -> str | None:
    """An output cell's value when it is a constant string written in double quotes."""
    if not isinstance(cell, str):
        return None
    try:
        value = json.loads(cell)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _table_problems(table: Any) -> list[str]:
    if not isinstance(table, dict):
        return [_("决策表节点缺少表格内容。")]
    problems: list[str] = []
    if table.get("hitPolicy") != "first":
        problems.append(_("决策表的命中策略应为 first（自上而下取第一条命中的规则）。"))
    inputs, outputs, rows = table.get("inputs"), table.get("outputs"), table.get("rules")
    if (
        not isinstance(inputs, list)
        or not 1 <= len(inputs) <= MAX_COLUMNS
        or not all(isinstance(c, dict) and isinstance(c.get("id"), str) and c["id"] for c in inputs)
    ):
        return [
            *problems,
            _("决策表应有 1 到 %(n)d 个带 id 的输入列。") % {"n": MAX_COLUMNS},
        ]
    columns: list[tuple[str, str]] = []
    for column in inputs:
        label = str(column.get("name") or column.get("field") or column["id"])
        field = column.get("field")
        if not isinstance(field, str) or not field.strip():
            problems.append(
                _("输入列“%(name)s”没有填写取值（如 applicant.age）。") % {"name": label}
            )
            continue
        try:
            zen.compile_expression(field)
        except Exception as error:  # the engine raises RuntimeError with its parser's message
            problems.append(
                _("输入列“%(name)s”的取值表达式无法解析：%(error)s")
                % {"name": label, "error": _engine_error(error)}
            )
        columns.append((column["id"], label))
    if not isinstance(outputs, list) or not all(
        isinstance(c, dict) and isinstance(c.get("id"), str) for c in outputs
    ):
        return [*problems, _("决策表缺少输出列。")]
    output_ids = {c.get("field"): c["id"] for c in outputs}
    if sorted(str(c.get("field")) for c in outputs) != sorted(OUTPUT_FIELDS):
        problems.append(
            _("决策表的输出列应正好是 decision（决定）、reason（理由）和 rule（规则编号）。")
        )
        return problems
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_ROWS:
        return [*problems, _("决策表应有 1 到 %(n)d 条规则。") % {"n": MAX_ROWS}]
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            problems.append(_("第 %(row)d 条规则的格式不对。") % {"row": number})
            continue
        for column_id, label in columns:
            cell = row.get(column_id, "")
            if not isinstance(cell, str):
                problems.append(
                    _("第 %(row)d 条规则“%(name)s”列应为文本。") % {"row": number, "name": label}
                )
            elif cell.strip():
                try:
                    zen.compile_unary_expression(cell)
                except Exception as error:  # RuntimeError with the parser's message
                    problems.append(
                        _("第 %(row)d 条规则“%(name)s”列的条件无法解析：%(error)s")
                        % {"row": number, "name": label, "error": _engine_error(error)}
                    )
        decision = _constant(row.get(output_ids["decision"]))
        reason = _constant(row.get(output_ids["reason"]))
        rule_id = _constant(row.get(output_ids["rule"]))
        if decision not in DECISIONS:
            problems.append(
                _('第 %(row)d 条规则的决定应为 "approve"、"reject" 或 "refer"。') % {"row": number}
            )
        if reason is None or not reason.strip() or len(reason) > MAX_REASON:
            problems.append(
                _("第 %(row)d 条规则应写明给申请人看的理由（带引号的文字，不超过 %(n)d 字）。")
                % {"row": number, "n": MAX_REASON}
            )
        if rule_id is None or not rule_id.strip() or len(rule_id) > MAX_RULE_ID:
            problems.append(
                _("第 %(row)d 条规则应有规则编号（带引号的文字，不超过 %(n)d 字）。")
                % {"row": number, "n": MAX_RULE_ID}
            )
        elif rule_id in seen:
            problems.append(
                _("第 %(row)d 条规则的编号“%(id)s”与前面的规则重复。")
                % {"row": number, "id": rule_id}
            )
        else:
            seen.add(rule_id)
    return problems


def rule_set_compile_problems(content: dict) -> list[str]:
    """Everything that stops ``content`` from being a usable rule set; [] when it compiles."""
    if not isinstance(content, dict):
        return [_("规则集内容应为 JDM 决策图（JSON 对象）。")]
    try:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return [_("规则集内容不是合法的 JSON。")]
    if len(text.encode()) > MAX_CONTENT_BYTES:
        return [_("规则集内容过大（不超过 %(n)d KB）。") % {"n": MAX_CONTENT_BYTES // 1024}]
    if content.get("contentType", CONTENT_TYPE) != CONTENT_TYPE:
        return [_("规则集内容类型应为 %(type)s。") % {"type": CONTENT_TYPE}]
    nodes, edges = content.get("nodes"), content.get("edges")
    if not isinstance(nodes, list) or not all(
        isinstance(n, dict) and isinstance(n.get("id"), str) for n in nodes
    ):
        return [_("规则集应有节点列表（nodes），每个节点带 id。")]
    kinds = [node.get("type") for node in nodes]
    refused = sorted({str(kind) for kind in kinds} - set(_NODE_TYPES))
    if refused:
        return [
            _("规则集只能由一个输入节点、一个决策表和一个输出节点组成，不能使用：%(types)s。")
            % {"types": "、".join(refused)}
        ]
    if sorted(kinds) != sorted(_NODE_TYPES):
        return [_("规则集应正好有一个输入节点、一个决策表节点和一个输出节点。")]
    ids = {node["type"]: node["id"] for node in nodes}
    wanted = {
        (ids["inputNode"], ids["decisionTableNode"]),
        (ids["decisionTableNode"], ids["outputNode"]),
    }
    if (
        not isinstance(edges, list)
        or len(edges) != 2
        or not all(isinstance(e, dict) for e in edges)
        or {(e.get("sourceId"), e.get("targetId")) for e in edges} != wanted
    ):
        return [_("规则集的连线应为：输入节点 → 决策表 → 输出节点。")]
    table = next(n for n in nodes if n["type"] == "decisionTableNode").get("content")
    problems = _table_problems(table)
    if problems:
        return problems
    try:
        _engine().create_decision(text).validate()
    except Exception as error:  # the engine reports a graph it cannot load as RuntimeError
        return [_("决策引擎无法编译该规则集：%(error)s") % {"error": _engine_error(error)}]
    return []


# --- Compiling, once per published version ------------------------------------------------------

_DECISION = "rules"
_lock = threading.Lock()
_compiled: dict[tuple[str, int], CompiledRuleSet] = {}
_shared_engine: zen.ZenEngine | None = None


def _engine() -> zen.ZenEngine:
    """One engine for checking content (the first one in a process starts the engine's runtime)."""
    global _shared_engine
    if _shared_engine is None:
        _shared_engine = zen.ZenEngine()
    return _shared_engine


@dataclass(frozen=True)
class CompiledRuleSet:
    """A rule set ready to evaluate: an engine whose static loader holds its one decision."""

    key: str
    number: int
    engine: zen.ZenEngine

    def evaluate(self, context: str) -> dict[str, Any]:
        """The table's outputs for ``context`` (JSON text); ``{}`` when no row matches."""
        result = self.engine.evaluate(_DECISION, context)["result"]
        return result if isinstance(result, dict) else {}


def rule_set_cache_clear() -> None:
    """Forget every compiled rule set. Never needed in production, where a (key, number) is written
    once; a test database that rolls back may reuse a number for other content."""
    with _lock:
        _compiled.clear()


def rule_set_latest(key: str) -> InstantRuleSet | None:
    """The newest version of a rule set (what publishing pins), or None."""
    return InstantRuleSet.objects.filter(key=key).order_by("-number").first()


def rule_set_compiled(*, key: str, number: int) -> CompiledRuleSet:
    """The compiled rule set: compiled on first use, then the same object for the whole process."""
    found = _compiled.get((key, number))
    if found is not None:
        return found
    content = (
        InstantRuleSet.objects.filter(key=key, number=number)
        .values_list("content", flat=True)
        .first()
    )
    if content is None:
        raise NotFound(
            _("秒批规则集 %(key)s 第 %(number)d 版不存在。") % {"key": key, "number": number},
            code="rule_set_not_found",
        )
    with _lock:
        found = _compiled.get((key, number))
        if found is None:
            _engine()  # the runtime starts once, not inside the first rule set's engine
            engine = zen.ZenEngine({"loader": {"type": "static", "content": {_DECISION: content}}})
            found = CompiledRuleSet(key=key, number=number, engine=engine)
            try:
                found.evaluate("{}")  # load and prepare now, not on the first applicant
            except Exception as error:  # RuntimeError: the graph does not load
                raise ValidationFailed(
                    _("秒批规则集 %(key)s 第 %(number)d 版无法编译：%(error)s")
                    % {"key": key, "number": number, "error": _engine_error(error)},
                    code="rule_set_invalid",
                ) from None
            _compiled[(key, number)] = found
    return found


# --- Deciding -------------------------------------------------------------------------------------


def _undecided(
    key: str, number: int, inputs: dict[str, Any], reason: str, elapsed_ms: float = 0.0
) -> RuleOutcome:
    return RuleOutcome(
        decision=None,
        rule_set=key,
        rule_set_version=number,
        rule_id="",
        reason=reason,
        inputs=inputs,
        elapsed_ms=elapsed_ms,
    )


def _cannot_decide() -> str:
    return _("自动审批暂时无法判定您的申请，已转由工作人员审核。")


def rule_outcome(*, key: str, number: int, inputs: Mapping[str, Any]) -> RuleOutcome:
    """What the rule set (key, number) decides for ``inputs``; a person decides when it cannot."""
    try:
        # Dates and decimals become text, as the engine would see them from JSON; anything else
        # that JSON cannot carry (or NaN) is an input the rules cannot read.
        text = json.dumps(inputs, cls=DjangoJSONEncoder, ensure_ascii=False, allow_nan=False)
        evaluated = json.loads(text)
    except (TypeError, ValueError):
        logger.warning("instant rules %s v%s: inputs are not JSON", key, number)
        return _undecided(key, number, {}, _cannot_decide())
    if not isinstance(evaluated, dict):
        return _undecided(key, number, {}, _cannot_decide())
    try:
        compiled = rule_set_compiled(key=key, number=number)
    except (NotFound, ValidationFailed) as error:
        logger.error("instant rules %s v%s unusable: %s", key, number, error)
        return _undecided(key, number, evaluated, _cannot_decide())
    start = time.perf_counter()
    try:
        result = compiled.evaluate(text)
    except Exception:  # the engine raises RuntimeError for anything it cannot evaluate
        elapsed = (time.perf_counter() - start) * 1000
        logger.warning("instant rules %s v%s failed", key, number, exc_info=True)
        return _undecided(key, number, evaluated, _cannot_decide(), elapsed)
    elapsed = (time.perf_counter() - start) * 1000
    if not result:
        return _undecided(
            key,
            number,
            evaluated,
            _("您的申请不在自动审批规则的适用情形内，已转由工作人员审核。"),
            elapsed,
        )
    decision, reason, rule_id = result.get("decision"), result.get("reason"), result.get("rule")
    if (
        decision not in DECISIONS
        or not isinstance(reason, str)
        or not reason.strip()
        or not isinstance(rule_id, str)
        or not rule_id
    ):
        logger.error("instant rules %s v%s gave an ill-typed result: %r", key, number, result)
        return _undecided(key, number, evaluated, _cannot_decide(), elapsed)
    return RuleOutcome(
        decision=None if decision == REFER else decision,
        rule_set=key,
        rule_set_version=number,
        rule_id=rule_id,
        reason=reason,
        inputs=evaluated,
        elapsed_ms=elapsed,
    )


# --- Creating a rule set ------------------------------------------------------------------------


def rule_set_create(
    *, user: User | None, key: str, name: str, content: dict[str, Any]
) -> InstantRuleSet:
    """A new version of rule set ``key`` (number 1 for a new key), checked to compile.

    Versions are never changed afterwards: an item version pins the number it was published with.
    """
    require_catalogue_perm(user, Perm.CATALOGUE_EDIT)
    key = key.strip() if isinstance(key, str) else ""
    try:
        if len(key) > 100:
            raise DjangoValidationError("too long")
        validate_slug(key)
    except DjangoValidationError:
        raise ValidationFailed(
            _("规则集标识应为不超过 100 位的字母、数字、连字符或下划线。"),
            code="rule_set_key_invalid",
            field="key",
        ) from None
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        raise ValidationFailed(
            _("请填写规则集名称（不超过 200 字）。"), code="rule_set_name_required", field="name"
        )
    problems = rule_set_compile_problems(content)
    if problems:
        raise ValidationFailed(
            _("规则集有 %(n)d 处问题，未保存；请按提示逐项修改。") % {"n": len(problems)},
            code="rule_set_invalid",
            field="content",
            extra={"problems": problems},
        )
    with transaction.atomic():
        latest = InstantRuleSet.objects.filter(key=key).aggregate(n=Max("number"))["n"]
        rule_set = InstantRuleSet(
            key=key,
            number=(latest or 0) + 1,
            name=name,
            content=content,
            created_at=clock.now(),
            created_by=user,
        )
        try:
            with transaction.atomic():
                rule_set.save(force_insert=True)
        except IntegrityError:
            raise Conflict(
                _("规则集 %(key)s 刚有人保存了新版本，请刷新后重试。") % {"key": key},
                code="rule_set_number_conflict",
            ) from None
        canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        audit_record(
            action="rules.rule_set_create",
            obj=rule_set,
            changes={
                "key": key,
                "number": rule_set.number,
                "name": name,
                "content_sm3": sm3_hex(canonical.encode()),
            },
        )
    # Never needed in production (a (key, number) is written once); a test database that rolled
    # back may reuse a number, and must not meet the rules compiled for the old row.
    _compiled.pop((key, rule_set.number), None)
    return rule_set
