"""The catalogue lifecycle: who may do what, immutability of published versions, new drafts."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from quanban.catalogue import services
from quanban.catalogue.models import ItemVersion, Material, ServiceItem, Situation
from quanban.core.errors import Conflict, PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from tests import factories
from tests.catalogue import helpers

pytestmark = pytest.mark.django_db


def test_item_create_makes_the_codes_and_draft_version_1(city, editor):
    version = helpers.draft(city.department, user=editor, basic_code="000000000123")
    item = version.item
    assert item.implementation_code == f"{city.department.uscc}3000000000123"
    assert len(item.implementation_code) == 31
    assert (version.number, version.state, version.created_by) == (1, "draft", editor)
    record = AuditRecord.objects.filter(action="catalogue.item_create").get()
    assert record.object_id == str(version.pk)
    assert record.changes["name"] == [None, "食品经营许可"]


def test_item_create_refuses_a_bad_basic_code_and_a_taken_code(city):
    with pytest.raises(ValidationFailed) as caught:
        services.item_create(
            user=None,
            implementing_department=city.department,
            **helpers.item_fields(basic_code="12"),
        )
    assert (caught.value.code, caught.value.field) == ("basic_code_format", "basic_code")
    version = helpers.draft(city.department)
    with pytest.raises(Conflict) as caught:
        helpers.draft(city.department, basic_code=version.item.basic_code)
    assert caught.value.code == "implementation_code_taken"
    assert ServiceItem.objects.count() == 1


def test_unknown_fields_and_codes_are_refused(city):
    with pytest.raises(ValidationFailed) as caught:
        helpers.draft(city.department, colour="red")
    assert (caught.value.code, caught.value.field) == ("field_unknown", "colour")
    with pytest.raises(ValidationFailed) as caught:
        helpers.draft(city.department, item_type="99")
    assert (caught.value.code, caught.value.field) == ("field_invalid", "item_type")
    with pytest.raises(ValidationFailed) as caught:
        helpers.draft(city.department, handling_forms=["8"])
    assert caught.value.field == "handling_forms"
    with pytest.raises(ValidationFailed) as caught:
        helpers.draft(city.department, process={"kind": "telepathy"})
    assert caught.value.field == "process"
    assert ServiceItem.objects.count() == 0


def test_an_editor_of_another_department_is_refused_and_nothing_changes(city, editor, other_editor):
    with pytest.raises(PermissionDenied) as caught:
        helpers.draft(city.department, user=other_editor)
    assert caught.value.code == "catalogue_out_of_scope"
    assert ServiceItem.objects.count() == 0

    version = helpers.draft(city.department, user=editor)
    records = AuditRecord.objects.count()
    with pytest.raises(PermissionDenied):
        services.version_update(user=other_editor, version=version, name="改名")
    with pytest.raises(PermissionDenied):
        services.material_add(
            user=other_editor, version=version, name="身份证", form="1", necessity="1", source="10"
        )
    with pytest.raises(PermissionDenied):
        services.version_submit(user=other_editor, version=version)
    version.refresh_from_db()
    assert (version.name, version.state, version.materials.count()) == ("食品经营许可", "draft", 1)
    assert AuditRecord.objects.count() == records


def test_an_editor_scoped_above_the_department_may_edit(city):
    city_editor = factories.make_staff(city, factories.Role.CATALOGUE_EDITOR, scope=city.city)
    version = helpers.draft(city.other_department, user=city_editor)
    assert services.version_update(user=city_editor, version=version, name="改名").name == "改名"


def test_only_reviewers_publish_and_only_editors_edit(city, editor, reviewer):
    version = services.version_submit(
        user=editor, version=helpers.draft(city.department, user=editor)
    )
    with pytest.raises(PermissionDenied) as caught:
        services.version_publish(user=editor, version=version)
    assert (caught.value.code, str(caught.value)) == (
        "forbidden",
        "只有事项审核人员可以审核、发布或停用事项。",
    )
    version.refresh_from_db()
    assert version.state == "submitted"
    with pytest.raises(PermissionDenied) as caught:
        helpers.draft(city.department, user=reviewer)
    assert str(caught.value) == "只有事项编辑人员可以编辑事项。"
    clerk = factories.make_staff(city, factories.Role.WINDOW_CLERK)
    with pytest.raises(PermissionDenied):
        services.version_publish(user=clerk, version=version)
    published = services.version_publish(user=reviewer, version=version)
    assert (published.state, published.published_by) == ("published", reviewer)


def test_a_reviewer_of_another_department_cannot_publish(city, editor):
    reviewer = factories.make_staff(
        city, factories.Role.CATALOGUE_REVIEWER, scope=city.other_department
    )
    version = helpers.submitted(city.department)
    with pytest.raises(PermissionDenied) as caught:
        services.version_publish(user=reviewer, version=version)
    assert caught.value.code == "catalogue_out_of_scope"
    assert helpers.state_of(version.item) == [(1, "submitted")]


@pytest.mark.parametrize("state", ["submitted", "published"])
def test_only_drafts_are_edited(city, state):
    version = helpers.submitted(city.department)
    if state == "published":
        version = services.version_publish(user=None, version=version)
    material = version.materials.get()
    attempts = [
        lambda: services.version_update(user=None, version=version, name="改名"),
        lambda: services.material_add(
            user=None, version=version, name="身份证", form="1", necessity="1", source="10"
        ),
        lambda: services.material_update(user=None, material=material, name="改名"),
        lambda: services.material_remove(user=None, material=material),
        lambda: services.situation_add(
            user=None, version=version, question="是否新建？", options=[{"label": "是"}]
        ),
    ]
    for attempt in attempts:
        with pytest.raises(Conflict) as caught:
            attempt()
        assert caught.value.code == "version_not_draft"
    version.refresh_from_db()
    material.refresh_from_db()
    assert (version.name, version.state, material.name) == (
        "食品经营许可",
        state,
        "食品经营许可申请书",
    )
    assert Situation.objects.count() == 0


def test_transitions_outside_the_table_are_refused(city):
    version = helpers.draft(city.department)
    for attempt in (services.version_publish, services.version_retire):
        with pytest.raises(Conflict) as caught:
            attempt(user=None, version=version)
        assert caught.value.code == "version_state"
    version = services.version_submit(user=None, version=version)
    with pytest.raises(Conflict):
        services.version_submit(user=None, version=version)
    assert helpers.state_of(version.item) == [(1, "submitted")]


def test_return_to_editor_needs_a_reason(city, reviewer):
    version = helpers.submitted(city.department)
    with pytest.raises(ValidationFailed) as caught:
        services.version_return(user=reviewer, version=version, reason="  ")
    assert caught.value.code == "reason_required"
    returned = services.version_return(user=reviewer, version=version, reason="收费依据不全")
    assert (returned.state, returned.return_reason) == ("draft", "收费依据不全")
    assert AuditRecord.objects.filter(action="catalogue.version_return").count() == 1


@time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False)
def test_publishing_retires_the_previous_version(city, reviewer):
    first = helpers.published(city.department)
    assert first.valid_from == dt.date(2026, 3, 2)
    draft = services.version_new_draft(user=None, item=first.item)
    services.version_update(user=None, version=draft, promised_limit_days=3)
    services.version_submit(user=None, version=draft)
    second = services.version_publish(user=reviewer, version=draft, valid_from=dt.date(2026, 4, 1))
    first.refresh_from_db()
    assert (first.state, first.valid_until) == ("retired", dt.date(2026, 3, 31))
    assert (second.state, second.valid_from, second.number) == ("published", dt.date(2026, 4, 1), 2)
    assert helpers.state_of(first.item) == [(1, "retired"), (2, "published")]


def test_retire(city, reviewer):
    version = helpers.published(city.department)
    retired = services.version_retire(user=reviewer, version=version)
    assert retired.state == "retired"
    assert retired.retired_at is not None
    assert AuditRecord.objects.filter(action="catalogue.version_retire").count() == 1


def test_a_new_draft_copies_everything(city):
    co_department = city.other_department
    version = helpers.draft(
        city.department,
        fees=[
            {
                "name": "工本费",
                "standard": "10 元",
                "basis": "鲁价费发〔2020〕1号",
                "waivable": True,
            }
        ],
        faq=[{"q": "需要本人到场吗？", "a": "不需要。"}],
        process={"kind": "review_approve", "commitment_allowed": True},
        agent_service=True,
        co_departments=[co_department],
    )
    proof = helpers.proof()
    services.material_add(
        user=None,
        version=version,
        name="出生医学证明",
        form="3",
        necessity="2",
        source="20",
        is_proof=True,
        retained_proof=proof,
        situational=True,
        copy_count=2,
    )
    services.material_add(
        user=None, version=version, name="房屋产权证明", form="1", necessity="1", source="10"
    )
    services.situation_add(
        user=None,
        version=version,
        question="申请人类型？",
        options=[
            {"label": "个人", "adds_materials": [2], "removes_materials": [3]},
            {"label": "企业", "adds_conditions": "已取得营业执照"},
        ],
    )
    services.version_submit(user=None, version=version)
    published = services.version_publish(user=None, version=version)

    draft = services.version_new_draft(user=None, item=published.item)

    assert (draft.number, draft.state, draft.valid_from) == (2, "draft", None)
    for name in services.VERSION_FIELDS:
        if name not in ("valid_from", "valid_until"):
            assert getattr(draft, name) == getattr(published, name), name
    assert list(draft.co_departments.all()) == [co_department]

    def materials(v: ItemVersion) -> list[tuple]:
        return list(
            v.materials.order_by("seq").values_list(
                "seq",
                "name",
                "form",
                "necessity",
                "source",
                "is_proof",
                "retained_proof",
                "situational",
                "copy_count",
                "is_core",
            )
        )

    assert materials(draft) == materials(published)
    assert not set(draft.materials.values_list("pk", flat=True)) & set(
        published.materials.values_list("pk", flat=True)
    )

    def situations(v: ItemVersion) -> list[tuple]:
        return [
            (
                s.seq,
                s.question,
                [
                    (
                        o.seq,
                        o.label,
                        o.adds_conditions,
                        [(m.seq, m.version_id) for m in o.adds_materials.all()],
                        [(m.seq, m.version_id) for m in o.removes_materials.all()],
                    )
                    for o in s.options.order_by("seq")
                ],
            )
            for s in v.situations.order_by("seq")
        ]

    assert situations(draft) == [
        (
            1,
            "申请人类型？",
            [
                (1, "个人", "", [(2, draft.pk)], [(3, draft.pk)]),
                (2, "企业", "已取得营业执照", [], []),
            ],
        )
    ]
    assert [(s[0], s[1]) for s in situations(published)] == [(1, "申请人类型？")]
    # Editing the copy leaves the published version alone.
    services.version_update(user=None, version=draft, name="食品经营许可（新）")
    published.refresh_from_db()
    assert published.name == "食品经营许可"


def test_only_one_open_version_at_a_time(city):
    version = helpers.published(city.department)
    services.version_new_draft(user=None, item=version.item)
    with pytest.raises(Conflict) as caught:
        services.version_new_draft(user=None, item=version.item)
    assert caught.value.code == "version_open_exists"
    assert helpers.state_of(version.item) == [(1, "published"), (2, "draft")]


def test_material_seq_and_situation_links(city):
    version = helpers.draft(city.department)
    material = services.material_add(
        user=None, version=version, name="身份证", form="1", necessity="1", source="10"
    )
    assert material.seq == 2
    with pytest.raises(Conflict):
        services.material_add(
            user=None, version=version, seq=2, name="户口簿", form="1", necessity="1", source="10"
        )
    with pytest.raises(ValidationFailed) as caught:
        services.material_add(user=None, version=version, name="户口簿")
    assert (caught.value.code, caught.value.field) == ("field_required", "form")
    with pytest.raises(ValidationFailed) as caught:
        services.situation_add(
            user=None,
            version=version,
            question="是否新建？",
            options=[{"label": "是", "adds_materials": [9]}],
        )
    assert (caught.value.code, caught.value.field) == (
        "material_unknown",
        "options[1].adds_materials",
    )
    assert Situation.objects.count() == 0
    updated = services.material_update(user=None, material=material, name="居民身份证")
    assert updated.name == "居民身份证"
    services.material_remove(user=None, material=updated)
    assert list(version.materials.values_list("seq", flat=True)) == [1]
    assert AuditRecord.objects.filter(action__startswith="catalogue.material_").count() == 4


@pytest.mark.django_db(transaction=True)
def test_two_publishes_at_once_leave_exactly_one_published():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises whole-database writes")
    city = factories.make_city()
    version = helpers.submitted(city.department)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def publish() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            services.version_publish(user=None, version=version)
            outcomes.append("published")
        except Conflict as error:
            outcomes.append(error.code)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["published", "version_state"]
    assert ItemVersion.objects.filter(item=version.item, state="published").count() == 1
    assert AuditRecord.objects.filter(action="catalogue.version_publish").count() == 1
    assert Material.objects.count() == 1


def test_responsible_persons_are_staff_of_the_implementing_department(city):
    from quanban.accounts.roles import Role

    own = factories.make_staff(city, Role.APPROVER)
    outsider = factories.make_staff(city, None)  # no role, and in another department
    outsider.department = city.other_department
    outsider.save(update_fields=["department"])
    draft = helpers.draft(city.department)
    updated = services.version_update(user=None, version=draft, responsible_persons=[own])
    assert list(updated.responsible_persons.all()) == [own]
    copy = services.version_new_draft(
        user=None,
        item=services.version_publish(
            user=None, version=services.version_submit(user=None, version=updated)
        ).item,
    )
    assert list(copy.responsible_persons.all()) == [own]
    with pytest.raises(ValidationFailed) as refused:
        services.version_update(user=None, version=copy, responsible_persons=[outsider])
    assert refused.value.code == "responsible_person_scope"
    assert list(copy.responsible_persons.all()) == [own]
