"""The demo city: 济南市 with its districts, departments, halls, staff, citizens and companies.

Everything is created through the real services, so the demo has the same rows, checks and audit
records as a real installation. Division codes of cities, districts and sub-districts are the
statistical division codes (统计用区划代码); community codes follow the same scheme. Credit
codes and ID numbers are made up but carry valid check digits.

Staff need a second factor. Each demo staff account gets a TOTP device whose key is derived from
``SECRET_KEY`` and the user name, so the codes stay the same across reloads on one installation,
and the login page (only with ``DEMO_MODE``) can show each account's current code.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from quanban.accounts import services
from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import ADMIN_ROLES, Role
from quanban.core.context import acting_as, actor_for_user, current_actor
from quanban.core.identifiers import id_number_check_digit, uscc_check_digit

DEMO_PASSWORD = "Quanban@2026"
CITY_CODE = "370100"
CITY_NAME = "济南市"

DISTRICTS: tuple[tuple[str, str], ...] = (
    ("370102", "历下区"),
    ("370103", "市中区"),
    ("370104", "槐荫区"),
    ("370105", "天桥区"),
    ("370112", "历城区"),
    ("370113", "长清区"),
    ("370114", "章丘区"),
    ("370115", "济阳区"),
    ("370116", "莱芜区"),
    ("370117", "钢城区"),
    ("370124", "平阴县"),
    ("370126", "商河县"),
)

# district code -> ((sub-district code, name, ((community code, name), ...)), ...)
SUBDISTRICTS: dict[str, tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]] = {
    "370102": (
        (
            "370102001",
            "解放路街道",
            (("370102001001", "历山名郡社区"), ("370102001002", "解放桥社区")),
        ),
        (
            "370102002",
            "千佛山街道",
            (("370102002001", "千佛山社区"), ("370102002002", "历山路社区")),
        ),
        (
            "370102004",
            "泉城路街道",
            (("370102004008", "鞭指巷社区"), ("370102004009", "芙蓉街社区")),
        ),
    ),
    "370103": (
        (
            "370103002",
            "大观园街道",
            (("370103002001", "纬一路社区"), ("370103002002", "大观园社区")),
        ),
        (
            "370103004",
            "四里村街道",
            (("370103004001", "四里村社区"), ("370103004002", "英雄山社区")),
        ),
        (
            "370103012",
            "舜玉路街道",
            (("370103012001", "舜玉北区社区"), ("370103012002", "舜玉南区社区")),
        ),
    ),
    "370104": (
        (
            "370104001",
            "振兴街街道",
            (("370104001001", "振兴街社区"), ("370104001002", "纬九路社区")),
        ),
        (
            "370104002",
            "中大槐树街道",
            (("370104002001", "中大槐树社区"), ("370104002002", "经七路社区")),
        ),
        (
            "370104009",
            "段店北路街道",
            (("370104009001", "段店北路社区"), ("370104009002", "机床二厂社区")),
        ),
    ),
}


@dataclass(frozen=True)
class DepartmentSpec:
    key: str
    name: str
    short_name: str
    offices: tuple[str, ...]
    division_code: str = CITY_CODE


# City departments (委办局) and the offices (处/科室) inside them, in the order they are listed.
DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    DepartmentSpec(
        "spj",
        "济南市行政审批服务局",
        "行政审批服务局",
        ("政务服务管理处", "综合受理处", "市场准入审批处", "投资建设审批处"),
    ),
    DepartmentSpec(
        "scjg",
        "济南市市场监督管理局",
        "市场监管局",
        ("登记注册处", "食品生产监督管理处", "特种设备安全监察处"),
    ),
    DepartmentSpec(
        "wjw",
        "济南市卫生健康委员会",
        "卫生健康委",
        ("医政医管处", "基层卫生健康处", "人口监测与家庭发展处"),
    ),
    DepartmentSpec(
        "zjj",
        "济南市住房和城乡建设局",
        "住房城乡建设局",
        ("房地产市场监管处", "建筑市场监管处", "住房保障处"),
    ),
    DepartmentSpec(
        "gaj",
        "济南市公安局",
        "公安局",
        ("人口管理支队", "出入境管理支队", "交通警察支队"),
    ),
    DepartmentSpec(
        "mzj",
        "济南市民政局",
        "民政局",
        ("社会救助处", "养老服务处", "区划地名和社会事务处"),
    ),
    DepartmentSpec(
        "rsj",
        "济南市人力资源和社会保障局",
        "人力资源社会保障局",
        ("就业促进和失业保险处", "养老保险处", "劳动关系处"),
    ),
    DepartmentSpec(
        "jtj",
        "济南市交通运输局",
        "交通运输局",
        ("道路运输管理处", "公路建设管理处", "综合规划处"),
    ),
    DepartmentSpec(
        "zrzy",
        "济南市自然资源和规划局",
        "自然资源和规划局",
        ("国土空间规划处", "不动产登记处", "耕地保护监督处"),
    ),
    DepartmentSpec(
        "sthj",
        "济南市生态环境局",
        "生态环境局",
        ("环境影响评价与排放管理处", "大气环境处", "水生态环境处"),
    ),
    DepartmentSpec(
        "cgj",
        "济南市城市管理局",
        "城市管理局",
        ("市容环境卫生管理处", "市政设施管理处", "城市管理综合协调处"),
    ),
    DepartmentSpec(
        "dsj",
        "济南市大数据局",
        "大数据局",
        ("数据资源处", "电子政务处", "网络安全处", "综合保障处"),
    ),
    DepartmentSpec(
        "jyj",
        "济南市教育局",
        "教育局",
        ("基础教育处", "职业教育与成人教育处", "民办教育管理处"),
    ),
    DepartmentSpec(
        "wlj",
        "济南市文化和旅游局",
        "文化和旅游局",
        ("文化市场管理处", "旅游产业发展处", "公共服务处"),
    ),
    DepartmentSpec(
        "sfj",
        "济南市司法局",
        "司法局",
        ("公共法律服务管理处", "律师工作处", "人民参与和促进法治处"),
    ),
    DepartmentSpec(
        "fgw",
        "济南市发展和改革委员会",
        "发展改革委",
        ("投资处", "价格管理处"),
    ),
    DepartmentSpec(
        "czj",
        "济南市财政局",
        "财政局",
        ("预算处", "国库处"),
    ),
    DepartmentSpec(
        "yjj",
        "济南市应急管理局",
        "应急管理局",
        ("安全生产综合协调处", "危险化学品安全监督管理处"),
    ),
    DepartmentSpec(
        "ybj",
        "济南市医疗保障局",
        "医疗保障局",
        ("待遇保障处", "医药服务管理处"),
    ),
    DepartmentSpec(
        "zfb",
        "济南市人民政府办公厅",
        "市政府办公厅",
        ("督查室", "政务公开办公室"),
    ),
    # A district department, for the clerks of the district hall.
    DepartmentSpec(
        "lx_spj",
        "济南市历下区行政审批服务局",
        "历下区行政审批服务局",
        ("政务服务科", "综合受理科"),
        division_code="370102",
    ),
)


@dataclass(frozen=True)
class HallSpec:
    key: str
    name: str
    parent_code: str
    address: str
    windows: tuple[str, ...]


HALLS: tuple[HallSpec, ...] = (
    HallSpec(
        "smzx",
        "济南市民中心",
        CITY_CODE,
        "济南市历下区龙奥北路",
        (
            *(f"综合受理窗口 {n}" for n in range(1, 7)),
            "出件窗口",
            "帮办代办窗口",
            "咨询导办台",
        ),
    ),
    HallSpec(
        "lx_hall",
        "历下区政务服务中心",
        "370102",
        "",
        (*(f"综合受理窗口 {n}" for n in range(1, 5)), "出件窗口", "帮办代办窗口"),
    ),
)


@dataclass(frozen=True)
class StaffSpec:
    username: str
    display_name: str
    department: str
    office: str  # "" for a department head without an office
    role: str
    scope: str  # a department key, "<department key>/<office>", a hall key or "city"


STAFF: tuple[StaffSpec, ...] = (
    # Three-role separation: three accounts, one administrator role each, at the 大数据局.
    StaffSpec("secadmin", "吴晓燕", "dsj", "网络安全处", Role.SECURITY_ADMIN, "city"),
    StaffSpec("sysadmin", "周建华", "dsj", "综合保障处", Role.SYSTEM_ADMIN, "city"),
    StaffSpec("auditadmin", "郑国强", "dsj", "电子政务处", Role.AUDIT_ADMIN, "city"),
    # The city hall's window clerks.
    StaffSpec("clerk01", "王丽", "spj", "综合受理处", Role.WINDOW_CLERK, "smzx"),
    StaffSpec("clerk02", "刘芳", "spj", "综合受理处", Role.WINDOW_CLERK, "smzx"),
    StaffSpec("clerk03", "张磊", "spj", "综合受理处", Role.WINDOW_CLERK, "smzx"),
    StaffSpec("clerk04", "陈晨", "spj", "综合受理处", Role.WINDOW_CLERK, "smzx"),
    # The district hall's window clerks.
    StaffSpec("clerk05", "赵婷", "lx_spj", "综合受理科", Role.WINDOW_CLERK, "lx_hall"),
    StaffSpec("clerk06", "孙浩", "lx_spj", "综合受理科", Role.WINDOW_CLERK, "lx_hall"),
    StaffSpec("reviewer01", "李明", "spj", "市场准入审批处", Role.REVIEWER, "spj"),
    StaffSpec("reviewer02", "黄静", "spj", "投资建设审批处", Role.REVIEWER, "spj"),
    StaffSpec("reviewer03", "马俊", "scjg", "登记注册处", Role.REVIEWER, "scjg"),
    # Co-reviewers of the parallel items (并联审批) in the departments they name.
    StaffSpec("reviewer04", "于洋", "zjj", "建筑市场监管处", Role.REVIEWER, "zjj"),
    StaffSpec("reviewer05", "邵亮", "gaj", "人口管理支队", Role.REVIEWER, "gaj"),
    StaffSpec("reviewer06", "田甜", "rsj", "就业促进和失业保险处", Role.REVIEWER, "rsj"),
    StaffSpec("reviewer07", "彭博", "zrzy", "国土空间规划处", Role.REVIEWER, "zrzy"),
    StaffSpec("reviewer08", "崔璐", "cgj", "市政设施管理处", Role.REVIEWER, "cgj"),
    StaffSpec("approver01", "高峰", "spj", "市场准入审批处", Role.APPROVER, "spj/市场准入审批处"),
    StaffSpec("approver02", "林娜", "spj", "投资建设审批处", Role.APPROVER, "spj/投资建设审批处"),
    StaffSpec(
        "officehead01", "何军", "spj", "市场准入审批处", Role.OFFICE_HEAD, "spj/市场准入审批处"
    ),
    StaffSpec("officehead02", "罗敏", "spj", "综合受理处", Role.OFFICE_HEAD, "spj/综合受理处"),
    StaffSpec("depthead01", "梁国栋", "spj", "", Role.DEPARTMENT_HEAD, "spj"),
    StaffSpec("depthead02", "宋涛", "scjg", "", Role.DEPARTMENT_HEAD, "scjg"),
    StaffSpec("supervisor01", "谢芳", "zfb", "督查室", Role.SUPERVISOR, "city"),
    StaffSpec("cateditor01", "唐雪", "spj", "政务服务管理处", Role.CATALOGUE_EDITOR, "city"),
    StaffSpec("catreviewer01", "韩冰", "spj", "政务服务管理处", Role.CATALOGUE_REVIEWER, "city"),
    StaffSpec("dataofficer01", "冯磊", "dsj", "数据资源处", Role.DATA_OFFICER, "city"),
)


@dataclass(frozen=True)
class PersonSpec:
    name: str
    # The ID number's address code: a Jinan district or county that had this code in the birth
    # year (stdnum checks that too; 370181 is the former 章丘市, used on numbers issued 1992–2016).
    region: str
    birth: str
    sequence: str  # odd last digit for men, even for women
    phone: str

    @property
    def id_number(self) -> str:
        body = self.region + self.birth + self.sequence
        return body + id_number_check_digit(body)


PERSONS: tuple[PersonSpec, ...] = (
    PersonSpec("王建国", "370102", "19850315", "011", "13905310001"),
    PersonSpec("李秀英", "370103", "19870622", "024", "13905310002"),
    PersonSpec("张伟", "370104", "19920108", "035", "13905310003"),
    PersonSpec("刘思雨", "370105", "19990930", "046", "13905310004"),
    PersonSpec("陈志强", "370112", "19880504", "057", "13905310005"),
    PersonSpec("赵雅琴", "370181", "19931111", "068", "13905310006"),
    PersonSpec("孙浩然", "370124", "20010220", "079", "13905310007"),
    PersonSpec("周美玲", "370126", "19950717", "082", "13905310008"),
)


@dataclass(frozen=True)
class CompanySpec:
    name: str
    org_code_body: str  # the 8 characters of the organisation code before its check character
    representative: int  # index into PERSONS
    address: str
    phone: str


COMPANIES: tuple[CompanySpec, ...] = (
    CompanySpec("济南泉城智慧科技有限公司", "MA3C4K7N", 0, "济南市历下区经十路", "13905310101"),
    CompanySpec("山东舜耕食品有限公司", "MA3D2P8R", 1, "济南市市中区舜耕路", "13905310102"),
    CompanySpec(
        "济南大明湖文化旅游发展有限公司", "MA3E6T1W", 4, "济南市历下区明湖路", "13905310103"
    ),
    CompanySpec("济南黄河建设工程有限公司", "MA3F9L3H", 5, "济南市天桥区北园大街", "13905310104"),
    CompanySpec("济南趵突泉餐饮管理有限公司", "MA3G5B2Q", 2, "济南市市中区经四路", "13905310105"),
)

# The citizens whose logins the login page shows.
HINT_CITIZENS: tuple[int, ...] = (0, 1)


@dataclass(frozen=True)
class DemoSummary:
    loaded: bool  # True when this call created the city; False when it was already there
    message: str
    counts: dict[str, int]


# --- Codes ---------------------------------------------------------------------------------------

_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(body: str) -> str:
    """A 9-character organisation code (GB 11714): 8 characters and their check character."""
    values = [int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, _ORG_CODE_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(*, authority: str, kind: str, division_code: str, org_code_body: str) -> str:
    """A unified social credit code (GB 32100) with valid check characters."""
    body = authority + kind + division_code + organisation_code(org_code_body)
    return body + uscc_check_digit(body)


def department_uscc(index: int, division_code: str) -> str:
    # 机关: registration authority 1 (机构编制), class 1 (机关).
    return credit_code(
        authority="1",
        kind="1",
        division_code=division_code,
        org_code_body=f"0041{8801 + index:04d}",
    )


def company_uscc(spec: CompanySpec) -> str:
    # 企业: registration authority 9 (市场监管), class 1 (企业).
    return credit_code(
        authority="9", kind="1", division_code=CITY_CODE, org_code_body=spec.org_code_body
    )


def demo_totp_key(username: str) -> str:
    """The hex TOTP key of a demo account: stable per installation, different per account."""
    message = f"quanban-demo-totp:{username}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha1).digest().hex()


# --- Loading -------------------------------------------------------------------------------------


def demo_is_loaded() -> bool:
    """Whether the demo city is in the database (its city and its system administrator)."""
    return (
        OrgUnit.objects.filter(kind=OrgUnit.Kind.CITY, division_code=CITY_CODE).exists()
        and User.objects.filter(username=STAFF[1].username, kind=User.Kind.STAFF).exists()
    )


def demo_load(*, progress: Callable[[str], None] | None = None) -> DemoSummary:
    """Create the demo city through the services; do nothing when 济南市 already exists."""
    report = progress or (lambda _line: None)
    if OrgUnit.objects.filter(kind=OrgUnit.Kind.CITY, division_code=CITY_CODE).exists():
        return DemoSummary(
            loaded=False,
            message=_("%(city)s（%(code)s）已存在，未作任何改动。")
            % {"city": CITY_NAME, "code": CITY_CODE},
            counts={},
        )
    counts: dict[str, int] = {}
    with transaction.atomic():
        units = _load_divisions(counts)
        report(
            _(
                "行政区划：1 个市，%(districts)d 个区县，"
                "%(subdistricts)d 个街道，%(communities)d 个社区"
            )
            % counts
        )
        _load_departments(units, counts)
        report(_("部门：%(departments)d 个部门，%(offices)d 个处(科)室") % counts)
        _load_halls(units, counts)
        report(_("服务大厅：%(halls)d 个大厅，%(windows)d 个窗口") % counts)
        _load_staff(units, counts)
        report(_("工作人员：%(staff)d 个账号，%(roles)d 项角色授权，每人一个动态口令设备") % counts)
        _load_applicants(counts)
        report(_("申请人：%(persons)d 位自然人（均有登录账号），%(entities)d 家企业") % counts)
        from quanban.datahub.demo import demo_registries_load

        counts.update(demo_registries_load())
        report(
            _("人口库 %(population_records)d 条记录，法人库 %(legal_entity_records)d 条记录")
            % counts
        )
        # Imported here: the catalogue builds on accounts, not the other way round.
        from quanban.catalogue.demo_data import demo_catalogue_load

        counts["catalogue_items"] = demo_catalogue_load()
        from quanban.cases.demo import demo_cases_load

        counts.update(demo_cases_load())
        report(
            _(
                "办件：%(routing_rules)d 条分办规则，%(cases)d 件演示办件（在办、待受理、已办结、不予受理）"
            )
            % counts
        )
        from quanban.licences.demo import demo_licences_load

        counts.update(demo_licences_load())
        report(
            _(
                "电子证照：%(licence_types)d 种证照类型，%(seal_keys)d 个部门电子印章密钥，"
                "%(licences)d 张演示证照"
            )
            % counts
        )
        from quanban.catalogue.demo_themes import demo_themes_load

        counts["industry_themes"] = demo_themes_load()
        report(_("一业一证：%(industry_themes)d 个行业主题") % counts)
    return DemoSummary(
        loaded=True, message=_("演示城市%(city)s已加载。") % {"city": CITY_NAME}, counts=counts
    )


def _load_divisions(counts: dict[str, int]) -> dict[str, OrgUnit]:
    units: dict[str, OrgUnit] = {}
    city = services.org_unit_create(
        kind=OrgUnit.Kind.CITY, name=CITY_NAME, short_name="济南", division_code=CITY_CODE
    )
    units["city"] = units[CITY_CODE] = city
    counts.update(districts=0, subdistricts=0, communities=0)
    for sort, (code, name) in enumerate(DISTRICTS):
        units[code] = services.org_unit_create(
            kind=OrgUnit.Kind.DISTRICT, name=name, division_code=code, parent=city, sort=sort
        )
        counts["districts"] += 1
    for district_code, subdistricts in SUBDISTRICTS.items():
        for sort, (code, name, communities) in enumerate(subdistricts):
            subdistrict = services.org_unit_create(
                kind=OrgUnit.Kind.SUBDISTRICT,
                name=name,
                division_code=code,
                parent=units[district_code],
                sort=sort,
            )
            counts["subdistricts"] += 1
            for community_sort, (community_code, community_name) in enumerate(communities):
                services.org_unit_create(
                    kind=OrgUnit.Kind.COMMUNITY,
                    name=community_name,
                    division_code=community_code,
                    parent=subdistrict,
                    sort=community_sort,
                )
                counts["communities"] += 1
    return units


def _load_departments(units: dict[str, OrgUnit], counts: dict[str, int]) -> None:
    counts.update(departments=0, offices=0)
    for index, spec in enumerate(DEPARTMENTS):
        department = services.org_unit_create(
            kind=OrgUnit.Kind.DEPARTMENT,
            name=spec.name,
            short_name=spec.short_name,
            uscc=department_uscc(index, spec.division_code),
            parent=units[spec.division_code],
            sort=index,
        )
        units[spec.key] = department
        counts["departments"] += 1
        for sort, office_name in enumerate(spec.offices):
            units[f"{spec.key}/{office_name}"] = services.org_unit_create(
                kind=OrgUnit.Kind.OFFICE, name=office_name, parent=department, sort=sort
            )
            counts["offices"] += 1


def _load_halls(units: dict[str, OrgUnit], counts: dict[str, int]) -> None:
    counts.update(halls=0, windows=0)
    for index, spec in enumerate(HALLS):
        hall = services.org_unit_create(
            kind=OrgUnit.Kind.HALL,
            name=spec.name,
            parent=units[spec.parent_code],
            address=spec.address,
            sort=index,
        )
        units[spec.key] = hall
        counts["halls"] += 1
        for sort, window_name in enumerate(spec.windows):
            services.org_unit_create(
                kind=OrgUnit.Kind.WINDOW, name=window_name, parent=hall, sort=sort
            )
            counts["windows"] += 1


def _load_staff(units: dict[str, OrgUnit], counts: dict[str, int]) -> None:
    counts.update(staff=0, roles=0)
    users: dict[str, User] = {}
    for spec in STAFF:
        user = services.staff_create(
            username=spec.username,
            display_name=spec.display_name,
            password=DEMO_PASSWORD,
            department=units[spec.department],
            office=units[f"{spec.department}/{spec.office}"] if spec.office else None,
        )
        services.otp_device_create(user=user, key=demo_totp_key(spec.username))
        users[spec.username] = user
        counts["staff"] += 1
    # Administrators are bootstrapped (nobody may grant them yet); the security administrator
    # then grants every other role, and the audit trail names them as the one who did.
    security_admin = next(users[s.username] for s in STAFF if s.role == Role.SECURITY_ADMIN)
    for spec in STAFF:
        if spec.role in ADMIN_ROLES:
            services.bootstrap_admin_grant(
                user=users[spec.username], role=spec.role, org_unit=units[spec.scope]
            )
            counts["roles"] += 1
    channel = current_actor().channel
    with acting_as(actor_for_user(security_admin, channel=channel)):
        for spec in STAFF:
            if spec.role not in ADMIN_ROLES:
                services.role_grant(
                    granted_by=security_admin,
                    user=users[spec.username],
                    role=spec.role,
                    org_unit=units[spec.scope],
                )
                counts["roles"] += 1


def _load_applicants(counts: dict[str, int]) -> None:
    counts.update(citizens=0, persons=0, entities=0)
    for spec in PERSONS:
        account = services.citizen_create(
            phone=spec.phone, password=DEMO_PASSWORD, display_name=spec.name
        )
        counts["citizens"] += 1
        services.person_register(
            name=spec.name, id_number=spec.id_number, phone=spec.phone, user=account
        )
        counts["persons"] += 1
    for company in COMPANIES:
        representative = PERSONS[company.representative]
        services.entity_register(
            name=company.name,
            uscc=company_uscc(company),
            legal_representative=representative.name,
            legal_rep_id_number=representative.id_number,
            phone=company.phone,
            address=company.address,
        )
        counts["entities"] += 1


# --- What the login page and the command show ----------------------------------------------------


def hint_staff() -> list[StaffSpec]:
    """One demo account per role, in the order of :class:`Role`."""
    chosen: list[StaffSpec] = []
    for role in Role:
        spec = next((s for s in STAFF if s.role == role), None)
        if spec is not None:
            chosen.append(spec)
    return chosen


def demo_logins() -> list[dict[str, Any]]:
    """The demo logins, without one-time codes (for the command line and the README)."""
    rows: list[dict[str, Any]] = [
        {
            "username": spec.username,
            "display_name": spec.display_name,
            "role_label": str(Role(spec.role).label),
            "kind": User.Kind.STAFF.value,
            "password": DEMO_PASSWORD,
        }
        for spec in hint_staff()
    ]
    for index in HINT_CITIZENS:
        person = PERSONS[index]
        rows.append(
            {
                "username": person.phone,
                "display_name": person.name,
                "role_label": str(User.Kind.CITIZEN.label),
                "kind": User.Kind.CITIZEN.value,
                "password": DEMO_PASSWORD,
            }
        )
    return rows


def demo_login_hints() -> list[dict[str, Any]]:
    """The demo accounts for the login page, each staff account with its current one-time code.

    Only in demo mode; otherwise (and for accounts that are not the demo's) nothing is returned.
    """
    if not getattr(settings, "DEMO_MODE", False):
        return []
    rows = demo_logins()
    usernames = [row["username"] for row in rows]
    existing = {
        user.username: user for user in User.objects.filter(username__in=usernames, is_active=True)
    }
    devices = {
        device.user_id: device
        for device in TOTPDevice.objects.filter(
            user__username__in=usernames, confirmed=True, name="default"
        )
    }
    hints: list[dict[str, Any]] = []
    for row in rows:
        user = existing.get(row["username"])
        if user is None or user.kind != row["kind"]:
            continue
        code: str | None = None
        if row["kind"] == User.Kind.STAFF:
            device = devices.get(user.pk)
            # Only accounts whose device the demo made: never reveal a real account's code.
            if device is None or device.key != demo_totp_key(user.username):
                continue
            value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
            code = f"{value:0{device.digits}d}"
        hints.append({**row, "otp_code": code})
    return hints
