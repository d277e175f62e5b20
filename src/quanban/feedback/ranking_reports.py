"""A department's year-end ranking report (年度排名报告): Excel and PDF (docs/rankings.md).

Both carry the same lines: each month's place, list size, score, components and 末位 flag, then
the year's, and the weights versions used.
"""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from quanban.core import pdf
from quanban.feedback.models import RankingRow
from quanban.feedback.ranking_selectors import DepartmentYear, weight_lines


def _pct(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{rate * 100:.2f}%"


def _num(value: object) -> str:
    return "—" if value is None else str(value)


def headers() -> list[str]:
    return [
        _("期间"),
        _("名次"),
        _("参评数"),
        _("综合得分"),
        _("满意率"),
        _("差评整改率"),
        _("千件投诉量"),
        _("按时办结率"),
        _("红牌数"),
        _("督查问题数"),
        _("末位"),
        _("权重版本"),
    ]


def _line(label: str, row: RankingRow | None, size: int) -> list[str]:
    if row is None:
        return [label, "—", str(size) if size else "—", _("未参评"), "", "", "", "", "", "", "", ""]
    return [
        label,
        str(row.rank),
        str(size),
        str(row.score),
        _pct(row.satisfaction_rate),
        _pct(row.rectification_rate),
        _num(row.complaints_per_1000),
        _pct(row.on_time_rate),
        str(row.red_cards),
        _num(row.inspection_findings),
        _("末位") if row.bottom else "",
        f"v{row.period.weights.version}",
    ]


def report_lines(history: DepartmentYear) -> list[list[str]]:
    lines = [_line(month.strftime("%Y-%m"), row, size) for month, row, size in history.months]
    lines.append(
        _line(_("%(year)s 年度") % {"year": history.year}, history.year_row, history.year_size)
    )
    return lines


def _title(history: DepartmentYear) -> str:
    return _("%(department)s %(year)s 年度排名报告") % {
        "department": history.department.name,
        "year": history.year,
    }


def year_report_workbook(history: DepartmentYear) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("排名历史")
    sheet.append([_title(history)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(headers())
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for month, row, size in history.months:
        sheet.append(_cells(month.strftime("%Y-%m"), row, size))
    sheet.append(
        _cells(_("%(year)s 年度") % {"year": history.year}, history.year_row, history.year_size)
    )
    sheet.freeze_panes = "A3"
    sheet.column_dimensions["A"].width = 14
    weights = book.create_sheet(_("权重"))
    weights.append([_("权重版本"), _("生效月份"), _("项目"), _("分值")])
    for version in history.versions:
        for line in weight_lines(version):
            weights.append(
                [
                    f"v{version.version}",
                    version.effective_from.strftime("%Y-%m"),
                    line.label,
                    float(line.value),
                ]
            )
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _cells(label: str, row: RankingRow | None, size: int) -> list[object]:
    if row is None:
        return [label, None, size or None, None]

    def rate(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return [
        label,
        row.rank,
        size,
        float(row.score),
        rate(row.satisfaction_rate),
        rate(row.rectification_rate),
        rate(row.complaints_per_1000),
        rate(row.on_time_rate),
        row.red_cards,
        row.inspection_findings,
        _("末位") if row.bottom else "",
        f"v{row.period.weights.version}",
    ]


def _story(history: DepartmentYear, size: float) -> list[Flowable]:
    style = pdf.styles(size)
    body = style["body"]
    data: list[list[object]] = [[Paragraph(pdf.text(h), body) for h in headers()]]
    for line in report_lines(history):
        data.append([Paragraph(pdf.text(cell), body) for cell in line])
    widths = (0.11, 0.06, 0.07, 0.09, 0.09, 0.1, 0.1, 0.1, 0.07, 0.08, 0.06, 0.07)
    story: list[Flowable] = [
        Paragraph(pdf.text(_title(history)), style["title"]),
        Spacer(1, 3 * mm),
        pdf.grid_table(data, widths),
        Spacer(1, 4 * mm),
    ]
    for version in history.versions:
        parts = "；".join(f"{line.label} {line.value}" for line in weight_lines(version))
        story.append(
            Paragraph(
                pdf.text(
                    _("权重版本 v%(version)s（%(month)s 起）：%(parts)s")
                    % {
                        "version": version.version,
                        "month": version.effective_from.strftime("%Y-%m"),
                        "parts": parts,
                    }
                ),
                style["small"],
            )
        )
    story.append(
        Paragraph(
            pdf.text(_("末位：每个排名列表的最后若干名（含并列），名次第一者除外。")),
            style["small"],
        )
    )
    return story


def year_report_pdf(history: DepartmentYear) -> bytes:
    return pdf.build(
        lambda size: _story(history, size), title=_title(history), sizes=(8.0, 7.0, 6.0)
    )
