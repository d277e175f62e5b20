"""Writes to people and organisations. Every function here audits what it changes."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice, key_validator

from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit, RoleAssignment, User
from quanban.accounts.roles import ADMIN_ROLES, Perm, Role
from quanban.accounts.selectors import require_perm
from quanban.core import clock
from quanban.core.audit import audit_record, snapshot
from quanban.core.context import actor_for_user, current_actor
from quanban.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from quanban.core.identifiers import (
    validate_division_code,
    validate_id_number,
    validate_phone,
    validate_uscc,
)
from quanban.core.models import AuditRecord

_ALLOWED_PARENT: dict[str, tuple[str, ...]] = {
    OrgUnit.Kind.CITY: (),
    OrgUnit.Kind.DISTRICT: (OrgUnit.Kind.CITY,),
    OrgUnit.Kind.SUBDISTRICT: (OrgUnit.Kind.DISTRICT,),
    OrgUnit.Kind.COMMUNITY: (OrgUnit.Kind.SUBDISTRICT,),
    OrgUnit.Kind.DEPARTMENT: (OrgUnit.Kind.CITY, OrgUnit.Kind.DISTRICT),
    OrgUnit.Kind.OFFICE: (OrgUnit.Kind.DEPARTMENT,),
    OrgUnit.Kind.HALL: OrgUnit.DIVISION_KINDS,
    OrgUnit.Kind.WINDOW: (OrgUnit.Kind.HALL,),
}
ORG_FIELDS = ("kind", "name", "short_name", "parent", "division_code", "uscc", "address", "phone")


def org_unit_create(
    *,
    kind: str,
    name: str,
    parent: OrgUnit | None = None,
    division_code: str = "",
    uscc: str = "",
    short_name: str = "",
    address: str = "",
    phone: str = "",
    sort: int = 0,
) -> OrgUnit:
    """Add a node to the organisation tree, checking codes and where it may hang."""
    if kind not in OrgUnit.Kind.values:
        raise ValidationFailed(_("未知的机构类型：%(kind)s") % {"kind": kind}, field="kind")
    allowed = _ALLOWED_PARENT[kind]
    if (parent is None) != (not allowed) or (parent is not None and parent.kind not in allowed):
        raise ValidationFailed(
            _("“%(kind)s”不能设在“%(parent)s”之下。")
            % {
                "kind": OrgUnit.Kind(kind).label,
                "parent": OrgUnit.Kind(parent.kind).label if parent else _("顶层"),
            },
            code="org_parent_kind",
            field="parent",
        )
    if kind in OrgUnit.DIVISION_KINDS:
        division_code = validate_division_code(division_code, kind=kind)
        if parent is not None and not division_code.startswith(
            parent.division_code[: _prefix_length(parent.kind)]
        ):
            raise ValidationFailed(
                _("行政区划代码 %(code)s 不属于上级 %(parent)s（%(parent_code)s）。")
                % {
                    "code": division_code,
                    "parent": parent.name,
                    "parent_code": parent.division_code,
                },
                code="division_code_parent",
                field="division_code",
            )
    else:
        division_code = ""
    if kind == OrgUnit.Kind.DEPARTMENT or uscc:
        uscc = validate_uscc(uscc)
    with transaction.atomic():
        unit = OrgUnit(
            kind=kind,
            name=name.strip(),
            short_name=short_name,
            parent=parent,
            division_code=division_code,
            uscc=uscc,
            address=address,
            phone=phone,
            sort=sort,
            path="",
        )
        try:
            with transaction.atomic():
                unit.save()
        except IntegrityError:
            raise Conflict(
                _("行政区划代码或统一社会信用代码已被其他机构使用。"), code="org_code_taken"
            ) from None
        unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
        OrgUnit.objects.filter(pk=unit.pk).update(path=unit.path)
        audit_record(action="org_unit.create", obj=unit, after=snapshot(unit, ORG_FIELDS))
    return unit


def _prefix_length(kind: str) -> int:
    # A district's code shares the city's first 4 digits; lower levels extend the parent's code.
    return {"city": 4, "district": 6, "subdistrict": 9}.get(kind, 0)


def staff_create(
    *,
    username: str,
    display_name: str,
    password: str,
    department: OrgUnit | None = None,
    office: OrgUnit | None = None,
    phone: str = "",
    email: str = "",
) -> User:
    """Create a staff account; the password must pass the password rules."""
    if department is not None and department.kind != OrgUnit.Kind.DEPARTMENT:
        raise ValidationFailed(_("所属部门必须是部门。"), field="department")
    if office is not None and (
        office.kind != OrgUnit.Kind.OFFICE or office.parent_id != getattr(department, "pk", None)
    ):
        raise ValidationFailed(
            _("处(科)室必须属于所选部门。"), code="office_not_in_department", field="office"
        )
    if phone:
        phone = validate_phone(phone)
    user = User(
        username=username,
        display_name=display_name,
        kind=User.Kind.STAFF,
        department=department,
        office=office,
        phone=phone,
        email=email,
    )
    password_check(password, user)
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise Conflict(
                _("用户名 %(name)s 已存在。") % {"name": username}, code="username_taken"
            )
        user.set_password(password)
        user.password_changed_at = clock.now()
        user.save()
        audit_record(
            action="user.create",
            obj=user,
            after=snapshot(
                user, ("username", "display_name", "kind", "department", "office", "phone")
            ),
        )
    return user


def citizen_create(*, phone: str, password: str, display_name: str = "") -> User:
    """Create a citizen account, identified by phone number."""
    phone = validate_phone(phone)
    user = User(username=phone, phone=phone, display_name=display_name, kind=User.Kind.CITIZEN)
    password_check(password, user)
    with transaction.atomic():
        if (
            User.objects.filter(phone=phone).exists()
            or User.objects.filter(username=phone).exists()
        ):
            raise Conflict(_("该手机号码已注册。"), code="phone_taken", field="phone")
        user.set_password(password)
        user.password_changed_at = clock.now()
        user.save()
        audit_record(
            action="user.create", obj=user, after=snapshot(user, ("username", "kind", "phone"))
        )
    return user


def password_check(password: str, user: User | None = None) -> None:
    try:
        password_validation.validate_password(password, user)
    except DjangoValidationError as error:
        raise ValidationFailed(
            " ".join(error.messages), code="password_rules", field="password"
        ) from None


def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValidationFailed(_("原密码不正确。"), code="password_wrong", field="old_password")
    if old_password == new_password:
        raise ValidationFailed(
            _("新密码不能与原密码相同。"), code="password_reused", field="new_password"
        )
    password_check(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.password_changed_at = clock.now()
        user.save(update_fields=["password", "password_changed_at"])
        audit_record(action="user.password_change", obj=user, changes={"password": "[changed]"})


def role_grant(*, granted_by: User, user: User, role: str, org_unit: OrgUnit) -> RoleAssignment:
    """Grant a role: only the security administrator, never to oneself, three roles apart."""
    require_perm(granted_by, Perm.ROLE_GRANT)
    if role not in Role.values:
        raise ValidationFailed(_("未知角色：%(role)s") % {"role": role}, field="role")
    if granted_by.pk == user.pk:
        raise PermissionDenied(_("不能给自己授予角色。"), code="role_self_grant")
    if user.kind != User.Kind.STAFF:
        raise ValidationFailed(
            _("只有工作人员账号可以授予角色。"), code="role_not_staff", field="user"
        )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        held = set(user.role_assignments.values_list("role", flat=True))
        # Three-role separation: an administrator account holds its one administrator role only.
        if (role in ADMIN_ROLES or held & ADMIN_ROLES) and held - {role}:
            held_admin = held & ADMIN_ROLES
            if role in ADMIN_ROLES and held_admin:
                message = _("三员分立：该账号已是%(other)s，不能再兼任%(role)s。") % {
                    "other": Role(sorted(held_admin)[0]).label,
                    "role": Role(role).label,
                }
            else:
                message = _("三员分立：管理员账号不能兼任其他角色。")
            raise Conflict(message, code="role_separation")
        if RoleAssignment.objects.filter(user=user, role=role, org_unit=org_unit).exists():
            raise Conflict(_("该账号已在此范围内持有此角色。"), code="role_exists")
        assignment = RoleAssignment.objects.create(
            user=user, role=role, org_unit=org_unit, granted_by=granted_by, granted_at=clock.now()
        )
        user.roles_changed()
        audit_record(
            action="role.grant",
            obj=assignment,
            after={"user": user.pk, "role": role, "org_unit": org_unit.pk},
        )
    return assignment


def role_revoke(*, revoked_by: User, assignment_id: int) -> None:
    require_perm(revoked_by, Perm.ROLE_GRANT)
    with transaction.atomic():
        assignment = RoleAssignment.objects.select_for_update().filter(pk=assignment_id).first()
        if assignment is None:
            raise NotFound(_("找不到该角色授权。"))
        if assignment.user_id == revoked_by.pk:
            raise PermissionDenied(_("不能收回自己的角色。"), code="role_self_revoke")
        before = {
            "user": assignment.user_id,
            "role": assignment.role,
            "org_unit": assignment.org_unit_id,
        }
        assignment.delete()
        audit_record(
            action="role.revoke",
            object_type="accounts.roleassignment",
            object_id=assignment_id,
            before=before,
        )


def bootstrap_admin_grant(*, user: User, role: str, org_unit: OrgUnit) -> RoleAssignment:
    """Grant an administrator role with no grantor: only for installing a new city (CLI, demo)."""
    if role not in ADMIN_ROLES:
        raise ValidationFailed(_("引导授权只能授予管理员角色。"), field="role")
    with transaction.atomic():
        if user.role_assignments.exists():
            raise Conflict(_("三员分立：该账号已持有角色。"), code="role_separation")
        assignment = RoleAssignment.objects.create(
            user=user, role=role, org_unit=org_unit, granted_by=None, granted_at=clock.now()
        )
        user.roles_changed()
        audit_record(
            action="role.bootstrap",
            obj=assignment,
            after={"user": user.pk, "role": role, "org_unit": org_unit.pk},
        )
    return assignment


def person_register(
    *, name: str, id_number: str, phone: str = "", user: User | None = None
) -> NaturalPerson:
    """Register a natural-person applicant; the ID number must pass its check digit."""
    name = name.strip()
    if not name:
        raise ValidationFailed(_("姓名不能为空。"), code="name_required", field="name")
    id_number = validate_id_number(id_number)
    if phone:
        phone = validate_phone(phone)
    with transaction.atomic():
        if NaturalPerson.objects.filter(id_number=id_number).exists():
            raise Conflict(_("该公民身份号码已登记。"), code="person_exists", field="id_number")
        person = NaturalPerson.objects.create(
            name=name, id_number=id_number, phone=phone, user=user, created_at=clock.now()
        )
        audit_record(
            action="person.register",
            obj=person,
            after=snapshot(person, ("name", "id_number", "phone")),
        )
    return person


def person_claim(*, user: User, name: str, id_number: str) -> NaturalPerson:
    """实名登记: a citizen's account takes its natural person, so that it can apply online.

    A new ID number is registered with the account's phone. One a window registered earlier is
    linked only when its name and phone are the account's (the account's phone was proven by
    SMS at sign-up); anything else needs the person at a window with their ID card.
    """
    if getattr(user, "kind", "") != User.Kind.CITIZEN or not user.is_active:
        raise PermissionDenied(_("实名登记须使用申请人账号。"), code="citizen_required")
    if NaturalPerson.objects.filter(user=user).exists():
        raise Conflict(_("您的账号已完成实名登记。"), code="already_claimed")
    name = name.strip()
    if not name:
        raise ValidationFailed(_("姓名不能为空。"), code="name_required", field="name")
    id_number = validate_id_number(id_number)
    with transaction.atomic():
        existing = NaturalPerson.objects.select_for_update().filter(id_number=id_number).first()
        if existing is None:
            return person_register(name=name, id_number=id_number, phone=user.phone, user=user)
        if existing.user_id is not None:
            raise Conflict(
                _("该公民身份号码已绑定其他账号；如有疑问，请携带身份证件到窗口核验。"),
                code="person_taken",
                field="id_number",
            )
        if existing.name != name or not user.phone or existing.phone != user.phone:
            raise Conflict(
                _(
                    "登记信息与您的账号不一致（姓名或手机号码不同），请携带身份证件到窗口核验后绑定。"
                ),
                code="person_unverified",
                field="id_number",
            )
        existing.user = user
        existing.save(update_fields=["user"])
        audit_record(action="person.claim", obj=existing, changes={"user": user.pk})
    return existing


def entity_register(
    *,
    name: str,
    uscc: str,
    legal_representative: str,
    legal_rep_id_number: str = "",
    phone: str = "",
    address: str = "",
    user: User | None = None,
) -> LegalEntity:
    """Register a legal-entity applicant; the credit code must pass its check digit."""
    name = name.strip()
    if not name:
        raise ValidationFailed(_("名称不能为空。"), code="name_required", field="name")
    if not legal_representative.strip():
        raise ValidationFailed(
            _("法定代表人不能为空。"), code="legal_rep_required", field="legal_representative"
        )
    uscc = validate_uscc(uscc)
    if legal_rep_id_number:
        legal_rep_id_number = validate_id_number(legal_rep_id_number, field="legal_rep_id_number")
    if phone:
        phone = validate_phone(phone)
    with transaction.atomic():
        if LegalEntity.objects.filter(uscc=uscc).exists():
            raise Conflict(_("该统一社会信用代码已登记。"), code="entity_exists", field="uscc")
        entity = LegalEntity.objects.create(
            name=name,
            uscc=uscc,
            legal_representative=legal_representative.strip(),
            legal_rep_id_number=legal_rep_id_number,
            phone=phone,
            address=address,
            user=user,
            created_at=clock.now(),
        )
        fields: tuple[str, ...] = (
            "name",
            "uscc",
            "legal_representative",
            "legal_rep_id_number",
            "phone",
        )
        audit_record(action="entity.register", obj=entity, after=snapshot(entity, fields))
    return entity


# --- Second factor: TOTP devices for staff accounts ----------------------------------------------


def otp_device_create(
    *, user: User, key: str = "", name: str = "default", confirmed: bool = True
) -> TOTPDevice:
    """Give a staff account a TOTP device; ``key`` (hex) is random unless given (demo)."""
    if user.kind != User.Kind.STAFF:
        raise ValidationFailed(
            _("只有工作人员账号使用动态口令。"), code="otp_not_staff", field="user"
        )
    device = TOTPDevice(user=user, name=name, confirmed=confirmed)
    if key:
        try:
            key_validator(key)
        except DjangoValidationError:
            raise ValidationFailed(
                _("动态口令密钥应为十六进制字符串。"), code="otp_key_format", field="key"
            ) from None
        device.key = key.lower()
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, name=name).exists():
            raise Conflict(_("该账号已有同名的动态口令设备。"), code="otp_device_exists")
        device.save()
        # The key is a secret: the trail records that a device exists, never the key.
        audit_record(
            action="otp_device.create",
            obj=device,
            after={"user": user.pk, "name": name, "confirmed": confirmed},
        )
    return device


# --- sign-in events ---------------------------------------------------------------------------


def sign_in_record(
    *,
    event: str,
    user: User | None,
    username: str = "",
    method: str = "",
    refused_because: str = "",
) -> None:
    """Put a sign-in, a refused sign-in or a sign-out in the audit trail (等保: login auditing).

    ``event`` is ``login`` or ``logout``; a refusal names its reason (``password``, ``totp``,
    ``sms``, ``locked``). The actor is the user signing in, from the request's address and channel.
    """
    outer = current_actor()
    actor = actor_for_user(user, ip=outer.ip, channel=outer.channel) if user else outer
    changes: dict[str, str] = {"username": username or (user.get_username() if user else "")}
    if method:
        changes["method"] = method
    if refused_because:
        changes["refused_because"] = refused_because
    with transaction.atomic():
        audit_record(
            action=f"session.{event}",
            object_type="accounts.user",
            object_id=user.pk if user else "",
            changes=changes,
            result=AuditRecord.Result.DENIED if refused_because else AuditRecord.Result.OK,
            actor=actor,
        )
