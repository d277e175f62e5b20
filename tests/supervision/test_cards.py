"""Cards after the sweep: the responsible person explains one; a supervisor adds 督办."""

from __future__ import annotations

import datetime as dt

import pytest

from quanban.accounts.roles import Role
from quanban.cases import services as cases
from quanban.cases.models import Task
from quanban.core.errors import Conflict, PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from quanban.notify.models import OutboxMessage
from quanban.supervision import services
from quanban.supervision.models import CardEvent, SupervisionNote
from quanban.supervision.sweep import card_sweep
from tests import factories
from tests.supervision.test_sweep import D, _on_the_day_of_acceptance, accepted_case, people
from tests.web.test_synonym_page import signed_in

__all__ = ["_on_the_day_of_acceptance", "people"]


@pytest.fixture
def card(city, people):
    case = accepted_case(city, people["clerk"])
    cases.task_claim(user=people["reviewer"], task=Task.objects.get(case=case))
    card_sweep(today=D("2026-06-16"))
    return CardEvent.objects.get()


def test_the_assignee_explains_their_card_once(card, people, city):
    explained = services.card_acknowledge(
        user=people["reviewer"], card=card, explanation=" 申请人补充说明材料，今日办结。 "
    )
    assert (explained.acknowledged_by, explained.explanation) == (
        people["reviewer"],
        "申请人补充说明材料，今日办结。",
    )
    assert AuditRecord.objects.filter(action="card.acknowledge").count() == 1
    with pytest.raises(Conflict):
        services.card_acknowledge(user=people["office_head"], card=card, explanation="再说明")


@pytest.mark.parametrize("explanation", ["", "   "])
def test_an_explanation_is_required(card, people, explanation):
    with pytest.raises(ValidationFailed):
        services.card_acknowledge(user=people["reviewer"], card=card, explanation=explanation)
    card.refresh_from_db()
    assert (card.acknowledged_at, card.explanation) == (None, "")


def test_someone_the_card_is_not_for_may_not_explain_it(card, city):
    outsider = factories.make_staff(city, Role.REVIEWER, scope=city.other_department)
    with pytest.raises(PermissionDenied):
        services.card_acknowledge(user=outsider, card=card, explanation="不是我的")
    card.refresh_from_db()
    assert card.acknowledged_at is None


def test_a_supervisor_adds_a_note_that_reaches_the_responsible_people(card, city, people):
    supervisor = factories.make_staff(city, Role.SUPERVISOR, username="supervisor")
    before = OutboxMessage.objects.count()
    note = services.supervision_note_add(
        user=supervisor, card=card, text="请于周五前办结并报告", due_on=D("2026-06-18")
    )
    assert (note.case_id, note.card, note.author, note.due_on) == (
        card.case_id,
        card,
        supervisor,
        D("2026-06-18"),
    )
    body = "【全办】督办：请于周五前办结并报告（请于 2026-06-18 前办理）"
    assert OutboxMessage.objects.count() - before == 3
    assert sorted(OutboxMessage.objects.filter(body=body).values_list("recipient", flat=True)) == (
        sorted(["depthead", "officehead", people["reviewer"].username])
    )
    with pytest.raises(ValidationFailed):
        services.supervision_note_add(
            user=supervisor, card=card, text="过期", due_on=D("2026-06-15") - dt.timedelta(1)
        )
    with pytest.raises(PermissionDenied):
        services.supervision_note_add(
            user=people["reviewer"], card=card, text="自己督办", due_on=D("2026-06-18")
        )
    assert SupervisionNote.objects.count() == 1


def test_the_cards_page_lists_and_takes_the_explanation(card, people, city):
    client = signed_in(people["reviewer"])
    page = client.get("/workbench/cards/").content.decode()
    assert f"card-{card.pk}" in page and "提交说明" in page
    response = client.post(
        f"/workbench/cards/{card.pk}/acknowledge/",
        {f"a{card.pk}-explanation": "已联系申请人，今日办结"},
    )
    assert (response.status_code, response["Location"]) == (302, "/workbench/cards/")
    card.refresh_from_db()
    assert card.explanation == "已联系申请人，今日办结"
    outsider = signed_in(factories.make_staff(city, Role.REVIEWER, scope=city.other_department))
    assert f"card-{card.pk}" not in outsider.get("/workbench/cards/").content.decode()
