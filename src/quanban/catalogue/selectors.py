"""Reads of the service catalogue: who may edit what, published versions, the published lists.

Every list returns published versions with their item and implementing department joined in the
same query (and, where a list shows materials, those prefetched), so a page of any size costs a
fixed number of queries. The filters are the same everywhere: exercise level, implementing
department id, and district (an organisation unit above the implementing department).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, RoleAssignment, User
from quanban.accounts.roles import ROLE_PERMS, Perm
from quanban.catalogue import codes
from quanban.catalogue.models import (
    ItemVersion,
    Material,
    RetainedProof,
    ServiceItem,
    Situation,
    SituationOption,
)
from quanban.core import rows
from quanban.core.errors import NotFound, PermissionDenied, ValidationFailed

# --- Access ------------------------------------------------------------------------------------


def catalogue_scope_paths(user: Any, perm: str) -> list[str]:
    """The paths of the organisation units within which ``user`` holds ``perm`` for the catalogue."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    roles = sorted(role for role, perms in ROLE_PERMS.items() if perm in perms)
    return list(
        RoleAssignment.objects.filter(user=user, role__in=roles).values_list(
            "org_unit__path", flat=True
        )
    )


def _denied(perm: str) -> PermissionDenied:
    message = (
        _("只有事项审核人员可以审核、发布或停用事项。")
        if perm == Perm.CATALOGUE_PUBLISH
        else _("只有事项编辑人员可以编辑事项。")
    )
    return PermissionDenied(message, code="forbidden")


def require_catalogue_perm(user: Any, perm: str) -> None:
    """Refuse callers who hold ``perm`` nowhere (checked before anything is looked up)."""
    if user is not None and not catalogue_scope_paths(user, perm):
        raise _denied(perm)


def require_catalogue_scope(user: Any, department: OrgUnit, perm: str) -> None:
    """Refuse unless ``user`` holds ``perm`` through a role whose unit covers ``department``.

    A role assigned at the city covers every department under it; one assigned at a department
    covers that department only. ``user=None`` is the platform itself (the demo loader, an import
    run from the command line) and is trusted; the API always passes the signed-in user.
    """
    if user is None:
        return
    paths = catalogue_scope_paths(user, perm)
    if not paths:
        raise _denied(perm)
    if not any(department.path.startswith(path) for path in paths):
        raise PermissionDenied(
            _("您的事项目录权限不包括实施主体“%(department)s”的事项。")
            % {"department": department.name},
            code="catalogue_out_of_scope",
        )


# --- Single rows -------------------------------------------------------------------------------


def _versions() -> QuerySet[ItemVersion]:
    return ItemVersion.objects.select_related("item", "item__implementing_department")


# A published version's content never changes (only a draft is edited: services._editable_draft),
# so a submission keeps each one it meets, with its item, department, materials and situations,
# for PUBLISHED_TTL_S in this process. Every use first asks the database, in one statement written
# out once, whether it is still that publication: one withdrawn or superseded since is refused at
# once. The item's and department's names show within the minute after they change.
PUBLISHED_TTL_S = 60.0
_PUBLISHED: dict[int, tuple[float, Any, ItemVersion]] = {}


@functools.cache
def _publication_sql(vendor: str) -> str:
    # ``vendor`` is the cache's key: the quoting is the vendor's.
    q = connection.ops.quote_name
    return (
        f"SELECT {q('published_at')} FROM {q(ItemVersion._meta.db_table)}"
        f" WHERE {q('id')} = %s AND {q('state')} = %s"
    )


# What the transaction under way last read of a version's publication: (its outermost atomic
# block, the version's id, the answer). A second ask in the same transaction (the API's check of
# a submission, then intake's) gets the same answer without a statement: neither read locks the
# row, so the second would guard nothing the first did not. A catalogue service that locks the
# version to change it forgets the answer (version_publication_forget).
_ASKED = "quanban_version_publication"


