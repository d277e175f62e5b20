"""一业一证 in the portal: the industry themes, and one theme's page (what it bundles, the one
material list, where to apply). Public, no login; applying goes through the theme item's own
guide and online application, like any item."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from quanban.accounts.models import OrgUnit
from quanban.catalogue import theme_selectors
from quanban.catalogue.models import ItemVersion
from quanban.core.errors import NotFound


@require_GET
def theme_list(request: HttpRequest) -> HttpResponse:
    rows = []
    for theme in theme_selectors.themes_published():
        version = theme_selectors.theme_published_version(theme)
        if version is None:
            continue
        rows.append(
            {"theme": theme, "version": version, "parts": theme_selectors.version_parts(version)}
        )
    return render(request, "web/themes/list.html", {"rows": rows})


@require_GET
def theme_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        theme, version = theme_selectors.theme_get_published(code=code)
    except NotFound as error:
        raise Http404(str(error)) from error
    parts = theme_selectors.version_parts(version)
    materials = version.materials.select_related("retained_proof").order_by("seq")
    departments = _departments(version)
    return render(
        request,
        "web/themes/detail.html",
        {
            "theme": theme,
            "version": version,
            "parts": parts,
            "materials": materials,
            "departments": departments,
            "merged_from": sum(part.materials.count() for part in parts),
        },
    )


def _departments(version: ItemVersion) -> list[str]:
    codes = list((version.process or {}).get("co_review_departments") or [])
    names = dict(OrgUnit.objects.filter(uscc__in=codes).values_list("uscc", "name"))
    return [names.get(code, code) for code in codes]
