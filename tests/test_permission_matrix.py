"""Role × URL permission matrix: every URL of the project, every kind of caller, run for real.

The test walks Django's URL resolver and, for the API, the operations of the OpenAPI schema, and
compares them with the table below. A URL or operation that is not in the table fails the test (add
a row saying who may do what); a row whose URL no longer exists fails it too (remove the row).

Each row says, per caller, the exact status expected; ``LOGIN`` means a redirect to the staff login
page. Writes name the state they touch: an allowed write must change it, a denied one must not.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from quanban.accounts import services
from quanban.accounts.models import (
    ApiToken,
    LegalEntity,
    NaturalPerson,
    OrgUnit,
    RoleAssignment,
    User,
)
from quanban.accounts.roles import Role
from quanban.api.openapi_export import API_PATH_PREFIX, openapi_document
from quanban.catalogue.models import ItemVersion, Material, ServiceItem, Situation
from tests import factories
from tests.api.clients import bearer, session_client

ANON = "anonymous"
CITIZEN = "citizen"
CLERK = "window_clerk"
SUPERVISOR = "supervisor"
EDITOR = "catalogue_editor"
SYSADMIN = "system_admin"
SECADMIN = "security_admin"
AUDITOR = "audit_admin"
CALLERS = (ANON, CITIZEN, CLERK, SUPERVISOR, EDITOR, SYSADMIN, SECADMIN, AUDITOR)
STAFF = (CLERK, SUPERVISOR, EDITOR, SYSADMIN, SECADMIN, AUDITOR)

LOGIN = "login"  # a redirect to the staff login page
PORTAL_LOGIN = "portal_login"  # a redirect to the applicants' login page
Outcome = int | str


def everyone(outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(CALLERS, outcome)


def api_only(
    allowed: dict[str, int], *, anonymous: int = 401, others: int = 403
) -> dict[str, Outcome]:
    """An authenticated API operation: the named callers get their status, the rest 403."""
    return {c: (anonymous if c == ANON else allowed.get(c, others)) for c in CALLERS}


def page_only(allowed: tuple[str, ...]) -> dict[str, Outcome]:
    """A staff page: anonymous → login, allowed → 200, everyone else → 403."""
    return {c: (LOGIN if c == ANON else 200 if c in allowed else 403) for c in CALLERS}


@dataclass
class World:
    """Rows every request may point at, and the callers."""

    city: factories.City
    users: dict[str, User]
    person: NaturalPerson
    entity: LegalEntity
    counter: itertools.count = field(default_factory=lambda: itertools.count(100))

    def n(self) -> int:
        return next(self.counter)

    def fresh_staff(self) -> User:
        return factories.make_staff(self.city, None)

    def fresh_assignment(self) -> RoleAssignment:
        return services.role_grant(
            granted_by=self.users[SECADMIN],
            user=self.fresh_staff(),
            role=Role.REVIEWER,
            org_unit=self.city.department,
        )


@dataclass
class Row:
    method: str
    url: Callable[[World], str] | str
    expect: dict[str, Outcome]
    body: Callable[[World], dict[str, Any]] | None = None
    state: Callable[[World], Any] | None = None  # for writes
    form: bool = False  # send the body as an HTML form (pages) instead of JSON

    def url_for(self, world: World) -> str:
        return self.url(world) if callable(self.url) else self.url


# --- The table: API operations (method + OpenAPI path) ---------------------------------------

CALENDAR_DAY = "2026-03-02"  # a Monday and an ordinary working day


def _calendar_day_state(world: World) -> Any:
    from quanban.core.models import CalendarDay

    return CalendarDay.objects.filter(date=CALENDAR_DAY).values_list("is_workday", "name").first()


def _catalogue(world: World, state: str) -> Any:
    """A fresh catalogue item version in ``state`` (draft, submitted, published), remembered."""
    from tests.catalogue import helpers as catalogue_helpers

    make = getattr(catalogue_helpers, state)
    version = make(world.city.department, basic_code=f"{world.n():012d}")
    world.catalogue_version = version  # type: ignore[attr-defined]
    return version


def _api_version_state(world: World) -> str:
    return ItemVersion.objects.get(pk=world.catalogue_version.pk).state  # type: ignore[attr-defined]


API: dict[str, Row] = {
    "GET /api/v1/health": Row("GET", "/api/v1/health", everyone(200)),
    "GET /api/v1/me": Row("GET", "/api/v1/me", {**everyone(200), ANON: 401}),
    "GET /api/v1/org/units": Row("GET", "/api/v1/org/units?kind=department", everyone(200)),
    "GET /api/v1/org/units/{unit_id}": Row(
        "GET", lambda w: f"/api/v1/org/units/{w.city.district.pk}", everyone(200)
    ),
    "POST /api/v1/org/units": Row(
        "POST",
        "/api/v1/org/units",
        api_only({SYSADMIN: 201}),
        body=lambda w: {
            "kind": "office",
            "name": f"处室{w.n()}",
            "parent_id": w.city.department.pk,
        },
        state=lambda w: OrgUnit.objects.count(),
    ),
    "POST /api/v1/applicants/persons": Row(
        "POST",
        "/api/v1/applicants/persons",
        api_only({CLERK: 201}),
        body=lambda w: {"name": "李四", "id_number": factories.valid_id_number(seq=f"{w.n():03d}")},
        state=lambda w: NaturalPerson.objects.count(),
    ),
    "GET /api/v1/applicants/persons/{person_id}": Row(
        "GET",
        lambda w: f"/api/v1/applicants/persons/{w.person.pk}",
        api_only({CLERK: 200, SUPERVISOR: 200, EDITOR: 200}),
    ),
    "POST /api/v1/applicants/entities": Row(
        "POST",
        "/api/v1/applicants/entities",
        api_only({CLERK: 201}),
        body=lambda w: {
            "name": "某某有限公司",
            "uscc": factories.valid_uscc(w.n()),
            "legal_representative": "赵六",
        },
        state=lambda w: LegalEntity.objects.count(),
    ),
    "GET /api/v1/applicants/entities/{entity_id}": Row(
        "GET",
        lambda w: f"/api/v1/applicants/entities/{w.entity.pk}",
        api_only({CLERK: 200, SUPERVISOR: 200, EDITOR: 200}),
    ),
    "POST /api/v1/roles": Row(
        "POST",
        "/api/v1/roles",
        api_only({SECADMIN: 201}),
        body=lambda w: {
            "user_id": w.fresh_staff().pk,
            "role": "reviewer",
            "org_unit_id": w.city.city.pk,
        },
        state=lambda w: RoleAssignment.objects.count(),
    ),
    "DELETE /api/v1/roles/{assignment_id}": Row(
        "DELETE",
        lambda w: f"/api/v1/roles/{w.fresh_assignment().pk}",
        api_only({SECADMIN: 204}),
        # Measured after the URL (and its fresh assignment) exists.
        state=lambda w: RoleAssignment.objects.count(),
    ),
    "GET /api/v1/users/{user_id}/roles": Row(
        "GET",
        lambda w: f"/api/v1/users/{w.users[CLERK].pk}/roles",
        api_only({CLERK: 200, SYSADMIN: 200, SECADMIN: 200}),
    ),
    "POST /api/v1/tokens": Row(
        "POST",
        "/api/v1/tokens",
        {**everyone(201), ANON: 401},
        body=lambda w: {"name": f"令牌{w.n()}"},
        state=lambda w: ApiToken.objects.count(),
    ),
    "GET /api/v1/audit/": Row("GET", "/api/v1/audit/", api_only({AUDITOR: 200})),
    "GET /api/v1/calendar/add": Row(
        "GET", "/api/v1/calendar/add?date=2026-01-05&days=3", everyone(200)
    ),
    "GET /api/v1/calendar/count": Row(
        "GET", "/api/v1/calendar/count?start=2026-01-05&end=2026-01-09", everyone(200)
    ),
    "GET /api/v1/calendar/years/{year}": Row("GET", "/api/v1/calendar/years/2026", everyone(200)),
    "GET /api/v1/search": Row("GET", "/api/v1/search?q=%E6%88%B7%E5%8F%A3", everyone(200)),
    "PUT /api/v1/calendar/days/{date}": Row(
        "PUT",
        f"/api/v1/calendar/days/{CALENDAR_DAY}",
        api_only({SYSADMIN: 200}),
        body=lambda w: {"is_workday": False, "name": f"测试{w.n()}"},
        state=_calendar_day_state,
    ),
    # The catalogue: public reads; editors (EDITOR holds catalogue.edit for the whole city) write
    # drafts; publishing, returning and retiring need a catalogue reviewer, whom no caller here is
    # (tests/api/test_catalogue_api.py covers the reviewer).
    "GET /api/v1/catalogue/items": Row("GET", "/api/v1/catalogue/items", everyone(200)),
    "GET /api/v1/catalogue/items/{item_id}": Row(
        "GET",
        lambda w: f"/api/v1/catalogue/items/{_catalogue(w, 'published').item_id}",
        everyone(200),
    ),
    "POST /api/v1/catalogue/items/{item_id}/materials-for-answers": Row(
        "POST",
        lambda w: (
            f"/api/v1/catalogue/items/{_catalogue(w, 'published').item_id}/materials-for-answers"
        ),
        everyone(200),
        body=lambda w: {"answers": {}},
    ),
    "GET /api/v1/catalogue/lists/{name}": Row(
        "GET", "/api/v1/catalogue/lists/on-the-spot?level=3", everyone(200)
    ),
    "GET /api/v1/catalogue/versions/{version_id}": Row(
        "GET",
        lambda w: f"/api/v1/catalogue/versions/{_catalogue(w, 'draft').pk}",
        api_only({EDITOR: 200}),
    ),
    "POST /api/v1/catalogue/items": Row(
        "POST",
        "/api/v1/catalogue/items",
        api_only({EDITOR: 201}),
        body=lambda w: {
            "implementing_department_id": w.city.department.pk,
            "basic_code": f"{w.n():012d}",
            "exercise_level": "3",
            "name": "食品经营许可",
            "item_type": "01",
            "case_kind": "2",
            "legal_limit_days": 20,
            "promised_limit_days": 5,
        },
        state=lambda w: ServiceItem.objects.count(),
    ),
    "PATCH /api/v1/catalogue/versions/{version_id}": Row(
        "PATCH",
        lambda w: f"/api/v1/catalogue/versions/{_catalogue(w, 'draft').pk}",
        api_only({EDITOR: 200}),
        body=lambda w: {"name": f"改名{w.n()}"},
        state=lambda w: ItemVersion.objects.get(pk=w.catalogue_version.pk).name,
    ),
    "POST /api/v1/catalogue/versions/{version_id}/materials": Row(
        "POST",
        lambda w: f"/api/v1/catalogue/versions/{_catalogue(w, 'draft').pk}/materials",
        api_only({EDITOR: 201}),
        body=lambda w: {"name": "居民身份证", "form": "1", "necessity": "1", "source": "10"},
        state=lambda w: Material.objects.count(),
    ),
    "POST /api/v1/catalogue/versions/{version_id}/situations": Row(
        "POST",
        lambda w: f"/api/v1/catalogue/versions/{_catalogue(w, 'draft').pk}/situations",
        api_only({EDITOR: 201}),
        body=lambda w: {"question": "是否委托代理？", "options": [{"label": "是"}]},
        state=lambda w: Situation.objects.count(),
    ),
    "POST /api/v1/catalogue/versions/{version_id}/submit": Row(
        "POST",
        lambda w: f"/api/v1/catalogue/versions/{_catalogue(w, 'draft').pk}/submit",
        api_only({EDITOR: 200}),
        state=_api_version_state,
    ),
    "POST /api/v1/catalogue/versions/{version_id}/return": Row(
        "POST",
        lambda w: f"/api/v1/catalogue/versions/{_catalogue(w, 'submitted').pk}/return",
        api_only({}),
        body=lambda w: {"reason": "请补充收费依据"},
        state=_api_version_state,
    ),
    "POST /api/v1/catalogue/versions/{version_id}/publish": Row(
        "POST",
        lambda w: f"/api/v1/catalogue/versions/{_catalogue(w, 'submitted').pk}/publish",
        api_only({}),
        state=_api_version_state,
    ),
    "POST /api/v1/catalogue/versions/{version_id}/retire": Row(
        "POST",
        lambda w: f"/api/v1/catalogue/versions/{_catalogue(w, 'published').pk}/retire",
        api_only({}),
        state=_api_version_state,
    ),
    "POST /api/v1/catalogue/items/{item_id}/drafts": Row(
        "POST",
        lambda w: f"/api/v1/catalogue/items/{_catalogue(w, 'published').item_id}/drafts",
        api_only({EDITOR: 201}),
        state=lambda w: ItemVersion.objects.count(),
    ),
}

# --- The case runtime's API: window, back office, applicant -----------------------------------
# CLERK is a window clerk for the whole city: they see and work every case and the issue step;
# EDITOR has business permission but no case in view (404); reviewers' and approvers' steps are
# covered in tests/api/test_cases_api.py. Each row works on a fresh case (world.case).

CASE_API_PREFIXES = ("/api/v1/cases", "/api/v1/tasks", "/api/v1/my/")
REFUSAL = {
    "reason": "不属于本机关职权",
    "legal_basis": "《行政许可法》第三十二条",
    "guidance": "请向区局申请",
}


def _case_item(world: World, **fields: Any) -> Any:
    """A published item of the city's first department (one required material), per kind."""
    from tests.catalogue import helpers as catalogue_helpers

    cache = world.__dict__.setdefault("case_items", {})
    key = repr(sorted(fields.items()))
    if key not in cache:
        cache[key] = catalogue_helpers.published(
            world.city.department, basic_code=f"{world.n():012d}", **fields
        )
    return cache[key]


