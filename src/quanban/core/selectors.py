"""Reads of core tables that carry access rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from quanban.accounts.roles import Perm
from quanban.accounts.selectors import user_has_perm
from quanban.core.errors import PermissionDenied
from quanban.core.models import AuditRecord


def audit_list_for_user(
    user: Any,
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    result: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditRecord]:
    """The audit trail, newest first, filtered; only for holders of ``Perm.AUDIT_VIEW``.

    ``action`` matches a code or a code prefix (``role.`` → every role action); ``actor`` is a
    user name; dates are calendar days in the city's time zone, both ends included.
    """
    if not user_has_perm(user, Perm.AUDIT_VIEW):
        raise PermissionDenied(_("只有审计管理员可以查阅审计记录。"), code="audit_forbidden")
    records = AuditRecord.objects.order_by("-seq")
    if action:
        records = (
            records.filter(action__startswith=action)
            if action.endswith(".")
            else records.filter(action=action)
        )
    if actor:
        records = records.filter(actor_name=actor)
    if object_type:
        records = records.filter(object_type=object_type)
    if object_id:
        records = records.filter(object_id=object_id)
    if result:
        records = records.filter(result=result)
    if date_from is not None:
        records = records.filter(at__gte=_start_of(date_from))
    if date_to is not None:
        records = records.filter(at__lt=_start_of(date_to + dt.timedelta(days=1)))
    return records


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone()
    )
