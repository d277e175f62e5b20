"""Every write of the feedback app: ratings, invitations, complaints and their follow-up.

Each service is keyword-only, runs in one transaction and writes its audit record. The rater's
identity never enters an audit record's changes (the trail is read by staff).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, RoleAssignment, User
from quanban.accounts.roles import Perm, Role
from quanban.accounts.selectors import require_perm, user_has_perm
from quanban.cases.clock import warn_date
from quanban.cases.models import CardLevel, Case
from quanban.catalogue.models import ServiceItem
from quanban.core import clock, rows, workdays
from quanban.core.audit import audit_record, audited_atomic
from quanban.core.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationFailed
from quanban.feedback import config, tally
from quanban.feedback.models import (
    BAD_AT_MOST,
    Complaint,
    FollowUp,
    RaterKind,
    Rating,
    RatingAppeal,
    RatingChannel,
    RatingInvite,
    RatingKind,
)
from quanban.notify.services import notify_phone, notify_user, notify_users
from quanban.supervision.escalation import Responsibles, users_of

# The dimensions each kind of rating scores (besides the overall level).
DIMENSIONS: dict[str, tuple[str, ...]] = {
    RatingKind.PER_CASE: ("efficiency", "guide_accuracy", "convenience", "usability"),
    RatingKind.PER_VISIT: ("efficiency", "skill", "attitude"),
}
ALL_DIMENSIONS = ("efficiency", "guide_accuracy", "convenience", "usability", "skill", "attitude")
TEXT_MAX = 1000
TAGS_MAX = 10
TAG_MAX_LENGTH = 20
APPLICANT_CHANNELS = (RatingChannel.PORTAL, RatingChannel.MOBILE)
PAD_CHANNELS = (RatingChannel.PAD, RatingChannel.KIOSK)
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


# --- Tokens -------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    clear = secrets.token_urlsafe(24)
    return clear, token_hash(clear)


def _link(path: str) -> str:
    return config.public_url() + path


# --- Invitations --------------------------------------------------------------------------------


def _applicant_phone(case: Case) -> str:
    """The applicant's number on record, else their account's, else the submitting account's."""
    applicant = case.person or case.entity
    phone = getattr(applicant, "phone", "") or ""
    account = getattr(applicant, "user", None)
    if not phone and account is not None:
        phone = account.phone
    if not phone and case.submitted_by_id is not None:
        phone = case.submitted_by.phone if case.submitted_by else ""
    return phone


def _serves_window(user: User, window: OrgUnit) -> bool:
    """Does the user hold the window clerk's role on the window or a unit above it?"""
    scopes = RoleAssignment.objects.filter(user=user, role=Role.WINDOW_CLERK).values_list(
        "org_unit__path", flat=True
    )
    return any(window.path.startswith(scope) for scope in scopes)


# How far back the worker looks for finished cases to invite (it runs every few minutes; a day
# covers a worker that was down overnight).
INVITE_LOOKBACK = dt.timedelta(days=1)


def rating_invite_due() -> int:
    """Invite the applicants of cases that reached them lately (finished and delivered in the
    last day) and were neither invited nor rated: the worker's round, so that the case runtime
    does not pay for it. Each case in its own transaction; returns how many were invited. (An
    applicant without a phone number is met again each round at the cost of reading the row.)"""
    since = clock.now() - INVITE_LOOKBACK
    due = (
        Case.objects.filter(
            state=Case.State.FINISHED, finished_at__gte=since, delivered_at__isnull=False
        )
        .exclude(Exists(RatingInvite.objects.filter(case=OuterRef("pk"))))
        .exclude(Exists(Rating.objects.filter(case=OuterRef("pk"))))
        .select_related("person", "entity", "submitted_by", "item_version")
        .order_by("finished_at", "pk")
    )
    invited = 0
    for case in due.iterator(chunk_size=500):
        invited += rating_invite(case=case) is not None
    return invited


