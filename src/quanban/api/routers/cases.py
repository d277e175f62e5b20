"""Cases (办件) at the window and in the back office: receive, accept, refuse, the clock, the end.

Every write on an existing case takes the version the caller last saw — ``If-Match`` (the ETag of
``GET /cases/{id}``, ``"<version>"``) or ``version`` in the body — and answers 412 ``stale`` with
``current_version`` when the case changed since, writing nothing; without either, no check
(quanban.api.preconditions). ``POST /cases`` and ``POST /cases/{id}/accept`` take an
``Idempotency-Key`` (quanban.api.idempotency). The applicant's side is routers/my_cases.py, tasks
routers/tasks.py. See docs/api-cases.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from quanban.accounts import selectors as accounts
from quanban.accounts.models import LegalEntity, NaturalPerson, User
from quanban.accounts.roles import Perm
from quanban.api.case_schemas import (
    Answers,
    CaseOut,
    CasePage,
    CaseSummaryOut,
    Form,
)
from quanban.api.idempotency import REPLAYED_HEADER, KeyHeader, Outcome, idempotent
from quanban.api.preconditions import IfMatch, VersionIn, expected_version, set_etag
from quanban.api.routers.tasks import NO_VERSION, staff_user
from quanban.api.types import NO_NUL, BodyId, Instant, PageIn, PathId
from quanban.cases import selectors, services
from quanban.cases.models import Case
from quanban.catalogue import selectors as catalogue
from quanban.core.errors import ValidationFailed

router = Router()

ChannelCode = Literal["0", "1", "2", "3", "4", "5", "8", "9"]
StateCode = Literal[
    "received",
    "pending_supplement",
    "accepted",
    "refused",
    "decided",
    "finished",
    "terminated",
    "revoked",
]
SuspensionKind = Literal["supplement", "inspection", "technical_review", "expert_review", "hearing"]
TerminationCode = Literal["withdrawn", "deferral_lapsed"]
DecisionCode = Literal["approve", "partial", "reject"]


def _text(max_length: int) -> Any:
    return Field("", max_length=max_length, pattern=NO_NUL)


def _required_text(max_length: int) -> Any:
    return Field(..., min_length=1, max_length=max_length, pattern=NO_NUL)


# --- Input -------------------------------------------------------------------------------------


class CaseReceiveIn(Schema):
    item_version_id: BodyId
    person_id: BodyId | None = Field(None, description="自然人申请人; or entity_id, not both.")
    entity_id: BodyId | None = Field(None, description="法人申请人; or person_id, not both.")
    channel: ChannelCode = Field(..., description="申报渠道 (national code; 8 线下一窗).")
    answers: Answers = Field(
        default_factory=dict, max_length=50, description="Situation seq → option seq."
    )
    window_id: BodyId | None = Field(None, description="The receiving window (受理窗口).")
    received_material_ids: list[BodyId] = Field(default_factory=list, max_length=200)
    reuse: dict[BodyId, BodyId] = Field(
        default_factory=dict,
        max_length=100,
        description=(
            "不得重复提交: material id → the id of that material the same applicant handed in on "
            "an earlier case (still valid), taken instead of asking again."
        ),
    )
    form: Form = Field(
        default_factory=dict, max_length=100, description="申请表: short keys, plain values."
    )


class AcceptIn(VersionIn):
    received_material_ids: list[BodyId] = Field(default_factory=list, max_length=200)
    deferred: dict[BodyId, dt.date] = Field(
        default_factory=dict,
        max_length=100,
        description="容缺受理: material id → the date the applicant promises to bring it.",
    )
    commitment: bool = Field(False, description="告知承诺: the applicant signed the commitment.")


class RefuseIn(VersionIn):
    reason: str = _required_text(2000)
    legal_basis: str = _required_text(2000)
    guidance: str = _required_text(2000)


class SuspendIn(VersionIn):
    kind: SuspensionKind
    reason: str = _required_text(2000)


class ExtendIn(VersionIn):
    days: int = Field(..., ge=1, le=15, description="Working days (延长审批).")
    reason: str = _required_text(2000)


class TerminateIn(VersionIn):
    termination: TerminationCode
    note: str = _required_text(2000)


class SupplyDeferredIn(VersionIn):
    material_ids: list[BodyId] = Field(..., min_length=1, max_length=200)


class DeliverIn(VersionIn):
    delivered_at: Instant | None = Field(None, description="When the post delivered; now if out.")


class OnTheSpotIn(VersionIn):
    decision: DecisionCode = "approve"
    decision_text: str = _text(2000)
    reason: str = _text(2000)
    legal_basis: str = _text(2000)
    received_material_ids: list[BodyId] = Field(default_factory=list, max_length=200)


class CaseFilters(Schema):
    state: StateCode | None = None


NO_ACCEPT_INPUT = AcceptIn.model_validate({})
NO_DELIVER_INPUT = DeliverIn.model_validate({})
NO_ON_THE_SPOT_INPUT = OnTheSpotIn.model_validate({})


# --- Helpers -----------------------------------------------------------------------------------


def idempotent_reply(
    response: HttpResponse, outcome: Outcome
) -> HttpResponse | Status[dict[str, Any]]:
    """The reply of an operation that takes an Idempotency-Key: made now, it was rendered once
    (from its schema) and goes out as it is; replayed, the stored body is sent as any reply."""
    set_etag(response, int(outcome.body["version"]))
    if outcome.content is not None:
        response.status_code = outcome.status
        response.content = outcome.content
        return response
    response[REPLAYED_HEADER] = "true"
    return Status(outcome.status, outcome.body)


def _out(case: Case, user: User) -> CaseOut:
    return CaseOut.of(case, unmask=accounts.applicant_may_unmask(user))


def _reply(response: HttpResponse, case: Case, user: User) -> CaseOut:
    set_etag(response, case.version)
    return _out(case, user)


def _reply_fresh(response: HttpResponse, case: Case, user: User) -> CaseOut:
    """After a service that returned something else than the case: the case as it is now."""
    case.refresh_from_db()
    return _reply(response, case, user)


def _case_for_write(request: HttpRequest, case_id: int) -> tuple[User, Case]:
    user = staff_user(request, Perm.BUSINESS_WRITE)
    return user, selectors.case_get_for_staff(user=user, case_id=case_id)


# --- Operations --------------------------------------------------------------------------------


@router.post(
    "/cases",
    response={201: CaseOut},
    summary="Receive an application / 收件",
    description="Any window receives any published item (首问负责). Takes an Idempotency-Key.",
)
def case_receive(
    request: HttpRequest,
    response: HttpResponse,
    payload: CaseReceiveIn,
    idempotency_key: KeyHeader = None,
) -> HttpResponse | Status[dict[str, Any]]:
    user = staff_user(request, Perm.BUSINESS_WRITE)
    if (payload.person_id is None) == (payload.entity_id is None):
        raise ValidationFailed(
            _("请选择一个申请人：自然人或法人，二者选一。"),
            code="applicant_required",
            field="person_id",
        )

    def run() -> tuple[int, CaseOut]:
        # A published version as the worker keeps it (its lists read), else whatever version it
        # is: the service refuses one that is not published, saying so.
        version = catalogue.version_published(payload.item_version_id) or catalogue.version_get(
            version_id=payload.item_version_id
        )
        applicant: NaturalPerson | LegalEntity = (
            accounts.person_get_for_user(user=user, person_id=payload.person_id)
            if payload.person_id is not None
            else accounts.entity_get_for_user(user=user, entity_id=payload.entity_id or 0)
        )
        window = accounts.org_unit_get(unit_id=payload.window_id) if payload.window_id else None
        case = services.case_receive(
            user=user,
            item_version=version,
            applicant=applicant,
            channel=payload.channel,
            answers=payload.answers,
            window=window,
            received_material_ids=payload.received_material_ids,
            form_data=payload.form,
            reuse=payload.reuse,
        )
        return 201, _out(case, user)

    outcome = idempotent(request, key=idempotency_key, payload=payload, run=run)
    return idempotent_reply(response, outcome)


@router.get("/cases", response=CasePage, summary="Cases of my units / 办件列表")
def case_list(request: HttpRequest, filters: Query[CaseFilters], page: Query[PageIn]) -> CasePage:
    cases = selectors.case_list_for_staff(
        user=staff_user(request), state=filters.state or "", limit=page.limit, offset=page.offset
    )
    return CasePage(
        limit=page.limit, offset=page.offset, items=[CaseSummaryOut.of(c) for c in cases]
    )


@router.get(
    "/cases/{case_id}",
    response=CaseOut,
    summary="A case with its materials, tasks, clock and timeline / 办件详情",
    description="ETag: the case's version. ID numbers are masked unless the caller may unmask.",
)
def case_detail(request: HttpRequest, response: HttpResponse, case_id: PathId) -> CaseOut:
    user = staff_user(request)
    return _reply(response, selectors.case_get_for_staff(user=user, case_id=case_id), user)


@router.post(
    "/cases/{case_id}/accept",
    response=CaseOut,
    summary="Accept / 受理 (容缺, 告知承诺)",
    description="Gives the case its number and starts its process. Takes an Idempotency-Key.",
)
def case_accept(
    request: HttpRequest,
    response: HttpResponse,
    case_id: PathId,
    payload: AcceptIn = NO_ACCEPT_INPUT,
    if_match: IfMatch = None,
    idempotency_key: KeyHeader = None,
) -> HttpResponse | Status[dict[str, Any]]:
    user, case = _case_for_write(request, case_id)

    def run() -> tuple[int, CaseOut]:
        accepted = services.case_accept(
            user=user,
            case=case,
            received_material_ids=payload.received_material_ids,
            deferred=payload.deferred,
            commitment=payload.commitment,
            expected_version=expected_version(if_match, payload.version),
        )
        return 200, _out(accepted, user)

    outcome = idempotent(request, key=idempotency_key, payload=payload, run=run)
    return idempotent_reply(response, outcome)


@router.post(
    "/cases/{case_id}/supplement-request",
    response=CaseOut,
    summary="Tell everything to supplement, once / 一次性告知补正",
)
def case_supplement_request(
    request: HttpRequest,
    response: HttpResponse,
    case_id: PathId,
    payload: VersionIn = NO_VERSION,
    if_match: IfMatch = None,
) -> CaseOut:
    user, case = _case_for_write(request, case_id)
    services.case_request_supplement(
        user=user, case=case, expected_version=expected_version(if_match, payload.version)
    )
    return _reply_fresh(response, case, user)


@router.post(
    "/cases/{case_id}/refuse",
    response=CaseOut,
    summary="Refuse to accept / 不予受理",
    description="Reason, legal basis and guidance (where to go instead) are all required.",
)
def case_refuse(
    request: HttpRequest,
    response: HttpResponse,
    case_id: PathId,
    payload: RefuseIn,
    if_match: IfMatch = None,
) -> CaseOut:
    user, case = _case_for_write(request, case_id)
    refused = services.case_refuse(
        user=user,
        case=case,
        reason=payload.reason,
        legal_basis=payload.legal_basis,
        guidance=payload.guidance,
        expected_version=expected_version(if_match, payload.version),
    )
    return _reply(response, refused, user)


@router.post("/cases/{case_id}/suspend", response=CaseOut, summary="Suspend the clock / 挂起")
def case_suspend(
    request: HttpRequest,
    response: HttpResponse,
    case_id: PathId,
    payload: SuspendIn,
    if_match: IfMatch = None,
) -> CaseOut:
    user, case = _case_for_write(request, case_id)
    services.case_suspend(
        user=user,
        case=case,
        kind=payload.kind,
        reason=payload.reason,
        expected_version=expected_version(if_match, payload.version),
    )
    return _reply_fresh(response, case, user)


@router.post("/cases/{case_id}/resume", response=CaseOut, summary="Resume the clock / 恢复计时")
def case_resume(
    request: HttpRequest,
    response: HttpResponse,
    case_id: PathId,
    payload: VersionIn = NO_VERSION,
    if_match: IfMatch = None,
) -> CaseOut:
    user, case = _case_for_write(request, case_id)
    resumed = services.case_resume(
        user=user, case=case, expected_version=expected_version(if_match, payload.version)
    )
    return _reply(response, resumed, user)


@router.post("/cases/{case_id}/extend", response=CaseOut, summary="Extend the limit / 延长审批")
def case_extend(
    request: HttpRequest,
    response: HttpResponse,
    case_id: PathId,
    payload: ExtendIn,
    if_match: IfMatch = None,
) -> CaseOut:
    user, case = _case_for_write(request, case_id)
    services.case_extend(
        user=user,
        case=case,
        days=payload.days,
        reason=payload.reason,
        expected_version=expected_version(if_match, payload.version),
    )
    return _reply_fresh(response, case, user)


@router.post("/cases/{case_id}/terminate", response=CaseOut, summary="Terminate / 终止")
def case_terminate(
    request: HttpRequest,
    response: HttpResponse,
    case_id: PathId,
    payload: TerminateIn,
    if_match: IfMatch = None,
) -> CaseOut:
    user, case = _case_for_write(request, case_id)
    terminated = services.case_terminate(
        user=user,
        case=case,
        termination=payload.termination,
        note=payload.note,
        expected_version=expected_version(if_match, payload.version),
    )
    return _reply(response, terminated, user)


@router.post(
    "/cases/{case_id}/deferred-supply",
    response=CaseOut,
    summary="Deferred materials handed in / 补交容缺材料",
)
def case_supply_deferred(
    request: HttpRequest,
    response: HttpResponse,
    case_id: PathId,
    payload: SupplyDeferredIn,
    if_match: IfMatch = None,
) -> CaseOut:
    user, case = _case_for_write(request, case_id)
    services.case_supply_deferred(
        user=user,
        case=case,
        material_ids=payload.material_ids,
        expected_version=expected_version(if_match, payload.version),
    )
    return _reply_fresh(response, case, user)


@router.post(
    "/cases/{case_id}/deliver",
    response=CaseOut,
    summary="A posted result was delivered / 登记送达",
)
def case_deliver(
    request: HttpRequest,
    response: HttpResponse,
    case_id: PathId,
    payload: DeliverIn = NO_DELIVER_INPUT,
    if_match: IfMatch = None,
) -> CaseOut:
    user, case = _case_for_write(request, case_id)
    delivered = services.case_deliver(
        user=user,
        case=case,
        delivered_at=payload.delivered_at,
        expected_version=expected_version(if_match, payload.version),
    )
    return _reply(response, delivered, user)


@router.post(
    "/cases/{case_id}/on-the-spot",
    response=CaseOut,
    summary="Accept, decide and hand over at once / 即办",
)
def case_on_the_spot(
    request: HttpRequest,
    response: HttpResponse,
    case_id: PathId,
    payload: OnTheSpotIn = NO_ON_THE_SPOT_INPUT,
    if_match: IfMatch = None,
) -> CaseOut:
    user, case = _case_for_write(request, case_id)
    done = services.case_finish_on_the_spot(
        user=user,
        case=case,
        decision=payload.decision,
        decision_text=payload.decision_text,
        reason=payload.reason,
        legal_basis=payload.legal_basis,
        received_material_ids=payload.received_material_ids,
        expected_version=expected_version(if_match, payload.version),
    )
    return _reply(response, done, user)
