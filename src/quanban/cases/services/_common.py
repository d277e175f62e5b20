"""What every case service shares: the transition table, locking, saving, auditing, the clock."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from quanban.cases import clock as case_clock
from quanban.cases.models import (
    CardLevel,
    Case,
    CaseExtension,
    CaseNumberCounter,
    CaseSuspension,
    Channel,
)
from quanban.catalogue import codes
from quanban.core import clock as core_clock
from quanban.core import rows as sql_rows
from quanban.core.audit import audit_record, snapshot
from quanban.core.errors import Conflict, StaleEdit

State = Case.State

# action → (states it may start from, state it leads to). The one place transitions are defined.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({State.RECEIVED, State.PENDING_SUPPLEMENT}), State.ACCEPTED),
    # One notice per case: a second request would be a second notice (一次性告知).
    "request_supplement": (frozenset({State.RECEIVED}), State.PENDING_SUPPLEMENT),
    "refuse": (frozenset({State.RECEIVED, State.PENDING_SUPPLEMENT}), State.REFUSED),
    "decide": (frozenset({State.ACCEPTED}), State.DECIDED),
    # 一口出: the result (or the notice of rejection) is handed over; the case is finished.
    "issue": (frozenset({State.DECIDED}), State.FINISHED),
    # Withdrawn, 容缺 materials not supplied in time, or a false commitment found before issue.
    "terminate": (
        frozenset({State.RECEIVED, State.PENDING_SUPPLEMENT, State.ACCEPTED, State.DECIDED}),
        State.TERMINATED,
    ),
    # A 告知承诺 approval whose commitment an inspection found false.
    "revoke": (frozenset({State.DECIDED, State.FINISHED}), State.REVOKED),
}

# Materials a case cannot be accepted without. A 容缺后补 material is still owed: leaving it out
# is 容缺受理 (with the applicant's commitment), never a plain acceptance.
REQUIRED_NECESSITIES = frozenset({codes.Necessity.REQUIRED, codes.Necessity.DEFERRABLE})

AUDIT_FIELDS = (
    "number",
    "item_version",
    "person",
    "entity",
    "channel",
    "state",
    "first_responder",
    "window",
    "answers",
    "lead_department",
    "lead_office",
    "current_step",
    "legal_due",
    "promised_due",
    "warn_on",
    "card_level",
    "deferral_due",
    "deferral_lapsed",
    "decision",
    "termination",
    "delivery",
    "tracking_number",
    "version",
)

# 不得重复提交: an earlier case's materials are reused unless the case was refused (its materials
# were not accepted) or its approval revoked (a false commitment).
UNREUSABLE_CASE_STATES = frozenset({State.REFUSED, State.REVOKED})

ONLINE_CHANNELS = frozenset({Channel.PC, Channel.MOBILE, Channel.ONLINE_ONE_WINDOW})

CLOCK_FIELDS = ("legal_due", "promised_due", "warn_on", "card_level")


# What every service reads with the locked case: its item version, and the applicant (whom most
# services text). Acceptance adds what routing reads (the item, the window).
LOCK_RELATED = ("item_version", "person", "entity")
# The lock's annotations: whether the case has ever been suspended or extended (most never are),
# so that opening a step, or showing the clock, needs no query for clock events there are none of.
_SUSPENDED = "qb_ever_suspended"
_EXTENDED = "qb_ever_extended"
# What the instance knows from them: the case's version at which it had no suspension (no
# extension). It holds for that version only: the services move it with the version they write
# (save, defer), and an instance refreshed, or one that another service changed meanwhile, asks
# the database again.
_NO_SUSPENSION_AT = "_quanban_no_suspension_at"
_NO_EXTENSION_AT = "_quanban_no_extension_at"


def clock_events_sql(alias: str) -> str:
    """Select-list items saying whether the case of ``alias`` has any suspension and any
    extension (two index probes): what :func:`as_locked` takes with ``clock_events``."""
    q = connection.ops.quote_name
    return "".join(
        f", EXISTS (SELECT 1 FROM {q(model._meta.db_table)} e"
        f" WHERE e.{q('case_id')} = {alias}.{q('id')})"
        for model in (CaseSuspension, CaseExtension)
    )


@functools.cache
def _lock_sql(related: tuple[str, ...], clock_events: bool, vendor: str) -> str:
    """The case's row with ``related`` joined, locked; with ``clock_events``, whether it has any
    suspension and any extension. ``vendor`` is the cache's key: the quoting is the vendor's."""
    q = connection.ops.quote_name
    join = sql_rows.joined(Case, related, vendor)
    events = clock_events_sql("t0") if clock_events else ""
    of = sql_rows.for_update_of("t0")
    return f"SELECT {join.columns}{events} FROM {join.tables} WHERE t0.{q('id')} = %s{of}"


def lock(
    case: Case,
    *,
    expected_version: int | None = None,
    related: Iterable[str] = LOCK_RELATED,
    clock_events: bool = False,
) -> Case:
    """The case row, locked and re-read: the state seen is the state written against.

    With ``expected_version`` (what the caller last saw), a case changed since is a stale edit.
    ``clock_events``: also ask whether the case has ever been suspended or extended (two
    index probes in the same statement), so that showing the clock, or opening a step's tasks
    with their due dates, needs no query for clock events there are none of.
    """
    # Lock the case row only (``of``): the rows it joins are read, not locked, or every case of
    # an item would wait for every other. (Joining every unit it names saved statements but cost
    # more than it saved: a wide join plans and transfers slowly; the applicant, which most
    # services read for the text they queue, costs less joined than loaded.) Every service locks
    # a case, so the statement is written out once (ADR 0011).
    assert connection.in_atomic_block, "a case is locked inside the transaction that writes it"
    found = sql_rows.instances(
        Case,
        _lock_sql(tuple(related), clock_events, connection.vendor),
        [case.pk],
        related=tuple(related),
    )
    if not found:
        raise Case.DoesNotExist("Case matching query does not exist.")
    locked, extra = found[0]
    return as_locked(locked, extra if clock_events else None, expected_version=expected_version)


def as_locked(
    locked: Case, clock_events: tuple[Any, ...] | None, *, expected_version: int | None
) -> Case:
    """The case just read and locked, with what its statement said about its clock events
    (:func:`clock_events_sql`; None if it did not ask); a stale edit if its version is not
    ``expected_version``. :func:`lock` and the task lock (which reads the case with its tasks)
    both end here."""
    if clock_events is not None:
        setattr(locked, _SUSPENDED, bool(clock_events[0]))
        setattr(locked, _EXTENDED, bool(clock_events[1]))
    if expected_version is not None and locked.version != expected_version:
        raise StaleEdit(
            _("办件已被他人修改（您看到的是第 %(seen)d 版，现为第 %(now)d 版），请刷新后重试。")
            % {"seen": expected_version, "now": locked.version},
            extra={"current_version": locked.version},
        )
    if clock_events is not None and not getattr(locked, _SUSPENDED):
        setattr(locked, _NO_SUSPENSION_AT, locked.version)
    if clock_events is not None and not getattr(locked, _EXTENDED):
        setattr(locked, _NO_EXTENSION_AT, locked.version)
    return locked


def suspension_added(case: Case) -> None:
    """The case got a suspension in this transaction: its clock must read them from now on."""
    setattr(case, _NO_SUSPENSION_AT, None)


def extension_added(case: Case) -> None:
    """The case got an extension in this transaction: its clock must read them from now on."""
    setattr(case, _NO_EXTENSION_AT, None)


def without_clock_events(case: Case) -> None:
    """A case created in this transaction has no suspension or extension (both need an accepted
    case): mark the instance so that nothing asks."""
    setattr(case, _NO_SUSPENSION_AT, case.version)
    setattr(case, _NO_EXTENSION_AT, case.version)


def ever_suspended(case: Case) -> bool:
    """Whether the case may have suspensions (True unless the instance knows it has none)."""
    return getattr(case, _NO_SUSPENSION_AT, None) != case.version


def ever_extended(case: Case) -> bool:
    """Whether the case may have extensions (True unless the instance knows it has none)."""
    return getattr(case, _NO_EXTENSION_AT, None) != case.version


def _bump(case: Case) -> None:
    """One more version, keeping what the instance knows about its clock events."""
    for name in (_NO_SUSPENSION_AT, _NO_EXTENSION_AT):
        if getattr(case, name, None) == case.version:
            setattr(case, name, case.version + 1)
    case.version += 1


def require_transition(case: Case, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if case.state not in sources:
        raise Conflict(
            _("办件当前为“%(state)s”，不能执行此操作。") % {"state": case.get_state_display()},
            code="case_state",
            extra={"state": case.state, "action": action},
        )
    return target


def save(case: Case, *, now: dt.datetime, fields: Iterable[str], bump: bool = True) -> None:
    """Save the fields (and any a step deferred); ``bump`` adds one to the version (once per
    change a person makes, so the follow-on writes of the same service — routing, opening the
    next step — pass False)."""
    if bump:
        _bump(case)
    pending = getattr(case, _PENDING, None) or set()
    setattr(case, _PENDING, None)
    case.updated_at = now
    # Held for the next statement (the case is locked: rows.later); often it goes with the audit.
    written = [*dict.fromkeys([*fields, *sorted(pending)]), "version", "updated_at"]
    sql_rows.update(case, written, held=True)


def defer(case: Case, *, fields: Iterable[str], bump: bool = True) -> None:
    """Change fields now and write them with the next :func:`save` of the same instance (one
    UPDATE for a service that moves a case several steps at once); :func:`flush` writes what is
    left. The version moves now, so audit records made meanwhile show the version written."""
    if bump:
        _bump(case)
    pending = getattr(case, _PENDING, None) or set()
    pending.update(fields)
    pending.add("version")
    setattr(case, _PENDING, pending)


def flush(case: Case, *, now: dt.datetime) -> None:
    if getattr(case, _PENDING, None):
        save(case, now=now, fields=(), bump=False)


_PENDING = "_quanban_pending_fields"


# --- Case numbers ---------------------------------------------------------------------------

# Create the day's counter row or add one to it, and read the number back (one parameter: the
# day). The upsert takes the row lock, held to the commit, so concurrent acceptances take
# consecutive numbers one after another, and a rolled-back acceptance gives its number back.
# (The ORM needs three statements for this: an insert ignoring conflicts, a locking read and an
# update.) Every acceptance in the city waits for that lock: take it as late as the acceptance
# can (intake._accept_locked).
NUMBER_SQL = (
    f"INSERT INTO {CaseNumberCounter._meta.db_table} (day, last) VALUES (%s, 1)"
    f" ON CONFLICT (day) DO UPDATE SET last = {CaseNumberCounter._meta.db_table}.last + 1"
    " RETURNING last"
)


def case_number(day: dt.date, last: int) -> str:
    """The day's ``last``-th case number: ``<city code>-<YYYYMMDD>-<6-digit sequence>``."""
    return f"{settings.CITY_DIVISION_CODE}-{day:%Y%m%d}-{last:06d}"


