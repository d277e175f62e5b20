"""The printable one-page checklist (材料清单) of an applicant's own materials.

ReportLab's built-in CID font ``STSong-Light`` renders Chinese with the reader's own font, so no
font file is shipped. Long lists shrink the type rather than spill onto a second page.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT = "STSong-Light"
MARGIN = 15 * mm


@dataclass(frozen=True)
class ChecklistRow:
    name: str
    form: str
    counts: str
    necessity: str
    source: str


@dataclass(frozen=True)
class Checklist:
    title: str
    subtitle: str
    headers: tuple[str, str, str, str, str, str]
    rows: Sequence[ChecklistRow]
    notes: Sequence[str]  # the chosen answers, the limits, where to go
    footer: str


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _story(checklist: Checklist, size: float) -> list[object]:
    title = ParagraphStyle("title", fontName=FONT, fontSize=size + 6, leading=(size + 6) * 1.3)
    body = ParagraphStyle("body", fontName=FONT, fontSize=size, leading=size * 1.35)
    small = ParagraphStyle("small", parent=body, fontSize=size - 1, textColor=colors.grey)
    data: list[list[object]] = [[Paragraph(h, body) for h in checklist.headers]]
    for index, row in enumerate(checklist.rows, start=1):
        data.append(
            [
                Paragraph(str(index), body),
                Paragraph(row.name, body),
                Paragraph(row.form, body),
                Paragraph(row.counts, body),
                Paragraph(row.necessity, body),
                Paragraph(row.source, body),
            ]
        )
    width = A4[0] - 2 * MARGIN
    table = Table(
        data,
        colWidths=[w * width for w in (0.06, 0.38, 0.16, 0.12, 0.12, 0.16)],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1ede9")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story: list[object] = [
        Paragraph(checklist.title, title),
        Paragraph(checklist.subtitle, small),
        Spacer(1, 3 * mm),
    ]
    story.extend(Paragraph(note, body) for note in checklist.notes)
    story.extend([Spacer(1, 3 * mm), table, Spacer(1, 4 * mm), Paragraph(checklist.footer, small)])
    return story


def checklist_pdf(checklist: Checklist) -> bytes:
    """The checklist as a one-page A4 PDF (the type shrinks until it fits)."""
    _register_font()
    for size in (11.0, 10.0, 9.0, 8.0, 7.0, 6.0):
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN,
            title=checklist.title,
            author="Quanban",
        )
        document.build(_story(checklist, size))
        if document.page <= 1:
            break
    return buffer.getvalue()
