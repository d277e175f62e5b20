"""Reads of the feedback app: what staff see (never the rater), the public results, the
applicant's own ratings and complaints, and the figures for the monthly evaluation.

Counts are ``GROUP BY`` over indexed columns; no rating is loaded into Python to be counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from quanban.accounts.models import OrgUnit, User
from quanban.core.errors import NotFound, PermissionDenied
from quanban.feedback import codes, tally
from quanban.feedback.models import (
    BAD_AT_MOST,
    COUNTED,
    Complaint,
    FollowUp,
    Level,
    Rating,
    RatingAppeal,
)
from quanban.feedback.services import followup_scope, rating_scope
from quanban.supervision.selectors import is_supervisor

# What staff may read of a rating: never ``rater_user``, ``rater_phone`` or ``invite``.
STAFF_RATING_FIELDS = (
    "id",
    "kind",
    "channel",
    "level",
    "efficiency",
    "guide_accuracy",
    "convenience",
    "usability",
    "skill",
    "attitude",
    "text",
    "tags",
    "number",
    "rated_at",
    "case_id",
    "department_id",
    "office_id",
    "window_id",
    "staff_id",
)
# What staff may read of a complaint: never ``complainant``.
STAFF_COMPLAINT_FIELDS = (
    "id",
    "target",
    "category",
    "text",
    "anonymous",
    "created_at",
    "item_id",
    "case_id",
    "hall_id",
    "person_id",
    "department_id",
    "upheld",
)


def _dicts(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]


# --- Staff: follow-ups ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FollowUpView:
    """A follow-up as staff see it: the rating or complaint without who gave it."""

    followup: FollowUp
    source: str  # "rating" or "complaint"
    rating: dict[str, Any] | None
    complaint: dict[str, Any] | None
    unit_name: str
    may_handle: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _followups_for(user: User) -> QuerySet[FollowUp]:
    if getattr(user, "kind", "") != User.Kind.STAFF:
        raise PermissionDenied(_("回访整改仅供工作人员查看。"), code="forbidden")
    followups = FollowUp.objects.order_by("state", "rectify_due_on", "pk")
    if is_supervisor(user):
        return followups
    return followups.filter(followup_scope(user))


def followup_list_for_user(*, user: User, state: str = "", limit: int = 200) -> list[FollowUpView]:
    """Newest deadline first: a supervisor's are all; anyone else's, their units' (the office
    they work in, the units they head)."""
    followups = _followups_for(user)
    if state:
        followups = followups.filter(state=state)
    rows = list(followups.select_related("unit")[:limit])
    return _views(user, rows)


def followup_get_for_user(*, user: User, followup_id: int) -> FollowUpView:
    row = _followups_for(user).select_related("unit").filter(pk=followup_id).first()
    if row is None:
        raise NotFound(_("找不到该回访整改。"), code="followup_not_found")
    return _views(user, [row])[0]


def _views(user: User, rows: list[FollowUp]) -> list[FollowUpView]:
    ratings = {
        r["id"]: r
        for r in Rating.objects.filter(pk__in=[f.rating_id for f in rows if f.rating_id]).values(
            *STAFF_RATING_FIELDS
        )
    }
    complaints = {
        c["id"]: c
        for c in Complaint.objects.filter(
            pk__in=[f.complaint_id for f in rows if f.complaint_id]
        ).values(*STAFF_COMPLAINT_FIELDS)
    }
    mine = set(
        _followups_handled_by(user).filter(pk__in=[f.pk for f in rows]).values_list("pk", flat=True)
    )
    views = []
    for f in rows:
        rating = ratings.get(f.rating_id) if f.rating_id else None
        complaint = complaints.get(f.complaint_id) if f.complaint_id else None
        subject = (rating or {}).get("staff_id") or (complaint or {}).get("person_id")
        if rating is not None:
            extra = {"problem": Level(rating["level"]).label, "text": rating["text"], "target": ""}
        else:
            assert complaint is not None
            extra = {
                "problem": Complaint.Category(complaint["category"]).label,
                "text": complaint["text"],
                "target": Complaint.Target(complaint["target"]).label,
            }
        views.append(
            FollowUpView(
                followup=f,
                source="rating" if rating is not None else "complaint",
                rating=rating,
                complaint=complaint,
                unit_name=f.unit.name,
                may_handle=f.pk in mine and subject != user.pk,
                extra=extra,
            )
        )
    return views


def _followups_handled_by(user: User) -> QuerySet[FollowUp]:
    from quanban.accounts.roles import Perm
    from quanban.accounts.selectors import user_has_perm

    if not user_has_perm(user, Perm.BUSINESS_WRITE):
        return FollowUp.objects.none()
    return FollowUp.objects.filter(followup_scope(user))


# --- Staff: appeals (申诉复核) ------------------------------------------------------------------------


@dataclass(frozen=True)
class AppealView:
    """An appeal as staff see it, with its rating (never the rater)."""

    appeal: RatingAppeal
    rating: dict[str, Any]
    may_decide: bool


def _appeals_for(user: User) -> QuerySet[RatingAppeal]:
    if getattr(user, "kind", "") != User.Kind.STAFF:
        raise PermissionDenied(_("评价申诉仅供工作人员查看。"), code="forbidden")
    appeals = RatingAppeal.objects.select_related("filed_by", "decided_by")
    if is_supervisor(user):
        return appeals
    return appeals.filter(rating__in=Rating.objects.filter(rating_scope(user)))


def _appeal_views(user: User, rows: list[RatingAppeal]) -> list[AppealView]:
    ratings = {
        r["id"]: r
        for r in Rating.objects.filter(pk__in=[a.rating_id for a in rows]).values(
            *STAFF_RATING_FIELDS, "appeal_upheld"
        )
    }
    supervisor = is_supervisor(user)
    return [
        AppealView(
            appeal=a,
            rating=ratings[a.rating_id],
            may_decide=supervisor and a.state == RatingAppeal.State.PENDING,
        )
        for a in rows
    ]


def appeal_list_for_user(*, user: User, state: str = "", limit: int = 200) -> list[AppealView]:
    """The supervisor's queue (every appeal, the pending ones first, oldest first) or a unit's
    own appeals (the ratings they may appeal)."""
    appeals = _appeals_for(user)
    if state:
        appeals = appeals.filter(state=state)
    rows = list(appeals.order_by(F("decided_at").asc(nulls_first=True), "filed_at", "pk")[:limit])
    return _appeal_views(user, rows)


def appeal_get_for_user(*, user: User, appeal_id: int) -> AppealView:
    row = _appeals_for(user).filter(pk=appeal_id).first()
    if row is None:
        raise NotFound(_("找不到该申诉。"), code="appeal_not_found")
    return _appeal_views(user, [row])[0]


def rating_for_appeal(*, user: User, rating_id: int) -> dict[str, Any]:
    """A rating the user's unit may appeal (bad, not yet appealed), as staff see it."""
    from quanban.accounts.roles import Perm
    from quanban.accounts.selectors import user_has_perm

    row = None
    if getattr(user, "kind", "") == User.Kind.STAFF and user_has_perm(user, Perm.BUSINESS_WRITE):
        row = (
            Rating.objects.filter(
                rating_scope(user), pk=rating_id, level__lte=BAD_AT_MOST, appeal__isnull=True
            )
            .values(*STAFF_RATING_FIELDS)
            .first()
        )
    if row is None:
        raise NotFound(_("找不到可申诉的该评价。"), code="rating_not_found")
    return dict(row)