def case_number_next(*, day: dt.date | None = None) -> str:
    """The next case number of the local day (``NUMBER_SQL`` on its own).

    Call inside the accepting transaction: the day's counter row stays locked until it commits.
    An acceptance takes its number with its routing instead (``runtime.case_route_and_number``).
    """
    day = day or core_clock.today()
    with sql_rows.shared_cursor() as cursor:
        cursor.execute(NUMBER_SQL, [connection.ops.adapt_datefield_value(day)])
        (last,) = cursor.fetchone()
    return case_number(day, last)


def audit(action: str, case: Case, before: Mapping[str, Any] | None, **changes: Any) -> None:
    audit_record(
        action=f"case.{action}",
        obj=case,
        before=before,
        after=snapshot(case, AUDIT_FIELDS),
        changes=changes or None,
    )


def case_snapshot(case: Case) -> dict[str, Any]:
    return snapshot(case, AUDIT_FIELDS)


# A case being accepted in this transaction can have no suspension or extension yet (both need
# an accepted case): acceptance marks the instance so that its clock is computed without asking.
NO_CLOCK_EVENTS = "_quanban_no_clock_events"


def suspensions_of(case: Case) -> list[case_clock.Suspension]:
    if getattr(case, NO_CLOCK_EVENTS, False) or not ever_suspended(case):
        return []
    return [
        case_clock.Suspension(start=s.started_on, end=s.ended_on, reason=s.reason)
        for s in CaseSuspension.objects.filter(case=case).order_by("started_on", "pk")
    ]


