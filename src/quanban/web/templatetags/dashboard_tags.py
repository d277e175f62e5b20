"""Whether the signed-in person may open the dashboard (for its tile and menu entry)."""

from __future__ import annotations

from django import template

from quanban.supervision.dashboards import dashboard_may_view

register = template.Library()


@register.simple_tag
def dashboard_visible(user: object) -> bool:
    return bool(getattr(user, "is_staff_user", False)) and dashboard_may_view(user)  # type: ignore[arg-type]
