"""申诉复核: staff of the rated unit appeal a bad rating with evidence; a supervisor decides; an
upheld appeal takes the rating out of every score and keeps it in the record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from quanban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from quanban.core.models import AuditRecord
from quanban.feedback import selectors, services, tally
from quanban.feedback.models import Rating, RatingAppeal
from quanban.notify.models import OutboxMessage
from tests import factories
from tests.api.clients import session_client
from tests.feedback.conftest import finished_case

JUNE, JULY = dt.date(2026, 6, 1), dt.date(2026, 7, 1)


@pytest.fixture
def rated(world):
    """Four case ratings of the department, all about the clerk: 5, 4, 2 and 1."""
    ratings = {}
    for level in (5, 4, 2, 1):
        ratings[level] = services.rating_submit_for_case(
            user=world["citizen"], case=finished_case(world), level=level, text=f"等级{level}"
        )
    return ratings


def _figures(world):
    city = world["city"]
    results = selectors.public_results(scope="department", subject_id=city.department.pk)
    index = next(u for u in selectors.public_departments() if u["id"] == city.department.pk)
    subjects = {
        (f.scope, f.subject_id): (f.ratings, f.rating_average, f.bad_ratings)
        for f in selectors.ratings_by_subject(month_start=JUNE, month_end=JULY)
    }
    return (
        (results.total, results.bad, results.satisfaction_rate, results.counts[1]),
        (index["total"], index["bad"], index["satisfaction_rate"]),
        subjects[("staff", world["clerk"].pk)],
        subjects[("department", city.department.pk)],
    )


def _appeal_state(appeal):
    return RatingAppeal.objects.filter(pk=appeal.pk).values_list("state", "decided_by").get()


def test_an_upheld_appeal_takes_the_rating_out_of_every_score(world, rated):
    before = (
        (4, 2, Decimal("0.5000"), 1),
        (4, 2, Decimal("0.5000")),
        (4, Decimal("3.00"), 2),
        (4, Decimal("3.00"), 2),
    )
    assert _figures(world) == before
    appeal = services.appeal_file(
        user=world["clerk"],
        rating_id=rated[1].pk,
        reason="malicious",
        statement="评价人当场声称要故意打差评，有监控为证",
        evidence=SimpleUploadedFile("cctv.txt", b"10:02 video"),
    )
    assert (appeal.state, appeal.department_id, bool(appeal.evidence)) == (
        "pending",
        world["city"].department.pk,
        True,
    )
    assert _figures(world) == before  # pending: still counted
    services.appeal_decide(
        user=world["supervisor"], appeal_id=appeal.pk, decision="upheld", note="监控证实恶意评价"
    )
    assert _figures(world) == (
        (3, 1, Decimal("0.6667"), 0),
        (3, 1, Decimal("0.6667")),
        (3, Decimal("3.67"), 1),  # (5 + 4 + 2) / 3
        (3, Decimal("3.67"), 1),
    )
    assert tally.stored() == tally.computed()  # the running counts, recounted
    # Kept in the record: the rating, its follow-up and the export.
    rating = Rating.objects.get(pk=rated[1].pk)
    assert (rating.level, rating.appeal_upheld, rating.superseded) == (1, True, False)
    assert rating.follow_up.state == "open"
    rows = list(selectors.ratings_export_rows(start=JUNE, end=JULY))
    assert [row[0] for row in rows] == [str(rated[level].pk) for level in (5, 4, 2, 1)]
    # The filer is told; both steps are audited.
    told = OutboxMessage.objects.get(event="appeal_decided", channel="in_app")
    assert (told.recipient_user_id, told.body, told.link) == (
        world["clerk"].pk,
        f"【全办】您对评价 #{rated[1].pk} 的申诉已复核：申诉成立。监控证实恶意评价",
        f"/workbench/feedback/appeals/{appeal.pk}/",
    )
    audit = AuditRecord.objects.filter(action__startswith="rating_appeal.").order_by("pk")
    assert [(r.action, r.object_id) for r in audit] == [
        ("rating_appeal.file", str(appeal.pk)),
        ("rating_appeal.decide", str(appeal.pk)),
    ]
    assert audit.last().changes == {
        "state": ["pending", "upheld"],
        "note": [None, "监控证实恶意评价"],
        "rating": [None, rated[1].pk],
    }


def test_a_rejected_appeal_changes_no_score_and_is_final(world, rated):
    before = _figures(world)
    appeal = services.appeal_file(
        user=world["head"], rating_id=rated[2].pk, reason="mistaken", statement="评价人选错等级"
    )
    services.appeal_decide(
        user=world["supervisor"], appeal_id=appeal.pk, decision="rejected", note="无佐证"
    )
    assert _figures(world) == before
    assert _appeal_state(appeal) == ("rejected", world["supervisor"].pk)
    with pytest.raises(Conflict) as again:
        services.appeal_decide(
            user=world["supervisor"], appeal_id=appeal.pk, decision="upheld", note="改判"
        )
    assert again.value.code == "appeal_decided"
    with pytest.raises(Conflict) as twice:
        services.appeal_file(
            user=world["clerk"], rating_id=rated[2].pk, reason="mistaken", statement="再申诉"
        )
    assert twice.value.code == "appeal_exists"
    assert _appeal_state(appeal) == ("rejected", world["supervisor"].pk)
    assert Rating.objects.get(pk=rated[2].pk).appeal_upheld is False
    assert RatingAppeal.objects.count() == 1


def test_who_may_appeal_and_decide(world, rated):
    city = world["city"]
    outsider = factories.make_staff(city, factories.Role.OFFICE_HEAD, scope=city.other_department)
    outsider.__class__.objects.filter(pk=outsider.pk).update(
        department=city.other_department, office=None
    )
    outsider.refresh_from_db()
    cases = (
        (world["supervisor"], {"rating_id": rated[1].pk}, PermissionDenied),  # no business
        (world["citizen"], {"rating_id": rated[1].pk}, PermissionDenied),
        (outsider, {"rating_id": rated[1].pk}, NotFound),  # not their unit's
        (world["clerk"], {"rating_id": rated[5].pk}, Conflict),  # not a bad rating
        (world["clerk"], {"rating_id": rated[1].pk, "reason": "angry"}, ValidationFailed),
        (world["clerk"], {"rating_id": rated[1].pk, "statement": " "}, ValidationFailed),
    )
    for user, args, error in cases:
        kwargs = {"reason": "mistaken", "statement": "误评", **args}
        with pytest.raises(error):
            services.appeal_file(user=user, **kwargs)
    assert RatingAppeal.objects.count() == 0
    appeal = services.appeal_file(
        user=world["clerk"], rating_id=rated[1].pk, reason="mistaken", statement="误评"
    )
    for user in (world["clerk"], world["head"]):
        with pytest.raises(PermissionDenied):
            services.appeal_decide(user=user, appeal_id=appeal.pk, decision="upheld", note="成立")
    with pytest.raises(ValidationFailed):
        services.appeal_decide(
            user=world["supervisor"], appeal_id=appeal.pk, decision="maybe", note="?"
        )
    assert _appeal_state(appeal) == ("pending", None)
    assert Rating.objects.get(pk=rated[1].pk).appeal_upheld is False
    # The unit sees its appeals; the outsider none; the supervisor all.
    assert [v.appeal.pk for v in selectors.appeal_list_for_user(user=world["head"])] == [appeal.pk]
    assert selectors.appeal_list_for_user(user=outsider) == []
    assert [v.may_decide for v in selectors.appeal_list_for_user(user=world["supervisor"])] == [
        True
    ]
    with pytest.raises(NotFound):
        selectors.appeal_get_for_user(user=outsider, appeal_id=appeal.pk)


def test_the_pages_from_the_follow_up_to_the_decision(world, rated):
    rating = rated[1]
    clerk = session_client(world["clerk"])
    followup_page = clerk.get(f"/workbench/feedback/followups/{rating.follow_up.pk}/")
    assert (
        f'href="/workbench/feedback/ratings/{rating.pk}/appeal/"' in followup_page.content.decode()
    )
    form = clerk.get(f"/workbench/feedback/ratings/{rating.pk}/appeal/").content.decode()
    assert "等级1" in form and "13900001111" not in form and "李四" not in form
    bad = clerk.post(
        f"/workbench/feedback/ratings/{rating.pk}/appeal/", {"reason": "malicious", "statement": ""}
    )
    assert bad.status_code == 422 and RatingAppeal.objects.count() == 0
    done = clerk.post(
        f"/workbench/feedback/ratings/{rating.pk}/appeal/",
        {
            "reason": "malicious",
            "statement": "恶意差评",
            "evidence": SimpleUploadedFile("proof.txt", b"proof"),
        },
    )
    appeal = RatingAppeal.objects.get()
    assert (done.status_code, done["Location"]) == (
        302,
        f"/workbench/feedback/appeals/{appeal.pk}/",
    )
    # Appealed: no second link.
    page = clerk.get(f"/workbench/feedback/followups/{rating.follow_up.pk}/").content.decode()
    assert "appeal-link" not in page
    assert (
        clerk.post(
            f"/workbench/feedback/appeals/{appeal.pk}/decide/", {"decision": "upheld", "note": "x"}
        ).status_code
        == 403
    )
    supervisor = session_client(world["supervisor"])
    queue = supervisor.get("/workbench/feedback/appeals/?state=pending").content.decode()
    assert f'id="appeal-{appeal.pk}"' in queue
    detail = supervisor.get(f"/workbench/feedback/appeals/{appeal.pk}/").content.decode()
    assert "decide-submit" in detail and "恶意差评" in detail
    evidence = supervisor.get(f"/workbench/feedback/appeals/{appeal.pk}/evidence/")
    assert (evidence.status_code, b"".join(evidence.streaming_content)) == (200, b"proof")
    refused = supervisor.post(f"/workbench/feedback/appeals/{appeal.pk}/decide/", {"note": "x"})
    assert refused.status_code == 422 and _appeal_state(appeal) == ("pending", None)
    decided = supervisor.post(
        f"/workbench/feedback/appeals/{appeal.pk}/decide/",
        {"decision": "upheld", "note": "证据充分"},
    )
    assert decided.status_code == 302
    assert _appeal_state(appeal) == ("upheld", world["supervisor"].pk)
    after = clerk.get(f"/workbench/feedback/appeals/{appeal.pk}/").content.decode()
    assert 'id="state">申诉成立<' in after and 'id="counted">否（申诉成立）<' in after
    assert "decide-submit" not in after
    results = session_client(world["citizen"]).get(
        f"/feedback/department/{world['city'].department.pk}/"
    )
    assert 'id="total">3<' in results.content.decode()
