"""``quanban seal-keys``: create (and rotate) a department's keys, list them; audited."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from quanban.core.models import AuditRecord
from quanban.licences import seals


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("seal-keys", *args, stdout=out)
    return out.getvalue()


def test_create_then_rotate_keeps_both_and_marks_the_current(city, seal_store):
    department = city.department
    first = run("create", "--department", str(department.pk))
    second = run("create", "--department", department.uscc, "--algorithm", "ed25519")
    keys = seals.seal_keys_list(department_code=department.uscc)
    assert [(k.algorithm, k.current) for k in sorted(keys, key=lambda k: not k.current)] == [
        ("ed25519", True),
        ("sm2", False),
    ]
    current = next(k for k in keys if k.current)
    old = next(k for k in keys if not k.current)
    assert old.key_id in first and current.key_id in second
    assert (seal_store / department.uscc / "current").read_text().strip() == current.key_id
    listing = run("list", "--department", department.name).splitlines()
    assert sorted(listing) == sorted([f"* {current.key_id}  ed25519", f"  {old.key_id}  sm2"])
    records = AuditRecord.objects.filter(action="seal_key.create").order_by("seq")
    assert [r.changes["key_id"] for r in records] == [old.key_id, current.key_id]
    assert {r.actor_name for r in records} == {"quanban seal-keys"}


def test_an_unknown_department_is_refused(city, seal_store):
    with pytest.raises(CommandError):
        run("create", "--department", "不存在的部门")
    assert not seal_store.exists() or not any(seal_store.iterdir())
    assert AuditRecord.objects.filter(action="seal_key.create").count() == 0


def test_a_signature_names_its_key_and_a_foreign_key_id_does_not_verify(city, seal_key):
    data = "数据".encode()
    seal = seals.seal_sign(department_code=city.department.uscc, data=data)
    assert seal.key_id == seal_key.key_id
    assert seals.seal_verify(department_code=city.department.uscc, seal=seal, data=data)
    for key_id in ("sm2-0000000000000000", "../../etc/passwd", "ed25519-" + seal_key.key_id[4:]):
        forged = seals.Seal(key_id.split("-", 1)[0], key_id, seal.signature)
        assert not seals.seal_verify(department_code=city.department.uscc, seal=forged, data=data)
    other = seals.Seal(seal.algorithm, seal.key_id, seal.signature)
    assert not seals.seal_verify(department_code=city.other_department.uscc, seal=other, data=data)
