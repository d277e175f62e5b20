"""Workbench pages of the case runtime: intake at the window (受理), the inbox (待办), the case page.

Each handler parses a form, reads through ``quanban.cases.selectors`` and calls
``quanban.cases.services``. A service's refusal is shown next to the field it names and the form
keeps what was typed; a permission refusal becomes the 403 page (``staff_required``); a case or
task the user may not see is "not found". Every change carries the version the user saw: a change
made meanwhile by someone else is refused with one message, to refresh and try again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from quanban.accounts import services as accounts
from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit, User
from quanban.accounts.roles import Perm, Role
from quanban.accounts.selectors import applicant_may_unmask, user_has_perm
from quanban.cases import clock as case_clock
from quanban.cases import notices, selectors, services
from quanban.cases.models import (
    Case,
    CaseExtension,
    CaseMaterial,
    CaseSuspension,
    Channel,
    Task,
)
from quanban.cases.services._common import lock
from quanban.cases.services.runtime import TERMINATE_ROLES, task_may_work, user_has_role_in
from quanban.cases.services.suspensions import EXTENSION_ROLES
from quanban.catalogue import codes
from quanban.catalogue import selectors as catalogue
from quanban.catalogue.models import ItemVersion
from quanban.core import clock
from quanban.core.errors import (
    ApplicationError,
    NotFound,
    PermissionDenied,
    StaleEdit,
    ValidationFailed,
)
from quanban.core.identifiers import validate_id_number, validate_uscc
from quanban.core.masking import mask_id_number, mask_phone
from quanban.core.workdays import CalendarNotCovered
from quanban.searchindex.query import search
from quanban.web.case_forms import (
    OUTCOME_LABELS,
    ApplicantKind,
    CaseIntakeForm,
    CaseListFilterForm,
    DeliverForm,
    ExtendForm,
    InboxFilterForm,
    IntakeAction,
    IntakeActionsForm,
    IntakeForm,
    SupplyForm,
    SuspendForm,
    TaskCompleteForm,
    TerminateForm,
    VersionForm,
    deferred_field,
    situation_field,
)
from quanban.web.decorators import forbidden, staff_required
from quanban.web.guide_views import _my_materials, _published_version

CASEWORK = Perm.BUSINESS_WRITE
INBOX_PAGE = 50
LIST_PAGE = 50
HEADS = frozenset({Role.OFFICE_HEAD, Role.DEPARTMENT_HEAD})


def stale_message() -> str:
    return _("办件已被他人修改，请刷新后重试。")


def no_window_message() -> str:
    return _(
        "窗口受理须在受理窗口任职：您的角色范围内没有受理窗口。网上申报请在“办件查询”中预审受理。"
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # staff_required let only signed-in staff through
    return user


# --- Reading what the user may see ---------------------------------------------------------------


def _case(user: User, case_id: int) -> Case:
    """A case the user handles, or an online submission waiting for a clerk (网上预审), which
    ``case_get_for_staff`` does not show: it has no window, first responder or department yet."""
    try:
        return selectors.case_get_for_staff(user=user, case_id=case_id)
    except NotFound:
        for case in selectors.case_online_intake(user=user, limit=selectors.MAX_PAGE):
            if case.pk == case_id:
                return case
    raise Http404(_("找不到该办件。"))


def _task(user: User, task_id: int) -> Task:
    try:
        return selectors.task_get_for_user(user=user, task_id=task_id)
    except NotFound as error:
        raise Http404(str(error)) from error


def _windows(user: User) -> QuerySet[OrgUnit]:
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


@contextmanager
def version_checked(case: Case, expected: int) -> Iterator[None]:
    """Check the version seen under the case's row lock, held through the service that follows
    (for the services that take no ``expected_version`` of their own)."""
    with transaction.atomic():
        lock(case, expected_version=expected)
        yield


def _act(request: HttpRequest, call: Callable[[], object], success: str) -> bool:
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


# --- Intake (一窗受理) ------------------------------------------------------------------------------


@staff_required(CASEWORK)
@require_GET
def intake_pick(request: HttpRequest) -> HttpResponse:
    """Choose the item: search by words or pinyin, or pick from the list of published items."""
    if not _windows(_user(request)).exists():
        return forbidden(request, no_window_message())
    chosen = request.GET.get("item", "")
    if chosen.isdigit():
        return redirect("web:case_intake", item_id=int(chosen))
    query = request.GET.get("q", "")[:200].strip()
    hits = []
    error = ""
    if query:
        try:
            hits = search(query, limit=20)
        except ApplicationError as exc:
            error = str(exc)
    items = catalogue.versions_published().order_by("name").values_list("item_id", "name")
    return render(
        request,
        "web/cases/intake_pick.html",
        {"query": query, "hits": hits, "error": error, "items": list(items)},
    )


@dataclass(frozen=True)
class Lookup:
    """What the window learns from an ID number or credit code before receiving."""

    valid: bool
    message: str
    name: str = ""


def _lookup(data: Mapping[str, Any]) -> Lookup:
    kind = data.get("applicant_kind") or ApplicantKind.PERSON
    try:
        if kind == ApplicantKind.ENTITY:
            uscc = validate_uscc(str(data.get("uscc", "")))
            entity = LegalEntity.objects.filter(uscc=uscc).first()
            if entity is None:
                return Lookup(True, _("该单位尚未登记，受理时将按填写的信息登记。"))
            return Lookup(True, _("已登记的单位"), entity.name)
        id_number = validate_id_number(str(data.get("id_number", "")))
    except ApplicationError as error:
        return Lookup(False, str(error))
    person = NaturalPerson.objects.filter(id_number=id_number).first()
    if person is None:
        return Lookup(True, _("该申请人尚未登记，受理时将按填写的姓名登记。"))
    return Lookup(True, _("已登记的申请人"), person.name)


def _applicant(user: User, form: IntakeForm) -> NaturalPerson | LegalEntity:
    """The applicant the form names: found by ID number or credit code, or registered now."""
    data = form.cleaned_data
    if data["applicant_kind"] == ApplicantKind.ENTITY:
        uscc = validate_uscc(data["uscc"])
        entity = LegalEntity.objects.filter(uscc=uscc).first()
        if entity is not None:
            return entity
        _require_applicant_write(user, "uscc")
        return accounts.entity_register(
            name=data["entity_name"],
            uscc=uscc,
            legal_representative=data["legal_representative"],
            phone=data["phone"],
        )
    id_number = validate_id_number(data["id_number"])
    person = NaturalPerson.objects.filter(id_number=id_number).first()
    name = data["name"].strip()
    if person is not None:
        if name and name != person.name:
            raise _mismatch()
        return person
    _require_applicant_write(user, "id_number")
    return accounts.person_register(name=name, id_number=id_number, phone=data["phone"])


def _mismatch() -> ApplicationError:
    return ValidationFailed(
        _("姓名与该公民身份号码登记的姓名不一致，请核对。"), code="name_mismatch", field="name"
    )


def _require_applicant_write(user: User, field: str) -> None:
    if not user_has_perm(user, Perm.APPLICANT_WRITE):
        raise ValidationFailed(
            _("该申请人尚未登记，您没有登记申请人的权限。"), code="applicant_unknown", field=field
        )


_INTAKE_FIELDS = {
    "received_material_ids": "received",
    "reason": "refuse_reason",
    "legal_basis": "refuse_legal_basis",
    "guidance": "refuse_guidance",
    "commitment": "commitment_signed",
    "applicant": "id_number",
    "legal_rep_id_number": "id_number",
}


def show_intake_error(form: IntakeActionsForm, error: ApplicationError) -> None:
    """Intake refusals by where they belong: a missing material at the material list, a 容缺
    date at its material's date, an answer at its question, the applicant at its number."""
    fields = dict(_INTAKE_FIELDS)
    field = error.field or ""
    if error.code == "materials_missing":
        fields[""] = "received"
    if field == "deferred":
        material_id = error.extra.get("material_id")
        dated = [m for m in form.deferrable if form.data.get(deferred_field(m))]
        target = next((m for m in form.deferrable if m.pk == material_id), None)
        target = target or (dated[0] if dated else None)
        fields["deferred"] = deferred_field(target) if target else "received"
    if field.startswith("answers."):
        fields[field] = situation_field(int(field.split(".", 1)[1]))
    if isinstance(form, IntakeForm) and form.cleaned_data.get("applicant_kind") == "entity":
        fields["name"] = "entity_name"
    show_error(form, error, fields)


