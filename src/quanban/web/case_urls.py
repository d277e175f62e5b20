"""URLs of the case pages (workbench: intake, inbox, case page; portal: my cases, applying
online); web/urls.py appends them."""

from __future__ import annotations

from django.urls import path

from quanban.web import case_intake_views as intake
from quanban.web import case_views as staff
from quanban.web import portal_case_views as portal

CASES = "workbench/cases/"
CASE = CASES + "<int:case_id>/"
TASK = CASES + "tasks/<int:task_id>/"

urlpatterns = [
    # The workbench: the inbox, the case list, intake at the window.
    path(CASES, staff.inbox, name="case_inbox"),
    path(CASES + "all/", staff.case_list, name="case_list"),
    path(CASES + "intake/", intake.intake_pick, name="case_intake_pick"),
    path(CASES + "intake/<int:item_id>/", intake.intake, name="case_intake"),
    # The case page and its forms.
    path(CASE, staff.case_detail, name="case_detail"),
    path(CASE + "intake/", staff.case_intake_action, name="case_intake_action"),
    path(CASE + "suspend/", staff.case_suspend, name="case_suspend"),
    path(CASE + "resume/", staff.case_resume, name="case_resume"),
    path(CASE + "extend/", staff.case_extend, name="case_extend"),
    path(CASE + "terminate/", staff.case_terminate, name="case_terminate"),
    path(CASE + "supply/", staff.case_supply, name="case_supply"),
    path(CASE + "deliver/", staff.case_deliver, name="case_deliver"),
    path(CASE + "notices/<slug:notice>.pdf", staff.case_notice, name="case_notice"),
    path(
        CASE + "materials/<int:material_id>/file/",
        staff.case_material_file,
        name="case_material_file",
    ),
    # Tasks.
    path(TASK + "claim/", staff.task_claim, name="task_claim"),
    path(TASK + "release/", staff.task_release, name="task_release"),
    path(TASK + "complete/", staff.task_complete, name="task_complete"),
    # The portal: my cases (the printed notices' QR codes link here), applying online.
    path("my/identity/", portal.my_identity, name="portal_identity"),
    path("my/cases/", portal.my_cases, name="portal_cases"),
    path("my/cases/<int:case_id>/", portal.my_case, name="portal_case"),
    path("my/cases/<int:case_id>/withdraw/", portal.my_case_withdraw, name="portal_withdraw"),
    path(
        "my/cases/<int:case_id>/notices/<slug:notice>.pdf",
        portal.my_case_notice,
        name="portal_notice",
    ),
    path("items/<int:item_id>/apply/", portal.apply_online, name="portal_apply"),
]
