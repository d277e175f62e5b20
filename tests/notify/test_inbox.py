"""The bell and the message list: unread counts, mark read, mark all read; pages and services."""

from __future__ import annotations

import pytest

from quanban.core.errors import NotFound
from quanban.core.models import AuditRecord
from quanban.notify.models import NotificationPreference, OutboxMessage
from quanban.notify.selectors import inbox_list, inbox_unread_count
from quanban.notify.services import (
    inbox_mark_all_read,
    inbox_mark_read,
    notify_preference_update,
    notify_user,
)
from tests.api.clients import session_client
from tests.notify.conftest import at

pytestmark = pytest.mark.django_db

NOTE = {"text": "请于本周内办结", "due": "2026-06-19"}


def note(user, text="请于本周内办结"):
    (message,) = [
        m
        for m in notify_user(user=user, event="supervision_note", context={**NOTE, "text": text})
        if m.channel == "in_app"
    ]
    return message


def test_the_unread_count_is_one_query(frozen, staff, django_assert_num_queries):
    note(staff)
    note(staff)
    with django_assert_num_queries(1):
        assert inbox_unread_count(staff) == 2


def test_mark_read_and_mark_all_read(frozen, staff, applicant):
    first, second, third = note(staff, "一"), note(staff, "二"), note(staff, "三")
    theirs = note(applicant)
    assert inbox_mark_read(user=staff, message_ids=[str(first.pk)]) == 1
    assert inbox_mark_read(user=staff, message_ids=[str(first.pk)]) == 0  # already read
    assert inbox_unread_count(staff) == 2
    assert OutboxMessage.objects.get(pk=first.pk).read_at == at(10)
    assert inbox_mark_all_read(user=staff) == 2
    assert inbox_unread_count(staff) == 0
    assert {m.pk for m in inbox_list(staff)} == {first.pk, second.pk, third.pk}
    # The applicant's message is theirs alone, and unread still.
    assert inbox_unread_count(applicant) == 1
    assert OutboxMessage.objects.get(pk=theirs.pk).read_at is None
    # Reading is the reader's own bookkeeping: no audit record (docs/notifications.md).
    assert not AuditRecord.objects.filter(action__startswith="inbox").exists()


def test_another_persons_message_is_not_found_and_stays_unread(frozen, staff, applicant):
    theirs = note(applicant)
    with pytest.raises(NotFound):
        inbox_mark_read(user=staff, message_ids=[str(theirs.pk)])
    assert OutboxMessage.objects.get(pk=theirs.pk).read_at is None


def test_sms_and_email_rows_are_not_in_the_list(frozen, staff):
    notify_preference_update(user=staff, sms=True, email=True)
    message = note(staff)
    assert OutboxMessage.objects.count() == 3
    assert list(inbox_list(staff)) == [message]
    assert inbox_unread_count(staff) == 1


# --- The pages ----------------------------------------------------------------------------------


def test_the_bell_shows_the_count_and_the_list_marks_read(frozen, staff):
    first = note(staff, "第一条")
    note(staff, "第二条")
    client = session_client(staff)
    bell = client.get("/notifications/bell/").content.decode()
    assert 'data-count="2"' in bell

    page = client.get("/notifications/").content.decode()
    assert "第一条" in page and "第二条" in page and "未读 2 条。" in page
    response = client.post(f"/notifications/{first.pk}/read/", {"next": "/notifications/"})
    assert (response.status_code, response["Location"]) == (302, "/notifications/")
    assert 'data-count="1"' in client.get("/notifications/bell/").content.decode()
    unread_page = client.get("/notifications/?show=unread").content.decode()
    assert "第二条" in unread_page and "第一条" not in unread_page

    response = client.post("/notifications/read-all/")
    assert (response.status_code, response["Location"]) == (302, "/notifications/")
    assert "data-count" not in client.get("/notifications/bell/").content.decode()
    assert inbox_unread_count(staff) == 0


def test_an_applicant_has_the_bell_too(frozen, applicant):
    note(applicant)
    client = session_client(applicant)
    assert 'data-count="1"' in client.get("/notifications/bell/").content.decode()
    home = client.get("/").content.decode()
    assert 'id="notify-bell"' in home and 'hx-get="/notifications/bell/"' in home
    # The count comes with the page (no request after it loads); htmx refreshes it on focus.
    assert 'data-count="1"' in home and 'hx-trigger="focus from:window"' in home


def test_a_visitor_gets_no_bell(client):
    assert client.get("/notifications/bell/").status_code == 204
    assert 'id="notify-bell"' not in client.get("/").content.decode()


def test_a_redirect_after_marking_stays_on_this_site(frozen, staff):
    message = note(staff)
    client = session_client(staff)
    response = client.post(f"/notifications/{message.pk}/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"


def test_the_settings_page_saves_the_choices(frozen, staff):
    client = session_client(staff)
    page = client.get("/account/notifications/").content.decode()
    assert "通知设置" in page and "137****1111" in page
    response = client.post(
        "/account/notifications/",
        {
            "sms": "on",
            "email_address": "li@example.org",
            "language": "en",
            "quiet_enabled": "on",
            "quiet_start": "23:00",
            "quiet_end": "06:30",
        },
    )
    assert (response.status_code, response["Location"]) == (302, "/account/notifications/")
    preference = staff.notify_preference
    preference.refresh_from_db()
    assert (
        preference.sms,
        preference.email,
        preference.email_address,
        preference.language,
        preference.quiet_start.isoformat(),
        preference.quiet_end.isoformat(),
    ) == (True, False, "li@example.org", "en", "23:00:00", "06:30:00")


def test_the_settings_page_shows_a_refusal_and_saves_nothing(frozen, city):
    from tests import factories

    user = factories.make_staff(city, factories.Role.REVIEWER)
    client = session_client(user)
    response = client.post(
        "/account/notifications/",
        {"email": "on", "quiet_start": "22:00", "quiet_end": "07:00"},
    )
    assert response.status_code == 200
    assert "选择电子邮件时请填写电子邮箱。" in response.content.decode()
    assert not NotificationPreference.objects.exists()
