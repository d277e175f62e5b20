"""The applicant's own cases (我的办件): apply online, follow, withdraw.

For citizen accounts (session or token); anyone else's case is "not found". Online materials are
reused from the applicant's earlier cases over JSON (``reuse``); uploading files is the portal's.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from quanban.accounts.models import User
from quanban.api.case_schemas import Answers, Form, SuspensionOut
from quanban.api.idempotency import KeyHeader, idempotent
from quanban.api.preconditions import IfMatch, VersionIn, expected_version, set_etag
from quanban.api.routers.cases import idempotent_reply
from quanban.api.types import MAX_ID, NO_NUL, BodyId, PageIn, PathId
from quanban.cases import selectors, services
from quanban.cases.models import Case
from quanban.cases.prefill import prefill_for
from quanban.cases.services.provenance import fetch_preview
from quanban.catalogue import selectors as catalogue
from quanban.core.errors import NotFound, PermissionDenied, ValidationFailed

router = Router()

OnlineChannelCode = Literal["1", "2", "9"]


class OnlineSubmitIn(Schema):
    item_version_id: BodyId = Field(..., description="The published version applied for.")
    channel: OnlineChannelCode = Field("1", description="1 PC 端, 2 移动端, 9 线上一窗.")
    answers: Answers = Field(
        default_factory=dict, max_length=50, description="Situation seq → option seq."
    )
    form: Form = Field(default_factory=dict, max_length=100, description="申请表.")
    reuse: dict[BodyId, BodyId] = Field(
        default_factory=dict,
        max_length=100,
        description="Material id → the id of that material handed in on an earlier case.",
    )
    as_entity: bool = Field(False, description="Apply for the company the account holds.")


class WithdrawIn(VersionIn):
    note: str = Field("", max_length=1000, pattern=NO_NUL)


NO_WITHDRAW_INPUT = WithdrawIn.model_validate({})


class OwedOut(Schema):
    material_id: int
    name: str
    deferred_until: dt.date | None


class MyTimelineOut(Schema):
    at: dt.datetime
    action: str
    label: str


class MyCaseSummaryOut(Schema):
    id: int
    number: str | None
    state: str
    item_name: str
    received_at: dt.datetime
    promised_due: dt.date | None
    version: int

    @staticmethod
    def of(case: Case) -> MyCaseSummaryOut:
        return MyCaseSummaryOut(
            id=case.pk,
            number=case.number,
            state=case.state,
            item_name=case.item_version.name,
            received_at=case.received_at,
            promised_due=case.promised_due,
            version=case.version,
        )


class MyCaseOut(Schema):
    id: int
    number: str | None
    version: int
    item_name: str
    channel: str
    received_at: dt.datetime
    status: str = Field(..., description="The case's status in plain words.")
    state: str
    current_step: str
    current_departments: list[str]
    legal_due: dt.date | None
    promised_due: dt.date | None
    working_days_left: int | None
    suspensions: list[SuspensionOut]
    owed: list[OwedOut] = Field(..., description="Materials still to bring (补正, 容缺).")
    supplement_notice: dict[str, Any] | None
    refusal: dict[str, Any] | None = Field(..., description="Reason, legal basis, guidance.")
    decision: dict[str, Any] | None
    result: dict[str, Any] | None
    ended: dict[str, Any] | None = Field(
        ..., description="Terminated or revoked: the reason, the note or finding, and when."
    )
    timeline: list[MyTimelineOut]

    @staticmethod
    def of(case: Case) -> MyCaseOut:
        view = selectors.case_applicant_view(case)
        return MyCaseOut(
            id=case.pk,
            number=case.number,
            version=case.version,
            item_name=case.item_version.name,
            channel=case.channel,
            received_at=case.received_at,
            status=view["status"],
            state=view["state"],
            current_step=view["current_step"],
            current_departments=view["current_departments"],
            legal_due=view["legal_due"],
            promised_due=view["promised_due"],
            working_days_left=view["working_days_left"],
            suspensions=[SuspensionOut(**s) for s in view["suspensions"]],
            owed=[OwedOut(**row) for row in view["owed"]],
            supplement_notice=view["supplement_notice"],
            refusal=view["refusal"],
            decision=view["decision"],
            result=view["result"],
            ended=view["ended"],
            timeline=[
                MyTimelineOut(at=e.at, action=e.action, label=e.label) for e in view["timeline"]
            ],
        )


class MyCasePage(Schema):
    limit: int
    offset: int
    items: list[MyCaseSummaryOut]


def _applicant(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # these operations require authentication
    if user.kind != User.Kind.CITIZEN:
        raise PermissionDenied(
            _("“我的办件”仅供申请人账号使用。"), code="applicant_account_required"
        )
    return user


@router.post(
    "/my/cases",
    response={201: MyCaseOut},
    summary="Apply online / 网上申报",
    description=(
        "For the account's own person (or, with as_entity, its company). Materials over JSON "
        "are reused from earlier cases; file uploads go through the portal. An instant-approval "
        "(秒批) item with complete materials is decided at once. Takes an Idempotency-Key."
    ),
)
def my_case_submit(
    request: HttpRequest,
    response: HttpResponse,
    payload: OnlineSubmitIn,
    idempotency_key: KeyHeader = None,
) -> HttpResponse | Status[dict[str, Any]]:
    user = _applicant(request)

    def run() -> tuple[int, MyCaseOut]:
        # Published versions only: a draft's name is nobody's business outside the catalogue.
        version = catalogue.version_published(payload.item_version_id)
        if version is None:
            raise NotFound(
                _("找不到该事项，或该事项尚未发布。"),
                code="item_not_found",
                field="item_version_id",
            )
        case = services.case_submit_online(
            user=user,
            item_version=version,
            answers=payload.answers,
            form_data=payload.form,
            channel=payload.channel,
            reuse=payload.reuse,
            as_entity=payload.as_entity,
        )
        # The case as the service left it (its own, written in this transaction): no re-read.
        return 201, MyCaseOut.of(case)

    outcome = idempotent(request, key=idempotency_key, payload=payload, run=run)
    return idempotent_reply(response, outcome)


class PrefillFieldOut(Schema):
    key: str
    label: str
    value: str
    source: str


class ReuseCandidateOut(Schema):
    case_material_id: int = Field(..., description="What `reuse` takes for this material.")
    case_number: str
    received_on: dt.date
    material_name: str
    file_name: str
    source: str


class MaterialPrefillOut(Schema):
    material_id: int
    seq: int
    name: str
    fetched_from: str = Field(
        "",
        description=(
            "Where it will be fetched from when the application is submitted (a licence the "
            "applicant holds, or a registry); empty: to be uploaded or reused."
        ),
    )
    candidates: list[ReuseCandidateOut] = Field(..., description="Newest first.")


class PrefillOut(Schema):
    applicant_kind: str
    fields: list[PrefillFieldOut]
    materials: list[MaterialPrefillOut]


@router.get(
    "/my/prefill",
    response=PrefillOut,
    summary="What the platform already holds for an application / 申请预填",
    description=(
        "The applicant's own fields (with their source) and the materials they handed in on "
        "earlier cases that an application of this item version may reuse (`reuse` of "
        "POST /my/cases takes `case_material_id`). Personal numbers are the caller's own."
    ),
)
def my_prefill(
    request: HttpRequest,
    item_version_id: Annotated[int, Query(ge=1, le=MAX_ID)],
    as_entity: bool = False,
) -> PrefillOut:
    user = _applicant(request)
    version = catalogue.versions_published().filter(pk=item_version_id).first()
    if version is None:
        raise NotFound(
            _("找不到该事项，或该事项尚未发布。"), code="item_not_found", field="item_version_id"
        )
    applicant = getattr(user, "entity", None) if as_entity else getattr(user, "person", None)
    if applicant is None:
        raise ValidationFailed(
            _("请先完成实名登记，再网上申报。"), code="applicant_not_registered", field="user"
        )
    prefill = prefill_for(applicant=applicant, item_version=version)
    fetching = fetch_preview(version.materials.all(), applicant)
    return PrefillOut(
        applicant_kind=prefill.applicant_kind,
        fields=[PrefillFieldOut(**vars(f)) for f in prefill.fields],
        materials=[
            MaterialPrefillOut(
                material_id=m.material_id,
                seq=m.seq,
                name=m.name,
                fetched_from=fetching.get(m.material_id, ""),
                candidates=[
                    ReuseCandidateOut(
                        case_material_id=c.case_material_id,
                        case_number=c.case_number,
                        received_on=c.received_on,
                        material_name=c.material_name,
                        file_name=c.file_name,
                        source=c.source,
                    )
                    for c in m.candidates
                ],
            )
            for m in prefill.materials
        ],
    )


@router.get("/my/cases", response=MyCasePage, summary="My cases / 我的办件")
def my_case_list(request: HttpRequest, page: Query[PageIn]) -> MyCasePage:
    cases = selectors.case_list_for_applicant(
        user=_applicant(request), limit=page.limit, offset=page.offset
    )
    return MyCasePage(
        limit=page.limit, offset=page.offset, items=[MyCaseSummaryOut.of(c) for c in cases]
    )


@router.get(
    "/my/cases/{case_id}",
    response=MyCaseOut,
    summary="My case / 我的办件详情",
    description="ETag: the case's version.",
)
def my_case_detail(request: HttpRequest, response: HttpResponse, case_id: PathId) -> MyCaseOut:
    case = selectors.case_get_for_applicant(user=_applicant(request), case_id=case_id)
    set_etag(response, case.version)
    return MyCaseOut.of(case)


@router.post(
    "/my/cases/{case_id}/withdraw",
    response=MyCaseOut,
    summary="Withdraw my application / 撤回申请",
    description="Before a decision only.",
)
def my_case_withdraw(
    request: HttpRequest,
    response: HttpResponse,
    case_id: PathId,
    payload: WithdrawIn = NO_WITHDRAW_INPUT,
    if_match: IfMatch = None,
) -> MyCaseOut:
    user = _applicant(request)
    case = selectors.case_get_for_applicant(user=user, case_id=case_id)
    services.case_withdraw(
        user=user,
        case=case,
        note=payload.note,
        expected_version=expected_version(if_match, payload.version),
    )
    fresh = selectors.case_get_for_applicant(user=user, case_id=case_id)
    set_etag(response, fresh.version)
    return MyCaseOut.of(fresh)
