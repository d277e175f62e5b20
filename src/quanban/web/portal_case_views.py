"""The portal's case pages for applicants (我的办件): their cases, one case, applying online.

An applicant sees only their own cases (``case_get_for_applicant``); anyone else's is "not found".
Staff accounts are not applicants here: they get the 403 page and use the workbench.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from quanban.accounts.models import LegalEntity, NaturalPerson, User
from quanban.accounts.services import person_claim
from quanban.cases import selectors, services
from quanban.cases.models import Case, Channel
from quanban.cases.prefill import prefill_for
from quanban.cases.services.provenance import fetch_preview, unretained_proof
from quanban.catalogue import codes
from quanban.catalogue.models import InstantRuleSet, ItemVersion
from quanban.core.errors import ApplicationError, NotFound
from quanban.web.case_common import (
    available_notices,
    notice_response,
    raw_answers,
    show_error,
)
from quanban.web.case_forms import (
    FormFieldSpec,
    OnlineApplyForm,
    WithdrawForm,
    file_field,
    form_field,
    situation_field,
)
from quanban.web.decorators import View, forbidden
from quanban.web.guide_views import _my_materials, _published_version

# States in which an applicant may still withdraw (a decided case is handed out, not withdrawn).
WITHDRAWABLE = frozenset({Case.State.RECEIVED, Case.State.PENDING_SUPPLEMENT, Case.State.ACCEPTED})
ONLINE_FORMS = frozenset({codes.HandlingForm.PC, codes.HandlingForm.MOBILE})
REMARKS_KEY = "remarks"


def citizen_required(view: View) -> View:
    """Let through a signed-in applicant account; send visitors to the portal's login."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "web:portal_login")
        if getattr(user, "kind", "") != User.Kind.CITIZEN:
            return forbidden(request, _("此页面供申请人使用，工作人员请使用工作台。"))
        return view(request, *args, **kwargs)

    return wrapped


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _own_case(user: User, case_id: int) -> Case:
    try:
        return selectors.case_get_for_applicant(user=user, case_id=case_id)
    except NotFound as error:
        raise Http404(str(error)) from error


# --- 实名登记 ------------------------------------------------------------------------------------


class IdentityForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=60)
    id_number = forms.CharField(label=gettext_lazy("公民身份号码"), max_length=18)


@citizen_required
def my_identity(request: HttpRequest) -> HttpResponse:
    """实名登记: the account takes its natural person (accounts.services.person_claim)."""
    user = _user(request)
    person = NaturalPerson.objects.filter(user=user).first()
    form = IdentityForm(request.POST or None)
    if request.method == "POST" and person is None and form.is_valid():
        try:
            person_claim(
                user=user,
                name=form.cleaned_data["name"],
                id_number=form.cleaned_data["id_number"],
            )
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("实名登记已完成，现在可以网上申办了。"))
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse("web:portal_cases")
            return redirect(target)
    return render(request, "web/portal_cases/identity.html", {"form": form, "person": person})


# --- My cases -------------------------------------------------------------------------------------


@citizen_required
@require_GET
def my_cases(request: HttpRequest) -> HttpResponse:
    cases = selectors.case_list_for_applicant(user=_user(request))
    rows = [(case, selectors.case_status_text(case)) for case in cases]
    return render(request, "web/portal_cases/list.html", {"rows": rows})


def _render_case(
    request: HttpRequest, case: Case, withdraw_form: WithdrawForm | None = None
) -> HttpResponse:
    context: dict[str, Any] = {
        "case": case,
        "view": selectors.case_applicant_view(case),
        "notices": available_notices(case),
    }
    if case.state in WITHDRAWABLE:
        context["withdraw_form"] = withdraw_form or WithdrawForm(initial={"version": case.version})
    return render(request, "web/portal_cases/detail.html", context)


@citizen_required
@require_GET
def my_case(request: HttpRequest, case_id: int) -> HttpResponse:
    return _render_case(request, _own_case(_user(request), case_id))


@citizen_required
@require_GET
def my_case_notice(request: HttpRequest, case_id: int, notice: str) -> HttpResponse:
    return notice_response(request, _own_case(_user(request), case_id), notice)


