"""Prefill: the applicant's own fields with their source, and their own earlier files to reuse.

Earlier cases are built through the real services (online submissions with uploads, a window
case, a reuse); the conftest's day is Monday 2026-06-15 and earlier days are travelled to.
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
from quanban.cases.prefill import (
    MaterialPrefill,
    PrefillField,
    ReuseCandidate,
    prefill_for,
)
from quanban.catalogue import services as catalogue
from quanban.core.errors import ValidationFailed
from tests import factories
from tests.catalogue import helpers

D = dt.date.fromisoformat
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10):
    return time_machine.travel(
        dt.datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=SHANGHAI), tick=False
    )


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 " + name.encode(), content_type="application/pdf")


def published_with(department, *materials: dict) -> object:
    """A published item whose materials are 1 食品经营许可申请书 and then ``materials``."""
    version = helpers.draft(department)
    for fields in materials:
        catalogue.material_add(
            user=None, version=version, form="8", necessity="1", source="10", **fields
        )
    catalogue.version_submit(user=None, version=version)
    return catalogue.version_publish(user=None, version=version)


def mid(version, seq: int) -> int:
    return version.materials.get(seq=seq).pk


def row(case: Case, version, seq: int) -> CaseMaterial:
    return CaseMaterial.objects.get(case=case, material_id=mid(version, seq))


def base(row: CaseMaterial) -> str:
    return row.file.name.rsplit("/", 1)[-1]


@pytest.fixture
def proof(db):
    return helpers.proof()


@pytest.fixture
def applicant(citizen):
    """张三, whose account also holds a company (济南张三餐饮有限公司)."""
    person = accounts.person_register(
        name="张三", id_number=factories.valid_id_number(), phone="13812345678", user=citizen
    )
    accounts.entity_register(
        name="济南张三餐饮有限公司",
        uscc=factories.valid_uscc(51),
        legal_representative="张三",
        phone="13966668888",
        address="济南市历下区解放路 1 号",
        user=citizen,
    )
    citizen.refresh_from_db()
    return person


@pytest.fixture
def earlier_item(city, proof):
    """Another department's item: 2 营业执照, 3 出生医学证明（原件扫描件） — a retained proof."""
    return published_with(
        city.other_department,
        {"name": "营业执照"},
        {"name": "出生医学证明（原件扫描件）", "is_proof": True, "retained_proof": proof},
    )


@pytest.fixture
def item(city, proof):
    """The item applied for now: 2 营业执照, 3 申请人出生医学证明 (the same proof), 4 健康证明."""
    return published_with(
        city.department,
        {"name": "营业执照"},
        {"name": "申请人出生医学证明", "is_proof": True, "retained_proof": proof},
        {"name": "从业人员健康证明"},
    )


def submit(user, version, *, files=None, reuse=None, as_entity=False) -> Case:
    return services.case_submit_online(
        user=user,
        item_version=version,
        answers={},
        channel=Channel.PC,
        files={mid(version, seq): upload(name) for seq, name in (files or {}).items()},
        reuse=reuse,
        as_entity=as_entity,
    )


# --- Fields -----------------------------------------------------------------------------------------


def test_a_persons_fields_come_from_the_applicant_record(applicant, item):
    prefill = prefill_for(applicant=applicant, item_version=item)
    assert prefill.applicant_kind == "person"
    assert prefill.fields == (
        PrefillField("name", "姓名", "张三", "申请人档案"),
        PrefillField("id_number", "公民身份号码", applicant.id_number, "申请人档案"),
        PrefillField("phone", "手机号码", "13812345678", "申请人档案"),
    )
    assert prefill.value("id_number") == applicant.id_number
    assert prefill.value("uscc") == ""


def test_an_entitys_fields_come_from_the_legal_entity_registry(applicant, citizen, item):
    company = citizen.entity
    prefill = prefill_for(applicant=company, item_version=item)
    assert prefill.applicant_kind == "entity"
    assert prefill.fields == (
        PrefillField("name", "名称", "济南张三餐饮有限公司", "法人库"),
        PrefillField("uscc", "统一社会信用代码", company.uscc, "法人库"),
        PrefillField("legal_representative", "法定代表人", "张三", "法人库"),
        PrefillField("phone", "联系电话", "13966668888", "法人库"),
        PrefillField("address", "住所", "济南市历下区解放路 1 号", "法人库"),
    )


def test_fields_the_record_lacks_are_left_out(db, item):
    bare = accounts.entity_register(
        name="济南空白商贸有限公司", uscc=factories.valid_uscc(52), legal_representative="赵七"
    )
    prefill = prefill_for(applicant=bare, item_version=item)
    assert [f.key for f in prefill.fields] == ["name", "uscc", "legal_representative"]
    assert prefill.value("address") == ""


def test_prefill_needs_an_applicant(item):
    with pytest.raises(ValidationFailed) as caught:
        prefill_for(applicant=None, item_version=item)  # type: ignore[arg-type]
    assert (caught.value.code, caught.value.field) == ("applicant_invalid", "applicant")


# --- Reuse candidates ---------------------------------------------------------------------------


