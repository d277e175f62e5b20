from django.urls import path

from quanban.web import (
    archive_views,
    auth_views,
    card_views,
    case_urls,
    catalogue_urls,
    dashboard_views,
    datahub_views,
    evaluation_views,
    inspection_views,
    licence_staff_views,
    licence_views,
    notify_urls,
    search_views,
    synonym_views,
    theme_views,
    views,
)

app_name = "web"

urlpatterns = [
    path("", views.portal_home, name="portal"),
    path("search/", search_views.portal_search, name="search"),
    # 一业一证 (docs/catalogue.md).
    path("themes/", theme_views.theme_list, name="themes"),
    path("themes/<slug:code>/", theme_views.theme_detail, name="theme_detail"),
    path("portal/login/", auth_views.citizen_login, name="portal_login"),
    path("portal/login/code/", auth_views.citizen_login_code, name="portal_login_code"),
    path("portal/register/", auth_views.citizen_register, name="portal_register"),
    path("workbench/", views.workbench_home, name="workbench"),
    path("workbench/audit/", views.workbench_audit, name="workbench_audit"),
    path("workbench/cards/", card_views.cards, name="workbench_cards"),
    path(
        "workbench/cards/<int:card_id>/acknowledge/",
        card_views.card_acknowledge,
        name="workbench_card_acknowledge",
    ),
    path("workbench/cards/<int:card_id>/note/", card_views.card_note, name="workbench_card_note"),
    path("workbench/findings/", inspection_views.findings, name="workbench_findings"),
    path("workbench/inspections/", inspection_views.inspection_list, name="workbench_inspections"),
    path(
        "workbench/inspections/new/",
        inspection_views.inspection_new,
        name="workbench_inspection_new",
    ),
    path("workbench/officers/new/", inspection_views.officer_new, name="workbench_officer_new"),
    path(
        "workbench/officers/report/",
        inspection_views.officer_report,
        name="workbench_officer_report",
    ),
    path(
        "workbench/findings/<int:finding_id>/rectify/",
        inspection_views.finding_rectify,
        name="workbench_finding_rectify",
    ),
    path("workbench/search/synonyms/", synonym_views.synonyms, name="search_synonyms"),
    # 绩效评估 (compute before <str:month>, which would take "compute" as a month).
    path("workbench/evaluation/", evaluation_views.months, name="evaluation_months"),
    path("workbench/evaluation/compute/", evaluation_views.compute, name="evaluation_compute"),
    path("workbench/evaluation/<str:month>/", evaluation_views.month, name="evaluation_month"),
    path(
        "workbench/evaluation/<str:month>/export.xlsx",
        evaluation_views.export,
        name="evaluation_export",
    ),
    path(
        "workbench/evaluation/<str:month>/recompute/",
        evaluation_views.recompute,
        name="evaluation_recompute",
    ),
    path("screens/hall/", views.hall_screen, name="hall_screen"),
    path("login/", auth_views.staff_login, name="login"),
    path("login/verify/", auth_views.staff_login_verify, name="login_verify"),
    path("logout/", auth_views.logout, name="logout"),
    path("account/password/", auth_views.password_change, name="password_change"),
]

# The catalogue's pages: guides, published lists, the workbench's catalogue.
urlpatterns += catalogue_urls.urlpatterns
urlpatterns += case_urls.urlpatterns
urlpatterns += notify_urls.urlpatterns
# 数据看板 (docs/dashboards.md).
urlpatterns += [
    path("workbench/dashboard/", dashboard_views.dashboard, name="workbench_dashboard"),
    path(
        "workbench/dashboard/export.xlsx",
        dashboard_views.dashboard_export,
        name="workbench_dashboard_export",
    ),
]
# 数据共享: the material-reduction rate and the logged registry lookup (docs/once-only.md).
urlpatterns += [
    path("workbench/reduction/", datahub_views.reduction, name="workbench_reduction"),
    path("workbench/registries/", datahub_views.registry_lookup, name="registry_lookup"),
]
# 电子证照: public verification (no login), shared links, the holder's wallet (docs/licences.md).
urlpatterns += [
    path("workbench/licences/", licence_staff_views.licences, name="licence_staff_list"),
    path(
        "workbench/licences/<int:licence_id>/",
        licence_staff_views.licence_detail,
        name="licence_staff_detail",
    ),
    path(
        "workbench/licences/<int:licence_id>/licence.pdf",
        licence_staff_views.licence_staff_pdf,
        name="licence_staff_pdf",
    ),
    path(
        "workbench/licences/<int:licence_id>/<str:action>/",
        licence_staff_views.licence_action,
        name="licence_staff_action",
    ),
    path("verify/", licence_views.verify, name="licence_verify"),
    path("verify/s/<str:token>/", licence_views.shared, name="licence_shared"),
    path("my/licences/", licence_views.my_licences, name="licence_wallet"),
    path(
        "my/licences/<int:licence_id>/licence.pdf",
        licence_views.my_licence_pdf,
        name="licence_pdf",
    ),
    path(
        "my/licences/<int:licence_id>/share/", licence_views.my_licence_share, name="licence_share"
    ),
]
# 电子档案: the packages of closed cases and the disposal listing (docs/licences.md).
urlpatterns += [
    path("workbench/archives/", archive_views.archive_list, name="archive_list"),
    path(
        "workbench/archives/<int:package_id>/package.zip",
        archive_views.archive_download,
        name="archive_download",
    ),
]
