"""Licence pages: the public verification page (电子证照核验) and the holder's wallet (我的证照).

Verification needs no login: by identifier, by the QR code's link (``/verify/?id=…``), or by an
uploaded licence PDF. A share link (``/verify/s/<token>/``) shows the licence's fields to whoever
holds it until it expires; the holder makes it in the wallet.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quanban.accounts.models import User
from quanban.core.errors import ApplicationError, NotFound
from quanban.licences import selectors, services
from quanban.licences.models import Licence
from quanban.licences.pdf import licence_pdf
from quanban.web.portal_case_views import citizen_required


class VerifyForm(forms.Form):
    id = forms.CharField(
        label=gettext_lazy("证照标识或核验链接"),
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs={"size": 60, "autocomplete": "off", "spellcheck": "false"}),
    )
    pdf = forms.FileField(label=gettext_lazy("或上传电子证照 PDF"), required=False)


class ShareForm(forms.Form):
    hours = forms.TypedChoiceField(
        label=gettext_lazy("有效时长"),
        coerce=int,
        choices=[
            (1, gettext_lazy("1 小时")),
            (24, gettext_lazy("1 天")),
            (72, gettext_lazy("3 天")),
            (168, gettext_lazy("7 天")),
        ],
        initial=72,
    )


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The public verification page: the identifier (or link) in ``id``, or a PDF posted."""
    verification = None
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data.get("pdf")
            text = form.cleaned_data.get("id") or ""
            if upload is not None:
                if upload.size > selectors.MAX_PDF_BYTES:
                    form.add_error("pdf", _("文件过大（不超过 5 MB）。"))
                else:
                    verification = selectors.licence_verify_pdf(upload.read())
            elif text.strip():
                verification = selectors.licence_verify(selectors.identifier_from_link(text))
            else:
                form.add_error(None, _("请输入证照标识，或上传电子证照 PDF。"))
    else:
        query = request.GET.get("id", "")[:500]
        form = VerifyForm(initial={"id": query})
        if query.strip():
            verification = selectors.licence_verify(selectors.identifier_from_link(query))
    context: dict[str, Any] = {"form": form}
    if verification is not None:
        context["view"] = selectors.public_view(verification)
    return render(request, "web/licences/verify.html", context)


@require_GET
def shared(request: HttpRequest, token: str) -> HttpResponse:
    """A licence its holder shared: the verification result and all its fields."""
    try:
        licence = selectors.licence_share_read(token)
    except NotFound as error:
        return render(request, "web/licences/shared.html", {"gone": str(error)}, status=404)
    verification = selectors.licence_verify(licence.identifier)
    context = {
        "view": selectors.public_view(verification),
        "fields": selectors.fields_of(licence, public=False)
        if verification.result != selectors.TAMPERED
        else [],
        "expires_at": selectors.share_expiry(token),
    }
    return render(request, "web/licences/shared.html", context)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _own(request: HttpRequest, licence_id: int) -> Licence:
    try:
        return selectors.licence_get_for_holder(user=_user(request), licence_id=licence_id)
    except NotFound as error:
        raise Http404(str(error)) from error


@citizen_required
@require_GET
def my_licences(request: HttpRequest) -> HttpResponse:
    licences = selectors.licence_list_for_holder(user=_user(request))
    rows = [
        (licence, selectors.RESULT_LABELS[selectors.licence_status_today(licence)])
        for licence in licences
    ]
    # The link just made (shown once, after the redirect).
    share = request.session.pop("licence_share", None)
    return render(
        request,
        "web/licences/wallet.html",
        {"rows": rows, "share": share, "share_form": ShareForm()},
    )


@citizen_required
@require_GET
def my_licence_pdf(request: HttpRequest, licence_id: int) -> HttpResponse:
    licence = _own(request, licence_id)
    content = licence_pdf(licence, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="licence-{licence.serial}-{licence.version:03d}.pdf"'
    )
    return response


@citizen_required
@require_POST
def my_licence_share(request: HttpRequest, licence_id: int) -> HttpResponse:
    licence = _own(request, licence_id)
    form = ShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择分享链接的有效时长。"))
        return redirect("web:licence_wallet")
    try:
        token, expires = services.licence_share_create(
            licence=licence, user=_user(request), hours=form.cleaned_data["hours"]
        )
    except ApplicationError as error:
        messages.error(request, str(error))
        return redirect("web:licence_wallet")
    request.session["licence_share"] = {
        "licence_id": licence.pk,
        "url": request.build_absolute_uri(reverse("web:licence_shared", args=[token])),
        "expires_at": expires.isoformat(),
    }
    messages.success(request, _("分享链接已生成，到期前任何人都可以凭它查看此证照。"))
    return redirect("web:licence_wallet")
