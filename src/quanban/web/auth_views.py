"""Sign-in, sign-out, registration and password change.

Staff: user name + password, then a TOTP code (django-otp). Citizens: phone + password, then a
code by SMS. Passwords go through ``django.contrib.auth.authenticate`` so django-axes counts
failures; a wrong second factor counts as a failure too. Nobody is logged in before both steps.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from quanban.accounts import services as account_services
from quanban.accounts.lockout import lockout_response
from quanban.accounts.middleware import session_start
from quanban.accounts.models import User
from quanban.accounts.passwords import password_expired
from quanban.core.errors import ApplicationError
from quanban.core.masking import mask_phone
from quanban.notify.models import OutboxMessage
from quanban.web import forms
from quanban.web.login_flow import (
    SmsCodeResult,
    pending_clear,
    pending_get,
    pending_start,
    second_factor_failed,
    sms_code_check,
    sms_code_send,
    sms_resend_wait_s,
)


def _safe_next(request: HttpRequest, candidate: str, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _locked(request: HttpRequest) -> bool:
    return bool(getattr(request, "axes_locked_out", False))


def _password_step(request: HttpRequest, username: str, password: str) -> Any:
    """The password check both entrances share: the user, None when refused, or the lockout page.

    It goes through ``authenticate`` so django-axes counts failures; refusals are audited.
    """
    user = authenticate(request=request, username=username, password=password)
    if user is not None:
        return user
    locked = _locked(request)
    account_services.sign_in_record(
        event="login",
        user=None,
        username=username,
        refused_because="locked" if locked else "password",
    )
    return lockout_response(request) if locked else None


def demo_hints(kind: str) -> list[dict[str, Any]]:
    """The demo accounts (with their current one-time codes) in demo mode; otherwise nothing."""
    if not settings.DEMO_MODE:
        return []
    try:
        demo = importlib.import_module("quanban.accounts.demo")
    except ModuleNotFoundError as error:
        if error.name != "quanban.accounts.demo":
            raise
        return []
    return [hint for hint in demo.demo_login_hints() if hint.get("kind") == kind]


# --- staff -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    form = forms.StaffLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _password_step(request, form.cleaned_data["username"], form.cleaned_data["password"])
        if isinstance(user, HttpResponse):
            return user
        if user is None:
            form.add_error(None, _("用户名或密码不正确。"))
        elif not isinstance(user, User) or not user.is_staff_user:
            form.add_error(None, _("此入口仅供工作人员登录，群众和企业请从政务服务网登录。"))
        elif not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            # No bypass: without a second factor a staff account cannot sign in at all.
            form.add_error(
                None, _("您的账号尚未绑定动态口令（TOTP）设备，无法登录。请联系安全管理员绑定。")
            )
        else:
            pending_start(request, user, next_url=next_url)
            return redirect("web:login_verify")
    return render(
        request,
        "web/auth/staff_login.html",
        {"form": form, "next": next_url, "demo_hints": demo_hints("staff")},
    )


@require_http_methods(["GET", "POST"])
def staff_login_verify(request: HttpRequest) -> HttpResponse:
    pending = pending_get(request, kind=User.Kind.STAFF)
    if pending is None:
        messages.info(request, _("请先输入用户名和密码。"))
        return redirect("web:login")
    user = pending.user
    form = forms.OneTimeCodeForm(request.POST or None)
    form.fields["code"].label = _("动态口令")
    if request.method == "POST" and form.is_valid():
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
        usable = [d for d in devices if d.verify_is_allowed()[0]]
        if devices and not usable:
            # django-otp's throttle: after each wrong code the next try waits longer.
            form.add_error("code", _("尝试过于频繁，请稍候几秒再输入。"))
            return render(
                request, "web/auth/staff_verify.html", {"form": form, "pending_user": user}
            )
        code = form.cleaned_data["code"].strip()
        device = next((d for d in usable if d.verify_token(code)), None)
        if device is not None:
            pending_clear(request)
            auth_login(request, user, backend=pending.backend)
            otp_login(request, device)
            session_start(request)
            account_services.sign_in_record(event="login", user=user, method="password+totp")
            if password_expired(user):
                messages.warning(request, _("您的密码已过期，请先修改密码。"))
                return redirect("web:password_change")
            return redirect(_safe_next(request, pending.next_url, reverse("web:workbench")))
        account_services.sign_in_record(
            event="login", user=user, method="totp", refused_because="totp"
        )
        if second_factor_failed(request, user):
            pending_clear(request)
            return lockout_response(request)
        form.add_error("code", _("动态口令不正确。"))
    return render(request, "web/auth/staff_verify.html", {"form": form, "pending_user": user})


# --- citizens --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def citizen_login(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next", "")
    form = forms.CitizenLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _password_step(
            request, form.cleaned_data["phone"].strip(), form.cleaned_data["password"]
        )
        if isinstance(user, HttpResponse):
            return user
        if user is None:
            form.add_error(None, _("手机号码或密码不正确。"))
        elif not isinstance(user, User) or user.kind != User.Kind.CITIZEN:
            form.add_error(None, _("工作人员请从工作台登录入口登录。"))
        else:
            pending_start(request, user, next_url=next_url)
            sms_code_send(request, user)
            return redirect("web:portal_login_code")
    return render(
        request,
        "web/auth/citizen_login.html",
        {"form": form, "next": next_url, "demo_hints": demo_hints("citizen")},
    )


@require_http_methods(["GET", "POST"])
def citizen_login_code(request: HttpRequest) -> HttpResponse:
    pending = pending_get(request, kind=User.Kind.CITIZEN)
    if pending is None:
        messages.info(request, _("请先输入手机号码和密码。"))
        return redirect("web:portal_login")
    user = pending.user
    form = forms.OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and "resend" in request.POST:
        form = forms.OneTimeCodeForm()
        wait = sms_resend_wait_s(request)
        if wait:
            messages.error(request, _("请在 %(seconds)d 秒后再获取验证码。") % {"seconds": wait})
        else:
            sms_code_send(request, user)
            messages.success(request, _("新的验证码已发送。"))
        return redirect("web:portal_login_code")
    if request.method == "POST" and form.is_valid():
        result = sms_code_check(request, form.cleaned_data["code"])
        if result == SmsCodeResult.OK:
            pending_clear(request)
            auth_login(request, user, backend=pending.backend)
            session_start(request)
            account_services.sign_in_record(event="login", user=user, method="password+sms")
            return redirect(_safe_next(request, pending.next_url, reverse("web:portal")))
        account_services.sign_in_record(
            event="login", user=user, method="sms", refused_because="sms"
        )
        if result in (SmsCodeResult.WRONG, SmsCodeResult.USED_UP) and second_factor_failed(
            request, user
        ):
            pending_clear(request)
            return lockout_response(request)
        form.add_error("code", _sms_error(result))
    return render(
        request,
        "web/auth/citizen_code.html",
        {
            "form": form,
            "masked_phone": mask_phone(user.phone or user.get_username()),
            "resend_wait": sms_resend_wait_s(request),
            "minutes": max(1, settings.SMS_CODE_TTL_S // 60),
            "sandbox_sms": _sandbox_sms(user),
        },
    )


def _sms_error(result: str) -> str:
    if result == SmsCodeResult.EXPIRED:
        return _("验证码已过期，请重新获取。")
    if result == SmsCodeResult.USED_UP:
        return _("验证码错误次数过多，请重新获取。")
    if result == SmsCodeResult.MISSING:
        return _("请先获取验证码。")
    return _("验证码不正确。")


def _sandbox_sms(user: User) -> str:
    """In the demo with the sandbox gateway, the last SMS to this phone (there is no phone)."""
    if not (settings.DEMO_MODE and settings.SMS_ADAPTER == "sandbox"):
        return ""
    last = (
        OutboxMessage.objects.filter(channel=OutboxMessage.Channel.SMS, recipient=user.phone)
        .order_by("-created_at")
        .values_list("body", flat=True)
        .first()
    )
    return last or ""


@require_http_methods(["GET", "POST"])
def citizen_register(request: HttpRequest) -> HttpResponse:
    form = forms.RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.citizen_create(
                phone=form.cleaned_data["phone"].strip(),
                password=form.cleaned_data["new_password"],
                display_name=form.cleaned_data["display_name"].strip(),
            )
        except ApplicationError as error:
            field = {"password": "new_password"}.get(error.field or "", error.field)
            form.add_error(field if field in form.fields else None, str(error))
        else:
            messages.success(request, _("注册成功，请登录。"))
            return redirect("web:portal_login")
    return render(request, "web/auth/register.html", {"form": form})


# --- both ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User) or (user.is_staff_user and not user.is_verified()):  # type: ignore[attr-defined]
        return redirect(f"{reverse('web:login')}?next={request.path}")
    form = forms.PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account_services.password_change(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ApplicationError as error:
            field = error.field if error.field in form.fields else None
            if error.field == "password":
                field = "new_password"
            form.add_error(field, str(error))
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改。"))
            return redirect("web:workbench" if user.is_staff_user else "web:portal")
    return render(
        request,
        "web/auth/password_change.html",
        {
            "form": form,
            "expired": password_expired(user),
            "base_template": "web/workbench/base.html" if user.is_staff_user else "web/base.html",
        },
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    was_staff = getattr(request.user, "is_staff_user", False)
    if request.user.is_authenticated:
        account_services.sign_in_record(event="logout", user=request.user)
    auth_logout(request)
    messages.info(request, _("您已安全退出。"))
    return redirect("web:login" if was_staff else "web:portal")
