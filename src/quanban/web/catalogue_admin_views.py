"""Workbench pages of the catalogue: editors write drafts, reviewers publish or return them.

Each handler parses a form, calls one ``catalogue.services`` function and renders. A service's
``ApplicationError`` is shown next to the field it names; ``PermissionDenied`` becomes the 403
page (``staff_required``) and changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from quanban.accounts.roles import Perm
from quanban.catalogue import selectors, services
from quanban.catalogue.models import ItemVersion, Material, ServiceItem, Situation
from quanban.catalogue.validation import Problem, version_problems
from quanban.core.errors import ApplicationError, NotFound, PermissionDenied
from quanban.web.catalogue_forms import (
    ItemCreateForm,
    MaterialForm,
    PublishForm,
    ReturnForm,
    SituationForm,
    VersionForm,
)
from quanban.web.decorators import staff_required

EDIT = Perm.CATALOGUE_EDIT
PUBLISH = Perm.CATALOGUE_PUBLISH


# --- Reading what the user may see ---------------------------------------------------------------


def _scope_filter(user: Any, perm: str, prefix: str) -> Q:
    paths = selectors.catalogue_scope_paths(user, perm)
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{prefix}implementing_department__path__startswith": path})
    return condition


def _items_in_scope(user: Any) -> QuerySet[ServiceItem]:
    return (
        ServiceItem.objects.filter(_scope_filter(user, EDIT, ""))
        .select_related("implementing_department")
        .prefetch_related(Prefetch("versions", queryset=ItemVersion.objects.order_by("-number")))
        .order_by("implementing_department__path", "implementation_code")
    )


def _version(user: Any, version_id: int, perm: str) -> ItemVersion:
    """A version with its materials and situations, if ``user`` holds ``perm`` over its item."""
    try:
        version = selectors.version_detail(version_id=version_id)
    except NotFound as error:
        raise Http404(str(error)) from error
    selectors.require_catalogue_scope(user, version.item.implementing_department, perm)
    return version


def _material(user: Any, material_id: int) -> Material:
    material = (
        Material.objects.select_related("version__item__implementing_department", "retained_proof")
        .filter(pk=material_id)
        .first()
    )
    if material is None:
        raise Http404(_("找不到该材料。"))
    selectors.require_catalogue_scope(user, material.version.item.implementing_department, EDIT)
    return material


def _situation(user: Any, situation_id: int) -> Situation:
    situation = (
        Situation.objects.select_related("version__item__implementing_department")
        .filter(pk=situation_id)
        .first()
    )
    if situation is None:
        raise Http404(_("找不到该情形。"))
    selectors.require_catalogue_scope(user, situation.version.item.implementing_department, EDIT)
    return situation


def _show_error(form: forms.Form, error: ApplicationError) -> None:
    """Put a service's refusal next to the field it names (or above the form)."""
    if isinstance(error, PermissionDenied):
        raise error
    if isinstance(error, NotFound):
        raise Http404(str(error)) from error
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error))


# --- Problems of validation, placed next to their fields ----------------------------------------


