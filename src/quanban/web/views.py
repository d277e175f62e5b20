"""Page handlers: parse, call one service or selector, render."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from quanban.accounts.roles import Perm, Role
from quanban.accounts.selectors import user_perms
from quanban.core import clock
from quanban.core.selectors import audit_list_for_user
from quanban.licences.selectors import licence_staff_may_list
from quanban.supervision.evaluation_selectors import evaluation_may_read
from quanban.supervision.selectors import is_supervisor
from quanban.web.decorators import staff_required
from quanban.web.forms import AuditFilterForm

AUDIT_PAGE_SIZE = 50


def portal_home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/portal/home.html", {"categories": PORTAL_CATEGORIES})


@dataclass(frozen=True)
class Category:
    icon: str
    title: Promise
    hint: Promise


# Placeholders until the catalogue exists: the life and business events people look for first.
PORTAL_CATEGORIES = (
    Category("户", _("户籍身份"), _("户口迁移、身份证、居住证")),
    Category("婚", _("婚育收养"), _("结婚登记、生育登记")),
    Category("学", _("教育就学"), _("入学、学籍、资格证书")),
    Category("业", _("就业创业"), _("失业登记、创业补贴")),
    Category("保", _("社会保障"), _("社保、医保、养老")),
    Category("房", _("住房不动产"), _("公积金、不动产登记")),
    Category("企", _("企业开办"), _("设立登记、印章、税务")),
    Category("证", _("许可经营"), _("食品经营、卫生许可")),
)


@dataclass(frozen=True)
class WorkbenchCard:
    perm: str
    title: Promise
    hint: Promise


# What each permission will open; later features turn these into pages.
WORKBENCH_CARDS = (
    WorkbenchCard(Perm.APPLICANT_WRITE, _("申请人"), _("登记自然人和法人")),
    WorkbenchCard(Perm.ROLE_GRANT, _("角色授权"), _("授予或收回工作人员的角色")),
    WorkbenchCard(Perm.ACCOUNT_MANAGE, _("账号管理"), _("开设、停用工作人员账号")),
    WorkbenchCard(Perm.ORG_MANAGE, _("组织机构"), _("区划、部门、处室、大厅、窗口")),
    WorkbenchCard(Perm.CALENDAR_EDIT, _("工作日历"), _("节假日与调休工作日")),
)


@staff_required()
def workbench_home(request: HttpRequest) -> HttpResponse:
    perms = user_perms(request.user)
    roles = [
        (Role(a.role).label, a.org_unit.name)
        for a in request.user.role_assignments.select_related("org_unit").order_by("id")  # type: ignore[union-attr]
    ]
    return render(
        request,
        "web/workbench/home.html",
        {
            "cards": [card for card in WORKBENCH_CARDS if card.perm in perms],
            "roles": roles,
            "can_audit": Perm.AUDIT_VIEW in perms,
            "can_work_cases": Perm.BUSINESS_WRITE in perms,
            "can_evaluate": evaluation_may_read(request.user),  # type: ignore[arg-type]
            "can_manage_licences": licence_staff_may_list(request.user),  # type: ignore[arg-type]
            "can_rank": is_supervisor(request.user),  # type: ignore[arg-type]
        },
    )


@staff_required(Perm.AUDIT_VIEW)
def workbench_audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    records = audit_list_for_user(request.user, **{k: v for k, v in filters.items() if v})
    page = Paginator(records, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/workbench/audit.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def hall_screen(request: HttpRequest) -> HttpResponse:
    return render(request, "web/screens/hall.html", {"now": clock.now()})
