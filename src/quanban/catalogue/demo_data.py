"""The demo catalogue of 济南市: real service items written from publicly known 办事指南.

Each item is one call of :func:`_item` with its national elements: the laws and articles it rests
on, the materials a real guide asks for (named exactly, never "其他材料"), the legal and promised
limits in working days, fees with their pricing documents, and the handling process. Departments
are the demo city's (``quanban.accounts.demo.DEPARTMENTS``), named here by their keys and turned
into credit codes when the document is built, so the catalogue follows the demo city.

``demo_catalogue_document()`` gives the catalogue as one interchange document
(docs/catalogue-json.md); ``demo_catalogue_load()`` imports it through ``catalogue_import``.
Basic codes are a department prefix, the item type and a sequence in declaration order per
department: add new items at the end of their department's block so existing codes stay put.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from quanban.accounts import demo
from quanban.catalogue import codes
from quanban.catalogue.rules import APPROVE, REFER, REJECT, Rule

# --- Code values (the national codes as plain strings) --------------------------------------------

LICENSING = codes.ItemType.LICENSING.value
BENEFIT = codes.ItemType.BENEFIT.value
CONFIRMATION = codes.ItemType.CONFIRMATION.value
OTHER_TYPE = codes.ItemType.OTHER.value
PUBLIC_SERVICE = codes.ItemType.PUBLIC_SERVICE.value

CITY = codes.ExerciseLevel.CITY.value
COUNTY = codes.ExerciseLevel.COUNTY.value

PERSON = codes.ServiceObject.PERSON.value
ENTERPRISE = codes.ServiceObject.ENTERPRISE.value
INSTITUTION = codes.ServiceObject.INSTITUTION.value
SOCIAL_ORG = codes.ServiceObject.SOCIAL_ORG.value
OTHER_ORG = codes.ServiceObject.OTHER.value

INSTANT = codes.CaseKind.INSTANT.value
PROMISED = codes.CaseKind.PROMISED.value

ORIGINAL = codes.MaterialForm.ORIGINAL.value
ORIGINAL_OR_COPY = codes.MaterialForm.ORIGINAL_OR_COPY.value
PAPER_FORM = codes.MaterialForm.PAPER_FORM.value
ELECTRONIC = codes.MaterialForm.ELECTRONIC.value
FETCHED = codes.MaterialForm.FETCHED.value
FETCHED_PARTLY = codes.MaterialForm.FETCHED_PARTLY.value
PDF = codes.MaterialForm.PDF.value

REQUIRED = codes.Necessity.REQUIRED.value
OPTIONAL = codes.Necessity.OPTIONAL.value
DEFERRABLE = codes.Necessity.DEFERRABLE.value

APPLICANT = codes.MaterialSource.APPLICANT.value
GOVERNMENT = codes.MaterialSource.GOVERNMENT.value
SHARED = codes.MaterialSource.SHARED.value

SINGLE = codes.ProcessKind.SINGLE_APPROVER.value
REVIEW = codes.ProcessKind.REVIEW_APPROVE.value
PARALLEL = codes.ProcessKind.PARALLEL.value
INSTANT_RULE = codes.ProcessKind.INSTANT_RULE.value

WINDOW_ONLY = ("1",)
ONLINE = ("1", "2", "3")
ONLINE_POST = ("1", "2", "3", "4")

VALID_FROM = "2026-01-01"
HOURS = "工作日 9:00–12:00、13:30–17:00（法定节假日除外）"
PHONE = "0531-12345"
CITY_HALL = "济南市民中心（济南市历下区龙奥北路）综合受理窗口"
DISTRICT_HALL = "历下区政务服务中心综合受理窗口"

# Department prefixes of the basic codes (three digits each).
_PREFIX: dict[str, str] = {spec.key: f"{101 + i:03d}" for i, spec in enumerate(demo.DEPARTMENTS)}


def department_codes() -> dict[str, str]:
    """The demo departments' credit codes by key, as the demo loader gives them."""
    return {
        spec.key: demo.department_uscc(index, spec.division_code)
        for index, spec in enumerate(demo.DEPARTMENTS)
    }


# --- Retained proofs (保留证明事项清单) -------------------------------------------------------------

RETAINED_PROOFS: tuple[dict[str, Any], ...] = (
    {
        "code": "JN-ZM-001",
        "name": "出生医学证明",
        "issuing_body": "助产机构",
        "legal_basis": "《中华人民共和国母婴保健法》第二十三条",
        "online_checkable": True,
    },
    {
        "code": "JN-ZM-002",
        "name": "居民死亡医学证明（推断）书",
        "issuing_body": "医疗卫生机构",
        "legal_basis": "《中华人民共和国户口登记条例》第八条",
        "online_checkable": True,
    },
    {
        "code": "JN-ZM-003",
        "name": "遗体火化证明",
        "issuing_body": "殡仪馆",
        "legal_basis": "《殡葬管理条例》；《中华人民共和国户口登记条例》第八条",
        "online_checkable": False,
    },
    {
        "code": "JN-ZM-004",
        "name": "无犯罪记录证明",
        "issuing_body": "公安机关",
        "legal_basis": "《公安机关办理犯罪记录查询工作规定》（公通字〔2021〕19号）",
        "online_checkable": True,
    },
    {
        "code": "JN-ZM-005",
        "name": "医疗卫生机构拟聘用证明",
        "issuing_body": "拟聘用的医疗卫生机构",
        "legal_basis": "《医师执业注册管理办法》第九条；《护士执业注册管理办法》第七条",
        "online_checkable": False,
    },
    {
        "code": "JN-ZM-006",
        "name": "护理专业临床实习证明",
        "issuing_body": "实习所在的教学、综合医院",
        "legal_basis": "《护士条例》第七条；《护士执业注册管理办法》第七条",
        "online_checkable": False,
    },
    {
        "code": "JN-ZM-007",
        "name": "解除或者终止劳动合同证明",
        "issuing_body": "用人单位",
        "legal_basis": "《中华人民共和国劳动合同法》第五十条；《失业保险条例》第十六条",
        "online_checkable": True,
    },
    {
        "code": "JN-ZM-008",
        "name": "医疗诊断证明书",
        "issuing_body": "医疗机构",
        "legal_basis": "《工伤保险条例》第十八条",
        "online_checkable": False,
    },
    {
        "code": "JN-ZM-009",
        "name": "机动车驾驶人身体条件证明",
        "issuing_body": "县级或者部队团级以上医疗机构",
        "legal_basis": "《中华人民共和国道路交通安全法实施条例》第二十六条；《机动车驾驶证申领和使用规定》",
        "online_checkable": True,
    },
    {
        "code": "JN-ZM-010",
        "name": "三年内无重大以上交通责任事故记录证明",
        "issuing_body": "公安机关交通管理部门",
        "legal_basis": "《中华人民共和国道路运输条例》第九条",
        "online_checkable": True,
    },
    {
        "code": "JN-ZM-011",
        "name": "律师协会出具的实习考核合格证明",
        "issuing_body": "律师协会",
        "legal_basis": "《中华人民共和国律师法》第六条",
        "online_checkable": False,
    },
)


# --- Building blocks ------------------------------------------------------------------------------


def law(name: str, article: str = "") -> dict[str, str]:
    return {"law": name, "article": article}


def fee(name: str, standard: str, basis: str, *, waivable: bool = False) -> dict[str, Any]:
    return {"name": name, "standard": standard, "basis": basis, "waivable": waivable}


def faq(question: str, answer: str) -> dict[str, str]:
    return {"q": question, "a": answer}


@dataclass(frozen=True)
class Mat:
    """One material; its sequence number is its place in the item's list."""

    name: str
    form: str = ORIGINAL
    originals: int = 1
    copies: int = 0
    necessity: str = REQUIRED
    core: bool = False
    source: str = APPLICANT
    source_ref: str = ""
    basis: str = ""
    proof: str | None = None
    notes: str = ""


def application(name: str, basis: str = "", notes: str = "") -> Mat:
    """The application form: a core material the applicant fills in (blank form provided)."""
    return Mat(name, form=PAPER_FORM, core=True, basis=basis, notes=notes or "可在线填报。")


def doc(name: str, basis: str = "", *, core: bool = False, copies: int = 0, notes: str = "") -> Mat:
    return Mat(name, form=ORIGINAL, core=core, copies=copies, basis=basis, notes=notes)


def copy_doc(name: str, basis: str = "", *, core: bool = False, notes: str = "") -> Mat:
    return Mat(
        name, form=ORIGINAL_OR_COPY, originals=0, copies=1, core=core, basis=basis, notes=notes
    )


def pdf(name: str, basis: str = "", *, core: bool = False, notes: str = "") -> Mat:
    return Mat(name, form=PDF, originals=0, core=core, basis=basis, notes=notes)


def later(name: str, basis: str = "", notes: str = "") -> Mat:
    """A material that may follow within the deferral period (容缺后补); never a core one."""
    return Mat(
        name,
        form=ORIGINAL_OR_COPY,
        necessity=DEFERRABLE,
        basis=basis,
        notes=notes or "可容缺受理，申请人书面承诺后于 5 个工作日内补齐。",
    )


def shared(name: str, source_ref: str, basis: str = "", *, partly: bool = False) -> Mat:
    """Fetched from a registry by the system; nothing to hand in (``partly``: not always)."""
    return Mat(
        name,
        form=FETCHED_PARTLY if partly else FETCHED,
        originals=0,
        source=SHARED,
        source_ref=source_ref,
        basis=basis,
        notes="系统共享获取，无需提交。"
        if not partly
        else "系统共享获取；共享不到的，申请人提交原件。",
    )


def proof(name: str, code: str, basis: str = "", *, shared_from: str = "") -> Mat:
    """A proof on the retained list, fetched online where the issuer shares it."""
    if shared_from:
        return Mat(
            name,
            form=FETCHED_PARTLY,
            source=SHARED,
            source_ref=shared_from,
            basis=basis,
            proof=code,
            notes="可在线核验的，无需提交；无法核验的，提交原件。",
        )
    return Mat(name, form=ORIGINAL, source=GOVERNMENT, basis=basis, proof=code)


def licence() -> Mat:
    return shared("营业执照", "市场主体登记信息（电子营业执照）")


def id_card(who: str = "申请人") -> Mat:
    return shared(f"{who}居民身份证", "居民身份证电子证照（公安部门）", partly=True)


def id_card_original(who: str = "申请人") -> Mat:
    return Mat(f"{who}居民身份证", source=GOVERNMENT, notes="现场核验原件。")


def hukou_book() -> Mat:
    return Mat("居民户口簿", source=GOVERNMENT, notes="现场核验原件。")


def site_certificate(who: str = "经营场所") -> Mat:
    return shared(
        f"{who}使用证明（不动产权证书或者租赁合同）",
        "不动产登记信息（不动产权证书）",
        partly=True,
    )


PROXY_LETTER = Mat("授权委托书", form=ORIGINAL, notes="委托他人办理时提交，写明委托事项和权限。")
PROXY_ID = shared("受托人居民身份证", "居民身份证电子证照（公安部门）", partly=True)


@dataclass(frozen=True)
class Opt:
    label: str
    adds: tuple[str, ...] = ()
    removes: tuple[str, ...] = ()
    conditions: str = ""


@dataclass(frozen=True)
class Sit:
    question: str
    options: tuple[Opt, ...]


def by_proxy() -> Sit:
    """Whether someone else hands the application in (adds the power of attorney)."""
    return Sit(
        "是否委托他人代为办理？",
        (
            Opt("本人（法定代表人）办理"),
            Opt("委托代理人办理", adds=(PROXY_LETTER.name, PROXY_ID.name)),
        ),
    )


def process(
    kind: str = REVIEW,
    *,
    co_review: Sequence[str] = (),
    meeting: bool = False,
    rule_set: str = "",
    commitment: bool = False,
    inspection: bool = False,
) -> dict[str, Any]:
    """The process reference; ``co_review`` names departments by their demo keys."""
    return {
        "kind": kind,
        "co_review_departments": list(co_review),
        "meeting_allowed": meeting,
        "instant_rule_set": rule_set,
        "commitment_allowed": commitment,
        "inspection_required": inspection,
    }


def commitment(item: str, conditions: str) -> str:
    """The 告知承诺书 text: the five promises of the national template, with the item's conditions."""
    return (
        f"申请人郑重承诺：一、已经知晓行政机关告知的{item}的全部内容；"
        f"二、{conditions}，符合告知的条件、标准和要求；"
        "三、所填写的信息和提交的材料真实、准确、完整；"
        "四、愿意接受行政机关的核查，核查发现与承诺不符的，同意撤销许可，"
        "承担不实承诺的法律责任，并记入信用记录；"
        "五、所作承诺是申请人真实意思的表示。"
    )


@dataclass
class Item:
    department: str
    name: str
    item_type: str
    description: str
    keywords: str
    objects: tuple[str, ...]
    legal: tuple[dict[str, str], ...]
    conditions: str
    case_kind: str
    legal_days: int
    promised_days: int
    materials: tuple[Mat, ...]
    result: str = ""
    licence_type: str = ""
    level: str = CITY
    situations: tuple[Sit, ...] = ()
    forms: tuple[str, ...] = ONLINE
    visits: int = 0
    depth: str = "4"
    fees: tuple[dict[str, Any], ...] = ()
    place: str = CITY_HALL
    hours: str = HOURS
    faq: tuple[dict[str, str], ...] = ()
    agent: bool = False
    process: dict[str, Any] = field(default_factory=process)
    commitment_text: str = ""
    co: tuple[str, ...] = ()


ITEMS: list[Item] = []


def _item(**kwargs: Any) -> None:
    item = Item(**kwargs)
    wanted = {name for sit in item.situations for opt in sit.options for name in opt.adds}
    present = {material.name for material in item.materials}
    # Items asking "是否委托他人代为办理？" get the power of attorney and the agent's ID card.
    if PROXY_LETTER.name in wanted and PROXY_LETTER.name not in present:
        item.materials = (*item.materials, PROXY_LETTER, PROXY_ID)
    ITEMS.append(item)


# --- 济南市行政审批服务局 -----------------------------------------------------------------------------

_item(
    department="spj",
    name="建筑工程施工许可证核发",
    item_type=LICENSING,
    description="在城镇规划区内新建、改建、扩建房屋建筑工程，开工前由建设单位申请领取施工许可证。"
    "实行告知承诺：施工场地、建设资金等条件以承诺方式办理，质量安全监督手续与住房城乡建设局并联办理。",
    keywords="施工许可 开工 建筑工程 施工证",
    objects=(ENTERPRISE, INSTITUTION, OTHER_ORG),
    legal=(
        law("《中华人民共和国建筑法》", "第七条"),
        law("《中华人民共和国建筑法》", "第八条"),
        law("《建筑工程施工许可管理办法》", "第四条"),
    ),
    conditions="依法应当办理用地批准手续的已经办理；依法应当办理建设工程规划许可证的已经取得；"
    "施工场地已经基本具备施工条件；已经确定施工企业；有满足施工需要的资金安排、施工图纸及技术资料，"
    "施工图设计文件已按规定审查合格；有保证工程质量和安全的具体措施。"
    "工程投资额在 100 万元以下（含）或者建筑面积在 500 平方米以下（含）的建筑工程可以不申请。",
    case_kind=PROMISED,
    legal_days=7,
    promised_days=3,
    materials=(
        application("建筑工程施工许可证申请表", "《建筑工程施工许可管理办法》第四条"),
        shared(
            "建设工程规划许可证",
            "建设工程规划许可证电子证照（自然资源和规划局）",
            "《中华人民共和国建筑法》第八条",
        ),
        shared(
            "中标通知书及建设工程施工合同",
            "山东省建筑市场监管与诚信信息一体化平台",
            "《建筑工程施工许可管理办法》第四条",
            partly=True,
        ),
        later("施工图设计文件审查合格书", "《建筑工程施工许可管理办法》第四条"),
        later(
            "危险性较大的分部分项工程清单及安全管理措施",
            "《危险性较大的分部分项工程安全管理规定》（住房和城乡建设部令第37号）",
        ),
        doc("施工场地已具备施工条件的承诺书", "《建筑工程施工许可管理办法》第四条", core=True),
        doc("建设资金已经落实承诺书", "《建筑工程施工许可管理办法》第四条", core=True),
    ),
    situations=(by_proxy(),),
    result="建筑工程施工许可证",
    licence_type="建筑工程施工许可证",
    faq=(
        faq(
            "施工图审查合格书还没拿到，能先申请吗？",
            "可以。施工图审查合格书为容缺后补材料，承诺后先行受理，补齐后发证。",
        ),
    ),
    agent=True,
    process=process(PARALLEL, co_review=("zjj",), commitment=True),
    commitment_text=commitment(
        "建筑工程施工许可", "施工场地已经基本具备施工条件，建设资金已经落实"
    ),
    co=("zjj",),
)

