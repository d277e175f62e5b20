"""The baseline of bench/http_submit.py: a bare Django view doing the submission's inserts.

Mounted only by the benchmark's second server (``bench.bare_settings``); nothing in the product
routes here. The view does what any submission endpoint must do at the least, written plainly
with the ORM and no service layer: find the bearer token's user (one query, as the API's
``BearerToken`` does), read the item's materials, then in one transaction insert the Case row,
its CaseMaterial rows (received) and one audit-like row (the audit table's columns and indexes,
``bench_bare_audit``, but no hash chain), and answer a small JSON body. No idempotency key, no
case number, no rules, no outbox, no state machine: what the ratio to Quanban measures is what
those cost, together with the API layer's validation and its fuller answer.
"""

from __future__ import annotations

import hashlib
import json

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from quanban.accounts.models import ApiToken
from quanban.cases.models import Case, CaseMaterial
from quanban.catalogue.models import Material
from quanban.core import clock

AUDIT_TABLE = "bench_bare_audit"


def ping(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


@csrf_exempt
def submit(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return JsonResponse({"detail": "POST only"}, status=405)
    authorization = request.headers.get("Authorization", "")
    token = authorization.removeprefix("Bearer ").strip()
    found = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hashlib.sha256(token.encode()).hexdigest(), revoked_at__isnull=True)
        .first()
    )
    if found is None:
        return JsonResponse({"detail": "unauthorized"}, status=401)
    user = found.user
    body = json.loads(request.body)
    version_id = int(body["item_version_id"])
    material_ids = list(
        Material.objects.filter(version_id=version_id).order_by("seq").values_list("pk", flat=True)
    )
    person_id = user.person.pk  # type: ignore[attr-defined]
    now = clock.now()
    with transaction.atomic():
        case = Case.objects.create(
            item_version_id=version_id,
            person_id=person_id,
            channel=str(body.get("channel", "1")),
            state=Case.State.RECEIVED,
            submitted_by=user,
            answers={},
            form_data=body.get("form") or {},
            received_at=now,
            created_at=now,
            updated_at=now,
        )
        CaseMaterial.objects.bulk_create(
            CaseMaterial(
                case=case,
                material_id=material_id,
                received=True,
                received_at=now,
                source=CaseMaterial.Source.REUSED,
            )
            for material_id in material_ids
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {AUDIT_TABLE} (seq, at, actor_id, actor_name, actor_role,"
                " org_unit_id, ip, channel, action, object_type, object_id, result, changes,"
                " prev_hash, hash) VALUES (nextval('bench_bare_audit_seq'), %s, %s, %s, '', NULL,"
                " %s, 'api', 'case.submit', 'cases.case', %s, 'ok', %s::jsonb, '',"
                " lpad(currval('bench_bare_audit_seq')::text, 64, '0'))",
                [
                    now,
                    user.pk,
                    user.get_username(),
                    request.META.get("REMOTE_ADDR"),
                    str(case.pk),
                    json.dumps({"materials": material_ids}),
                ],
            )
    return JsonResponse({"id": case.pk, "state": case.state, "version": case.version}, status=201)


urlpatterns = [
    path("bare/ping", ping),
    path("bare/submit", submit),
]
