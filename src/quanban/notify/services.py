"""The outbox: enqueue a message in the caller's transaction; the worker delivers it.

``notify_user`` / ``notify_users`` are the entry point for code that tells a person about an
event: they render the event's text in the person's language and queue one row per channel the
person chose, respecting their quiet hours. ``outbox_enqueue`` is the low-level write of one row.

Outbox rows are delivery bookkeeping, not business data, so they are not written to the audit
trail: the business write that caused a message carries the audit record, and a message body may
hold a one-time code that must never reach the (permanent) audit trail. Marking an in-app
message read is the reader's own bookkeeping on such a row and is not audited either; resending
a failed message is an administrator's act and is (``outbox_resend``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from quanban.accounts.models import User
from quanban.accounts.roles import Perm
from quanban.accounts.selectors import require_perm
from quanban.core import clock
from quanban.core import rows as sql_rows
from quanban.core.audit import audit_record
from quanban.core.errors import Conflict, NotFound, ValidationFailed
from quanban.core.masking import mask_phone
from quanban.notify import events
from quanban.notify.adapters import (
    MOBILE_RE,
    EmailError,
    SmsError,
    email_send,
    mask_email,
    sms_adapter,
)
from quanban.notify.models import NotificationOnce, NotificationPreference, OutboxMessage

logger = logging.getLogger("quanban.notify")

MAX_ATTEMPTS = 6
FIRST_RETRY_S = 60
MAX_RETRY_S = 3600
# A claimed row is hidden from other workers this long; if its worker dies, it comes back.
CLAIM_LEASE_S = 300
BATCH_SIZE = 100
# Who may see failed messages and resend them: the system administrator's permission to run
# accounts (the one permission only that role holds; see docs/notifications.md).
OUTBOX_ADMIN_PERM = Perm.ACCOUNT_MANAGE


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def outbox_enqueue(
    *,
    channel: str,
    recipient: str,
    body: str,
    subject: str = "",
    expires_at: dt.datetime | None = None,
    recipient_user: User | None = None,
) -> OutboxMessage:
    """Queue one message. Joins the caller's transaction; the worker is woken after commit.

    An in-app message names its reader: ``recipient_user``, else the user whose name is
    ``recipient`` (the bell counts by user).
    """
    if channel not in OutboxMessage.Channel.values:
        raise ValidationFailed(
            f"unknown channel {channel!r}", code="outbox_channel", field="channel"
        )
    if channel == OutboxMessage.Channel.IN_APP and recipient_user is None:
        recipient_user = User.objects.filter(username=recipient).first()
    now = clock.now()
    # No savepoint of its own: the message belongs to the caller's transaction.
    with transaction.atomic(savepoint=False):
        message = OutboxMessage.objects.create(
            channel=channel,
            recipient=recipient,
            recipient_user=recipient_user,
            subject=subject,
            body=body,
            created_at=now,
            next_attempt_at=now,
            expires_at=expires_at,
        )
        transaction.on_commit(_wake_worker)
    return message


def _wake_worker() -> None:
    from quanban.notify.tasks import outbox_deliver_now

    outbox_deliver_now()


def retry_delay_s(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed try: 60, 120, 240 … at most an hour."""
    return int(min(FIRST_RETRY_S * 2 ** max(attempts - 1, 0), MAX_RETRY_S))


def outbox_deliver_due(*, batch_size: int = BATCH_SIZE) -> DeliveryReport:
    """Claim due pending messages and send them; mark each sent, retrying later, or failed."""
    sent = retrying = failed = 0
    for message in _claim_due(batch_size):
        outcome = _deliver_one(message)
        sent += outcome == OutboxMessage.State.SENT
        failed += outcome == OutboxMessage.State.FAILED
        retrying += outcome == OutboxMessage.State.PENDING
    return DeliveryReport(sent=sent, retrying=retrying, failed=failed)


