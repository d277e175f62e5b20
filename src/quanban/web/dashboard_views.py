"""The supervision dashboard (数据看板): figures, charts with their tables, and an Excel copy.

One page for supervisors (every department) and department heads (their own); anyone else gets
403 from the selectors. Every chart's numbers are a table on the page (it works without
JavaScript) and a sheet of the Excel download, with the same filters.
"""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font

from quanban.accounts.models import User
from quanban.core import clock
from quanban.supervision import dashboards
from quanban.web.decorators import staff_required

ITEM_ROWS = 20


class DashboardFilterForm(forms.Form):
    first_day = forms.DateField(
        label=gettext_lazy("开始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    last_day = forms.DateField(
        label=gettext_lazy("截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    district = forms.TypedChoiceField(
        label=gettext_lazy("区县"), required=False, coerce=int, empty_value=None
    )
    department = forms.TypedChoiceField(
        label=gettext_lazy("部门"), required=False, coerce=int, empty_value=None
    )
    item = forms.TypedChoiceField(
        label=gettext_lazy("事项"), required=False, coerce=int, empty_value=None
    )
    days = forms.IntegerField(
        label=gettext_lazy("预测工作日数"),
        required=False,
        min_value=1,
        max_value=30,
        widget=forms.NumberInput(attrs={"min": 1, "max": 30}),
    )

    def __init__(self, *args: Any, options: dict[str, list[tuple[int, str]]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        everything = [("", _("全部"))]
        self.fields["district"].choices = everything + options["districts"]  # type: ignore[attr-defined]
        self.fields["department"].choices = everything + options["departments"]  # type: ignore[attr-defined]
        self.fields["item"].choices = everything + options["items"]  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _filters(
    request: HttpRequest, user: User
) -> tuple[DashboardFilterForm, dashboards.Filters, int]:
    options = dashboards.dashboard_options(user=user)
    form = DashboardFilterForm(request.GET or None, options=options)
    default = dashboards.filters_this_month(clock.today())
    data: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    filters = dashboards.Filters(
        first_day=data.get("first_day") or default.first_day,
        last_day=data.get("last_day") or default.last_day,
        district_id=data.get("district"),
        department_id=data.get("department"),
        item_id=data.get("item"),
    )
    return form, filters, data.get("days") or dashboards.FORECAST_DAYS


def _numbers(user: User, filters: dashboards.Filters, days: int) -> dict[str, Any]:
    numbers: dict[str, Any] = {
        "summary": dashboards.dashboard_summary(user=user, filters=filters),
        "trend": dashboards.dashboard_trend(user=user, filters=filters),
        "departments": dashboards.dashboard_breakdown(
            user=user, filters=filters, dimension="department"
        ),
        "districts": dashboards.dashboard_district_grid(user=user, filters=filters),
        "items": dashboards.dashboard_breakdown(user=user, filters=filters, dimension="item")[
            :ITEM_ROWS
        ],
        "channels": dashboards.dashboard_breakdown(user=user, filters=filters, dimension="channel"),
        "forecast": dashboards.dashboard_forecast(user=user, filters=filters, days=days),
        "offices": [],
    }
    if filters.department_id is not None:
        numbers["offices"] = dashboards.dashboard_breakdown(
            user=user, filters=filters, dimension="office"
        )
    return numbers


def _breakdown_columns() -> list[tuple[str, str, str]]:
    """(key, label, format) of a breakdown table's columns; format: n number, p share, d days."""
    return [
        ("open", _("在办"), "n"),
        ("yellow", _("黄牌"), "n"),
        ("red", _("红牌"), "n"),
        ("received", _("收件"), "n"),
        ("finished", _("办结"), "n"),
        ("on_time_rate", _("按时办结率"), "p"),
        ("average_days", _("平均办理工作日"), "d"),
        ("p90_days", _("90%办结工作日"), "d"),
        ("on_the_spot_share", _("即办比例"), "p"),
        ("online_share", _("网办率"), "p"),
        ("no_visit_share", _("不见面审批占比"), "p"),
    ]


def _summary_rows(summary: dict[str, Any]) -> list[tuple[str, Any, str]]:
    return [
        (_("在办件"), summary["open"], "n"),
        (_("其中按时（未超期）"), summary["on_time_now"], "n"),
        (_("黄牌办件"), summary["yellow"], "n"),
        (_("红牌办件"), summary["red"], "n"),
        (_("待办任务"), summary["tasks_open"], "n"),
        (_("黄牌任务"), summary["tasks_yellow"], "n"),
        (_("红牌任务"), summary["tasks_red"], "n"),
        (_("收件"), summary["received"], "n"),
        (_("受理"), summary["accepted"], "n"),
        (_("办结"), summary["finished"], "n"),
        (_("按时办结"), summary["finished_on_time"], "n"),
        (_("按时办结率"), summary["on_time_rate"], "p"),
        (_("平均办理工作日"), summary["average_days"], "d"),
        (_("90%办结工作日"), summary["p90_days"], "d"),
        (_("即办比例"), summary["on_the_spot_share"], "p"),
        (_("秒批比例"), summary["instant_share"], "p"),
        (_("网办率"), summary["online_share"], "p"),
        (_("不见面审批占比"), summary["no_visit_share"], "p"),
        (_("材料总数"), summary["materials"], "n"),
        (_("共享获取材料"), summary["materials_fetched"], "n"),
        (_("复用历史材料"), summary["materials_reused"], "n"),
        (_("材料免交比例"), summary["material_reduction"], "p"),
    ]


def _trend_columns() -> list[tuple[str, str, str]]:
    return [
        ("received", _("收件"), "n"),
        ("accepted", _("受理"), "n"),
        ("finished", _("办结"), "n"),
        ("finished_on_time", _("按时办结"), "n"),
    ]


def _forecast_columns() -> list[tuple[str, str, str]]:
    return [
        ("overdue", _("已超期"), "n"),
        ("due_soon", _("即将到期"), "n"),
        ("pace", _("近期日均办结"), "d"),
        ("forecast_red", _("预计转红"), "n"),
    ]


def _charts(numbers: dict[str, Any], days: int) -> dict[str, Any]:
    """What the charts draw (dashboard.js), with their translated labels."""
    trend = numbers["trend"]
    departments = numbers["departments"]
    districts = numbers["districts"]
    forecast = numbers["forecast"]
    return {
        "trend": {
            "categories": [row["label"] for row in trend],
            "series": [
                {"name": _("收件"), "data": [row["received"] for row in trend]},
                {"name": _("办结"), "data": [row["finished"] for row in trend]},
                {"name": _("按时办结"), "data": [row["finished_on_time"] for row in trend]},
            ],
        },
        "departments": {
            "categories": [row["label"] for row in departments],
            "series": [
                {"name": _("办结"), "data": [row["finished"] for row in departments]},
                {"name": _("在办"), "data": [row["open"] for row in departments]},
                {"name": _("红牌"), "data": [row["red"] for row in departments]},
            ],
        },
        "districts": {
            "categories": [row["label"] for row in districts],
            "rows": [_("办结"), _("在办"), _("红牌")],
            "values": [
                [i, j, row[key]]
                for i, row in enumerate(districts)
                for j, key in enumerate(("finished", "open", "red"))
            ],
        },
        "forecast": {
            "categories": [row["label"] for row in forecast],
            "series": [
                {"name": _("即将到期"), "data": [row["due_soon"] for row in forecast]},
                {"name": _("预计转红"), "data": [row["forecast_red"] for row in forecast]},
            ],
            "days": days,
        },
    }


def _display(value: Any, fmt: str) -> str:
    if value is None:
        return "—"
    if fmt == "p":
        return f"{value * 100:.1f}%"
    if fmt == "d":
        return f"{value:g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(
    first: str, columns: list[tuple[str, str, str]], rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """A table as the page shows it: header labels and display strings."""
    return {
        "head": [first, *(name for _key, name, _fmt in columns)],
        "rows": [
            [row["label"], *(_display(row[key], fmt) for key, _name, fmt in columns)]
            for row in rows
        ],
    }


@staff_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form, filters, days = _filters(request, user)
    numbers = _numbers(user, filters, days)
    query = request.GET.urlencode()
    return render(
        request,
        "web/dashboard/dashboard.html",
        {
            "form": form,
            "filters": filters,
            "days": days,
            "summary": [
                (name, _display(value, fmt))
                for name, value, fmt in _summary_rows(numbers["summary"])
            ],
            "trend": _table(_("日期"), _trend_columns(), numbers["trend"]),
            "departments": _table(_("部门"), _breakdown_columns(), numbers["departments"]),
            "districts": _table(_("区县"), _breakdown_columns(), numbers["districts"]),
            "items": _table(_("事项"), _breakdown_columns(), numbers["items"]),
            "channels": _table(_("申报渠道"), _breakdown_columns(), numbers["channels"]),
            "offices": _table(_("处(科)室"), _breakdown_columns(), numbers["offices"]),
            "forecast": _table(_("部门"), _forecast_columns(), numbers["forecast"]),
            "charts": _charts(numbers, days),
            "query": query,
        },
    )


def _write_sheet(
    book: Workbook,
    title: str,
    first: str,
    columns: list[tuple[str, str, str]],
    rows: list[dict[str, Any]],
    *,
    label: str = "label",
) -> None:
    sheet = book.create_sheet(title)
    sheet.append([first, *(name for _key, name, _fmt in columns)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row[label], *(row[key] for key, _name, _fmt in columns)])
    for cells in sheet.iter_rows(min_row=2):
        for (_key, _name, fmt), cell in zip(columns, cells[1:], strict=True):
            if fmt == "p":
                cell.number_format = "0.0%"
    sheet.column_dimensions["A"].width = 28


@staff_required()
def dashboard_export(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _form, filters, days = _filters(request, user)
    numbers = _numbers(user, filters, days)
    book = Workbook()
    overview = book.active
    assert overview is not None
    overview.title = _("概览")
    overview.append([_("指标"), _("数值")])
    overview.append([_("开始日期"), filters.first_day])
    overview.append([_("截止日期"), filters.last_day])
    for name, value, fmt in _summary_rows(numbers["summary"]):
        overview.append([name, value])
        if fmt == "p":
            overview.cell(row=overview.max_row, column=2).number_format = "0.0%"
    for cell in overview[1]:
        cell.font = Font(bold=True)
    overview.column_dimensions["A"].width = 24
    _write_sheet(book, _("趋势"), _("日期"), _trend_columns(), numbers["trend"])
    _write_sheet(book, _("部门"), _("部门"), _breakdown_columns(), numbers["departments"])
    _write_sheet(book, _("区县"), _("区县"), _breakdown_columns(), numbers["districts"])
    _write_sheet(book, _("事项"), _("事项"), _breakdown_columns(), numbers["items"])
    _write_sheet(book, _("渠道"), _("申报渠道"), _breakdown_columns(), numbers["channels"])
    if numbers["offices"]:
        _write_sheet(book, _("处(科)室"), _("处(科)室"), _breakdown_columns(), numbers["offices"])
    _write_sheet(book, _("转红预测"), _("部门"), _forecast_columns(), numbers["forecast"])
    out = io.BytesIO()
    book.save(out)
    name = f"dashboard-{filters.first_day:%Y%m%d}-{filters.last_day:%Y%m%d}.xlsx"
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
