"""The service catalogue: public reads of published items and lists; editing for catalogue staff."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator

from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import Perm
from quanban.api.types import MAX_ID, NO_NUL, BodyId, PageIn, PathId, page_of
from quanban.catalogue import selectors, services
from quanban.catalogue.models import ItemVersion, Material, RetainedProof, Situation

router = Router()

LevelCode = Literal["1", "2", "3", "4", "5", "6", "7"]
ItemTypeCode = Literal["00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "20"]
CaseKindCode = Literal["1", "2", "9"]
OnlineDepthCode = Literal["1", "2", "3", "4"]
ServiceObjectCode = Literal["1", "2", "3", "4", "5", "6"]
HandlingFormCode = Literal["1", "2", "3", "4", "9"]
MaterialFormCode = Literal["1", "2", "3", "4", "5", "6", "7", "8", "9"]
NecessityCode = Literal["1", "2", "3"]
SourceCode = Literal["10", "20", "30"]
ProcessKindCode = Literal["single_approver", "review_approve", "parallel", "instant_rule"]
ListName = Literal[
    "on-the-spot", "retained-proofs", "deferrable", "commitment", "agent-service", "top"
]
Days = Annotated[int, Field(ge=0, le=3650)]
Seq = Annotated[int, Field(ge=1, le=999)]


def _bounded_date(value: dt.date) -> dt.date:
    if not 1970 <= value.year <= 9998:
        raise ValueError("year must be between 1970 and 9998")
    return value


Day = Annotated[dt.date, AfterValidator(_bounded_date)]


def _text(max_length: int, default: str | None = "") -> Any:
    return Field(default, max_length=max_length, pattern=NO_NUL)


# --- Input -------------------------------------------------------------------------------------


class LegalBasisIn(Schema):
    law: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    article: str = _text(200)


class FeeIn(Schema):
    name: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    standard: str = _text(200)
    basis: str = _text(500)
    waivable: bool = False


class FaqIn(Schema):
    q: str = Field(..., min_length=1, max_length=500, pattern=NO_NUL)
    a: str = _text(2000)


class ProcessIn(Schema):
    kind: ProcessKindCode | None = None
    co_review_departments: list[Annotated[str, Field(max_length=18, pattern=NO_NUL)]] = Field(
        default_factory=list,
        max_length=20,
        description="Credit codes of the co-reviewing departments.",
    )
    meeting_allowed: bool = False
    instant_rule_set: str = _text(100)
    commitment_allowed: bool = False
    inspection_required: bool = False


class VersionFieldsIn(Schema):
    """The fields of a version an editor may write; all optional (only those sent change)."""

    short_description: str | None = _text(2000, None)
    keywords: str | None = _text(300, None)
    service_objects: list[ServiceObjectCode] | None = Field(None, max_length=6)
    legal_basis: list[LegalBasisIn] | None = Field(None, max_length=20)
    acceptance_conditions: str | None = _text(5000, None)
    handling_forms: list[HandlingFormCode] | None = Field(None, max_length=5)
    visits_required: int | None = Field(None, ge=0, le=10)
    online_depth: OnlineDepthCode | None = None
    fees: list[FeeIn] | None = Field(None, max_length=20)
    result_name: str | None = _text(200, None)
    result_licence_type: str | None = _text(40, None)
    handling_place: str | None = _text(300, None)
    handling_hours: str | None = _text(200, None)
    consult_phone: str | None = _text(60, None)
    supervise_phone: str | None = _text(60, None)
    faq: list[FaqIn] | None = Field(None, max_length=30)
    agent_service: bool | None = None
    process: ProcessIn | None = None
    commitment_text: str | None = _text(5000, None)
    valid_from: Day | None = None
    valid_until: Day | None = None

    def fields(self) -> dict[str, Any]:
        """Only what the caller sent, without nulls (a null means "leave it")."""
        return {
            key: value
            for key, value in self.model_dump(exclude_unset=True).items()
            if value is not None and key != "co_department_ids"
        }


class ItemCreateIn(VersionFieldsIn):
    implementing_department_id: BodyId
    basic_code: str = Field(..., pattern=r"^[0-9]{12}$", description="基本编码 (12 digits)")
    exercise_level: LevelCode
    name: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    item_type: ItemTypeCode
    case_kind: CaseKindCode
    legal_limit_days: Days
    promised_limit_days: Days
    co_department_ids: list[BodyId] = Field(default_factory=list, max_length=20)


class VersionPatchIn(VersionFieldsIn):
    name: str | None = Field(None, min_length=1, max_length=200, pattern=NO_NUL)
    exercise_level: LevelCode | None = None
    item_type: ItemTypeCode | None = None
    case_kind: CaseKindCode | None = None
    legal_limit_days: Days | None = None
    promised_limit_days: Days | None = None
    co_department_ids: list[BodyId] | None = Field(None, max_length=20)


class MaterialIn(Schema):
    seq: Seq | None = None
    name: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    form: MaterialFormCode
    original_count: int = Field(0, ge=0, le=99)
    copy_count: int = Field(0, ge=0, le=99)
    necessity: NecessityCode
    is_core: bool = False
    source: SourceCode
    source_ref: str = _text(200)
    legal_basis: str = _text(2000)
    is_proof: bool = False
    retained_proof: str | None = Field(
        None, max_length=32, pattern=NO_NUL, description="Code of a retained-proofs entry."
    )
    situational: bool = False
    notes: str = _text(2000)


class OptionIn(Schema):
    label: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    adds_materials: list[Seq] = Field(default_factory=list, max_length=100)
    removes_materials: list[Seq] = Field(default_factory=list, max_length=100)
    adds_conditions: str = _text(2000)


class SituationIn(Schema):
    question: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    options: list[OptionIn] = Field(..., min_length=1, max_length=20)


class ReturnIn(Schema):
    reason: str = Field(..., min_length=1, max_length=1000, pattern=NO_NUL)


class PublishIn(Schema):
    valid_from: Day | None = Field(None, description="生效日期; today when left out.")


class AnswersIn(Schema):
    answers: dict[Annotated[int, Field(ge=1, le=32767)], Annotated[int, Field(ge=1, le=32767)]] = (
        Field(default_factory=dict, max_length=50, description="Situation seq → option seq.")
    )


class ListFilters(Schema):
    level: LevelCode | None = Field(None, description="Exercise level (行使层级).")
    department: int | None = Field(None, ge=1, le=MAX_ID, description="Implementing department id.")
    district: int | None = Field(
        None, ge=1, le=MAX_ID, description="Organisation unit above the implementing department."
    )


class ItemFilters(ListFilters):
    q: str = Field("", max_length=100, pattern=NO_NUL, description="Name contains (名称包含).")


# --- Output ------------------------------------------------------------------------------------


class DepartmentOut(Schema):
    id: int
    name: str
    uscc: str

    @staticmethod
    def of(unit: OrgUnit) -> DepartmentOut:
        return DepartmentOut(id=unit.pk, name=unit.name, uscc=unit.uscc)


class MaterialOut(Schema):
    id: int
    seq: int
    code: str = Field(..., description="National material code: implementation code + seq.")
    name: str
    form: str
    original_count: int
    copy_count: int
    necessity: str
    is_core: bool
    source: str
    source_ref: str
    legal_basis: str
    is_proof: bool
    retained_proof: str | None
    situational: bool
    notes: str

    @staticmethod
    def of(material: Material, implementation_code: str) -> MaterialOut:
        proof = material.retained_proof
        return MaterialOut(
            id=material.pk,
            seq=material.seq,
            code=f"{implementation_code}{material.seq:03d}",
            name=material.name,
            form=material.form,
            original_count=material.original_count,
            copy_count=material.copy_count,
            necessity=material.necessity,
            is_core=material.is_core,
            source=material.source,
            source_ref=material.source_ref,
            legal_basis=material.legal_basis,
            is_proof=material.is_proof,
            retained_proof=proof.code if proof else None,
            situational=material.situational,
            notes=material.notes,
        )


class OptionOut(Schema):
    seq: int
    label: str
    adds_materials: list[int]
    removes_materials: list[int]
    adds_conditions: str


class SituationOut(Schema):
    id: int
    seq: int
    question: str
    options: list[OptionOut]

    @staticmethod
    def of(situation: Situation) -> SituationOut:
        return SituationOut(
            id=situation.pk,
            seq=situation.seq,
            question=situation.question,
            options=[
                OptionOut(
                    seq=o.seq,
                    label=o.label,
                    adds_materials=[m.seq for m in o.adds_materials.all()],
                    removes_materials=[m.seq for m in o.removes_materials.all()],
                    adds_conditions=o.adds_conditions,
                )
                for o in situation.options.all()
            ],
        )


class VersionSummaryOut(Schema):
    id: int
    item_id: int
    number: int
    state: str
    name: str
    basic_code: str
    implementation_code: str
    implementing_department: DepartmentOut
    item_type: str
    exercise_level: str
    case_kind: str
    legal_limit_days: int
    promised_limit_days: int
    agent_service: bool
    commitment_allowed: bool
    valid_from: dt.date | None
    deferrable_materials: list[MaterialOut] = Field(
        default_factory=list,
        description="On the deferrable list: the materials that may come later.",
    )

    @staticmethod
    def of(version: ItemVersion) -> VersionSummaryOut:
        item = version.item
        code = item.implementation_code
        return VersionSummaryOut(
            id=version.pk,
            item_id=item.pk,
            number=version.number,
            state=version.state,
            name=version.name,
            basic_code=item.basic_code,
            implementation_code=code,
            implementing_department=DepartmentOut.of(item.implementing_department),
            item_type=version.item_type,
            exercise_level=version.exercise_level,
            case_kind=version.case_kind,
            legal_limit_days=version.legal_limit_days,
            promised_limit_days=version.promised_limit_days,
            agent_service=version.agent_service,
            commitment_allowed=version.commitment_allowed,
            valid_from=version.valid_from,
            deferrable_materials=[
                MaterialOut.of(m, code) for m in getattr(version, "deferrable_materials", [])
            ],
        )


class VersionOut(Schema):
    id: int
    item_id: int
    number: int
    state: str
    basic_code: str
    implementation_code: str
    implementing_department: DepartmentOut
    co_departments: list[DepartmentOut]
    valid_from: dt.date | None
    valid_until: dt.date | None
    published_at: dt.datetime | None
    return_reason: str
    name: str
    short_description: str
    keywords: str
    item_type: str
    exercise_level: str
    service_objects: list[str]
    legal_basis: list[dict[str, Any]]
    acceptance_conditions: str
    handling_forms: list[str]
    case_kind: str
    legal_limit_days: int
    promised_limit_days: int
    visits_required: int
    online_depth: str
    fees: list[dict[str, Any]]
    result_name: str
    result_licence_type: str
    handling_place: str
    handling_hours: str
    consult_phone: str
    supervise_phone: str
    faq: list[dict[str, Any]]
    agent_service: bool
    process: dict[str, Any]
    commitment_text: str
    materials: list[MaterialOut]
    situations: list[SituationOut]

    @staticmethod
    def of(version: ItemVersion) -> VersionOut:
        item = version.item
        code = item.implementation_code
        return VersionOut(
            id=version.pk,
            item_id=item.pk,
            number=version.number,
            state=version.state,
            basic_code=item.basic_code,
            implementation_code=code,
            implementing_department=DepartmentOut.of(item.implementing_department),
            co_departments=[DepartmentOut.of(u) for u in version.co_departments.all()],
            valid_from=version.valid_from,
            valid_until=version.valid_until,
            published_at=version.published_at,
            return_reason=version.return_reason,
            materials=[MaterialOut.of(m, code) for m in version.materials.all()],
            situations=[SituationOut.of(s) for s in version.situations.all()],
            **{
                name: getattr(version, name)
                for name in services.VERSION_FIELDS
                if name not in ("valid_from", "valid_until")
            },
        )


class ProofOut(Schema):
    code: str
    name: str
    issuing_body: str
    legal_basis: str
    online_checkable: bool

    @staticmethod
    def of(proof: RetainedProof) -> ProofOut:
        return ProofOut(
            code=proof.code,
            name=proof.name,
            issuing_body=proof.issuing_body,
            legal_basis=proof.legal_basis,
            online_checkable=proof.online_checkable,
        )


class ItemListPage(Schema):
    name: str
    count: int
    limit: int
    offset: int
    items: list[VersionSummaryOut]


class ProofListPage(Schema):
    name: Literal["retained-proofs"]
    count: int
    limit: int
    offset: int
    items: list[ProofOut]


class MaterialListOut(Schema):
    item_id: int
    version_id: int
    materials: list[MaterialOut]


# --- Public reads ------------------------------------------------------------------------------


@router.get("/items", response=ItemListPage, auth=None, summary="Published items / 已发布事项")
def item_list(
    request: HttpRequest, filters: Query[ItemFilters], page: Query[PageIn]
) -> ItemListPage:
    versions = selectors.published_item_list(
        level=filters.level,
        department=filters.department,
        district=filters.district,
        name_contains=filters.q,
    )
    count, rows = page_of(versions, page)
    return ItemListPage(
        name="items",
        count=count,
        limit=page.limit,
        offset=page.offset,
        items=[VersionSummaryOut.of(v) for v in rows],
    )


@router.get(
    "/items/{item_id}",
    response=VersionOut,
    auth=None,
    summary="An item's published version / 事项办事指南",
)
def item_detail(request: HttpRequest, item_id: PathId) -> VersionOut:
    return VersionOut.of(selectors.item_published_detail(item_id=item_id))


@router.post(
    "/items/{item_id}/materials-for-answers",
    response=MaterialListOut,
    auth=None,
    summary="The applicant's own material list / 按情形生成材料清单",
)
def materials_for_answers(
    request: HttpRequest, item_id: PathId, payload: AnswersIn
) -> MaterialListOut:
    version = selectors.item_published_detail(item_id=item_id)
    materials = selectors.material_list_for_answers(version, payload.answers)
    code = version.item.implementation_code
    return MaterialListOut(
        item_id=item_id,
        version_id=version.pk,
        materials=[MaterialOut.of(m, code) for m in materials],
    )


_LISTS = {
    "on-the-spot": selectors.on_the_spot_items,
    "deferrable": selectors.deferrable_items,
    "commitment": selectors.commitment_items,
    "agent-service": selectors.agent_service_items,
}


@router.get(
    "/lists/{name}",
    response=ItemListPage | ProofListPage,
    auth=None,
    summary="Published lists / 公布清单",
    description=(
        "on-the-spot 当场办结事项目录; retained-proofs 保留证明事项清单; deferrable 容缺受理事项 "
        "(with the materials that may come later); commitment 告知承诺制事项; agent-service "
        "代办目录; top 高频事项 (by case count, then configured rank; at most 100)."
    ),
)
def published_list(
    request: HttpRequest, name: ListName, filters: Query[ListFilters], page: Query[PageIn]
) -> ItemListPage | ProofListPage:
    where: dict[str, Any] = {
        "level": filters.level,
        "department": filters.department,
        "district": filters.district,
    }
    if name == "retained-proofs":
        count, proofs = page_of(selectors.retained_proofs(**where), page)
        return ProofListPage(
            name=name,
            count=count,
            limit=page.limit,
            offset=page.offset,
            items=[ProofOut.of(p) for p in proofs],
        )
    versions = selectors.top_items(**where) if name == "top" else _LISTS[name](**where)
    count, rows = page_of(versions, page)
    return ItemListPage(
        name=name,
        count=count,
        limit=page.limit,
        offset=page.offset,
        items=[VersionSummaryOut.of(v) for v in rows],
    )


# --- Editing (catalogue editors) and publishing (catalogue reviewers) --------------------------


def _user(request: HttpRequest) -> User:
    """The signed-in caller (these operations require authentication)."""
    user = request.user
    assert isinstance(user, User)
    return user


def _detail(version: ItemVersion) -> VersionOut:
    return VersionOut.of(selectors.version_detail(version_id=version.pk))


@router.get(
    "/versions/{version_id}",
    response=VersionOut,
    summary="Any version, for catalogue staff / 事项版本（编辑、审核）",
)
def version_detail(request: HttpRequest, version_id: PathId) -> VersionOut:
    return VersionOut.of(
        selectors.version_get_for_staff(user=_user(request), version_id=version_id)
    )


@router.post("/items", response={201: VersionOut}, summary="Create an item draft / 新建事项")
def item_create(request: HttpRequest, payload: ItemCreateIn) -> Status[VersionOut]:
    selectors.require_catalogue_perm(request.user, Perm.CATALOGUE_EDIT)
    department = selectors.department_get(department_id=payload.implementing_department_id)
    co_departments = selectors.departments_get(
        department_ids=payload.co_department_ids, field="co_department_ids"
    )
    fields = payload.fields()
    for key in ("implementing_department_id", "co_department_ids"):
        fields.pop(key, None)
    if "process" in fields:
        fields["process"] = _process(payload.process)
    version = services.item_create(
        user=_user(request),
        implementing_department=department,
        co_departments=co_departments,
        **fields,
    )
    return Status(201, _detail(version))


def _process(process: ProcessIn | None) -> dict[str, Any]:
    if process is None:
        return {}
    return process.model_dump(exclude_none=True)


@router.patch("/versions/{version_id}", response=VersionOut, summary="Edit a draft / 编辑草稿")
def version_update(request: HttpRequest, version_id: PathId, payload: VersionPatchIn) -> VersionOut:
    selectors.require_catalogue_perm(request.user, Perm.CATALOGUE_EDIT)
    version = selectors.version_get(version_id=version_id)
    fields = payload.fields()
    if "process" in fields:
        fields["process"] = _process(payload.process)
    co_departments = (
        selectors.departments_get(
            department_ids=payload.co_department_ids, field="co_department_ids"
        )
        if payload.co_department_ids is not None
        else None
    )
    version = services.version_update(
        user=_user(request),
        version=version,
        co_departments=co_departments,
        **fields,
    )
    return _detail(version)


@router.post(
    "/versions/{version_id}/materials",
    response={201: MaterialOut},
    summary="Add a material to a draft / 添加申请材料",
)
def material_add(
    request: HttpRequest, version_id: PathId, payload: MaterialIn
) -> Status[MaterialOut]:
    selectors.require_catalogue_perm(request.user, Perm.CATALOGUE_EDIT)
    version = selectors.version_get(version_id=version_id)
    fields = payload.model_dump()
    if payload.retained_proof:
        fields["retained_proof"] = selectors.retained_proof_get(code=payload.retained_proof)
    material = services.material_add(
        user=_user(request),
        version=version,
        **fields,
    )
    return Status(201, MaterialOut.of(material, version.item.implementation_code))


@router.post(
    "/versions/{version_id}/situations",
    response={201: SituationOut},
    summary="Add a situation to a draft / 添加情形",
)
def situation_add(
    request: HttpRequest, version_id: PathId, payload: SituationIn
) -> Status[SituationOut]:
    selectors.require_catalogue_perm(request.user, Perm.CATALOGUE_EDIT)
    version = selectors.version_get(version_id=version_id)
    situation = services.situation_add(
        user=_user(request),
        version=version,
        question=payload.question,
        options=[o.model_dump() for o in payload.options],
    )
    return Status(201, SituationOut.of(situation))


def _transition(request: HttpRequest, version_id: int, perm: str) -> ItemVersion:
    selectors.require_catalogue_perm(request.user, perm)
    return selectors.version_get(version_id=version_id)


@router.post(
    "/versions/{version_id}/submit", response=VersionOut, summary="Submit for review / 提交审核"
)
def version_submit(request: HttpRequest, version_id: PathId) -> VersionOut:
    version = _transition(request, version_id, Perm.CATALOGUE_EDIT)
    return _detail(services.version_submit(user=_user(request), version=version))


@router.post(
    "/versions/{version_id}/return",
    response=VersionOut,
    summary="Return to the editor / 退回修改",
)
def version_return(request: HttpRequest, version_id: PathId, payload: ReturnIn) -> VersionOut:
    version = _transition(request, version_id, Perm.CATALOGUE_PUBLISH)
    return _detail(
        services.version_return(
            user=_user(request),
            version=version,
            reason=payload.reason,
        )
    )


@router.post(
    "/versions/{version_id}/publish",
    response=VersionOut,
    summary="Publish / 审核发布",
    description="Refused with 422 `version_not_publishable` and a `problems` list "
    "(field, code, message) when a publish-time rule fails. `valid_from` defaults to today.",
)
def version_publish(
    request: HttpRequest, version_id: PathId, params: Query[PublishIn]
) -> VersionOut:
    version = _transition(request, version_id, Perm.CATALOGUE_PUBLISH)
    return _detail(
        services.version_publish(
            user=_user(request),
            version=version,
            valid_from=params.valid_from,
        )
    )


@router.post("/versions/{version_id}/retire", response=VersionOut, summary="Retire / 停用")
def version_retire(request: HttpRequest, version_id: PathId) -> VersionOut:
    version = _transition(request, version_id, Perm.CATALOGUE_PUBLISH)
    return _detail(services.version_retire(user=_user(request), version=version))


@router.post(
    "/items/{item_id}/drafts",
    response={201: VersionOut},
    summary="New draft from the published version / 新建修订草稿",
)
def version_new_draft(request: HttpRequest, item_id: PathId) -> Status[VersionOut]:
    selectors.require_catalogue_perm(request.user, Perm.CATALOGUE_EDIT)
    item = selectors.item_get(item_id=item_id)
    draft = services.version_new_draft(user=_user(request), item=item)
    return Status(201, _detail(draft))
