from django.urls import URLPattern, URLResolver, path, re_path

from quanban.api.api import api
from quanban.api.problems import not_found_view, problem_view


def _api_patterns() -> list[URLPattern | URLResolver]:
    patterns, _app_name, _namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = problem_view(pattern.callback)
    return patterns


urlpatterns = [
    path("api/v1/", (_api_patterns(), "ninja", "api")),
    # Anything else under /api/ is an unknown resource: problem+json, never an HTML page.
    re_path(r"^api/", not_found_view, name="api-not-found"),
]
