"""The public 办事指南 (service guide) of an item: page, material list, checklist PDF.

Everything shown is the item's current published version. The situation questions narrow the
material list: answers travel as ``s<situation seq>=<option seq>`` GET parameters, so the same
URL works with htmx (the list is swapped in place), without JavaScript and in the checklist link.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from quanban.accounts.models import OrgUnit
from quanban.catalogue import codes, selectors
from quanban.catalogue.models import ItemVersion, Material
from quanban.core import clock
from quanban.core.errors import NotFound
from quanban.feedback.selectors import item_responsibles
from quanban.web.pdf import Checklist, ChecklistRow, checklist_pdf

# Windows whose name starts with this accept every item (one-window intake, 一窗受理).
COMPREHENSIVE_WINDOW_PREFIX = "综合受理"


def _published_version(item_id: int) -> ItemVersion:
    """The item's current published version with everything the guide shows, in few queries."""
    try:
        return selectors.item_published_detail(item_id=item_id)
    except NotFound as error:
        raise Http404(str(error)) from error


def _answers(request: HttpRequest, version: ItemVersion) -> dict[int, int]:
    """``s<seq>=<option seq>`` parameters that name a real situation and option; others ignored."""
    answers: dict[int, int] = {}
    for situation in version.situations.all():
        raw = request.GET.get(f"s{situation.seq}", "")
        if raw.isdigit() and any(o.seq == int(raw) for o in situation.options.all()):
            answers[situation.seq] = int(raw)
    return answers


def _answer_query(answers: dict[int, int]) -> str:
    return "&".join(f"s{seq}={option}" for seq, option in sorted(answers.items()))


def _label(choices: type[Any], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@dataclass(frozen=True)
class Hall:
    name: str
    address: str
    phone: str
    windows: list[str]


def _places(version: ItemVersion) -> tuple[list[Hall], OrgUnit | None]:
    """The service halls with their comprehensive windows (each accepts every item) and the
    division the implementing department serves, in one query."""
    parent_id = version.item.implementing_department.parent_id
    units = OrgUnit.objects.filter(
        Q(kind=OrgUnit.Kind.HALL)
        | Q(kind=OrgUnit.Kind.WINDOW, name__startswith=COMPREHENSIVE_WINDOW_PREFIX)
        | Q(pk=parent_id),
        is_active=True,
    ).order_by("sort", "name")
    halls = {u.pk: Hall(u.name, u.address, u.phone, []) for u in units if u.kind == "hall"}
    jurisdiction = None
    for unit in units:
        if unit.kind == OrgUnit.Kind.WINDOW and unit.parent_id in halls:
            halls[unit.parent_id].windows.append(unit.name)
        if unit.pk == parent_id and unit.is_division:
            jurisdiction = unit
    return list(halls.values()), jurisdiction


def _json_ld(
    request: HttpRequest, version: ItemVersion, halls: list[Hall], area: OrgUnit | None
) -> SafeString:
    """schema.org GovernmentService, as search engines and other portals read it."""
    department = version.item.implementing_department
    operator = {
        "@type": "GovernmentOrganization",
        "name": department.name,
        "identifier": department.uscc,
    }
    area_ld = (
        {"@type": "AdministrativeArea", "name": area.name, "identifier": area.division_code}
        if area is not None
        else None
    )
    processing = f"P{version.promised_limit_days}D"
    channels: list[dict[str, Any]] = []
    url = request.build_absolute_uri(reverse("web:item_guide", args=[version.item_id]))
    for form in version.handling_forms:
        channel: dict[str, Any] = {
            "@type": "ServiceChannel",
            "name": _label(codes.HandlingForm, form),
            "processingTime": processing,
        }
        if form == codes.HandlingForm.WINDOW:
            channel["serviceLocation"] = [
                {"@type": "GovernmentOffice", "name": hall.name, "address": hall.address}
                for hall in halls
            ]
        elif form in (codes.HandlingForm.PC, codes.HandlingForm.MOBILE):
            channel["serviceUrl"] = url
        if version.consult_phone:
            channel["servicePhone"] = {"@type": "ContactPoint", "telephone": version.consult_phone}
        channels.append(channel)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "name": version.name,
        "identifier": version.item.implementation_code,
        "serviceType": _label(codes.ItemType, version.item_type),
        "url": url,
        "serviceOperator": operator,
        "provider": operator,
        "audience": [
            {"@type": "Audience", "audienceType": _label(codes.ServiceObject, value)}
            for value in version.service_objects
        ],
        "availableChannel": channels,
    }
    if version.short_description:
        data["description"] = version.short_description
    if area_ld is not None:
        data["jurisdiction"] = area_ld
        data["areaServed"] = area_ld
    text = json.dumps(data, ensure_ascii=False, indent=2)
    # As json_script does: nothing in the data can close the <script> element.
    text = text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return mark_safe(text)