# --- The applicant: their own ratings and complaints ------------------------------------------


def my_feedback(*, user: User) -> dict[str, list[dict[str, Any]]]:
    """A citizen's own ratings (newest 50) and real-name complaints (newest 50), each with the
    follow-up's state, reply, rectification and verdict."""
    ratings: list[dict[str, Any]] = _dicts(
        Rating.objects.filter(rater_user=user)
        .order_by("-rated_at", "-pk")
        .values(
            "id",
            "kind",
            "level",
            "text",
            "number",
            "superseded",
            "rated_at",
            "case_id",
            "case__number",
            followup_id=F("follow_up__id"),
            followup_state=F("follow_up__state"),
            contact_note=F("follow_up__contact_note"),
            rectification=F("follow_up__rectification"),
            verdict=F("follow_up__verdict"),
        )[:50]
    )
    complaints: list[dict[str, Any]] = _dicts(
        Complaint.objects.filter(complainant=user)
        .order_by("-created_at", "-pk")
        .values(
            "id",
            "target",
            "category",
            "text",
            "created_at",
            followup_id=F("follow_up__id"),
            followup_state=F("follow_up__state"),
            contact_note=F("follow_up__contact_note"),
            rectification=F("follow_up__rectification"),
            verdict=F("follow_up__verdict"),
        )[:50]
    )
    return {"ratings": ratings, "complaints": complaints}


