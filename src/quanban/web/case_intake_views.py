"""Window intake (一窗受理): the item chosen, the applicant found or registered, the situations
answered, the materials ticked, and what the window does with it — 受理, 容缺受理, 告知承诺,
一次性告知, 不予受理, 即办 — in one transaction: a refusal by any step keeps nothing and shows the
form again as it was filled in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from quanban.accounts import services as accounts
from quanban.accounts.models import LegalEntity, NaturalPerson, User
from quanban.accounts.roles import Perm
from quanban.accounts.selectors import user_has_perm
from quanban.cases import services
from quanban.cases.models import Case, Channel
from quanban.cases.prefill import prefill_for
from quanban.cases.services.provenance import fetch_plans, unretained_proof
from quanban.catalogue import codes
from quanban.catalogue import selectors as catalogue
from quanban.catalogue.models import ItemVersion
from quanban.core.errors import ApplicationError, ValidationFailed
from quanban.core.identifiers import validate_id_number, validate_uscc
from quanban.searchindex.query import search
from quanban.web.case_common import (
    CASEWORK,
    deferral_limit,
    no_window_message,
    raw_answers,
    request_user,
    show_error,
    windows_of,
)
from quanban.web.case_forms import (
    ApplicantKind,
    IntakeAction,
    IntakeActionsForm,
    IntakeForm,
    deferred_field,
    situation_field,
)
from quanban.web.decorators import forbidden, staff_required
from quanban.web.guide_views import _my_materials, _published_version

# --- Intake (一窗受理) ------------------------------------------------------------------------------


@staff_required(CASEWORK)
@require_GET
def intake_pick(request: HttpRequest) -> HttpResponse:
    """Choose the item: search by words or pinyin, or pick from the list of published items."""
    if not windows_of(request_user(request)).exists():
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


def _known_applicant(data: Mapping[str, Any]) -> NaturalPerson | LegalEntity | None:
    """The registered applicant the typed number names, if it is valid and known."""
    try:
        if (data.get("applicant_kind") or ApplicantKind.PERSON) == ApplicantKind.ENTITY:
            return LegalEntity.objects.filter(uscc=validate_uscc(str(data.get("uscc", "")))).first()
        number = validate_id_number(str(data.get("id_number", "")))
    except ApplicationError:
        return None
    return NaturalPerson.objects.filter(id_number=number).first()


def _reusable(
    applicant: NaturalPerson | LegalEntity | None, version: ItemVersion, materials: list[Any]
) -> dict[int, list[tuple[int, str]]]:
    """The applicant's earlier files the window may offer again, for what will not be fetched."""
    if applicant is None:
        return {}
    fetched = fetch_plans(materials, person=isinstance(applicant, NaturalPerson))
    own = {m.pk for m in materials}
    return {
        m.material_id: [(c.case_material_id, c.source) for c in m.candidates]
        for m in prefill_for(applicant=applicant, item_version=version).materials
        if m.candidates and m.material_id in own and m.material_id not in fetched
    }


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


def intake_message(action: str, case: Case) -> str:
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
    if action == IntakeAction.NOTICE:
        services.case_request_supplement(user=user, case=case, expected_version=expected_version)
    else:
        services.case_refuse(
            user=user,
            case=case,
            reason=data["refuse_reason"],
            legal_basis=data["refuse_legal_basis"],
            guidance=data["refuse_guidance"],
            expected_version=expected_version,
        )
    case.refresh_from_db()
    return case


def _fetch_sources(form: IntakeActionsForm, data: Mapping[str, Any]) -> None:
    """Mark each material the licence library or a registry may hold for this kind of applicant
    (``fetch_from``): fetched when the case is received, not asked for (不得重复提交)."""
    person = (data.get("applicant_kind") or ApplicantKind.PERSON) != ApplicantKind.ENTITY
    plans = fetch_plans(form.materials, person=person)
    for material in form.materials:
        plan = plans.get(material.pk)
        material.fetch_from = plan.label if plan is not None else ""  # type: ignore[attr-defined]


def _intake_context(version: ItemVersion, form: IntakeActionsForm) -> dict[str, Any]:
    _fetch_sources(form, form.data or form.initial)
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
    user = request_user(request)
    version = _published_version(item_id)
    htmx = request.method == "GET" and bool(getattr(request, "htmx", False))
    data: QueryDict = request.POST if request.method == "POST" else request.GET
    materials = _my_materials(version, raw_answers(data, version))
    # 减证明: a proof struck off the retained-proofs list is never asked for (nor listed).
    materials = [m for m in materials if not unretained_proof(m)]
    windows = windows_of(user)
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
        reusable=_reusable(_known_applicant(data), version, materials),
        initial=initial,
    )
    if htmx:
        # The material list, and with ``lookup`` (the applicant's number changed) who the
        # applicant is, out of band: one response, so the two never arrive out of order.
        context = _intake_context(version, form)
        if "lookup" in request.GET:
            context["lookup"] = _lookup(request.GET)
        return render(request, "web/cases/_intake_materials.html", context)
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
                    reuse=form.reuse(),
                )
                case = intake_act(user, received, form, expected_version=received.version, ticks=[])
        except ApplicationError as error:
            show_intake_error(form, error)
        else:
            messages.success(request, intake_message(action, case))
            return redirect("web:case_detail", case_id=case.pk)
    return render(request, "web/cases/intake.html", _intake_context(version, form))
