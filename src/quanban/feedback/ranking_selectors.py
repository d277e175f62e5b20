"""Reads of the rankings (末位, docs/rankings.md): the published lists, a department's history,
and who may read the year-end report.

The lists are public (no sign-in); the staff page and the computing forms are the supervisors';
a department's year-end report is the supervisors' and that department's heads'.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, User
from quanban.core.errors import NotFound, PermissionDenied
from quanban.feedback.models import RankingPeriod, RankingRow, ScoreWeights
from quanban.feedback.ranking_weights import WEIGHT_LABELS, weights_of
from quanban.supervision.evaluation import next_month
from quanban.supervision.evaluation_selectors import evaluation_access

Kind = RankingPeriod.Kind
Scope = RankingRow.Scope
_PERIOD = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def parse_period(text: str) -> tuple[str, dt.date] | None:
    """``2026-06`` → a month, ``2026`` → a year; None for anything else."""
    found = _PERIOD.match(text or "")
    if found is None:
        return None
    year, month = int(found.group(1)), found.group(2)
    try:
        if month is None:
            return Kind.YEAR, dt.date(year, 1, 1)
        return Kind.MONTH, dt.date(year, int(month), 1)
    except ValueError:
        return None


def ranking_periods() -> list[RankingPeriod]:
    """Every computed period, months first, newest first, with its weights version."""
    return list(RankingPeriod.objects.select_related("weights").order_by("kind", "-start"))


def ranking_period_get(text: str = "") -> RankingPeriod:
    """The period named (``2026-06`` or ``2026``), else the newest month; NotFound when none."""
    periods = RankingPeriod.objects.select_related("weights")
    if text:
        parsed = parse_period(text)
        period = (
            periods.filter(kind=parsed[0], start=parsed[1]).first() if parsed is not None else None
        )
    else:
        period = periods.filter(kind=Kind.MONTH).order_by("-start").first()
    if period is None:
        raise NotFound(_("找不到该期间的排名。"), code="ranking_not_found")
    return period


def ranking_lists(period: RankingPeriod) -> dict[str, list[RankingRow]]:
    """The period's lists by scope (department, district, hall), each in order (rank, name)."""
    lists: dict[str, list[RankingRow]] = {scope: [] for scope in Scope.values}
    for row in period.rows.select_related("unit").order_by("scope", "rank", "unit__name", "pk"):
        lists[row.scope].append(row)
    return lists


@dataclass(frozen=True)
class WeightLine:
    key: str
    label: str
    value: Decimal


def weight_lines(version: ScoreWeights) -> list[WeightLine]:
    return [
        WeightLine(key=key, label=str(WEIGHT_LABELS[key]), value=value)
        for key, value in weights_of(version).items()
    ]


def weight_versions() -> list[ScoreWeights]:
    return list(ScoreWeights.objects.select_related("created_by").order_by("-effective_from"))


# --- A department's year -------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentYear:
    department: OrgUnit
    year: int
    months: list[tuple[dt.date, RankingRow | None, int]]  # month, its row, the list's length
    year_row: RankingRow | None
    year_size: int
    versions: list[ScoreWeights]  # the weights versions the year's periods used


def report_department_get(*, user: User, department_id: int) -> OrgUnit:
    """A department whose year-end report the user may read: supervisors any, a department head
    their own (as in the evaluation); NotFound / PermissionDenied otherwise."""
    department = OrgUnit.objects.filter(pk=department_id, kind=OrgUnit.Kind.DEPARTMENT).first()
    if department is None:
        raise NotFound(_("找不到该部门。"), code="department_not_found")
    access = evaluation_access(user)
    if not access.everything and department.pk not in access.departments:
        raise PermissionDenied(_("您只能查看本部门的年度报告。"), code="forbidden")
    return department


def department_year(*, department: OrgUnit, year: int) -> DepartmentYear:
    """The department's ranking history of the year: each month's row (or none), the year's
    row, and the sizes of the lists. Three queries."""
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    rows = {
        (row.period.kind, row.period.start): row
        for row in RankingRow.objects.filter(
            unit=department,
            scope=Scope.DEPARTMENT,
            period__start__gte=start,
            period__start__lt=end,
        ).select_related("period", "period__weights")
    }
    from django.db.models import Count

    sizes = {
        (kind, first): n
        for kind, first, n in RankingRow.objects.filter(
            scope=Scope.DEPARTMENT, period__start__gte=start, period__start__lt=end
        )
        .order_by()
        .values_list("period__kind", "period__start")
        .annotate(n=Count("pk"))
    }
    months = []
    month = start
    while month < end:
        months.append((month, rows.get((Kind.MONTH, month)), sizes.get((Kind.MONTH, month), 0)))
        month = next_month(month)
    versions = {row.period.weights.version: row.period.weights for row in rows.values()}
    return DepartmentYear(
        department=department,
        year=year,
        months=months,
        year_row=rows.get((Kind.YEAR, start)),
        year_size=sizes.get((Kind.YEAR, start), 0),
        versions=[versions[v] for v in sorted(versions)],
    )