def _intake_message(action: str, case: Case) -> str:
    number = case.number or ""
    texts = {
        IntakeAction.ACCEPT: _("已受理，办件编号 %(number)s。"),
        IntakeAction.DEFER: _("已容缺受理，办件编号 %(number)s；容缺材料须在 %(date)s 前补交。"),
        IntakeAction.COMMIT: _("已按告知承诺制受理并准予，办件编号 %(number)s。"),
        IntakeAction.NOTICE: _("已出具一次性告知书，请将告知内容交给申请人。"),
        IntakeAction.REFUSE: _("已出具不予受理告知书。"),
        IntakeAction.ON_THE_SPOT: _("即办件已当场办结，办件编号 %(number)s。"),
    }
    date = case.deferral_due.isoformat() if case.deferral_due else ""
    return texts[action] % {"number": number, "date": date}


def intake_act(
    user: User,
    case: Case,
    form: IntakeActionsForm,
    *,
    expected_version: int,
    ticks: list[int],
) -> Case:
    """Do what the pressed button asks with a received case: one intake service."""
    action = form.cleaned_data["action"]
    data = form.cleaned_data
    if action in (IntakeAction.ACCEPT, IntakeAction.DEFER, IntakeAction.COMMIT):
        return services.case_accept(
            user=user,
            case=case,
            received_material_ids=ticks,
            deferred=form.deferred() if action == IntakeAction.DEFER else None,
            commitment=action == IntakeAction.COMMIT,
            expected_version=expected_version,
        )
    if action == IntakeAction.ON_THE_SPOT:
        return services.case_finish_on_the_spot(
            user=user, case=case, received_material_ids=ticks, expected_version=expected_version
        )
    with version_checked(case, expected_version):
        if action == IntakeAction.NOTICE:
            services.case_request_supplement(user=user, case=case)
        else:
            services.case_refuse(
                user=user,
                case=case,
                reason=data["refuse_reason"],
                legal_basis=data["refuse_legal_basis"],
                guidance=data["refuse_guidance"],
            )
    case.refresh_from_db()
    return case


