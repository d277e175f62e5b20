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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from quanban.accounts import selectors as accounts
from quanban.accounts.models import LegalEntity, NaturalPerson, User
from quanban.accounts.roles import Perm
from quanban.api.idempotency import REPLAYED_HEADER, KeyHeader, Outcome, idempotent
from quanban.api.preconditions import IfMatch, VersionIn, expected_version, set_etag
from quanban.api.routers.tasks import NO_VERSION, PersonRef, TaskOut, UnitOut, staff_user
from quanban.api.types import NO_NUL, BodyId, Instant, PageIn, PathId
from quanban.cases import clock as case_clock
from quanban.cases import selectors, services
from quanban.cases.models import Case, CaseMaterial
from quanban.cases.services._common import lock
from quanban.catalogue import selectors as catalogue
from quanban.core import clock
from quanban.core.errors import NotFound, ValidationFailed
from quanban.core.masking import mask_id_number, mask_phone
from quanban.core.workdays import CalendarNotCovered

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

Seq = Annotated[int, Field(ge=1, le=32767)]
Answers = dict[Seq, Seq]
FormKey = Annotated[str, Field(min_length=1, max_length=40)]
FormValue = (
    Annotated[str, Field(max_length=500)]
    | Annotated[int, Field(ge=-(10**15), le=10**15)]
    | Annotated[float, Field(allow_inf_nan=False)]
    | bool
    | None
)
Form = dict[FormKey, FormValue]


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


# --- Output ------------------------------------------------------------------------------------


class ApplicantOut(Schema):
    kind: Literal["person", "entity"]
    id: int
    name: str
    id_number: str = Field(..., description="Person: ID number; entity: the representative's.")
    uscc: str
    legal_representative: str
    phone: str
    masked: bool = Field(..., description="Whether personal numbers are masked for this caller.")

    @staticmethod
    def of(applicant: NaturalPerson | LegalEntity, *, unmask: bool) -> ApplicantOut:
        def id_no(value: str) -> str:
            return value if unmask or not value else mask_id_number(value)

        phone = applicant.phone if unmask or not applicant.phone else mask_phone(applicant.phone)
        kind: Literal["person", "entity"]
        if isinstance(applicant, NaturalPerson):
            kind, number, uscc, representative = "person", applicant.id_number, "", ""
        else:
            kind, number = "entity", applicant.legal_rep_id_number
            uscc, representative = applicant.uscc, applicant.legal_representative
        return ApplicantOut(
            kind=kind,
            id=applicant.pk,
            name=applicant.name,
            id_number=id_no(number),
            uscc=uscc,
            legal_representative=representative,
            phone=phone,
            masked=not unmask,
        )


class ItemRef(Schema):
    version_id: int
    item_id: int
    name: str
    case_kind: str
    promised_limit_days: int
    legal_limit_days: int


class CaseMaterialOut(Schema):
    material_id: int
    seq: int
    name: str
    necessity: str
    received: bool
    received_at: dt.datetime | None
    source: str
    source_ref: str
    deferred_until: dt.date | None

    @staticmethod
    def of(row: CaseMaterial) -> CaseMaterialOut:
        return CaseMaterialOut(
            material_id=row.material_id,
            seq=row.material.seq,
            name=row.material.name,
            necessity=row.material.necessity,
            received=row.received,
            received_at=row.received_at,
            source=row.source,
            source_ref=row.source_ref,
            deferred_until=row.deferred_until,
        )


class TimelineOut(Schema):
    at: dt.datetime
    action: str
    label: str
    actor: str
    detail: dict[str, Any]


class SuspensionOut(Schema):
    kind: str
    reason: str
    started_on: dt.date
    ended_on: dt.date | None


class ExtensionOut(Schema):
    days: int
    reason: str
    decided_on: dt.date


