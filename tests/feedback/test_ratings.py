"""Ratings (好差评): one per case and per visit, the second rating, invitations, anonymity."""

from __future__ import annotations

import datetime as dt

import pytest

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases.models import Case
from quanban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from quanban.feedback import services
from quanban.feedback.models import FollowUp, Rating, RatingInvite
from quanban.notify.models import OutboxMessage
from tests import factories
from tests.feedback.conftest import finished_case


def ratings():
    return list(
        Rating.objects.order_by("pk").values_list(
            "kind", "channel", "level", "number", "superseded"
        )
    )


def test_the_applicant_rates_a_finished_case(world, case):
    rating = services.rating_submit_for_case(
        user=world["citizen"],
        case=case,
        level=5,
        scores={"efficiency": 5, "guide_accuracy": 4, "convenience": 5, "usability": 3},
        text="很快",
        tags=["高效", "高效", "热情"],
    )
    city = world["city"]
    row = Rating.objects.get()
    assert (row.kind, row.channel, row.level, row.number, row.superseded) == (
        "case",
        "portal",
        5,
        1,
        False,
    )
    assert (row.efficiency, row.guide_accuracy, row.convenience, row.usability) == (5, 4, 5, 3)
    assert row.tags == ["高效", "热情"]
    assert (row.department_id, row.office_id, row.window_id, row.hall_id) == (
        city.department.pk,
        city.office.pk,
        city.window.pk,
        city.hall.pk,
    )
    assert (row.item_id, row.staff_id, row.district_id) == (
        case.item_version.item_id,
        world["clerk"].pk,
        None,  # the hall sits under the city: the city level
    )
    assert (row.rater_user_id, row.rater_phone, row.rated_on) == (
        world["citizen"].pk,
        "13900001111",
        dt.date(2026, 6, 15),
    )
    assert FollowUp.objects.count() == 0
    record = AuditRecord.objects.filter(action="rating.create").get()
    assert record.object_id == str(rating.pk)
    # The trail never names the rater.
    assert "13900001111" not in str(record.changes)
    assert str(world["citizen"].pk) not in str(record.changes.get("rater_user", ""))


def test_a_second_rating_within_the_window_replaces_the_first(world, case, traveller):
    services.rating_submit_for_case(user=world["citizen"], case=case, level=3)
    traveller.shift(dt.timedelta(days=3))
    services.rating_submit_for_case(user=world["citizen"], case=case, level=5)
    assert ratings() == [("case", "portal", 3, 1, True), ("case", "portal", 5, 2, False)]
    with pytest.raises(Conflict) as error:
        services.rating_submit_for_case(user=world["citizen"], case=case, level=4)
    assert error.value.code == "rating_already_replaced"
    assert ratings() == [("case", "portal", 3, 1, True), ("case", "portal", 5, 2, False)]


def test_a_second_rating_after_the_window_is_refused(world, case, traveller, settings):
    settings.FEEDBACK_SECOND_RATING_DAYS = 2
    services.rating_submit_for_case(user=world["citizen"], case=case, level=3)
    traveller.shift(dt.timedelta(days=2, seconds=1))
    with pytest.raises(Conflict) as error:
        services.rating_submit_for_case(user=world["citizen"], case=case, level=5)
    assert error.value.code == "rating_already_given"
    assert ratings() == [("case", "portal", 3, 1, False)]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"level": 0}, "rating_level_invalid"),
        ({"level": 6}, "rating_level_invalid"),
        ({"level": True}, "rating_level_invalid"),
        ({"level": 4, "scores": {"attitude": 5}}, "rating_dimension_invalid"),
        ({"level": 4, "scores": {"efficiency": 9}}, "rating_level_invalid"),
        ({"level": 4, "text": "长" * 1001}, "rating_text_long"),
        ({"level": 4, "tags": [f"t{i}" for i in range(11)]}, "rating_tags_invalid"),
        ({"level": 4, "channel": "pad"}, "rating_channel_invalid"),
    ],
)
def test_invalid_ratings_are_refused(world, case, kwargs, code):
    with pytest.raises(ValidationFailed) as error:
        services.rating_submit_for_case(user=world["citizen"], case=case, **kwargs)
    assert error.value.code == code
    assert Rating.objects.count() == 0