def _keep(world: World, **value: Any) -> Any:
    """Remember the row a request works on (world.case, world.task) and return it."""
    ((name, row),) = value.items()
    vars(world)[name] = row
    return row


def _case(world: World, *, ticked: bool = True, **item: Any) -> Any:
    """A fresh case the window clerk received for the world's person (kept as world.case)."""
    from quanban.cases import services as cases

    version = _case_item(world, **item)
    case = cases.case_receive(
        user=world.users[CLERK],
        item_version=version,
        applicant=world.person,
        channel="8",
        answers={},
        window=world.city.window,
        received_material_ids=[version.materials.get(seq=1).pk] if ticked else [],
    )
    return _keep(world, case=case)


def _accepted(world: World, **accept: Any) -> Any:
    from quanban.cases import services as cases

    return _keep(
        world, case=cases.case_accept(user=world.users[CLERK], case=_case(world), **accept)
    )


def _suspended(world: World) -> Any:
    from quanban.cases import services as cases

    case = _accepted(world)
    cases.case_suspend(user=world.users[CLERK], case=case, kind="inspection", reason="现场核查")
    return case


def _decided(world: World) -> Any:
    """A 告知承诺 case approved at acceptance: its issue task waits at the hall."""
    from quanban.cases import services as cases

    version = _case_item(
        world,
        process={"kind": "single_approver", "commitment_allowed": True},
        commitment_text="申请人承诺所填信息真实。",
    )
    case = cases.case_receive(
        user=world.users[CLERK],
        item_version=version,
        applicant=world.person,
        channel="8",
        answers={},
        window=world.city.window,
        received_material_ids=[version.materials.get(seq=1).pk],
    )
    return _keep(world, case=cases.case_accept(user=world.users[CLERK], case=case, commitment=True))


def _issue_task(world: World, *, claimed: bool = False) -> Any:
    from quanban.cases import services as cases
    from quanban.cases.models import Task

    task = Task.objects.get(case=_decided(world), step="issue")
    if claimed:
        task = cases.task_claim(user=world.users[CLERK], task=task)
    return _keep(world, task=task)


def _posted(world: World) -> Any:
    from quanban.cases import services as cases

    cases.task_complete(
        user=world.users[CLERK],
        task=_issue_task(world),
        outcome="issued",
        delivery="post",
        tracking_number="1234567890123",
    )
    return vars(world)["case"]


def _deferred(world: World) -> Any:
    """An accepted case whose second material (容缺后补) comes later."""
    from quanban.cases import services as cases
    from quanban.catalogue import services as catalogue
    from quanban.core import clock
    from tests.catalogue import helpers as catalogue_helpers

    cache = world.__dict__.setdefault("case_items", {})
    if "deferrable" not in cache:
        draft = catalogue_helpers.draft(world.city.department, basic_code=f"{world.n():012d}")
        catalogue.material_add(
            user=None, version=draft, name="场所平面图", form="3", necessity="3", source="10"
        )
        catalogue.version_submit(user=None, version=draft)
        cache["deferrable"] = catalogue.version_publish(user=None, version=draft)
    version = cache["deferrable"]
    case = cases.case_receive(
        user=world.users[CLERK],
        item_version=version,
        applicant=world.person,
        channel="8",
        answers={},
        window=world.city.window,
        received_material_ids=[version.materials.get(seq=1).pk],
    )
    plan = version.materials.get(seq=2).pk
    return _keep(
        world,
        case=cases.case_accept(user=world.users[CLERK], case=case, deferred={plan: clock.today()}),
    )


def _citizen_person(world: World) -> Any:
    """The citizen caller's own registered person (they apply online as themselves)."""
    citizen = world.users[CITIZEN]
    person = NaturalPerson.objects.filter(user=citizen).first()
    if person is None:
        person = services.person_register(
            name="王五", id_number=factories.valid_id_number(seq="777"), user=citizen
        )
    return person


def _my_case(world: World, *, accepted: bool = False) -> Any:
    from quanban.cases import services as cases

    _citizen_person(world)
    case = cases.case_submit_online(
        user=world.users[CITIZEN], item_version=_case_item(world), answers={}
    )
    if accepted:
        ticks = [_case_item(world).materials.get(seq=1).pk]
        case = cases.case_accept(user=world.users[CLERK], case=case, received_material_ids=ticks)
    return _keep(world, case=case)


def _card(world: World) -> Any:
    """A yellow card on the open review task of a fresh accepted case (kept as world.card)."""
    from quanban.cases.models import Task
    from quanban.core import clock
    from quanban.supervision.models import CardEvent

    case = _accepted(world)
    task = Task.objects.get(case=case, state="open")
    card = CardEvent.objects.create(
        task=task,
        case=case,
        level="yellow",
        department=task.department,
        due_on=clock.today(),
        fired_at=clock.now(),
    )
    return _keep(world, card=card)


def _card_state(world: World) -> Any:
    from quanban.supervision.models import CardEvent, SupervisionNote

    card = CardEvent.objects.get(pk=vars(world)["card"].pk)
    return card.acknowledged_at, card.explanation, SupervisionNote.objects.count()


def _my_case_body(world: World) -> dict[str, Any]:
    _citizen_person(world)
    return {"item_version_id": _case_item(world).pk}


def _case_state(world: World) -> Any:
    from quanban.cases.models import Case

    return Case.objects.filter(pk=vars(world)["case"].pk).values_list("state", "version").get()


def _case_count(world: World) -> int:
    from quanban.cases.models import Case

    return Case.objects.count()


def _task_state(world: World) -> Any:
    from quanban.cases.models import Task

    task = Task.objects.filter(pk=vars(world)["task"].pk)
    return task.values_list("state", "assignee", "version").get()


def _case_write(allowed: int = 200, **others: int) -> dict[str, Outcome]:
    """A write on a case: the city's window clerk may; the editor cannot see the case."""
    return api_only({CLERK: allowed, EDITOR: 404, **others})


def _case_url(make: Callable[[World], Any], action: str) -> Callable[[World], str]:
    return lambda w: f"/api/v1/cases/{make(w).pk}/{action}"


def _task_url(make: Callable[[World], Any], action: str) -> Callable[[World], str]:
    return lambda w: f"/api/v1/tasks/{make(w).pk}/{action}"


STAFF_READ = {c: 200 for c in STAFF}
HIDDEN = {c: 404 for c in STAFF} | {CLERK: 200}
APPLICANT = api_only({CITIZEN: 200})

