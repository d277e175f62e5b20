"""Bearer tokens: the user a live token names and their roles in one statement; a revoked token,
an inactive user's or an unknown one is not authenticated (401) and changes nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from quanban.accounts import services
from quanban.accounts.models import ApiToken, User
from quanban.accounts.roles import Role
from quanban.api.auth import token_create, token_user
from quanban.core import clock
from quanban.core.models import AuditRecord
from tests import factories

pytestmark = pytest.mark.django_db


def me(clear: str):
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"})


def test_a_live_token_names_its_user_and_their_roles_in_one_statement():
    city = factories.make_city()
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, scope=city.hall)
    services.role_grant(
        granted_by=factories.security_admin(city),
        user=clerk,
        role=Role.REVIEWER,
        org_unit=city.department,
    )
    _token, clear = token_create(user=clerk, name="desk")
    with CaptureQueriesContext(connection) as queries:
        user = token_user(clear)
    assert len(queries) == 1
    assert user is not None and user.pk == clerk.pk and user.username == clerk.username
    assert user.department_id == city.department.pk and user.kind == User.Kind.STAFF
    assert user.role_names == (Role.WINDOW_CLERK, Role.REVIEWER)  # in the order granted
    assert user.primary_role == Role.WINDOW_CLERK
    response = me(clear)
    assert response.status_code == 200
    assert response.json()["roles"] == sorted([Role.REVIEWER, Role.WINDOW_CLERK])


def test_a_user_without_roles_has_none():
    citizen = factories.make_citizen("13700007777")
    _token, clear = token_create(user=citizen, name="app")
    user = token_user(clear)
    assert user is not None and (user.pk, user.role_names, user.primary_role) == (
        citizen.pk,
        (),
        "",
    )


def test_a_token_brings_its_users_person_and_notification_choices_in_the_same_statement():
    from quanban.core import rows
    from quanban.notify import services as notify

    citizen = factories.make_citizen("13700007778")
    person = services.person_register(
        name="张三", id_number=factories.valid_id_number(), phone="13700007778", user=citizen
    )
    notify.notify_preference_update(user=citizen, sms=False, email=False, quiet_enabled=False)
    staff = factories.make_staff(factories.make_city(), Role.WINDOW_CLERK)
    for holder, expected in ((citizen, (person.pk, False)), (staff, (None, None))):
        _token, clear = token_create(user=holder, name="app")
        with CaptureQueriesContext(connection) as queries:
            user = token_user(clear)
            assert user is not None
            found = rows.related_one(user, "person"), rows.related_one(user, "notify_preference")
        assert len(queries) == 1
        assert (getattr(found[0], "pk", None), getattr(found[1], "sms", None)) == expected
        if found[0] is not None:
            assert (found[0].name, found[0].user is user) == ("张三", True)


def test_revoked_inactive_and_unknown_tokens_are_not_authenticated():
    city = factories.make_city()
    clerk = factories.make_staff(city)
    revoked, revoked_clear = token_create(user=clerk, name="old")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=clock.now())
    leaver = factories.make_staff(city)
    _token, leaver_clear = token_create(user=leaver, name="leaver")
    User.objects.filter(pk=leaver.pk).update(is_active=False)
    audit = AuditRecord.objects.count()
    for clear in (revoked_clear, leaver_clear, "qb_" + "x" * 43, "not-ours"):
        assert token_user(clear) is None
        response = me(clear)
        assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")
    assert AuditRecord.objects.count() == audit
