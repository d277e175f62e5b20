"""Once only (不得重复提交, 减材料, 减证明): a second application by the same applicant fetches
what the licence library and the population registry hold, reuses what was handed in before, and
asks only for the rest — counted exactly, with the source of each material.

The item applied for (a person's 个体餐饮经营备案, of the city's first department):

1. 食品经营许可申请书 — the applicant's own (form, core), asked every time
2. 申请人居民身份证 — shared, 居民身份证电子证照: the population registry stands in for it
3. 居民户口簿 — issued by government: the population registry
4. 营业执照 — issued by government: a licence type the applicant may hold (个体工商户)
5. 从业人员健康证明 — the applicant's own: reused the second time
6. 经营场所平面图 — the applicant's own: reused the second time
7. 出生医学证明 — a proof whose retained-proof entry is struck off after publishing: never asked
8. 无犯罪记录证明 — a retained proof, online-checkable, not held here: asked (uploaded)
9. 其他说明 — optional: not counted
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from quanban.accounts import services as accounts
from quanban.cases import services
from quanban.cases.models import Case, CaseMaterial, Channel
from quanban.cases.prefill import prefill_for
from quanban.cases.services.provenance import fetch_preview
from quanban.catalogue import services as catalogue
from quanban.catalogue.models import RetainedProof
from quanban.core.errors import ValidationFailed
from quanban.datahub.models import PopulationRecord, RegistryQuery
from quanban.datahub.selectors import material_reduction
from quanban.datahub.services import population_record_upsert
from quanban.licences import seals
from quanban.licences.models import Licence
from quanban.licences.selectors import licence_ref_cache_clear
from quanban.licences.services import licence_issue, licence_type_create
from tests import factories
from tests.api.clients import session_client
from tests.catalogue import helpers

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERSON_SCHEMA = {
    "type": "object",
    "properties": {
        "姓名": {"type": "string", "title": "姓名", "x-source": "holder.name"},
        "公民身份号码": {"type": "string", "title": "公民身份号码", "x-source": "holder.code"},
        "许可内容": {"type": "string", "title": "许可内容", "x-source": "case.decision_text"},
    },
    "required": ["姓名", "公民身份号码"],
    "additionalProperties": False,
}


def at(day: str, hour: int = 10):
    return time_machine.travel(
        dt.datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=SHANGHAI), tick=False
    )


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 " + name.encode(), content_type="application/pdf")


@pytest.fixture(autouse=True)
def seal_store(settings, tmp_path):
    settings.LICENCE_SEAL_DIR = tmp_path / "seals"
    seals.seal_cache_clear()
    licence_ref_cache_clear()
    yield
    seals.seal_cache_clear()


@pytest.fixture
def applicant(citizen):
    person = accounts.person_register(
        name="张三", id_number=factories.valid_id_number(), phone="13812345678", user=citizen
    )
    citizen.refresh_from_db()
    return person


@pytest.fixture
def proofs(db):
    birth = helpers.proof("JN-ZM-001")
    record = RetainedProof.objects.create(
        code="JN-ZM-004",
        name="无犯罪记录证明",
        issuing_body="公安机关",
        legal_basis="《公安机关办理犯罪记录查询工作规定》",
        online_checkable=True,
    )
    return birth, record


@pytest.fixture
def item(city, proofs):
    birth, record = proofs
    version = helpers.draft(city.department, name="个体餐饮经营备案", service_objects=["1"])
    for fields in (
        {
            "name": "申请人居民身份证",
            "source": "30",
            "form": "7",
            "source_ref": "居民身份证电子证照（公安部门）",
        },
        {"name": "居民户口簿", "source": "20", "form": "1"},
        {"name": "营业执照", "source": "20", "form": "3"},
        {"name": "从业人员健康证明", "source": "10", "form": "8"},
        {"name": "经营场所平面图", "source": "10", "form": "8"},
        {
            "name": "出生医学证明",
            "source": "20",
            "form": "1",
            "is_proof": True,
            "retained_proof": birth,
        },
        {
            "name": "无犯罪记录证明",
            "source": "20",
            "form": "1",
            "is_proof": True,
            "retained_proof": record,
        },
        {"name": "其他说明", "source": "10", "form": "8", "necessity": "2"},
    ):
        catalogue.material_add(user=None, version=version, **{"necessity": "1", **fields})
    catalogue.version_submit(user=None, version=version)
    published = catalogue.version_publish(user=None, version=version)
    # Struck off the retained-proofs list after publishing: the intake must not ask for it.
    RetainedProof.objects.filter(pk=birth.pk).update(is_active=False)
    return published


@pytest.fixture
def licence(city, clerk, applicant, work_calendar):
    """The applicant's 营业执照 (个体工商户), issued by the city's department on the spot."""
    licence_type_create(
        code=city.department.uscc + "001",
        name="营业执照",
        defining_body="国家市场监督管理总局",
        defining_department=city.department,
        holder_kind="111",
        fields_schema=PERSON_SCHEMA,
        validity_years=None,
        layout={"title": "营业执照"},
    )
    seals.seal_key_create(department_code=city.department.uscc)
    registration = helpers.published(
        city.department,
        name="个体工商户设立登记",
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
        service_objects=["1"],
        result_name="营业执照",
        result_licence_type="营业执照",
    )
    case = services.case_receive(
        user=clerk,
        item_version=registration,
        applicant=applicant,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=city.window,
        received_material_ids=list(registration.materials.values_list("pk", flat=True)),
    )
    services.case_finish_on_the_spot(user=clerk, case=case, decision_text="个体工商户：餐饮服务")
    return Licence.objects.filter(case=case).first() or licence_issue(case=case, user=None)


def mid(version, seq: int) -> int:
    return version.materials.get(seq=seq).pk


def rows(case: Case) -> list[tuple[int, bool, str]]:
    return list(
        CaseMaterial.objects.filter(case=case)
        .order_by("material__seq")
        .values_list("material__seq", "received", "source")
    )


def first_application(citizen, item) -> Case:
    """Nothing known yet: every required material uploaded (7 of them; 7 is never asked)."""
    return services.case_submit_online(
        user=citizen,
        item_version=item,
        answers={},
        files={mid(item, seq): upload(f"m{seq}.pdf") for seq in (1, 2, 3, 4, 5, 6, 8)},
    )


def test_the_second_application_fetches_reuses_and_asks_for_the_rest_exactly(
    city, clerk, citizen, applicant, item, licence, work_calendar
):
    with at("2026-06-10"):
        first = first_application(citizen, item)
    # The proof struck off the list is not on the case at all; the optional one is, not received.
    assert rows(first) == [
        (1, True, "uploaded"),
        (2, True, "uploaded"),
        (3, True, "uploaded"),
        (4, True, "uploaded"),
        (5, True, "uploaded"),
        (6, True, "uploaded"),
        (8, True, "uploaded"),
        (9, False, ""),
    ]
    # Everything was handed in: nothing was owed, so no registry was asked.
    assert not RegistryQuery.objects.filter(case=first).exists()
    # Now the registry knows the applicant, and the library holds their 营业执照.
    record = population_record_upsert(
        id_number=applicant.id_number,
        name="张三",
        sex=PopulationRecord.Sex.MALE,
        birth_date=dt.date(1990, 1, 1),
        household_address="山东省济南市历下区泉城路 1 号",
        owner=city.other_department,
    )
    assert licence.status == "valid" and licence.person == applicant
    reusable = {
        m.material_id: m.candidates[0].case_material_id
        for m in prefill_for(applicant=applicant, item_version=item).materials
        if m.candidates and m.seq in (5, 6)
    }
    with at("2026-06-15"):
        second = services.case_submit_online(
            user=citizen,
            item_version=item,
            answers={},
            files={mid(item, 1): upload("sqs.pdf"), mid(item, 8): upload("wfzjl.pdf")},
            reuse=reusable,
        )
    got = {
        row.material.seq: (row.source, row.source_ref, row.source_licence_id, row.reused_from_id)
        for row in CaseMaterial.objects.filter(case=second).select_related("material")
    }
    query = RegistryQuery.objects.get(case=second)
    registry_ref = f"人口库（济南市市场监督管理局），查询记录 {query.pk}"
    earlier = {
        seq: CaseMaterial.objects.get(case=first, material_id=mid(item, seq)).pk for seq in (5, 6)
    }
    assert got == {
        1: ("uploaded", "", None, None),
        2: ("fetched", registry_ref, None, None),
        3: ("fetched", registry_ref, None, None),
        4: ("fetched", f"电子证照 {licence.identifier}", licence.pk, None),
        5: ("reused", f"#{first.pk}", None, earlier[5]),
        6: ("reused", f"#{first.pk}", None, earlier[6]),
        8: ("uploaded", "", None, None),
        9: ("", "", None, None),
    }
    fetched = [s for s, v in got.items() if v[0] == "fetched"]
    reused = [s for s, v in got.items() if v[0] == "reused"]
    asked = [s for s, v in got.items() if v[0] == "uploaded"]
    assert (len(fetched), len(reused), len(asked)) == (3, 2, 2)
    # The registry query: who, when, which registry and record, which case, why.
    assert (
        query.user,
        query.user_name,
        query.registry,
        query.found,
        query.person_record,
        query.at,
        query.purpose,
    ) == (
        citizen,
        "张三",
        "population",
        True,
        record,
        dt.datetime(2026, 6, 15, 10, tzinfo=SHANGHAI),
        "收件共享获取材料：个体餐饮经营备案（申请人居民身份证、居民户口簿）",
    )
    assert query.key_hash != applicant.id_number and applicant.id_number not in query.key_masked
    # The rate: (fetched + reused) ÷ required, over both cases of the day range.
    report = material_reduction(first_day=dt.date(2026, 6, 1), last_day=dt.date(2026, 6, 30))
    item_rows = [r for r in report.items if r.item_id == item.item_id]
    assert [(r.cases, r.required, r.fetched, r.reused, r.rate) for r in item_rows] == [
        (2, 14, 3, 2, 5 / 14)
    ]
    second_only = material_reduction(first_day=dt.date(2026, 6, 15), last_day=dt.date(2026, 6, 15))
    assert [
        (r.department_name, r.cases, r.required, r.fetched, r.reused, r.rate)
        for r in second_only.departments
    ] == [("济南市行政审批服务局", 2, 8, 3, 2, 5 / 8)]  # with the 营业执照 case of that day


def test_the_window_fetches_and_takes_the_offered_reuse_as_online(
    city, clerk, citizen, applicant, item, licence, work_calendar
):
    with at("2026-06-10"):
        first = first_application(citizen, item)
    population_record_upsert(
        id_number=applicant.id_number,
        name="张三",
        sex="1",
        birth_date=dt.date(1990, 1, 1),
        household_address="山东省济南市历下区泉城路 1 号",
        owner=city.other_department,
    )
    earlier = CaseMaterial.objects.get(case=first, material_id=mid(item, 5))
    case = services.case_receive(
        user=clerk,
        item_version=item,
        applicant=applicant,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=city.window,
        received_material_ids=[mid(item, 1), mid(item, 6), mid(item, 8)],
        reuse={mid(item, 5): earlier.pk},
    )
    assert rows(case) == [
        (1, True, "paper"),
        (2, True, "fetched"),
        (3, True, "fetched"),
        (4, True, "fetched"),
        (5, True, "reused"),
        (6, True, "paper"),
        (8, True, "paper"),
        (9, False, ""),
    ]
    (query,) = RegistryQuery.objects.filter(case=case)
    assert (query.user, query.found) == (clerk, True)
    # Complete: accepted as it stands.
    accepted = services.case_accept(user=clerk, case=case)
    assert accepted.state == "accepted"


def test_a_record_not_in_good_standing_and_a_revoked_licence_fetch_nothing(
    city, clerk, citizen, applicant, item, licence, work_calendar
):
    population_record_upsert(
        id_number=applicant.id_number,
        name="张三",
        sex="1",
        birth_date=dt.date(1990, 1, 1),
        household_address="山东省济南市历下区泉城路 1 号",
        status=PopulationRecord.Status.MOVED_OUT,
        owner=city.other_department,
    )
    Licence.objects.filter(pk=licence.pk).update(status=Licence.Status.REVOKED)
    case = services.case_receive(
        user=clerk,
        item_version=item,
        applicant=applicant,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=city.window,
    )
    assert [s for s, received, _ in rows(case) if received] == []
    (query,) = RegistryQuery.objects.filter(case=case)
    assert query.found is True  # found, and logged, but not fetched: the person moved out


def test_another_persons_materials_are_never_offered_or_taken(
    city, clerk, citizen, applicant, item, work_calendar
):
    with at("2026-06-10"):
        first = first_application(citizen, item)
    other_user = factories.make_citizen(phone="13900001111")
    other = accounts.person_register(
        name="王六", id_number=factories.valid_id_number(seq="456"), user=other_user
    )
    offered = prefill_for(applicant=other, item_version=item)
    assert [m.candidates for m in offered.materials] == [()] * 9
    theirs = CaseMaterial.objects.get(case=first, material_id=mid(item, 5))
    before = (Case.objects.count(), CaseMaterial.objects.count(), RegistryQuery.objects.count())
    with pytest.raises(ValidationFailed) as caught:
        services.case_submit_online(
            user=other_user, item_version=item, answers={}, reuse={mid(item, 5): theirs.pk}
        )
    assert caught.value.code == "material_not_reusable"
    after = (Case.objects.count(), CaseMaterial.objects.count(), RegistryQuery.objects.count())
    assert after == before


def test_a_refused_cases_materials_are_no_longer_valid_for_reuse(
    city, clerk, citizen, applicant, item, work_calendar
):
    with at("2026-06-10"):
        first = first_application(citizen, item)
    services.case_refuse(
        user=clerk,
        case=first,
        reason="不属于本机关职权范围",
        legal_basis="《行政许可法》第三十二条",
        guidance="请向区市场监管局申请",
    )
    offered = prefill_for(applicant=applicant, item_version=item)
    assert [m.candidates for m in offered.materials] == [()] * 9
    earlier = CaseMaterial.objects.get(case=first, material_id=mid(item, 5))
    with pytest.raises(ValidationFailed) as caught:
        services.case_submit_online(
            user=citizen, item_version=item, answers={}, reuse={mid(item, 5): earlier.pk}
        )
    assert caught.value.code == "material_not_reusable"


def test_the_preview_says_what_will_be_fetched_without_querying(
    city, clerk, citizen, applicant, item, licence
):
    materials = list(item.materials.order_by("seq"))
    preview = fetch_preview(materials, applicant)
    assert {m.seq: preview[m.pk] for m in materials if m.pk in preview} == {
        2: "人口库",
        3: "人口库",
        4: f"电子证照 {licence.identifier}",
    }
    assert RegistryQuery.objects.count() == 0


# --- The pages: the material list says where each material comes from ---------------------------


def test_the_window_intake_page_shows_what_is_fetched_and_never_the_struck_off_proof(city, item):
    hall_clerk = factories.make_staff(city, factories.Role.WINDOW_CLERK, scope=city.hall)
    page = (
        session_client(hall_clerk).get(f"/workbench/cases/intake/{item.item_id}/").content.decode()
    )
    assert page.count("收件时自动从人口库获取；获取不到的再收取") == 2
    assert "可网上核验" in page  # 8 无犯罪记录证明: a retained proof the issuer checks online
    assert "出生医学证明" not in page
    assert "营业执照" in page and "从电子证照库（营业执照）获取" not in page  # no type yet
    entity_page = (
        session_client(hall_clerk)
        .get(f"/workbench/cases/intake/{item.item_id}/?refresh=1&applicant_kind=entity")
        .content.decode()
    )
    assert "收件时自动从人口库获取" not in entity_page


def test_the_portal_apply_page_shows_the_fetched_and_offers_reuse_for_the_rest(
    city, citizen, applicant, item, licence, work_calendar
):
    with at("2026-06-10"):
        first_application(citizen, item)
    page = session_client(citizen).get(f"/items/{item.item_id}/apply/").content.decode()
    assert f"提交申请时自动从电子证照 {licence.identifier}获取，无需上传。" in page
    assert page.count("提交申请时自动从人口库获取，无需上传。") == 2
    assert "出生医学证明" not in page
    # Earlier files are offered for what is not fetched (1, 5, 6, 8), not for 2, 3 and 4.
    assert page.count("使用以前提交的文件") == 4
    for seq in (2, 3, 4):
        assert f"“{item.materials.get(seq=seq).name}”使用以前提交的文件" not in page


def test_the_case_page_and_the_api_show_the_source_of_each_material(
    city, clerk, citizen, applicant, item, licence, work_calendar
):
    population_record_upsert(
        id_number=applicant.id_number,
        name="张三",
        sex="1",
        birth_date=dt.date(1990, 1, 1),
        household_address="山东省济南市历下区泉城路 1 号",
        owner=city.other_department,
    )
    case = services.case_submit_online(
        user=citizen, item_version=item, answers={}, files={mid(item, 1): upload("sqs.pdf")}
    )
    query = RegistryQuery.objects.get(case=case)
    page = session_client(clerk).get(f"/workbench/cases/{case.pk}/").content.decode()
    assert f"共享获取（电子证照 {licence.identifier}）" in page
    assert f"共享获取（人口库（济南市市场监督管理局），查询记录 {query.pk}）" in page
    body = session_client(clerk).get(f"/api/v1/cases/{case.pk}").json()
    got = {
        m["seq"]: (m["source"], m["source_licence_id"], m["registry_query_id"])
        for m in body["materials"]
    }
    assert got == {
        1: ("uploaded", None, None),
        2: ("fetched", None, query.pk),
        3: ("fetched", None, query.pk),
        4: ("fetched", licence.pk, None),
        5: ("", None, None),
        6: ("", None, None),
        8: ("", None, None),
        9: ("", None, None),
    }


def test_the_window_offers_a_known_applicants_earlier_files_and_takes_the_one_chosen(
    city, citizen, applicant, item, licence, work_calendar
):
    with at("2026-06-10"):
        first = first_application(citizen, item)
    earlier = CaseMaterial.objects.get(case=first, material_id=mid(item, 5))
    hall_clerk = factories.make_staff(city, factories.Role.WINDOW_CLERK, scope=city.hall)
    client = session_client(hall_clerk)
    url = f"/workbench/cases/intake/{item.item_id}/"
    unknown = client.get(f"{url}?refresh=1&applicant_kind=person").content.decode()
    assert "使用以前提交的文件" not in unknown
    page = client.get(
        f"{url}?refresh=1&applicant_kind=person&id_number={applicant.id_number}"
    ).content.decode()
    # Offered for what is not fetched: 1, 5, 6, 8 (2 and 3 come from the registry, 4 the library).
    assert page.count("使用以前提交的文件") == 4
    assert f"办件 #{first.pk}，2026年6月10日提交" in page
    response = client.post(
        url,
        {
            "window": city.window.pk,
            "applicant_kind": "person",
            "id_number": applicant.id_number,
            "name": "张三",
            "phone": "",
            "action": "notice",
            "received": [mid(item, 1), mid(item, 5)],
            f"reuse_{mid(item, 5)}": earlier.pk,
        },
    )
    assert response.status_code == 302
    case = Case.objects.exclude(pk=first.pk).get(person=applicant, item_version=item)
    assert rows(case) == [
        (1, True, "paper"),
        (2, False, ""),  # the registry does not know the applicant: asked for
        (3, False, ""),
        (4, True, "fetched"),
        (5, True, "reused"),
        (6, False, ""),
        (8, False, ""),
        (9, False, ""),
    ]
    assert CaseMaterial.objects.get(case=case, material_id=mid(item, 5)).reused_from == earlier


def test_a_material_handed_in_now_cannot_also_be_reused(
    city, clerk, citizen, applicant, item, work_calendar
):
    """Uploaded online, or ticked at the window, and offered for reuse too: refused, nothing
    written (one source a material)."""
    with at("2026-06-10"):
        first = first_application(citizen, item)
    earlier = CaseMaterial.objects.get(case=first, material_id=mid(item, 5))
    before = (Case.objects.count(), CaseMaterial.objects.count())
    with pytest.raises(ValidationFailed) as uploaded:
        services.case_submit_online(
            user=citizen,
            item_version=item,
            answers={},
            files={mid(item, 5): upload("again.pdf")},
            reuse={mid(item, 5): earlier.pk},
        )
    with pytest.raises(ValidationFailed) as ticked:
        services.case_receive(
            user=clerk,
            item_version=item,
            applicant=applicant,
            channel=Channel.OFFLINE_ONE_WINDOW,
            answers={},
            window=city.window,
            received_material_ids=[mid(item, 5)],
            reuse={mid(item, 5): earlier.pk},
        )
    for caught in (uploaded, ticked):
        assert (caught.value.code, caught.value.extra) == (
            "material_not_reusable",
            {"material_id": mid(item, 5)},
        )
    assert (Case.objects.count(), CaseMaterial.objects.count()) == before
