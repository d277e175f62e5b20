"""督查 over JSON (docs/supervision.md, "Inspections and experience officers"): the findings of
inspections and experience officers' reports, as the departments concerned see them, and their
rectification; the supervisors' register of officers, the officers' reports and the inspections."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from quanban.accounts.models import User
from quanban.accounts.roles import Perm
from quanban.api.routers.tasks import staff_user
from quanban.api.types import NO_NUL, PathId
from quanban.core.errors import NotFound
from quanban.supervision import inspections
from quanban.supervision.models import ExperienceOfficer, Finding, Inspection

router = Router()


class FindingOut(Schema):
    id: int
    inspection_id: int
    inspection_kind: str = Field(..., description="special / unannounced / random / officer.")
    department_id: int
    department_name: str
    case_id: int | None
    text: str
    found_on: dt.date
    due_on: dt.date
    state: str
    rectification: str
    rectified_at: dt.datetime | None
    may_rectify: bool

    @staticmethod
    def of(finding: Finding, user: User) -> FindingOut:
        return FindingOut(
            id=finding.pk,
            inspection_id=finding.inspection_id,
            inspection_kind=finding.inspection.kind,
            department_id=finding.department_id,
            department_name=finding.department.name,
            case_id=finding.case_id,
            text=finding.text,
            found_on=finding.found_on,
            due_on=finding.due_on,
            state=finding.state,
            rectification=finding.rectification,
            rectified_at=finding.rectified_at,
            may_rectify=inspections.may_rectify(user, finding),
        )


class FindingRectifyIn(Schema):
    rectification: str = Field(..., min_length=1, max_length=2000, pattern=NO_NUL)


@router.get(
    "/findings",
    response=list[FindingOut],
    summary="Inspection findings to rectify / 督查整改任务",
    description="A supervisor's are all; anyone else's, their department's and those they head.",
)
def finding_list(request: HttpRequest, state: Literal["open", "rectified"] | None = None) -> Any:
    user = staff_user(request)
    return [
        FindingOut.of(f, user) for f in inspections.findings_for_user(user=user, state=state or "")
    ]


@router.post(
    "/findings/{finding_id}/rectify",
    response=FindingOut,
    summary="Record the rectification of a finding / 督查整改",
)
def finding_rectify(request: HttpRequest, finding_id: PathId, payload: FindingRectifyIn) -> Any:
    user = staff_user(request, Perm.BUSINESS_WRITE)
    inspections.finding_rectify(
        user=user, finding_id=finding_id, rectification=payload.rectification
    )
    finding = Finding.objects.select_related("inspection", "department").get(pk=finding_id)
    return FindingOut.of(finding, user)


# --- Recording: experience officers, their reports, inspections ------------------------------------


class FindingIn(Schema):
    department_id: int = Field(..., ge=1, description="The department that must rectify.")
    text: str = Field(..., min_length=1, max_length=2000, pattern=NO_NUL)
    case_id: int | None = Field(None, ge=1, description="The case concerned, if any.")
    due_on: dt.date | None = Field(
        None, description="Rectify by this day (default: ten working days from today)."
    )

    def value(self) -> inspections.FindingInput:
        return inspections.FindingInput(
            department_id=self.department_id,
            text=self.text,
            case_id=self.case_id,
            due_on=self.due_on,
        )


class OfficerIn(Schema):
    name: str = Field(..., min_length=1, max_length=50, pattern=NO_NUL)
    kind: Literal["deputy", "cppcc", "expert", "journalist", "business", "citizen"] = Field(
        ..., description="人大代表 / 政协委员 / 专家学者 / 新闻媒体 / 企业代表 / 群众代表."
    )
    term_start: dt.date
    term_end: dt.date
    account_id: int | None = Field(
        None, ge=1, description="The officer's citizen account, to file reports themselves."
    )
    phone: str = Field("", max_length=20, pattern=r"^[0-9]*$")


class OfficerOut(Schema):
    id: int
    name: str
    kind: str
    term_start: dt.date
    term_end: dt.date
    account_id: int | None
    reports: int

    @staticmethod
    def of(officer: ExperienceOfficer, reports: int = 0) -> OfficerOut:
        return OfficerOut(
            id=officer.pk,
            name=officer.name,
            kind=officer.kind,
            term_start=officer.term_start,
            term_end=officer.term_end,
            account_id=officer.account_id,
            reports=reports,
        )


class ReportIn(Schema):
    channel: Literal["visit", "online"] = Field(
        ..., description="visit: a hall or window (unit_id); online: an item's service (item_id)."
    )
    held_on: dt.date
    title: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    summary: str = Field("", max_length=2000, pattern=NO_NUL)
    unit_id: int | None = Field(None, ge=1)
    item_id: int | None = Field(None, ge=1)
    scores: dict[str, int] = Field(
        default_factory=dict,
        description="1–5 for any of efficiency, attitude, guidance, environment, convenience.",
    )
    findings: list[FindingIn] = Field(default_factory=list, max_length=50)


class SampleIn(Schema):
    department_id: int = Field(..., ge=1)
    start: dt.date
    end: dt.date
    size: int = Field(..., ge=1, le=inspections.SAMPLE_MAX)
    seed: int | None = Field(
        None, ge=0, lt=2**62, description="Draw again with a recorded seed; a new one if none."
    )


class InspectionIn(Schema):
    kind: Literal["special", "unannounced", "random"] = Field(
        ..., description="专项督查 / 暗访 / 随机抽查 (random: with a sample)."
    )
    title: str = Field(..., min_length=1, max_length=200, pattern=NO_NUL)
    held_on: dt.date
    summary: str = Field("", max_length=2000, pattern=NO_NUL)
    unit_id: int | None = Field(None, ge=1, description="The hall or unit inspected, if any.")
    sample: SampleIn | None = None
    findings: list[FindingIn] = Field(default_factory=list, max_length=50)


class InspectionOut(Schema):
    id: int
    kind: str
    title: str
    held_on: dt.date
    officer_id: int | None
    unit_id: int | None
    item_id: int | None
    scores: dict[str, int]
    seed: int | None
    sampled_cases: list[int]
    finding_ids: list[int]

    @staticmethod
    def of(inspection: Inspection) -> InspectionOut:
        return InspectionOut(
            id=inspection.pk,
            kind=inspection.kind,
            title=inspection.title,
            held_on=inspection.held_on,
            officer_id=inspection.officer_id,
            unit_id=inspection.unit_id,
            item_id=inspection.item_id,
            scores=inspection.scores,
            seed=inspection.seed,
            sampled_cases=inspection.sampled_cases,
            finding_ids=list(
                Finding.objects.filter(inspection=inspection)
                .order_by("pk")
                .values_list("pk", flat=True)
            ),
        )


@router.get(
    "/officers",
    response=list[OfficerOut],
    summary="Experience officers / 体验官名册",
    description="Supervisors only; those in their term today first.",
)
def officer_list(request: HttpRequest) -> Any:
    user = staff_user(request)
    return [
        OfficerOut.of(officer, reports) for officer, reports in inspections.officers_for(user=user)
    ]


@router.post(
    "/officers",
    response={201: OfficerOut},
    summary="Register an experience officer / 登记体验官",
    description="Supervisors only.",
)
def officer_register(request: HttpRequest, payload: OfficerIn) -> Any:
    user = staff_user(request)
    account = None
    if payload.account_id is not None:
        account = User.objects.filter(pk=payload.account_id).first()
        if account is None:
            raise NotFound(_("找不到该账号。"), code="account_not_found", field="account_id")
    officer = inspections.officer_register(
        user=user,
        name=payload.name,
        kind=payload.kind,
        term_start=payload.term_start,
        term_end=payload.term_end,
        account=account,
        phone=payload.phone,
    )
    return Status(201, OfficerOut.of(officer))


@router.post(
    "/officers/{officer_id}/reports",
    response={201: InspectionOut},
    summary="File an experience report / 提交体验报告",
    description=(
        "The officer from their own (citizen) account within their term, or a supervisor for "
        "them. Each finding becomes a rectification task of its department."
    ),
)
def officer_report(request: HttpRequest, officer_id: PathId, payload: ReportIn) -> Any:
    user = request.user
    assert isinstance(user, User)  # authentication is required
    report = inspections.officer_report_file(
        user=user,
        officer_id=officer_id,
        channel=payload.channel,
        held_on=payload.held_on,
        title=payload.title,
        summary=payload.summary,
        unit_id=payload.unit_id,
        item_id=payload.item_id,
        scores=payload.scores,
        findings=[f.value() for f in payload.findings],
    )
    return Status(201, InspectionOut.of(report))


@router.post(
    "/inspections",
    response={201: InspectionOut},
    summary="Record an inspection / 登记督查",
    description=(
        "Supervisors only. 随机抽查 draws `sample.size` of the department's cases received "
        "between `sample.start` and `sample.end` with the seed given, or a new one, recorded."
    ),
)
def inspection_record(request: HttpRequest, payload: InspectionIn) -> Any:
    user = staff_user(request)
    inspection = inspections.inspection_record(
        user=user,
        kind=payload.kind,
        title=payload.title,
        held_on=payload.held_on,
        summary=payload.summary,
        unit_id=payload.unit_id,
        findings=[f.value() for f in payload.findings],
        sample=payload.sample.dict() if payload.sample else None,
    )
    return Status(201, InspectionOut.of(inspection))


@router.get(
    "/inspections/{inspection_id}",
    response=InspectionOut,
    summary="An inspection or report / 督查记录",
    description="Supervisors only.",
)
def inspection_get(request: HttpRequest, inspection_id: PathId) -> Any:
    user = staff_user(request)
    return InspectionOut.of(inspections.inspection_get(user=user, inspection_id=inspection_id))
