"""找茬 against a named responsible person: published on the guide and the hall's page, routed to
their office (never to themselves), answered, and in the department's public record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from quanban.accounts.roles import Role
from quanban.catalogue import services as catalogue
from quanban.core.errors import PermissionDenied
from quanban.feedback import selectors, services
from quanban.feedback.models import Complaint, FollowUp
from quanban.notify.models import OutboxMessage
from tests import factories
from tests.catalogue import helpers
from tests.feedback.conftest import SHANGHAI


@pytest.fixture
def depthead(world):
    city = world["city"]
    return factories.make_staff(
        city, Role.DEPARTMENT_HEAD, username="depthead", scope=city.department
    )


@pytest.fixture
def version(world):
    """An item of the city's department with the member as its responsible person."""
    draft = helpers.draft(world["city"].department)
    catalogue.version_update(user=None, version=draft, responsible_persons=[world["member"]])
    return catalogue.version_publish(
        user=None, version=catalogue.version_submit(user=None, version=draft)
    )


def _opened_to() -> list[str]:
    return list(
        OutboxMessage.objects.filter(event="followup_opened", channel="in_app")
        .order_by("recipient_user__username")
        .values_list("recipient_user__username", flat=True)
    )


def test_the_guide_names_the_department_office_and_direct_responsible_persons(
    world, depthead, version
):
    head, member = world["head"], world["member"]
    assert [(p.user_id, p.capacity) for p in selectors.item_responsibles(version)] == [
        (depthead.pk, "部门负责人"),
        (head.pk, "处(科)室负责人"),
        (member.pk, "事项责任人"),
    ]
    page = Client().get(f"/items/{version.item_id}/").content.decode()
    for person in (depthead, head, member):
        assert f"{person.display_name} <a" in page
        assert f"/complaints/new/?target=person&amp;id={person.pk}" in page


def test_a_hall_page_names_its_head_with_a_find_fault_link(world):
    city = world["city"]
    manager = factories.make_staff(city, Role.OFFICE_HEAD, username="hallhead", scope=city.hall)
    page = Client().get(f"/feedback/hall/{city.hall.pk}/").content.decode()
    assert (
        f'<p id="responsibles">责任人：负责人 {manager.display_name} <a class="muted" '
        f'href="/complaints/new/?target=person&amp;id={manager.pk}">找茬</a></p>'
    ) in page


def test_a_complaint_against_a_named_person_reaches_their_office_is_answered_and_published(
    world, depthead, version
):
    city, head, member, citizen = world["city"], world["head"], world["member"], world["citizen"]
    complaint = services.complaint_submit(
        user=citizen,
        target="person",
        target_id=member.pk,
        category="attitude",
        text="窗口答复含糊，让我跑了三次",
    )
    followup = FollowUp.objects.get()
    assert (complaint.department_id, followup.unit_id, followup.complaint_id) == (
        city.department.pk,
        city.office.pk,
        complaint.pk,
    )
    assert _opened_to() == ["head"]  # the office's head; not the person named
    # The person named may read it (their office's) but never handle it.
    with pytest.raises(PermissionDenied):
        services.followup_contact(user=member, followup=followup, note="我解释一下")
    services.followup_contact(user=head, followup=followup, note="已致电致歉，了解经过")
    services.followup_rectify(
        user=head, followup=followup, rectification="对该同志批评教育，并公开一次性告知清单"
    )
    mine = selectors.my_feedback(user=citizen)["complaints"]
    assert [(c["id"], c["followup_state"], c["contact_note"]) for c in mine] == [
        (complaint.pk, "rectified", "已致电致歉，了解经过")
    ]
    assert OutboxMessage.objects.filter(
        event="followup_rectified", recipient_user=citizen, channel="in_app"
    ).exists()
    services.followup_verdict(user=citizen, followup_id=followup.pk, verdict="satisfied")
    # The department's public record.
    results = selectors.public_results(scope="department", subject_id=city.department.pk)
    assert (results.complaints, results.followups["closed"], str(results.rectification_rate)) == (
        1,
        1,
        "1.0000",
    )
    assert [
        (r["target"], r["category"], r["unit_name"], r["rectification"], r["verdict"])
        for r in results.record
    ] == [
        ("person", "attitude", "综合受理处", "对该同志批评教育，并公开一次性告知清单", "satisfied")
    ]
    page = Client().get(f"/feedback/department/{city.department.pk}/").content.decode()
    assert (
        "<td>工作人员 · 服务态度</td><td>综合受理处</td>"
        "<td>对该同志批评教育，并公开一次性告知清单</td><td>满意</td>"
    ) in page
    assert 'id="complaints">1<' in page
    # The public never reads who complained, nor whom the complaint named.
    assert citizen.phone not in page and member.display_name not in page


def test_a_complaint_against_the_office_head_goes_to_the_department_head(
    world, depthead, traveller
):
    head, citizen = world["head"], world["citizen"]
    services.complaint_submit(
        user=citizen, target="person", target_id=head.pk, category="integrity", text="吃拿卡要"
    )
    followup = FollowUp.objects.get()
    assert followup.unit_id == world["city"].office.pk
    assert _opened_to() == ["depthead"]
    with pytest.raises(PermissionDenied):
        services.followup_contact(user=head, followup=followup, note="没有的事")
    assert FollowUp.objects.get().state == "open"
    services.followup_contact(user=depthead, followup=followup, note="已约谈")
    assert FollowUp.objects.get().state == "contacted"
    # Its cards skip the head too: the rectification's yellow goes to the department head.
    from quanban.supervision.followup_sweep import followup_card_sweep

    traveller.move_to(dt.datetime(2026, 6, 22, 9, 0, tzinfo=SHANGHAI))
    assert followup_card_sweep().yellow == 1
    assert list(
        OutboxMessage.objects.filter(
            event__startswith="followup_card", channel="in_app"
        ).values_list("recipient_user__username", "event")
    ) == [("depthead", "followup_card_yellow")]
    assert Complaint.objects.get().person_id == head.pk
