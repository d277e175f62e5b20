"""末位: versioned score weights and the monthly and yearly rankings (docs/rankings.md).

Imported by ``quanban.feedback.models`` so Django finds them; kept apart by concept.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quanban.accounts.models import OrgUnit, User


class ScoreWeights(models.Model):
    """One version of the score's weights, in force from ``effective_from`` (the first of a
    month) until the next version's. A computed ranking keeps the version it used."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    effective_from = models.DateField(_("生效月份"), unique=True)
    # Component → points (docs/rankings.md, "Weights"); every key of
    # ``quanban.feedback.ranking_weights.DEFAULT_WEIGHTS``.
    weights = models.JSONField(_("权重"))
    # 末位: how many at the bottom of each list are flagged (ties with the last flagged too).
    bottom_n = models.PositiveSmallIntegerField(_("末位数"), default=1)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("评分权重")
        verbose_name_plural = _("评分权重")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(name="score_weights_bottom_n", condition=Q(bottom_n__gte=1)),
        ]

    def __str__(self) -> str:
        return f"v{self.version} ({self.effective_from})"


class RankingPeriod(models.Model):
    """One month's or one year's ranking. Provisional (``closed`` false) while the period runs
    (the worker refreshes it); closed — frozen — once computed after it ended."""

    class Kind(models.TextChoices):
        MONTH = "month", _("月度")
        YEAR = "year", _("年度")

    kind = models.CharField(_("类型"), max_length=5, choices=Kind.choices)
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("截止日期(不含)"))
    weights = models.ForeignKey(
        ScoreWeights, verbose_name=_("权重版本"), on_delete=models.PROTECT, related_name="+"
    )
    closed = models.BooleanField(_("已定稿"), default=False)
    revision = models.PositiveIntegerField(_("计算次数"), default=1)
    computed_at = models.DateTimeField(_("计算时间"))
    computed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("排名期间")
        verbose_name_plural = _("排名期间")
        ordering = ["kind", "-start"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "start"], name="ranking_period_once"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return (
            self.start.strftime("%Y")
            if self.kind == self.Kind.YEAR
            else self.start.strftime("%Y-%m")
        )


class RankingRow(models.Model):
    """One subject's components, score and place in one period's list."""

    class Scope(models.TextChoices):
        DEPARTMENT = "department", _("部门")
        DISTRICT = "district", _("区县")
        HALL = "hall", _("服务大厅")

    period = models.ForeignKey(RankingPeriod, on_delete=models.CASCADE, related_name="rows")
    scope = models.CharField(_("排名类别"), max_length=10, choices=Scope.choices)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    ratings = models.PositiveIntegerField(_("评价数"), default=0)
    good_ratings = models.PositiveIntegerField(_("满意评价数"), default=0)
    bad_ratings = models.PositiveIntegerField(_("差评数"), default=0)
    rectified = models.PositiveIntegerField(_("差评已整改数"), default=0)
    finished = models.PositiveIntegerField(_("办结数"), default=0)
    finished_on_time = models.PositiveIntegerField(_("按时办结数"), default=0)
    complaints = models.PositiveIntegerField(_("投诉数"), default=0)
    # Of the complaints, those a supervisor verified (核实), and of those the upheld (属实).
    verified_complaints = models.PositiveIntegerField(_("已核实投诉数"), default=0)
    upheld_complaints = models.PositiveIntegerField(_("属实投诉数"), default=0)
    red_cards = models.PositiveIntegerField(_("红牌数"), default=0)
    # Null until inspections (督查) record findings (docs/rankings.md).
    inspection_findings = models.PositiveIntegerField(_("督查问题数"), null=True, blank=True)
    satisfaction_rate = models.DecimalField(
        _("满意率"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    rectification_rate = models.DecimalField(
        _("差评整改率"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    on_time_rate = models.DecimalField(
        _("按时办结率"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    complaints_per_1000 = models.DecimalField(
        _("千件投诉量"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    upheld_share = models.DecimalField(
        _("投诉属实率"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    score = models.DecimalField(_("综合得分"), max_digits=6, decimal_places=2)
    rank = models.PositiveIntegerField(_("名次"))
    previous_rank = models.PositiveIntegerField(_("上期名次"), null=True, blank=True)
    bottom = models.BooleanField(_("末位"), default=False)

    class Meta:
        verbose_name = _("排名结果")
        verbose_name_plural = _("排名结果")
        ordering = ["scope", "rank", "pk"]
        indexes = [
            # A subject's history (the year-end report).
            models.Index(fields=["unit", "scope"], name="ranking_row_unit"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "scope", "unit"], name="ranking_row_once_a_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.scope} {self.unit_id}: {self.rank}"

    @property
    def movement(self) -> int | None:
        """Places gained since the previous period (negative: lost); None when new."""
        return None if self.previous_rank is None else self.previous_rank - self.rank
