"""The demo city's licence library: a licence type for every result licence the demo catalogue's
items name, a seal key for every department that issues one, and one licence in a citizen's
wallet (个体工商户设立登记 → 营业执照, issued at the window on the spot).

Types are made from the published items themselves: the item's implementing department defines
the type (its credit code + a 3-digit sequence), the holder is a person when the item serves
persons and not enterprises, an entity otherwise. The fields are generic (name, code, legal
representative, address, what was granted); validity periods below are demo values.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from quanban.accounts.models import NaturalPerson, OrgUnit, User
from quanban.cases import services as case_services
from quanban.cases.models import Channel
from quanban.catalogue import codes
from quanban.catalogue.models import ItemVersion
from quanban.core.audit import audit_record
from quanban.core.context import acting_as, actor_for_user
from quanban.core.workdays import CalendarNotCovered
from quanban.licences import seals
from quanban.licences.archives import platform_signer
from quanban.licences.models import HolderKind, LicenceType
from quanban.licences.services import licence_issue, licence_type_create

# Demo validity periods in years (None: 长期有效).
VALIDITY: dict[str, int | None] = {
    "食品经营许可证": 5,
    "小餐饮经营许可证": 3,
    "食品生产许可证": 5,
    "药品经营许可证": 5,
    "医疗机构执业许可证": 5,
    "卫生许可证": 4,
    "公共场所卫生许可证": 4,
    "排污许可证": 5,
    "危险化学品经营许可证": 3,
    "烟花爆竹经营（零售）许可证": 1,
    "道路运输经营许可证": 4,
    "网络预约出租汽车驾驶员证": 6,
    "超限运输车辆通行证": 1,
    "娱乐经营许可证": 2,
    "网络文化经营许可证": 3,
    "出版物经营许可证": 6,
    "户外广告设施设置许可证": 3,
    "居民身份证": 20,
    "机动车驾驶证": 6,
    "普通护照": 10,
    "居住证": 1,
    "民办学校办学许可证": 5,
    "人力资源服务许可证": 5,
    "商品房预售许可证": 2,
    "房地产开发企业资质证书": 3,
}
DEMO_LICENCE_ITEM = "个体工商户设立登记"

# An enterprise holder's fields, printed first on every demo licence an enterprise holds.
ENTITY_HOLDER_FIELDS: dict[str, Any] = {
    "名称": {
        "type": "string",
        "title": "名称",
        "x-source": "holder.name",
        "x-public": True,
    },
    "统一社会信用代码": {
        "type": "string",
        "title": "统一社会信用代码",
        "x-source": "holder.code",
        "x-public": True,
    },
    "法定代表人": {
        "type": "string",
        "title": "法定代表人（负责人）",
        "x-source": "holder.legal_representative",
        "x-public": True,
    },
    "住所": {"type": "string", "title": "住所（经营场所）", "x-source": "holder.address"},
}


def _schema(holder_kind: str) -> dict[str, Any]:
    if holder_kind == HolderKind.PERSON:
        properties: dict[str, Any] = {
            "姓名": {"type": "string", "title": "姓名", "x-source": "holder.name"},
            "公民身份号码": {"type": "string", "title": "公民身份号码", "x-source": "holder.code"},
            "事项": {"type": "string", "title": "事项", "x-source": "item.name", "x-public": True},
            "许可内容": {"type": "string", "title": "许可内容", "x-source": "case.decision_text"},
        }
        required = ["姓名", "公民身份号码"]
    else:
        properties = {
            **ENTITY_HOLDER_FIELDS,
            "许可内容": {
                "type": "string",
                "title": "许可内容",
                "x-source": "case.decision_text",
                "x-public": True,
            },
        }
        required = ["名称", "统一社会信用代码"]
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _holder_kind(service_objects: list[str]) -> str:
    person = codes.ServiceObject.PERSON.value
    enterprise = codes.ServiceObject.ENTERPRISE.value
    if person in service_objects and enterprise not in service_objects:
        return HolderKind.PERSON
    return HolderKind.ENTITY


def demo_licence_types_load() -> int:
    """A type for every (licence name, holder kind) the published items name; types created."""
    versions = (
        ItemVersion.objects.filter(state=ItemVersion.State.PUBLISHED)
        .exclude(result_licence_type="")
        .select_related("item__implementing_department")
        .order_by("pk")
    )
    seen = {(t.name, t.holder_kind) for t in LicenceType.objects.all()}
    sequence: dict[int, int] = {}
    for t in LicenceType.objects.all():
        sequence[t.defining_department_id] = max(
            sequence.get(t.defining_department_id, 0), int(t.code[-3:])
        )
    created = 0
    for version in versions:
        name = version.result_licence_type.strip()
        kind = _holder_kind(list(version.service_objects or []))
        if (name, kind) in seen:
            continue
        seen.add((name, kind))
        department = version.item.implementing_department
        sequence[department.pk] = sequence.get(department.pk, 0) + 1
        licence_type_create(
            code=f"{department.uscc}{sequence[department.pk]:03d}",
            name=name,
            defining_body=department.name,
            defining_department=department,
            holder_kind=kind,
            fields_schema=_schema(kind),
            validity_years=VALIDITY.get(name),
            layout={"title": name},
        )
        created += 1
    return created


def demo_seal_keys_load() -> int:
    """A seal key for every department whose items issue licences and that has none; made."""
    issuing = (
        ItemVersion.objects.filter(state=ItemVersion.State.PUBLISHED)
        .exclude(result_licence_type="")
        .values("item__implementing_department")
    )
    made = 0
    for department in OrgUnit.objects.filter(pk__in=issuing).order_by("pk"):
        if seals.seal_keys_list(department_code=department.uscc):
            continue
        key = seals.seal_key_create(department_code=department.uscc)
        audit_record(
            action="seal_key.create",
            obj=department,
            changes={"key_id": key.key_id, "algorithm": key.algorithm},
        )
        made += 1
    return made


def demo_platform_key_load() -> int:
    """The platform's seal key, which signs the archives of closed cases (1 when made)."""
    code = platform_signer()
    if seals.seal_keys_list(department_code=code):
        return 0
    key = seals.seal_key_create(department_code=code)
    audit_record(
        action="seal_key.create",
        object_type="platform",
        object_id=code,
        changes={"key_id": key.key_id, "algorithm": key.algorithm},
    )
    return 1


