"""末位: the ranking of June 2026 from cases, cards, ratings and complaints made through the real
services (docs/rankings.md).

The city: departments D1 (济南市行政审批服务局) and D2 (济南市市场监督管理局); district X 历下区 with
its hall HX (window WX) and district Y 槐荫区 with its hall HY (window WY). A 5-working-day item of
each department: accepted on Monday 15 June, a case is promised for Tuesday 23 June (the Dragon
Boat Festival is 19–21 June) and its review task is due 17 June.

- May: m (D1, on-the-spot at WX on 20 May) — finished on time. May's lists have one subject each.
- a (D1 at WX): accepted 15 June, reviewed and approved 16, issued 17 — on time; rated 5.
- b (D1 at WX): the reviewer lets it lie; the sweeps of 18 and 24 June give it two red cards
  (task, then case); finished 24 June — late; rated 1 (bad, not rectified).
- d, e (D2 at WY): finished 16 June — on time; d rated 2 (bad, rectified by D2's head on 26
  June), e rated 4.
- a visit at WX on 22 June rated 5 on the pad (the clerk's department: D1).
- complaints on 20 June: one about D1's item, one about the hall HY; a supervisor finds the
  first not upheld, the second upheld (29 June).

Weights version 1: satisfaction 35, rectification 15, complaints 15 (cap 10 per 1,000), upheld
5, on time 30, red 1 each.

- D1: satisfaction 2/3, rectification 0/1, 500 complaints per 1,000 (→ 0), none upheld (0 of 1),
  on time 1/2, 2 red:
  35 × 2/3 + 0 + 0 + 5 + 15 − 2 = 41.33.
- D2: 1/2, 1/1, 0 per 1,000, 2/2: 17.5 + 15 + 15 + 5 + 30 = 82.50.
- HX and X: as D1 without its complaint: 23.33 + 0 + 15 + 5 + 15 − 2 = 56.33.
- HY and Y: as D2 with the hall's complaint (500 per 1,000 → 0), upheld (1 of 1 → 0): 62.50.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pypdf
import pytest
from django.test import Client
from openpyxl import load_workbook

from quanban.accounts import services as accounts
from quanban.accounts.roles import Role
from quanban.cases import services
from quanban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from quanban.feedback import services as feedback
from quanban.feedback.models import FollowUp, RankingPeriod, RankingRow, Rating, ScoreWeights
from quanban.feedback.ranking_weights import score_weights_create
from quanban.feedback.rankings import ranking_compute, ranking_compute_due
from quanban.feedback.tasks import ranking_hourly_periodic, ranking_year_nightly_periodic
from quanban.supervision.sweep import card_sweep
from tests import factories
from tests.api.clients import session_client
from tests.catalogue import helpers
from tests.supervision.test_evaluation import approve, at, issue, review, task_of

D = dt.date.fromisoformat
JUNE = D("2026-06-01")
MAY = D("2026-05-01")
MONTH = RankingPeriod.Kind.MONTH


@pytest.fixture
def world(city, work_calendar):
    hx = accounts.org_unit_create(kind="hall", name="历下区政务服务中心", parent=city.district)
    wx = accounts.org_unit_create(kind="window", name="历下 1 号窗口", parent=hx)
    y = accounts.org_unit_create(
        kind="district", name="槐荫区", division_code="370104", parent=city.city
    )
    hy = accounts.org_unit_create(kind="hall", name="槐荫区政务服务中心", parent=y)
    wy = accounts.org_unit_create(kind="window", name="槐荫 1 号窗口", parent=hy)
    people = {
        "clerk": factories.make_staff(city, Role.WINDOW_CLERK, username="clerk"),
        "hall": factories.make_staff(city, Role.WINDOW_CLERK, username="hall"),
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
        "head2": factories.make_staff(
            city, Role.DEPARTMENT_HEAD, username="head2", scope=city.other_department
        ),
        "supervisor": factories.make_staff(city, Role.SUPERVISOR, username="supervisor"),
    }
    with at("2026-05-01"):
        d1_item = helpers.published(city.department)
        d2_item = helpers.published(city.other_department)
        spot = helpers.published(
            city.department, case_kind="1", legal_limit_days=0, promised_limit_days=0
        )
    return {
        "city": city,
        "x": city.district,
        "y": y,
        "hx": hx,
        "wx": wx,
        "hy": hy,
        "wy": wy,
        "d1": d1_item,
        "d2": d2_item,
        "spot": spot,
        "citizen": factories.make_citizen("13900001111"),
        **people,
    }


_applicants = iter(range(300, 999))


def receive(w, version, window):
    n = next(_applicants)
    person = accounts.person_register(
        name=f"申请人{n}", id_number=factories.valid_id_number(seq=f"{n:03d}")
    )
    return services.case_receive(
        user=w["clerk"],
        item_version=version,
        applicant=person,
        channel="8",
        answers={},
        window=window,
        received_material_ids=[version.materials.get().pk],
    )


def accepted(w, version, window):
    return services.case_accept(user=w["clerk"], case=receive(w, version, window))


@pytest.fixture
def june(world):
    w = world
    with at("2026-05-20"):
        m = receive(w, w["spot"], w["wx"])
        m = services.case_finish_on_the_spot(
            user=w["clerk"], case=m, received_material_ids=[w["spot"].materials.get().pk]
        )
    with at("2026-06-15"):
        a = accepted(w, w["d1"], w["wx"])
        b = accepted(w, w["d1"], w["wx"])
        services.task_claim(user=w["reviewer"], task=task_of(b))
        d = accepted(w, w["d2"], w["wy"])
        e = accepted(w, w["d2"], w["wy"])
    with at("2026-06-16"):
        review(w, a)
        approve(w, a)
        for case in (d, e):
            review(w, case, "reviewer2")
            approve(w, case, "approver2")
            issue(w, case)
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
    citizen = w["citizen"]
    for case in (a, b, d, e):
        case.refresh_from_db()
    with at("2026-06-18"):
        feedback.rating_submit_for_case(user=citizen, case=a, level=5)
        bad_d = feedback.rating_submit_for_case(user=citizen, case=d, level=2)
        feedback.rating_submit_for_case(user=citizen, case=e, level=4)
    with at("2026-06-20"):
        about_item = feedback.complaint_submit(
            user=citizen, target="item", target_id=w["d1"].item_id, category="process", text="慢"
        )
        about_hall = feedback.complaint_submit(
            user=None,
            target="hall",
            target_id=w["hy"].pk,
            category="environment",
            text="排队太久",
            anonymous=True,
        )
    with at("2026-06-22"):
        _invite, token = feedback.rating_pad_open(user=w["clerk"], window=w["wx"])
        feedback.rating_submit_by_token(token=token, level=5, user=w["clerk"])
    with at("2026-06-25"):
        feedback.rating_submit_for_case(user=citizen, case=b, level=1)
    with at("2026-06-26"):
        feedback.followup_rectify(
            user=w["head2"],
            followup=FollowUp.objects.get(rating=bad_d),
            rectification="已当面致歉并优化流程",
        )
    with at("2026-06-29"):
        feedback.complaint_verify(user=w["supervisor"], complaint_id=about_item.pk, upheld=False)
        feedback.complaint_verify(user=w["supervisor"], complaint_id=about_hall.pk, upheld=True)
    return {"m": m, "a": a, "b": b, "d": d, "e": e}


FIELDS = (
    "ratings",
    "good_ratings",
    "bad_ratings",
    "rectified",
    "finished",
    "finished_on_time",
    "complaints",
    "red_cards",
    "score",
    "rank",
    "previous_rank",
    "bottom",
)


def lists(period: RankingPeriod) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for row in period.rows.select_related("unit").order_by("scope", "rank", "unit__name"):
        out.setdefault(row.scope, []).append((row.unit.name, *(getattr(row, f) for f in FIELDS)))
    return out


D1, D2 = "济南市行政审批服务局", "济南市市场监督管理局"
JUNE_LISTS = {
    "department": [
        (D2, 2, 1, 1, 1, 2, 2, 0, 0, Decimal("82.50"), 1, None, False),
        (D1, 3, 2, 1, 0, 2, 1, 1, 2, Decimal("41.33"), 2, 1, True),
    ],
    "hall": [
        ("槐荫区政务服务中心", 2, 1, 1, 1, 2, 2, 1, 0, Decimal("62.50"), 1, None, False),
        ("历下区政务服务中心", 3, 2, 1, 0, 2, 1, 0, 2, Decimal("56.33"), 2, 1, True),
    ],
    "district": [
        ("槐荫区", 2, 1, 1, 1, 2, 2, 1, 0, Decimal("62.50"), 1, None, False),
        ("历下区", 3, 2, 1, 0, 2, 1, 0, 2, Decimal("56.33"), 2, 1, True),
    ],
}


def test_the_story_holds(june):
    c = june
    assert [c[k].state for k in "mabde"] == ["finished"] * 5
    assert Rating.objects.filter(superseded=False).count() == 5
    assert FollowUp.objects.filter(rectified_at__isnull=False).count() == 1


def test_june_gives_the_known_order_scores_bottom_and_movement(june, world):
    with at("2026-06-26", 12):
        may = ranking_compute(kind=MONTH, day=MAY)
    assert may.closed and may.weights.version == 1
    assert lists(may) == {
        "department": [(D1, 0, 0, 0, 0, 1, 1, 0, 0, Decimal("100.00"), 1, None, False)],
        "hall": [("历下区政务服务中心", 0, 0, 0, 0, 1, 1, 0, 0, Decimal("100.00"), 1, None, False)],
        "district": [("历下区", 0, 0, 0, 0, 1, 1, 0, 0, Decimal("100.00"), 1, None, False)],
    }
    with at("2026-07-02"):
        period = ranking_compute(kind=MONTH, day=D("2026-06-30"))
    assert (period.start, period.end, period.closed, period.revision) == (
        JUNE,
        D("2026-07-01"),
        True,
        1,
    )
    assert period.weights.version == 1
    assert lists(period) == JUNE_LISTS
    d1 = period.rows.get(scope="department", unit=world["city"].department)
    assert (d1.satisfaction_rate, d1.rectification_rate, d1.on_time_rate) == (
        Decimal("0.6667"),
        Decimal("0.0000"),
        Decimal("0.5000"),
    )
    # No inspection found anything in June: measured, and none.
    assert (d1.complaints_per_1000, d1.upheld_share, d1.inspection_findings) == (
        Decimal("500.00"),
        Decimal("0.0000"),
        0,
    )
    hy = period.rows.get(scope="hall", unit=world["hy"])
    assert (hy.complaints, hy.verified_complaints, hy.upheld_complaints, hy.upheld_share) == (
        1,
        1,
        1,
        Decimal("1.0000"),
    )
    assert d1.movement == -1
    record = AuditRecord.objects.get(action="ranking.compute", object_id=str(period.pk))
    assert record.changes["after"]["bottom"] == sorted(
        [
            ["department", world["city"].department.pk],
            ["hall", world["hx"].pk],
            ["district", world["x"].pk],
        ]
    )
    assert record.changes["weights_version"] == 1


def test_an_inspection_finding_costs_its_department_points(june, world):
    """A 暗访 on 22 June finds one thing wrong at D1: the finding counts against D1 alone, at
    weights version 1's two points a finding (41.33 → 39.33); halls and districts are not
    charged."""
    from quanban.supervision.inspections import FindingInput, inspection_record

    with at("2026-06-22"):
        inspection_record(
            user=world["supervisor"],
            kind="unannounced",
            title="暗访历下区政务服务中心",
            held_on=D("2026-06-22"),
            findings=[FindingInput(department_id=world["city"].department.pk, text="窗口空岗")],
        )
    with at("2026-07-02"):
        period = ranking_compute(kind=MONTH, day=D("2026-06-30"))
    rows = {
        (row.scope, row.unit.name): (row.inspection_findings, row.score)
        for row in period.rows.select_related("unit")
    }
    assert rows[("department", D1)] == (1, Decimal("39.33"))
    assert rows[("department", D2)] == (0, Decimal("82.50"))
    assert rows[("hall", "历下区政务服务中心")] == (0, Decimal("56.33"))


def state() -> tuple:
    return (
        list(RankingPeriod.objects.values_list("kind", "start", "revision", "closed")),
        sorted(RankingRow.objects.values_list("pk", "score", "rank")),
        AuditRecord.objects.filter(action__startswith="ranking.").count(),
    )


def test_a_closed_month_is_frozen_and_only_a_supervisor_recomputes(june, world):
    with at("2026-07-02"):
        period = ranking_compute(kind=MONTH, day=JUNE)
        before = state()
        with pytest.raises(Conflict) as frozen:
            ranking_compute(kind=MONTH, day=JUNE)
        assert frozen.value.code == "ranking_frozen"
        with pytest.raises(PermissionDenied):
            ranking_compute(kind=MONTH, day=JUNE, user=world["clerk"], recompute=True)
        with pytest.raises(NotFound):
            ranking_compute(kind=MONTH, day=MAY, user=world["supervisor"], recompute=True)
        with pytest.raises(ValidationFailed):
            ranking_compute(kind=MONTH, day=D("2026-08-01"))
        assert state() == before
        again = ranking_compute(kind=MONTH, day=JUNE, user=world["supervisor"], recompute=True)
    assert again.pk == period.pk and again.revision == 2
    assert lists(again)["department"][1][0] == D1
    record = AuditRecord.objects.get(action="ranking.recompute")
    assert record.changes["before"]["rows_department"] == 2
    assert record.changes["after"]["finished"] == 4


def test_weights_versions_change_scores_and_a_month_keeps_its_version(june, world):
    sup = world["supervisor"]
    with at("2026-06-26", 12):
        provisional = ranking_compute(kind=MONTH, day=JUNE)
        assert not provisional.closed
        v2 = score_weights_create(
            user=sup, effective_from=JUNE, weights={"red": "10"}, bottom_n=1, note="红牌加重"
        )
        refreshed = ranking_compute(kind=MONTH, day=JUNE)
    assert (v2.version, refreshed.weights_id) == (2, v2.pk)
    assert v2.weights["red"] == 10.0 and v2.weights["satisfaction"] == 35.0
    # Two red cards at 10 points each instead of 1: 18 points fewer.
    scores = dict(refreshed.rows.filter(scope="department").values_list("unit__name", "score"))
    assert scores[D1] == Decimal("41.33") - 18
    with at("2026-07-02"):
        closed = ranking_compute(kind=MONTH, day=JUNE)
        v3 = score_weights_create(user=sup, effective_from=D("2026-07-01"), weights={"red": 0})
        with pytest.raises(ValidationFailed) as late:
            score_weights_create(user=sup, effective_from=JUNE, weights={"red": 0})
        assert late.value.code == "weights_month_invalid"
        with pytest.raises(Conflict):
            score_weights_create(user=sup, effective_from=D("2026-07-01"), weights={"red": 1})
        with pytest.raises(ValidationFailed):
            score_weights_create(user=sup, effective_from=D("2026-08-01"), weights={"speed": 1})
        with pytest.raises(PermissionDenied):
            score_weights_create(user=world["clerk"], effective_from=D("2026-08-01"), weights={})
        again = ranking_compute(kind=MONTH, day=JUNE, user=sup, recompute=True)
    assert closed.closed and again.weights_id == v2.pk and v3.version == 3
    assert ScoreWeights.objects.count() == 3
    assert AuditRecord.objects.filter(action="ranking.weights").count() == 2
    scores = dict(again.rows.filter(scope="department").values_list("unit__name", "score"))
    assert scores == {D1: Decimal("23.33"), D2: Decimal("82.50")}


def test_the_bottom_n_comes_with_the_version(june, world):
    with at("2026-06-02"):
        score_weights_create(user=world["supervisor"], effective_from=JUNE, weights={}, bottom_n=2)
    with at("2026-07-02"):
        period = ranking_compute(kind=MONTH, day=JUNE)
    # A list of two with two at the bottom: the first place is never 末位.
    assert list(period.rows.filter(bottom=True).values_list("scope", "rank")) == [
        ("department", 2),
        ("district", 2),
        ("hall", 2),
    ]


def test_the_worker_closes_the_previous_month_on_its_first_working_day(june, world):
    # July 2026's first working day is Wednesday 1 July. On 30 June, May (over since June's
    # first working day) is closed and June refreshed.
    with at("2026-06-30", 23):
        assert ranking_compute_due() == ["month:2026-05", "month:2026-06"]
    assert RankingPeriod.objects.get(start=MAY).closed
    assert not RankingPeriod.objects.get(start=JUNE).closed
    with at("2026-07-01", 9):
        assert ranking_hourly_periodic.call_local() == ["month:2026-06", "month:2026-07"]
        assert ranking_hourly_periodic.call_local() == ["month:2026-07"]
        assert ranking_year_nightly_periodic.call_local() == "year:2026"
    year = RankingPeriod.objects.get(kind=RankingPeriod.Kind.YEAR)
    assert (year.start, year.end, year.closed) == (D("2026-01-01"), D("2027-01-01"), False)
    # The year so far: May's case and June's, D1 2 of 3 on time.
    d1 = year.rows.get(scope="department", unit=world["city"].department)
    assert (d1.finished, d1.finished_on_time, d1.ratings) == (3, 2, 3)
    june_period = RankingPeriod.objects.get(kind=MONTH, start=JUNE)
    assert june_period.closed and lists(june_period) == JUNE_LISTS


# --- The pages -----------------------------------------------------------------------------------


def _cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each body row of a table, tags and white space dropped."""
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    rows = []
    for row in body.split("</tr>")[:-1]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append(["".join(re.sub(r"<[^>]+>", "", c).split()) for c in cells])
    return rows


