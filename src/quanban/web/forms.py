"""Page forms: they parse and label input; services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from quanban.core.models import AuditRecord


class StaffLoginForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class CitizenLoginForm(forms.Form):
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "autofocus": True}
        ),
    )
    password = forms.CharField(
        label=_("密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class OneTimeCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("验证码"),
        regex=r"^\s*[0-9]{6}\s*$",
        error_messages={"invalid": _("请输入 6 位数字。")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "maxlength": 6,
                "autofocus": True,
            }
        ),
    )


class PasswordFieldsMixin(forms.Form):
    new_password = forms.CharField(
        label=_("新密码"),
        help_text=_("至少 8 位，包含大写字母、小写字母、数字、符号中的至少 3 类。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的密码不一致。"))
        return data


class RegisterForm(PasswordFieldsMixin):
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    display_name = forms.CharField(
        label=_("姓名（选填）"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    field_order = ["phone", "display_name", "new_password", "new_password2"]


class PasswordChangeForm(PasswordFieldsMixin):
    old_password = forms.CharField(
        label=_("原密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    field_order = ["old_password", "new_password", "new_password2"]


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("操作代码"), required=False, max_length=64, help_text=_("以“.”结尾按前缀匹配")
    )
    actor = forms.CharField(label=_("操作人用户名"), required=False, max_length=150)
    object_type = forms.CharField(label=_("对象类型"), required=False, max_length=64)
    object_id = forms.CharField(label=_("对象 ID"), required=False, max_length=64)
    result = forms.ChoiceField(
        label=_("结果"),
        required=False,
        choices=[("", _("全部")), *AuditRecord.Result.choices],
    )
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
