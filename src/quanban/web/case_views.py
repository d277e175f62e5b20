"""Workbench pages of the case runtime: the inbox (待办), the case list and the case page.

Intake at the window lives in case_intake_views. Each handler parses a form, reads through
``quanban.cases.selectors`` and calls ``quanban.cases.services``. A service's refusal is shown
next to the field it names and the form keeps what was typed; a permission refusal becomes the
403 page (``staff_required``); a case or task the user may not see is "not found". Every change
carries the version the user saw: a change made meanwhile by someone else is refused with one
message, to refresh and try again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from quanban.accounts.models import User
from quanban.accounts.roles import Role
from quanban.accounts.selectors import applicant_may_unmask
from quanban.cases import clock as case_clock
from quanban.cases import selectors, services
from quanban.cases.models import Case, CaseExtension, CaseMaterial, CaseSuspension, Task
from quanban.cases.services.runtime import TERMINATE_ROLES, task_may_work, user_has_role_in
from quanban.cases.services.suspensions import EXTENSION_ROLES
from quanban.catalogue import codes
from quanban.core import clock
from quanban.core.errors import ApplicationError
from quanban.core.masking import mask_id_number, mask_phone
from quanban.core.workdays import CalendarNotCovered
from quanban.licences.selectors import licences_of_case
from quanban.licences.services import licence_may_manage
from quanban.web.case_common import (
    CASEWORK,
    act,
    available_notices,
    case_for_staff,
    deferral_limit,
    notice_response,
    request_user,
    show_error,
    stale_message,
    task_for_staff,
)
from quanban.web.case_forms import (
    OUTCOME_LABELS,
    CaseIntakeForm,
    CaseListFilterForm,
    DeliverForm,
    ExtendForm,
    InboxFilterForm,
    SupplyForm,
    SuspendForm,
    TaskCompleteForm,
    TerminateForm,
    VersionForm,
)
from quanban.web.case_intake_views import intake_act, intake_message, show_intake_error
from quanban.web.decorators import staff_required

INBOX_PAGE = 50
LIST_PAGE = 50
HEADS = frozenset({Role.OFFICE_HEAD, Role.DEPARTMENT_HEAD})


# --- The inbox (待办) and the case list ---------------------------------------------------------


@staff_required(CASEWORK)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = InboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    scope = filters.get("scope") or "mine"
    page = request.GET.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    tasks = list(
        selectors.task_inbox(
            user=user,
            scope=scope,
            card=filters.get("card") or "",
            kind=filters.get("kind") or "",
            limit=INBOX_PAGE + 1,
            offset=(number - 1) * INBOX_PAGE,
        )
    )
    query = request.GET.copy()
    query.pop("page", None)
    tabs = query.copy()
    tabs.pop("scope", None)
    return render(
        request,
        "web/cases/inbox.html",
        {
            "form": form,
            "scope": scope,
            "tasks": tasks[:INBOX_PAGE],
            "number": number,
            "has_next": len(tasks) > INBOX_PAGE,
            "query": query.urlencode(),
            "tab_query": tabs.urlencode(),
            "today": clock.today(),
        },
    )


@staff_required(CASEWORK)
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """办件查询: the cases of the user's units, and online submissions waiting for a clerk."""
    user = request_user(request)
    form = CaseListFilterForm(request.GET or None)
    state = form.cleaned_data.get("state", "") if form.is_valid() else ""
    page = request.GET.get("page", "1")
    number = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    cases = list(
        selectors.case_list_for_staff(
            user=user, state=state, limit=LIST_PAGE + 1, offset=(number - 1) * LIST_PAGE
        )
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/cases/list.html",
        {
            "form": form,
            "cases": cases[:LIST_PAGE],
            "online": list(selectors.case_online_intake(user=user)),
            "number": number,
            "has_next": len(cases) > LIST_PAGE,
            "query": query.urlencode(),
        },
    )


# --- The case page (办件详情) ---------------------------------------------------------------------


@dataclass
class TaskPanel:
    """An open task of the case and what the user may do with it."""

    task: Task
    can_claim: bool
    can_release: bool
    can_complete: bool
    form: TaskCompleteForm | None
    version_form: VersionForm


@dataclass(frozen=True)
class ApplicantView:
    kind: str
    name: str
    number: str
    phone: str
    extra: str
    masked: bool