def version_publication(version_id: int) -> tuple[Any, ...] | None:
    """``(published_at,)`` as the database gives it if the version is published now, else None
    (the row decides, not its value: a published version without the moment is still published).
    One statement written out once, asked once a transaction: intake asks it of every
    submission."""
    block = connection.atomic_blocks[0] if connection.in_atomic_block else None
    asked = getattr(connection, _ASKED, None)
    if block is not None and asked is not None and asked[0] is block and asked[1] == version_id:
        return asked[2]
    with rows.shared_cursor() as cursor:
        cursor.execute(
            _publication_sql(connection.vendor), [version_id, ItemVersion.State.PUBLISHED]
        )
        row = cursor.fetchone()
    found = None if row is None else tuple(row)
    setattr(connection, _ASKED, (block, version_id, found) if block is not None else None)
    return found


def version_publication_forget() -> None:
    """Forget what this transaction read of a version's publication (it is about to change)."""
    setattr(connection, _ASKED, None)


def version_published(version_id: int) -> ItemVersion | None:
    """The version if it is published now, with what a submission reads of it; None if not."""
    published = version_publication(version_id)
    if published is None:
        _PUBLISHED.pop(version_id, None)
        return None
    now = time.monotonic()
    cached = _PUBLISHED.get(version_id)
    # The publication's moment tells a re-published or (in tests) re-created version apart.
    if cached is not None and now - cached[0] < PUBLISHED_TTL_S and cached[1] == published:
        return cached[2]
    version = (
        versions_published()
        .prefetch_related(_materials_prefetch(), _situations_prefetch())
        .filter(pk=version_id)
        .first()
    )
    if version is None:
        return None
    if len(_PUBLISHED) > 10_000:
        _PUBLISHED.clear()
    _PUBLISHED[version_id] = (now, published, version)
    return version


def version_published_cache_clear() -> None:
    _PUBLISHED.clear()


def version_get(*, version_id: int) -> ItemVersion:
    version = _versions().filter(pk=version_id).first()
    if version is None:
        raise NotFound(_("找不到该事项版本。"), code="version_not_found")
    return version


def item_get(*, item_id: int) -> ServiceItem:
    item = ServiceItem.objects.select_related("implementing_department").filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("找不到该事项。"), code="item_not_found")
    return item


def department_get(*, department_id: int, field: str = "implementing_department_id") -> OrgUnit:
    unit = OrgUnit.objects.filter(
        pk=department_id, kind=OrgUnit.Kind.DEPARTMENT, is_active=True
    ).first()
    if unit is None:
        raise NotFound(
            _("找不到部门（编号 %(id)d）。") % {"id": department_id},
            code="department_not_found",
            field=field,
        )
    return unit


def departments_get(*, department_ids: Iterable[int], field: str) -> list[OrgUnit]:
    wanted = list(dict.fromkeys(department_ids))
    found = {
        unit.pk: unit
        for unit in OrgUnit.objects.filter(
            pk__in=wanted, kind=OrgUnit.Kind.DEPARTMENT, is_active=True
        )
    }
    for department_id in wanted:
        if department_id not in found:
            raise NotFound(
                _("找不到部门（编号 %(id)d）。") % {"id": department_id},
                code="department_not_found",
                field=field,
            )
    return [found[pk] for pk in wanted]


def material_get(*, version: ItemVersion, material_id: int) -> Material:
    material = version.materials.filter(pk=material_id).first()
    if material is None:
        raise NotFound(_("找不到该材料。"), code="material_not_found")
    return material


def retained_proof_get(*, code: str, field: str = "retained_proof") -> RetainedProof:
    proof = RetainedProof.objects.filter(code=code).first()
    if proof is None:
        raise NotFound(
            _("保留证明事项清单中没有编号为 %(code)s 的证明。") % {"code": code},
            code="retained_proof_not_found",
            field=field,
        )
    return proof


# --- Published versions ------------------------------------------------------------------------


def version_current(item: ServiceItem) -> ItemVersion | None:
    """The item's published version, or None when nothing of it is published."""
    return _versions().filter(item=item, state=ItemVersion.State.PUBLISHED).first()


def versions_published() -> QuerySet[ItemVersion]:
    return _versions().filter(state=ItemVersion.State.PUBLISHED)


def _situations_prefetch() -> Prefetch[Any]:
    options = SituationOption.objects.order_by("seq").prefetch_related(
        Prefetch("adds_materials", queryset=Material.objects.order_by("seq")),
        Prefetch("removes_materials", queryset=Material.objects.order_by("seq")),
    )
    return Prefetch(
        "situations",
        queryset=Situation.objects.order_by("seq").prefetch_related(
            Prefetch("options", queryset=options)
        ),
    )


