"""The remaining paths of a case in a real browser: 即办 at the window; a parallel item's
co-review by two departments from their own inboxes; 容缺 materials not supplied in time and the
case terminated; 告知承诺 decided at the window and revoked by its inspection; 秒批 online.

Steps the other browser tests already walk (accepting at the window, a review) are done here
through the services where they only lead to the step under test, to keep the file quick. The
fixtures and helpers are test_case_browser's: Monday 2026-06-15 10:00 (Asia/Shanghai), one
browser per person, browser-session cookies.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases import services
from quanban.cases.models import Case, Channel, CreditRecord, Task
from quanban.catalogue import rules
from quanban.catalogue import services as catalogue
from quanban.catalogue.models import ItemVersion
from quanban.core import clock
from tests import factories
from tests.catalogue import helpers
from tests.web import test_case_browser as browser
from tests.web.test_case_browser import (
    SHANGHAI,
    citizen_sign_in,
    menu,
    receive_at_the_window,
    staff_sign_in,
    status,
    work_task,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RULES = "elderly-allowance-browser"

# The shared fixtures: the covered day and browser-session cookies, the city and its people, a
# browser of their own for each person.
_a_covered_day = browser._a_covered_day
people = browser.people
new_page = browser.new_page


@pytest.fixture(autouse=True)
def _compiled_rules_reset():
    yield
    rules.rule_set_cache_clear()


def accepted(people, version: ItemVersion, **kwargs) -> Case:
    """A case received and accepted at the window through the services (the required materials
    handed in), as the browser test of acceptance does through the page."""
    case = services.case_receive(
        user=people["clerk"],
        item_version=version,
        applicant=people["person"],
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=people["city"].window,
        received_material_ids=list(
            version.materials.filter(necessity="1").values_list("pk", flat=True)
        ),
    )
    return services.case_accept(user=people["clerk"], case=case, **kwargs)


def fact(page, section: str, term: str) -> str:
    """What a page's section (a region, by its heading) says for a term of its facts list."""
    region = page.get_by_role("region", name=section)
    return region.locator(f"dt:text-is('{term}') + dd").inner_text()


def test_an_on_the_spot_item_is_finished_at_the_window(new_page, people):
    helpers.published(
        people["city"].department,
        name="公章刻制备案",
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
        result_name="公章刻制备案证明",
    )
    clerk = new_page()
    staff_sign_in(clerk, people["clerk"])
    receive_at_the_window(clerk, "公章刻制备案", people["person"])
    clerk.get_by_label("已收取：食品经营许可申请书").check()
    clerk.get_by_role("button", name="即办（当场办结）").click()
    clerk.wait_for_url("**/workbench/cases/*/")
    case = Case.objects.get()
    assert status(clerk) == f"即办件已当场办结，办件编号 {case.number}。"
    assert clerk.locator("#case-state").inner_text() == "办结"
    assert clerk.locator("#decision").inner_text() == "准予许可"
    assert fact(clerk, "决定与结果", "送达方式") == "窗口领取"
    assert (case.state, case.on_the_spot, case.decided_by, case.issued_by) == (
        "finished",
        True,
        people["clerk"],
        people["clerk"],
    )
    assert Task.objects.filter(case=case).count() == 0


