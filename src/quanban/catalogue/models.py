"""The service catalogue: items, their versions, materials, situations and retained proofs.

A ``ServiceItem`` is the stable identity of an item implemented by one department (its codes);
everything a citizen reads lives on an ``ItemVersion``. A published version is immutable; editing
makes a new draft; cases pin the version they started on.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from quanban.accounts.models import OrgUnit, User
from quanban.catalogue import codes


class RetainedProof(models.Model):
    """One entry of the retained-proofs list (保留证明事项清单): a proof that may still be asked for."""

    code = models.CharField(_("编号"), max_length=32, unique=True)
    name = models.CharField(_("证明名称"), max_length=200)
    issuing_body = models.CharField(_("开具单位"), max_length=200)
    legal_basis = models.TextField(_("设定依据"))
    online_checkable = models.BooleanField(_("可网上核验"), default=False)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        verbose_name = _("保留证明事项")
        verbose_name_plural = _("保留证明事项清单")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ServiceItem(models.Model):
    """A service item implemented by one department: its codes and its versions."""

    basic_code = models.CharField(_("基本编码"), max_length=12)
    implementation_code = models.CharField(_("实施编码"), max_length=40, unique=True)
    implementing_department = models.ForeignKey(
        OrgUnit,
        verbose_name=_("实施主体"),
        on_delete=models.PROTECT,
        related_name="service_items",
        limit_choices_to={"kind": OrgUnit.Kind.DEPARTMENT},
    )
    created_at = models.DateTimeField(_("创建时间"))
    # Case counts are kept here by the case runtime; the top-100 list ranks by it.
    case_count = models.PositiveIntegerField(_("办件量"), default=0)
    configured_rank = models.PositiveIntegerField(_("配置排名"), null=True, blank=True)

    class Meta:
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        indexes = [models.Index(fields=["basic_code"], name="item_basic_code_idx")]

    def __str__(self) -> str:
        return self.implementation_code


# The element set of a version (docs/catalogue-json.md order): what editors write, what the
# interchange formats carry and what the audit trail compares. One list, used by all three.
VERSION_CONTENT_FIELDS: tuple[str, ...] = (
    "name",
    "short_description",
    "keywords",
    "item_type",
    "exercise_level",
    "service_objects",
    "legal_basis",
    "acceptance_conditions",
    "handling_forms",
    "case_kind",
    "legal_limit_days",
    "promised_limit_days",
    "visits_required",
    "online_depth",
    "fees",
    "result_name",
    "result_licence_type",
    "handling_place",
    "handling_hours",
    "consult_phone",
    "supervise_phone",
    "faq",
    "agent_service",
    "process",
    "commitment_text",
)
# A material's plain fields (uploaded files and the retained-proof link are handled apart).
MATERIAL_CONTENT_FIELDS: tuple[str, ...] = (
    "seq",
    "name",
    "form",
    "original_count",
    "copy_count",
    "necessity",
    "is_core",
    "source",
    "source_ref",
    "legal_basis",
    "is_proof",
    "situational",
    "notes",
)


class ItemVersion(models.Model):
    """One version of an item's whole description (the national element set)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审核")
        PUBLISHED = "published", _("已发布")
        RETIRED = "retired", _("已停用")

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_until = models.DateField(_("失效日期"), null=True, blank=True)

    name = models.CharField(_("事项名称"), max_length=200)
    short_description = models.TextField(_("事项简介"), blank=True)
    keywords = models.CharField(_("关键词"), max_length=300, blank=True)
    item_type = models.CharField(_("事项类型"), max_length=2, choices=codes.ItemType.choices)
    exercise_level = models.CharField(
        _("行使层级"), max_length=1, choices=codes.ExerciseLevel.choices
    )
    service_objects = models.JSONField(_("服务对象"), default=list, blank=True)
    co_departments = models.ManyToManyField(
        OrgUnit, verbose_name=_("联办部门"), blank=True, related_name="co_implemented_versions"
    )
    legal_basis = models.JSONField(_("设定依据"), default=list, blank=True)
    acceptance_conditions = models.TextField(_("受理条件"), blank=True)
    handling_forms = models.JSONField(_("办理形式"), default=list, blank=True)
    case_kind = models.CharField(_("办件类型"), max_length=1, choices=codes.CaseKind.choices)
    legal_limit_days = models.PositiveIntegerField(_("法定办结时限(工作日)"))
    promised_limit_days = models.PositiveIntegerField(_("承诺办结时限(工作日)"))
    visits_required = models.PositiveSmallIntegerField(_("到办事现场次数"), default=0)
    online_depth = models.CharField(
        _("网上办理深度"), max_length=1, choices=codes.OnlineDepth.choices, default="4"
    )
    fees = models.JSONField(_("收费"), default=list, blank=True)
    result_name = models.CharField(_("审批结果名称"), max_length=200, blank=True)
    result_licence_type = models.CharField(_("结果证照类型"), max_length=40, blank=True)
    handling_place = models.CharField(_("办理地点"), max_length=300, blank=True)
    handling_hours = models.CharField(_("办理时间"), max_length=200, blank=True)
    consult_phone = models.CharField(_("咨询电话"), max_length=60, blank=True)
    supervise_phone = models.CharField(_("监督电话"), max_length=60, blank=True)
    faq = models.JSONField(_("常见问题"), default=list, blank=True)
    agent_service = models.BooleanField(_("提供代办服务"), default=False)
    # The handling process (see codes.ProcessKind and docs/catalogue.md): a small JSON object.
    process = models.JSONField(_("办理流程"), default=dict, blank=True)
    commitment_text = models.TextField(_("告知承诺书内容"), blank=True)
    # 责任人公示: the staff who answer for this item's cases; a red card reaches them too.
    responsible_persons = models.ManyToManyField(
        User, verbose_name=_("事项责任人"), blank=True, related_name="responsible_for_versions"
    )

    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    # Why a reviewer returned the version to its editor (the last time it happened).
    return_reason = models.TextField(_("退回原因"), blank=True)

    class Meta:
        verbose_name = _("事项版本")
        verbose_name_plural = _("事项版本")
        ordering = ["item_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="version_number_unique"),
            models.UniqueConstraint(
                fields=["item"], condition=Q(state="published"), name="version_one_published"
            ),
            # One version at a time is being worked on: a draft or a submitted one.
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(state__in=["draft", "submitted"]),
                name="version_one_open",
            ),
            models.CheckConstraint(
                name="version_published_promise_within_legal",
                condition=~Q(state="published") | Q(promised_limit_days__lte=F("legal_limit_days")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"

    @property
    def commitment_allowed(self) -> bool:
        return bool(self.process.get("commitment_allowed"))


class Material(models.Model):
    """One application material of an item version."""

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="materials")
    seq = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("材料名称"), max_length=200)
    form = models.CharField(_("材料形式"), max_length=1, choices=codes.MaterialForm.choices)
    original_count = models.PositiveSmallIntegerField(_("原件份数"), default=0)
    copy_count = models.PositiveSmallIntegerField(_("复印件份数"), default=0)
    necessity = models.CharField(_("必要性"), max_length=1, choices=codes.Necessity.choices)
    is_core = models.BooleanField(_("主审要件"), default=False)
    source = models.CharField(_("来源渠道"), max_length=2, choices=codes.MaterialSource.choices)
    # The registry or licence type a shared/government material can be fetched from.
    source_ref = models.CharField(_("来源说明"), max_length=200, blank=True)
    blank_form = models.FileField(_("空白表格"), upload_to="catalogue/forms/", blank=True)
    sample = models.FileField(_("示例样表"), upload_to="catalogue/samples/", blank=True)
    legal_basis = models.TextField(_("要求依据"), blank=True)
    is_proof = models.BooleanField(_("属于证明事项"), default=False)
    retained_proof = models.ForeignKey(
        RetainedProof,
        verbose_name=_("保留证明依据"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    # Asked only when a situation option adds it; otherwise part of everyone's list.
    situational = models.BooleanField(_("仅特定情形需要"), default=False)
    notes = models.TextField(_("填报说明"), blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["version_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["version", "seq"], name="material_seq_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def code(self) -> str:
        """The national material code: implementation code + 3-digit sequence."""
        return f"{self.version.item.implementation_code}{self.seq:03d}"


class Situation(models.Model):
    """A question whose answer narrows the materials and conditions (情形)."""

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="situations")
    seq = models.PositiveSmallIntegerField(_("序号"))
    question = models.CharField(_("问题"), max_length=200)

    class Meta:
        verbose_name = _("情形")
        verbose_name_plural = _("情形")
        ordering = ["version_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["version", "seq"], name="situation_seq_unique"),
        ]

    def __str__(self) -> str:
        return self.question


class SituationOption(models.Model):
    situation = models.ForeignKey(Situation, on_delete=models.CASCADE, related_name="options")
    seq = models.PositiveSmallIntegerField(_("序号"))
    label = models.CharField(_("选项"), max_length=200)
    adds_materials = models.ManyToManyField(Material, blank=True, related_name="added_by")
    removes_materials = models.ManyToManyField(Material, blank=True, related_name="removed_by")
    adds_conditions = models.TextField(_("增加的受理条件"), blank=True)

    class Meta:
        verbose_name = _("情形选项")
        verbose_name_plural = _("情形选项")
        ordering = ["situation_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["situation", "seq"], name="option_seq_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class InstantRuleSet(models.Model):
    """One version of a rule set for instant approval (秒批): a zen-engine decision table (JDM).

    Rule sets are immutable: a change is a new ``number`` under the same ``key``. An item version
    with an instant-rule process names the key; publishing pins the latest number
    (``process["instant_rule_set_version"]``), so a case is decided by the rules its version was
    published with. The content's shape and the case-side evaluation are in ``quanban.catalogue.rules``
    (docs/instant-rules.md).
    """

    # The unique (key, number) constraint indexes the key; no second index.
    key = models.SlugField(_("规则集标识"), max_length=100, db_index=False)
    number = models.PositiveIntegerField(_("版本号"))
    name = models.CharField(_("规则集名称"), max_length=200)
    content = models.JSONField(_("决策表（JDM）"))
    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("秒批规则集")
        verbose_name_plural = _("秒批规则集")
        ordering = ["key", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["key", "number"], name="rule_set_number_unique"),
            models.CheckConstraint(name="rule_set_number_positive", condition=Q(number__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.number}"


class IndustryTheme(models.Model):
    """一业一证: the items one kind of business needs, applied for at once, one licence out.

    Publishing a theme (``catalogue.themes.theme_publish``) builds an ordinary item of the lead
    department (``item``) whose published version carries the bundled items' materials (duplicates
    merged), a parallel co-review by every bundled item's department, and the comprehensive
    licence type as its result; ``ThemePart`` rows pin the bundled versions it was built from.
    """

    code = models.SlugField(_("主题标识"), max_length=50, unique=True)
    name = models.CharField(_("行业名称"), max_length=100)
    description = models.TextField(_("主题简介"), blank=True)
    lead_department = models.ForeignKey(
        OrgUnit,
        verbose_name=_("牵头部门"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrgUnit.Kind.DEPARTMENT},
    )
    basic_code = models.CharField(_("基本编码"), max_length=12)
    exercise_level = models.CharField(
        _("行使层级"), max_length=1, choices=codes.ExerciseLevel.choices
    )
    # The comprehensive licence type (综合许可证): its code or its name, as an item names its result.
    licence_type = models.CharField(_("综合许可证类型"), max_length=40)
    items = models.ManyToManyField(
        ServiceItem, through="IndustryThemeItem", related_name="+", verbose_name=_("包含事项")
    )
    # The theme's own item, made when it is first published.
    item = models.OneToOneField(
        ServiceItem,
        verbose_name=_("主题事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="industry_theme",
    )
    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("一业一证行业主题")
        verbose_name_plural = _("一业一证行业主题")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class IndustryThemeItem(models.Model):
    """One item bundled in a theme, in the theme's order."""

    theme = models.ForeignKey(IndustryTheme, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveSmallIntegerField(_("序号"))

    class Meta:
        ordering = ["theme_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["theme", "item"], name="theme_item_unique"),
            models.UniqueConstraint(fields=["theme", "seq"], name="theme_item_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.theme_id}/{self.seq}"


class ThemePart(models.Model):
    """A bundled item version a published theme version was built from (cases keep it)."""

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="theme_parts")
    part = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveSmallIntegerField(_("序号"))

    class Meta:
        ordering = ["version_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["version", "part"], name="theme_part_unique"),
            models.UniqueConstraint(fields=["version", "seq"], name="theme_part_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}/{self.seq}"
