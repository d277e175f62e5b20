"""Process definitions: the steps a case walks through, as data.

A definition is a small JSON graph, copied onto the case at acceptance (the case is pinned to it,
whatever later versions of the item say)::

    {"schema": 1, "start": "accept", "steps": [
        {"id": "accept", "kind": "accept", "name": "受理", "next": "review"},
        {"id": "review", "kind": "review", "name": "审查", "role": "reviewer", "share": 40,
         "next": "co_review"},
        {"id": "co_review", "kind": "co_review", "name": "并联审查", "role": "reviewer",
         "share": 30, "departments": ["<unified social credit code>", ...], "next": "approve"},
        {"id": "approve", "kind": "approve", "name": "审批", "role": "approver", "share": 30,
         "next": "issue"},
        {"id": "issue", "kind": "issue", "name": "出件", "role": "window_clerk", "next": null}]}

Step kinds: ``accept`` (done at acceptance, no task), ``review`` (审查), ``co_review`` (并联审查: one
task per named department; the next step opens when the last of them is done — the join),
``meeting`` (集体研究: its task records the meeting), ``inspection`` (现场核查), ``instant`` (秒批:
the rules decide, or the next step — a person — does), ``approve`` (the decision) and ``issue``
(出件). ``share`` is the step's percentage of the promised limit, from which its tasks' due dates
come. An item version's ``process`` names a kind (codes.ProcessKind) and options; a version may
also give its own ``steps``, which are checked the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from quanban.accounts.roles import Role
from quanban.catalogue import codes

SCHEMA = 1

STEP_KINDS: dict[str, str] = {
    "accept": "受理",
    "review": "审查",
    "co_review": "并联审查",
    "meeting": "集体研究",
    "inspection": "现场核查",
    "instant": "秒批",
    "approve": "审批",
    "issue": "出件",
}
# Steps whose work is a task (accept happens at acceptance; instant is the rules' own).
TASK_KINDS = frozenset({"review", "co_review", "meeting", "inspection", "approve", "issue"})
_DEFAULT_ROLE = {
    "review": Role.REVIEWER,
    "co_review": Role.REVIEWER,
    "meeting": Role.OFFICE_HEAD,
    "inspection": Role.REVIEWER,
    "approve": Role.APPROVER,
    "issue": Role.WINDOW_CLERK,
}
_STEP_KEYS = frozenset({"id", "kind", "name", "role", "share", "departments", "next"})
MAX_STEPS = 20


def _step(step_id: str, kind: str, nxt: str | None, share: int = 0, **extra: Any) -> dict[str, Any]:
    step: dict[str, Any] = {"id": step_id, "kind": kind, "name": STEP_KINDS[kind], "next": nxt}
    if kind in _DEFAULT_ROLE:
        step["role"] = str(_DEFAULT_ROLE[kind])
    if share:
        step["share"] = share
    step.update(extra)
    return step


def definition_for(process: Mapping[str, Any]) -> dict[str, Any]:
    """The definition an item version's ``process`` reference stands for (or its own steps)."""
    if process.get("steps"):
        return {
            "schema": SCHEMA,
            "start": process.get("start", "accept"),
            "steps": process["steps"],
        }
    kind = process.get("kind") or codes.ProcessKind.REVIEW_APPROVE
    middle: list[tuple[str, str, int, dict[str, Any]]] = []  # (id, kind, share, extra)
    if kind == codes.ProcessKind.INSTANT_RULE:
        middle.append(("instant", "instant", 0, {}))
    if kind in (codes.ProcessKind.REVIEW_APPROVE, codes.ProcessKind.PARALLEL):
        middle.append(("review", "review", 40, {}))
    if kind == codes.ProcessKind.PARALLEL:
        departments = list(process.get("co_review_departments") or [])
        middle.append(("co_review", "co_review", 30, {"departments": departments}))
    if process.get("inspection_required"):
        middle.append(("inspection", "inspection", 10, {}))
    if process.get("meeting_allowed"):
        middle.append(("meeting", "meeting", 10, {}))
    used = sum(share for _id, _kind, share, _extra in middle)
    middle.append(("approve", "approve", max(10, 100 - used), {}))
    ids = ["accept", *(m[0] for m in middle), "issue"]
    steps = [_step("accept", "accept", ids[1])]
    for index, (step_id, step_kind, share, extra) in enumerate(middle):
        steps.append(_step(step_id, step_kind, ids[index + 2], share, **extra))
    steps.append(_step("issue", "issue", None))
    return {"schema": SCHEMA, "start": "accept", "steps": steps}


