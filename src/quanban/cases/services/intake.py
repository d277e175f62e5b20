"""Intake at the window and online: 收件, 受理 (with 容缺 and 告知承诺), 一次性告知补正, 不予受理.

Every state change goes through ``TRANSITIONS`` (services._common) and is checked against the
locked row, so two clerks acting on the same case at once cannot both succeed from the same state.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.utils.translation import gettext as _

from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit, User
from quanban.accounts.roles import Perm
from quanban.accounts.selectors import require_perm
from quanban.cases.models import Case, CaseMaterial, Channel
from quanban.cases.notifications import applicant_notify
from quanban.cases.services import runtime
from quanban.cases.services._common import (
    CLOCK_FIELDS,
    LOCK_RELATED,
    NO_CLOCK_EVENTS,
    ONLINE_CHANNELS,
    REQUIRED_NECESSITIES,
    UNREUSABLE_CASE_STATES,
    State,
    audit,
    case_snapshot,
    defer,
    flush,
    lock,
    recompute_clock,
    require_transition,
    save,
    without_clock_events,
)
from quanban.cases.services.provenance import materials_fetch, unretained_proof
from quanban.catalogue import codes
from quanban.catalogue.models import ItemVersion, Material
from quanban.catalogue.selectors import material_list_for_answers, version_publication
from quanban.core import clock
from quanban.core import rows as sql_rows
from quanban.core.audit import audited_atomic
from quanban.core.errors import Conflict, ValidationFailed

MAX_FORM_FIELDS = 100

# --- Materials --------------------------------------------------------------------------------


def _materials(case: Case) -> list[CaseMaterial]:
    """The case's materials with what the catalogue says of each, in material order (read once
    by a service and passed on, instead of a query for each question asked of them)."""
    found = sql_rows.instances(
        CaseMaterial, _materials_sql(connection.vendor), [case.pk], related=("material",)
    )
    return [row for row, _extra in found]


@functools.cache
def _materials_sql(vendor: str) -> str:
    """The case's materials with the catalogue's, in material order: every intake service reads
    them (ADR 0011). ``vendor`` is the cache's key: the quoting is the vendor's."""
    q = connection.ops.quote_name
    join = sql_rows.joined(CaseMaterial, ("material",), vendor)
    return (
        f"SELECT {join.columns} FROM {join.tables} WHERE t0.{q('case_id')} = %s"
        f" ORDER BY t1.{q('seq')}, t0.{q('id')}"
    )


def _missing(case: Case, rows: Iterable[CaseMaterial] | None = None) -> list[dict[str, Any]]:
    """Every material the case still owes before it can be accepted, in material order.

    ``rows``: the case's materials as :func:`_materials` reads them, if the caller has them.
    """
    owed = sorted(
        (
            row
            for row in (_materials(case) if rows is None else rows)
            if not row.received
            and row.deferred_until is None
            and row.material.necessity in REQUIRED_NECESSITIES
        ),
        key=lambda row: row.material.seq,
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
        for row in owed
    ]


def _tick(
    case: Case,
    material_ids: Iterable[int],
    *,
    source: str = CaseMaterial.Source.PAPER,
    now: dt.datetime | None = None,
) -> list[int]:
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
    CaseMaterial.objects.filter(case=case, material_id__in=wanted, received=False).update(
        received=True, received_at=now or clock.now(), source=source
    )
    return sorted(wanted)


def _defer(case: Case, deferred: Mapping[int, dt.date], *, today: dt.date) -> None:
    """容缺受理: mark owed materials as deferred to the applicant's promised dates (not saved to
    the case: the caller checks the dates against the promised limit once it is known)."""
    if not deferred:
        return
    rows = {
        row.material_id: row
        for row in CaseMaterial.objects.filter(
            case=case, material_id__in=list(deferred)
        ).select_related("material")
    }
    for material_id, promised in sorted(deferred.items()):
        row = rows.get(material_id)
        if row is None:
            raise ValidationFailed(
                _("材料不在该申请人的材料清单中：%(ids)s") % {"ids": material_id},
                code="material_not_in_list",
                field="deferred",
            )
        if row.material.necessity != codes.Necessity.DEFERRABLE:
            raise ValidationFailed(
                _("“%(name)s”不是容缺后补材料，不能容缺受理。") % {"name": row.material.name},
                code="material_not_deferrable",
                field="deferred",
                extra={"material_id": material_id},
            )
        if row.received:
            raise ValidationFailed(
                _("“%(name)s”已经收取，无需容缺。") % {"name": row.material.name},
                code="material_already_received",
                field="deferred",
                extra={"material_id": material_id},
            )
        if not isinstance(promised, dt.date) or promised < today:
            raise ValidationFailed(
                _("“%(name)s”的承诺补交日期不能早于今天。") % {"name": row.material.name},
                code="deferral_date_past",
                field="deferred",
                extra={"material_id": material_id},
            )
        row.deferred_until = promised
        row.save(update_fields=["deferred_until"])


# --- Intake -----------------------------------------------------------------------------------


def _clean_form(form_data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The declared form fields: a flat object of short keys and plain values."""
    form = dict(form_data or {})
    if len(form) > MAX_FORM_FIELDS:
        raise ValidationFailed(
            _("申请表最多 %(n)d 项。") % {"n": MAX_FORM_FIELDS}, code="form_too_large", field="form"
        )
    for key, value in form.items():
        if not isinstance(key, str) or not 0 < len(key) <= 40:
            raise ValidationFailed(
                _("申请表的项名应为 1 至 40 个字符。"), code="form_key_invalid", field="form"
            )
        plain = value is None or isinstance(value, bool | int | float)
        if not plain and not (isinstance(value, str) and len(value) <= 500):
            raise ValidationFailed(
                _("申请表“%(key)s”的取值应为不超过 500 字的文字、数字或是否。") % {"key": key},
                code="form_value_invalid",
                field=f"form.{key}",
            )
    return form