_item(
    department="spj",
    name="建设工程竣工联合验收",
    item_type=OTHER_TYPE,
    description="房屋建筑和市政基础设施工程竣工后，规划核实、消防验收、人防验收、市容环卫核验等"
    "由审批服务局一窗受理、各部门联合现场验收、限时统一出具验收意见。",
    keywords="联合验收 竣工验收 规划核实 消防验收",
    objects=(ENTERPRISE, INSTITUTION),
    legal=(
        law("《建设工程质量管理条例》", "第十六条"),
        law("《中华人民共和国城乡规划法》", "第四十五条"),
        law("《中华人民共和国消防法》", "第十三条"),
        law("《国务院办公厅关于全面开展工程建设项目审批制度改革的实施意见》（国办发〔2019〕11号）"),
    ),
    conditions="建设单位已组织设计、施工、监理等单位完成竣工验收，工程符合规划许可内容，"
    "消防设施按设计施工完毕。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=10,
    materials=(
        application("建设工程竣工联合验收申请表"),
        shared("建设工程规划许可证", "建设工程规划许可证电子证照（自然资源和规划局）"),
        pdf("建设工程竣工验收报告", "《建设工程质量管理条例》第十六条", core=True),
        pdf(
            "竣工测绘成果报告（规划核实测量、房产面积测量）",
            "《中华人民共和国城乡规划法》第四十五条",
            core=True,
        ),
        pdf("消防验收申请表及工程竣工验收报告中的消防查验内容", "《中华人民共和国消防法》第十三条"),
        later("城建档案移交预验收意见", "《城市建设档案管理规定》"),
    ),
    situations=(by_proxy(),),
    result="建设工程竣工联合验收意见书",
    visits=1,
    agent=True,
    process=process(PARALLEL, co_review=("zrzy", "zjj", "cgj"), inspection=True),
    co=("zrzy", "zjj", "cgj"),
)

_item(
    department="spj",
    name="企业开办一件事（设立登记、公章刻制、发票申领、社保登记）",
    item_type=OTHER_TYPE,
    description="新开办企业一次申请，营业执照、公章刻制备案、职工参保登记同步办理，一个工作日办结，"
    "免费刻制第一套公章。",
    keywords="企业开办 一件事 开公司 刻章 社保登记",
    objects=(ENTERPRISE,),
    legal=(
        law("《中华人民共和国市场主体登记管理条例》", "第十九条"),
        law("《中华人民共和国社会保险法》", "第五十七条"),
    ),
    conditions="申请人已完成企业名称自主申报，住所（经营场所）真实可用，股东、法定代表人等已完成实名认证。",
    case_kind=PROMISED,
    legal_days=3,
    promised_days=1,
    materials=(
        application("企业开办一件事申请表（含设立登记、印章刻制、参保登记信息）"),
        doc("公司章程", "《中华人民共和国市场主体登记管理条例》第十六条", core=True),
        id_card("股东、法定代表人"),
        site_certificate("住所"),
        Mat("印章刻制备案信息表", form=ELECTRONIC, originals=0, notes="在线填报，选择刻章企业。"),
    ),
    result="营业执照、公章、社会保险登记信息",
    licence_type="营业执照",
    depth="4",
    agent=True,
    process=process(PARALLEL, co_review=("scjg", "gaj", "rsj")),
    co=("scjg", "gaj", "rsj"),
)

# --- 济南市市场监督管理局 -----------------------------------------------------------------------------

_item(
    department="scjg",
    name="企业设立登记",
    item_type=CONFIRMATION,
    description="有限责任公司、股份有限公司设立，申请材料齐全、符合法定形式的当场登记，核发营业执照"
    "（含电子营业执照）。",
    keywords="公司设立 开公司 注册公司 营业执照 有限公司",
    objects=(ENTERPRISE, PERSON),
    legal=(
        law("《中华人民共和国公司法》", "第二十九条"),
        law("《中华人民共和国市场主体登记管理条例》", "第三条"),
        law("《中华人民共和国市场主体登记管理条例》", "第十六条"),
        law("《中华人民共和国市场主体登记管理条例》", "第十九条"),
    ),
    conditions="企业名称已自主申报且不与同行业名称相同；有符合公司章程规定的股东出资；"
    "有公司住所；法定代表人、董事、监事和高级管理人员无法律规定不得担任的情形。",
    case_kind=INSTANT,
    legal_days=3,
    promised_days=0,
    materials=(
        application("公司登记（备案）申请书", "《中华人民共和国市场主体登记管理条例》第十六条"),
        doc("公司章程", "《中华人民共和国市场主体登记管理条例》第十六条", core=True),
        id_card("股东（自然人）"),
        shared("股东主体资格文件（法人股东营业执照）", "市场主体登记信息（电子营业执照）"),
        doc(
            "法定代表人、董事、监事和高级管理人员的任职文件",
            "《中华人民共和国市场主体登记管理条例实施细则》",
        ),
        site_certificate("住所"),
        doc("发起人协议", "《中华人民共和国公司法》第九十三条"),
        doc("依法设立的验资机构出具的验资证明", "《中华人民共和国公司法》第一百零一条"),
        PROXY_LETTER,
        PROXY_ID,
    ),
    situations=(
        Sit(
            "公司类型？",
            (
                Opt("有限责任公司"),
                Opt("股份有限公司（发起设立）", adds=("发起人协议",)),
                Opt(
                    "股份有限公司（募集设立）",
                    adds=("发起人协议", "依法设立的验资机构出具的验资证明"),
                    conditions="募集设立的，应当召开成立大会。",
                ),
            ),
        ),
        Sit(
            "股东中是否有企业法人？",
            (
                Opt("全部为自然人股东", removes=("股东主体资格文件（法人股东营业执照）",)),
                Opt("有企业法人股东"),
            ),
        ),
        by_proxy(),
    ),
    result="营业执照",
    licence_type="营业执照",
    visits=0,
    faq=(
        faq(
            "注册公司需要验资吗？",
            "有限责任公司实行注册资本认缴登记制，不需要验资；募集设立的股份有限公司需要验资证明。",
        ),
        faq(
            "可以用住宅做公司住所吗？",
            "符合本市住所（经营场所）登记管理规定的，可以申报承诺后登记。",
        ),
    ),
    process=process(SINGLE),
)

_item(
    department="scjg",
    name="食品生产许可",
    item_type=LICENSING,
    description="在本市从事食品生产活动的，取得食品生产许可；需要现场核查的，组织核查后作出决定。",
    keywords="食品生产 SC 食品厂 生产许可",
    objects=(ENTERPRISE,),
    legal=(
        law("《中华人民共和国食品安全法》", "第三十五条"),
        law("《食品生产许可管理办法》（国家市场监督管理总局令第24号）"),
    ),
    conditions="具有与生产的食品品种、数量相适应的生产场所、设备设施；有专职或者兼职的食品安全专业技术人员、"
    "食品安全管理人员和保证食品安全的规章制度；具有合理的设备布局和工艺流程。",
    case_kind=PROMISED,
    legal_days=10,
    promised_days=5,
    materials=(
        application("食品生产许可申请书", "《中华人民共和国食品安全法》第三十五条"),
        licence(),
        pdf("食品生产设备布局图和食品生产工艺流程图", core=True),
        pdf("食品生产主要设备、设施清单", core=True),
        pdf("食品安全专业技术人员、食品安全管理人员信息和食品安全管理制度"),
        later("生产场所周边环境平面图"),
    ),
    result="食品生产许可证",
    licence_type="食品生产许可证",
    visits=1,
    depth="3",
    process=process(REVIEW, inspection=True),
)

_item(
    department="scjg",
    name="药品零售企业经营许可",
    item_type=LICENSING,
    description="开办药店（含连锁门店）从事药品零售活动，取得药品经营许可证。",
    keywords="药店 药品零售 药品经营许可证",
    objects=(ENTERPRISE,),
    legal=(
        law("《中华人民共和国药品管理法》", "第五十一条"),
        law("《中华人民共和国药品管理法》", "第五十二条"),
        law("《药品经营和使用质量监督管理办法》（国家市场监督管理总局令第84号）"),
    ),
    conditions="有依法经过资格认定的药师或者其他药学技术人员；有与所经营药品相适应的营业场所、设备、"
    "仓储设施和卫生环境；有与所经营药品相适应的质量管理机构或者人员；有保证药品质量的规章制度。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=10,
    materials=(
        application("药品经营许可证申请表", "《中华人民共和国药品管理法》第五十一条"),
        licence(),
        shared(
            "执业药师注册证",
            "执业药师注册信息（药品监督管理部门）",
            "《中华人民共和国药品管理法》第五十二条",
        ),
        site_certificate("营业场所、仓库"),
        pdf("营业场所、仓库平面布置图", core=True),
        pdf("药品质量管理制度文件目录", core=True),
        later("计算机管理系统及温湿度监测设备说明"),
    ),
    result="药品经营许可证",
    licence_type="药品经营许可证",
    visits=1,
    depth="3",
    process=process(REVIEW, inspection=True),
)

_item(
    department="scjg",
    name="特种设备使用登记",
    item_type=CONFIRMATION,
    description="电梯、锅炉、压力容器、起重机械等特种设备投入使用前或者投入使用后 30 日内办理使用登记。",
    keywords="电梯登记 锅炉登记 特种设备 使用证",
    objects=(ENTERPRISE, INSTITUTION, OTHER_ORG),
    legal=(
        law("《中华人民共和国特种设备安全法》", "第三十三条"),
        law("《特种设备使用管理规则》（TSG 08）"),
    ),
    conditions="特种设备已经监督检验合格（需要监督检验的），使用单位已落实安全管理人员。",
    case_kind=INSTANT,
    legal_days=5,
    promised_days=0,
    materials=(
        application("特种设备使用登记表"),
        licence(),
        copy_doc("特种设备产品合格证（含产品数据表）", core=True),
        copy_doc("特种设备监督检验证明"),
    ),
    result="特种设备使用登记证",
    licence_type="特种设备使用登记证",
    process=process(SINGLE),
)

_item(
    department="scjg",
    name="第二类医疗器械经营备案",
    item_type=OTHER_TYPE,
    description="从事第二类医疗器械经营的，向设区的市级药品监督管理部门备案，当场发给备案编号。",
    keywords="二类医疗器械 医疗器械备案 械字",
    objects=(ENTERPRISE,),
    legal=(
        law("《医疗器械监督管理条例》", "第四十一条"),
        law("《医疗器械经营监督管理办法》（国家市场监督管理总局令第54号）"),
    ),
    conditions="有与经营规模和经营范围相适应的经营场所和贮存条件，以及与经营的医疗器械相适应的质量管理制度和质量管理机构或者人员。",
    case_kind=INSTANT,
    legal_days=1,
    promised_days=0,
    materials=(
        application("第二类医疗器械经营备案表"),
        licence(),
        id_card("法定代表人、企业负责人、质量负责人"),
        site_certificate("经营场所、库房"),
        pdf("经营质量管理制度、工作程序等文件目录"),
    ),
    result="第二类医疗器械经营备案凭证",
    licence_type="第二类医疗器械经营备案凭证",
    process=process(SINGLE),
)

# --- 济南市卫生健康委员会 -----------------------------------------------------------------------------

_item(
    department="wjw",
    name="医师执业注册",
    item_type=LICENSING,
    description="取得医师资格的人员在医疗卫生机构执业前，申请医师执业注册，领取医师执业证书（电子证照）。",
    keywords="医师注册 执业医师 医生执业证",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国医师法》", "第十三条"),
        law("《中华人民共和国医师法》", "第十六条"),
        law("《医师执业注册管理办法》", "第九条"),
    ),
    conditions="取得医师资格；拟在本市医疗卫生机构执业；无《中华人民共和国医师法》第十六条规定的不予注册情形。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=5,
    materials=(
        application("医师执业注册申请审核表", "《医师执业注册管理办法》第九条"),
        Mat("近 6 个月 2 寸白底免冠正面半身照片", form=ELECTRONIC, originals=0),
        shared(
            "医师资格证书",
            "医师资格证书电子证照（国家卫生健康委）",
            "《中华人民共和国医师法》第十三条",
        ),
        proof("医疗卫生机构拟聘用证明", "JN-ZM-005", "《医师执业注册管理办法》第九条"),
        id_card(),
    ),
    result="医师执业证书",
    licence_type="医师执业证书",
    faq=(
        faq(
            "医疗机构可以为本院医师集体办理吗？",
            "可以，医疗卫生机构可以为本机构中的申请人集体办理注册手续。",
        ),
    ),
    process=process(REVIEW),
)

_item(
    department="wjw",
    name="护士执业注册",
    item_type=LICENSING,
    description="通过护士执业资格考试的人员在医疗卫生机构从事护理工作前，申请护士执业注册。",
    keywords="护士注册 护士执业证 护理",
    objects=(PERSON,),
    legal=(
        law("《护士条例》", "第七条"),
        law("《护士条例》", "第八条"),
        law("《护士执业注册管理办法》", "第七条"),
    ),
    conditions="具有完全民事行为能力；完成规定的护理专业学习和临床实习；通过护士执业资格考试；"
    "符合国务院卫生主管部门规定的健康标准。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=5,
    materials=(
        application("护士执业注册申请审核表", "《护士执业注册管理办法》第七条"),
        id_card(),
        shared(
            "学历证书",
            "学历学位信息（教育部学信网）",
            "《护士执业注册管理办法》第七条",
            partly=True,
        ),
        proof("护理专业临床实习证明", "JN-ZM-006", "《护士执业注册管理办法》第七条"),
        shared(
            "护士执业资格考试成绩合格证明", "护士执业资格考试成绩（国家卫生健康委人才交流服务中心）"
        ),
        proof("医疗卫生机构拟聘用证明", "JN-ZM-005", "《护士执业注册管理办法》第七条"),
    ),
    result="护士执业证书",
    licence_type="护士执业证书",
    process=process(REVIEW),
)

_item(
    department="wjw",
    name="医疗机构执业登记",
    item_type=LICENSING,
    description="经设置审批的医院、门诊部等医疗机构执业前办理执业登记，现场审核后核发医疗机构执业许可证。",
    keywords="医院执业许可 医疗机构执业许可证 门诊部",
    objects=(ENTERPRISE, INSTITUTION, SOCIAL_ORG),
    legal=(
        law("《医疗机构管理条例》", "第十五条"),
        law("《医疗机构管理条例》", "第十六条"),
        law("《医疗机构管理条例实施细则》"),
    ),
    conditions="有设置医疗机构批准书；符合医疗机构基本标准；有适合的名称、组织机构和场所；"
    "有与开展业务相适应的经费、设施、设备和专业卫生技术人员；有相应的规章制度。",
    case_kind=PROMISED,
    legal_days=45,
    promised_days=20,
    materials=(
        application("医疗机构申请执业登记注册书"),
        shared("设置医疗机构批准书", "医疗机构设置审批信息（卫生健康部门）"),
        site_certificate("医疗机构用房"),
        pdf("医疗机构建筑设计平面图", core=True),
        pdf("医疗机构规章制度", core=True),
        pdf(
            "医疗机构法定代表人或者主要负责人以及各科室负责人名录和有关资格证书、执业证书",
            core=True,
        ),
        later("验资证明、资产评估报告"),
    ),
    result="医疗机构执业许可证",
    licence_type="医疗机构执业许可证",
    visits=1,
    depth="3",
    process=process(REVIEW, inspection=True, meeting=True),
)