def test_only_finished_cases_and_citizens_rate(world, case):
    with pytest.raises(PermissionDenied):
        services.rating_submit_for_case(user=world["clerk"], case=case, level=5)
    Case.objects.filter(pk=case.pk).update(state=Case.State.DECIDED)
    case.refresh_from_db()
    with pytest.raises(Conflict) as error:
        services.rating_submit_for_case(user=world["citizen"], case=case, level=5)
    assert error.value.code == "case_not_finished"
    assert Rating.objects.count() == 0


# --- The SMS link ------------------------------------------------------------------------------


def _token_of(message: OutboxMessage) -> str:
    return message.body.split("/rate/")[1].split("/")[0]


def test_the_sms_invitation_rates_once_and_expires(world, case, settings, traveller):
    settings.FEEDBACK_PUBLIC_URL = "https://zwfw.example.gov.cn/"
    invite = services.rating_invite(case=case)
    assert invite is not None
    message = OutboxMessage.objects.get(event="rating_invite")
    assert (message.channel, message.recipient) == ("sms", "13900001111")
    assert "https://zwfw.example.gov.cn/rate/" in message.body
    token = _token_of(message)
    assert RatingInvite.objects.get().token_hash == services.token_hash(token)
    # Asked once only.
    assert services.rating_invite(case=case) is None
    assert OutboxMessage.objects.filter(event="rating_invite").count() == 1

    services.rating_submit_by_token(token=token, level=4, scores={"efficiency": 4})
    assert ratings() == [("case", "sms", 4, 1, False)]
    assert Rating.objects.get().rater_user_id == world["citizen"].pk
    with pytest.raises(NotFound) as error:
        services.rating_submit_by_token(token=token, level=1)
    assert error.value.code == "rating_invite_invalid"
    assert ratings() == [("case", "sms", 4, 1, False)]


def test_an_expired_sms_link_is_refused(world, case, settings, traveller):
    settings.FEEDBACK_SMS_INVITE_HOURS = 1
    services.rating_invite(case=case)
    token = _token_of(OutboxMessage.objects.get(event="rating_invite"))
    traveller.shift(dt.timedelta(hours=1))
    with pytest.raises(NotFound):
        services.rating_submit_by_token(token=token, level=5)
    assert Rating.objects.count() == 0
    with pytest.raises(NotFound):
        services.rating_submit_by_token(token="not-a-token", level=5)


# --- The window pad (一次一评) -------------------------------------------------------------------


def test_the_pad_rates_a_visit_once(world, case):
    city = world["city"]
    invite, token = services.rating_pad_open(user=world["clerk"], window=city.window, case=case)
    services.rating_submit_by_token(
        token=token,
        level=5,
        scores={"efficiency": 5, "skill": 4, "attitude": 5},
        user=world["clerk"],
    )
    row = Rating.objects.get()
    assert (row.kind, row.channel, row.case_id, row.invite_id) == ("visit", "pad", None, invite.pk)
    assert (row.window_id, row.hall_id, row.staff_id, row.office_id, row.department_id) == (
        city.window.pk,
        city.hall.pk,
        world["clerk"].pk,
        city.office.pk,
        city.department.pk,
    )
    assert (row.skill, row.attitude, row.item_id) == (4, 5, case.item_version.item_id)
    # The city's own hall sits in no district.
    assert row.district_id is None
    assert RatingInvite.objects.get().used_at == row.rated_at
    with pytest.raises(NotFound):
        services.rating_submit_by_token(token=token, level=1, user=world["clerk"])
    assert Rating.objects.count() == 1
    # A visit rating is not the case's rating: the applicant may still rate the case.
    services.rating_submit_for_case(user=world["citizen"], case=case, level=4)
    assert Rating.objects.filter(kind="case").count() == 1


