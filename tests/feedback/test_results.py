"""Public results, the evaluation's figures, the national export and the code mappings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quanban.feedback import codes, selectors, services, tally
from quanban.feedback.models import FollowUp, Level, Rating
from tests.feedback.conftest import finished_case


def test_the_two_directions_of_level_codes():
    assert [codes.level_code(level, codes.NATIONAL) for level in Level.values] == [
        "1",  # 非常满意
        "2",
        "3",
        "4",
        "5",  # 非常不满意
    ]
    assert [codes.level_code(level, codes.PROVINCIAL) for level in Level.values] == [
        "5",
        "4",
        "3",
        "2",
        "1",
    ]
    assert Level.values == [5, 4, 3, 2, 1]
    for direction in codes.DIRECTIONS:
        for level in Level.values:
            assert codes.level_from_code(codes.level_code(level, direction), direction) == level
    assert codes.level_from_code("1", codes.NATIONAL) == Level.VERY_SATISFIED
    assert codes.level_from_code("1", codes.PROVINCIAL) == Level.VERY_DISSATISFIED
    with pytest.raises(KeyError):
        codes.level_from_code("6")
    assert codes.CHANNEL_CODES == {
        "portal": "1",
        "mobile": "2",
        "pad": "4",
        "kiosk": "5",
        "sms": "6",
    }


@pytest.fixture
def rated(world):
    """Three finished cases rated 5, 3 and 1 (the last replaced a 4 and opened a follow-up that
    was closed), a pad visit rated 2 (its follow-up open), a complaint against a staff member."""
    citizen, head = world["citizen"], world["head"]
    levels = (5, 3, 4)
    cases = [finished_case(world) for _ in levels]
    for case, level in zip(cases, levels, strict=True):
        services.rating_submit_for_case(user=citizen, case=case, level=level)
    services.rating_submit_for_case(user=citizen, case=cases[2], level=1)
    first = FollowUp.objects.get()
    services.followup_rectify(user=head, followup=first, rectification="增设帮办代办")
    services.followup_verdict(user=citizen, followup_id=first.pk, verdict="satisfied")
    _invite, token = services.rating_pad_open(user=world["clerk"], window=world["city"].window)
    services.rating_submit_by_token(token=token, level=2, user=world["clerk"])
    services.complaint_submit(
        user=citizen,
        target="person",
        target_id=world["clerk"].pk,
        category="attitude",
        text="态度差",
    )
    return cases


def test_the_department_results(world, rated):
    city = world["city"]
    with CaptureQueriesContext(connection) as queries:
        results = selectors.public_results(scope="department", subject_id=city.department.pk)
    assert len(queries) == 3  # the subject's name, its running counts, its record
    assert results.name == "济南市行政审批服务局"
    assert results.counts == {5: 1, 4: 0, 3: 1, 2: 1, 1: 1}
    assert (results.total, results.good, results.bad) == (4, 2, 2)
    assert results.satisfaction_rate == Decimal("0.5000")
    # Two bad ratings and one complaint: one closed, two open.
    assert results.followups == {"open": 2, "contacted": 0, "rectified": 0, "closed": 1}
    assert results.rectification_rate == Decimal("0.3333")
    assert results.complaints == 1
    assert [(r["level"], r["rectification"], r["verdict"]) for r in results.record] == [
        (1, "增设帮办代办", "satisfied")
    ]


def test_the_running_counts_are_the_recount_and_a_rebuild_keeps_them(world, rated):
    """Every change wrote its deltas (a rating, its replacement, follow-ups opened, rectified and
    closed, a complaint): the stored counts are exactly what counting the tables gives."""
    department = world["city"].department.pk
    (day,) = set(Rating.objects.values_list("rated_on", flat=True))
    kept = tally.stored()
    assert kept == tally.computed()
    assert {m: n for (s, i, d, m), n in kept.items() if (s, i) == ("department", department)} == {
        "level5": 1,
        "level3": 1,
        "level2": 1,
        "level1": 1,  # the 4 it replaced is no longer counted
        "followup:open": 2,
        "followup:closed": 1,
        "complaints": 1,
    }
    assert {d for (_s, _i, d, _m) in kept} == {day}
    assert tally.rebuild() == len(kept)
    assert tally.stored() == kept


def test_the_hall_and_item_results(world, rated):
    hall = selectors.public_results(scope="hall", subject_id=world["city"].hall.pk)
    assert (hall.total, hall.bad, hall.name) == (4, 2, "济南市民中心")
    item = selectors.public_results(scope="item", subject_id=rated[0].item_version.item_id)
    assert (item.total, item.counts[5]) == (1, 1)
    with pytest.raises(Exception) as error:
        selectors.public_results(scope="department", subject_id=world["city"].hall.pk)
    assert getattr(error.value, "code", "") == "results_subject_not_found"


def test_ratings_by_subject_for_the_evaluation(world, rated):
    city, clerk = world["city"], world["clerk"]
    with CaptureQueriesContext(connection) as queries:
        figures = selectors.ratings_by_subject(
            month_start=dt.date(2026, 6, 1), month_end=dt.date(2026, 7, 1)
        )
    assert len(queries) == 7
    got = {
        (f.scope, f.subject_id): (f.ratings, f.rating_average, f.bad_ratings, f.complaints)
        for f in figures
    }
    # Current ratings 5, 3, 1 (cases) and 2 (the pad): average 2.75, two bad.
    assert got == {
        ("department", city.department.pk): (4, Decimal("2.75"), 2, 1),
        ("office", city.office.pk): (4, Decimal("2.75"), 2, 1),
        ("staff", clerk.pk): (4, Decimal("2.75"), 2, 1),
        ("window", city.window.pk): (4, Decimal("2.75"), 2, 0),
    }
    assert (
        selectors.ratings_by_subject(month_start=dt.date(2026, 5, 1), month_end=dt.date(2026, 6, 1))
        == []
    )


def test_the_national_export(world, rated):
    rows = list(selectors.ratings_export_rows(start=dt.date(2026, 6, 15), end=dt.date(2026, 6, 16)))
    assert [(r[3], r[4], r[5], r[6]) for r in rows] == [
        ("2", "1", "1", "1"),  # 非常满意 is 1 nationally
        ("2", "1", "3", "1"),
        ("2", "1", "2", "1"),  # the first rating of the third case (superseded, kept)
        ("2", "1", "5", "2"),  # its second rating: 非常不满意, number 2
        ("1", "4", "4", "1"),  # the pad's visit rating
    ]
    provincial = list(
        selectors.ratings_export_rows(
            start=dt.date(2026, 6, 15), end=dt.date(2026, 6, 16), direction=codes.PROVINCIAL
        )
    )
    assert [r[5] for r in provincial] == ["5", "3", "4", "1", "2"]
    assert all("13900001111" not in "".join(r) for r in rows)


def test_the_index_lists_departments_and_halls(world, rated):
    city = world["city"]
    assert selectors.public_units("hall") == [
        {
            "id": city.hall.pk,
            "name": "济南市民中心",
            "total": 4,
            "bad": 2,
            "satisfaction_rate": Decimal("0.5000"),
        }
    ]
    departments = {row["id"]: row for row in selectors.public_units("department")}
    assert (departments[city.department.pk]["total"], departments[city.other_department.pk]) == (
        4,
        {
            "id": city.other_department.pk,
            "name": "济南市市场监督管理局",
            "total": 0,
            "bad": 0,
            "satisfaction_rate": None,
        },
    )


def test_a_rating_writes_all_its_counts_in_one_statement(world):
    """A bad second rating replaces the first (−1 on the first's day and level), opens a
    follow-up (+1 open) and counts itself (+1): one upsert, its rows in key order, so two such
    transactions never lock each other's rows crosswise."""
    case = finished_case(world)
    services.rating_submit_for_case(user=world["citizen"], case=case, level=4)
    with CaptureQueriesContext(connection) as queries:
        services.rating_submit_for_case(user=world["citizen"], case=case, level=1)
    upserts = [q["sql"] for q in queries.captured_queries if "feedback_tally" in q["sql"]]
    assert len(upserts) == 1
    assert tally.stored() == tally.computed()
    department = world["city"].department.pk
    kept = {
        m: n for (s, i, _d, m), n in tally.stored().items() if (s, i) == ("department", department)
    }
    assert kept == {"level1": 1, "followup:open": 1}  # the 4 went to 0 and is not kept