def test_earlier_files_of_the_same_material_or_proof_are_offered_newest_first(
    city, clerk, citizen, applicant, earlier_item, item, django_assert_num_queries
):
    with at("2026-06-10"):
        first = submit(citizen, earlier_item, files={2: "yyzz-2025.pdf", 3: "birth.pdf"})
        # Numbered at acceptance; its application form came on paper (no file to reuse).
        services.case_accept(user=clerk, case=first, received_material_ids=[mid(earlier_item, 1)])
    with at("2026-06-12"):
        second = submit(citizen, item, files={1: "sqs.pdf", 2: "yyzz-2026.pdf"})
    # A window case takes paper: nothing to reuse from it.
    with at("2026-06-13"):
        services.case_receive(
            user=clerk,
            item_version=item,
            applicant=applicant,
            channel=Channel.OFFLINE_ONE_WINDOW,
            answers={},
            received_material_ids=[mid(item, 1), mid(item, 2)],
        )
    first.refresh_from_db()
    assert first.number == "370100-20260610-000001"
    with django_assert_num_queries(2):
        prefill = prefill_for(applicant=applicant, item_version=item)
    licence_new, licence_old = row(second, item, 2), row(first, earlier_item, 2)
    birth, form = row(first, earlier_item, 3), row(second, item, 1)
    assert prefill.materials == (
        MaterialPrefill(
            material_id=mid(item, 1),
            seq=1,
            name="食品经营许可申请书",
            candidates=(
                ReuseCandidate(
                    case_material_id=form.pk,
                    case_id=second.pk,
                    case_number=f"#{second.pk}",
                    received_on=D("2026-06-12"),
                    material_name="食品经营许可申请书",
                    file_name=base(form),
                    source=f"办件 #{second.pk}，2026年6月12日提交",
                ),
            ),
        ),
        MaterialPrefill(
            material_id=mid(item, 2),
            seq=2,
            name="营业执照",
            candidates=(
                ReuseCandidate(
                    case_material_id=licence_new.pk,
                    case_id=second.pk,
                    case_number=f"#{second.pk}",
                    received_on=D("2026-06-12"),
                    material_name="营业执照",
                    file_name=base(licence_new),
                    source=f"办件 #{second.pk}，2026年6月12日提交",
                ),
                ReuseCandidate(
                    case_material_id=licence_old.pk,
                    case_id=first.pk,
                    case_number="370100-20260610-000001",
                    received_on=D("2026-06-10"),
                    material_name="营业执照",
                    file_name=base(licence_old),
                    source="办件 370100-20260610-000001，2026年6月10日提交",
                ),
            ),
        ),
        # Named differently, the same retained proof.
        MaterialPrefill(
            material_id=mid(item, 3),
            seq=3,
            name="申请人出生医学证明",
            candidates=(
                ReuseCandidate(
                    case_material_id=birth.pk,
                    case_id=first.pk,
                    case_number="370100-20260610-000001",
                    received_on=D("2026-06-10"),
                    material_name="出生医学证明（原件扫描件）",
                    file_name=base(birth),
                    source="办件 370100-20260610-000001，2026年6月10日提交",
                ),
            ),
        ),
        MaterialPrefill(material_id=mid(item, 4), seq=4, name="从业人员健康证明", candidates=()),
    )
    assert base(licence_new).startswith("yyzz-2026") and base(birth).startswith("birth")
    assert prefill.newest_reuse() == {
        mid(item, 1): form.pk,
        mid(item, 2): licence_new.pk,
        mid(item, 3): birth.pk,
    }


def test_a_file_reused_from_case_to_case_is_offered_once_from_its_newest_case(
    citizen, applicant, item
):
    with at("2026-06-10"):
        first = submit(citizen, item, files={2: "yyzz.pdf"})
    with at("2026-06-12"):
        second = submit(citizen, item, reuse={mid(item, 2): row(first, item, 2).pk})
    reused = row(second, item, 2)
    assert (reused.source, reused.file.name) == ("reused", row(first, item, 2).file.name)
    (licence,) = [
        m for m in prefill_for(applicant=applicant, item_version=item).materials if m.seq == 2
    ]
    assert [(c.case_material_id, c.received_on) for c in licence.candidates] == [
        (reused.pk, D("2026-06-12"))
    ]


def test_only_the_applicants_own_earlier_files_are_offered(citizen, applicant, item):
    # Someone else handed in the same materials; the same account's company did too.
    other_user = factories.make_citizen(phone="13900001111")
    other = accounts.person_register(
        name="王六", id_number=factories.valid_id_number(seq="456"), user=other_user
    )
    with at("2026-06-10"):
        theirs = submit(other_user, item, files={1: "sqs-w.pdf", 2: "yyzz-w.pdf"})
        company_case = submit(citizen, item, files={2: "yyzz-company.pdf"}, as_entity=True)
    with at("2026-06-11"):
        mine = submit(citizen, item, files={4: "health.pdf"})
    assert (theirs.person, company_case.entity, mine.person) == (other, citizen.entity, applicant)

    def offered(applicant_):
        prefill = prefill_for(applicant=applicant_, item_version=item)
        return {m.seq: [c.case_id for c in m.candidates] for m in prefill.materials}

    assert offered(applicant) == {1: [], 2: [], 3: [], 4: [mine.pk]}
    assert offered(citizen.entity) == {1: [], 2: [company_case.pk], 3: [], 4: []}
    assert offered(other) == {1: [theirs.pk], 2: [theirs.pk], 3: [], 4: []}


def test_the_newest_suggestions_are_what_online_submission_accepts(
    citizen, applicant, earlier_item, item
):
    with at("2026-06-10"):
        first = submit(citizen, earlier_item, files={2: "yyzz.pdf", 3: "birth.pdf"})
    prefill = prefill_for(applicant=applicant, item_version=item)
    case = submit(
        citizen, item, files={1: "sqs.pdf", 4: "health.pdf"}, reuse=prefill.newest_reuse()
    )
    assert list(
        CaseMaterial.objects.filter(case=case)
        .order_by("material__seq")
        .values_list("material__seq", "received", "source", "source_ref")
    ) == [
        (1, True, "uploaded", ""),
        (2, True, "reused", f"#{first.pk}"),
        (3, True, "reused", f"#{first.pk}"),
        (4, True, "uploaded", ""),
    ]