def test_the_public_page_shows_the_order_scores_bottom_and_weights(june, world):
    with at("2026-06-26", 12):
        ranking_compute(kind=MONTH, day=MAY)
    with at("2026-07-02"):
        ranking_compute(kind=MONTH, day=JUNE)
        page = Client().get("/feedback/rankings/")
        may = Client().get("/feedback/rankings/?period=2026-05")
        missing = Client().get("/feedback/rankings/?period=2025-01")
    assert page.status_code == 200 and may.status_code == 200 and missing.status_code == 404
    html = page.content.decode()
    departments = _cells(html, "ranking-department")
    assert [row[:4] for row in departments] == [
        ["1", "新", D2, "82.50"],
        ["2末位", "↓1", D1, "41.33"],
    ]
    assert departments[1][4:9] == ["66.67%", "0.00%", "500.00", "0.00%", "50.00%"]
    assert [row[:4] for row in _cells(html, "ranking-district")] == [
        ["1", "新", "槐荫区", "62.50"],
        ["2末位", "↓1", "历下区", "56.33"],
    ]
    assert [row[2:4] for row in _cells(html, "ranking-hall")] == [
        ["槐荫区政务服务中心", "62.50"],
        ["历下区政务服务中心", "56.33"],
    ]
    assert html.count('class="ranking-bottom"') == 3
    assert "评分权重 v1（2000-01 起执行）" in html and "满意率 35" in html
    d1 = world["city"].department.pk
    assert f'href="/feedback/department/{d1}/"' in html
    assert f'href="/feedback/district/{world["x"].pk}/"' in html
    assert 'data-chart="bar"' in html and "vendor/echarts/echarts.min.js" in html
    assert [row[:4] for row in _cells(may.content.decode(), "ranking-department")] == [
        ["1", "新", D1, "100.00"]
    ]
    # The drill-down: the department's public results behind the score.
    results = Client().get(f"/feedback/department/{d1}/")
    assert results.status_code == 200


