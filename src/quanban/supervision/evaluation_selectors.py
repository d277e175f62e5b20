"""Reads of the monthly evaluation (绩效评估), with who may read what.

- A supervisor (督查人员) reads every row of every month.
- A department head (部门负责人) reads their own departments' rows: the department itself, its
  offices, and its staff (by the department on their account). Windows belong to halls, not to a
  department, so a department head sees no window rows.
- Anyone else is refused (403).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case as Choose
from django.db.models import F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, RoleAssignment, User
from quanban.accounts.roles import Role
from quanban.core.errors import NotFound, PermissionDenied
from quanban.supervision.models import EvaluationMonth, EvaluationRow
from quanban.supervision.selectors import is_supervisor

Scope = EvaluationRow.Scope

# What a month's table may be sorted by (a leading "-" for descending).
SORTS = (
    "score",
    "received",
    "accepted",
    "finished",
    "finished_on_time",
    "on_time_rate",
    "yellow_cards",
    "red_cards",
    "ratings",
    "rating_average",
    "complaints",
)
DEFAULT_SORT = "-score"


@dataclass(frozen=True)
class EvaluationAccess:
    everything: bool
    departments: tuple[int, ...] = ()


def evaluation_access(user: User) -> EvaluationAccess:
    """What of the evaluation the user may read; refused when nothing."""
    if is_supervisor(user):
        return EvaluationAccess(everything=True)
    paths = list(
        RoleAssignment.objects.filter(user=user, role=Role.DEPARTMENT_HEAD).values_list(
            "org_unit__path", flat=True
        )
    )
    if paths:
        under = Q()
        for path in paths:
            under |= Q(path__startswith=path)
        departments = tuple(
            OrgUnit.objects.filter(under, kind=OrgUnit.Kind.DEPARTMENT).values_list("pk", flat=True)
        )
        if departments:
            return EvaluationAccess(everything=False, departments=departments)
    raise PermissionDenied(
        _("只有督查人员和部门负责人可以查看绩效评估。"), code="evaluation_forbidden"
    )


def evaluation_may_read(user: User) -> bool:
    try:
        evaluation_access(user)
    except PermissionDenied:
        return False
    return True


def evaluation_may_recompute(user: User) -> bool:
    return is_supervisor(user)


def evaluation_month_list_for_user(*, user: User) -> QuerySet[EvaluationMonth]:
    evaluation_access(user)
    return EvaluationMonth.objects.select_related("computed_by").order_by("-month")


def parse_month(text: str) -> dt.date | None:
    """ "2026-10" → 2026-10-01; None when it is not a month."""
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        return None


def evaluation_month_get_for_user(*, user: User, month: dt.date) -> EvaluationMonth:
    evaluation_access(user)
    evaluation = (
        EvaluationMonth.objects.select_related("computed_by").filter(month=month.replace(day=1))
    ).first()
    if evaluation is None:
        raise NotFound(
            _("%(month)s 的绩效评估尚未计算。") % {"month": month.strftime("%Y-%m")},
            code="evaluation_not_found",
        )
    return evaluation


def _visible(rows: QuerySet[Any], access: EvaluationAccess) -> QuerySet[Any]:
    if access.everything:
        return rows
    ids = access.departments
    return rows.filter(
        Q(scope=Scope.DEPARTMENT, org_unit_id__in=ids)
        | Q(scope=Scope.OFFICE, org_unit__parent_id__in=ids)
        | Q(scope=Scope.STAFF, user__department_id__in=ids)
    )


def evaluation_rows_for_user(
    *,
    user: User,
    evaluation: EvaluationMonth,
    scope: str | None = None,
    sort: str = DEFAULT_SORT,
) -> QuerySet[EvaluationRow]:
    """The month's rows the user may read, of one scope (or all), sorted by ``sort`` (one of
    ``SORTS``, "-" for descending; ties by name order of insertion)."""
    access = evaluation_access(user)
    rows: QuerySet[Any] = evaluation.rows.select_related(
        "user", "user__department", "org_unit", "org_unit__parent"
    ).annotate(
        on_time_rate=Choose(
            When(finished=0, then=Value(None)),
            default=Cast("finished_on_time", FloatField()) / Cast("finished", FloatField()),
            output_field=FloatField(),
        )
    )
    if scope:
        rows = rows.filter(scope=scope)
    rows = _visible(rows, access)
    key = sort.lstrip("-")
    if key not in SORTS:
        key, sort = "score", DEFAULT_SORT
    field = F(key)
    ordered = field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True)
    return rows.order_by("scope", ordered, "pk")
