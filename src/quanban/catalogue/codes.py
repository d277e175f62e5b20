"""The national code lists of service items (GB/T 39046-2020 appendix A, as seen in live data).

Every list is a TextChoices whose value is the national code, so exports speak the national
platform's language without a second mapping.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemType(models.TextChoices):
    """事项类型 (A.1)."""

    ADMIN_POWER = "00", _("行政权力事项")
    LICENSING = "01", _("行政许可")
    PENALTY = "02", _("行政处罚")
    ENFORCEMENT = "03", _("行政强制")
    LEVY = "04", _("行政征收")
    BENEFIT = "05", _("行政给付")
    INSPECTION = "06", _("行政检查")
    CONFIRMATION = "07", _("行政确认")
    REWARD = "08", _("行政奖励")
    ADJUDICATION = "09", _("行政裁决")
    OTHER = "10", _("其他类别")
    PUBLIC_SERVICE = "20", _("公共服务")


class ExerciseLevel(models.TextChoices):
    """行使层级 (A.2)."""

    NATIONAL = "1", _("国家级")
    PROVINCIAL = "2", _("省级")
    CITY = "3", _("市级")
    COUNTY = "4", _("县级")
    TOWN = "5", _("镇(乡、街道)级")
    VILLAGE = "6", _("村(社区)级")
    TIERED = "7", _("分级管理")


class ServiceObject(models.TextChoices):
    """服务对象 (A.4)."""

    PERSON = "1", _("自然人")
    ENTERPRISE = "2", _("企业法人")
    INSTITUTION = "3", _("事业法人")
    SOCIAL_ORG = "4", _("社会组织法人")
    AUTHORITY = "5", _("行政机关")
    OTHER = "6", _("其他组织")


class HandlingForm(models.TextChoices):
    """办理形式 (A.5); an item may have several."""

    WINDOW = "1", _("窗口办理")
    PC = "2", _("电脑端网上办理")
    MOBILE = "3", _("移动端网上申请")
    POST = "4", _("快递申请")
    OTHER = "9", _("其他")


class CaseKind(models.TextChoices):
    """办件类型 (A.6)."""

    INSTANT = "1", _("即办件")
    PROMISED = "2", _("承诺件")
    OTHER = "9", _("其他")


class OnlineDepth(models.TextChoices):
    """网上办理深度."""

    INFO = "1", _("互联网咨询")
    UPLOAD = "2", _("互联网收件")
    HANDLE = "3", _("互联网预审")
    FULL = "4", _("全程网办")


class MaterialForm(models.TextChoices):
    """材料形式."""

    ORIGINAL = "1", _("原件")
    ELECTRONIC_COPY = "2", _("电子复印件")
    ORIGINAL_OR_COPY = "3", _("原件或复印件")
    PAPER_FORM = "4", _("纸质表格")
    ELECTRONIC = "5", _("普通电子文件")
    FETCHED = "6", _("系统自动获取无需提交")
    FETCHED_PARTLY = "7", _("系统自动获取(不全需提交)")
    SCAN = "8", _("原件扫描件")
    PDF = "9", _("PDF")


class Necessity(models.TextChoices):
    """材料必要性."""

    REQUIRED = "1", _("必要")
    OPTIONAL = "2", _("非必要")
    DEFERRABLE = "3", _("容缺后补")


class MaterialSource(models.TextChoices):
    """来源渠道: the applicant, a government body's document, or shared data fetched by the system."""

    APPLICANT = "10", _("申请人自备")
    GOVERNMENT = "20", _("政府部门核发")
    SHARED = "30", _("系统共享获取")


class ProcessKind(models.TextChoices):
    """The handling process an item version names (the case runtime defines the steps)."""

    SINGLE_APPROVER = "single_approver", _("独任审批")
    REVIEW_APPROVE = "review_approve", _("一审一核")
    PARALLEL = "parallel", _("并联审批")
    INSTANT_RULE = "instant_rule", _("秒批")
