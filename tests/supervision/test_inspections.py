"""体验官 and 督查: officers registered for a term, their reports, inspections with a reproducible
random sample, findings as rectification tasks, and the figures per department and month.

Monday 2026-06-15 10:00 (Asia/Shanghai); ten working days later is 30 June (the Dragon Boat
holiday, 19–21 June, does not count).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from quanban.accounts.roles import Role
from quanban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from quanban.supervision import inspections
from quanban.supervision.inspections import DepartmentFindings, FindingInput
from quanban.supervision.models import ExperienceOfficer, Finding, Inspection
from tests import factories
from tests.supervision.test_sweep import accepted_case

D = dt.date.fromisoformat
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _monday():
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI), tick=False) as t:
        yield t


@pytest.fixture
def people(city, work_calendar):
    return {
        "supervisor": factories.make_staff(city, Role.SUPERVISOR, username="supervisor"),
        "clerk": factories.make_staff(city, Role.WINDOW_CLERK, username="clerk"),
        "officer_account": factories.make_citizen("13700001111"),
    }


@pytest.fixture
def officer(people):
    return inspections.officer_register(
        user=people["supervisor"],
        name="王代表",
        kind="deputy",
        term_start=D("2026-01-01"),
        term_end=D("2026-12-31"),
        account=people["officer_account"],
        phone="13700001111",
    )


def test_officers_are_registered_by_supervisors_for_a_term(people, officer):
    assert (officer.kind, officer.term_end, officer.account_id) == (
        "deputy",
        D("2026-12-31"),
        people["officer_account"].pk,
    )
    assert AuditRecord.objects.filter(action="officer.register").count() == 1
    refused = (
        (people["clerk"], {}, PermissionDenied),
        (people["supervisor"], {"kind": "celebrity"}, ValidationFailed),
        (people["supervisor"], {"term_end": D("2025-12-31")}, ValidationFailed),
        (people["supervisor"], {"account": people["clerk"]}, ValidationFailed),
        (people["supervisor"], {"name": " "}, ValidationFailed),
    )
    for user, change, error in refused:
        args = {
            "name": "李记者",
            "kind": "journalist",
            "term_start": D("2026-01-01"),
            "term_end": D("2026-06-30"),
            **change,
        }
        with pytest.raises(error):
            inspections.officer_register(user=user, **args)
    assert ExperienceOfficer.objects.count() == 1


def test_an_officers_report_makes_rectification_tasks(city, people, officer):
    report = inspections.officer_report_file(
        user=people["officer_account"],
        officer_id=officer.pk,
        channel="visit",
        held_on=D("2026-06-12"),
        title="市民中心现场体验",
        unit_id=city.window.pk,
        scores={"attitude": 4, "environment": 2},
        findings=[
            FindingInput(department_id=city.department.pk, text="取号机故障无人处理"),
            FindingInput(
                department_id=city.other_department.pk, text="指引牌过期", due_on=D("2026-06-20")
            ),
        ],
    )
    assert (report.kind, report.channel, report.scores) == (
        "officer",
        "visit",
        {"attitude": 4, "environment": 2},
    )
    assert list(
        Finding.objects.order_by("pk").values_list("department_id", "found_on", "due_on", "state")
    ) == [
        (city.department.pk, D("2026-06-12"), D("2026-06-30"), "open"),
        (city.other_department.pk, D("2026-06-12"), D("2026-06-20"), "open"),
    ]
    audit = AuditRecord.objects.get(action="inspection.report")
    assert audit.changes["scores"] == [None, {"attitude": 4, "environment": 2}]
    # Only the officer themself (or a supervisor), within the term, with valid scores.
    other = factories.make_citizen("13700002222")
    cases = (
        (other, {}, PermissionDenied),
        (people["officer_account"], {"held_on": D("2026-06-16")}, ValidationFailed),  # future
        (people["officer_account"], {"scores": {"attitude": 6}}, ValidationFailed),
        (people["officer_account"], {"channel": "online"}, ValidationFailed),  # no item
        (people["officer_account"], {"unit_id": 999999}, NotFound),
    )
    for user, change, error in cases:
        args = {
            "officer_id": officer.pk,
            "channel": "visit",
            "held_on": D("2026-06-12"),
            "title": "再次体验",
            "unit_id": city.hall.pk,
            **change,
        }
        with pytest.raises(error):
            inspections.officer_report_file(user=user, **args)
    assert (Inspection.objects.count(), Finding.objects.count()) == (1, 2)


def test_a_random_check_records_its_seed_and_draws_the_same_cases_again(city, people):
    clerk = people["clerk"]
    cases = [accepted_case(city, clerk, n).pk for n in range(1, 11)]
    check = inspections.inspection_record(
        user=people["supervisor"],
        kind="random",
        title="6 月办件随机抽查",
        held_on=D("2026-06-15"),
        sample={
            "department_id": city.department.pk,
            "start": D("2026-06-01"),
            "end": D("2026-06-15"),
            "size": 3,
            "seed": 20260615,
        },
    )
    assert (check.seed, check.sample_size, len(check.sampled_cases)) == (20260615, 3, 3)
    assert set(check.sampled_cases) <= set(cases)
    again = inspections.draw_sample(
        department_id=city.department.pk,
        start=D("2026-06-01"),
        end=D("2026-06-15"),
        size=3,
        seed=20260615,
    )
    assert again == check.sampled_cases
    audit = AuditRecord.objects.get(action="inspection.record")
    assert audit.changes["seed"] == [None, 20260615]
    assert audit.changes["sampled_cases"] == [None, check.sampled_cases]
    # Without a seed one is drawn and recorded, and gives its sample again.
    fresh = inspections.inspection_record(
        user=people["supervisor"],
        kind="random",
        title="再抽",
        held_on=D("2026-06-15"),
        sample={
            "department_id": city.department.pk,
            "start": D("2026-06-01"),
            "end": D("2026-06-15"),
            "size": 20,
        },
    )
    assert fresh.seed is not None and fresh.sampled_cases == sorted(cases)  # all ten
    assert inspections.draw_sample(
        department_id=city.department.pk,
        start=D("2026-06-01"),
        end=D("2026-06-15"),
        size=20,
        seed=fresh.seed,
    ) == sorted(cases)
    # None of the other department's; none on other days.
    assert (
        inspections.draw_sample(
            department_id=city.other_department.pk,
            start=D("2026-06-01"),
            end=D("2026-06-15"),
            size=3,
            seed=1,
        )
        == []
    )
    assert (
        inspections.draw_sample(
            department_id=city.department.pk,
            start=D("2026-06-16"),
            end=D("2026-06-30"),
            size=3,
            seed=1,
        )
        == []
    )
    with pytest.raises(PermissionDenied):
        inspections.inspection_record(
            user=clerk, kind="unannounced", title="暗访", held_on=D("2026-06-15")
        )
    with pytest.raises(ValidationFailed):
        inspections.inspection_record(
            user=people["supervisor"], kind="random", title="无范围", held_on=D("2026-06-15")
        )
    assert Inspection.objects.count() == 2


def test_findings_are_rectified_by_their_department_and_counted_by_month(
    city, people, officer, _monday
):
    supervisor = people["supervisor"]
    inspections.officer_report_file(
        user=supervisor,
        officer_id=officer.pk,
        channel="visit",
        held_on=D("2026-06-12"),
        title="现场体验",
        unit_id=city.hall.pk,
        findings=[FindingInput(department_id=city.department.pk, text="等候区无座位")],
    )
    visit = inspections.inspection_record(
        user=supervisor,
        kind="unannounced",
        title="暗访市民中心",
        held_on=D("2026-06-15"),
        unit_id=city.hall.pk,
        findings=[
            FindingInput(department_id=city.department.pk, text="窗口人员脱岗"),
            FindingInput(department_id=city.other_department.pk, text="一次性告知不全"),
        ],
    )
    _monday.move_to(dt.datetime(2026, 7, 2, 9, 0, tzinfo=SHANGHAI))
    late = inspections.finding_add(
        user=supervisor,
        inspection_id=visit.pk,
        finding=FindingInput(department_id=city.department.pk, text="补充：台账缺失"),
    )
    assert (late.found_on, late.due_on) == (D("2026-06-15"), D("2026-07-16"))
    first = Finding.objects.filter(department=city.department).order_by("pk").first()
    outsider = factories.make_staff(city, Role.REVIEWER, scope=city.other_department)
    outsider.__class__.objects.filter(pk=outsider.pk).update(
        department=city.other_department, office=None
    )
    outsider.refresh_from_db()
    with pytest.raises(NotFound):
        inspections.finding_rectify(user=outsider, finding_id=first.pk, rectification="不是我们")
    with pytest.raises(PermissionDenied):
        inspections.finding_rectify(user=supervisor, finding_id=first.pk, rectification="代办")
    assert Finding.objects.get(pk=first.pk).state == "open"
    inspections.finding_rectify(user=people["clerk"], finding_id=first.pk, rectification="已添座椅")
    with pytest.raises(Conflict):
        inspections.finding_rectify(user=people["clerk"], finding_id=first.pk, rectification="再")
    row = Finding.objects.get(pk=first.pk)
    assert (row.state, row.rectification, row.rectified_by_id) == (
        "rectified",
        "已添座椅",
        people["clerk"].pk,
    )
    # June, as of 2 July: the department's first two findings (filed 15 June) were due 30 June —
    # the first rectified, the second overdue; the late one is due 16 July.
    assert inspections.findings_by_department(
        month_start=D("2026-06-01"), month_end=D("2026-07-01")
    ) == [
        DepartmentFindings(
            department_id=city.department.pk,
            month=D("2026-06-01"),
            findings=3,
            from_officers=1,
            rectified=1,
            overdue=1,
        ),
        DepartmentFindings(
            department_id=city.other_department.pk,
            month=D("2026-06-01"),
            findings=1,
            from_officers=0,
            rectified=0,
            overdue=1,
        ),
    ]
    assert (
        inspections.findings_by_department(month_start=D("2026-07-01"), month_end=D("2026-08-01"))
        == []
    )


def test_the_findings_page_and_its_rectify_form(city, people):
    from tests.api.clients import session_client

    inspections.inspection_record(
        user=people["supervisor"],
        kind="special",
        title="一次性告知专项督查",
        held_on=D("2026-06-15"),
        findings=[
            FindingInput(department_id=city.department.pk, text="告知单缺材料清单"),
            FindingInput(department_id=city.other_department.pk, text="另一部门的问题"),
        ],
    )
    mine, theirs = Finding.objects.order_by("pk")
    clerk = session_client(people["clerk"])
    page = clerk.get("/workbench/findings/").content.decode()
    assert f'id="finding-{mine.pk}"' in page and f'id="finding-{theirs.pk}"' not in page
    assert f'id="rectify-{mine.pk}"' in page
    url = f"/workbench/findings/{mine.pk}/rectify/"
    empty = clerk.post(url, {f"f{mine.pk}-rectification": " "})
    assert empty.status_code == 422 and Finding.objects.get(pk=mine.pk).state == "open"
    assert (
        clerk.post(
            f"/workbench/findings/{theirs.pk}/rectify/", {f"f{theirs.pk}-rectification": "越权"}
        ).status_code
        == 404
    )
    done = clerk.post(url, {f"f{mine.pk}-rectification": "已补全材料清单"})
    assert (done.status_code, done["Location"]) == (302, "/workbench/findings/")
    assert Finding.objects.get(pk=mine.pk).rectification == "已补全材料清单"
    assert Finding.objects.get(pk=theirs.pk).state == "open"
    supervisor = session_client(people["supervisor"]).get("/workbench/findings/").content.decode()
    assert f'id="finding-{theirs.pk}"' in supervisor and 'id="rectify-' not in supervisor


def test_the_supervisors_page_records_inspections_officers_and_reports(city, people):
    from tests.api.clients import session_client

    cases = [accepted_case(city, people["clerk"], n).pk for n in range(1, 6)]
    supervisor = session_client(people["supervisor"])
    assert session_client(people["clerk"]).get("/workbench/inspections/").status_code == 403
    checked = supervisor.post(
        "/workbench/inspections/new/",
        {
            "i-kind": "random",
            "i-title": "随机抽查",
            "i-held_on": "2026-06-15",
            "i-department": city.department.pk,
            "i-sample_from": "2026-06-15",
            "i-sample_to": "2026-06-15",
            "i-sample_size": "2",
            "i-seed": "7",
            "i-finding": "抽查件告知单不全",
        },
    )
    assert checked.status_code == 302
    check = Inspection.objects.get()
    expected = inspections.draw_sample(
        department_id=city.department.pk,
        start=D("2026-06-15"),
        end=D("2026-06-15"),
        size=2,
        seed=7,
    )
    assert (check.kind, check.seed, check.sampled_cases) == ("random", 7, expected)
    assert len(expected) == 2 and set(expected) <= set(cases)
    assert list(Finding.objects.values_list("department_id", "text")) == [
        (city.department.pk, "抽查件告知单不全")
    ]
    # A finding without its department is refused, and nothing is recorded.
    refused = supervisor.post(
        "/workbench/inspections/new/",
        {"i-kind": "special", "i-title": "专项", "i-held_on": "2026-06-15", "i-finding": "问题"},
    )
    assert refused.status_code == 422 and Inspection.objects.count() == 1
    registered = supervisor.post(
        "/workbench/officers/new/",
        {
            "o-name": "赵委员",
            "o-kind": "cppcc",
            "o-term_start": "2026-01-01",
            "o-term_end": "2026-12-31",
        },
    )
    assert registered.status_code == 302
    officer = ExperienceOfficer.objects.get()
    reported = supervisor.post(
        "/workbench/officers/report/",
        {
            "r-officer": officer.pk,
            "r-channel": "visit",
            "r-unit": city.hall.pk,
            "r-held_on": "2026-06-14",
            "r-title": "周末体验",
            "r-score": "3",
            "r-department": city.other_department.pk,
            "r-finding": "周末窗口开放不足",
        },
    )
    assert reported.status_code == 302
    report = Inspection.objects.get(kind="officer")
    assert (report.officer_id, report.unit_id, report.scores) == (
        officer.pk,
        city.hall.pk,
        {"attitude": 3},
    )
    page = supervisor.get("/workbench/inspections/").content.decode()
    assert f'id="inspection-{check.pk}"' in page and "<code>7</code>" in page
    assert "赵委员 · 政协委员 · 2026-01-01—2026-12-31" in page


def test_findings_over_the_api(city, people):
    """The department's clerk lists its findings and records the rectification; a blank one is
    refused and changes nothing; a second is a conflict; a citizen's token is refused."""
    from django.test import Client

    from tests.api.clients import bearer

    inspections.inspection_record(
        user=people["supervisor"],
        kind="unannounced",
        title="暗访市民中心",
        held_on=D("2026-06-15"),
        findings=[FindingInput(department_id=city.department.pk, text="窗口脱岗")],
    )
    finding = Finding.objects.get()
    client, clerk = Client(), bearer(people["clerk"])
    listed = client.get("/api/v1/supervision/findings?state=open", headers=clerk)
    assert listed.status_code == 200
    assert [
        {k: row[k] for k in ("id", "inspection_kind", "department_id", "text", "due_on")}
        | {"may_rectify": row["may_rectify"]}
        for row in listed.json()
    ] == [
        {
            "id": finding.pk,
            "inspection_kind": "unannounced",
            "department_id": city.department.pk,
            "text": "窗口脱岗",
            "due_on": "2026-06-30",
            "may_rectify": True,
        }
    ]
    url = f"/api/v1/supervision/findings/{finding.pk}/rectify"
    audit = AuditRecord.objects.count()
    blank = client.post(url, {"rectification": ""}, content_type="application/json", headers=clerk)
    assert blank.status_code == 422
    assert (Finding.objects.get().state, AuditRecord.objects.count()) == ("open", audit)
    done = client.post(
        url, {"rectification": "已调整排班"}, content_type="application/json", headers=clerk
    )
    assert done.status_code == 200, done.content
    assert {k: done.json()[k] for k in ("state", "rectification", "may_rectify")} == {
        "state": "rectified",
        "rectification": "已调整排班",
        "may_rectify": False,
    }
    again = client.post(
        url, {"rectification": "再次"}, content_type="application/json", headers=clerk
    )
    assert (again.status_code, again.json()["code"]) == (409, "finding_rectified")
    citizen = bearer(people["officer_account"])
    assert client.get("/api/v1/supervision/findings", headers=citizen).status_code == 403


