"""Writes to the service catalogue. Every function here checks who may, and audits what it changes.

Lifecycle (one table, ``TRANSITIONS``): an editor of the implementing department writes a draft
and submits it; a catalogue reviewer publishes it (after the publish-time rules of
``validation.version_problems``) or returns it to the editor with a reason; publishing retires the
version published before; a reviewer may retire a published version. A published version is
immutable: editing means ``version_new_draft``, which copies everything into a new draft.

``user=None`` is the platform itself (demo loader, command-line import) and skips the role check;
the API always passes the signed-in user.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, RoleAssignment, User
from quanban.accounts.roles import Perm
from quanban.catalogue import codes, validation
from quanban.catalogue.models import (
    MATERIAL_CONTENT_FIELDS,
    VERSION_CONTENT_FIELDS,
    ItemVersion,
    Material,
    RetainedProof,
    ServiceItem,
    Situation,
    SituationOption,
)
from quanban.catalogue.rules import rule_set_latest
from quanban.catalogue.selectors import require_catalogue_scope, version_publication_forget
from quanban.core import clock
from quanban.core.audit import audit_record, snapshot
from quanban.core.errors import Conflict, ValidationFailed
from quanban.searchindex.indexer import index_remove, index_version

State = ItemVersion.State

# Fields of a version an editor writes (the item's codes and department are fixed at creation).
VERSION_FIELDS: tuple[str, ...] = (*VERSION_CONTENT_FIELDS, "valid_from", "valid_until")
_VERSION_AUDIT = ("state", *VERSION_FIELDS, "return_reason")

MATERIAL_FIELDS: tuple[str, ...] = (
    *MATERIAL_CONTENT_FIELDS,
    "blank_form",
    "sample",
    "retained_proof",
)
_MATERIAL_AUDIT = tuple(f for f in MATERIAL_FIELDS if f not in ("blank_form", "sample"))

# The state machine, in one place: action → (from, to, permission needed).
TRANSITIONS: dict[str, tuple[str, str, str]] = {
    "submit": (State.DRAFT, State.SUBMITTED, Perm.CATALOGUE_EDIT),
    "return": (State.SUBMITTED, State.DRAFT, Perm.CATALOGUE_PUBLISH),
    "publish": (State.SUBMITTED, State.PUBLISHED, Perm.CATALOGUE_PUBLISH),
    "retire": (State.PUBLISHED, State.RETIRED, Perm.CATALOGUE_PUBLISH),
}


# --- Checking input ------------------------------------------------------------------------------

_PROCESS_KEYS: dict[str, type] = {
    "kind": str,
    "co_review_departments": list,
    "meeting_allowed": bool,
    "instant_rule_set": str,
    # Written by publishing (the rule set's number at that moment), not by editors.
    "instant_rule_set_version": int,
    "commitment_allowed": bool,
    "inspection_required": bool,
}
# JSON list fields whose entries are small objects: allowed keys and their types.
_ENTRY_KEYS: dict[str, dict[str, type]] = {
    "legal_basis": {"law": str, "article": str},
    "fees": {"name": str, "standard": str, "basis": str, "waivable": bool},
    "faq": {"q": str, "a": str},
}
_CODE_LISTS: dict[str, type[models.TextChoices]] = {
    "service_objects": codes.ServiceObject,
    "handling_forms": codes.HandlingForm,
}
_MAX_ENTRIES = 50
_MAX_TEXT = 2000


def _invalid(field: str, message: str, code: str = "field_invalid") -> ValidationFailed:
    return ValidationFailed(message, code=code, field=field)


def _check_json(name: str, value: Any) -> Any:
    """The JSON fields keep a documented shape (docs/catalogue-json.md); refuse anything else."""
    if name == "process":
        if not isinstance(value, dict):
            raise _invalid(name, _("办理流程应为对象。"))
        for key, item in value.items():
            expected = _PROCESS_KEYS.get(key)
            if expected is None:
                raise _invalid(name, _("办理流程中没有“%(key)s”这一项。") % {"key": key})
            if not isinstance(item, expected):
                raise _invalid(name, _("办理流程“%(key)s”的取值类型不对。") % {"key": key})
        kind = value.get("kind")
        if kind is not None and kind not in codes.ProcessKind.values:
            raise _invalid(name, _("未知的办理流程类型：%(kind)s") % {"kind": kind})
        departments = value.get("co_review_departments", [])
        if len(departments) > _MAX_ENTRIES or not all(
            isinstance(d, str) and len(d) <= 18 for d in departments
        ):
            raise _invalid(name, _("并联审查部门应为统一社会信用代码列表。"))
        return value
    if not isinstance(value, list) or len(value) > _MAX_ENTRIES:
        raise _invalid(
            name, _("%(field)s应为不超过 %(n)d 项的列表。") % {"field": name, "n": _MAX_ENTRIES}
        )
    if name in _CODE_LISTS:
        allowed = _CODE_LISTS[name].values
        for entry in value:
            if entry not in allowed:
                raise _invalid(name, _("未知的代码：%(code)s") % {"code": entry})
        return list(dict.fromkeys(value))
    keys = _ENTRY_KEYS[name]
    for entry in value:
        if not isinstance(entry, dict) or not set(entry) <= set(keys):
            raise _invalid(
                name,
                _("%(field)s的每一项只能包含：%(keys)s。")
                % {"field": name, "keys": ", ".join(keys)},
            )
        for key, item in entry.items():
            if not isinstance(item, keys[key]) or (isinstance(item, str) and len(item) > _MAX_TEXT):
                raise _invalid(
                    name, _("%(field)s中“%(key)s”的取值不对。") % {"field": name, "key": key}
                )
    return value


def _model_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _assign(instance: models.Model, fields: Mapping[str, Any], allowed: Sequence[str]) -> None:
    """Check each field with the model field's own rules (choices, lengths, ranges) and set it."""
    for name, value in fields.items():
        if name not in allowed:
            raise _invalid(name, _("不能设置字段“%(field)s”。") % {"field": name}, "field_unknown")
        field = _model_field(type(instance), name)
        if isinstance(field, models.JSONField):
            value = _check_json(name, value)
        elif isinstance(field, models.ForeignKey):
            if value is not None and not isinstance(value, RetainedProof):
                raise _invalid(name, _("请选择保留证明事项清单中的一项。"))
        elif not isinstance(field, models.FileField):
            if isinstance(value, str) and isinstance(field, models.CharField | models.TextField):
                value = value.strip()
            try:
                value = field.clean(value, instance)
            except DjangoValidationError as error:
                raise _invalid(
                    name,
                    _("“%(label)s”：%(problem)s")
                    % {"label": field.verbose_name, "problem": " ".join(error.messages)},
                ) from None
        setattr(instance, name, value)


