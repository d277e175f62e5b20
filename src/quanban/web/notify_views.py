"""Notification pages: the bell and the message list (staff and applicants alike), the person's
notification settings, and the administrator's list of failed messages with a resend action."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from quanban.accounts.models import User
from quanban.accounts.passwords import password_expired
from quanban.core.errors import ApplicationError
from quanban.core.masking import mask_phone
from quanban.notify import selectors, services
from quanban.web.decorators import staff_required

PAGE_SIZE = 30
FAILED_PAGE_SIZE = 50

View = Callable[..., HttpResponse]


def signed_in_required(view: View) -> View:
    """Let through anyone signed in: an applicant, or staff past their second factor (and with a
    password not expired). Visitors go to the portal's login."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not isinstance(user, User):
            return redirect_to_login(request.get_full_path(), "web:portal_login")
        if user.is_staff_user:
            if not user.is_verified():  # type: ignore[attr-defined]  # added by OTPMiddleware
                return redirect_to_login(request.get_full_path(), "web:login")
            if password_expired(user):
                return redirect("web:password_change")
        return view(request, *args, **kwargs)

    return wrapped


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _base(user: User) -> str:
    return "web/workbench/base.html" if user.is_staff_user else "web/base.html"


# --- The bell and the list ----------------------------------------------------------------------


@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    """The header's bell (polled by htmx): the unread count, one indexed COUNT. Nobody signed in
    (a session that timed out between two polls): 204, and htmx leaves the bell as it is."""
    user = request.user
    if not isinstance(user, User) or (user.is_staff_user and not user.is_verified()):  # type: ignore[attr-defined]
        return HttpResponse(status=204)
    count = selectors.inbox_unread_count(user)
    return render(request, "web/notify/_bell.html", {"unread": count})


@signed_in_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    unread_only = request.GET.get("show") == "unread"
    rows = selectors.inbox_list(user, unread_only=unread_only)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/notify/inbox.html",
        {
            "base_template": _base(user),
            "page": page,
            "unread_only": unread_only,
            "unread": selectors.inbox_unread_count(user),
        },
    )


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("web:notify_inbox")


@require_POST
@signed_in_required
def read(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    try:
        services.inbox_mark_read(user=_user(request), message_ids=[str(message_id)])
    except ApplicationError as error:
        return render(
            request,
            "web/403.html",
            {"message": str(error)},
            status=error.status,
        )
    return _back(request)


@require_POST
@signed_in_required
def read_all(request: HttpRequest) -> HttpResponse:
    count = services.inbox_mark_all_read(user=_user(request))
    if count:
        messages.success(request, _("已将 %(count)d 条消息标为已读。") % {"count": count})
    return _back(request)


# --- The person's settings ----------------------------------------------------------------------


class PreferenceForm(forms.Form):
    sms = forms.BooleanField(label=gettext_lazy("短信"), required=False)
    email = forms.BooleanField(label=gettext_lazy("电子邮件"), required=False)
    email_address = forms.EmailField(
        label=gettext_lazy("电子邮箱"),
        required=False,
        help_text=gettext_lazy("不填则使用账号登记的邮箱。"),
    )
    language = forms.ChoiceField(label=gettext_lazy("消息语言"), required=False)
    quiet_enabled = forms.BooleanField(label=gettext_lazy("启用免打扰时段"), required=False)
    quiet_start = forms.TimeField(
        label=gettext_lazy("免打扰开始"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=gettext_lazy("免打扰结束"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=gettext_lazy(
            "免打扰时段内的一般短信和邮件顺延到时段结束后发送；红牌、验证码等紧急消息立即发送。"
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", gettext_lazy("默认（简体中文）")), *settings.LANGUAGES]


@signed_in_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = services.preference_for(user)
    initial = {
        "sms": current.sms,
        "email": current.email,
        "email_address": current.email_address,
        "language": current.language,
        "quiet_enabled": current.quiet_enabled,
        "quiet_start": current.quiet_start,
        "quiet_end": current.quiet_end,
    }
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.notify_preference_update(
                user=user,
                sms=data["sms"],
                email=data["email"],
                email_address=data["email_address"],
                language=data["language"],
                quiet_enabled=data["quiet_enabled"],
                quiet_start=data["quiet_start"],
                quiet_end=data["quiet_end"],
            )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, _("消息通知设置已保存。"))
            return redirect("web:notify_preferences")
    return render(
        request,
        "web/notify/preferences.html",
        {"base_template": _base(user), "form": form, "phone": mask_phone(user.phone)},
    )


# --- The administrator: failed messages ---------------------------------------------------------


@staff_required(services.OUTBOX_ADMIN_PERM)
@require_GET
def failed(request: HttpRequest) -> HttpResponse:
    rows = selectors.outbox_failed_list(_user(request))
    page = Paginator(rows, FAILED_PAGE_SIZE).get_page(request.GET.get("page"))
    items = [(message, services.recipient_masked(message)) for message in page]
    return render(request, "web/notify/failed.html", {"page": page, "items": items})


@require_POST
@staff_required(services.OUTBOX_ADMIN_PERM)
def resend(request: HttpRequest, message_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    message = selectors.outbox_failed_get(user, message_id)
    try:
        services.outbox_resend(user=user, message=message)
    except ApplicationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("已重新排队发送给 %(recipient)s。")
            % {"recipient": services.recipient_masked(message)},
        )
    return redirect("web:notify_failed")