API.update(
    {
        "POST /api/v1/cases": Row(
            "POST",
            "/api/v1/cases",
            api_only({CLERK: 201, EDITOR: 201}),
            body=lambda w: {
                "item_version_id": _case_item(w).pk,
                "person_id": w.person.pk,
                "channel": "8",
                "window_id": w.city.window.pk,
            },
            state=_case_count,
        ),
        "GET /api/v1/cases": Row("GET", "/api/v1/cases?state=received", api_only(STAFF_READ)),
        "GET /api/v1/cases/{case_id}": Row(
            "GET", lambda w: f"/api/v1/cases/{_case(w).pk}", api_only(HIDDEN)
        ),
        "POST /api/v1/cases/{case_id}/accept": Row(
            "POST",
            _case_url(_case, "accept"),
            _case_write(),
            body=lambda w: {"version": 1},
            state=_case_state,
        ),
        "POST /api/v1/cases/{case_id}/supplement-request": Row(
            "POST",
            _case_url(lambda w: _case(w, ticked=False), "supplement-request"),
            _case_write(),
            body=lambda w: {},
            state=_case_state,
        ),
        "POST /api/v1/cases/{case_id}/refuse": Row(
            "POST",
            _case_url(_case, "refuse"),
            _case_write(),
            body=lambda w: REFUSAL,
            state=_case_state,
        ),
        "POST /api/v1/cases/{case_id}/suspend": Row(
            "POST",
            _case_url(_accepted, "suspend"),
            _case_write(),
            body=lambda w: {"kind": "inspection", "reason": "现场核查"},
            state=_case_state,
        ),
        "POST /api/v1/cases/{case_id}/resume": Row(
            "POST",
            _case_url(_suspended, "resume"),
            _case_write(),
            body=lambda w: {},
            state=_case_state,
        ),
        # Only an approver or head of the lead department extends (none of the callers is).
        "POST /api/v1/cases/{case_id}/extend": Row(
            "POST",
            _case_url(_accepted, "extend"),
            _case_write(403),
            body=lambda w: {"days": 5, "reason": "需专家论证"},
            state=_case_state,
        ),
        # After acceptance only an approver or head of the lead department terminates.
        "POST /api/v1/cases/{case_id}/terminate": Row(
            "POST",
            _case_url(_accepted, "terminate"),
            _case_write(403),
            body=lambda w: {"termination": "withdrawn", "note": "申请人撤回"},
            state=_case_state,
        ),
        "POST /api/v1/cases/{case_id}/deferred-supply": Row(
            "POST",
            _case_url(_deferred, "deferred-supply"),
            _case_write(),
            body=lambda w: {"material_ids": [vars(w)["case"].item_version.materials.get(seq=2).pk]},
            state=_case_state,
        ),
        "POST /api/v1/cases/{case_id}/deliver": Row(
            "POST",
            _case_url(_posted, "deliver"),
            _case_write(),
            body=lambda w: {},
            state=_case_state,
        ),
        "POST /api/v1/cases/{case_id}/on-the-spot": Row(
            "POST",
            _case_url(
                lambda w: _case(w, case_kind="1", legal_limit_days=0, promised_limit_days=0),
                "on-the-spot",
            ),
            _case_write(),
            body=lambda w: {},
            state=_case_state,
        ),
        "GET /api/v1/tasks": Row("GET", "/api/v1/tasks?scope=team", api_only(STAFF_READ)),
        "GET /api/v1/tasks/{task_id}": Row(
            "GET", lambda w: f"/api/v1/tasks/{_issue_task(w).pk}", api_only(HIDDEN)
        ),
        "POST /api/v1/tasks/{task_id}/claim": Row(
            "POST",
            _task_url(_issue_task, "claim"),
            _case_write(),
            body=lambda w: {},
            state=_task_state,
        ),
        "POST /api/v1/tasks/{task_id}/release": Row(
            "POST",
            _task_url(lambda w: _issue_task(w, claimed=True), "release"),
            _case_write(),
            body=lambda w: {},
            state=_task_state,
        ),
        "POST /api/v1/tasks/{task_id}/complete": Row(
            "POST",
            _task_url(_issue_task, "complete"),
            _case_write(),
            body=lambda w: {"outcome": "issued", "delivery": "window"},
            state=_task_state,
        ),
        "POST /api/v1/my/cases": Row(
            "POST",
            "/api/v1/my/cases",
            api_only({CITIZEN: 201}),
            body=_my_case_body,
            state=_case_count,
        ),
        "GET /api/v1/my/cases": Row("GET", "/api/v1/my/cases", APPLICANT),
        "GET /api/v1/my/prefill": Row(
            "GET",
            lambda w: f"/api/v1/my/prefill?item_version_id={_my_case_body(w)['item_version_id']}",
            APPLICANT,
        ),
        "GET /api/v1/my/cases/{case_id}": Row(
            "GET", lambda w: f"/api/v1/my/cases/{_my_case(w).pk}", APPLICANT
        ),
        "POST /api/v1/my/cases/{case_id}/withdraw": Row(
            "POST",
            lambda w: f"/api/v1/my/cases/{_my_case(w, accepted=True).pk}/withdraw",
            APPLICANT,
            body=lambda w: {"note": "不办了"},
            state=_case_state,
        ),
    }
)


@pytest.fixture(autouse=True)
def _cases_on_a_covered_day(request):
    """Case rows accept cases and count working days: they run on a day the calendar covers."""
    callspec = getattr(request.node, "callspec", None)
    key = callspec.params.get("key", "") if callspec else ""
    if not key.partition(" ")[2].startswith(CASE_API_PREFIXES) and not key.startswith(
        CASE_PAGE_PREFIXES
    ):
        yield
        return
    import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine

    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        yield


# --- The table: every other URL pattern (keyed by its Django route) --------------------------

PAGES: dict[str, Row] = {
    # ninja's own URLs and the API's catch-all.
    "api/v1/openapi.json": Row("GET", "/api/v1/openapi.json", everyone(200)),
    "api/v1/docs": Row("GET", "/api/v1/docs", everyone(200)),
    "api/v1/": Row("GET", "/api/v1/", everyone(404)),
    "^api/": Row("GET", "/api/v1/no-such-resource", everyone(404)),
    "i18n/setlang/": Row("POST", "/i18n/setlang/", everyone(302)),
    # The portal and public screens.
    "": Row("GET", "/", everyone(200)),
    "portal/login/": Row("GET", "/portal/login/", everyone(200)),
    "portal/login/code/": Row("GET", "/portal/login/code/", everyone(302)),
    "portal/register/": Row("GET", "/portal/register/", everyone(200)),
    "screens/hall/": Row("GET", "/screens/hall/", everyone(200)),
    "search/": Row("GET", "/search/?q=yyzz", everyone(200)),
    # Sign-in and account.
    "login/": Row("GET", "/login/", everyone(200)),
    "login/verify/": Row("GET", "/login/verify/", everyone(302)),
    "logout/": Row("POST", "/logout/", everyone(302)),
    "account/password/": Row("GET", "/account/password/", {**everyone(200), ANON: 302}),
    # The staff workbench.
    "workbench/": Row("GET", "/workbench/", page_only(STAFF)),
    "workbench/audit/": Row("GET", "/workbench/audit/", page_only((AUDITOR,))),
    "workbench/cards/": Row("GET", "/workbench/cards/", page_only(STAFF)),
    # Nobody of the matrix answers for the card (404); the supervisor sees it but may not
    # explain it (403) and may add a 督办 note (302).
    "workbench/cards/<int:card_id>/acknowledge/": Row(
        "POST",
        lambda w: f"/workbench/cards/{_card(w).pk}/acknowledge/",
        {**everyone(404), ANON: LOGIN, CITIZEN: 403, SUPERVISOR: 403},
        body=lambda w: {f"a{vars(w)['card'].pk}-explanation": "已签收办理"},
        state=_card_state,
        form=True,
    ),
    "workbench/cards/<int:card_id>/note/": Row(
        "POST",
        lambda w: f"/workbench/cards/{_card(w).pk}/note/",
        {**everyone(404), ANON: LOGIN, CITIZEN: 403, SUPERVISOR: 302},
        body=lambda w: {
            f"n{vars(w)['card'].pk}-text": "请于期限内办结",
            f"n{vars(w)['card'].pk}-due_on": "2027-12-31",
        },
        state=_card_state,
        form=True,
    ),
    "workbench/search/synonyms/": Row("GET", "/workbench/search/synonyms/", page_only((SYSADMIN,))),
}


# --- The catalogue's pages: public guides and lists, the workbench's catalogue ----------------


def staff_write(allowed: tuple[str, ...]) -> dict[str, Outcome]:
    """A staff form post: anonymous → login, allowed → redirect (302), everyone else → 403."""
    return {c: (LOGIN if c == ANON else 302 if c in allowed else 403) for c in CALLERS}


def _catalogue_draft(world: World) -> Any:
    """A fresh draft of the city's first department with one material; kept as world.version."""
    from quanban.catalogue import services as catalogue

    version = catalogue.item_create(
        user=None,
        implementing_department=world.city.department,
        basic_code=f"{world.n():012d}",
        exercise_level="3",
        name="矩阵测试事项",
        item_type="01",
        case_kind="2",
        legal_limit_days=20,
        promised_limit_days=5,
        legal_basis=[{"law": "《中华人民共和国行政许可法》", "article": "第十二条"}],
    )
    catalogue.material_add(
        user=None, version=version, name="申请书", form="1", necessity="1", source="10"
    )
    catalogue.situation_add(
        user=None, version=version, question="是否委托？", options=[{"label": "是"}]
    )
    world.version = version  # type: ignore[attr-defined]
    return version


def _catalogue_submitted(world: World) -> Any:
    from quanban.catalogue import services as catalogue

    return catalogue.version_submit(user=None, version=_catalogue_draft(world))


def _catalogue_published(world: World) -> Any:
    from quanban.catalogue import services as catalogue

    return catalogue.version_publish(user=None, version=_catalogue_submitted(world))


def _version_state(world: World) -> Any:
    from quanban.catalogue.models import ItemVersion

    return ItemVersion.objects.get(pk=world.version.pk).state  # type: ignore[attr-defined]


def _count(model: str) -> Callable[[World], int]:
    def count(world: World) -> int:
        from django.apps import apps

        return apps.get_model("catalogue", model).objects.count()

    return count