def test_the_page_without_any_ranking_says_so(db):
    page = Client().get("/feedback/rankings/")
    assert page.status_code == 200 and "还没有公布的排名" in page.content.decode()


def test_the_supervisor_computes_and_adds_a_version_from_the_page(june, world):
    with at("2026-07-02"):
        client = session_client(world["supervisor"])
        assert 'href="/workbench/rankings/"' in client.get("/workbench/").content.decode()
        assert client.get("/workbench/rankings/").status_code == 200
        done = client.post("/workbench/rankings/compute/", {"period": "2026-06"})
        assert done.status_code == 302
        bad = client.post("/workbench/rankings/compute/", {"period": "2026-13"})
        frozen = client.post("/workbench/rankings/compute/", {"period": "2026-06"})
        weights = {f"w_{key}": "1" for key in ("satisfaction", "rectification", "complaints")}
        weights.update(
            {
                f"w_{key}": "0"
                for key in ("upheld", "on_time", "complaints_cap", "red", "inspection")
            }
        )
        added = client.post(
            "/workbench/rankings/weights/",
            {"effective_from": "2026-08", "bottom_n": "2", "note": "试行", **weights},
        )
        refused = client.post(
            "/workbench/rankings/weights/",
            {"effective_from": "2026-05", "bottom_n": "1", **weights},
        )
    assert RankingPeriod.objects.get(start=JUNE).closed
    assert bad.status_code == 200 and "期间格式应为" in bad.content.decode()
    assert frozen.status_code == 200 and "已定稿" in frozen.content.decode()
    assert added.status_code == 302
    version = ScoreWeights.objects.get(version=2)
    assert (version.effective_from, version.bottom_n, version.weights["satisfaction"]) == (
        D("2026-08-01"),
        2,
        1.0,
    )
    assert refused.status_code == 200 and "生效月份应为本月或以后的月份" in refused.content.decode()
    assert ScoreWeights.objects.count() == 2
    clerk = session_client(world["clerk"])
    assert 'href="/workbench/rankings/"' not in clerk.get("/workbench/").content.decode()
    assert clerk.get("/workbench/rankings/").status_code == 403
    assert clerk.post("/workbench/rankings/compute/", {"period": "2026-05"}).status_code == 403
    assert not RankingPeriod.objects.filter(start=MAY).exists()


