"""The catalogue's pages: the public guide, the published lists and the workbench's catalogue."""

from __future__ import annotations

import io
import json
import re

import openpyxl
import pypdf
import pytest
from django.test import Client

from quanban.accounts.roles import Role
from quanban.catalogue import services
from quanban.catalogue.models import ItemVersion, Material, RetainedProof, ServiceItem
from quanban.catalogue.validation import version_problems
from tests import factories
from tests.api.clients import session_client

pytestmark = pytest.mark.django_db

LAW = [{"law": "《中华人民共和国食品安全法》", "article": "第三十五条"}]


def publish(version: ItemVersion) -> ItemVersion:
    services.version_submit(user=None, version=version)
    return services.version_publish(user=None, version=version)


def food_licence(city: factories.City, *, basic_code: str = "000000000101") -> ItemVersion:
    """A published 食品经营许可 with two situations that narrow its five materials."""
    version = services.item_create(
        user=None,
        implementing_department=city.department,
        basic_code=basic_code,
        exercise_level="3",
        name="食品经营许可",
        item_type="01",
        case_kind="2",
        legal_limit_days=20,
        promised_limit_days=5,
        short_description="从事食品销售和餐饮服务，应当依法取得食品经营许可。",
        legal_basis=LAW,
        acceptance_conditions="有与经营的食品品种、数量相适应的经营场所。",
        service_objects=["2"],
        handling_forms=["1", "2"],
        visits_required=0,
        fees=[],
        result_name="食品经营许可证",
        handling_place="济南市民中心 2 楼综合受理窗口",
        handling_hours="工作日 9:00–17:00",
        consult_phone="0531-12345",
        supervise_phone="0531-12315",
        faq=[{"q": "许可证有效期多久？", "a": "食品经营许可证有效期为 5 年。"}],
        process={"kind": "review_approve", "commitment_allowed": True},
        agent_service=True,
    )
    services.version_update(user=None, version=version, co_departments=[city.other_department])
    add = {"form": "1", "original_count": 1, "source": "10"}
    services.material_add(
        user=None, version=version, name="食品经营许可申请书", necessity="1", **add
    )
    services.material_add(user=None, version=version, name="营业执照", necessity="1", **add)
    services.material_add(
        user=None,
        version=version,
        name="法定代表人身份证明",
        necessity="1",
        situational=True,
        **add,
    )
    services.material_add(
        user=None, version=version, name="授权委托书", necessity="1", situational=True, **add
    )
    services.material_add(
        user=None, version=version, name="食品安全管理制度文本", necessity="3", **add
    )
    services.situation_add(
        user=None,
        version=version,
        question="申请人类型？",
        options=[{"label": "企业", "adds_materials": [3]}, {"label": "个体工商户"}],
    )
    services.situation_add(
        user=None,
        version=version,
        question="是否委托代理人办理？",
        options=[{"label": "是", "adds_materials": [4]}, {"label": "否"}],
    )
    return publish(version)


def seal_engraving(city: factories.City) -> ItemVersion:
    """A published on-the-spot item of the other department."""
    version = services.item_create(
        user=None,
        implementing_department=city.other_department,
        basic_code="000000000202",
        exercise_level="3",
        name="公章刻制备案",
        item_type="10",
        case_kind="1",
        legal_limit_days=1,
        promised_limit_days=0,
        legal_basis=[{"law": "《印铸刻字业暂行管理规则》", "article": "第六条"}],
        handling_place="济南市民中心 1 楼",
    )
    services.material_add(
        user=None, version=version, name="营业执照", form="1", necessity="1", source="10"
    )
    return publish(version)


def text(response) -> str:
    return response.content.decode()


def material_names(html: str) -> list[str]:
    return re.findall(r'<th scope="row" class="material-name">([^<]+?)\s*(?:<|$)', html)


# --- The guide page --------------------------------------------------------------------------


