"""Accounts services: password rules, the organisation tree's codes, applicants, deploy check."""

from __future__ import annotations

import pytest

from quanban.accounts import services
from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit, User
from quanban.core.checks import superuser_in_production
from quanban.core.errors import Conflict, ValidationFailed
from quanban.core.models import AuditRecord
from tests import factories


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1$xyz", "密码长度过短，至少需要 8 个字符。"),
        ("abcdefgh12", "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。"),
        ("ABCDEFGH!!", "密码须包含大写字母、小写字母、数字、符号中的至少 3 类。"),
    ],
)
def test_staff_password_rules(city, password, message):
    with pytest.raises(ValidationFailed) as caught:
        services.staff_create(
            username="x1", display_name="某某", password=password, department=city.department
        )
    assert caught.value.code == "password_rules"
    assert message in str(caught.value)
    assert not User.objects.filter(username="x1").exists()


@pytest.mark.parametrize("password", ["Quanban2026", "quanban#2026", "QUANBAN#2026"])
def test_three_classes_are_enough(city, password):
    user = services.staff_create(
        username="x2", display_name="某某", password=password, department=city.department
    )
    assert user.check_password(password)
    assert user.password_changed_at is not None


def test_division_code_must_belong_to_its_parent(city):
    count = OrgUnit.objects.count()
    with pytest.raises(ValidationFailed) as caught:
        services.org_unit_create(
            kind="subdistrict", name="别处街道", division_code="370103001", parent=city.district
        )
    assert caught.value.code == "division_code_parent"
    assert OrgUnit.objects.count() == count


def test_office_only_under_a_department(city):
    with pytest.raises(ValidationFailed) as caught:
        services.org_unit_create(kind="office", name="某处", parent=city.district)
    assert caught.value.code == "org_parent_kind"


def test_tree_paths_allow_subtree_queries(city):
    community = services.org_unit_create(
        kind="community", name="某社区", division_code="370102001001", parent=city.subdistrict
    )
    under_district = OrgUnit.objects.filter(path__startswith=city.district.path)
    assert set(under_district) == {city.district, city.subdistrict, community}
    assert community.ancestor_ids() == [
        city.city.pk,
        city.district.pk,
        city.subdistrict.pk,
        community.pk,
    ]


def test_department_credit_code_is_validated(city):
    with pytest.raises(ValidationFailed) as caught:
        services.org_unit_create(
            kind="department", name="某局", uscc="11370100MB00000150", parent=city.city
        )
    assert caught.value.code == "uscc_checksum"


def test_person_register_validates_and_refuses_duplicates(db):
    number = factories.valid_id_number()
    person = services.person_register(name="李四", id_number=number, phone="13900001111")
    assert (person.name, person.id_number, person.phone) == ("李四", number, "13900001111")
    with pytest.raises(Conflict):
        services.person_register(name="李四", id_number=number)
    with pytest.raises(ValidationFailed) as caught:
        services.person_register(
            name="王五", id_number=number[:17] + ("0" if number[17] != "0" else "1")
        )
    assert caught.value.code == "id_number_checksum"
    assert NaturalPerson.objects.count() == 1


def test_entity_register_validates_credit_code(db):
    entity = services.entity_register(
        name="济南泉水餐饮有限公司", uscc="91350100M000100Y43", legal_representative="赵六"
    )
    assert entity.uscc == "91350100M000100Y43"
    with pytest.raises(ValidationFailed) as caught:
        services.entity_register(
            name="某公司", uscc="91350100M000100Y44", legal_representative="钱七"
        )
    assert caught.value.code == "uscc_checksum"
    assert LegalEntity.objects.count() == 1


def test_superuser_check_warns_only_in_production(db, settings):
    User.objects.create_superuser("root", password="Xx1!xxxxxx")
    settings.DEBUG = True
    assert superuser_in_production(None) == []
    settings.DEBUG = False
    (warning,) = superuser_in_production(None)
    assert warning.id == "quanban.W001"


# --- 实名登记 --------------------------------------------------------------------------------------


def test_a_citizen_claims_a_new_person_with_the_accounts_phone(db):
    citizen = factories.make_citizen("13812340001")
    number = factories.valid_id_number(seq="901")
    person = services.person_claim(user=citizen, name=" 赵六 ", id_number=number)
    assert (person.name, person.id_number, person.phone, person.user) == (
        "赵六",
        number,
        "13812340001",
        citizen,
    )


def test_a_person_registered_at_a_window_is_linked_when_name_and_phone_match(db):
    number = factories.valid_id_number(seq="902")
    at_window = services.person_register(name="钱七", id_number=number, phone="13812340002")
    citizen = factories.make_citizen("13812340002")
    assert services.person_claim(user=citizen, name="钱七", id_number=number) == at_window
    at_window.refresh_from_db()
    assert at_window.user == citizen
    assert (
        AuditRecord.objects.filter(action="person.claim", object_id=str(at_window.pk)).count() == 1
    )


@pytest.mark.parametrize(
    ("name", "phone", "code"),
    [("别人", "13812340003", "person_unverified"), ("孙八", "13899999999", "person_unverified")],
)
def test_a_mismatch_is_refused_and_links_nothing(db, name, phone, code):
    number = factories.valid_id_number(seq="903")
    at_window = services.person_register(name="孙八", id_number=number, phone="13812340003")
    citizen = factories.make_citizen(phone)
    with pytest.raises(Conflict) as error:
        services.person_claim(user=citizen, name=name, id_number=number)
    assert error.value.code == code
    at_window.refresh_from_db()
    assert at_window.user is None


def test_a_person_of_another_account_is_refused(db):
    number = factories.valid_id_number(seq="904")
    first = factories.make_citizen("13812340004")
    services.person_claim(user=first, name="周九", id_number=number)
    second = factories.make_citizen("13812340005")
    with pytest.raises(Conflict) as error:
        services.person_claim(user=second, name="周九", id_number=number)
    assert error.value.code == "person_taken"
    with pytest.raises(Conflict) as again:
        services.person_claim(user=first, name="周九", id_number=number)
    assert again.value.code == "already_claimed"
