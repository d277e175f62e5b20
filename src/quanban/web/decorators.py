"""The one gate in front of every staff page."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from quanban.accounts.passwords import password_expired
from quanban.accounts.roles import Perm
from quanban.accounts.selectors import user_has_perm
from quanban.core.errors import PermissionDenied

View = Callable[..., HttpResponse]


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/403.html", {"message": message}, status=403)


def staff_required(perm: str = Perm.WORKBENCH) -> Callable[[View], View]:
    """Let through a signed-in staff user who passed the second factor and holds ``perm``.

    Not signed in (or the second factor not passed) → the staff login page; a citizen or a staff
    user without the permission → 403; an expired password → the change-password page first.
    A ``PermissionDenied`` raised by a selector inside the view also becomes the 403 page.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "web:login")
            if not getattr(user, "is_staff_user", False):
                return forbidden(request, _("此页面仅供工作人员使用。"))
            if not user.is_verified():  # type: ignore[attr-defined]  # added by OTPMiddleware
                return redirect_to_login(request.get_full_path(), "web:login")
            if password_expired(user):
                return redirect("web:password_change")
            if not user_has_perm(user, perm):
                return forbidden(request, _("您没有访问此页面的权限。"))
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as error:
                return forbidden(request, str(error))

        return wrapped

    return decorate
