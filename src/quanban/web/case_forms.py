"""Forms of the case pages: they parse and label input; quanban.cases.services decides.

Every form that changes a case or a task carries the ``version`` the user saw (a hidden field), so
a change made meanwhile by someone else is refused as a stale edit instead of being overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePath
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quanban.accounts.models import OrgUnit
from quanban.cases.models import CardLevel, Case, CaseSuspension, Task
from quanban.cases.services.runtime import OUTCOMES
from quanban.cases.services.suspensions import MAX_EXTENSION_DAYS
from quanban.catalogue import codes
from quanban.catalogue.models import ItemVersion, Material

# What each outcome code of a task means, in the words staff use.
OUTCOME_LABELS: dict[str, Any] = {
    "pass": gettext_lazy("通过"),
    "fail": gettext_lazy("不通过"),
    "agree": gettext_lazy("同意"),
    "disagree": gettext_lazy("不同意"),
    "held": gettext_lazy("已召开并形成结论"),
    "approve": gettext_lazy("准予许可"),
    "partial": gettext_lazy("部分准予"),
    "reject": gettext_lazy("不予许可"),
    "issued": gettext_lazy("已出件"),
    "confirmed": gettext_lazy("承诺属实"),
    "false": gettext_lazy("承诺不实"),
}
# The order outcomes are offered in (the usual one first).
_OUTCOME_ORDER = tuple(OUTCOME_LABELS)
STEP_KIND_LABELS: dict[str, Any] = {
    "review": gettext_lazy("审查"),
    "co_review": gettext_lazy("并联审查"),
    "meeting": gettext_lazy("集体研究"),
    "inspection": gettext_lazy("现场核查"),
    "approve": gettext_lazy("审批"),
    "issue": gettext_lazy("出件"),
    "commitment_inspection": gettext_lazy("承诺核查"),
}

# Uploads an applicant may hand in online: the usual scan and document formats, 20 MB each.
UPLOAD_EXTENSIONS = frozenset({".pdf", ".ofd", ".jpg", ".jpeg", ".png"})
UPLOAD_MAX_BYTES = 20 * 1024 * 1024


class VersionField(forms.IntegerField):
    """The version of the case or task the user saw, sent back with every change."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)


class VersionForm(forms.Form):
    """A button that changes a case or a task and needs nothing but the version seen."""

    version = VersionField()


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(label: Any, *, rows: int = 2, required: bool = False, max_length: int = 2000) -> Any:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


# --- Intake (收件, 受理, 容缺, 告知承诺, 一次性告知, 不予受理, 即办) --------------------------------


class IntakeAction:
    ACCEPT = "accept"
    DEFER = "defer"
    COMMIT = "commit"
    NOTICE = "notice"
    REFUSE = "refuse"
    ON_THE_SPOT = "on_the_spot"

    ALL = (ACCEPT, DEFER, COMMIT, NOTICE, REFUSE, ON_THE_SPOT)


def deferred_field(material: Material) -> str:
    return f"deferred_{material.pk}"


