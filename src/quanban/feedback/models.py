"""好差评 and 找茬: ratings, rating invitations, complaints and their follow-up (docs/feedback.md).

A rating keeps who and what it is about in plain indexed columns (department, office, window,
hall, district, item, staff member), copied when it is given, so the public results and the
monthly evaluation are ``GROUP BY`` over indexes and never join the cases. The rater is kept for
the follow-up's messages and is never shown to staff (``quanban.feedback.selectors``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quanban.accounts.models import OrgUnit, User
from quanban.cases.models import CardLevel, Case
from quanban.catalogue.models import ServiceItem


class Level(models.IntegerChoices):
    """The five levels, stored as a satisfaction score: 5 the best, 1 the worst.

    The exchange codes differ by interface (the national standard codes 非常满意 as 1); they are
    mapped in one place, ``quanban.feedback.codes``.
    """

    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


# The two lowest levels are bad ratings (差评).
BAD_LEVELS = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)
BAD_AT_MOST = 2


class RatingChannel(models.TextChoices):
    PORTAL = "portal", _("网上办事大厅")
    MOBILE = "mobile", _("移动端")
    PAD = "pad", _("窗口评价器")
    KIOSK = "kiosk", _("自助终端")
    SMS = "sms", _("短信链接")


class RatingKind(models.TextChoices):
    PER_CASE = "case", _("一事一评")
    PER_VISIT = "visit", _("一次一评")


class RaterKind(models.TextChoices):
    PERSON = "1", _("自然人")
    ENTITY = "2", _("法人")


class RatingInvite(models.Model):
    """An invitation to rate: a visit at a window (the pad or kiosk a clerk opened) or a
    finished case's SMS link. Its token is given once and only its hash is kept; it is used
    once and expires."""

    kind = models.CharField(_("评价类型"), max_length=5, choices=RatingKind.choices)
    channel = models.CharField(_("评价渠道"), max_length=8, choices=RatingChannel.choices)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    window = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The clerk who served the person (a visit) and opened the pad.
    staff = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("评价邀请")
        verbose_name_plural = _("评价邀请")
        constraints = [
            models.CheckConstraint(
                name="rating_invite_case_has_case",
                condition=~Q(kind="case") | Q(case__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.channel} #{self.pk}"


class Rating(models.Model):
    kind = models.CharField(_("评价类型"), max_length=5, choices=RatingKind.choices)
    channel = models.CharField(_("评价渠道"), max_length=8, choices=RatingChannel.choices)
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=Level.choices)
    # Dimension scores, 1–5 (5 the best); the overall score is ``level``. Online: efficiency,
    # guide accuracy, convenience, usability. Window: efficiency, skill, attitude.
    efficiency = models.PositiveSmallIntegerField(_("办事效率"), null=True, blank=True)
    guide_accuracy = models.PositiveSmallIntegerField(_("办事指南准确性"), null=True, blank=True)
    convenience = models.PositiveSmallIntegerField(_("办事便捷程度"), null=True, blank=True)
    usability = models.PositiveSmallIntegerField(_("平台易用性"), null=True, blank=True)
    skill = models.PositiveSmallIntegerField(_("业务水平"), null=True, blank=True)
    attitude = models.PositiveSmallIntegerField(_("服务态度"), null=True, blank=True)
    text = models.TextField(_("评价内容"), blank=True)
    tags = models.JSONField(_("评价标签"), default=list, blank=True)
    # 1 first, 2 the second rating of the same case (it replaced the first), per the national
    # interface. A replaced rating stays in the record, ``superseded``.
    number = models.PositiveSmallIntegerField(_("评价次数"), default=1)
    superseded = models.BooleanField(_("已被追评替换"), default=False)
    # 申诉复核: a supervisor upheld a staff appeal against this rating (mistaken or malicious). It
    # stays in the record and the export; no score counts it (``COUNTED``).
    appeal_upheld = models.BooleanField(_("申诉成立"), default=False)
    invite = models.OneToOneField(
        RatingInvite, null=True, blank=True, on_delete=models.PROTECT, related_name="rating"
    )
    # Indexed by ``rating_case_kind`` (case, kind).
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The rater: never shown to staff (selectors). Kept to send the follow-up and ask a verdict.
    rater_user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rater_phone = models.CharField(max_length=20, blank=True)
    rater_kind = models.CharField(
        _("评价人类型"), max_length=1, choices=RaterKind.choices, default=RaterKind.PERSON
    )
    # What the rating is about, copied when given (see the module's docstring). Department,
    # hall, district and item have no index of their own: the partial ``rating_*_level`` indexes
    # lead with them (fewer indexes to write a rating; the counts read those).
    department = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    office = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    window = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hall = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    district = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    item = models.ForeignKey(
        ServiceItem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    staff = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(_("评价时间"))
    # The city's day of ``rated_at``: months and days are ranges on it.
    rated_on = models.DateField(_("评价日期"))

    class Meta:
        verbose_name = _("好差评")
        verbose_name_plural = _("好差评")
        ordering = ["-rated_at", "-pk"]
        indexes = [
            # Current ratings by subject and level (the staff's lists, and the recount the public
            # counts are rebuilt and checked from: quanban.feedback.tally.computed).
            models.Index(
                fields=["department", "level"],
                name="rating_dept_level",
                condition=Q(superseded=False),
            ),
            models.Index(
                fields=["hall", "level"], name="rating_hall_level", condition=Q(superseded=False)
            ),
            models.Index(
                fields=["item", "level"], name="rating_item_level", condition=Q(superseded=False)
            ),
            models.Index(
                fields=["district", "level"],
                name="rating_district_level",
                condition=Q(superseded=False),
            ),
            # Months (the evaluation, the export).
            models.Index(fields=["rated_on"], name="rating_rated_on"),
            models.Index(fields=["case", "kind"], name="rating_case_kind"),
        ]
        constraints = [
            models.CheckConstraint(name="rating_level_range", condition=Q(level__range=(1, 5))),
            models.CheckConstraint(name="rating_number_range", condition=Q(number__in=[1, 2])),
            *[
                models.CheckConstraint(
                    name=f"rating_{dim}_range",
                    condition=Q(**{f"{dim}__isnull": True}) | Q(**{f"{dim}__range": (1, 5)}),
                )
                for dim in (
                    "efficiency",
                    "guide_accuracy",
                    "convenience",
                    "usability",
                    "skill",
                    "attitude",
                )
            ],
            models.CheckConstraint(
                name="rating_case_kind_has_case",
                condition=~Q(kind="case") | Q(case__isnull=False),
            ),
            # 一事一评: one current rating a case, and at most a first and a second.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(kind="case", superseded=False),
                name="rating_one_current_per_case",
            ),
            models.UniqueConstraint(
                fields=["case", "number"],
                condition=Q(kind="case"),
                name="rating_case_number_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}: {self.level}"

    @property
    def is_bad(self) -> bool:
        return self.level <= BAD_AT_MOST


# The ratings every score counts: current (not replaced by a second rating) and not removed by an
# upheld appeal. The partial ``rating_*_level`` indexes hold the current ones; the counts filter
# the few upheld ones as they read them.
COUNTED = Q(superseded=False, appeal_upheld=False)


class RatingAppeal(models.Model):
    """申诉复核: staff of the rated unit contest a rating as mistaken or malicious, with evidence;
    a supervisor decides. An upheld appeal removes the rating from every score (it stays in the
    record). One appeal a rating."""

    class Reason(models.TextChoices):
        MISTAKEN = "mistaken", _("误评")
        MALICIOUS = "malicious", _("恶意评价")

    class State(models.TextChoices):
        PENDING = "pending", _("待复核")
        UPHELD = "upheld", _("申诉成立")
        REJECTED = "rejected", _("申诉不成立")

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="appeal")
    reason = models.CharField(_("申诉理由"), max_length=10, choices=Reason.choices)
    statement = models.TextField(_("申诉说明"))
    evidence = models.FileField(_("佐证材料"), upload_to="feedback/appeals/%Y/%m/", blank=True)
    filed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("申诉时间"))
    # The rating's department, copied for the supervisor's queue and the unit's list.
    department = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    decision_note = models.TextField(_("复核意见"), blank=True)

    class Meta:
        verbose_name = _("评价申诉")
        verbose_name_plural = _("评价申诉")
        ordering = ["-filed_at", "-pk"]
        indexes = [models.Index(fields=["state", "filed_at"], name="appeal_state_filed")]
        constraints = [
            models.CheckConstraint(
                name="appeal_decided_has_decider",
                condition=Q(state="pending")
                | Q(decided_by__isnull=False, decided_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"appeal #{self.pk} ({self.state})"


class Complaint(models.Model):
    """找茬: a complaint about an item, a case, a hall or a named person."""

    class Target(models.TextChoices):
        ITEM = "item", _("事项")
        CASE = "case", _("办件")
        HALL = "hall", _("服务大厅")
        PERSON = "person", _("工作人员")

    class Category(models.TextChoices):
        ATTITUDE = "attitude", _("服务态度")
        PROCESS = "process", _("办事流程")
        ENVIRONMENT = "environment", _("办事环境")
        QUALITY = "quality", _("服务质量")
        INTEGRITY = "integrity", _("廉洁自律")

    target = models.CharField(_("投诉对象类型"), max_length=8, choices=Target.choices)
    item = models.ForeignKey(
        ServiceItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hall = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("问题类别"), max_length=12, choices=Category.choices)
    text = models.TextField(_("问题描述"))
    evidence = models.FileField(_("佐证材料"), upload_to="feedback/%Y/%m/", blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    # A real-name complainant's account (they follow the complaint in the portal); null when
    # anonymous. Never shown to staff.
    complainant = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The department answerable (for the public record), copied when filed.
    department = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("投诉时间"))
    created_on = models.DateField(_("投诉日期"))
    # 核实: a supervisor's finding whether the complaint was upheld (属实); null until verified.
    # The rankings' upheld share counts it (docs/rankings.md).
    upheld = models.BooleanField(_("投诉属实"), null=True, blank=True)
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        verbose_name = _("找茬投诉")
        verbose_name_plural = _("找茬投诉")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["department", "created_on"], name="complaint_dept_on"),
            models.Index(fields=["complainant", "-created_at"], name="complaint_complainant"),
            models.Index(fields=["created_on"], name="complaint_created_on"),
        ]
        constraints = [
            models.CheckConstraint(
                name="complaint_target_named",
                condition=Q(target="item", item__isnull=False)
                | Q(target="case", case__isnull=False)
                | Q(target="hall", hall__isnull=False)
                | Q(target="person", person__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target}/{self.category} #{self.pk}"


class FollowUp(models.Model):
    """回访 and 整改 of a bad rating or a complaint, by the responsible unit, on two deadlines.

    The deadlines are dates with their warning days (``*_warn_on``), indexed like the tasks' and
    cases' so the card sweep can take them on (docs/feedback.md, "the seam for cards").
    """

    class State(models.TextChoices):
        OPEN = "open", _("待回访")
        CONTACTED = "contacted", _("整改中")
        RECTIFIED = "rectified", _("待评价人确认")
        CLOSED = "closed", _("已办结")

    class Verdict(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASICALLY_SATISFIED = "basic", _("基本满意")
        DISSATISFIED = "dissatisfied", _("不满意")
        # The rater cannot be asked (no account): closed with what was done.
        NOT_REACHABLE = "unreachable", _("无法联系评价人")

    rating = models.OneToOneField(
        Rating, null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up"
    )
    complaint = models.OneToOneField(
        Complaint, null=True, blank=True, on_delete=models.PROTECT, related_name="follow_up"
    )
    # The responsible unit (an office, else a department, window or hall) and its department.
    unit = models.ForeignKey(
        OrgUnit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(_("登记时间"))
    opened_on = models.DateField()
    contact_warn_on = models.DateField(_("回访预警日期"))
    contact_due_on = models.DateField(_("回访期限"))
    rectify_warn_on = models.DateField(_("整改预警日期"))
    rectify_due_on = models.DateField(_("整改期限"))
    card_level = models.CharField(
        _("亮灯"), max_length=6, choices=CardLevel.choices, default=CardLevel.NONE
    )
    contact_note = models.TextField(_("回访情况"), blank=True)
    contacted_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    contacted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rectification = models.TextField(_("整改情况"), blank=True)
    rectified_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    rectified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(_("评价人意见"), max_length=12, choices=Verdict.choices, blank=True)
    verdict_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("回访整改")
        verbose_name_plural = _("回访整改")
        ordering = ["rectify_due_on", "pk"]
        indexes = [
            models.Index(fields=["unit", "state"], name="followup_unit_state"),
            models.Index(fields=["department", "state"], name="followup_dept_state"),
            # The public record: a department's newest rectifications.
            models.Index(
                fields=["department", "-closed_at", "-id"],
                name="followup_dept_closed",
                condition=Q(state="closed"),
            ),
            # The sweep's halves, as on tasks: contact not made by its warning day; rectification
            # not done by its due date.
            models.Index(
                fields=["contact_warn_on", "id"],
                name="followup_sweep_contact",
                condition=Q(state="open", card_level="none"),
            ),
            models.Index(
                fields=["rectify_due_on", "id"],
                name="followup_sweep_rectify",
                condition=Q(state__in=["open", "contacted"], card_level__in=["none", "yellow"]),
            ),
            # … and the other two: contact not made by its due date; rectification not done by
            # its warning day (a follow-up contacted in time).
            models.Index(
                fields=["contact_due_on", "id"],
                name="followup_sweep_contact_due",
                condition=Q(state="open", card_level__in=["none", "yellow"]),
            ),
            models.Index(
                fields=["rectify_warn_on", "id"],
                name="followup_sweep_rectify_warn",
                condition=Q(state__in=["open", "contacted"], card_level="none"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="followup_one_source",
                condition=(Q(rating__isnull=False) & Q(complaint__isnull=True))
                | (Q(rating__isnull=True) & Q(complaint__isnull=False)),
            ),
            models.CheckConstraint(
                name="followup_closed_has_time",
                condition=~Q(state="closed") | Q(closed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"follow-up #{self.pk} ({self.state})"


class FollowUpCard(models.Model):
    """A card raised on a follow-up (quanban.supervision.followup_sweep): yellow when a deadline's
    warning day came with the step not done, red past its due date. At most one a level."""

    class Stage(models.TextChoices):
        CONTACT = "contact", _("回访")
        RECTIFY = "rectify", _("整改")

    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.PROTECT, related_name="cards", db_index=False
    )
    level = models.CharField(
        _("亮灯"),
        max_length=6,
        choices=[(CardLevel.YELLOW, CardLevel.YELLOW.label), (CardLevel.RED, CardLevel.RED.label)],
    )
    # The step that was late: contacting the rater or rectifying.
    stage = models.CharField(_("环节"), max_length=8, choices=Stage.choices)
    # The day the level began (the warning day for yellow, the day after the due date for red).
    due_on = models.DateField(_("亮灯日期"))
    fired_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("回访整改红黄牌")
        verbose_name_plural = _("回访整改红黄牌")
        ordering = ["follow_up", "due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["follow_up", "level"], name="followup_card_once"),
        ]

    def __str__(self) -> str:
        return f"{self.level} follow-up={self.follow_up_id}"


# 末位 (rankings): their own module, found by Django through this import.
from quanban.feedback.ranking_models import (  # noqa: E402, F401
    RankingPeriod,
    RankingRow,
    ScoreWeights,
)


class Tally(models.Model):
    """A running count behind the public results: how many of ``measure`` (current ratings of a
    level, follow-ups in a state, complaints) ``scope``/``subject_id`` has on ``day``, kept in the
    transaction that changes it (``quanban.feedback.tally``)."""

    pk = models.CompositePrimaryKey("scope", "subject_id", "day", "measure")
    scope = models.CharField(max_length=10)
    subject_id = models.BigIntegerField()
    day = models.DateField()
    measure = models.CharField(max_length=20)
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("公示计数")
        verbose_name_plural = _("公示计数")

    def __str__(self) -> str:
        return f"{self.scope}#{self.subject_id} {self.day} {self.measure}: {self.n}"
