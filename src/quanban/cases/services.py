"""Writes to cases: intake at the window (收件, 受理, 一次性告知补正, 不予受理) and the clock (挂起, 恢复).

Every state change goes through ``TRANSITIONS`` and is checked against the locked row, so two
clerks acting on the same case at once cannot both succeed from the same state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit, User
from quanban.accounts.roles import Perm
from quanban.accounts.selectors import require_perm
from quanban.cases import clock as case_clock
from quanban.cases.models import (
    CardLevel,
    Case,
    CaseMaterial,
    CaseNumberCounter,
    CaseSuspension,
    Channel,
)
from quanban.catalogue import codes
from quanban.catalogue.models import ItemVersion
from quanban.catalogue.selectors import material_list_for_answers
from quanban.core import clock
from quanban.core.audit import audit_record, snapshot
from quanban.core.errors import Conflict, ValidationFailed

State = Case.State

# action → (states it may start from, state it leads to). The one place transitions are defined.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({State.RECEIVED, State.PENDING_SUPPLEMENT}), State.ACCEPTED),
    # One notice per case: a second request would be a second notice (一次性告知).
    "request_supplement": (frozenset({State.RECEIVED}), State.PENDING_SUPPLEMENT),
    "refuse": (frozenset({State.RECEIVED, State.PENDING_SUPPLEMENT}), State.REFUSED),
}

# Materials a case cannot be accepted without. A 容缺后补 material is still owed: leaving it out
# is 容缺受理 (with the applicant's commitment), never a plain acceptance.
REQUIRED_NECESSITIES = frozenset({codes.Necessity.REQUIRED, codes.Necessity.DEFERRABLE})

_AUDIT_FIELDS = (
    "number",
    "item_version",
    "person",
    "entity",
    "channel",
    "state",
    "first_responder",
    "window",
    "answers",
    "legal_due",
    "promised_due",
    "warn_on",
    "card_level",
    "version",
)

_CLOCK_FIELDS = ("legal_due", "promised_due", "warn_on", "card_level")


# --- Helpers ----------------------------------------------------------------------------------


def _lock(case: Case) -> Case:
    """The case row, locked and re-read: the state seen is the state written against."""
    return Case.objects.select_for_update().select_related("item_version").get(pk=case.pk)


def _require_transition(case: Case, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if case.state not in sources:
        raise Conflict(
            _("办件当前为“%(state)s”，不能执行此操作。") % {"state": case.get_state_display()},
            code="case_state",
            extra={"state": case.state, "action": action},
        )
    return target


def _save(case: Case, *, now: dt.datetime, fields: Iterable[str]) -> None:
    case.version += 1
    case.updated_at = now
    case.save(update_fields=[*fields, "version", "updated_at"])


def _audit(action: str, case: Case, before: Mapping[str, Any] | None, **changes: Any) -> None:
    audit_record(
        action=f"case.{action}",
        obj=case,
        before=before,
        after=snapshot(case, _AUDIT_FIELDS),
        changes=changes or None,
    )


def _missing(case: Case) -> list[dict[str, Any]]:
    """Every material the case still owes before it can be accepted, in material order."""
    rows = (
        CaseMaterial.objects.filter(
            case=case, received=False, material__necessity__in=REQUIRED_NECESSITIES
        )
        .select_related("material")
        .order_by("material__seq")
    )
    return [
        {
            "material_id": row.material_id,
            "seq": row.material.seq,
            "name": row.material.name,
            "necessity": row.material.necessity,
            "form": row.material.form,
            "original_count": row.material.original_count,
            "copy_count": row.material.copy_count,
        }
        for row in rows
    ]


def _tick(case: Case, material_ids: Iterable[int]) -> list[int]:
    """Mark materials of the case's own list received; refuse ids that are not on it."""
    wanted = set(material_ids)
    if not wanted:
        return []
    own = set(CaseMaterial.objects.filter(case=case).values_list("material_id", flat=True))
    foreign = sorted(wanted - own)
    if foreign:
        raise ValidationFailed(
            _("材料不在该申请人的材料清单中：%(ids)s") % {"ids": ", ".join(map(str, foreign))},
            code="material_not_in_list",
            field="received_material_ids",
        )
    CaseMaterial.objects.filter(case=case, material_id__in=wanted).update(received=True)
    return sorted(wanted)


