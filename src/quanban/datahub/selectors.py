"""Reads of the data hub: the material-reduction rate (减材料) and registry records as shown.

The material-reduction rate of a period: over the cases received in it, the required materials
(必要 and 容缺后补) that were fetched or reused, divided by all required materials. Per item and per
implementing department, from the case materials themselves (one grouped query each).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, User
from quanban.accounts.selectors import applicant_may_unmask
from quanban.cases.models import CaseMaterial
from quanban.cases.services._common import REQUIRED_NECESSITIES
from quanban.core.errors import ValidationFailed
from quanban.core.masking import mask_id_number, mask_name
from quanban.datahub.models import LegalEntityRecord, PopulationRecord

MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class ReductionRow:
    item_id: int | None  # None on a department row
    item_name: str
    department_id: int
    department_name: str
    cases: int
    required: int
    fetched: int
    reused: int

    @property
    def reduced(self) -> int:
        return self.fetched + self.reused

    @property
    def rate(self) -> float | None:
        """(fetched + reused) ÷ required; None without required materials."""
        return self.reduced / self.required if self.required else None


@dataclass(frozen=True)
class ReductionReport:
    first_day: dt.date
    last_day: dt.date
    items: list[ReductionRow]
    departments: list[ReductionRow]
    total: ReductionRow


def _counts() -> dict[str, Any]:
    return {
        "cases": Count("case", distinct=True),
        "required": Count("pk"),
        "fetched": Count("pk", filter=Q(source=CaseMaterial.Source.FETCHED)),
        "reused": Count("pk", filter=Q(source=CaseMaterial.Source.REUSED)),
    }


def material_reduction(
    *,
    first_day: dt.date,
    last_day: dt.date,
    department: OrgUnit | None = None,
    departments: Collection[int] | None = None,
) -> ReductionReport:
    """The material-reduction rate of the cases received ``first_day`` … ``last_day`` (local
    days, inclusive), per item and per implementing department (``department``: only its;
    ``departments``: only theirs)."""
    if last_day < first_day:
        raise ValidationFailed(
            _("结束日期不能早于开始日期。"), code="period_reversed", field="last_day"
        )
    if (last_day - first_day).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed(
            _("统计期间不能超过一年。"), code="period_too_long", field="last_day"
        )
    tz = timezone.get_default_timezone()
    low = dt.datetime.combine(first_day, dt.time(), tzinfo=tz)
    high = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    required = CaseMaterial.objects.filter(
        case__received_at__gte=low,
        case__received_at__lt=high,
        material__necessity__in=sorted(REQUIRED_NECESSITIES),
    )
    dept = "case__item_version__item__implementing_department"
    if department is not None:
        required = required.filter(**{dept: department})
    if departments is not None:
        required = required.filter(**{f"{dept}__in": sorted(departments)})
    names = dict(OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT).values_list("pk", "name"))
    items = [
        ReductionRow(
            item_id=row["case__item_version__item"],
            item_name=row["name"],
            department_id=row[dept],
            department_name=names.get(row[dept], ""),
            cases=row["cases"],
            required=row["required"],
            fetched=row["fetched"],
            reused=row["reused"],
        )
        for row in required.values("case__item_version__item", dept)
        .annotate(name=Max("case__item_version__name"), **_counts())
        .order_by(dept, "case__item_version__item")
    ]
    by_department = [
        ReductionRow(
            item_id=None,
            item_name="",
            department_id=row[dept],
            department_name=names.get(row[dept], ""),
            cases=row["cases"],
            required=row["required"],
            fetched=row["fetched"],
            reused=row["reused"],
        )
        for row in required.values(dept).annotate(**_counts()).order_by(dept)
    ]
    total = required.aggregate(**_counts())
    return ReductionReport(
        first_day=first_day,
        last_day=last_day,
        items=items,
        departments=by_department,
        total=ReductionRow(
            item_id=None,
            item_name="",
            department_id=department.pk if department is not None else 0,
            department_name=department.name if department is not None else "",
            cases=total["cases"],
            required=total["required"],
            fetched=total["fetched"],
            reused=total["reused"],
        ),
    )


def material_reduction_for_user(
    *, user: User, first_day: dt.date, last_day: dt.date
) -> ReductionReport:
    """The rate as ``user`` may see it: a supervisor the whole city, a department head their
    departments; anyone else PermissionDenied (the dashboards' scope)."""
    from quanban.supervision.dashboards import dashboard_scope_for_user

    scope = dashboard_scope_for_user(user)
    return material_reduction(
        first_day=first_day,
        last_day=last_day,
        departments=None if scope.everything else scope.departments,
    )


def registry_record_fields(
    record: PopulationRecord | LegalEntityRecord, *, user: Any
) -> list[tuple[str, str]]:
    """The record's prefillable fields as (label, value), a person's ID number and name masked
    for staff who may not see them in full (APPLICANT_UNMASK)."""
    unmask = applicant_may_unmask(user)
    shown: list[tuple[str, str]] = []
    for name in record.PREFILL_FIELDS:
        field = record._meta.get_field(name)
        value = getattr(record, name)
        display = getattr(record, f"get_{name}_display", None)
        text = str(display() if display else value if value is not None else "")
        if isinstance(record, PopulationRecord) and not unmask:
            if name == "id_number":
                text = mask_id_number(text)
            elif name == "name":
                text = mask_name(text)
        shown.append((str(getattr(field, "verbose_name", name)), text))
    return shown
