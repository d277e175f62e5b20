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
