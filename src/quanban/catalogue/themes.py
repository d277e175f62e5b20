"""一业一证: creating and checking industry themes, and the theme item they publish (the
merging of materials is ``catalogue.theme_materials``, the reads ``catalogue.theme_selectors``).

A theme bundles the items one kind of business needs (便利店: 食品经营许可, 出版物零售, 第二类医疗器械
经营备案 …). Publishing it builds an ordinary item of the lead department, so the case runtime,
the portal and the window handle it like any other item:

- its materials are the bundled items' materials with duplicates merged (``theme_materials()``):
  two materials are one when they cite the same retained proof (保留证明事项), or else when their
  names are the same once normalised (NFKC, white space removed). The merged material is as strict
  as the strictest of them (必要 over 容缺后补 over 非必要; core if any is core; the larger counts;
  situational only if every one of them is) and says which items ask for it;
- its situations are the bundled items' situations, the same question asked once;
- its process is a parallel co-review (并联审批) by every bundled item's implementing department;
- its result is the comprehensive licence type (综合许可证); the case's issue step issues each
  bundled item's licence under its own department's seal, then the comprehensive licence listing
  them (``quanban.licences.services``);
- ``ThemePart`` pins the bundled versions the theme version was built from: a case keeps them.

The licence types are the licence library's: this module asks it (``licence_type_for``) when a theme
is checked, importing it inside the function (the library builds on cases, which build on the
catalogue).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import Perm
from quanban.catalogue import codes
from quanban.catalogue.models import (
    IndustryTheme,
    IndustryThemeItem,
    ItemVersion,
    Material,
    ServiceItem,
    Situation,
    ThemePart,
)
from quanban.catalogue.selectors import require_catalogue_scope
from quanban.catalogue.services import (
    item_create,
    material_add,
    situation_add,
    version_new_draft,
    version_publish,
    version_submit,
    version_update,
)
from quanban.catalogue.theme_materials import MergedMaterial, theme_materials
from quanban.core import clock
from quanban.core.audit import audit_record, snapshot
from quanban.core.errors import Conflict, ValidationFailed

State = ItemVersion.State
MIN_ITEMS = 2
MAX_ITEMS = 20
# The comprehensive licence's field that lists the underlying permits (an ``x-source``).
PARTS_SOURCE = "licence.parts"
_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")
_THEME_AUDIT = ("code", "name", "lead_department", "basic_code", "exercise_level", "licence_type")


# --- Checking a theme ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeProblem:
    code: str
    message: str
    item: int | None = None


def _parts_of(theme: IndustryTheme) -> list[tuple[ServiceItem, ItemVersion | None]]:
    entries = IndustryThemeItem.objects.filter(theme=theme).select_related(
        "item__implementing_department"
    )
    items = [entry.item for entry in entries.order_by("seq")]
    published = {
        v.item_id: v
        for v in ItemVersion.objects.filter(item__in=items, state=State.PUBLISHED)
        .select_related("item__implementing_department")
        .prefetch_related(
            Prefetch("materials", queryset=Material.objects.select_related("retained_proof")),
            "situations__options__adds_materials",
            "situations__options__removes_materials",
        )
    }
    return [(item, published.get(item.pk)) for item in items]


def theme_problems(theme: IndustryTheme) -> list[ThemeProblem]:
    """Everything that keeps a theme from being published, at once; [] when it can be."""
    from quanban.licences.models import HolderKind
    from quanban.licences.services import licence_type_for

    problems: list[ThemeProblem] = []
    parts = _parts_of(theme)
    if len(parts) < MIN_ITEMS:
        problems.append(
            ThemeProblem(
                "theme_items_too_few",
                _("一业一证主题至少包含 %(n)d 个事项。") % {"n": MIN_ITEMS},
            )
        )
    for item, version in parts:
        if version is None:
            problems.append(
                ThemeProblem(
                    "theme_item_unpublished",
                    _("事项 %(code)s 没有已发布的版本。") % {"code": item.implementation_code},
                    item.pk,
                )
            )
            continue
        named = version.result_licence_type.strip()
        if not named:
            problems.append(
                ThemeProblem(
                    "theme_item_without_licence",
                    _("事项“%(name)s”没有结果证照类型，不能纳入一业一证。")
                    % {"name": version.name},
                    item.pk,
                )
            )
            continue
        licence_type = licence_type_for(named, holder_kind=HolderKind.ENTITY)
        if licence_type is None or licence_type.holder_kind != HolderKind.ENTITY:
            problems.append(
                ThemeProblem(
                    "theme_licence_type_unknown",
                    _("事项“%(name)s”的结果证照“%(type)s”不是证照库中发给企业的证照类型。")
                    % {"name": version.name, "type": named},
                    item.pk,
                )
            )
        elif _is_comprehensive(licence_type.fields_schema):
            problems.append(
                ThemeProblem(
                    "theme_item_comprehensive",
                    _("事项“%(name)s”本身发综合许可证，不能再纳入主题。") % {"name": version.name},
                    item.pk,
                )
            )
    comprehensive = licence_type_for(theme.licence_type, holder_kind=HolderKind.ENTITY)
    if (
        comprehensive is None
        or comprehensive.holder_kind != HolderKind.ENTITY
        or not _is_comprehensive(comprehensive.fields_schema)
    ):
        problems.append(
            ThemeProblem(
                "theme_comprehensive_type_invalid",
                _(
                    "综合许可证类型“%(type)s”不在证照库中，或不是发给企业、"
                    "列明各项许可（x-source 为 licence.parts）的证照类型。"
                )
                % {"type": theme.licence_type},
            )
        )
    return problems


def _is_comprehensive(schema: Any) -> bool:
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return any(
        isinstance(spec, dict) and spec.get("x-source") == PARTS_SOURCE
        for spec in properties.values()
    )


# --- Writes --------------------------------------------------------------------------------------


def theme_create(
    *,
    user: User | None,
    code: str,
    name: str,
    lead_department: OrgUnit,
    basic_code: str,
    exercise_level: str,
    licence_type: str,
    items: Sequence[ServiceItem],
    description: str = "",
) -> IndustryTheme:
    """A new theme bundling ``items`` (in that order); published later by ``theme_publish``."""
    require_catalogue_scope(user, lead_department, Perm.CATALOGUE_EDIT)
    code = code.strip()
    name = name.strip()
    if not _CODE_RE.match(code):
        raise ValidationFailed(
            _("主题标识应为 1 至 50 位小写字母、数字或连字符。"),
            code="theme_code_invalid",
            field="code",
        )
    if not name or len(name) > 100:
        raise ValidationFailed(
            _("请填写行业名称（不超过 100 字）。"), code="theme_name_required", field="name"
        )
    if lead_department.kind != OrgUnit.Kind.DEPARTMENT:
        raise ValidationFailed(
            _("牵头部门必须是部门。"), code="theme_lead_not_department", field="lead_department"
        )
    basic_code = basic_code.strip()
    if len(basic_code) != 12 or not basic_code.isdigit():
        raise ValidationFailed(
            _("基本编码应为 12 位数字。"), code="basic_code_format", field="basic_code"
        )
    if exercise_level not in codes.ExerciseLevel.values:
        raise ValidationFailed(
            _("未知的行使层级：%(level)s") % {"level": exercise_level},
            code="exercise_level_invalid",
            field="exercise_level",
        )
    if not licence_type.strip() or len(licence_type.strip()) > 40:
        raise ValidationFailed(
            _("请填写综合许可证类型（代码或名称，不超过 40 字）。"),
            code="theme_licence_type_required",
            field="licence_type",
        )
    bundled = list(items)
    if len({item.pk for item in bundled}) != len(bundled):
        raise ValidationFailed(
            _("同一事项不能重复纳入主题。"), code="theme_item_duplicate", field="items"
        )
    if not MIN_ITEMS <= len(bundled) <= MAX_ITEMS:
        raise ValidationFailed(
            _("一业一证主题应包含 %(min)d 至 %(max)d 个事项。")
            % {"min": MIN_ITEMS, "max": MAX_ITEMS},
            code="theme_items_too_few",
            field="items",
        )
    if any(IndustryTheme.objects.filter(item=item).exists() for item in bundled):
        raise ValidationFailed(
            _("一业一证主题事项不能再纳入其他主题。"), code="theme_item_is_theme", field="items"
        )
    with transaction.atomic():
        if IndustryTheme.objects.filter(code=code).exists():
            raise Conflict(
                _("主题标识 %(code)s 已被使用。") % {"code": code},
                code="theme_code_taken",
                field="code",
            )
        theme = IndustryTheme.objects.create(
            code=code,
            name=name,
            description=description.strip(),
            lead_department=lead_department,
            basic_code=basic_code,
            exercise_level=exercise_level,
            licence_type=licence_type.strip(),
            created_at=clock.now(),
            created_by=user,
        )
        IndustryThemeItem.objects.bulk_create(
            IndustryThemeItem(theme=theme, item=item, seq=seq)
            for seq, item in enumerate(bundled, start=1)
        )
        audit_record(
            action="catalogue.theme_create",
            obj=theme,
            after=snapshot(theme, _THEME_AUDIT),
            changes={"items": [item.pk for item in bundled]},
        )
    return theme


def theme_item_name(theme: IndustryTheme) -> str:
    return _("%(name)s“一业一证”综合许可") % {"name": theme.name}


def _version_fields(theme: IndustryTheme, versions: Sequence[ItemVersion]) -> dict[str, Any]:
    """The theme version's elements, from the bundled versions'."""
    departments = list(dict.fromkeys(v.item.implementing_department.uscc for v in versions).keys())
    legal: list[dict[str, str]] = []
    for version in versions:
        for entry in version.legal_basis:
            if entry not in legal:
                legal.append(entry)
    forms = [
        form
        for form in codes.HandlingForm.values
        if all(form in (v.handling_forms or []) for v in versions)
    ] or [codes.HandlingForm.WINDOW.value]
    promised = max(v.promised_limit_days for v in versions)
    fees: list[dict[str, Any]] = []
    for version in versions:
        fees.extend(entry for entry in version.fees if entry not in fees)
    names = "、".join(v.name for v in versions)
    return {
        "name": theme_item_name(theme),
        "short_description": theme.description
        or _("%(name)s经营者一次申请、并联审批，领取一张综合许可证：%(items)s。")
        % {"name": theme.name, "items": names},
        "keywords": _("一业一证 综合许可证 %(name)s") % {"name": theme.name},
        "item_type": codes.ItemType.LICENSING.value,
        "exercise_level": theme.exercise_level,
        "service_objects": [codes.ServiceObject.ENTERPRISE.value],
        "legal_basis": legal[:50],
        "acceptance_conditions": "\n".join(
            f"【{v.name}】{v.acceptance_conditions}" for v in versions if v.acceptance_conditions
        ),
        "handling_forms": forms,
        "case_kind": codes.CaseKind.PROMISED.value,
        "legal_limit_days": max(max(v.legal_limit_days for v in versions), promised, 1),
        "promised_limit_days": max(promised, 1),
        "visits_required": max(v.visits_required for v in versions),
        "online_depth": min(v.online_depth for v in versions),
        "fees": fees[:50],
        "result_name": _("%(name)s综合许可证") % {"name": theme.name},
        "result_licence_type": theme.licence_type,
        "handling_place": versions[0].handling_place,
        "handling_hours": versions[0].handling_hours,
        "consult_phone": versions[0].consult_phone,
        "supervise_phone": versions[0].supervise_phone,
        # Co-review by every bundled item's department; a site inspection when one of them has it.
        "process": {
            "kind": codes.ProcessKind.PARALLEL.value,
            "co_review_departments": departments,
            "inspection_required": any(
                bool((v.process or {}).get("inspection_required")) for v in versions
            ),
        },
    }


def theme_publish(*, user: User | None, theme: IndustryTheme) -> ItemVersion:
    """Build and publish the theme's item version from the bundled items' published versions.

    Refused with ``theme_not_publishable`` (every problem listed) while a bundled item is not
    published, names no licence type or one the library does not hold for enterprises, or the
    comprehensive type is not one; nothing changes then. A second publish makes the next version
    of the same item (the one before retires, as for any item).
    """
    require_catalogue_scope(user, theme.lead_department, Perm.CATALOGUE_PUBLISH)
    with transaction.atomic():
        locked = IndustryTheme.objects.select_for_update().get(pk=theme.pk)
        problems = theme_problems(locked)
        if problems:
            raise ValidationFailed(
                _("该一业一证主题有 %(n)d 处问题，不能发布：%(list)s")
                % {"n": len(problems), "list": "；".join(p.message for p in problems)},
                code="theme_not_publishable",
                extra={"problems": [dataclasses.asdict(p) for p in problems]},
            )
        versions = [version for _item, version in _parts_of(locked) if version is not None]
        fields = _version_fields(locked, versions)
        # The inner services run as the platform (user=None): the scope was checked above.
        if locked.item is None:
            draft = item_create(
                user=None,
                implementing_department=locked.lead_department,
                basic_code=locked.basic_code,
                **fields,
            )
            locked.item = draft.item
            locked.save(update_fields=["item"])
        else:
            draft = version_new_draft(user=None, item=locked.item)
            Situation.objects.filter(version=draft).delete()
            Material.objects.filter(version=draft).delete()
            version_update(user=None, version=draft, **fields)
        merged = theme_materials(versions)
        made: dict[int, int] = {}  # bundled material id → theme material seq
        for seq, entry in enumerate(merged, start=1):
            material_add(
                user=None,
                version=draft,
                seq=seq,
                name=entry.name,
                form=entry.form,
                original_count=entry.original_count,
                copy_count=entry.copy_count,
                necessity=entry.necessity,
                is_core=entry.is_core,
                source=entry.source,
                source_ref=entry.source_ref,
                legal_basis=entry.legal_basis,
                is_proof=entry.is_proof,
                retained_proof=entry.retained_proof,
                situational=entry.situational,
                notes=_material_notes(entry),
            )
            for _name, material in entry.sources:
                made[material.pk] = seq
        _copy_situations(draft, versions, made)
        ThemePart.objects.bulk_create(
            ThemePart(version=draft, part=version, seq=seq)
            for seq, version in enumerate(versions, start=1)
        )
        version_submit(user=None, version=draft)
        published = version_publish(user=None, version=draft)
        audit_record(
            action="catalogue.theme_publish",
            obj=locked,
            changes={
                "version": published.pk,
                "parts": [v.pk for v in versions],
                "materials": len(merged),
                "merged_from": sum(len(entry.sources) for entry in merged),
            },
        )
    return published


def _material_notes(entry: MergedMaterial) -> str:
    used_by = _("适用于：%(items)s") % {"items": "、".join(entry.item_names)}
    return f"{entry.notes}\n{used_by}".strip() if entry.notes else used_by


def _copy_situations(
    draft: ItemVersion, versions: Sequence[ItemVersion], made: dict[int, int]
) -> None:
    """The bundled items' situations, one per question and its options (asked once). An option
    removes a merged material only when every bundled material behind it would be removed."""
    merged_sources: dict[int, list[int]] = {}
    for material_id, seq in made.items():
        merged_sources.setdefault(seq, []).append(material_id)
    questions: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for version in versions:
        for situation in version.situations.all():
            options = list(situation.options.all())
            key = (situation.question, tuple(o.label for o in options))
            known = questions.get(key)
            if known is None:
                questions[key] = [
                    {
                        "label": o.label,
                        "adds": {made[m.pk] for m in o.adds_materials.all()},
                        "removes": {m.pk for m in o.removes_materials.all()},
                        "adds_conditions": o.adds_conditions,
                    }
                    for o in options
                ]
                continue
            for entry, option in zip(known, options, strict=True):
                entry["adds"] |= {made[m.pk] for m in option.adds_materials.all()}
                entry["removes"] |= {m.pk for m in option.removes_materials.all()}
                if (
                    option.adds_conditions
                    and option.adds_conditions not in entry["adds_conditions"]
                ):
                    entry["adds_conditions"] = (
                        f"{entry['adds_conditions']}\n{option.adds_conditions}".strip()
                    )
    for (question, _labels), asked in questions.items():
        situation_add(
            user=None,
            version=draft,
            question=question,
            options=[
                {
                    "label": o["label"],
                    "adds_materials": sorted(o["adds"]),
                    "removes_materials": sorted(
                        seq
                        for seq, sources in merged_sources.items()
                        if set(sources) <= o["removes"]
                    ),
                    "adds_conditions": o["adds_conditions"],
                }
                for o in asked
            ],
        )
