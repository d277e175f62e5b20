"""The clock stored on the case: due dates at acceptance, suspension and resumption.

2026 中秋/国庆: Fri 9/25 and 10/1–10/7 are off, Sat 10/10 is a make-up working day. Accepted on
Fri 9/25, the counted days are 9/28 9/29 9/30 10/8 10/9 10/10 10/12 10/13 10/14 10/15 10/16 10/19
10/20 10/21 10/22 10/23 10/26 10/27 10/28 10/29 … (1st, 2nd, … 20th).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from quanban.accounts.roles import Role
from quanban.cases import clock as case_clock
from quanban.cases import services
from quanban.cases.models import CardLevel, Case, CaseSuspension, Channel
from quanban.core.errors import Conflict, PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from tests import factories
from tests.catalogue import helpers

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date.fromisoformat
# 00:30 on 9/25 in Shanghai is still 9/24 in UTC: the local date is the clock's start.
ACCEPTED = dt.datetime(2026, 9, 25, 0, 30, tzinfo=SHANGHAI)
SUSPENDED = dt.datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)
RESUMED = dt.datetime(2026, 10, 14, 16, 0, tzinfo=SHANGHAI)

# By hand from the schedule above: legal = 20th counted day, promised = 15th; warning threshold
# for 15 days is max(1, ceil(20 % × 15)) = 3 days left, i.e. the 12th counted day.
LEGAL_DUE = D("2026-10-29")
PROMISED_DUE = D("2026-10-22")
WARN_ON = D("2026-10-19")
# Suspended 10/12–10/14 (both inclusive): three working days stand still, so each date moves
# by three working days (the 20th counted day is now 11/3, the 15th 10/27, the 12th 10/22).
LEGAL_DUE_AFTER = D("2026-11-03")
PROMISED_DUE_AFTER = D("2026-10-27")
WARN_ON_AFTER = D("2026-10-22")


@pytest.fixture(autouse=True)
def _calendar(work_calendar):
    return work_calendar


@pytest.fixture
def clock_version(city):
    return helpers.published(city.department, legal_limit_days=20, promised_limit_days=15)


@pytest.fixture
def accepted(clerk, person, clock_version):
    with time_machine.travel(ACCEPTED, tick=False):
        case = services.case_receive(
            user=clerk,
            item_version=clock_version,
            applicant=person,
            channel=Channel.OFFLINE_ONE_WINDOW,
            answers={},
            received_material_ids=clock_version.materials.values_list("pk", flat=True),
        )
        return services.case_accept(user=clerk, case=case)


def dates(case: Case) -> tuple[dt.date | None, dt.date | None, dt.date | None, str]:
    case.refresh_from_db()
    return case.legal_due, case.promised_due, case.warn_on, case.card_level


def suspensions(case: Case) -> list[tuple[str, str, dt.date, dt.date | None]]:
    return list(
        CaseSuspension.objects.filter(case=case)
        .order_by("pk")
        .values_list("kind", "reason", "started_on", "ended_on")
    )


def test_hand_computed_dates_agree_with_the_clock_module(work_calendar):
    start = D("2026-09-25")
    assert case_clock.due_date(start, 20) == LEGAL_DUE
    assert case_clock.due_date(start, 15) == PROMISED_DUE
    assert case_clock.warn_date(start, 15) == WARN_ON
    held = [case_clock.Suspension(D("2026-10-12"), D("2026-10-14"), "补正")]
    assert case_clock.due_date(start, 20, held) == LEGAL_DUE_AFTER
    assert case_clock.due_date(start, 15, held) == PROMISED_DUE_AFTER
    assert case_clock.warn_date(start, 15, held) == WARN_ON_AFTER
    assert work_calendar.count_working_days(LEGAL_DUE, LEGAL_DUE_AFTER) == 3
    assert work_calendar.count_working_days(PROMISED_DUE, PROMISED_DUE_AFTER) == 3
    assert work_calendar.count_working_days(WARN_ON, WARN_ON_AFTER) == 3


def test_a_received_case_has_no_dates(clerk, person, clock_version):
    case = services.case_receive(
        user=clerk,
        item_version=clock_version,
        applicant=person,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
    )
    assert dates(case) == (None, None, None, CardLevel.NONE)


def test_acceptance_on_the_local_date_sets_the_dates(accepted):
    assert accepted.accepted_at.astimezone(dt.UTC).date() == D("2026-09-24")
    assert dates(accepted) == (LEGAL_DUE, PROMISED_DUE, WARN_ON, CardLevel.NONE)
    record = AuditRecord.objects.get(action="case.accept")
    assert record.changes["legal_due"] == [None, "2026-10-29"]
    assert record.changes["promised_due"] == [None, "2026-10-22"]
    assert record.changes["warn_on"] == [None, "2026-10-19"]


def test_suspend_and_resume_move_the_dates_by_the_suspended_working_days(clerk, accepted):
    with time_machine.travel(SUSPENDED, tick=False):
        suspension = services.case_suspend(
            user=clerk,
            case=accepted,
            kind=CaseSuspension.Kind.EXPERT_REVIEW,
            reason=" 组织专家评审 ",
        )
    assert suspension.started_by == clerk
    assert suspensions(accepted) == [("expert_review", "组织专家评审", D("2026-10-12"), None)]
    # While it runs, the case keeps its last dates (the new ones are not known yet).
    assert dates(accepted) == (LEGAL_DUE, PROMISED_DUE, WARN_ON, CardLevel.NONE)
    assert accepted.version == 3

    with time_machine.travel(RESUMED, tick=False):
        resumed = services.case_resume(user=clerk, case=accepted)
    assert resumed.version == 4
    assert suspensions(accepted) == [
        ("expert_review", "组织专家评审", D("2026-10-12"), D("2026-10-14"))
    ]
    assert CaseSuspension.objects.get().ended_by == clerk
    assert dates(accepted) == (LEGAL_DUE_AFTER, PROMISED_DUE_AFTER, WARN_ON_AFTER, "none")

    suspend = AuditRecord.objects.get(action="case.suspend")
    assert suspend.changes == {
        "version": [2, 3],
        "suspension": suspension.pk,
        "kind": "expert_review",
        "reason": "组织专家评审",
        "started_on": "2026-10-12",
    }
    resume = AuditRecord.objects.get(action="case.resume")
    assert resume.changes == {
        "legal_due": ["2026-10-29", "2026-11-03"],
        "promised_due": ["2026-10-22", "2026-10-27"],
        "warn_on": ["2026-10-19", "2026-10-22"],
        "version": [3, 4],
        "suspension": suspension.pk,
        "ended_on": "2026-10-14",
    }


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(D(day), dt.time(hour), tzinfo=SHANGHAI)


def test_a_long_suspension_moves_every_date_by_its_working_days(clerk, accepted):
    with time_machine.travel(SUSPENDED, tick=False):
        services.case_suspend(user=clerk, case=accepted, kind="hearing", reason="听证")
    with time_machine.travel(at("2026-10-23"), tick=False):
        services.case_resume(user=clerk, case=accepted)
    # 10/12–10/23 hold ten working days; six were counted before: the 12th, 15th and 20th
    # counted days are now 11/2, 11/5 and 11/12.
    assert dates(accepted) == (D("2026-11-12"), D("2026-11-05"), D("2026-11-02"), "none")


def test_resuming_in_the_warning_time_shows_yellow(clerk, accepted):
    # Suspended for one day, the day after the warning time began (10/19 is the 12th day).
    with time_machine.travel(at("2026-10-20"), tick=False):
        services.case_suspend(user=clerk, case=accepted, kind="inspection", reason="现场核查")
    with time_machine.travel(at("2026-10-20", 17), tick=False):
        services.case_resume(user=clerk, case=accepted)
    assert dates(accepted) == (D("2026-10-30"), D("2026-10-23"), WARN_ON, CardLevel.YELLOW)


def test_resuming_past_the_promised_date_shows_red(clerk, accepted):
    # A suspension that begins after the promised limit ran out does not move the promised date;
    # the legal limit had not run out, so it moves by the two working days.
    with time_machine.travel(at("2026-10-26"), tick=False):
        services.case_suspend(user=clerk, case=accepted, kind="supplement", reason="补正")
    with time_machine.travel(at("2026-10-27"), tick=False):
        services.case_resume(user=clerk, case=accepted)
    assert dates(accepted) == (D("2026-11-02"), PROMISED_DUE, WARN_ON, CardLevel.RED)


def test_two_suspensions_add_up(clerk, accepted):
    for first, last in (("2026-10-12", "2026-10-12"), ("2026-10-14", "2026-10-15")):
        with time_machine.travel(dt.datetime.fromisoformat(first + "T09:00+08:00"), tick=False):
            services.case_suspend(user=clerk, case=accepted, kind="supplement", reason="补正")
        with time_machine.travel(dt.datetime.fromisoformat(last + "T17:00+08:00"), tick=False):
            services.case_resume(user=clerk, case=accepted)
    # 10/12, 10/14 and 10/15 stand still: three working days.
    assert dates(accepted)[:3] == (LEGAL_DUE_AFTER, PROMISED_DUE_AFTER, WARN_ON_AFTER)


def test_suspending_a_suspended_case_is_refused_and_changes_nothing(clerk, accepted):
    with time_machine.travel(SUSPENDED, tick=False):
        services.case_suspend(user=clerk, case=accepted, kind="inspection", reason="现场核查")
        with pytest.raises(Conflict) as caught:
            services.case_suspend(user=clerk, case=accepted, kind="hearing", reason="听证")
    assert caught.value.code == "case_already_suspended"
    assert suspensions(accepted) == [("inspection", "现场核查", D("2026-10-12"), None)]
    assert dates(accepted) == (LEGAL_DUE, PROMISED_DUE, WARN_ON, CardLevel.NONE)
    accepted.refresh_from_db()
    assert accepted.version == 3
    assert AuditRecord.objects.filter(action="case.suspend").count() == 1


def test_resuming_a_running_case_is_refused_and_changes_nothing(clerk, accepted):
    with time_machine.travel(RESUMED, tick=False), pytest.raises(Conflict) as caught:
        services.case_resume(user=clerk, case=accepted)
    assert caught.value.code == "case_not_suspended"
    assert dates(accepted) == (LEGAL_DUE, PROMISED_DUE, WARN_ON, CardLevel.NONE)
    accepted.refresh_from_db()
    assert accepted.version == 2
    assert not AuditRecord.objects.filter(action="case.resume").exists()


@pytest.mark.parametrize(
    ("kind", "reason", "code"),
    [
        ("supplement", "   ", "suspension_reason_required"),
        ("holiday", "放假", "suspension_kind_unknown"),
    ],
)
def test_a_suspension_needs_a_known_kind_and_a_reason(clerk, accepted, kind, reason, code):
    with time_machine.travel(SUSPENDED, tick=False), pytest.raises(ValidationFailed) as caught:
        services.case_suspend(user=clerk, case=accepted, kind=kind, reason=reason)
    assert caught.value.code == code
    assert suspensions(accepted) == []
    assert not AuditRecord.objects.filter(action="case.suspend").exists()


def test_only_an_accepted_case_can_be_suspended(clerk, person, clock_version):
    case = services.case_receive(
        user=clerk,
        item_version=clock_version,
        applicant=person,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
    )
    with pytest.raises(Conflict) as caught:
        services.case_suspend(user=clerk, case=case, kind="supplement", reason="补正")
    assert caught.value.code == "case_state"
    assert suspensions(case) == []
    case.refresh_from_db()
    assert case.version == 1


def test_suspending_needs_business_permission(city, accepted):
    supervisor = factories.make_staff(city, Role.SUPERVISOR)
    with time_machine.travel(SUSPENDED, tick=False), pytest.raises(PermissionDenied):
        services.case_suspend(user=supervisor, case=accepted, kind="hearing", reason="听证")
    assert suspensions(accepted) == []


def test_the_database_keeps_one_open_suspension_and_ordered_dates(clerk, accepted):
    now = dt.datetime(2026, 10, 12, tzinfo=SHANGHAI)
    row = {"case": accepted, "kind": "hearing", "reason": "听证", "started_by": clerk}
    CaseSuspension.objects.create(**row, started_on=D("2026-10-12"), created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseSuspension.objects.create(**row, started_on=D("2026-10-13"), created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseSuspension.objects.create(
            **row, started_on=D("2026-10-13"), ended_on=D("2026-10-12"), created_at=now
        )
    assert CaseSuspension.objects.count() == 1