_item(
    department="wjw",
    name="饮用水供水单位卫生许可",
    item_type=LICENSING,
    description="集中式供水、二次供水单位从事生产或者供应活动，应当取得卫生许可证。",
    keywords="供水卫生许可 二次供水 自来水",
    objects=(ENTERPRISE, INSTITUTION),
    legal=(
        law("《中华人民共和国传染病防治法》", "第二十九条"),
        law("《生活饮用水卫生监督管理办法》"),
    ),
    conditions="供水设施、水质处理和消毒设备符合卫生要求，直接从事供、管水的人员取得健康合格证明，水质检测合格。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=10,
    materials=(
        application("饮用水供水单位卫生许可申请表"),
        licence(),
        pdf("供水工程竣工验收资料及供水设施平面图", core=True),
        copy_doc("水质检测报告（具有资质的检验机构出具）", core=True),
        later("供、管水人员健康体检和卫生知识培训合格名单"),
    ),
    result="卫生许可证",
    licence_type="卫生许可证",
    visits=1,
    process=process(REVIEW, inspection=True),
)

# --- 济南市住房和城乡建设局 ---------------------------------------------------------------------------

_item(
    department="zjj",
    name="商品房预售许可",
    item_type=LICENSING,
    description="房地产开发企业预售商品房，取得商品房预售许可证明后方可预售。",
    keywords="预售证 商品房预售 期房",
    objects=(ENTERPRISE,),
    legal=(
        law("《中华人民共和国城市房地产管理法》", "第四十五条"),
        law("《城市商品房预售管理办法》", "第七条"),
    ),
    conditions="已交付全部土地使用权出让金，取得土地使用权证书；持有建设工程规划许可证和施工许可证；"
    "投入开发建设的资金达到工程建设总投资的百分之二十五以上，并已经确定施工进度和竣工交付日期；"
    "已办理预售资金监管。",
    case_kind=PROMISED,
    legal_days=10,
    promised_days=5,
    materials=(
        application("商品房预售许可申请表", "《城市商品房预售管理办法》第七条"),
        licence(),
        shared("房地产开发企业资质证书", "房地产开发企业资质信息（住房城乡建设部门）"),
        shared("不动产权证书（土地使用权）", "不动产登记信息（不动产权证书）"),
        shared("建设工程规划许可证", "建设工程规划许可证电子证照（自然资源和规划局）"),
        shared("建筑工程施工许可证", "建筑工程施工许可证电子证照（行政审批服务局）"),
        pdf("工程施工进度计划及投入开发建设资金达到 25% 以上的证明", core=True),
        pdf("商品房预售方案（含分层平面图）", core=True),
        copy_doc("商品房预售资金监管协议"),
    ),
    result="商品房预售许可证",
    licence_type="商品房预售许可证",
    visits=1,
    process=process(REVIEW, inspection=True),
)

_item(
    department="zjj",
    name="房地产开发企业二级资质核定",
    item_type=LICENSING,
    description="房地产开发企业申请二级资质，实行告知承诺审批，符合条件的当场作出决定。",
    keywords="房地产开发资质 二级资质 开发资质",
    objects=(ENTERPRISE,),
    legal=(
        law("《城市房地产开发经营管理条例》", "第九条"),
        law("《房地产开发企业资质管理规定》"),
    ),
    conditions="从事房地产开发经营 1 年以上；专业管理人员不少于 5 人，持有资格证书的专职会计人员不少于 2 人；"
    "有完善的质量保证体系，商品住宅销售中实行了《住宅质量保证书》和《住宅使用说明书》制度；"
    "未发生过重大工程质量事故。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=1,
    materials=(
        application("房地产开发企业资质申请表"),
        licence(),
        doc("房地产开发企业资质告知承诺书", core=True),
        pdf("专业管理人员身份证明、职称证书及劳动合同"),
        later("近一年经营业绩（已竣工项目的竣工验收备案证明）"),
    ),
    result="房地产开发企业资质证书（二级）",
    licence_type="房地产开发企业资质证书",
    process=process(SINGLE, commitment=True),
    commitment_text=commitment(
        "房地产开发企业二级资质核定",
        "本企业从事房地产开发经营满一年，专业管理人员和专职会计人员数量达到规定标准",
    ),
)

_item(
    department="zjj",
    name="建设工程消防验收",
    item_type=LICENSING,
    description="特殊建设工程竣工后，建设单位申请消防验收，住房城乡建设主管部门组织现场评定并出具消防验收意见。",
    keywords="消防验收 特殊建设工程 消防",
    objects=(ENTERPRISE, INSTITUTION),
    legal=(
        law("《中华人民共和国消防法》", "第十三条"),
        law("《建设工程消防设计审查验收管理暂行规定》"),
    ),
    conditions="完成工程竣工验收消防查验，消防设施检测合格，有完整的工程消防技术档案和施工管理资料。",
    case_kind=PROMISED,
    legal_days=15,
    promised_days=10,
    materials=(
        application("特殊建设工程消防验收申请表"),
        pdf("工程竣工验收报告", core=True),
        pdf("涉及消防的建设工程竣工图纸", core=True),
        later("消防设施检测报告"),
    ),
    result="特殊建设工程消防验收意见书",
    visits=1,
    depth="3",
    process=process(REVIEW, inspection=True),
)

_item(
    department="zjj",
    name="房屋建筑和市政基础设施工程竣工验收备案",
    item_type=OTHER_TYPE,
    description="建设单位自工程竣工验收合格之日起 15 日内备案，材料齐全的当场办结。",
    keywords="竣工备案 竣工验收备案",
    objects=(ENTERPRISE, INSTITUTION),
    legal=(
        law("《建设工程质量管理条例》", "第四十九条"),
        law("《房屋建筑和市政基础设施工程竣工验收备案管理办法》", "第五条"),
    ),
    conditions="工程已经竣工验收合格，规划、消防、环保等认可文件或者准许使用文件齐全。",
    case_kind=INSTANT,
    legal_days=5,
    promised_days=0,
    materials=(
        application("房屋建筑和市政基础设施工程竣工验收备案表"),
        pdf("工程竣工验收报告", core=True),
        shared("建设工程竣工联合验收意见书", "工程建设项目审批管理系统"),
        doc("施工单位签署的工程质量保修书"),
        doc("住宅质量保证书和住宅使用说明书"),
    ),
    situations=(
        Sit(
            "是否为商品住宅工程？",
            (Opt("是"), Opt("否", removes=("住宅质量保证书和住宅使用说明书",))),
        ),
    ),
    result="竣工验收备案证明",
    process=process(SINGLE),
)

_item(
    department="zjj",
    name="公共租赁住房保障资格确认",
    item_type=CONFIRMATION,
    description="本市城镇住房、收入困难家庭及新就业无房职工申请公共租赁住房保障资格，经街道初审、"
    "部门联审、公示后确认；社区网格员可提供帮办代办。",
    keywords="公租房 公共租赁住房 住房保障 廉租房",
    objects=(PERSON,),
    legal=(
        law("《公共租赁住房管理办法》（住房和城乡建设部令第11号）", "第七条"),
        law("《公共租赁住房管理办法》（住房和城乡建设部令第11号）", "第八条"),
    ),
    conditions="在本市无住房或者住房面积低于规定标准；收入、财产低于规定标准；外来务工人员在本市稳定就业达到规定年限。",
    case_kind=PROMISED,
    legal_days=30,
    promised_days=20,
    materials=(
        application("公共租赁住房申请表"),
        id_card("家庭成员"),
        doc("家庭收入和财产状况申报及核对授权书", core=True),
        shared("家庭成员住房情况", "不动产登记信息（不动产权证书）"),
    ),
    result="公共租赁住房保障资格确认通知",
    agent=True,
    process=process(REVIEW),
)

# --- 济南市公安局 ------------------------------------------------------------------------------------

_GAJ_POLICE = "户籍所在地公安派出所户籍窗口或济南市民中心公安综合窗口"

_item(
    department="gaj",
    name="居民身份证换领",
    item_type=CONFIRMATION,
    description="居民身份证有效期满、登记项目变更或者证件严重损坏不能辨认的，换领新证；可跨省异地办理。",
    keywords="身份证换领 身份证到期 换身份证 异地换证",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国居民身份证法》", "第十条"),
        law("《中华人民共和国居民身份证法》", "第十一条"),
        law("《中华人民共和国居民身份证法》", "第十二条"),
        law("《中华人民共和国居民身份证法》", "第二十条"),
    ),
    conditions="具有本市常住户口的中国公民；在本市居住的外省户籍公民可以异地换领。",
    case_kind=PROMISED,
    legal_days=60,
    promised_days=15,
    materials=(
        hukou_book(),
        Mat("原居民身份证", source=GOVERNMENT, notes="领取新证时交回原证。"),
        Mat("居民身份证申领登记表", form=PAPER_FORM, core=True, notes="现场填写，采集人像和指纹。"),
        Mat("监护人居民身份证", source=GOVERNMENT, notes="未满十六周岁公民由监护人陪同。"),
    ),
    situations=(
        Sit(
            "换领原因？",
            (
                Opt("有效期满"),
                Opt("证件严重损坏不能辨认"),
                Opt("姓名等登记项目变更"),
            ),
        ),
        Sit(
            "是否在户籍所在地以外的省份办理？",
            (Opt("在户籍所在地办理"), Opt("跨省异地办理", removes=("居民户口簿",))),
        ),
        Sit(
            "申请人是否未满十六周岁？",
            (Opt("已满十六周岁"), Opt("未满十六周岁", adds=("监护人居民身份证",))),
        ),
    ),
    forms=WINDOW_ONLY,
    visits=1,
    depth="1",
    fees=(
        fee(
            "居民身份证工本费（有效期满或变更换领）",
            "每证 20 元",
            "《国家发展改革委 财政部关于第二代居民身份证收费标准等有关问题的通知》（发改价格〔2003〕2322号）",
        ),
        fee(
            "居民身份证工本费（损坏换领）",
            "每证 40 元",
            "《国家发展改革委 财政部关于第二代居民身份证收费标准等有关问题的通知》（发改价格〔2003〕2322号）",
        ),
    ),
    result="中华人民共和国居民身份证",
    licence_type="居民身份证",
    place=_GAJ_POLICE,
    faq=(
        faq("换证期间需要乘车怎么办？", "可以当场申领临时居民身份证，或使用电子身份证。"),
        faq("可以邮寄吗？", "可以，申领时选择邮寄到家，邮费由申请人承担。"),
    ),
    process=process(SINGLE),
)

_item(
    department="gaj",
    name="临时居民身份证申领",
    item_type=CONFIRMATION,
    description="正在申领、换领、补领居民身份证期间急需使用的，可申领临时居民身份证，当场制发。",
    keywords="临时身份证 临时证件",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国居民身份证法》", "第十二条"),
        law("《中华人民共和国临时居民身份证管理办法》"),
    ),
    conditions="已申请领取、换领或者补领居民身份证，在新证领取前急需使用。",
    case_kind=INSTANT,
    legal_days=3,
    promised_days=0,
    materials=(
        hukou_book(),
        Mat("近期一寸免冠照片", copies=0, notes="可现场拍摄。"),
    ),
    forms=WINDOW_ONLY,
    visits=1,
    depth="1",
    fees=(
        fee(
            "临时居民身份证工本费",
            "每证 10 元",
            "国家发展改革委、财政部核定的临时居民身份证工本费标准",
        ),
    ),
    result="临时居民身份证",
    place=_GAJ_POLICE,
    process=process(SINGLE),
)

_item(
    department="gaj",
    name="户口迁移（迁入本市）",
    item_type=CONFIRMATION,
    description="符合本市落户条件的人员办理户口迁入；省内迁移和跨省迁移均实行“一站式”办理，"
    "无需回迁出地开具准迁证、迁移证。",
    keywords="落户 户口迁入 户口迁移 人才落户 投靠落户",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国户口登记条例》", "第十条"),
        law("《中华人民共和国户口登记条例》", "第十三条"),
    ),
    conditions="符合本市落户政策规定的购房、就业、人才引进、投靠亲属等条件之一。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=5,
    materials=(
        application("户口迁入申请表"),
        id_card(),
        hukou_book(),
        shared("结婚证", "婚姻登记信息（民政部门）"),
        shared("不动产权证书", "不动产登记信息（不动产权证书）"),
        shared("毕业证书或者专业技术职称证书", "学历学位信息（教育部学信网）", partly=True),
        shared("劳动合同及社会保险缴费记录", "社会保险参保缴费信息（人力资源社会保障部门）"),
    ),
    situations=(
        Sit(
            "落户类型？",
            (
                Opt("购房落户", adds=("不动产权证书",)),
                Opt(
                    "人才落户（大专以上学历或者技能人才）",
                    adds=("毕业证书或者专业技术职称证书",),
                ),
                Opt("就业落户", adds=("劳动合同及社会保险缴费记录",)),
                Opt("夫妻投靠", adds=("结婚证",)),
            ),
        ),
    ),
    forms=ONLINE,
    visits=1,
    depth="3",
    result="户口迁入登记（居民户口簿户口页）",
    place=_GAJ_POLICE,
    faq=(faq("跨省迁入还需要回老家开迁移证吗？", "不需要，实行跨省通办“一站式”迁移。"),),
    process=process(REVIEW),
)

_item(
    department="gaj",
    name="出生登记",
    item_type=CONFIRMATION,
    description="婴儿出生后一个月内申报出生登记；出生医学证明、父母婚姻信息在线核验，当场办结。",
    keywords="新生儿落户 出生登记 报户口 上户口",
    objects=(PERSON,),
    legal=(law("《中华人民共和国户口登记条例》", "第七条"),),
    conditions="婴儿父亲或者母亲为本市户籍。",
    case_kind=INSTANT,
    legal_days=1,
    promised_days=0,
    materials=(
        proof(
            "出生医学证明",
            "JN-ZM-001",
            "《中华人民共和国户口登记条例》第七条",
            shared_from="出生医学证明电子证照（卫生健康部门）",
        ),
        hukou_book(),
        id_card("父母"),
        shared("父母结婚证", "婚姻登记信息（民政部门）"),
    ),
    forms=ONLINE,
    visits=1,
    depth="3",
    result="出生登记（居民户口簿户口页）",
    place=_GAJ_POLICE,
    process=process(SINGLE),
)

_item(
    department="gaj",
    name="死亡注销户口",
    item_type=CONFIRMATION,
    description="公民死亡后，由亲属等申报死亡登记、注销户口；与殡葬、社保待遇停发联动。",
    keywords="死亡销户 户口注销 身后事",
    objects=(PERSON,),
    legal=(law("《中华人民共和国户口登记条例》", "第八条"),),
    conditions="死者为本市户籍人员。",
    case_kind=INSTANT,
    legal_days=1,
    promised_days=0,
    materials=(
        proof(
            "居民死亡医学证明（推断）书",
            "JN-ZM-002",
            "《中华人民共和国户口登记条例》第八条",
            shared_from="人口死亡信息登记系统（卫生健康部门）",
        ),
        proof("遗体火化证明", "JN-ZM-003", "《中华人民共和国户口登记条例》第八条"),
        hukou_book(),
        id_card("申报人"),
    ),
    situations=(
        Sit(
            "死亡地点？",
            (
                Opt("在医疗机构内死亡", removes=("遗体火化证明",)),
                Opt("在家中或者其他地点死亡"),
            ),
        ),
    ),
    forms=WINDOW_ONLY,
    visits=1,
    depth="1",
    result="注销户口证明",
    place=_GAJ_POLICE,
    process=process(SINGLE),
)

