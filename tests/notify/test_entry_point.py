"""notify_user and notify_users: channels by preference, texts per event, quiet hours."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import transaction

from quanban.core.errors import ValidationFailed
from quanban.core.models import AuditRecord
from quanban.notify import events
from quanban.notify.models import NotificationPreference, OutboxMessage
from quanban.notify.services import (
    DeliveryReport,
    notify_phone,
    notify_preference_update,
    notify_user,
    notify_users,
    outbox_deliver_due,
    outbox_enqueue,
    preference_for,
)
from tests.notify.conftest import SHANGHAI, at

pytestmark = pytest.mark.django_db

NOTE = {"text": "请于本周内办结", "due": "2026-06-19"}
NOTE_TEXT = "【全办】督办：请于本周内办结（请于 2026-06-19 前办理）"
RED = {"number": "370100-20260615-000001", "step": "审查", "due": "2026-06-12"}
RED_TEXT = (
    "【全办】红牌：办件 370100-20260615-000001 的“审查”环节已于 2026-06-12 超期，请立即办理。"
)


def channels(rows):
    return sorted((m.channel, m.recipient) for m in rows)


# --- Channels by preference -----------------------------------------------------------------------


def test_a_staff_member_without_choices_gets_in_app_only(frozen, staff):
    rows = notify_user(user=staff, event="supervision_note", context=NOTE)
    assert channels(rows) == [("in_app", "reviewer1")]
    (row,) = OutboxMessage.objects.all()
    assert (row.recipient_user, row.subject, row.body, row.event, row.urgent) == (
        staff,
        "督办",
        NOTE_TEXT,
        "supervision_note",
        False,
    )
    assert (row.state, row.next_attempt_at, row.read_at) == ("pending", at(10), None)


def test_an_applicant_without_choices_gets_in_app_and_sms(frozen, applicant):
    rows = notify_user(user=applicant, event="supervision_note", context=NOTE)
    assert channels(rows) == [("in_app", "13900001111"), ("sms", "13900001111")]


def test_preferences_choose_the_channels(frozen, staff):
    notify_preference_update(user=staff, sms=True, email=True)
    rows = notify_user(user=staff, event="supervision_note", context=NOTE)
    assert channels(rows) == [
        ("email", "reviewer1@example.cn"),
        ("in_app", "reviewer1"),
        ("sms", "13700001111"),
    ]
    assert {(m.subject, m.body) for m in rows} == {("督办", NOTE_TEXT)}

    notify_preference_update(user=staff, sms=False, email=True, email_address="li@example.org")
    rows = notify_user(user=staff, event="supervision_note", context=NOTE)
    assert channels(rows) == [("email", "li@example.org"), ("in_app", "reviewer1")]

    notify_preference_update(user=staff, sms=False, email=False)
    rows = notify_user(user=staff, event="supervision_note", context=NOTE)
    assert channels(rows) == [("in_app", "reviewer1")]


def test_an_applicant_may_turn_sms_off(frozen, applicant):
    notify_preference_update(user=applicant, sms=False, email=False)
    rows = notify_user(user=applicant, event="supervision_note", context=NOTE)
    assert channels(rows) == [("in_app", "13900001111")]


def test_a_preference_change_is_audited(frozen, staff):
    notify_preference_update(
        user=staff,
        sms=True,
        email=True,
        email_address="li@example.org",
        quiet_start=dt.time(23, 0),
        quiet_end=dt.time(6, 30),
    )
    record = AuditRecord.objects.get(action="notify.preference")
    assert (record.object_type, record.object_id) == ("accounts.user", str(staff.pk))
    assert record.changes == {
        "sms": [False, True],
        "email": [False, True],
        "email_address": ["", "l*@example.org"],
        "quiet_start": ["22:00", "23:00"],
        "quiet_end": ["07:00", "06:30"],
    }


def test_sms_needs_a_phone_and_email_an_address(frozen, city):
    from quanban.accounts import services as accounts
    from tests import factories

    bare = accounts.staff_create(
        username="bare", display_name="无联系方式", password=factories.PASSWORD
    )
    with pytest.raises(ValidationFailed) as error:
        notify_preference_update(user=bare, sms=True, email=False)
    assert (error.value.code, error.value.field) == ("notify_no_phone", "sms")
    with pytest.raises(ValidationFailed) as error:
        notify_preference_update(user=bare, sms=False, email=True)
    assert (error.value.code, error.value.field) == ("notify_no_email", "email_address")
    assert not NotificationPreference.objects.exists()
    assert not AuditRecord.objects.filter(action="notify.preference").exists()


def test_notify_users_tells_each_person_once_with_one_query_for_preferences(
    frozen, staff, applicant, django_assert_num_queries
):
    notify_preference_update(user=staff, sms=False, email=True)
    # Preferences (1), the insert of every row (1).
    with django_assert_num_queries(2):
        rows = notify_users(users=[staff, applicant, staff], event="card_red", context=RED)
    assert channels(rows) == [
        ("email", "reviewer1@example.cn"),
        ("in_app", "13900001111"),
        ("in_app", "reviewer1"),
        ("sms", "13900001111"),
    ]
    assert {(m.subject, m.body, m.urgent) for m in rows} == {("红牌", RED_TEXT, True)}


def test_messages_join_the_callers_transaction(frozen, staff):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_user(user=staff, event="supervision_note", context=NOTE)
        raise RuntimeError("the business write failed")
    assert not OutboxMessage.objects.exists()


def test_a_once_key_queues_nothing_the_second_time(frozen, staff):
    assert len(notify_user(user=staff, event="supervision_note", context=NOTE, once_key="k1")) == 1
    assert notify_user(user=staff, event="supervision_note", context=NOTE, once_key="k1") == []
    assert len(notify_user(user=staff, event="supervision_note", context=NOTE, once_key="k2")) == 1
    assert OutboxMessage.objects.count() == 2


def test_an_unknown_event_or_a_missing_placeholder_is_refused(frozen, staff):
    with pytest.raises(ValidationFailed) as error:
        notify_user(user=staff, event="no_such_event", context={})
    assert error.value.code == "notify_event"
    with pytest.raises(ValidationFailed) as error:
        notify_user(user=staff, event="supervision_note", context={"text": "x"})
    assert error.value.code == "notify_context"
    assert not OutboxMessage.objects.exists()


def test_every_event_renders_with_its_placeholders():
    # Other apps add their events to the registry too (quanban.feedback): each is checked with
    # the placeholders its own text names.
    for name, event in events.EVENTS.items():
        names = set(re.findall(r"%\((\w+)\)s", str(event.text) + str(event.subject)))
        rendered = events.render(name, dict.fromkeys(names, "值"), "zh-hans")
        assert rendered.text.startswith("【全办】") and "%(" not in rendered.text, name
        assert rendered.subject and "%(" not in rendered.subject, name
    assert {
        "case_accepted",
        "case_deferral_reminder",
        "card_yellow",
        "card_red",
        "supervision_note",
    } <= set(events.EVENTS)


def test_the_language_is_the_persons_then_the_accounts_then_the_sites():
    assert events.language_of("en", "zh-hans") == "en"
    assert events.language_of("", "en") == "en"
    assert events.language_of("", "") == "zh-hans"
    assert events.language_of("fr") == "zh-hans"


def test_an_in_app_message_by_user_name_names_its_reader(frozen, staff):
    # The low-level write, as the card sweep uses it: the bell must still count the message.
    message = outbox_enqueue(channel="in_app", recipient="reviewer1", body="黄牌预警")
    assert message.recipient_user == staff


def test_sms_without_an_account_goes_to_the_number_on_record(frozen):
    rows = notify_phone(phone="13900002222", event="supervision_note", context=NOTE)
    assert [(m.channel, m.recipient, m.recipient_user, m.body) for m in rows] == [
        ("sms", "13900002222", None, NOTE_TEXT)
    ]
    assert notify_phone(phone="", event="supervision_note", context=NOTE) == []


# --- Quiet hours (22:00–07:00 by default, in the city's time) ------------------------------------


@pytest.mark.parametrize(
    ("now", "sent_at"),
    [
        (at(23, 30), at(7, 0, day=16)),  # late evening: the next morning
        (at(2, 0), at(7, 0)),  # after midnight: this morning
        (at(6, 59), at(7, 0)),
        (at(22, 0), at(7, 0, day=16)),  # the first minute is quiet
        (at(7, 0), None),  # the last is not
        (at(21, 59), None),
    ],
)
def test_quiet_hours_defer_non_urgent_sms_and_email(time_machine, staff, now, sent_at):
    time_machine.move_to(now, tick=False)
    notify_preference_update(user=staff, sms=True, email=True)
    rows = notify_user(user=staff, event="supervision_note", context=NOTE)
    due = {m.channel: m.next_attempt_at for m in rows}
    assert due == {"in_app": now, "sms": sent_at or now, "email": sent_at or now}


def test_urgent_messages_go_at_once_in_quiet_hours(time_machine, staff):
    time_machine.move_to(at(23, 30), tick=False)
    notify_preference_update(user=staff, sms=True, email=False)
    # An urgent event (a red card) and a message made urgent by its caller.
    red = notify_user(user=staff, event="card_red", context=RED)
    note = notify_user(user=staff, event="supervision_note", context=NOTE, urgent=True)
    assert {(m.channel, m.urgent, m.next_attempt_at) for m in red + note} == {
        ("in_app", True, at(23, 30)),
        ("sms", True, at(23, 30)),
    }


def test_deferred_messages_are_sent_when_the_quiet_hours_end(time_machine, staff, settings):
    settings.SMS_ADAPTER = "sandbox"
    time_machine.move_to(at(23, 30), tick=False)
    notify_preference_update(user=staff, sms=True, email=False)
    notify_user(user=staff, event="supervision_note", context=NOTE)
    assert outbox_deliver_due() == DeliveryReport(sent=1)  # the in-app message only
    assert OutboxMessage.objects.get(channel="sms").state == "pending"
    time_machine.move_to(at(6, 59, day=16), tick=False)
    assert outbox_deliver_due() == DeliveryReport()
    time_machine.move_to(at(7, 0, day=16), tick=False)
    assert outbox_deliver_due() == DeliveryReport(sent=1)
    sms = OutboxMessage.objects.get(channel="sms")
    assert (sms.state, sms.sent_at) == ("sent", at(7, 0, day=16))


def test_a_person_sets_their_own_quiet_hours_or_none(time_machine, staff):
    time_machine.move_to(at(13, 0), tick=False)
    notify_preference_update(
        user=staff, sms=True, email=False, quiet_start=dt.time(12, 0), quiet_end=dt.time(14, 0)
    )
    rows = notify_user(user=staff, event="supervision_note", context=NOTE)
    assert {m.channel: m.next_attempt_at for m in rows} == {"in_app": at(13, 0), "sms": at(14, 0)}

    time_machine.move_to(at(23, 0), tick=False)
    notify_preference_update(user=staff, sms=True, email=False, quiet_enabled=False)
    rows = notify_user(user=staff, event="supervision_note", context=NOTE)
    assert {m.channel: m.next_attempt_at for m in rows} == {"in_app": at(23, 0), "sms": at(23, 0)}


def test_defaults_come_from_settings(settings, staff):
    settings.NOTIFY_QUIET_HOURS = "21:30-08:00"
    preference = preference_for(staff)
    assert (preference.quiet_start, preference.quiet_end) == (dt.time(21, 30), dt.time(8, 0))
    assert at(0).tzinfo is SHANGHAI
