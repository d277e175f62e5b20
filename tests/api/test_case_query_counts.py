"""Query counts of the inbox and the case page, pinned: they must not grow with the data.

An inbox of one task and an inbox of six take the same number of queries, and so does the case
page of a case with one task and one with several done; a change that adds a query per row (an
N+1) fails here.
"""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quanban.accounts.roles import Role
from quanban.cases import services
from quanban.cases.models import Case, Task
from tests import factories
from tests.api.case_journey import A_MONDAY, Caller, ok
from tests.catalogue import helpers

pytestmark = pytest.mark.django_db

# The token's user and their roles (for the audit's "who" and the permissions alike) are one
# statement (quanban.api.auth.token_user).
INBOX_QUERIES = 4
CASE_PAGE_QUERIES = 9  # the timeline reads the case's and its tasks' records in one statement


@pytest.fixture(autouse=True)
def _a_covered_monday():
    with time_machine.travel(A_MONDAY, tick=False):
        yield


@pytest.fixture
def version(city):
    return helpers.published(city.department)


def received_case(clerk, version, city, n: int) -> Case:
    from quanban.accounts import services as accounts

    person = accounts.person_register(
        name=f"申请人{n}", id_number=factories.valid_id_number(seq=f"{n:03d}")
    )
    return services.case_receive(
        user=clerk,
        item_version=version,
        applicant=person,
        channel="8",
        answers={},
        window=city.window,
        received_material_ids=[version.materials.get().pk],
    )


def accepted_case(clerk, version, city, n: int) -> Case:
    return services.case_accept(user=clerk, case=received_case(clerk, version, city, n))


def count(caller: Caller, url: str, **query) -> int:
    with CaptureQueriesContext(connection) as queries:
        ok(caller.get(url, **query))
    return len(queries)


def test_the_inbox_takes_the_same_queries_for_one_task_or_six(city, clerk, version):
    reviewer = Caller.of(factories.make_staff(city, Role.REVIEWER, scope=city.department))
    accepted_case(clerk, version, city, 1)
    one = count(reviewer, "/api/v1/tasks", scope="team")
    for n in range(2, 7):
        accepted_case(clerk, version, city, n)
    assert len(ok(reviewer.get("/api/v1/tasks", scope="team"))["items"]) == 6
    six = count(reviewer, "/api/v1/tasks", scope="team")
    assert (one, six) == (INBOX_QUERIES, INBOX_QUERIES)


def test_the_case_page_takes_the_same_queries_however_far_the_case_went(city, clerk, version):
    reviewer_user = factories.make_staff(city, Role.REVIEWER, scope=city.department)
    approver_user = factories.make_staff(city, Role.APPROVER, scope=city.department)
    reviewer = Caller.of(reviewer_user)
    fresh = accepted_case(clerk, version, city, 1)
    on_fresh = count(reviewer, f"/api/v1/cases/{fresh.pk}")
    far = accepted_case(clerk, version, city, 2)
    services.task_complete(
        user=reviewer_user, task=Task.objects.get(case=far), outcome="pass", opinion="通过"
    )
    services.task_complete(
        user=approver_user,
        task=Task.objects.get(case=far, state="open"),
        outcome="approve",
        opinion="准予",
    )
    assert Task.objects.filter(case=far).count() == 3
    on_far = count(reviewer, f"/api/v1/cases/{far.pk}")
    assert (on_fresh, on_far) == (CASE_PAGE_QUERIES, CASE_PAGE_QUERIES)


def _statements(run) -> list[str]:
    """What ``run`` sends, but the savepoints of the test's own transaction around a service and
    the reads of a user's roles (each user object reads them once; a request's user brings them
    with its token, quanban.api.auth.token_user)."""
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        run()
    return [
        q["sql"]
        for q in queries.captured_queries
        if "SAVEPOINT" not in q["sql"] and "accounts_roleassignment" not in q["sql"]
    ]