def _recompute_clock(case: Case, *, today: dt.date) -> None:
    """Set the case's legal and promised due dates, warn date and card level (not saved).

    The clock starts on the local day of acceptance and skips every working day its suspensions
    cover (quanban.cases.clock). The warning time counts on the promised limit, and so does red:
    the promise is what the window answers for. Call only when no suspension is running (at
    acceptance, and once one has ended): while one runs the dates are unknown, so the case keeps
    the ones it had.
    """
    assert case.accepted_at is not None
    start = timezone.localdate(case.accepted_at)
    version = case.item_version
    suspensions = [
        case_clock.Suspension(start=s.started_on, end=s.ended_on, reason=s.reason)
        for s in CaseSuspension.objects.filter(case=case).order_by("started_on", "pk")
    ]
    case.legal_due = case_clock.due_date(start, version.legal_limit_days, suspensions)
    case.promised_due = case_clock.due_date(start, version.promised_limit_days, suspensions)
    case.warn_on = case_clock.warn_date(start, version.promised_limit_days, suspensions)
    if case_clock.is_red(today, case.promised_due):
        case.card_level = CardLevel.RED
    elif case_clock.is_yellow(today, case.warn_on, case.promised_due):
        case.card_level = CardLevel.YELLOW
    else:
        case.card_level = CardLevel.NONE


def _open_suspension(case: Case) -> CaseSuspension | None:
    return CaseSuspension.objects.filter(case=case, ended_on__isnull=True).first()


# --- Numbers ----------------------------------------------------------------------------------


def case_number_next(*, day: dt.date | None = None) -> str:
    """The next case number of the local day: ``<city code>-<YYYYMMDD>-<6-digit sequence>``.

    Call inside the accepting transaction: the day's counter row stays locked until it commits, so
    concurrent acceptances take consecutive numbers one after another, and a rolled-back one gives
    its number back.
    """
    day = day or clock.today()
    with transaction.atomic():
        # Create the day's row without racing another first acceptance of the day, then lock it.
        CaseNumberCounter.objects.bulk_create(
            [CaseNumberCounter(day=day, last=0)], ignore_conflicts=True
        )
        counter = CaseNumberCounter.objects.select_for_update().get(day=day)
        counter.last += 1
        counter.save(update_fields=["last"])
    return f"{settings.CITY_DIVISION_CODE}-{day:%Y%m%d}-{counter.last:06d}"


# --- Intake -----------------------------------------------------------------------------------