def _check_co_departments(departments: Iterable[OrgUnit], implementing: OrgUnit) -> list[OrgUnit]:
    units = list(dict.fromkeys(departments))
    for unit in units:
        if unit.kind != OrgUnit.Kind.DEPARTMENT or unit.pk == implementing.pk:
            raise _invalid(
                "co_departments",
                _("联办部门“%(name)s”必须是实施主体以外的部门。") % {"name": unit.name},
            )
    return units


def _check_responsible_persons(people: Iterable[User], version: ItemVersion) -> list[User]:
    """责任人: active staff of the implementing department or a co-department (by their own
    department or a role held there)."""
    persons = list(dict.fromkeys(people))
    units = [version.item.implementing_department, *version.co_departments.all()]
    unit_ids = {unit.pk for unit in units}
    under = models.Q()
    for unit in units:
        under |= models.Q(org_unit__path__startswith=unit.path)
    role_holders = set(
        RoleAssignment.objects.filter(under, user__in=persons).values_list("user_id", flat=True)
    )
    for person in persons:
        in_scope = person.department_id in unit_ids or person.pk in role_holders
        if person.kind != User.Kind.STAFF or not person.is_active or not in_scope:
            raise _invalid(
                "responsible_persons",
                _("事项责任人“%(name)s”必须是实施部门或联办部门的在岗工作人员。")
                % {"name": str(person)},
                "responsible_person_scope",
            )
    return persons


# --- Locks, state and scope --------------------------------------------------------------------


