"""Factories for tests: they build state through the real services, so tests see real rows."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from quanban.accounts import services
from quanban.accounts.models import OrgUnit, User
from quanban.accounts.roles import ADMIN_ROLES, Role
from quanban.core.identifiers import id_number_check_digit, uscc_check_digit

PASSWORD = "Quanban#2026"
_counter = itertools.count(1)


def valid_id_number(region: str = "370102", birth: str = "19900101", seq: str = "123") -> str:
    body = region + birth + seq
    return body + id_number_check_digit(body)


def valid_uscc(serial: int) -> str:
    body = f"11370100MB{serial:07d}"[:17]
    return body + uscc_check_digit(body)


@dataclass
class City:
    city: OrgUnit
    district: OrgUnit
    subdistrict: OrgUnit
    department: OrgUnit
    office: OrgUnit
    other_department: OrgUnit
    hall: OrgUnit
    window: OrgUnit


def make_city() -> City:
    city = services.org_unit_create(kind="city", name="济南市", division_code="370100")
    district = services.org_unit_create(
        kind="district", name="历下区", division_code="370102", parent=city
    )
    subdistrict = services.org_unit_create(
        kind="subdistrict", name="解放路街道", division_code="370102001", parent=district
    )
    department = services.org_unit_create(
        kind="department", name="济南市行政审批服务局", uscc=valid_uscc(1), parent=city
    )
    office = services.org_unit_create(kind="office", name="综合受理处", parent=department)
    other = services.org_unit_create(
        kind="department", name="济南市市场监督管理局", uscc=valid_uscc(2), parent=city
    )
    hall = services.org_unit_create(kind="hall", name="济南市民中心", parent=city)
    window = services.org_unit_create(kind="window", name="综合受理 1 号窗口", parent=hall)
    return City(city, district, subdistrict, department, office, other, hall, window)


def make_staff(
    city: City,
    role: str | None = Role.WINDOW_CLERK,
    *,
    username: str | None = None,
    scope: OrgUnit | None = None,
    with_totp: bool = True,
) -> User:
    """A staff user of the city's first department and office holding ``role``."""
    n = next(_counter)
    user = services.staff_create(
        username=username or f"staff{n}",
        display_name=f"工作人员{n}",
        password=PASSWORD,
        department=city.department,
        office=city.office,
    )
    if role is not None:
        scope = scope or city.city
        if role in ADMIN_ROLES:
            services.bootstrap_admin_grant(user=user, role=role, org_unit=scope)
        else:
            services.role_grant(
                granted_by=security_admin(city), user=user, role=role, org_unit=scope
            )
    if with_totp:
        TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


def security_admin(city: City) -> User:
    existing = User.objects.filter(role_assignments__role=Role.SECURITY_ADMIN).first()
    if existing is not None:
        return existing
    user = services.staff_create(
        username="secadmin",
        display_name="安全管理员",
        password=PASSWORD,
        department=city.department,
    )
    services.bootstrap_admin_grant(user=user, role=Role.SECURITY_ADMIN, org_unit=city.city)
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


def make_citizen(phone: str = "13812345678") -> User:
    return services.citizen_create(phone=phone, password=PASSWORD, display_name="张三")


def totp_code(user: User) -> str:
    """The user's current TOTP code, as their authenticator app would show it."""
    device = TOTPDevice.objects.get(user=user)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"
