"""The search index: one document per published item version, its terms, and the synonyms list.

The index is derived data: ``indexer.reindex_all`` rebuilds it from the catalogue at any time.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from quanban.accounts.models import OrgUnit, User
from quanban.catalogue.models import ItemVersion, ServiceItem


class Field(models.IntegerChoices):
    """Where a term was found; the values are bits, so one row can say "name and materials"."""

    NAME = 1, _("事项名称")
    KEYWORDS = 2, _("关键词")
    DEPARTMENT = 4, _("实施部门")
    MATERIALS = 8, _("申请材料")


# Relevance per field: a name match outweighs a keyword, a department and a material match.
FIELD_WEIGHTS: dict[int, int] = {
    Field.NAME: 10,
    Field.KEYWORDS: 6,
    Field.DEPARTMENT: 3,
    Field.MATERIALS: 1,
}


class SearchDoc(models.Model):
    """The published version of one item, as search shows it (copied so a search joins nothing)."""

    version = models.OneToOneField(
        ItemVersion, on_delete=models.CASCADE, primary_key=True, related_name="search_doc"
    )
    item = models.OneToOneField(ServiceItem, on_delete=models.CASCADE, related_name="search_doc")
    name = models.CharField(_("事项名称"), max_length=200)
    department = models.ForeignKey(
        OrgUnit, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    department_name = models.CharField(_("实施部门"), max_length=200)
    level = models.CharField(_("行使层级"), max_length=1)
    case_count = models.PositiveIntegerField(_("办件量"), default=0)
    # The frequency bonus: 2·log10(1 + case_count), so 10 cases add 2 and 100,000 cases add 10.
    boost = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("搜索文档")
        verbose_name_plural = _("搜索文档")
        indexes = [
            models.Index(fields=["department", "level"], name="searchdoc_dept_level_idx"),
            models.Index(fields=["level"], name="searchdoc_level_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class SearchTerm(models.Model):
    """One term of one document: its summed field weight and the fields (bits) it occurs in.

    ``rank`` is the weight plus the document's frequency bonus, so each term's postings can be
    read best first straight from the index.
    """

    term = models.CharField(max_length=64)
    doc = models.ForeignKey(SearchDoc, on_delete=models.CASCADE, related_name="terms")
    weight = models.PositiveSmallIntegerField()
    rank = models.FloatField()
    fields = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("搜索词条")
        verbose_name_plural = _("搜索词条")
        indexes = [
            # Covering: a search reads only this index. text_pattern_ops (PostgreSQL only; other
            # databases ignore it) lets LIKE 'prefix%' on pinyin use it whatever the collation.
            models.Index(
                fields=["term", "-rank", "doc", "weight", "fields"],
                name="searchterm_lookup_idx",
                opclasses=["text_pattern_ops", "float8_ops", "int8_ops", "int2_ops", "int2_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.term


class Synonym(models.Model):
    """Searching ``term`` also searches each of ``synonyms`` (e.g. 餐饮 → 食品经营)."""

    term = models.CharField(_("搜索词"), max_length=32, unique=True)
    synonyms = models.JSONField(_("同义词"), default=list)
    updated_at = models.DateTimeField(_("更新时间"))
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("同义词")
        verbose_name_plural = _("同义词表")
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term
