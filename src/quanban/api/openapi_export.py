"""The committed OpenAPI document: one canonical rendering, so a diff means the API changed."""

from __future__ import annotations

import json

from quanban.api.api import api

API_PATH_PREFIX = "/api/v1/"


def openapi_document() -> str:
    """The schema as stable JSON: sorted keys, two-space indent, UTF-8 text, trailing newline."""
    schema = api.get_openapi_schema(path_prefix=API_PATH_PREFIX)
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