_item(
    department="gaj",
    name="机动车驾驶证有效期满换证",
    item_type=LICENSING,
    description="机动车驾驶证有效期满前九十日内申请换证，可在车管所、服务站或“交管12123”办理，当场办结。",
    keywords="驾驶证换证 驾照到期 换驾照",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国道路交通安全法》", "第十九条"),
        law("《中华人民共和国道路交通安全法实施条例》", "第二十六条"),
        law("《机动车驾驶证申领和使用规定》（公安部令第162号）"),
    ),
    conditions="驾驶证在有效期满前九十日内；身体条件符合申请机动车驾驶证的要求；无未处理完毕的交通违法和事故。",
    case_kind=INSTANT,
    legal_days=1,
    promised_days=0,
    materials=(
        id_card(),
        proof(
            "机动车驾驶人身体条件证明",
            "JN-ZM-009",
            "《中华人民共和国道路交通安全法实施条例》第二十六条",
            shared_from="医疗机构体检信息联网（公安交通管理部门）",
        ),
        Mat("近期一寸白底免冠照片", form=ELECTRONIC, originals=0, notes="车管所可现场拍摄。"),
    ),
    forms=ONLINE_POST,
    visits=0,
    depth="4",
    fees=(
        fee(
            "机动车驾驶证工本费",
            "每证 10 元",
            "《国家发展改革委 财政部关于公安交通管理收费标准及有关问题的通知》（发改价格〔2004〕2831号）",
        ),
    ),
    result="机动车驾驶证",
    licence_type="机动车驾驶证",
    place="济南市公安局交通警察支队车辆管理所及各车管服务站",
    process=process(SINGLE),
)

_item(
    department="gaj",
    name="普通护照签发",
    item_type=LICENSING,
    description="中国公民因旅游、探亲、学习、就业、商务等非公务原因出国，申请普通护照；全国通办。",
    keywords="护照 出国 出入境 办护照",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国护照法》", "第五条"),
        law("《中华人民共和国护照法》", "第六条"),
        law("《中华人民共和国出境入境管理法》", "第九条"),
    ),
    conditions="中国公民，无《中华人民共和国护照法》第十三条规定的不予签发情形。",
    case_kind=PROMISED,
    legal_days=15,
    promised_days=7,
    materials=(
        application("中国公民出入境证件申请表", notes="现场采集人像、指纹后打印签字。"),
        id_card_original(),
        doc("所属单位按照人事管理权限出具的出国（境）审批意见", "《中华人民共和国护照法》第六条"),
        Mat(
            "监护人居民身份证及监护关系证明",
            source=GOVERNMENT,
            notes="未满十六周岁的由监护人陪同。",
        ),
    ),
    situations=(
        Sit(
            "申请人是否为登记备案的国家工作人员？",
            (Opt("否"), Opt("是", adds=("所属单位按照人事管理权限出具的出国（境）审批意见",))),
        ),
        Sit(
            "申请人是否未满十六周岁？",
            (Opt("已满十六周岁"), Opt("未满十六周岁", adds=("监护人居民身份证及监护关系证明",))),
        ),
    ),
    forms=WINDOW_ONLY,
    visits=1,
    depth="2",
    fees=(
        fee(
            "普通护照工本费",
            "每本 120 元",
            "《国家发展改革委 财政部关于降低部分行政事业性收费标准的通知》（发改价格〔2019〕914号）",
        ),
    ),
    result="中华人民共和国普通护照",
    licence_type="普通护照",
    place="济南市公安局出入境管理支队（济南市民中心出入境大厅）",
    faq=(faq("非本地户籍可以在济南办护照吗？", "可以，普通护照实行全国通办，凭居民身份证办理。"),),
    process=process(SINGLE),
)

_item(
    department="gaj",
    name="居住证申领",
    item_type=CONFIRMATION,
    description="离开常住户口所在地，在本市居住半年以上，符合合法稳定就业、合法稳定住所、连续就读条件之一的，"
    "申领居住证。",
    keywords="居住证 暂住证 外地人",
    objects=(PERSON,),
    legal=(
        law("《居住证暂行条例》", "第二条"),
        law("《居住证暂行条例》", "第九条"),
    ),
    conditions="在本市居住半年以上，并有合法稳定就业、合法稳定住所、连续就读之一。",
    case_kind=PROMISED,
    legal_days=15,
    promised_days=7,
    materials=(
        id_card(),
        Mat("近期一寸白底免冠照片", form=ELECTRONIC, originals=0),
        shared("居住登记信息", "流动人口居住登记信息（公安部门）"),
        shared("劳动合同或者营业执照", "社会保险参保缴费信息（人力资源社会保障部门）", partly=True),
    ),
    forms=ONLINE,
    depth="3",
    result="山东省居住证",
    licence_type="居住证",
    place="居住地公安派出所",
    process=process(SINGLE),
)

# --- 济南市民政局 ------------------------------------------------------------------------------------

_item(
    department="mzj",
    name="内地居民结婚登记",
    item_type=CONFIRMATION,
    description="男女双方亲自到婚姻登记机关申请结婚登记，符合条件的当场登记、发给结婚证；全国通办，凭身份证办理。",
    keywords="结婚登记 领证 结婚证 婚姻登记",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国民法典》", "第一千零四十九条"),
        law("《婚姻登记条例》"),
    ),
    conditions="男年满二十二周岁，女年满二十周岁；双方完全自愿；双方均无配偶；"
    "不是直系血亲或者三代以内旁系血亲。",
    case_kind=INSTANT,
    legal_days=1,
    promised_days=0,
    materials=(
        id_card_original("男女双方"),
        Mat(
            "申请结婚登记声明书",
            form=PAPER_FORM,
            originals=2,
            core=True,
            notes="双方在婚姻登记员面前亲自签署：本人无配偶且与对方没有直系血亲和三代以内旁系血亲关系。",
        ),
        Mat("2 寸近期半身免冠双人合影照片", originals=3, notes="可在登记处现场拍摄。"),
    ),
    forms=WINDOW_ONLY,
    visits=1,
    depth="1",
    result="结婚证",
    licence_type="结婚证",
    place="济南市各区县婚姻登记处（可网上预约）",
    faq=(
        faq(
            "结婚登记还需要户口簿吗？",
            "不需要。婚姻登记全国通办，双方凭本人有效居民身份证即可办理。",
        ),
        faq("结婚登记收费吗？", "不收费。"),
    ),
    process=process(SINGLE),
)

_item(
    department="mzj",
    name="最低生活保障审批",
    item_type=BENEFIT,
    description="共同生活的家庭成员人均收入低于本市最低生活保障标准且财产状况符合规定的家庭，"
    "申请最低生活保障；社区（村）可以代为提出申请。",
    keywords="低保 最低生活保障 社会救助 困难家庭",
    objects=(PERSON,),
    legal=(
        law("《社会救助暂行办法》", "第九条"),
        law("《社会救助暂行办法》", "第十一条"),
        law("《最低生活保障审核确认办法》（民发〔2021〕57号）"),
    ),
    conditions="申请人具有本市户籍；共同生活家庭成员人均收入低于本市最低生活保障标准；"
    "家庭财产状况符合本市规定。",
    case_kind=PROMISED,
    legal_days=30,
    promised_days=15,
    materials=(
        application("最低生活保障申请书", "《社会救助暂行办法》第十一条"),
        id_card("家庭成员"),
        shared("居民户口簿", "户籍信息（公安部门）"),
        doc("家庭经济状况核对授权书", "《社会救助暂行办法》第十一条", core=True),
        doc("家庭收入和财产状况申报表"),
        shared("残疾人证", "残疾人证电子证照（残疾人联合会）"),
        proof("医疗诊断证明书", "JN-ZM-008"),
    ),
    situations=(
        Sit(
            "家庭成员中是否有残疾人？",
            (Opt("没有"), Opt("有", adds=("残疾人证",))),
        ),
        Sit(
            "家庭成员中是否有患重病、长期慢性病的人员？",
            (Opt("没有"), Opt("有", adds=("医疗诊断证明书",))),
        ),
    ),
    forms=ONLINE,
    depth="3",
    result="最低生活保障金（确认通知书）",
    place="户籍所在地街道办事处（镇人民政府）社会救助窗口",
    faq=(faq("行动不便可以请人代办吗？", "可以，社区（村）工作人员可以代为提出申请并帮办代办。"),),
    agent=True,
    process=process(REVIEW, inspection=True),
)

_item(
    department="mzj",
    name="高龄津贴申领",
    item_type=BENEFIT,
    description="年满八十周岁的本市户籍老年人申领高龄津贴。秒批：年龄与户籍由户籍信息判定，生存状态由"
    "死亡登记信息判定，是否已在领取由民政救助信息判定，符合的即时批准、次月发放。",
    keywords="高龄津贴 老年人补贴 80岁",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国老年人权益保障法》", "第三十三条"),
        law("《山东省老年人权益保障条例》"),
    ),
    conditions="本市户籍；年满八十周岁；未享受同类津贴。",
    case_kind=INSTANT,
    legal_days=20,
    promised_days=0,
    materials=(
        shared("申请人户籍信息", "户籍信息（公安部门）"),
        shared("社会保障卡（金融账户）", "社会保障卡信息（人力资源社会保障部门）"),
    ),
    forms=ONLINE,
    depth="4",
    result="高龄津贴（按月发放）",
    place="户籍所在地街道办事处（镇人民政府）便民服务中心",
    agent=True,
    process=process(INSTANT_RULE, rule_set="elderly-allowance-v1"),
)

_item(
    department="mzj",
    name="困难残疾人生活补贴和重度残疾人护理补贴申领",
    item_type=BENEFIT,
    description="低保家庭中的残疾人申领生活补贴，一级、二级重度残疾人申领护理补贴；街道社区提供代办。",
    keywords="残疾人两项补贴 护理补贴 生活补贴",
    objects=(PERSON,),
    legal=(
        law(
            "《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》（国发〔2015〕52号）",
            "二",
        ),
    ),
    conditions="持有第二代残疾人证；生活补贴对象为最低生活保障家庭中的残疾人，护理补贴对象为残疾等级被评定为一级、二级且需要长期照护的重度残疾人。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=10,
    materials=(
        application("困难残疾人生活补贴和重度残疾人护理补贴申请审批表"),
        shared("残疾人证", "残疾人证电子证照（残疾人联合会）"),
        id_card(),
        shared("最低生活保障证明", "社会救助信息（民政部门）"),
    ),
    forms=ONLINE,
    depth="3",
    result="残疾人两项补贴（按月发放）",
    place="户籍所在地街道办事处（镇人民政府）便民服务中心",
    agent=True,
    process=process(REVIEW),
)

_item(
    department="mzj",
    name="社会团体成立登记",
    item_type=CONFIRMATION,
    description="在本市行政区域内活动的社会团体申请成立登记，核发社会团体法人登记证书。",
    keywords="社会团体 协会 学会 商会 社团登记",
    objects=(SOCIAL_ORG,),
    legal=(
        law("《社会团体登记管理条例》", "第九条"),
        law("《社会团体登记管理条例》", "第十条"),
    ),
    conditions="有 50 个以上的个人会员或者 30 个以上的单位会员；有规范的名称和相应的组织机构；"
    "有固定的住所；有与其业务活动相适应的专职工作人员；有合法的资产和经费来源，"
    "市级社会团体有 3 万元以上活动资金；有独立承担民事责任的能力。",
    case_kind=PROMISED,
    legal_days=60,
    promised_days=20,
    materials=(
        application("社会团体法人登记申请表", "《社会团体登记管理条例》第九条"),
        doc("业务主管单位的批准文件", "《社会团体登记管理条例》第九条", core=True),
        doc("社会团体章程草案", "《社会团体登记管理条例》第九条", core=True),
        copy_doc("验资报告", "《社会团体登记管理条例》第九条"),
        site_certificate("住所"),
        pdf("发起人和拟任负责人的基本情况、身份证明"),
        later("会员名册"),
    ),
    result="社会团体法人登记证书",
    licence_type="社会团体法人登记证书",
    visits=1,
    depth="3",
    process=process(REVIEW, meeting=True),
)

_item(
    department="mzj",
    name="养老机构备案",
    item_type=OTHER_TYPE,
    description="养老机构登记后即可开展服务活动，向民政部门备案；材料齐全的当场备案。",
    keywords="养老院备案 养老机构 敬老院",
    objects=(ENTERPRISE, INSTITUTION, SOCIAL_ORG),
    legal=(
        law("《中华人民共和国老年人权益保障法》", "第四十三条"),
        law("《养老机构管理办法》（民政部令第66号）", "第九条"),
    ),
    conditions="已依法办理法人登记；服务场所符合消防安全、建筑安全、卫生防疫等要求。",
    case_kind=INSTANT,
    legal_days=1,
    promised_days=0,
    materials=(
        application("养老机构备案书", "《养老机构管理办法》第九条"),
        licence(),
        doc("养老机构备案承诺书", "《养老机构管理办法》第九条", core=True),
    ),
    result="养老机构备案回执",
    process=process(SINGLE),
)

# --- 济南市人力资源和社会保障局 -----------------------------------------------------------------------

_item(
    department="rsj",
    name="失业保险金申领",
    item_type=BENEFIT,
    description="非因本人意愿中断就业的失业人员申领失业保险金。秒批：缴费年限由失业保险缴费记录判定，"
    "中断就业原因由用人单位减员申报信息判定，失业登记与求职要求由就业失业登记信息判定，符合的即时核定。",
    keywords="失业金 失业保险 失业补助 下岗",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国社会保险法》", "第四十五条"),
        law("《中华人民共和国社会保险法》", "第五十条"),
        law("《失业保险条例》", "第十四条"),
    ),
    conditions="失业前用人单位和本人已经缴纳失业保险费满一年；非因本人意愿中断就业；"
    "已经进行失业登记，并有求职要求。",
    case_kind=INSTANT,
    legal_days=10,
    promised_days=0,
    materials=(
        id_card(),
        proof(
            "解除或者终止劳动合同证明",
            "JN-ZM-007",
            "《中华人民共和国社会保险法》第五十条",
            shared_from="用人单位减员申报信息（社会保险经办机构）",
        ),
        shared("社会保障卡（金融账户）", "社会保障卡信息（人力资源社会保障部门）"),
    ),
    forms=ONLINE,
    depth="4",
    result="失业保险金核定（按月发放）",
    place="济南市民中心人社综合窗口或“爱山东”APP",
    faq=(faq("主动辞职可以领失业金吗？", "不可以，失业保险金只发给非因本人意愿中断就业的人员。"),),
    process=process(INSTANT_RULE, rule_set="unemployment-benefit-v1"),
)

_item(
    department="rsj",
    name="城乡居民基本养老保险待遇申领",
    item_type=BENEFIT,
    description="参加城乡居民基本养老保险的人员年满 60 周岁、累计缴费满 15 年的，按月领取养老金。"
    "秒批：年龄由户籍信息判定，缴费年限由城乡居民养老保险缴费记录判定，是否已领取其他基本养老保障待遇"
    "由全国社会保险参保信息判定，符合的即时核定。",
    keywords="城乡居民养老金 居民养老保险 农村养老金",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国社会保险法》", "第二十二条"),
        law("《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）", "六"),
    ),
    conditions="参加城乡居民基本养老保险；年满 60 周岁；累计缴费满 15 年；未领取国家规定的基本养老保障待遇。",
    case_kind=INSTANT,
    legal_days=20,
    promised_days=0,
    materials=(
        id_card(),
        shared("城乡居民养老保险缴费记录", "社会保险参保缴费信息（人力资源社会保障部门）"),
        shared("社会保障卡（金融账户）", "社会保障卡信息（人力资源社会保障部门）"),
    ),
    forms=ONLINE,
    depth="4",
    result="城乡居民基本养老保险待遇核定（按月发放）",
    place="户籍所在地街道办事处（镇人民政府）便民服务中心",
    agent=True,
    process=process(INSTANT_RULE, rule_set="resident-pension-v1"),
)

