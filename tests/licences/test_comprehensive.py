"""一业一证 end to end: one application of a theme goes through acceptance, the co-review of every
bundled item's department, approval and issue (the real services), and comes out as one
comprehensive licence plus one permit per bundled licence type, each sealed by its own department;
verifying the comprehensive licence resolves each permit."""

from __future__ import annotations

import pytest
from django.test import Client

from quanban.accounts.roles import Role
from quanban.cases import services as cases
from quanban.cases.models import Case, Channel, Task
from quanban.core.models import AuditRecord
from quanban.licences import seals
from quanban.licences.models import Licence
from quanban.licences.pdf import licence_pdf
from quanban.licences.selectors import fields_of, licence_verify, public_view, seal_intact
from quanban.licences.services import licence_issue, licence_renew, licence_revoke
from tests import factories
from tests.catalogue.theme_helpers import build_world, published_theme


@pytest.fixture
def world(city, seal_store):
    return build_world(city)


@pytest.fixture
def theme_version(world):
    return published_theme(world)[1]


def staff(city, role, unit):
    return factories.make_staff(city, role, scope=unit)


def open_tasks(case):
    return list(Task.objects.filter(case=case, state="open").order_by("pk"))


def run_theme_case(city, world, version, entity, *, co_outcomes=("agree", "agree")):
    """Receive at the window, accept, review, co-review by each department, approve, issue."""
    clerk = factories.make_staff(city)
    case = cases.case_receive(
        user=clerk,
        item_version=version,
        applicant=entity,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=city.window,
        received_material_ids=list(
            version.materials.filter(necessity="1").values_list("pk", flat=True)
        ),
    )
    case = cases.case_accept(user=clerk, case=case)
    assert [s["id"] for s in case.process["steps"]] == [
        "accept",
        "review",
        "co_review",
        "approve",
        "issue",
    ]
    (review,) = open_tasks(case)
    assert (review.step, review.department) == ("review", world.lead)
    cases.task_complete(
        user=staff(city, Role.REVIEWER, world.lead), task=review, outcome="pass", opinion="齐全"
    )
    co = open_tasks(case)
    assert [(t.step, t.department) for t in co] == [
        ("co_review", world.market),
        ("co_review", world.culture),
    ]
    for task, outcome in zip(co, co_outcomes, strict=True):
        cases.task_complete(
            user=staff(city, Role.REVIEWER, task.department),
            task=task,
            outcome=outcome,
            opinion="同意" if outcome == "agree" else "需整改",
        )
    (approve,) = open_tasks(case)
    assert approve.step == "approve"
    cases.task_complete(
        user=staff(city, Role.APPROVER, world.lead),
        task=approve,
        outcome="approve",
        decision_text="便利店综合许可：预包装食品销售、出版物零售、第二类医疗器械经营",
    )
    (issue,) = open_tasks(case)
    cases.task_complete(
        user=staff(city, Role.WINDOW_CLERK, city.hall),
        task=issue,
        outcome="issued",
        delivery="window",
    )
    case.refresh_from_db()
    return case


