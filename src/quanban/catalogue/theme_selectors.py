"""Reads of 一业一证 themes: the published ones (the portal, the API), a theme for its staff,
and the bundled versions a theme version pins (the licence library issues from them). The writes
and the combined material list are in ``catalogue.themes``."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from quanban.catalogue.models import IndustryTheme, ItemVersion, ServiceItem, ThemePart
from quanban.core.errors import NotFound, ValidationFailed

State = ItemVersion.State


def themes_published() -> QuerySet[IndustryTheme]:
    """Themes whose item has a published version (the portal's 一业一证 list)."""
    return (
        IndustryTheme.objects.filter(item__versions__state=State.PUBLISHED)
        .select_related("lead_department", "item")
        .distinct()
        .order_by("code")
    )


def theme_published_version(theme: IndustryTheme) -> ItemVersion | None:
    if theme.item_id is None:
        return None
    return (
        ItemVersion.objects.filter(item_id=theme.item_id, state=State.PUBLISHED)
        .select_related("item__implementing_department")
        .first()
    )


def theme_get(*, code: str) -> IndustryTheme:
    """A theme, published or not (for catalogue staff); NotFound otherwise."""
    theme = IndustryTheme.objects.select_related("lead_department").filter(code=code).first()
    if theme is None:
        raise NotFound(_("找不到该一业一证主题。"), code="theme_not_found")
    return theme


def items_get(*, item_ids: Sequence[int]) -> list[ServiceItem]:
    """The items of these ids in the order given; an unknown id is refused naming it."""
    by_id = ServiceItem.objects.in_bulk(list(item_ids))
    missing = [pk for pk in item_ids if pk not in by_id]
    if missing:
        raise ValidationFailed(
            _("事项不存在：%(ids)s") % {"ids": "、".join(map(str, missing))},
            code="item_unknown",
            field="item_ids",
        )
    return [by_id[pk] for pk in item_ids]


def theme_get_published(*, code: str) -> tuple[IndustryTheme, ItemVersion]:
    """A published theme and its published version; NotFound otherwise."""
    theme = (
        IndustryTheme.objects.select_related("lead_department", "item").filter(code=code).first()
    )
    version = theme_published_version(theme) if theme is not None else None
    if theme is None or version is None:
        raise NotFound(_("找不到该一业一证主题。"), code="theme_not_found")
    return theme, version


def version_parts(version: ItemVersion) -> list[ItemVersion]:
    """The bundled versions a theme version was built from, in order ([] for any other item)."""
    return [
        part.part
        for part in ThemePart.objects.filter(version=version)
        .select_related("part__item__implementing_department")
        .order_by("seq")
    ]