CATALOGUE = "workbench/catalogue/"
PAGES.update(
    {
        "items/<int:item_id>/": Row(
            "GET", lambda w: f"/items/{_catalogue_published(w).item_id}/", everyone(200)
        ),
        "items/<int:item_id>/materials/": Row(
            "GET",
            lambda w: f"/items/{_catalogue_published(w).item_id}/materials/?s1=1",
            everyone(200),
        ),
        "items/<int:item_id>/checklist.pdf": Row(
            "GET",
            lambda w: f"/items/{_catalogue_published(w).item_id}/checklist.pdf",
            everyone(200),
        ),
        "lists/": Row("GET", "/lists/", everyone(200)),
        "lists/<slug:slug>/": Row("GET", "/lists/on-the-spot/?format=xlsx", everyone(200)),
        CATALOGUE: Row("GET", "/workbench/catalogue/", page_only((EDITOR,))),
        CATALOGUE + "new/": Row(
            "POST",
            "/workbench/catalogue/new/",
            staff_write((EDITOR,)),
            body=lambda w: {
                "implementing_department": w.city.department.pk,
                "basic_code": f"{w.n():012d}",
                "exercise_level": "3",
                "name": "新建事项",
                "item_type": "01",
                "case_kind": "2",
                "legal_limit_days": "20",
                "promised_limit_days": "5",
            },
            state=_count("ServiceItem"),
            form=True,
        ),
        CATALOGUE + "items/<int:item_id>/new-draft/": Row(
            "POST",
            lambda w: f"/workbench/catalogue/items/{_catalogue_published(w).item_id}/new-draft/",
            staff_write((EDITOR,)),
            state=_count("ItemVersion"),
        ),
        CATALOGUE + "versions/<int:version_id>/": Row(
            "GET",
            lambda w: f"/workbench/catalogue/versions/{_catalogue_draft(w).pk}/",
            page_only((EDITOR,)),
        ),
        CATALOGUE + "versions/<int:version_id>/validate/": Row(
            "GET",
            lambda w: f"/workbench/catalogue/versions/{_catalogue_draft(w).pk}/validate/",
            page_only((EDITOR,)),
        ),
        CATALOGUE + "versions/<int:version_id>/submit/": Row(
            "POST",
            lambda w: f"/workbench/catalogue/versions/{_catalogue_draft(w).pk}/submit/",
            staff_write((EDITOR,)),
            state=_version_state,
        ),
        CATALOGUE + "versions/<int:version_id>/materials/": Row(
            "POST",
            lambda w: f"/workbench/catalogue/versions/{_catalogue_draft(w).pk}/materials/",
            staff_write((EDITOR,)),
            body=lambda w: {
                "name": "营业执照",
                "form": "1",
                "original_count": "1",
                "copy_count": "0",
                "necessity": "1",
                "source": "10",
            },
            state=_count("Material"),
            form=True,
        ),
        CATALOGUE + "versions/<int:version_id>/situations/": Row(
            "POST",
            lambda w: f"/workbench/catalogue/versions/{_catalogue_draft(w).pk}/situations/",
            staff_write((EDITOR,)),
            body=lambda w: {"question": "申请人类型？", "option_1_label": "企业"},
            state=_count("Situation"),
            form=True,
        ),
        CATALOGUE + "materials/<int:material_id>/": Row(
            "GET",
            lambda w: f"/workbench/catalogue/materials/{_catalogue_draft(w).materials.get().pk}/",
            page_only((EDITOR,)),
        ),
        CATALOGUE + "materials/<int:material_id>/remove/": Row(
            "POST",
            lambda w: (
                f"/workbench/catalogue/materials/{_catalogue_draft(w).materials.get().pk}/remove/"
            ),
            staff_write((EDITOR,)),
            state=_count("Material"),
        ),
        CATALOGUE + "situations/<int:situation_id>/remove/": Row(
            "POST",
            lambda w: (
                f"/workbench/catalogue/situations/{_catalogue_draft(w).situations.get().pk}/remove/"
            ),
            staff_write((EDITOR,)),
            state=_count("Situation"),
        ),
        # Reviewers: no caller of the matrix holds the catalogue reviewer role.
        CATALOGUE + "review/": Row("GET", "/workbench/catalogue/review/", page_only(())),
        CATALOGUE + "review/<int:version_id>/": Row(
            "GET",
            lambda w: f"/workbench/catalogue/review/{_catalogue_submitted(w).pk}/",
            page_only(()),
        ),
        CATALOGUE + "review/<int:version_id>/publish/": Row(
            "POST",
            lambda w: f"/workbench/catalogue/review/{_catalogue_submitted(w).pk}/publish/",
            staff_write(()),
            state=_version_state,
        ),
        CATALOGUE + "review/<int:version_id>/return/": Row(
            "POST",
            lambda w: f"/workbench/catalogue/review/{_catalogue_submitted(w).pk}/return/",
            staff_write(()),
            body=lambda w: {"reason": "请补充材料。"},
            state=_version_state,
            form=True,
        ),
    }
)


# --- The case pages: the workbench's intake, inbox and case page; the applicant's portal -------
# CLERK is a window clerk for the whole city (every window, every case, the issue step); EDITOR
# has business permission but no window (403 on intake) and no case in view (404). Extending and
# terminating need an approver or a head, whom no caller of the matrix is (tests/web covers them).

CASE_PAGE_PREFIXES = (
    "workbench/cases/",
    "my/cases/",
    "my/identity/",
    "items/<int:item_id>/apply/",
)
CASES = "workbench/cases/"
CASE_PAGE = CASES + "<int:case_id>/"
TASK_PAGE = CASES + "tasks/<int:task_id>/"


def _case_page(allowed: Outcome) -> dict[str, Outcome]:
    """A case page or form: the clerk gets ``allowed``, the editor 404, other staff 403."""
    return {**page_only((CLERK,)), CLERK: allowed, EDITOR: 404}


def _portal(allowed: Outcome) -> dict[str, Outcome]:
    """An applicant's page: the citizen gets ``allowed``, staff 403, visitors the portal login."""
    return {**everyone(403), ANON: PORTAL_LOGIN, CITIZEN: allowed}


def _version_body(world: World) -> dict[str, Any]:
    return {"version": _case_state(world)[1]}  # the version as it is now


def _task_body(world: World, **fields: Any) -> dict[str, Any]:
    return {"version": vars(world)["task"].version, **fields}


def _uploaded(world: World) -> Any:
    """An online submission with its application form uploaded (waiting for the online window)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from quanban.cases import services as cases

    _citizen_person(world)
    version = _case_item(world)
    upload = SimpleUploadedFile("申请书.pdf", b"%PDF-1.4", content_type="application/pdf")
    case = cases.case_submit_online(
        user=world.users[CITIZEN],
        item_version=version,
        answers={},
        files={version.materials.get(seq=1).pk: upload},
    )
    return _keep(world, case=case)


PAGES.update(
    {
        CASES: Row("GET", "/workbench/cases/?scope=team", page_only((CLERK, EDITOR))),
        CASES + "all/": Row("GET", "/workbench/cases/all/", page_only((CLERK, EDITOR))),
        CASES + "intake/": Row("GET", "/workbench/cases/intake/?q=shipin", page_only((CLERK,))),
        CASES + "intake/<int:item_id>/": Row(
            "POST",
            lambda w: f"/workbench/cases/intake/{_case_item(w).item_id}/",
            staff_write((CLERK,)),
            body=lambda w: {
                "window": w.city.window.pk,
                "applicant_kind": "person",
                "id_number": w.person.id_number,
                "action": "notice",
            },
            state=_case_count,
            form=True,
        ),
        CASE_PAGE: Row("GET", lambda w: f"/workbench/cases/{_accepted(w).pk}/", _case_page(200)),
        CASE_PAGE + "intake/": Row(
            "POST",
            lambda w: f"/workbench/cases/{_case(w).pk}/intake/",
            _case_page(302),
            body=lambda w: {**_version_body(w), "action": "accept"},
            state=_case_state,
            form=True,
        ),
        CASE_PAGE + "suspend/": Row(
            "POST",
            lambda w: f"/workbench/cases/{_accepted(w).pk}/suspend/",
            _case_page(302),
            body=lambda w: {**_version_body(w), "kind": "inspection", "reason": "现场核查"},
            state=_case_state,
            form=True,
        ),
        CASE_PAGE + "resume/": Row(
            "POST",
            lambda w: f"/workbench/cases/{_suspended(w).pk}/resume/",
            _case_page(302),
            body=_version_body,
            state=_case_state,
            form=True,
        ),
        CASE_PAGE + "extend/": Row(
            "POST",
            lambda w: f"/workbench/cases/{_accepted(w).pk}/extend/",
            _case_page(403),
            body=lambda w: {**_version_body(w), "days": "5", "reason": "需专家论证"},
            state=_case_state,
            form=True,
        ),
        CASE_PAGE + "terminate/": Row(
            "POST",
            lambda w: f"/workbench/cases/{_accepted(w).pk}/terminate/",
            _case_page(403),
            body=lambda w: {**_version_body(w), "termination": "withdrawn", "note": "撤回"},
            state=_case_state,
            form=True,
        ),
        CASE_PAGE + "supply/": Row(
            "POST",
            lambda w: f"/workbench/cases/{_deferred(w).pk}/supply/",
            _case_page(302),
            body=lambda w: {
                **_version_body(w),
                "material_ids": [vars(w)["case"].item_version.materials.get(seq=2).pk],
            },
            state=_case_state,
            form=True,
        ),
        CASE_PAGE + "deliver/": Row(
            "POST",
            lambda w: f"/workbench/cases/{_posted(w).pk}/deliver/",
            _case_page(302),
            body=_version_body,
            state=_case_state,
            form=True,
        ),
        CASE_PAGE + "notices/<slug:notice>.pdf": Row(
            "GET",
            lambda w: f"/workbench/cases/{_accepted(w).pk}/notices/acceptance.pdf",
            _case_page(200),
        ),
        CASE_PAGE + "materials/<int:material_id>/file/": Row(
            "GET",
            lambda w: (
                f"/workbench/cases/{_uploaded(w).pk}/materials/"
                f"{_case_item(w).materials.get(seq=1).pk}/file/"
            ),
            _case_page(200),
        ),
        TASK_PAGE + "claim/": Row(
            "POST",
            lambda w: f"/workbench/cases/tasks/{_issue_task(w).pk}/claim/",
            _case_page(302),
            body=_task_body,
            state=_task_state,
            form=True,
        ),
        TASK_PAGE + "release/": Row(
            "POST",
            lambda w: f"/workbench/cases/tasks/{_issue_task(w, claimed=True).pk}/release/",
            _case_page(302),
            body=_task_body,
            state=_task_state,
            form=True,
        ),
        TASK_PAGE + "complete/": Row(
            "POST",
            lambda w: f"/workbench/cases/tasks/{_issue_task(w).pk}/complete/",
            _case_page(302),
            body=lambda w: _task_body(w, outcome="issued", delivery="window"),
            state=_task_state,
            form=True,
        ),
        "my/identity/": Row("GET", "/my/identity/", _portal(200)),
        "my/cases/": Row("GET", "/my/cases/", _portal(200)),
        "my/cases/<int:case_id>/": Row(
            "GET", lambda w: f"/my/cases/{_my_case(w).pk}/", _portal(200)
        ),
        "my/cases/<int:case_id>/withdraw/": Row(
            "POST",
            lambda w: f"/my/cases/{_my_case(w, accepted=True).pk}/withdraw/",
            _portal(302),
            body=_version_body,
            state=_case_state,
            form=True,
        ),
        "my/cases/<int:case_id>/notices/<slug:notice>.pdf": Row(
            "GET",
            lambda w: f"/my/cases/{_my_case(w, accepted=True).pk}/notices/acceptance.pdf",
            _portal(200),
        ),
        "items/<int:item_id>/apply/": Row(
            "POST",
            lambda w: f"/items/{_case_item(w).item_id}/apply/",
            _portal(302),
            body=lambda w: {"form_remarks": f"矩阵 {_citizen_person(w).pk}"},
            state=_case_count,
            form=True,
        ),
    }
)


# --- Notifications: the bell and list (everyone signed in), settings, failed messages ---------


def _in_app_for(world: World, caller: str) -> Any:
    from quanban.notify.services import notify_user

    user = world.users[caller]
    return notify_user(
        user=user, event="supervision_note", context={"text": "矩阵", "due": "2027-01-01"}
    )[0]


def _unread_for_everyone(world: World) -> dict[str, Any]:
    for caller in world.users:
        _in_app_for(world, caller)
    return {}


def _unread_count(world: World) -> int:
    from quanban.notify.models import OutboxMessage

    return OutboxMessage.objects.filter(channel="in_app", read_at__isnull=True).count()


def _clerks_message(world: World) -> Any:
    return _keep(world, message=_in_app_for(world, CLERK))


def _message_state(world: World) -> Any:
    from quanban.notify.models import OutboxMessage

    message = vars(world)["message"]
    return OutboxMessage.objects.filter(pk=message.pk).values_list("state", "read_at").get()


def _failed_message(world: World) -> Any:
    from quanban.core import clock
    from quanban.notify.models import OutboxMessage

    now = clock.now()
    message = OutboxMessage.objects.create(
        channel="sms",
        recipient="13800000009",
        body="矩阵",
        state="failed",
        attempts=6,
        created_at=now,
        next_attempt_at=now,
        last_error="gateway busy",
    )
    return _keep(world, message=message)


def _signed_in(allowed: Outcome) -> dict[str, Outcome]:
    """A page for anyone signed in; visitors go to the portal's login."""
    return {**everyone(allowed), ANON: PORTAL_LOGIN}