def applicant_view(case: Case, user: User) -> ApplicantView:
    """The applicant as the page shows them: numbers masked unless the user may see them."""
    unmask = applicant_may_unmask(user)

    def shown(value: str, masker: Callable[[str], str]) -> str:
        return value if unmask or not value else masker(value)

    if case.person is not None:
        person = case.person
        return ApplicantView(
            kind=_("自然人"),
            name=person.name,
            number=shown(person.id_number, mask_id_number),
            phone=shown(person.phone, mask_phone),
            extra="",
            masked=not unmask,
        )
    entity = case.entity
    assert entity is not None
    return ApplicantView(
        kind=_("法人"),
        name=entity.name,
        number=entity.uscc,
        phone=shown(entity.phone, mask_phone),
        extra=entity.legal_representative,
        masked=not unmask,
    )


def _days_left(
    case: Case, suspensions: list[CaseSuspension], extensions: list[CaseExtension]
) -> int | None:
    if case.state != Case.State.ACCEPTED or case.accepted_at is None:
        return None
    try:
        return case_clock.working_days_left(
            timezone.localdate(case.accepted_at),
            case.item_version.promised_limit_days,
            clock.today(),
            [case_clock.Suspension(s.started_on, s.ended_on, s.reason) for s in suspensions],
            [case_clock.Extension(e.days, e.reason, e.decided_on) for e in extensions],
        )
    except CalendarNotCovered:
        return None


def _task_panels(user: User, tasks: list[Task], bound: TaskCompleteForm | None) -> list[TaskPanel]:
    panels = []
    for task in tasks:
        if task.state != Task.State.OPEN:
            continue
        mine = task.assignee_id == user.pk
        may_work = task_may_work(user, task)
        head = task.assignee_id is not None and user_has_role_in(
            user, HEADS, task.office or task.department
        )
        if not (may_work or mine or head):
            continue
        can_complete = may_work and (task.assignee_id is None or mine)
        form = None
        if can_complete:
            form = bound if bound is not None and bound.task.pk == task.pk else None
            form = form or TaskCompleteForm(task=task)
        panels.append(
            TaskPanel(
                task=task,
                can_claim=may_work and task.assignee_id is None,
                can_release=mine or head,
                can_complete=can_complete,
                form=form,
                version_form=VersionForm(initial={"version": task.version}),
            )
        )
    return panels


def _detail_context(
    request: HttpRequest, case: Case, bound: Mapping[str, forms.Form] | None = None
) -> dict[str, Any]:
    user = request_user(request)
    bound = bound or {}
    version_initial = {"version": case.version}
    materials = selectors.case_materials(case)
    tasks = selectors.case_tasks(case)
    suspensions = list(
        CaseSuspension.objects.filter(case=case)
        .select_related("started_by", "ended_by")
        .order_by("started_on", "pk")
    )
    extensions = list(
        CaseExtension.objects.filter(case=case)
        .select_related("decided_by")
        .order_by("decided_on", "pk")
    )
    running = next((s for s in suspensions if s.ended_on is None), None)
    days_left = _days_left(case, suspensions, extensions)
    state = case.state
    context: dict[str, Any] = {
        "case": case,
        "applicant": applicant_view(case, user),
        "materials": materials,
        "tasks": [(task, OUTCOME_LABELS.get(task.outcome, task.outcome)) for task in tasks],
        "suspensions": suspensions,
        "extensions": extensions,
        "running_suspension": running,
        "days_left": days_left,
        "overdue_days": -days_left if days_left is not None and days_left < 0 else 0,
        "timeline": selectors.case_timeline(case),
        "panels": _task_panels(user, tasks, bound.get("task")),  # type: ignore[arg-type]
        "on_the_spot": case.item_version.case_kind == codes.CaseKind.INSTANT,
        "commitment_allowed": case.item_version.commitment_allowed,
        "notice_allowed": state == Case.State.RECEIVED,
        "notices": available_notices(case),
        "version": case.item_version,
        "licences": [
            (licence, licence_may_manage(user, licence))
            for licence in (licences_of_case(case.pk) if case.decided_at else [])
        ],
    }
    if state in (Case.State.RECEIVED, Case.State.PENDING_SUPPLEMENT):
        outstanding = [row.material for row in materials if not row.received]
        context["intake_form"] = bound.get("intake") or CaseIntakeForm(
            version=case.item_version, materials=outstanding, initial=version_initial
        )
        context["deferral_limit"] = deferral_limit(case.item_version)
    if state == Case.State.ACCEPTED:
        if running is None:
            context["suspend_form"] = bound.get("suspend") or SuspendForm(initial=version_initial)
        else:
            context["resume_form"] = bound.get("resume") or VersionForm(initial=version_initial)
        lead = case.lead_department
        if running is None and lead is not None and user_has_role_in(user, EXTENSION_ROLES, lead):
            context["extend_form"] = bound.get("extend") or ExtendForm(initial=version_initial)
    if state in (Case.State.ACCEPTED, Case.State.DECIDED) and (
        case.lead_department is None
        or user_has_role_in(user, TERMINATE_ROLES, case.lead_department)
    ):
        context["terminate_form"] = bound.get("terminate") or TerminateForm(initial=version_initial)
    owed = [row.material for row in materials if row.deferred_until and not row.received]
    if owed and state in (Case.State.ACCEPTED, Case.State.DECIDED):
        context["supply_form"] = bound.get("supply") or SupplyForm(
            owed=owed, initial=version_initial
        )
    if case.delivery == Case.Delivery.POST and case.delivered_at is None:
        context["deliver_form"] = bound.get("deliver") or DeliverForm(initial=version_initial)
    return context