@require_POST
@citizen_required
def my_case_withdraw(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = _own_case(user, case_id)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.case_withdraw(
                user=user,
                case=case,
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("您的申请已撤回。"))
            return redirect("web:portal_case", case_id=case.pk)
    return _render_case(request, _own_case(user, case_id), form)


# --- Applying online (网上申报) ------------------------------------------------------------------


def _yes_no(cells: list[str]) -> bool:
    return bool(cells) and all(cell in ("true", "false") for cell in cells)


_NUMBER_TEST = re.compile(r"^(?:[<>]=?|==|!=)?\s*-?\d+(?:\.\d+)?$|^[\[(]\s*-?\d")


def application_fields(version: ItemVersion) -> list[FormFieldSpec]:
    """The application form: what the item's instant rules read (``form.*`` inputs of its
    decision table, typed by the tests its rows make), then a free note."""
    specs: list[FormFieldSpec] = []
    process = version.process or {}
    key = str(process.get("instant_rule_set") or "")
    content = (
        InstantRuleSet.objects.filter(
            key=key, number=int(process.get("instant_rule_set_version") or 0)
        )
        .values_list("content", flat=True)
        .first()
        if key
        else None
    )
    for node in (content or {}).get("nodes", []):
        table = node.get("content") or {}
        if node.get("type") != "decisionTableNode" or not isinstance(table, dict):
            continue
        rows = table.get("rules") or []
        for column in table.get("inputs") or []:
            field = str(column.get("field", ""))
            if not field.startswith("form.") or len(field) > 45:
                continue
            cells = [str(row.get(column.get("id"), "")).strip() for row in rows]
            cells = [cell for cell in cells if cell]
            if _yes_no(cells):
                kind = FormFieldSpec.YES_NO
            elif cells and all(_NUMBER_TEST.match(cell) for cell in cells):
                kind = FormFieldSpec.NUMBER
            else:
                kind = FormFieldSpec.TEXT
            specs.append(FormFieldSpec(field[len("form.") :], str(column.get("name") or ""), kind))
    specs.append(FormFieldSpec(REMARKS_KEY, _("补充说明（选填）"), FormFieldSpec.TEXT))
    return specs


def _applicants(user: User) -> tuple[NaturalPerson | None, LegalEntity | None]:
    return getattr(user, "person", None), getattr(user, "entity", None)


@citizen_required
def apply_online(request: HttpRequest, item_id: int) -> HttpResponse:
    """Answer the situations, fill in the form, upload the materials, submit."""
    user = _user(request)
    version = _published_version(item_id)
    person, entity = _applicants(user)
    online = bool(ONLINE_FORMS & set(version.handling_forms))
    context: dict[str, Any] = {
        "version": version,
        "item": version.item,
        "online": online,
        "person": person,
        "entity": entity,
    }
    if not online or (person is None and entity is None):
        return render(request, "web/portal_cases/apply.html", context)
    data = request.POST if request.method == "POST" else request.GET
    answers = raw_answers(data, version)
    materials = _my_materials(version, answers)
    # 减证明: a proof struck off the retained-proofs list is never asked for (nor listed).
    materials = [m for m in materials if not unretained_proof(m)]
    # Only a submit validates; "update the list" (without JavaScript) and htmx show it again.
    submitted = request.method == "POST" and "refresh" not in request.POST
    initial: dict[str, Any] = {situation_field(seq): option for seq, option in answers.items()}
    if request.method == "POST" and not submitted:
        initial.update({k: v for k, v in request.POST.items() if k.startswith("form_")})
    applicant = person if person is not None else entity
    assert applicant is not None
    known = prefill_for(applicant=applicant, item_version=version)
    # 不得重复提交: what the licence library or a registry holds is fetched when the application
    # is submitted; it is shown as such, and no earlier file is offered for it.
    fetching = fetch_preview(materials, applicant)
    for material in materials:
        material.fetch_from = fetching.get(material.pk, "")  # type: ignore[attr-defined]
    form = OnlineApplyForm(
        request.POST if submitted else None,
        request.FILES if submitted else None,
        version=version,
        materials=materials,
        form_fields=application_fields(version),
        entity_name=entity.name if entity is not None and person is not None else "",
        reusable={
            m.material_id: [(c.case_material_id, c.source) for c in m.candidates]
            for m in known.materials
            if m.candidates and m.material_id not in fetching
        },
        initial=initial,
    )
    context["prefill"] = known
    context["form"] = form
    if request.method == "GET" and getattr(request, "htmx", False):
        return render(request, "web/portal_cases/_apply_materials.html", context)
    if submitted and form.is_valid():
        try:
            case = services.case_submit_online(
                user=user,
                item_version=version,
                answers=form.answers(),
                form_data=form.form_data(),
                channel=Channel.PC,
                files=form.uploads(),
                reuse=form.reuse(),
                as_entity=bool(form.cleaned_data.get("as_entity")) or person is None,
            )
        except ApplicationError as error:
            fields = {f"form.{spec.key}": form_field(spec.key) for spec in form.form_fields}
            fields.update(
                {f"answers.{s.seq}": situation_field(s.seq) for s in version.situations.all()}
            )
            if materials:
                fields["files"] = file_field(materials[0])
            show_error(form, error, fields)
        else:
            messages.success(request, _submitted_message(case))
            return redirect("web:portal_case", case_id=case.pk)
    return render(request, "web/portal_cases/apply.html", context)


def _submitted_message(case: Case) -> str:
    if case.state == Case.State.FINISHED:
        return _("申请已提交，并已由系统自动审批办结。")
    if case.state == Case.State.DECIDED:
        return _("申请已提交，并已由系统自动作出决定。")
    return _("申请已提交，请留意办理进度；工作人员预审后会告知您结果。")