def rating_invite(*, case: Case) -> RatingInvite | None:
    """Text the applicant of a finished case a link to rate it (一事一评), valid for
    ``FEEDBACK_SMS_INVITE_HOURS``; its token is used once. Joins the caller's transaction: the
    case runtime calls this when a case finishes. Nothing when the applicant has no phone
    number, or the case is already rated or invited."""
    if case.state != Case.State.FINISHED:
        raise Conflict(_("办件尚未办结，不能邀请评价。"), code="case_not_finished")
    phone = _applicant_phone(case)
    if not phone:
        return None
    now = clock.now()
    with audited_atomic():
        if Rating.objects.filter(case=case, kind=RatingKind.PER_CASE).exists():
            return None
        if RatingInvite.objects.filter(case=case, channel=RatingChannel.SMS).exists():
            return None
        clear, hashed = _new_token()
        hours = config.invite_hours()
        invite = RatingInvite.objects.create(
            kind=RatingKind.PER_CASE,
            channel=RatingChannel.SMS,
            case=case,
            window=case.window,
            staff=case.first_responder,
            token_hash=hashed,
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
        notify_phone(
            phone=phone,
            event="rating_invite",
            context={
                "number": case.number or f"#{case.pk}",
                "link": _link(f"/rate/{clear}/"),
                "hours": hours,
            },
            once_key=f"rating_invite:{case.pk}",
        )
        audit_record(
            action="rating_invite.create",
            obj=invite,
            after={"case": case.pk, "channel": invite.channel, "expires_at": invite.expires_at},
        )
    return invite


def rating_pad_open(
    *, user: User, window: OrgUnit, case: Case | None = None, channel: str = RatingChannel.PAD
) -> tuple[RatingInvite, str]:
    """The clerk opens the window's rating pad (or kiosk) for the person they served: one
    invitation a visit (一次一评). Returns the invitation and its token (shown once, in the
    pad's address)."""
    require_perm(user, Perm.BUSINESS_WRITE)
    if channel not in PAD_CHANNELS:
        raise ValidationFailed(
            _("评价渠道应为窗口评价器或自助终端。"), code="rating_channel_invalid", field="channel"
        )
    if window.kind != OrgUnit.Kind.WINDOW:
        raise ValidationFailed(_("请选择窗口。"), code="window_invalid", field="window")
    if not _serves_window(user, window):
        raise PermissionDenied(
            _("只有该窗口的窗口人员可以开启评价器。"), code="rating_pad_window_not_yours"
        )
    now = clock.now()
    clear, hashed = _new_token()
    with audited_atomic():
        invite = RatingInvite.objects.create(
            kind=RatingKind.PER_VISIT,
            channel=channel,
            case=case,
            window=window,
            staff=user,
            token_hash=hashed,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=config.pad_minutes()),
        )
        audit_record(
            action="rating_invite.create",
            obj=invite,
            after={"window": window.pk, "case": case.pk if case else None, "channel": channel},
        )
    return invite, clear


def invite_for_token(token: str) -> RatingInvite:
    """The invitation a token names, if it can still be used; ``NotFound`` (expired, used or
    unknown look the same to whoever holds the token)."""
    # The window only: most invitations (the pad's) name no case, and a case's join is wide.
    found = list(
        RatingInvite.objects.select_related("window").filter(token_hash=token_hash(token or ""))[:1]
    )
    invite = found[0] if found else None
    if invite is None or invite.used_at is not None or invite.expires_at <= clock.now():
        raise _invite_invalid()
    if invite.case_id is not None:
        invite.case = Case.objects.select_related("item_version", "window").get(pk=invite.case_id)
    return invite


def _invite_invalid() -> NotFound:
    return NotFound(
        _("评价链接无效、已使用或已过期。"), code="rating_invite_invalid", field="token"
    )


@functools.cache
def _invite_use_sql(vendor: str) -> str:
    """Marks the invitation a token names used, if it is still usable, and returns it with its
    window's hall and district. Built once per database vendor (``vendor`` is the cache's key:
    the quoting is the vendor's)."""
    q = connection.ops.quote_name
    invites, units = q(RatingInvite._meta.db_table), q(OrgUnit._meta.db_table)
    window = f"{invites}.{q('window_id')}"
    # A district is the window's ancestor whose path its path starts with (paths end in "/").
    return (
        f"UPDATE {invites} SET {q('used_at')} = %s"
        f" WHERE {q('token_hash')} = %s AND {q('used_at')} IS NULL AND {q('expires_at')} > %s"
        f" RETURNING {rows.columns(RatingInvite)},"
        f" (SELECT w.{q('parent_id')} FROM {units} w WHERE w.{q('id')} = {window})"
        f" AS window_hall_id,"
        f" (SELECT d.{q('id')} FROM {units} w JOIN {units} d"
        f" ON w.{q('path')} LIKE d.{q('path')} || '%%'"
        f" WHERE w.{q('id')} = {window} AND d.{q('kind')} = %s"
        f" ORDER BY d.{q('path')} LIMIT 1) AS window_district_id"
    )


def _invite_use(token: str, now: dt.datetime) -> tuple[RatingInvite, int | None, int | None]:
    """The invitation a token names, marked used at ``now`` in the same statement, with its
    window's hall and district; ``NotFound`` as ``invite_for_token``. Of two uses at once, the
    second waits for the first's row and then finds it used; the caller's transaction undoes the
    use if the rating is refused."""
    found = rows.instances(
        RatingInvite,
        _invite_use_sql(connection.vendor),
        [now, token_hash(token or ""), now, OrgUnit.Kind.DISTRICT],
    )
    if not found:
        raise _invite_invalid()
    invite, (hall_id, district_id) = found[0]
    if invite.case_id is not None:
        invite.case = Case.objects.select_related("item_version", "window").get(pk=invite.case_id)
    return invite, hall_id, district_id


