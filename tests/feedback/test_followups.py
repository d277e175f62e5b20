"""Bad ratings and complaints are followed up: assignment, deadlines, contact, rectification,
the rater's verdict; who may handle them; anonymity to staff."""

from __future__ import annotations

import datetime as dt

import pytest

from quanban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from quanban.feedback import selectors, services
from quanban.feedback.models import Complaint, FollowUp
from quanban.notify.models import OutboxMessage


def _state(followup):
    return FollowUp.objects.filter(pk=followup.pk).values_list("state", "verdict", "version").get()


@pytest.fixture
def bad(world, case):
    services.rating_submit_for_case(
        user=world["citizen"], case=case, level=1, text="等了很久", scores={"efficiency": 1}
    )
    return FollowUp.objects.get()


def test_a_bad_rating_opens_a_follow_up_for_the_lead_office(world, case, bad):
    city = world["city"]
    assert (bad.unit_id, bad.department_id, bad.state, bad.card_level) == (
        city.office.pk,
        city.department.pk,
        "open",
        "none",
    )
    # Monday 2026-06-15: contact by the next working day, rectify within five (the Dragon Boat
    # holiday, 6/19–6/21, does not count); yellow on the last day, as for tasks.
    assert (bad.contact_warn_on, bad.contact_due_on) == (dt.date(2026, 6, 15), dt.date(2026, 6, 16))
    assert (bad.rectify_warn_on, bad.rectify_due_on) == (dt.date(2026, 6, 22), dt.date(2026, 6, 23))
    told = OutboxMessage.objects.filter(event="followup_opened")
    assert list(told.values_list("channel", "recipient_user")) == [("in_app", world["head"].pk)]
    assert told.get().link == f"/workbench/feedback/followups/{bad.pk}/"


def test_the_deadlines_are_configurable_and_skip_the_holiday(world, settings, traveller):
    settings.FEEDBACK_CONTACT_WORKING_DAYS = 2
    settings.FEEDBACK_RECTIFY_WORKING_DAYS = 3
    # Thursday 2026-06-18: the Dragon Boat holiday is 6/19–6/21.
    traveller.move_to(dt.datetime(2026, 6, 18, 9, 0, tzinfo=dt.UTC))
    assert services.followup_deadlines(dt.date(2026, 6, 18)) == {
        "contact_due_on": dt.date(2026, 6, 23),
        "contact_warn_on": dt.date(2026, 6, 22),
        "rectify_due_on": dt.date(2026, 6, 24),
        "rectify_warn_on": dt.date(2026, 6, 23),
    }


def test_good_ratings_open_nothing(world, case):
    services.rating_submit_for_case(user=world["citizen"], case=case, level=3)
    assert FollowUp.objects.count() == 0


def test_the_office_contacts_rectifies_and_the_rater_judges(world, bad):
    head, citizen = world["head"], world["citizen"]
    services.followup_contact(
        user=head, followup=bad, note="已电话致歉并了解情况", expected_version=1
    )
    assert _state(bad) == ("contacted", "", 2)
    reply = OutboxMessage.objects.filter(event="followup_reply", channel="in_app").get()
    assert (reply.recipient_user_id, reply.link) == (citizen.pk, "/my/feedback/")
    services.followup_rectify(user=head, followup=bad, rectification="增设引导员，缩短等候")
    assert _state(bad) == ("rectified", "", 3)
    assert OutboxMessage.objects.filter(event="followup_rectified", recipient_user=citizen).exists()
    services.followup_verdict(user=citizen, followup_id=bad.pk, verdict="satisfied")
    row = FollowUp.objects.get()
    assert (row.state, row.verdict, row.closed_at is not None, row.rectified_by_id) == (
        "closed",
        "satisfied",
        True,
        head.pk,
    )
    # Once only.
    with pytest.raises(Conflict):
        services.followup_verdict(user=citizen, followup_id=bad.pk, verdict="dissatisfied")
    assert _state(bad) == ("closed", "satisfied", 4)


def test_a_stale_or_out_of_turn_handling_is_refused(world, bad):
    head = world["head"]
    from quanban.core.errors import StaleEdit

    with pytest.raises(StaleEdit):
        services.followup_contact(user=head, followup=bad, note="x", expected_version=7)
    with pytest.raises(ValidationFailed):
        services.followup_contact(user=head, followup=bad, note="  ")
    services.followup_rectify(user=head, followup=bad, rectification="已整改")
    with pytest.raises(Conflict):
        services.followup_contact(user=head, followup=bad, note="晚了")
    assert _state(bad) == ("rectified", "", 2)


def test_who_may_handle_a_follow_up(world, bad):
    city = world["city"]
    # The rated clerk never handles their own; the supervisor reads but does not handle; the
    # citizen is not staff; a member of another department does not find it.
    from tests import factories

    other = factories.make_staff(city, factories.Role.OFFICE_HEAD, scope=city.other_department)
    other.__class__.objects.filter(pk=other.pk).update(
        department=city.other_department, office=None
    )
    other.refresh_from_db()
    for user, error in (
        (world["clerk"], PermissionDenied),
        (world["supervisor"], PermissionDenied),
        (world["citizen"], PermissionDenied),
        (other, NotFound),
    ):
        with pytest.raises(error):
            services.followup_contact(user=user, followup=bad, note="我来处理")
    assert _state(bad) == ("open", "", 1)
    # The verdict is the rater's only, and only once rectified.
    with pytest.raises(NotFound):
        services.followup_verdict(user=world["head"], followup_id=bad.pk, verdict="satisfied")
    with pytest.raises(Conflict):
        services.followup_verdict(user=world["citizen"], followup_id=bad.pk, verdict="satisfied")
    assert _state(bad) == ("open", "", 1)


