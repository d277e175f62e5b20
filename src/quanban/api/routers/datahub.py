"""The data hub over JSON: the material-reduction rate (减材料) per item and department."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from quanban.accounts.models import User
from quanban.core.errors import PermissionDenied
from quanban.datahub.selectors import ReductionRow, material_reduction_for_user

router = Router()


class PeriodIn(Schema):
    first_day: dt.date = Field(..., description="First local day of the period (inclusive).")
    last_day: dt.date = Field(..., description="Last local day of the period (inclusive).")


class ReductionRowOut(Schema):
    item_id: int | None = Field(None, description="The item (null on a department row).")
    item_name: str
    department_id: int
    department_name: str
    cases: int
    required: int = Field(..., description="Required materials (必要, 容缺后补) of the cases.")
    fetched: int = Field(..., description="Fetched from the licence library or a registry.")
    reused: int = Field(..., description="Reused from the applicant's earlier cases.")
    rate: float | None = Field(..., description="(fetched + reused) ÷ required; null if none.")

    @staticmethod
    def of(row: ReductionRow) -> ReductionRowOut:
        return ReductionRowOut(
            item_id=row.item_id,
            item_name=row.item_name,
            department_id=row.department_id,
            department_name=row.department_name,
            cases=row.cases,
            required=row.required,
            fetched=row.fetched,
            reused=row.reused,
            rate=row.rate,
        )


class ReductionOut(Schema):
    first_day: dt.date
    last_day: dt.date
    total: ReductionRowOut
    departments: list[ReductionRowOut]
    items: list[ReductionRowOut]


@router.get(
    "/reduction",
    response=ReductionOut,
    summary="Material-reduction rate / 减材料统计",
    description=(
        "Over the cases received in the period: required materials fetched or reused ÷ all "
        "required materials, per implementing department and item. Supervisors see the city, "
        "department heads their departments; others 403. The period is at most a year."
    ),
)
def reduction(request: HttpRequest, period: Query[PeriodIn]) -> ReductionOut:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied(_("您没有执行此操作的权限。"), code="forbidden")
    report = material_reduction_for_user(
        user=user, first_day=period.first_day, last_day=period.last_day
    )
    return ReductionOut(
        first_day=report.first_day,
        last_day=report.last_day,
        total=ReductionRowOut.of(report.total),
        departments=[ReductionRowOut.of(r) for r in report.departments],
        items=[ReductionRowOut.of(r) for r in report.items],
    )