PAGES.update(
    {
        "notifications/": Row("GET", "/notifications/", _signed_in(200)),
        # The header's bell, polled: a visitor (a timed-out session) gets "nothing to swap".
        "notifications/bell/": Row("GET", "/notifications/bell/", {**everyone(200), ANON: 204}),
        "notifications/read-all/": Row(
            "POST",
            "/notifications/read-all/",
            _signed_in(302),
            body=_unread_for_everyone,
            state=_unread_count,
            form=True,
        ),
        # The clerk's own message: anyone else does not find it.
        "notifications/<uuid:message_id>/read/": Row(
            "POST",
            lambda w: f"/notifications/{_clerks_message(w).pk}/read/",
            {**_signed_in(404), CLERK: 302},
            body=lambda w: {},
            state=_message_state,
            form=True,
        ),
        "account/notifications/": Row("GET", "/account/notifications/", _signed_in(200)),
        "workbench/notifications/failed/": Row(
            "GET", "/workbench/notifications/failed/", page_only((SYSADMIN,))
        ),
        "workbench/notifications/failed/<uuid:message_id>/resend/": Row(
            "POST",
            lambda w: f"/workbench/notifications/failed/{_failed_message(w).pk}/resend/",
            staff_write((SYSADMIN,)),
            body=lambda w: {},
            state=_message_state,
            form=True,
        ),
    }
)


# --- Enumerating what exists ------------------------------------------------------------------