def test_the_year_end_report_in_excel_and_pdf(june, world):
    with at("2026-06-26", 12):
        ranking_compute(kind=MONTH, day=MAY)
    with at("2026-07-02"):
        ranking_compute(kind=MONTH, day=JUNE)
        ranking_compute(kind=RankingPeriod.Kind.YEAR, day=JUNE)
    d1 = world["city"].department.pk
    client = session_client(world["supervisor"])
    xlsx = client.get(f"/workbench/rankings/2026/{d1}/report.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content))["排名历史"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "济南市行政审批服务局 2026 年度排名报告"
    assert rows[1][:4] == ["期间", "名次", "参评数", "综合得分"]
    assert rows[2][:2] == ["2026-01", None]
    assert rows[6][:4] == ["2026-05", 1, 1, 100.0]
    assert rows[7][:4] == ["2026-06", 2, 2, 41.33]
    assert rows[7][10:] == ["末位", "v1"]
    assert rows[14][0] == "2026 年度" and rows[14][1:3] == [2, 2]
    pdf = client.get(f"/workbench/rankings/2026/{d1}/report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    text = "".join("".join(page.extract_text().split()) for page in reader.pages)
    assert "2026-06" in text and "41.33" in text and "2026-05" in text and "100.00" in text
    # A department head reads their own department's report only; a clerk none.
    head = factories.make_staff(
        world["city"], Role.DEPARTMENT_HEAD, username="head1", scope=world["city"].department
    )
    mine = session_client(head)
    assert mine.get(f"/workbench/rankings/2026/{d1}/report.xlsx").status_code == 200
    other = world["city"].other_department.pk
    assert mine.get(f"/workbench/rankings/2026/{other}/report.pdf").status_code == 403
    assert (
        session_client(world["clerk"]).get(f"/workbench/rankings/2026/{d1}/report.pdf").status_code
        == 403
    )
    assert client.get(f"/workbench/rankings/2026/{world['x'].pk}/report.pdf").status_code == 404


# --- 核实: the upheld finding -----------------------------------------------------------------


def test_only_a_supervisor_verifies_a_complaint_and_it_is_audited(world):
    from quanban.feedback.models import Complaint

    with at("2026-06-20"):
        complaint = feedback.complaint_submit(
            user=None,
            target="hall",
            target_id=world["hy"].pk,
            category="environment",
            text="排队太久",
            anonymous=True,
        )
        followup = FollowUp.objects.get(complaint=complaint)
        for who in ("clerk", "head2"):
            with pytest.raises(PermissionDenied):
                feedback.complaint_verify(user=world[who], complaint_id=complaint.pk, upheld=True)
        with pytest.raises(ValidationFailed):
            feedback.complaint_verify(
                user=world["supervisor"], complaint_id=complaint.pk, upheld="yes"
            )
        with pytest.raises(NotFound):
            feedback.complaint_verify(user=world["supervisor"], complaint_id=0, upheld=True)
        assert Complaint.objects.get().upheld is None
        assert not AuditRecord.objects.filter(action="complaint.verify").exists()
        client = session_client(world["supervisor"])
        page = client.get(f"/workbench/feedback/followups/{followup.pk}/")
        assert 'id="verify-submit"' in page.content.decode()
        assert "未核实" in page.content.decode()
        done = client.post(
            f"/workbench/feedback/followups/{followup.pk}/verify/", {"upheld": "yes"}
        )
        bad = client.post(f"/workbench/feedback/followups/{followup.pk}/verify/", {"upheld": "x"})
        head = session_client(world["head2"])
        denied = head.post(f"/workbench/feedback/followups/{followup.pk}/verify/", {"upheld": "no"})
    assert done.status_code == 302 and bad.status_code == 422 and denied.status_code == 403
    complaint.refresh_from_db()
    assert (complaint.upheld, complaint.verified_by) == (True, world["supervisor"])
    record = AuditRecord.objects.get(action="complaint.verify")
    assert record.changes == {"upheld": [None, True]}
