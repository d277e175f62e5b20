"""The card sweep with a frozen calendar: yellow, red, a holiday, a suspension, catch-up, races.

Accepted on Monday 2026-06-15 (10:00, Asia/Shanghai): the review task has 2 of the item's 5
promised working days — yellow from 16 June, due 17 June, red from 18 June. The case itself is
due on 23 June (the Dragon Boat Festival is 19–21 June): yellow from 22 June, red from 24 June.
"""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases import services
from quanban.cases.models import Case, Task
from quanban.core.models import AuditRecord
from quanban.notify.models import OutboxMessage
from quanban.supervision.models import CardEvent
from quanban.supervision.sweep import SweepReport, card_sweep
from tests import factories
from tests.catalogue import helpers

D = dt.date.fromisoformat
SHANGHAI = ZoneInfo("Asia/Shanghai")
ACCEPTED = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _on_the_day_of_acceptance():
    with time_machine.travel(ACCEPTED, tick=False):
        yield


@pytest.fixture
def people(city):
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, username="clerk")
    return {
        "clerk": clerk,
        "reviewer": factories.make_staff(city, Role.REVIEWER, scope=city.department),
        "office_head": factories.make_staff(
            city, Role.OFFICE_HEAD, scope=city.office, username="officehead"
        ),
        "department_head": factories.make_staff(
            city, Role.DEPARTMENT_HEAD, scope=city.department, username="depthead"
        ),
    }


def accepted_case(city, clerk, n: int = 1) -> Case:
    version = helpers.published(city.department)
    person = accounts.person_register(
        name=f"申请人{n}", id_number=factories.valid_id_number(seq=f"{n:03d}")
    )
    case = services.case_receive(
        user=clerk,
        item_version=version,
        applicant=person,
        channel="8",
        answers={},
        window=city.window,
        received_material_ids=[version.materials.get().pk],
    )
    return services.case_accept(user=clerk, case=case)


def events() -> list[tuple[str, str, dt.date]]:
    return [
        ("task" if e.task_id else "case", e.level, e.due_on)
        for e in CardEvent.objects.order_by("pk")
    ]


def messages() -> list[tuple[str, str]]:
    return list(
        OutboxMessage.objects.filter(channel="in_app")
        .order_by("created_at", "recipient")
        .values_list("recipient", "body")
    )


def test_a_task_goes_yellow_then_red_and_the_case_across_the_holiday(city, people):
    case = accepted_case(city, people["clerk"])
    assert card_sweep(today=D("2026-06-15")) == SweepReport()
    assert card_sweep(today=D("2026-06-16")) == SweepReport(yellow=1, red=0, messages=1)
    yellow = f"【全办】黄牌预警：办件 {case.number} 的“审查”环节将于 2026-06-17 到期。"
    assert messages() == [("officehead", yellow)]
    assert card_sweep(today=D("2026-06-16")) == SweepReport()  # never twice for one level
    review = Task.objects.get(case=case)
    services.task_claim(user=people["reviewer"], task=review)
    assert card_sweep(today=D("2026-06-18")) == SweepReport(yellow=0, red=1, messages=3)
    red = f"【全办】红牌：办件 {case.number} 的“审查”环节已于 2026-06-17 超期，请立即办理。"
    assert sorted(m for m in messages() if m[1] == red) == sorted(
        [("depthead", red), ("officehead", red), (people["reviewer"].username, red)]
    )
    assert len(messages()) == 4
    review.refresh_from_db()
    assert review.card_level == "red"
    # The case: no card before its own warning day, which the holiday pushes to 22 June.
    assert card_sweep(today=D("2026-06-19")) == SweepReport()
    assert card_sweep(today=D("2026-06-22")) == SweepReport(yellow=1)
    assert card_sweep(today=D("2026-06-23")) == SweepReport()
    assert card_sweep(today=D("2026-06-24")) == SweepReport(red=1)
    assert events() == [
        ("task", "yellow", D("2026-06-16")),
        ("task", "red", D("2026-06-18")),
        ("case", "yellow", D("2026-06-22")),
        ("case", "red", D("2026-06-24")),
    ]


def test_a_sweep_after_downtime_records_yellow_and_red_at_their_days(city, people):
    accepted_case(city, people["clerk"])
    assert card_sweep(today=D("2026-06-18")) == SweepReport(red=1, messages=2)
    assert events() == [("task", "yellow", D("2026-06-16")), ("task", "red", D("2026-06-18"))]