def _render_detail(
    request: HttpRequest, case_id: int, bound: Mapping[str, forms.Form] | None = None
) -> HttpResponse:
    case = case_for_staff(
        request_user(request), case_id
    )  # read again: the page shows the case as it is now
    return render(request, "web/cases/detail.html", _detail_context(request, case, bound))


@staff_required(CASEWORK)
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return _render_detail(request, case_id)


@staff_required(CASEWORK)
@require_GET
def case_material_file(request: HttpRequest, case_id: int, material_id: int) -> HttpResponse:
    """A material the applicant uploaded, for staff who may see the case (never a public URL)."""
    case = case_for_staff(request_user(request), case_id)
    row = CaseMaterial.objects.filter(case=case, material_id=material_id).exclude(file="").first()
    if row is None:
        raise Http404(_("该材料没有上传文件。"))
    name = PurePath(row.file.name or "").name
    # A streaming response; the staff gate is typed for plain ones.
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=name)  # type: ignore[return-value]


def _case_action(
    request: HttpRequest,
    case_id: int,
    *,
    name: str,
    form: forms.Form,
    run: Callable[[User, Case, dict[str, Any]], object],
    success: Callable[[Case], str],
    fields: Mapping[str, str] | None = None,
) -> HttpResponse:
    """One form on the case page: valid and accepted by its service → back to the page with a
    note; otherwise the page again with the form as the user filled it and the refusal beside it."""
    user = request_user(request)
    case = case_for_staff(user, case_id)
    if form.is_valid():
        try:
            run(user, case, form.cleaned_data)
        except ApplicationError as error:
            show_error(form, error, fields)
        else:
            case.refresh_from_db()
            messages.success(request, success(case))
            return redirect("web:case_detail", case_id=case.pk)
    return _render_detail(request, case_id, {name: form})


@require_POST
@staff_required(CASEWORK)
def case_intake_action(request: HttpRequest, case_id: int) -> HttpResponse:
    """Intake actions on a case already received: an online submission, or a supplement brought."""
    user = request_user(request)
    case = case_for_staff(user, case_id)
    outstanding = [row.material for row in selectors.case_materials(case) if not row.received]
    form = CaseIntakeForm(request.POST, version=case.item_version, materials=outstanding)
    if form.is_valid():
        action = form.cleaned_data["action"]
        try:
            done = intake_act(
                user,
                case,
                form,
                expected_version=form.cleaned_data["version"],
                ticks=form.received_ids(),
            )
        except ApplicationError as error:
            show_intake_error(form, error)
        else:
            messages.success(request, intake_message(action, done))
            return redirect("web:case_detail", case_id=case.pk)
    return _render_detail(request, case_id, {"intake": form})