def case_rating_of(*, case_id: int) -> dict[str, Any] | None:
    """The current rating of a case (level, number, when), for the applicant's own page."""
    row = (
        Rating.objects.filter(case_id=case_id, kind="case", superseded=False)
        .values("id", "level", "number", "rated_at")
        .first()
    )
    return dict(row) if row is not None else None


# --- The public results ---------------------------------------------------------------------------

SCOPES = ("department", "hall", "item", "district")
_SCOPE_KINDS = {
    "department": OrgUnit.Kind.DEPARTMENT,
    "hall": OrgUnit.Kind.HALL,
    "district": OrgUnit.Kind.DISTRICT,
}


@dataclass(frozen=True)
class PublicResults:
    scope: str
    subject_id: int
    name: str
    counts: dict[int, int]  # level → current ratings
    total: int
    good: int  # 非常满意, 满意, 基本满意
    bad: int
    satisfaction_rate: Decimal | None  # good ÷ total, four places
    followups: dict[str, int]  # state → follow-ups of bad ratings and complaints
    rectification_rate: Decimal | None  # closed ÷ all follow-ups
    complaints: int
    record: list[dict[str, Any]]  # the newest closed follow-ups


def _rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def public_subject(*, scope: str, subject_id: int) -> str:
    """The name of a public results page's subject; NotFound for anything else."""
    if scope == "item":
        from quanban.catalogue.models import ItemVersion

        name = (
            ItemVersion.objects.filter(item_id=subject_id, state="published")
            .order_by("-number")
            .values_list("name", flat=True)
            .first()
        )
    elif scope in _SCOPE_KINDS:
        name = (
            OrgUnit.objects.filter(pk=subject_id, kind=_SCOPE_KINDS[scope], is_active=True)
            .values_list("name", flat=True)
            .first()
        )
    else:
        name = None
    if name is None:
        raise NotFound(_("找不到该评价公示对象。"), code="results_subject_not_found")
    return name


def public_results(*, scope: str, subject_id: int, record_limit: int = 20) -> PublicResults:
    """好差评 results of a department, hall, item or district, as published: current ratings by
    level, the satisfaction rate, follow-ups by state and complaints from the running counts
    (``quanban.feedback.tally``, one query), and the record: the newest closed follow-ups."""
    name = public_subject(scope=scope, subject_id=subject_id)
    # The counts are kept current by every change (quanban.feedback.tally): one indexed query.
    kept = tally.figures(scope, subject_id)
    counts = {level: kept.get(tally.level_measure(level), 0) for level in Level.values}
    total = sum(counts.values())
    bad = sum(n for level, n in counts.items() if level <= BAD_AT_MOST)
    complaints = kept.get(tally.COMPLAINTS, 0)  # none for a district (tally.COMPLAINT_SCOPES)
    followups = {
        state: kept.get(tally.followup_measure(state), 0) for state in FollowUp.State.values
    }
    all_followups = sum(followups.values())
    if scope == "department":
        followups_q = Q(department_id=subject_id)
    elif scope == "hall":
        followups_q = Q(rating__hall_id=subject_id) | Q(complaint__hall_id=subject_id)
    elif scope == "item":
        followups_q = Q(rating__item_id=subject_id) | Q(complaint__item_id=subject_id)
    else:
        followups_q = Q(rating__district_id=subject_id)
    record: list[dict[str, Any]] = _dicts(
        FollowUp.objects.filter(followups_q, state=FollowUp.State.CLOSED)
        .order_by("-closed_at", "-pk")
        .values(
            "id",
            "opened_on",
            "closed_at",
            "rectification",
            "verdict",
            level=F("rating__level"),
            category=F("complaint__category"),
            target=F("complaint__target"),
            unit_name=F("unit__name"),
        )[:record_limit]
    )
    return PublicResults(
        scope=scope,
        subject_id=subject_id,
        name=name,
        counts=counts,
        total=total,
        good=total - bad,
        bad=bad,
        satisfaction_rate=_rate(total - bad, total),
        followups=followups,
        rectification_rate=_rate(followups[FollowUp.State.CLOSED], all_followups),
        complaints=complaints,
        record=record,
    )