def _materials_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "materials", queryset=Material.objects.select_related("retained_proof").order_by("seq")
    )


def version_detail_queryset() -> QuerySet[ItemVersion]:
    """Versions with everything a guide page shows: materials, situations, co-departments."""
    return _versions().prefetch_related(
        _materials_prefetch(),
        _situations_prefetch(),
        Prefetch("co_departments", queryset=OrgUnit.objects.order_by("path")),
        Prefetch("responsible_persons", queryset=User.objects.order_by("display_name", "pk")),
    )


def item_published_detail(*, item_id: int) -> ItemVersion:
    """The published version of an item with everything its guide shows, or NotFound."""
    version = (
        version_detail_queryset().filter(item_id=item_id, state=ItemVersion.State.PUBLISHED).first()
    )
    if version is None:
        raise NotFound(_("找不到该事项，或该事项尚未发布。"), code="item_not_found")
    return version


def version_detail(*, version_id: int) -> ItemVersion:
    version = version_detail_queryset().filter(pk=version_id).first()
    if version is None:
        raise NotFound(_("找不到该事项版本。"), code="version_not_found")
    return version


def version_get_for_staff(*, user: Any, version_id: int) -> ItemVersion:
    """Any version (drafts included), for catalogue editors and reviewers of its department."""
    if not (
        catalogue_scope_paths(user, Perm.CATALOGUE_EDIT)
        or catalogue_scope_paths(user, Perm.CATALOGUE_PUBLISH)
    ):
        raise _denied(Perm.CATALOGUE_EDIT)
    version = version_detail(version_id=version_id)
    department = version.item.implementing_department
    try:
        require_catalogue_scope(user, department, Perm.CATALOGUE_EDIT)
    except PermissionDenied:
        require_catalogue_scope(user, department, Perm.CATALOGUE_PUBLISH)
    return version


def material_list_for_answers(version: ItemVersion, answers: Mapping[int, int]) -> list[Material]:
    """Exactly the applicant's own materials, given their answers (situation seq → option seq).

    Everyone's list is the materials not marked situational; each chosen option adds the materials
    it adds and takes away the ones it removes (a removal wins over an addition). Unanswered
    situations change nothing. The list is in material order.
    """
    # The same lookups as the guide page's query: nothing is fetched twice when it has them (a
    # published version from version_published has them: not even the lookups are built).
    fetched = getattr(version, "_prefetched_objects_cache", {})
    if "materials" not in fetched or "situations" not in fetched:
        prefetch_related_objects([version], _materials_prefetch(), _situations_prefetch())
    materials = list(version.materials.all())
    situations = {situation.seq: situation for situation in version.situations.all()}
    added: set[int] = set()
    removed: set[int] = set()
    for situation_seq, option_seq in answers.items():
        situation = situations.get(situation_seq)
        if situation is None:
            raise ValidationFailed(
                _("该事项没有序号为 %(seq)d 的情形。") % {"seq": situation_seq},
                code="situation_unknown",
                field=f"answers.{situation_seq}",
            )
        option = next((o for o in situation.options.all() if o.seq == option_seq), None)
        if option is None:
            raise ValidationFailed(
                _("情形“%(question)s”没有序号为 %(seq)d 的选项。")
                % {"question": situation.question, "seq": option_seq},
                code="option_unknown",
                field=f"answers.{situation_seq}",
            )
        added.update(m.pk for m in option.adds_materials.all())
        removed.update(m.pk for m in option.removes_materials.all())
    return [m for m in materials if (not m.situational or m.pk in added) and m.pk not in removed]


# --- The published lists -----------------------------------------------------------------------

LIST_NAMES = (
    "on-the-spot",
    "retained-proofs",
    "deferrable",
    "commitment",
    "agent-service",
    "top",
)


def _pk(value: OrgUnit | int | None) -> int | None:
    return value.pk if isinstance(value, OrgUnit) else value


