"""Supervision (监督): the cards (红黄牌) the sweep raises on tasks and cases, one event a level."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quanban.accounts.models import OrgUnit, User
from quanban.cases.models import CardLevel, Case, Task


class CardEvent(models.Model):
    """A card raised on a task or a case: yellow when its warning time began, red past due.

    At most one event per level per task (or case): a sweep that meets it again, or a second
    worker sweeping at the same moment, adds nothing.
    """

    # No index of their own where another leads with the column (card_once_a_task,
    # card_dept_level) or nothing looks the rows up by it: the sweep inserts tens of thousands of
    # events at once after a stop, and every index is a write a row.
    task = models.ForeignKey(
        Task,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="card_events",
        db_index=False,
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="card_events"
    )
    level = models.CharField(
        _("亮灯"),
        max_length=6,
        choices=[(CardLevel.YELLOW, CardLevel.YELLOW.label), (CardLevel.RED, CardLevel.RED.label)],
    )
    department = models.ForeignKey(
        OrgUnit, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The day the level began (warn date for yellow, the day after the due date for red): a sweep
    # catching up after downtime records when it was due, not when it ran.
    due_on = models.DateField(_("亮灯日期"))
    fired_at = models.DateTimeField(_("记录时间"))
    # Seen and explained by one of the people it is for (亮灯说明).
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    explanation = models.TextField(_("情况说明"), blank=True)

    class Meta:
        verbose_name = _("红黄牌")
        verbose_name_plural = _("红黄牌")
        ordering = ["-fired_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "level"], condition=Q(task__isnull=False), name="card_once_a_task"
            ),
            models.UniqueConstraint(
                fields=["case", "level"],
                condition=Q(task__isnull=True),
                name="card_once_a_case",
            ),
            models.CheckConstraint(
                name="card_on_a_task_or_a_case",
                condition=Q(task__isnull=False) | Q(case__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["department", "level", "fired_at"], name="card_dept_level")]

    def __str__(self) -> str:
        return f"{self.level} task={self.task_id} case={self.case_id}"


class SupervisionNote(models.Model):
    """督办: a supervisor's instruction on a case, with the day it must be answered by."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="supervision_notes")
    card = models.ForeignKey(
        CardEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("督办意见"))
    due_on = models.DateField(_("督办期限"))
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.due_on}"


class EvaluationMonth(models.Model):
    """绩效评估: one month's evaluation, frozen once computed; a recomputation replaces its rows."""

    month = models.DateField(_("评估月份"), unique=True)  # the first day of the month
    # Weights of the score, as they were when it was computed ({"on_time": 0.5, ...}).
    weights = models.JSONField(_("评分权重"), default=dict)
    computed_at = models.DateTimeField(_("计算时间"))
    computed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # 1 for the first computation; each recomputation on demand adds one.
    revision = models.PositiveIntegerField(_("计算次数"), default=1)

    class Meta:
        verbose_name = _("月度绩效评估")
        verbose_name_plural = _("月度绩效评估")
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(name="evaluation_month_first_day", condition=Q(month__day=1)),
        ]

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")