_item(
    department="rsj",
    name="人力资源服务许可",
    item_type=LICENSING,
    description="经营性人力资源服务机构从事职业中介活动，申请人力资源服务许可；实行告知承诺，当场作出决定。",
    keywords="职业中介 人力资源服务许可证 猎头",
    objects=(ENTERPRISE,),
    legal=(
        law("《人力资源市场暂行条例》", "第十八条"),
        law("《人力资源市场暂行条例》", "第十九条"),
        law("《中华人民共和国就业促进法》", "第四十条"),
    ),
    conditions="有明确的章程和管理制度；有开展业务必备的固定场所、办公设施；有 5 名以上取得相应职业资格的专职工作人员。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=1,
    materials=(
        application("人力资源服务许可申请表"),
        licence(),
        doc("人力资源服务许可告知承诺书", core=True),
        later("专职工作人员名单及劳动合同"),
    ),
    result="人力资源服务许可证",
    licence_type="人力资源服务许可证",
    process=process(SINGLE, commitment=True),
    commitment_text=commitment(
        "人力资源服务许可",
        "本机构有明确的章程和管理制度、固定的场所和办公设施，且有 5 名以上专职工作人员",
    ),
)

_item(
    department="rsj",
    name="工伤认定",
    item_type=CONFIRMATION,
    description="职工发生事故伤害或者被诊断、鉴定为职业病，由用人单位或者职工及其近亲属申请工伤认定。",
    keywords="工伤认定 工伤 职业病",
    objects=(PERSON, ENTERPRISE),
    legal=(
        law("《工伤保险条例》", "第十七条"),
        law("《工伤保险条例》", "第十八条"),
        law("《工伤保险条例》", "第二十条"),
    ),
    conditions="用人单位自事故伤害发生之日起 30 日内，职工或者其近亲属自事故伤害发生之日起 1 年内提出申请。",
    case_kind=PROMISED,
    legal_days=60,
    promised_days=20,
    materials=(
        application("工伤认定申请表", "《工伤保险条例》第十八条"),
        shared(
            "与用人单位存在劳动关系的证明",
            "社会保险参保缴费信息（人力资源社会保障部门）",
            partly=True,
        ),
        proof("医疗诊断证明书", "JN-ZM-008", "《工伤保险条例》第十八条"),
        id_card("受伤害职工"),
    ),
    result="认定工伤决定书",
    depth="3",
    process=process(REVIEW, inspection=True),
)

_item(
    department="rsj",
    name="就业创业证申领（就业失业登记）",
    item_type=PUBLIC_SERVICE,
    description="劳动年龄内、有劳动能力和就业要求、处于无业状态的城镇常住人员进行失业登记，领取就业创业证。",
    keywords="就业创业证 失业登记 就业登记",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国社会保险法》", "第五十条"),
        law("《就业服务与就业管理规定》"),
    ),
    conditions="劳动年龄内、有劳动能力、有就业要求、处于无业状态。",
    case_kind=INSTANT,
    legal_days=1,
    promised_days=0,
    materials=(id_card(),),
    forms=ONLINE,
    depth="4",
    result="就业创业证（电子证）",
    licence_type="就业创业证",
    place="济南市民中心人社综合窗口或街道便民服务中心",
    process=process(SINGLE),
)

# --- 济南市交通运输局 ---------------------------------------------------------------------------------

_item(
    department="jtj",
    name="道路旅客运输经营许可",
    item_type=LICENSING,
    description="从事市际、县际班车客运或者包车客运经营，申请道路旅客运输经营许可。",
    keywords="客运 班车 包车 道路运输经营许可证",
    objects=(ENTERPRISE,),
    legal=(
        law("《中华人民共和国道路运输条例》", "第八条"),
        law("《中华人民共和国道路运输条例》", "第十条"),
        law("《道路旅客运输及客运站管理规定》"),
    ),
    conditions="有与其经营业务相适应并经检测合格的车辆；有符合条件的驾驶人员；有健全的安全生产管理制度。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=10,
    materials=(
        application("道路旅客运输经营申请表", "《中华人民共和国道路运输条例》第十条"),
        licence(),
        pdf("拟投入车辆承诺书（车辆数量、类型、技术等级）", core=True),
        shared("拟聘用驾驶员的机动车驾驶证和从业资格证", "驾驶员从业资格信息（交通运输部门）"),
        proof(
            "三年内无重大以上交通责任事故记录证明",
            "JN-ZM-010",
            "《中华人民共和国道路运输条例》第九条",
            shared_from="交通事故信息（公安交通管理部门）",
        ),
        pdf("安全生产管理制度文本", core=True),
        later("安全管理人员的工作证明"),
    ),
    result="道路运输经营许可证",
    licence_type="道路运输经营许可证",
    depth="3",
    process=process(REVIEW),
)

_item(
    department="jtj",
    name="道路货物运输经营许可（除使用4500千克及以下普通货运车辆外）",
    item_type=LICENSING,
    description="使用总质量 4500 千克以上普通货运车辆从事道路货物运输经营，实行告知承诺，当场作出决定。",
    keywords="货运 道路运输证 物流 货车",
    objects=(ENTERPRISE, PERSON),
    legal=(
        law("《中华人民共和国道路运输条例》", "第二十一条"),
        law("《中华人民共和国道路运输条例》", "第二十四条"),
        law("《道路货物运输及站场管理规定》"),
    ),
    conditions="有与其经营业务相适应并经检测合格的车辆；有符合规定条件的驾驶人员；有健全的安全生产管理制度。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=1,
    materials=(
        application("道路货物运输经营申请表"),
        licence(),
        doc("道路货物运输经营告知承诺书", core=True),
        later("拟投入车辆的行驶证及车辆技术等级评定结论"),
        shared("驾驶人员从业资格证", "驾驶员从业资格信息（交通运输部门）"),
    ),
    result="道路运输经营许可证",
    licence_type="道路运输经营许可证",
    process=process(SINGLE, commitment=True),
    commitment_text=commitment(
        "道路货物运输经营许可",
        "本单位已有与经营业务相适应并经检测合格的车辆和取得从业资格的驾驶人员，安全生产管理制度健全",
    ),
)

_item(
    department="jtj",
    name="网络预约出租汽车驾驶员证核发",
    item_type=LICENSING,
    description="从事网约车服务的驾驶员，经考核合格后核发网络预约出租汽车驾驶员证。",
    keywords="网约车 驾驶员证 滴滴 网约车司机",
    objects=(PERSON,),
    legal=(
        law("《网络预约出租汽车经营服务管理暂行办法》", "第十四条"),
        law("《网络预约出租汽车经营服务管理暂行办法》", "第十五条"),
        law("《出租汽车驾驶员从业资格管理规定》"),
    ),
    conditions="取得相应准驾车型机动车驾驶证并具有 3 年以上驾驶经历；无交通肇事犯罪、危险驾驶犯罪记录，"
    "无吸毒记录，无饮酒后驾驶记录，最近连续 3 个记分周期内没有记满 12 分记录；无暴力犯罪记录；"
    "经全国公共科目和本市区域科目考试合格。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=5,
    materials=(
        application("网络预约出租汽车驾驶员证申请表"),
        id_card(),
        shared("机动车驾驶证", "机动车驾驶证电子证照（公安交通管理部门）"),
        proof(
            "无犯罪记录证明",
            "JN-ZM-004",
            "《网络预约出租汽车经营服务管理暂行办法》第十四条",
            shared_from="犯罪记录查询（公安部门）",
        ),
        shared("考试合格成绩", "出租汽车驾驶员从业资格考试信息（交通运输部门）"),
    ),
    result="网络预约出租汽车驾驶员证",
    licence_type="网络预约出租汽车驾驶员证",
    process=process(SINGLE),
)

_item(
    department="jtj",
    name="超限运输车辆行驶公路许可",
    item_type=LICENSING,
    description="载运不可解体物品、车货总体外廓尺寸或者总质量超过限定标准的车辆在公路上行驶，申请超限运输许可。",
    keywords="超限运输 大件运输 超限许可",
    objects=(ENTERPRISE, PERSON),
    legal=(
        law("《中华人民共和国公路法》", "第五十条"),
        law("《公路安全保护条例》", "第三十五条"),
        law("《超限运输车辆行驶公路管理规定》（交通运输部令2016年第62号）"),
    ),
    conditions="载运的物品不可解体；运输车辆符合国家有关标准；有保障公路及其附属设施安全的运输方案。",
    case_kind=PROMISED,
    legal_days=5,
    promised_days=2,
    materials=(
        application("公路超限运输申请表", "《公路安全保护条例》第三十五条"),
        shared("车辆行驶证和道路运输证", "机动车登记信息（公安交通管理部门）"),
        pdf("货物名称、重量、外廓尺寸及必要的总体轮廓图", core=True),
        pdf("运输路线和护送方案", core=True),
    ),
    forms=ONLINE,
    depth="4",
    result="超限运输车辆通行证",
    licence_type="超限运输车辆通行证",
    process=process(SINGLE),
)

_item(
    department="jtj",
    name="机动车维修经营备案",
    item_type=OTHER_TYPE,
    description="从事机动车维修经营业务的，办理市场主体登记后向交通运输主管部门备案，当场办结。",
    keywords="汽修 维修备案 修车厂",
    objects=(ENTERPRISE, PERSON),
    legal=(
        law("《中华人民共和国道路运输条例》", "第三十七条"),
        law("《机动车维修管理规定》"),
    ),
    conditions="有与其经营业务相适应的维修车辆停车场和生产厂房；有必要的设备、设施和技术人员；有健全的维修管理制度和安全生产管理制度。",
    case_kind=INSTANT,
    legal_days=1,
    promised_days=0,
    materials=(
        application("机动车维修经营备案表"),
        licence(),
        site_certificate("维修经营场地"),
        pdf("技术人员、设备和管理制度情况说明"),
    ),
    result="机动车维修经营备案回执",
    process=process(SINGLE),
)

# --- 济南市自然资源和规划局 ---------------------------------------------------------------------------

_item(
    department="zrzy",
    name="建设用地规划许可证核发",
    item_type=LICENSING,
    description="以出让方式取得国有土地使用权的建设项目，签订出让合同后领取建设用地规划许可证；"
    "可与用地批准合并办理，工程建设项目帮办代办。",
    keywords="用地规划许可 规划许可 建设用地",
    objects=(ENTERPRISE, INSTITUTION),
    legal=(
        law("《中华人民共和国城乡规划法》", "第三十七条"),
        law("《中华人民共和国城乡规划法》", "第三十八条"),
    ),
    conditions="已签订国有建设用地使用权出让合同或者取得划拨决定书；项目符合国土空间详细规划。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=5,
    materials=(
        application("建设用地规划许可申请表"),
        shared("国有建设用地使用权出让合同", "土地供应信息（自然资源和规划局）"),
        pdf("建设项目批准、核准或者备案文件", core=True),
        pdf("宗地界址坐标图", core=True),
    ),
    result="建设用地规划许可证",
    licence_type="建设用地规划许可证",
    agent=True,
    process=process(REVIEW),
)

_item(
    department="zrzy",
    name="建设工程规划许可证核发",
    item_type=LICENSING,
    description="在城市规划区内进行建筑物、构筑物、道路、管线等工程建设，申请建设工程规划许可证。",
    keywords="工程规划许可 规划证 建设工程规划",
    objects=(ENTERPRISE, INSTITUTION, PERSON),
    legal=(
        law("《中华人民共和国城乡规划法》", "第四十条"),
        law("《山东省城乡规划条例》"),
    ),
    conditions="取得建设用地规划许可证和土地使用权证明；建设工程设计方案符合控制性详细规划和规划条件。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=10,
    materials=(
        application("建设工程规划许可申请表", "《中华人民共和国城乡规划法》第四十条"),
        shared("不动产权证书（土地使用权）", "不动产登记信息（不动产权证书）"),
        pdf(
            "建设工程设计方案（含总平面图、建筑单体方案）",
            "《中华人民共和国城乡规划法》第四十条",
            core=True,
        ),
        later("日照分析报告"),
        later("建设工程设计方案电子报批文件"),
    ),
    result="建设工程规划许可证",
    licence_type="建设工程规划许可证",
    agent=True,
    process=process(REVIEW, meeting=True),
)

_item(
    department="zrzy",
    name="国有建设用地使用权及房屋所有权转移登记（存量房买卖）",
    item_type=CONFIRMATION,
    description="二手房买卖办理不动产转移登记；交易、缴税、登记“一窗受理、并行办理”，住宅一个工作日内办结。",
    keywords="过户 二手房 房产证 不动产转移登记",
    objects=(PERSON, ENTERPRISE),
    legal=(
        law("《中华人民共和国民法典》", "第二百零九条"),
        law("《不动产登记暂行条例》", "第十四条"),
        law("《不动产登记暂行条例》", "第十六条"),
        law("《不动产登记暂行条例》", "第二十条"),
    ),
    conditions="不动产已办理首次登记，未被查封，无异议登记；已抵押的，已取得抵押权人同意或者已解除抵押。",
    case_kind=PROMISED,
    legal_days=30,
    promised_days=1,
    materials=(
        application("不动产登记申请书", "《不动产登记暂行条例》第十六条"),
        id_card("买卖双方"),
        shared("不动产权证书", "不动产登记信息（不动产权证书）"),
        shared(
            "存量房买卖合同（网签备案）",
            "存量房网签备案信息（住房城乡建设局）",
            "《不动产登记暂行条例》第十六条",
        ),
        shared("完税凭证", "契税、个人所得税征收信息（税务部门）"),
        licence(),
        doc("企业法定代表人身份证明书"),
        PROXY_LETTER,
        PROXY_ID,
    ),
    situations=(
        Sit(
            "买受人或出卖人中是否有企业？",
            (
                Opt("双方均为个人", removes=("营业执照",)),
                Opt("有企业", adds=("企业法定代表人身份证明书",)),
            ),
        ),
        by_proxy(),
    ),
    forms=ONLINE,
    visits=1,
    depth="3",
    fees=(
        fee(
            "不动产登记费（住宅）",
            "每件 80 元",
            "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）",
        ),
        fee(
            "不动产登记费（非住宅）",
            "每件 550 元",
            "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）",
            waivable=True,
        ),
        fee(
            "不动产权属证书工本费",
            "核发一本证书免收；每增加一本加收 10 元",
            "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）",
        ),
    ),
    result="不动产权证书",
    licence_type="不动产权证书",
    place="济南市不动产登记中心及各区县不动产登记大厅",
    faq=(
        faq(
            "过户时需要买卖双方都到场吗？",
            "双方可以“一窗”现场办理，也可以委托他人或通过“网上登记”办理。",
        ),
    ),
    process=process(PARALLEL, co_review=("zjj",)),
    co=("zjj",),
)

_item(
    department="zrzy",
    name="不动产抵押权首次登记",
    item_type=CONFIRMATION,
    description="以建设用地使用权、房屋等不动产设定抵押的，办理抵押登记；银行网点可直接受理，即时办结。",
    keywords="抵押登记 房屋抵押 按揭 贷款抵押",
    objects=(PERSON, ENTERPRISE),
    legal=(
        law("《中华人民共和国民法典》", "第三百九十五条"),
        law("《中华人民共和国民法典》", "第四百零二条"),
        law("《不动产登记暂行条例》", "第十四条"),
    ),
    conditions="抵押财产已办理不动产权利首次登记或者转移登记，且未被查封。",
    case_kind=INSTANT,
    legal_days=30,
    promised_days=0,
    materials=(
        application("不动产登记申请书", "《不动产登记暂行条例》第十六条"),
        id_card("抵押人"),
        shared("不动产权证书", "不动产登记信息（不动产权证书）"),
        copy_doc("主债权合同和抵押合同", "《中华人民共和国民法典》第四百条", core=True),
        shared("抵押权人营业执照（金融许可证）", "市场主体登记信息（电子营业执照）"),
    ),
    forms=ONLINE,
    visits=0,
    depth="4",
    fees=(
        fee(
            "不动产登记费（住宅）",
            "每件 80 元",
            "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）",
        ),
    ),
    result="不动产登记证明",
    licence_type="不动产登记证明",
    place="济南市不动产登记中心及各区县不动产登记大厅、合作银行网点",
    process=process(SINGLE),
)

