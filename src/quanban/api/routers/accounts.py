"""People and organisations: the organisation tree, applicants, role grants and API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from quanban.accounts import selectors, services
from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit, RoleAssignment
from quanban.accounts.roles import Perm
from quanban.api.auth import token_create
from quanban.api.types import MAX_ID, NO_NUL, BodyId, PageIn, PathId, page_of
from quanban.core.masking import mask_id_number, mask_phone

router = Router()

OrgUnitKind = Literal[
    "city", "district", "subdistrict", "community", "department", "office", "hall", "window"
]
RoleCode = Literal[
    "window_clerk",
    "reviewer",
    "approver",
    "office_head",
    "department_head",
    "supervisor",
    "catalogue_editor",
    "catalogue_reviewer",
    "data_officer",
    "system_admin",
    "security_admin",
    "audit_admin",
]


# --- Organisation tree ------------------------------------------------------------------------


class OrgUnitFilters(Schema):
    kind: OrgUnitKind | None = Field(None, description="Only units of this kind.")
    parent: int | None = Field(None, ge=1, le=MAX_ID, description="Only children of this unit.")
    q: str = Field("", max_length=100, pattern=NO_NUL, description="Name contains (名称包含).")


class OrgUnitIn(Schema):
    kind: OrgUnitKind
    name: str = Field(..., min_length=1, max_length=100, pattern=NO_NUL)
    parent_id: BodyId | None = None
    division_code: str = Field("", max_length=12, pattern=NO_NUL)
    uscc: str = Field("", max_length=30, pattern=NO_NUL)
    short_name: str = Field("", max_length=40, pattern=NO_NUL)
    address: str = Field("", max_length=200, pattern=NO_NUL)
    phone: str = Field("", max_length=30, pattern=NO_NUL)
    sort: int = Field(0, ge=0, le=2_147_483_647)


class OrgUnitOut(Schema):
    id: int
    kind: str
    name: str
    short_name: str
    parent_id: int | None
    division_code: str
    uscc: str
    address: str
    phone: str
    sort: int

    @staticmethod
    def of(unit: OrgUnit) -> OrgUnitOut:
        return OrgUnitOut(
            id=unit.pk,
            kind=unit.kind,
            name=unit.name,
            short_name=unit.short_name,
            parent_id=unit.parent_id,
            division_code=unit.division_code,
            uscc=unit.uscc,
            address=unit.address,
            phone=unit.phone,
            sort=unit.sort,
        )


class OrgUnitPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[OrgUnitOut]


@router.get(
    "/org/units",
    response=OrgUnitPage,
    auth=None,
    summary="List organisation units / 组织机构列表",
)
def org_unit_list(
    request: HttpRequest, filters: Query[OrgUnitFilters], page: Query[PageIn]
) -> OrgUnitPage:
    units = selectors.org_unit_list(
        kind=filters.kind, parent_id=filters.parent, name_contains=filters.q
    )
    count, rows = page_of(units, page)
    return OrgUnitPage(
        count=count, limit=page.limit, offset=page.offset, items=[OrgUnitOut.of(u) for u in rows]
    )


@router.get(
    "/org/units/{unit_id}",
    response=OrgUnitOut,
    auth=None,
    summary="One organisation unit / 组织机构详情",
)
def org_unit_detail(request: HttpRequest, unit_id: PathId) -> OrgUnitOut:
    return OrgUnitOut.of(selectors.org_unit_get(unit_id=unit_id))


@router.post(
    "/org/units",
    response={201: OrgUnitOut},
    summary="Add an organisation unit / 新增组织机构",
)
def org_unit_create(request: HttpRequest, payload: OrgUnitIn) -> Status[OrgUnitOut]:
    selectors.require_perm(request.user, Perm.ORG_MANAGE)
    parent = selectors.org_unit_get(unit_id=payload.parent_id) if payload.parent_id else None
    unit = services.org_unit_create(
        kind=payload.kind,
        name=payload.name,
        parent=parent,
        division_code=payload.division_code,
        uscc=payload.uscc,
        short_name=payload.short_name,
        address=payload.address,
        phone=payload.phone,
        sort=payload.sort,
    )
    return Status(201, OrgUnitOut.of(unit))


# --- Applicants -------------------------------------------------------------------------------


class PersonIn(Schema):
    name: str = Field(..., min_length=1, max_length=60, pattern=NO_NUL)
    id_number: str = Field(..., max_length=30, pattern=NO_NUL, description="公民身份号码")
    phone: str = Field("", max_length=20, pattern=NO_NUL)


class PersonOut(Schema):
    id: int
    name: str
    id_number: str
    phone: str
    created_at: dt.datetime
    masked: bool = Field(..., description="Whether personal numbers are masked for this caller.")

    @staticmethod
    def of(person: NaturalPerson, *, unmask: bool) -> PersonOut:
        return PersonOut(
            id=person.pk,
            name=person.name,
            id_number=person.id_number if unmask else mask_id_number(person.id_number),
            phone=person.phone if unmask or not person.phone else mask_phone(person.phone),
            created_at=person.created_at,
            masked=not unmask,
        )


class EntityIn(Schema):
    name: str = Field(..., min_length=1, max_length=120, pattern=NO_NUL)
    uscc: str = Field(..., max_length=30, pattern=NO_NUL, description="统一社会信用代码")
    legal_representative: str = Field(..., min_length=1, max_length=60, pattern=NO_NUL)
    legal_rep_id_number: str = Field("", max_length=30, pattern=NO_NUL)
    phone: str = Field("", max_length=20, pattern=NO_NUL)
    address: str = Field("", max_length=200, pattern=NO_NUL)


class EntityOut(Schema):
    id: int
    name: str
    uscc: str
    legal_representative: str
    legal_rep_id_number: str
    phone: str
    address: str
    created_at: dt.datetime
    masked: bool = Field(..., description="Whether personal numbers are masked for this caller.")

    @staticmethod
    def of(entity: LegalEntity, *, unmask: bool) -> EntityOut:
        rep_id = entity.legal_rep_id_number
        return EntityOut(
            id=entity.pk,
            name=entity.name,
            uscc=entity.uscc,
            legal_representative=entity.legal_representative,
            legal_rep_id_number=rep_id if unmask or not rep_id else mask_id_number(rep_id),
            phone=entity.phone if unmask or not entity.phone else mask_phone(entity.phone),
            address=entity.address,
            created_at=entity.created_at,
            masked=not unmask,
        )


@router.post(
    "/applicants/persons",
    response={201: PersonOut},
    summary="Register a natural person / 登记自然人",
)
def person_register(request: HttpRequest, payload: PersonIn) -> Status[PersonOut]:
    selectors.require_perm(request.user, Perm.APPLICANT_WRITE)
    person = services.person_register(
        name=payload.name, id_number=payload.id_number, phone=payload.phone
    )
    return Status(201, PersonOut.of(person, unmask=selectors.applicant_may_unmask(request.user)))


@router.get(
    "/applicants/persons/{person_id}",
    response=PersonOut,
    summary="One natural person / 自然人详情",
)
def person_detail(request: HttpRequest, person_id: PathId) -> PersonOut:
    person = selectors.person_get_for_user(user=request.user, person_id=person_id)
    return PersonOut.of(person, unmask=selectors.applicant_may_unmask(request.user))


@router.post(
    "/applicants/entities",
    response={201: EntityOut},
    summary="Register a legal entity / 登记法人",
)
def entity_register(request: HttpRequest, payload: EntityIn) -> Status[EntityOut]:
    selectors.require_perm(request.user, Perm.APPLICANT_WRITE)
    entity = services.entity_register(
        name=payload.name,
        uscc=payload.uscc,
        legal_representative=payload.legal_representative,
        legal_rep_id_number=payload.legal_rep_id_number,
        phone=payload.phone,
        address=payload.address,
    )
    return Status(201, EntityOut.of(entity, unmask=selectors.applicant_may_unmask(request.user)))


@router.get(
    "/applicants/entities/{entity_id}",
    response=EntityOut,
    summary="One legal entity / 法人详情",
)
def entity_detail(request: HttpRequest, entity_id: PathId) -> EntityOut:
    entity = selectors.entity_get_for_user(user=request.user, entity_id=entity_id)
    return EntityOut.of(entity, unmask=selectors.applicant_may_unmask(request.user))


# --- Roles ------------------------------------------------------------------------------------


class RoleGrantIn(Schema):
    user_id: BodyId
    role: RoleCode
    org_unit_id: BodyId


class RoleAssignmentOut(Schema):
    id: int
    user_id: int
    role: str
    org_unit_id: int
    org_unit_name: str
    granted_by_id: int | None
    granted_at: dt.datetime

    @staticmethod
    def of(assignment: RoleAssignment) -> RoleAssignmentOut:
        return RoleAssignmentOut(
            id=assignment.pk,
            user_id=assignment.user_id,
            role=assignment.role,
            org_unit_id=assignment.org_unit_id,
            org_unit_name=assignment.org_unit.name,
            granted_by_id=assignment.granted_by_id,
            granted_at=assignment.granted_at,
        )


@router.post(
    "/roles",
    response={201: RoleAssignmentOut},
    summary="Grant a role (security administrator) / 授予角色",
)
def role_grant(request: HttpRequest, payload: RoleGrantIn) -> Status[RoleAssignmentOut]:
    user = selectors.user_get_for_role_grant(actor=request.user, user_id=payload.user_id)
    unit = selectors.org_unit_get(unit_id=payload.org_unit_id)
    assignment = services.role_grant(
        granted_by=request.user,  # type: ignore[arg-type]
        user=user,
        role=payload.role,
        org_unit=unit,
    )
    return Status(201, RoleAssignmentOut.of(assignment))


@router.delete(
    "/roles/{assignment_id}",
    response={204: None},
    summary="Revoke a role (security administrator) / 收回角色",
)
def role_revoke(request: HttpRequest, assignment_id: PathId) -> Status[None]:
    services.role_revoke(revoked_by=request.user, assignment_id=assignment_id)  # type: ignore[arg-type]
    return Status(204, None)


@router.get(
    "/users/{user_id}/roles",
    response=list[RoleAssignmentOut],
    summary="A user's roles / 用户的角色",
)
def user_roles(request: HttpRequest, user_id: PathId) -> list[RoleAssignmentOut]:
    assignments = selectors.role_assignment_list_for_user(actor=request.user, user_id=user_id)
    return [RoleAssignmentOut.of(a) for a in assignments]


# --- API tokens -------------------------------------------------------------------------------


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=80, pattern=NO_NUL, description="用途")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    token: str = Field(..., description="The clear token; shown this once and never again.")
    created_at: dt.datetime


@router.post(
    "/tokens",
    response={201: TokenOut},
    summary="Create an API token for the caller / 创建接口令牌",
)
def token_issue(request: HttpRequest, payload: TokenIn) -> Status[TokenOut]:
    token, clear = token_create(user=request.user, name=payload.name)  # type: ignore[arg-type]
    return Status(
        201,
        TokenOut(
            id=token.pk,
            name=token.name,
            prefix=token.prefix,
            token=clear,
            created_at=token.created_at,
        ),
    )