def public_units(kind: str = OrgUnit.Kind.DEPARTMENT) -> list[dict[str, Any]]:
    """Every active department (or hall, or district) with its current ratings, bad ratings and
    satisfaction rate: one grouped query over the scope's running counts
    (``quanban.feedback.tally``), one for the units."""
    scope = {
        OrgUnit.Kind.DEPARTMENT: "department",
        OrgUnit.Kind.HALL: "hall",
        OrgUnit.Kind.DISTRICT: "district",
    }[OrgUnit.Kind(kind)]
    levels = {tally.level_measure(level): level for level in Level.values}
    figures = {}
    for subject, kept in tally.figures_by_subject(scope, levels).items():
        total = sum(kept.values())
        bad = sum(n for measure, n in kept.items() if levels[measure] <= BAD_AT_MOST)
        figures[subject] = {"total": total, "bad": bad}
    rows = []
    for unit in OrgUnit.objects.filter(kind=kind, is_active=True).order_by("sort", "path"):
        row = figures.get(unit.pk, {"total": 0, "bad": 0})
        rows.append(
            {
                "id": unit.pk,
                "name": unit.name,
                "total": row["total"],
                "bad": row["bad"],
                "satisfaction_rate": _rate(row["total"] - row["bad"], row["total"]),
            }
        )
    return rows


def public_departments() -> list[dict[str, Any]]:
    return public_units(OrgUnit.Kind.DEPARTMENT)


# --- Named responsible persons (公示责任人) ---------------------------------------------------------


@dataclass(frozen=True)
class NamedPerson:
    """A published responsible person: who, in what capacity, with the find-fault link."""

    user_id: int
    name: str
    capacity: str  # 部门负责人, 处(科)室负责人, 事项责任人, 大厅负责人

    @property
    def complaint_url(self) -> str:
        return f"/complaints/new/?target=person&id={self.user_id}"


def _heads_on(unit_ids: Iterable[int], role: str) -> list[tuple[int, int, str]]:
    """(unit id, user id, name) of the active staff holding ``role`` on exactly those units."""
    from quanban.accounts.models import RoleAssignment

    rows = (
        RoleAssignment.objects.filter(
            org_unit_id__in=list(unit_ids), role=role, user__is_active=True
        )
        .order_by("org_unit_id", "user_id")
        .values_list("org_unit_id", "user_id", "user__display_name", "user__username")
    )
    return [(unit, user_id, name or username) for unit, user_id, name, username in rows]


def item_responsibles(version: Any) -> list[NamedPerson]:
    """The named responsible persons of a published item version: the implementing department's
    head (部门负责人), the head of each office its responsible persons work in (处(科)室负责人)
    and the responsible persons themselves (事项责任人) — each once, in that order. One query
    (the responsible persons are read as the guide prefetched them)."""
    from quanban.accounts.models import RoleAssignment
    from quanban.accounts.roles import Role

    direct = sorted(
        (p for p in version.responsible_persons.all() if p.is_active), key=lambda p: p.pk
    )
    offices = {p.office_id for p in direct if p.office_id is not None}
    department_id = version.item.implementing_department_id
    heads = (
        RoleAssignment.objects.filter(
            Q(role=Role.DEPARTMENT_HEAD, org_unit_id=department_id)
            | Q(role=Role.OFFICE_HEAD, org_unit_id__in=offices),
            user__is_active=True,
        )
        .order_by("user_id")
        .values_list("role", "user_id", "user__display_name", "user__username")
    )
    capacities = {Role.DEPARTMENT_HEAD: _("部门负责人"), Role.OFFICE_HEAD: _("处(科)室负责人")}
    people: dict[int, NamedPerson] = {}
    for role in (Role.DEPARTMENT_HEAD, Role.OFFICE_HEAD):
        for held, user_id, name, username in heads:
            if held == role:
                people.setdefault(
                    user_id, NamedPerson(user_id, name or username, str(capacities[role]))
                )
    for p in direct:
        people.setdefault(
            p.pk, NamedPerson(p.pk, p.display_name or p.username, str(_("事项责任人")))
        )
    return list(people.values())


def unit_responsibles(unit_id: int) -> list[NamedPerson]:
    """The named responsible persons of a department or hall: who heads it (department or
    office head held on the unit itself)."""
    from quanban.accounts.roles import Role

    people: dict[int, NamedPerson] = {}
    for role, capacity in (
        (Role.DEPARTMENT_HEAD, _("部门负责人")),
        (Role.OFFICE_HEAD, _("负责人")),
    ):
        for _unit, user_id, name in _heads_on([unit_id], role):
            people.setdefault(user_id, NamedPerson(user_id, name, str(capacity)))
    return list(people.values())


