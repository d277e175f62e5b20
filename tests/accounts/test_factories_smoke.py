from quanban.accounts.roles import Role
from tests import factories


def test_city_and_staff_build(city):
    clerk = factories.make_staff(city, Role.WINDOW_CLERK)
    assert clerk.role_assignments.get().role == Role.WINDOW_CLERK
    assert len(factories.totp_code(clerk)) == 6
