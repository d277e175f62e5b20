"""The committed openapi.json is the API as the code defines it (CI checks the same)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management import call_command

from quanban.api.openapi_export import openapi_document

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.json"


def test_committed_openapi_matches_a_fresh_export():
    fresh = openapi_document()
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    assert committed == fresh, (
        "openapi.json is out of date with the API code: run `make openapi` and commit the result."
    )


def test_export_command_writes_the_same_document(tmp_path, capsys):
    target = tmp_path / "openapi.json"
    call_command("openapi", "-o", str(target))
    assert target.read_text(encoding="utf-8") == openapi_document()
    call_command("openapi")
    assert capsys.readouterr().out == openapi_document()


def test_document_is_sorted_and_keeps_chinese_readable():
    document = openapi_document()
    schema = json.loads(document)
    assert list(schema) == sorted(schema)
    assert "组织机构列表" in document
    assert schema["paths"]["/api/v1/org/units"]["get"]["summary"].endswith("组织机构列表")


def test_served_schema_has_the_same_paths(client):
    served = client.get("/api/v1/openapi.json").json()
    assert sorted(served["paths"]) == sorted(json.loads(openapi_document())["paths"])