def case_receive(
    *,
    user: User,
    item_version: ItemVersion,
    applicant: NaturalPerson | LegalEntity,
    channel: str,
    answers: Mapping[int, int],
    window: OrgUnit | None = None,
    received_material_ids: Iterable[int] = (),
) -> Case:
    """Receive an application (收件) for any published item, whichever department implements it.

    The case's materials are the applicant's own list (the item's situations answered); the ticked
    ones are marked received. The receiving clerk becomes the first responder (首问负责).
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    if channel not in Channel.values:
        raise ValidationFailed(
            _("未知的申报渠道：%(channel)s") % {"channel": channel},
            code="channel_unknown",
            field="channel",
        )
    if window is not None and window.kind != OrgUnit.Kind.WINDOW:
        raise ValidationFailed(_("请选择一个窗口。"), code="window_invalid", field="window")
    if not isinstance(applicant, NaturalPerson | LegalEntity):
        raise ValidationFailed(_("请选择申请人。"), code="applicant_invalid", field="applicant")
    clean_answers = {int(k): int(v) for k, v in answers.items()}
    with transaction.atomic():
        # Read the state now, not from the caller's copy: it may have been retired meanwhile.
        state = ItemVersion.objects.filter(pk=item_version.pk).values_list("state", flat=True)
        if state.first() != ItemVersion.State.PUBLISHED:
            raise Conflict(
                _("事项“%(name)s”的该版本未发布或已停用，不能收件。") % {"name": item_version.name},
                code="version_not_published",
            )
        materials = material_list_for_answers(item_version, clean_answers)
        now = clock.now()
        case = Case.objects.create(
            item_version=item_version,
            person=applicant if isinstance(applicant, NaturalPerson) else None,
            entity=applicant if isinstance(applicant, LegalEntity) else None,
            channel=channel,
            state=State.RECEIVED,
            first_responder=user,
            window=window,
            answers={str(k): v for k, v in sorted(clean_answers.items())},
            received_at=now,
            created_at=now,
            updated_at=now,
        )
        CaseMaterial.objects.bulk_create(CaseMaterial(case=case, material=m) for m in materials)
        ticked = _tick(case, received_material_ids)
        _audit(
            "receive",
            case,
            None,
            materials=[m.pk for m in materials],
            received_materials=ticked,
        )
    return case


def case_accept(*, user: User, case: Case, received_material_ids: Iterable[int] = ()) -> Case:
    """Accept (受理) a case whose owed materials are all received, and give it its number.

    ``received_material_ids`` ticks materials handed in now (after a supplement notice).
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    with transaction.atomic():
        locked = _lock(case)
        target = _require_transition(locked, "accept")
        before = snapshot(locked, _AUDIT_FIELDS)
        ticked = _tick(locked, received_material_ids)
        missing = _missing(locked)
        if missing:
            raise ValidationFailed(
                _("以下材料尚未收取，不能受理：%(names)s")
                % {"names": "、".join(m["name"] for m in missing)},
                code="materials_missing",
                extra={"missing": missing},
            )
        now = clock.now()
        locked.number = case_number_next(day=clock.today())
        locked.state = target
        locked.accepted_at = now
        locked.accepted_by = user
        # A year the calendar does not cover refuses the acceptance (CalendarNotCovered, rolled
        # back): a case is never accepted without its due dates.
        _recompute_clock(locked, today=clock.today())
        _save(
            locked,
            now=now,
            fields=("number", "state", "accepted_at", "accepted_by", *_CLOCK_FIELDS),
        )
        _audit("accept", locked, before, received_materials=ticked)
    return locked


def case_request_supplement(*, user: User, case: Case) -> dict[str, Any]:
    """Tell the applicant, once, everything still to supplement (一次性告知); returns the notice.

    The notice names every missing material at once; the case waits in 补齐补正.
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    with transaction.atomic():
        locked = _lock(case)
        target = _require_transition(locked, "request_supplement")
        missing = _missing(locked)
        if not missing:
            raise Conflict(
                _("申请材料已齐全，无需补正，请直接受理。"),
                code="nothing_missing",
            )
        before = snapshot(locked, _AUDIT_FIELDS)
        now = clock.now()
        applicant = locked.applicant
        notice: dict[str, Any] = {
            "case_id": locked.pk,
            "item_name": locked.item_version.name,
            "applicant_name": applicant.name,
            "received_at": locked.received_at.isoformat(),
            "notified_at": now.isoformat(),
            "notified_by": user.display_name or user.get_username(),
            "missing": missing,
        }
        locked.state = target
        locked.supplement_notice = notice
        locked.supplement_requested_at = now
        _save(locked, now=now, fields=("state", "supplement_notice", "supplement_requested_at"))
        _audit("request_supplement", locked, before, missing=[m["material_id"] for m in missing])
    return notice


def case_refuse(*, user: User, case: Case, reason: str, legal_basis: str, guidance: str) -> Case:
    """Refuse to accept (不予受理), with the reason, the legal basis and where to go instead.

    The window has no veto (窗口无否决权): a refusal without all three is itself refused.
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    reason, legal_basis, guidance = reason.strip(), legal_basis.strip(), guidance.strip()
    empty = [
        name
        for name, value in (
            ("reason", reason),
            ("legal_basis", legal_basis),
            ("guidance", guidance),
        )
        if not value
    ]
    if empty:
        raise ValidationFailed(
            _("不予受理必须写明理由、法律依据和办理指引（到哪里、如何办理）。"),
            code="refusal_incomplete",
            field=empty[0],
            extra={"fields": empty},
        )
    with transaction.atomic():
        locked = _lock(case)
        target = _require_transition(locked, "refuse")
        before = snapshot(locked, _AUDIT_FIELDS)
        now = clock.now()
        locked.state = target
        locked.refused_at = now
        locked.refused_reason = reason
        locked.refused_legal_basis = legal_basis
        locked.refused_guidance = guidance
        fields = (
            "state",
            "refused_at",
            "refused_reason",
            "refused_legal_basis",
            "refused_guidance",
        )
        _save(locked, now=now, fields=fields)
        _audit(
            "refuse",
            locked,
            before,
            reason=reason,
            legal_basis=legal_basis,
            guidance=guidance,
        )
    return locked


