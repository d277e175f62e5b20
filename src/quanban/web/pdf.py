"""The printable one-page checklist (材料清单) of an applicant's own materials.

The font, page and styles are the house's (quanban.core.pdf). Long lists shrink the type rather
than spill onto a second page. The checklist's strings are paragraph markup: callers escape what
people typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from quanban.core import pdf


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


def _story(checklist: Checklist, size: float) -> list[Flowable]:
    style = pdf.styles(size)
    body = style["body"]
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
    table = pdf.grid_table(data, (0.06, 0.38, 0.16, 0.12, 0.12, 0.16))
    story: list[Flowable] = [
        Paragraph(checklist.title, style["title"]),
        Paragraph(checklist.subtitle, style["small"]),
        Spacer(1, 3 * mm),
    ]
    story.extend(Paragraph(note, body) for note in checklist.notes)
    story.extend(
        [Spacer(1, 3 * mm), table, Spacer(1, 4 * mm), Paragraph(checklist.footer, style["small"])]
    )
    return story


def checklist_pdf(checklist: Checklist) -> bytes:
    """The checklist as a one-page A4 PDF (the type shrinks until it fits)."""
    return pdf.build(
        lambda size: _story(checklist, size),
        title=checklist.title,
        sizes=(11.0, 10.0, 9.0, 8.0, 7.0, 6.0),
        max_pages=1,
    )