def test_guide_page_lays_out_the_published_version(client, city, django_assert_max_num_queries):
    version = food_licence(city)
    # 15: one of them the named heads (部门负责人, 处(科)室负责人) beside the responsible persons.
    with django_assert_max_num_queries(15):
        response = client.get(f"/items/{version.item_id}/")
    assert response.status_code == 200
    html = text(response)
    for expected in (
        "<h1>食品经营许可</h1>",
        "行政许可",
        "济南市行政审批服务局",
        "济南市市场监督管理局",  # co-department
        "《中华人民共和国食品安全法》 第三十五条",
        "有与经营的食品品种、数量相适应的经营场所。",
        "承诺件",
        "20 个工作日",
        "5 个工作日",
        "0 次",
        "不收费",
        "窗口办理、电脑端网上办理",
        "济南市民中心 2 楼综合受理窗口",
        "工作日 9:00–17:00",
        "0531-12345",
        "0531-12315",
        "许可证有效期多久？",
        "一审一核",
        "申请人类型？",
        "是否委托代理人办理？",
        # the halls whose comprehensive windows accept every item
        "<strong>济南市民中心</strong>",
        "综合受理 1 号窗口",
    ):
        assert expected in html, expected
    # Without answers, the list is everyone's materials; all five are in the full table.
    assert material_names(html)[:3] == ["食品经营许可申请书", "营业执照", "食品安全管理制度文本"]
    assert f'href="/items/{version.item_id}/checklist.pdf"' in html


def test_guide_page_embeds_government_service_json_ld(client, city):
    version = food_licence(city)
    html = text(client.get(f"/items/{version.item_id}/"))
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match is not None
    data = json.loads(match.group(1))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "GovernmentService"
    assert data["name"] == "食品经营许可"
    assert data["identifier"] == version.item.implementation_code
    assert data["serviceOperator"] == {
        "@type": "GovernmentOrganization",
        "name": "济南市行政审批服务局",
        "identifier": city.department.uscc,
    }
    assert data["provider"] == data["serviceOperator"]
    assert data["jurisdiction"]["name"] == "济南市"
    assert data["areaServed"]["identifier"] == "370100"
    assert data["audience"] == [{"@type": "Audience", "audienceType": "企业法人"}]
    channels = data["availableChannel"]
    assert [c["@type"] for c in channels] == ["ServiceChannel", "ServiceChannel"]
    assert [c["name"] for c in channels] == ["窗口办理", "电脑端网上办理"]
    assert {c["processingTime"] for c in channels} == {"P5D"}
    assert channels[0]["serviceLocation"][0]["name"] == "济南市民中心"


