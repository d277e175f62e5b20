"""What the case pages share: who may see a case or task, showing a service's refusal next to its
field, the version check for services without their own, and the printed notices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import Perm
from quanban.cases import clock as case_clock
from quanban.cases import notices, selectors
from quanban.cases.models import Case, Task
from quanban.catalogue.models import ItemVersion
from quanban.core import clock
from quanban.core.errors import ApplicationError, NotFound, PermissionDenied, StaleEdit
from quanban.core.workdays import CalendarNotCovered
from quanban.web.case_forms import situation_field

CASEWORK = Perm.BUSINESS_WRITE


def stale_message() -> str:
    return _("办件已被他人修改，请刷新后重试。")


def no_window_message() -> str:
    return _(
        "窗口受理须在受理窗口任职：您的角色范围内没有受理窗口。网上申报请在“办件查询”中预审受理。"
    )


def request_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # staff_required let only signed-in staff through
    return user


# --- Reading what the user may see ---------------------------------------------------------------


def case_for_staff(user: User, case_id: int) -> Case:
    """A case the user may see (selectors.case_get_for_staff: online submissions waiting for a
    clerk included), or 404."""
    try:
        return selectors.case_get_for_staff(user=user, case_id=case_id)
    except NotFound:
        raise Http404(_("找不到该办件。")) from None


def task_for_staff(user: User, task_id: int) -> Task:
    try:
        return selectors.task_get_for_user(user=user, task_id=task_id)
    except NotFound as error:
        raise Http404(str(error)) from error


def windows_of(user: User) -> QuerySet[OrgUnit]:
    """The windows the user works at: the windows in the scopes of their business roles."""
    return OrgUnit.objects.filter(
        kind=OrgUnit.Kind.WINDOW, is_active=True, pk__in=selectors.work_unit_ids(user)
    ).order_by("path")


def raw_answers(data: Mapping[str, Any], version: ItemVersion) -> dict[int, int]:
    """``s<seq>=<option seq>`` values that name a real situation and option; others ignored."""
    answers: dict[int, int] = {}
    for situation in version.situations.all():
        raw = str(data.get(situation_field(situation.seq), ""))
        if raw.isdigit() and any(o.seq == int(raw) for o in situation.options.all()):
            answers[situation.seq] = int(raw)
    return answers


def deferral_limit(version: ItemVersion) -> dt.date | None:
    """The promised due date of a case accepted today: 容缺 dates may not pass it."""
    try:
        return case_clock.due_date(clock.today(), version.promised_limit_days)
    except CalendarNotCovered:
        return None


# --- Showing a service's refusal -------------------------------------------------------------


def show_error(
    form: forms.Form, error: ApplicationError, fields: Mapping[str, str] | None = None
) -> None:
    """Put a service's refusal next to the field it names (``fields`` maps the service's field
    names to the form's), or above the form. A stale edit gets the one message to refresh."""
    if isinstance(error, PermissionDenied):
        raise error
    if isinstance(error, NotFound):
        raise Http404(str(error)) from error
    if isinstance(error, StaleEdit):
        form.add_error(None, stale_message())
        return
    name = (fields or {}).get(error.field or "", error.field)
    form.add_error(name if name in form.fields else None, str(error))


def act(request: HttpRequest, call: Callable[[], object], success: str) -> bool:
    """Run one service for a plain button: a refusal becomes an error message, success a note."""
    try:
        call()
    except PermissionDenied:
        raise
    except StaleEdit:
        messages.error(request, stale_message())
        return False
    except ApplicationError as error:
        messages.error(request, str(error))
        return False
    messages.success(request, success)
    return True


# --- Printed notices ------------------------------------------------------------------------


NOTICES: dict[str, Callable[..., bytes]] = {
    "supplement": notices.supplement_notice_pdf,
    "refusal": notices.refusal_notice_pdf,
    "acceptance": notices.acceptance_notice_pdf,
    "decision": notices.decision_notice_pdf,
}


def available_notices(case: Case) -> list[tuple[str, str]]:
    """(kind, title) of the notices the case has given and that still stand, in turn order."""
    state = case.state
    shown = [
        ("supplement", _("补正材料通知书"), bool(case.supplement_notice)),
        ("refusal", _("不予受理通知书"), state == Case.State.REFUSED),
        (
            "acceptance",
            _("受理通知书"),
            state in (Case.State.ACCEPTED, Case.State.DECIDED, Case.State.FINISHED),
        ),
        (
            "decision",
            _("审批决定书"),
            bool(case.decision) and state in (Case.State.DECIDED, Case.State.FINISHED),
        ),
    ]
    return [(kind, title) for kind, title, given in shown if given]


def notice_response(request: HttpRequest, case: Case, kind: str) -> HttpResponse:
    """A printed notice of the case as a PDF; one it never gave (or that was undone) is 404."""
    make = NOTICES.get(kind)
    if make is None:
        raise Http404(_("没有这种通知书。"))
    try:
        pdf = make(case, base_url=request.build_absolute_uri("/").rstrip("/"))
    except ApplicationError as error:
        raise Http404(str(error)) from error
    response = HttpResponse(pdf, content_type="application/pdf")
    name = case.number or f"receipt-{case.pk}"
    response["Content-Disposition"] = f'inline; filename="{kind}-{name}.pdf"'
    return response
