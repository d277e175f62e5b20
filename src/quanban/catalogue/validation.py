"""Publish-time rules of the catalogue: every failure names its field and says what to fix.

``version_problems`` returns every problem at once (an editor fixes them in one pass);
``version_publish`` refuses to publish while the list is not empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit
from quanban.catalogue import codes
from quanban.catalogue.models import ItemVersion, Material
from quanban.catalogue.process import definition_for, definition_problems
from quanban.catalogue.rules import rule_set_compile_problems, rule_set_latest
from quanban.core.errors import ValidationFailed
from quanban.core.identifiers import validate_uscc

# Vague material names refused at publish (seed measure 12: no "其他材料" catch-alls). One list,
# used by publishing, import and the tests. A name is vague when it is one of these or ends in one.
VAGUE_MATERIAL_NAMES: tuple[str, ...] = (
    "其他材料",
    "其它材料",
    "有关材料",
    "相关材料",
    "等材料",
    "其他相关材料",
    "其他有关材料",
    "其他证明材料",
    "有关证明材料",
    "相关证明材料",
    "其他证明",
    "相关证明",
    "有关证明",
    "其他文件",
    "相关文件",
    "有关文件",
    "其他资料",
    "相关资料",
    "有关资料",
    "要求的其他材料",
    "规定的其他材料",
    "需要的其他材料",
)


def is_vague_material_name(name: str) -> bool:
    clean = name.strip().rstrip("。.;；")
    return any(clean == vague or clean.endswith(vague) for vague in VAGUE_MATERIAL_NAMES)


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: str


def version_problems(
    version: ItemVersion, materials: list[Material] | None = None
) -> list[Problem]:
    """Everything that stops this version from being published, in field order."""
    problems: list[Problem] = []
    if not version.name.strip():
        problems.append(Problem("name", "name_required", _("事项名称不能为空。")))
    problems.extend(_code_problems(version))
    if not version.legal_basis or not all(
        isinstance(entry, dict) and str(entry.get("law", "")).strip()
        for entry in version.legal_basis
    ):
        problems.append(
            Problem(
                "legal_basis",
                "legal_basis_missing",
                _("缺少设定依据：请至少填写一部法律法规及条款。"),
            )
        )
    if version.promised_limit_days > version.legal_limit_days:
        problems.append(
            Problem(
                "promised_limit_days",
                "promised_limit_above_legal",
                _(
                    "承诺办结时限（%(promised)d 个工作日）不能超过法定办结时限（%(legal)d 个工作日）。"
                )
                % {"promised": version.promised_limit_days, "legal": version.legal_limit_days},
            )
        )
    if version.case_kind == codes.CaseKind.INSTANT and version.promised_limit_days != 0:
        problems.append(
            Problem(
                "promised_limit_days",
                "instant_item_has_limit",
                _("即办件应当场办结，承诺办结时限应为 0 个工作日。"),
            )
        )
    problems.extend(_process_problems(version))
    for material in materials if materials is not None else list(version.materials.all()):
        problems.extend(_material_problems(material))
    return problems


def _process_problems(version: ItemVersion) -> list[Problem]:
    process = version.process or {}
    kind = process.get("kind")
    if kind == codes.ProcessKind.PARALLEL and not process.get("co_review_departments"):
        return [
            Problem(
                "process.co_review_departments",
                "parallel_without_departments",
                _("并联审批须写明参与并联审查的部门。"),
            )
        ]
    if kind == codes.ProcessKind.INSTANT_RULE:
        problems = _rule_set_problems(str(process.get("instant_rule_set", "")).strip())
        if problems:
            return problems
    # The steps the case runtime will walk (catalogue.process), checked as it will run them.
    definition = definition_for(process)
    problems = [
        Problem("process", "process_definition_invalid", message)
        for message in definition_problems(definition)
    ]
    if version.pk is None:
        # A version checked before it is saved (an import's dry run) has its departments
        # checked by the importer against the file and the organisation.
        return problems
    departments = {
        code
        for step in definition["steps"]
        if step.get("kind") == "co_review"
        for code in step.get("departments", [])
    }
    known = set(
        OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT, uscc__in=departments).values_list(
            "uscc", flat=True
        )
    )
    if departments - known:
        problems.append(
            Problem(
                "process.co_review_departments",
                "co_review_department_unknown",
                _("并联审查部门不存在：%(codes)s")
                % {"codes": "、".join(sorted(departments - known))},
            )
        )
    return problems


def _rule_set_problems(key: str) -> list[Problem]:
    """An instant-approval process needs a rule set that exists and compiles (the latest version,
    which publishing pins)."""
    field = "process.instant_rule_set"
    if not key:
        return [Problem(field, "instant_rule_set_missing", _("秒批流程须写明所用的规则集。"))]
    rule_set = rule_set_latest(key)
    if rule_set is None:
        return [
            Problem(
                field,
                "instant_rule_set_invalid",
                _("秒批规则集“%(key)s”不存在：请先建立该规则集，或改填已有的规则集标识。")
                % {"key": key},
            )
        ]
    problems = rule_set_compile_problems(rule_set.content)
    if problems:
        return [
            Problem(
                field,
                "instant_rule_set_invalid",
                _("秒批规则集“%(key)s”第 %(number)d 版无法使用：%(problems)s")
                % {"key": key, "number": rule_set.number, "problems": "；".join(problems)},
            )
        ]
    return []


def _code_problems(version: ItemVersion) -> list[Problem]:
    item = version.item
    problems: list[Problem] = []
    basic = item.basic_code
    if len(basic) != 12 or not basic.isdigit():
        problems.append(Problem("basic_code", "basic_code_format", _("基本编码应为 12 位数字。")))
    code = item.implementation_code
    if len(code) != 31:
        problems.append(
            Problem(
                "implementation_code",
                "implementation_code_length",
                _(
                    "实施编码应为 31 位：实施主体统一社会信用代码（18 位）+ 行使层级（1 位）+ 基本编码（12 位）。"
                ),
            )
        )
        return problems
    uscc, level, tail = code[:18], code[18], code[19:]
    department_uscc = item.implementing_department.uscc
    if uscc != department_uscc:
        problems.append(
            Problem(
                "implementation_code",
                "implementation_code_body",
                _("实施编码第 1–18 位（%(code)s）与实施主体的统一社会信用代码（%(uscc)s）不一致。")
                % {"code": uscc, "uscc": department_uscc},
            )
        )
    else:
        try:
            validate_uscc(uscc, field="implementation_code")
        except ValidationFailed as error:
            problems.append(Problem("implementation_code", error.code, str(error)))
    if level != version.exercise_level:
        problems.append(
            Problem(
                "implementation_code",
                "implementation_code_level",
                _("实施编码第 19 位（%(code)s）与行使层级（%(level)s）不一致。")
                % {"code": level, "level": version.exercise_level},
            )
        )
    if tail != basic:
        problems.append(
            Problem(
                "implementation_code",
                "implementation_code_basic",
                _("实施编码第 20–31 位（%(code)s）与基本编码（%(basic)s）不一致。")
                % {"code": tail, "basic": basic},
            )
        )
    return problems


def _material_problems(material: Material) -> list[Problem]:
    field = f"materials[{material.seq}]"
    problems: list[Problem] = []
    if is_vague_material_name(material.name):
        problems.append(
            Problem(
                f"{field}.name",
                "material_name_vague",
                _(
                    "材料“%(name)s”名称笼统：请写明具体材料名称，不得使用“其他材料”“有关材料”等兜底表述。"
                )
                % {"name": material.name},
            )
        )
    if material.is_proof:
        proof = material.retained_proof
        if proof is None or not proof.is_active:
            problems.append(
                Problem(
                    f"{field}.retained_proof",
                    "proof_not_retained",
                    _("材料“%(name)s”是证明事项，但不在保留证明事项清单内，不得要求申请人提供。")
                    % {"name": material.name},
                )
            )
    if material.necessity == codes.Necessity.DEFERRABLE and material.is_core:
        problems.append(
            Problem(
                f"{field}.necessity",
                "core_material_deferrable",
                _("材料“%(name)s”是主审要件，不能设为容缺后补。") % {"name": material.name},
            )
        )
    if material.source == codes.MaterialSource.SHARED and not material.source_ref.strip():
        problems.append(
            Problem(
                f"{field}.source_ref",
                "shared_source_unnamed",
                _("材料“%(name)s”来源为系统共享获取，请注明共享来源（数据库或证照类型）。")
                % {"name": material.name},
            )
        )
    return problems
