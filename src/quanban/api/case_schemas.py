"""What cases and tasks look like over the API: the output schemas, and input types they share.

Separate input and output schemas per operation live with their routers (routers/cases.py,
routers/tasks.py, routers/my_cases.py); these are the shapes several of them answer with.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema

from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit, User
from quanban.cases import clock as case_clock
from quanban.cases import selectors
from quanban.cases.models import Case, CaseMaterial, Task
from quanban.cases.services._common import ever_extended, ever_suspended
from quanban.core import clock
from quanban.core.masking import mask_id_number, mask_phone
from quanban.core.workdays import CalendarNotCovered

# --- Input types -------------------------------------------------------------------------------

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


# --- Tasks -------------------------------------------------------------------------------------


class UnitOut(Schema):
    id: int
    name: str

    @staticmethod
    def of(unit: OrgUnit | None) -> UnitOut | None:
        return None if unit is None else UnitOut(id=unit.pk, name=unit.name)


class PersonRef(Schema):
    id: int
    name: str

    @staticmethod
    def of(user: User | None) -> PersonRef | None:
        if user is None:
            return None
        return PersonRef(id=user.pk, name=user.display_name or user.get_username())


class TaskOut(Schema):
    id: int
    case_id: int
    step: str
    kind: str
    name: str
    department: UnitOut
    office: UnitOut | None
    role: str
    assignee: PersonRef | None
    claimed_at: dt.datetime | None
    state: str
    opened_at: dt.datetime
    warn_on: dt.date | None
    due_on: dt.date | None
    limit_days: int
    card_level: str
    completed_at: dt.datetime | None
    completed_by: PersonRef | None
    outcome: str
    opinion: str
    data: dict[str, Any]
    version: int

    @staticmethod
    def of(task: Task) -> TaskOut:
        return TaskOut(**_task_fields(task))


def _task_fields(task: Task) -> dict[str, Any]:
    """A task's fields as ``TaskOut`` takes them (and ``InboxTaskOut``, built from them directly:
    not built as a ``TaskOut``, dumped and validated again, for every row of an inbox)."""
    return dict(
        id=task.pk,
        case_id=task.case_id,
        step=task.step,
        kind=task.kind,
        name=task.name,
        department=UnitOut(id=task.department.pk, name=task.department.name),
        office=UnitOut.of(task.office),
        role=task.role,
        assignee=PersonRef.of(task.assignee),
        claimed_at=task.claimed_at,
        state=task.state,
        opened_at=task.opened_at,
        warn_on=task.warn_on,
        due_on=task.due_on,
        limit_days=task.limit_days,
        card_level=task.card_level,
        completed_at=task.completed_at,
        completed_by=PersonRef.of(task.completed_by),
        outcome=task.outcome,
        opinion=task.opinion,
        data=task.data,
        version=task.version,
    )


class InboxTaskOut(TaskOut):
    case_number: str | None
    item_name: str

    @staticmethod
    def of_inbox(task: Task) -> InboxTaskOut:
        return InboxTaskOut(
            **_task_fields(task),
            case_number=task.case.number,
            item_name=task.case.item_version.name,
        )


# --- Cases -------------------------------------------------------------------------------------


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
    source: str = Field(
        ...,
        description=(
            "How it was obtained: fetched (licence library or registry), reused (an earlier "
            "case), uploaded, paper (handed in at the window); empty while not received."
        ),
    )
    source_ref: str = Field(..., description="Where from, for people.")
    source_licence_id: int | None = Field(None, description="Fetched: the licence.")
    registry_query_id: int | None = Field(None, description="Fetched: the logged query.")
    reused_from_id: int | None = Field(None, description="Reused: the earlier case material.")
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
            source_licence_id=row.source_licence_id,
            registry_query_id=row.source_query_id,
            reused_from_id=row.reused_from_id,
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
        # No query for clock events a case is known not to have (a case a service just created
        # or locked knows it: services._common).
        suspension_rows = (
            list(case.suspensions.order_by("started_on", "pk")) if ever_suspended(case) else []
        )
        extension_rows = (
            list(case.extensions.order_by("decided_on", "pk")) if ever_extended(case) else []
        )
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
