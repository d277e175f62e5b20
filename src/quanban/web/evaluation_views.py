"""The workbench's monthly evaluation (绩效评估): months, a month's table per scope, its Excel file,
and for supervisors computing a past month and recomputing one (docs/evaluation.md)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from quanban.accounts.models import User
from quanban.core.errors import ApplicationError, NotFound
from quanban.supervision import evaluation_selectors as selectors
from quanban.supervision.evaluation import (
    evaluation_compute,
    evaluation_workbook,
    on_time_rate,
    row_name,
    row_parent,
)
from quanban.supervision.models import EvaluationMonth, EvaluationRow
from quanban.web.case_common import show_error
from quanban.web.decorators import staff_required

PAGE_SIZE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The table's sortable columns, in the order they show.
COLUMNS = (
    ("received", gettext_lazy("收件数")),
    ("accepted", gettext_lazy("受理数")),
    ("finished", gettext_lazy("办结数")),
    ("finished_on_time", gettext_lazy("按时办结数")),
    ("on_time_rate", gettext_lazy("按时办结率")),
    ("yellow_cards", gettext_lazy("黄牌数")),
    ("red_cards", gettext_lazy("红牌数")),
    ("ratings", gettext_lazy("评价数")),
    ("rating_average", gettext_lazy("平均评价")),
    ("complaints", gettext_lazy("投诉数")),
    ("score", gettext_lazy("综合得分")),
)


class ComputeForm(forms.Form):
    month = forms.DateField(
        label=gettext_lazy("评估月份"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )


class RecomputeForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("我确认重新计算：本月现有结果将被替换，操作记入审计记录。"),
        required=True,
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _evaluation_or_404(user: User, text: str) -> EvaluationMonth:
    month = selectors.parse_month(text)
    if month is None:
        raise Http404(_("月份格式应为 YYYY-MM。"))
    try:
        return selectors.evaluation_month_get_for_user(user=user, month=month)
    except NotFound as error:
        raise Http404(str(error)) from error


def _percent(rate: Decimal | None) -> str:
    return "" if rate is None else f"{rate * 100:.2f}%"


def _months_page(request: HttpRequest, form: ComputeForm | None = None) -> HttpResponse:
    user = _user(request)
    months = selectors.evaluation_month_list_for_user(user=user)
    supervisor = selectors.evaluation_may_recompute(user)
    return render(
        request,
        "web/evaluation/months.html",
        {
            "months": months,
            "supervisor": supervisor,
            "form": form or (ComputeForm() if supervisor else None),
        },
    )


@staff_required()
@require_GET
def months(request: HttpRequest) -> HttpResponse:
    return _months_page(request)


@staff_required()
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    selectors.evaluation_access(user)
    form = ComputeForm(request.POST)
    if form.is_valid():
        try:
            evaluation = evaluation_compute(month=form.cleaned_data["month"], user=user)
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(
                request, _("已计算 %(month)s 的绩效评估。") % {"month": str(evaluation)}
            )
            return redirect("web:evaluation_month", month=str(evaluation))
    return _months_page(request, form)


def _month_page(
    request: HttpRequest, evaluation: EvaluationMonth, form: RecomputeForm | None = None
) -> HttpResponse:
    user = _user(request)
    scope = request.GET.get("scope", EvaluationRow.Scope.STAFF)
    if scope not in EvaluationRow.Scope.values:
        scope = EvaluationRow.Scope.STAFF
    sort = request.GET.get("sort", selectors.DEFAULT_SORT)
    if sort.lstrip("-") not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    rows = selectors.evaluation_rows_for_user(
        user=user, evaluation=evaluation, scope=scope, sort=sort
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    supervisor = selectors.evaluation_may_recompute(user)
    return render(
        request,
        "web/evaluation/month.html",
        {
            "evaluation": evaluation,
            "scopes": EvaluationRow.Scope.choices,
            "scope": scope,
            "sort": sort,
            "columns": [
                (key, label, f"-{key}" if sort != f"-{key}" else key) for key, label in COLUMNS
            ],
            "page": page,
            "lines": [
                {
                    "row": row,
                    "name": row_name(row),
                    "parent": row_parent(row),
                    "rate_pct": _percent(on_time_rate(row.finished, row.finished_on_time)),
                }
                for row in page
            ],
            "supervisor": supervisor,
            "form": form or (RecomputeForm() if supervisor else None),
        },
    )


@staff_required()
@require_GET
def month(request: HttpRequest, month: str) -> HttpResponse:
    return _month_page(request, _evaluation_or_404(_user(request), month))


@staff_required()
@require_GET
def export(request: HttpRequest, month: str) -> HttpResponse:
    user = _user(request)
    evaluation = _evaluation_or_404(user, month)
    rows = selectors.evaluation_rows_for_user(user=user, evaluation=evaluation)
    response = HttpResponse(
        evaluation_workbook(evaluation=evaluation, rows=rows), content_type=XLSX
    )
    response["Content-Disposition"] = f'attachment; filename="evaluation-{evaluation}.xlsx"'
    return response


@staff_required()
@require_POST
def recompute(request: HttpRequest, month: str) -> HttpResponse:
    user = _user(request)
    evaluation = _evaluation_or_404(user, month)
    form = RecomputeForm(request.POST)
    if form.is_valid():
        try:
            evaluation = evaluation_compute(month=evaluation.month, user=user, recompute=True)
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(
                request,
                _("已重新计算 %(month)s 的绩效评估（第 %(revision)s 次计算）。")
                % {"month": str(evaluation), "revision": evaluation.revision},
            )
            return redirect("web:evaluation_month", month=str(evaluation))
    return _month_page(request, evaluation, form)
