"""Forms of the catalogue pages: they parse and label input; catalogue.services decides.

List-shaped fields (legal basis, fees, FAQ) are edited as text, one entry a line with its parts
separated by "|", which is how catalogue staff paste them from the documents they work from.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quanban.accounts.models import OrgUnit, User
from quanban.catalogue import codes
from quanban.catalogue.models import ItemVersion, Material, RetainedProof

SEPARATOR = "|"
OPTION_ROWS = 4  # option rows offered when adding a situation


def _departments() -> Any:
    return OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT, is_active=True).order_by("path")


class ListFilterForm(forms.Form):
    """The filters every published list takes: level, department, district."""

    level = forms.ChoiceField(
        label=gettext_lazy("行使层级"),
        required=False,
        choices=[("", gettext_lazy("全部")), *codes.ExerciseLevel.choices],
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("实施主体"),
        required=False,
        queryset=_departments(),
        empty_label=gettext_lazy("全部"),
    )
    district = forms.ModelChoiceField(
        label=gettext_lazy("区县"),
        required=False,
        queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.DISTRICT, is_active=True).order_by(
            "division_code"
        ),
        empty_label=gettext_lazy("全部"),
    )

    def selector_filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "level": data.get("level") or None,
            "department": data.get("department"),
            "district": data.get("district"),
        }


def _lines(text: str) -> list[list[str]]:
    return [
        [part.strip() for part in line.split(SEPARATOR)]
        for line in text.splitlines()
        if line.strip()
    ]


def _join(rows: list[list[str]]) -> str:
    return "\n".join(f" {SEPARATOR} ".join(part for part in row) for row in rows)


_YES = {"是", "可", "yes", "y", "true", "1", "可减免"}


class ItemCreateForm(forms.Form):
    implementing_department = forms.ModelChoiceField(
        label=gettext_lazy("实施主体"), queryset=_departments()
    )
    basic_code = forms.RegexField(
        label=gettext_lazy("基本编码"),
        regex=r"^\s*[0-9]{12}\s*$",
        help_text=gettext_lazy("12 位数字；实施编码由实施主体信用代码、行使层级和基本编码组成。"),
        error_messages={"invalid": gettext_lazy("基本编码应为 12 位数字。")},
    )
    exercise_level = forms.ChoiceField(
        label=gettext_lazy("行使层级"), choices=codes.ExerciseLevel.choices
    )
    name = forms.CharField(label=gettext_lazy("事项名称"), max_length=200)
    item_type = forms.ChoiceField(label=gettext_lazy("事项类型"), choices=codes.ItemType.choices)
    case_kind = forms.ChoiceField(label=gettext_lazy("办件类型"), choices=codes.CaseKind.choices)
    legal_limit_days = forms.IntegerField(
        label=gettext_lazy("法定办结时限(工作日)"), min_value=0, max_value=3650
    )
    promised_limit_days = forms.IntegerField(
        label=gettext_lazy("承诺办结时限(工作日)"), min_value=0, max_value=3650
    )


class VersionForm(forms.Form):
    """Every field of a draft an editor writes."""

    name = forms.CharField(label=gettext_lazy("事项名称"), max_length=200)
    short_description = forms.CharField(
        label=gettext_lazy("事项简介"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    keywords = forms.CharField(label=gettext_lazy("关键词"), required=False, max_length=300)
    item_type = forms.ChoiceField(label=gettext_lazy("事项类型"), choices=codes.ItemType.choices)
    exercise_level = forms.ChoiceField(
        label=gettext_lazy("行使层级"), choices=codes.ExerciseLevel.choices
    )
    service_objects = forms.MultipleChoiceField(
        label=gettext_lazy("服务对象"),
        required=False,
        choices=codes.ServiceObject.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    co_departments = forms.ModelMultipleChoiceField(
        label=gettext_lazy("联办部门"), required=False, queryset=_departments()
    )
    responsible_persons = forms.ModelMultipleChoiceField(
        label=gettext_lazy("事项责任人"),
        required=False,
        queryset=User.objects.none(),
        help_text=gettext_lazy("实施部门的在岗工作人员；红牌超期时一并通知。"),
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("设定依据"),
        required=False,
        help_text=gettext_lazy("每行一条：法律法规名称 | 条款"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    acceptance_conditions = forms.CharField(
        label=gettext_lazy("受理条件"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    handling_forms = forms.MultipleChoiceField(
        label=gettext_lazy("办理形式"),
        required=False,
        choices=codes.HandlingForm.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    case_kind = forms.ChoiceField(label=gettext_lazy("办件类型"), choices=codes.CaseKind.choices)
    legal_limit_days = forms.IntegerField(
        label=gettext_lazy("法定办结时限(工作日)"), min_value=0, max_value=3650
    )
    promised_limit_days = forms.IntegerField(
        label=gettext_lazy("承诺办结时限(工作日)"), min_value=0, max_value=3650
    )
    visits_required = forms.IntegerField(
        label=gettext_lazy("到办事现场次数"), min_value=0, max_value=10
    )
    online_depth = forms.ChoiceField(
        label=gettext_lazy("网上办理深度"), choices=codes.OnlineDepth.choices
    )
    fees = forms.CharField(
        label=gettext_lazy("收费"),
        required=False,
        help_text=gettext_lazy(
            "每行一项：收费项目 | 标准 | 依据 | 可否减免（是/否）；不收费则留空"
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    result_name = forms.CharField(label=gettext_lazy("审批结果名称"), required=False)
    result_licence_type = forms.CharField(
        label=gettext_lazy("结果证照类型"), required=False, max_length=40
    )
    handling_place = forms.CharField(label=gettext_lazy("办理地点"), required=False)
    handling_hours = forms.CharField(label=gettext_lazy("办理时间"), required=False)
    consult_phone = forms.CharField(label=gettext_lazy("咨询电话"), required=False, max_length=60)
    supervise_phone = forms.CharField(label=gettext_lazy("监督电话"), required=False, max_length=60)
    faq = forms.CharField(
        label=gettext_lazy("常见问题"),
        required=False,
        help_text=gettext_lazy("每行一问：问题 | 回答"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agent_service = forms.BooleanField(label=gettext_lazy("提供代办服务"), required=False)
    process_kind = forms.ChoiceField(
        label=gettext_lazy("办理流程"),
        required=False,
        choices=[("", "—"), *codes.ProcessKind.choices],
    )
    commitment_allowed = forms.BooleanField(label=gettext_lazy("可告知承诺"), required=False)
    inspection_required = forms.BooleanField(label=gettext_lazy("需现场核查"), required=False)
    meeting_allowed = forms.BooleanField(label=gettext_lazy("可集体研究"), required=False)
    commitment_text = forms.CharField(
        label=gettext_lazy("告知承诺书内容"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    PLAIN = (
        "name",
        "short_description",
        "keywords",
        "item_type",
        "exercise_level",
        "service_objects",
        "acceptance_conditions",
        "handling_forms",
        "case_kind",
        "legal_limit_days",
        "promised_limit_days",
        "visits_required",
        "online_depth",
        "result_name",
        "result_licence_type",
        "handling_place",
        "handling_hours",
        "consult_phone",
        "supervise_phone",
        "agent_service",
        "commitment_text",
    )

    def __init__(self, *args: Any, version: ItemVersion, **kwargs: Any) -> None:
        self.version = version
        if not args and "data" not in kwargs:
            kwargs["initial"] = self.initial_for(version)
        super().__init__(*args, **kwargs)
        self.fields["co_departments"].queryset = _departments().exclude(  # type: ignore[attr-defined]
            pk=version.item.implementing_department_id
        )
        self.fields["responsible_persons"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            kind=User.Kind.STAFF,
            is_active=True,
            department_id=version.item.implementing_department_id,
        ).order_by("display_name", "pk")

    @classmethod
    def initial_for(cls, version: ItemVersion) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(version, name) for name in cls.PLAIN}
        initial["co_departments"] = list(version.co_departments.all())
        initial["responsible_persons"] = list(version.responsible_persons.all())
        initial["legal_basis"] = _join(
            [[e.get("law", ""), e.get("article", "")] for e in version.legal_basis]
        )
        initial["fees"] = _join(
            [
                [
                    f.get("name", ""),
                    f.get("standard", ""),
                    f.get("basis", ""),
                    _("是") if f.get("waivable") else _("否"),
                ]
                for f in version.fees
            ]
        )
        initial["faq"] = _join([[e.get("q", ""), e.get("a", "")] for e in version.faq])
        process = version.process
        initial["process_kind"] = process.get("kind", "")
        for flag in ("commitment_allowed", "inspection_required", "meeting_allowed"):
            initial[flag] = bool(process.get(flag))
        return initial

    def clean_legal_basis(self) -> list[dict[str, str]]:
        entries = []
        for parts in _lines(self.cleaned_data["legal_basis"]):
            if len(parts) > 2:
                raise forms.ValidationError(_("每行只能有“名称 | 条款”两部分。"))
            entries.append({"law": parts[0], "article": parts[1] if len(parts) > 1 else ""})
        return entries

    def clean_fees(self) -> list[dict[str, Any]]:
        entries = []
        for parts in _lines(self.cleaned_data["fees"]):
            if len(parts) < 2 or len(parts) > 4:
                raise forms.ValidationError(_("每行应为“收费项目 | 标准 | 依据 | 可否减免”。"))
            parts += [""] * (4 - len(parts))
            entries.append(
                {
                    "name": parts[0],
                    "standard": parts[1],
                    "basis": parts[2],
                    "waivable": parts[3].lower() in _YES,
                }
            )
        return entries

    def clean_faq(self) -> list[dict[str, str]]:
        entries = []
        for parts in _lines(self.cleaned_data["faq"]):
            if len(parts) != 2:
                raise forms.ValidationError(_("每行应为“问题 | 回答”。"))
            entries.append({"q": parts[0], "a": parts[1]})
        return entries

    def service_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``catalogue.services.version_update``."""
        data = self.cleaned_data
        fields: dict[str, Any] = {name: data[name] for name in self.PLAIN}
        fields["legal_basis"] = data["legal_basis"]
        fields["fees"] = data["fees"]
        fields["faq"] = data["faq"]
        fields["co_departments"] = list(data["co_departments"])
        fields["responsible_persons"] = list(data["responsible_persons"])
        process = dict(self.version.process)
        if data["process_kind"]:
            process["kind"] = data["process_kind"]
        else:
            process.pop("kind", None)
        for flag in ("commitment_allowed", "inspection_required", "meeting_allowed"):
            process[flag] = bool(data[flag])
        fields["process"] = process
        return fields


class MaterialForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("材料名称"), max_length=200)
    form = forms.ChoiceField(label=gettext_lazy("材料形式"), choices=codes.MaterialForm.choices)
    original_count = forms.IntegerField(
        label=gettext_lazy("原件份数"), min_value=0, max_value=99, initial=1
    )
    copy_count = forms.IntegerField(
        label=gettext_lazy("复印件份数"), min_value=0, max_value=99, initial=0
    )
    necessity = forms.ChoiceField(label=gettext_lazy("必要性"), choices=codes.Necessity.choices)
    is_core = forms.BooleanField(label=gettext_lazy("主审要件"), required=False)
    source = forms.ChoiceField(label=gettext_lazy("来源渠道"), choices=codes.MaterialSource.choices)
    source_ref = forms.CharField(
        label=gettext_lazy("来源说明"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("系统共享获取时，写明共享的数据库或证照类型"),
    )
    legal_basis = forms.CharField(
        label=gettext_lazy("要求依据"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    is_proof = forms.BooleanField(label=gettext_lazy("属于证明事项"), required=False)
    retained_proof = forms.ModelChoiceField(
        label=gettext_lazy("保留证明依据"),
        required=False,
        queryset=RetainedProof.objects.filter(is_active=True).order_by("code"),
    )
    situational = forms.BooleanField(label=gettext_lazy("仅特定情形需要"), required=False)
    notes = forms.CharField(
        label=gettext_lazy("填报说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    blank_form = forms.FileField(label=gettext_lazy("空白表格"), required=False)
    sample = forms.FileField(label=gettext_lazy("示例样表"), required=False)

    FILES = ("blank_form", "sample")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown on the same page as the version's form, whose field ids it must not repeat.
        kwargs.setdefault("auto_id", "material_%s")
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_for(cls, material: Material) -> dict[str, Any]:
        return {name: getattr(material, name) for name in cls.base_fields if name not in cls.FILES}

    def service_fields(self) -> dict[str, Any]:
        """Keyword arguments for ``material_add`` / ``material_update``; files only when given."""
        data = self.cleaned_data
        fields = {name: data[name] for name in self.fields if name not in self.FILES}
        fields.update({name: data[name] for name in self.FILES if data.get(name)})
        return fields


class SituationForm(forms.Form):
    """A question and up to ``OPTION_ROWS`` options, each adding or removing materials."""

    question = forms.CharField(label=gettext_lazy("问题"), max_length=200)

    def __init__(self, *args: Any, materials: list[Material], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "situation_%s")
        super().__init__(*args, **kwargs)
        choices = [(str(m.seq), f"{m.seq}. {m.name}") for m in materials]
        for n in range(1, OPTION_ROWS + 1):
            self.fields[f"option_{n}_label"] = forms.CharField(
                label=_("选项 %(n)d") % {"n": n}, required=n == 1, max_length=200
            )
            self.fields[f"option_{n}_adds"] = forms.TypedMultipleChoiceField(
                label=_("选项 %(n)d 增加的材料") % {"n": n},
                required=False,
                choices=choices,
                coerce=int,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"option_{n}_removes"] = forms.TypedMultipleChoiceField(
                label=_("选项 %(n)d 免交的材料") % {"n": n},
                required=False,
                choices=choices,
                coerce=int,
                widget=forms.CheckboxSelectMultiple,
            )

    def options(self) -> list[dict[str, Any]]:
        """The ``options`` argument of ``catalogue.services.situation_add``."""
        data = self.cleaned_data
        return [
            {
                "label": data[f"option_{n}_label"],
                "adds_materials": list(data[f"option_{n}_adds"]),
                "removes_materials": list(data[f"option_{n}_removes"]),
            }
            for n in range(1, OPTION_ROWS + 1)
            if data.get(f"option_{n}_label", "").strip()
        ]


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("退回原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class PublishForm(forms.Form):
    valid_from = forms.DateField(
        label=gettext_lazy("生效日期"),
        required=False,
        help_text=gettext_lazy("留空则自今日起生效"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
