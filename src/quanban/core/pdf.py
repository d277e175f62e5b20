"""What every printed PDF shares: the Chinese font, the A4 page, the type styles, plain text.

ReportLab's built-in CID font ``STSong-Light`` renders Chinese with the reader's own font, so no
font file is shipped. Paragraphs take ReportLab's small markup language; ``text`` turns a plain
string (a name, a reason someone typed) into markup that prints exactly what was typed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate, Table, TableStyle

FONT = "STSong-Light"
MARGIN = 15 * mm
PAGE_WIDTH = A4[0]
# The width a flowable may take between the margins.
FRAME_WIDTH = A4[0] - 2 * MARGIN
GRID_COLOUR = colors.grey
HEADER_BACKGROUND = colors.HexColor("#f1ede9")

PageDecorator = Callable[[Canvas, SimpleDocTemplate], None]


def register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def text(value: object) -> str:
    """Plain text as paragraph markup: ``<``, ``>`` and ``&`` print as themselves, line breaks
    stay line breaks."""
    return escape(str(value)).replace("\r\n", "\n").replace("\n", "<br/>")


def styles(size: float) -> dict[str, ParagraphStyle]:
    """The house styles at a body size: title, heading, body, small (grey), centred and right."""
    body = ParagraphStyle("body", fontName=FONT, fontSize=size, leading=size * 1.35)
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=size + 6, leading=(size + 6) * 1.3),
        "heading": ParagraphStyle(
            "heading", parent=body, fontSize=size + 1, leading=(size + 1) * 1.4, spaceBefore=4
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=size - 1, textColor=colors.grey),
        "centre": ParagraphStyle("centre", parent=body, alignment=TA_CENTER),
        "right": ParagraphStyle("right", parent=body, alignment=TA_RIGHT),
    }


def grid_table(
    rows: Sequence[Sequence[object]], widths: Sequence[float], *, header: bool = True
) -> Table:
    """A gridded table; ``widths`` are shares of the frame width; the first row is a header
    (repeated on every page) unless told otherwise."""
    table = Table(
        [list(row) for row in rows],
        colWidths=[w * FRAME_WIDTH for w in widths],
        repeatRows=1 if header else 0,
    )
    commands: list[tuple[object, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOUR),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND))
    table.setStyle(TableStyle(commands))
    return table


def build(
    story: Callable[[float], list[Flowable]],
    *,
    title: str,
    sizes: Sequence[float] = (11.0,),
    max_pages: int | None = None,
    on_page: PageDecorator | None = None,
) -> bytes:
    """An A4 PDF of the story built at the first of ``sizes`` that fits in ``max_pages`` (the
    last size when none does; any length when ``max_pages`` is None)."""
    register_font()
    data = b""
    for size in sizes:
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN,
            title=title,
            author="Quanban",
        )
        if on_page is None:
            document.build(story(size))
        else:
            document.build(story(size), onFirstPage=on_page, onLaterPages=on_page)
        data = buffer.getvalue()
        if max_pages is None or document.page <= max_pages:
            break
    return data
