"""A licence in a real browser: issued for a 即办 case, downloaded from the holder's wallet, its
QR link opened by someone without an account (有效), revoked by the issuing department, the same
page reloaded (已注销).

The fixtures are test_case_browser's: Monday 2026-06-15 10:00 (Asia/Shanghai), one browser per
person. The QR code's link is read from the PDF's text, where it is printed under the code (the
same string the code encodes).
"""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from quanban.cases import services
from quanban.cases.models import Channel
from quanban.licences import seals
from quanban.licences.selectors import licence_ref_cache_clear
from quanban.licences.services import licence_issue, licence_revoke, licence_type_create
from tests.catalogue import helpers
from tests.web import test_case_browser as browser
from tests.web.test_case_browser import citizen_sign_in, menu

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

_a_covered_day = browser._a_covered_day
people = browser.people
new_page = browser.new_page


@pytest.fixture(autouse=True)
def seal_store(settings, tmp_path):
    settings.LICENCE_SEAL_DIR = tmp_path / "seals"
    seals.seal_cache_clear()
    licence_ref_cache_clear()  # rows of another test's database may share these ids
    yield
    seals.seal_cache_clear()


def issued_licence(people):
    """The licence of a 即办 case the clerk finished for the citizen's person."""
    city = people["city"]
    seals.seal_key_create(department_code=city.department.uscc)
    licence_type_create(
        code=city.department.uscc + "001",
        name="个体工商户营业执照",
        defining_body="国家市场监督管理总局",
        defining_department=city.department,
        holder_kind="111",
        fields_schema={
            "type": "object",
            "properties": {
                "经营者": {"type": "string", "title": "经营者", "x-source": "holder.name"},
                "经营范围": {
                    "type": "string",
                    "title": "经营范围",
                    "x-source": "case.decision_text",
                    "x-public": True,
                },
            },
            "required": ["经营者", "经营范围"],
        },
        validity_years=None,
    )
    version = helpers.published(
        city.department,
        name="个体工商户设立登记",
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
        service_objects=["1"],
        result_licence_type="个体工商户营业执照",
    )
    case = services.case_receive(
        user=people["clerk"],
        item_version=version,
        applicant=people["person"],
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=city.window,
    )
    case = services.case_finish_on_the_spot(
        user=people["clerk"],
        case=case,
        decision_text="日用百货零售",
        received_material_ids=list(case.materials.values_list("material_id", flat=True)),
    )
    return licence_issue(case=case, user=None)


def test_the_pdfs_qr_link_verifies_and_a_revocation_shows_at_once(people, new_page):
    licence = issued_licence(people)

    holder = new_page()
    citizen_sign_in(holder, people["citizen"])
    menu(holder, "我的证照")
    row = holder.locator(f"#licence-{licence.pk}")
    assert row.get_by_role("rowheader").inner_text().startswith("个体工商户营业执照")
    assert row.locator("td").nth(1).inner_text() == "长期"
    assert row.locator("td").nth(2).inner_text() == "有效"
    pdf_url = row.get_by_role("link", name="下载 PDF").get_attribute("href")
    response = holder.request.get(pdf_url)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.body())).pages[0].extract_text().replace("\n", "")
    link = re.search(r"http://[^ ]+/verify/\?id=[0-9A-Z.]+", text).group(0)
    assert link.endswith("?id=" + licence.identifier)

    visitor = new_page()  # anyone who scans the code: no account
    visitor.goto(link)
    result = visitor.locator("#licence-result")
    assert (result.inner_text(), result.get_attribute("data-result")) == ("有效", "valid")
    assert visitor.locator("#licence-holder").inner_text() == "李*"
    assert visitor.locator("#licence-identifier").inner_text() == licence.identifier

    licence_revoke(licence=licence, user=people["approver"], reason="经营者申请注销")
    visitor.reload()
    assert (result.inner_text(), result.get_attribute("data-result")) == ("已注销", "revoked")
    assert visitor.locator("#licence-status-reason").inner_text() == "经营者申请注销"

    holder.reload()
    assert row.locator("td").nth(2).inner_text() == "已注销"