def _lock(version: ItemVersion) -> ItemVersion:
    """The version row, locked and re-read: the state seen is the state written against."""
    # Whatever this transaction read of its publication may change now.
    version_publication_forget()
    return (
        # Only the version row: its item and department are read, not locked.
        ItemVersion.objects.select_for_update(of=("self",))
        .select_related("item", "item__implementing_department")
        .get(pk=version.pk)
    )


def _require_draft(version: ItemVersion) -> None:
    if version.state != State.DRAFT:
        raise Conflict(
            _("事项版本 v%(number)d 当前为“%(state)s”，不能修改；请新建草稿后再编辑。")
            % {"number": version.number, "state": version.get_state_display()},
            code="version_not_draft",
        )


def _require_transition(version: ItemVersion, action: str) -> str:
    source, target, _perm = TRANSITIONS[action]
    if version.state != source:
        raise Conflict(
            _("事项版本 v%(number)d 当前为“%(state)s”，不能执行此操作（需处于“%(source)s”）。")
            % {
                "number": version.number,
                "state": version.get_state_display(),
                "source": State(source).label,
            },
            code="version_state",
        )
    return target


def _editable_draft(user: User | None, version: ItemVersion) -> ItemVersion:
    """Lock a version an editor is about to change: in scope, and still a draft."""
    locked = _lock(version)
    require_catalogue_scope(user, locked.item.implementing_department, Perm.CATALOGUE_EDIT)
    _require_draft(locked)
    return locked


def _audit_version(action: str, version: ItemVersion, before: Mapping[str, Any] | None) -> None:
    audit_record(
        action=f"catalogue.{action}",
        obj=version,
        before=before,
        after=snapshot(version, _VERSION_AUDIT),
        changes={"item": version.item_id, "number": version.number},
    )


# --- Items and versions --------------------------------------------------------------------------


def item_create(
    *,
    user: User | None,
    implementing_department: OrgUnit,
    basic_code: str,
    exercise_level: str,
    name: str,
    item_type: str,
    case_kind: str,
    legal_limit_days: int,
    promised_limit_days: int,
    implementation_code: str | None = None,
    co_departments: Iterable[OrgUnit] = (),
    **fields: Any,
) -> ItemVersion:
    """A new item and its draft version 1.

    The implementation code is the department's credit code + level digit + basic code unless one
    is given (an import keeps the code it was given; the publish-time rules check it by parts).
    """
    require_catalogue_scope(user, implementing_department, Perm.CATALOGUE_EDIT)
    if implementing_department.kind != OrgUnit.Kind.DEPARTMENT:
        raise _invalid(
            "implementing_department",
            _("实施主体必须是部门。"),
            "implementing_department_kind",
        )
    basic_code = basic_code.strip()
    if len(basic_code) != 12 or not basic_code.isdigit():
        raise _invalid("basic_code", _("基本编码应为 12 位数字。"), "basic_code_format")
    code = (
        implementation_code.strip()
        if implementation_code is not None
        else f"{implementing_department.uscc}{exercise_level}{basic_code}"
    )
    if not code or len(code) > 40:
        raise _invalid(
            "implementation_code",
            _("实施编码不能为空，且不超过 40 位。"),
            "implementation_code_length",
        )
    now = clock.now()
    version = ItemVersion(number=1, state=State.DRAFT, created_at=now, created_by=user)
    _assign(
        version,
        {
            "name": name,
            "exercise_level": exercise_level,
            "item_type": item_type,
            "case_kind": case_kind,
            "legal_limit_days": legal_limit_days,
            "promised_limit_days": promised_limit_days,
            **fields,
        },
        VERSION_FIELDS,
    )
    co_units = _check_co_departments(co_departments, implementing_department)
    with transaction.atomic():
        if ServiceItem.objects.filter(implementation_code=code).exists():
            raise Conflict(
                _("实施编码 %(code)s 已被其他事项使用。") % {"code": code},
                code="implementation_code_taken",
                field="implementation_code",
            )
        item = ServiceItem.objects.create(
            basic_code=basic_code,
            implementation_code=code,
            implementing_department=implementing_department,
            created_at=now,
        )
        version.item = item
        version.save()
        version.co_departments.set(co_units)
        _audit_version("item_create", version, None)
    return version


