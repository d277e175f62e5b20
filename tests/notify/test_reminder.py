"""The 容缺 reminder: once per case and supply date, N working days before it, quiet hours kept.

A case accepted on Monday 2026-06-15 with 场所平面图 deferred to Tuesday 2026-06-23. The Dragon
Boat holiday is 19–21 June, so 2 working days before the 23rd is Thursday the 18th (the 22nd and
23rd are the two working days after it).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from quanban.accounts import services as accounts
from quanban.accounts.models import User
from quanban.accounts.roles import Role
from quanban.cases import services as cases
from quanban.cases.models import Channel
from quanban.cases.notifications import deferral_reminders_send
from quanban.cases.tasks import deferral_reminders_daily
from quanban.catalogue import services as catalogue
from quanban.notify import services as notify_services
from quanban.notify.models import NotificationOnce, OutboxMessage
from tests import factories
from tests.catalogue import helpers
from tests.notify.conftest import at

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat
SUPPLY = D("2026-06-23")


def make_deferred_case(city, account=None):
    with time_machine.travel(at(10), tick=False):
        clerk = factories.make_staff(city, Role.WINDOW_CLERK)
        version = helpers.draft(city.department)
        catalogue.material_add(
            user=None, version=version, name="场所平面图", form="3", necessity="3", source="10"
        )
        catalogue.version_submit(user=None, version=version)
        version = catalogue.version_publish(user=None, version=version)
        person = accounts.person_register(
            name="李四",
            id_number=factories.valid_id_number(seq="771"),
            phone="13905310077",
            user=account,
        )
        case = cases.case_receive(
            user=clerk,
            item_version=version,
            applicant=person,
            channel=Channel.OFFLINE_ONE_WINDOW,
            answers={},
            window=city.window,
            received_material_ids=[version.materials.get(seq=1).pk],
        )
        plan = version.materials.get(seq=2).pk
        case = cases.case_accept(user=clerk, case=case, deferred={plan: SUPPLY})
    assert case.deferral_due == SUPPLY
    OutboxMessage.objects.all().delete()  # the acceptance SMS: not what these tests count
    return case, clerk, plan


@pytest.fixture
def deferred_case(city, work_calendar):
    return make_deferred_case(city)


def reminders():
    return list(
        OutboxMessage.objects.filter(event="case_deferral_reminder").values_list(
            "channel", "recipient", "body", "next_attempt_at"
        )
    )


def text(case) -> str:
    return (
        f"【全办】提醒：您的办件 {case.number} 容缺受理时承诺补交的材料（场所平面图）"
        "须于 2026-06-23 前补交，逾期未补交将终止办理。"
    )


def test_the_reminder_fires_once_two_working_days_before(deferred_case):
    case, _clerk, _plan = deferred_case
    with time_machine.travel(at(9, day=17), tick=False):
        assert deferral_reminders_send() == 0  # three working days before: not yet
    with time_machine.travel(at(9, day=18), tick=False):
        assert deferral_reminders_send() == 1
        assert deferral_reminders_send() == 0  # never twice
    with time_machine.travel(at(9, day=22), tick=False):
        assert deferral_reminders_send() == 0
    assert reminders() == [("sms", "13905310077", text(case), at(9, day=18))]
    assert list(NotificationOnce.objects.values_list("key", flat=True)) == [
        f"deferral_reminder:{case.pk}:2026-06-23"
    ]


def test_a_worker_that_was_down_catches_up_before_the_date(deferred_case):
    case, _clerk, _plan = deferred_case
    with time_machine.travel(at(9, day=23), tick=False):
        assert deferral_reminders_daily.call_local() == 1
    with time_machine.travel(at(9, day=24), tick=False):
        assert deferral_reminders_send() == 0  # the date has passed: the lapse flag's turn
    assert [row[:3] for row in reminders()] == [("sms", "13905310077", text(case))]


def test_quiet_hours_are_kept(deferred_case):
    with time_machine.travel(at(23, 30, day=18), tick=False):
        assert deferral_reminders_send() == 1
    ((_channel, _to, _body, due),) = reminders()
    assert due == at(7, 0, day=19)


def test_no_reminder_once_the_material_is_supplied(deferred_case):
    case, clerk, plan = deferred_case
    with time_machine.travel(at(9, day=16), tick=False):
        assert cases.case_supply_deferred(user=clerk, case=case, material_ids=[plan]) == []
    with time_machine.travel(at(9, day=18), tick=False):
        assert deferral_reminders_send() == 0
    assert reminders() == []


def test_an_applicant_with_an_account_is_told_on_their_channels(city, work_calendar, settings):
    account = factories.make_citizen("13905310078")
    case, _clerk, _plan = make_deferred_case(city, account)
    settings.DEFERRAL_REMINDER_WORKING_DAYS = 3
    with time_machine.travel(at(9, day=17), tick=False):
        assert deferral_reminders_send() == 1
    assert sorted((c, r) for c, r, _b, _d in reminders()) == [
        ("in_app", "13905310078"),
        ("sms", "13905310078"),
    ]
    in_app = OutboxMessage.objects.get(event="case_deferral_reminder", channel="in_app")
    assert (in_app.recipient_user, in_app.link) == (account, f"/my/cases/{case.pk}/")


def test_an_applicant_whose_account_was_closed_gets_the_sms_at_the_number_on_record(
    city, work_calendar, settings
):
    account = factories.make_citizen("13905310078")
    case, _clerk, _plan = make_deferred_case(city, account)
    User.objects.filter(pk=account.pk).update(is_active=False)
    settings.DEFERRAL_REMINDER_WORKING_DAYS = 3
    with time_machine.travel(at(9, day=17), tick=False):
        assert deferral_reminders_send() == 1
    assert [row[:3] for row in reminders()] == [("sms", "13905310077", text(case))]


def test_an_applicant_who_turned_sms_off_is_told_in_the_app_only(city, work_calendar, settings):
    account = factories.make_citizen("13905310078")
    notify_services.notify_preference_update(user=account, sms=False, email=False)
    case, _clerk, _plan = make_deferred_case(city, account)
    settings.DEFERRAL_REMINDER_WORKING_DAYS = 3
    with time_machine.travel(at(9, day=17), tick=False):
        assert deferral_reminders_send() == 1
    assert [(c, r) for c, r, _b, _d in reminders()] == [("in_app", "13905310078")]
    in_app = OutboxMessage.objects.get(event="case_deferral_reminder")
    assert (in_app.recipient_user, in_app.link) == (account, f"/my/cases/{case.pk}/")


def test_a_case_link_is_the_reversed_url_under_any_script_prefix():
    from django.urls import reverse, set_script_prefix

    from quanban.cases.models import Case
    from quanban.cases.notifications import _case_link

    try:
        for prefix in ("/", "/quanban/"):
            set_script_prefix(prefix)
            for pk in (7, 123456):
                case = Case(pk=pk)
                assert _case_link(case) == reverse("web:portal_case", args=[pk])
            assert _case_link(Case(pk=7)) == f"{prefix}my/cases/7/"
    finally:
        set_script_prefix("/")
