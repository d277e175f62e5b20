"""The portal's search results page: /search/?q=…"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from quanban.catalogue.codes import ExerciseLevel
from quanban.core.errors import ApplicationError
from quanban.searchindex.query import Hit, search

FIELD_LABELS = {
    "name": _("事项名称"),
    "keywords": _("关键词"),
    "department": _("实施部门"),
    "materials": _("申请材料"),
}


@dataclass(frozen=True)
class Result:
    hit: Hit
    url: str | None
    level: str
    matched: list[str]


def _guide_url(item_id: int) -> str | None:
    try:
        return reverse("web:item_guide", args=[item_id])
    except NoReverseMatch:  # the guide pages are not installed
        return None


def portal_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    level = request.GET.get("level") or None
    if level not in ExerciseLevel.values:
        level = None
    results: list[Result] = []
    error = ""
    if query.strip():
        try:
            hits = search(query, limit=30, level=level)
        except ApplicationError as exc:
            error = str(exc)
        else:
            results = [
                Result(
                    hit=hit,
                    url=_guide_url(hit.item_id),
                    level=str(ExerciseLevel(hit.level).label)
                    if hit.level in ExerciseLevel.values
                    else hit.level,
                    matched=[str(FIELD_LABELS[name]) for name in hit.matched],
                )
                for hit in hits
            ]
    return render(
        request,
        "web/portal/search.html",
        {
            "query": query,
            "level": level or "",
            "levels": ExerciseLevel.choices,
            "results": results,
            "error": error,
            "searched": bool(query.strip()) and not error,
        },
    )
