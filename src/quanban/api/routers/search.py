"""Public search over the published catalogue (事项搜索)."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from quanban.api.types import MAX_ID, NO_NUL
from quanban.searchindex.query import MAX_LIMIT, search

router = Router()

Level = Literal["1", "2", "3", "4", "5", "6", "7"]
MatchedField = Literal["name", "keywords", "department", "materials"]


class SearchIn(Schema):
    # Bounded generously here; the search itself refuses more than 50 characters with a message.
    q: str = Field("", max_length=200, pattern=NO_NUL, description="搜索词：中文、拼音或拼音首字母")
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description=f"Hits to return (1–{MAX_LIMIT}).")
    department: int | None = Field(None, ge=1, le=MAX_ID, description="实施部门 id")
    level: Level | None = Field(None, description="行使层级 code (1 国家级 … 6 村(社区)级, 7 分级)")


class HitOut(Schema):
    item_id: int
    version_id: int
    name: str
    department_id: int
    department_name: str
    level: str
    score: float = Field(description="relevance: field weights of matched terms + frequency")
    matched: list[MatchedField] = Field(
        description="the fields the query matched, for highlighting"
    )


class SearchOut(Schema):
    query: str
    hits: list[HitOut]


@router.get("", response=SearchOut, auth=None, summary="Search items / 搜索办事事项")
def search_items(request: HttpRequest, params: Query[SearchIn]) -> SearchOut:
    hits = search(params.q, limit=params.limit, department=params.department, level=params.level)
    return SearchOut(
        query=params.q,
        hits=[
            HitOut(
                item_id=h.item_id,
                version_id=h.version_id,
                name=h.name,
                department_id=h.department_id,
                department_name=h.department_name,
                level=h.level,
                score=h.score,
                matched=list(h.matched),  # type: ignore[arg-type]
            )
            for h in hits
        ],
    )
