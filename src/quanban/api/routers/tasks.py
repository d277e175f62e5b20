"""Tasks (办理任务): the inbox, claiming, giving back and completing, for staff.

Writes take the task's version (If-Match or ``version``; see quanban.api.preconditions): a task
another person claimed or completed since is a 412, never a silent overwrite.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from quanban.accounts import selectors as accounts
from quanban.accounts.models import User
from quanban.accounts.roles import Perm
from quanban.api.case_schemas import InboxTaskOut, TaskOut
from quanban.api.preconditions import IfMatch, VersionIn, expected_version, set_etag
from quanban.api.types import NO_NUL, PageIn, PathId
from quanban.cases import selectors, services
from quanban.cases.models import Task

router = Router()

TaskKind = Literal[
    "review", "co_review", "meeting", "inspection", "approve", "issue", "commitment_inspection"
]
CardCode = Literal["none", "yellow", "red"]
DeliveryCode = Literal["window", "post", "electronic"]
NO_VERSION = VersionIn.model_validate({})


def staff_user(request: HttpRequest, perm: str = Perm.WORKBENCH) -> User:
    """The signed-in staff caller: the workbench to read, business permission to write."""
    user = request.user
    assert isinstance(user, User)  # these operations require authentication
    accounts.require_perm(user, perm)
    return user


# --- Input -------------------------------------------------------------------------------------


class InboxFilters(Schema):
    scope: Literal["mine", "office", "department", "team"] = Field(
        "mine",
        description=(
            "mine: claimed by me; office / department: my own office's or department's (as far "
            "as my roles reach); team: every unit my roles reach."
        ),
    )
    card: CardCode | None = Field(None, description="Only this card level (亮灯).")
    kind: TaskKind | None = Field(None, description="Only tasks of this step kind.")
    order: Literal["urgency", "opened", "-opened"] = "urgency"


class TaskCompleteIn(VersionIn):
    outcome: str = Field(..., min_length=1, max_length=20, pattern=r"^[a-z_]+$")
    opinion: str = Field("", max_length=5000, pattern=NO_NUL)
    data: dict[Annotated[str, Field(max_length=40)], Any] = Field(
        default_factory=dict,
        max_length=20,
        description="集体研究: held_on (date), attendees (names), decision.",
    )
    decision_text: str = Field("", max_length=2000, pattern=NO_NUL)
    legal_basis: str = Field("", max_length=2000, pattern=NO_NUL)
    delivery: DeliveryCode | None = None
    tracking_number: str = Field("", max_length=40, pattern=NO_NUL)


class TaskPage(Schema):
    limit: int
    offset: int
    items: list[InboxTaskOut]


# --- Operations --------------------------------------------------------------------------------


@router.get(
    "/tasks",
    response=TaskPage,
    summary="My inbox / 待办",
    description="Open tasks, most urgent first (earliest due date; stopped clocks last).",
)
def task_inbox(request: HttpRequest, filters: Query[InboxFilters], page: Query[PageIn]) -> TaskPage:
    tasks = selectors.task_inbox(
        user=staff_user(request),
        scope=filters.scope,
        card=filters.card or "",
        kind=filters.kind or "",
        order=filters.order,
        limit=page.limit,
        offset=page.offset,
    )
    return TaskPage(
        limit=page.limit, offset=page.offset, items=[InboxTaskOut.of_inbox(t) for t in tasks]
    )


@router.get(
    "/tasks/{task_id}", response=TaskOut, summary="A task / 任务详情", description="ETag: version."
)
def task_detail(request: HttpRequest, response: HttpResponse, task_id: PathId) -> TaskOut:
    task = selectors.task_get_for_user(user=staff_user(request), task_id=task_id)
    set_etag(response, task.version)
    return TaskOut.of(task)


def _task_for_write(request: HttpRequest, task_id: int) -> tuple[User, Task]:
    user = staff_user(request, Perm.BUSINESS_WRITE)
    return user, selectors.task_get_for_user(user=user, task_id=task_id)


def _reply(response: HttpResponse, user: User, task_id: int) -> TaskOut:
    task = selectors.task_get_for_user(user=user, task_id=task_id)
    set_etag(response, task.version)
    return TaskOut.of(task)


@router.post("/tasks/{task_id}/claim", response=TaskOut, summary="Claim / 签收")
def task_claim(
    request: HttpRequest,
    response: HttpResponse,
    task_id: PathId,
    payload: VersionIn = NO_VERSION,
    if_match: IfMatch = None,
) -> TaskOut:
    user, task = _task_for_write(request, task_id)
    services.task_claim(
        user=user, task=task, expected_version=expected_version(if_match, payload.version)
    )
    return _reply(response, user, task_id)


@router.post("/tasks/{task_id}/release", response=TaskOut, summary="Give back / 退回待办")
def task_release(
    request: HttpRequest,
    response: HttpResponse,
    task_id: PathId,
    payload: VersionIn = NO_VERSION,
    if_match: IfMatch = None,
) -> TaskOut:
    user, task = _task_for_write(request, task_id)
    services.task_release(
        user=user, task=task, expected_version=expected_version(if_match, payload.version)
    )
    return _reply(response, user, task_id)


@router.post(
    "/tasks/{task_id}/complete",
    response=TaskOut,
    summary="Complete / 办理",
    description=(
        "Outcomes: review pass/fail; co_review agree/disagree; meeting held (data: held_on, "
        "attendees, decision); inspection pass/fail; approve approve/partial/reject "
        "(decision_text, legal_basis); issue issued (delivery; tracking_number for post); "
        "commitment_inspection confirmed/false."
    ),
)
def task_complete(
    request: HttpRequest,
    response: HttpResponse,
    task_id: PathId,
    payload: TaskCompleteIn,
    if_match: IfMatch = None,
) -> TaskOut:
    user, task = _task_for_write(request, task_id)
    services.task_complete(
        user=user,
        task=task,
        outcome=payload.outcome,
        opinion=payload.opinion,
        data=payload.data,
        decision_text=payload.decision_text,
        legal_basis=payload.legal_basis,
        delivery=payload.delivery or "",
        tracking_number=payload.tracking_number,
        expected_version=expected_version(if_match, payload.version),
    )
    return _reply(response, user, task_id)
