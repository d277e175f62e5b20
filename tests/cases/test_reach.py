"""Which units a staff member's roles reach (``work_unit_ids``): what their inboxes, the case
pages and the task reads are scoped by."""

from __future__ import annotations

import pytest

from quanban.accounts import services as accounts
from quanban.accounts.models import User
from quanban.accounts.roles import Role
from quanban.cases.selectors import work_unit_ids
from tests import factories

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The user as a new request reads them (nothing kept from an earlier read)."""
    return User.objects.get(pk=user.pk)


def test_a_scope_reaches_its_unit_and_everything_under_it_and_nothing_beside(city):
    reviewer = factories.make_staff(city, Role.REVIEWER, scope=city.department)
    assert work_unit_ids(fresh(reviewer)) == [city.department.pk, city.office.pk]
    clerk = factories.make_staff(city, Role.WINDOW_CLERK, scope=city.hall)
    assert work_unit_ids(fresh(clerk)) == [city.hall.pk, city.window.pk]


def test_two_scopes_reach_both_once_each_in_order(city):
    user = factories.make_staff(city, Role.REVIEWER, scope=city.office)
    accounts.role_grant(
        granted_by=factories.security_admin(city),
        user=user,
        role=Role.APPROVER,
        org_unit=city.department,
    )
    accounts.role_grant(
        granted_by=factories.security_admin(city),
        user=user,
        role=Role.REVIEWER,
        org_unit=city.other_department,
    )
    # The office is under the department: reached once.
    assert work_unit_ids(fresh(user)) == sorted(
        [city.department.pk, city.office.pk, city.other_department.pk]
    )


def test_administrators_and_people_without_business_roles_reach_nothing(city):
    admin = factories.security_admin(city)
    assert work_unit_ids(fresh(admin)) == []
    assert work_unit_ids(fresh(factories.make_staff(city, role=None))) == []
