"""The case API under concurrent requests, on PostgreSQL (row locks; SQLite serialises writes).

Real threads, each with its own connection and Django test client, released together by a barrier.
Concurrent acceptances of *different* cases getting consecutive numbers is covered in
tests/cases/test_services.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases import services
from quanban.cases.models import Case, IdempotencyKey, Task
from quanban.core.models import AuditRecord
from tests import factories
from tests.api.case_journey import A_MONDAY
from tests.api.clients import bearer
from tests.catalogue import helpers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_on_a_covered_day(request):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises whole-database writes")
    request.getfixturevalue("work_calendar")  # a transactional test may follow a flush
    with time_machine.travel(A_MONDAY):
        yield


def race(calls: list[Callable[[Client], Any]]) -> list[Any]:
    """Run every call in its own thread at the same moment; their responses, in call order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[Client], Any]) -> None:
        from django.db import connection as thread_connection

        try:
            client = Client()
            barrier.wait(timeout=10)
            results[index] = call(client)
        except BaseException as error:  # reported below, not swallowed
            errors.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert all(not t.is_alive() for t in threads)
    return results


@pytest.fixture
def city():
    return factories.make_city()


@pytest.fixture
def clerk(city):
    return factories.make_staff(city, Role.WINDOW_CLERK)


@pytest.fixture
def person():
    return accounts.person_register(name="李四", id_number=factories.valid_id_number())


def received(city, clerk, person, version) -> Case:
    """A case of ``version`` received at the city's window, its one material handed in."""
    return services.case_receive(
        user=clerk,
        item_version=version,
        applicant=person,
        channel="8",
        answers={},
        window=city.window,
        received_material_ids=[version.materials.get().pk],
    )


def test_twenty_requests_with_one_idempotency_key_create_one_case(city, clerk, person):
    version = helpers.published(city.department)
    headers = {**bearer(clerk), "Idempotency-Key": "0f8e2c1a-one-case"}
    body = {
        "item_version_id": version.pk,
        "person_id": person.pk,
        "channel": "8",
        "window_id": city.window.pk,
        "received_material_ids": [version.materials.get().pk],
    }

    def post(client: Client) -> Any:
        return client.post("/api/v1/cases", body, content_type="application/json", headers=headers)

    responses = race([post] * 20)
    assert [r.status_code for r in responses] == [201] * 20, [r.content[:200] for r in responses]
    (case,) = Case.objects.all()
    assert {r.json()["id"] for r in responses} == {case.pk}
    assert sum(r.get("Idempotent-Replayed") == "true" for r in responses) == 19
    assert AuditRecord.objects.filter(action="case.receive").count() == 1
    stored = IdempotencyKey.objects.get()
    assert (stored.response_status, stored.response_body["id"]) == (201, case.pk)


def test_two_last_co_reviews_at_once_open_the_approval_exactly_once(city, clerk, person):
    departments, version = helpers.parallel_published(city, uscc_from=60)
    case = received(city, clerk, person, version)
    case = services.case_accept(user=clerk, case=case)
    reviewer = factories.make_staff(city, Role.REVIEWER, scope=city.department)
    services.task_complete(
        user=reviewer, task=Task.objects.get(case=case), outcome="pass", opinion="初审通过"
    )
    co_reviews = list(Task.objects.filter(case=case, step="co_review").order_by("pk"))
    assert [t.department for t in co_reviews] == departments

    def complete(task: Task) -> Callable[[Client], Any]:
        headers = bearer(factories.make_staff(city, Role.REVIEWER, scope=task.department))

        def call(client: Client) -> Any:
            return client.post(
                f"/api/v1/tasks/{task.pk}/complete",
                {"outcome": "agree", "opinion": "同意", "version": task.version},
                content_type="application/json",
                headers=headers,
            )

        return call

    responses = race([complete(t) for t in co_reviews])
    assert [r.status_code for r in responses] == [200, 200], [r.content[:300] for r in responses]
    assert list(Task.objects.filter(case=case).order_by("pk").values_list("step", "state")) == [
        ("review", "done"),
        ("co_review", "done"),
        ("co_review", "done"),
        ("approve", "open"),
    ]
    case.refresh_from_db()
    assert case.current_step == "approve"
    opened = AuditRecord.objects.filter(
        action="case.step_open", object_id=str(case.pk), changes__step="approve"
    )
    assert opened.count() == 1


def test_twenty_clerks_accepting_the_same_version_one_wins_the_rest_are_stale(city, clerk, person):
    version = helpers.published(city.department)
    case = received(city, clerk, person, version)
    clerks = [bearer(factories.make_staff(city, Role.WINDOW_CLERK)) for _ in range(20)]

    def accept(headers: dict[str, str]) -> Callable[[Client], Any]:
        def call(client: Client) -> Any:
            return client.post(
                f"/api/v1/cases/{case.pk}/accept",
                {},
                content_type="application/json",
                headers={**headers, "If-Match": '"1"'},
            )

        return call

    responses = race([accept(h) for h in clerks])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 19, [r.content[:200] for r in responses]
    assert {r.json()["current_version"] for r in responses if r.status_code == 412} == {2}
    case.refresh_from_db()
    assert (case.state, case.number, case.version) == ("accepted", "370100-20260615-000001", 2)
    assert AuditRecord.objects.filter(action="case.accept").count() == 1


def test_a_task_lock_waiting_for_its_case_holds_none_of_the_tasks(city, clerk, person):
    """The task lock reads the case and its tasks in one statement; it must take the case first,
    as every service that locks the case and then touches its tasks does, or the two would wait
    for each other (a deadlock PostgreSQL breaks by failing one of them)."""
    from django.db import transaction

    version = helpers.published(city.department)
    case = received(city, clerk, person, version)
    services.case_accept(user=clerk, case=case)
    review = Task.objects.get(case=case)
    reviewer = factories.make_staff(city, Role.REVIEWER, scope=city.department)
    case_held, claim_waits, holder_done = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def hold_the_case() -> None:
        from django.db import DatabaseError
        from django.db import connection as own

        try:
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=case.pk)
                case_held.set()
                assert claim_waits.wait(timeout=10)
                try:  # the claim waits for the case: it must not hold the task meanwhile
                    Task.objects.select_for_update(nowait=True).get(pk=review.pk)
                    seen["task"] = "free"
                except DatabaseError:
                    seen["task"] = "held"
        finally:
            holder_done.set()
            own.close()

    def claim() -> None:
        from django.db import connection as own

        try:
            seen["claimed"] = services.task_claim(user=reviewer, task=review).assignee_id
        finally:
            own.close()

    holder = threading.Thread(target=hold_the_case)
    holder.start()
    assert case_held.wait(timeout=10)
    claimer = threading.Thread(target=claim)
    claimer.start()
    for _ in range(200):  # until the claim's statement waits for a row lock
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
        claimer.join(timeout=0.05)
    claim_waits.set()
    holder.join(timeout=30)
    claimer.join(timeout=30)
    assert holder_done.is_set() and not claimer.is_alive()
    assert seen == {"task": "free", "claimed": reviewer.pk}
    assert Task.objects.get(pk=review.pk).assignee_id == reviewer.pk
