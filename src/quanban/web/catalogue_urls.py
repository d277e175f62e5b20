"""URLs of the catalogue pages (guide, published lists, workbench); web/urls.py appends them."""

from __future__ import annotations

from django.urls import path

from quanban.web import catalogue_admin_views as admin
from quanban.web import guide_views, list_views

urlpatterns = [
    # The public guide of an item.
    path("items/<int:item_id>/", guide_views.item_guide, name="item_guide"),
    path("items/<int:item_id>/materials/", guide_views.item_materials, name="item_materials"),
    path("items/<int:item_id>/checklist.pdf", guide_views.item_checklist, name="item_checklist"),
    # The published lists.
    path("lists/", list_views.lists_index, name="published_lists"),
    path("lists/<slug:slug>/", list_views.published_list, name="published_list"),
    # The workbench: editors.
    path("workbench/catalogue/", admin.catalogue_items, name="catalogue_items"),
    path("workbench/catalogue/new/", admin.item_create, name="catalogue_item_create"),
    path(
        "workbench/catalogue/items/<int:item_id>/new-draft/",
        admin.version_new_draft,
        name="catalogue_new_draft",
    ),
    path(
        "workbench/catalogue/versions/<int:version_id>/",
        admin.version_edit,
        name="catalogue_version",
    ),
    path(
        "workbench/catalogue/versions/<int:version_id>/validate/",
        admin.version_validate,
        name="catalogue_validate",
    ),
    path(
        "workbench/catalogue/versions/<int:version_id>/submit/",
        admin.version_submit,
        name="catalogue_submit",
    ),
    path(
        "workbench/catalogue/versions/<int:version_id>/materials/",
        admin.material_add,
        name="catalogue_material_add",
    ),
    path(
        "workbench/catalogue/versions/<int:version_id>/situations/",
        admin.situation_add,
        name="catalogue_situation_add",
    ),
    path(
        "workbench/catalogue/materials/<int:material_id>/",
        admin.material_edit,
        name="catalogue_material",
    ),
    path(
        "workbench/catalogue/materials/<int:material_id>/remove/",
        admin.material_remove,
        name="catalogue_material_remove",
    ),
    path(
        "workbench/catalogue/situations/<int:situation_id>/remove/",
        admin.situation_remove,
        name="catalogue_situation_remove",
    ),
    # The workbench: reviewers.
    path("workbench/catalogue/review/", admin.review_queue, name="catalogue_review"),
    path(
        "workbench/catalogue/review/<int:version_id>/",
        admin.review_version,
        name="catalogue_review_version",
    ),
    path(
        "workbench/catalogue/review/<int:version_id>/publish/",
        admin.version_publish,
        name="catalogue_publish",
    ),
    path(
        "workbench/catalogue/review/<int:version_id>/return/",
        admin.version_return,
        name="catalogue_return",
    ),
]
