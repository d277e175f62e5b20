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
        ACCEPTED = "accepted", _("在办")
        REFUSED = "refused", _("不予受理")
        # Decided (approved, partly approved or rejected); the result is still to be handed over.
        DECIDED = "decided", _("已决定待出件")
        FINISHED = "finished", _("办结")
        TERMINATED = "terminated", _("终止")
        # A 告知承诺 approval revoked because the commitment was found false.
        REVOKED = "revoked", _("撤销")

    class Decision(models.TextChoices):
        APPROVE = "approve", _("准予许可")
        PARTIAL = "partial", _("部分准予")
        REJECT = "reject", _("不予许可")

    class Termination(models.TextChoices):
        WITHDRAWN = "withdrawn", _("申请人撤回")
        DEFERRAL_LAPSED = "deferral_lapsed", _("容缺材料逾期未补")
        FALSE_COMMITMENT = "false_commitment", _("虚假承诺")

    class Delivery(models.TextChoices):
        WINDOW = "window", _("窗口领取")
        POST = "post", _("邮寄送达")
        ELECTRONIC = "electronic", _("电子送达")

    # The state codes of the national exchange data (STANDARDS.md).
    NATIONAL_STATE_CODES: dict[str, str] = {
        "received": "02",
        "accepted": "12",
        "pending_supplement": "06",
        "refused": "07",
        "decided": "12",
        "finished": "10",
        "terminated": "10",
        "revoked": "10",
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
    # What the applicant declared on the application form (the instant rules read it).
    form_data = models.JSONField(_("申请表内容"), default=dict, blank=True)
    # The process definition (quanban.catalogue.process), copied from the item version at acceptance.
    process = models.JSONField(_("办理流程"), default=dict, blank=True)
    current_step = models.CharField(_("当前环节"), max_length=40, blank=True)
    # 分转中枢: the lead department and office, and the rule that chose them.
    lead_department = models.ForeignKey(
        OrgUnit,
        verbose_name=_("主办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lead_office = models.ForeignKey(
        OrgUnit,
        verbose_name=_("主办处(科)室"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    routing_rule = models.ForeignKey(
        "RoutingRule", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    routing_note = models.CharField(_("分办依据"), max_length=200, blank=True)
    # 即办: accepted, decided and handed over at the window in one sitting.
    on_the_spot = models.BooleanField(_("即办"), default=False)
    # 容缺受理: the last day by which the deferred materials are promised, and whether it passed
    # with something still owed (set by quanban.cases.services.case_flag_lapsed_deferrals).
    deferral_due = models.DateField(_("容缺材料补交期限"), null=True, blank=True)
    deferral_lapsed = models.BooleanField(_("容缺材料逾期"), default=False)
    # 告知承诺: the commitment text the applicant signed, as it was, and when.
    commitment_text = models.TextField(_("承诺书内容"), blank=True)
    commitment_signed_at = models.DateTimeField(_("承诺时间"), null=True, blank=True)
    # 秒批: the rule set version, inputs and rule that fired (quanban.catalogue.rules.RuleOutcome).
    instant_outcome = models.JSONField(_("秒批结果"), default=dict, blank=True)
    decision = models.CharField(_("审批决定"), max_length=8, choices=Decision.choices, blank=True)
    decision_text = models.TextField(_("决定内容"), blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    decision_legal_basis = models.TextField(_("决定依据"), blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    # Null when no person decided (秒批, 告知承诺 at once).
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    termination = models.CharField(
        _("终止原因"), max_length=16, choices=Termination.choices, blank=True
    )
    termination_note = models.TextField(_("终止说明"), blank=True)
    terminated_at = models.DateTimeField(_("终止时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revocation_reason = models.TextField(_("撤销理由"), blank=True)
    # 一口出: how and when the result left, and when the applicant had it.
    delivery = models.CharField(_("送达方式"), max_length=10, choices=Delivery.choices, blank=True)
    tracking_number = models.CharField(_("邮件号"), max_length=40, blank=True)
    issued_at = models.DateTimeField(_("出件时间"), null=True, blank=True)
    issued_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # The account that submitted online (null for a window case), for the applicant's own view.
    submitted_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="submitted_cases",
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
            models.Index(
                fields=["lead_department", "state", "card_level"], name="case_dept_state_card"
            ),
            # The card sweep's two halves (quanban.supervision.services): warning day passed
            # with no card; promised day passed below red. Only rows still to raise are in them.
            models.Index(
                fields=["warn_on", "id"],
                name="case_sweep_warn",
                condition=Q(state="accepted", card_level="none"),
            ),
            models.Index(
                fields=["promised_due", "id"],
                name="case_sweep_due",
                condition=Q(state="accepted", card_level__in=["none", "yellow"]),
            ),
            models.Index(fields=["submitted_by", "-received_at"], name="case_submitted_by"),
            # The dashboards' rollup and the monthly evaluation read cases by the day they were
            # received, accepted or finished.
            models.Index(fields=["received_at"], name="case_received_at"),
            models.Index(fields=["accepted_at"], name="case_accepted_at"),
            models.Index(fields=["finished_at"], name="case_finished_at"),
        ]
        constraints = [
            models.CheckConstraint(
                name="case_one_applicant",
                condition=(Q(person__isnull=False) & Q(entity__isnull=True))
                | (Q(person__isnull=True) & Q(entity__isnull=False)),
            ),
            models.CheckConstraint(
                name="case_accepted_has_number",
                # Only the states before acceptance (and a refusal, or a withdrawal before
                # acceptance) go without a number.
                condition=Q(state__in=["received", "pending_supplement", "refused"])
                | Q(state="terminated", accepted_at__isnull=True)
                | Q(number__isnull=False),
            ),
            models.CheckConstraint(
                name="case_decided_has_decision",
                condition=~Q(state__in=["decided", "finished", "revoked"]) | ~Q(decision=""),
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

    class Source(models.TextChoices):
        PAPER = "paper", _("窗口收取")
        UPLOADED = "uploaded", _("网上上传")
        REUSED = "reused", _("复用历史材料")
        FETCHED = "fetched", _("共享获取")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="+")
    received = models.BooleanField(_("已收取"), default=False)
    received_at = models.DateTimeField(_("收取时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, blank=True)
    # Where a reused or fetched material came from, for people (the earlier case's number, the
    # licence identifier, the registry and its query); the links below say it for machines.
    source_ref = models.CharField(_("来源说明"), max_length=200, blank=True)
    # Fetched from the licence library: the licence in force at intake.
    source_licence = models.ForeignKey(
        "licences.Licence",
        verbose_name=_("来源证照"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Fetched from a registry: the logged query that found it (who, when, case, purpose).
    source_query = models.ForeignKey(
        "datahub.RegistryQuery",
        verbose_name=_("共享查询记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Reused: the applicant's material of an earlier case it was taken from.
    reused_from = models.ForeignKey(
        "self",
        verbose_name=_("复用自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    file = models.FileField(_("文件"), upload_to="cases/%Y/%m/", blank=True)
    # 容缺后补: the day the applicant promised to hand it in (null: not deferred).
    deferred_until = models.DateField(_("承诺补交日期"), null=True, blank=True)

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


class CaseExtension(models.Model):
    """延长审批: more working days, decided by an approver with a reason (a clock event, kept)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延长工作日"))
    reason = models.TextField(_("延长理由"))
    decided_on = models.DateField(_("决定日期"))
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("延长审批")
        verbose_name_plural = _("延长审批")
        ordering = ["case_id", "decided_on", "pk"]
        constraints = [
            models.CheckConstraint(name="case_extension_positive", condition=Q(days__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: +{self.days}"


class RoutingRule(models.Model):
    """分转中枢: which department and office lead an item's cases from an area.

    The most specific rule wins: one naming the item and an area over one naming the item only,
    over one naming an area of the department only; then the higher ``priority``. Without a rule
    the item's implementing department leads, with its first office.
    """

    item = models.ForeignKey(
        "catalogue.ServiceItem",
        verbose_name=_("事项"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    # A district (or any unit) whose cases the rule takes: the case's window or applicant's area.
    area = models.ForeignKey(
        OrgUnit,
        verbose_name=_("区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        OrgUnit, verbose_name=_("主办部门"), on_delete=models.PROTECT, related_name="+"
    )
    office = models.ForeignKey(
        OrgUnit, verbose_name=_("主办处(科)室"), on_delete=models.PROTECT, related_name="+"
    )
    priority = models.SmallIntegerField(_("优先级"), default=0)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("分办规则")
        verbose_name_plural = _("分办规则")
        ordering = ["-priority", "pk"]

    def __str__(self) -> str:
        return self.note or f"{self.department_id}/{self.office_id}"


class Task(models.Model):
    """One person's (or one department's) piece of work on a case, at one step of its process.

    Open tasks wait in inboxes (the person's, the office's, the department's); one person at a
    time claims a task. Its clock is the step's share of the case's promised limit.
    """

    class State(models.TextChoices):
        OPEN = "open", _("待办")
        DONE = "done", _("已办")
        CANCELLED = "cancelled", _("已取消")

    # Foreign keys have no index of their own where a composite one leads with the column (the
    # inboxes; a case's tasks by task_one_per_step_department, whose first column is the case —
    # a case has a handful of tasks, so its state is filtered, not indexed): every index is a
    # write when the sweep raises a card or a task changes hands.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="tasks", db_index=False)
    step = models.CharField(_("环节"), max_length=40)
    kind = models.CharField(_("环节类型"), max_length=24)
    name = models.CharField(_("环节名称"), max_length=60)
    department = models.ForeignKey(
        OrgUnit, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    office = models.ForeignKey(
        OrgUnit,
        verbose_name=_("处(科)室"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    role = models.CharField(_("办理角色"), max_length=24)
    assignee = models.ForeignKey(
        User,
        verbose_name=_("办理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        db_index=False,
    )
    claimed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(_("到达时间"))
    opened_on = models.DateField()
    warn_on = models.DateField(_("预警日期"), null=True, blank=True)
    due_on = models.DateField(_("到期日期"), null=True, blank=True)
    # The working days the step has (its share of the promised limit), from which due_on comes.
    limit_days = models.PositiveSmallIntegerField(_("环节时限(工作日)"), default=0)
    card_level = models.CharField(
        _("亮灯"), max_length=6, choices=CardLevel.choices, default=CardLevel.NONE
    )
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    completed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    outcome = models.CharField(_("办理结果"), max_length=20, blank=True)
    opinion = models.TextField(_("办理意见"), blank=True)
    # Step-specific record: a meeting's date, attendees and decision; an inspection's findings.
    data = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("办理任务")
        verbose_name_plural = _("办理任务")
        ordering = ["due_on", "opened_at", "pk"]
        indexes = [
            # Inboxes by urgency: department, office and person.
            models.Index(fields=["department", "state", "due_on"], name="task_dept_inbox"),
            models.Index(fields=["office", "state", "due_on"], name="task_office_inbox"),
            models.Index(fields=["assignee", "state", "due_on"], name="task_assignee_inbox"),
            # The city-wide count of yellow and red open tasks per department reads only these.
            models.Index(
                fields=["department", "card_level"],
                name="task_open_carded",
                condition=Q(state="open", card_level__in=["yellow", "red"]),
            ),
            # The card sweep's two halves, as on cases.
            models.Index(
                fields=["warn_on", "id"],
                name="task_sweep_warn",
                condition=Q(state="open", card_level="none"),
            ),
            models.Index(
                fields=["due_on", "id"],
                name="task_sweep_due",
                condition=Q(state="open", card_level__in=["none", "yellow"]),
            ),
        ]
        constraints = [
            # One task a department per step of a case: a join can never open a step twice.
            models.UniqueConstraint(
                fields=["case", "step", "department"], name="task_one_per_step_department"
            ),
            models.CheckConstraint(
                name="task_done_is_completed",
                condition=~Q(state="done") | Q(completed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.step}@{self.department_id}"


class CreditRecord(models.Model):
    """A record against an applicant's credit (a false 告知承诺), for the data-sharing work."""

    class Kind(models.TextChoices):
        FALSE_COMMITMENT = "false_commitment", _("虚假承诺")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="credit_records")
    person = models.ForeignKey(
        NaturalPerson, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entity = models.ForeignKey(
        LegalEntity, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    finding = models.TextField(_("核查结论"))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.kind}"