def test_a_pad_in_a_district_hall_counts_for_the_district(world):
    city = world["city"]
    hall = accounts.org_unit_create(kind="hall", name="历下区政务服务中心", parent=city.district)
    window = accounts.org_unit_create(kind="window", name="历下 1 号窗口", parent=hall)
    # Another district of the city: the hall's is the one on its path.
    accounts.org_unit_create(
        kind="district", name="槐荫区", division_code="370104", parent=city.city
    )
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, username="lx", scope=hall)
    _invite, token = services.rating_pad_open(user=clerk, window=window)
    services.rating_submit_by_token(token=token, level=4, user=clerk)
    row = Rating.objects.get()
    assert (row.window_id, row.hall_id, row.district_id) == (window.pk, hall.pk, city.district.pk)


@pytest.mark.django_db(transaction=True)
def test_one_pad_invitation_used_twice_at_once_rates_once(world):
    """Two submissions of one pad's token at the same moment: the second waits for the first's
    row, then finds it used (404) — one rating, one audit record."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises whole-database writes")
    invite, token = services.rating_pad_open(user=world["clerk"], window=world["city"].window)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def rate(level: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.rating_submit_by_token(token=token, level=level, user=world["clerk"])
            outcomes.append("rated")
        except NotFound as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rate, args=(level,)) for level in (5, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["rated", "rating_invite_invalid"]
    rating = Rating.objects.get()
    assert (rating.invite_id, RatingInvite.objects.get().used_at) == (invite.pk, rating.rated_at)
    assert AuditRecord.objects.filter(action="rating.create").count() == 1
    # A bad rating opens a follow-up: exactly when the bad one won.
    assert FollowUp.objects.count() == (1 if rating.level == 1 else 0)


def test_the_pad_is_the_opening_clerks_only(world):
    _invite, token = services.rating_pad_open(user=world["clerk"], window=world["city"].window)
    for user in (None, world["head"]):
        with pytest.raises(PermissionDenied):
            services.rating_submit_by_token(token=token, level=5, user=user)
    assert Rating.objects.count() == 0
    assert RatingInvite.objects.get().used_at is None


def test_the_pad_opens_on_a_window_only(world):
    with pytest.raises(ValidationFailed):
        services.rating_pad_open(user=world["clerk"], window=world["city"].hall)
    with pytest.raises(PermissionDenied):
        services.rating_pad_open(user=world["supervisor"], window=world["city"].window)
    # Business permission is not enough: the window's clerks open its pad.
    with pytest.raises(PermissionDenied) as error:
        services.rating_pad_open(user=world["member"], window=world["city"].window)
    assert error.value.code == "rating_pad_window_not_yours"
    assert RatingInvite.objects.count() == 0


def test_invite_needs_a_phone_and_a_finished_case(world):
    # No number on record and no account.
    person = accounts.person_register(name="王五", id_number=factories.valid_id_number(seq="552"))
    case = finished_case(world, person=person)
    assert services.rating_invite(case=case) is None
    Case.objects.filter(pk=case.pk).update(state=Case.State.DECIDED)
    case.refresh_from_db()
    with pytest.raises(Conflict):
        services.rating_invite(case=case)
    assert RatingInvite.objects.count() == 0


def test_the_worker_invites_each_case_that_reached_its_applicant_once(world, traveller):
    handed_over = finished_case(world)
    other = accounts.person_register(
        name="王五", id_number=factories.valid_id_number(seq="552"), phone=""
    )
    no_phone = finished_case(world, person=other)
    assert (handed_over.delivered_at, no_phone.delivered_at) != (None, None)
    assert OutboxMessage.objects.filter(event="rating_invite").count() == 0  # not inline
    assert services.rating_invite_due() == 1
    assert list(RatingInvite.objects.values_list("case_id", flat=True)) == [handed_over.pk]
    assert services.rating_invite_due() == 0  # never twice
    traveller.shift(dt.timedelta(days=2))
    late = finished_case(world)
    assert services.rating_invite_due() == 1  # the earlier ones are out of the lookback now
    assert sorted(RatingInvite.objects.values_list("case_id", flat=True)) == sorted(
        [handed_over.pk, late.pk]
    )
    assert OutboxMessage.objects.filter(event="rating_invite").count() == 2
