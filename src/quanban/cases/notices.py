"""Printed notices of a case (A4 PDF, Chinese): what the applicant takes home at each turn.

- ``supplement_notice_pdf``: 补正材料通知书 (一次性告知), every missing material at once;
- ``refusal_notice_pdf``: 不予受理通知书, with reason, legal basis, guidance and the applicant's
  rights;
- ``acceptance_notice_pdf``: 受理通知书, with the number, the due dates, the 容缺 materials and
  their promised dates, and the 告知承诺 text the applicant signed;
- ``decision_notice_pdf``: 准予 / 部分准予 / 不予许可决定书.

Each is in the name of the item's implementing body (实施主体), the body in whose name the law
has the act done, and carries a QR code to the applicant's own case page. A notice that was
given stays printable (a reprint, the archive) unless the act it records was undone: an
acceptance notice is gone once the case was terminated or revoked, a decision once it was
revoked or the case terminated. Anything else raises ``Conflict`` (``notice_unavailable``).

Reads only: the caller checks who may see the case (quanban.cases.selectors) before printing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from quanban.cases.models import Case, CaseMaterial
from quanban.catalogue import codes
from quanban.core import pdf, workdays
from quanban.core.errors import Conflict

# The applicant's own case page on the portal (served by quanban.web).
CASE_PAGE_PATH = "/my/cases/{id}/"
# 行政许可法 Art. 32: the notice of everything to supplement, on the spot or within 5 (working) days.
SUPPLEMENT_NOTICE_DAYS = 5
QR_SIZE = 26 * mm
BODY_SIZE = 11.0

State = Case.State
# A decision notice is printable while the decision stands.
_DECISION_STATES = frozenset({State.DECIDED, State.FINISHED})
# An acceptance notice is printable while the acceptance stands (not terminated, not revoked).
_ACCEPTED_STATES = frozenset({State.ACCEPTED, State.DECIDED, State.FINISHED})


def case_page_path(case: Case) -> str:
    return CASE_PAGE_PATH.format(id=case.pk)


# --- The notice on paper -----------------------------------------------------------------------


Part = Callable[[dict[str, ParagraphStyle]], list[Flowable]]


@dataclass
class _Notice:
    """One notice: a header (agency, title, reference), parts in order, a dated signature."""

    case: Case
    title: str
    dated: dt.date
    base_url: str
    subtitle: str = ""
    parts: list[Part] = field(default_factory=list)

    @property
    def agency(self) -> str:
        return self.case.item_version.item.implementing_department.name

    @property
    def reference(self) -> str:
        """The case number; before acceptance (no number yet) the receipt number."""
        if self.case.number:
            return _("编号：%(number)s") % {"number": self.case.number}
        return _("收件号：%(id)d（受理后编号）") % {"id": self.case.pk}

    @property
    def link(self) -> str:
        return self.base_url.rstrip("/") + case_page_path(self.case)

    def paragraph(self, value: str, style: str = "body") -> None:
        self.parts.append(lambda s: [Paragraph(pdf.text(value), s[style])])

    def heading(self, value: str) -> None:
        self.paragraph(value, "heading")

    def facts(self, rows: Sequence[tuple[str, str]]) -> None:
        """Label → value rows in a grid (blank values left out)."""
        shown = [(label, value) for label, value in rows if value]

        def part(s: dict[str, ParagraphStyle]) -> list[Flowable]:
            data = [
                [Paragraph(pdf.text(label), s["body"]), Paragraph(pdf.text(value), s["body"])]
                for label, value in shown
            ]
            table = pdf.grid_table(data, (0.2, 0.8), header=False)
            table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), pdf.HEADER_BACKGROUND)]))
            return [table, Spacer(1, 2 * mm)]

        if shown:
            self.parts.append(part)

    def table(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> None:
        def part(s: dict[str, ParagraphStyle]) -> list[Flowable]:
            data = [[Paragraph(pdf.text(h), s["body"]) for h in headers]]
            data += [[Paragraph(pdf.text(cell), s["body"]) for cell in row] for row in rows]
            return [pdf.grid_table(data, widths), Spacer(1, 2 * mm)]

        self.parts.append(part)

    def _story(self, size: float) -> list[Flowable]:
        s = pdf.styles(size)
        story: list[Flowable] = [
            Paragraph(pdf.text(self.agency), _centred(s["heading"])),
            Paragraph(pdf.text(self.title), _centred(s["title"])),
        ]
        if self.subtitle:
            story.append(Paragraph(pdf.text(self.subtitle), s["centre"]))
        story += [Paragraph(pdf.text(self.reference), s["right"]), Spacer(1, 3 * mm)]
        for part in self.parts:
            story += part(s)
        signature = [
            Spacer(1, 6 * mm),
            Paragraph(pdf.text(self.agency), s["right"]),
            Paragraph(pdf.text(_date(self.dated)), s["right"]),
            Spacer(1, 6 * mm),
        ]
        qr = Table(
            [
                [
                    _qr(self.link),
                    Paragraph(
                        pdf.text(_("扫描二维码或登录网上办事大厅查看办理进度：")),
                        s["small"],
                    ),
                ],
                ["", Paragraph(pdf.text(self.link), s["small"])],
            ],
            colWidths=[QR_SIZE + 4 * mm, pdf.FRAME_WIDTH - QR_SIZE - 4 * mm],
        )
        qr.setStyle(
            TableStyle(
                [
                    ("SPAN", (0, 0), (0, 1)),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("LEFTPADDING", (0, 0), (0, -1), 0),
                ]
            )
        )
        story.append(KeepTogether([*signature, qr]))
        return story

    def _on_page(self, canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(pdf.FONT, 8)
        canvas.drawCentredString(
            pdf.PAGE_WIDTH / 2,
            pdf.MARGIN / 2,
            _("%(agency)s · %(title)s · 第 %(page)d 页")
            % {"agency": self.agency, "title": self.title, "page": canvas.getPageNumber()},
        )
        canvas.restoreState()

    def render(self) -> bytes:
        return pdf.build(
            self._story,
            title=f"{self.title} {self.case.number or self.case.pk}",
            sizes=(BODY_SIZE,),
            on_page=self._on_page,
        )


def _centred(style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}-centre", parent=style, alignment=TA_CENTER)


def _qr(link: str) -> Drawing:
    widget = QrCodeWidget(link)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x1 - x0), 0, 0, QR_SIZE / (y1 - y0), 0, 0]
    )
    drawing.add(widget)
    return drawing


def _date(day: dt.date) -> str:
    return date_format(day, "DATE_FORMAT")


def _local(moment: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(moment) if moment is not None else None


def _unavailable(case: Case, notice: str, message: str) -> Conflict:
    return Conflict(
        message,
        code="notice_unavailable",
        extra={"notice": notice, "state": case.state},
    )


def _counts(original: int, copy: int) -> str:
    return _("原件 %(original)d 份 / 复印件 %(copy)d 份") % {"original": original, "copy": copy}


def _form_label(form: str) -> str:
    return str(codes.MaterialForm(form).label) if form in codes.MaterialForm.values else form


def _where(case: Case) -> str:
    """Where the applicant goes: the item's handling place, else the hall window that received
    them, else the implementing body."""
    version = case.item_version
    if version.handling_place.strip():
        return version.handling_place.strip()
    if case.window is not None:
        hall = case.window.parent
        return f"{hall.name} {case.window.name}" if hall is not None else case.window.name
    return version.item.implementing_department.name


def _contact(notice: _Notice) -> None:
    version = notice.case.item_version
    if version.handling_hours.strip():
        notice.paragraph(_("办理时间：%(hours)s") % {"hours": version.handling_hours.strip()})
    if version.consult_phone.strip():
        notice.paragraph(_("咨询电话：%(phone)s") % {"phone": version.consult_phone.strip()})


def _rights(notice: _Notice, *, document: str) -> None:
    notice.heading(_("权利告知"))
    notice.paragraph(
        _(
            "如对本决定不服，您可以自收到本%(document)s之日起六十日内依法申请行政复议，或者自收到本%(document)s之日起六个月内依法向人民法院提起行政诉讼（《中华人民共和国行政复议法》第二十条、《中华人民共和国行政诉讼法》第四十六条）。"
        )
        % {"document": document}
    )


# --- 一次性告知 --------------------------------------------------------------------------------


def supplement_notice_pdf(case: Case, *, base_url: str = "") -> bytes:
    """补正材料通知书 (一次性告知): every missing material as the notice gave it, at once.

    ``base_url`` (the portal's address, e.g. ``https://zwfw.example.gov.cn``) prefixes the
    case page link of the QR code.
    """
    given = case.supplement_notice or {}
    missing = given.get("missing") or []
    if not missing or case.supplement_requested_at is None:
        raise _unavailable(case, "supplement", _("本件未曾一次性告知补正，没有补正材料通知书。"))
    notified = _local(case.supplement_requested_at)
    received = _local(case.received_at)
    assert notified is not None and received is not None
    notice = _Notice(
        case=case,
        title=_("补正材料通知书"),
        subtitle=_("（一次性告知）"),
        dated=notified,
        base_url=base_url,
    )
    applicant = str(given.get("applicant_name") or case.applicant.name)
    item = str(given.get("item_name") or case.item_version.name)
    notice.paragraph(_("%(applicant)s：") % {"applicant": applicant})
    notice.paragraph(
        _(
            "您于%(received)s申请办理的“%(item)s”，经审查，申请材料不齐全或者不符合法定形式。依照《中华人民共和国行政许可法》第三十二条的规定，现一次性告知您需要补正的全部材料如下："
        )
        % {"received": _date(received), "item": item}
    )
    notice.table(
        (_("序号"), _("材料名称"), _("材料形式"), _("份数"), _("必要性")),
        [
            (
                str(index),
                str(m.get("name", "")),
                _form_label(str(m.get("form", ""))),
                _counts(int(m.get("original_count") or 0), int(m.get("copy_count") or 0)),
                _necessity_label(str(m.get("necessity", ""))),
            )
            for index, m in enumerate(missing, start=1)
        ],
        (0.07, 0.36, 0.17, 0.27, 0.13),
    )
    notice.paragraph(
        _(
            "以上为需要补正的全部材料（一次性告知）。您按上述要求补齐后即予受理，不会再要求您补正此外的其他材料。"
        )
    )
    if any(m.get("necessity") == codes.Necessity.DEFERRABLE for m in missing):
        notice.paragraph(
            _(
                "标注“容缺后补”的材料，核心材料齐全的，可以签署承诺书后先行受理（容缺受理），并在承诺日期前补交。"
            )
        )
    notice.heading(_("补正方式"))
    notice.paragraph(
        _("请携带上述材料到%(place)s补正，补正时请出示本通知书。") % {"place": _where(case)}
    )
    _contact(notice)
    notice.heading(_("告知期限"))
    notice.paragraph(
        _(
            "依照《中华人民共和国行政许可法》第三十二条，申请材料不齐全或者不符合法定形式的，行政机关应当当场或者在五个工作日内一次告知申请人需要补正的全部内容；逾期不告知的，自收到申请材料之日起即为受理。"
        )
    )
    limit = _supplement_limit(received)
    if limit is not None:
        notice.paragraph(
            _("本件于%(received)s收件，告知期限至%(limit)s，本通知于%(notified)s作出。")
            % {"received": _date(received), "limit": _date(limit), "notified": _date(notified)}
        )
    else:
        notice.paragraph(
            _("本件于%(received)s收件，本通知于%(notified)s作出。")
            % {"received": _date(received), "notified": _date(notified)}
        )
    notice.paragraph(_("补正材料期间不计入办理时限，办理时限自受理之日起计算。"))
    return notice.render()


def _supplement_limit(received: dt.date) -> dt.date | None:
    """The last day the law gives for the notice, when the working-day calendar knows it."""
    try:
        return workdays.add_working_days(received, SUPPLEMENT_NOTICE_DAYS)
    except workdays.CalendarNotCovered:
        return None


def _necessity_label(necessity: str) -> str:
    if necessity in codes.Necessity.values:
        return str(codes.Necessity(necessity).label)
    return necessity


# --- 不予受理 ----------------------------------------------------------------------------------


def refusal_notice_pdf(case: Case, *, base_url: str = "") -> bytes:
    """不予受理通知书: the reason, the legal basis, where and how the matter can be handled, and
    the applicant's rights (reconsideration within 60 days, a lawsuit within 6 months)."""
    if case.state != State.REFUSED or case.refused_at is None:
        raise _unavailable(case, "refusal", _("本件未被不予受理，没有不予受理通知书。"))
    refused = _local(case.refused_at)
    received = _local(case.received_at)
    assert refused is not None and received is not None
    notice = _Notice(case=case, title=_("不予受理通知书"), dated=refused, base_url=base_url)
    notice.paragraph(_("%(applicant)s：") % {"applicant": case.applicant.name})
    notice.paragraph(
        _("您于%(received)s申请办理的“%(item)s”，经审查，决定不予受理。理由、依据和办理指引如下：")
        % {"received": _date(received), "item": case.item_version.name}
    )
    notice.facts(
        [
            (_("不予受理理由"), case.refused_reason),
            (_("法律依据"), case.refused_legal_basis),
            (_("办理指引"), case.refused_guidance),
            (_("决定日期"), _date(refused)),
        ]
    )
    _rights(notice, document=_("通知书"))
    return notice.render()


# --- 受理 --------------------------------------------------------------------------------------


def acceptance_notice_pdf(case: Case, *, base_url: str = "") -> bytes:
    """受理通知书: the number, the acceptance date, the promised and legal due dates, the 容缺
    materials with their promised dates and the 告知承诺 text when the applicant signed one."""
    if case.state not in _ACCEPTED_STATES or case.accepted_at is None or not case.number:
        raise _unavailable(
            case, "acceptance", _("本件未受理，或受理后已终止、撤销，没有受理通知书。")
        )
    accepted = _local(case.accepted_at)
    received = _local(case.received_at)
    assert accepted is not None and received is not None
    notice = _Notice(case=case, title=_("受理通知书"), dated=accepted, base_url=base_url)
    notice.paragraph(_("%(applicant)s：") % {"applicant": case.applicant.name})
    notice.paragraph(
        _(
            "您于%(received)s申请办理的“%(item)s”，依照《中华人民共和国行政许可法》第三十二条的规定，决定予以受理。"
        )
        % {"received": _date(received), "item": case.item_version.name}
    )
    notice.facts(
        [
            (_("办件编号"), case.number),
            (_("受理日期"), _date(accepted)),
            (_("承诺办结日期"), _date(case.promised_due) if case.promised_due else ""),
            (_("法定办结日期"), _date(case.legal_due) if case.legal_due else ""),
            (_("办件类型"), _("即办件（当场办结）") if case.on_the_spot else ""),
        ]
    )
    notice.paragraph(
        _(
            "办理时限按工作日计算。依法需要听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审的，所需时间不计算在办理时限内（《中华人民共和国行政许可法》第四十五条）。"
        ),
        "small",
    )
    deferred = list(
        CaseMaterial.objects.filter(case=case, deferred_until__isnull=False)
        .select_related("material")
        .order_by("material__seq")
    )
    if deferred:
        notice.heading(_("容缺受理材料"))
        notice.paragraph(
            _(
                "以下材料已容缺受理，请在承诺补交日期前按要求补交；逾期未补交的，本件将终止办理，已作出的决定不予出件。"
            )
        )
        notice.table(
            (_("序号"), _("材料名称"), _("形式及份数"), _("承诺补交日期"), _("补交情况")),
            [
                (
                    str(index),
                    row.material.name,
                    f"{_form_label(row.material.form)}，"
                    f"{_counts(row.material.original_count, row.material.copy_count)}",
                    _date(row.deferred_until) if row.deferred_until else "",
                    _supplied(row),
                )
                for index, row in enumerate(deferred, start=1)
            ],
            (0.07, 0.33, 0.25, 0.17, 0.18),
        )
    if case.commitment_signed_at is not None and case.commitment_text.strip():
        signed = _local(case.commitment_signed_at)
        assert signed is not None
        notice.heading(_("告知承诺"))
        notice.paragraph(
            _("申请人已于%(signed)s签署告知承诺书，承诺内容如下：") % {"signed": _date(signed)}
        )
        notice.paragraph(case.commitment_text.strip())
        notice.paragraph(
            _(
                "本件按告知承诺制办理，审批决定作出后将对承诺内容进行核查。经核查承诺不实的，依法终止办理或者撤销审批决定、责令整改或者依法处罚，并记入申请人信用记录。"
            )
        )
    return notice.render()


def _supplied(row: CaseMaterial) -> str:
    if not row.received:
        return _("待补交")
    received = _local(row.received_at)
    if received is None:
        return _("已补交")
    return _("已于%(date)s补交") % {"date": _date(received)}


# --- 审批决定 ----------------------------------------------------------------------------------


def _decision_titles() -> dict[str, str]:
    return {
        Case.Decision.APPROVE: _("准予许可决定书"),
        Case.Decision.PARTIAL: _("部分准予许可决定书"),
        Case.Decision.REJECT: _("不予许可决定书"),
    }


def decision_notice_pdf(case: Case, *, base_url: str = "") -> bytes:
    """准予 / 部分准予 / 不予许可决定书: the decision, its text, reason and legal basis; a
    rejection (and the rejected part of a partial approval) tells the applicant's rights."""
    if case.state not in _DECISION_STATES or not case.decision or case.decided_at is None:
        raise _unavailable(
            case, "decision", _("本件尚未作出审批决定，或决定已被撤销，没有决定书。")
        )
    decided = _local(case.decided_at)
    received = _local(case.received_at)
    assert decided is not None and received is not None
    notice = _Notice(
        case=case,
        title=_decision_titles()[case.decision],
        dated=decided,
        base_url=base_url,
    )
    notice.paragraph(_("%(applicant)s：") % {"applicant": case.applicant.name})
    notice.paragraph(
        _("您于%(received)s提出的“%(item)s”申请（办件编号 %(number)s），经审查，决定如下：")
        % {"received": _date(received), "item": case.item_version.name, "number": case.number}
    )
    notice.facts(
        [
            (_("审批决定"), case.get_decision_display()),
            (_("决定内容"), case.decision_text),
            (_("理由"), case.decision_reason),
            (_("依据"), case.decision_legal_basis.strip() or _item_basis(case)),
            (_("决定日期"), _date(decided)),
        ]
    )
    if case.decision != Case.Decision.REJECT and case.item_version.result_name.strip():
        notice.paragraph(
            _("审批结果“%(result)s”将按您选择的方式送达，请留意办理进度。")
            % {"result": case.item_version.result_name.strip()}
        )
    if case.decision in (Case.Decision.REJECT, Case.Decision.PARTIAL):
        _rights(notice, document=_("决定书"))
    return notice.render()


def _item_basis(case: Case) -> str:
    """The item's 设定依据 (law and article), for a decision that named none of its own."""
    entries = []
    for entry in case.item_version.legal_basis or []:
        if isinstance(entry, dict):
            law, article = str(entry.get("law", "")).strip(), str(entry.get("article", "")).strip()
            if law:
                entries.append(f"{law}{article}")
    return "；".join(entries)


__all__ = [
    "CASE_PAGE_PATH",
    "acceptance_notice_pdf",
    "case_page_path",
    "decision_notice_pdf",
    "refusal_notice_pdf",
    "supplement_notice_pdf",
]