def _routes(resolver: URLResolver, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(_routes(entry, route))
        else:
            found.append((route, entry))
    return found


def _openapi_path(route: str) -> str:
    return "/" + re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", route)


# --- 绩效评估: supervisors read, compute and recompute; department heads (not a caller here) read
# their own department's rows (tests/supervision/test_evaluation.py); everyone else 403.


def _evaluation(world: World) -> Any:
    """February 2025's evaluation, computed by the worker (empty: no cases then)."""
    import datetime as dt

    from quanban.supervision.evaluation import evaluation_compute
    from quanban.supervision.models import EvaluationMonth

    existing = EvaluationMonth.objects.filter(month="2025-02-01").first()
    return existing or evaluation_compute(month=dt.date(2025, 2, 1))


def _evaluation_state(world: World) -> Any:
    from quanban.supervision.models import EvaluationMonth

    return list(EvaluationMonth.objects.order_by("month").values_list("month", "revision"))


PAGES.update(
    {
        "workbench/evaluation/": Row("GET", "/workbench/evaluation/", page_only((SUPERVISOR,))),
        "workbench/evaluation/compute/": Row(
            "POST",
            "/workbench/evaluation/compute/",
            staff_write((SUPERVISOR,)),
            body=lambda w: {"month": "2025-01"},
            state=_evaluation_state,
            form=True,
        ),
        "workbench/evaluation/<str:month>/": Row(
            "GET",
            lambda w: f"/workbench/evaluation/{_evaluation(w)}/",
            page_only((SUPERVISOR,)),
        ),
        "workbench/evaluation/<str:month>/export.xlsx": Row(
            "GET",
            lambda w: f"/workbench/evaluation/{_evaluation(w)}/export.xlsx",
            page_only((SUPERVISOR,)),
        ),
        "workbench/evaluation/<str:month>/recompute/": Row(
            "POST",
            lambda w: f"/workbench/evaluation/{_evaluation(w)}/recompute/",
            staff_write((SUPERVISOR,)),
            body=lambda w: {"confirm": "on"},
            state=_evaluation_state,
            form=True,
        ),
    }
)


# --- 数据看板: supervisors see every department, department heads (not a caller here) their own
# (tests/supervision/test_dashboards.py); everyone else 403.

PAGES.update(
    {
        "workbench/dashboard/": Row("GET", "/workbench/dashboard/", page_only((SUPERVISOR,))),
        "workbench/dashboard/export.xlsx": Row(
            "GET", "/workbench/dashboard/export.xlsx", page_only((SUPERVISOR,))
        ),
    }
)


# --- 数据共享 (docs/once-only.md): the material-reduction rate as the dashboards (supervisors, and
# department heads, whom no caller here is); the registry lookup for staff who handle business,
# every query logged (tests/datahub/).


def _registry_query_count(world: World) -> int:
    from quanban.datahub.models import RegistryQuery

    return RegistryQuery.objects.count()


PAGES.update(
    {
        "workbench/reduction/": Row("GET", "/workbench/reduction/", page_only((SUPERVISOR,))),
        "workbench/registries/": Row(
            "POST",
            "/workbench/registries/",
            {c: (LOGIN if c == ANON else 200 if c in (CLERK, EDITOR) else 403) for c in CALLERS},
            body=lambda w: {
                "registry": "population",
                "key": w.person.id_number,
                "purpose": "核对申请人户籍",
            },
            state=_registry_query_count,
            form=True,
        ),
    }
)
API["GET /api/v1/datahub/reduction"] = Row(
    "GET",
    "/api/v1/datahub/reduction?first_day=2026-06-01&last_day=2026-06-30",
    api_only({SUPERVISOR: 200}),
)


# --- 电子证照: verification is public; the holder (the citizen's company here) sees, downloads and
# shares; status changes belong to the issuing department's approvers and heads, whom no caller
# here is (tests/licences/ covers them): every other account gets "not found".


def _licence(world: World) -> Any:
    """A licence of the world's company, held through the citizen's account, issued from a 即办
    case (remembered)."""
    existing = vars(world).get("licence")
    if existing is not None:
        return existing
    import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine

    from quanban.cases import services as case_services
    from quanban.cases.models import Channel
    from quanban.licences import seals
    from quanban.licences.selectors import licence_ref_cache_clear
    from quanban.licences.services import licence_issue, licence_type_create
    from tests.catalogue import helpers as catalogue_helpers

    licence_ref_cache_clear()  # another test's rows may have had these ids
    department = world.city.department
    if not seals.seal_keys_list(department_code=department.uscc):
        seals.seal_key_create(department_code=department.uscc)
    world.entity.user = world.users[CITIZEN]
    world.entity.save(update_fields=["user"])
    clerk = world.users[CLERK]
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        licence_type_create(
            code=department.uscc + "001",
            name="矩阵许可证",
            defining_body="矩阵",
            defining_department=department,
            holder_kind="001",
            fields_schema={
                "type": "object",
                "properties": {"名称": {"type": "string", "x-source": "holder.name"}},
            },
            validity_years=None,
        )
        version = catalogue_helpers.published(
            department,
            basic_code=f"{world.n():012d}",
            case_kind="1",
            legal_limit_days=0,
            promised_limit_days=0,
            result_licence_type="矩阵许可证",
        )
        case = case_services.case_receive(
            user=clerk,
            item_version=version,
            applicant=world.entity,
            channel="8",
            answers={},
            window=world.city.window,
        )
        case = case_services.case_finish_on_the_spot(
            user=clerk,
            case=case,
            received_material_ids=list(case.materials.values_list("material_id", flat=True)),
        )
        licence = licence_issue(case=case, user=None)
    assert Channel.OFFLINE_ONE_WINDOW == "8"
    world.licence = licence  # type: ignore[attr-defined]
    return licence


def _licence_state(world: World) -> Any:
    from quanban.licences.models import Licence

    return list(Licence.objects.order_by("pk").values_list("status", "row_version"))


def _share_count(world: World) -> int:
    from quanban.core.models import AuditRecord

    return AuditRecord.objects.filter(action="licence.share").count()


def _share_token(world: World) -> str:
    from quanban.licences.services import licence_share_create

    token, _expires = licence_share_create(licence=_licence(world), user=world.users[CITIZEN])
    return token


LICENCE_MANAGERS_ONLY = {**everyone(404), ANON: 401}
LICENCE_PAGES = {**everyone(404), ANON: LOGIN, CITIZEN: 403}

API.update(
    {
        "GET /api/v1/licences/verify/{identifier}": Row(
            "GET", lambda w: f"/api/v1/licences/verify/{_licence(w).identifier}", everyone(200)
        ),
        "GET /api/v1/my/licences": Row("GET", "/api/v1/my/licences", APPLICANT),
        "POST /api/v1/my/licences/{licence_id}/share": Row(
            "POST",
            lambda w: f"/api/v1/my/licences/{_licence(w).pk}/share",
            api_only({CITIZEN: 201}),
            body=lambda w: {"hours": 24},
            state=_share_count,
        ),
        "GET /api/v1/licences/{licence_id}": Row(
            "GET", lambda w: f"/api/v1/licences/{_licence(w).pk}", LICENCE_MANAGERS_ONLY
        ),
        **{
            f"POST /api/v1/licences/{{licence_id}}/{action}": Row(
                "POST",
                lambda w, action=action: f"/api/v1/licences/{_licence(w).pk}/{action}",
                LICENCE_MANAGERS_ONLY,
                body=lambda w: {"reason": "矩阵"},
                state=_licence_state,
            )
            for action in ("suspend", "reinstate", "revoke", "renew")
        },
    }
)

PAGES.update(
    {
        "verify/": Row("GET", lambda w: f"/verify/?id={_licence(w).identifier}", everyone(200)),
        "verify/s/<str:token>/": Row(
            "GET", lambda w: f"/verify/s/{_share_token(w)}/", everyone(200)
        ),
        # The issuing department's pages: no caller here manages licences (tests/licences/
        # test_staff_pages.py covers those who do): the list refuses, a licence is not found.
        "workbench/licences/": Row("GET", "/workbench/licences/", page_only(())),
        "workbench/licences/<int:licence_id>/": Row(
            "GET", lambda w: f"/workbench/licences/{_licence(w).pk}/", LICENCE_PAGES
        ),
        "workbench/licences/<int:licence_id>/licence.pdf": Row(
            "GET", lambda w: f"/workbench/licences/{_licence(w).pk}/licence.pdf", LICENCE_PAGES
        ),
        "workbench/licences/<int:licence_id>/<str:action>/": Row(
            "POST",
            lambda w: f"/workbench/licences/{_licence(w).pk}/revoke/",
            LICENCE_PAGES,
            body=lambda w: {"revoke-reason": "矩阵", "revoke-version": "1"},
            state=_licence_state,
            form=True,
        ),
        "my/licences/": Row("GET", "/my/licences/", _portal(200)),
        "my/licences/<int:licence_id>/licence.pdf": Row(
            "GET", lambda w: f"/my/licences/{_licence(w).pk}/licence.pdf", _portal(200)
        ),
        "my/licences/<int:licence_id>/share/": Row(
            "POST",
            lambda w: f"/my/licences/{_licence(w).pk}/share/",
            _portal(302),
            body=lambda w: {"hours": "24"},
            state=_share_count,
            form=True,
        ),
    }
)


# --- 电子档案: supervisors list the packages (no personal data in the list); downloading a package
# (the whole case, unmasked) is for department and office heads of its department, whom no caller
# here is (tests/licences/test_archives.py covers them): a denied download writes no audit record.


def _archive(world: World) -> Any:
    """The archive package of the world's finished 即办 case (its licence's), remembered."""
    existing = vars(world).get("archive")
    if existing is not None:
        return existing
    from django.conf import settings

    from quanban.licences import archives, seals

    case = _licence(world).case
    if not seals.seal_keys_list(department_code=settings.PLATFORM_SEAL_CODE):
        seals.seal_key_create(department_code=settings.PLATFORM_SEAL_CODE)
    world.archive = archives.archive_build(case=case)  # type: ignore[attr-defined]
    return world.archive  # type: ignore[attr-defined]


def _archive_downloads(world: World) -> int:
    from quanban.core.models import AuditRecord

    return AuditRecord.objects.filter(action="archive.download").count()


PAGES.update(
    {
        "workbench/archives/": Row(
            "GET",
            lambda w: f"/workbench/archives/?due_on={_archive(w).dispose_on}",
            page_only((SUPERVISOR,)),
        ),
        "workbench/archives/<int:package_id>/package.zip": Row(
            "GET",
            lambda w: f"/workbench/archives/{_archive(w).pk}/package.zip",
            page_only(()),
            state=_archive_downloads,
        ),
    }
)

# --- 好差评 and 找茬 (docs/feedback.md): the applicant rates their finished case; the window's
# clerk opens the pad and only their session rates on it; anyone with an SMS link rates through
# it; anyone but staff complains; the follow-ups are their office's (every caller of the matrix
# works in the city's first office): the rated clerk may not handle one, the editor (business
# permission, same office) may; supervisors export.


def _fb_finished(world: World) -> Any:
    """A 即办 case of the citizen's own person, finished at the window (kept as world.case)."""
    from quanban.cases import services as cases

    version = _case_item(world, case_kind="1", legal_limit_days=0, promised_limit_days=0)
    case = cases.case_receive(
        user=world.users[CLERK],
        item_version=version,
        applicant=_citizen_person(world),
        channel="8",
        answers={},
        window=world.city.window,
    )
    case = cases.case_finish_on_the_spot(
        user=world.users[CLERK], case=case, received_material_ids=[version.materials.get().pk]
    )
    return _keep(world, case=case)


def _fb_sms_token(world: World) -> str:
    from quanban.feedback import services as feedback
    from quanban.notify.models import OutboxMessage

    feedback.rating_invite(case=_fb_finished(world))
    message = OutboxMessage.objects.filter(event="rating_invite").order_by("-created_at").first()
    assert message is not None
    return message.body.split("/rate/")[1].split("/")[0]


def _fb_pad_token(world: World) -> str:
    from quanban.feedback import services as feedback

    _invite, token = feedback.rating_pad_open(user=world.users[CLERK], window=world.city.window)
    return token


def _fb_followup(world: World, *, rectified: bool = False) -> Any:
    """An open follow-up of the citizen's bad rating (kept as world.followup); rectified by a
    head of the office when asked."""
    from quanban.feedback import services as feedback
    from quanban.feedback.models import FollowUp

    rating = feedback.rating_submit_for_case(
        user=world.users[CITIZEN], case=_fb_finished(world), level=1, text="矩阵差评"
    )
    followup = FollowUp.objects.get(rating=rating)
    if rectified:
        head = vars(world).get("fb_head") or _keep(
            world, fb_head=factories.make_staff(world.city, Role.OFFICE_HEAD)
        )
        followup = feedback.followup_rectify(user=head, followup=followup, rectification="已整改")
    return _keep(world, followup=followup)


def _fb_complaint_followup(world: World) -> Any:
    """The follow-up of an anonymous complaint about the city's hall (kept as world.followup)."""
    from quanban.feedback import services as feedback
    from quanban.feedback.models import FollowUp

    complaint = feedback.complaint_submit(user=None, **_fb_hall_complaint(world))
    return _keep(world, followup=FollowUp.objects.get(complaint=complaint))


def _fb_upheld_state(world: World) -> Any:
    from quanban.feedback.models import Complaint

    return (
        Complaint.objects.filter(follow_up=vars(world)["followup"])
        .values_list("upheld", "verified_by")
        .get()
    )


def _fb_followup_state(world: World) -> Any:
    from quanban.feedback.models import FollowUp

    followup = FollowUp.objects.filter(pk=vars(world)["followup"].pk)
    return followup.values_list("state", "verdict", "version").get()


def _fb_count(model: str) -> Callable[[World], int]:
    def count(world: World) -> int:
        from django.apps import apps

        return apps.get_model("feedback", model).objects.count()

    return count


def _fb_hall_complaint(world: World) -> dict[str, Any]:
    return {
        "target": "hall",
        "target_id": world.city.hall.pk,
        "category": "environment",
        "text": "矩阵找茬",
        "anonymous": True,
    }


def _fb_bad_rating(world: World) -> Any:
    """A bad rating of the citizen's finished case, about the clerk and the city's first office
    (kept as world.rating)."""
    from quanban.feedback import services as feedback

    rating = feedback.rating_submit_for_case(
        user=world.users[CITIZEN], case=_fb_finished(world), level=1, text="矩阵申诉"
    )
    return _keep(world, rating=rating)


def _fb_appeal(world: World) -> Any:
    """A pending appeal of the clerk against a bad rating, with evidence (kept as world.appeal)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from quanban.feedback import services as feedback

    appeal = feedback.appeal_file(
        user=world.users[CLERK],
        rating_id=_fb_bad_rating(world).pk,
        reason="malicious",
        statement="评价人当场表示故意给差评",
        evidence=SimpleUploadedFile("video.txt", b"evidence"),
    )
    return _keep(world, appeal=appeal)


def _fb_appeal_state(world: World) -> Any:
    from quanban.feedback.models import RatingAppeal

    appeal = RatingAppeal.objects.filter(pk=vars(world)["appeal"].pk)
    return appeal.values_list("state", "rating__appeal_upheld").get()


_FB_STAFF_READ = {c: 200 for c in STAFF}
API.update(
    {
        "POST /api/v1/my/cases/{case_id}/rating": Row(
            "POST",
            lambda w: f"/api/v1/my/cases/{_fb_finished(w).pk}/rating",
            api_only({CITIZEN: 201}),
            body=lambda w: {"level": 4, "efficiency": 5},
            state=_fb_count("Rating"),
        ),
        "POST /api/v1/feedback/pad": Row(
            "POST",
            "/api/v1/feedback/pad",
            api_only({CLERK: 201}),
            body=lambda w: {"window_id": w.city.window.pk},
            state=_fb_count("RatingInvite"),
        ),
        "POST /api/v1/feedback/pad/rating": Row(
            "POST",
            "/api/v1/feedback/pad/rating",
            api_only({CLERK: 201}),
            body=lambda w: {"token": _fb_pad_token(w), "level": 5, "attitude": 5},
            state=_fb_count("Rating"),
        ),
        "POST /api/v1/feedback/rate": Row(
            "POST",
            "/api/v1/feedback/rate",
            everyone(201),
            body=lambda w: {"token": _fb_sms_token(w), "level": 5},
            state=_fb_count("Rating"),
        ),
        "GET /api/v1/feedback/results/{scope}/{subject_id}": Row(
            "GET",
            lambda w: f"/api/v1/feedback/results/department/{w.city.department.pk}",
            everyone(200),
        ),
        "POST /api/v1/feedback/complaints": Row(
            "POST",
            "/api/v1/feedback/complaints",
            {**everyone(403), ANON: 201, CITIZEN: 201},
            body=_fb_hall_complaint,
            state=_fb_count("Complaint"),
        ),
        "GET /api/v1/my/feedback": Row("GET", "/api/v1/my/feedback", api_only({CITIZEN: 200})),
        "POST /api/v1/my/feedback/followups/{followup_id}/verdict": Row(
            "POST",
            lambda w: f"/api/v1/my/feedback/followups/{_fb_followup(w, rectified=True).pk}/verdict",
            api_only({CITIZEN: 200}),
            body=lambda w: {"verdict": "satisfied"},
            state=_fb_followup_state,
        ),
        "GET /api/v1/feedback/followups": Row(
            "GET", "/api/v1/feedback/followups", api_only(_FB_STAFF_READ)
        ),
        "POST /api/v1/feedback/followups/{followup_id}/contact": Row(
            "POST",
            lambda w: f"/api/v1/feedback/followups/{_fb_followup(w).pk}/contact",
            api_only({EDITOR: 200}),
            body=lambda w: {"note": "已回访", "version": 1},
            state=_fb_followup_state,
        ),
        "GET /api/v1/feedback/appeals": Row(
            "GET", "/api/v1/feedback/appeals", api_only(_FB_STAFF_READ)
        ),
        "POST /api/v1/feedback/ratings/{rating_id}/appeal": Row(
            "POST",
            lambda w: f"/api/v1/feedback/ratings/{_fb_bad_rating(w).pk}/appeal",
            # The rated clerk and the editor (business permission, the rating's office).
            api_only({CLERK: 201, EDITOR: 201}),
            body=lambda w: {"reason": "mistaken", "statement": "评价人选错了等级"},
            state=_fb_count("RatingAppeal"),
        ),
        "POST /api/v1/feedback/appeals/{appeal_id}/decision": Row(
            "POST",
            lambda w: f"/api/v1/feedback/appeals/{_fb_appeal(w).pk}/decision",
            api_only({SUPERVISOR: 200}),
            body=lambda w: {"decision": "upheld", "note": "视频证实为恶意评价"},
            state=_fb_appeal_state,
        ),
        "POST /api/v1/feedback/followups/{followup_id}/rectify": Row(
            "POST",
            lambda w: f"/api/v1/feedback/followups/{_fb_followup(w).pk}/rectify",
            api_only({EDITOR: 200}),
            body=lambda w: {"rectification": "已整改"},
            state=_fb_followup_state,
        ),
    }
)
FB = "workbench/feedback/"
PAGES.update(
    {
        "my/cases/<int:case_id>/rate/": Row(
            "POST",
            lambda w: f"/my/cases/{_fb_finished(w).pk}/rate/",
            _portal(302),
            body=lambda w: {"level": "4"},
            state=_fb_count("Rating"),
            form=True,
        ),
        "my/feedback/": Row("GET", "/my/feedback/", _portal(200)),
        "my/feedback/followups/<int:followup_id>/verdict/": Row(
            "POST",
            lambda w: f"/my/feedback/followups/{_fb_followup(w, rectified=True).pk}/verdict/",
            _portal(302),
            body=lambda w: {"verdict": "basic"},
            state=_fb_followup_state,
            form=True,
        ),
        "rate/<str:token>/": Row(
            "POST",
            lambda w: f"/rate/{_fb_sms_token(w)}/",
            everyone(200),
            body=lambda w: {"level": "5"},
            state=_fb_count("Rating"),
            form=True,
        ),
        "complaints/new/": Row(
            "POST",
            "/complaints/new/",
            {**everyone(403), ANON: 200, CITIZEN: 200},
            body=lambda w: {**_fb_hall_complaint(w), "anonymous": "on"},
            state=_fb_count("Complaint"),
            form=True,
        ),
        "feedback/": Row("GET", "/feedback/", everyone(200)),
        "feedback/rankings/": Row("GET", "/feedback/rankings/", everyone(200)),
        "feedback/<str:scope>/<int:subject_id>/": Row(
            "GET", lambda w: f"/feedback/department/{w.city.department.pk}/", everyone(200)
        ),
        FB + "pad/": Row(
            "POST",
            "/workbench/feedback/pad/",
            staff_write((CLERK,)),
            body=lambda w: {"window": w.city.window.pk, "channel": "pad"},
            state=_fb_count("RatingInvite"),
            form=True,
        ),
        FB + "pad/<str:token>/": Row(
            "POST",
            lambda w: f"/workbench/feedback/pad/{_fb_pad_token(w)}/",
            page_only((CLERK,)),
            body=lambda w: {"level": "5"},
            state=_fb_count("Rating"),
            form=True,
        ),
        FB + "followups/": Row("GET", "/workbench/feedback/followups/", page_only(STAFF)),
        FB + "followups/<int:followup_id>/": Row(
            "GET",
            lambda w: f"/workbench/feedback/followups/{_fb_followup(w).pk}/",
            # The security administrator belongs to no office: not found.
            {**page_only(STAFF), SECADMIN: 404},
        ),
        FB + "followups/<int:followup_id>/contact/": Row(
            "POST",
            lambda w: f"/workbench/feedback/followups/{_fb_followup(w).pk}/contact/",
            staff_write((EDITOR,)),
            body=lambda w: {"version": vars(w)["followup"].version, "note": "已回访"},
            state=_fb_followup_state,
            form=True,
        ),
        FB + "followups/<int:followup_id>/rectify/": Row(
            "POST",
            lambda w: f"/workbench/feedback/followups/{_fb_followup(w).pk}/rectify/",
            staff_write((EDITOR,)),
            body=lambda w: {"version": vars(w)["followup"].version, "rectification": "已整改"},
            state=_fb_followup_state,
            form=True,
        ),
        FB + "followups/<int:followup_id>/verify/": Row(
            "POST",
            lambda w: f"/workbench/feedback/followups/{_fb_complaint_followup(w).pk}/verify/",
            staff_write((SUPERVISOR,)),
            body=lambda w: {"upheld": "yes"},
            state=_fb_upheld_state,
            form=True,
        ),
        FB + "ratings/<int:rating_id>/appeal/": Row(
            "POST",
            lambda w: f"/workbench/feedback/ratings/{_fb_bad_rating(w).pk}/appeal/",
            # The rated clerk and the editor (business permission, the rating's office).
            staff_write((CLERK, EDITOR)),
            body=lambda w: {"reason": "mistaken", "statement": "评价人选错了等级"},
            state=_fb_count("RatingAppeal"),
            form=True,
        ),
        FB + "appeals/": Row("GET", "/workbench/feedback/appeals/", page_only(STAFF)),
        FB + "appeals/<int:appeal_id>/": Row(
            "GET",
            lambda w: f"/workbench/feedback/appeals/{_fb_appeal(w).pk}/",
            # Everyone on the staff works in the rating's office or department, or supervises.
            page_only(STAFF),
        ),
        FB + "appeals/<int:appeal_id>/evidence/": Row(
            "GET",
            lambda w: f"/workbench/feedback/appeals/{_fb_appeal(w).pk}/evidence/",
            page_only(STAFF),
        ),
        FB + "appeals/<int:appeal_id>/decide/": Row(
            "POST",
            lambda w: f"/workbench/feedback/appeals/{_fb_appeal(w).pk}/decide/",
            staff_write((SUPERVISOR,)),
            body=lambda w: {"decision": "upheld", "note": "视频证实为恶意评价"},
            state=_fb_appeal_state,
            form=True,
        ),
        FB + "export.csv": Row(
            "GET", "/workbench/feedback/export.csv?month=2026-06", page_only((SUPERVISOR,))
        ),
    }
)


# --- 督查整改 (docs/supervision.md): a finding of the city's first department, rectified by its
# staff with the business permission (the clerk, the editor).


def _finding(world: World) -> Any:
    from quanban.core import clock
    from quanban.supervision import inspections

    inspection = inspections.inspection_record(
        user=world.users[SUPERVISOR],
        kind="unannounced",
        title="矩阵暗访",
        held_on=clock.today(),
        findings=[inspections.FindingInput(department_id=world.city.department.pk, text="脱岗")],
    )
    return _keep(world, finding=inspection.findings.get())


def _finding_state(world: World) -> Any:
    from quanban.supervision.models import Finding

    return Finding.objects.filter(pk=vars(world)["finding"].pk).values_list("state").get()


def _officer(world: World) -> Any:
    from quanban.supervision import inspections

    return inspections.officer_register(
        user=world.users[SUPERVISOR],
        name="矩阵体验官",
        kind="citizen",
        term_start=dt.date(2020, 1, 1),
        term_end=dt.date(2099, 12, 31),
    )


def _sv_count(model: str) -> Callable[[World], int]:
    def count(world: World) -> int:
        from django.apps import apps

        return apps.get_model("supervision", model).objects.count()

    return count


API.update(
    {
        "GET /api/v1/supervision/findings": Row(
            "GET", "/api/v1/supervision/findings", api_only(dict.fromkeys(STAFF, 200))
        ),
        "POST /api/v1/supervision/findings/{finding_id}/rectify": Row(
            "POST",
            lambda w: f"/api/v1/supervision/findings/{_finding(w).pk}/rectify",
            api_only({CLERK: 200, EDITOR: 200}),
            body=lambda w: {"rectification": "已整改"},
            state=_finding_state,
        ),
        # Recording is the supervisors' (the officer's own report: tests/supervision).
        "GET /api/v1/supervision/officers": Row(
            "GET", "/api/v1/supervision/officers", api_only({SUPERVISOR: 200})
        ),
        "POST /api/v1/supervision/officers": Row(
            "POST",
            "/api/v1/supervision/officers",
            api_only({SUPERVISOR: 201}),
            body=lambda w: {
                "name": "矩阵体验官",
                "kind": "expert",
                "term_start": "2020-01-01",
                "term_end": "2099-12-31",
            },
            state=_sv_count("ExperienceOfficer"),
        ),
        "POST /api/v1/supervision/officers/{officer_id}/reports": Row(
            "POST",
            lambda w: f"/api/v1/supervision/officers/{_officer(w).pk}/reports",
            api_only({SUPERVISOR: 201}),
            body=lambda w: {
                "channel": "visit",
                "held_on": "2021-01-04",
                "title": "矩阵体验",
                "unit_id": w.city.hall.pk,
            },
            state=_sv_count("Inspection"),
        ),
        "POST /api/v1/supervision/inspections": Row(
            "POST",
            "/api/v1/supervision/inspections",
            api_only({SUPERVISOR: 201}),
            body=lambda w: {"kind": "special", "title": "矩阵专项督查", "held_on": "2021-01-04"},
            state=_sv_count("Inspection"),
        ),
        "GET /api/v1/supervision/inspections/{inspection_id}": Row(
            "GET",
            lambda w: f"/api/v1/supervision/inspections/{_finding(w).inspection_id}",
            api_only({SUPERVISOR: 200}),
        ),
    }
)
PAGES.update(
    {
        "workbench/inspections/": Row("GET", "/workbench/inspections/", page_only((SUPERVISOR,))),
        "workbench/inspections/new/": Row(
            "POST",
            "/workbench/inspections/new/",
            staff_write((SUPERVISOR,)),
            body=lambda w: {
                "i-kind": "unannounced",
                "i-title": "矩阵暗访",
                "i-held_on": "2020-01-02",
            },
            state=_sv_count("Inspection"),
            form=True,
        ),
        "workbench/officers/new/": Row(
            "POST",
            "/workbench/officers/new/",
            staff_write((SUPERVISOR,)),
            body=lambda w: {
                "o-name": "矩阵体验官",
                "o-kind": "expert",
                "o-term_start": "2026-01-01",
                "o-term_end": "2026-12-31",
            },
            state=_sv_count("ExperienceOfficer"),
            form=True,
        ),
        "workbench/officers/report/": Row(
            "POST",
            "/workbench/officers/report/",
            staff_write((SUPERVISOR,)),
            body=lambda w: {
                "r-officer": _officer(w).pk,
                "r-channel": "visit",
                "r-unit": w.city.hall.pk,
                "r-held_on": "2020-01-02",
                "r-title": "矩阵体验",
            },
            state=_sv_count("Inspection"),
            form=True,
        ),
        "workbench/findings/": Row("GET", "/workbench/findings/", page_only(STAFF)),
        "workbench/findings/<int:finding_id>/rectify/": Row(
            "POST",
            lambda w: f"/workbench/findings/{_finding(w).pk}/rectify/",
            staff_write((CLERK, EDITOR)),
            body=lambda w: {f"f{vars(w)['finding'].pk}-rectification": "已整改"},
            state=_finding_state,
            form=True,
        ),
    }
)


def existing_urls() -> tuple[set[str], set[str]]:
    """(API operations as "METHOD /path", other routes) that the project serves today."""
    import json

    schema_paths: dict[str, dict[str, Any]] = json.loads(openapi_document())["paths"]
    operations = {
        f"{method.upper()} {path}" for path, ops in schema_paths.items() for method in ops
    }
    pages = {
        route
        for route, _pattern in _routes(get_resolver())
        if _openapi_path(route) not in schema_paths
    }
    return operations, pages


# --- 末位 (docs/rankings.md): the public rankings are everyone's (above); the supervisors
# compute, recompute and version the weights; a department's year-end report is the
# supervisors' and its heads' (not a caller here; tests/feedback/test_rankings.py).


def _ranking_state(world: World) -> Any:
    from quanban.feedback.models import RankingPeriod

    return list(RankingPeriod.objects.order_by("kind", "start").values_list("start", "revision"))


def _weights_state(world: World) -> Any:
    from quanban.feedback.models import ScoreWeights

    return list(ScoreWeights.objects.order_by("version").values_list("version", "effective_from"))


def _weights_body(world: World) -> dict[str, Any]:
    from quanban.feedback.ranking_weights import DEFAULT_WEIGHTS

    return {
        "effective_from": "2099-01",
        "bottom_n": "1",
        "note": "矩阵",
        **{f"w_{key}": str(value) for key, value in DEFAULT_WEIGHTS.items()},
    }


PAGES.update(
    {
        "workbench/rankings/": Row("GET", "/workbench/rankings/", page_only((SUPERVISOR,))),
        "workbench/rankings/compute/": Row(
            "POST",
            "/workbench/rankings/compute/",
            staff_write((SUPERVISOR,)),
            body=lambda w: {"period": "2025-01"},
            state=_ranking_state,
            form=True,
        ),
        "workbench/rankings/weights/": Row(
            "POST",
            "/workbench/rankings/weights/",
            staff_write((SUPERVISOR,)),
            body=_weights_body,
            state=_weights_state,
            form=True,
        ),
        "workbench/rankings/<int:year>/<int:department_id>/report.xlsx": Row(
            "GET",
            lambda w: f"/workbench/rankings/2025/{w.city.department.pk}/report.xlsx",
            page_only((SUPERVISOR,)),
        ),
        "workbench/rankings/<int:year>/<int:department_id>/report.pdf": Row(
            "GET",
            lambda w: f"/workbench/rankings/2025/{w.city.department.pk}/report.pdf",
            page_only((SUPERVISOR,)),
        ),
    }
)


def test_every_url_is_in_the_matrix():
    operations, pages = existing_urls()
    problems = [
        f"API operation {op!r} is not in the permission matrix: add a row to API in {__file__}."
        for op in sorted(operations - set(API))
    ]
    problems += [
        f"URL route {route!r} is not in the permission matrix: add a row to PAGES in {__file__}."
        for route in sorted(pages - set(PAGES))
    ]
    problems += [
        f"Matrix row {key!r} names an API operation that no longer exists: remove it."
        for key in sorted(set(API) - operations)
    ]
    problems += [
        f"Matrix row {key!r} names a URL route that no longer exists: remove it."
        for key in sorted(set(PAGES) - pages)
    ]
    assert not problems, "\n".join(problems)


# --- 一业一证: the themes are public; catalogue editors (EDITOR, the whole city) create one;
# publishing needs a catalogue reviewer of the lead department, whom no caller here is
# (tests/catalogue/test_industry_themes.py covers them).


def _theme_world(world: World) -> Any:
    existing = vars(world).get("theme_world")
    if existing is None:
        from tests.catalogue.theme_helpers import build_world

        existing = world.theme_world = build_world(world.city)  # type: ignore[attr-defined]
    return existing


def _theme(world: World) -> Any:
    """A published theme (remembered)."""
    existing = vars(world).get("theme")
    if existing is None:
        from tests.catalogue.theme_helpers import published_theme

        existing, _version = published_theme(_theme_world(world))
        world.theme = existing  # type: ignore[attr-defined]
    return existing


def _theme_draft(world: World) -> Any:
    """A theme not yet published."""
    from tests.catalogue.theme_helpers import make_theme

    theme = make_theme(_theme_world(world), code=f"draft-{world.n()}")
    world.theme_draft = theme  # type: ignore[attr-defined]
    return theme


def _theme_count(world: World) -> int:
    from quanban.catalogue.models import IndustryTheme

    return IndustryTheme.objects.count()


def _theme_draft_state(world: World) -> Any:
    from quanban.catalogue.models import IndustryTheme

    return IndustryTheme.objects.filter(pk=world.theme_draft.pk).values_list("item", flat=True)[0]  # type: ignore[attr-defined]


def _theme_body(world: World) -> dict[str, Any]:
    parts = _theme_world(world)
    return {
        "code": f"theme-{world.n()}",
        "name": "便利店",
        "lead_department_id": world.city.department.pk,
        "basic_code": f"{world.n():012d}",
        "exercise_level": "3",
        "licence_type": "行业综合许可证",
        "item_ids": [parts.food.item_id, parts.books.item_id],
    }


API.update(
    {
        "GET /api/v1/catalogue/themes": Row(
            "GET", lambda w: (_theme(w), "/api/v1/catalogue/themes")[1], everyone(200)
        ),
        "GET /api/v1/catalogue/themes/{code}": Row(
            "GET", lambda w: f"/api/v1/catalogue/themes/{_theme(w).code}", everyone(200)
        ),
        "POST /api/v1/catalogue/themes": Row(
            "POST",
            "/api/v1/catalogue/themes",
            api_only({EDITOR: 201}),
            body=_theme_body,
            state=_theme_count,
        ),
        "POST /api/v1/catalogue/themes/{code}/publish": Row(
            "POST",
            lambda w: f"/api/v1/catalogue/themes/{_theme_draft(w).code}/publish",
            api_only({}),
            state=_theme_draft_state,
        ),
    }
)
PAGES.update(
    {
        "themes/": Row("GET", lambda w: (_theme(w), "/themes/")[1], everyone(200)),
        "themes/<slug:code>/": Row("GET", lambda w: f"/themes/{_theme(w).code}/", everyone(200)),
    }
)


def test_api_rows_are_under_the_api_prefix():
    assert all(key.split(" ", 1)[1].startswith(API_PATH_PREFIX) for key in API)


# --- Running the table --------------------------------------------------------------------------


@pytest.fixture
def world(work_calendar) -> World:
    city = factories.make_city()
    secadmin = factories.security_admin(city)
    users: dict[str, User] = {
        CITIZEN: factories.make_citizen("13800000001"),
        CLERK: factories.make_staff(city, Role.WINDOW_CLERK),
        SUPERVISOR: factories.make_staff(city, Role.SUPERVISOR),
        EDITOR: factories.make_staff(city, Role.CATALOGUE_EDITOR),
        SYSADMIN: factories.make_staff(city, Role.SYSTEM_ADMIN),
        SECADMIN: secadmin,
        AUDITOR: factories.make_staff(city, Role.AUDIT_ADMIN),
    }
    person = services.person_register(name="李四", id_number=factories.valid_id_number(seq="001"))
    entity = services.entity_register(
        name="济南某某科技有限公司", uscc=factories.valid_uscc(99), legal_representative="赵六"
    )
    return World(city=city, users=users, person=person, entity=entity)


def _client(world: World, caller: str, *, api: bool) -> tuple[Client, dict[str, str]]:
    if caller == ANON:
        return Client(), {}
    user = world.users[caller]
    if api:
        return Client(), bearer(user)
    return session_client(user), {}


def _check(world: World, key: str, row: Row, *, api: bool) -> list[str]:
    failures = []
    for caller in CALLERS:
        client, headers = _client(world, caller, api=api)
        url = row.url_for(world)
        body = row.body(world) if row.body else None
        before = row.state(world) if row.state else None
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None and row.form:
            kwargs.update(data=body)
        elif body is not None:
            kwargs.update(data=body, content_type="application/json")
        response = getattr(client, row.method.lower())(url, **kwargs)
        expected = row.expect[caller]
        if expected == LOGIN:
            ok = response.status_code == 302 and response["Location"].startswith("/login/")
        elif expected == PORTAL_LOGIN:
            location = response.get("Location", "")
            ok = response.status_code == 302 and location.startswith("/portal/login/")
        else:
            ok = response.status_code == expected
        if not ok:
            failures.append(
                f"{key} as {caller}: expected {expected}, got {response.status_code} "
                f"{response.get('Location', '')}{response.content[:200]!r}"
            )
        if row.state is not None:
            after = row.state(world)
            # A page's allowed form post answers with a redirect (302) to the result.
            allowed = isinstance(expected, int) and 200 <= expected < 400
            if allowed and after == before:
                failures.append(f"{key} as {caller}: allowed but nothing changed")
            if not allowed and after != before:
                failures.append(f"{key} as {caller}: denied but the state changed")
    return failures


@pytest.mark.parametrize("key", sorted(API))
def test_api_permissions(world, key):
    failures = _check(world, key, API[key], api=True)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("key", sorted(PAGES))
def test_page_permissions(world, key):
    failures = _check(world, key, PAGES[key], api=key.startswith("api/") or key == "^api/")
    assert not failures, "\n".join(failures)