def demo_licence_issue() -> int:
    """One licence in the first demo citizen's wallet, from a 即办 case at the window."""
    version = ItemVersion.objects.filter(
        name=DEMO_LICENCE_ITEM, state=ItemVersion.State.PUBLISHED
    ).first()
    person = NaturalPerson.objects.order_by("pk").first()
    clerk = User.objects.filter(username="clerk01").first()
    if version is None or person is None or clerk is None:
        return 0
    window = OrgUnit.objects.filter(kind=OrgUnit.Kind.WINDOW, name="综合受理窗口 1").first()
    try:
        with transaction.atomic():
            with acting_as(actor_for_user(clerk)):
                case = _finished_case(clerk, version, person, window)
            # Issued for the installation, as the case runtime will at issue time.
            licence_issue(case=case, user=None)
    except CalendarNotCovered:
        return 0
    return 1


def _finished_case(clerk: User, version: ItemVersion, person: NaturalPerson, window: Any) -> Any:
    """Received and finished on the spot (即办) by the clerk, every required material handed in."""
    case = case_services.case_receive(
        user=clerk,
        item_version=version,
        applicant=person,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=window,
    )
    required = case.materials.filter(material__necessity__in=["1", "3"])
    return case_services.case_finish_on_the_spot(
        user=clerk,
        case=case,
        decision_text="个体工商户设立登记，经营范围：日用百货零售",
        received_material_ids=list(required.values_list("material_id", flat=True)),
    )


def demo_licences_load() -> dict[str, int]:
    """Types, seal keys and the demo licence; their counts."""
    types = demo_licence_types_load()
    keys = demo_seal_keys_load()
    demo_platform_key_load()  # the platform's own seal, for the archives (not a department's)
    licences = demo_licence_issue()
    return {"licence_types": types, "seal_keys": keys, "licences": licences}