def definition_problems(definition: Mapping[str, Any]) -> list[str]:
    """What is wrong with a definition, in words; [] when the runtime can run it.

    It must be a chain from ``start`` that visits every step once and ends at one ``issue``
    step, with exactly one decision (``approve``) before it, known kinds and roles, shares that
    are whole percentages adding up to at most 100, and departments on every co-review.
    """
    problems: list[str] = []
    steps = definition.get("steps")
    if definition.get("schema") != SCHEMA:
        problems.append(_("流程定义的版本应为 %(schema)d。") % {"schema": SCHEMA})
    if not isinstance(steps, list) or not steps or len(steps) > MAX_STEPS:
        return [*problems, _("流程定义应有 1 至 %(n)d 个环节。") % {"n": MAX_STEPS}]
    by_id: dict[str, Mapping[str, Any]] = {}
    for index, step in enumerate(steps):
        if not isinstance(step, Mapping) or not isinstance(step.get("id"), str):
            problems.append(_("第 %(n)d 个环节缺少编号。") % {"n": index + 1})
            continue
        step_id = step["id"]
        unknown = set(step) - _STEP_KEYS
        if unknown:
            problems.append(
                _("环节“%(id)s”有未知的项：%(keys)s")
                % {"id": step_id, "keys": "、".join(sorted(unknown))}
            )
        if step_id in by_id:
            problems.append(_("环节编号“%(id)s”重复。") % {"id": step_id})
        by_id[step_id] = step
        kind = step.get("kind")
        if kind not in STEP_KINDS:
            problems.append(_("环节“%(id)s”的类型未知：%(kind)s") % {"id": step_id, "kind": kind})
        if kind in TASK_KINDS and step.get("role") not in Role.values:
            problems.append(_("环节“%(id)s”的办理角色未知。") % {"id": step_id})
        share = step.get("share", 0)
        if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= 100:
            problems.append(_("环节“%(id)s”的时限占比应为 0 至 100 的整数。") % {"id": step_id})
        if kind == "co_review":
            departments = step.get("departments")
            if not isinstance(departments, list) or not departments:
                problems.append(_("并联审查环节“%(id)s”须写明参与部门。") % {"id": step_id})
            elif len(set(departments)) != len(departments):
                problems.append(_("并联审查环节“%(id)s”的部门重复。") % {"id": step_id})
    if problems:
        return problems
    shares = sum(int(step.get("share", 0)) for step in by_id.values())
    if shares > 100:
        problems.append(_("各环节时限占比之和不能超过 100。"))
    # Walk the chain from the start: every step once, no loop, ending at an issue step.
    seen: list[str] = []
    cursor: Any = definition.get("start")
    while cursor is not None:
        if cursor not in by_id:
            problems.append(_("流程指向不存在的环节“%(id)s”。") % {"id": cursor})
            break
        if cursor in seen:
            problems.append(_("流程在环节“%(id)s”处形成循环。") % {"id": cursor})
            break
        seen.append(cursor)
        cursor = by_id[cursor].get("next")
    if not problems:
        kinds = [by_id[step_id]["kind"] for step_id in seen]
        if len(seen) != len(by_id):
            unreachable = "、".join(sorted(set(by_id) - set(seen)))
            problems.append(_("以下环节不可到达：%(ids)s") % {"ids": unreachable})
        if kinds[0] != "accept":
            problems.append(_("流程应从受理环节开始。"))
        if kinds[-1] != "issue" or kinds.count("issue") != 1:
            problems.append(_("流程应以唯一的出件环节结束。"))
        if kinds.count("approve") != 1:
            problems.append(_("流程应有且只有一个审批（决定）环节。"))
        elif "instant" in kinds and kinds.index("instant") > kinds.index("approve"):
            problems.append(_("秒批环节应在审批环节之前。"))
    return problems


def step_of(definition: Mapping[str, Any], step_id: str) -> dict[str, Any]:
    for step in definition["steps"]:
        if step["id"] == step_id:
            return dict(step)
    raise KeyError(step_id)


def step_after(definition: Mapping[str, Any], step_id: str) -> dict[str, Any] | None:
    nxt = step_of(definition, step_id).get("next")
    return None if nxt is None else step_of(definition, nxt)


def first_step_of_kind(definition: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    for step in definition["steps"]:
        if step["kind"] == kind:
            return dict(step)
    return None
