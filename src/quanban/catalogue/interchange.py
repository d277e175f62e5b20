"""Catalogue import: a whole interchange document in one transaction, or nothing.

``catalogue_import`` checks the whole document first (the JSON Schema, then references:
departments by credit code, proofs in the file or the database, material numbers of options; then
the publish-time rules of ``validation.version_problems`` for published items), reports every
problem with its location, and writes nothing unless there are none. Then it writes everything in
one transaction with bulk inserts and one audit record per imported version plus a summary.

The document's shape and its export live in ``interchange_json``; the Excel workbook, which
converts to the same document, in ``interchange_xlsx``; the CPSV-AP export in ``cpsv``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import Perm
from quanban.catalogue.interchange_json import (
    FORMAT,
    FORMAT_VERSION,
    MATERIAL_FIELDS,
    PROOF_FIELDS,
    VERSION_FIELDS,
    ImportProblem,
    catalogue_export_json,
    catalogue_schema,
    location_of,
    schema_problems,
)
from quanban.catalogue.models import (
    ItemVersion,
    Material,
    RetainedProof,
    ServiceItem,
    Situation,
    SituationOption,
)
from quanban.catalogue.selectors import catalogue_scope_paths, require_catalogue_perm
from quanban.catalogue.services import process_pin_rule_set
from quanban.catalogue.validation import version_problems
from quanban.core import clock
from quanban.core.audit import audit_record
from quanban.core.context import Actor, actor_for_user, current_actor
from quanban.core.errors import PermissionDenied, ValidationFailed
from quanban.searchindex.indexer import index_version

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "ImportProblem",
    "ImportReport",
    "Progress",
    "catalogue_export_json",
    "catalogue_import",
    "catalogue_schema",
    "catalogue_validate",
    "location_of",
]

# States a reviewer must hold the pen for: they put text in front of citizens.
REVIEWER_STATES = frozenset({ItemVersion.State.PUBLISHED, ItemVersion.State.RETIRED})

Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    items_created: int = 0
    versions_created: int = 0
    versions_retired: int = 0
    materials: int = 0
    situations: int = 0
    options: int = 0
    proofs_created: int = 0
    proofs_kept: int = 0
    implementation_codes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "items_created": self.items_created,
            "versions_created": self.versions_created,
            "versions_retired": self.versions_retired,
            "materials": self.materials,
            "situations": self.situations,
            "options": self.options,
            "proofs_created": self.proofs_created,
            "proofs_kept": self.proofs_kept,
        }


# --- Import: the plan (unsaved objects, checked before anything is written) -----------------------


@dataclass
class _PlannedVersion:
    index: int
    version: ItemVersion
    co_departments: list[OrgUnit]
    materials: list[Material]
    # (situation, [(option, adds, removes)])
    situations: list[tuple[Situation, list[tuple[SituationOption, list[int], list[int]]]]]


@dataclass
class _Plan:
    proofs_new: list[RetainedProof] = field(default_factory=list)
    proofs_kept: int = 0
    items_new: dict[str, ServiceItem] = field(default_factory=dict)
    items_existing: dict[str, ServiceItem] = field(default_factory=dict)
    versions: list[_PlannedVersion] = field(default_factory=list)


def _bad_indices(problems: list[ImportProblem], key: str) -> set[int]:
    pattern = re.compile(rf"^{key}\[(\d+)\]")
    return {int(m.group(1)) for p in problems if (m := pattern.match(p.location))}


def catalogue_validate(document: Any) -> tuple[list[ImportProblem], _Plan | None]:
    """Every problem of a document, and the plan to write it when there are none."""
    problems = schema_problems(document)
    if any(not re.match(r"^(items|retained_proofs)\[\d+\]", p.location) for p in problems):
        return problems, None  # the document's frame is broken: nothing below can be trusted
    bad_items = _bad_indices(problems, "items")
    bad_proofs = _bad_indices(problems, "retained_proofs")
    entries: list[dict[str, Any]] = document["items"]
    proof_entries: list[dict[str, Any]] = document.get("retained_proofs", [])
    plan = _Plan()

    def add(location: str, code: str, message: str) -> None:
        problems.append(ImportProblem(location, code, message))

    # Retained proofs: the file's, plus what the database already has (kept as it is).
    wanted_codes = {p["code"] for i, p in enumerate(proof_entries) if i not in bad_proofs}
    for i, entry in enumerate(entries):
        if i not in bad_items:
            wanted_codes |= {m.get("retained_proof") for m in entry.get("materials", [])}
    wanted_codes.discard(None)
    proofs: dict[str, RetainedProof] = {
        p.code: p for p in RetainedProof.objects.filter(code__in=wanted_codes)
    }
    seen_proofs: set[str] = set()
    for i, entry in enumerate(proof_entries):
        if i in bad_proofs:
            continue
        code = entry["code"]
        if code in seen_proofs:
            add(
                f"retained_proofs[{i}].code",
                "duplicate",
                _("保留证明编号 %(code)s 在文件中重复。") % {"code": code},
            )
            continue
        seen_proofs.add(code)
        if code in proofs:
            plan.proofs_kept += 1
            continue
        proof = RetainedProof(
            **{name: entry.get(name, _PROOF_DEFAULTS.get(name)) for name in PROOF_FIELDS}
        )
        proofs[code] = proof
        plan.proofs_new.append(proof)

    # Departments and existing items, each in one query.
    credit_codes: set[str] = set()
    for i, entry in enumerate(entries):
        if i not in bad_items:
            credit_codes.add(entry["implementing_department"])
            credit_codes.update(entry.get("co_departments", []))
            credit_codes.update(entry.get("process", {}).get("co_review_departments", []))
    departments = {
        unit.uscc: unit
        for unit in OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT, uscc__in=credit_codes)
    }
    codes_in_file = {e["implementation_code"] for i, e in enumerate(entries) if i not in bad_items}
    existing = {
        item.implementation_code: item
        for item in ServiceItem.objects.filter(
            implementation_code__in=codes_in_file
        ).select_related("implementing_department")
    }

    def department(location: str, credit_code: str) -> OrgUnit | None:
        unit = departments.get(credit_code)
        if unit is None:
            add(
                location,
                "department_unknown",
                _("找不到统一社会信用代码为 %(uscc)s 的部门。") % {"uscc": credit_code},
            )
        return unit

    first_of_code: dict[str, int] = {}
    published_of_code: dict[str, int] = {}
    for i, entry in enumerate(entries):
        if i in bad_items:
            continue
        at = f"items[{i}]"
        code = entry["implementation_code"]
        dept = department(f"{at}.implementing_department", entry["implementing_department"])
        co = [
            department(f"{at}.co_departments[{k}]", c)
            for k, c in enumerate(entry.get("co_departments", []))
        ]
        for k, c in enumerate(entry.get("process", {}).get("co_review_departments", [])):
            department(f"{at}.process.co_review_departments[{k}]", c)
        if code in first_of_code:
            first = entries[first_of_code[code]]
            for name in ("basic_code", "implementing_department"):
                if entry[name] != first[name]:
                    add(
                        f"{at}.{name}",
                        "inconsistent_versions",
                        _("与文件中同一实施编码的第 %(n)d 项不一致。")
                        % {"n": first_of_code[code] + 1},
                    )
        else:
            first_of_code[code] = i
        if entry["state"] == ItemVersion.State.PUBLISHED:
            if code in published_of_code:
                add(
                    f"{at}.state",
                    "two_published",
                    _("同一事项只能有一个已发布版本（第 %(n)d 项也是已发布）。")
                    % {"n": published_of_code[code] + 1},
                )
            published_of_code.setdefault(code, i)
        old = existing.get(code)
        if old is not None and old.implementing_department.uscc != entry["implementing_department"]:
            add(
                f"{at}.implementing_department",
                "department_mismatch",
                _("实施编码 %(code)s 已属于“%(name)s”（%(uscc)s），与文件中的实施主体不一致。")
                % {
                    "code": code,
                    "name": old.implementing_department.name,
                    "uscc": old.implementing_department.uscc,
                },
            )
        if dept is None:
            continue
        item = old or plan.items_new.get(code)
        if item is None:
            item = ServiceItem(
                basic_code=entry["basic_code"],
                implementation_code=code,
                implementing_department=dept,
            )
            plan.items_new[code] = item
        elif old is not None:
            plan.items_existing[code] = old
        planned = _plan_version(i, entry, item, [c for c in co if c is not None], proofs, add)
        plan.versions.append(planned)
        if entry["state"] == ItemVersion.State.PUBLISHED:
            # Check the item as it will be: its codes against the file's department.
            checked = ServiceItem(
                basic_code=entry["basic_code"],
                implementation_code=code,
                implementing_department=dept,
            )
            planned.version.item = checked
            seq_index = {m["seq"]: j for j, m in enumerate(entry.get("materials", []))}
            reported = {p.location for p in problems}
            for problem in version_problems(planned.version, materials=planned.materials):
                location = _located(at, problem.field, seq_index)
                if location not in reported:  # e.g. an unknown proof is not also "not retained"
                    add(location, problem.code, problem.message)
            planned.version.item = item
    if problems:
        return problems, None
    return problems, plan


_PROOF_DEFAULTS: dict[str, Any] = {"online_checkable": False, "is_active": True}
_MATERIAL_DEFAULTS: dict[str, Any] = {
    "original_count": 0,
    "copy_count": 0,
    "is_core": False,
    "source_ref": "",
    "legal_basis": "",
    "is_proof": False,
    "situational": False,
    "notes": "",
}


def _located(at: str, problem_field: str, seq_index: Mapping[int, int]) -> str:
    """A publish-rule field (materials by seq) as a document location (materials by index)."""
    match = re.match(r"^materials\[(\d+)\](.*)$", problem_field)
    if match:
        index = seq_index.get(int(match.group(1)), int(match.group(1)))
        return f"{at}.materials[{index}]{match.group(2)}"
    return f"{at}.{problem_field}"


def _plan_version(
    i: int,
    entry: dict[str, Any],
    item: ServiceItem,
    co_departments: list[OrgUnit],
    proofs: Mapping[str, RetainedProof],
    add: Callable[[str, str, str], None],
) -> _PlannedVersion:
    at = f"items[{i}]"
    fields = {name: entry[name] for name in VERSION_FIELDS if name in entry}
    version = ItemVersion(
        item=item,
        state=entry["state"],
        valid_from=_date(entry.get("valid_from")),
        valid_until=_date(entry.get("valid_until")),
        **fields,
    )
    materials: list[Material] = []
    seqs: set[int] = set()
    for j, m in enumerate(entry.get("materials", [])):
        if m["seq"] in seqs:
            add(
                f"{at}.materials[{j}].seq",
                "duplicate",
                _("材料序号 %(n)d 重复。") % {"n": m["seq"]},
            )
        seqs.add(m["seq"])
        proof = None
        if m.get("retained_proof"):
            proof = proofs.get(m["retained_proof"])
            if proof is None:
                add(
                    f"{at}.materials[{j}].retained_proof",
                    "proof_unknown",
                    _("保留证明事项清单中没有编号为 %(code)s 的条目。")
                    % {"code": m["retained_proof"]},
                )
        values = {name: m.get(name, _MATERIAL_DEFAULTS.get(name)) for name in MATERIAL_FIELDS}
        materials.append(Material(version=version, retained_proof=proof, **values))
    by_seq = {material.seq: material for material in materials}
    situations = []
    situation_seqs: set[int] = set()
    for k, s in enumerate(entry.get("situations", [])):
        if s["seq"] in situation_seqs:
            add(
                f"{at}.situations[{k}].seq",
                "duplicate",
                _("情形序号 %(n)d 重复。") % {"n": s["seq"]},
            )
        situation_seqs.add(s["seq"])
        situation = Situation(version=version, seq=s["seq"], question=s["question"])
        options = []
        option_seqs: set[int] = set()
        for n, o in enumerate(s["options"]):
            where = f"{at}.situations[{k}].options[{n}]"
            if o["seq"] in option_seqs:
                add(f"{where}.seq", "duplicate", _("选项序号 %(n)d 重复。") % {"n": o["seq"]})
            option_seqs.add(o["seq"])
            for key in ("adds_materials", "removes_materials"):
                for x, seq in enumerate(o.get(key, [])):
                    if seq not in by_seq:
                        add(
                            f"{where}.{key}[{x}]",
                            "material_unknown",
                            _("本事项没有序号为 %(n)d 的材料。") % {"n": seq},
                        )
            option = SituationOption(
                situation=situation,
                seq=o["seq"],
                label=o["label"],
                adds_conditions=o.get("adds_conditions", ""),
            )
            options.append(
                (option, list(o.get("adds_materials", [])), list(o.get("removes_materials", [])))
            )
        situations.append((situation, options))
    return _PlannedVersion(i, version, co_departments, materials, situations)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


# --- Import: permission and writing --------------------------------------------------------------


def _check_scope(user: User, plan: _Plan) -> None:
    editor = catalogue_scope_paths(user, Perm.CATALOGUE_EDIT)
    reviewer = catalogue_scope_paths(user, Perm.CATALOGUE_PUBLISH)
    refused: list[str] = []
    for planned in plan.versions:
        path = planned.version.item.implementing_department.path
        allowed = any(path.startswith(scope) for scope in editor)
        if planned.version.state in REVIEWER_STATES:
            allowed = allowed and any(path.startswith(scope) for scope in reviewer)
        if not allowed:
            refused.append(f"items[{planned.index}]")
    if refused:
        raise PermissionDenied(
            _(
                "您无权导入其中 %(n)d 个事项：导入须由实施主体的事项编辑进行，"
                "已发布或已停用的事项还须具有事项审核角色。"
            )
            % {"n": len(refused)},
            code="import_out_of_scope",
            extra={"items": refused},
        )


def catalogue_import(
    *,
    user: User | None,
    document: Any,
    progress: Progress | None = None,
    relocate: Callable[[ImportProblem], dict[str, str]] | None = None,
    extra_problems: Iterable[ImportProblem] = (),
) -> ImportReport:
    """Import a whole document in one transaction, or nothing and every problem.

    ``user`` is a catalogue editor (and reviewer for published/retired items) within the items'
    departments; ``None`` is a system import (the command line without ``--as``), audited as such.
    ``relocate`` and ``extra_problems`` let the Excel import speak in sheets, rows and columns.
    """
    require_catalogue_perm(user, Perm.CATALOGUE_EDIT)
    problems, plan = catalogue_validate(document)
    problems = [*extra_problems, *problems]
    if problems or plan is None:
        shown = [relocate(p) if relocate else p.as_dict() for p in problems]
        raise ValidationFailed(
            _("导入文件有 %(n)d 处问题，未导入任何内容。") % {"n": len(shown)},
            code="import_invalid",
            extra={"problems": shown},
        )
    if user is not None:
        _check_scope(user, plan)
    return _write(plan, user=user, progress=progress)


def _write(plan: _Plan, *, user: User | None, progress: Progress | None) -> ImportReport:
    now = clock.now()
    report = ImportReport(proofs_kept=plan.proofs_kept)
    here = current_actor()
    actor: Actor = (
        here
        if user is None or here.user_id == user.pk
        else actor_for_user(user, ip=here.ip, channel=here.channel)
    )
    total = len(plan.versions)
    with transaction.atomic():
        RetainedProof.objects.bulk_create(plan.proofs_new)
        report.proofs_created = len(plan.proofs_new)
        for item in plan.items_new.values():
            item.created_at = now
        ServiceItem.objects.bulk_create(list(plan.items_new.values()))
        report.items_created = len(plan.items_new)
        next_number = {
            row["item"]: (row["top"] or 0) + 1
            for row in ItemVersion.objects.filter(item__in=list(plan.items_existing.values()))
            .values("item")
            .annotate(top=Max("number"))
        }
        # Publishing a version retires the item's published one, as version_publish does.
        retired: dict[int, int] = {}
        for planned in plan.versions:
            version = planned.version
            if version.state != ItemVersion.State.PUBLISHED or version.item.pk is None:
                continue
            old = ItemVersion.objects.filter(
                item_id=version.item.pk, state=ItemVersion.State.PUBLISHED
            ).first()
            if old is None:
                continue
            until = (version.valid_from or clock.today()) - dt.timedelta(days=1)
            old.state, old.retired_at = ItemVersion.State.RETIRED, now
            if old.valid_until is None or old.valid_until > until:
                old.valid_until = max(until, old.valid_from or until)
            old.save(update_fields=["state", "retired_at", "valid_until"])
            retired[version.item.pk] = old.number
        report.versions_retired = len(retired)
        versions = []
        for planned in plan.versions:
            version = planned.version
            version.item_id = version.item.pk
            version.number = next_number.get(version.item.pk, 1)
            next_number[version.item.pk] = version.number + 1
            version.created_at = now
            version.created_by = user
            if version.state != ItemVersion.State.DRAFT:
                version.submitted_at = now
            if version.state in REVIEWER_STATES:
                version.published_at = now
                version.published_by = user
                # As version_publish does: this installation's latest rule set version is pinned
                # (a number carried by the file belongs to the installation it came from).
                version.process = process_pin_rule_set(version.process)
            if version.state == ItemVersion.State.RETIRED:
                version.retired_at = now
            versions.append(version)
        ItemVersion.objects.bulk_create(versions)
        co_through = ItemVersion.co_departments.through
        co_through.objects.bulk_create(
            co_through(itemversion_id=p.version.pk, orgunit_id=unit.pk)
            for p in plan.versions
            for unit in p.co_departments
        )
        materials = [m for p in plan.versions for m in p.materials]
        Material.objects.bulk_create(materials)
        situations = [s for p in plan.versions for s, _options in p.situations]
        Situation.objects.bulk_create(situations)
        options = [o for p in plan.versions for _s, opts in p.situations for o, _a, _r in opts]
        SituationOption.objects.bulk_create(options)
        adds_through = SituationOption.adds_materials.through
        removes_through = SituationOption.removes_materials.through
        adds, removes = [], []
        for p in plan.versions:
            by_seq = {m.seq: m.pk for m in p.materials}
            for _s, opts in p.situations:
                for option, add_seqs, remove_seqs in opts:
                    adds += [
                        adds_through(situationoption_id=option.pk, material_id=by_seq[s])
                        for s in add_seqs
                    ]
                    removes += [
                        removes_through(situationoption_id=option.pk, material_id=by_seq[s])
                        for s in remove_seqs
                    ]
        adds_through.objects.bulk_create(adds)
        removes_through.objects.bulk_create(removes)
        report.versions_created = len(versions)
        for version in versions:
            if version.state == ItemVersion.State.PUBLISHED:
                index_version(version)  # searchable as soon as the import commits
        report.materials = len(materials)
        report.situations = len(situations)
        report.options = len(options)
        for done, planned in enumerate(plan.versions, start=1):
            version = planned.version
            changes: dict[str, Any] = {
                "implementation_code": version.item.implementation_code,
                "number": version.number,
                "state": version.state,
                "materials": len(planned.materials),
                "situations": len(planned.situations),
            }
            if version.state == ItemVersion.State.PUBLISHED and version.item.pk in retired:
                changes["retired_version"] = retired[version.item.pk]
            if user is None:
                changes["system_import"] = True
            audit_record(action="catalogue.import", obj=version, changes=changes, actor=actor)
            report.implementation_codes.append(version.item.implementation_code)
            if progress:
                progress("write", done, total)
        audit_record(
            action="catalogue.import_summary",
            object_type="catalogue",
            changes={**report.as_dict(), "system_import": user is None},
            actor=actor,
        )
    return report