# --- 济南市生态环境局 ---------------------------------------------------------------------------------

_item(
    department="sthj",
    name="排污许可证核发",
    item_type=LICENSING,
    description="纳入排污许可重点管理、简化管理的排污单位，在全国排污许可证管理信息平台申请排污许可证。",
    keywords="排污许可 排污证 污染物排放",
    objects=(ENTERPRISE, INSTITUTION),
    legal=(
        law("《排污许可管理条例》", "第六条"),
        law("《排污许可管理条例》", "第八条"),
        law("《中华人民共和国环境保护法》", "第四十五条"),
    ),
    conditions="依法取得建设项目环境影响报告书（表）批准文件或者办理了环境影响登记表备案手续；"
    "污染物排放符合污染物排放标准和重点污染物排放总量控制指标；采用的污染防治设施可以达到许可排放浓度要求；"
    "自行监测方案符合法律法规和监测规范。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=10,
    materials=(
        application("排污许可证申请表", "《排污许可管理条例》第八条"),
        pdf("自行监测方案", "《排污许可管理条例》第八条", core=True),
        doc(
            "排污单位法定代表人或者主要负责人签字或者盖章的承诺书",
            "《排污许可管理条例》第八条",
            core=True,
        ),
        pdf("排污口规范化情况说明", "《排污许可管理条例》第八条"),
        shared(
            "建设项目环境影响评价文件审批文号",
            "环境影响评价审批信息（生态环境部门）",
            "《排污许可管理条例》第八条",
        ),
        later("排污许可证申请前信息公开情况说明表", "《排污许可管理条例》第八条"),
        pdf("纳污范围、纳污排污单位名单、管网布置、最终排放去向说明", "《排污许可管理条例》第八条"),
    ),
    situations=(
        Sit(
            "是否为污水集中处理设施的运营单位？",
            (
                Opt("否"),
                Opt("是", adds=("纳污范围、纳污排污单位名单、管网布置、最终排放去向说明",)),
            ),
        ),
    ),
    forms=("2",),
    depth="4",
    result="排污许可证",
    licence_type="排污许可证",
    place="全国排污许可证管理信息平台（网上申请）",
    process=process(REVIEW, inspection=True),
)

_item(
    department="sthj",
    name="建设项目环境影响报告表审批",
    item_type=LICENSING,
    description="编制环境影响报告表的建设项目开工前报批；列入告知承诺审批范围的项目，承诺后当场审批。",
    keywords="环评 环境影响评价 报告表 环评审批",
    objects=(ENTERPRISE, INSTITUTION),
    legal=(
        law("《中华人民共和国环境影响评价法》", "第二十二条"),
        law("《建设项目环境保护管理条例》", "第九条"),
    ),
    conditions="建设项目类型及其选址、布局、规模等符合环境保护法律法规和相关法定规划；"
    "所在区域环境质量满足相应标准；采取的污染防治措施能够确保污染物排放达到国家和地方排放标准。",
    case_kind=PROMISED,
    legal_days=30,
    promised_days=10,
    materials=(
        application("建设项目环境影响评价文件报批申请书"),
        pdf(
            "建设项目环境影响报告表（全本）",
            "《中华人民共和国环境影响评价法》第二十二条",
            core=True,
        ),
        doc("建设项目环境影响评价告知承诺书", core=True),
        pdf("环境影响报告表删除涉及国家秘密、商业秘密等内容的公开版本"),
    ),
    result="建设项目环境影响报告表批复",
    depth="4",
    process=process(REVIEW, commitment=True),
    commitment_text=commitment(
        "建设项目环境影响报告表审批",
        "本项目符合生态环境分区管控要求，环境影响报告表内容真实，并将落实各项污染防治措施",
    ),
)

_item(
    department="sthj",
    name="固定污染源排污登记",
    item_type=OTHER_TYPE,
    description="污染物产生量、排放量和对环境的影响程度都很小的单位，填报排污登记表，提交即登记。",
    keywords="排污登记 登记表",
    objects=(ENTERPRISE, INSTITUTION),
    legal=(
        law("《排污许可管理条例》", "第二十四条"),
        law("《固定污染源排污许可分类管理名录（2019年版）》"),
    ),
    conditions="属于排污许可分类管理名录规定的登记管理类别。",
    case_kind=INSTANT,
    legal_days=1,
    promised_days=0,
    materials=(
        Mat("固定污染源排污登记表", form=ELECTRONIC, originals=0, core=True, notes="在线填报。"),
    ),
    forms=("2",),
    depth="4",
    result="固定污染源排污登记回执",
    place="全国排污许可证管理信息平台（网上申请）",
    process=process(SINGLE),
)

# --- 济南市城市管理局 ---------------------------------------------------------------------------------

_item(
    department="cgj",
    name="城市道路挖掘许可",
    item_type=LICENSING,
    description="因工程建设需要挖掘城市道路的，经城市管理部门和公安交通管理部门并联审批后方可挖掘。",
    keywords="挖路 道路挖掘 掘路 管线施工",
    objects=(ENTERPRISE, INSTITUTION),
    legal=(
        law("《城市道路管理条例》", "第三十条"),
        law("《城市道路管理条例》", "第三十三条"),
        law("《城市道路管理条例》", "第三十七条"),
    ),
    conditions="挖掘工程已取得规划部门批准文件；有施工方案、交通组织方案和安全保障措施；"
    "新建、扩建、改建的城市道路交付使用后 5 年内、大修的城市道路竣工后 3 年内不得挖掘（紧急抢修除外）。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=5,
    materials=(
        application("城市道路挖掘申请表"),
        shared(
            "建设工程规划许可证",
            "建设工程规划许可证电子证照（自然资源和规划局）",
            "《城市道路管理条例》第三十三条",
        ),
        pdf("挖掘施工设计图及施工方案", "《城市道路管理条例》第三十三条", core=True),
        pdf("交通组织方案", core=True),
        later("施工安全保障措施及道路恢复承诺书"),
    ),
    fees=(
        fee(
            "城市道路挖掘修复费",
            "按挖掘面积和路面结构，依照本市核定的城市道路挖掘修复费标准计收",
            "《城市道路管理条例》第三十七条",
        ),
    ),
    result="城市道路挖掘许可决定书",
    visits=1,
    depth="3",
    process=process(PARALLEL, co_review=("gaj",), inspection=True),
    co=("gaj",),
)

_item(
    department="cgj",
    name="临时占用城市道路许可",
    item_type=LICENSING,
    description="因特殊情况需要临时占用城市道路的，经批准后按照规定占用；影响交通安全的，须征得公安交通管理部门同意。",
    keywords="占道 临时占道 占用道路",
    objects=(ENTERPRISE, INSTITUTION, PERSON),
    legal=(
        law("《城市道路管理条例》", "第三十一条"),
        law("《城市道路管理条例》", "第三十七条"),
    ),
    conditions="确因特殊情况需要临时占用，占用期限和范围合理，有交通组织和安全措施。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=3,
    materials=(
        application("临时占用城市道路申请表"),
        pdf("占用位置平面图（标明占用范围和面积）", core=True),
        pdf("交通组织方案及安全措施"),
    ),
    fees=(
        fee(
            "城市道路占用费",
            "按占用面积和期限，依照本市核定标准计收",
            "《城市道路管理条例》第三十七条",
        ),
    ),
    result="临时占用城市道路许可决定书",
    depth="3",
    process=process(PARALLEL, co_review=("gaj",)),
    co=("gaj",),
)

_item(
    department="cgj",
    name="城市建筑垃圾处置核准",
    item_type=LICENSING,
    description="施工单位、运输单位、消纳场所处置建筑垃圾，取得城市建筑垃圾处置核准；实行告知承诺。",
    keywords="渣土 建筑垃圾 渣土运输 处置核准",
    objects=(ENTERPRISE,),
    legal=(
        law("《城市建筑垃圾管理规定》（建设部令第139号）", "第七条"),
        law("《国务院对确需保留的行政审批项目设定行政许可的决定》（国务院令第412号）"),
    ),
    conditions="有建筑垃圾分类处置方案和对废混凝土、金属、木材等回收利用方案；"
    "已与取得核准的运输单位签订运输合同；有符合要求的消纳场所。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=3,
    materials=(
        application("城市建筑垃圾处置核准申请表"),
        licence(),
        pdf("建筑垃圾处置方案（含数量、运输路线、消纳场所）", core=True),
        copy_doc("建筑垃圾运输合同", core=True),
        later("消纳场所受纳证明"),
        later("运输车辆行驶证及密闭装置照片"),
    ),
    result="城市建筑垃圾处置核准证",
    licence_type="城市建筑垃圾处置核准证",
    process=process(SINGLE, commitment=True),
    commitment_text=commitment(
        "城市建筑垃圾处置核准",
        "本单位已与取得核准的运输单位签订运输合同，建筑垃圾运至符合规定的消纳场所",
    ),
)

_item(
    department="cgj",
    name="户外广告设施设置许可",
    item_type=LICENSING,
    description="在城市道路、建筑物、构筑物等设置户外广告设施，符合户外广告设置规划的，申请设置许可。",
    keywords="户外广告 招牌 广告牌 霓虹灯",
    objects=(ENTERPRISE, PERSON),
    legal=(
        law("《城市市容和环境卫生管理条例》", "第十一条"),
        law("《中华人民共和国广告法》", "第四十一条"),
    ),
    conditions="符合本市户外广告设置规划和技术规范；设施安全牢固；取得设置场地的使用权。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=5,
    materials=(
        application("户外广告设施设置申请表"),
        licence(),
        pdf("户外广告设施设计效果图（含尺寸、材质、位置）", core=True),
        later("设置场地使用权证明（产权证明或者租赁协议）"),
        copy_doc("户外广告设施结构安全检测报告"),
    ),
    situations=(
        Sit(
            "是否为大型户外广告设施（单面面积 20 平方米以上或者高度 10 米以上）？",
            (
                Opt("否", removes=("户外广告设施结构安全检测报告",)),
                Opt("是", conditions="须由具有资质的单位设计施工并进行结构安全检测。"),
            ),
        ),
    ),
    result="户外广告设施设置许可决定书",
    licence_type="户外广告设施设置许可证",
    depth="3",
    process=process(REVIEW, inspection=True),
)

# --- 济南市教育局 ------------------------------------------------------------------------------------

_item(
    department="jyj",
    name="民办学校设立（正式设立）",
    item_type=LICENSING,
    description="举办实施高级中等教育、中等职业学历教育的民办学校，筹设期满后申请正式设立，经专家评议后决定。",
    keywords="民办学校 办学许可证 私立学校 民办高中",
    objects=(ENTERPRISE, SOCIAL_ORG, PERSON, OTHER_ORG),
    legal=(
        law("《中华人民共和国民办教育促进法》", "第十二条"),
        law("《中华人民共和国民办教育促进法》", "第十四条"),
        law("《中华人民共和国民办教育促进法》", "第十七条"),
        law("《中华人民共和国民办教育促进法实施条例》"),
    ),
    conditions="符合当地教育发展需求；具备教育法和其他有关法律、法规规定的条件；"
    "校舍、师资、资产等达到同级同类公办学校的设置标准。",
    case_kind=PROMISED,
    legal_days=60,
    promised_days=40,
    materials=(
        application("民办学校正式设立申请书", "《中华人民共和国民办教育促进法》第十四条"),
        shared(
            "筹设批准书", "民办学校审批信息（教育部门）", "《中华人民共和国民办教育促进法》第十四条"
        ),
        doc("筹设情况报告", "《中华人民共和国民办教育促进法》第十四条", core=True),
        doc(
            "学校章程、首届学校理事会（董事会）组成人员名单",
            "《中华人民共和国民办教育促进法》第十四条",
            core=True,
        ),
        copy_doc("学校资产的有效证明文件", "《中华人民共和国民办教育促进法》第十四条", core=True),
        copy_doc("校长、教师的资格证明文件", "《中华人民共和国民办教育促进法》第十四条"),
        later("财会人员的资格证明文件", "《中华人民共和国民办教育促进法》第十四条"),
    ),
    result="民办学校办学许可证",
    licence_type="民办学校办学许可证",
    visits=1,
    depth="3",
    process=process(REVIEW, meeting=True, inspection=True),
)

_item(
    department="jyj",
    name="高级中学教师资格认定",
    item_type=LICENSING,
    description="申请高级中学、中等职业学校教师资格，思想品德情况实行个人承诺，无犯罪记录由教育部门在线核查。",
    keywords="教师资格证 教资认定 高中教师",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国教师法》", "第十条"),
        law("《中华人民共和国教师法》", "第十一条"),
        law("《中华人民共和国教师法》", "第十三条"),
        law("《教师资格条例》"),
    ),
    conditions="遵守宪法和法律，热爱教育事业，具有良好的思想品德；具备高等师范院校本科或者其他大学本科毕业及以上学历；"
    "教师资格考试合格；普通话水平达到二级乙等以上；身体条件符合要求。",
    case_kind=PROMISED,
    legal_days=30,
    promised_days=20,
    materials=(
        application("教师资格认定申请表"),
        id_card(),
        shared("学历证书", "学历学位信息（教育部学信网）"),
        shared("中小学教师资格考试合格证明", "中小学教师资格考试信息（教育部考试中心）"),
        shared("普通话水平测试等级证书", "普通话水平测试信息（国家语委）"),
        doc("个人思想品德承诺书", core=True),
        copy_doc("教师资格认定体检表（指定医院出具）"),
        proof(
            "无犯罪记录证明",
            "JN-ZM-004",
            "《中华人民共和国教师法》第十四条",
            shared_from="犯罪记录查询（公安部门）",
        ),
    ),
    result="教师资格证书",
    licence_type="教师资格证书",
    visits=1,
    depth="3",
    process=process(REVIEW, commitment=True),
    commitment_text=commitment(
        "教师资格认定",
        "本人遵守宪法和法律，热爱教育事业，具有良好的思想品德，无不得认定教师资格的情形",
    ),
)

# --- 济南市文化和旅游局 -------------------------------------------------------------------------------

_item(
    department="wlj",
    name="旅行社业务经营许可（国内旅游和入境旅游业务）",
    item_type=LICENSING,
    description="申请经营国内旅游业务和入境旅游业务的旅行社设立许可，实行告知承诺；取得许可后缴纳旅游服务质量保证金。",
    keywords="旅行社 旅游 旅行社许可",
    objects=(ENTERPRISE,),
    legal=(
        law("《旅行社条例》", "第六条"),
        law("《旅行社条例》", "第七条"),
        law("《旅行社条例》", "第十三条"),
    ),
    conditions="取得企业法人资格；有固定的经营场所；有必要的营业设施；有符合规定的质量保证金。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=1,
    materials=(
        application("旅行社业务经营许可申请书", "《旅行社条例》第七条"),
        licence(),
        doc("旅行社设立告知承诺书", core=True),
        later("经营场所证明"),
        pdf("营业设施、设备的证明或者说明"),
        id_card("法定代表人"),
    ),
    result="旅行社业务经营许可证",
    licence_type="旅行社业务经营许可证",
    process=process(SINGLE, commitment=True),
    commitment_text=commitment(
        "旅行社业务经营许可",
        "本企业已取得企业法人资格，有固定的经营场所和必要的营业设施，并将在规定期限内缴存质量保证金",
    ),
)

