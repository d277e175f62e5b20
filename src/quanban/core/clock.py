"""The one clock. Code asks ``now()`` / ``today()`` here; tests freeze time with time-machine."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return timezone.now()


def today() -> dt.date:
    """Today's date in the city's time zone (Asia/Shanghai)."""
    return timezone.localdate(timezone.now())