def test_guide_page_of_an_unpublished_item_is_404(client, city):
    draft = services.item_create(
        user=None,
        implementing_department=city.department,
        basic_code="000000000303",
        exercise_level="3",
        name="草稿事项",
        item_type="01",
        case_kind="2",
        legal_limit_days=20,
        promised_limit_days=5,
    )
    assert client.get(f"/items/{draft.item_id}/").status_code == 404
    assert client.get("/items/999999/").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "s1=1&s2=1",
            [
                "食品经营许可申请书",
                "营业执照",
                "法定代表人身份证明",
                "授权委托书",
                "食品安全管理制度文本",
            ],
        ),
        ("s1=2&s2=2", ["食品经营许可申请书", "营业执照", "食品安全管理制度文本"]),
        ("s1=2&s2=1", ["食品经营许可申请书", "营业执照", "授权委托书", "食品安全管理制度文本"]),
        # An unknown option or situation is ignored, never an error.
        ("s1=9&s7=1", ["食品经营许可申请书", "营业执照", "食品安全管理制度文本"]),
    ],
)
def test_materials_partial_lists_exactly_the_applicants_materials(client, city, query, expected):
    version = food_licence(city)
    response = client.get(
        f"/items/{version.item_id}/materials/?{query}", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = text(response)
    assert html.lstrip().startswith('<div id="my-materials"')
    assert "<html" not in html
    assert material_names(html) == expected


def test_materials_partial_without_javascript_is_a_page(client, city):
    version = food_licence(city)
    response = client.get(f"/items/{version.item_id}/materials/?s1=2&s2=2")
    html = text(response)
    assert response.status_code == 200 and "<html" in html
    assert material_names(html) == ["食品经营许可申请书", "营业执照", "食品安全管理制度文本"]
    assert f'href="/items/{version.item_id}/?s1=2&amp;s2=2"' in html
    assert f'href="/items/{version.item_id}/checklist.pdf?s1=2&amp;s2=2"' in html


def test_guide_page_with_answers_checks_them_and_narrows_the_list(client, city):
    version = food_licence(city)
    html = text(client.get(f"/items/{version.item_id}/?s1=1&s2=2"))
    assert '<input type="radio" name="s1" value="1" checked>' in html
    assert '<input type="radio" name="s2" value="2" checked>' in html
    mine = html.split('id="my-materials"')[1].split("<details>")[0]
    assert material_names(mine) == [
        "食品经营许可申请书",
        "营业执照",
        "法定代表人身份证明",
        "食品安全管理制度文本",
    ]


def test_checklist_pdf_holds_the_chosen_materials(client, city):
    version = food_licence(city)
    response = client.get(f"/items/{version.item_id}/checklist.pdf?s1=2&s2=1")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    content = reader.pages[0].extract_text()
    for name in ("食品经营许可申请书", "营业执照", "授权委托书", "食品安全管理制度文本"):
        assert name in content
    assert "法定代表人身份证明" not in content
    assert "食品经营许可 · 申请材料清单" in content
    assert "个体工商户" in content  # the chosen answer


# --- The published lists -----------------------------------------------------------------------


def xlsx_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def html_rows(html: str) -> list[list[str]]:
    body = html.split('<table class="data-table published-list">')[1].split("</table>")[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>")[1], re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([re.sub(r"<[^>]+>", "", cell).strip() for cell in cells])
    return rows


@pytest.fixture
def published(city):
    proof = RetainedProof.objects.create(
        code="JN-ZM-001",
        name="出生医学证明",
        issuing_body="助产机构",
        legal_basis="《中华人民共和国母婴保健法》第二十三条",
        online_checkable=True,
    )
    return {"food": food_licence(city), "seal": seal_engraving(city), "proof": proof}


@pytest.mark.parametrize(
    ("slug", "first_rows"),
    [
        ("on-the-spot", [["公章刻制备案", "济南市市场监督管理局", "市级", "济南市民中心 1 楼"]]),
        ("deferrable", [["食品经营许可", "济南市行政审批服务局", "市级", "食品安全管理制度文本"]]),
        (
            "commitment",
            [["食品经营许可", "济南市行政审批服务局", "市级", "20 个工作日", "5 个工作日"]],
        ),
        (
            "agent-service",
            [["食品经营许可", "济南市行政审批服务局", "市级", "济南市民中心 2 楼综合受理窗口"]],
        ),
    ],
)
def test_item_lists_and_their_excel_download(client, published, slug, first_rows):
    response = client.get(f"/lists/{slug}/")
    assert response.status_code == 200
    rows = html_rows(text(response))
    # Columns: name, implementation code, department, level, extra…; codes checked apart.
    assert [[r[0], *r[2:]] for r in rows] == first_rows
    download = xlsx_rows(client.get(f"/lists/{slug}/?format=xlsx"))
    assert download[1:] == rows
    assert download[0][:4] == ["事项名称", "实施编码", "实施主体", "行使层级"]


def test_top_list_ranks_items(client, published):
    rows = html_rows(text(client.get("/lists/top/")))
    assert [(r[0], r[1]) for r in rows] == [("1", rows[0][1]), ("2", rows[1][1])]
    assert {r[1] for r in rows} == {"食品经营许可", "公章刻制备案"}
    assert xlsx_rows(client.get("/lists/top/?format=xlsx"))[1:] == rows


def test_retained_proofs_list(client, published):
    rows = html_rows(text(client.get("/lists/retained-proofs/")))
    assert rows == [
        ["JN-ZM-001", "出生医学证明", "助产机构", "《中华人民共和国母婴保健法》第二十三条", "是"]
    ]
    assert xlsx_rows(client.get("/lists/retained-proofs/?format=xlsx"))[1:] == rows


def test_list_filters_apply_to_page_and_download(client, city, published):
    query = f"department={city.department.pk}&level=3"
    rows = html_rows(text(client.get(f"/lists/top/?{query}")))
    assert [r[1] for r in rows] == ["食品经营许可"]
    assert xlsx_rows(client.get(f"/lists/top/?{query}&format=xlsx"))[1:] == rows
    other = html_rows(text(client.get(f"/lists/top/?department={city.other_department.pk}")))
    assert [r[1] for r in other] == ["公章刻制备案"]
    # The district filter: both departments sit under the city, none under 历下区.
    assert html_rows(text(client.get(f"/lists/top/?district={city.district.pk}"))) == [
        ["没有符合条件的事项。"]
    ]
    assert xlsx_rows(client.get(f"/lists/top/?district={city.district.pk}&format=xlsx")) == [
        ["排名", "事项名称", "实施编码", "实施主体", "行使层级", "办件量"]
    ]


def test_lists_index_and_unknown_list(client):
    html = text(client.get("/lists/"))
    for title in (
        "当场办结事项目录",
        "保留证明事项清单",
        "容缺受理事项清单",
        "告知承诺制事项清单",
        "帮办代办事项目录",
        "高频事项清单",
    ):
        assert title in html
    assert client.get("/lists/nothing/").status_code == 404


# --- The workbench -----------------------------------------------------------------------------

ITEM_FORM = {
    "basic_code": "000000000404",
    "exercise_level": "3",
    "name": "出版物零售许可",
    "item_type": "01",
    "case_kind": "2",
    "legal_limit_days": "20",
    "promised_limit_days": "10",
}

MATERIAL_FORM = {
    "name": "其他材料",
    "form": "1",
    "original_count": "1",
    "copy_count": "0",
    "necessity": "1",
    "source": "10",
}


def version_form(version: ItemVersion, **changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "name": version.name,
        "item_type": version.item_type,
        "exercise_level": version.exercise_level,
        "case_kind": version.case_kind,
        "legal_limit_days": str(version.legal_limit_days),
        "promised_limit_days": str(version.promised_limit_days),
        "visits_required": "1",
        "online_depth": "4",
        "handling_forms": ["1", "2"],
        "service_objects": ["1", "2"],
        "legal_basis": "《出版管理条例》 | 第三十七条",
        "fees": "",
        "faq": "",
    }
    data.update(changes)
    return data


def test_editor_creates_validates_submits_and_reviewer_publishes(city):
    editor = factories.make_staff(city, Role.CATALOGUE_EDITOR, username="editor")
    reviewer = factories.make_staff(city, Role.CATALOGUE_REVIEWER, username="reviewer")
    browser = session_client(editor)

    assert "出版物零售许可" not in text(browser.get("/workbench/catalogue/"))
    response = browser.post(
        "/workbench/catalogue/new/", {**ITEM_FORM, "implementing_department": city.department.pk}
    )
    assert response.status_code == 302
    version = ItemVersion.objects.get(name="出版物零售许可")
    assert response["Location"] == f"/workbench/catalogue/versions/{version.pk}/"
    assert version.state == "draft"
    assert version.item.implementation_code == f"{city.department.uscc}3000000000404"

    base = f"/workbench/catalogue/versions/{version.pk}"
    assert browser.post(f"{base}/materials/", MATERIAL_FORM).status_code == 302
    material = Material.objects.get(version=version)
    assert material.name == "其他材料"

    html = text(browser.get(f"{base}/validate/"))
    assert "发现 2 处问题" in html
    material_row = html.split('id="material-1"')[1].split("</tr>")[0]
    assert "材料“其他材料”名称笼统" in material_row
    legal_field = html.split('id="field-legal_basis"')[1].split('id="field-')[0]
    assert "缺少设定依据" in legal_field

    # Fix both: the material's name and the legal basis.
    response = browser.post(
        f"/workbench/catalogue/materials/{material.pk}/",
        {**MATERIAL_FORM, "name": "出版物经营许可申请表"},
    )
    assert response.status_code == 302
    assert browser.post(f"{base}/", version_form(version)).status_code == 302
    version.refresh_from_db()
    assert version.legal_basis == [{"law": "《出版管理条例》", "article": "第三十七条"}]
    assert version.handling_forms == ["1", "2"]
    assert "校验通过，可以提交审核。" in text(browser.get(f"{base}/validate/"))

    assert browser.post(f"{base}/submit/").status_code == 302
    version.refresh_from_db()
    assert version.state == "submitted"

    # The editor cannot publish; the reviewer can.
    assert browser.post(f"/workbench/catalogue/review/{version.pk}/publish/").status_code == 403
    desk = session_client(reviewer)
    assert "出版物零售许可" in text(desk.get("/workbench/catalogue/review/"))
    assert "校验通过。" in text(desk.get(f"/workbench/catalogue/review/{version.pk}/"))
    response = desk.post(f"/workbench/catalogue/review/{version.pk}/publish/", {"valid_from": ""})
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.state == "published" and version.published_by == reviewer

    guide = text(session_client(editor).get(f"/items/{version.item_id}/"))
    assert "<h1>出版物零售许可</h1>" in guide and "出版物经营许可申请表" in guide

    # A citizen finds it by search, in Chinese and by pinyin initials.
    citizen = Client()
    for query in ("出版物", "cbwls"):
        results = text(citizen.get("/search/", {"q": query}))
        assert f'href="/items/{version.item_id}/"' in results, query


def test_publish_refused_shows_every_problem(city):
    reviewer = factories.make_staff(city, Role.CATALOGUE_REVIEWER, username="reviewer")
    version = services.item_create(
        user=None,
        implementing_department=city.department,
        basic_code="000000000505",
        exercise_level="3",
        name="测试事项",
        item_type="01",
        case_kind="2",
        legal_limit_days=5,
        promised_limit_days=10,
    )
    services.version_submit(user=None, version=version)
    response = session_client(reviewer).post(
        f"/workbench/catalogue/review/{version.pk}/publish/", {"valid_from": ""}
    )
    html = text(response)
    assert response.status_code == 200
    assert "该事项版本有 2 处问题，不能发布" in html
    assert "缺少设定依据" in html and "不能超过法定办结时限" in html
    version.refresh_from_db()
    assert version.state == "submitted"


def test_reviewer_returns_a_version_with_a_reason(city):
    reviewer = factories.make_staff(city, Role.CATALOGUE_REVIEWER, username="reviewer")
    version = services.item_create(
        user=None,
        implementing_department=city.department,
        basic_code="000000000606",
        exercise_level="3",
        name="退回事项",
        item_type="01",
        case_kind="2",
        legal_limit_days=5,
        promised_limit_days=5,
    )
    services.version_submit(user=None, version=version)
    desk = session_client(reviewer)
    empty = desk.post(f"/workbench/catalogue/review/{version.pk}/return/", {"reason": ""})
    assert empty.status_code == 200 and "这个字段是必填项。" in text(empty)
    response = desk.post(
        f"/workbench/catalogue/review/{version.pk}/return/", {"reason": "请补充设定依据。"}
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.state, version.return_reason) == ("draft", "请补充设定依据。")


def test_new_draft_from_a_published_version(city):
    editor = factories.make_staff(city, Role.CATALOGUE_EDITOR, username="editor")
    published = food_licence(city)
    browser = session_client(editor)
    response = browser.post(f"/workbench/catalogue/items/{published.item_id}/new-draft/")
    draft = ItemVersion.objects.get(item=published.item, number=2)
    assert response["Location"] == f"/workbench/catalogue/versions/{draft.pk}/"
    assert draft.state == "draft" and draft.materials.count() == 5
    # A second one is refused with the service's message, and nothing is made.
    response = browser.post(
        f"/workbench/catalogue/items/{published.item_id}/new-draft/", follow=True
    )
    assert "该事项已有未发布的版本 v2" in text(response)
    assert ItemVersion.objects.filter(item=published.item).count() == 2
    # The published version's page is read-only.
    html = text(browser.get(f"/workbench/catalogue/versions/{published.pk}/"))
    assert "<fieldset disabled>" in html and "提交审核" not in html


def test_service_errors_show_next_to_the_field(city):
    editor = factories.make_staff(city, Role.CATALOGUE_EDITOR, username="editor")
    browser = session_client(editor)
    form = {**ITEM_FORM, "implementing_department": city.department.pk}
    assert browser.post("/workbench/catalogue/new/", form).status_code == 302
    response = browser.post("/workbench/catalogue/new/", form)
    assert response.status_code == 200
    assert "已被其他事项使用" in text(response)
    assert ServiceItem.objects.count() == 1


def test_editor_of_another_department_is_refused_and_nothing_changes(city):
    draft = services.item_create(
        user=None,
        implementing_department=city.department,
        basic_code="000000000707",
        exercise_level="3",
        name="他部门事项",
        item_type="01",
        case_kind="2",
        legal_limit_days=5,
        promised_limit_days=5,
    )
    services.material_add(
        user=None, version=draft, name="申请书", form="1", necessity="1", source="10"
    )
    material = draft.materials.get()
    outsider = factories.make_staff(
        city, Role.CATALOGUE_EDITOR, username="outsider", scope=city.other_department
    )
    browser = session_client(outsider)
    base = f"/workbench/catalogue/versions/{draft.pk}"
    items_before = ServiceItem.objects.count()
    refused = [
        browser.get(f"{base}/"),
        browser.get(f"{base}/validate/"),
        browser.post(f"{base}/", version_form(draft, name="改名")),
        browser.post(f"{base}/materials/", {**MATERIAL_FORM, "name": "营业执照"}),
        browser.post(
            f"/workbench/catalogue/materials/{material.pk}/", {**MATERIAL_FORM, "name": "改"}
        ),
        browser.post(f"/workbench/catalogue/materials/{material.pk}/remove/"),
        browser.post(f"{base}/submit/"),
        browser.post(
            "/workbench/catalogue/new/",
            {**ITEM_FORM, "implementing_department": city.department.pk},
        ),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert "您的事项目录权限不包括实施主体“济南市行政审批服务局”的事项。" in text(refused[0])
    draft.refresh_from_db()
    assert (draft.name, draft.state) == ("他部门事项", "draft")
    assert list(draft.materials.values_list("name", flat=True)) == ["申请书"]
    assert ServiceItem.objects.count() == items_before
    assert "他部门事项" not in text(browser.get("/workbench/catalogue/"))


def test_workbench_menu_shows_catalogue_entries_by_permission(city):
    editor = factories.make_staff(city, Role.CATALOGUE_EDITOR, username="editor")
    reviewer = factories.make_staff(city, Role.CATALOGUE_REVIEWER, username="reviewer")
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, username="clerk")
    editor_html = text(session_client(editor).get("/workbench/"))
    assert 'href="/workbench/catalogue/"' in editor_html
    assert 'href="/workbench/catalogue/review/"' not in editor_html
    reviewer_html = text(session_client(reviewer).get("/workbench/"))
    assert 'href="/workbench/catalogue/review/"' in reviewer_html
    clerk_html = text(session_client(clerk).get("/workbench/"))
    assert "/workbench/catalogue/" not in clerk_html


def test_portal_links_to_the_published_lists(client):
    assert 'href="/lists/"' in text(client.get("/"))


def test_validation_counts_match_the_page(city):
    """The page's count is validation.version_problems' count (one source of truth)."""
    version = services.item_create(
        user=None,
        implementing_department=city.department,
        basic_code="000000000808",
        exercise_level="3",
        name="计数事项",
        item_type="01",
        case_kind="1",
        legal_limit_days=5,
        promised_limit_days=5,
    )
    problems = version_problems(version)
    editor = factories.make_staff(city, Role.CATALOGUE_EDITOR, username="editor")
    html = text(session_client(editor).get(f"/workbench/catalogue/versions/{version.pk}/validate/"))
    assert f"发现 {len(problems)} 处问题" in html
    for problem in problems:
        assert problem.message in html