def test_staff_see_the_rating_never_the_rater(world, bad):
    for user in (world["head"], world["supervisor"], world["member"]):
        views = selectors.followup_list_for_user(user=user)
        assert [v.followup.pk for v in views] == [bad.pk]
        rating = views[0].rating
        assert rating is not None
        assert (rating["level"], rating["text"], rating["efficiency"]) == (1, "等了很久", 1)
        assert not {"rater_user", "rater_user_id", "rater_phone", "invite_id"} & set(rating)
    assert selectors.followup_list_for_user(user=world["head"])[0].may_handle is True
    assert selectors.followup_list_for_user(user=world["supervisor"])[0].may_handle is False
    # The rated clerk works in the office: they see the rating (not the rater) and may not
    # handle it.
    assert [v.may_handle for v in selectors.followup_list_for_user(user=world["clerk"])] == [False]
    with pytest.raises(PermissionDenied):
        selectors.followup_list_for_user(user=world["citizen"])


def test_a_rater_without_an_account_gets_the_reply_by_sms(world, settings):
    from quanban.accounts import services as accounts
    from tests import factories
    from tests.feedback.conftest import finished_case

    person = accounts.person_register(
        name="赵六", id_number=factories.valid_id_number(seq="553"), phone="13700007777"
    )
    case = finished_case(world, person=person)
    services.rating_invite(case=case)
    token = OutboxMessage.objects.get(event="rating_invite").body.split("/rate/")[1].split("/")[0]
    services.rating_submit_by_token(token=token, level=2)
    followup = FollowUp.objects.get()
    services.followup_rectify(user=world["head"], followup=followup, rectification="已整改到位")
    row = FollowUp.objects.get()
    assert (row.state, row.verdict) == ("closed", "unreachable")
    texted = OutboxMessage.objects.filter(event="followup_reply", channel="sms").get()
    assert texted.recipient == "13700007777"


# --- Complaints (找茬) -----------------------------------------------------------------------------


def test_a_real_name_complaint_against_a_person_reaches_their_office(world):
    complaint = services.complaint_submit(
        user=world["citizen"],
        target="person",
        target_id=world["member"].pk,
        category="attitude",
        text="态度生硬",
    )
    followup = FollowUp.objects.get()
    city = world["city"]
    assert (complaint.complainant_id, complaint.department_id, complaint.person_id) == (
        world["citizen"].pk,
        city.department.pk,
        world["member"].pk,
    )
    assert (followup.complaint_id, followup.unit_id, followup.department_id) == (
        complaint.pk,
        city.office.pk,
        city.department.pk,
    )
    # The person complained about does not handle it; their head does.
    with pytest.raises(PermissionDenied):
        services.followup_contact(user=world["member"], followup=followup, note="误会")
    services.followup_rectify(user=world["head"], followup=followup, rectification="已批评教育")
    mine = selectors.my_feedback(user=world["citizen"])
    assert [(c["id"], c["followup_state"], c["rectification"]) for c in mine["complaints"]] == [
        (complaint.pk, "rectified", "已批评教育")
    ]
    services.followup_verdict(user=world["citizen"], followup_id=followup.pk, verdict="basic")
    assert FollowUp.objects.get().state == "closed"


def test_an_anonymous_complaint_keeps_nobody(world):
    complaint = services.complaint_submit(
        user=None,
        target="hall",
        target_id=world["city"].hall.pk,
        category="environment",
        text="座位太少",
        anonymous=True,
    )
    assert (complaint.complainant_id, complaint.department_id) == (None, None)
    assert FollowUp.objects.get().unit_id == world["city"].hall.pk
    # A signed-in citizen who chooses anonymity is not kept either.
    services.complaint_submit(
        user=world["citizen"],
        target="item",
        target_id=Complaint.objects.get().pk and _item(world),
        category="process",
        text="指南与实际不符",
        anonymous=True,
    )
    assert list(Complaint.objects.order_by("pk").values_list("complainant_id", flat=True)) == [
        None,
        None,
    ]


def _item(world):
    from tests.catalogue import helpers

    return helpers.published(world["city"].department).item_id


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"category": "noise"}, ValidationFailed, "complaint_category_invalid"),
        ({"text": " "}, ValidationFailed, "complaint_text_invalid"),
        ({"target": "planet"}, ValidationFailed, "complaint_target_invalid"),
        ({"target_id": 10**9}, NotFound, "staff_not_found"),
        ({"user": None}, PermissionDenied, "complaint_real_name_needs_account"),
        ({"user": "clerk"}, PermissionDenied, "complaint_citizen_only"),
    ],
)
def test_invalid_complaints_change_nothing(world, kwargs, error, code):
    arguments = {
        "user": world["citizen"],
        "target": "person",
        "target_id": world["member"].pk,
        "category": "attitude",
        "text": "态度生硬",
        **kwargs,
    }
    if arguments["user"] == "clerk":
        arguments["user"] = world["clerk"]
    with pytest.raises(error) as raised:
        services.complaint_submit(**arguments)
    assert raised.value.code == code
    assert (Complaint.objects.count(), FollowUp.objects.count()) == (0, 0)


def test_a_complaint_about_a_case_is_its_applicants(world, case):
    from tests import factories

    stranger = factories.make_citizen("13600006666")
    with pytest.raises(NotFound):
        services.complaint_submit(
            user=stranger, target="case", target_id=case.pk, category="quality", text="质量差"
        )
    services.complaint_submit(
        user=world["citizen"], target="case", target_id=case.pk, category="quality", text="质量差"
    )
    assert FollowUp.objects.get().unit_id == world["city"].office.pk