def _intake_context(version: ItemVersion, form: IntakeActionsForm) -> dict[str, Any]:
    return {
        "version": version,
        "item": version.item,
        "form": form,
        "on_the_spot": version.case_kind == codes.CaseKind.INSTANT,
        "commitment_allowed": version.commitment_allowed,
        "deferral_limit": deferral_limit(version),
    }


@staff_required(CASEWORK)
def intake(request: HttpRequest, item_id: int) -> HttpResponse:
    """收件 and, in the same sitting, what the window does with it (受理, 容缺, 告知承诺,
    一次性告知, 不予受理, 即办). Nothing is kept when a step refuses: the form is shown again."""
    user = _user(request)
    version = _published_version(item_id)
    htmx = request.method == "GET" and bool(getattr(request, "htmx", False))
    if htmx and "lookup" in request.GET:
        return render(request, "web/cases/_applicant_status.html", {"lookup": _lookup(request.GET)})
    data: QueryDict = request.POST if request.method == "POST" else request.GET
    materials = _my_materials(version, raw_answers(data, version))
    windows = _windows(user)
    if not windows:
        return forbidden(request, no_window_message())
    initial: dict[str, Any] = {"window": windows[0]} if len(windows) == 1 else {}
    if request.method == "GET" and (htmx or "refresh" in request.GET):
        # The situations changed: the applicant's own material list, with what was typed kept.
        initial.update({k: v for k, v in request.GET.items() if k != "received"})
        initial["received"] = [int(v) for v in request.GET.getlist("received") if v.isdigit()]
    form = IntakeForm(
        request.POST if request.method == "POST" else None,
        version=version,
        materials=materials,
        windows=windows,
        initial=initial,
    )
    if htmx:
        return render(request, "web/cases/_intake_materials.html", _intake_context(version, form))
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        try:
            with transaction.atomic():
                applicant = _applicant(user, form)
                received = services.case_receive(
                    user=user,
                    item_version=version,
                    applicant=applicant,
                    channel=Channel.OFFLINE_ONE_WINDOW,
                    answers=form.answers(),
                    window=form.cleaned_data.get("window"),
                    received_material_ids=form.received_ids(),
                )
                case = intake_act(user, received, form, expected_version=received.version, ticks=[])
        except ApplicationError as error:
            show_intake_error(form, error)
        else:
            messages.success(request, _intake_message(action, case))
            return redirect("web:case_detail", case_id=case.pk)
    return render(request, "web/cases/intake.html", _intake_context(version, form))