def test_no_card_while_the_case_is_suspended_and_the_dates_move_after(city, people):
    case = accepted_case(city, people["clerk"])
    with time_machine.travel(dt.datetime(2026, 6, 16, 9, 0, tzinfo=SHANGHAI), tick=False):
        services.case_suspend(user=people["clerk"], case=case, kind="inspection", reason="现场核查")
    assert card_sweep(today=D("2026-06-18")) == SweepReport()
    assert card_sweep(today=D("2026-06-24")) == SweepReport()
    with time_machine.travel(dt.datetime(2026, 6, 23, 9, 0, tzinfo=SHANGHAI), tick=False):
        services.case_resume(user=people["clerk"], case=case)
    review = Task.objects.get(case=case)
    assert (review.warn_on, review.due_on) == (D("2026-06-24"), D("2026-06-25"))
    assert card_sweep(today=D("2026-06-23")) == SweepReport()
    assert card_sweep(today=D("2026-06-24")) == SweepReport(yellow=1, messages=1)
    assert events() == [("task", "yellow", D("2026-06-24"))]


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_fire_each_card_once(city):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises whole-database writes")
    clerk = factories.make_staff(city, Role.WINDOW_CLERK)
    factories.make_staff(city, Role.OFFICE_HEAD, scope=city.office)
    for n in range(1, 31):
        accepted_case(city, clerk, n)
    barrier = threading.Barrier(2)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(card_sweep(today=D("2026-06-18"), batch_size=4))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.red for r in reports) == 30
    assert CardEvent.objects.count() == 60  # yellow and red of each of the 30 review tasks
    # The office head hears of every card once: one message a batch, listing its cards.
    bodies = list(OutboxMessage.objects.filter(channel="in_app").values_list("body", flat=True))
    numbers = Case.objects.values_list("number", flat=True)
    assert sorted(sum(body.count(number) for body in bodies) for number in numbers) == [1] * 30
    assert len(bodies) == sum(r.messages for r in reports)
    assert set(Task.objects.values_list("card_level", flat=True)) == {"red"}


def test_a_red_card_also_reaches_the_items_responsible_persons(city, people):
    from quanban.catalogue import services as catalogue

    keeper = factories.make_staff(city, Role.APPROVER, username="itemkeeper")
    draft = helpers.draft(city.department)
    catalogue.version_update(user=None, version=draft, responsible_persons=[keeper])
    version = catalogue.version_publish(
        user=None, version=catalogue.version_submit(user=None, version=draft)
    )
    person = accounts.person_register(name="申请人", id_number=factories.valid_id_number())
    case = services.case_accept(
        user=people["clerk"],
        case=services.case_receive(
            user=people["clerk"],
            item_version=version,
            applicant=person,
            channel="8",
            answers={},
            window=city.window,
            received_material_ids=[version.materials.get().pk],
        ),
    )
    assert card_sweep(today=D("2026-06-16")) == SweepReport(yellow=1, messages=1)
    assert [r for r, _body in messages()] == ["officehead"]  # yellow: not the item's keeper
    assert card_sweep(today=D("2026-06-18")) == SweepReport(red=1, messages=3)
    red = f"【全办】红牌：办件 {case.number} 的“审查”环节已于 2026-06-17 超期，请立即办理。"
    assert sorted(r for r, body in messages() if body == red) == [
        "depthead",
        "itemkeeper",
        "officehead",
    ]


def test_many_cards_at_once_make_one_message_a_person_listing_them(city, people):
    cases = [accepted_case(city, people["clerk"], n) for n in range(1, 8)]
    assert card_sweep(today=D("2026-06-16")) == SweepReport(yellow=7, messages=1)
    [(recipient, body)] = messages()
    assert recipient == "officehead"
    listed = "; ".join(f"{case.number} 审查 (2026-06-17)" for case in cases[:5])
    assert body == (
        f"【全办】黄牌预警：您负责的 7 个办件环节即将到期，请到“红黄牌”查看：{listed} …"
    )
    assert CardEvent.objects.filter(level="yellow").count() == 7


def test_the_sweep_writes_one_audit_record_a_batch_naming_each_card(city, people):
    from quanban.core.models import AuditRecord

    cases = [accepted_case(city, people["clerk"], n) for n in range(1, 4)]
    before = AuditRecord.objects.count()
    card_sweep(today=D("2026-06-18"), batch_size=2)
    records = list(AuditRecord.objects.filter(action="card.raise").order_by("seq"))
    assert AuditRecord.objects.count() == before + 2
    tasks = [Task.objects.get(case=case).pk for case in cases]
    assert [r.changes for r in records] == [
        {"on": "2026-06-18", "yellow": [], "red": tasks[:2], "red_from_none": tasks[:2]},
        {"on": "2026-06-18", "yellow": [], "red": tasks[2:], "red_from_none": tasks[2:]},
    ]


@pytest.mark.django_db(transaction=True)
def test_a_backlog_is_drained_by_several_connections_each_card_once(city):
    if connection.vendor != "postgresql":
        pytest.skip("the helpers' connections need PostgreSQL's row locks")
    clerk = factories.make_staff(city, Role.WINDOW_CLERK)
    factories.make_staff(city, Role.OFFICE_HEAD, scope=city.office)
    for n in range(1, 26):
        accepted_case(city, clerk, n)
    report = card_sweep(today=D("2026-06-18"), batch_size=3, threads=3)
    assert (report.yellow, report.red) == (0, 25)
    assert CardEvent.objects.count() == 50
    assert set(Task.objects.values_list("card_level", flat=True)) == {"red"}
    records = AuditRecord.objects.filter(action="card.raise").values_list("changes", flat=True)
    raised = sorted(pk for changes in records for pk in changes["red"])
    assert raised == sorted(Task.objects.values_list("pk", flat=True))  # each named once
    assert OutboxMessage.objects.filter(channel="in_app").count() == report.messages
