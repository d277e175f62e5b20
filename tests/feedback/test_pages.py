"""The feedback pages through Django's client: exact outcomes; denials change nothing."""

from __future__ import annotations

from django.test import Client

from quanban.feedback import services
from quanban.feedback.models import Complaint, FollowUp, Rating, RatingInvite
from quanban.notify.models import OutboxMessage
from tests.api.clients import session_client


def test_the_portal_rating_form(world, case):
    client = session_client(world["citizen"])
    page = client.get(f"/my/cases/{case.pk}/rate/")
    assert page.status_code == 200
    assert "非常满意" in page.content.decode() and "办事指南准确性" in page.content.decode()
    refused = client.post(f"/my/cases/{case.pk}/rate/", {"level": "9"})
    assert refused.status_code == 200 and Rating.objects.count() == 0
    done = client.post(
        f"/my/cases/{case.pk}/rate/",
        {
            "level": "2",
            "efficiency": "1",
            "guide_accuracy": "",
            "text": "材料要求不清",
            "tags": "指南,排队",
        },
    )
    assert (done.status_code, done["Location"]) == (302, "/my/feedback/")
    row = Rating.objects.get()
    assert (row.level, row.efficiency, row.guide_accuracy, row.tags) == (
        2,
        1,
        None,
        ["指南", "排队"],
    )
    mine = client.get("/my/feedback/").content.decode()
    assert "不满意" in mine and "待回访" in mine


def test_someone_elses_case_is_not_found(world, case):
    from tests import factories

    stranger = session_client(factories.make_citizen("13600006666"))
    assert stranger.post(f"/my/cases/{case.pk}/rate/", {"level": "5"}).status_code == 404
    assert Client().get(f"/my/cases/{case.pk}/rate/").status_code == 302
    assert (
        session_client(world["clerk"])
        .post(f"/my/cases/{case.pk}/rate/", {"level": "5"})
        .status_code
        == 403
    )
    assert Rating.objects.count() == 0


def test_the_sms_link_page(world, case):
    services.rating_invite(case=case)
    token = OutboxMessage.objects.get(event="rating_invite").body.split("/rate/")[1].split("/")[0]
    client = Client()
    page = client.get(f"/rate/{token}/")
    assert page.status_code == 200 and case.number in page.content.decode()
    done = client.post(f"/rate/{token}/", {"level": "5", "convenience": "5"})
    assert done.status_code == 200 and "感谢您的评价" in done.content.decode()
    assert Rating.objects.get().channel == "sms"
    assert client.get(f"/rate/{token}/").status_code == 404
    assert client.post(f"/rate/{token}/", {"level": "1"}).status_code == 404
    assert Rating.objects.count() == 1


def test_the_pad(world, case):
    clerk = session_client(world["clerk"])
    assert clerk.get("/workbench/feedback/pad/").status_code == 200
    opened = clerk.post(
        "/workbench/feedback/pad/",
        {"window": world["city"].window.pk, "case_id": case.pk, "channel": "pad"},
    )
    assert opened.status_code == 302
    pad_url = opened["Location"]
    assert pad_url.startswith("/workbench/feedback/pad/")
    screen = clerk.get(pad_url).content.decode()
    assert "服务态度" in screen and "办事指南准确性" not in screen
    # Another staff member's session may not use the clerk's pad.
    assert session_client(world["head"]).post(pad_url, {"level": "5"}).status_code == 403
    assert Rating.objects.count() == 0
    done = clerk.post(pad_url, {"level": "1", "attitude": "1", "text": "态度不好"})
    assert done.status_code == 200 and "感谢您的评价" in done.content.decode()
    assert (Rating.objects.get().kind, FollowUp.objects.count()) == ("visit", 1)
    assert clerk.get(pad_url).status_code == 404


def test_the_office_handles_a_bad_rating(world, case):
    services.rating_submit_for_case(user=world["citizen"], case=case, level=1, text="太慢")
    followup = FollowUp.objects.get()
    head = session_client(world["head"])
    listed = head.get("/workbench/feedback/followups/").content.decode()
    assert f"followup-{followup.pk}" in listed and "太慢" in listed
    page = head.get(f"/workbench/feedback/followups/{followup.pk}/").content.decode()
    # Staff see the rating, never the rater.
    assert "太慢" in page
    assert "13900001111" not in page and "李四" not in page and "张三" not in page
    stale = head.post(
        f"/workbench/feedback/followups/{followup.pk}/contact/", {"version": "9", "note": "已回访"}
    )
    assert stale.status_code == 422 and FollowUp.objects.get().state == "open"
    done = head.post(
        f"/workbench/feedback/followups/{followup.pk}/contact/", {"version": "1", "note": "已回访"}
    )
    assert done.status_code == 302 and FollowUp.objects.get().state == "contacted"
    # The rated clerk sees it and may not handle it.
    clerk = session_client(world["clerk"])
    assert (
        "rectify-submit"
        not in clerk.get(f"/workbench/feedback/followups/{followup.pk}/").content.decode()
    )
    assert (
        clerk.post(
            f"/workbench/feedback/followups/{followup.pk}/rectify/",
            {"version": "2", "rectification": "x"},
        ).status_code
        == 403
    )
    assert FollowUp.objects.get().state == "contacted"


def test_complaints_from_the_portal(world):
    client = Client()
    form = client.get(f"/complaints/new/?target=person&id={world['member'].pk}")
    assert form.status_code == 200 and "工作人员" in form.content.decode()
    refused = client.post(
        "/complaints/new/",
        {"target": "person", "target_id": world["member"].pk, "category": "attitude", "text": "x"},
    )
    assert refused.status_code == 200 and Complaint.objects.count() == 0
    done = client.post(
        "/complaints/new/",
        {
            "target": "person",
            "target_id": world["member"].pk,
            "category": "attitude",
            "text": "态度生硬",
            "anonymous": "on",
        },
    )
    assert done.status_code == 200 and "投诉已受理" in done.content.decode()
    assert Complaint.objects.get().complainant_id is None


def test_public_results_pages(world, case):
    services.rating_submit_for_case(user=world["citizen"], case=case, level=5)
    client = Client()
    index = client.get("/feedback/").content.decode()
    assert "济南市行政审批服务局" in index and "100%" in index
    # The halls too, each with its find-fault link.
    assert "济南市民中心" in index
    assert f"/complaints/new/?target=hall&amp;id={world['city'].hall.pk}" in index
    page = client.get(f"/feedback/department/{world['city'].department.pk}/")
    assert page.status_code == 200 and 'id="total">1<' in page.content.decode()
    assert client.get(f"/feedback/planet/{world['city'].department.pk}/").status_code == 404


def test_the_export_is_for_supervisors(world, case):
    services.rating_submit_for_case(user=world["citizen"], case=case, level=5)
    response = session_client(world["supervisor"]).get(
        "/workbench/feedback/export.csv?month=2026-06"
    )
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("评价编号,办件编号")
    assert lines[1].split(",")[4:7] == ["1", "1", "1"]  # channel PC, 非常满意 = 1, first rating
    assert session_client(world["head"]).get("/workbench/feedback/export.csv").status_code == 403
    assert RatingInvite.objects.count() == 0
