"""督查 over JSON (docs/supervision.md, "Inspections and experience officers"): the findings of
inspections and experience officers' reports, as the departments concerned see them, and their
rectification. Recording inspections and officers stays on the supervisors' pages."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from quanban.accounts.models import User
from quanban.accounts.roles import Perm
from quanban.api.routers.tasks import staff_user
from quanban.api.types import NO_NUL, PathId
from quanban.supervision import inspections
from quanban.supervision.models import Finding

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
