"""The published lists (公开清单): one page each, filtered by GET, downloadable as Excel.

The page and its ``?format=xlsx`` download are built from the same rows, so the workbook holds
exactly what the page shows.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font

from quanban.catalogue import selectors
from quanban.catalogue.models import ItemVersion, RetainedProof
from quanban.core import clock
from quanban.web.catalogue_forms import ListFilterForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Row:
    cells: list[str]
    item_id: int | None = None  # the guide page the first cell links to


@dataclass(frozen=True)
class PublishedList:
    slug: str
    title: Promise
    description: Promise
    headers: tuple[Promise, ...]
    rows: Callable[[dict[str, Any]], list[Row]]
    link_column: int | None = 0  # the cell that links to the item's guide


def _item_cells(version: ItemVersion) -> list[str]:
    return [
        version.name,
        version.item.implementation_code,
        version.item.implementing_department.name,
        str(version.get_exercise_level_display()),
    ]


ITEM_HEADERS = (
    gettext_lazy("事项名称"),
    gettext_lazy("实施编码"),
    gettext_lazy("实施主体"),
    gettext_lazy("行使层级"),
)


def _items(
    versions: QuerySet[ItemVersion], extra: Callable[[ItemVersion], Sequence[str]]
) -> list[Row]:
    return [Row([*_item_cells(v), *extra(v)], item_id=v.item_id) for v in versions]


def _days(days: int) -> str:
    return _("%(days)d 个工作日") % {"days": days} if days else _("当场办结")


def _on_the_spot(filters: dict[str, Any]) -> list[Row]:
    return _items(selectors.on_the_spot_items(**filters), lambda v: [v.handling_place])


def _deferrable(filters: dict[str, Any]) -> list[Row]:
    return _items(
        selectors.deferrable_items(**filters),
        lambda v: ["、".join(m.name for m in v.deferrable_materials)],  # type: ignore[attr-defined]
    )


def _commitment(filters: dict[str, Any]) -> list[Row]:
    return _items(
        selectors.commitment_items(**filters),
        lambda v: [_days(v.legal_limit_days), _days(v.promised_limit_days)],
    )


def _agent_service(filters: dict[str, Any]) -> list[Row]:
    return _items(selectors.agent_service_items(**filters), lambda v: [v.handling_place])


def _top(filters: dict[str, Any]) -> list[Row]:
    return [
        Row([str(rank), *_item_cells(v), str(v.item.case_count)], item_id=v.item_id)
        for rank, v in enumerate(selectors.top_items(limit=100, **filters), start=1)
    ]


def _proof_cells(proof: RetainedProof) -> list[str]:
    return [
        proof.code,
        proof.name,
        proof.issuing_body,
        proof.legal_basis,
        _("是") if proof.online_checkable else _("否"),
    ]


def _retained_proofs(filters: dict[str, Any]) -> list[Row]:
    return [Row(_proof_cells(proof)) for proof in selectors.retained_proofs(**filters)]


LISTS: dict[str, PublishedList] = {
    spec.slug: spec
    for spec in (
        PublishedList(
            "on-the-spot",
            gettext_lazy("当场办结事项目录"),
            gettext_lazy("材料齐全、符合法定形式的，窗口当场办结的事项。"),
            (*ITEM_HEADERS, gettext_lazy("办理地点")),
            _on_the_spot,
        ),
        PublishedList(
            "retained-proofs",
            gettext_lazy("保留证明事项清单"),
            gettext_lazy("清单之外，不得要求申请人提供证明材料。"),
            (
                gettext_lazy("编号"),
                gettext_lazy("证明名称"),
                gettext_lazy("开具单位"),
                gettext_lazy("设定依据"),
                gettext_lazy("可网上核验"),
            ),
            _retained_proofs,
            link_column=None,
        ),
        PublishedList(
            "deferrable",
            gettext_lazy("容缺受理事项清单"),
            gettext_lazy("主要材料齐全、次要材料暂缺的，可先行受理，所缺材料限期补齐。"),
            (*ITEM_HEADERS, gettext_lazy("可容缺后补的材料")),
            _deferrable,
        ),
        PublishedList(
            "commitment",
            gettext_lazy("告知承诺制事项清单"),
            gettext_lazy("申请人书面承诺符合条件的，可当场或按承诺时限作出决定。"),
            (*ITEM_HEADERS, gettext_lazy("法定办结时限"), gettext_lazy("承诺办结时限")),
            _commitment,
        ),
        PublishedList(
            "agent-service",
            gettext_lazy("帮办代办事项目录"),
            gettext_lazy("可由政务服务中心帮办代办的事项。"),
            (*ITEM_HEADERS, gettext_lazy("办理地点")),
            _agent_service,
        ),
        PublishedList(
            "top",
            gettext_lazy("高频事项清单"),
            gettext_lazy("按办件量排列的前 100 个事项。"),
            (gettext_lazy("排名"), *ITEM_HEADERS, gettext_lazy("办件量")),
            _top,
            link_column=1,
        ),
    )
}


def _xlsx(spec: PublishedList, rows: list[Row]) -> HttpResponse:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = str(spec.title)[:31]
    sheet.append([str(header) for header in spec.headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row.cells)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    filename = f"{spec.slug}-{clock.today().isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def lists_index(request: HttpRequest) -> HttpResponse:
    return render(request, "web/catalogue/lists_index.html", {"lists": LISTS.values()})


@require_GET
def published_list(request: HttpRequest, slug: str) -> HttpResponse:
    spec = LISTS.get(slug)
    if spec is None:
        raise Http404(_("没有这个清单。"))
    form = ListFilterForm(request.GET or None)
    filters = form.selector_filters() if form.is_valid() else {}
    rows = spec.rows(filters)
    if request.GET.get("format") == "xlsx":
        return _xlsx(spec, rows)
    query = request.GET.copy()
    query["format"] = "xlsx"
    return render(
        request,
        "web/catalogue/list.html",
        {
            "spec": spec,
            "form": form,
            "rows": rows,
            "xlsx_url": f"{reverse('web:published_list', args=[slug])}?{query.urlencode()}",
        },
    )