def version_update(
    *,
    user: User | None,
    version: ItemVersion,
    co_departments: Iterable[OrgUnit] | None = None,
    responsible_persons: Iterable[User] | None = None,
    **fields: Any,
) -> ItemVersion:
    """Change a draft's fields (and, if given, its co-implementing departments and its
    responsible persons)."""
    with transaction.atomic():
        locked = _editable_draft(user, version)
        before = snapshot(locked, _VERSION_AUDIT)
        _assign(locked, fields, VERSION_FIELDS)
        locked.save()
        changes: dict[str, Any] = {}
        if co_departments is not None:
            units = _check_co_departments(co_departments, locked.item.implementing_department)
            old = sorted(locked.co_departments.values_list("pk", flat=True))
            locked.co_departments.set(units)
            new = sorted(u.pk for u in units)
            if old != new:
                changes["co_departments"] = [old, new]
        if responsible_persons is not None:
            persons = _check_responsible_persons(responsible_persons, locked)
            old = sorted(locked.responsible_persons.values_list("pk", flat=True))
            locked.responsible_persons.set(persons)
            new = sorted(person.pk for person in persons)
            if old != new:
                changes["responsible_persons"] = [old, new]
        audit_record(
            action="catalogue.version_update",
            obj=locked,
            before=before,
            after=snapshot(locked, _VERSION_AUDIT),
            changes=changes,
        )
    return locked


def version_submit(*, user: User | None, version: ItemVersion) -> ItemVersion:
    """Draft → submitted: the editor hands the version to a reviewer."""
    with transaction.atomic():
        locked = _lock(version)
        require_catalogue_scope(user, locked.item.implementing_department, Perm.CATALOGUE_EDIT)
        before = snapshot(locked, _VERSION_AUDIT)
        locked.state = _require_transition(locked, "submit")
        locked.submitted_at = clock.now()
        locked.save(update_fields=["state", "submitted_at"])
        _audit_version("version_submit", locked, before)
    return locked


def version_return(*, user: User | None, version: ItemVersion, reason: str) -> ItemVersion:
    """Submitted → draft: the reviewer sends the version back to its editor, saying why."""
    reason = reason.strip()
    if not reason:
        raise _invalid("reason", _("请填写退回原因。"), "reason_required")
    if len(reason) > _MAX_TEXT:
        raise _invalid("reason", _("退回原因过长。"), "reason_too_long")
    with transaction.atomic():
        locked = _lock(version)
        require_catalogue_scope(user, locked.item.implementing_department, Perm.CATALOGUE_PUBLISH)
        before = snapshot(locked, _VERSION_AUDIT)
        locked.state = _require_transition(locked, "return")
        locked.return_reason = reason
        locked.save(update_fields=["state", "return_reason"])
        _audit_version("version_return", locked, before)
    return locked


def version_publish(
    *, user: User | None, version: ItemVersion, valid_from: dt.date | None = None
) -> ItemVersion:
    """Submitted → published, if every publish-time rule passes; the old published one retires.

    The item row is locked first, so two publishes of the same item run one after the other; the
    database's one-published-version constraint is the last guard.
    """
    with transaction.atomic():
        ServiceItem.objects.select_for_update().filter(pk=version.item_id).first()
        locked = _lock(version)
        require_catalogue_scope(user, locked.item.implementing_department, Perm.CATALOGUE_PUBLISH)
        target = _require_transition(locked, "publish")
        problems = validation.version_problems(locked)
        if problems:
            raise ValidationFailed(
                _("该事项版本有 %(n)d 处问题，不能发布；请按提示逐项修改。") % {"n": len(problems)},
                code="version_not_publishable",
                extra={"problems": [dataclasses.asdict(p) for p in problems]},
            )
        start = valid_from or clock.today()
        if locked.valid_until is not None and locked.valid_until < start:
            raise _invalid(
                "valid_until", _("失效日期不能早于生效日期。"), "valid_until_before_valid_from"
            )
        now = clock.now()
        previous = (
            ItemVersion.objects.select_for_update()
            .filter(item_id=locked.item_id, state=State.PUBLISHED)
            .exclude(pk=locked.pk)
            .first()
        )
        if previous is not None:
            _retire(previous, now=now, until=start - dt.timedelta(days=1))
        before = snapshot(locked, _VERSION_AUDIT)
        locked.state = target
        locked.valid_from = start
        locked.published_at = now
        locked.published_by = user
        locked.process = process_pin_rule_set(locked.process)
        try:
            with transaction.atomic():
                locked.save(
                    update_fields=["state", "valid_from", "published_at", "published_by", "process"]
                )
        except IntegrityError:
            raise Conflict(
                _("该事项已有另一个版本正在发布，请刷新后重试。"), code="version_publish_conflict"
            ) from None
        _audit_version("version_publish", locked, before)
        index_version(locked)  # the search index changes in the same transaction
    return locked