def test_a_parallel_item_is_co_reviewed_by_two_departments_before_the_approval(new_page, people):
    city = people["city"]
    departments, version = helpers.parallel_published(city, uscc_from=40, name="建设工程规划许可")
    case = accepted(people, version)
    (review,) = Task.objects.filter(case=case, state="open")
    services.task_complete(user=people["reviewer"], task=review, outcome="pass", opinion="初审通过")

    for n, (department, opinion) in enumerate(
        zip(departments, ("符合规划条件", "同意，施工前报送图纸"), strict=True)
    ):
        co_reviewer = factories.make_staff(
            city, Role.REVIEWER, username=f"co-reviewer{n}", scope=department
        )
        page = new_page()
        staff_sign_in(page, co_reviewer)
        # Their team's tab lists their own department's part only.
        menu(page, "待办")
        page.get_by_role("link", name="全部可办").click()
        page.wait_for_url("**/workbench/cases/?scope=team")
        assert page.get_by_role("button", name=re.compile(f"^签收 {case.number}")).count() == 1
        work_task(page, case.number)
        assert page.locator(f"#task-{case.tasks.get(department=department).pk}").count() == 1
        page.get_by_label("同意", exact=True).check()
        page.get_by_label("办理意见").fill(opinion)
        page.get_by_role("button", name="办理完成").click()
        page.wait_for_url("**/workbench/cases/?scope=mine")
        assert status(page) == f"已办理：{case.number} · 并联审查"
        case.refresh_from_db()
        assert case.current_step == ("co_review" if n == 0 else "approve")

    approver = new_page()
    staff_sign_in(approver, people["approver"])
    menu(approver, "待办")
    approver.get_by_role("link", name="全部可办").click()
    approver.wait_for_url("**/workbench/cases/?scope=team")
    assert approver.get_by_role("button", name=f"签收 {case.number} 审批").is_visible()
    assert list(
        Task.objects.filter(case=case).order_by("pk").values_list("step", "state", "opinion")
    ) == [
        ("review", "done", "初审通过"),
        ("co_review", "done", "符合规划条件"),
        ("co_review", "done", "同意，施工前报送图纸"),
        ("approve", "open", ""),
    ]


def test_deferred_materials_not_supplied_in_time_and_the_case_terminated(new_page, people):
    version = helpers.draft(people["city"].department, name="小餐饮经营许可")
    catalogue.material_add(
        user=None, version=version, name="场所平面图", form="3", necessity="3", source="10"
    )
    catalogue.version_submit(user=None, version=version)
    catalogue.version_publish(user=None, version=version)
    plan = version.materials.get(name="场所平面图")
    case = accepted(people, version, deferred={plan.pk: dt.date(2026, 6, 17)})

    # Thursday: the promised Wednesday has passed; the worker's daily run flags the case.
    with time_machine.travel(dt.datetime(2026, 6, 18, 9, 0, tzinfo=SHANGHAI)):
        assert services.case_flag_lapsed_deferrals(today=clock.today()) == 1
        approver = new_page()
        staff_sign_in(approver, people["approver"])
        approver.goto(f"/workbench/cases/{case.pk}/")
        assert fact(approver, "办理时限", "容缺材料补交期限") == "2026-06-17 · 已逾期"
        approver.locator("summary", has_text="终止办件").click()
        approver.get_by_label("终止原因").select_option(label="容缺材料逾期未补")
        approver.get_by_label("终止说明").fill("承诺期限内未补交场所平面图")
        with approver.expect_navigation(url=f"**/workbench/cases/{case.pk}/"):
            approver.get_by_role("button", name="终止", exact=True).click()
        assert status(approver) == "办件已终止。"
        assert approver.locator("#case-state").inner_text() == "终止"
        assert (
            fact(approver, "决定与结果", "终止原因")
            == "容缺材料逾期未补：承诺期限内未补交场所平面图"
        )
    case.refresh_from_db()
    assert (case.state, case.termination) == ("terminated", "deferral_lapsed")
    assert list(Task.objects.filter(case=case).values_list("step", "state")) == [
        ("review", "cancelled")
    ]