def extensions_of(case: Case) -> list[case_clock.Extension]:
    if getattr(case, NO_CLOCK_EVENTS, False) or not ever_extended(case):
        return []
    return [
        case_clock.Extension(days=e.days, reason=e.reason, decided_on=e.decided_on)
        for e in CaseExtension.objects.filter(case=case).order_by("decided_on", "pk")
    ]


def card_for(today: dt.date, warn: dt.date | None, due: dt.date | None) -> str:
    if case_clock.is_red(today, due):
        return CardLevel.RED
    if case_clock.is_yellow(today, warn, due):
        return CardLevel.YELLOW
    return CardLevel.NONE


def recompute_clock(case: Case, *, today: dt.date) -> None:
    """Set the case's legal and promised due dates, warn date and card level (not saved).

    The clock starts on the local day of acceptance and skips every working day its suspensions
    cover (quanban.cases.clock); extensions (延长审批) add to both limits. The warning time counts
    on the promised limit, and so does red: the promise is what the window answers for. Call only
    when no suspension is running (at acceptance, and once one has ended): while one runs the
    dates are unknown, so the case keeps the ones it had.
    """
    assert case.accepted_at is not None
    start = timezone.localdate(case.accepted_at)
    version = case.item_version
    suspensions = suspensions_of(case)
    extensions = extensions_of(case)
    case.legal_due = case_clock.due_date(start, version.legal_limit_days, suspensions, extensions)
    case.promised_due = case_clock.due_date(
        start, version.promised_limit_days, suspensions, extensions
    )
    case.warn_on = case_clock.warn_date(start, version.promised_limit_days, suspensions, extensions)
    case.card_level = card_for(today, case.warn_on, case.promised_due)


def open_suspension(case: Case) -> CaseSuspension | None:
    return CaseSuspension.objects.filter(case=case, ended_on__isnull=True).first()
