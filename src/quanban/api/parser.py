"""Request parsing that refuses NUL characters anywhere in the input.

No text in this platform legitimately contains U+0000, and PostgreSQL cannot store it: letting one
through turns a typo or a fuzzer into a server error deep inside a service. One check here covers
every body and query string of every router, whatever its schemas say.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser
from ninja.types import DictStrAny


class NulCharacter(ValueError):
    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


def _reject_nul(value: Any, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise NulCharacter(where)
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(key, where)
            _reject_nul(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for item in value:
            _reject_nul(item, where)


class NulSafeParser(Parser):
    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = super().parse_body(request)
        _reject_nul(data, "")
        return data

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        result = super().parse_querydict(data, list_fields, request)
        _reject_nul(result, "")
        return result