def test_a_commitment_is_decided_at_the_window_and_revoked_by_its_inspection(new_page, people):
    helpers.published(
        people["city"].department,
        name="公共场所卫生许可",
        process={"kind": "single_approver", "commitment_allowed": True},
        commitment_text="申请人郑重承诺：所填写的信息和提交的材料真实、准确、完整。",
        result_name="公共场所卫生许可证",
    )
    clerk = new_page()
    staff_sign_in(clerk, people["clerk"])
    receive_at_the_window(clerk, "公共场所卫生许可", people["person"])
    clerk.get_by_label("已收取：食品经营许可申请书").check()
    clerk.locator("summary", has_text="告知承诺").click()
    clerk.get_by_label("申请人已阅读并签署告知承诺书").check()
    clerk.get_by_role("button", name="按告知承诺受理").click()
    clerk.wait_for_url("**/workbench/cases/*/")
    case = Case.objects.get()
    assert status(clerk) == f"已按告知承诺制受理并准予，办件编号 {case.number}。"
    assert clerk.locator("#case-state").inner_text() == "已决定待出件"
    assert clerk.locator("#decision").inner_text() == "准予许可"
    assert fact(clerk, "决定与结果", "决定内容") == "公共场所卫生许可证"

    # The inspection finds the commitment false: the approval is revoked.
    reviewer = new_page()
    staff_sign_in(reviewer, people["reviewer"])
    work_task(reviewer, case.number)
    reviewer.get_by_label("承诺不实").check()
    reviewer.get_by_label("核查情况").fill("现场无冷藏设施，与承诺不符")
    reviewer.get_by_role("button", name="办理完成").click()
    reviewer.wait_for_url("**/workbench/cases/?scope=mine")
    assert status(reviewer) == f"已办理：{case.number} · 承诺核查"
    reviewer.goto(f"/workbench/cases/{case.pk}/")
    assert reviewer.locator("#case-state").inner_text() == "撤销"
    assert fact(reviewer, "决定与结果", "终止原因") == "虚假承诺：现场无冷藏设施，与承诺不符"
    case.refresh_from_db()
    assert (case.state, case.termination) == ("revoked", "false_commitment")
    assert list(CreditRecord.objects.values_list("person", "kind", "finding")) == [
        (people["person"].pk, "false_commitment", "现场无冷藏设施，与承诺不符")
    ]
    assert list(Task.objects.filter(case=case).order_by("pk").values_list("step", "state")) == [
        ("commitment_inspection", "done"),
        ("issue", "cancelled"),
    ]


def test_an_instant_item_applied_for_online_is_finished_by_the_rules(new_page, people):
    rules.rule_set_create(
        user=None,
        key=RULES,
        name="高龄津贴",
        content=rules.decision_table(
            name="高龄津贴",
            columns=(
                ("age", "年龄", "applicant.age"),
                ("division", "户籍地", "applicant.division_code"),
            ),
            rules=(
                rules.Rule("under-80", "reject", "未满八十周岁。", {"age": "< 80"}),
                rules.Rule(
                    "eligible",
                    "approve",
                    "年满八十周岁且户籍在济南市，符合条件。",
                    {"age": ">= 80", "division": 'startsWith($, "3701")'},
                ),
            ),
        ),
    )
    version = helpers.published(
        people["city"].department,
        name="高龄津贴申领",
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
        process={"kind": "instant_rule", "instant_rule_set": RULES},
        result_name="高龄津贴发放决定",
    )
    elder = factories.make_citizen("13905319001")
    accounts.person_register(
        name="王奶奶",
        id_number=factories.valid_id_number(birth="19400301", seq="222"),
        phone="13905319001",
        user=elder,
    )

    citizen = new_page()
    citizen_sign_in(citizen, elder)
    citizen.goto(f"/items/{version.item_id}/apply/")
    citizen.get_by_label("食品经营许可申请书").set_input_files(
        files={"name": "申请书.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 demo"}
    )
    citizen.get_by_role("button", name="提交申请").click()
    citizen.wait_for_url("**/my/cases/*/")
    case = Case.objects.get()
    assert citizen.url.endswith(f"/my/cases/{case.pk}/")
    assert status(citizen) == "申请已提交，并已由系统自动审批办结。"
    assert citizen.locator("#case-status").inner_text() == "已办结。"
    assert citizen.locator("#decision").inner_text() == "准予许可"
    assert fact(citizen, "办理结果", "理由") == "年满八十周岁且户籍在济南市，符合条件。"
    assert fact(citizen, "办理结果", "送达方式") == "电子送达"
    assert (case.state, case.decision, case.decided_by, case.delivery) == (
        "finished",
        "approve",
        None,
        "electronic",
    )


