"""Catalogue test helpers: items built through the real services, publishable unless told."""

from __future__ import annotations

from typing import Any

from quanban.accounts import services as accounts
from quanban.accounts.models import OrgUnit
from quanban.catalogue import services
from quanban.catalogue.models import ItemVersion, RetainedProof, ServiceItem
from tests import factories

_serial = iter(range(1, 10**6))


def basic_code() -> str:
    return f"{next(_serial):012d}"


def item_fields(**overrides: Any) -> dict[str, Any]:
    """Everything a publishable promised item needs (the codes come from the department)."""
    fields: dict[str, Any] = {
        "basic_code": basic_code(),
        "exercise_level": "3",
        "name": "食品经营许可",
        "item_type": "01",
        "case_kind": "2",
        "legal_limit_days": 20,
        "promised_limit_days": 5,
        "legal_basis": [{"law": "《中华人民共和国食品安全法》", "article": "第三十五条"}],
        "handling_forms": ["1", "2"],
        "service_objects": ["2"],
    }
    fields.update(overrides)
    return fields


def draft(department: OrgUnit, *, user: Any = None, **overrides: Any) -> ItemVersion:
    """A draft version 1 of a new item, with one required material (seq 1)."""
    version = services.item_create(
        user=user, implementing_department=department, **item_fields(**overrides)
    )
    services.material_add(
        user=user,
        version=version,
        name="食品经营许可申请书",
        form="4",
        necessity="1",
        source="10",
        original_count=1,
        is_core=True,
    )
    return version


def submitted(department: OrgUnit, **overrides: Any) -> ItemVersion:
    return services.version_submit(user=None, version=draft(department, **overrides))


def published(department: OrgUnit, **overrides: Any) -> ItemVersion:
    return services.version_publish(user=None, version=submitted(department, **overrides))


def parallel_published(
    city: Any, *, uscc_from: int, **overrides: Any
) -> tuple[list[OrgUnit], ItemVersion]:
    """Two departments of the city and a published parallel (并联审批) item of ``city.department``
    that they co-review (``uscc_from``: the serial of the first one's code)."""
    departments = [
        accounts.org_unit_create(
            kind="department", name=name, uscc=factories.valid_uscc(uscc_from + n), parent=city.city
        )
        for n, name in enumerate(("济南市自然资源和规划局", "济南市住房和城乡建设局"))
    ]
    version = published(
        city.department,
        process={"kind": "parallel", "co_review_departments": [d.uscc for d in departments]},
        promised_limit_days=10,
        **overrides,
    )
    return departments, version


def proof(code: str = "JN-ZM-001", *, active: bool = True) -> RetainedProof:
    return RetainedProof.objects.create(
        code=code,
        name="出生医学证明",
        issuing_body="助产机构",
        legal_basis="《中华人民共和国母婴保健法》第二十三条",
        is_active=active,
    )


def state_of(item: ServiceItem) -> list[tuple[int, str]]:
    """(number, state) of every version of the item: what a denial must leave unchanged."""
    return list(
        ItemVersion.objects.filter(item=item).order_by("number").values_list("number", "state")
    )