# --- The monthly evaluation's figures ------------------------------------------------------------


@dataclass(frozen=True)
class SubjectFigures:
    scope: str  # "staff", "window", "office", "department" (EvaluationRow.Scope values)
    subject_id: int  # the user id for staff, else the org unit id
    ratings: int
    rating_average: Decimal | None  # 1–5, 5 the best, two places
    bad_ratings: int
    complaints: int


_RATING_SUBJECTS = (
    ("staff", "staff_id"),
    ("window", "window_id"),
    ("office", "office_id"),
    ("department", "department_id"),
)


def ratings_by_subject(*, month_start: dt.date, month_end: dt.date) -> list[SubjectFigures]:
    """Per staff member, window, office and department: the current ratings given on days in
    ``[month_start, month_end)`` (how many, the average level on 1–5 with 5 the best, how many
    bad) and the complaints filed on those days (staff: complaints naming them; office and
    department: complaints whose follow-up is assigned there; windows: none).

    One grouped query per subject column over the month's ratings (``rated_on`` is indexed) and
    two over the complaints; sorted by scope and subject id.
    """
    ratings = Rating.objects.filter(
        COUNTED, rated_on__gte=month_start, rated_on__lt=month_end
    ).order_by()
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for scope, column in _RATING_SUBJECTS:
        for subject, n, average, bad in (
            ratings.filter(**{f"{column}__isnull": False})
            .values_list(column)
            .annotate(
                n=Count("pk"), avg=Avg("level"), bad=Count("pk", filter=Q(level__lte=BAD_AT_MOST))
            )
        ):
            out[(scope, subject)] = {
                "ratings": n,
                "rating_average": Decimal(str(average)).quantize(Decimal("0.01"), ROUND_HALF_UP),
                "bad_ratings": bad,
                "complaints": 0,
            }
    complaints = Complaint.objects.filter(
        created_on__gte=month_start, created_on__lt=month_end
    ).order_by()
    blank = {"ratings": 0, "rating_average": None, "bad_ratings": 0, "complaints": 0}
    arms = (
        ("staff", complaints.filter(person__isnull=False).values_list("person_id")),
        (
            "office",
            complaints.filter(follow_up__unit__kind=OrgUnit.Kind.OFFICE).values_list(
                "follow_up__unit_id"
            ),
        ),
        ("department", complaints.filter(department__isnull=False).values_list("department_id")),
    )
    for scope, grouped in arms:
        for subject, n in grouped.annotate(n=Count("pk")):
            out.setdefault((scope, subject), dict(blank))["complaints"] += n
    return [
        SubjectFigures(scope=scope, subject_id=subject, **values)
        for (scope, subject), values in sorted(out.items())
    ]


# --- The national export ------------------------------------------------------------------------

EXPORT_HEADER = (
    "评价编号",
    "办件编号",
    "事项实施编码",
    "评价类型",
    "评价渠道",
    "评价等级",
    "评价次数",
    "评价人类型",
    "办事效率",
    "评价内容",
    "评价时间",
    "部门统一社会信用代码",
)


def ratings_export_rows(
    *,
    start: dt.date,
    end: dt.date,
    department_id: int | None = None,
    direction: str = codes.NATIONAL,
) -> Iterator[tuple[str, ...]]:
    """Ratings given on days in ``[start, end)`` as rows of the exchange format, codes mapped by
    ``quanban.feedback.codes`` in the chosen direction; streamed in batches. No rater field."""
    ratings = Rating.objects.filter(rated_on__gte=start, rated_on__lt=end).order_by("pk")
    if department_id is not None:
        ratings = ratings.filter(department_id=department_id)
    rows = ratings.values_list(
        "pk",
        "case__number",
        "item__implementation_code",
        "kind",
        "channel",
        "level",
        "number",
        "rater_kind",
        "efficiency",
        "text",
        "rated_at",
        "department__uscc",
    )
    for pk, number, code, kind, channel, level, n, rater, eff, text, at, uscc in rows.iterator(
        chunk_size=2000
    ):
        yield (
            str(pk),
            number or "",
            code or "",
            "1" if kind == "visit" else "2",
            codes.CHANNEL_CODES[channel],
            codes.level_code(level, direction),
            str(n),
            codes.RATER_CODES.get(rater, "1"),
            codes.level_code(eff, direction) if eff else "",
            text,
            at.isoformat(timespec="seconds"),
            uscc or "",
        )