class ClockOut(Schema):
    legal_due: dt.date | None
    promised_due: dt.date | None
    warn_on: dt.date | None
    card_level: str
    suspended: bool
    working_days_used: int | None = Field(..., description="While 在办; null otherwise.")
    working_days_left: int | None = Field(..., description="0 on the due date, negative after.")
    suspensions: list[SuspensionOut]
    extensions: list[ExtensionOut]

    @staticmethod
    def of(case: Case) -> ClockOut:
        suspension_rows = list(case.suspensions.order_by("started_on", "pk"))
        extension_rows = list(case.extensions.order_by("decided_on", "pk"))
        used = left = None
        if case.state == Case.State.ACCEPTED and case.accepted_at is not None:
            start = timezone.localdate(case.accepted_at)
            today = clock.today()
            suspensions = [
                case_clock.Suspension(start=s.started_on, end=s.ended_on, reason=s.reason)
                for s in suspension_rows
            ]
            extensions = [
                case_clock.Extension(days=e.days, reason=e.reason, decided_on=e.decided_on)
                for e in extension_rows
            ]
            try:
                used = case_clock.working_days_used(start, today, suspensions)
                left = case_clock.working_days_left(
                    start, case.item_version.promised_limit_days, today, suspensions, extensions
                )
            except CalendarNotCovered:
                pass  # a year the calendar does not know: the counts are unknown, not an error
        return ClockOut(
            legal_due=case.legal_due,
            promised_due=case.promised_due,
            warn_on=case.warn_on,
            card_level=case.card_level,
            suspended=any(s.ended_on is None for s in suspension_rows),
            working_days_used=used,
            working_days_left=left,
            suspensions=[
                SuspensionOut(
                    kind=s.kind, reason=s.reason, started_on=s.started_on, ended_on=s.ended_on
                )
                for s in suspension_rows
            ],
            extensions=[
                ExtensionOut(days=e.days, reason=e.reason, decided_on=e.decided_on)
                for e in extension_rows
            ],
        )


class RefusalOut(Schema):
    reason: str
    legal_basis: str
    guidance: str
    refused_at: dt.datetime | None


class DecisionOut(Schema):
    decision: str
    text: str
    reason: str
    legal_basis: str
    decided_at: dt.datetime | None
    decided_by: PersonRef | None
    instant_outcome: dict[str, Any] | None


class ResultOut(Schema):
    delivery: str
    tracking_number: str
    issued_at: dt.datetime | None
    delivered_at: dt.datetime | None


class CaseSummaryOut(Schema):
    id: int
    number: str | None
    state: str
    national_state: str = Field(..., description="State code of the national exchange data.")
    item_name: str
    applicant_name: str
    channel: str
    received_at: dt.datetime
    promised_due: dt.date | None
    card_level: str
    current_step: str
    lead_department: UnitOut | None
    version: int

    @staticmethod
    def of(case: Case) -> CaseSummaryOut:
        return CaseSummaryOut(
            id=case.pk,
            number=case.number,
            state=case.state,
            national_state=Case.NATIONAL_STATE_CODES[case.state],
            item_name=case.item_version.name,
            applicant_name=case.applicant.name,
            channel=case.channel,
            received_at=case.received_at,
            promised_due=case.promised_due,
            card_level=case.card_level,
            current_step=case.current_step,
            lead_department=UnitOut.of(case.lead_department),
            version=case.version,
        )


class CaseOut(Schema):
    id: int
    number: str | None
    version: int = Field(..., description="Send it back (If-Match or version) with a write.")
    state: str
    state_label: str
    national_state: str
    channel: str
    item: ItemRef
    applicant: ApplicantOut
    window: UnitOut | None
    first_responder: PersonRef | None
    received_at: dt.datetime
    accepted_at: dt.datetime | None
    answers: dict[str, Any]
    form: dict[str, Any]
    lead_department: UnitOut | None
    lead_office: UnitOut | None
    routing_note: str
    current_step: str
    on_the_spot: bool
    supplement_notice: dict[str, Any] | None
    refusal: RefusalOut | None
    clock: ClockOut
    deferral_due: dt.date | None
    deferral_lapsed: bool
    commitment_signed_at: dt.datetime | None
    decision: DecisionOut | None
    termination: str
    termination_note: str
    result: ResultOut | None
    finished_at: dt.datetime | None
    materials: list[CaseMaterialOut]
    tasks: list[TaskOut]
    timeline: list[TimelineOut]

    @staticmethod
    def of(case: Case, *, unmask: bool) -> CaseOut:
        version = case.item_version
        return CaseOut(
            id=case.pk,
            number=case.number,
            version=case.version,
            state=case.state,
            state_label=str(case.get_state_display()),
            national_state=Case.NATIONAL_STATE_CODES[case.state],
            channel=case.channel,
            item=ItemRef(
                version_id=version.pk,
                item_id=version.item_id,
                name=version.name,
                case_kind=version.case_kind,
                promised_limit_days=version.promised_limit_days,
                legal_limit_days=version.legal_limit_days,
            ),
            applicant=ApplicantOut.of(case.applicant, unmask=unmask),
            window=UnitOut.of(case.window),
            first_responder=PersonRef.of(case.first_responder),
            received_at=case.received_at,
            accepted_at=case.accepted_at,
            answers=case.answers,
            form=case.form_data,
            lead_department=UnitOut.of(case.lead_department),
            lead_office=UnitOut.of(case.lead_office),
            routing_note=case.routing_note,
            current_step=case.current_step,
            on_the_spot=case.on_the_spot,
            supplement_notice=case.supplement_notice or None,
            refusal=RefusalOut(
                reason=case.refused_reason,
                legal_basis=case.refused_legal_basis,
                guidance=case.refused_guidance,
                refused_at=case.refused_at,
            )
            if case.state == Case.State.REFUSED
            else None,
            clock=ClockOut.of(case),
            deferral_due=case.deferral_due,
            deferral_lapsed=case.deferral_lapsed,
            commitment_signed_at=case.commitment_signed_at,
            decision=DecisionOut(
                decision=case.decision,
                text=case.decision_text,
                reason=case.decision_reason,
                legal_basis=case.decision_legal_basis,
                decided_at=case.decided_at,
                decided_by=PersonRef.of(case.decided_by),
                instant_outcome=case.instant_outcome or None,
            )
            if case.decision
            else None,
            termination=case.termination,
            termination_note=case.termination_note,
            result=ResultOut(
                delivery=case.delivery,
                tracking_number=case.tracking_number,
                issued_at=case.issued_at,
                delivered_at=case.delivered_at,
            )
            if case.issued_at
            else None,
            finished_at=case.finished_at,
            materials=[CaseMaterialOut.of(m) for m in selectors.case_materials(case)],
            tasks=[TaskOut.of(t) for t in selectors.case_tasks(case)],
            timeline=[
                TimelineOut(at=e.at, action=e.action, label=e.label, actor=e.actor, detail=e.detail)
                for e in selectors.case_timeline(case)
            ],
        )


