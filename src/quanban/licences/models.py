"""The licence library (电子证照库): licence types and the licences issued under them.

A licence's signed content is the canonical JSON kept in ``canonical`` (see
``quanban.licences.canonical``); its seal (algorithm, key id, signature) sits beside it. The
status (valid, suspended, revoked, superseded by a renewal) is not signed: it changes, and every
change is a service with a reason and an audit record.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit
from quanban.cases.models import Case


class HolderKind(models.TextChoices):
    """The holder's code type (GB/T 36903): 111 citizen ID number, 001 credit code."""

    PERSON = "111", _("自然人（公民身份号码）")
    ENTITY = "001", _("法人或其他组织（统一社会信用代码）")


class LicenceType(models.Model):
    """A kind of licence (证照类型) and how it is filled in, limited in time and printed."""

    # The defining body's credit code (18) + a 3-digit sequence (GB/T 36903).
    code = models.CharField(_("证照类型代码"), max_length=21, unique=True)
    name = models.CharField(_("证照类型名称"), max_length=100)
    defining_body = models.CharField(_("证照定义机构"), max_length=100)
    # The local department that administers the type (defines its fields here).
    defining_department = models.ForeignKey(
        OrgUnit,
        verbose_name=_("主管部门"),
        on_delete=models.PROTECT,
        related_name="licence_types",
        limit_choices_to={"kind": OrgUnit.Kind.DEPARTMENT},
    )
    holder_kind = models.CharField(_("持证主体类型"), max_length=3, choices=HolderKind.choices)
    # A JSON schema (draft 2020-12) of the licence's fields; ``x-public`` marks the fields the
    # public verification page may show, ``title`` the label printed.
    fields_schema = models.JSONField(_("照面字段"), default=dict)
    # Years from issue; null: permanent (长期有效).
    validity_years = models.PositiveSmallIntegerField(_("有效期(年)"), null=True, blank=True)
    # The printed form: {"title": ..., "fields": [field names in print order], "colour": "#…"}.
    layout = models.JSONField(_("版式"), default=dict, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照类型")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="licence_type_code_form",
                condition=Q(code__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}[0-9]{3}$"),
            ),
            models.CheckConstraint(
                name="licence_type_validity_positive",
                condition=Q(validity_years__isnull=True) | Q(validity_years__gte=1),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Licence(models.Model):
    """One version of an issued licence (a renewal is a new row with the next version)."""

    class Status(models.TextChoices):
        VALID = "valid", _("有效")
        SUSPENDED = "suspended", _("暂停")
        REVOKED = "revoked", _("已注销")
        # Replaced by a renewal (换发): the newer version is the one in force.
        SUPERSEDED = "superseded", _("已换发")

    identifier = models.CharField(_("证照标识"), max_length=100, unique=True)
    licence_type = models.ForeignKey(
        LicenceType, verbose_name=_("证照类型"), on_delete=models.PROTECT, related_name="licences"
    )
    issuer = models.ForeignKey(
        OrgUnit, verbose_name=_("颁证单位"), on_delete=models.PROTECT, related_name="+"
    )
    serial = models.CharField(_("流水号"), max_length=20)
    version = models.PositiveSmallIntegerField(_("版本号"), default=1)
    previous = models.OneToOneField(
        "self",
        verbose_name=_("上一版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_version",
    )
    # The case whose decision issued it; one licence a case (issuing is idempotent).
    case = models.OneToOneField(
        Case,
        verbose_name=_("办件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licence",
    )
    holder_kind = models.CharField(_("持证主体类型"), max_length=3, choices=HolderKind.choices)
    holder_name = models.CharField(_("持证主体"), max_length=120)
    holder_code = models.CharField(_("持证主体代码"), max_length=18)
    person = models.ForeignKey(
        NaturalPerson, null=True, blank=True, on_delete=models.PROTECT, related_name="licences"
    )
    entity = models.ForeignKey(
        LegalEntity, null=True, blank=True, on_delete=models.PROTECT, related_name="licences"
    )
    data = models.JSONField(_("照面信息"), default=dict)
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    issued_at = models.DateTimeField(_("签发时间"))
    # What was signed, byte for byte (UTF-8), and the seal over it.
    canonical = models.TextField(_("签名原文"))
    digest = models.CharField(_("SM3 摘要"), max_length=64)
    seal_algorithm = models.CharField(_("签章算法"), max_length=10)
    seal_key_id = models.CharField(_("印章密钥"), max_length=40)
    signature = models.TextField(_("签名值"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.VALID
    )
    status_reason = models.TextField(_("状态变更理由"), blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    # Optimistic locking for the status changes.
    row_version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        constraints = [
            models.UniqueConstraint(
                fields=["licence_type", "issuer", "serial", "version"],
                name="licence_serial_version_unique",
            ),
            models.CheckConstraint(
                name="licence_one_holder",
                condition=(
                    Q(holder_kind="111", person__isnull=False, entity__isnull=True)
                    | Q(holder_kind="001", entity__isnull=False, person__isnull=True)
                ),
            ),
            models.CheckConstraint(
                name="licence_version_range", condition=Q(version__gte=1, version__lte=999)
            ),
            models.CheckConstraint(
                name="licence_validity_order",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
            ),
        ]
        indexes = [
            models.Index(fields=["person", "status"], name="licence_person_status"),
            models.Index(fields=["entity", "status"], name="licence_entity_status"),
        ]

    def __str__(self) -> str:
        return self.identifier


class LicenceSerialCounter(models.Model):
    """The last serial number an issuer gave for a licence type in a year (row-locked)."""

    licence_type = models.ForeignKey(LicenceType, on_delete=models.CASCADE, related_name="+")
    issuer = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["licence_type", "issuer", "year"], name="licence_serial_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.licence_type_id}/{self.issuer_id}/{self.year}: {self.last}"


class ArchivePackage(models.Model):
    """The electronic archive (电子档案) of one closed case: a signed ZIP package on disk.

    The package (see ``quanban.licences.archive_package``) holds the case's metadata, materials,
    results, decision and audit records, and a manifest with the SM3 digest of every file, signed
    by the platform seal. The row says where it is, what its manifest digest was and how long it
    is kept. One package a case, ever (building is idempotent).
    """

    class State(models.TextChoices):
        ARCHIVED = "archived", _("已归档")
        DISPOSED = "disposed", _("已销毁")

    case = models.OneToOneField(
        Case, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="archive_package"
    )
    # The department answerable for the case (its lead department, else the item's implementing
    # department): whose staff may see the package.
    department = models.ForeignKey(
        OrgUnit, verbose_name=_("归档部门"), on_delete=models.PROTECT, related_name="+"
    )
    item_type = models.CharField(_("事项类型"), max_length=2)
    # Relative to settings.ARCHIVE_DIR.
    path = models.CharField(_("存储位置"), max_length=255, unique=True)
    size = models.PositiveBigIntegerField(_("大小(字节)"))
    file_count = models.PositiveIntegerField(_("文件数"))
    manifest_sm3 = models.CharField(_("清单 SM3 摘要"), max_length=64)
    signer = models.CharField(_("签章主体"), max_length=40)
    seal_algorithm = models.CharField(_("签章算法"), max_length=10)
    seal_key_id = models.CharField(_("印章密钥"), max_length=40)
    signature = models.TextField(_("签名值"))
    closed_on = models.DateField(_("办结日期"))
    # Null: kept permanently (永久).
    retention_years = models.PositiveSmallIntegerField(_("保管期限(年)"), null=True, blank=True)
    # The first day after the retention period (counted from 1 January of the year after the
    # case closed); null when permanent.
    dispose_on = models.DateField(_("到期日期"), null=True, blank=True)
    built_at = models.DateTimeField(_("归档时间"))
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.ARCHIVED
    )

    class Meta:
        verbose_name = _("电子档案")
        verbose_name_plural = _("电子档案")
        ordering = ["-built_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="archive_retention_dispose_together",
                condition=Q(retention_years__isnull=True, dispose_on__isnull=True)
                | Q(retention_years__gte=1, dispose_on__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["state", "dispose_on"], name="archive_state_dispose_on"),
            models.Index(fields=["department", "-built_at"], name="archive_department_built"),
        ]

    def __str__(self) -> str:
        return self.path
