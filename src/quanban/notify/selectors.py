"""Reads of the outbox that carry access rules: a person's in-app messages, failed messages."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from quanban.accounts.models import User
from quanban.accounts.selectors import require_perm
from quanban.core.errors import NotFound
from quanban.notify.models import OutboxMessage
from quanban.notify.services import OUTBOX_ADMIN_PERM


def inbox_unread_count(user: User) -> int:
    """The bell: one COUNT along the partial index of unread in-app messages."""
    return OutboxMessage.objects.filter(
        recipient_user=user, channel=OutboxMessage.Channel.IN_APP, read_at__isnull=True
    ).count()


def inbox_list(user: User, *, unread_only: bool = False) -> QuerySet[OutboxMessage]:
    """The user's own in-app messages, newest first."""
    rows = OutboxMessage.objects.filter(recipient_user=user, channel=OutboxMessage.Channel.IN_APP)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "pk").only(
        "id", "subject", "body", "link", "created_at", "read_at", "urgent", "event"
    )


def outbox_failed_list(user: User) -> QuerySet[OutboxMessage]:
    """Failed messages, newest first, for an administrator (no body is shown to them)."""
    require_perm(user, OUTBOX_ADMIN_PERM)
    return (
        OutboxMessage.objects.filter(state=OutboxMessage.State.FAILED)
        .order_by("-created_at", "pk")
        .defer("body")
    )


def outbox_failed_get(user: User, message_id: uuid.UUID) -> OutboxMessage:
    require_perm(user, OUTBOX_ADMIN_PERM)
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        raise NotFound(_("消息不存在。"), code="outbox_not_found")
    return message