def _my_materials(version: ItemVersion, answers: dict[int, int]) -> list[Material]:
    # The selector prefetches situations its own way, which Django refuses on a version whose
    # situations are already prefetched (by item_published_detail): give it one without them.
    plain = copy.copy(version)
    plain._prefetched_objects_cache = {}  # type: ignore[attr-defined]
    return selectors.material_list_for_answers(plain, answers)


def _material_context(request: HttpRequest, version: ItemVersion) -> dict[str, Any]:
    answers = _answers(request, version)
    query = _answer_query(answers)
    checklist = reverse("web:item_checklist", args=[version.item_id])
    return {
        "answers": answers,
        "my_materials": _my_materials(version, answers),
        "answer_query": query,
        "checklist_url": f"{checklist}?{query}" if query else checklist,
        "answered_all": len(answers) == len(version.situations.all()),
    }


def _guide_context(request: HttpRequest, version: ItemVersion) -> dict[str, Any]:
    halls, jurisdiction = _places(version)
    return {
        "version": version,
        "item": version.item,
        "department": version.item.implementing_department,
        "jurisdiction": jurisdiction,
        "service_objects": [_label(codes.ServiceObject, v) for v in version.service_objects],
        "handling_forms": [_label(codes.HandlingForm, v) for v in version.handling_forms],
        "process_kind": _label(codes.ProcessKind, str(version.process.get("kind", "")))
        if version.process.get("kind")
        else "",
        "halls": halls,
        "responsibles": item_responsibles(version),
        "json_ld": _json_ld(request, version, halls, jurisdiction),
        **_material_context(request, version),
    }


@require_GET
def item_guide(request: HttpRequest, item_id: int) -> HttpResponse:
    version = _published_version(item_id)
    return render(request, "web/catalogue/guide.html", _guide_context(request, version))


@require_GET
def item_materials(request: HttpRequest, item_id: int) -> HttpResponse:
    """The applicant's own material list: a fragment for htmx, a small page otherwise."""
    version = _published_version(item_id)
    context = {"version": version, "item": version.item, **_material_context(request, version)}
    if getattr(request, "htmx", False):
        return render(request, "web/catalogue/_my_materials.html", context)
    return render(request, "web/catalogue/materials_page.html", context)


@require_GET
def item_checklist(request: HttpRequest, item_id: int) -> HttpResponse:
    version = _published_version(item_id)
    answers = _answers(request, version)
    materials = _my_materials(version, answers)
    notes = []
    for situation in version.situations.all():
        chosen = next(
            (o for o in situation.options.all() if o.seq == answers.get(situation.seq)), None
        )
        notes.append(
            _("%(question)s %(answer)s")
            % {
                "question": escape(situation.question),
                "answer": escape(chosen.label) if chosen else _("（未选择）"),
            }
        )
    notes.append(
        _("承诺办结时限：%(days)d 个工作日；法定办结时限：%(legal)d 个工作日。")
        % {"days": version.promised_limit_days, "legal": version.legal_limit_days}
    )
    if version.handling_place:
        notes.append(_("办理地点：%(place)s") % {"place": escape(version.handling_place)})
    if version.consult_phone:
        notes.append(_("咨询电话：%(phone)s") % {"phone": escape(version.consult_phone)})
    rows = [
        ChecklistRow(
            name=escape(m.name),
            form=escape(m.get_form_display()),
            counts=_("原件 %(original)d / 复印件 %(copy)d")
            % {"original": m.original_count, "copy": m.copy_count},
            necessity=escape(m.get_necessity_display()),
            source=escape(m.get_source_display()),
        )
        for m in materials
    ]
    pdf = checklist_pdf(
        Checklist(
            title=escape(_("%(name)s · 申请材料清单") % {"name": version.name}),
            subtitle=escape(
                _("%(department)s · 实施编码 %(code)s · 打印日期 %(date)s")
                % {
                    "department": version.item.implementing_department.name,
                    "code": version.item.implementation_code,
                    "date": clock.today().isoformat(),
                }
            ),
            headers=(
                _("序号"),
                _("材料名称"),
                _("材料形式"),
                _("份数"),
                _("必要性"),
                _("来源"),
            ),
            rows=rows,
            notes=notes,
            footer=escape(_("本清单根据您选择的情形生成，以窗口受理时的审核为准。")),
        )
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="checklist-{version.item_id}.pdf"'
    return response
