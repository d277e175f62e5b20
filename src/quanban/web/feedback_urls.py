"""好差评 and 找茬 pages (docs/feedback.md), namespace ``feedback``."""

from django.urls import path

from quanban.web import feedback_views as views
from quanban.web import ranking_views

app_name = "feedback"

urlpatterns = [
    # The portal.
    path("my/cases/<int:case_id>/rate/", views.case_rate, name="case_rate"),
    path("my/feedback/", views.my_feedback, name="my_feedback"),
    path("my/feedback/followups/<int:followup_id>/verdict/", views.my_verdict, name="my_verdict"),
    path("rate/<str:token>/", views.sms_rate, name="sms_rate"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("feedback/", views.results_index, name="results_index"),
    # 末位 (docs/rankings.md).
    path("feedback/rankings/", ranking_views.public_rankings, name="rankings"),
    path("feedback/<str:scope>/<int:subject_id>/", views.results, name="results"),
    # The workbench.
    path("workbench/feedback/pad/", views.pad_open, name="pad_open"),
    path("workbench/feedback/pad/<str:token>/", views.pad, name="pad"),
    path("workbench/feedback/followups/", views.followups, name="followups"),
    path("workbench/feedback/followups/<int:followup_id>/", views.followup, name="followup"),
    path(
        "workbench/feedback/followups/<int:followup_id>/contact/",
        views.followup_contact,
        name="followup_contact",
    ),
    path(
        "workbench/feedback/followups/<int:followup_id>/rectify/",
        views.followup_rectify,
        name="followup_rectify",
    ),
    path(
        "workbench/feedback/followups/<int:followup_id>/verify/",
        views.followup_verify,
        name="followup_verify",
    ),
    path("workbench/feedback/ratings/<int:rating_id>/appeal/", views.appeal_new, name="appeal_new"),
    path("workbench/feedback/appeals/", views.appeals, name="appeals"),
    path("workbench/feedback/appeals/<int:appeal_id>/", views.appeal, name="appeal"),
    path(
        "workbench/feedback/appeals/<int:appeal_id>/evidence/",
        views.appeal_evidence,
        name="appeal_evidence",
    ),
    path(
        "workbench/feedback/appeals/<int:appeal_id>/decide/",
        views.appeal_decide,
        name="appeal_decide",
    ),
    path("workbench/feedback/export.csv", views.export, name="export"),
    path("workbench/rankings/", ranking_views.staff_rankings, name="staff_rankings"),
    path("workbench/rankings/compute/", ranking_views.compute, name="rankings_compute"),
    path("workbench/rankings/weights/", ranking_views.weights, name="rankings_weights"),
    path(
        "workbench/rankings/<int:year>/<int:department_id>/report.xlsx",
        ranking_views.report_xlsx,
        name="rankings_report_xlsx",
    ),
    path(
        "workbench/rankings/<int:year>/<int:department_id>/report.pdf",
        ranking_views.report_pdf,
        name="rankings_report_pdf",
    ),
]
