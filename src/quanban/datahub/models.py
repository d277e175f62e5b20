"""The data hub (数据共享): the population and legal-entity registries (人口库, 法人库), each owned
by its department, and the log of every query made of them.

A registry record holds the facts the owning department vouches for; an application may prefill
from them (``PREFILL_FIELDS``) and a material the record stands for is fetched instead of asked for
(quanban.cases.services.provenance). Every query writes one :class:`RegistryQuery` row: who asked,
when, of which registry, for which key (a citizen's ID number hashed and masked, never in clear),
for which case and purpose.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quanban.accounts.models import OrgUnit, User


class Registry(models.TextChoices):
    POPULATION = "population", _("人口库")
    LEGAL_ENTITY = "legal_entity", _("法人库")


class PopulationRecord(models.Model):
    """One person in the population registry (人口库), kept by the public security bureau."""

    class Sex(models.TextChoices):
        MALE = "1", _("男")
        FEMALE = "2", _("女")

    class Status(models.TextChoices):
        NORMAL = "normal", _("正常")
        MOVED_OUT = "moved_out", _("已迁出")
        DECEASED = "deceased", _("已死亡")

    # Fields an application may be prefilled with (the key, then the facts).
    PREFILL_FIELDS = ("name", "id_number", "sex", "birth_date", "ethnicity", "household_address")

    id_number = models.CharField(_("公民身份号码"), max_length=18, unique=True)
    name = models.CharField(_("姓名"), max_length=60)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    household_address = models.CharField(_("户籍地址"), max_length=200)
    household_division = models.CharField(_("户籍地行政区划代码"), max_length=12, blank=True)
    status = models.CharField(
        _("人口状态"), max_length=10, choices=Status.choices, default=Status.NORMAL
    )
    owner = models.ForeignKey(
        OrgUnit,
        verbose_name=_("数据责任部门"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrgUnit.Kind.DEPARTMENT},
    )
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("人口库记录")
        verbose_name_plural = _("人口库")
        ordering = ["id_number"]

    def __str__(self) -> str:
        return self.name


class LegalEntityRecord(models.Model):
    """One market entity in the legal-entity registry (法人库), kept by market regulation."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("存续")
        REVOKED = "revoked", _("吊销")
        DEREGISTERED = "deregistered", _("注销")

    PREFILL_FIELDS = (
        "name",
        "uscc",
        "entity_type",
        "legal_representative",
        "registered_address",
        "registered_capital",
        "established_on",
        "business_scope",
    )

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    entity_type = models.CharField(_("类型"), max_length=60)
    legal_representative = models.CharField(_("法定代表人"), max_length=60)
    registered_address = models.CharField(_("住所"), max_length=200)
    registered_capital = models.CharField(_("注册资本"), max_length=40, blank=True)
    established_on = models.DateField(_("成立日期"))
    business_scope = models.TextField(_("经营范围"), blank=True)
    status = models.CharField(
        _("登记状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    owner = models.ForeignKey(
        OrgUnit,
        verbose_name=_("数据责任部门"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrgUnit.Kind.DEPARTMENT},
    )
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("法人库记录")
        verbose_name_plural = _("法人库")
        ordering = ["uscc"]

    def __str__(self) -> str:
        return self.name


class RegistryQuery(models.Model):
    """One query of a registry: who, when, which registry, which key, for which case and why.

    The key is never kept in clear: ``key_hash`` is its SM3 digest (to find every query of one
    person) and ``key_masked`` what may be shown (an ID number as ``3701**********1234``; a credit
    code, which is public, in full). Rows are never changed or deleted.
    """

    registry = models.CharField(_("数据库"), max_length=16, choices=Registry.choices)
    key_hash = models.CharField(_("查询键摘要"), max_length=64)
    key_masked = models.CharField(_("查询键"), max_length=18)
    found = models.BooleanField(_("查得"))
    person_record = models.ForeignKey(
        PopulationRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entity_record = models.ForeignKey(
        LegalEntityRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        User,
        verbose_name=_("查询人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The name at the time (an account may be renamed later).
    user_name = models.CharField(_("查询人姓名"), max_length=150)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("办件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registry_queries",
    )
    purpose = models.CharField(_("查询目的"), max_length=200)
    at = models.DateTimeField(_("查询时间"))

    class Meta:
        verbose_name = _("数据查询记录")
        verbose_name_plural = _("数据查询记录")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["registry", "-at"], name="registry_query_at"),
            models.Index(fields=["key_hash"], name="registry_query_key"),
        ]
        constraints = [
            models.CheckConstraint(
                name="registry_query_record_kind",
                condition=Q(registry="population", entity_record__isnull=True)
                | Q(registry="legal_entity", person_record__isnull=True),
            ),
            models.CheckConstraint(
                name="registry_query_found_has_record",
                condition=Q(found=False, person_record__isnull=True, entity_record__isnull=True)
                | Q(found=True, person_record__isnull=False)
                | Q(found=True, entity_record__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registry} {self.key_masked} @ {self.at:%Y-%m-%d %H:%M}"
