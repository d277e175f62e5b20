"""督查整改 on the workbench: the findings of inspections and experience officers' reports that
are a department's to rectify, with the form to record what was done (docs/supervision.md)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from quanban.accounts.models import User
from quanban.accounts.roles import Perm
from quanban.core.errors import ApplicationError, NotFound
from quanban.supervision import inspections
from quanban.supervision.models import Finding
from quanban.web.case_common import show_error
from quanban.web.decorators import staff_required


class RectifyForm(forms.Form):
    rectification = forms.CharField(
        label=gettext_lazy("整改情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _page(
    request: HttpRequest, failed: tuple[int, RectifyForm] | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    state = request.GET.get("state", "")
    if state not in Finding.State.values:
        state = ""
    rows = []
    for finding in inspections.findings_for_user(user=user, state=state):
        form = None
        if failed is not None and failed[0] == finding.pk:
            form = failed[1]
        elif inspections.may_rectify(user, finding):
            form = RectifyForm(prefix=f"f{finding.pk}")
        rows.append((finding, form))
    return render(
        request,
        "web/workbench/findings.html",
        {"rows": rows, "state": state, "states": Finding.State.choices},
        status=status,
    )


@staff_required()
@require_GET
def findings(request: HttpRequest) -> HttpResponse:
    return _page(request)


@staff_required(Perm.BUSINESS_WRITE)
@require_POST
def finding_rectify(request: HttpRequest, finding_id: int) -> HttpResponse:
    form = RectifyForm(request.POST, prefix=f"f{finding_id}")
    if form.is_valid():
        try:
            inspections.finding_rectify(
                user=_user(request),
                finding_id=finding_id,
                rectification=form.cleaned_data["rectification"],
            )
        except NotFound as error:
            raise Http404(str(error)) from error
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("已保存整改情况。"))
            return redirect("web:workbench_findings")
    return _page(request, failed=(finding_id, form), status=422)