_item(
    department="wlj",
    name="互联网上网服务营业场所经营许可",
    item_type=LICENSING,
    description="设立网吧等互联网上网服务营业场所，文化和旅游部门受理，公安机关同步进行信息网络安全审核。",
    keywords="网吧 上网服务 网咖",
    objects=(ENTERPRISE,),
    legal=(
        law("《互联网上网服务营业场所管理条例》", "第十条"),
        law("《互联网上网服务营业场所管理条例》", "第十一条"),
    ),
    conditions="有企业的名称、住所、组织机构和章程；有与其经营活动相适应的资金和营业场所；"
    "营业场所距中学、小学校园出入口 200 米以上；有健全、完善的信息网络安全管理制度和安全技术措施。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=10,
    materials=(
        application("互联网上网服务营业场所经营许可申请表"),
        licence(),
        id_card("法定代表人或者主要负责人"),
        site_certificate("营业场所"),
        pdf("信息网络安全管理制度和安全技术措施说明", core=True),
        later("营业场所平面布局图"),
    ),
    result="网络文化经营许可证",
    licence_type="网络文化经营许可证",
    visits=1,
    depth="3",
    process=process(PARALLEL, co_review=("gaj",), inspection=True),
    co=("gaj",),
)

# --- 济南市司法局 ------------------------------------------------------------------------------------

_item(
    department="sfj",
    name="法律援助申请",
    item_type=PUBLIC_SERVICE,
    description="经济困难公民和符合法定条件的其他当事人申请法律援助；"
    "低保、特困等人员免予核查经济困难状况，可由法律援助工作站帮助申请。",
    keywords="法律援助 免费律师 法援",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国法律援助法》", "第三十八条"),
        law("《中华人民共和国法律援助法》", "第四十一条"),
        law("《中华人民共和国法律援助法》", "第四十二条"),
        law("《中华人民共和国法律援助法》", "第四十三条"),
    ),
    conditions="申请事项属于法律援助范围；申请人经济困难，或者属于免予核查经济困难状况的人员。",
    case_kind=PROMISED,
    legal_days=7,
    promised_days=3,
    materials=(
        application("法律援助申请表", "《中华人民共和国法律援助法》第三十八条"),
        id_card(),
        doc("经济困难状况说明表", "《中华人民共和国法律援助法》第四十一条"),
        copy_doc("与所申请法律援助事项有关的案件材料（起诉状、劳动仲裁申请书等）", core=True),
    ),
    situations=(
        Sit(
            "是否属于最低生活保障对象、特困供养人员等免予核查经济困难状况的人员？",
            (
                Opt("是", removes=("经济困难状况说明表",)),
                Opt("否"),
            ),
        ),
    ),
    result="给予法律援助决定书",
    place="济南市法律援助中心及各区县法律援助工作站",
    agent=True,
    process=process(SINGLE),
)

_item(
    department="sfj",
    name="律师执业许可（受理审查）",
    item_type=LICENSING,
    description="申请专职、兼职律师执业，由设区的市级司法行政部门受理审查后报省司法厅决定。",
    keywords="律师执业证 律师证 实习律师",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国律师法》", "第五条"),
        law("《中华人民共和国律师法》", "第六条"),
        law("《律师执业管理办法》"),
    ),
    conditions="拥护中华人民共和国宪法；通过国家统一法律职业资格考试取得法律职业资格；"
    "在律师事务所实习满一年；品行良好。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=10,
    materials=(
        application("律师执业申请登记表"),
        shared(
            "法律职业资格证书", "法律职业资格证书信息（司法部）", "《中华人民共和国律师法》第六条"
        ),
        proof("律师协会出具的实习考核合格证明", "JN-ZM-011", "《中华人民共和国律师法》第六条"),
        id_card(),
        doc("律师事务所出具的同意接收申请人的证明", "《中华人民共和国律师法》第六条", core=True),
        doc("所在单位同意申请人兼职从事律师职业的证明", "《中华人民共和国律师法》第六条"),
    ),
    situations=(
        Sit(
            "申请专职还是兼职律师执业？",
            (
                Opt("专职律师"),
                Opt("兼职律师", adds=("所在单位同意申请人兼职从事律师职业的证明",)),
            ),
        ),
    ),
    result="律师执业证书（经省司法厅许可）",
    licence_type="律师执业证书",
    visits=1,
    depth="3",
    process=process(REVIEW),
)

# --- 济南市发展和改革委员会 ---------------------------------------------------------------------------

_item(
    department="fgw",
    name="企业投资项目核准",
    item_type=LICENSING,
    description="列入政府核准的投资项目目录的企业投资项目，开工前申请核准；用地预审与选址意见并联办理，提供项目帮办代办。",
    keywords="项目核准 投资项目 立项",
    objects=(ENTERPRISE,),
    legal=(
        law("《企业投资项目核准和备案管理条例》", "第六条"),
        law("《企业投资项目核准和备案管理条例》", "第九条"),
        law("《政府核准的投资项目目录》"),
    ),
    conditions="项目不危害经济安全、社会安全、生态安全等国家安全；符合相关发展建设规划、产业政策和技术标准；"
    "合理开发并有效利用资源；不对重大公共利益产生不利影响。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=10,
    materials=(
        application("项目申请书", "《企业投资项目核准和备案管理条例》第六条"),
        shared("建设项目用地预审与选址意见书", "用地预审信息（自然资源和规划局）"),
        later("社会稳定风险评估报告"),
    ),
    result="项目核准批复",
    depth="3",
    agent=True,
    process=process(PARALLEL, co_review=("zrzy",), meeting=True),
    co=("zrzy",),
)

_item(
    department="fgw",
    name="企业投资项目备案",
    item_type=OTHER_TYPE,
    description="实行备案管理的企业投资项目，开工建设前通过在线平台告知项目信息，信息齐全的即时备案。",
    keywords="项目备案 投资备案 立项备案",
    objects=(ENTERPRISE,),
    legal=(law("《企业投资项目核准和备案管理条例》", "第十三条"),),
    conditions="项目不属于政府核准的投资项目目录范围，不属于产业政策禁止投资建设的项目。",
    case_kind=INSTANT,
    legal_days=1,
    promised_days=0,
    materials=(
        Mat(
            "项目备案信息表（企业基本情况、项目名称、建设地点、建设规模、建设内容、总投资额）",
            form=ELECTRONIC,
            originals=0,
            core=True,
            basis="《企业投资项目核准和备案管理条例》第十三条",
        ),
        doc("项目符合产业政策的声明"),
    ),
    forms=("2", "3"),
    depth="4",
    result="项目备案证明",
    place="全国投资项目在线审批监管平台（山东）",
    process=process(SINGLE),
)

# --- 济南市财政局 ------------------------------------------------------------------------------------

_item(
    department="czj",
    name="代理记账机构设立审批",
    item_type=LICENSING,
    description="除会计师事务所以外的机构从事代理记账业务，申请代理记账资格；实行告知承诺，当场作出决定。",
    keywords="代理记账 记账公司 代账",
    objects=(ENTERPRISE,),
    legal=(
        law("《中华人民共和国会计法》", "第三十六条"),
        law("《代理记账管理办法》", "第三条"),
        law("《代理记账管理办法》", "第五条"),
    ),
    conditions="为依法设立的企业；专职从业人员不少于 3 名；主管代理记账业务的负责人具有会计师以上专业技术职务资格"
    "或者从事会计工作不少于三年，且为专职从业人员；有健全的代理记账业务内部规范。",
    case_kind=PROMISED,
    legal_days=10,
    promised_days=1,
    materials=(
        application("代理记账资格申请表", "《代理记账管理办法》第五条"),
        licence(),
        doc(
            "主管代理记账业务的负责人具备会计师以上专业技术职务资格或者从事会计工作不少于三年的书面承诺",
            "《代理记账管理办法》第五条",
            core=True,
        ),
        doc("专职从业人员在本机构专职从业的书面承诺", "《代理记账管理办法》第五条", core=True),
        pdf("代理记账业务内部规范", "《代理记账管理办法》第五条"),
    ),
    result="代理记账许可证书",
    licence_type="代理记账许可证书",
    process=process(SINGLE, commitment=True),
    commitment_text=commitment(
        "代理记账机构设立审批",
        "本机构专职从业人员不少于 3 名，主管代理记账业务的负责人符合规定条件",
    ),
)

# --- 济南市应急管理局 ---------------------------------------------------------------------------------

_item(
    department="yjj",
    name="危险化学品经营许可（带有储存设施）",
    item_type=LICENSING,
    description="经营剧毒化学品、易制爆危险化学品或者带有储存设施经营危险化学品的企业，申请危险化学品经营许可。",
    keywords="危化品经营 危险化学品 经营许可证",
    objects=(ENTERPRISE,),
    legal=(
        law("《危险化学品安全管理条例》", "第三十三条"),
        law("《危险化学品安全管理条例》", "第三十四条"),
        law("《危险化学品安全管理条例》", "第三十五条"),
        law("《危险化学品经营许可证管理办法》"),
    ),
    conditions="有符合国家标准、行业标准的经营场所，储存危险化学品的还应当有符合标准的储存设施；"
    "从业人员经过专业技术培训并经考核合格；有健全的安全管理规章制度；有专职安全管理人员；"
    "有符合规定的危险化学品事故应急预案和必要的应急救援器材、设备。",
    case_kind=PROMISED,
    legal_days=30,
    promised_days=15,
    materials=(
        application("危险化学品经营许可证申请表"),
        licence(),
        shared(
            "主要负责人、安全生产管理人员安全生产知识和管理能力考核合格证",
            "安全生产考核信息（应急管理部门）",
        ),
        pdf("安全生产管理制度和岗位操作规程目录", core=True),
        pdf("危险化学品事故应急预案", core=True),
        copy_doc("储存设施安全评价报告", core=True),
        later("经营场所、储存设施产权或者租赁证明"),
    ),
    result="危险化学品经营许可证",
    licence_type="危险化学品经营许可证",
    visits=1,
    depth="3",
    process=process(REVIEW, inspection=True),
)

# --- 济南市医疗保障局 ---------------------------------------------------------------------------------

_item(
    department="ybj",
    name="基本医疗保险参保人员异地就医备案",
    item_type=PUBLIC_SERVICE,
    description="异地长期居住、异地安置、异地工作或者临时外出就医的参保人员办理跨省异地就医备案，网上即时办结。",
    keywords="异地就医 医保备案 跨省就医",
    objects=(PERSON,),
    legal=(
        law("《中华人民共和国社会保险法》", "第二十九条"),
        law(
            "《国家医保局 财政部关于进一步做好基本医疗保险跨省异地就医直接结算工作的通知》（医保发〔2022〕22号）"
        ),
    ),
    conditions="本市基本医疗保险参保人员，处于正常参保状态。",
    case_kind=INSTANT,
    legal_days=1,
    promised_days=0,
    materials=(
        id_card(),
        Mat(
            "跨省异地就医备案个人承诺书",
            form=ELECTRONIC,
            originals=0,
            notes="线上签署，无需提交居住证明。",
        ),
    ),
    forms=ONLINE,
    depth="4",
    result="异地就医备案信息",
    place="国家医保服务平台 APP、济南市医保经办窗口",
    process=process(SINGLE),
)

_item(
    department="ybj",
    name="城乡居民基本医疗保险参保登记",
    item_type=PUBLIC_SERVICE,
    description="未参加职工医保的本市户籍居民和持居住证的常住人员参加城乡居民医保，即时办结。",
    keywords="居民医保 参保登记 新农合 医保缴费",
    objects=(PERSON,),
    legal=(law("《中华人民共和国社会保险法》", "第二十五条"),),
    conditions="未参加职工基本医疗保险；具有本市户籍或者持有本市居住证。",
    case_kind=INSTANT,
    legal_days=1,
    promised_days=0,
    materials=(
        id_card(),
        shared("居住证", "居住证信息（公安部门）", partly=True),
    ),
    forms=ONLINE,
    depth="4",
    result="城乡居民基本医疗保险参保登记",
    place="济南市医保经办窗口、街道便民服务中心",
    process=process(SINGLE),
)

# --- 济南市历下区行政审批服务局（县级） ---------------------------------------------------------------

_item(
    department="lx_spj",
    level=COUNTY,
    name="个体工商户设立登记",
    item_type=CONFIRMATION,
    description="有经营能力的自然人从事工商业经营，申请个体工商户设立登记，当场核发营业执照。",
    keywords="个体户 个体工商户 开店 营业执照",
    objects=(PERSON,),
    legal=(
        law("《促进个体工商户发展条例》"),
        law("《中华人民共和国市场主体登记管理条例》", "第十六条"),
        law("《中华人民共和国市场主体登记管理条例》", "第十九条"),
    ),
    conditions="经营者为有经营能力的自然人；经营场所真实合法；经营范围不属于法律、行政法规禁止的项目。",
    case_kind=INSTANT,
    legal_days=3,
    promised_days=0,
    materials=(
        application(
            "个体工商户登记（备案）申请书", "《中华人民共和国市场主体登记管理条例》第十六条"
        ),
        id_card("经营者"),
        site_certificate(),
    ),
    result="营业执照（个体工商户）",
    licence_type="营业执照",
    place=DISTRICT_HALL,
    faq=(faq("个体户需要刻章吗？", "不强制，需要时可免费刻制。"),),
    process=process(SINGLE),
)

_item(
    department="lx_spj",
    level=COUNTY,
    name="食品经营许可",
    item_type=LICENSING,
    description="从事食品销售、餐饮服务（含单位食堂）的经营者申请食品经营许可；仅销售预包装食品的改为备案。",
    keywords="食品经营许可 餐饮 饭店 食品销售 食堂",
    objects=(ENTERPRISE, PERSON, INSTITUTION),
    legal=(
        law("《中华人民共和国食品安全法》", "第三十五条"),
        law("《食品经营许可和备案管理办法》（国家市场监督管理总局令第78号）"),
    ),
    conditions="具有与经营的食品品种、数量相适应的食品经营场所，保持场所环境整洁并与有毒、有害场所保持规定的距离；"
    "具有相应的设备设施；有专职或者兼职的食品安全管理人员和保证食品安全的规章制度；具有合理的设备布局和工艺流程。",
    case_kind=PROMISED,
    legal_days=10,
    promised_days=3,
    materials=(
        application("食品经营许可申请书", "《中华人民共和国食品安全法》第三十五条"),
        licence(),
        pdf("与食品经营相适应的主要设备设施、经营布局、操作流程等文件", core=True),
        pdf(
            "食品安全自查、从业人员健康管理、进货查验记录、食品安全事故处置等保证食品安全的规章制度目录清单"
        ),
        later("从业人员健康证明名单"),
        copy_doc("自动售货设备的产品合格证明、具体放置地点及经营者公示方法说明"),
    ),
    situations=(
        Sit(
            "是否利用自动设备从事食品经营？",
            (
                Opt("否"),
                Opt("是", adds=("自动售货设备的产品合格证明、具体放置地点及经营者公示方法说明",)),
            ),
        ),
        by_proxy(),
    ),
    result="食品经营许可证",
    licence_type="食品经营许可证",
    place=DISTRICT_HALL,
    faq=(
        faq("健康证还没办下来能先申请吗？", "可以，从业人员健康证明名单可容缺后补。"),
        faq("只卖预包装食品需要许可吗？", "不需要许可，办理仅销售预包装食品备案即可。"),
    ),
    process=process(SINGLE, inspection=True),
)

_item(
    department="lx_spj",
    level=COUNTY,
    name="公共场所卫生许可",
    item_type=LICENSING,
    description="宾馆、美容美发、沐浴、游泳场所等公共场所经营者申请卫生许可证；实行告知承诺，当场发证、事后核查。",
    keywords="卫生许可证 美容美发 宾馆 游泳馆 公共场所",
    objects=(ENTERPRISE, PERSON),
    legal=(
        law("《公共场所卫生管理条例》", "第八条"),
        law("《公共场所卫生管理条例实施细则》", "第二十二条"),
        law("《公共场所卫生管理条例实施细则》", "第二十三条"),
    ),
    conditions="场所布局和卫生设施符合卫生标准和要求；有公共场所卫生管理制度；从业人员取得健康合格证明。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=1,
    materials=(
        application("公共场所卫生许可证申请表", "《公共场所卫生管理条例实施细则》第二十三条"),
        licence(),
        pdf(
            "公共场所地址方位示意图、平面图和卫生设施平面布局图",
            "《公共场所卫生管理条例实施细则》第二十三条",
            core=True,
        ),
        later("公共场所卫生检测或者评价报告", "《公共场所卫生管理条例实施细则》第二十三条"),
        pdf("公共场所卫生管理制度", "《公共场所卫生管理条例实施细则》第二十三条"),
        copy_doc(
            "集中空调通风系统卫生检测或者评价报告", "《公共场所卫生管理条例实施细则》第二十三条"
        ),
    ),
    situations=(
        Sit(
            "是否使用集中空调通风系统？",
            (Opt("否"), Opt("是", adds=("集中空调通风系统卫生检测或者评价报告",))),
        ),
    ),
    result="公共场所卫生许可证",
    licence_type="公共场所卫生许可证",
    place=DISTRICT_HALL,
    process=process(SINGLE, commitment=True),
    commitment_text=commitment(
        "公共场所卫生许可",
        "本场所布局和卫生设施符合卫生标准，卫生管理制度健全，从业人员均持有健康合格证明",
    ),
)