def test_each_step_of_a_parallel_case_sends_the_statements_pinned(city, clerk):
    """The case runtime's statements, step by step (the cases benchmark's process): the task lock
    reads the case and its tasks in one statement, and on PostgreSQL a step that only closes its
    task sends two: the lock, and the audit append carrying the task's update (held writes,
    quanban.core.heldwrites). A change that adds a statement to a step fails here."""
    from quanban.core import audit

    departments, version = helpers.parallel_published(city, uscc_from=70)
    reviewer = factories.make_staff(city, Role.REVIEWER, scope=city.department)
    case = accepted_case(clerk, version, city, 1)
    # Every append after the first of a connection moves the head it knows: one statement.
    setattr(connection, audit._LOCK_FIRST, 0)
    review = Task.objects.get(case=case)
    steps = {
        "claim": lambda: services.task_claim(user=reviewer, task=review),
        "review": lambda: services.task_complete(
            user=reviewer, task=review, outcome="pass", opinion="通过"
        ),
    }
    counts = {name: len(_statements(run)) for name, run in steps.items()}
    first, last = Task.objects.filter(case=case, step="co_review").order_by("pk")
    for name, task, department in (
        ("co_review", first, departments[0]),
        ("join", last, departments[1]),
    ):
        user = factories.make_staff(city, Role.REVIEWER, scope=department)
        counts[name] = len(
            _statements(
                lambda task=task, user=user: services.task_complete(
                    user=user, task=task, outcome="agree", opinion="同意"
                )
            )
        )
    assert Task.objects.get(case=case, state="open").step == "approve"
    if connection.vendor == "postgresql":
        # claim, co-review: the lock, the append carrying the task's update. review: the lock,
        # the co-departments' read carrying the task's update, their tasks, the append carrying
        # the case's update. join: the lock, the task's update (sent alone: the next statement
        # inserts into the same table), the approval's task, the append carrying the case.
        expected = {"claim": 2, "review": 4, "co_review": 2, "join": 4}
    else:
        # SQLite has no round trip to save: every write is sent as it is made, and the append
        # takes two statements (the head's move, the records).
        expected = {"claim": 4, "review": 7, "co_review": 4, "join": 6}
    assert counts == expected


def test_an_acceptance_takes_its_number_with_its_routing_after_its_checks(city, clerk, version):
    """The day's number counter stays locked from the statement that takes a number to the
    commit, and every acceptance in the city waits for it. So an acceptance takes it as late as
    it can: with the routing, in one statement on PostgreSQL, after the checks and the clock."""
    from quanban.core import audit

    accepted_case(clerk, version, city, 1)  # the process has read the calendar: it keeps it
    case = received_case(clerk, version, city, 9)
    setattr(connection, audit._LOCK_FIRST, 0)
    sent = _statements(lambda: services.case_accept(user=clerk, case=case))
    numbered = [i for i, sql in enumerate(sent) if "cases_casenumbercounter" in sql]
    routed = [i for i, sql in enumerate(sent) if "cases_routingrule" in sql]
    case.refresh_from_db()
    assert case.number == f"370100-{case.accepted_at:%Y%m%d}-000002"
    if connection.vendor == "postgresql":
        # The case lock, its materials, the routing with the number, the first step's task, and
        # the append carrying the case's update and the applicant's text.
        assert numbered == routed == [2] and len(sent) == 5, sent
    else:
        # SQLite: the number just after the routing, each write on its own.
        assert (routed, numbered) == ([2], [3]) and len(sent) == 8, sent


def test_a_window_receives_and_accepts_through_the_api_with_the_statements_pinned(
    city, clerk, version, citizen
):
    """The window's pair over the API, with keys, for an applicant with an account (who is told
    of the acceptance in the app): the case, its people and its lists are each one statement
    written out once, and the applicant's account is read by a statement that carries the case's
    update on PostgreSQL. A change that adds a statement (a lazy load, an ORM read) fails here."""
    from quanban.accounts import services as accounts
    from quanban.core import audit

    person = accounts.person_register(
        name="李四", id_number=factories.valid_id_number(seq="441"), user=citizen
    )
    window = Caller.of(clerk)
    accepted_case(clerk, version, city, 1)  # the process has read the calendar: it keeps it
    setattr(connection, audit._LOCK_FIRST, 0)
    body: dict[str, Any] = {
        "item_version_id": version.pk,
        "person_id": person.pk,
        "channel": "8",
        "window_id": city.window.pk,
        "received_material_ids": [version.materials.get().pk],
    }
    made: dict[str, Any] = {}

    def receive() -> None:
        made.update(ok(window.post("/api/v1/cases", body, {"Idempotency-Key": "k-receive"}), 201))

    def accept() -> None:
        made.update(
            ok(window.post(f"/api/v1/cases/{made['id']}/accept", {}, {"Idempotency-Key": "k-1"}))
        )

    # A worker that has received the item before keeps its published version (with its lists).
    ok(window.post("/api/v1/cases", body, {"Idempotency-Key": "k-warm"}), 201)
    counts = {"receive": len(_statements(receive)), "accept": len(_statements(accept))}
    assert (made["state"], made["first_responder"]["id"]) == ("accepted", clerk.pk)
    assert Case.objects.get(pk=made["id"]).number == made["number"]
    if connection.vendor == "postgresql":
        # Receive: the key, whether the version is still published (the worker keeps it, with
        # its lists), the person, the window, the case, its materials, the reply's materials and
        # tasks, and the append carrying the stored reply. Accept: the case read, the key, the case lock, its
        # materials, the routing with the number, the first task, the account carrying the
        # case's update, the reply's materials carrying the text, its tasks, its timeline, and
        # the append carrying the stored reply.
        expected = {"receive": 8, "accept": 11}
    else:
        # SQLite sends every write as it is made, and the append takes two statements.
        expected = {"receive": 10, "accept": 16}
    assert counts == expected
