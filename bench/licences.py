"""Licences: verification end to end and issuing with the PDF, beside the seal library's raw rates.

- ``verify_per_s`` / ``verify_p95_ms``: ``licence_verify(identifier)`` on one core (this process):
  parse the identifier and check its MOD 37,36 character, load the row (one query), verify the
  SM2 seal over the stored canonical data, compare the columns with what was signed, work out the
  status of the day. Targets: ≥ 500 a second per core, p95 < 20 ms.
- ``raw_sm2_verify_per_s``: the same SM2/SM3 signature verified by tongsuopy alone, measured in
  the same run: what the library allows. ``row_load_per_s`` is the row's load alone (the one
  query and its model instance): on PostgreSQL a round trip to the server, which is where a
  loaded machine's time goes.
  ``raw_ed25519_verify_per_s`` is the configurable alternative's.
- ``issue_pdf_ms_p50`` / ``_p95``: ``licence_issue`` (serial, SM2 signature, insert, audit) plus
  ``licence_pdf`` (the A4 page with QR code and seal) for one approved case. Target < 300 ms.

The cases themselves are made beforehand through the case services (not timed).
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

from bench.harness import Result, latencies_ms, on_reference_day, rate

SIZES = {
    "quick": {"licences": 120, "verifications": 3_000},
    "full": {"licences": 600, "verifications": 20_000},
}


def _world() -> dict[str, Any]:
    from quanban.accounts import services as accounts
    from quanban.accounts.demo import department_uscc
    from quanban.accounts.roles import Role
    from quanban.catalogue import services as catalogue
    from quanban.licences import seals
    from quanban.licences.services import licence_type_create

    city = accounts.org_unit_create(kind="city", name="济南市", division_code="370100")
    department = accounts.org_unit_create(
        kind="department",
        name="济南市行政审批服务局",
        uscc=department_uscc(0, "370100"),
        parent=city,
    )
    hall = accounts.org_unit_create(kind="hall", name="济南市民中心", parent=city)
    window = accounts.org_unit_create(kind="window", name="综合受理窗口 1", parent=hall)
    admin = accounts.staff_create(
        username="secadmin",
        display_name="安全管理员",
        password="Quanban#2026",
        department=department,
    )
    accounts.bootstrap_admin_grant(user=admin, role=Role.SECURITY_ADMIN, org_unit=city)
    clerk = accounts.staff_create(
        username="clerk01", display_name="王丽", password="Quanban#2026", department=department
    )
    accounts.role_grant(granted_by=admin, user=clerk, role=Role.WINDOW_CLERK, org_unit=hall)
    seals.seal_key_create(department_code=department.uscc, algorithm_name="sm2")
    licence_type_create(
        code=department.uscc + "001",
        name="食品经营许可证",
        defining_body="国家市场监督管理总局",
        defining_department=department,
        holder_kind="001",
        fields_schema={
            "type": "object",
            "properties": {
                "经营者名称": {"type": "string", "x-source": "holder.name", "x-public": True},
                "法定代表人": {"type": "string", "x-source": "holder.legal_representative"},
                "经营场所": {"type": "string", "x-public": True},
                "主体业态": {"type": "string", "x-public": True},
                "经营项目": {"type": "string", "x-source": "case.decision_text"},
            },
            "required": ["经营者名称", "经营场所", "主体业态"],
        },
        validity_years=5,
    )
    version = catalogue.item_create(
        user=None,
        implementing_department=department,
        basic_code="000000000001",
        exercise_level="3",
        name="食品经营许可（即办）",
        item_type="01",
        case_kind="1",
        legal_limit_days=0,
        promised_limit_days=0,
        legal_basis=[{"law": "《中华人民共和国食品安全法》", "article": "第三十五条"}],
        handling_forms=["1"],
        service_objects=["2"],
        result_licence_type="食品经营许可证",
    )
    catalogue.material_add(
        user=None, version=version, name="食品经营许可申请书", form="4", necessity="1", source="10"
    )
    catalogue.version_submit(user=None, version=version)
    version = catalogue.version_publish(user=None, version=version)
    return {"clerk": clerk, "window": window, "version": version, "department": department}


def _approved_case(world: dict[str, Any], n: int) -> Any:
    from quanban.accounts import services as accounts
    from quanban.cases import services as cases
    from quanban.cases.models import Channel
    from quanban.core.identifiers import uscc_check_digit

    body = f"91370100MA{n:07d}"[:17]
    entity = accounts.entity_register(
        name=f"济南示例餐饮有限公司{n}",
        uscc=body + uscc_check_digit(body),
        legal_representative="王五",
    )
    case = cases.case_receive(
        user=world["clerk"],
        item_version=world["version"],
        applicant=entity,
        channel=Channel.OFFLINE_ONE_WINDOW,
        answers={},
        window=world["window"],
        form_data={
            "经营场所": f"济南市历下区泉城路 {n} 号",
            "主体业态": "餐饮服务经营者（小型餐饮）",
        },
    )
    return cases.case_finish_on_the_spot(
        user=world["clerk"],
        case=case,
        decision_text="预包装食品（含冷藏冷冻食品）销售；热食类食品制售",
        received_material_ids=list(case.materials.values_list("material_id", flat=True)),
    )


def _raw_rates(licence: Any, n: int) -> dict[str, float]:
    from quanban.licences import seals

    data = licence.canonical.encode()
    sm2 = seals.algorithm("sm2")
    key = seals._public_key(str(seals.seal_dir()), licence.issuer.uscc, licence.seal_key_id)
    signature = seals.unb64(licence.signature)
    assert sm2.verify(key, signature, data)
    ed = seals.algorithm("ed25519")
    private_pem, public_pem = ed.generate()
    ed_private, ed_public = ed.load_private(private_pem), ed.load_public(public_pem)
    ed_signature = ed.sign(ed_private, data)
    sm2_private = seals._private_key(
        str(seals.seal_dir()), licence.issuer.uscc, licence.seal_key_id
    )
    return {
        "raw_sm2_verify_per_s": rate(lambda: sm2.verify(key, signature, data), n=n),
        "raw_sm2_sign_per_s": rate(lambda: sm2.sign(sm2_private, data), n=n),
        "raw_ed25519_verify_per_s": rate(lambda: ed.verify(ed_public, ed_signature, data), n=n),
    }


def run(size: str) -> Result:
    from django.db import reset_queries

    from quanban.licences.pdf import licence_pdf
    from quanban.licences.selectors import _load, licence_verify
    from quanban.licences.services import licence_issue

    plan = SIZES[size]
    with on_reference_day():
        world = _world()
        cases = [_approved_case(world, n) for n in range(1, plan["licences"] + 1)]
        issue_ms: list[float] = []
        pdf_bytes: list[int] = []
        licences = []
        for case in cases:
            start = time.perf_counter()
            licence = licence_issue(case=case, user=None)
            content = licence_pdf(licence, base_url="https://zwfw.jinan.gov.cn")
            issue_ms.append((time.perf_counter() - start) * 1000)
            pdf_bytes.append(len(content))
            licences.append(licence)
        issue_ms.sort()
        identifiers = [licence.identifier for licence in licences]
        rng = random.Random(20260615)
        picks = iter(rng.choice(identifiers) for _ in range(10 * plan["verifications"]))

        def verify_one() -> None:
            result = licence_verify(next(picks))
            assert result.result == "valid", result

        def load_one() -> None:
            assert _load(next(picks)) is not None

        reset_queries()
        verify_rate = rate(verify_one, n=plan["verifications"] // 3, rounds=3)
        load_rate = rate(load_one, n=plan["verifications"] // 3, rounds=3)
        verify_latency = latencies_ms(verify_one, n=plan["verifications"] // 3)
        raw = _raw_rates(licences[0], plan["verifications"])

    figures = {
        "verify_per_s": round(verify_rate, 1),
        "verify_p50_ms": round(verify_latency["p50_ms"], 3),
        "verify_p95_ms": round(verify_latency["p95_ms"], 3),
        "row_load_per_s": round(load_rate, 1),
        "raw_sm2_verify_per_s": round(raw["raw_sm2_verify_per_s"], 1),
        "raw_sm2_sign_per_s": round(raw["raw_sm2_sign_per_s"], 1),
        "raw_ed25519_verify_per_s": round(raw["raw_ed25519_verify_per_s"], 1),
        "issue_pdf_ms_p50": round(statistics.median(issue_ms), 2),
        "issue_pdf_ms_p95": round(issue_ms[int(len(issue_ms) * 0.95) - 1], 2),
        "issue_pdf_ms_max": round(issue_ms[-1], 2),
    }
    met = figures["verify_per_s"] >= 500 and figures["verify_p95_ms"] < 20
    met_issue = figures["issue_pdf_ms_p95"] < 300
    return Result(
        name="licences",
        size=size,
        figures=figures,
        data={
            "licences": len(licences),
            "verifications": plan["verifications"],
            "pdf_bytes_mean": int(statistics.mean(pdf_bytes)),
        },
        summary=(
            f"verify {verify_rate:,.0f}/s p95 {verify_latency['p95_ms']:.2f} ms "
            f"(raw SM2 verify {raw['raw_sm2_verify_per_s']:,.0f}/s) "
            f"[{'met' if met else 'NOT met'}]; issue+PDF p95 {figures['issue_pdf_ms_p95']:.0f} ms "
            f"[{'met' if met_issue else 'NOT met'}]"
        ),
        details={"targets": {"verify_per_s": 500, "verify_p95_ms": 20, "issue_pdf_ms": 300}},
    )
