"""Cases (办件): an application from the moment a window receives it.

A case pins the item version it started on (``PROTECT``: a version with cases is never deleted),
names exactly one applicant (a person or an entity) and the clerk who first received the person
(首问负责). Its number is given at acceptance, from a per-day counter (see
``services.case_number_next``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from quanban.accounts.models import LegalEntity, NaturalPerson, OrgUnit, User
from quanban.catalogue.models import ItemVersion, Material


class Channel(models.TextChoices):
    """Submission channel (national exchange codes, STANDARDS.md)."""

    DEPARTMENT_WINDOW = "0", _("部门系统窗口")
    PC = "1", _("PC 端")
    MOBILE = "2", _("移动端")
    ASSIGNED_FROM_ABOVE = "3", _("上级交办")
    REPORTED_FROM_BELOW = "4", _("下级报送")
    TRANSFERRED = "5", _("同级转办")
    OFFLINE_ONE_WINDOW = "8", _("线下一窗")
    ONLINE_ONE_WINDOW = "9", _("线上一窗")


class CardLevel(models.TextChoices):
    """The traffic light of the clock: yellow in the warning time (预警), red past due (超期)."""

    NONE = "none", _("正常")
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")


class Case(models.Model):
    class State(models.TextChoices):
        RECEIVED = "received", _("收件")
        PENDING_SUPPLEMENT = "pending_supplement", _("补齐补正")
        ACCEPTED = "accepted", _("受理")
        REFUSED = "refused", _("不予受理")

    # The state codes of the national exchange data (STANDARDS.md).
    NATIONAL_STATE_CODES: dict[str, str] = {
        "received": "02",
        "accepted": "05",
        "pending_supplement": "06",
        "refused": "07",
    }

    # Null until acceptance gives it; unique once given.
    number = models.CharField(_("办件编号"), max_length=32, unique=True, null=True, blank=True)
    item_version = models.ForeignKey(
        ItemVersion, verbose_name=_("事项版本"), on_delete=models.PROTECT, related_name="cases"
    )
    person = models.ForeignKey(
        NaturalPerson,
        verbose_name=_("申请人(自然人)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    entity = models.ForeignKey(
        LegalEntity,
        verbose_name=_("申请人(法人)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    channel = models.CharField(_("申报渠道"), max_length=1, choices=Channel.choices)
    state = models.CharField(
        _("状态"), max_length=20, choices=State.choices, default=State.RECEIVED, db_index=True
    )
    # 首问负责: the clerk who first received the person owns the request until it is accepted.
    # Null only for submissions no clerk has received (online channels).
    first_responder = models.ForeignKey(
        User,
        verbose_name=_("首问负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="first_responded_cases",
    )
    window = models.ForeignKey(
        OrgUnit,
        verbose_name=_("受理窗口"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The applicant's answers to the item's situations: {"situation seq": option seq}.
    answers = models.JSONField(_("情形选择"), default=dict, blank=True)
    received_at = models.DateTimeField(_("收件时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The one-time notice of everything to supplement (一次性告知), as it was given.
    supplement_notice = models.JSONField(_("一次性告知内容"), default=dict, blank=True)
    supplement_requested_at = models.DateTimeField(_("告知补正时间"), null=True, blank=True)
    refused_at = models.DateTimeField(_("不予受理时间"), null=True, blank=True)
    refused_reason = models.TextField(_("不予受理理由"), blank=True)
    refused_legal_basis = models.TextField(_("不予受理依据"), blank=True)
    refused_guidance = models.TextField(_("办理指引"), blank=True)
    # The clock (see quanban.cases.clock), null until acceptance. Recomputed at acceptance and
    # whenever a suspension ends; while one is running they keep their last values (the clock
    # stands still, and its new dates are not known until the suspension ends).
    legal_due = models.DateField(_("法定办结日期"), null=True, blank=True)
    promised_due = models.DateField(_("承诺办结日期"), null=True, blank=True)
    # The first day of the warning time (预警, yellow), counted on the promised limit.
    warn_on = models.DateField(_("预警日期"), null=True, blank=True)
    card_level = models.CharField(
        _("亮灯"), max_length=6, choices=CardLevel.choices, default=CardLevel.NONE
    )
    # Optimistic locking: every change adds one; a stale edit is refused.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-received_at"]
        indexes = [
            # "Everything yellow (or red) by date" and "everything due by a date" are indexed.
            models.Index(fields=["card_level", "warn_on"], name="case_card_level_warn_on"),
            models.Index(fields=["promised_due"], name="case_promised_due"),
        ]
        constraints = [
            models.CheckConstraint(
                name="case_one_applicant",
                condition=(Q(person__isnull=False) & Q(entity__isnull=True))
                | (Q(person__isnull=True) & Q(entity__isnull=False)),
            ),
            models.CheckConstraint(
                name="case_accepted_has_number",
                # Only the states before acceptance (and a refusal) go without a number.
                condition=Q(state__in=["received", "pending_supplement", "refused"])
                | Q(number__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def applicant(self) -> NaturalPerson | LegalEntity:
        applicant = self.person or self.entity
        assert applicant is not None  # the check constraint keeps exactly one
        return applicant


class CaseSuspension(models.Model):
    """A dated interval in which the case's clock stands still (挂起), with its kind and reason.

    ``started_on`` through ``ended_on`` are both inclusive (quanban.cases.clock); ``ended_on`` is
    null while the suspension runs. A case has at most one running suspension. Rows are never
    deleted: every clock event is kept.
    """

    class Kind(models.TextChoices):
        SUPPLEMENT = "supplement", _("补正")
        INSPECTION = "inspection", _("现场核查")
        TECHNICAL_REVIEW = "technical_review", _("技术审查")
        EXPERT_REVIEW = "expert_review", _("专家评审")
        HEARING = "hearing", _("听证")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="suspensions")
    kind = models.CharField(_("挂起类型"), max_length=20, choices=Kind.choices)
    reason = models.TextField(_("挂起理由"))
    started_on = models.DateField(_("挂起日期"))
    ended_on = models.DateField(_("恢复日期"), null=True, blank=True)
    started_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    ended_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("办件挂起")
        verbose_name_plural = _("办件挂起")
        ordering = ["case_id", "started_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(ended_on__isnull=True),
                name="case_suspension_one_open",
            ),
            models.CheckConstraint(
                name="case_suspension_ends_after_start",
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.kind} {self.started_on}–{self.ended_on or ''}"


class CaseMaterial(models.Model):
    """One material of the applicant's own list, and whether the window has it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    received = models.BooleanField(_("已收取"), default=False)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        ordering = ["case_id", "material__seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "material"], name="case_material_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.material_id}"


class CaseNumberCounter(models.Model):
    """The last case number given on a local day (one row per day, locked to increment)."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class IdempotencyKey(models.Model):
    """A stored response for an ``Idempotency-Key``: the same key and body replay it."""

    key = models.CharField(max_length=255)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "user"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return self.key
