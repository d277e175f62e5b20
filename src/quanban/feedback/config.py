"""The feedback settings, each with its default (docs/feedback.md, "Settings").

Read when used, never at import time, so tests and jurisdictions can change them.
"""

from __future__ import annotations

from django.conf import settings


def _int(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def contact_days() -> int:
    """回访: working days to contact the rater of a bad rating (or the complainant)."""
    return _int("FEEDBACK_CONTACT_WORKING_DAYS", 1)


def rectify_days() -> int:
    """整改: working days to rectify and reply."""
    return _int("FEEDBACK_RECTIFY_WORKING_DAYS", 5)


def second_rating_days() -> int:
    """Days after a case's first rating within which a second one replaces it (追评)."""
    return _int("FEEDBACK_SECOND_RATING_DAYS", 15)


def invite_hours() -> int:
    """Hours an SMS rating link stays valid."""
    return _int("FEEDBACK_SMS_INVITE_HOURS", 7 * 24)


def pad_minutes() -> int:
    """Minutes a window pad's invitation stays valid."""
    return _int("FEEDBACK_PAD_INVITE_MINUTES", 30)


def public_url() -> str:
    """The portal's address for links in text messages (e.g. ``https://zwfw.example.gov.cn``);
    blank: the path alone."""
    return str(getattr(settings, "FEEDBACK_PUBLIC_URL", "")).rstrip("/")
