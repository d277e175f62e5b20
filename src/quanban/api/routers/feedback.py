"""好差评 and 找茬 (docs/feedback.md): rating a case, the window pad, the SMS link, complaints,
the follow-up of bad ratings and complaints, the public results.

Staff never read who rated or complained: the output schemas have no such field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import Perm
from quanban.api.auth import AUTH
from quanban.api.routers.tasks import staff_user
from quanban.api.types import NO_NUL, BodyId, PathId
from quanban.cases import selectors as cases
from quanban.core.errors import NotFound, PermissionDenied
from quanban.feedback import selectors, services
from quanban.feedback.models import Rating

router = Router()

Score = Annotated[int, Field(ge=1, le=5)]
Tag = Annotated[str, Field(min_length=1, max_length=20, pattern=NO_NUL)]
Token = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _anonymous(request: HttpRequest) -> bool:
    """Lets a caller without credentials through (after the real authenticators had a go)."""
    return True


OPTIONAL_AUTH = [*AUTH, _anonymous]


class ScoresIn(Schema):
    level: Score = Field(..., description="5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.")
    efficiency: Score | None = Field(None, description="办事效率 (both kinds).")
    guide_accuracy: Score | None = Field(None, description="办事指南准确性 (a case).")
    convenience: Score | None = Field(None, description="办事便捷程度 (a case).")
    usability: Score | None = Field(None, description="平台易用性 (a case).")
    skill: Score | None = Field(None, description="业务水平 (a visit).")
    attitude: Score | None = Field(None, description="服务态度 (a visit).")
    text: str = Field("", max_length=1000, pattern=NO_NUL)
    tags: list[Tag] = Field(default_factory=list, max_length=10)

    def scores(self) -> dict[str, int]:
        names = ("efficiency", "guide_accuracy", "convenience", "usability", "skill", "attitude")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


class CaseRatingIn(ScoresIn):
    channel: Literal["portal", "mobile"] = "portal"


class TokenRatingIn(ScoresIn):
    token: Token


class PadOpenIn(Schema):
    window_id: BodyId
    case_id: BodyId | None = None
    channel: Literal["pad", "kiosk"] = "pad"


class PadOut(Schema):
    invite_id: int
    token: str = Field(..., description="Shown once: the pad's address carries it.")
    expires_at: dt.datetime
    pad_url: str


class RatingOut(Schema):
    """A rating as its rater and staff both may see it (no rater fields)."""

    id: int
    kind: str
    channel: str
    level: int
    number: int = Field(..., description="1 first, 2 a second rating that replaced the first.")
    rated_at: dt.datetime
    follow_up_id: int | None

    @staticmethod
    def of(rating: Rating) -> RatingOut:
        followup = getattr(rating, "follow_up", None)
        return RatingOut(
            id=rating.pk,
            kind=rating.kind,
            channel=rating.channel,
            level=rating.level,
            number=rating.number,
            rated_at=rating.rated_at,
            follow_up_id=followup.pk if followup is not None else None,
        )


def _citizen(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if user.kind != User.Kind.CITIZEN:
        raise PermissionDenied(_("仅申请人本人可以评价办件。"), code="rating_applicant_only")
    return user


@router.post(
    "/my/cases/{case_id}/rating",
    response={201: RatingOut},
    summary="Rate my finished case / 办件评价（一事一评）",
    description=(
        "The applicant rates their own finished case. A second rating within the configured "
        "days replaces the first (number 2); later, 409. A bad rating opens a follow-up."
    ),
)
def my_case_rate(request: HttpRequest, case_id: PathId, payload: CaseRatingIn) -> Any:
    user = _citizen(request)
    case = cases.case_get_for_applicant(user=user, case_id=case_id)
    rating = services.rating_submit_for_case(
        user=user,
        case=case,
        level=payload.level,
        scores=payload.scores(),
        text=payload.text,
        tags=payload.tags,
        channel=payload.channel,
    )
    return Status(201, RatingOut.of(rating))


@router.post(
    "/feedback/pad",
    response={201: PadOut},
    summary="Open the window's rating pad / 开启窗口评价器（一次一评）",
)
def pad_open(request: HttpRequest, payload: PadOpenIn) -> Any:
    user = staff_user(request, Perm.BUSINESS_WRITE)
    window = OrgUnit.objects.filter(pk=payload.window_id, is_active=True).first()
    if window is None:
        raise NotFound(_("找不到该窗口。"), code="window_not_found", field="window_id")
    case = None
    if payload.case_id is not None:
        case = cases.case_get_for_staff(user=user, case_id=payload.case_id)
    invite, token = services.rating_pad_open(
        user=user, window=window, case=case, channel=payload.channel
    )
    return Status(
        201,
        PadOut(
            invite_id=invite.pk,
            token=token,
            expires_at=invite.expires_at,
            pad_url=f"/workbench/feedback/pad/{token}/",
        ),
    )


@router.post(
    "/feedback/pad/rating",
    response={201: RatingOut},
    summary="Rate a visit on the pad / 评价器提交评价",
    description="From the session (or token) of the clerk who opened the pad; the token once.",
)
def pad_rate(request: HttpRequest, payload: TokenRatingIn) -> Any:
    user = staff_user(request)
    rating = services.rating_submit_by_token(
        token=payload.token,
        user=user,
        level=payload.level,
        scores=payload.scores(),
        text=payload.text,
        tags=payload.tags,
    )
    return Status(201, RatingOut.of(rating))


@router.post(
    "/feedback/rate",
    response={201: RatingOut},
    auth=None,
    summary="Rate through an SMS link / 短信链接评价",
    description="No sign-in: the link's one-time token, until it expires.",
)
def sms_rate(request: HttpRequest, payload: TokenRatingIn) -> Any:
    invite = services.invite_for_token(payload.token)
    if invite.channel != "sms":
        raise NotFound(
            _("评价链接无效、已使用或已过期。"), code="rating_invite_invalid", field="token"
        )
    rating = services.rating_submit_by_token(
        token=payload.token,
        level=payload.level,
        scores=payload.scores(),
        text=payload.text,
        tags=payload.tags,
    )
    return Status(201, RatingOut.of(rating))


# --- Complaints -----------------------------------------------------------------------------


class ComplaintIn(Schema):
    target: Literal["item", "case", "hall", "person"]
    target_id: BodyId
    category: Literal["attitude", "process", "environment", "quality", "integrity"]
    text: str = Field(..., min_length=1, max_length=2000, pattern=NO_NUL)
    anonymous: bool = False


class ComplaintOut(Schema):
    id: int
    target: str
    category: str
    anonymous: bool
    created_at: dt.datetime
    follow_up_id: int


@router.post(
    "/feedback/complaints",
    response={201: ComplaintOut},
    auth=OPTIONAL_AUTH,
    summary="Find fault / 找茬投诉",
    description=(
        "Real-name complaints need a citizen account (its owner follows them under "
        "/my/feedback); anyone may complain anonymously. Evidence files go through the portal."
    ),
)
def complaint_create(request: HttpRequest, payload: ComplaintIn) -> Any:
    user = request.user if isinstance(request.user, User) else None
    complaint = services.complaint_submit(
        user=user,
        target=payload.target,
        target_id=payload.target_id,
        category=payload.category,
        text=payload.text,
        anonymous=payload.anonymous,
    )
    return Status(
        201,
        ComplaintOut(
            id=complaint.pk,
            target=complaint.target,
            category=complaint.category,
            anonymous=complaint.anonymous,
            created_at=complaint.created_at,
            follow_up_id=complaint.follow_up.pk,
        ),
    )


# --- The applicant's own -------------------------------------------------------------------


class MyFollowUpOut(Schema):
    follow_up_id: int | None
    follow_up_state: str | None
    reply: str | None
    rectification: str | None
    verdict: str | None


class MyRatingOut(MyFollowUpOut):
    id: int
    kind: str
    level: int
    number: int
    superseded: bool
    rated_at: dt.datetime
    case_id: int | None
    case_number: str | None


class MyComplaintOut(MyFollowUpOut):
    id: int
    target: str
    category: str
    created_at: dt.datetime


class MyFeedbackOut(Schema):
    ratings: list[MyRatingOut]
    complaints: list[MyComplaintOut]


def _followup_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "follow_up_id": row["followup_id"],
        "follow_up_state": row["followup_state"],
        "reply": row["contact_note"],
        "rectification": row["rectification"],
        "verdict": row["verdict"],
    }


@router.get(
    "/my/feedback", response=MyFeedbackOut, summary="My ratings and complaints / 我的评价与投诉"
)
def my_feedback(request: HttpRequest) -> Any:
    user = _citizen(request)
    mine = selectors.my_feedback(user=user)
    return MyFeedbackOut(
        ratings=[
            MyRatingOut(
                id=r["id"],
                kind=r["kind"],
                level=r["level"],
                number=r["number"],
                superseded=r["superseded"],
                rated_at=r["rated_at"],
                case_id=r["case_id"],
                case_number=r["case__number"],
                **_followup_fields(r),
            )
            for r in mine["ratings"]
        ],
        complaints=[
            MyComplaintOut(
                id=c["id"],
                target=c["target"],
                category=c["category"],
                created_at=c["created_at"],
                **_followup_fields(c),
            )
            for c in mine["complaints"]
        ],
    )


class VerdictIn(Schema):
    verdict: Literal["satisfied", "basic", "dissatisfied"]


class FollowUpOut(Schema):
    id: int
    state: str
    source: str
    unit_id: int
    unit_name: str
    opened_at: dt.datetime
    contact_due_on: dt.date
    rectify_due_on: dt.date
    card_level: str
    contact_note: str
    rectification: str
    verdict: str
    version: int
    level: int | None = Field(None, description="The rating's level (a bad rating).")
    category: str | None = Field(None, description="The complaint's category.")
    text: str = Field("", description="What the rater or complainant wrote.")
    may_handle: bool = False

    @staticmethod
    def of(view: selectors.FollowUpView) -> FollowUpOut:
        f = view.followup
        return FollowUpOut(
            id=f.pk,
            state=f.state,
            source=view.source,
            unit_id=f.unit_id,
            unit_name=view.unit_name,
            opened_at=f.opened_at,
            contact_due_on=f.contact_due_on,
            rectify_due_on=f.rectify_due_on,
            card_level=f.card_level,
            contact_note=f.contact_note,
            rectification=f.rectification,
            verdict=f.verdict,
            version=f.version,
            level=view.rating["level"] if view.rating else None,
            category=view.complaint["category"] if view.complaint else None,
            text=(view.rating or view.complaint or {}).get("text", ""),
            may_handle=view.may_handle,
        )


class VerdictOut(Schema):
    id: int
    state: str
    verdict: str


@router.post(
    "/my/feedback/followups/{followup_id}/verdict",
    response=VerdictOut,
    summary="My verdict on a rectification / 评价人确认整改",
)
def my_verdict(request: HttpRequest, followup_id: PathId, payload: VerdictIn) -> Any:
    user = _citizen(request)
    followup = services.followup_verdict(
        user=user, followup_id=followup_id, verdict=payload.verdict
    )
    return VerdictOut(id=followup.pk, state=followup.state, verdict=followup.verdict)


# --- Staff: follow-ups ---------------------------------------------------------------------


@router.get(
    "/feedback/followups",
    response=list[FollowUpOut],
    summary="Follow-ups of my units / 回访整改",
    description="A supervisor's are all; anyone else's, their office's and the units they head.",
)
def followup_list(
    request: HttpRequest, state: Literal["open", "contacted", "rectified", "closed"] | None = None
) -> Any:
    user = staff_user(request)
    return [
        FollowUpOut.of(v) for v in selectors.followup_list_for_user(user=user, state=state or "")
    ]


class ContactIn(Schema):
    note: str = Field(..., min_length=1, max_length=2000, pattern=NO_NUL)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


class RectifyIn(Schema):
    rectification: str = Field(..., min_length=1, max_length=2000, pattern=NO_NUL)
    version: int | None = Field(None, ge=1, le=2**31 - 1)


def _handled(request: HttpRequest, followup_id: int) -> tuple[User, selectors.FollowUpView]:
    user = staff_user(request, Perm.BUSINESS_WRITE)
    return user, selectors.followup_get_for_user(user=user, followup_id=followup_id)


@router.post(
    "/feedback/followups/{followup_id}/contact",
    response=FollowUpOut,
    summary="Record the contact / 回访",
)
def followup_contact(request: HttpRequest, followup_id: PathId, payload: ContactIn) -> Any:
    user, view = _handled(request, followup_id)
    services.followup_contact(
        user=user, followup=view.followup, note=payload.note, expected_version=payload.version
    )
    return FollowUpOut.of(selectors.followup_get_for_user(user=user, followup_id=followup_id))


@router.post(
    "/feedback/followups/{followup_id}/rectify",
    response=FollowUpOut,
    summary="Record the rectification / 整改",
)
def followup_rectify(request: HttpRequest, followup_id: PathId, payload: RectifyIn) -> Any:
    user, view = _handled(request, followup_id)
    services.followup_rectify(
        user=user,
        followup=view.followup,
        rectification=payload.rectification,
        expected_version=payload.version,
    )
    return FollowUpOut.of(selectors.followup_get_for_user(user=user, followup_id=followup_id))


# --- Staff: appeals (申诉复核) ----------------------------------------------------------------


class AppealIn(Schema):
    reason: Literal["mistaken", "malicious"] = Field(..., description="误评 or 恶意评价.")
    statement: str = Field(..., min_length=1, max_length=2000, pattern=NO_NUL)


class AppealDecisionIn(Schema):
    decision: Literal["upheld", "rejected"]
    note: str = Field(..., min_length=1, max_length=2000, pattern=NO_NUL)


class AppealOut(Schema):
    id: int
    rating_id: int
    level: int = Field(..., description="The rating's level (never who gave it).")
    text: str = Field("", description="What the rater wrote.")
    reason: str
    statement: str
    has_evidence: bool
    state: str
    filed_at: dt.datetime
    filed_by: str
    decided_at: dt.datetime | None
    decided_by: str
    decision_note: str
    may_decide: bool

    @staticmethod
    def of(view: selectors.AppealView) -> AppealOut:
        a = view.appeal
        return AppealOut(
            id=a.pk,
            rating_id=a.rating_id,
            level=view.rating["level"],
            text=view.rating.get("text", ""),
            reason=a.reason,
            statement=a.statement,
            has_evidence=bool(a.evidence),
            state=a.state,
            filed_at=a.filed_at,
            filed_by=str(a.filed_by),
            decided_at=a.decided_at,
            decided_by=str(a.decided_by) if a.decided_by else "",
            decision_note=a.decision_note,
            may_decide=view.may_decide,
        )


@router.get(
    "/feedback/appeals",
    response=list[AppealOut],
    summary="Rating appeals / 评价申诉",
    description="A supervisor's queue (all, pending first); anyone else's, their units' own.",
)
def appeal_list(
    request: HttpRequest, state: Literal["pending", "upheld", "rejected"] | None = None
) -> Any:
    user = staff_user(request)
    return [AppealOut.of(v) for v in selectors.appeal_list_for_user(user=user, state=state or "")]


@router.post(
    "/feedback/ratings/{rating_id}/appeal",
    response={201: AppealOut},
    summary="Appeal a bad rating / 对差评提出申诉",
    description="Staff of the rated unit; evidence files are attached on the page.",
)
def appeal_file(request: HttpRequest, rating_id: PathId, payload: AppealIn) -> Any:
    user = staff_user(request, Perm.BUSINESS_WRITE)
    appeal = services.appeal_file(
        user=user, rating_id=rating_id, reason=payload.reason, statement=payload.statement
    )
    return Status(201, AppealOut.of(selectors.appeal_get_for_user(user=user, appeal_id=appeal.pk)))


@router.post(
    "/feedback/appeals/{appeal_id}/decision",
    response=AppealOut,
    summary="Decide an appeal / 申诉复核",
    description="A supervisor, once: upheld takes the rating out of every score.",
)
def appeal_decide(request: HttpRequest, appeal_id: PathId, payload: AppealDecisionIn) -> Any:
    user = staff_user(request)
    services.appeal_decide(
        user=user, appeal_id=appeal_id, decision=payload.decision, note=payload.note
    )
    return AppealOut.of(selectors.appeal_get_for_user(user=user, appeal_id=appeal_id))


# --- Public results ------------------------------------------------------------------------


class RecordOut(Schema):
    id: int
    opened_on: dt.date
    closed_at: dt.datetime | None
    level: int | None
    category: str | None
    unit_name: str
    rectification: str
    verdict: str


class ResultsOut(Schema):
    scope: str
    subject_id: int
    name: str
    counts: dict[str, int] = Field(..., description="Level (5 best … 1) → current ratings.")
    total: int
    good: int
    bad: int
    satisfaction_rate: Decimal | None
    follow_ups: dict[str, int]
    rectification_rate: Decimal | None
    complaints: int
    record: list[RecordOut]


@router.get(
    "/feedback/results/{scope}/{subject_id}",
    response=ResultsOut,
    auth=None,
    summary="Public rating results / 好差评公示",
)
def results(
    request: HttpRequest,
    scope: Literal["department", "hall", "item", "district"],
    subject_id: PathId,
) -> Any:
    r = selectors.public_results(scope=scope, subject_id=subject_id)
    return ResultsOut(
        scope=r.scope,
        subject_id=r.subject_id,
        name=r.name,
        counts={str(level): n for level, n in r.counts.items()},
        total=r.total,
        good=r.good,
        bad=r.bad,
        satisfaction_rate=r.satisfaction_rate,
        follow_ups=r.followups,
        rectification_rate=r.rectification_rate,
        complaints=r.complaints,
        record=[
            RecordOut(
                id=row["id"],
                opened_on=row["opened_on"],
                closed_at=row["closed_at"],
                level=row["level"],
                category=row["category"],
                unit_name=row["unit_name"],
                rectification=row["rectification"],
                verdict=row["verdict"],
            )
            for row in r.record
        ],
    )