def _problem_map(problems: list[Problem]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for problem in problems:
        grouped[problem.field].append(problem.message)
    return grouped


def _material_seq(field: str) -> int | None:
    if field.startswith("materials[") and "]" in field:
        inner = field[len("materials[") : field.index("]")]
        return int(inner) if inner.isdigit() else None
    return None


def _edit_context(
    request: HttpRequest,
    version: ItemVersion,
    *,
    form: VersionForm | None = None,
    material_form: MaterialForm | None = None,
    situation_form: SituationForm | None = None,
    problems: list[Problem] | None = None,
) -> dict[str, Any]:
    materials = list(version.materials.all())
    form = form or VersionForm(version=version)
    by_field = _problem_map(problems or [])
    material_problems: dict[int, list[str]] = defaultdict(list)
    for field, texts in by_field.items():
        seq = _material_seq(field)
        if seq is not None:
            material_problems[seq].extend(texts)
    return {
        "version": version,
        "item": version.item,
        "editable": version.state == ItemVersion.State.DRAFT,
        "form": form,
        "fields": [(field, by_field.get(field.name, [])) for field in form],
        "code_problems": by_field.get("basic_code", []) + by_field.get("implementation_code", []),
        "materials": [(m, material_problems.get(m.seq, [])) for m in materials],
        "material_form": material_form or MaterialForm(),
        "situation_form": situation_form or SituationForm(materials=materials),
        "validated": problems is not None,
        "problems": problems or [],
    }


def _render_edit(request: HttpRequest, version: ItemVersion, **kwargs: Any) -> HttpResponse:
    return render(
        request, "web/catalogue/version_edit.html", _edit_context(request, version, **kwargs)
    )


# --- Editor pages --------------------------------------------------------------------------------


@staff_required(EDIT)
def catalogue_items(request: HttpRequest) -> HttpResponse:
    return render(request, "web/catalogue/items.html", {"items": _items_in_scope(request.user)})


@staff_required(EDIT)
def item_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ItemCreateForm(
        request.POST or None,
        initial={"implementing_department": getattr(user, "department", None)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = services.item_create(user=user, **form.cleaned_data)  # type: ignore[arg-type]
        except ApplicationError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("事项已创建，请继续完善草稿。"))
            return redirect("web:catalogue_version", version_id=version.pk)
    return render(request, "web/catalogue/item_create.html", {"form": form})


@staff_required(EDIT)
def version_edit(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request.user, version_id, EDIT)
    if request.method != "POST":
        return _render_edit(request, version)
    form = VersionForm(request.POST, version=version)
    if form.is_valid():
        try:
            services.version_update(user=request.user, version=version, **form.service_fields())  # type: ignore[arg-type]
        except ApplicationError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("web:catalogue_version", version_id=version.pk)
    return _render_edit(request, version, form=form)


@staff_required(EDIT)
def version_validate(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request.user, version_id, EDIT)
    problems = version_problems(version, list(version.materials.all()))
    return _render_edit(request, version, problems=problems)


@require_POST
@staff_required(EDIT)
def material_add(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request.user, version_id, EDIT)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.material_add(user=request.user, version=version, **form.service_fields())  # type: ignore[arg-type]
        except ApplicationError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("材料已添加。"))
            return redirect("web:catalogue_version", version_id=version.pk)
    return _render_edit(request, version, material_form=form)


@staff_required(EDIT)
def material_edit(request: HttpRequest, material_id: int) -> HttpResponse:
    material = _material(request.user, material_id)
    form = MaterialForm(
        request.POST or None, request.FILES or None, initial=MaterialForm.initial_for(material)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.material_update(
                user=request.user,  # type: ignore[arg-type]
                material=material,
                **form.service_fields(),
            )
        except ApplicationError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("材料已保存。"))
            return redirect("web:catalogue_version", version_id=material.version_id)
    return render(
        request,
        "web/catalogue/material_edit.html",
        {"material": material, "version": material.version, "form": form},
    )


def _act(request: HttpRequest, call: Callable[[], object], success: str) -> bool:
    """Run one service for a button: its refusal becomes an error message, success a note.

    A permission refusal is not a message: it propagates to the 403 page.
    """
    try:
        call()
    except PermissionDenied:
        raise
    except ApplicationError as error:
        messages.error(request, str(error))
        return False
    messages.success(request, success)
    return True


@require_POST
@staff_required(EDIT)
def material_remove(request: HttpRequest, material_id: int) -> HttpResponse:
    material = _material(request.user, material_id)
    _act(
        request,
        lambda: services.material_remove(user=request.user, material=material),  # type: ignore[arg-type]
        _("材料“%(name)s”已删除。") % {"name": material.name},
    )
    return redirect("web:catalogue_version", version_id=material.version_id)


@require_POST
@staff_required(EDIT)
def situation_add(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request.user, version_id, EDIT)
    form = SituationForm(request.POST, materials=list(version.materials.all()))
    if form.is_valid():
        try:
            services.situation_add(
                user=request.user,  # type: ignore[arg-type]
                version=version,
                question=form.cleaned_data["question"],
                options=form.options(),
            )
        except ApplicationError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("情形已添加。"))
            return redirect("web:catalogue_version", version_id=version.pk)
    return _render_edit(request, version, situation_form=form)