def process_pin_rule_set(process: Mapping[str, Any]) -> dict[str, Any]:
    """The process as publishing stores it: an instant-approval process pins the latest number of
    its rule set (``instant_rule_set_version``), so cases keep being decided by the rules the
    version was published with; any other process drops a pin copied from an earlier version."""
    pinned = {k: v for k, v in (process or {}).items() if k != "instant_rule_set_version"}
    if pinned.get("kind") == codes.ProcessKind.INSTANT_RULE:
        latest = rule_set_latest(str(pinned.get("instant_rule_set", "")).strip())
        if latest is not None:  # the publish-time rules refuse a missing rule set before this
            pinned["instant_rule_set_version"] = latest.number
    return pinned


def _retire(version: ItemVersion, *, now: dt.datetime, until: dt.date) -> None:
    before = snapshot(version, _VERSION_AUDIT)
    version.state = _require_transition(version, "retire")
    version.retired_at = now
    floor = version.valid_from or until
    if version.valid_until is None or version.valid_until > until:
        version.valid_until = max(until, floor)
    version.save(update_fields=["state", "retired_at", "valid_until"])
    _audit_version("version_retire", version, before)


def version_retire(*, user: User | None, version: ItemVersion) -> ItemVersion:
    """Published → retired: the item is no longer offered (cases keep the version they began on)."""
    with transaction.atomic():
        ServiceItem.objects.select_for_update().filter(pk=version.item_id).first()
        locked = _lock(version)
        require_catalogue_scope(user, locked.item.implementing_department, Perm.CATALOGUE_PUBLISH)
        _retire(locked, now=clock.now(), until=clock.today())
        index_remove(locked.item)
    return locked


def version_new_draft(*, user: User | None, item: ServiceItem) -> ItemVersion:
    """A new draft copying the published version (or the latest one): fields, materials,
    situations with their options and links, co-implementing departments."""
    require_catalogue_scope(user, item.implementing_department, Perm.CATALOGUE_EDIT)
    if user is not None and hasattr(item, "industry_theme"):
        # A 一业一证 theme's item is built from its bundled items (catalogue.themes).
        raise Conflict(
            _("该事项由一业一证主题生成，请修改所含事项后重新发布主题。"),
            code="theme_item_managed",
        )
    with transaction.atomic():
        ServiceItem.objects.select_for_update().filter(pk=item.pk).first()
        versions = ItemVersion.objects.filter(item=item)
        open_version = versions.filter(state__in=[State.DRAFT, State.SUBMITTED]).first()
        if open_version is not None:
            raise Conflict(
                _("该事项已有未发布的版本 v%(number)d（%(state)s），请在该版本上继续编辑。")
                % {"number": open_version.number, "state": open_version.get_state_display()},
                code="version_open_exists",
            )
        source = (
            versions.filter(state=State.PUBLISHED).first() or versions.order_by("-number").first()
        )
        if source is None:  # item_create always makes version 1
            raise Conflict(_("该事项没有任何版本。"), code="version_missing")
        draft = _copy_version(source, user=user, number=_next_number(item))
        audit_record(
            action="catalogue.version_new_draft",
            obj=draft,
            after=snapshot(draft, _VERSION_AUDIT),
            changes={"item": item.pk, "number": draft.number, "copied_from": source.pk},
        )
    return draft


def _next_number(item: ServiceItem) -> int:
    highest = ItemVersion.objects.filter(item=item).aggregate(n=Max("number"))["n"]
    return (highest or 0) + 1


