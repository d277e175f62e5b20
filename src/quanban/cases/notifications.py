"""What the applicant is told, and when: a message per step that matters to them, via the outbox.

Written in the same transaction as the change (quanban.notify.services.notify_user), so a
message goes out exactly when the change commits and never for a change rolled back. An
applicant with an account is told on the channels they chose (in-app always, SMS and e-mail by
their preferences, in their language, quiet hours kept); one without an account gets an SMS at
the number on record, and one without a number none (they see everything at the window).

The 容缺 reminder (``deferral_reminders_send``) runs daily in the worker: a case accepted with
materials still owed is reminded once, N working days before its supply date.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise

from quanban.accounts.models import User
from quanban.cases.models import Case, CaseMaterial
from quanban.core import clock, workdays
from quanban.core import rows as sql_rows
from quanban.notify.models import NotificationPreference, OutboxMessage
from quanban.notify.services import notify_phone, notify_user

EVENTS = (
    "accepted",
    "supplement",
    "refused",
    "suspended",
    "resumed",
    "decided",
    "issued",
    "terminated",
    "revoked",
    "deferral_reminder",
)


def _label(choices: Any, value: str) -> str | Promise:
    """A choice's label, lazy: it is translated in the recipient's language when filled in."""
    try:
        return choices(value).label
    except ValueError:
        return value


def _reason(case: Case, event: str) -> str | Promise:
    if event == "suspended":
        suspension = case.suspensions.filter(ended_on__isnull=True).first()
        if suspension is not None:
            return suspension.reason
    if case.termination_note or case.revocation_reason:
        return case.termination_note or case.revocation_reason
    return _label(Case.Termination, case.termination) if case.termination else ""


def _context(case: Case, event: str) -> dict[str, Any]:
    context: dict[str, Any] = {
        "item": case.item_version.name,
        "number": case.number or "",
        "due": case.promised_due.isoformat() if case.promised_due else "",
        "decision": _label(Case.Decision, case.decision) if case.decision else "",
        "delivery": _label(Case.Delivery, case.delivery) if case.delivery else "",
    }
    if event in ("suspended", "terminated", "revoked"):
        context["reason"] = _reason(case, event)
    if event == "deferral_reminder":
        owed = CaseMaterial.objects.filter(
            case=case, deferred_until__isnull=False, received=False
        ).select_related("material")
        context["materials"] = "、".join(row.material.name for row in owed.order_by("pk"))
        context["date"] = case.deferral_due.isoformat() if case.deferral_due else ""
    return context


def _account(case: Case) -> tuple[User | None, str]:
    """The applicant's account (with its preferences, one query) and their number on record."""
    applicant = case.person if case.person_id is not None else case.entity
    assert applicant is not None  # the database keeps exactly one applicant a case
    user = None
    if applicant.user_id is not None:
        submitter = case.submitted_by if Case.submitted_by.is_cached(case) else None
        if submitter is not None and submitter.pk == applicant.user_id:
            # The applicant submitted it themselves: their account is in hand (signed in, so
            # active); its preferences are read when the message is made.
            user = submitter
        else:
            user = _active_account(applicant.user_id)
    return user, applicant.phone


@functools.cache
def _account_sql(vendor: str) -> str:
    """An active account with its notification choices (none: NULLs). ``vendor`` is the cache's
    key: the quoting is the vendor's."""
    q = connection.ops.quote_name
    owner = NotificationPreference._meta.get_field("user").column
    return (
        f"SELECT {sql_rows.columns(User, 'u')}, {sql_rows.columns(NotificationPreference, 'p')}"
        f" FROM {q(User._meta.db_table)} u"
        f" LEFT JOIN {q(NotificationPreference._meta.db_table)} p ON p.{q(owner)} = u.{q('id')}"
        f" WHERE u.{q('id')} = %s AND u.{q('is_active')}"
    )


def _active_account(user_id: int) -> User | None:
    """The account if it is active, its choices cached on it as ``rows.related_one`` reads them:
    one statement written out once (it may carry the transaction's held writes)."""
    found = sql_rows.instances(User, _account_sql(connection.vendor), [user_id])
    if not found:
        return None
    user, extra = found[0]
    choices, _end = sql_rows.instance_at(NotificationPreference, extra, 0)
    sql_rows.related_one_known(user, "notify_preference", choices)
    return user


# An id no case has, standing for the case's in the link reversed once (``_case_link``).
_ANY_ID = 987_654_321_012_345


@functools.cache
def _case_link_pattern(script_prefix: str) -> str:
    """The portal page of a case with ``{}`` for its id, under ``script_prefix`` (what
    ``reverse`` prepends): reversed once, not on every message."""
    return reverse("web:portal_case", args=[_ANY_ID]).replace(str(_ANY_ID), "{}")


def _case_link(case: Case) -> str:
    return _case_link_pattern(get_script_prefix()).format(case.pk) if case.pk else ""


def applicant_notify(case: Case, event: str, *, once_key: str = "") -> list[OutboxMessage]:
    """Queue the applicant's messages for ``event`` (one of EVENTS); [] when there is nobody to
    reach (no account, no number on record) or ``once_key`` was used before."""
    assert event in EVENTS, event
    user, phone = _account(case)
    name = f"case_{event}"
    if user is not None:
        return notify_user(
            user=user,
            event=name,
            context=_context(case, event),
            link=_case_link(case),
            phone=phone,
            once_key=once_key,
        )
    return notify_phone(phone=phone, event=name, context=_context(case, event), once_key=once_key)


# --- The 容缺 reminder ---------------------------------------------------------------------------


def deferral_reminders_send(
    *, today: dt.date | None = None, working_days: int | None = None
) -> int:
    """Remind applicants whose 容缺 materials are still owed, ``working_days`` (settings:
    DEFERRAL_REMINDER_WORKING_DAYS, 2) working days before the supply date — or later, up to
    the date itself, when the worker was down on the day. Once per case and supply date
    (a new date set later gets its own reminder); returns how many cases were reminded."""
    today = today or clock.today()
    if working_days is None:
        working_days = settings.DEFERRAL_REMINDER_WORKING_DAYS
    # The supply date is at most ``working_days`` working days away: today is on or after
    # the reminder day.
    horizon = workdays.add_working_days(today, working_days)
    owed = CaseMaterial.objects.filter(
        case=OuterRef("pk"), deferred_until__isnull=False, received=False
    )
    cases = (
        Case.objects.filter(
            state=Case.State.ACCEPTED,
            deferral_due__isnull=False,
            deferral_due__gte=today,
            deferral_due__lte=horizon,
        )
        .filter(Exists(owed))
        .select_related("item_version", "person", "entity")
        .order_by("deferral_due", "pk")
    )
    reminded = 0
    for case in cases:
        assert case.deferral_due is not None
        key = f"deferral_reminder:{case.pk}:{case.deferral_due.isoformat()}"
        with transaction.atomic():
            if applicant_notify(case, "deferral_reminder", once_key=key):
                reminded += 1
    return reminded
