"""Password rules for 等保 level 3: at least 8 characters from at least 3 character classes."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from quanban.core import clock

CLASSES = (
    ("lower", set(string.ascii_lowercase)),
    ("upper", set(string.ascii_uppercase)),
    ("digit", set(string.digits)),
)


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters the password uses."""
    used = sum(1 for _name, chars in CLASSES if any(c in chars for c in password))
    if any(not (c in string.ascii_letters or c in string.digits) for c in password):
        used += 1
    return used


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。")
                % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。") % {
            "n": self.min_classes
        }


def password_expired(user: Any) -> bool:
    """Whether a staff user must change their password before doing anything else.

    Citizens' passwords do not expire; a staff password never set through the services (no
    ``password_changed_at``) counts as expired. ``PASSWORD_MAX_AGE_DAYS = 0`` turns expiry off.
    """
    max_age_days = settings.PASSWORD_MAX_AGE_DAYS
    if max_age_days <= 0 or not getattr(user, "is_staff_user", False):
        return False
    changed_at = getattr(user, "password_changed_at", None)
    if changed_at is None:
        return True
    return bool(clock.now() - changed_at > dt.timedelta(days=max_age_days))


class MinimumLengthValidator:
    """Django's length rule with our own message (Django 5.2's Chinese catalogue lacks its text)."""

    def __init__(self, min_length: int = 8) -> None:
        self.min_length = min_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                _("密码长度过短，至少需要 %(n)d 个字符。") % {"n": self.min_length},
                code="password_too_short",
            )

    def get_help_text(self) -> str:
        return _("密码至少需要 %(n)d 个字符。") % {"n": self.min_length}