class CasePage(Schema):
    limit: int
    offset: int
    items: list[CaseSummaryOut]


# --- Helpers -----------------------------------------------------------------------------------


@contextmanager
def version_checked(case: Case, expected: int | None) -> Iterator[None]:
    """Check the version under the case's row lock, held through the service's transaction.

    For the services that take no ``expected_version`` themselves (supplement request, refusal,
    deferred supply, delivery, withdrawal); the others check it in their own lock.
    """
    with transaction.atomic():
        if expected is not None:
            lock(case, expected_version=expected)
        yield


def idempotent_reply(response: HttpResponse, outcome: Outcome) -> Status[dict[str, Any]]:
    set_etag(response, int(outcome.body["version"]))
    if outcome.replayed:
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


def _case_for_intake(request: HttpRequest, case_id: int) -> tuple[User, Case]:
    """A case to accept, refuse or ask to supplement: one the caller may see, or an online
    submission waiting in the online intake (网上预审) — which ``case_get_for_staff`` does not
    show, as it has no window, first responder or lead department yet."""
    user = staff_user(request, Perm.BUSINESS_WRITE)
    try:
        return user, selectors.case_get_for_staff(user=user, case_id=case_id)
    except NotFound:
        for case in selectors.case_online_intake(user=user, limit=selectors.MAX_PAGE):
            if case.pk == case_id:
                return user, case
        raise


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
) -> Status[dict[str, Any]]:
    user = staff_user(request, Perm.BUSINESS_WRITE)
    if (payload.person_id is None) == (payload.entity_id is None):
        raise ValidationFailed(
            _("请选择一个申请人：自然人或法人，二者选一。"),
            code="applicant_required",
            field="person_id",
        )

    def run() -> tuple[int, CaseOut]:
        version = catalogue.version_get(version_id=payload.item_version_id)
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
) -> Status[dict[str, Any]]:
    user, case = _case_for_intake(request, case_id)

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
    user, case = _case_for_intake(request, case_id)
    with version_checked(case, expected_version(if_match, payload.version)):
        services.case_request_supplement(user=user, case=case)
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
    user, case = _case_for_intake(request, case_id)
    with version_checked(case, expected_version(if_match, payload.version)):
        refused = services.case_refuse(
            user=user,
            case=case,
            reason=payload.reason,
            legal_basis=payload.legal_basis,
            guidance=payload.guidance,
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
    with version_checked(case, expected_version(if_match, payload.version)):
        services.case_supply_deferred(user=user, case=case, material_ids=payload.material_ids)
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
    with version_checked(case, expected_version(if_match, payload.version)):
        delivered = services.case_deliver(user=user, case=case, delivered_at=payload.delivered_at)
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