def _copy_version(source: ItemVersion, *, user: User | None, number: int) -> ItemVersion:
    draft = ItemVersion(
        item_id=source.item_id,
        number=number,
        state=State.DRAFT,
        created_at=clock.now(),
        created_by=user,
        **{name: getattr(source, name) for name in VERSION_FIELDS},
    )
    draft.valid_from = None
    draft.valid_until = None
    draft.save()
    draft.co_departments.set(source.co_departments.all())
    draft.responsible_persons.set(source.responsible_persons.all())
    copies: dict[int, Material] = {}
    for material in source.materials.order_by("seq"):
        old_pk = material.pk
        material.pk = None
        material.version = draft
        material._state.adding = True
        material.save()
        copies[old_pk] = material
    situations = source.situations.order_by("seq").prefetch_related(
        "options__adds_materials", "options__removes_materials"
    )
    for situation in situations:
        new_situation = Situation.objects.create(
            version=draft, seq=situation.seq, question=situation.question
        )
        for option in situation.options.all():
            new_option = SituationOption.objects.create(
                situation=new_situation,
                seq=option.seq,
                label=option.label,
                adds_conditions=option.adds_conditions,
            )
            new_option.adds_materials.set([copies[m.pk] for m in option.adds_materials.all()])
            new_option.removes_materials.set([copies[m.pk] for m in option.removes_materials.all()])
    return draft


# --- Materials and situations ------------------------------------------------------------------


def _next_seq(queryset: models.QuerySet[Any]) -> int:
    return (queryset.aggregate(n=Max("seq"))["n"] or 0) + 1


def material_add(*, user: User | None, version: ItemVersion, **fields: Any) -> Material:
    """Add a material to a draft; ``seq`` defaults to the next free number."""
    with transaction.atomic():
        locked = _editable_draft(user, version)
        material = Material(version=locked)
        values = dict(fields)
        for required in ("name", "form", "necessity", "source"):
            if not values.get(required):
                raise _invalid(
                    required,
                    _("请填写材料的“%(label)s”。")
                    % {"label": _model_field(Material, required).verbose_name},
                    "field_required",
                )
        if values.get("seq") is None:
            values["seq"] = _next_seq(locked.materials.all())
        _assign(material, values, MATERIAL_FIELDS)
        if locked.materials.filter(seq=material.seq).exists():
            raise Conflict(
                _("序号 %(seq)d 已有材料。") % {"seq": material.seq},
                code="material_seq_taken",
                field="seq",
            )
        material.save()
        audit_record(
            action="catalogue.material_add",
            obj=material,
            after=snapshot(material, _MATERIAL_AUDIT),
            changes={"version": locked.pk},
        )
    return material


def material_update(*, user: User | None, material: Material, **fields: Any) -> Material:
    with transaction.atomic():
        locked = _editable_draft(user, material.version)
        current = Material.objects.select_for_update().get(pk=material.pk)
        before = snapshot(current, _MATERIAL_AUDIT)
        _assign(current, fields, MATERIAL_FIELDS)
        if locked.materials.filter(seq=current.seq).exclude(pk=current.pk).exists():
            raise Conflict(
                _("序号 %(seq)d 已有材料。") % {"seq": current.seq},
                code="material_seq_taken",
                field="seq",
            )
        current.save()
        audit_record(
            action="catalogue.material_update",
            obj=current,
            before=before,
            after=snapshot(current, _MATERIAL_AUDIT),
            changes={"version": locked.pk},
        )
    return current


def material_remove(*, user: User | None, material: Material) -> None:
    """Remove a material from a draft (and from any situation option that names it)."""
    with transaction.atomic():
        locked = _editable_draft(user, material.version)
        before = snapshot(material, _MATERIAL_AUDIT)
        pk = material.pk
        Material.objects.filter(pk=pk).delete()
        audit_record(
            action="catalogue.material_remove",
            object_type="catalogue.material",
            object_id=pk,
            before=before,
            changes={"version": locked.pk},
        )


_OPTION_KEYS = {"seq", "label", "adds_materials", "removes_materials", "adds_conditions"}