def test_deferred_material_supplied_in_time_lets_the_result_out(new_page, people):
    version = helpers.draft(people["city"].department, name="小餐饮经营许可")
    catalogue.material_add(
        user=None, version=version, name="场所平面图", form="3", necessity="3", source="10"
    )
    catalogue.version_submit(user=None, version=version)
    catalogue.version_publish(user=None, version=version)
    plan = version.materials.get(name="场所平面图")
    case = accepted(people, version, deferred={plan.pk: dt.date(2026, 6, 17)})
    review = Task.objects.get(case=case)
    services.task_complete(user=people["reviewer"], task=review, outcome="pass", opinion="通过")
    services.task_complete(
        user=people["approver"], task=Task.objects.get(case=case, state="open"), outcome="approve"
    )

    # The applicant brings the plan before the promised day; the clerk registers it and issues.
    clerk = new_page()
    staff_sign_in(clerk, people["clerk"])
    clerk.goto(f"/workbench/cases/{case.pk}/")
    clerk.get_by_label("场所平面图").check()
    with clerk.expect_navigation(url=f"**/workbench/cases/{case.pk}/"):
        clerk.get_by_role("button", name="登记补交").click()
    assert status(clerk) == "容缺材料已补交。"
    work_task(clerk, case.number)
    assert clerk.get_by_label("送达方式").input_value() == "window"
    clerk.get_by_role("button", name="办理完成").click()
    clerk.wait_for_url("**/workbench/cases/?scope=mine")
    case.refresh_from_db()
    assert (case.state, case.delivery, case.deferral_lapsed) == ("finished", "window", False)


def test_a_commitment_whose_inspection_confirms_it_stays_approved(new_page, people):
    version = helpers.published(
        people["city"].department,
        name="公共场所卫生许可",
        process={"kind": "single_approver", "commitment_allowed": True},
        commitment_text="申请人郑重承诺：所填写的信息和提交的材料真实、准确、完整。",
        result_name="公共场所卫生许可证",
    )
    case = accepted(people, version, commitment=True)
    reviewer = new_page()
    staff_sign_in(reviewer, people["reviewer"])
    work_task(reviewer, case.number)
    reviewer.get_by_label("承诺属实").check()
    reviewer.get_by_label("核查情况").fill("现场核查与承诺一致")
    reviewer.get_by_role("button", name="办理完成").click()
    reviewer.wait_for_url("**/workbench/cases/?scope=mine")
    assert status(reviewer) == f"已办理：{case.number} · 承诺核查"
    reviewer.goto(f"/workbench/cases/{case.pk}/")
    assert reviewer.locator("#case-state").inner_text() == "已决定待出件"
    assert reviewer.locator("#decision").inner_text() == "准予许可"
    case.refresh_from_db()
    assert (case.state, case.decision) == ("decided", "approve")
    assert CreditRecord.objects.count() == 0
    assert list(Task.objects.filter(case=case).order_by("pk").values_list("step", "state")) == [
        ("commitment_inspection", "done"),
        ("issue", "open"),
    ]


def test_a_file_chosen_before_the_situations_change_stays_chosen(new_page, people):
    """The portal's material list is rendered again when the applicant answers a situation; a
    file already chosen is carried into the new list rather than silently dropped."""
    version = helpers.draft(people["city"].department, name="出版物零售许可")
    catalogue.material_add(
        user=None,
        version=version,
        name="授权委托书",
        form="1",
        necessity="1",
        source="10",
        situational=True,
    )
    catalogue.situation_add(
        user=None,
        version=version,
        question="是否委托代理？",
        options=[{"label": "是", "adds_materials": [2]}, {"label": "否"}],
    )
    catalogue.version_submit(user=None, version=version)
    catalogue.version_publish(user=None, version=version)
    citizen = new_page()
    citizen_sign_in(citizen, people["citizen"])
    citizen.goto(f"/items/{version.item_id}/apply/")
    form_file = {"name": "申请书.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 demo"}
    citizen.get_by_label("食品经营许可申请书").set_input_files(files=form_file)
    citizen.get_by_label("是", exact=True).check()
    citizen.get_by_label("授权委托书").wait_for()
    assert (
        citizen.get_by_label("食品经营许可申请书").evaluate("i => i.files[0].name") == "申请书.pdf"
    )
    citizen.get_by_label("授权委托书").set_input_files(
        files={"name": "委托书.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 agent"}
    )
    citizen.get_by_role("button", name="提交申请").click()
    citizen.wait_for_url("**/my/cases/*/")
    case = Case.objects.get()
    assert sorted(case.materials.values_list("material__name", "received")) == [
        ("授权委托书", True),
        ("食品经营许可申请书", True),
    ]