def test_officers_reports_and_inspections_over_the_api(city, people):
    """A supervisor registers an officer with their account; the officer files a report from
    that account (its findings become the department's tasks); a report outside the term and a
    clerk's registration are refused and change nothing; a random check's seed draws its cases
    again; a supervisor reads what was recorded."""
    from django.test import Client

    from tests.api.clients import bearer

    client = Client()
    supervisor, clerk = bearer(people["supervisor"]), bearer(people["clerk"])
    officer_headers = bearer(people["officer_account"])

    def post(url, body, headers):
        return client.post(url, body, content_type="application/json", headers=headers)

    registered = post(
        "/api/v1/supervision/officers",
        {
            "name": "王代表",
            "kind": "deputy",
            "term_start": "2026-01-01",
            "term_end": "2026-12-31",
            "account_id": people["officer_account"].pk,
            "phone": "13700001111",
        },
        supervisor,
    )
    assert registered.status_code == 201, registered.content
    officer = ExperienceOfficer.objects.get()
    assert registered.json() == {
        "id": officer.pk,
        "name": "王代表",
        "kind": "deputy",
        "term_start": "2026-01-01",
        "term_end": "2026-12-31",
        "account_id": people["officer_account"].pk,
        "reports": 0,
    }
    audit = AuditRecord.objects.count()
    denied = post(
        "/api/v1/supervision/officers",
        {
            "name": "李记者",
            "kind": "journalist",
            "term_start": "2026-01-01",
            "term_end": "2026-12-31",
        },
        clerk,
    )
    assert (denied.status_code, denied.json()["code"]) == (403, "inspection_supervisor_only")
    assert (ExperienceOfficer.objects.count(), AuditRecord.objects.count()) == (1, audit)

    report_url = f"/api/v1/supervision/officers/{officer.pk}/reports"
    report = {
        "channel": "visit",
        "held_on": "2026-06-15",
        "title": "市民中心体验",
        "unit_id": city.hall.pk,
        "scores": {"attitude": 2, "efficiency": 4},
        "findings": [{"department_id": city.department.pk, "text": "取号后等候超过一小时"}],
    }
    late = post(report_url, {**report, "held_on": "2027-01-04"}, officer_headers)
    assert (late.status_code, late.json()["code"]) == (422, "report_outside_term")
    assert (Inspection.objects.count(), Finding.objects.count()) == (0, 0)
    filed = post(report_url, report, officer_headers)
    assert filed.status_code == 201, filed.content
    finding = Finding.objects.get()
    assert (finding.department_id, finding.text, finding.due_on) == (
        city.department.pk,
        "取号后等候超过一小时",
        D("2026-06-30"),
    )
    assert {k: filed.json()[k] for k in ("kind", "officer_id", "unit_id", "scores")} == {
        "kind": "officer",
        "officer_id": officer.pk,
        "unit_id": city.hall.pk,
        "scores": {"attitude": 2, "efficiency": 4},
    }
    assert filed.json()["finding_ids"] == [finding.pk]
    # Another citizen is not the officer.
    stranger = bearer(factories.make_citizen("13700002222"))
    assert post(report_url, report, stranger).status_code == 403
    assert Inspection.objects.count() == 1

    cases = [accepted_case(city, people["clerk"], n).pk for n in range(1, 6)]
    sample = {
        "department_id": city.department.pk,
        "start": "2026-06-01",
        "end": "2026-06-15",
        "size": 2,
        "seed": 7,
    }
    check = post(
        "/api/v1/supervision/inspections",
        {"kind": "random", "title": "随机抽查", "held_on": "2026-06-15", "sample": sample},
        supervisor,
    )
    assert check.status_code == 201, check.content
    drawn = inspections.draw_sample(
        department_id=city.department.pk, start=D("2026-06-01"), end=D("2026-06-15"), size=2, seed=7
    )
    assert (check.json()["seed"], check.json()["sampled_cases"]) == (7, drawn)
    assert len(drawn) == 2 and set(drawn) <= set(cases)
    read = client.get(f"/api/v1/supervision/inspections/{check.json()['id']}", headers=supervisor)
    assert read.json() == check.json()
    listed = client.get("/api/v1/supervision/officers", headers=supervisor)
    assert [(row["id"], row["reports"]) for row in listed.json()] == [(officer.pk, 1)]
    assert client.get("/api/v1/supervision/officers", headers=clerk).status_code == 403
