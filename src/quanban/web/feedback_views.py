"""好差评 and 找茬 pages (docs/feedback.md).

- the portal: rate a finished case of one's own, one's ratings and complaints with the verdict on
  a rectification, the find-fault form, the public results;
- the SMS link's page (no sign-in, the one-time token);
- the workbench: the clerk opens the window's rating pad (a full-screen page on the tablet facing
  the applicant), the follow-ups of one's units, the supervisor's national-format export.

Handlers parse, call one selector or service and render; staff pages never show the rater.
"""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import Perm
from quanban.cases import selectors as cases
from quanban.cases.models import Case
from quanban.core.errors import ApplicationError, NotFound, PermissionDenied
from quanban.feedback import codes, selectors, services
from quanban.feedback.models import Complaint, FollowUp, Level, RatingAppeal, RatingKind
from quanban.supervision.selectors import is_supervisor
from quanban.web.case_common import show_error
from quanban.web.decorators import forbidden, staff_required
from quanban.web.portal_case_views import citizen_required

SCORE_CHOICES = [("", gettext_lazy("（不评）")), *[(str(v), label) for v, label in Level.choices]]
LEVEL_CHOICES = [(str(v), label) for v, label in Level.choices]
DIMENSION_LABELS = {
    "efficiency": gettext_lazy("办事效率"),
    "guide_accuracy": gettext_lazy("办事指南准确性"),
    "convenience": gettext_lazy("办事便捷程度"),
    "usability": gettext_lazy("平台易用性"),
    "skill": gettext_lazy("业务水平"),
    "attitude": gettext_lazy("服务态度"),
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- The rating form (portal, SMS link, pad) ------------------------------------------------------


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(
        label=gettext_lazy("总体评价"),
        choices=LEVEL_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "levels"}),
    )
    text = forms.CharField(
        label=gettext_lazy("评价内容（选填）"),
        required=False,
        max_length=services.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    tags = forms.CharField(
        label=gettext_lazy("标签（选填，用逗号分隔）"), required=False, max_length=250
    )

    def __init__(self, *args: Any, kind: str = RatingKind.PER_CASE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dimensions = services.DIMENSIONS[kind]
        for name in self.dimensions:
            self.fields[name] = forms.TypedChoiceField(
                label=DIMENSION_LABELS[name],
                choices=SCORE_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
            )

    def scores(self) -> dict[str, int]:
        return {
            name: self.cleaned_data[name]
            for name in self.dimensions
            if self.cleaned_data.get(name) is not None
        }

    def tag_list(self) -> list[str]:
        raw = self.cleaned_data.get("tags", "").replace("，", ",")
        return [tag.strip() for tag in raw.split(",") if tag.strip()]


def _submit(form: RatingForm, call: Any) -> bool:
    """Run the rating service with the form's values; put a refusal on the form."""
    if not form.is_valid():
        return False
    try:
        call(
            level=form.cleaned_data["level"],
            scores=form.scores(),
            text=form.cleaned_data["text"],
            tags=form.tag_list(),
        )
    except ApplicationError as error:
        show_error(form, error)
        return False
    return True


@citizen_required
def case_rate(request: HttpRequest, case_id: int) -> HttpResponse:
    """评价办件: the applicant rates their own finished case (a second time within the days
    allowed, which replaces the first)."""
    user = _user(request)
    try:
        case = cases.case_get_for_applicant(user=user, case_id=case_id)
    except NotFound as error:
        raise Http404(str(error)) from error
    current = selectors.case_rating_of(case_id=case.pk)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and case.state == Case.State.FINISHED:
        channel = "mobile" if request.POST.get("channel") == "mobile" else "portal"

        def call(**values: Any) -> None:
            services.rating_submit_for_case(user=user, case=case, channel=channel, **values)

        if _submit(form, call):
            messages.success(request, _("感谢您的评价！"))
            return redirect("feedback:my_feedback")
    return render(
        request,
        "web/feedback/case_rate.html",
        {"case": case, "form": form, "current": current, "finished": case.state == "finished"},
    )


@citizen_required
@require_GET
def my_feedback(request: HttpRequest) -> HttpResponse:
    mine = selectors.my_feedback(user=_user(request))
    states, verdicts = dict(FollowUp.State.choices), dict(FollowUp.Verdict.choices)
    for row in mine["ratings"] + mine["complaints"]:
        row["state_label"] = states.get(row["followup_state"] or "", "")
        row["verdict_label"] = verdicts.get(row["verdict"] or "", "")
    for row in mine["ratings"]:
        row["level_label"] = Level(row["level"]).label
    for row in mine["complaints"]:
        row["target_label"] = Complaint.Target(row["target"]).label
        row["category_label"] = Complaint.Category(row["category"]).label
    return render(
        request,
        "web/feedback/my_feedback.html",
        {"ratings": mine["ratings"], "complaints": mine["complaints"]},
    )


@citizen_required
@require_POST
def my_verdict(request: HttpRequest, followup_id: int) -> HttpResponse:
    try:
        services.followup_verdict(
            user=_user(request), followup_id=followup_id, verdict=request.POST.get("verdict", "")
        )
    except NotFound as error:
        raise Http404(str(error)) from error
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("已确认整改情况，谢谢！"))
    return redirect("feedback:my_feedback")


def sms_rate(request: HttpRequest, token: str) -> HttpResponse:
    """The SMS link's page: no sign-in; the token once, until it expires."""
    try:
        invite = services.invite_for_token(token)
    except NotFound:
        return render(request, "web/feedback/link_invalid.html", status=404)
    if invite.channel != "sms":
        return render(request, "web/feedback/link_invalid.html", status=404)
    form = RatingForm(request.POST or None)
    if request.method == "POST":

        def call(**values: Any) -> None:
            services.rating_submit_by_token(token=token, **values)

        if _submit(form, call):
            return render(request, "web/feedback/thanks.html", {"pad": False})
    return render(
        request, "web/feedback/sms_rate.html", {"form": form, "case": invite.case, "token": token}
    )


# --- Find fault (找茬) ------------------------------------------------------------------------------


class ComplaintForm(forms.Form):
    target = forms.ChoiceField(
        label=gettext_lazy("投诉对象"), choices=Complaint.Target.choices, widget=forms.HiddenInput
    )
    target_id = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    category = forms.ChoiceField(label=gettext_lazy("问题类别"), choices=Complaint.Category.choices)
    text = forms.CharField(
        label=gettext_lazy("问题描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    evidence = forms.FileField(label=gettext_lazy("佐证材料（选填，不超过 10 MB）"), required=False)
    anonymous = forms.BooleanField(
        label=gettext_lazy("匿名投诉（将无法在网上跟踪办理情况）"), required=False
    )


def _target_name(target: str, target_id: int) -> str:
    from quanban.catalogue.models import ItemVersion

    if target == "item":
        return (
            ItemVersion.objects.filter(item_id=target_id, state="published")
            .order_by("-number")
            .values_list("name", flat=True)
            .first()
            or ""
        )
    if target == "hall":
        return (
            OrgUnit.objects.filter(pk=target_id, kind="hall").values_list("name", flat=True).first()
            or ""
        )
    if target == "person":
        person = User.objects.filter(pk=target_id, kind="staff").first()
        return str(person) if person else ""
    if target == "case":
        return "#" + str(target_id)
    return ""


def complaint_new(request: HttpRequest) -> HttpResponse:
    """找茬: about an item, a case, a hall or a named person (from their pages' link)."""
    initial = {"target": request.GET.get("target", ""), "target_id": request.GET.get("id", "")}
    form = ComplaintForm(request.POST or None, request.FILES or None, initial=initial)
    user = request.user if isinstance(request.user, User) else None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            complaint = services.complaint_submit(
                user=user,
                target=data["target"],
                target_id=data["target_id"],
                category=data["category"],
                text=data["text"],
                anonymous=data["anonymous"],
                evidence=data.get("evidence"),
            )
        except PermissionDenied as error:
            if error.code == "complaint_citizen_only":
                return forbidden(request, str(error))
            form.add_error(None, str(error))
        except NotFound as error:
            form.add_error(None, str(error))
        except ApplicationError as error:
            show_error(form, error)
        else:
            return render(
                request,
                "web/feedback/complaint_done.html",
                {"complaint": complaint, "followup": complaint.follow_up},
            )
    target = form["target"].value() or ""
    try:
        target_id = int(form["target_id"].value() or 0)
    except (TypeError, ValueError):
        target_id = 0
    return render(
        request,
        "web/feedback/complaint_new.html",
        {
            "form": form,
            "target_label": dict(Complaint.Target.choices).get(target, ""),
            "target_name": _target_name(target, target_id),
            "signed_in": user is not None,
        },
    )


# --- Public results ---------------------------------------------------------------------------------


@require_GET
def results_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/feedback/results_index.html",
        {
            "departments": selectors.public_units(OrgUnit.Kind.DEPARTMENT),
            "halls": selectors.public_units(OrgUnit.Kind.HALL),
        },
    )


@require_GET
def results(request: HttpRequest, scope: str, subject_id: int) -> HttpResponse:
    try:
        found = selectors.public_results(scope=scope, subject_id=subject_id)
    except NotFound as error:
        raise Http404(str(error)) from error
    levels = [(label, found.counts[value]) for value, label in Level.choices]
    verdicts = dict(FollowUp.Verdict.choices)
    for row in found.record:
        row["problem"] = (
            Level(row["level"]).label
            if row["level"]
            else "{} · {}".format(
                Complaint.Target(row["target"]).label, Complaint.Category(row["category"]).label
            )
        )
        row["verdict_label"] = verdicts.get(row["verdict"], "")
    return render(
        request,
        "web/feedback/results.html",
        {
            "r": found,
            "levels": levels,
            "states": [(label, found.followups[value]) for value, label in FollowUp.State.choices],
            "responsibles": selectors.unit_responsibles(subject_id)
            if scope in ("department", "hall")
            else [],
        },
    )


# --- The window's rating pad -----------------------------------------------------------------------


class PadOpenForm(forms.Form):
    window = forms.ModelChoiceField(
        label=gettext_lazy("窗口"), queryset=OrgUnit.objects.none(), empty_label=None
    )
    case_id = forms.IntegerField(
        label=gettext_lazy("办件（选填，内部编号）"),
        required=False,
        min_value=1,
        max_value=2**63 - 1,
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("设备"),
        choices=[("pad", gettext_lazy("窗口评价器")), ("kiosk", gettext_lazy("自助终端"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["window"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = OrgUnit.objects.filter(kind="window", is_active=True).order_by("path")


@staff_required(Perm.BUSINESS_WRITE)
def pad_open(request: HttpRequest) -> HttpResponse:
    """The clerk opens the pad for the person they served (一次一评), optionally for a case."""
    user = _user(request)
    initial: dict[str, Any] = {}
    if request.GET.get("case"):
        initial["case_id"] = request.GET["case"]
    form = PadOpenForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        case = None
        try:
            if form.cleaned_data["case_id"]:
                case = cases.case_get_for_staff(user=user, case_id=form.cleaned_data["case_id"])
            _invite, token = services.rating_pad_open(
                user=user,
                window=form.cleaned_data["window"],
                case=case,
                channel=form.cleaned_data["channel"],
            )
        except NotFound as error:
            form.add_error("case_id", str(error))
        except ApplicationError as error:
            show_error(form, error)
        else:
            return redirect("feedback:pad", token=token)
    return render(request, "web/feedback/pad_open.html", {"form": form})


@staff_required()
def pad(request: HttpRequest, token: str) -> HttpResponse:
    """The full-screen pad facing the applicant, in the session of the clerk who opened it."""
    user = _user(request)
    try:
        invite = services.invite_for_token(token)
    except NotFound:
        return render(request, "web/feedback/link_invalid.html", {"pad": True}, status=404)
    if invite.staff_id != user.pk or invite.channel == "sms":
        return forbidden(request, _("评价器只能由开启它的窗口人员的会话使用。"))
    form = RatingForm(request.POST or None, kind=RatingKind.PER_VISIT)
    if request.method == "POST":

        def call(**values: Any) -> None:
            services.rating_submit_by_token(token=token, user=user, **values)

        if _submit(form, call):
            return render(request, "web/feedback/thanks.html", {"pad": True})
    return render(
        request,
        "web/feedback/pad.html",
        {"form": form, "invite": invite, "clerk": user, "token": token},
    )


# --- Follow-ups (回访整改) ----------------------------------------------------------------------------


class ContactForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    note = forms.CharField(
        label=gettext_lazy("回访情况（将告知评价人）"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RectifyForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    rectification = forms.CharField(
        label=gettext_lazy("整改情况（将告知评价人并公示）"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class VerifyForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=gettext_lazy("核实结论"),
        choices=[("yes", gettext_lazy("属实")), ("no", gettext_lazy("不属实"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )


@staff_required()
@require_GET
def followups(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in FollowUp.State.values:
        state = ""
    rows = selectors.followup_list_for_user(user=_user(request), state=state)
    return render(
        request,
        "web/feedback/followups.html",
        {
            "rows": rows,
            "state": state,
            "states": FollowUp.State.choices,
        },
    )


def _followup_page(
    request: HttpRequest,
    followup_id: int,
    contact: ContactForm | None = None,
    rectify: RectifyForm | None = None,
    verify: VerifyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    try:
        view = selectors.followup_get_for_user(user=user, followup_id=followup_id)
    except NotFound as error:
        raise Http404(str(error)) from error
    f = view.followup
    if view.may_handle and f.state == FollowUp.State.OPEN:
        contact = contact or ContactForm(initial={"version": f.version})
    else:
        contact = None
    if view.may_handle and f.state in (FollowUp.State.OPEN, FollowUp.State.CONTACTED):
        rectify = rectify or RectifyForm(initial={"version": f.version})
    else:
        rectify = None
    if view.complaint is not None and is_supervisor(user):
        upheld = view.complaint.get("upheld")
        verify = verify or VerifyForm(
            initial={"upheld": "" if upheld is None else ("yes" if upheld else "no")}
        )
    else:
        verify = None
    return render(
        request,
        "web/feedback/followup.html",
        {
            "view": view,
            "f": f,
            "contact_form": contact,
            "rectify_form": rectify,
            "verify_form": verify,
            "may_appeal": _may_appeal(user, view.rating),
            "dimensions": [
                (DIMENSION_LABELS[name], Level((view.rating or {})[name]).label)
                for name in services.ALL_DIMENSIONS
                if (view.rating or {}).get(name)
            ],
        },
        status=status,
    )


def _may_appeal(user: User, rating: dict[str, Any] | None) -> bool:
    if rating is None:
        return False
    try:
        selectors.rating_for_appeal(user=user, rating_id=rating["id"])
    except NotFound:
        return False
    return True


@staff_required()
@require_GET
def followup(request: HttpRequest, followup_id: int) -> HttpResponse:
    return _followup_page(request, followup_id)


def _handle(request: HttpRequest, followup_id: int, form: forms.Form, action: str) -> HttpResponse:
    user = _user(request)
    try:
        view = selectors.followup_get_for_user(user=user, followup_id=followup_id)
    except NotFound as error:
        raise Http404(str(error)) from error
    if form.is_valid():
        try:
            if action == "contact":
                services.followup_contact(
                    user=user,
                    followup=view.followup,
                    note=form.cleaned_data["note"],
                    expected_version=form.cleaned_data["version"],
                )
            else:
                services.followup_rectify(
                    user=user,
                    followup=view.followup,
                    rectification=form.cleaned_data["rectification"],
                    expected_version=form.cleaned_data["version"],
                )
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("已保存。"))
            return redirect("feedback:followup", followup_id=followup_id)
    kwargs = {"contact": form} if action == "contact" else {"rectify": form}
    return _followup_page(request, followup_id, status=422, **kwargs)  # type: ignore[arg-type]


@staff_required(Perm.BUSINESS_WRITE)
@require_POST
def followup_contact(request: HttpRequest, followup_id: int) -> HttpResponse:
    return _handle(request, followup_id, ContactForm(request.POST), "contact")


@staff_required(Perm.BUSINESS_WRITE)
@require_POST
def followup_rectify(request: HttpRequest, followup_id: int) -> HttpResponse:
    return _handle(request, followup_id, RectifyForm(request.POST), "rectify")


@staff_required()
@require_POST
def followup_verify(request: HttpRequest, followup_id: int) -> HttpResponse:
    """核实: a supervisor records whether the complaint was upheld (docs/rankings.md)."""
    user = _user(request)
    if not is_supervisor(user):
        return forbidden(request, _("只有督查人员可以核实投诉。"))
    try:
        view = selectors.followup_get_for_user(user=user, followup_id=followup_id)
    except NotFound as error:
        raise Http404(str(error)) from error
    if view.complaint is None:
        raise Http404(_("差评无需核实。"))
    form = VerifyForm(request.POST)
    if form.is_valid():
        try:
            services.complaint_verify(
                user=user, complaint_id=view.complaint["id"], upheld=form.cleaned_data["upheld"]
            )
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("已保存核实结论。"))
            return redirect("feedback:followup", followup_id=followup_id)
    return _followup_page(request, followup_id, verify=form, status=422)


# --- Appeals (申诉复核) ------------------------------------------------------------------------------


class AppealForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("申诉理由"),
        choices=RatingAppeal.Reason.choices,
        widget=forms.RadioSelect,
    )
    statement = forms.CharField(
        label=gettext_lazy("申诉说明"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    evidence = forms.FileField(label=gettext_lazy("佐证材料（选填，不超过 10 MB）"), required=False)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("复核结论"),
        choices=[(v, RatingAppeal.State(v).label) for v in services.APPEAL_DECISIONS],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("复核意见（将告知申诉人）"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _rating_facts(rating: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(DIMENSION_LABELS[name]), str(Level(rating[name]).label))
        for name in services.ALL_DIMENSIONS
        if rating.get(name)
    ]


@staff_required(Perm.BUSINESS_WRITE)
def appeal_new(request: HttpRequest, rating_id: int) -> HttpResponse:
    """申诉: staff of the rated unit contest a bad rating, with evidence."""
    user = _user(request)
    try:
        rating = selectors.rating_for_appeal(user=user, rating_id=rating_id)
    except NotFound as error:
        raise Http404(str(error)) from error
    form = AppealForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                appeal = services.appeal_file(
                    user=user,
                    rating_id=rating_id,
                    reason=form.cleaned_data["reason"],
                    statement=form.cleaned_data["statement"],
                    evidence=form.cleaned_data.get("evidence"),
                )
            except ApplicationError as error:
                show_error(form, error)
            else:
                messages.success(request, _("申诉已提交，等待督查人员复核。"))
                return redirect("feedback:appeal", appeal_id=appeal.pk)
    return render(
        request,
        "web/feedback/appeal_new.html",
        {
            "form": form,
            "rating": rating,
            "level": Level(rating["level"]).label,
            "facts": _rating_facts(rating),
        },
        status=status,
    )


@staff_required()
@require_GET
def appeals(request: HttpRequest) -> HttpResponse:
    """The supervisor's queue of appeals (pending first), or a unit's own."""
    state = request.GET.get("state", "")
    if state not in RatingAppeal.State.values:
        state = ""
    rows = selectors.appeal_list_for_user(user=_user(request), state=state)
    return render(
        request,
        "web/feedback/appeals.html",
        {"rows": rows, "state": state, "states": RatingAppeal.State.choices},
    )


def _appeal_page(
    request: HttpRequest, appeal_id: int, form: DecideForm | None = None, status: int = 200
) -> HttpResponse:
    try:
        view = selectors.appeal_get_for_user(user=_user(request), appeal_id=appeal_id)
    except NotFound as error:
        raise Http404(str(error)) from error
    return render(
        request,
        "web/feedback/appeal.html",
        {
            "view": view,
            "a": view.appeal,
            "level": Level(view.rating["level"]).label,
            "facts": _rating_facts(view.rating),
            "form": (form or DecideForm()) if view.may_decide else None,
        },
        status=status,
    )


@staff_required()
@require_GET
def appeal(request: HttpRequest, appeal_id: int) -> HttpResponse:
    return _appeal_page(request, appeal_id)


@staff_required()
@require_GET
def appeal_evidence(request: HttpRequest, appeal_id: int) -> HttpResponse:
    """The appeal's evidence, for whoever may see the appeal (its unit, the supervisors)."""
    try:
        view = selectors.appeal_get_for_user(user=_user(request), appeal_id=appeal_id)
    except NotFound as error:
        raise Http404(str(error)) from error
    evidence = view.appeal.evidence
    if not evidence:
        raise Http404(_("该申诉没有佐证材料。"))
    name = (evidence.name or "evidence").rsplit("/", 1)[-1]
    return FileResponse(evidence.open("rb"), as_attachment=True, filename=name)  # type: ignore[return-value]


@staff_required()
@require_POST
def appeal_decide(request: HttpRequest, appeal_id: int) -> HttpResponse:
    """复核: the supervisor's decision."""
    user = _user(request)
    if not is_supervisor(user):
        return forbidden(request, _("评价申诉由督查人员复核。"))
    form = DecideForm(request.POST)
    if form.is_valid():
        try:
            services.appeal_decide(
                user=user,
                appeal_id=appeal_id,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except NotFound as error:
            raise Http404(str(error)) from error
        except ApplicationError as error:
            show_error(form, error)
        else:
            messages.success(request, _("已复核。"))
            return redirect("feedback:appeal", appeal_id=appeal_id)
    return _appeal_page(request, appeal_id, form=form, status=422)


# --- The national export ------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _month(value: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        return None


@staff_required()
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """A month's ratings in the exchange format (GB/T 39046 table 9 codes by default; with
    ``direction=provincial`` the provincial direction), for supervisors."""
    if not is_supervisor(_user(request)):
        return forbidden(request, _("评价数据导出仅供督查人员使用。"))
    start = _month(request.GET.get("month", ""))
    if start is None:
        today = dt.date.today()
        start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    direction = request.GET.get("direction", codes.NATIONAL)
    if direction not in codes.DIRECTIONS:
        direction = codes.NATIONAL
    writer = csv.writer(_Echo())
    rows = selectors.ratings_export_rows(start=start, end=end, direction=direction)

    def stream() -> Any:
        yield "\ufeff" + writer.writerow(selectors.EXPORT_HEADER)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    name = f"ratings-{start:%Y-%m}-{direction}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # Streamed: a month of a city's ratings is not held in memory.
    return cast(HttpResponse, response)


def pad_url(token: str) -> str:
    return reverse("feedback:pad", kwargs={"token": token})