@require_POST
@staff_required(CASEWORK)
def case_suspend(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_action(
        request,
        case_id,
        name="suspend",
        form=SuspendForm(request.POST),
        run=lambda user, case, data: services.case_suspend(
            user=user,
            case=case,
            kind=data["kind"],
            reason=data["reason"],
            expected_version=data["version"],
        ),
        success=lambda case: _("已挂起，计时暂停。"),
    )


@require_POST
@staff_required(CASEWORK)
def case_resume(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_action(
        request,
        case_id,
        name="resume",
        form=VersionForm(request.POST),
        run=lambda user, case, data: services.case_resume(
            user=user, case=case, expected_version=data["version"]
        ),
        success=lambda case: (
            _("已恢复计时，承诺办结日期为 %(date)s。")
            % {"date": case.promised_due.isoformat() if case.promised_due else "—"}
        ),
    )


@require_POST
@staff_required(CASEWORK)
def case_extend(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_action(
        request,
        case_id,
        name="extend",
        form=ExtendForm(request.POST),
        run=lambda user, case, data: services.case_extend(
            user=user,
            case=case,
            days=data["days"],
            reason=data["reason"],
            expected_version=data["version"],
        ),
        success=lambda case: (
            _("已延长审批，承诺办结日期为 %(date)s。")
            % {"date": case.promised_due.isoformat() if case.promised_due else "—"}
        ),
    )


@require_POST
@staff_required(CASEWORK)
def case_terminate(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_action(
        request,
        case_id,
        name="terminate",
        form=TerminateForm(request.POST),
        run=lambda user, case, data: services.case_terminate(
            user=user,
            case=case,
            termination=data["termination"],
            note=data["note"],
            expected_version=data["version"],
        ),
        success=lambda case: _("办件已终止。"),
    )


def _supply(user: User, case: Case, data: dict[str, Any]) -> object:
    return services.case_supply_deferred(
        user=user,
        case=case,
        material_ids=data["material_ids"],
        expected_version=data["version"],
    )


@require_POST
@staff_required(CASEWORK)
def case_supply(request: HttpRequest, case_id: int) -> HttpResponse:
    user = request_user(request)
    case = case_for_staff(user, case_id)
    owed = [
        row.material
        for row in selectors.case_materials(case)
        if row.deferred_until and not row.received
    ]
    return _case_action(
        request,
        case_id,
        name="supply",
        form=SupplyForm(request.POST, owed=owed),
        run=_supply,
        success=lambda case: _("容缺材料已补交。"),
    )


def _deliver(user: User, case: Case, data: dict[str, Any]) -> object:
    return services.case_deliver(
        user=user,
        case=case,
        delivered_at=data.get("delivered_at"),
        expected_version=data["version"],
    )


@require_POST
@staff_required(CASEWORK)
def case_deliver(request: HttpRequest, case_id: int) -> HttpResponse:
    return _case_action(
        request,
        case_id,
        name="deliver",
        form=DeliverForm(request.POST),
        run=_deliver,
        success=lambda case: _("已登记送达。"),
    )


# --- Printed notices ------------------------------------------------------------------------


@staff_required(CASEWORK)
@require_GET
def case_notice(request: HttpRequest, case_id: int, notice: str) -> HttpResponse:
    return notice_response(request, case_for_staff(request_user(request), case_id), notice)


# --- Tasks ------------------------------------------------------------------------------------


def _back(request: HttpRequest, task: Task) -> HttpResponse:
    """Where a task button returns: the page it was pressed on (the inbox), else the case."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("web:case_detail", case_id=task.case_id)


def _task_label(task: Task) -> str:
    return f"{task.case.number or task.case_id} · {task.name}"


def _task_button(
    request: HttpRequest, task_id: int, service: Callable[..., Task], done: str
) -> HttpResponse:
    """A task's button that sends only the version the page showed (claim, release): the
    service run with it, ``done`` (with the task's label) said when it went through."""
    user = request_user(request)
    task = task_for_staff(user, task_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, stale_message())
        return _back(request, task)
    act(
        request,
        lambda: service(user=user, task=task, expected_version=form.cleaned_data["version"]),
        done % {"task": _task_label(task)},
    )
    return _back(request, task)


@require_POST
@staff_required(CASEWORK)
def task_claim(request: HttpRequest, task_id: int) -> HttpResponse:
    return _task_button(request, task_id, services.task_claim, _("已签收：%(task)s"))


@require_POST
@staff_required(CASEWORK)
def task_release(request: HttpRequest, task_id: int) -> HttpResponse:
    return _task_button(request, task_id, services.task_release, _("已退回待办：%(task)s"))


@require_POST
@staff_required(CASEWORK)
def task_complete(request: HttpRequest, task_id: int) -> HttpResponse:
    user = request_user(request)
    task = task_for_staff(user, task_id)
    form = TaskCompleteForm(request.POST, task=task)
    if form.is_valid():
        try:
            services.task_complete(
                user=user,
                task=task,
                expected_version=form.cleaned_data["version"],
                **form.service_kwargs(),
            )
        except ApplicationError as error:
            show_error(form, error, {"data": "held_on", "data.held_on": "held_on"})
        else:
            messages.success(request, _("已办理：%(task)s") % {"task": _task_label(task)})
            return redirect(f"{reverse('web:case_inbox')}?scope=mine")
    return _render_detail(request, task.case_id, {"task": form})
