"""一业一证 over JSON: the published industry themes (public) and, for catalogue staff of the lead
department, creating and publishing a theme (docs/catalogue.md)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status

from quanban.accounts.models import User
from quanban.accounts.roles import Perm
from quanban.api.routers.catalogue import (
    DepartmentOut,
    LevelCode,
    MaterialOut,
)
from quanban.api.types import MAX_ID, NO_NUL, BodyId
from quanban.catalogue import selectors, theme_selectors, themes
from quanban.catalogue.models import IndustryTheme, ItemVersion

router = Router()

ThemeCode = Annotated[
    str,
    Path(..., min_length=1, max_length=50, pattern=r"^[a-z0-9][a-z0-9-]*$"),
]


class ThemePartOut(Schema):
    item_id: int
    version_id: int
    name: str
    implementing_department: DepartmentOut
    licence_type: str = Field(..., description="The licence the bundled item issues.")


class ThemeOut(Schema):
    code: str
    name: str
    description: str
    lead_department: DepartmentOut
    licence_type: str = Field(..., description="The comprehensive licence type (综合许可证).")
    item_id: int | None = Field(None, description="The theme's own item (apply to it).")
    version_id: int | None = Field(None, description="Its published version; null before.")
    co_review_departments: list[str] = Field(default_factory=list)
    parts: list[ThemePartOut] = Field(default_factory=list)

    @staticmethod
    def of(theme: IndustryTheme, version: ItemVersion | None) -> ThemeOut:
        parts = theme_selectors.version_parts(version) if version is not None else []
        return ThemeOut(
            code=theme.code,
            name=theme.name,
            description=theme.description,
            lead_department=DepartmentOut.of(theme.lead_department),
            licence_type=theme.licence_type,
            item_id=theme.item_id,
            version_id=version.pk if version is not None else None,
            co_review_departments=list(
                (version.process or {}).get("co_review_departments", []) if version else []
            ),
            parts=[
                ThemePartOut(
                    item_id=part.item_id,
                    version_id=part.pk,
                    name=part.name,
                    implementing_department=DepartmentOut.of(part.item.implementing_department),
                    licence_type=part.result_licence_type,
                )
                for part in parts
            ],
        )


class ThemeDetailOut(ThemeOut):
    materials: list[MaterialOut] = Field(
        default_factory=list, description="The one combined material list (duplicates merged)."
    )


class ThemeCreateIn(Schema):
    code: str = Field(..., min_length=1, max_length=50, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(..., min_length=1, max_length=100, pattern=NO_NUL)
    description: str = Field("", max_length=2000, pattern=NO_NUL)
    lead_department_id: BodyId
    basic_code: str = Field(..., pattern=r"^[0-9]{12}$")
    exercise_level: LevelCode
    licence_type: str = Field(..., min_length=1, max_length=40, pattern=NO_NUL)
    item_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(..., max_length=20)


@router.get("/themes", response=list[ThemeOut], auth=None, summary="一业一证 themes / 行业主题")
def theme_list(request: HttpRequest) -> list[ThemeOut]:
    rows = []
    for theme in theme_selectors.themes_published():
        version = theme_selectors.theme_published_version(theme)
        if version is not None:
            rows.append(ThemeOut.of(theme, version))
    return rows


@router.get(
    "/themes/{code}", response=ThemeDetailOut, auth=None, summary="One theme / 一业一证主题"
)
def theme_detail(request: HttpRequest, code: ThemeCode) -> ThemeDetailOut:
    theme, version = theme_selectors.theme_get_published(code=code)
    out = ThemeOut.of(theme, version)
    implementation_code = version.item.implementation_code
    materials = version.materials.select_related("retained_proof").order_by("seq")
    return ThemeDetailOut(
        **out.dict(), materials=[MaterialOut.of(m, implementation_code) for m in materials]
    )


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@router.post("/themes", response={201: ThemeOut}, summary="Create a theme / 新建行业主题")
def theme_create(request: HttpRequest, payload: ThemeCreateIn) -> Status[ThemeOut]:
    selectors.require_catalogue_perm(request.user, Perm.CATALOGUE_EDIT)
    lead = selectors.department_get(
        department_id=payload.lead_department_id, field="lead_department_id"
    )
    items = theme_selectors.items_get(item_ids=payload.item_ids)
    theme = themes.theme_create(
        user=_user(request),
        code=payload.code,
        name=payload.name,
        description=payload.description,
        lead_department=lead,
        basic_code=payload.basic_code,
        exercise_level=payload.exercise_level,
        licence_type=payload.licence_type,
        items=items,
    )
    return Status(201, ThemeOut.of(theme, None))


@router.post("/themes/{code}/publish", response=ThemeOut, summary="Publish a theme / 发布行业主题")
def theme_publish(request: HttpRequest, code: ThemeCode) -> ThemeOut:
    selectors.require_catalogue_perm(request.user, Perm.CATALOGUE_PUBLISH)
    theme = theme_selectors.theme_get(code=code)
    version = themes.theme_publish(user=_user(request), theme=theme)
    theme.refresh_from_db()
    return ThemeOut.of(theme, version)
