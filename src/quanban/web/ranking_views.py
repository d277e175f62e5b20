"""末位 pages (docs/rankings.md): the public rankings, the supervisors' page (compute, recompute,
weights versions) and a department's year-end report (Excel, PDF)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from quanban.accounts.models import OrgUnit, User
from quanban.core import clock
from quanban.core.errors import ApplicationError, NotFound, PermissionDenied
from quanban.feedback import ranking_selectors as selectors
from quanban.feedback.models import RankingPeriod, RankingRow
from quanban.feedback.ranking_reports import year_report_pdf, year_report_workbook
from quanban.feedback.ranking_weights import DEFAULT_WEIGHTS, WEIGHT_LABELS, score_weights_create
from quanban.feedback.rankings import ranking_compute
from quanban.supervision.selectors import is_supervisor
from quanban.web.case_common import show_error
from quanban.web.decorators import staff_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCOPE_TITLES = {
    RankingRow.Scope.DEPARTMENT: gettext_lazy("部门排名"),
    RankingRow.Scope.DISTRICT: gettext_lazy("区县排名"),
    RankingRow.Scope.HALL: gettext_lazy("服务大厅排名"),
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _percent(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


def _line(row: RankingRow) -> dict[str, Any]:
    movement = row.movement
    return {
        "row": row,
        "satisfaction": _percent(row.satisfaction_rate),
        "rectification": _percent(row.rectification_rate),
        "on_time": _percent(row.on_time_rate),
        "per_1000": "—" if row.complaints_per_1000 is None else row.complaints_per_1000,
        "upheld": _percent(row.upheld_share),
        "findings": "—" if row.inspection_findings is None else row.inspection_findings,
        "movement": movement,
        "moved": ""
        if movement is None
        else ("up" if movement > 0 else "down" if movement < 0 else "same"),
        "steps": abs(movement) if movement else 0,
    }


@require_GET
def public_rankings(request: HttpRequest) -> HttpResponse:
    """The published rankings of a month or a year (no sign-in): the lists with the bottom
    highlighted, the movement, the weights version; each name opens its public results."""
    periods = selectors.ranking_periods()
    period: RankingPeriod | None = None
    try:
        period = selectors.ranking_period_get(request.GET.get("period", ""))
    except NotFound as error:
        if request.GET.get("period"):
            raise Http404(str(error)) from error
    lists = selectors.ranking_lists(period) if period is not None else {}
    departments = lists.get(RankingRow.Scope.DEPARTMENT, [])
    chart = {
        "categories": [row.unit.name for row in departments],
        "series": [{"name": str(_("综合得分")), "data": [float(row.score) for row in departments]}],
    }
    return render(
        request,
        "web/feedback/rankings.html",
        {
            "period": period,
            "periods": periods,
            "lists": [
                (scope, SCOPE_TITLES[scope], [_line(row) for row in lists.get(scope, [])])
                for scope in (
                    RankingRow.Scope.DEPARTMENT,
                    RankingRow.Scope.DISTRICT,
                    RankingRow.Scope.HALL,
                )
            ],
            "weights": selectors.weight_lines(period.weights) if period is not None else [],
            "chart": chart,
        },
    )


# --- The supervisors' page -----------------------------------------------------------------------


class ComputeForm(forms.Form):
    period = forms.CharField(
        label=gettext_lazy("期间（月份 YYYY-MM 或年份 YYYY）"),
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "2026-06", "inputmode": "numeric"}),
    )
    recompute = forms.BooleanField(
        label=gettext_lazy("重新计算已定稿的期间（现有结果将被替换，操作记入审计记录）"),
        required=False,
    )

    def clean_period(self) -> tuple[str, dt.date]:
        parsed = selectors.parse_period(self.cleaned_data["period"].strip())
        if parsed is None:
            raise forms.ValidationError(_("期间格式应为 YYYY-MM 或 YYYY。"))
        return parsed


class WeightsForm(forms.Form):
    effective_from = forms.DateField(
        label=gettext_lazy("生效月份"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    bottom_n = forms.IntegerField(
        label=gettext_lazy("末位数"), min_value=1, max_value=100, initial=1
    )
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)

    def __init__(
        self, *args: Any, initial_weights: dict[str, Decimal] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        for key in DEFAULT_WEIGHTS:
            self.fields[f"w_{key}"] = forms.DecimalField(
                label=WEIGHT_LABELS[key],
                min_value=Decimal(0),
                max_value=Decimal(1000),
                decimal_places=2,
                initial=(initial_weights or DEFAULT_WEIGHTS)[key],
            )


def _staff_page(
    request: HttpRequest,
    compute_form: ComputeForm | None = None,
    weights_form: WeightsForm | None = None,
) -> HttpResponse:
    from quanban.feedback.ranking_weights import weights_in_force, weights_of

    current = weights_of(weights_in_force(clock.today()))
    periods = selectors.ranking_periods()
    years = sorted({p.start.year for p in periods}, reverse=True)
    return render(
        request,
        "web/feedback/rankings_staff.html",
        {
            "periods": periods,
            "versions": [
                (version, selectors.weight_lines(version))
                for version in selectors.weight_versions()
            ],
            "compute_form": compute_form or ComputeForm(),
            "weights_form": weights_form or WeightsForm(initial_weights=current),
            "departments": OrgUnit.objects.filter(
                kind=OrgUnit.Kind.DEPARTMENT, is_active=True
            ).order_by("sort", "path"),
            "years": years or [clock.today().year],
        },
    )


def _supervisor(request: HttpRequest) -> User:
    user = _user(request)
    if not is_supervisor(user):
        raise PermissionDenied(_("只有督查人员可以管理排名。"), code="supervisor_required")
    return user


@staff_required()
@require_GET
def staff_rankings(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    return _staff_page(request)


@staff_required()
@require_POST
def compute(request: HttpRequest) -> HttpResponse:
    user = _supervisor(request)
    form = ComputeForm(request.POST)
    if form.is_valid():
        kind, day = form.cleaned_data["period"]
        try:
            period = ranking_compute(
                kind=kind, day=day, user=user, recompute=form.cleaned_data["recompute"]
            )
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(
                request,
                _("已计算 %(period)s 的排名（第 %(revision)s 次计算）。")
                % {"period": period.label, "revision": period.revision},
            )
            return redirect("feedback:staff_rankings")
    return _staff_page(request, compute_form=form)


@staff_required()
@require_POST
def weights(request: HttpRequest) -> HttpResponse:
    user = _supervisor(request)
    form = WeightsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            version = score_weights_create(
                user=user,
                effective_from=data["effective_from"],
                weights={key: data[f"w_{key}"] for key in DEFAULT_WEIGHTS},
                bottom_n=data["bottom_n"],
                note=data["note"],
            )
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(
                request, _("已新增权重版本 v%(version)s。") % {"version": version.version}
            )
            return redirect("feedback:staff_rankings")
    return _staff_page(request, weights_form=form)


# --- The year-end report -------------------------------------------------------------------------


def _history(request: HttpRequest, year: int, department_id: int) -> selectors.DepartmentYear:
    if not 2000 <= year <= 2100:
        raise Http404(_("年份无效。"))
    try:
        department = selectors.report_department_get(
            user=_user(request), department_id=department_id
        )
    except NotFound as error:
        raise Http404(str(error)) from error
    return selectors.department_year(department=department, year=year)


@staff_required()
@require_GET
def report_xlsx(request: HttpRequest, year: int, department_id: int) -> HttpResponse:
    history = _history(request, year, department_id)
    response = HttpResponse(year_report_workbook(history), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="ranking-{year}-{department_id}.xlsx"'
    return response


@staff_required()
@require_GET
def report_pdf(request: HttpRequest, year: int, department_id: int) -> HttpResponse:
    history = _history(request, year, department_id)
    response = HttpResponse(year_report_pdf(history), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="ranking-{year}-{department_id}.pdf"'
    return response