def test_one_application_issues_one_comprehensive_licence_and_each_permit(
    city, world, theme_version, entity, work_calendar
):
    case = run_theme_case(city, world, theme_version, entity)
    assert case.state == Case.State.FINISHED
    assert Licence.objects.count() == 4
    comprehensive = Licence.objects.get(case=case)
    permits = list(Licence.objects.filter(case__isnull=True).order_by("pk"))
    assert [(p.licence_type.name, p.issuer) for p in permits] == [
        ("食品经营许可证", world.market),
        ("出版物经营许可证", world.culture),
        ("第二类医疗器械经营备案凭证", world.market),
    ]
    assert comprehensive.licence_type == world.comprehensive
    assert comprehensive.issuer == world.lead
    # Each permit is sealed by its own department's key.
    for licence in [*permits, comprehensive]:
        keys = seals.seal_keys_list(department_code=licence.issuer.uscc)
        assert [key.key_id for key in keys] == [licence.seal_key_id]
        assert seal_intact(licence) == ""
        assert (licence.holder_code, licence.entity) == (entity.uscc, entity)
    assert permits[0].data["事项"] == "食品经营许可"
    assert permits[1].data["事项"] == "出版物零售业务许可"
    assert comprehensive.data["行业"] == "便利店“一业一证”综合许可"
    assert comprehensive.data["许可事项"] == [
        {
            "type": "食品经营许可证",
            "identifier": permits[0].identifier,
            "issuer": world.market.name,
        },
        {
            "type": "出版物经营许可证",
            "identifier": permits[1].identifier,
            "issuer": world.culture.name,
        },
        {
            "type": "第二类医疗器械经营备案凭证",
            "identifier": permits[2].identifier,
            "issuer": world.market.name,
        },
    ]
    # The comprehensive licence ends with its first permit (食品 5 years; 备案凭证 permanent).
    assert comprehensive.valid_until == permits[0].valid_until
    issued = AuditRecord.objects.filter(action="licence.issue").order_by("pk")
    assert [r.changes["case"] for r in issued] == [case.pk] * 4
    # Idempotent: issuing again changes nothing.
    assert licence_issue(case=case, user=None) == comprehensive
    assert Licence.objects.count() == 4


def test_verifying_the_comprehensive_licence_resolves_each_permit(
    city, world, theme_version, entity, work_calendar
):
    case = run_theme_case(city, world, theme_version, entity)
    comprehensive = Licence.objects.get(case=case)
    permits = list(Licence.objects.filter(case__isnull=True).order_by("pk"))
    verification = licence_verify(comprehensive.identifier)
    assert verification.result == "valid"
    assert [
        (p.licence_type, p.issuer, p.listed, p.identifier, p.result) for p in verification.parts
    ] == [
        (
            "食品经营许可证",
            world.market.name,
            permits[0].identifier,
            permits[0].identifier,
            "valid",
        ),
        (
            "出版物经营许可证",
            world.culture.name,
            permits[1].identifier,
            permits[1].identifier,
            "valid",
        ),
        (
            "第二类医疗器械经营备案凭证",
            world.market.name,
            permits[2].identifier,
            permits[2].identifier,
            "valid",
        ),
    ]
    # The printed comprehensive licence lists each permit by type and identifier.
    pdf = licence_pdf(comprehensive, base_url="https://zwfw.example.gov.cn")
    assert pdf.startswith(b"%PDF")
    assert [row for row in fields_of(comprehensive, public=True) if row[0] == "许可事项"] == [
        ("许可事项", "\n".join(f"{p.licence_type.name} {p.identifier}" for p in permits))
    ]
    # A permit verified by itself is an ordinary licence.
    assert licence_verify(permits[1].identifier).result == "valid"
    assert licence_verify(permits[1].identifier).parts == ()


def test_a_revoked_permit_makes_the_comprehensive_licence_partial(
    city, world, theme_version, entity, work_calendar
):
    case = run_theme_case(city, world, theme_version, entity)
    comprehensive = Licence.objects.get(case=case)
    permits = list(Licence.objects.filter(case__isnull=True).order_by("pk"))
    culture_approver = staff(city, Role.APPROVER, world.culture)
    licence_revoke(licence=permits[1], user=culture_approver, reason="停止出版物零售经营")
    verification = licence_verify(comprehensive.identifier)
    assert verification.result == "partial"
    assert not verification.ok
    assert [(p.identifier, p.result) for p in verification.parts] == [
        (permits[0].identifier, "valid"),
        (permits[1].identifier, "revoked"),
        (permits[2].identifier, "valid"),
    ]
    view = public_view(verification)
    assert view["label"] == "部分许可已失效，仅所列有效的许可仍可经营"
    assert [p["label"] for p in view["parts"]] == ["有效", "已注销", "有效"]
    # The comprehensive licence's own status is untouched; the other permits stay valid.
    comprehensive.refresh_from_db()
    assert comprehensive.status == Licence.Status.VALID
    assert licence_verify(permits[0].identifier).result == "valid"