# --- Clock ------------------------------------------------------------------------------------


def case_suspend(*, user: User, case: Case, kind: str, reason: str) -> CaseSuspension:
    """Stop an accepted case's clock from today (挂起: 补正, 现场核查, 技术审查, 专家评审, 听证).

    Today's working day already does not count. The due dates keep their last values while the
    suspension runs (their new values are not known until it ends) and are recomputed by
    :func:`case_resume`. A case has at most one running suspension.
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    if kind not in CaseSuspension.Kind.values:
        raise ValidationFailed(
            _("未知的挂起类型：%(kind)s") % {"kind": kind},
            code="suspension_kind_unknown",
            field="kind",
        )
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            _("挂起必须写明理由。"), code="suspension_reason_required", field="reason"
        )
    with transaction.atomic():
        locked = _lock(case)
        if locked.state != State.ACCEPTED:
            raise Conflict(
                _("办件当前为“%(state)s”，只有已受理的办件可以挂起。")
                % {"state": locked.get_state_display()},
                code="case_state",
                extra={"state": locked.state, "action": "suspend"},
            )
        if _open_suspension(locked) is not None:
            raise Conflict(_("办件已挂起，请先恢复。"), code="case_already_suspended")
        before = snapshot(locked, _AUDIT_FIELDS)
        now = clock.now()
        suspension = CaseSuspension.objects.create(
            case=locked,
            kind=kind,
            reason=reason,
            started_on=clock.today(),
            started_by=user,
            created_at=now,
        )
        _save(locked, now=now, fields=())
        _audit(
            "suspend",
            locked,
            before,
            suspension=suspension.pk,
            kind=kind,
            reason=reason,
            started_on=suspension.started_on.isoformat(),
        )
    return suspension


def case_resume(*, user: User, case: Case) -> Case:
    """End the case's running suspension today and move its due dates (恢复计时).

    Today is the suspension's last day (it does not count either); the clock runs again on the
    next working day. The dates are recomputed from all of the case's suspensions.
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    with transaction.atomic():
        locked = _lock(case)
        suspension = _open_suspension(locked)
        if suspension is None:
            raise Conflict(_("办件未挂起，无需恢复。"), code="case_not_suspended")
        before = snapshot(locked, _AUDIT_FIELDS)
        now = clock.now()
        today = clock.today()
        suspension.ended_on = today
        suspension.ended_by = user
        suspension.save(update_fields=["ended_on", "ended_by"])
        _recompute_clock(locked, today=today)
        _save(locked, now=now, fields=_CLOCK_FIELDS)
        _audit(
            "resume",
            locked,
            before,
            suspension=suspension.pk,
            ended_on=today.isoformat(),
        )
    return locked
