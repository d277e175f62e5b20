"""电子档案 on the workbench: the packages of the user's departments, the disposal listing, and
the download of a package (audited)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from quanban.accounts.models import User
from quanban.accounts.roles import Perm
from quanban.core import clock
from quanban.core.errors import ApplicationError, NotFound
from quanban.licences import archives, selectors
from quanban.web.decorators import staff_required

PAGE_SIZE = 50


class DueForm(forms.Form):
    due_on = forms.DateField(
        label=gettext_lazy("到期日期（含）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@staff_required(Perm.ARCHIVE_VIEW)
def archive_list(request: HttpRequest) -> HttpResponse:
    form = DueForm(request.GET or None)
    due_on = form.cleaned_data.get("due_on") if form.is_valid() else None
    packages = selectors.archive_list_for_user(user=_user(request), due_on=due_on)
    page = Paginator(packages, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/workbench/archives.html",
        {
            "form": form,
            "page": page,
            "due_on": due_on,
            "today": timezone.localdate(clock.now()),
            "query": query.urlencode(),
        },
    )


@staff_required(Perm.ARCHIVE_DOWNLOAD)
def archive_download(request: HttpRequest, package_id: int) -> HttpResponse:
    user = _user(request)
    try:
        package = selectors.archive_get_for_download(user=user, package_id=package_id)
    except NotFound as error:
        raise Http404(str(error)) from error
    try:
        path = archives.archive_download(user=user, package=package)
    except ApplicationError as error:
        # Disposed, or its file missing: the list says so; nothing was handed out or audited.
        messages.error(request, str(error))
        return redirect("web:archive_list")
    name = package.path.rsplit("/", 1)[-1]
    return FileResponse(  # type: ignore[return-value]
        path.open("rb"), as_attachment=True, filename=name, content_type="application/zip"
    )
