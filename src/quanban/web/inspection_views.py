"""督查 on the workbench (docs/supervision.md): the findings of inspections and experience
officers' reports that are a department's to rectify, with the form to record what was done; and
the supervisors' page of inspections and officers, where they record an inspection (with a
finding, or a random sample), register an officer and file an officer's report."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import Perm
from quanban.core.errors import ApplicationError, NotFound, ValidationFailed
from quanban.supervision import inspections
from quanban.supervision.models import ExperienceOfficer, Finding, Inspection
from quanban.supervision.selectors import is_supervisor
from quanban.web.case_common import show_error
from quanban.web.decorators import forbidden, staff_required


class RectifyForm(forms.Form):
    rectification = forms.CharField(
        label=gettext_lazy("整改情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _page(
    request: HttpRequest, failed: tuple[int, RectifyForm] | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    state = request.GET.get("state", "")
    if state not in Finding.State.values:
        state = ""
    rows = []
    for finding in inspections.findings_for_user(user=user, state=state):
        form = None
        if failed is not None and failed[0] == finding.pk:
            form = failed[1]
        elif inspections.may_rectify(user, finding):
            form = RectifyForm(prefix=f"f{finding.pk}")
        rows.append((finding, form))
    return render(
        request,
        "web/workbench/findings.html",
        {
            "rows": rows,
            "state": state,
            "states": Finding.State.choices,
            "supervisor": is_supervisor(user),
        },
        status=status,
    )


@staff_required()
@require_GET
def findings(request: HttpRequest) -> HttpResponse:
    return _page(request)


@staff_required(Perm.BUSINESS_WRITE)
@require_POST
def finding_rectify(request: HttpRequest, finding_id: int) -> HttpResponse:
    form = RectifyForm(request.POST, prefix=f"f{finding_id}")
    if form.is_valid():
        try:
            inspections.finding_rectify(
                user=_user(request),
                finding_id=finding_id,
                rectification=form.cleaned_data["rectification"],
            )
        except NotFound as error:
            raise Http404(str(error)) from error
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("已保存整改情况。"))
            return redirect("web:workbench_findings")
    return _page(request, failed=(finding_id, form), status=422)


# --- The supervisors' page: inspections and officers -------------------------------------------


def _departments() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=gettext_lazy("责任部门"),
        queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT, is_active=True).order_by(
            "sort", "path"
        ),
        required=False,
    )


class InspectionForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("督查类型"),
        choices=[
            (k, Inspection.Kind(k).label)
            for k in (Inspection.Kind.SPECIAL, Inspection.Kind.UNANNOUNCED, Inspection.Kind.RANDOM)
        ],
    )
    title = forms.CharField(label=gettext_lazy("标题"), max_length=200)
    held_on = forms.DateField(
        label=gettext_lazy("督查日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    summary = forms.CharField(
        label=gettext_lazy("概况（选填）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    department = _departments()
    finding = forms.CharField(
        label=gettext_lazy("发现的问题（选填，交责任部门整改）"), required=False, max_length=2000
    )
    sample_from = forms.DateField(
        label=gettext_lazy("随机抽查：收件起始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sample_to = forms.DateField(
        label=gettext_lazy("随机抽查：收件截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sample_size = forms.IntegerField(
        label=gettext_lazy("随机抽查：抽取件数"),
        required=False,
        min_value=1,
        max_value=inspections.SAMPLE_MAX,
    )
    seed = forms.IntegerField(
        label=gettext_lazy("随机种子（选填，留空则随机生成并记录）"),
        required=False,
        min_value=0,
        max_value=2**62,
    )


class OfficerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50)
    kind = forms.ChoiceField(label=gettext_lazy("类别"), choices=ExperienceOfficer.Kind.choices)
    term_start = forms.DateField(
        label=gettext_lazy("聘期开始"), widget=forms.DateInput(attrs={"type": "date"})
    )
    term_end = forms.DateField(
        label=gettext_lazy("聘期结束"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ReportForm(forms.Form):
    officer = forms.ModelChoiceField(
        label=gettext_lazy("体验官"), queryset=ExperienceOfficer.objects.order_by("name", "pk")
    )
    channel = forms.ChoiceField(label=gettext_lazy("体验方式"), choices=Inspection.Channel.choices)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("服务大厅或窗口（现场体验）"),
        queryset=OrgUnit.objects.filter(
            kind__in=[OrgUnit.Kind.HALL, OrgUnit.Kind.WINDOW], is_active=True
        ).order_by("path"),
        required=False,
    )
    item_id = forms.IntegerField(
        label=gettext_lazy("事项编号（网上体验）"), required=False, min_value=1, max_value=2**62
    )
    held_on = forms.DateField(
        label=gettext_lazy("体验日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    title = forms.CharField(label=gettext_lazy("标题"), max_length=200)
    score = forms.TypedChoiceField(
        label=gettext_lazy("总体评分（服务态度）"),
        choices=[("", "—")] + [(str(n), str(n)) for n in range(5, 0, -1)],
        coerce=int,
        required=False,
        empty_value=None,
    )
    department = _departments()
    finding = forms.CharField(
        label=gettext_lazy("发现的问题（选填，交责任部门整改）"), required=False, max_length=2000
    )


def _findings_of(data: dict[str, object]) -> list[inspections.FindingInput]:
    department, text = data.get("department"), str(data.get("finding") or "").strip()
    if not text:
        return []
    if department is None:
        raise ValidationFailed(
            _("请选择发现问题的责任部门。"), code="finding_department_missing", field="department"
        )
    assert isinstance(department, OrgUnit)
    return [inspections.FindingInput(department_id=department.pk, text=text)]


def _inspections_page(
    request: HttpRequest,
    *,
    inspection_form: InspectionForm | None = None,
    officer_form: OfficerForm | None = None,
    report_form: ReportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = list(
        Inspection.objects.select_related("officer")
        .order_by("-held_on", "-pk")
        .prefetch_related("findings")[:100]
    )
    return render(
        request,
        "web/workbench/inspections.html",
        {
            "rows": rows,
            "officers": list(ExperienceOfficer.objects.order_by("-term_end", "pk")[:200]),
            "inspection_form": inspection_form or InspectionForm(prefix="i"),
            "officer_form": officer_form or OfficerForm(prefix="o"),
            "report_form": report_form or ReportForm(prefix="r"),
        },
        status=status,
    )


def _supervisor(request: HttpRequest) -> HttpResponse | None:
    if not is_supervisor(_user(request)):
        return forbidden(request, _("督查由督查人员登记。"))
    return None


@staff_required()
@require_GET
def inspection_list(request: HttpRequest) -> HttpResponse:
    return _supervisor(request) or _inspections_page(request)


@staff_required()
@require_POST
def inspection_new(request: HttpRequest) -> HttpResponse:
    if (denied := _supervisor(request)) is not None:
        return denied
    form = InspectionForm(request.POST, prefix="i")
    if form.is_valid():
        data = form.cleaned_data
        sample = None
        if data["kind"] == Inspection.Kind.RANDOM and data["department"] is not None:
            sample = {
                "department_id": data["department"].pk,
                "start": data["sample_from"],
                "end": data["sample_to"],
                "size": data["sample_size"] or 0,
                "seed": data["seed"],
            }
            if sample["start"] is None or sample["end"] is None:
                sample["start"] = sample["end"] = data["held_on"]
        try:
            inspections.inspection_record(
                user=_user(request),
                kind=data["kind"],
                title=data["title"],
                held_on=data["held_on"],
                summary=data["summary"],
                findings=_findings_of(data),
                sample=sample,
            )
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("已登记督查。"))
            return redirect("web:workbench_inspections")
    return _inspections_page(request, inspection_form=form, status=422)


@staff_required()
@require_POST
def officer_new(request: HttpRequest) -> HttpResponse:
    if (denied := _supervisor(request)) is not None:
        return denied
    form = OfficerForm(request.POST, prefix="o")
    if form.is_valid():
        try:
            inspections.officer_register(user=_user(request), **form.cleaned_data)
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("已登记体验官。"))
            return redirect("web:workbench_inspections")
    return _inspections_page(request, officer_form=form, status=422)


@staff_required()
@require_POST
def officer_report(request: HttpRequest) -> HttpResponse:
    if (denied := _supervisor(request)) is not None:
        return denied
    form = ReportForm(request.POST, prefix="r")
    if form.is_valid():
        data = form.cleaned_data
        try:
            inspections.officer_report_file(
                user=_user(request),
                officer_id=data["officer"].pk,
                channel=data["channel"],
                held_on=data["held_on"],
                title=data["title"],
                unit_id=data["unit"].pk if data["unit"] else None,
                item_id=data["item_id"],
                scores={"attitude": data["score"]} if data["score"] else {},
                findings=_findings_of(data),
            )
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("已登记体验报告。"))
            return redirect("web:workbench_inspections")
    return _inspections_page(request, report_form=form, status=422)
