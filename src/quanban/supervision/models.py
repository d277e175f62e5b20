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

    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.PROTECT, related_name="card_events"
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
        OrgUnit, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+"
    )
    # The day the level began (warn date for yellow, the day after the due date for red): a sweep
    # catching up after downtime records when it was due, not when it ran.
    due_on = models.DateField(_("亮灯日期"))
    fired_at = models.DateTimeField(_("记录时间"))
    # Seen and explained by one of the people it is for (亮灯说明).
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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