def test_a_renewed_permit_resolves_to_its_version_in_force(
    city, world, theme_version, entity, work_calendar
):
    case = run_theme_case(city, world, theme_version, entity)
    comprehensive = Licence.objects.get(case=case)
    food = Licence.objects.filter(case__isnull=True).order_by("pk").first()
    renewed = licence_renew(
        licence=food, user=staff(city, Role.APPROVER, world.market), reason="换发"
    )
    verification = licence_verify(comprehensive.identifier)
    assert verification.result == "valid"
    first = verification.parts[0]
    assert (first.listed, first.identifier, first.result) == (
        food.identifier,
        renewed.identifier,
        "valid",
    )


def test_a_comprehensive_licence_revoked_says_revoked_and_still_lists_its_permits(
    city, world, theme_version, entity, work_calendar
):
    case = run_theme_case(city, world, theme_version, entity)
    comprehensive = Licence.objects.get(case=case)
    licence_revoke(
        licence=comprehensive, user=staff(city, Role.APPROVER, world.lead), reason="主体注销"
    )
    verification = licence_verify(comprehensive.identifier)
    assert verification.result == "revoked"
    assert [p.result for p in verification.parts] == ["valid", "valid", "valid"]


def test_a_rejected_theme_case_issues_nothing(city, world, theme_version, entity, work_calendar):
    clerk = factories.make_staff(city)
    case = cases.case_receive(
        user=clerk,
        item_version=theme_version,
        applicant=entity,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=city.window,
        received_material_ids=list(
            theme_version.materials.filter(necessity="1").values_list("pk", flat=True)
        ),
    )
    case = cases.case_accept(user=clerk, case=case)
    cases.task_complete(
        user=staff(city, Role.REVIEWER, world.lead), task=open_tasks(case)[0], outcome="pass"
    )
    for task in open_tasks(case):
        cases.task_complete(
            user=staff(city, Role.REVIEWER, task.department), task=task, outcome="disagree"
        )
    cases.task_complete(
        user=staff(city, Role.APPROVER, world.lead),
        task=open_tasks(case)[0],
        outcome="reject",
        opinion="经营场所不符合要求",
        legal_basis="《中华人民共和国食品安全法》第三十五条",
    )
    cases.task_complete(
        user=staff(city, Role.WINDOW_CLERK, city.hall),
        task=open_tasks(case)[0],
        outcome="issued",
        delivery="window",
    )
    assert Licence.objects.count() == 0


def test_a_permit_that_cannot_be_issued_issues_none_of_them(
    city, world, theme_version, entity, work_calendar, seal_store
):
    # The culture department has no seal key: nothing of the case may be half issued.
    for path in (seal_store / world.culture.uscc).iterdir():
        path.unlink()
    seals.seal_cache_clear()
    case = run_theme_case(city, world, theme_version, entity)
    assert case.state == Case.State.FINISHED  # the applicant still gets the (paper) result
    assert Licence.objects.count() == 0
    failed = AuditRecord.objects.get(action="licence.issue", result="failed")
    assert failed.changes["code"] == "seal_key_missing"


def test_the_verification_api_and_page_show_each_permit(
    city, world, theme_version, entity, work_calendar
):
    case = run_theme_case(city, world, theme_version, entity)
    comprehensive = Licence.objects.get(case=case)
    permits = list(Licence.objects.filter(case__isnull=True).order_by("pk"))
    licence_revoke(
        licence=permits[2], user=staff(city, Role.APPROVER, world.market), reason="停止经营医疗器械"
    )
    answer = Client().get(f"/api/v1/licences/verify/{comprehensive.identifier}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["result"] == "partial"
    assert [
        (p["licence_type"], p["identifier"], p["result"], p["label"]) for p in body["parts"]
    ] == [
        ("食品经营许可证", permits[0].identifier, "valid", "有效"),
        ("出版物经营许可证", permits[1].identifier, "valid", "有效"),
        ("第二类医疗器械经营备案凭证", permits[2].identifier, "revoked", "已注销"),
    ]
    page = Client().get("/verify/", {"id": comprehensive.identifier})
    html = page.content.decode()
    assert 'data-result="partial"' in html
    assert html.count('<tr data-result="valid">') == 2
    assert html.count('<tr data-result="revoked">') == 1
    assert f'href="/verify/?id={permits[1].identifier}"' in html
