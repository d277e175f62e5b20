"""Three-role separation (等保三级 三员分立) and who may grant roles."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from quanban.accounts import services
from quanban.accounts.models import RoleAssignment
from quanban.accounts.roles import Perm, Role
from quanban.accounts.selectors import user_has_perm
from quanban.core.errors import Conflict, PermissionDenied
from quanban.core.models import AuditRecord
from tests import factories


@pytest.fixture
def secadmin(city):
    return factories.security_admin(city)


def _assignments():
    return sorted(RoleAssignment.objects.values_list("user_id", "role", "org_unit_id"))


def test_security_admin_grants_a_role_and_it_is_audited(city, secadmin):
    user = factories.make_staff(city, role=None)
    assignment = services.role_grant(
        granted_by=secadmin, user=user, role=Role.REVIEWER, org_unit=city.department
    )
    assert (assignment.user, assignment.role, assignment.granted_by) == (user, "reviewer", secadmin)
    record = AuditRecord.objects.filter(action="role.grant").latest("seq")
    assert record.object_id == str(assignment.pk)
    assert record.changes == {
        "org_unit": [None, city.department.pk],
        "role": [None, "reviewer"],
        "user": [None, user.pk],
    }


def test_nobody_grants_a_role_to_themselves(city, secadmin):
    before = _assignments()
    with pytest.raises(PermissionDenied) as caught:
        services.role_grant(
            granted_by=secadmin, user=secadmin, role=Role.APPROVER, org_unit=city.city
        )
    assert caught.value.code == "role_self_grant"
    assert _assignments() == before


def test_the_database_refuses_a_self_granted_role_too(city, secadmin):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            user=secadmin,
            role=Role.APPROVER,
            org_unit=city.city,
            granted_by=secadmin,
            granted_at="2026-11-27T00:00:00Z",
        )


@pytest.mark.parametrize(
    "grantor_role", [Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.DEPARTMENT_HEAD]
)
def test_only_the_security_admin_grants(city, grantor_role):
    grantor = factories.make_staff(city, grantor_role)
    user = factories.make_staff(city, role=None)
    before = _assignments()
    with pytest.raises(PermissionDenied):
        services.role_grant(granted_by=grantor, user=user, role=Role.REVIEWER, org_unit=city.city)
    assert _assignments() == before


@pytest.mark.parametrize(
    ("held", "wanted"),
    [
        (Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN),
        (Role.AUDIT_ADMIN, Role.SECURITY_ADMIN),
        (Role.SYSTEM_ADMIN, Role.WINDOW_CLERK),
        (Role.APPROVER, Role.AUDIT_ADMIN),
    ],
)
def test_no_account_holds_two_admin_roles_or_mixes_admin_with_business(
    city, secadmin, held, wanted
):
    user = factories.make_staff(city, held)
    before = _assignments()
    with pytest.raises(Conflict) as caught:
        services.role_grant(granted_by=secadmin, user=user, role=wanted, org_unit=city.city)
    assert caught.value.code == "role_separation"
    assert _assignments() == before


def test_the_database_keeps_one_admin_role_per_account(city):
    user = factories.make_staff(city, Role.SYSTEM_ADMIN)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            user=user, role=Role.AUDIT_ADMIN, org_unit=city.city, granted_at="2026-11-27T00:00:00Z"
        )


def test_system_admin_cannot_read_the_audit_trail_and_audit_admin_writes_no_business(city):
    sysadmin = factories.make_staff(city, Role.SYSTEM_ADMIN)
    auditor = factories.make_staff(city, Role.AUDIT_ADMIN)
    assert not user_has_perm(sysadmin, Perm.AUDIT_VIEW)
    assert user_has_perm(auditor, Perm.AUDIT_VIEW)
    for perm in (Perm.BUSINESS_WRITE, Perm.APPLICANT_WRITE, Perm.ROLE_GRANT, Perm.ORG_MANAGE):
        assert not user_has_perm(auditor, perm)


def test_revoking_ones_own_role_is_refused(city, secadmin):
    own = secadmin.role_assignments.get()
    with pytest.raises(PermissionDenied):
        services.role_revoke(revoked_by=secadmin, assignment_id=own.pk)
    assert RoleAssignment.objects.filter(pk=own.pk).exists()


def test_revoke_removes_and_audits(city, secadmin):
    user = factories.make_staff(city, Role.REVIEWER)
    assignment = user.role_assignments.get()
    services.role_revoke(revoked_by=secadmin, assignment_id=assignment.pk)
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    record = AuditRecord.objects.latest("seq")
    assert (record.action, record.object_id) == ("role.revoke", str(assignment.pk))


def test_a_role_granted_is_seen_at_once_through_the_same_user_object(city, secadmin):
    """A user object keeps its roles and the units they reach once read (a request asks them
    several times); granting a role makes it read them again."""
    from quanban.cases.selectors import work_unit_ids

    user = factories.make_staff(city, Role.REVIEWER, scope=city.department)
    assert user.role_names == ("reviewer",)
    assert city.department.pk in work_unit_ids(user)
    assert city.other_department.pk not in work_unit_ids(user)
    services.role_grant(
        granted_by=secadmin, user=user, role=Role.APPROVER, org_unit=city.other_department
    )
    assert user.role_names == ("reviewer", "approver")
    assert city.other_department.pk in work_unit_ids(user)
