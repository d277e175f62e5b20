"""Follow-ups under the card machinery: yellow and red when ignored, once a level, catching up,
two workers at once — and the whole path from a bad rating to the rater's verdict.

A bad rating on Monday 2026-06-15 (10:00, Asia/Shanghai): contact by 16 June (yellow from the
15th, the last day), rectify by 23 June (the Dragon Boat holiday 19–21 June does not count;
yellow from the 22nd).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from quanban.accounts.roles import Role
from quanban.core.models import AuditRecord
from quanban.feedback import services
from quanban.feedback.models import FollowUp, FollowUpCard
from quanban.notify.models import OutboxMessage
from quanban.supervision.followup_sweep import followup_card_sweep
from quanban.supervision.sweep import SweepReport
from tests import factories
from tests.api.clients import session_client
from tests.feedback.conftest import SHANGHAI, finished_case

D = dt.date.fromisoformat


def _at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(D(day), dt.time(hour), tzinfo=SHANGHAI)


def cards() -> list[tuple[int, str, str, dt.date]]:
    return list(
        FollowUpCard.objects.order_by("follow_up", "due_on").values_list(
            "follow_up_id", "level", "stage", "due_on"
        )
    )


def told() -> list[tuple[str, str, str, str]]:
    """(recipient, event, body, link) of the in-app card messages, oldest first."""
    rows = OutboxMessage.objects.filter(
        channel="in_app", event__startswith="followup_card"
    ).order_by("created_at", "recipient_user__username")
    return list(rows.values_list("recipient_user__username", "event", "body", "link"))


@pytest.fixture
def department_head(world):
    city = world["city"]
    return factories.make_staff(
        city, Role.DEPARTMENT_HEAD, username="depthead", scope=city.department
    )


@pytest.fixture
def bad(world, case, department_head):
    services.rating_submit_for_case(user=world["citizen"], case=case, level=1, text="等了很久")
    return FollowUp.objects.get()


def test_a_bad_rating_opens_escalates_when_ignored_and_closes_with_the_verdict(
    world, bad, traveller
):
    head, citizen = world["head"], world["citizen"]
    link = f"/workbench/feedback/followups/{bad.pk}/"
    # Opened to the lead office, its head told, with the deadlines.
    assert (bad.unit_id, bad.state, bad.contact_due_on, bad.rectify_due_on) == (
        world["city"].office.pk,
        "open",
        D("2026-06-16"),
        D("2026-06-23"),
    )
    assert OutboxMessage.objects.filter(event="followup_opened", channel="in_app").count() == 1
    # The contact's last day: yellow, to the office head only; a second sweep adds nothing.
    assert followup_card_sweep() == SweepReport(yellow=1, messages=1)
    assert followup_card_sweep() == SweepReport()
    assert told() == [
        (
            "head",
            "followup_card_yellow",
            f"【全办】黄牌预警：本单位 1 件差评或投诉的回访整改即将到期：#{bad.pk} 回访 (2026-06-16)",
            link,
        )
    ]
    # Ignored through the 16th: red on the 17th, to the office head and the department head.
    traveller.move_to(_at("2026-06-16"))
    assert followup_card_sweep() == SweepReport()
    traveller.move_to(_at("2026-06-17"))
    assert followup_card_sweep() == SweepReport(red=1, messages=2)
    red = f"【全办】红牌：本单位 1 件差评或投诉的回访整改已超期，请立即办理：#{bad.pk} 回访 (2026-06-16)"
    assert told()[1:] == [
        ("depthead", "followup_card_red", red, link),
        ("head", "followup_card_red", red, link),
    ]
    assert (
        OutboxMessage.objects.filter(
            event="followup_card_red", channel="in_app", urgent=True
        ).count()
        == 2
    )
    assert cards() == [
        (bad.pk, "yellow", "contact", D("2026-06-15")),
        (bad.pk, "red", "contact", D("2026-06-17")),
    ]
    audit = AuditRecord.objects.filter(action="card.raise", object_type="feedback.followup")
    assert [r.changes for r in audit.order_by("pk")] == [
        {"on": "2026-06-15", "yellow": [bad.pk], "red": [], "red_from_none": []},
        {"on": "2026-06-17", "yellow": [], "red": [bad.pk], "red_from_none": []},
    ]
    # The office's pages show the card.
    head_client = session_client(head)
    assert 'id="card-level">红牌<' in head_client.get(link).content.decode()
    assert "card-red" in head_client.get("/workbench/feedback/followups/").content.decode()
    # Red is the last level: nothing more, even past the rectification's due date.
    traveller.move_to(_at("2026-06-25"))
    assert followup_card_sweep() == SweepReport()
    # Handled at last, and closed with the rater's verdict; the cards stay on the record.
    services.followup_contact(user=head, followup=bad, note="已电话致歉")
    services.followup_rectify(user=head, followup=bad, rectification="增设引导员")
    services.followup_verdict(user=citizen, followup_id=bad.pk, verdict="basic")
    row = FollowUp.objects.get()
    assert (row.state, row.verdict, row.card_level) == ("closed", "basic", "red")
    assert len(cards()) == 2
    assert followup_card_sweep() == SweepReport()


def test_contacted_in_time_the_rectification_has_its_own_cards(world, bad, traveller):
    services.followup_contact(user=world["head"], followup=bad, note="已联系")
    traveller.move_to(_at("2026-06-19"))  # the holiday: the contact is done, nothing is late
    assert followup_card_sweep() == SweepReport()
    traveller.move_to(_at("2026-06-22"))
    assert followup_card_sweep() == SweepReport(yellow=1, messages=1)
    traveller.move_to(_at("2026-06-24"))
    assert followup_card_sweep() == SweepReport(red=1, messages=2)
    assert cards() == [
        (bad.pk, "yellow", "rectify", D("2026-06-22")),
        (bad.pk, "red", "rectify", D("2026-06-24")),
    ]
    assert [(who, event) for who, event, _body, _link in told()] == [
        ("head", "followup_card_yellow"),
        ("depthead", "followup_card_red"),
        ("head", "followup_card_red"),
    ]


def test_after_downtime_straight_to_red_with_its_yellow_recorded(world, bad, traveller):
    traveller.move_to(_at("2026-06-29"))
    assert followup_card_sweep() == SweepReport(red=1, messages=2)
    assert cards() == [
        (bad.pk, "yellow", "contact", D("2026-06-15")),
        (bad.pk, "red", "contact", D("2026-06-17")),
    ]
    audit = AuditRecord.objects.get(action="card.raise", object_type="feedback.followup")
    assert audit.changes == {
        "on": "2026-06-29",
        "yellow": [],
        "red": [bad.pk],
        "red_from_none": [bad.pk],
    }
    # No yellow message after the fact: the red one says it all.
    assert {event for _who, event, _body, _link in told()} == {"followup_card_red"}


def test_rectified_and_closed_follow_ups_get_no_card(world, bad, traveller):
    services.followup_rectify(user=world["head"], followup=bad, rectification="已整改")
    traveller.move_to(_at("2026-06-29"))
    assert followup_card_sweep() == SweepReport()
    assert FollowUp.objects.get().card_level == "none"
    assert cards() == []


def test_a_hall_complaint_without_an_office_head_reaches_nobody_twice(world, traveller):
    """A unit with no office head (a hall): its yellow goes to the department head, if any —
    here none: the card is raised and recorded, and nobody is told."""
    services.complaint_submit(
        user=world["citizen"],
        target="hall",
        target_id=world["city"].hall.pk,
        category="environment",
        text="排队区没有座位",
    )
    assert followup_card_sweep() == SweepReport(yellow=1, messages=0)
    assert told() == []


def test_several_late_follow_ups_make_one_message_a_person(world, department_head, traveller):
    for _n in range(7):
        case = finished_case(world)
        services.rating_submit_for_case(user=world["citizen"], case=case, level=2)
    ids = sorted(FollowUp.objects.values_list("pk", flat=True))
    traveller.move_to(_at("2026-06-17"))
    assert followup_card_sweep(batch_size=3) == SweepReport(red=7, messages=6)
    # Three batches (3, 3, 1), each one message to each of the two heads.
    bodies = [body for who, _event, body, _link in told() if who == "head"]
    listed = "; ".join(f"#{pk} 回访 (2026-06-16)" for pk in ids[:3])
    assert bodies[0] == (
        f"【全办】红牌：本单位 3 件差评或投诉的回访整改已超期，请立即办理：{listed}"
    )
    assert next(link for who, _e, _b, link in told() if who == "head") == (
        "/workbench/feedback/followups/"
    )
    assert len(FollowUpCard.objects.filter(level="red")) == 7


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_fire_each_card_once(world, department_head, traveller):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises whole-database writes")
    for _n in range(20):
        services.rating_submit_for_case(user=world["citizen"], case=finished_case(world), level=1)
    traveller.move_to(_at("2026-06-17"))
    barrier = threading.Barrier(2)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(followup_card_sweep(batch_size=3))
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
    assert sum(r.red for r in reports) == 20
    assert FollowUpCard.objects.count() == 40  # yellow and red of each
    assert set(FollowUp.objects.values_list("card_level", flat=True)) == {"red"}
    # The office head hears of each follow-up once.
    bodies = [body for who, _e, body, _l in told() if who == "head"]
    ids = FollowUp.objects.values_list("pk", flat=True)
    assert sorted(sum(body.count(f"#{pk} ") for body in bodies) for pk in ids) == [1] * 20