_item(
    department="lx_spj",
    level=COUNTY,
    name="出版物零售业务许可",
    item_type=LICENSING,
    description="单位和个体工商户从事出版物零售业务，取得出版物经营许可证；实行告知承诺，当场作出决定。",
    keywords="书店 出版物零售 图书 出版物经营许可证",
    objects=(ENTERPRISE, PERSON),
    legal=(
        law("《出版管理条例》", "第三十五条"),
        law("《出版物市场管理规定》"),
    ),
    conditions="已经取得营业执照；有固定的经营场所。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=1,
    materials=(
        application("出版物经营许可申请表"),
        licence(),
        doc("出版物零售告知承诺书", core=True),
        later("经营场所使用证明"),
    ),
    result="出版物经营许可证",
    licence_type="出版物经营许可证",
    place=DISTRICT_HALL,
    process=process(SINGLE, commitment=True),
    commitment_text=commitment("出版物零售业务许可", "本单位已取得营业执照并有固定的经营场所"),
)

_item(
    department="lx_spj",
    level=COUNTY,
    name="小餐饮经营许可",
    item_type=LICENSING,
    description="有固定经营场所、从业人员少、条件简单的小餐饮经营者申请小餐饮经营许可证，当场办结。",
    keywords="小餐饮 小吃店 早餐店 小饭馆",
    objects=(PERSON, ENTERPRISE),
    legal=(
        law("《中华人民共和国食品安全法》", "第三十六条"),
        law("《山东省食品小作坊小餐饮和食品摊点管理条例》"),
    ),
    conditions="有固定经营场所；经营场所面积和从业人员数量符合本省小餐饮规定；有与经营品种相适应的设施设备。",
    case_kind=INSTANT,
    legal_days=10,
    promised_days=0,
    materials=(
        application("小餐饮经营许可申请表"),
        id_card("经营者"),
        site_certificate(),
        doc("食品安全承诺书", core=True),
        copy_doc("从业人员健康证明"),
    ),
    result="小餐饮经营许可证",
    licence_type="小餐饮经营许可证",
    place=DISTRICT_HALL,
    process=process(SINGLE),
)

_item(
    department="lx_spj",
    level=COUNTY,
    name="娱乐场所经营许可",
    item_type=LICENSING,
    description="设立歌舞、游艺娱乐场所申请娱乐场所经营许可；取得许可后向公安部门备案。",
    keywords="KTV 歌舞厅 游艺厅 娱乐经营许可证",
    objects=(ENTERPRISE,),
    legal=(
        law("《娱乐场所管理条例》", "第九条"),
        law("《娱乐场所管理条例》", "第十一条"),
    ),
    conditions="场所位置符合规定（不得设在居民楼、博物馆等建筑内，距学校等规定距离以上）；"
    "投资人员、拟任法定代表人和其他负责人没有不得从事娱乐场所经营活动的情形。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=10,
    materials=(
        application("娱乐场所经营许可申请表"),
        licence(),
        id_card("投资人员、拟任法定代表人和其他负责人"),
        pdf("娱乐场所平面示意图及营业面积、包厢数量说明", core=True),
        later("场所使用证明（产权证明或者租赁合同）"),
    ),
    result="娱乐经营许可证",
    licence_type="娱乐经营许可证",
    visits=1,
    place=DISTRICT_HALL,
    process=process(REVIEW, inspection=True),
)

_item(
    department="lx_spj",
    level=COUNTY,
    name="烟花爆竹经营（零售）许可",
    item_type=LICENSING,
    description="在规定的时间和地点零售烟花爆竹，申请烟花爆竹经营（零售）许可证。",
    keywords="烟花爆竹 鞭炮 零售许可",
    objects=(ENTERPRISE, PERSON),
    legal=(
        law("《烟花爆竹安全管理条例》", "第十八条"),
        law("《烟花爆竹安全管理条例》", "第十九条"),
        law("《烟花爆竹经营许可实施办法》"),
    ),
    conditions="主要负责人经过安全知识教育；实行专店或者专柜销售，设专人负责安全管理；"
    "经营场所配备必要的消防器材，张贴明显的安全警示标志；符合本市烟花爆竹零售网点布局规划。",
    case_kind=PROMISED,
    legal_days=20,
    promised_days=5,
    materials=(
        application("烟花爆竹经营（零售）许可证申请书"),
        licence(),
        copy_doc("主要负责人和安全管理人员安全知识培训合格证明", core=True),
        site_certificate("零售场所"),
        later("零售场所平面图及消防器材配备说明"),
    ),
    result="烟花爆竹经营（零售）许可证",
    licence_type="烟花爆竹经营（零售）许可证",
    visits=1,
    place=DISTRICT_HALL,
    process=process(SINGLE, inspection=True),
)


# --- Instant-approval rule sets (秒批规则集) ----------------------------------------------------------
# The three 秒批 items above name these keys. The inputs (docs/instant-rules.md): the applicant's
# kind, age and household division code from the population register, and ``form``: the fields of
# the application, including what the item's guide says is fetched from a registry (缴费记录 …).
# Rows are tried from the top; the first that matches decides; when none does, a person decides.

_JINAN = 'startsWith($, "3701")'  # a 济南 household: division codes 3701xx(xxxxxx)
_COLUMNS_PERSON = (
    ("kind", "申请人类型", "applicant.kind"),
    ("age", "年龄", "applicant.age"),
    ("division", "户籍地行政区划", "applicant.division_code"),
)

# (key, name, input columns as (id, 名称, expression), rows tried from the top).
INSTANT_RULE_SETS: tuple[
    tuple[str, str, tuple[tuple[str, str, str], ...], tuple[Rule, ...]], ...
] = (
    (
        "elderly-allowance-v1",
        "高龄津贴申领秒批规则",
        (*_COLUMNS_PERSON, ("similar", "已领取同类津贴", "form.receiving_similar_allowance")),
        (
            Rule(
                "age-unknown",
                REFER,
                "未能从户籍信息取得您的出生日期，转由工作人员核实。",
                {"age": "$ == null"},
            ),
            Rule(
                "under-80",
                REJECT,
                "高龄津贴发放对象为年满八十周岁的老年人，您尚未年满八十周岁。",
                {"age": "< 80"},
            ),
            Rule(
                "not-jinan",
                REJECT,
                "高龄津贴由户籍所在地发放，您的户籍不在济南市，请向户籍所在地民政部门申请。",
                {"division": f"not({_JINAN})"},
            ),
            Rule(
                "already-receiving",
                REJECT,
                "您已在领取同类津贴，不能重复申领。",
                {"similar": "true"},
            ),
            Rule(
                "eligible",
                APPROVE,
                "您年满八十周岁、户籍在济南市且未领取同类津贴，符合高龄津贴发放条件，自次月起按月发放。",
                {"kind": '"person"', "age": ">= 80", "division": _JINAN, "similar": "false"},
            ),
        ),
    ),
    (
        "resident-pension-v1",
        "城乡居民基本养老保险待遇申领秒批规则",
        (
            *_COLUMNS_PERSON,
            ("years", "累计缴费年限", "form.contribution_years"),
            ("other", "已领取其他基本养老保障待遇", "form.receiving_other_pension"),
        ),
        (
            Rule(
                "age-unknown",
                REFER,
                "未能从户籍信息取得您的出生日期，转由工作人员核实。",
                {"age": "$ == null"},
            ),
            Rule(
                "under-60",
                REJECT,
                "城乡居民基本养老保险待遇自年满 60 周岁起领取，您尚未年满 60 周岁。",
                {"age": "< 60"},
            ),
            Rule(
                "not-jinan",
                REJECT,
                "城乡居民基本养老保险在户籍所在地参保领取，您的户籍不在济南市，请向户籍所在地社会保险经办机构申请。",
                {"division": f"not({_JINAN})"},
            ),
            Rule(
                "other-pension",
                REJECT,
                "您已领取国家规定的其他基本养老保障待遇，不能同时领取城乡居民基本养老保险待遇。",
                {"other": "true"},
            ),
            Rule(
                "under-15-years",
                REJECT,
                "累计缴费不满 15 年：可按规定延长缴费或一次性补缴至满 15 年后再申请。",
                {"years": "< 15"},
            ),
            Rule(
                "eligible",
                APPROVE,
                "您年满 60 周岁、累计缴费满 15 年且未领取其他基本养老保障待遇，核定按月领取城乡居民基本养老保险待遇。",
                {
                    "kind": '"person"',
                    "age": ">= 60",
                    "division": _JINAN,
                    "years": ">= 15",
                    "other": "false",
                },
            ),
        ),
    ),
    (
        "unemployment-benefit-v1",
        "失业保险金申领秒批规则",
        (
            ("kind", "申请人类型", "applicant.kind"),
            ("months", "累计缴纳失业保险费月数", "form.contribution_months"),
            ("separation", "中断就业原因", "form.separation_reason"),
            ("registered", "已办理失业登记", "form.unemployment_registered"),
            ("seeking", "有求职要求", "form.job_seeking"),
        ),
        (
            Rule(
                "under-12-months",
                REJECT,
                "失业前用人单位和本人缴纳失业保险费不满一年，不符合领取失业保险金的条件。",
                {"months": "< 12"},
            ),
            Rule(
                "resigned",
                REJECT,
                "本人主动辞职不属于非因本人意愿中断就业，不能领取失业保险金。",
                {"separation": '"resigned"'},
            ),
            Rule(
                "not-registered",
                REJECT,
                "请先办理失业登记并提出求职要求，再申领失业保险金。",
                {"registered": "false"},
            ),
            Rule(
                "not-seeking",
                REJECT,
                "领取失业保险金须有求职要求；请在失业登记时登记求职意向后再申领。",
                {"seeking": "false"},
            ),
            Rule(
                "eligible",
                APPROVE,
                "您失业前缴费满一年、非因本人意愿中断就业、已办理失业登记并有求职要求，核定按月领取失业保险金。",
                {
                    "kind": '"person"',
                    "months": ">= 12",
                    # 劳动合同期满终止；用人单位解除（含开除、除名、辞退）；用人单位过错迫使解除。
                    "separation": '"contract_expired", "employer_terminated", "employer_fault"',
                    "registered": "true",
                    "seeking": "true",
                },
            ),
        ),
    ),
)


def demo_rule_sets_load() -> int:
    """Create the demo rule sets not there yet (before the items that name them are published)."""
    from quanban.catalogue.models import InstantRuleSet
    from quanban.catalogue.rules import decision_table, rule_set_create

    created = 0
    for key, name, columns, rules in INSTANT_RULE_SETS:
        if InstantRuleSet.objects.filter(key=key).exists():
            continue
        content = decision_table(name=name, columns=columns, rules=rules)
        rule_set_create(user=None, key=key, name=name, content=content)
        created += 1
    return created


# --- The document ---------------------------------------------------------------------------------


def _material_document(seq: int, material: Mat, situational: bool) -> dict[str, Any]:
    return {
        "seq": seq,
        "name": material.name,
        "form": material.form,
        "original_count": material.originals,
        "copy_count": material.copies,
        "necessity": material.necessity,
        "is_core": material.core,
        "source": material.source,
        "source_ref": material.source_ref,
        "legal_basis": material.basis,
        "is_proof": material.proof is not None,
        "retained_proof": material.proof,
        "situational": situational,
        "notes": material.notes,
    }


def _seqs(names: Iterable[str], by_name: dict[str, int], item: str) -> list[int]:
    try:
        return [by_name[name] for name in names]
    except KeyError as error:  # a typo in the data, caught when the document is built
        raise ValueError(f"{item}: situation names unknown material {error}") from None


def _item_document(item: Item, basic_code: str, departments: dict[str, str]) -> dict[str, Any]:
    by_name = {material.name: seq for seq, material in enumerate(item.materials, start=1)}
    if len(by_name) != len(item.materials):
        raise ValueError(f"{item.name}: two materials share a name")
    added = {name for sit in item.situations for opt in sit.options for name in opt.adds}
    uscc = departments[item.department]
    proc = dict(item.process)
    proc["co_review_departments"] = [departments[key] for key in proc["co_review_departments"]]
    return {
        "basic_code": basic_code,
        "implementation_code": uscc + item.level + basic_code,
        "implementing_department": uscc,
        "state": "published",
        "valid_from": VALID_FROM,
        "valid_until": None,
        "name": item.name,
        "short_description": item.description,
        "keywords": item.keywords,
        "item_type": item.item_type,
        "exercise_level": item.level,
        "service_objects": list(item.objects),
        "co_departments": [departments[key] for key in item.co],
        "legal_basis": list(item.legal),
        "acceptance_conditions": item.conditions,
        "handling_forms": list(item.forms),
        "case_kind": item.case_kind,
        "legal_limit_days": item.legal_days,
        "promised_limit_days": item.promised_days,
        "visits_required": item.visits,
        "online_depth": item.depth,
        "fees": list(item.fees),
        "result_name": item.result,
        "result_licence_type": item.licence_type,
        "handling_place": item.place,
        "handling_hours": item.hours,
        "consult_phone": PHONE,
        "supervise_phone": PHONE,
        "faq": list(item.faq),
        "agent_service": item.agent,
        "process": proc,
        "commitment_text": item.commitment_text,
        "materials": [
            _material_document(seq, material, material.name in added)
            for seq, material in enumerate(item.materials, start=1)
        ],
        "situations": [
            {
                "seq": sit_seq,
                "question": sit.question,
                "options": [
                    {
                        "seq": opt_seq,
                        "label": opt.label,
                        "adds_materials": _seqs(opt.adds, by_name, item.name),
                        "removes_materials": _seqs(opt.removes, by_name, item.name),
                        "adds_conditions": opt.conditions,
                    }
                    for opt_seq, opt in enumerate(sit.options, start=1)
                ],
            }
            for sit_seq, sit in enumerate(item.situations, start=1)
        ],
    }


def demo_catalogue_document() -> dict[str, Any]:
    """The demo catalogue as one interchange document (docs/catalogue-json.md)."""
    departments = department_codes()
    sequence: dict[str, int] = {}
    items = []
    for item in ITEMS:
        sequence[item.department] = sequence.get(item.department, 0) + 1
        # Department prefix (3) + item type (2) + sequence (3) + sub-item (4): 12 digits.
        basic_code = (
            f"{_PREFIX[item.department]}{item.item_type}{sequence[item.department]:03d}0000"
        )
        items.append(_item_document(item, basic_code, departments))
    return {
        "format": "quanban-catalogue",
        "version": 1,
        "retained_proofs": [{**entry, "is_active": True} for entry in RETAINED_PROOFS],
        "items": items,
    }


def demo_catalogue_load() -> int:
    """Import the demo catalogue; nothing when the catalogue already has items. Items created."""
    from quanban.catalogue.interchange import catalogue_import
    from quanban.catalogue.models import ServiceItem

    if ServiceItem.objects.exists():
        return 0
    demo_rule_sets_load()  # publishing an instant-approval item needs its rule set
    # A system import (no user): the demo loader acts for the installation, as the command line does.
    report = catalogue_import(user=None, document=demo_catalogue_document())
    return report.items_created