def situation_add(
    *,
    user: User | None,
    version: ItemVersion,
    question: str,
    options: list[dict[str, Any]],
    seq: int | None = None,
) -> Situation:
    """Add a situation (a question) whose options add or remove materials of the same draft.

    ``options``: ``{"label", "adds_materials": [material seq], "removes_materials": [...],
    "adds_conditions"}``, numbered 1, 2, … in the order given unless they carry a ``seq``.
    """
    question = question.strip()
    if not question or len(question) > 200:
        raise _invalid("question", _("请填写问题（不超过 200 字）。"), "question_required")
    if not options or len(options) > _MAX_ENTRIES:
        raise _invalid("options", _("请至少填写一个选项。"), "options_required")
    with transaction.atomic():
        locked = _editable_draft(user, version)
        by_seq = {m.seq: m for m in locked.materials.all()}
        seq = seq if seq is not None else _next_seq(locked.situations.all())
        if not 1 <= seq <= 32767:
            raise _invalid("seq", _("序号应在 1 到 32767 之间。"))
        if locked.situations.filter(seq=seq).exists():
            raise Conflict(
                _("序号 %(seq)d 已有情形。") % {"seq": seq}, code="situation_seq_taken", field="seq"
            )
        situation = Situation.objects.create(version=locked, seq=seq, question=question)
        recorded: list[dict[str, Any]] = []
        seen: set[int] = set()
        for index, raw in enumerate(options, start=1):
            option = _option_create(situation, raw, index=index, by_seq=by_seq, seen=seen)
            recorded.append(
                {
                    "seq": option.seq,
                    "label": option.label,
                    "adds_materials": sorted(raw.get("adds_materials", [])),
                    "removes_materials": sorted(raw.get("removes_materials", [])),
                }
            )
        audit_record(
            action="catalogue.situation_add",
            obj=situation,
            changes={"version": locked.pk, "question": question, "options": recorded},
        )
    return situation


def _option_create(
    situation: Situation,
    raw: Mapping[str, Any],
    *,
    index: int,
    by_seq: Mapping[int, Material],
    seen: set[int],
) -> SituationOption:
    field = f"options[{index}]"
    if not isinstance(raw, Mapping) or not set(raw) <= _OPTION_KEYS:
        raise _invalid(
            field, _("选项只能包含：label、adds_materials、removes_materials、adds_conditions。")
        )
    label = str(raw.get("label", "")).strip()
    if not label or len(label) > 200:
        raise _invalid(f"{field}.label", _("请填写选项（不超过 200 字）。"), "label_required")
    seq = raw.get("seq", index)
    if not isinstance(seq, int) or not 1 <= seq <= 32767 or seq in seen:
        raise _invalid(f"{field}.seq", _("选项序号应为 1 到 32767 之间且不重复的整数。"))
    seen.add(seq)
    conditions = str(raw.get("adds_conditions", ""))
    if len(conditions) > _MAX_TEXT:
        raise _invalid(f"{field}.adds_conditions", _("增加的受理条件过长。"))
    links: dict[str, list[Material]] = {}
    for key in ("adds_materials", "removes_materials"):
        wanted = raw.get(key, [])
        if not isinstance(wanted, list):
            raise _invalid(f"{field}.{key}", _("应为材料序号的列表。"))
        links[key] = []
        for material_seq in wanted:
            material = by_seq.get(material_seq) if isinstance(material_seq, int) else None
            if material is None:
                raise _invalid(
                    f"{field}.{key}",
                    _("该事项版本没有序号为 %(seq)s 的材料。") % {"seq": material_seq},
                    "material_unknown",
                )
            links[key].append(material)
    option = SituationOption.objects.create(
        situation=situation, seq=seq, label=label, adds_conditions=conditions
    )
    option.adds_materials.set(links["adds_materials"])
    option.removes_materials.set(links["removes_materials"])
    return option


def situation_remove(*, user: User | None, situation: Situation) -> None:
    with transaction.atomic():
        locked = _editable_draft(user, situation.version)
        pk = situation.pk
        before = {"seq": situation.seq, "question": situation.question}
        Situation.objects.filter(pk=pk).delete()
        audit_record(
            action="catalogue.situation_remove",
            object_type="catalogue.situation",
            object_id=pk,
            before=before,
            changes={"version": locked.pk},
        )