def _filtered(
    versions: QuerySet[ItemVersion],
    *,
    level: str | None,
    department: OrgUnit | int | None,
    district: OrgUnit | int | None,
) -> QuerySet[ItemVersion]:
    if level:
        versions = versions.filter(exercise_level=level)
    if department is not None:
        versions = versions.filter(item__implementing_department_id=_pk(department))
    if district is not None:
        # The path is the chain of ids from the root, so "under the district" is one LIKE.
        versions = versions.filter(
            item__implementing_department__path__contains=f"/{_pk(district)}/"
        )
    return versions


def _published_list(
    condition: Q,
    *,
    level: str | None,
    department: OrgUnit | int | None,
    district: OrgUnit | int | None,
) -> QuerySet[ItemVersion]:
    versions = versions_published().filter(condition)
    return _filtered(versions, level=level, department=department, district=district).order_by(
        "item__implementing_department__path", "item__implementation_code"
    )


def on_the_spot_items(
    level: str | None = None,
    department: OrgUnit | int | None = None,
    district: OrgUnit | int | None = None,
) -> QuerySet[ItemVersion]:
    """当场办结事项目录: published items handled on the spot (即办件)."""
    return _published_list(
        Q(case_kind=codes.CaseKind.INSTANT), level=level, department=department, district=district
    )


def deferrable_items(
    level: str | None = None,
    department: OrgUnit | int | None = None,
    district: OrgUnit | int | None = None,
) -> QuerySet[ItemVersion]:
    """容缺受理事项: published items with materials that may come later, those in ``deferrable_materials``."""
    deferrable = Q(materials__necessity=codes.Necessity.DEFERRABLE)
    versions = versions_published().filter(
        pk__in=ItemVersion.objects.filter(deferrable).values("pk")
    )
    return (
        _filtered(versions, level=level, department=department, district=district)
        .order_by("item__implementing_department__path", "item__implementation_code")
        .prefetch_related(
            Prefetch(
                "materials",
                queryset=Material.objects.filter(necessity=codes.Necessity.DEFERRABLE).order_by(
                    "seq"
                ),
                to_attr="deferrable_materials",
            )
        )
    )


def commitment_items(
    level: str | None = None,
    department: OrgUnit | int | None = None,
    district: OrgUnit | int | None = None,
) -> QuerySet[ItemVersion]:
    """告知承诺制事项: published items whose process allows approval on the applicant's commitment."""
    return _published_list(
        Q(process__commitment_allowed=True), level=level, department=department, district=district
    )


def agent_service_items(
    level: str | None = None,
    department: OrgUnit | int | None = None,
    district: OrgUnit | int | None = None,
) -> QuerySet[ItemVersion]:
    """代办目录: published items for which the service centre offers agent service."""
    return _published_list(
        Q(agent_service=True), level=level, department=department, district=district
    )


def top_items(
    limit: int = 100,
    level: str | None = None,
    department: OrgUnit | int | None = None,
    district: OrgUnit | int | None = None,
) -> QuerySet[ItemVersion]:
    """高频事项: by case count, then by the configured ranking (used before cases exist)."""
    versions = _filtered(
        versions_published(), level=level, department=department, district=district
    )
    return versions.order_by(
        F("item__case_count").desc(),
        F("item__configured_rank").asc(nulls_last=True),
        "item__implementation_code",
    )[:limit]


def retained_proofs(
    level: str | None = None,
    department: OrgUnit | int | None = None,
    district: OrgUnit | int | None = None,
) -> QuerySet[RetainedProof]:
    """保留证明事项清单: the active entries; with a filter, those asked for by matching items."""
    proofs = RetainedProof.objects.filter(is_active=True).order_by("code")
    if level or department is not None or district is not None:
        versions = _filtered(
            versions_published(), level=level, department=department, district=district
        )
        proofs = proofs.filter(
            pk__in=Material.objects.filter(version__in=versions.values("pk")).values(
                "retained_proof_id"
            )
        )
    return proofs


def published_item_list(
    *,
    level: str | None = None,
    department: OrgUnit | int | None = None,
    district: OrgUnit | int | None = None,
    name_contains: str = "",
) -> QuerySet[ItemVersion]:
    """Every published item, for the public catalogue's browse page and API."""
    versions = _filtered(
        versions_published(), level=level, department=department, district=district
    )
    if name_contains:
        versions = versions.filter(name__icontains=name_contains)
    return versions.order_by("item__implementing_department__path", "item__implementation_code")
