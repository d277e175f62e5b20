"""The feedback API through Django's client: exact answers; denials change nothing."""

from __future__ import annotations

from django.test import Client

from quanban.feedback import services
from quanban.feedback.models import Complaint, FollowUp, Rating, RatingInvite
from quanban.notify.models import OutboxMessage
from tests.api.clients import bearer


def post(client, url, body, headers=None):
    return client.post(url, body, content_type="application/json", headers=headers or {})


def test_the_citizen_rates_their_case(world, case):
    client = Client()
    headers = bearer(world["citizen"])
    response = post(
        client,
        f"/api/v1/my/cases/{case.pk}/rating",
        {"level": 2, "efficiency": 2, "text": "太慢", "tags": ["排队久"]},
        headers,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    followup = FollowUp.objects.get()
    assert {k: body[k] for k in ("kind", "channel", "level", "number", "follow_up_id")} == {
        "kind": "case",
        "channel": "portal",
        "level": 2,
        "number": 1,
        "follow_up_id": followup.pk,
    }
    # A visit dimension on a case rating: 422, nothing written.
    response = post(client, f"/api/v1/my/cases/{case.pk}/rating", {"level": 4, "skill": 3}, headers)
    assert (response.status_code, response.json()["code"]) == (422, "rating_dimension_invalid")
    assert Rating.objects.count() == 1


def test_nobody_else_rates_the_case(world, case):
    from tests import factories

    stranger = factories.make_citizen("13600006666")
    for user, status in ((stranger, 404), (world["clerk"], 403)):
        response = post(Client(), f"/api/v1/my/cases/{case.pk}/rating", {"level": 5}, bearer(user))
        assert response.status_code == status
    assert post(Client(), f"/api/v1/my/cases/{case.pk}/rating", {"level": 5}).status_code == 401
    assert Rating.objects.count() == 0


def test_the_pad_over_the_api(world, case):
    clerk = bearer(world["clerk"])
    client = Client()
    opened = post(
        client,
        "/api/v1/feedback/pad",
        {"window_id": world["city"].window.pk, "case_id": case.pk},
        clerk,
    )
    assert opened.status_code == 201, opened.content
    token = opened.json()["token"]
    assert opened.json()["pad_url"] == f"/workbench/feedback/pad/{token}/"
    # Another clerk's session may not use it; nor the SMS endpoint.
    other = bearer(world["head"])
    assert (
        post(client, "/api/v1/feedback/pad/rating", {"token": token, "level": 5}, other).status_code
        == 403
    )
    assert post(client, "/api/v1/feedback/rate", {"token": token, "level": 5}).status_code == 404
    assert Rating.objects.count() == 0
    rated = post(
        client,
        "/api/v1/feedback/pad/rating",
        {"token": token, "level": 5, "skill": 5, "attitude": 4},
        clerk,
    )
    assert rated.status_code == 201, rated.content
    assert (rated.json()["kind"], rated.json()["channel"]) == ("visit", "pad")
    again = post(client, "/api/v1/feedback/pad/rating", {"token": token, "level": 1}, clerk)
    assert (again.status_code, again.json()["code"]) == (404, "rating_invite_invalid")
    assert Rating.objects.count() == 1


def test_the_sms_link_needs_no_sign_in(world, case):
    services.rating_invite(case=case)
    token = OutboxMessage.objects.get(event="rating_invite").body.split("/rate/")[1].split("/")[0]
    response = post(Client(), "/api/v1/feedback/rate", {"token": token, "level": 4})
    assert response.status_code == 201, response.content
    assert (response.json()["channel"], RatingInvite.objects.get().used_at is not None) == (
        "sms",
        True,
    )


def test_complaints_and_follow_up_over_the_api(world):
    client = Client()
    anonymous = post(
        client,
        "/api/v1/feedback/complaints",
        {
            "target": "person",
            "target_id": world["member"].pk,
            "category": "integrity",
            "text": "吃拿卡要",
            "anonymous": True,
        },
    )
    assert anonymous.status_code == 201, anonymous.content
    real_name_without_account = post(
        client,
        "/api/v1/feedback/complaints",
        {"target": "person", "target_id": world["member"].pk, "category": "integrity", "text": "x"},
    )
    assert (real_name_without_account.status_code, real_name_without_account.json()["code"]) == (
        403,
        "complaint_real_name_needs_account",
    )
    citizen = bearer(world["citizen"])
    mine = post(
        client,
        "/api/v1/feedback/complaints",
        {
            "target": "hall",
            "target_id": world["city"].hall.pk,
            "category": "environment",
            "text": "太吵",
        },
        citizen,
    )
    assert mine.status_code == 201
    assert Complaint.objects.count() == 2
    followup_id = mine.json()["follow_up_id"]

    head = bearer(world["head"])
    listed = client.get("/api/v1/feedback/followups", headers=head).json()
    # The head's office has the complaint about its member; the hall's is not theirs.
    assert [(f["source"], f["category"], f["may_handle"]) for f in listed] == [
        ("complaint", "integrity", True)
    ]
    supervisor = bearer(world["supervisor"])
    assert len(client.get("/api/v1/feedback/followups", headers=supervisor).json()) == 2
    assert all("complainant" not in str(f) for f in listed)
    refused = post(
        client,
        f"/api/v1/feedback/followups/{followup_id}/rectify",
        {"rectification": "已降噪"},
        head,
    )
    assert refused.status_code == 404
    assert FollowUp.objects.get(pk=followup_id).state == "open"

    own = FollowUp.objects.get(complaint__anonymous=True)
    contacted = post(
        client,
        f"/api/v1/feedback/followups/{own.pk}/contact",
        {"note": "已核查", "version": 1},
        head,
    )
    assert (contacted.status_code, contacted.json()["state"], contacted.json()["version"]) == (
        200,
        "contacted",
        2,
    )
    stale = post(
        client,
        f"/api/v1/feedback/followups/{own.pk}/rectify",
        {"rectification": "x", "version": 1},
        head,
    )
    assert stale.status_code == 412
    done = post(
        client,
        f"/api/v1/feedback/followups/{own.pk}/rectify",
        {"rectification": "已调查处理"},
        head,
    )
    # Anonymous: nobody to ask, closed.
    assert (done.json()["state"], done.json()["verdict"]) == ("closed", "unreachable")


def test_my_feedback_and_verdict(world, case):
    services.rating_submit_for_case(user=world["citizen"], case=case, level=1)
    followup = FollowUp.objects.get()
    services.followup_rectify(user=world["head"], followup=followup, rectification="已整改")
    client = Client()
    citizen = bearer(world["citizen"])
    mine = client.get("/api/v1/my/feedback", headers=citizen).json()
    assert [(r["level"], r["follow_up_state"], r["rectification"]) for r in mine["ratings"]] == [
        (1, "rectified", "已整改")
    ]
    assert client.get("/api/v1/my/feedback", headers=bearer(world["clerk"])).status_code == 403
    denied = post(
        client,
        f"/api/v1/my/feedback/followups/{followup.pk}/verdict",
        {"verdict": "satisfied"},
        bearer(world["head"]),
    )
    assert denied.status_code == 403
    done = post(
        client,
        f"/api/v1/my/feedback/followups/{followup.pk}/verdict",
        {"verdict": "satisfied"},
        citizen,
    )
    assert done.json() == {"id": followup.pk, "state": "closed", "verdict": "satisfied"}


def test_public_results(world, case):
    services.rating_submit_for_case(user=world["citizen"], case=case, level=4)
    response = Client().get(f"/api/v1/feedback/results/department/{world['city'].department.pk}")
    assert response.status_code == 200
    body = response.json()
    assert (body["counts"], body["total"], body["satisfaction_rate"]) == (
        {"5": 0, "4": 1, "3": 0, "2": 0, "1": 0},
        1,
        "1.0000",
    )
    assert (
        Client().get(f"/api/v1/feedback/results/hall/{world['city'].department.pk}").status_code
        == 404
    )


def test_an_appeal_filed_and_decided_over_the_api(world, case):
    """The rated clerk appeals a bad rating; a bad body changes nothing; the clerk cannot decide;
    the supervisor upholds it and the rating leaves the public counts."""
    from quanban.feedback import selectors
    from quanban.feedback.models import RatingAppeal

    rating = services.rating_submit_for_case(user=world["citizen"], case=case, level=1, text="差")
    clerk, supervisor = bearer(world["clerk"]), bearer(world["supervisor"])
    client = Client()
    url = f"/api/v1/feedback/ratings/{rating.pk}/appeal"
    bad = post(client, url, {"reason": "angry", "statement": "x"}, clerk)
    assert bad.status_code == 422 and RatingAppeal.objects.count() == 0
    filed = post(client, url, {"reason": "malicious", "statement": "当场声称故意差评"}, clerk)
    assert filed.status_code == 201, filed.content
    body = filed.json()
    appeal = RatingAppeal.objects.get()
    assert {k: body[k] for k in ("id", "rating_id", "level", "text", "reason", "state")} == {
        "id": appeal.pk,
        "rating_id": rating.pk,
        "level": 1,
        "text": "差",
        "reason": "malicious",
        "state": "pending",
    }
    assert (body["has_evidence"], body["may_decide"], body["decided_by"]) == (False, False, "")
    assert "rater" not in str(sorted(body))  # never who gave the rating
    again = post(client, url, {"reason": "mistaken", "statement": "再次申诉"}, clerk)
    assert (again.status_code, again.json()["code"]) == (409, "appeal_exists")

    decision = f"/api/v1/feedback/appeals/{appeal.pk}/decision"
    refused = post(client, decision, {"decision": "upheld", "note": "自己裁决"}, clerk)
    assert refused.status_code == 403
    assert RatingAppeal.objects.get().state == "pending"
    queue = client.get("/api/v1/feedback/appeals?state=pending", headers=supervisor).json()
    assert [(a["id"], a["may_decide"]) for a in queue] == [(appeal.pk, True)]
    department = case.lead_department_id
    assert selectors.public_results(scope="department", subject_id=department).counts[1] == 1
    decided = post(client, decision, {"decision": "upheld", "note": "监控证实"}, supervisor)
    assert decided.status_code == 200, decided.content
    assert {k: decided.json()[k] for k in ("state", "decision_note", "may_decide")} == {
        "state": "upheld",
        "decision_note": "监控证实",
        "may_decide": False,
    }
    assert selectors.public_results(scope="department", subject_id=department).counts[1] == 0
    assert client.get("/api/v1/feedback/appeals?state=pending", headers=supervisor).json() == []