# --- The inbox (待办) and the case list ---------------------------------------------------------


@staff_required(CASEWORK)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
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
    user = _user(request)
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
    user = _user(request)
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
    case = _case(_user(request), case_id)  # read again: the page shows the case as it is now
    return render(request, "web/cases/detail.html", _detail_context(request, case, bound))


@staff_required(CASEWORK)
@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    return _render_detail(request, case_id)


@staff_required(CASEWORK)
@require_GET
def case_material_file(request: HttpRequest, case_id: int, material_id: int) -> HttpResponse:
    """A material the applicant uploaded, for staff who may see the case (never a public URL)."""
    case = _case(_user(request), case_id)
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
    user = _user(request)
    case = _case(user, case_id)
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
    user = _user(request)
    case = _case(user, case_id)
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
            messages.success(request, _intake_message(action, done))
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
    with version_checked(case, data["version"]):
        return services.case_supply_deferred(
            user=user, case=case, material_ids=data["material_ids"]
        )


@require_POST
@staff_required(CASEWORK)
def case_supply(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = _case(user, case_id)
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
    with version_checked(case, data["version"]):
        return services.case_deliver(user=user, case=case, delivered_at=data.get("delivered_at"))


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


@staff_required(CASEWORK)
@require_GET
def case_notice(request: HttpRequest, case_id: int, notice: str) -> HttpResponse:
    return notice_response(request, _case(_user(request), case_id), notice)


# --- Tasks ------------------------------------------------------------------------------------


def _back(request: HttpRequest, task: Task) -> HttpResponse:
    """Where a task button returns: the page it was pressed on (the inbox), else the case."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("web:case_detail", case_id=task.case_id)


def _task_label(task: Task) -> str:
    return f"{task.case.number or task.case_id} · {task.name}"


@require_POST
@staff_required(CASEWORK)
def task_claim(request: HttpRequest, task_id: int) -> HttpResponse:
    user = _user(request)
    task = _task(user, task_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, stale_message())
        return _back(request, task)
    _act(
        request,
        lambda: services.task_claim(
            user=user, task=task, expected_version=form.cleaned_data["version"]
        ),
        _("已签收：%(task)s") % {"task": _task_label(task)},
    )
    return _back(request, task)


@require_POST
@staff_required(CASEWORK)
def task_release(request: HttpRequest, task_id: int) -> HttpResponse:
    user = _user(request)
    task = _task(user, task_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, stale_message())
        return _back(request, task)
    _act(
        request,
        lambda: services.task_release(
            user=user, task=task, expected_version=form.cleaned_data["version"]
        ),
        _("已退回待办：%(task)s") % {"task": _task_label(task)},
    )
    return _back(request, task)


@require_POST
@staff_required(CASEWORK)
def task_complete(request: HttpRequest, task_id: int) -> HttpResponse:
    user = _user(request)
    task = _task(user, task_id)
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
