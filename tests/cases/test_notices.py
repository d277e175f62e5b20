"""Printed notices: every text the applicant needs is on the paper, and only for the right state.

The conftest travels to Monday 2026-06-15 10:00 (Asia/Shanghai). The Dragon Boat Festival holiday
of 2026 is Friday 19 June through Sunday 21 June: 5 working days after the 15th is the 23rd, 20
working days after it is 14 July.
"""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from reportlab.lib.pagesizes import A4

from quanban.accounts.roles import Role
from quanban.cases import notices, services
from quanban.cases.models import Case, Channel, Task
from quanban.catalogue import services as catalogue
from quanban.core.errors import Conflict
from tests import factories
from tests.catalogue import helpers

D = dt.date.fromisoformat
PORTAL = "https://zwfw.jinan.gov.cn"


def squash(value: str) -> str:
    return "".join(value.split())


def text_of(data: bytes) -> str:
    """The PDF's text without white space (wrapped lines join up again)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert data.startswith(b"%PDF-")
    for page in reader.pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (
            round(A4[0]),
            round(A4[1]),
        )
    return squash("".join(page.extract_text() for page in reader.pages))


def assert_printed(text: str, *expected: str) -> None:
    for value in expected:
        assert squash(value) in text, value


@pytest.fixture
def reviewer(city):
    return factories.make_staff(city, Role.REVIEWER, scope=city.department)


@pytest.fixture
def approver(city):
    return factories.make_staff(city, Role.APPROVER, scope=city.department)


def receive(clerk, version, applicant, *, answers=None, seqs=(), window=None) -> Case:
    return services.case_receive(
        user=clerk,
        item_version=version,
        applicant=applicant,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers=answers or {},
        window=window,
        received_material_ids=list(
            version.materials.filter(seq__in=seqs).values_list("pk", flat=True)
        ),
    )


def refreshed(case: Case) -> Case:
    case.refresh_from_db()
    return case


@pytest.fixture
def deferrable_version(city):
    """Material 1 食品经营许可申请书 (required, original 1) and 2 场所平面图 (容缺后补, 2 copies)."""
    version = helpers.draft(city.department, handling_place="济南市民中心二楼 B 区")
    catalogue.material_add(
        user=None,
        version=version,
        name="场所平面图",
        form="3",
        necessity="3",
        source="10",
        copy_count=2,
    )
    catalogue.version_submit(user=None, version=version)
    return catalogue.version_publish(user=None, version=version)


@pytest.fixture
def commitment_version(city):
    return helpers.published(
        city.department,
        process={"kind": "single_approver", "commitment_allowed": True},
        commitment_text="申请人郑重承诺：所填写的信息和提交的材料真实、准确、完整。",
        result_name="食品经营许可证",
    )


def accepted(clerk, version, applicant, window, **kwargs) -> Case:
    case = receive(clerk, version, applicant, seqs=(1,), window=window)
    return services.case_accept(user=clerk, case=case, **kwargs)


def decide(case, reviewer, approver, outcome, **kwargs) -> Case:
    (review,) = Task.objects.filter(case=case, state="open")
    services.task_complete(user=reviewer, task=review, outcome="pass", opinion="材料齐全")
    (approve,) = Task.objects.filter(case=case, state="open")
    services.task_complete(user=approver, task=approve, outcome=outcome, **kwargs)
    return refreshed(case)


def assert_unavailable(render, case: Case, notice: str) -> None:
    with pytest.raises(Conflict) as caught:
        render(refreshed(case))
    assert caught.value.code == "notice_unavailable"
    assert caught.value.extra == {"notice": notice, "state": case.state}


# --- 一次性告知 --------------------------------------------------------------------------------------


def test_supplement_notice_names_every_missing_material_at_once(
    city, clerk, person, situational_version
):
    # 1 申请书 handed in; 2 营业执照 and 3 授权委托书 (the agent's) missing; 4 is optional.
    case = receive(
        clerk, situational_version, person, answers={1: 1}, seqs=(1,), window=city.window
    )
    services.case_request_supplement(user=clerk, case=case)
    text = text_of(notices.supplement_notice_pdf(refreshed(case), base_url=PORTAL + "/"))
    assert_printed(
        text,
        "济南市市场监督管理局",  # the implementing body, not the clerk's department
        "补正材料通知书（一次性告知）",
        f"收件号：{case.pk}（受理后编号）",
        "李四：",
        "您于2026年6月15日申请办理的“食品经营许可”，经审查，申请材料不齐全或者不符合法定形式。",
        "现一次性告知您需要补正的全部材料如下：",
        "1营业执照原件或复印件原件 0 份 / 复印件 0 份必要",
        "2授权委托书原件或复印件原件 0 份 / 复印件 0 份必要",
        "以上为需要补正的全部材料（一次性告知）。您按上述要求补齐后即予受理，"
        "不会再要求您补正此外的其他材料。",
        "请携带上述材料到济南市民中心 综合受理 1 号窗口补正，补正时请出示本通知书。",
        "行政机关应当当场或者在五个工作日内一次告知申请人需要补正的全部内容；"
        "逾期不告知的，自收到申请材料之日起即为受理。",
        "本件于2026年6月15日收件，告知期限至2026年6月23日，本通知于2026年6月15日作出。",
        "补正材料期间不计入办理时限，办理时限自受理之日起计算。",
        f"{PORTAL}/my/cases/{case.pk}/",
        "济南市市场监督管理局 · 补正材料通知书 · 第 1 页",
    )
    # What was handed in and what is optional are not asked for.
    assert "食品经营许可申请书" not in text
    assert "其他说明" not in text
    assert "容缺" not in text


def test_supplement_notice_gives_the_items_place_hours_and_phone_and_the_deferrable_ones(
    city, clerk, entity
):
    version = helpers.draft(
        city.department,
        handling_place="济南市民中心二楼 B 区 12 号窗口",
        handling_hours="工作日 9:00—17:00",
        consult_phone="0531-12345678",
    )
    catalogue.material_add(
        user=None,
        version=version,
        name="场所平面图 <A3> & 说明",
        form="8",
        necessity="3",
        source="10",
        original_count=1,
        copy_count=2,
    )
    catalogue.version_submit(user=None, version=version)
    version = catalogue.version_publish(user=None, version=version)
    case = receive(clerk, version, entity)
    services.case_request_supplement(user=clerk, case=case)
    text = text_of(notices.supplement_notice_pdf(refreshed(case)))
    assert_printed(
        text,
        "济南示例餐饮有限公司：",
        "1食品经营许可申请书纸质表格原件 1 份 / 复印件 0 份必要",
        # Typed text prints as typed: markup characters are not markup.
        "2场所平面图 <A3> & 说明原件扫描件原件 1 份 / 复印件 2 份容缺后补",
        "标注“容缺后补”的材料，核心材料齐全的，可以签署承诺书后先行受理（容缺受理），"
        "并在承诺日期前补交。",
        "请携带上述材料到济南市民中心二楼 B 区 12 号窗口补正，补正时请出示本通知书。",
        "办理时间：工作日 9:00—17:00",
        "咨询电话：0531-12345678",
        # Without a portal address the QR code and its line carry the page's path.
        f"查看办理进度：/my/cases/{case.pk}/",
    )


def test_supplement_notice_stays_printable_after_acceptance_with_the_number(
    city, clerk, person, version
):
    case = receive(clerk, version, person, window=city.window)
    services.case_request_supplement(user=clerk, case=case)
    services.case_accept(user=clerk, case=case, received_material_ids=[version.materials.get().pk])
    text = text_of(notices.supplement_notice_pdf(refreshed(case)))
    assert_printed(text, "编号：370100-20260615-000001", "1食品经营许可申请书纸质表格")


def test_no_supplement_notice_without_one_given(city, clerk, person, version):
    case = receive(clerk, version, person, window=city.window)
    assert_unavailable(notices.supplement_notice_pdf, case, "supplement")
    services.case_accept(user=clerk, case=case, received_material_ids=[version.materials.get().pk])
    assert_unavailable(notices.supplement_notice_pdf, case, "supplement")


# --- 不予受理 ---------------------------------------------------------------------------------------


def test_refusal_notice_gives_reason_basis_guidance_and_rights(city, clerk, person, version):
    case = receive(clerk, version, person, window=city.window)
    services.case_refuse(
        user=clerk,
        case=case,
        reason="申请事项依法不需要取得行政许可（仅销售预包装食品，实行备案管理）。",
        legal_basis="《中华人民共和国食品安全法》第三十五条第一款；《中华人民共和国行政许可法》第三十二条第一款第（一）项",
        guidance="请登录山东省政务服务网或到济南市民中心 3 号窗口办理“仅销售预包装食品备案”。",
    )
    text = text_of(notices.refusal_notice_pdf(refreshed(case), base_url=PORTAL))
    assert_printed(
        text,
        "济南市行政审批服务局",
        "不予受理通知书",
        f"收件号：{case.pk}（受理后编号）",
        "李四：",
        "您于2026年6月15日申请办理的“食品经营许可”，经审查，决定不予受理。理由、依据和办理指引如下：",
        "不予受理理由申请事项依法不需要取得行政许可（仅销售预包装食品，实行备案管理）。",
        "法律依据《中华人民共和国食品安全法》第三十五条第一款；"
        "《中华人民共和国行政许可法》第三十二条第一款第（一）项",
        "办理指引请登录山东省政务服务网或到济南市民中心 3 号窗口办理“仅销售预包装食品备案”。",
        "决定日期2026年6月15日",
        "权利告知",
        "如对本决定不服，您可以自收到本通知书之日起六十日内依法申请行政复议，"
        "或者自收到本通知书之日起六个月内依法向人民法院提起行政诉讼",
        f"{PORTAL}/my/cases/{case.pk}/",
    )


def test_no_refusal_notice_for_a_case_not_refused(city, clerk, person, version):
    case = receive(clerk, version, person, window=city.window)
    assert_unavailable(notices.refusal_notice_pdf, case, "refusal")
    services.case_request_supplement(user=clerk, case=case)
    assert_unavailable(notices.refusal_notice_pdf, case, "refusal")


# --- 受理 ---------------------------------------------------------------------------------------------


def test_acceptance_notice_gives_number_dates_and_the_deferred_materials(
    city, clerk, person, deferrable_version
):
    plan = deferrable_version.materials.get(seq=2).pk
    case = accepted(
        clerk, deferrable_version, person, city.window, deferred={plan: D("2026-06-19")}
    )
    text = text_of(notices.acceptance_notice_pdf(case, base_url=PORTAL))
    assert_printed(
        text,
        "济南市行政审批服务局受理通知书编号：370100-20260615-000001",
        "您于2026年6月15日申请办理的“食品经营许可”，依照《中华人民共和国行政许可法》"
        "第三十二条的规定，决定予以受理。",
        "办件编号370100-20260615-000001",
        "受理日期2026年6月15日",
        "承诺办结日期2026年6月23日",
        "法定办结日期2026年7月14日",
        "容缺受理材料",
        "以下材料已容缺受理，请在承诺补交日期前按要求补交；逾期未补交的，本件将终止办理，"
        "已作出的决定不予出件。",
        "1场所平面图原件或复印件，原件 0 份 / 复印件 2 份2026年6月19日待补交",
        f"{PORTAL}/my/cases/{case.pk}/",
    )
    assert "告知承诺" not in text
    assert "即办件" not in text
    # Supplied later, a reprint says so.
    services.case_supply_deferred(user=clerk, case=case, material_ids=[plan])
    text = text_of(notices.acceptance_notice_pdf(refreshed(case)))
    assert_printed(text, "2026年6月19日已于2026年6月15日补交")


def test_acceptance_notice_without_deferrals_has_no_deferral_section(city, clerk, person, version):
    case = accepted(clerk, version, person, city.window)
    text = text_of(notices.acceptance_notice_pdf(case))
    assert_printed(text, "办件编号370100-20260615-000001", "承诺办结日期2026年6月23日")
    assert "容缺" not in text


def test_acceptance_notice_prints_the_signed_commitment(city, clerk, person, commitment_version):
    case = accepted(clerk, commitment_version, person, city.window, commitment=True)
    assert case.state == Case.State.DECIDED
    text = text_of(notices.acceptance_notice_pdf(case))
    assert_printed(
        text,
        "告知承诺",
        "申请人已于2026年6月15日签署告知承诺书，承诺内容如下：",
        "申请人郑重承诺：所填写的信息和提交的材料真实、准确、完整。",
        "经核查承诺不实的，依法终止办理或者撤销审批决定、责令整改或者依法处罚，"
        "并记入申请人信用记录。",
    )


def test_no_acceptance_notice_before_acceptance_or_once_terminated(
    city, clerk, person, deferrable_version, approver
):
    plan = deferrable_version.materials.get(seq=2).pk
    case = receive(clerk, deferrable_version, person, seqs=(1,), window=city.window)
    assert_unavailable(notices.acceptance_notice_pdf, case, "acceptance")
    services.case_accept(user=clerk, case=case, deferred={plan: D("2026-06-17")})
    assert services.case_flag_lapsed_deferrals(today=D("2026-06-18")) == 1
    services.case_terminate(
        user=approver, case=case, termination="deferral_lapsed", note="承诺期限内未补交"
    )
    assert_unavailable(notices.acceptance_notice_pdf, case, "acceptance")


# --- 审批决定 -----------------------------------------------------------------------------------------


def test_rejection_notice_gives_reason_basis_and_rights(
    city, clerk, person, version, reviewer, approver
):
    case = decide(
        accepted(clerk, version, person, city.window),
        reviewer,
        approver,
        "reject",
        opinion="经现场核查，经营场所与有毒、有害场所的距离不足 25 米。",
        legal_basis="《食品经营许可和备案管理办法》第十二条第（一）项",
    )
    text = text_of(notices.decision_notice_pdf(case, base_url=PORTAL))
    assert_printed(
        text,
        "济南市行政审批服务局不予许可决定书编号：370100-20260615-000001",
        "您于2026年6月15日提出的“食品经营许可”申请（办件编号 370100-20260615-000001），"
        "经审查，决定如下：",
        "审批决定不予许可",
        "理由经现场核查，经营场所与有毒、有害场所的距离不足 25 米。",
        "依据《食品经营许可和备案管理办法》第十二条第（一）项",
        "决定日期2026年6月15日",
        "如对本决定不服，您可以自收到本决定书之日起六十日内依法申请行政复议，"
        "或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼",
    )
    assert "将按您选择的方式送达" not in text


def test_partial_approval_notice_gives_what_was_granted_and_rights(
    city, clerk, person, version, reviewer, approver
):
    case = decide(
        accepted(clerk, version, person, city.window),
        reviewer,
        approver,
        "partial",
        opinion="冷食类食品制售不具备专间条件，不予许可该项目。",
        decision_text="准予预包装食品销售、热食类食品制售。",
        legal_basis="《食品经营许可和备案管理办法》第十二条",
    )
    text = text_of(notices.decision_notice_pdf(case))
    assert_printed(
        text,
        "部分准予许可决定书",
        "审批决定部分准予",
        "决定内容准予预包装食品销售、热食类食品制售。",
        "理由冷食类食品制售不具备专间条件，不予许可该项目。",
        "依据《食品经营许可和备案管理办法》第十二条",
        "权利告知",
        "六十日内依法申请行政复议",
    )


def test_a_commitment_approval_cites_the_items_legal_basis_and_no_rights(
    city, clerk, person, commitment_version
):
    case = accepted(clerk, commitment_version, person, city.window, commitment=True)
    text = text_of(notices.decision_notice_pdf(case))
    assert_printed(
        text,
        "准予许可决定书",
        "审批决定准予许可",
        "决定内容食品经营许可证",
        "理由告知承诺：申请人已签署告知承诺书，当场作出审批决定。",
        # The decision named no basis of its own: the item's 设定依据 stands.
        "依据《中华人民共和国食品安全法》第三十五条",
        "审批结果“食品经营许可证”将按您选择的方式送达，请留意办理进度。",
    )
    assert "部分准予" not in text
    assert "行政复议" not in text


def test_no_decision_notice_before_a_decision_or_once_revoked(
    city, clerk, person, version, commitment_version, reviewer
):
    case = accepted(clerk, version, person, city.window)
    assert_unavailable(notices.decision_notice_pdf, case, "decision")
    revoked = accepted(clerk, commitment_version, person, city.window, commitment=True)
    inspection = Task.objects.get(case=revoked, step="commitment_inspection")
    services.task_complete(
        user=reviewer, task=inspection, outcome="false", opinion="现场无冷藏设施，与承诺不符"
    )
    assert refreshed(revoked).state == Case.State.REVOKED
    assert_unavailable(notices.decision_notice_pdf, revoked, "decision")
    assert_unavailable(notices.acceptance_notice_pdf, revoked, "acceptance")


def test_a_long_notice_runs_onto_more_pages_with_every_material(city, clerk, person):
    version = helpers.draft(city.department)
    names = [f"第{n}号补充说明材料（含附件、图纸及相关证明文件）" for n in range(2, 42)]
    for name in names:
        catalogue.material_add(
            user=None, version=version, name=name, form="1", necessity="1", source="10"
        )
    catalogue.version_submit(user=None, version=version)
    version = catalogue.version_publish(user=None, version=version)
    case = receive(clerk, version, person, window=city.window)
    services.case_request_supplement(user=clerk, case=case)
    data = notices.supplement_notice_pdf(refreshed(case))
    assert len(pypdf.PdfReader(io.BytesIO(data)).pages) >= 2
    text = text_of(data)
    for index, name in enumerate(names, start=2):
        assert_printed(text, f"{index}{name}原件")
    assert_printed(text, "补正材料通知书 · 第 2 页")