def _claim_due(batch_size: int) -> list[OutboxMessage]:
    now = clock.now()
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            state=OutboxMessage.State.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at")
        if connection.features.has_select_for_update_skip_locked:
            # Two workers never take the same row, and neither waits for the other.
            due = due.select_for_update(skip_locked=True)
        claimed = list(due[:batch_size])
        OutboxMessage.objects.filter(pk__in=[m.pk for m in claimed]).update(
            attempts=F("attempts") + 1, next_attempt_at=now + dt.timedelta(seconds=CLAIM_LEASE_S)
        )
    for message in claimed:
        message.attempts += 1
    return claimed


def _deliver_one(message: OutboxMessage) -> str:
    now = clock.now()
    if message.expires_at is not None and message.expires_at <= now:
        return _mark_failed(message, "expired before it could be sent")
    if message.channel == OutboxMessage.Channel.IN_APP:
        # The row is the in-app message (the workbench's bell reads it): delivered once stored.
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.SENT, sent_at=now, last_error=""
        )
        return OutboxMessage.State.SENT
    try:
        if message.channel == OutboxMessage.Channel.SMS:
            gateway_id = sms_adapter().send(
                to=message.recipient, text=message.body, reference=str(message.pk)
            )
        elif message.channel == OutboxMessage.Channel.EMAIL:
            gateway_id = email_send(
                to=message.recipient,
                subject=message.subject,
                body=message.body,
                reference=str(message.pk),
            )
        else:
            return _mark_failed(message, f"no delivery adapter for channel {message.channel}")
    except (SmsError, EmailError) as error:
        if error.permanent:
            return _mark_failed(message, str(error))
        return _retry_or_fail(message, str(error))
    except Exception as error:  # a gateway client's bug must not stop the other messages
        logger.exception("%s delivery raised for outbox message %s", message.channel, message.pk)
        return _retry_or_fail(message, f"{type(error).__name__}: {error}")
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.SENT,
            sent_at=clock.now(),
            gateway_message_id=gateway_id,
            last_error="",
        )
    return OutboxMessage.State.SENT


def _retry_or_fail(message: OutboxMessage, error: str) -> str:
    if message.attempts >= MAX_ATTEMPTS:
        return _mark_failed(message, error)
    next_at = clock.now() + dt.timedelta(seconds=retry_delay_s(message.attempts))
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            next_attempt_at=next_at, last_error=error
        )
    logger.warning(
        "Outbox message %s: attempt %d failed (%s); retrying at %s",
        message.pk,
        message.attempts,
        error,
        next_at.isoformat(),
    )
    return OutboxMessage.State.PENDING


def _mark_failed(message: OutboxMessage, error: str) -> str:
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(
            state=OutboxMessage.State.FAILED, last_error=error
        )
    logger.error("Outbox message %s failed for good: %s", message.pk, error)
    return OutboxMessage.State.FAILED


# --- Resending a failed message -----------------------------------------------------------------


def outbox_resend(*, user: User, message: OutboxMessage) -> OutboxMessage:
    """An administrator puts a failed message back in the queue: it is tried again at once, with
    a fresh count of attempts. Audited (who resent what to whom, masked; never the text)."""
    require_perm(user, OUTBOX_ADMIN_PERM)
    now = clock.now()
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().filter(pk=message.pk).first()
        if locked is None:
            raise NotFound(_("消息不存在。"), code="outbox_not_found")
        if locked.state != OutboxMessage.State.FAILED:
            raise Conflict(_("只有发送失败的消息可以重发。"), code="outbox_not_failed")
        if locked.expires_at is not None and locked.expires_at <= now:
            raise Conflict(
                _("该消息（如验证码）已过有效期，重发没有意义，请让对方重新获取。"),
                code="outbox_expired",
            )
        previous_error = locked.last_error
        locked.state = OutboxMessage.State.PENDING
        locked.attempts = 0
        locked.next_attempt_at = now
        locked.last_error = ""
        locked.save(update_fields=["state", "attempts", "next_attempt_at", "last_error"])
        audit_record(
            action="outbox.resend",
            obj=locked,
            changes={
                "channel": locked.channel,
                "recipient": recipient_masked(locked),
                "event": locked.event,
                "last_error": previous_error[:200],
            },
        )
        transaction.on_commit(_wake_worker)
    return locked


