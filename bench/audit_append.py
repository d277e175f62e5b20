"""Audited writes: the hash-chained audit append beside a plain insert of the same row.

The figure to watch is ``ratio`` (audited appends per second ÷ plain inserts per second): what the
chain (row lock on the head, SM3 over the canonical record) costs every service write.
"""

from __future__ import annotations

from django.db import transaction

from bench.harness import Result, rate
from quanban.core import clock
from quanban.core.audit import audit_record
from quanban.core.models import AuditRecord

SIZES = {"quick": 2_000, "full": 20_000}


def run(size: str) -> Result:
    n = SIZES[size]
    counter = iter(range(10**12))
    changes = {"name": ["张三", "张三丰"], "phone": ["138****5678", "139****1111"]}

    def audited() -> None:
        with transaction.atomic():
            audit_record(
                action="bench.write", object_type="bench", object_id=next(counter), changes=changes
            )

    # The baseline writes the same row without the chain: a fresh sequence far above the chain's.
    base_seq = iter(range(10**12, 2 * 10**12))

    def plain() -> None:
        with transaction.atomic():
            seq = next(base_seq)
            AuditRecord.objects.create(
                seq=seq,
                at=clock.now(),
                action="bench.write",
                object_type="bench",
                object_id=str(seq),
                changes=changes,
                prev_hash="",
                hash=f"{seq:064d}",
            )

    audited_rate = rate(audited, n=n // 3, rounds=3)
    plain_rate = rate(plain, n=n // 3, rounds=3)
    ratio = audited_rate / plain_rate
    return Result(
        name="audit_append",
        size=size,
        figures={
            "audited_writes_per_s": round(audited_rate, 1),
            "plain_inserts_per_s": round(plain_rate, 1),
            "ratio": round(ratio, 3),
        },
        data={"records": n},
        summary=(
            f"{audited_rate:,.0f} audited writes/s vs {plain_rate:,.0f} plain inserts/s "
            f"(ratio {ratio:.2f})"
        ),
    )
