"""People and organisations: the organisation tree, staff, roles and applicants."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quanban.accounts.roles import ADMIN_ROLES, Role


class OrgUnit(models.Model):
    """One node of the organisation tree.

    Administrative divisions (city → district/county → sub-district/town → community/village) carry
    their GB/T 2260 code; departments (委办局) their unified social credit code; offices (处/科室)
    sit inside a department; service halls inside a division, windows inside a hall. ``path`` is the
    chain of ids from the root (``/1/4/17/``), so "everything under X" is one prefix query.
    """

    class Kind(models.TextChoices):
        CITY = "city", _("市")
        DISTRICT = "district", _("区县")
        SUBDISTRICT = "subdistrict", _("街道乡镇")
        COMMUNITY = "community", _("社区村")
        DEPARTMENT = "department", _("部门")
        OFFICE = "office", _("处(科)室")
        HALL = "hall", _("服务大厅")
        WINDOW = "window", _("窗口")

    DIVISION_KINDS = (Kind.CITY, Kind.DISTRICT, Kind.SUBDISTRICT, Kind.COMMUNITY)

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    division_code = models.CharField(_("行政区划代码"), max_length=12, blank=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    sort = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("组织机构")
        verbose_name_plural = _("组织机构")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["division_code"],
                condition=~Q(division_code=""),
                name="org_division_code_unique",
            ),
            models.UniqueConstraint(fields=["uscc"], condition=~Q(uscc=""), name="org_uscc_unique"),
            models.CheckConstraint(
                name="org_division_code_by_kind",
                condition=(
                    Q(kind="city", division_code__regex=r"^[0-9]{6}$")
                    | Q(kind="district", division_code__regex=r"^[0-9]{6}$")
                    | Q(kind="subdistrict", division_code__regex=r"^[0-9]{9}$")
                    | Q(kind="community", division_code__regex=r"^[0-9]{12}$")
                    | Q(kind__in=["department", "office", "hall", "window"], division_code="")
                ),
            ),
            models.CheckConstraint(
                name="org_department_has_uscc",
                condition=~Q(kind="department") | Q(uscc__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
            ),
            models.CheckConstraint(
                name="org_only_city_is_root", condition=Q(kind="city") | Q(parent__isnull=False)
            ),
        ]
        indexes = [
            # The districts alone, by path: a unit's district is the one whose path its own
            # starts with (the pad's rating finds its window's in the statement that uses the
            # invitation), read without scanning every office and window of the city.
            models.Index(fields=["path"], name="org_district_path", condition=Q(kind="district")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_division(self) -> bool:
        return self.kind in self.DIVISION_KINDS

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]


# Where a user object keeps the units its business roles reach once read
# (quanban.cases.selectors.work_unit_ids): a request asks it several times.
REACH_CACHE = "_quanban_reach"


class User(AbstractUser):
    """A person who signs in: staff (name, password, TOTP) or citizen (phone, password, SMS)."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("工作人员")
        CITIZEN = "citizen", _("群众/企业")

    kind = models.CharField(_("账号类型"), max_length=8, choices=Kind.choices, default=Kind.CITIZEN)
    display_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    department = models.ForeignKey(
        OrgUnit,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        limit_choices_to={"kind": OrgUnit.Kind.DEPARTMENT},
    )
    office = models.ForeignKey(
        OrgUnit,
        verbose_name=_("处(科)室"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="office_staff",
        limit_choices_to={"kind": OrgUnit.Kind.OFFICE},
    )
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    language = models.CharField(_("界面语言"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=~Q(phone=""), name="user_phone_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_staff_user(self) -> bool:
        return self.kind == self.Kind.STAFF

    @property
    def role_names(self) -> tuple[str, ...]:
        """The roles held, in the order granted: one query, cached per instance (a request's)."""
        cached: tuple[str, ...] | None = getattr(self, "_role_names", None)
        if cached is None:
            cached = tuple(self.role_assignments.order_by("id").values_list("role", flat=True))
            self._role_names = cached
        return cached

    def roles_changed(self) -> None:
        """Forget what this object read of its roles and the units they reach (a role was just
        granted): the next ask reads them again."""
        self.__dict__.pop("_role_names", None)
        self.__dict__.pop(REACH_CACHE, None)

    @property
    def primary_role(self) -> str:
        """The first role held, for the audit trail's "who"."""
        return self.role_names[0] if self.role_names else ""


class RoleAssignment(models.Model):
    """A role held by a staff user within an organisation unit (and everything under it)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("范围"), on_delete=models.PROTECT)
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(_("授予时间"))

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org_unit"], name="role_unique_per_scope"
            ),
            # Three-role separation, kept by the database: at most one administrator role a user.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(role__in=sorted(ADMIN_ROLES)),
                name="role_one_admin_role_per_user",
            ),
            models.CheckConstraint(
                name="role_not_self_granted", condition=~Q(granted_by=models.F("user"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.org_unit}"


class NaturalPerson(models.Model):
    """An applicant who is a natural person (自然人)."""

    name = models.CharField(_("姓名"), max_length=60)
    id_number = models.CharField(_("公民身份号码"), max_length=18, unique=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")

    def __str__(self) -> str:
        return self.name


class LegalEntity(models.Model):
    """An applicant that is a legal entity (法人或其他组织)."""

    name = models.CharField(_("名称"), max_length=120)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    legal_representative = models.CharField(_("法定代表人"), max_length=60)
    legal_rep_id_number = models.CharField(_("法定代表人身份号码"), max_length=18, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("住所"), max_length=200, blank=True)
    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="entity"
    )
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("法人")
        verbose_name_plural = _("法人")

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token for a system calling the API on a user's behalf. Only its hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=80)
    prefix = models.CharField(max_length=8, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
