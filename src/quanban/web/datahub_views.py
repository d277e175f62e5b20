"""The data hub's staff pages: the material-reduction rate (减材料) and a registry lookup whose
every query is logged with its purpose (quanban.datahub)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quanban.accounts.models import User
from quanban.accounts.roles import Perm
from quanban.core import clock
from quanban.core.errors import ApplicationError
from quanban.datahub.models import Registry
from quanban.datahub.selectors import material_reduction_for_user, registry_record_fields
from quanban.datahub.services import registry_query
from quanban.web.case_common import show_error
from quanban.web.decorators import staff_required


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(forms.Form):
    first_day = forms.DateField(label=gettext_lazy("开始日期"), widget=_date_input())
    last_day = forms.DateField(label=gettext_lazy("结束日期"), widget=_date_input())


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


@staff_required()
def reduction(request: HttpRequest) -> HttpResponse:
    """减材料: per item and department, the required materials fetched or reused ÷ required."""
    today = clock.today()
    initial = {"first_day": today.replace(day=1), "last_day": today}
    form = PeriodForm(request.GET or None, initial=initial)
    period: dict[str, dt.date] = dict(initial)
    if request.GET and form.is_valid():
        period = {k: form.cleaned_data[k] for k in ("first_day", "last_day")}
    context: dict[str, Any] = {"form": form}
    try:
        report = material_reduction_for_user(user=_user(request), **period)
    except ApplicationError as error:
        show_error(form, error)  # a PermissionDenied goes on to the 403 page
        return render(request, "web/datahub/reduction.html", context)
    context.update(
        report=report,
        total_percent=_percent(report.total.rate),
        chart={
            "categories": [r.department_name for r in report.departments],
            "series": [
                {"name": _("共享获取"), "data": [r.fetched for r in report.departments]},
                {"name": _("复用"), "data": [r.reused for r in report.departments]},
                {
                    "name": _("需申请人提交"),
                    "data": [r.required - r.reduced for r in report.departments],
                },
            ],
        },
    )
    context["item_rows"] = [(r, _percent(r.rate)) for r in report.items]
    context["department_rows"] = [(r, _percent(r.rate)) for r in report.departments]
    return render(request, "web/datahub/reduction.html", context)


class LookupForm(forms.Form):
    registry = forms.ChoiceField(label=gettext_lazy("数据库"), choices=Registry.choices)
    key = forms.CharField(
        label=gettext_lazy("公民身份号码或统一社会信用代码"), max_length=18, min_length=18
    )
    purpose = forms.CharField(label=gettext_lazy("查询目的"), max_length=200)


@staff_required(Perm.BUSINESS_WRITE)
def registry_lookup(request: HttpRequest) -> HttpResponse:
    """Look a person or an entity up in a registry, for a stated purpose (logged)."""
    user = _user(request)
    form = LookupForm(request.POST or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            answer = registry_query(
                user=user,
                registry=form.cleaned_data["registry"],
                key=form.cleaned_data["key"],
                purpose=form.cleaned_data["purpose"],
            )
        except ApplicationError as error:
            show_error(form, error)
        else:
            # A fresh form: the number asked for is not echoed back (it may be unmaskable).
            context["form"] = LookupForm()
            context["query"] = answer.query
            context["record"] = answer.record
            if answer.record is not None:
                context["fields"] = registry_record_fields(answer.record, user=user)
                context["owner"] = answer.record.owner.name
                context["status"] = answer.record.get_status_display()
    return render(request, "web/datahub/lookup.html", context)