# --- Ratings ------------------------------------------------------------------------------------


def _check_level(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationFailed(_("评价等级应为 1 至 5。"), code="rating_level_invalid", field=field)
    return value


def _clean(
    kind: str, level: Any, scores: Mapping[str, Any], text: str, tags: Sequence[str]
) -> dict[str, Any]:
    fields: dict[str, Any] = {"level": _check_level(level, "level")}
    allowed = DIMENSIONS[kind]
    for name, value in scores.items():
        if name not in allowed:
            raise ValidationFailed(
                _("此类评价没有“%(name)s”这一项。") % {"name": name},
                code="rating_dimension_invalid",
                field=name,
            )
        if value is not None:
            fields[name] = _check_level(value, name)
    text = (text or "").strip()
    if len(text) > TEXT_MAX or "\x00" in text:
        raise ValidationFailed(
            _("评价内容不能超过 %(n)d 字。") % {"n": TEXT_MAX},
            code="rating_text_long",
            field="text",
        )
    clean_tags = [str(tag).strip() for tag in tags if str(tag).strip()]
    if len(clean_tags) > TAGS_MAX or any(
        len(tag) > TAG_MAX_LENGTH or "\x00" in tag for tag in clean_tags
    ):
        raise ValidationFailed(
            _("标签最多 %(n)d 个，每个不超过 %(m)d 字。") % {"n": TAGS_MAX, "m": TAG_MAX_LENGTH},
            code="rating_tags_invalid",
            field="tags",
        )
    fields["text"] = text
    fields["tags"] = list(dict.fromkeys(clean_tags))
    return fields


def _district_of(unit_id: int | None) -> int | None:
    """The district (区县) a unit sits in, from its path; None at the city level."""
    if unit_id is None:
        return None
    return _district_in(
        OrgUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first() or ""
    )


def _district_in(path: str) -> int | None:
    """The district (区县) on an organisation path (``/1/4/17/``), if any: one query."""
    ids = [int(part) for part in path.strip("/").split("/") if part]
    return (
        OrgUnit.objects.filter(pk__in=ids, kind=OrgUnit.Kind.DISTRICT)
        .values_list("pk", flat=True)
        .first()
    )


def _subjects_of_case(case: Case) -> dict[str, Any]:
    window = case.window
    hall_id = window.parent_id if window is not None else None
    return {
        "department_id": case.lead_department_id,
        "office_id": case.lead_office_id,
        "window_id": case.window_id,
        "hall_id": hall_id,
        "district_id": _district_in(window.path)
        if window is not None
        else _district_of(case.lead_department_id),
        "item_id": case.item_version.item_id,
        "staff_id": case.first_responder_id,
    }


def _rater_of_case(case: Case) -> dict[str, Any]:
    applicant = case.person or case.entity
    user_id = getattr(applicant, "user_id", None) or case.submitted_by_id
    return {
        "rater_user_id": user_id,
        "rater_phone": _applicant_phone(case),
        "rater_kind": RaterKind.ENTITY if case.entity_id else RaterKind.PERSON,
    }


def _replace_current(case: Case, now: dt.datetime) -> int:
    """The number of the rating about to be given to ``case``: 1, or 2 when it replaces the
    first within the configured days (the first is kept, superseded)."""
    current = (
        Rating.objects.select_for_update()
        .filter(case=case, kind=RatingKind.PER_CASE, superseded=False)
        .first()
    )
    if current is None:
        return 1
    if current.number >= 2:
        raise Conflict(_("该办件已追评，不能再次评价。"), code="rating_already_replaced")
    if now - current.rated_at > dt.timedelta(days=config.second_rating_days()):
        raise Conflict(
            _("该办件已评价，追评期限（%(days)d 天）已过。")
            % {"days": config.second_rating_days()},
            code="rating_already_given",
        )
    current.superseded = True
    current.save(update_fields=["superseded"])
    if not current.appeal_upheld:
        tally.rating_counted(current, -1)
    return 2


def _create_rating(
    *,
    kind: str,
    channel: str,
    case: Case | None,
    invite: RatingInvite | None,
    fields: dict[str, Any],
    subjects: dict[str, Any],
    rater: dict[str, Any],
    now: dt.datetime,
) -> Rating:
    number = 1
    if kind == RatingKind.PER_CASE:
        assert case is not None
        # One rating a case at a time: the case row is the lock (a finished case changes no more).
        Case.objects.select_for_update(of=("self",)).filter(pk=case.pk).values_list("pk").get()
        number = _replace_current(case, now)
    rating = rows.insert(
        Rating(
            kind=kind,
            channel=channel,
            case=case,
            invite=invite,
            number=number,
            rated_at=now,
            rated_on=timezone.localdate(now),
            **fields,
            **subjects,
            **rater,
        )
    )
    audit_record(
        action="rating.create",
        obj=rating,
        after={
            "kind": kind,
            "channel": channel,
            "level": rating.level,
            "number": number,
            "case": case.pk if case else None,
            "window": rating.window_id,
        },
    )
    if rating.level > BAD_AT_MOST:
        # Known to have none: reading ``rating.follow_up`` then asks nothing of the database.
        Rating.follow_up.related.set_cached_value(rating, None)
    else:
        _followup_open(
            rating=rating,
            unit_id=rating.office_id or rating.department_id or rating.window_id,
            department_id=rating.department_id,
            source=_("差评"),
        )
    # Written with the batch's end, just before the audit chain's append: the counts' rows stay
    # locked only to the commit.
    tally.rating_counted(rating)
    return rating


def rating_submit_for_case(
    *,
    user: User,
    case: Case,
    level: int,
    scores: Mapping[str, Any] | None = None,
    text: str = "",
    tags: Sequence[str] = (),
    channel: str = RatingChannel.PORTAL,
) -> Rating:
    """The applicant rates their finished case from the portal or the mobile site (一事一评).

    The caller fetched ``case`` as the applicant's own (``case_get_for_applicant``). A second
    rating within ``FEEDBACK_SECOND_RATING_DAYS`` replaces the first (counted as the second).
    """
    if user.kind != User.Kind.CITIZEN:
        raise PermissionDenied(_("仅申请人本人可以评价办件。"), code="rating_applicant_only")
    if channel not in APPLICANT_CHANNELS:
        raise ValidationFailed(
            _("评价渠道应为网上办事大厅或移动端。"), code="rating_channel_invalid", field="channel"
        )
    if case.state != Case.State.FINISHED:
        raise Conflict(_("办件办结后才能评价。"), code="case_not_finished")
    fields = _clean(RatingKind.PER_CASE, level, scores or {}, text, tags)
    now = clock.now()
    with audited_atomic(), tally.batch():
        rater = _rater_of_case(case)
        rater["rater_user_id"] = user.pk
        return _create_rating(
            kind=RatingKind.PER_CASE,
            channel=channel,
            case=case,
            invite=None,
            fields=fields,
            subjects=_subjects_of_case(case),
            rater=rater,
            now=now,
        )


def rating_submit_by_token(
    *,
    token: str,
    level: int,
    scores: Mapping[str, Any] | None = None,
    text: str = "",
    tags: Sequence[str] = (),
    user: User | None = None,
) -> Rating:
    """A rating through an invitation: the SMS link (no sign-in) or the window's pad or kiosk
    (the session of the clerk who opened it). The token is used once."""
    now = clock.now()
    with audited_atomic(), tally.batch():
        invite, hall_id, district_id = _invite_use(token, now)
        if invite.channel in PAD_CHANNELS and (user is None or user.pk != invite.staff_id):
            raise PermissionDenied(
                _("评价器只能由开启它的窗口人员的会话使用。"), code="rating_pad_not_yours"
            )
        fields = _clean(invite.kind, level, scores or {}, text, tags)
        case = invite.case
        if invite.kind == RatingKind.PER_CASE:
            assert case is not None
            subjects = _subjects_of_case(case)
            rater = _rater_of_case(case)
        else:
            staff = user if user is not None and user.pk == invite.staff_id else None
            if staff is None and invite.staff_id is not None:
                staff = User.objects.filter(pk=invite.staff_id).first()
            subjects = {
                "department_id": staff.department_id if staff else None,
                "office_id": staff.office_id if staff else None,
                "window_id": invite.window_id,
                "hall_id": hall_id,
                "district_id": district_id,
                "item_id": case.item_version.item_id if case else None,
                "staff_id": invite.staff_id,
            }
            rater = _rater_of_case(case) if case else {}
        return _create_rating(
            kind=invite.kind,
            channel=invite.channel,
            case=case if invite.kind == RatingKind.PER_CASE else None,
            invite=invite,
            fields=fields,
            subjects=subjects,
            rater=rater,
            now=now,
        )


# --- Follow-up (回访 and 整改) ---------------------------------------------------------------------


def followup_deadlines(today: dt.date) -> dict[str, dt.date]:
    """The contact and rectification deadlines of a follow-up opened on ``today``, with their
    warning days (the same rule as the cases' yellow cards)."""
    contact, rectify = config.contact_days(), config.rectify_days()
    return {
        "contact_due_on": workdays.add_working_days(today, contact),
        "contact_warn_on": warn_date(today, contact) or today,
        "rectify_due_on": workdays.add_working_days(today, rectify),
        "rectify_warn_on": warn_date(today, rectify) or today,
    }


def _department_of(unit_id: int) -> int | None:
    path = OrgUnit.objects.filter(pk=unit_id).values_list("path", flat=True).first() or ""
    ids = [int(part) for part in path.strip("/").split("/") if part]
    return (
        OrgUnit.objects.filter(pk__in=ids, kind=OrgUnit.Kind.DEPARTMENT)
        .values_list("pk", flat=True)
        .first()
    )


def _unit_people(unit_id: int, department_id: int | None, subject_id: int | None) -> list[User]:
    """Who is told of a new follow-up: the unit's heads (office head, else department head),
    never the person it is about, as a yellow card on it would be
    (quanban.supervision.escalation)."""
    return users_of(
        Responsibles.load().for_follow_up(
            level=CardLevel.YELLOW,
            unit_id=unit_id,
            department_id=department_id,
            subject_id=subject_id,
        )
    )


def _followup_open(
    *,
    rating: Rating | None = None,
    complaint: Complaint | None = None,
    unit_id: int | None,
    department_id: int | None,
    source: str,
) -> FollowUp:
    if unit_id is None:
        raise Conflict(_("找不到责任单位，无法登记回访整改。"), code="followup_no_unit")
    now = clock.now()
    today = timezone.localdate(now)
    followup = FollowUp.objects.create(
        rating=rating,
        complaint=complaint,
        unit_id=unit_id,
        department_id=department_id or _department_of(unit_id),
        opened_at=now,
        opened_on=today,
        **followup_deadlines(today),
    )
    tally.followup_moved(followup, None)
    notify_users(
        users=_unit_people(
            unit_id,
            followup.department_id,
            rating.staff_id if rating else complaint.person_id if complaint else None,
        ),
        event="followup_opened",
        context={
            "source": source,
            "contact_due": followup.contact_due_on.isoformat(),
            "rectify_due": followup.rectify_due_on.isoformat(),
        },
        link=f"/workbench/feedback/followups/{followup.pk}/",
    )
    audit_record(
        action="followup.open",
        obj=followup,
        after={
            "rating": rating.pk if rating else None,
            "complaint": complaint.pk if complaint else None,
            "unit": unit_id,
            "contact_due_on": followup.contact_due_on,
            "rectify_due_on": followup.rectify_due_on,
        },
    )
    return followup


def _head_scopes(user: User) -> list[str]:
    return list(
        RoleAssignment.objects.filter(
            user=user, role__in=[Role.OFFICE_HEAD, Role.DEPARTMENT_HEAD]
        ).values_list("org_unit__path", flat=True)
    )


def followup_scope(user: User) -> Q:
    """The follow-ups a staff member handles: their own office's (or department's, when the
    unit is a department), and everything under a unit they head."""
    scope = Q(pk__in=[])
    if user.office_id is not None:
        scope |= Q(unit_id=user.office_id)
    if user.department_id is not None:
        scope |= Q(unit_id=user.department_id)
    for path in _head_scopes(user):
        scope |= Q(unit__path__startswith=path)
    return scope


def _subject_person(followup: FollowUp) -> int | None:
    if followup.rating is not None:
        return followup.rating.staff_id
    if followup.complaint is not None and followup.complaint.target == Complaint.Target.PERSON:
        return followup.complaint.person_id
    return None


def _lock_for_handling(
    user: User, followup: FollowUp, expected_version: int | None, states: Sequence[str]
) -> FollowUp:
    require_perm(user, Perm.BUSINESS_WRITE)
    locked = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("rating", "complaint")
        .filter(followup_scope(user), pk=followup.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("找不到该回访整改。"), code="followup_not_found")
    if _subject_person(locked) == user.pk:
        raise PermissionDenied(
            _("被评价或被投诉的工作人员不能办理本人的回访整改。"), code="followup_own"
        )
    if expected_version is not None and locked.version != expected_version:
        raise StaleEdit(
            _("该回访整改已被他人修改，请刷新后重试。"),
            extra={"current_version": locked.version},
        )
    if locked.state not in states:
        raise Conflict(
            _("该回访整改当前状态为“%(state)s”，不能执行此操作。")
            % {"state": locked.get_state_display()},
            code="followup_state",
            extra={"state": locked.state},
        )
    return locked


def _reach(followup: FollowUp) -> tuple[User | None, str]:
    """Whom the follow-up answers: the rater's or the complainant's account, else a phone."""
    if followup.rating is not None:
        rater = followup.rating.rater_user
        return rater, followup.rating.rater_phone
    if followup.complaint is not None:
        return followup.complaint.complainant, ""
    return None, ""


def _tell(followup: FollowUp, event: str, text: str) -> None:
    account, phone = _reach(followup)
    link = "/my/feedback/"
    if account is not None:
        notify_user(user=account, event=event, context={"text": text}, link=link, phone=phone)
    elif phone:
        notify_phone(phone=phone, event="followup_reply", context={"text": text})


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > 2000 or "\x00" in value:
        raise ValidationFailed(
            _("请填写说明（不超过 2000 字）。"), code="followup_text_invalid", field=field
        )
    return value


def followup_contact(
    *, user: User, followup: FollowUp, note: str, expected_version: int | None = None
) -> FollowUp:
    """回访: the unit has contacted the rater (the note goes to them, through the platform)."""
    note = _text(note, "note")
    with audited_atomic():
        locked = _lock_for_handling(user, followup, expected_version, [FollowUp.State.OPEN])
        now = clock.now()
        locked.state = FollowUp.State.CONTACTED
        locked.contact_note = note
        locked.contacted_at = now
        locked.contacted_by = user
        locked.version += 1
        locked.save()
        tally.followup_moved(locked, FollowUp.State.OPEN)
        _tell(locked, "followup_reply", note)
        audit_record(
            action="followup.contact",
            obj=locked,
            before={"state": FollowUp.State.OPEN},
            after={"state": locked.state, "contact_note": note},
        )
    return locked


def followup_rectify(
    *, user: User, followup: FollowUp, rectification: str, expected_version: int | None = None
) -> FollowUp:
    """整改: what was done. A rater or complainant with an account is asked for their verdict;
    anyone else cannot be asked, and the follow-up closes (verdict "unreachable")."""
    rectification = _text(rectification, "rectification")
    with audited_atomic():
        locked = _lock_for_handling(
            user, followup, expected_version, [FollowUp.State.OPEN, FollowUp.State.CONTACTED]
        )
        before = locked.state
        now = clock.now()
        locked.rectification = rectification
        locked.rectified_at = now
        locked.rectified_by = user
        account, _phone = _reach(locked)
        if account is not None:
            locked.state = FollowUp.State.RECTIFIED
        else:
            locked.state = FollowUp.State.CLOSED
            locked.verdict = FollowUp.Verdict.NOT_REACHABLE
            locked.closed_at = now
        locked.version += 1
        locked.save()
        tally.followup_moved(locked, before)
        _tell(locked, "followup_rectified" if account else "followup_reply", rectification)
        audit_record(
            action="followup.rectify",
            obj=locked,
            before={"state": before},
            after={"state": locked.state, "rectification": rectification},
        )
    return locked


VERDICTS = (
    FollowUp.Verdict.SATISFIED,
    FollowUp.Verdict.BASICALLY_SATISFIED,
    FollowUp.Verdict.DISSATISFIED,
)


def followup_verdict(*, user: User, followup_id: int, verdict: str) -> FollowUp:
    """The rater or real-name complainant's verdict on the rectification; closes the follow-up."""
    if verdict not in VERDICTS:
        raise ValidationFailed(
            _("请选择满意、基本满意或不满意。"), code="verdict_invalid", field="verdict"
        )
    with audited_atomic():
        locked = (
            FollowUp.objects.select_for_update(of=("self",))
            .filter(Q(rating__rater_user=user) | Q(complaint__complainant=user), pk=followup_id)
            .first()
        )
        if locked is None:
            raise NotFound(_("找不到该回访整改。"), code="followup_not_found")
        if locked.state != FollowUp.State.RECTIFIED:
            raise Conflict(
                _("整改完成后才能确认。"), code="followup_state", extra={"state": locked.state}
            )
        now = clock.now()
        locked.state = FollowUp.State.CLOSED
        locked.verdict = verdict
        locked.verdict_at = now
        locked.closed_at = now
        locked.version += 1
        locked.save()
        tally.followup_moved(locked, FollowUp.State.RECTIFIED)
        audit_record(
            action="followup.verdict",
            obj=locked,
            before={"state": FollowUp.State.RECTIFIED},
            after={"state": locked.state, "verdict": verdict},
        )
    return locked


# --- Complaints (找茬) ----------------------------------------------------------------------------


def _complaint_target(
    target: str, target_id: int, user: User | None
) -> tuple[dict[str, Any], int | None, int | None]:
    """The target's field, the responsible unit and the department."""
    if target == Complaint.Target.ITEM:
        item = ServiceItem.objects.filter(pk=target_id).first()
        if item is None:
            raise NotFound(_("找不到该事项。"), code="item_not_found", field="target_id")
        dept = item.implementing_department_id
        return {"item": item}, dept, dept
    if target == Complaint.Target.CASE:
        from quanban.cases.selectors import case_get_for_applicant

        if user is None:
            raise PermissionDenied(
                _("对办件的投诉请登录后以实名提出。"), code="complaint_case_needs_account"
            )
        case = case_get_for_applicant(user=user, case_id=target_id)
        unit = case.lead_office_id or case.lead_department_id or case.window_id
        return {"case": case}, unit, case.lead_department_id
    if target == Complaint.Target.HALL:
        hall = OrgUnit.objects.filter(pk=target_id, kind=OrgUnit.Kind.HALL, is_active=True).first()
        if hall is None:
            raise NotFound(_("找不到该服务大厅。"), code="hall_not_found", field="target_id")
        return {"hall": hall}, hall.pk, None
    if target == Complaint.Target.PERSON:
        person = User.objects.filter(pk=target_id, kind=User.Kind.STAFF, is_active=True).first()
        if person is None:
            raise NotFound(_("找不到该工作人员。"), code="staff_not_found", field="target_id")
        unit = person.office_id or person.department_id
        return {"person": person}, unit, person.department_id
    raise ValidationFailed(_("投诉对象类型无效。"), code="complaint_target_invalid", field="target")


def complaint_submit(
    *,
    user: User | None,
    target: str,
    target_id: int,
    category: str,
    text: str,
    anonymous: bool = False,
    evidence: UploadedFile | None = None,
) -> Complaint:
    """找茬: a complaint about an item, a case, a hall or a named staff member. Real-name
    complaints need a citizen account (its owner follows it in the portal); an anonymous one
    keeps nobody. It is followed up like a bad rating."""
    if category not in Complaint.Category.values:
        raise ValidationFailed(
            _("问题类别无效。"), code="complaint_category_invalid", field="category"
        )
    text = (text or "").strip()
    if not text or len(text) > 2000 or "\x00" in text:
        raise ValidationFailed(
            _("请描述问题（不超过 2000 字）。"), code="complaint_text_invalid", field="text"
        )
    citizen = user if user is not None and user.kind == User.Kind.CITIZEN else None
    if user is not None and citizen is None:
        raise PermissionDenied(_("投诉由群众或企业提出。"), code="complaint_citizen_only")
    if not anonymous and citizen is None:
        raise PermissionDenied(
            _("实名投诉请先登录；也可以匿名投诉。"), code="complaint_real_name_needs_account"
        )
    if evidence is not None and evidence.size and evidence.size > EVIDENCE_MAX_BYTES:
        raise ValidationFailed(
            _("佐证材料不能超过 10 MB。"), code="complaint_evidence_large", field="evidence"
        )
    named, unit_id, department_id = _complaint_target(target, target_id, citizen)
    now = clock.now()
    with audited_atomic(), tally.batch():
        complaint = Complaint(
            target=target,
            category=category,
            text=text,
            anonymous=anonymous,
            complainant=None if anonymous else citizen,
            department_id=department_id or (_department_of(unit_id) if unit_id else None),
            created_at=now,
            created_on=timezone.localdate(now),
            **named,
        )
        if evidence is not None:
            complaint.evidence = evidence
        complaint.save()
        tally.complaint_filed(complaint)
        audit_record(
            action="complaint.create",
            obj=complaint,
            after={
                "target": target,
                "target_id": target_id,
                "category": category,
                "anonymous": anonymous,
            },
        )
        _followup_open(
            complaint=complaint,
            unit_id=unit_id,
            department_id=complaint.department_id,
            source=_("找茬投诉"),
        )
    return complaint


# --- Appeals (申诉复核) ----------------------------------------------------------------------------


def rating_scope(user: User) -> Q:
    """The ratings a staff member's unit may appeal: those about them, their office, their
    department, or any unit (office, department, window) they head."""
    scope = Q(staff_id=user.pk)
    if user.office_id is not None:
        scope |= Q(office_id=user.office_id)
    if user.department_id is not None:
        scope |= Q(department_id=user.department_id)
    for path in _head_scopes(user):
        scope |= (
            Q(office__path__startswith=path)
            | Q(department__path__startswith=path)
            | Q(window__path__startswith=path)
        )
    return scope


def appeal_file(
    *,
    user: User,
    rating_id: int,
    reason: str,
    statement: str,
    evidence: UploadedFile | None = None,
) -> RatingAppeal:
    """申诉: staff of the rated unit contest a bad rating as mistaken or malicious, with a
    statement and optional evidence; a supervisor decides (``appeal_decide``). One a rating."""
    require_perm(user, Perm.BUSINESS_WRITE)
    if reason not in RatingAppeal.Reason.values:
        raise ValidationFailed(
            _("请选择申诉理由：误评或恶意评价。"), code="appeal_reason_invalid", field="reason"
        )
    statement = _text(statement, "statement")
    if evidence is not None and evidence.size and evidence.size > EVIDENCE_MAX_BYTES:
        raise ValidationFailed(
            _("佐证材料不能超过 10 MB。"), code="appeal_evidence_large", field="evidence"
        )
    with audited_atomic():
        rating = (
            Rating.objects.select_for_update(of=("self",))
            .filter(rating_scope(user), pk=rating_id)
            .first()
        )
        if rating is None:
            raise NotFound(_("找不到该评价，或不属于本单位。"), code="rating_not_found")
        if not rating.is_bad:
            raise Conflict(_("只有差评可以申诉。"), code="appeal_not_bad")
        if RatingAppeal.objects.filter(rating=rating).exists():
            raise Conflict(_("该评价已经申诉过，不能重复申诉。"), code="appeal_exists")
        appeal = RatingAppeal(
            rating=rating,
            reason=reason,
            statement=statement,
            filed_by=user,
            filed_at=clock.now(),
            department_id=rating.department_id,
        )
        if evidence is not None:
            appeal.evidence = evidence
        appeal.save()
        audit_record(
            action="rating_appeal.file",
            obj=appeal,
            after={
                "rating": rating.pk,
                "reason": reason,
                "statement": statement,
                "evidence": bool(appeal.evidence),
            },
        )
    return appeal


APPEAL_DECISIONS = (RatingAppeal.State.UPHELD, RatingAppeal.State.REJECTED)


def appeal_decide(*, user: User, appeal_id: int, decision: str, note: str) -> RatingAppeal:
    """复核: a supervisor upholds an appeal (the rating leaves every score and stays in the
    record) or rejects it, with a note the filer is told of. Once."""
    from quanban.supervision.selectors import is_supervisor

    if not is_supervisor(user):
        raise PermissionDenied(_("评价申诉由督查人员复核。"), code="appeal_supervisor_only")
    if decision not in APPEAL_DECISIONS:
        raise ValidationFailed(
            _("请选择申诉成立或申诉不成立。"), code="appeal_decision_invalid", field="decision"
        )
    note = _text(note, "note")
    with audited_atomic():
        appeal = RatingAppeal.objects.select_for_update(of=("self",)).filter(pk=appeal_id).first()
        if appeal is None:
            raise NotFound(_("找不到该申诉。"), code="appeal_not_found")
        if appeal.state != RatingAppeal.State.PENDING:
            raise Conflict(
                _("该申诉已复核。"), code="appeal_decided", extra={"state": appeal.state}
            )
        now = clock.now()
        appeal.state = decision
        appeal.decided_by = user
        appeal.decided_at = now
        appeal.decision_note = note
        appeal.save()
        if decision == RatingAppeal.State.UPHELD:
            rating = Rating.objects.select_for_update().get(pk=appeal.rating_id)
            if not rating.appeal_upheld:
                rating.appeal_upheld = True
                rating.save(update_fields=["appeal_upheld"])
                if not rating.superseded:
                    tally.rating_counted(rating, -1)
        notify_user(
            user=appeal.filed_by,
            event="appeal_decided",
            context={
                "rating": appeal.rating_id,
                "decision": RatingAppeal.State(decision).label,
                "note": note,
            },
            link=f"/workbench/feedback/appeals/{appeal.pk}/",
        )
        audit_record(
            action="rating_appeal.decide",
            obj=appeal,
            before={"state": RatingAppeal.State.PENDING},
            after={"state": decision, "note": note, "rating": appeal.rating_id},
        )
    return appeal


def may_see_followups(user: User) -> bool:
    return user_has_perm(user, Perm.WORKBENCH)


def complaint_verify(*, user: User, complaint_id: int, upheld: bool) -> Complaint:
    """核实: a supervisor (督查人员) records whether a complaint was upheld (属实) — what the
    rankings' upheld share counts (docs/rankings.md). A later finding replaces the earlier one;
    each is audited with the finding before and after."""
    from quanban.supervision.selectors import is_supervisor

    if not is_supervisor(user):
        raise PermissionDenied(_("只有督查人员可以核实投诉。"), code="supervisor_required")
    if not isinstance(upheld, bool):
        raise ValidationFailed(
            _("请选择核实结论：属实或不属实。"), code="complaint_upheld_required", field="upheld"
        )
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().filter(pk=complaint_id).first()
        if complaint is None:
            raise NotFound(_("找不到该投诉。"), code="complaint_not_found")
        before = complaint.upheld
        complaint.upheld = upheld
        complaint.verified_at = clock.now()
        complaint.verified_by = user
        complaint.save(update_fields=["upheld", "verified_at", "verified_by"])
        audit_record(
            action="complaint.verify",
            obj=complaint,
            before={"upheld": before},
            after={"upheld": upheld},
        )
    return complaint