@require_POST
@staff_required(EDIT)
def situation_remove(request: HttpRequest, situation_id: int) -> HttpResponse:
    situation = _situation(request.user, situation_id)
    _act(
        request,
        lambda: services.situation_remove(user=request.user, situation=situation),  # type: ignore[arg-type]
        _("情形已删除。"),
    )
    return redirect("web:catalogue_version", version_id=situation.version_id)


@require_POST
@staff_required(EDIT)
def version_submit(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request.user, version_id, EDIT)
    _act(
        request,
        lambda: services.version_submit(user=request.user, version=version),  # type: ignore[arg-type]
        _("已提交审核。"),
    )
    return redirect("web:catalogue_version", version_id=version.pk)


@require_POST
@staff_required(EDIT)
def version_new_draft(request: HttpRequest, item_id: int) -> HttpResponse:
    try:
        item = selectors.item_get(item_id=item_id)
    except NotFound as error:
        raise Http404(str(error)) from error
    try:
        draft = services.version_new_draft(user=request.user, item=item)  # type: ignore[arg-type]
    except PermissionDenied:
        raise
    except ApplicationError as error:
        messages.error(request, str(error))
        return redirect("web:catalogue_items")
    messages.success(request, _("已新建草稿 v%(number)d。") % {"number": draft.number})
    return redirect("web:catalogue_version", version_id=draft.pk)


# --- Reviewer pages ------------------------------------------------------------------------------


@staff_required(PUBLISH)
def review_queue(request: HttpRequest) -> HttpResponse:
    versions = (
        ItemVersion.objects.filter(
            _scope_filter(request.user, PUBLISH, "item__"), state=ItemVersion.State.SUBMITTED
        )
        .select_related("item__implementing_department")
        .order_by("submitted_at", "pk")
    )
    return render(request, "web/catalogue/review_queue.html", {"versions": versions})


def _render_review(
    request: HttpRequest,
    version: ItemVersion,
    *,
    publish_form: PublishForm | None = None,
    return_form: ReturnForm | None = None,
    problems: list[Problem] | None = None,
    status: int = 200,
) -> HttpResponse:
    if problems is None:
        problems = version_problems(version, list(version.materials.all()))
    return render(
        request,
        "web/catalogue/review.html",
        {
            "version": version,
            "item": version.item,
            "problems": problems,
            "publish_form": publish_form or PublishForm(),
            "return_form": return_form or ReturnForm(),
        },
        status=status,
    )


@staff_required(PUBLISH)
def review_version(request: HttpRequest, version_id: int) -> HttpResponse:
    return _render_review(request, _version(request.user, version_id, PUBLISH))


@require_POST
@staff_required(PUBLISH)
def version_publish(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request.user, version_id, PUBLISH)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            services.version_publish(
                user=request.user,  # type: ignore[arg-type]
                version=version,
                valid_from=form.cleaned_data["valid_from"],
            )
        except ApplicationError as error:
            problems = [Problem(**p) for p in error.extra.get("problems", [])] or None
            _show_error(form, error)
            return _render_review(request, version, publish_form=form, problems=problems)
        messages.success(request, _("“%(name)s”已发布。") % {"name": version.name})
        return redirect("web:catalogue_review")
    return _render_review(request, version, publish_form=form)


@require_POST
@staff_required(PUBLISH)
def version_return(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(request.user, version_id, PUBLISH)
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.version_return(
                user=request.user,  # type: ignore[arg-type]
                version=version,
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            _show_error(form, error)
        else:
            messages.success(request, _("已退回编辑人员。"))
            return redirect("web:catalogue_review")
    return _render_review(request, version, return_form=form)