def recipient_masked(message: OutboxMessage) -> str:
    """The recipient as an administrator may see it: phone and e-mail masked (PIPL)."""
    if message.channel == OutboxMessage.Channel.SMS:
        return mask_phone(message.recipient)
    if message.channel == OutboxMessage.Channel.EMAIL:
        return mask_email(message.recipient)
    # A user name; an applicant's is their phone number.
    if MOBILE_RE.match(message.recipient):
        return mask_phone(message.recipient)
    return message.recipient


# --- Telling people about events: the entry point -----------------------------------------------


@dataclass(frozen=True)
class Preference:
    """What a person chose (or the defaults): channels, quiet hours, language."""

    sms: bool
    email: bool
    email_address: str
    language: str
    quiet_enabled: bool
    quiet_start: dt.time
    quiet_end: dt.time


def default_quiet_hours() -> tuple[dt.time, dt.time]:
    start, _sep, end = settings.NOTIFY_QUIET_HOURS.partition("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def preference_default(user: User | None) -> Preference:
    start, end = default_quiet_hours()
    citizen = user is None or user.kind == User.Kind.CITIZEN
    return Preference(
        sms=citizen,
        email=False,
        email_address="",
        language="",
        quiet_enabled=True,
        quiet_start=start,
        quiet_end=end,
    )


def _preference(user: User, row: NotificationPreference | None) -> Preference:
    if row is None:
        return preference_default(user)
    return Preference(
        sms=row.sms,
        email=row.email,
        email_address=row.email_address,
        language=row.language,
        quiet_enabled=row.quiet_enabled,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
    )


def preference_for(user: User) -> Preference:
    """The user's choices, or the defaults when they never chose (one statement written out
    once, or none when the row came with the user through ``select_related("notify_preference")``
    or was read before)."""
    row = sql_rows.related_one(user, "notify_preference")
    return _preference(user, row if isinstance(row, NotificationPreference) else None)


def quiet_until(now: dt.datetime, preference: Preference) -> dt.datetime | None:
    """When the quiet hours around ``now`` end, in the city's time; None outside them."""
    start, end = preference.quiet_start, preference.quiet_end
    if not preference.quiet_enabled or start == end:
        return None
    local = timezone.localtime(now)
    time_now = local.time()
    if start < end:  # within one day, e.g. 12:00–14:00
        inside, end_day = start <= time_now < end, local.date()
    else:  # across midnight, e.g. 22:00–07:00
        inside = time_now >= start or time_now < end
        end_day = local.date() if time_now < end else local.date() + dt.timedelta(days=1)
    if not inside:
        return None
    return timezone.make_aware(dt.datetime.combine(end_day, end), local.tzinfo)


def _claim_once(key: str, now: dt.datetime) -> bool:
    """Leave ``key`` in the caller's transaction; False when it was left before."""
    try:
        with transaction.atomic():
            NotificationOnce.objects.create(key=key, created_at=now)
    except IntegrityError:
        return False
    return True


def _rows_for(
    *,
    user: User | None,
    preference: Preference,
    event: str,
    context: Mapping[str, Any],
    urgent: bool,
    link: str,
    phone: str,
    now: dt.datetime,
) -> list[OutboxMessage]:
    spec = events.event_get(event)
    urgent = urgent or spec.urgent
    language = events.language_of(preference.language, user.language if user else "")
    rendered = events.render(event, context, language)
    later = None if urgent else quiet_until(now, preference)

    def row(channel: str, recipient: str, at: dt.datetime | None) -> OutboxMessage:
        return OutboxMessage(
            channel=channel,
            recipient=recipient,
            recipient_user=user,
            subject=rendered.subject,
            body=rendered.text,
            event=event,
            urgent=urgent,
            link=link,
            created_at=now,
            next_attempt_at=at or now,
        )

    rows: list[OutboxMessage] = []
    if user is not None:
        # In-app is always on, and never waits: a message in a list disturbs nobody.
        rows.append(row(OutboxMessage.Channel.IN_APP, user.username, None))
    phone = (user.phone if user is not None else "") or phone
    if preference.sms and phone:
        rows.append(row(OutboxMessage.Channel.SMS, phone, later))
    address = preference.email_address or (user.email if user is not None else "")
    if preference.email and address:
        rows.append(row(OutboxMessage.Channel.EMAIL, address, later))
    return rows


def _enqueue_rows(
    rows: list[OutboxMessage], *, once_key: str = "", now: dt.datetime | None = None
) -> list[OutboxMessage]:
    if not rows:
        return rows
    # No savepoint of its own: the messages belong to the caller's transaction.
    with transaction.atomic(savepoint=False):
        if once_key and not _claim_once(once_key, now or clock.now()):
            return []
        # Nothing reads them back in this transaction: they may go with its next statement.
        sql_rows.insert_many(rows, held=True)
        transaction.on_commit(_wake_worker)
    return rows


def notify_user(
    *,
    user: User,
    event: str,
    context: Mapping[str, Any],
    urgent: bool = False,
    link: str = "",
    phone: str = "",
    once_key: str = "",
) -> list[OutboxMessage]:
    """Tell ``user`` about ``event`` (a key of quanban.notify.events.EVENTS) on every channel
    they chose: in-app always, SMS and e-mail by their preferences. The text is the event's,
    in the user's language, filled from ``context``. Non-urgent SMS and e-mail falling in the
    user's quiet hours are scheduled for the end of them; urgent ones (and urgent events, such
    as a red card) go at once.

    Joins the caller's transaction (one INSERT for all channels). ``phone`` is a number to text
    when the account has none (an applicant's number on record). With ``once_key``, a second
    call with the same key (ever) queues nothing and returns ``[]``.
    """
    now = clock.now()
    # Rendered first: a bad event or context fails before anything joins the transaction.
    rows = _rows_for(
        user=user,
        preference=preference_for(user),
        event=event,
        context=context,
        urgent=urgent,
        link=link,
        phone=phone,
        now=now,
    )
    return _enqueue_rows(rows, once_key=once_key, now=now)


def notify_users(
    *,
    users: Iterable[User],
    event: str,
    context: Mapping[str, Any],
    urgent: bool = False,
    link: str = "",
) -> list[OutboxMessage]:
    """``notify_user`` for several people at once (each once, in order): one query for their
    preferences and one INSERT for every message. For 督办::

        notify_users(users=recipients, event="supervision_note", context={"text": ..., ...})
    """
    people = list({user.pk: user for user in users}.values())
    return notify_many(
        [
            Notice(user=user, event=event, context=context, urgent=urgent, link=link)
            for user in people
        ]
    )


@dataclass(frozen=True)
class Notice:
    """One person told of one event (``notify_many``)."""

    user: User
    event: str
    context: Mapping[str, Any]
    urgent: bool = False
    link: str = ""


def notify_many(notices: Iterable[Notice]) -> list[OutboxMessage]:
    """Each notice as ``notify_user`` would send it, with one query for everyone's preferences
    and one INSERT for every message: for callers that tell many people different things at
    once (the card sweep tells each responsible person of their own cards)."""
    notices = list(notices)
    if not notices:
        return []
    now = clock.now()
    chosen = {
        row.user_id: row
        for row in NotificationPreference.objects.filter(
            user__in={notice.user.pk for notice in notices}
        )
    }
    rows: list[OutboxMessage] = []
    for notice in notices:
        rows += _rows_for(
            user=notice.user,
            preference=_preference(notice.user, chosen.get(notice.user.pk)),
            event=notice.event,
            context=notice.context,
            urgent=notice.urgent,
            link=notice.link,
            phone="",
            now=now,
        )
    return _enqueue_rows(rows)


def notify_phone(
    *,
    phone: str,
    event: str,
    context: Mapping[str, Any],
    urgent: bool = False,
    once_key: str = "",
) -> list[OutboxMessage]:
    """Text someone who has no account (an applicant known by the number on record): the
    event's text in the site's language, default quiet hours unless urgent."""
    if not phone:
        return []
    now = clock.now()
    rows = _rows_for(
        user=None,
        preference=preference_default(None),
        event=event,
        context=context,
        urgent=urgent,
        link="",
        phone=phone,
        now=now,
    )
    return _enqueue_rows(rows, once_key=once_key, now=now)


# --- A person's preferences ---------------------------------------------------------------------


def notify_preference_update(
    *,
    user: User,
    sms: bool,
    email: bool,
    email_address: str = "",
    language: str = "",
    quiet_enabled: bool = True,
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
) -> NotificationPreference:
    """Save the person's own choices (profile page). Audited: who changed how they are told."""
    email_address = email_address.strip()
    phone = user.phone
    if sms and not phone:
        raise ValidationFailed(
            _("账号未登记手机号码，无法接收短信。"), code="notify_no_phone", field="sms"
        )
    if email and not (email_address or user.email):
        raise ValidationFailed(
            _("选择电子邮件时请填写电子邮箱。"), code="notify_no_email", field="email_address"
        )
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationFailed(_("不支持该语言。"), code="notify_language", field="language")
    default_start, default_end = default_quiet_hours()
    values = {
        "sms": sms,
        "email": email,
        "email_address": email_address,
        "language": language,
        "quiet_enabled": quiet_enabled,
        "quiet_start": quiet_start or default_start,
        "quiet_end": quiet_end or default_end,
    }
    with transaction.atomic():
        row = NotificationPreference.objects.select_for_update().filter(user=user).first()
        before = _preference(user, row)
        if row is None:
            row = NotificationPreference(user=user, **values, updated_at=clock.now())
            row.save(force_insert=True)
        else:
            for field, value in values.items():
                setattr(row, field, value)
            row.updated_at = clock.now()
            row.save()
        # Whoever holds this user object sees the new choices (the reverse relation's cache).
        user.notify_preference = row
        after = _preference(user, row)
        audit_record(
            action="notify.preference",
            obj=user,
            before=_audited(before),
            after=_audited(after),
        )
    return row


def _audited(preference: Preference) -> dict[str, Any]:
    return {
        "sms": preference.sms,
        "email": preference.email,
        "email_address": mask_email(preference.email_address) if preference.email_address else "",
        "language": preference.language,
        "quiet_enabled": preference.quiet_enabled,
        "quiet_start": preference.quiet_start.isoformat(timespec="minutes"),
        "quiet_end": preference.quiet_end.isoformat(timespec="minutes"),
    }


# --- The reader's own bookkeeping: read and unread ----------------------------------------------


def inbox_mark_read(*, user: User, message_ids: Sequence[str]) -> int:
    """Mark some of the user's in-app messages read; returns how many were unread. Another
    person's message is not found (it is not theirs to mark). Not audited (module docstring)."""
    with transaction.atomic():
        mine = OutboxMessage.objects.filter(
            pk__in=list(message_ids),
            recipient_user=user,
            channel=OutboxMessage.Channel.IN_APP,
        )
        if mine.count() != len(set(message_ids)):
            raise NotFound(_("消息不存在。"), code="inbox_not_found")
        return mine.filter(read_at__isnull=True).update(read_at=clock.now())


def inbox_mark_all_read(*, user: User) -> int:
    """Mark every unread in-app message of the user read; returns how many."""
    with transaction.atomic():
        return OutboxMessage.objects.filter(
            recipient_user=user, channel=OutboxMessage.Channel.IN_APP, read_at__isnull=True
        ).update(read_at=clock.now())