class IntakeActionsForm(forms.Form):
    """The materials the window has and what it does with the application (one of the buttons).

    Used for a new application (with the applicant and the situations, below) and for a case
    already received (a supplement brought in, an online submission to accept).
    """

    received = forms.TypedMultipleChoiceField(
        label=gettext_lazy("已收取的材料"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    commitment_signed = forms.BooleanField(
        label=gettext_lazy("申请人已阅读并签署告知承诺书"), required=False
    )
    refuse_reason = _text(gettext_lazy("不予受理理由"))
    refuse_legal_basis = _text(gettext_lazy("法律依据"))
    refuse_guidance = _text(
        gettext_lazy("办理指引"),
        rows=3,
    )
    action = forms.ChoiceField(choices=[(a, a) for a in IntakeAction.ALL], widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        version: ItemVersion,
        materials: Sequence[Material],
        reusable: Mapping[int, Sequence[tuple[int, str]]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.item_version = version
        self.materials = list(materials)
        self.fields["received"].choices = [(m.pk, m.name) for m in self.materials]  # type: ignore[attr-defined]
        # 不得重复提交: the applicant's earlier files, offered; the clerk takes one at their word.
        for material in self.materials:
            offered = (reusable or {}).get(material.pk)
            if offered:
                self.fields[reuse_field(material)] = forms.TypedChoiceField(
                    label=_("“%(name)s”使用以前提交的文件") % {"name": material.name},
                    required=False,
                    coerce=int,
                    empty_value=None,
                    choices=[("", _("不使用")), *offered],
                    widget=forms.RadioSelect,
                )
        self.fields["refuse_guidance"].help_text = _("写明到哪里、如何办理（窗口无否决权）。")
        for material in self.deferrable:
            self.fields[deferred_field(material)] = forms.DateField(
                label=_("“%(name)s”承诺补交日期") % {"name": material.name},
                required=False,
                widget=_date_input(),
            )

    @property
    def deferrable(self) -> list[Material]:
        return [m for m in self.materials if m.necessity == codes.Necessity.DEFERRABLE]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == IntakeAction.DEFER and not self.deferred():
            target = deferred_field(self.deferrable[0]) if self.deferrable else None
            self.add_error(target, _("容缺受理请为待补交的材料填写承诺补交日期。"))
        if action == IntakeAction.COMMIT and not data.get("commitment_signed"):
            self.add_error("commitment_signed", _("请确认申请人已签署告知承诺书。"))
        if action == IntakeAction.REFUSE:
            for name in ("refuse_reason", "refuse_legal_basis", "refuse_guidance"):
                if not str(data.get(name, "")).strip():
                    self.add_error(name, _("不予受理必须填写此项。"))
        return data

    def deferred(self) -> dict[int, dt.date]:
        """容缺: the deferrable materials given a promised date, with the date."""
        data = getattr(self, "cleaned_data", {})
        return {
            m.pk: data[deferred_field(m)] for m in self.deferrable if data.get(deferred_field(m))
        }

    def reuse(self) -> dict[int, int]:
        """The earlier files taken: ``{material_id: case_material_id}``."""
        data = getattr(self, "cleaned_data", {})
        return {
            m.pk: data[reuse_field(m)]
            for m in self.materials
            if reuse_field(m) in self.fields and data.get(reuse_field(m))
        }

    def received_ids(self) -> list[int]:
        reused = self.reuse()
        return [pk for pk in self.cleaned_data.get("received") or [] if pk not in reused]

    def material_rows(
        self,
    ) -> list[tuple[Material, Any, forms.BoundField | None, forms.BoundField | None]]:
        """Each material with its "received" checkbox, for a 容缺 one its date field, and the
        applicant's earlier files when there are any."""
        boxes = {int(box.data["value"]): box for box in self["received"]}
        return [
            (
                m,
                boxes.get(m.pk),
                self[deferred_field(m)] if m.necessity == codes.Necessity.DEFERRABLE else None,
                self[reuse_field(m)] if reuse_field(m) in self.fields else None,
            )
            for m in self.materials
        ]


class ApplicantKind:
    PERSON = "person"
    ENTITY = "entity"


def situation_field(seq: int) -> str:
    return f"s{seq}"


class IntakeForm(IntakeActionsForm):
    """A new application at the window: the window, the applicant, the situations answered."""

    window = forms.ModelChoiceField(label=gettext_lazy("受理窗口"), queryset=OrgUnit.objects.none())
    applicant_kind = forms.ChoiceField(
        label=gettext_lazy("申请人类型"),
        choices=[
            (ApplicantKind.PERSON, gettext_lazy("自然人")),
            (ApplicantKind.ENTITY, gettext_lazy("法人或其他组织")),
        ],
        initial=ApplicantKind.PERSON,
        widget=forms.RadioSelect,
    )
    id_number = forms.CharField(
        label=gettext_lazy("公民身份号码"),
        required=False,
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    name = forms.CharField(
        label=gettext_lazy("姓名"),
        required=False,
        max_length=60,
        help_text=gettext_lazy("已登记的申请人按登记信息核对；未登记的将一并登记。"),
    )
    phone = forms.CharField(label=gettext_lazy("手机号码"), required=False, max_length=20)
    uscc = forms.CharField(
        label=gettext_lazy("统一社会信用代码"),
        required=False,
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    entity_name = forms.CharField(label=gettext_lazy("单位名称"), required=False, max_length=120)
    legal_representative = forms.CharField(
        label=gettext_lazy("法定代表人"), required=False, max_length=60
    )

    def __init__(
        self,
        *args: Any,
        version: ItemVersion,
        materials: Sequence[Material],
        windows: QuerySet[OrgUnit],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, version=version, materials=materials, **kwargs)
        self.fields["window"].queryset = windows  # type: ignore[attr-defined]
        for situation in version.situations.all():
            self.fields[situation_field(situation.seq)] = forms.TypedChoiceField(
                label=situation.question,
                choices=[(o.seq, o.label) for o in situation.options.all()],
                coerce=int,
                widget=forms.RadioSelect,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("applicant_kind")
        if kind == ApplicantKind.PERSON and not data.get("id_number", "").strip():
            self.add_error("id_number", _("请填写申请人的公民身份号码。"))
        if kind == ApplicantKind.ENTITY and not data.get("uscc", "").strip():
            self.add_error("uscc", _("请填写统一社会信用代码。"))
        return data

    def answers(self) -> dict[int, int]:
        data = getattr(self, "cleaned_data", {})
        return {
            s.seq: data[situation_field(s.seq)]
            for s in self.item_version.situations.all()
            if data.get(situation_field(s.seq)) is not None
        }

    def situation_fields(self) -> list[forms.BoundField]:
        return [self[situation_field(s.seq)] for s in self.item_version.situations.all()]


class CaseIntakeForm(IntakeActionsForm):
    """Intake actions on a case already received (its version is checked)."""

    version = VersionField()


# --- Tasks ----------------------------------------------------------------------------------------


class TaskCompleteForm(forms.Form):
    """办理: the outcome and opinion of a task, with what its kind of step records."""

    version = VersionField()
    outcome = forms.ChoiceField(label=gettext_lazy("办理结果"), widget=forms.RadioSelect)
    opinion = _text(gettext_lazy("办理意见"), rows=3)
    held_on = forms.DateField(label=gettext_lazy("会议日期"), required=False, widget=_date_input())
    attendees = _text(gettext_lazy("参会人员"), rows=2, max_length=1000)
    meeting_decision = _text(gettext_lazy("研究结论"), rows=2)
    decision_text = _text(gettext_lazy("决定内容"), rows=2)
    legal_basis = _text(gettext_lazy("决定依据"), rows=2)
    delivery = forms.ChoiceField(
        label=gettext_lazy("送达方式"), required=False, choices=Case.Delivery.choices
    )
    tracking_number = forms.CharField(label=gettext_lazy("邮件号"), required=False, max_length=40)

    KIND_FIELDS: dict[str, tuple[str, ...]] = {
        "meeting": ("held_on", "attendees", "meeting_decision"),
        "approve": ("decision_text", "legal_basis"),
        "issue": ("delivery", "tracking_number"),
    }

    def __init__(self, *args: Any, task: Task, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"task{task.pk}_%s")
        kwargs.setdefault("initial", {"version": task.version})
        super().__init__(*args, **kwargs)
        self.task = task
        allowed = OUTCOMES.get(task.kind, frozenset())
        self.fields["outcome"].choices = [  # type: ignore[attr-defined]
            (code, OUTCOME_LABELS[code]) for code in _OUTCOME_ORDER if code in allowed
        ]
        if len(allowed) == 1:
            self.fields["outcome"].initial = next(iter(allowed))
        self.fields["attendees"].help_text = _("每行一人。")
        self.fields["tracking_number"].help_text = _("邮寄送达时必填。")
        if task.kind in ("inspection", "commitment_inspection"):
            self.fields["opinion"].label = _("核查情况")
        if task.kind == "approve":
            self.fields["opinion"].label = _("审批意见（不予许可、部分准予须写明理由）")
            self.fields["legal_basis"].help_text = _("不予许可时必填。")
        if task.kind == "issue":
            self.fields["delivery"].required = True
            self.fields["delivery"].initial = Case.Delivery.WINDOW
        for kind, names in self.KIND_FIELDS.items():
            if kind != task.kind:
                for name in names:
                    del self.fields[name]

    def service_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``services.task_complete`` (besides user, task and version)."""
        data = self.cleaned_data
        kwargs: dict[str, Any] = {"outcome": data["outcome"], "opinion": data["opinion"]}
        if self.task.kind == "meeting":
            held_on = data.get("held_on")
            kwargs["data"] = {
                "held_on": held_on.isoformat() if held_on else "",
                "attendees": [a.strip() for a in data["attendees"].splitlines() if a.strip()],
                "decision": data["meeting_decision"],
            }
        elif self.task.kind == "approve":
            kwargs["decision_text"] = data["decision_text"]
            kwargs["legal_basis"] = data["legal_basis"]
        elif self.task.kind == "issue":
            kwargs["delivery"] = data["delivery"]
            kwargs["tracking_number"] = data["tracking_number"]
        return kwargs


# --- The case's clock and its end ---------------------------------------------------------------


class SuspendForm(forms.Form):
    version = VersionField()
    kind = forms.ChoiceField(label=gettext_lazy("挂起类型"), choices=CaseSuspension.Kind.choices)
    reason = _text(gettext_lazy("挂起理由"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "suspend_%s")
        super().__init__(*args, **kwargs)


class ExtendForm(forms.Form):
    version = VersionField()
    days = forms.IntegerField(
        label=gettext_lazy("延长工作日"), min_value=1, max_value=MAX_EXTENSION_DAYS
    )
    reason = _text(gettext_lazy("延长理由"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "extend_%s")
        super().__init__(*args, **kwargs)


class TerminateForm(forms.Form):
    version = VersionField()
    termination = forms.ChoiceField(
        label=gettext_lazy("终止原因"),
        choices=[
            (Case.Termination.WITHDRAWN, Case.Termination.WITHDRAWN.label),
            (Case.Termination.DEFERRAL_LAPSED, Case.Termination.DEFERRAL_LAPSED.label),
        ],
    )
    note = _text(gettext_lazy("终止说明"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "terminate_%s")
        super().__init__(*args, **kwargs)


class SupplyForm(forms.Form):
    """补交容缺材料: the deferred materials the applicant brings now."""

    version = VersionField()
    material_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("本次补交的材料"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, owed: Iterable[Material], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "supply_%s")
        super().__init__(*args, **kwargs)
        self.fields["material_ids"].choices = [(m.pk, m.name) for m in owed]  # type: ignore[attr-defined]


class DeliverForm(forms.Form):
    version = VersionField()
    delivered_at = forms.DateTimeField(
        label=gettext_lazy("签收时间"),
        required=False,
        help_text=gettext_lazy("按邮件签收记录填写；留空为现在。"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "deliver_%s")
        super().__init__(*args, **kwargs)


# --- Lists ------------------------------------------------------------------------------------------


class InboxFilterForm(forms.Form):
    scope = forms.ChoiceField(
        label=gettext_lazy("范围"),
        required=False,
        choices=[
            ("mine", gettext_lazy("我的待办")),
            ("office", gettext_lazy("本处室待办")),
            ("department", gettext_lazy("本部门待办")),
            ("team", gettext_lazy("全部可办")),
        ],
        widget=forms.HiddenInput,
    )
    card = forms.ChoiceField(
        label=gettext_lazy("亮灯"),
        required=False,
        choices=[
            ("", gettext_lazy("全部")),
            (CardLevel.YELLOW, CardLevel.YELLOW.label),
            (CardLevel.RED, CardLevel.RED.label),
        ],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("环节"),
        required=False,
        choices=[("", gettext_lazy("全部")), *STEP_KIND_LABELS.items()],
    )


class CaseListFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部")), *Case.State.choices],
    )


# --- The portal ---------------------------------------------------------------------------------


def file_field(material: Material) -> str:
    return f"file_{material.pk}"


def reuse_field(material: Material) -> str:
    return f"reuse_{material.pk}"


def form_field(key: str) -> str:
    return f"form_{key}"


class FormFieldSpec:
    """One field of an item's application form (what its instant rules read, or a note)."""

    TEXT = "text"
    NUMBER = "number"
    YES_NO = "yes_no"

    def __init__(self, key: str, label: str, kind: str) -> None:
        self.key, self.label, self.kind = key, label, kind


class OnlineApplyForm(forms.Form):
    """网上申报: the situations answered, the application form, a file for each material."""

    as_entity = forms.BooleanField(label=gettext_lazy("以本人名下的单位申请"), required=False)

    def __init__(
        self,
        *args: Any,
        version: ItemVersion,
        materials: Sequence[Material],
        form_fields: Sequence[FormFieldSpec],
        entity_name: str = "",
        reusable: Mapping[int, Sequence[tuple[int, str]]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.item_version = version
        self.reusable = dict(reusable or {})
        self.materials = list(materials)
        self.form_fields = list(form_fields)
        if entity_name:
            self.fields["as_entity"].label = _("以“%(name)s”的名义申请") % {"name": entity_name}
        else:
            del self.fields["as_entity"]
        for situation in version.situations.all():
            self.fields[situation_field(situation.seq)] = forms.TypedChoiceField(
                label=situation.question,
                choices=[(o.seq, o.label) for o in situation.options.all()],
                coerce=int,
                widget=forms.RadioSelect,
            )
        for spec in self.form_fields:
            field: forms.Field
            if spec.kind == FormFieldSpec.YES_NO:
                field = forms.TypedChoiceField(
                    label=spec.label,
                    choices=[("true", _("是")), ("false", _("否"))],
                    coerce=lambda value: value == "true",
                    widget=forms.RadioSelect,
                )
            elif spec.kind == FormFieldSpec.NUMBER:
                field = forms.DecimalField(label=spec.label, max_digits=12, decimal_places=2)
            else:
                field = forms.CharField(
                    label=spec.label,
                    required=False,
                    max_length=500,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
            self.fields[form_field(spec.key)] = field
        self._add_reuse_fields()
        for material in self.materials:
            self.fields[file_field(material)] = forms.FileField(
                label=material.name,
                required=False,
                help_text=material.get_necessity_display(),
                widget=forms.ClearableFileInput(
                    attrs={"accept": ",".join(sorted(UPLOAD_EXTENSIONS))}
                ),
            )

    def _add_reuse_fields(self) -> None:
        """不得重复提交: a material handed in on an earlier case may be used again instead."""
        for material in self.materials:
            offered = self.reusable.get(material.pk)
            if not offered:
                continue
            self.fields[reuse_field(material)] = forms.TypedChoiceField(
                label=_("“%(name)s”使用以前提交的文件") % {"name": material.name},
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", _("不使用，上传新文件")), *offered],
                initial=offered[0][0],
                widget=forms.RadioSelect,
            )

    def _clean_upload(self, upload: UploadedFile | None) -> UploadedFile | None:
        if upload is None:
            return None
        if PurePath(upload.name or "").suffix.lower() not in UPLOAD_EXTENSIONS:
            raise forms.ValidationError(_("请上传 PDF、OFD、JPG 或 PNG 文件。"))
        if (upload.size or 0) > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("文件不能超过 20 MB。"))
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for material in self.materials:
            name = file_field(material)
            try:
                data[name] = self._clean_upload(data.get(name))
            except forms.ValidationError as error:
                self.add_error(name, error)
        return data

    def answers(self) -> dict[int, int]:
        data = getattr(self, "cleaned_data", {})
        return {
            s.seq: data[situation_field(s.seq)]
            for s in self.item_version.situations.all()
            if data.get(situation_field(s.seq)) is not None
        }

    def form_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {}
        for spec in self.form_fields:
            value = data.get(form_field(spec.key))
            if spec.kind == FormFieldSpec.NUMBER and value is not None:
                value = int(value) if value == value.to_integral_value() else float(value)
            if spec.kind == FormFieldSpec.TEXT and not value:
                continue
            values[spec.key] = value
        return values

    def uploads(self) -> dict[int, UploadedFile]:
        data = self.cleaned_data
        return {m.pk: data[file_field(m)] for m in self.materials if data.get(file_field(m))}

    def reuse(self) -> dict[int, int]:
        """``{material_id: case_material_id}`` chosen for reuse, where no new file was given."""
        data = self.cleaned_data
        return {
            m.pk: data[reuse_field(m)]
            for m in self.materials
            if data.get(reuse_field(m)) and not data.get(file_field(m))
        }

    def situation_fields(self) -> list[forms.BoundField]:
        return [self[situation_field(s.seq)] for s in self.item_version.situations.all()]

    def form_bound_fields(self) -> list[forms.BoundField]:
        return [self[form_field(spec.key)] for spec in self.form_fields]

    def file_bound_fields(
        self,
    ) -> list[tuple[Material, forms.BoundField, forms.BoundField | None]]:
        """Each material with its upload field and, when it has earlier files, the reuse choice."""
        return [
            (
                m,
                self[file_field(m)],
                self[reuse_field(m)] if reuse_field(m) in self.fields else None,
            )
            for m in self.materials
        ]


class WithdrawForm(forms.Form):
    version = VersionField()
    note = forms.CharField(
        label=gettext_lazy("撤回原因（选填）"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
