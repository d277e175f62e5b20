"""Core tables: the audit trail (and, beside it, the working-day calendar)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditRecord(models.Model):
    """One write, or one refused attempt, anywhere in the platform. Append-only, hash-chained."""

    class Result(models.TextChoices):
        OK = "ok", _("成功")
        DENIED = "denied", _("拒绝")
        FAILED = "failed", _("失败")

    seq = models.BigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间 (UTC)"), db_index=True)
    actor_id = models.BigIntegerField(_("操作人 ID"), null=True, blank=True, db_index=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    actor_role = models.CharField(_("角色"), max_length=40, blank=True)
    org_unit_id = models.BigIntegerField(_("机构 ID"), null=True, blank=True)
    ip = models.CharField(_("IP 地址"), max_length=45, blank=True)
    channel = models.CharField(_("渠道"), max_length=16, blank=True)
    action = models.CharField(_("操作代码"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象 ID"), max_length=64, blank=True)
    result = models.CharField(_("结果"), max_length=8, choices=Result.choices, default=Result.OK)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """A single row holding the chain's last sequence number and hash.

    Appending takes a row lock on it, so concurrent writers chain one after another.
    """

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single_row")
        ]

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class CalendarSource(models.TextChoices):
    """Where a calendar year or day came from."""

    PACKAGE = "chinesecalendar", _("chinesecalendar 软件包")
    ADMIN = "admin", _("管理员录入")


class CalendarYear(models.Model):
    """A year the working-day calendar covers. Every day of a covered year has a ``CalendarDay``.

    Working-day arithmetic refuses years without a row here rather than guess.
    """

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    source = models.CharField(_("来源"), max_length=16, choices=CalendarSource.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=1949, year__lte=2999), name="calendar_year_range"
            )
        ]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """One day: working or not, and why (ordinary, weekend, statutory holiday, make-up day 调休)."""

    class Kind(models.TextChoices):
        WORKDAY = "workday", _("工作日")
        WEEKEND = "weekend", _("周末")
        HOLIDAY = "holiday", _("法定节假日")
        MAKEUP_WORKDAY = "makeup_workday", _("调休上班")

    WORKING_KINDS = (Kind.WORKDAY, Kind.MAKEUP_WORKDAY)

    date = models.DateField(_("日期"), primary_key=True)
    is_workday = models.BooleanField(_("是否工作日"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("节日名称"), max_length=64, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=CalendarSource.choices)

    class Meta:
        verbose_name = _("日历日")
        verbose_name_plural = _("日历日")
        ordering = ["date"]
        constraints = [
            # The flag and the kind never disagree.
            models.CheckConstraint(
                condition=(
                    models.Q(is_workday=True, kind__in=["workday", "makeup_workday"])
                    | models.Q(is_workday=False, kind__in=["weekend", "holiday"])
                ),
                name="calendar_day_kind_matches_flag",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.kind}"
