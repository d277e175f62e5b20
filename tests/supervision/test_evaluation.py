"""The monthly evaluation (绩效评估) of June 2026, with cases walked through the real services.

The city: department D1 (济南市行政审批服务局, office O1 综合受理处) and D2 (市场监督管理局, office O2
登记注册处); one window W in the hall. A 5-working-day item of each department; accepted on Monday
15 June a case is promised for Tuesday 23 June (the Dragon Boat Festival is 19–21 June), its
review task is due 17 June (yellow from 16, red from 18).

- A (D1): received and accepted by ``clerk`` at W on 15 June; reviewed and approved 16 June,
  issued by ``hall`` 17 June — on time.
- B (D1): the same, but ``reviewer`` claims it and lets it lie: the sweep of 18 June gives its
  task yellow (16 June) and red (18 June), the sweep of 24 June the case yellow (22 June) and red
  (24 June); approved and issued 24 June — a day late.
- C (D1): received and accepted by ``clerk2`` at W on 15 June; never claimed, still open: the
  same four cards as B, no assignee.
- D (D2): received and accepted by ``clerk`` at W; finished on 16 June — on time.
- E: received by ``clerk2`` at W on 15 June, not accepted (not routed).
- F: received by ``clerk`` at 00:30 on 1 July, city time (16:30 UTC on 30 June) — July's.
- G (D1): received and accepted by ``clerk`` at W on Friday 29 May (promised 5 June), approved
  1 June, issued 2 June — finished in June, on time; received and accepted in May.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases import services
from quanban.cases.models import Case, Task
from quanban.core.context import acting_as, actor_for_user
from quanban.core.errors import Conflict, PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from quanban.supervision import evaluation_selectors as selectors
from quanban.supervision.evaluation import (
    evaluation_compute,
    evaluation_compute_previous_month,
    evaluation_weights,
    evaluation_workbook,
    first_working_day,
)
from quanban.supervision.models import EvaluationMonth, EvaluationRow
from quanban.supervision.sweep import card_sweep
from quanban.supervision.tasks import evaluation_monthly_periodic
from tests import factories
from tests.catalogue import helpers

D = dt.date.fromisoformat
SHANGHAI = ZoneInfo("Asia/Shanghai")
JUNE = D("2026-06-01")


def at(day: str, hour: int = 10, minute: int = 0):
    when = dt.datetime.combine(D(day), dt.time(hour, minute), tzinfo=SHANGHAI)
    return time_machine.travel(when, tick=False)


@pytest.fixture
def world(city, work_calendar):
    o2 = accounts.org_unit_create(kind="office", name="登记注册处", parent=city.other_department)
    people = {
        "clerk": factories.make_staff(city, Role.WINDOW_CLERK, username="clerk"),
        "clerk2": factories.make_staff(city, Role.WINDOW_CLERK, username="clerk2"),
        "hall": factories.make_staff(city, Role.WINDOW_CLERK, username="hall", scope=city.hall),
        "reviewer": factories.make_staff(
            city, Role.REVIEWER, username="reviewer", scope=city.department
        ),
        "approver": factories.make_staff(
            city, Role.APPROVER, username="approver", scope=city.department
        ),
        "reviewer2": factories.make_staff(
            city, Role.REVIEWER, username="reviewer2", scope=city.other_department
        ),
        "approver2": factories.make_staff(
            city, Role.APPROVER, username="approver2", scope=city.other_department
        ),
        "supervisor": factories.make_staff(city, Role.SUPERVISOR, username="supervisor"),
        "head": factories.make_staff(
            city, Role.DEPARTMENT_HEAD, username="head", scope=city.department
        ),
    }
    with at("2026-05-01"):
        d1_item = helpers.published(city.department)
        d2_item = helpers.published(city.other_department)
    return {"city": city, "o2": o2, "d1": d1_item, "d2": d2_item, **people}


_applicants = iter(range(1, 1000))


def receive(w, clerk, version) -> Case:
    n = next(_applicants)
    person = accounts.person_register(
        name=f"申请人{n}", id_number=factories.valid_id_number(seq=f"{n:03d}")
    )
    return services.case_receive(
        user=w[clerk],
        item_version=version,
        applicant=person,
        channel="8",
        answers={},
        window=w["city"].window,
        received_material_ids=[version.materials.get().pk],
    )


def accepted(w, clerk, version) -> Case:
    return services.case_accept(user=w[clerk], case=receive(w, clerk, version))


def task_of(case: Case) -> Task:
    (task,) = Task.objects.filter(case=case, state="open")
    return task


def review(w, case, who="reviewer") -> None:
    services.task_complete(user=w[who], task=task_of(case), outcome="pass", opinion="通过")


def approve(w, case, who="approver") -> None:
    services.task_complete(user=w[who], task=task_of(case), outcome="approve", opinion="准予")


def issue(w, case) -> None:
    services.task_complete(user=w["hall"], task=task_of(case), outcome="issued", delivery="window")


@pytest.fixture
def june(world):
    w = world
    with at("2026-05-29"):
        g = accepted(w, "clerk", w["d1"])
    with at("2026-06-01"):
        review(w, g)
        approve(w, g)
    with at("2026-06-02"):
        issue(w, g)
    with at("2026-06-15"):
        a = accepted(w, "clerk", w["d1"])
        b = accepted(w, "clerk", w["d1"])
        services.task_claim(user=w["reviewer"], task=task_of(b))
        c = accepted(w, "clerk2", w["d1"])
        d = accepted(w, "clerk", w["d2"])
        e = receive(w, "clerk2", w["d1"])
    with at("2026-06-16"):
        review(w, a)
        approve(w, a)
        review(w, d, "reviewer2")
        approve(w, d, "approver2")
        issue(w, d)
    with at("2026-06-17"):
        issue(w, a)
    with at("2026-06-18", 1):
        card_sweep()
    with at("2026-06-24", 1):
        card_sweep()
    with at("2026-06-24"):
        review(w, b)
        approve(w, b)
        issue(w, b)
    with at("2026-07-01", 0, 30):
        f = receive(w, "clerk", w["d1"])
    cases = {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}
    for case in cases.values():
        case.refresh_from_db()
    return cases


FIELDS = (
    "received",
    "accepted",
    "finished",
    "finished_on_time",
    "yellow_cards",
    "red_cards",
    "ratings",
    "rating_average",
    "complaints",
    "score",
)


def table(evaluation: EvaluationMonth) -> dict[tuple[str, str], tuple]:
    out = {}
    for row in evaluation.rows.select_related("user", "org_unit"):
        name = row.user.username if row.user_id else row.org_unit.name
        out[(row.scope, name)] = tuple(getattr(row, f) for f in FIELDS)
    return out


def figures(*values, score: str) -> tuple:
    received, accepted_, finished, on_time, yellow, red = values
    return (received, accepted_, finished, on_time, yellow, red, 0, None, 0, Decimal(score))


JUNE_TABLE = {
    ("staff", "clerk"): figures(3, 3, 0, 0, 0, 0, score="100.00"),
    ("staff", "clerk2"): figures(2, 1, 0, 0, 0, 0, score="100.00"),
    ("staff", "reviewer"): figures(0, 0, 0, 0, 1, 1, score="96.00"),
    ("staff", "approver"): figures(0, 0, 3, 2, 0, 0, score="66.67"),
    ("staff", "approver2"): figures(0, 0, 1, 1, 0, 0, score="100.00"),
    ("staff", "hall"): figures(0, 0, 4, 3, 0, 0, score="75.00"),
    ("window", "综合受理 1 号窗口"): figures(5, 4, 4, 3, 0, 0, score="75.00"),
    ("office", "综合受理处"): figures(3, 3, 3, 2, 4, 4, score="50.67"),
    ("office", "登记注册处"): figures(1, 1, 1, 1, 0, 0, score="100.00"),
    ("department", "济南市行政审批服务局"): figures(3, 3, 3, 2, 4, 4, score="50.67"),
    ("department", "济南市市场监督管理局"): figures(1, 1, 1, 1, 0, 0, score="100.00"),
}


def test_the_cases_are_where_the_story_says(june):
    c = june
    assert [c[k].state for k in "abcdefg"] == [
        "finished",
        "finished",
        "accepted",
        "finished",
        "received",
        "received",
        "finished",
    ]
    assert (c["a"].promised_due, c["g"].promised_due) == (D("2026-06-23"), D("2026-06-05"))
    assert c["f"].received_at == dt.datetime(2026, 6, 30, 16, 30, tzinfo=dt.UTC)


def test_june_gives_the_known_figures_for_every_subject(june, world):
    with at("2026-07-01", 2):
        evaluation = evaluation_compute(month=D("2026-06-17"))
    assert (evaluation.month, evaluation.revision, evaluation.computed_by) == (JUNE, 1, None)
    assert evaluation.weights == {
        "on_time": 100.0,
        "rating": 0.0,
        "yellow": 1.0,
        "red": 3.0,
        "complaint": 5.0,
    }
    assert table(evaluation) == JUNE_TABLE
    record = AuditRecord.objects.get(action="evaluation.compute")
    assert record.object_id == str(evaluation.pk)
    assert record.changes["after"] == {
        "rows_staff": 6,
        "rows_window": 1,
        "rows_office": 2,
        "rows_department": 2,
        "received": 4,
        "accepted": 4,
        "finished": 4,
        "finished_on_time": 3,
        "yellow_cards": 4,
        "red_cards": 4,
    }
    assert record.changes["before"] is None


def test_the_weights_come_from_the_setting_and_are_kept_on_the_month(june, settings):
    settings.EVALUATION_WEIGHTS = "on_time=80, red=10"
    with at("2026-07-01", 2):
        evaluation = evaluation_compute(month=JUNE)
    assert evaluation.weights["on_time"] == 80.0 and evaluation.weights["red"] == 10.0
    rows = table(evaluation)
    # 80 × 2/3 − 4 × 1 − 4 × 10 = 9.33; the reviewer 80 − 1 − 10 = 69.
    assert rows[("office", "综合受理处")][-1] == Decimal("9.33")
    assert rows[("staff", "reviewer")][-1] == Decimal("69.00")
    assert rows[("staff", "hall")][-1] == Decimal("60.00")


def test_a_weight_the_score_does_not_know_is_a_configuration_error():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        evaluation_weights("speed=1")
    with pytest.raises(ImproperlyConfigured):
        evaluation_weights("red=-1")


def test_ratings_and_complaints_from_the_feedback_app(june, world, settings):
    """A's applicant rates it 4 and D's 2 on 18 June (both were received by ``clerk`` at W); a
    citizen complains about ``reviewer`` on 20 June; a rating and a complaint in July do not
    count."""
    from quanban.feedback import services as feedback

    citizen = factories.make_citizen("13900001111")
    with at("2026-06-18"):
        feedback.rating_submit_for_case(user=citizen, case=june["a"], level=4)
        feedback.rating_submit_for_case(user=citizen, case=june["d"], level=2)
    with at("2026-06-20"):
        feedback.complaint_submit(
            user=citizen,
            target="person",
            target_id=world["reviewer"].pk,
            category="attitude",
            text="态度生硬",
        )
    with at("2026-07-01", 1):
        feedback.rating_submit_for_case(user=citizen, case=june["g"], level=1)
        feedback.complaint_submit(
            user=citizen,
            target="person",
            target_id=world["clerk"].pk,
            category="process",
            text="慢",
        )
    settings.EVALUATION_WEIGHTS = "on_time=80,rating=20"
    with at("2026-07-01", 2):
        evaluation = evaluation_compute(month=JUNE)
    rows = {key: (v[6], v[7], v[8], v[9]) for key, v in table(evaluation).items()}
    assert rows[("staff", "clerk")] == (2, Decimal("3.00"), 0, Decimal("92.00"))  # 80 + 20 × 3/5
    assert rows[("staff", "reviewer")] == (0, None, 1, Decimal("91.00"))  # 100 − 1 − 3 − 5
    assert rows[("window", "综合受理 1 号窗口")] == (2, Decimal("3.00"), 0, Decimal("72.00"))
    # The complaint's follow-up is the reviewer's office's: 80 × 2/3 + 16 − 4 − 12 − 5 = 48.33.
    assert rows[("office", "综合受理处")] == (1, Decimal("4.00"), 1, Decimal("48.33"))
    assert rows[("office", "登记注册处")] == (1, Decimal("2.00"), 0, Decimal("88.00"))
    # 80 × 2/3 + 20 × 4/5 − 4 × 1 − 4 × 3 − 1 × 5 = 48.33
    assert rows[("department", "济南市行政审批服务局")] == (1, Decimal("4.00"), 1, Decimal("48.33"))
    assert rows[("department", "济南市市场监督管理局")] == (1, Decimal("2.00"), 0, Decimal("88.00"))


def state() -> tuple:
    return (
        list(EvaluationMonth.objects.values_list("month", "revision", "computed_at")),
        sorted(EvaluationRow.objects.values_list("pk", "scope", "finished", "score")),
        AuditRecord.objects.filter(action__startswith="evaluation.").count(),
    )


def test_a_computed_month_is_frozen_and_only_a_supervisor_recomputes(june, world):
    w = world
    with at("2026-07-01", 2):
        evaluation_compute(month=JUNE)
    before = state()
    with at("2026-07-02"):
        with pytest.raises(Conflict) as frozen:
            evaluation_compute(month=JUNE)
        assert frozen.value.code == "evaluation_frozen"
        with pytest.raises(Conflict):
            evaluation_compute(month=JUNE, user=w["supervisor"])
        for who in ("clerk", "head"):
            with pytest.raises(PermissionDenied) as denied:
                evaluation_compute(month=JUNE, user=w[who], recompute=True)
            assert denied.value.code == "supervisor_required"
        with pytest.raises(PermissionDenied):
            evaluation_compute(month=JUNE, recompute=True)  # the worker never recomputes
    assert state() == before
    # C is finished late in June after all (a correction entered on 30 June, say): the
    # supervisor recomputes, the rows are replaced and the recomputation audited.
    with at("2026-06-30"):
        review(w, june["c"])
        approve(w, june["c"])
        issue(w, june["c"])
    with at("2026-07-02", 9), acting_as(actor_for_user(w["supervisor"], channel="web")):
        evaluation = evaluation_compute(month=JUNE, user=w["supervisor"], recompute=True)
    assert (evaluation.revision, evaluation.computed_by) == (2, w["supervisor"])
    assert evaluation.computed_at == dt.datetime(2026, 7, 2, 1, 0, tzinfo=dt.UTC)
    rows = table(evaluation)
    assert rows[("office", "综合受理处")] == figures(3, 3, 4, 2, 4, 4, score="34.00")
    assert rows[("staff", "approver")] == figures(0, 0, 4, 2, 0, 0, score="50.00")
    assert EvaluationRow.objects.count() == 11
    record = AuditRecord.objects.get(action="evaluation.recompute")
    assert (record.actor_id, record.channel) == (w["supervisor"].pk, "web")
    before, after = record.changes["before"], record.changes["after"]
    assert (before["finished"], after["finished"]) == (4, 5)
    assert (before["finished_on_time"], after["finished_on_time"]) == (3, 3)
    assert (before["rows_staff"], after["rows_staff"]) == (6, 6)
    assert (record.changes["month"], record.changes["revision"]) == ("2026-06", 2)


def test_a_month_not_over_yet_is_refused(world):
    with at("2026-06-30", 23), pytest.raises(ValidationFailed) as error:
        evaluation_compute(month=JUNE)
    assert error.value.code == "evaluation_month_not_over"
    assert not EvaluationMonth.objects.exists()


def test_the_worker_computes_the_previous_month_on_the_first_working_day_once(world):
    """October 2026: National Day 1–7 October off, so the first working day is Thursday 8 October."""
    w = world
    with at("2026-09-28"):
        case = accepted(w, "clerk", w["d1"])
        review(w, case)
        approve(w, case)
        issue(w, case)
    assert first_working_day(D("2026-10-01")) == D("2026-10-08")
    for day in range(1, 8):
        with at(f"2026-10-{day:02d}", 9):
            assert evaluation_monthly_periodic.call_local() is None
    assert not EvaluationMonth.objects.exists()
    with at("2026-10-08", 0, 5):
        pk = evaluation_monthly_periodic.call_local()
    september = EvaluationMonth.objects.get()
    assert (pk, september.month, september.revision) == (september.pk, D("2026-09-01"), 1)
    assert table(september)[("department", "济南市行政审批服务局")][:4] == (1, 1, 1, 1)
    with at("2026-10-08", 1, 5):
        assert evaluation_monthly_periodic.call_local() is None
    with at("2026-10-09", 9):
        assert evaluation_compute_previous_month() is None
    assert EvaluationMonth.objects.get().revision == 1
    assert AuditRecord.objects.filter(action="evaluation.compute").count() == 1


def test_a_worker_that_was_down_on_the_day_catches_up_later_in_the_month(world):
    with at("2026-07-20"):
        evaluation = evaluation_compute_previous_month()
    assert evaluation is not None and evaluation.month == JUNE
    assert not evaluation.rows.exists()


def test_a_department_head_reads_their_own_departments_rows_others_are_refused(june, world):
    w = world
    with at("2026-07-01", 2):
        evaluation = evaluation_compute(month=JUNE)
    rows = selectors.evaluation_rows_for_user(user=w["head"], evaluation=evaluation)
    seen = {(r.scope, r.user.username if r.user_id else r.org_unit.name) for r in rows}
    # D1's staff (every factory user is of D1), office and department; no window, nothing of D2.
    assert seen == {
        ("staff", "clerk"),
        ("staff", "clerk2"),
        ("staff", "reviewer"),
        ("staff", "approver"),
        ("staff", "approver2"),
        ("staff", "hall"),
        ("office", "综合受理处"),
        ("department", "济南市行政审批服务局"),
    }
    everything = selectors.evaluation_rows_for_user(user=w["supervisor"], evaluation=evaluation)
    assert everything.count() == 11
    for who in ("clerk", "reviewer"):
        with pytest.raises(PermissionDenied):
            selectors.evaluation_rows_for_user(user=w[who], evaluation=evaluation)


def test_the_rows_sort_by_any_figure(june, world):
    with at("2026-07-01", 2):
        evaluation = evaluation_compute(month=JUNE)

    def names(sort):
        rows = selectors.evaluation_rows_for_user(
            user=world["supervisor"], evaluation=evaluation, scope="staff", sort=sort
        )
        return [r.user.username for r in rows]

    assert names("-score")[:2] in (["clerk", "clerk2"], ["clerk2", "clerk"])
    assert names("-score")[-2:] == ["hall", "approver"]
    assert names("-finished")[:2] == ["hall", "approver"]
    assert names("on_time_rate")[:2] == ["approver", "hall"]  # 66.7 %, 75 %; none last
    assert names("nonsense") == names("-score")


def test_the_excel_file_has_the_exact_cells(june, world):
    with at("2026-07-01", 2):
        evaluation = evaluation_compute(month=JUNE)
    rows = selectors.evaluation_rows_for_user(user=world["supervisor"], evaluation=evaluation)
    book = load_workbook(BytesIO(evaluation_workbook(evaluation=evaluation, rows=rows)))
    assert book.sheetnames == ["说明", "工作人员", "窗口", "处(科)室", "部门"]
    about = [list(r) for r in book["说明"].iter_rows(values_only=True)]
    assert about == [
        ["评估月份", "2026-06"],
        ["计算次数", 1],
        ["计算时间", "2026-07-01 02:00"],
        ["按时办结率权重", 100],
        ["评价权重", 0],
        ["每张黄牌扣分", 1],
        ["每张红牌扣分", 3],
        ["每件投诉扣分", 5],
    ]
    offices = [list(r) for r in book["处(科)室"].iter_rows(values_only=True)]
    assert offices == [
        [
            "评估对象",
            "所属单位",
            "收件数",
            "受理数",
            "办结数",
            "按时办结数",
            "按时办结率",
            "黄牌数",
            "红牌数",
            "评价数",
            "平均评价",
            "投诉数",
            "综合得分",
        ],
        ["登记注册处", "济南市市场监督管理局", 1, 1, 1, 1, 1, 0, 0, 0, None, 0, 100],
        ["综合受理处", "济南市行政审批服务局", 3, 3, 3, 2, 0.6667, 4, 4, 0, None, 0, 50.67],
    ]
    assert book["处(科)室"]["G3"].number_format == "0.00%"
    staff = [(r[0], r[1], r[4], r[12]) for r in book["工作人员"].iter_rows(values_only=True)]
    d1 = "济南市行政审批服务局"
    assert staff[-2:] == [
        (world["hall"].display_name, d1, 4, 75),
        (world["approver"].display_name, d1, 3, 66.67),
    ]
    windows = [list(r) for r in book["窗口"].iter_rows(min_row=2, values_only=True)]
    assert windows == [
        ["综合受理 1 号窗口", "济南市民中心", 5, 4, 4, 3, 0.75, 0, 0, 0, None, 0, 75]
    ]


# --- The pages (the browser journey is tests/web/test_evaluation_browser.py) -----------------------


def test_the_pages_for_a_department_head_and_the_recomputation_form(june, world):
    from tests.api.clients import session_client

    w = world
    with at("2026-07-01", 2):
        evaluation_compute(month=JUNE)
    head = session_client(w["head"])
    page = head.get("/workbench/evaluation/2026-06/?scope=office")
    assert page.status_code == 200
    assert "综合受理处" in page.text and "登记注册处" not in page.text
    assert "重新计算" not in page.text
    assert head.get("/workbench/evaluation/2026-06/?scope=window").context["lines"] == []
    assert head.get("/workbench/evaluation/2026-05/").status_code == 404
    assert head.get("/workbench/evaluation/june/").status_code == 404
    before = state()
    assert (
        head.post("/workbench/evaluation/2026-06/recompute/", {"confirm": "on"}).status_code == 403
    )
    assert head.post("/workbench/evaluation/compute/", {"month": "2026-05"}).status_code == 403
    assert state() == before
    supervisor = session_client(w["supervisor"])
    # Without the confirmation nothing happens; a month not over is refused with its message.
    unconfirmed = supervisor.post("/workbench/evaluation/2026-06/recompute/", {})
    assert unconfirmed.status_code == 200 and unconfirmed.context["form"].errors["confirm"]
    assert state() == before
    with at("2026-07-03"):
        early = supervisor.post("/workbench/evaluation/compute/", {"month": "2026-07"})
        assert early.context["form"].errors["month"] == ["只能评估已经结束的月份。"]
        frozen = supervisor.post("/workbench/evaluation/compute/", {"month": "2026-06"})
        assert (
            frozen.context["form"]
            .non_field_errors()[0]
            .startswith("2026-06 的绩效评估已计算并冻结")
        )
        assert state() == before
        done = supervisor.post("/workbench/evaluation/2026-06/recompute/", {"confirm": "on"})
    assert done.status_code == 302 and done["Location"] == "/workbench/evaluation/2026-06/"
    assert EvaluationMonth.objects.get().revision == 2
    export = head.get("/workbench/evaluation/2026-06/export.xlsx")
    book = load_workbook(BytesIO(export.content))
    assert [r[0] for r in book["部门"].iter_rows(min_row=2, values_only=True)] == [
        "济南市行政审批服务局"
    ]
    assert book["窗口"].max_row == 1  # the header only


def test_an_upheld_appeal_leaves_the_rating_out_of_the_evaluation(june, world, settings):
    """As above (A rated 4 and D rated 2 on 18 June, both about ``clerk`` at W), and the clerk's
    appeal against D's rating is upheld on 25 June: only A's rating counts."""
    from quanban.feedback import services as feedback

    citizen = factories.make_citizen("13900001111")
    supervisor = world["supervisor"]
    with at("2026-06-18"):
        feedback.rating_submit_for_case(user=citizen, case=june["a"], level=4)
        bad = feedback.rating_submit_for_case(user=citizen, case=june["d"], level=2)
    with at("2026-06-25"):
        appeal = feedback.appeal_file(
            user=world["clerk"], rating_id=bad.pk, reason="mistaken", statement="评价人点错"
        )
        feedback.appeal_decide(
            user=supervisor, appeal_id=appeal.pk, decision="upheld", note="评价人来电确认点错"
        )
    settings.EVALUATION_WEIGHTS = "on_time=80,rating=20"
    with at("2026-07-01", 2):
        evaluation = evaluation_compute(month=JUNE)
    rows = {key: (v[6], v[7], v[8], v[9]) for key, v in table(evaluation).items()}
    assert rows[("staff", "clerk")] == (1, Decimal("4.00"), 0, Decimal("96.00"))  # 80 + 20 × 4/5
    assert rows[("window", "综合受理 1 号窗口")] == (1, Decimal("4.00"), 0, Decimal("76.00"))
    # D's office and department have no rating left: that part counts in full.
    assert rows[("office", "登记注册处")] == (0, None, 0, Decimal("100.00"))
    assert rows[("department", "济南市市场监督管理局")] == (0, None, 0, Decimal("100.00"))