class EvaluationRow(models.Model):
    """One subject's figures in a month: a staff member, a window, an office or a department."""

    class Scope(models.TextChoices):
        STAFF = "staff", _("工作人员")
        WINDOW = "window", _("窗口")
        OFFICE = "office", _("处(科)室")
        DEPARTMENT = "department", _("部门")

    evaluation = models.ForeignKey(EvaluationMonth, on_delete=models.CASCADE, related_name="rows")
    scope = models.CharField(_("评估对象类型"), max_length=10, choices=Scope.choices)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received = models.PositiveIntegerField(_("收件数"), default=0)
    accepted = models.PositiveIntegerField(_("受理数"), default=0)
    finished = models.PositiveIntegerField(_("办结数"), default=0)
    finished_on_time = models.PositiveIntegerField(_("按时办结数"), default=0)
    yellow_cards = models.PositiveIntegerField(_("黄牌数"), default=0)
    red_cards = models.PositiveIntegerField(_("红牌数"), default=0)
    ratings = models.PositiveIntegerField(_("评价数"), default=0)
    rating_average = models.DecimalField(
        _("平均评价"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    complaints = models.PositiveIntegerField(_("投诉数"), default=0)
    score = models.DecimalField(_("综合得分"), max_digits=6, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("绩效评估结果")
        verbose_name_plural = _("绩效评估结果")
        ordering = ["scope", "-score", "pk"]
        constraints = [
            models.CheckConstraint(
                name="evaluation_row_subject",
                condition=(Q(scope="staff", user__isnull=False, org_unit__isnull=True))
                | (~Q(scope="staff") & Q(user__isnull=True, org_unit__isnull=False)),
            ),
            models.UniqueConstraint(
                fields=["evaluation", "scope", "user"],
                condition=Q(user__isnull=False),
                name="evaluation_once_a_user",
            ),
            models.UniqueConstraint(
                fields=["evaluation", "scope", "org_unit"],
                condition=Q(org_unit__isnull=False),
                name="evaluation_once_a_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation} {self.scope} {self.user_id or self.org_unit_id}"


class DashboardDay(models.Model):
    """One day's figures of one slice of the cases: a rollup the worker keeps (docs/dashboards.md).

    A slice is (day, lead department, lead office, item, district, channel); a case counts in the
    slice of the day it was received (``received``), accepted (``accepted``) and finished
    (``finished`` and everything after it). The district is that of the case's window, else of its
    lead department; null for the city level (市本级). Rows of a day are replaced as a whole
    (``quanban.supervision.rollups``), never edited.
    """

    day = models.DateField(_("日期"))
    # Derived data, rebuilt by the day: no foreign-key checks on the insert (units and items are
    # never deleted, only deactivated).
    department = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    office = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    item = models.ForeignKey(
        "catalogue.ServiceItem",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    district = models.ForeignKey(
        OrgUnit,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    channel = models.CharField(_("申报渠道"), max_length=1)
    received = models.PositiveIntegerField(_("收件数"), default=0)
    accepted = models.PositiveIntegerField(_("受理数"), default=0)
    finished = models.PositiveIntegerField(_("办结数"), default=0)
    finished_on_time = models.PositiveIntegerField(_("按时办结数"), default=0)
    on_the_spot = models.PositiveIntegerField(_("即办件数"), default=0)
    instant = models.PositiveIntegerField(_("秒批件数"), default=0)
    online = models.PositiveIntegerField(_("网办件数"), default=0)
    no_visit = models.PositiveIntegerField(_("不见面件数"), default=0)
    # Working days from acceptance to finish, summed; and how many finished cases took
    # 0, 1, 2, 3, 4–5, 6–10, 11–15, 16–20, 21–30, 31–45, 46–60 and more working days.
    handling_days = models.PositiveBigIntegerField(_("办理工作日合计"), default=0)
    took_0 = models.PositiveIntegerField(default=0)
    took_1 = models.PositiveIntegerField(default=0)
    took_2 = models.PositiveIntegerField(default=0)
    took_3 = models.PositiveIntegerField(default=0)
    took_5 = models.PositiveIntegerField(default=0)
    took_10 = models.PositiveIntegerField(default=0)
    took_15 = models.PositiveIntegerField(default=0)
    took_20 = models.PositiveIntegerField(default=0)
    took_30 = models.PositiveIntegerField(default=0)
    took_45 = models.PositiveIntegerField(default=0)
    took_60 = models.PositiveIntegerField(default=0)
    took_more = models.PositiveIntegerField(default=0)
    # The finished cases' materials: all, fetched from other departments (共享获取), reused
    # from earlier cases (复用历史材料) — what the applicant did not have to bring.
    materials = models.PositiveIntegerField(_("材料数"), default=0)
    materials_fetched = models.PositiveIntegerField(_("共享获取材料数"), default=0)
    materials_reused = models.PositiveIntegerField(_("复用材料数"), default=0)

    class Meta:
        verbose_name = _("统计日汇总")
        verbose_name_plural = _("统计日汇总")
        ordering = ["day"]
        indexes = [
            models.Index(fields=["day", "department"], name="dashboard_day_department"),
            models.Index(fields=["department", "day"], name="dashboard_department_day"),
            models.Index(fields=["district", "day"], name="dashboard_district_day"),
            models.Index(fields=["item", "day"], name="dashboard_item_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.department_id}/{self.item_id}/{self.channel}"


class DashboardRefresh(models.Model):
    """One run of the rollup: which days it rebuilt, when, and how long it took."""

    started_at = models.DateTimeField(_("开始时间"))
    first_day = models.DateField(_("起始日期"))
    last_day = models.DateField(_("截止日期"))
    rows = models.PositiveIntegerField(_("汇总行数"), default=0)
    seconds = models.FloatField(_("耗时(秒)"), default=0)

    class Meta:
        verbose_name = _("统计汇总运行")
        verbose_name_plural = _("统计汇总运行")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["-started_at"], name="dashboard_refresh_latest")]

    def __str__(self) -> str:
        return f"{self.first_day}–{self.last_day} @ {self.started_at}"


# --- 体验官 and 督查: experience officers' reports and inspections, their findings -----------------


class ExperienceOfficer(models.Model):
    """体验官: a deputy, CPPCC member, expert, journalist, business person or citizen engaged for
    a term to try the services (a visit to a hall or an online service) and report on them."""

    class Kind(models.TextChoices):
        DEPUTY = "deputy", _("人大代表")
        CPPCC = "cppcc", _("政协委员")
        EXPERT = "expert", _("专家学者")
        JOURNALIST = "journalist", _("新闻媒体")
        BUSINESS = "business", _("企业代表")
        CITIZEN = "citizen", _("群众代表")

    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    # The officer's citizen account, when they file reports themselves in the portal.
    account = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    term_start = models.DateField(_("聘期开始"))
    term_end = models.DateField(_("聘期结束"))
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("体验官")
        verbose_name_plural = _("体验官")
        ordering = ["-term_end", "pk"]
        constraints = [
            models.CheckConstraint(
                name="officer_term_order", condition=Q(term_end__gte=models.F("term_start"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Inspection(models.Model):
    """督查: a special inspection (专项督查), an unannounced visit (暗访), a random check of cases
    (随机抽查) — or an experience officer's report (体验报告) on a visit or an online service.
    Either way its findings become rectification tasks of the departments concerned."""

    class Kind(models.TextChoices):
        SPECIAL = "special", _("专项督查")
        UNANNOUNCED = "unannounced", _("暗访")
        RANDOM = "random", _("随机抽查")
        OFFICER = "officer", _("体验官报告")

    class Channel(models.TextChoices):
        VISIT = "visit", _("现场体验")
        ONLINE = "online", _("网上体验")

    kind = models.CharField(_("督查类型"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    summary = models.TextField(_("概况"), blank=True)
    held_on = models.DateField(_("督查日期"))
    # An experience officer's report: who, on what (a hall or window visited, an item used
    # online), with scores per dimension (1–5, 5 the best).
    officer = models.ForeignKey(
        ExperienceOfficer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    channel = models.CharField(_("体验方式"), max_length=8, choices=Channel.choices, blank=True)
    unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        "catalogue.ServiceItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scores = models.JSONField(_("评分"), default=dict, blank=True)
    # 随机抽查: the sample, reproducible — the population (department, days) and the seed give the
    # same cases again (quanban.supervision.inspections.draw_sample).
    sample_department = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sample_from = models.DateField(_("抽样起始日期"), null=True, blank=True)
    sample_to = models.DateField(_("抽样截止日期"), null=True, blank=True)
    sample_size = models.PositiveIntegerField(_("抽样数量"), null=True, blank=True)
    seed = models.BigIntegerField(_("随机种子"), null=True, blank=True)
    sampled_cases = models.JSONField(_("抽中的办件"), default=list, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("登记时间"))

    class Meta:
        verbose_name = _("督查")
        verbose_name_plural = _("督查")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="inspection_officer_report",
                condition=~Q(kind="officer") | Q(officer__isnull=False),
            ),
            models.CheckConstraint(
                name="inspection_random_has_seed",
                condition=~Q(kind="random") | Q(seed__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class Finding(models.Model):
    """A problem an inspection or an experience officer found, and the department's task to
    rectify it by a day (整改任务)."""

    class State(models.TextChoices):
        OPEN = "open", _("待整改")
        RECTIFIED = "rectified", _("已整改")

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="findings")
    department = models.ForeignKey(
        OrgUnit, verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("问题"))
    # The month it counts in (the inspection's day), copied for the per-department figures.
    found_on = models.DateField(_("发现日期"))
    due_on = models.DateField(_("整改期限"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    rectification = models.TextField(_("整改情况"), blank=True)
    rectified_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    rectified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("督查发现问题")
        verbose_name_plural = _("督查发现问题")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["found_on", "department"], name="finding_month_dept")]
        constraints = [
            models.CheckConstraint(
                name="finding_rectified_has_time",
                condition=~Q(state="rectified") | Q(rectified_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"finding #{self.pk} ({self.state})"