def _create(
    *,
    item_version: ItemVersion,
    applicant: NaturalPerson | LegalEntity,
    channel: str,
    answers: Mapping[int, int],
    form_data: Mapping[str, Any] | None,
    first_responder: User | None,
    submitted_by: User | None,
    window: OrgUnit | None,
    received_material_ids: Iterable[int] = (),
    reuse: Mapping[int, int] | None = None,
    uploading: Iterable[int] = (),
) -> tuple[Case, list[CaseMaterial]]:
    """The case and its materials (the applicant's own list), the ticked ones received now and
    the ``reuse``d ones taken from the applicant's earlier cases (see :func:`_reuse`); a material
    ``uploading`` (its file comes next) cannot also be reused."""
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
    form = _clean_form(form_data)
    # Read the state now, not from the caller's copy: it may have been retired meanwhile.
    if version_publication(item_version.pk) is None:
        raise Conflict(
            _("事项“%(name)s”的该版本未发布或已停用，不能收件。") % {"name": item_version.name},
            code="version_not_published",
        )
    listed = material_list_for_answers(item_version, clean_answers)
    # 减证明: a proof not on the retained-proofs list (or struck off it since the version was
    # published) is never asked for. The catalogue refuses to publish one; this holds at intake.
    materials = [m for m in listed if not unretained_proof(m)]
    ticked = set(received_material_ids)
    foreign = sorted(ticked - {m.pk for m in materials})
    if foreign:
        raise ValidationFailed(
            _("材料不在该申请人的材料清单中：%(ids)s") % {"ids": ", ".join(map(str, foreign))},
            code="material_not_in_list",
            field="received_material_ids",
        )
    reused = _reuse(applicant, materials, reuse or {}, received={*ticked, *uploading})
    now = clock.now()
    case = sql_rows.insert(
        Case(
            item_version=item_version,
            person=applicant if isinstance(applicant, NaturalPerson) else None,
            entity=applicant if isinstance(applicant, LegalEntity) else None,
            channel=channel,
            state=State.RECEIVED,
            first_responder=first_responder,
            submitted_by=submitted_by,
            window=window,
            answers={str(k): v for k, v in sorted(clean_answers.items())},
            form_data=form,
            received_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    rows = []
    for m in materials:
        row = CaseMaterial(case=case, material=m)
        if m.pk in ticked:
            row.received, row.received_at, row.source = True, now, CaseMaterial.Source.PAPER
        elif m.pk in reused:
            earlier_id, file, ref = reused[m.pk]
            row.received, row.received_at, row.source = True, now, CaseMaterial.Source.REUSED
            row.file, row.source_ref, row.reused_from_id = file, ref, earlier_id
        rows.append(row)
    sql_rows.insert_many(rows)
    without_clock_events(case)
    return case, rows


def case_receive(
    *,
    user: User,
    item_version: ItemVersion,
    applicant: NaturalPerson | LegalEntity,
    channel: str,
    answers: Mapping[int, int],
    window: OrgUnit | None = None,
    received_material_ids: Iterable[int] = (),
    form_data: Mapping[str, Any] | None = None,
    reuse: Mapping[int, int] | None = None,
) -> Case:
    """Receive an application (收件) for any published item, whichever department implements it.

    The case's materials are the applicant's own list (the item's situations answered); the ticked
    ones are marked received. ``reuse`` takes materials the applicant handed in on an earlier case
    (the offer accepted at the window). Whatever is still owed and held by the licence library or
    a registry is fetched (provenance.materials_fetch). The receiving clerk becomes the first
    responder (首问负责).
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    ticked = sorted(set(received_material_ids))
    with audited_atomic():
        case, rows = _create(
            item_version=item_version,
            applicant=applicant,
            channel=channel,
            answers=answers,
            form_data=form_data,
            first_responder=user,
            submitted_by=None,
            window=window,
            received_material_ids=ticked,
            reuse=reuse,
        )
        reused = sorted(reuse or {})
        fetched = materials_fetch(case, rows, applicant, user=user)
        audit(
            "receive",
            case,
            None,
            materials=[row.material_id for row in rows],
            received_materials=ticked,
            reused=reused,
            fetched=fetched,
        )
    return case


def case_submit_online(
    *,
    user: User,
    item_version: ItemVersion,
    answers: Mapping[int, int],
    form_data: Mapping[str, Any] | None = None,
    channel: str = Channel.PC,
    files: Mapping[int, UploadedFile] | None = None,
    reuse: Mapping[int, int] | None = None,
    as_entity: bool = False,
) -> Case:
    """An applicant applies online (网上申报) for themselves or the company their account holds.

    ``files`` uploads materials; ``reuse`` maps a material to one the applicant handed in on an
    earlier case (its CaseMaterial id), recorded with where it came from. An item decided by
    instant rules (秒批) whose materials are complete is accepted and decided inside this
    transaction, with no person in the loop; everything else waits for a clerk of the online
    window (网上预审) to accept it, as at a window.
    """
    if user.kind != User.Kind.CITIZEN:
        raise ValidationFailed(
            _("网上申报须使用申请人账号。"), code="applicant_account_required", field="user"
        )
    applicant: NaturalPerson | LegalEntity | None = sql_rows.related_one(
        user, "entity" if as_entity else "person"
    )
    if applicant is None:
        raise ValidationFailed(
            _("请先完成实名登记，再网上申报。"), code="applicant_not_registered", field="user"
        )
    if channel not in ONLINE_CHANNELS:
        raise ValidationFailed(
            _("网上申报的渠道应为 PC 端、移动端或线上一窗。"),
            code="channel_not_online",
            field="channel",
        )
    with audited_atomic():
        case, rows = _create(
            item_version=item_version,
            applicant=applicant,
            channel=channel,
            answers=answers,
            form_data=form_data,
            first_responder=None,
            submitted_by=user,
            window=None,
            reuse=reuse,
            uploading=files or {},
        )
        uploaded = _attach_files(rows, files or {})
        reused = sorted(reuse or {})
        fetched = materials_fetch(case, rows, applicant, user=user)
        audit(
            "submit",
            case,
            None,
            materials=[row.material_id for row in rows],
            uploaded=uploaded,
            reused=reused,
            fetched=fetched,
        )
        process = item_version.process or {}
        if process.get("kind") == codes.ProcessKind.INSTANT_RULE and not _missing(case, rows):
            # The case was inserted by this transaction: no one else can see it, let alone lock
            # it, so it is accepted as it stands (its item version and applicant in hand).
            _accept_locked(case, user=None, commitment=False, ticked=[], materials=rows)
    return case


def _attach_files(case_rows: list[CaseMaterial], files: Mapping[int, UploadedFile]) -> list[int]:
    rows = {row.material_id: row for row in case_rows}
    for material_id in files:
        if material_id not in rows:
            raise ValidationFailed(
                _("材料不在该申请人的材料清单中：%(ids)s") % {"ids": material_id},
                code="material_not_in_list",
                field="files",
            )
    now = clock.now()
    for material_id, upload in sorted(files.items()):
        row = rows[material_id]
        row.file.save(upload.name or f"material-{material_id}", upload, save=False)
        row.received = True
        row.received_at = now
        row.source = CaseMaterial.Source.UPLOADED
        row.save(update_fields=["file", "received", "received_at", "source"])
    return sorted(files)


def _reuse(
    applicant: NaturalPerson | LegalEntity,
    materials: Iterable[Material],
    reuse: Mapping[int, int],
    *,
    received: Collection[int],
) -> dict[int, tuple[int, str, str]]:
    """Materials taken from the applicant's earlier cases (不得重复提交): for each material of
    ``reuse`` (material id → the earlier case's material row), the earlier row, its file and its
    case's number (the source recorded). Only the applicant's own received materials of a case
    not refused or revoked can be reused, for a material on the list not ``received`` otherwise.
    """
    if not reuse:
        return {}
    wanted = sorted(set(reuse.values()))
    owner = "person_id" if isinstance(applicant, NaturalPerson) else "entity_id"
    with sql_rows.shared_cursor() as cursor:
        cursor.execute(
            _reuse_sql(owner, len(wanted), connection.vendor),
            [applicant.pk, *UNREUSABLE_CASE_STATES, *wanted],
        )
        earlier = {pk: (file, number or f"#{case_id}") for pk, file, case_id, number in cursor}
    listed = {m.pk for m in materials}
    out = {}
    for material_id, earlier_id in sorted(reuse.items()):
        source = earlier.get(earlier_id)
        if material_id not in listed or source is None or material_id in received:
            raise ValidationFailed(
                _("不能复用该材料：它不在本次材料清单中，或不是您以前提交过的有效材料。"),
                code="material_not_reusable",
                field="reuse",
                extra={"material_id": material_id},
            )
        out[material_id] = (earlier_id, *source)
    return out


@functools.cache
def _reuse_sql(owner: str, count: int, vendor: str) -> str:
    """The applicant's received materials among ``count`` rows, with their file and their case's
    id and number, of cases whose materials may be reused. ``vendor`` is the cache's key."""
    q = connection.ops.quote_name
    states = ", ".join(["%s"] * len(UNREUSABLE_CASE_STATES))
    return (
        f"SELECT m.{q('id')}, m.{q('file')}, c.{q('id')}, c.{q('number')}"
        f" FROM {q(CaseMaterial._meta.db_table)} m"
        f" JOIN {q(Case._meta.db_table)} c ON c.{q('id')} = m.{q('case_id')}"
        f" WHERE c.{q(owner)} = %s AND m.{q('received')} AND c.{q('state')} NOT IN ({states})"
        f" AND m.{q('id')} IN ({', '.join(['%s'] * count)})"
    )


def case_accept(
    *,
    user: User,
    case: Case,
    received_material_ids: Iterable[int] = (),
    deferred: Mapping[int, dt.date] | None = None,
    commitment: bool = False,
    expected_version: int | None = None,
) -> Case:
    """Accept (受理) a case whose owed materials are all received, and give it its number.

    ``received_material_ids`` ticks materials handed in now (after a supplement notice).
    ``deferred`` maps 容缺后补 materials the applicant will bring later to the date they promise
    (容缺受理: not later than the promised due date). ``commitment`` records that the applicant
    signed the item's 告知承诺书: the case is approved at once and an inspection follows. The
    case then starts on its process: routed to its lead department and office, its first tasks
    opened (or decided by the instant rules).
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    with audited_atomic():
        # With what routing reads: the item (its department) and the window (the case's area).
        locked = lock(
            case,
            expected_version=expected_version,
            related=(*LOCK_RELATED, "item_version__item", "window"),
            clock_events=True,  # the accepted case's clock is shown without asking again
        )
        require_transition(locked, "accept")
        ticked = _tick(locked, received_material_ids)
        _defer(locked, deferred or {}, today=clock.today())
        _accept_locked(locked, user=user, commitment=commitment, ticked=ticked)
    return locked


def _accept_locked(
    locked: Case,
    *,
    user: User | None,
    commitment: bool,
    ticked: list[int],
    notify: bool = True,
    materials: list[CaseMaterial] | None = None,
) -> None:
    """Accept the locked case (its materials already ticked and deferred) and start its process.

    ``user`` is None when nobody accepts by hand (an online submission decided by the rules).
    ``materials``: the case's materials as they stand, if the caller has them (read otherwise).
    """
    before = case_snapshot(locked)
    target = require_transition(locked, "accept")
    rows = _materials(locked) if materials is None else materials
    missing = _missing(locked, rows)
    if missing:
        raise ValidationFailed(
            _("以下材料尚未收取，不能受理：%(names)s")
            % {"names": "、".join(m["name"] for m in missing)},
            code="materials_missing",
            extra={"missing": missing},
        )
    version = locked.item_version
    if commitment and not version.commitment_allowed:
        raise ValidationFailed(
            _("事项“%(name)s”未实行告知承诺制。") % {"name": version.name},
            code="commitment_not_allowed",
            field="commitment",
        )
    now = clock.now()
    today = clock.today()
    setattr(locked, NO_CLOCK_EVENTS, True)
    locked.state = target
    locked.accepted_at = now
    locked.accepted_by = user
    if user is not None and locked.first_responder_id in (None, user.pk):
        # An online submission: the clerk who accepts it answers for it from now (首问负责).
        # Or the clerk who received it accepts it: their account is in hand, not read again.
        locked.first_responder = user
    # A year the calendar does not cover refuses the acceptance (CalendarNotCovered, rolled
    # back): a case is never accepted without its due dates.
    recompute_clock(locked, today=today)
    fields = ["number", "state", "accepted_at", "accepted_by", "first_responder", *CLOCK_FIELDS]
    deferred = _deferred_of(rows)
    promised = list(deferred.values())
    if promised:
        latest = max(promised)
        assert locked.promised_due is not None
        if latest > locked.promised_due:
            raise ValidationFailed(
                _("容缺材料的承诺补交日期不能晚于承诺办结日期 %(due)s。")
                % {"due": locked.promised_due.isoformat()},
                code="deferral_after_due",
                field="deferred",
            )
        locked.deferral_due = latest
        fields.append("deferral_due")
    if commitment:
        locked.commitment_text = version.commitment_text
        locked.commitment_signed_at = now
        fields += ["commitment_text", "commitment_signed_at"]
    # The number as late as it can be (its counter row stays locked to the commit, and every
    # acceptance in the city waits for it), with the routing: one statement on PostgreSQL.
    route, locked.number = runtime.case_route_and_number(locked, day=today)
    # Written with the first step's opening (or flushed below): one UPDATE for the acceptance.
    defer(locked, fields=fields)
    audit(
        "accept",
        locked,
        before,
        received_materials=ticked,
        deferred={str(d): str(p) for d, p in deferred.items()},
        commitment=commitment,
    )
    runtime.case_start(locked, user=user, commitment=commitment, route=route)
    flush(locked, now=clock.now())
    delattr(locked, NO_CLOCK_EVENTS)  # from here on the case may get clock events
    if notify:
        # One message for where the acceptance ended: running, decided at once, or finished.
        events: dict[str, str] = {State.DECIDED: "decided", State.FINISHED: "issued"}
        applicant_notify(locked, events.get(locked.state, "accepted"))


def _deferred_of(rows: Iterable[CaseMaterial]) -> dict[int, dt.date]:
    return {row.material_id: row.deferred_until for row in rows if row.deferred_until is not None}


def case_request_supplement(
    *, user: User, case: Case, expected_version: int | None = None
) -> dict[str, Any]:
    """Tell the applicant, once, everything still to supplement (一次性告知); returns the notice.

    The notice names every missing material at once; the case waits in 补齐补正.
    """
    require_perm(user, Perm.BUSINESS_WRITE)
    with audited_atomic():
        locked = lock(case, expected_version=expected_version)
        target = require_transition(locked, "request_supplement")
        missing = _missing(locked)
        if not missing:
            raise Conflict(
                _("申请材料已齐全，无需补正，请直接受理。"),
                code="nothing_missing",
            )
        before = case_snapshot(locked)
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
        save(locked, now=now, fields=("state", "supplement_notice", "supplement_requested_at"))
        audit("request_supplement", locked, before, missing=[m["material_id"] for m in missing])
        applicant_notify(locked, "supplement")
    return notice


def case_refuse(
    *,
    user: User,
    case: Case,
    reason: str,
    legal_basis: str,
    guidance: str,
    expected_version: int | None = None,
) -> Case:
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
    with audited_atomic():
        locked = lock(case, expected_version=expected_version)
        target = require_transition(locked, "refuse")
        before = case_snapshot(locked)
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
        save(locked, now=now, fields=fields)
        audit(
            "refuse",
            locked,
            before,
            reason=reason,
            legal_basis=legal_basis,
            guidance=guidance,
        )
        applicant_notify(locked, "refused")
    return locked
