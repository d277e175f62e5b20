"""The issuing department's licence pages (证照管理): the licences its approvers and heads may
manage, each with its fields, versions and history, and the status services behind forms —
suspend (暂停), reinstate (恢复), revoke (注销), renew (换发). Every change takes a reason, is
audited by its service, and shows at public verification from its commit on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from quanban.licences import selectors, services
from quanban.licences.models import Licence
from quanban.licences.pdf import licence_pdf
from quanban.web.case_common import request_user, show_error
from quanban.web.decorators import forbidden, staff_required


class LicenceFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部")), *Licence.Status.choices],
    )
    q = forms.CharField(
        label=gettext_lazy("证照标识、持证主体或办件编号"), max_length=100, required=False
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("理由"),
        max_length=services.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


# The actions of the page: (service, the success message); the statuses each may start from are
# the services' own (services.ALLOWED_FROM).
ACTIONS: dict[str, tuple[Callable[..., Licence], Any]] = {
    "suspend": (services.licence_suspend, gettext_lazy("证照已暂停。")),
    "reinstate": (services.licence_reinstate, gettext_lazy("证照已恢复有效。")),
    "revoke": (services.licence_revoke, gettext_lazy("证照已注销。")),
    "renew": (services.licence_renew, gettext_lazy("已换发新版本证照。")),
}
ACTION_LABELS = {
    "suspend": gettext_lazy("暂停"),
    "reinstate": gettext_lazy("恢复"),
    "revoke": gettext_lazy("注销"),
    "renew": gettext_lazy("换发"),
}
AUDIT_LABELS = {
    "licence.issue": gettext_lazy("签发"),
    "licence.suspend": gettext_lazy("暂停"),
    "licence.reinstate": gettext_lazy("恢复"),
    "licence.revoke": gettext_lazy("注销"),
    "licence.supersede": gettext_lazy("被新版本替代"),
    "licence.renew": gettext_lazy("换发"),
}


def _licence(user: User, licence_id: int) -> Licence:
    try:
        return selectors.licence_get_for_staff(user=user, licence_id=licence_id)
    except NotFound as error:
        raise Http404(str(error)) from error


@staff_required()
@require_GET
def licences(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not selectors.licence_staff_may_list(user):
        return forbidden(request, _("只有颁证部门的审批人员或负责人可以管理证照。"))
    form = LicenceFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    found = selectors.licence_list_for_staff(
        user=user, status=filters.get("status") or "", query=filters.get("q") or ""
    )
    page = Paginator(found, selectors.STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = [(licence, selectors.holder_code_for(user, licence)) for licence in page]
    return render(
        request,
        "web/licences/staff_list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


def _detail(
    request: HttpRequest, licence: Licence, bound: tuple[str, forms.Form] | None = None
) -> HttpResponse:
    user = request_user(request)
    action_forms = []
    for name in ACTIONS:
        if licence.status not in services.ALLOWED_FROM[name]:
            continue
        if bound and bound[0] == name:
            form = bound[1]
        else:
            form = ReasonForm(prefix=name, initial={"version": licence.row_version})
        action_forms.append((name, ACTION_LABELS[name], form))
    # A refused change whose form the licence's status no longer offers: its reason on top.
    refused = []
    if bound and bound[0] not in {name for name, _label, _form in action_forms}:
        refused = [str(error) for errors in bound[1].errors.values() for error in errors]
    versions = selectors.licence_versions(licence)
    history = [
        (record, AUDIT_LABELS.get(record.action, record.action))
        for record in selectors.licence_history(versions)
    ]
    return render(
        request,
        "web/licences/staff_detail.html",
        {
            "licence": licence,
            "holder_code": selectors.holder_code_for(user, licence),
            "status_label": selectors.RESULT_LABELS[selectors.licence_status_today(licence)],
            "fields": selectors.fields_of(licence, public=False),
            "versions": versions,
            "history": history,
            "action_forms": action_forms,
            "refused": refused,
        },
        status=400 if bound else 200,
    )


@staff_required()
@require_GET
def licence_detail(request: HttpRequest, licence_id: int) -> HttpResponse:
    return _detail(request, _licence(request_user(request), licence_id))


@staff_required()
@require_POST
def licence_action(request: HttpRequest, licence_id: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404(_("没有这项操作。"))
    user = request_user(request)
    licence = _licence(user, licence_id)
    service, message = ACTIONS[action]
    form = ReasonForm(request.POST, prefix=action)
    if form.is_valid():
        try:
            changed = service(
                licence=licence,
                user=user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, str(message))
            return redirect("web:licence_staff_detail", licence_id=changed.pk)
    licence.refresh_from_db()
    return _detail(request, licence, (action, form))


@staff_required()
@require_GET
def licence_staff_pdf(request: HttpRequest, licence_id: int) -> HttpResponse:
    licence = _licence(request_user(request), licence_id)
    content = licence_pdf(licence, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="licence-{licence.serial}-{licence.version:03d}.pdf"'
    )
    return response
