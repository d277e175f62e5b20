"""The demo city: what `quanban demo` creates, that it creates it once, and the login hints."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.cn import ric, uscc

from quanban.accounts import demo, services
from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit, RoleAssignment, User
from quanban.accounts.roles import ADMIN_ROLES, Role
from quanban.catalogue.models import ItemVersion
from quanban.core.audit import chain_verify
from quanban.core.errors import Conflict, ValidationFailed
from quanban.core.identifiers import validate_id_number, validate_uscc
from quanban.core.models import AuditRecord
from tests import factories

REQUIRED_DEPARTMENTS = (
    "行政审批服务局",
    "市场监督管理局",
    "卫生健康委员会",
    "住房和城乡建设局",
    "公安局",
    "民政局",
    "人力资源和社会保障局",
    "交通运输局",
    "自然资源和规划局",
    "生态环境局",
    "城市管理局",
    "大数据局",
    "教育局",
    "文化和旅游局",
    "司法局",
)


def run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        "org_units": OrgUnit.objects.count(),
        "users": User.objects.count(),
        "roles": RoleAssignment.objects.count(),
        "devices": TOTPDevice.objects.count(),
        "persons": NaturalPerson.objects.count(),
        "entities": LegalEntity.objects.count(),
        "audit": AuditRecord.objects.count(),
    }


def test_if_empty_leaves_a_database_with_other_units_alone(city):
    before = row_counts()

    output = run_demo("--if-empty")

    assert "不加载演示城市" in output
    assert row_counts() == before
    assert not demo.demo_is_loaded()


def test_load_does_nothing_when_the_city_exists(city):
    before = row_counts()

    summary = demo.demo_load()

    assert summary.loaded is False
    assert summary.counts == {}
    assert "370100" in summary.message
    assert row_counts() == before


def test_hints_never_show_accounts_the_demo_did_not_make(city, settings):
    # The factories make a "secadmin" too, with a random TOTP key: its code must stay hidden.
    factories.security_admin(city)
    settings.DEMO_MODE = True

    assert demo.demo_login_hints() == []


def test_totp_key_is_stable_per_install_and_differs_per_account(settings):
    settings.SECRET_KEY = "one-install-" + "x" * 40
    first = demo.demo_totp_key("clerk01")

    assert demo.demo_totp_key("clerk01") == first
    assert len(bytes.fromhex(first)) == 20
    assert demo.demo_totp_key("clerk02") != first
    settings.SECRET_KEY = "another-install-" + "y" * 40
    assert demo.demo_totp_key("clerk01") != first


def test_codes_are_valid_and_unique():
    department_codes = [
        demo.department_uscc(i, d.division_code) for i, d in enumerate(demo.DEPARTMENTS)
    ]
    company_codes = [demo.company_uscc(c) for c in demo.COMPANIES]
    id_numbers = [p.id_number for p in demo.PERSONS]

    assert all(uscc.is_valid(code) for code in department_codes + company_codes)
    assert all(ric.is_valid(number) for number in id_numbers)
    assert len(set(department_codes + company_codes)) == len(department_codes) + len(company_codes)
    assert len(set(id_numbers)) == len(id_numbers)


def test_otp_device_create_sets_the_key_and_audits(city):
    user = factories.make_staff(city, username="otpuser", with_totp=False)
    key = demo.demo_totp_key("otpuser")

    device = services.otp_device_create(user=user, key=key.upper())

    assert (device.user_id, device.key, device.confirmed) == (user.pk, key, True)
    record = AuditRecord.objects.get(action="otp_device.create", object_id=str(device.pk))
    assert record.changes == {
        "confirmed": [None, True],
        "name": [None, "default"],
        "user": [None, user.pk],
    }


@pytest.mark.parametrize(
    ("make_user", "key", "error", "code"),
    [
        ("citizen", "", ValidationFailed, "otp_not_staff"),
        ("staff", "not-hex", ValidationFailed, "otp_key_format"),
        ("staff_with_device", "", Conflict, "otp_device_exists"),
    ],
)
def test_otp_device_create_refusals_change_nothing(city, make_user, key, error, code):
    if make_user == "citizen":
        user = factories.make_citizen()
    else:
        user = factories.make_staff(city, with_totp=make_user == "staff_with_device")
    before = row_counts()

    with pytest.raises(error) as raised:
        services.otp_device_create(user=user, key=key)

    assert raised.value.code == code
    assert row_counts() == before


@dataclass
class Loaded:
    output: str
    counts: dict[str, int]


DEMO_DAY = dt.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="class")
def loaded(django_db_setup, django_db_blocker):
    """The demo city, loaded once by `quanban demo --if-empty` for the tests of the class.

    The load runs in a transaction that is rolled back after the class, so other modules see
    the empty database they expect; each test's own changes roll back to a savepoint inside it.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            # A fixed working day the calendar covers: the demo cases get their due dates.
            with time_machine.travel(DEMO_DAY, tick=True):
                output = run_demo("--if-empty")
            yield Loaded(output=output, counts=row_counts())
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.usefixtures("db")
class TestDemoCity:
    def test_command_reports_each_stage_and_prints_the_logins(self, loaded):
        lines = loaded.output.splitlines()
        stages = [line for line in lines if line.startswith("  · ")]
        assert stages == [
            "  · 行政区划：1 个市，12 个区县，9 个街道，18 个社区",
            "  · 部门：21 个部门，59 个处(科)室",
            "  · 服务大厅：2 个大厅，15 个窗口",
            "  · 工作人员：27 个账号，27 项角色授权，每人一个动态口令设备",
            "  · 申请人：8 位自然人（均有登录账号），5 家企业",
            "  · 人口库 9 条记录，法人库 6 条记录",
            "  · 办件：3 条分办规则，6 件演示办件（在办、待受理、已办结、不予受理）",
            "  · 电子证照：44 种证照类型，17 个部门电子印章密钥，1 张演示证照",
            "  · 一业一证：3 个行业主题",
        ]
        assert "http://127.0.0.1:8000/" in loaded.output
        for row in demo.demo_logins():
            assert any(
                line.split()[:1] == [row["username"]] and line.rstrip().endswith(demo.DEMO_PASSWORD)
                for line in lines
            ), row["username"]
        assert "登录页显示" in loaded.output

    def test_division_tree(self, loaded):
        city = OrgUnit.objects.get(kind=OrgUnit.Kind.CITY)
        assert (city.name, city.division_code, city.parent_id) == ("济南市", "370100", None)
        districts = OrgUnit.objects.filter(kind=OrgUnit.Kind.DISTRICT)
        assert sorted(districts.values_list("division_code", "name")) == sorted(demo.DISTRICTS)
        assert {d.parent_id for d in districts} == {city.pk}

        subdistricts = OrgUnit.objects.filter(kind=OrgUnit.Kind.SUBDISTRICT).select_related(
            "parent"
        )
        per_district = Counter(s.parent.division_code for s in subdistricts)
        assert per_district == {"370102": 3, "370103": 3, "370104": 3}
        assert {s.name for s in subdistricts if s.parent.name == "历下区"} == {
            "解放路街道",
            "千佛山街道",
            "泉城路街道",
        }
        for subdistrict in subdistricts:
            assert subdistrict.division_code.startswith(subdistrict.parent.division_code)
            assert len(subdistrict.division_code) == 9
            communities = OrgUnit.objects.filter(parent=subdistrict)
            assert communities.count() == 2
            for community in communities:
                assert community.kind == OrgUnit.Kind.COMMUNITY
                assert len(community.division_code) == 12
                assert community.division_code.startswith(subdistrict.division_code)
                assert community.path.startswith(subdistrict.path)

    def test_departments_have_valid_unique_codes_and_offices(self, loaded):
        departments = list(OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT))
        assert len(departments) == 21
        city_departments = [d for d in departments if d.parent.kind == OrgUnit.Kind.CITY]
        assert len(city_departments) == 20
        names = {d.name for d in city_departments}
        for required in REQUIRED_DEPARTMENTS:
            assert "济南市" + required in names
        codes = [d.uscc for d in departments]
        assert len(set(codes)) == len(codes)
        for department in departments:
            assert validate_uscc(department.uscc) == department.uscc
            assert uscc.is_valid(department.uscc)
            assert department.uscc[:2] == "11"  # 机构编制 / 机关
            assert department.uscc[2:8] == department.parent.division_code
            offices = OrgUnit.objects.filter(parent=department)
            assert 2 <= offices.count() <= 4
            assert {o.kind for o in offices} == {OrgUnit.Kind.OFFICE}

    def test_two_halls_with_windows(self, loaded):
        halls = {h.name: h for h in OrgUnit.objects.filter(kind=OrgUnit.Kind.HALL)}
        assert set(halls) == {"济南市民中心", "历下区政务服务中心"}
        assert halls["济南市民中心"].parent.kind == OrgUnit.Kind.CITY
        assert halls["历下区政务服务中心"].parent.name == "历下区"
        city_windows = list(
            OrgUnit.objects.filter(parent=halls["济南市民中心"]).values_list("name", flat=True)
        )
        assert city_windows == [
            *(f"综合受理窗口 {n}" for n in range(1, 7)),
            "出件窗口",
            "帮办代办窗口",
            "咨询导办台",
        ]
        assert (
            OrgUnit.objects.filter(parent=halls["历下区政务服务中心"], kind="window").count() == 6
        )

    def test_every_role_is_held_and_administrators_are_separate(self, loaded):
        holders: dict[str, set[int]] = {role: set() for role in Role.values}
        for user_id, role in RoleAssignment.objects.values_list("user_id", "role"):
            holders[role].add(user_id)
        assert all(holders[role] for role in Role.values), holders
        admin_ids = [next(iter(holders[role])) for role in sorted(ADMIN_ROLES)]
        assert all(len(holders[role]) == 1 for role in ADMIN_ROLES)
        assert len(set(admin_ids)) == 3
        for user_id in admin_ids:
            assert RoleAssignment.objects.filter(user_id=user_id).count() == 1
        assert RoleAssignment.objects.filter(user__kind=User.Kind.CITIZEN).count() == 0
        clerks = User.objects.filter(role_assignments__role=Role.WINDOW_CLERK)
        assert {c.role_assignments.get().org_unit.kind for c in clerks} == {OrgUnit.Kind.HALL}

    def test_staff_sign_in_with_the_demo_password_and_a_demo_device(self, loaded):
        staff = list(User.objects.filter(kind=User.Kind.STAFF).select_related("department"))
        assert len(staff) == len(demo.STAFF) == 27
        for user in staff:
            assert user.check_password(demo.DEMO_PASSWORD)
            assert user.department is not None
            assert user.display_name
            device = TOTPDevice.objects.get(user=user)
            assert device.confirmed
            assert device.key == demo.demo_totp_key(user.username)

    def test_citizens_and_companies(self, loaded):
        persons = list(NaturalPerson.objects.select_related("user").order_by("id"))
        assert len(persons) == 8
        for person in persons:
            assert validate_id_number(person.id_number) == person.id_number
            assert ric.is_valid(person.id_number)
            assert person.id_number[:4] == "3701"
            assert person.user is not None
            assert person.user.kind == User.Kind.CITIZEN
            assert person.user.username == person.user.phone == person.phone
            assert person.user.check_password(demo.DEMO_PASSWORD)
        names = {p.name for p in persons}
        entities = list(LegalEntity.objects.all())
        assert len(entities) == 5
        for entity in entities:
            assert uscc.is_valid(entity.uscc)
            assert entity.uscc.startswith("91370100")
            assert entity.legal_representative in names
            assert ric.is_valid(entity.legal_rep_id_number)

    def test_running_again_changes_nothing(self, loaded):
        assert demo.demo_is_loaded()

        again = run_demo()
        if_empty = run_demo("--if-empty")
        summary = demo.demo_load()

        assert row_counts() == loaded.counts
        assert "演示城市已加载，未作任何改动。" in again
        assert "演示城市已加载，未作任何改动。" in if_empty
        assert "clerk01" in again
        assert summary.loaded is False

    def test_hints_are_empty_outside_demo_mode(self, loaded, settings):
        settings.DEMO_MODE = False

        assert demo.demo_login_hints() == []

    def test_hints_give_one_account_per_role_and_codes_that_verify(self, loaded, settings):
        settings.DEMO_MODE = True

        hints = demo.demo_login_hints()

        staff = [h for h in hints if h["kind"] == "staff"]
        citizens = [h for h in hints if h["kind"] == "citizen"]
        assert [h["role_label"] for h in staff] == [str(role.label) for role in Role]
        assert [h["username"] for h in citizens] == ["13905310001", "13905310002"]
        assert all(h["otp_code"] is None for h in citizens)
        assert all(h["password"] == demo.DEMO_PASSWORD for h in hints)
        assert set(hints[0]) == {
            "username",
            "display_name",
            "role_label",
            "kind",
            "password",
            "otp_code",
        }
        for hint in staff:
            code = hint["otp_code"]
            assert isinstance(code, str) and len(code) == 6 and code.isdigit()
            device = TOTPDevice.objects.get(user__username=hint["username"])
            assert device.verify_token(code), hint["username"]

    def test_audit_trail_records_every_write(self, loaded):
        actions = Counter(AuditRecord.objects.values_list("action", flat=True))
        assert actions == {
            "org_unit.create": OrgUnit.objects.count(),
            "user.create": User.objects.count(),
            "otp_device.create": 27,
            "role.bootstrap": 3,
            "role.grant": 24,
            "person.register": 8,
            "entity.register": 5,
            # The registries (quanban.datahub.demo): every applicant, one deceased person, every
            # company and one deregistered.
            "population_record.create": 9,
            "legal_entity_record.create": 6,
            "catalogue.import": ItemVersion.objects.filter(item__industry_theme=None).count(),
            "catalogue.import_summary": 1,
            "rules.rule_set_create": 3,
            # The demo cases, done by the staff and the citizen named in quanban.cases.demo.
            "case.receive": 6,
            "case.submit": 1,
            "case.accept": 5,
            "case.route": 5,
            "case.step_open": 4,
            "case.decide": 2,
            "case.issue": 2,
            "case.refuse": 1,
            # Owed materials the population registry stands in for, fetched at receipt (logged).
            "registry.query": 4,
            "task.complete": 2,
            # The licence library (quanban.licences.demo): one 即办 case issues a licence.
            "licence_type.create": 45,
            "seal_key.create": 18,  # 17 departments' and the platform's (archives)
            "licence.issue": 1,
            # 一业一证 (quanban.catalogue.demo_themes): three themes published as items, their
            # materials and situations merged from the bundled items'.
            "catalogue.theme_create": 3,
            "catalogue.theme_publish": 3,
            "catalogue.item_create": 3,
            "catalogue.version_submit": 3,
            "catalogue.version_publish": 3,
            "catalogue.material_add": 45,
            "catalogue.situation_add": 7,
        }
        grants = AuditRecord.objects.filter(action="role.grant")
        assert set(grants.values_list("actor_name", "channel")) == {("secadmin", "cli")}
        work = AuditRecord.objects.filter(action__regex=r"^(case|task|licence|registry)\.")
        assert set(work.values_list("actor_name", flat=True)) == {
            "clerk01",
            "clerk02",
            "clerk03",
            "reviewer01",
            "reviewer03",
            "13905310001",
        }
        others = AuditRecord.objects.exclude(action="role.grant").exclude(
            action__regex=r"^(case|task|licence|registry)\."
        )
        assert set(others.values_list("actor_name", "channel")) == {("quanban demo", "cli")}
        person = AuditRecord.objects.filter(action="person.register").first()
        assert person is not None
        assert "*" in person.changes["id_number"][1]
        checked, broken = chain_verify()
        assert (checked, broken) == (sum(actions.values()), None)
