"""The printed form of a licence (A4 PDF): its fields, the identifier, the issuing department's
seal, and a QR code linking to the public verification page.

Built with the house's PDF stack (quanban.core.pdf, ReportLab). The seal image is drawn, not
shipped: a red ring with the department's name along it, a star and "电子证照专用章". The
signature travels inside the PDF in its document information (Keywords) as
``QBSEAL1:<base64url JSON>`` with the identifier, algorithm, key id, SM3 digest, signature and the
signed canonical text, so an uploaded copy can be checked against the record
(``selectors.licence_verify_pdf``) and the seal verified offline with the department's public key.
"""

from __future__ import annotations

import base64
import json
import math
from urllib.parse import quote

import qrcode
import qrcode.constants
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from quanban.core import pdf
from quanban.licences.models import Licence
from quanban.licences.selectors import fields_of

VERIFY_PATH = "/verify/"
QR_SIZE = 32 * mm
SEAL_SIZE = 40 * mm
SEAL_RED = colors.HexColor("#d7000f")


def verification_link(base_url: str, identifier: str) -> str:
    return f"{base_url.rstrip('/')}{VERIFY_PATH}?id={quote(identifier)}"


def seal_payload(licence: Licence) -> str:
    """What the PDF carries of the seal, as the ``QBSEAL1:`` marker."""
    carried = {
        "identifier": licence.identifier,
        "algorithm": licence.seal_algorithm,
        "key_id": licence.seal_key_id,
        "digest": licence.digest,
        "signature": licence.signature,
        "canonical": licence.canonical,
    }
    raw = json.dumps(carried, ensure_ascii=False, separators=(",", ":")).encode()
    return "QBSEAL1:" + base64.urlsafe_b64encode(raw).decode("ascii")


class SealStamp(Flowable):
    """A round official seal drawn in red: ring, the department's name on the arc, a star."""

    def __init__(self, name: str, caption: str, size: float = SEAL_SIZE) -> None:
        super().__init__()
        self.name = name
        self.caption = caption
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        canvas = self.canv
        r = self.size / 2
        canvas.saveState()
        canvas.translate(r, r)
        canvas.setStrokeColor(SEAL_RED)
        canvas.setFillColor(SEAL_RED)
        canvas.setLineWidth(1.6)
        canvas.circle(0, 0, r - 1, stroke=1, fill=0)
        _star(canvas, r * 0.28)
        # The name along the upper arc, from left to right, characters upright to the centre.
        chars = list(self.name)[:20]
        font_size = max(6.0, min(10.0, r * 2.6 / max(len(chars), 1)))
        canvas.setFont(pdf.FONT, font_size)
        span = min(240.0, 14.0 * len(chars))
        start = 90 + span / 2
        step = span / max(len(chars) - 1, 1)
        for index, char in enumerate(chars):
            angle = start - index * step
            canvas.saveState()
            canvas.rotate(angle - 90)
            canvas.drawCentredString(0, r - font_size - 3, char)
            canvas.restoreState()
        canvas.setFont(pdf.FONT, max(5.0, font_size - 2))
        canvas.drawCentredString(0, -r * 0.55, self.caption)
        canvas.restoreState()


def _star(canvas: Canvas, radius: float) -> None:
    points = []
    for i in range(10):
        length = radius if i % 2 == 0 else radius * 0.4
        angle = math.radians(90 + i * 36)
        points.append((length * math.cos(angle), length * math.sin(angle)))
    path = canvas.beginPath()
    path.moveTo(*points[0])
    for point in points[1:]:
        path.lineTo(*point)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)


class QrCode(Flowable):
    """The verification link as a QR code, encoded by ``qrcode`` (PyPI) and drawn as one path of
    horizontal runs. The mask pattern is fixed: choosing the "best" of eight costs eight encodings
    (most of the time of a licence PDF) and any mask reads the same in every scanner."""

    def __init__(self, link: str, size: float = QR_SIZE) -> None:
        super().__init__()
        code = qrcode.QRCode(
            error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=0
        )
        code.add_data(link)
        code.make(fit=True)
        self.matrix: list[list[bool]] = code.get_matrix()
        self.size = size
        self.width = self.height = size

    def draw(self) -> None:
        canvas = self.canv
        count = len(self.matrix)
        module = self.size / count
        path = canvas.beginPath()
        for row, cells in enumerate(self.matrix):
            y = self.size - (row + 1) * module
            column = 0
            while column < count:
                if not cells[column]:
                    column += 1
                    continue
                start = column
                while column < count and cells[column]:
                    column += 1
                path.rect(start * module, y, (column - start) * module, module)
        canvas.saveState()
        canvas.setFillColor(colors.black)
        canvas.drawPath(path, stroke=0, fill=1)
        canvas.restoreState()


def _story(licence: Licence, link: str, size: float) -> list[Flowable]:
    s = pdf.styles(size)
    title = ParagraphStyle(
        "licence-title",
        parent=s["title"],
        alignment=TA_CENTER,
        fontSize=22,
        leading=30,
        textColor=SEAL_RED,
    )
    layout_title = licence.licence_type.layout.get("title") or licence.licence_type.name
    rows: list[tuple[str, str]] = [
        (_("持证主体"), licence.holder_name),
        (
            _("公民身份号码") if licence.holder_kind == "111" else _("统一社会信用代码"),
            licence.holder_code,
        ),
        *fields_of(licence, public=False),
        (
            _("有效期"),
            _("%(start)s 至 %(end)s")
            % {
                "start": date_format(licence.valid_from, "DATE_FORMAT"),
                "end": date_format(licence.valid_until, "DATE_FORMAT")
                if licence.valid_until
                else _("长期"),
            },
        ),
        (_("颁证单位"), licence.issuer.name),
        (_("颁证日期"), date_format(licence.issued_at.date(), "DATE_FORMAT")),
    ]
    data = [
        [Paragraph(pdf.text(label), s["body"]), Paragraph(pdf.text(value), s["body"])]
        for label, value in rows
    ]
    table = pdf.grid_table(data, (0.25, 0.75), header=False)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (0, -1), pdf.HEADER_BACKGROUND)]))
    footer = Table(
        [
            [
                QrCode(link),
                [
                    Paragraph(pdf.text(_("扫描二维码核验本证照的真伪和状态：")), s["small"]),
                    Paragraph(pdf.text(link), s["small"]),
                    Spacer(1, 2 * mm),
                    Paragraph(
                        pdf.text(
                            _("电子签章：%(alg)s，密钥 %(key)s，SM3 摘要 %(digest)s")
                            % {
                                "alg": licence.seal_algorithm.upper(),
                                "key": licence.seal_key_id,
                                "digest": licence.digest,
                            }
                        ),
                        s["small"],
                    ),
                ],
                SealStamp(licence.issuer.name, _("电子证照专用章")),
            ]
        ],
        colWidths=[
            QR_SIZE + 4 * mm,
            pdf.FRAME_WIDTH - QR_SIZE - SEAL_SIZE - 8 * mm,
            SEAL_SIZE + 4 * mm,
        ],
    )
    footer.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, -1), 0)])
    )
    return [
        Spacer(1, 6 * mm),
        Paragraph(pdf.text(layout_title), title),
        Spacer(1, 2 * mm),
        Paragraph(pdf.text(_("证照标识：%(id)s") % {"id": licence.identifier}), s["centre"]),
        Spacer(1, 6 * mm),
        table,
        Spacer(1, 10 * mm),
        footer,
    ]


def licence_pdf(licence: Licence, *, base_url: str) -> bytes:
    """The licence as a one-page A4 PDF with its seal and verification QR code."""
    link = verification_link(base_url, licence.identifier)
    payload = seal_payload(licence)

    def on_page(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.setSubject(licence.identifier)
        canvas.setKeywords(payload)
        canvas.saveState()
        canvas.setFont(pdf.FONT, 8)
        canvas.drawCentredString(
            pdf.PAGE_WIDTH / 2,
            pdf.MARGIN / 2,
            _("%(issuer)s · 电子证照 · %(id)s")
            % {"issuer": licence.issuer.name, "id": licence.identifier},
        )
        canvas.restoreState()

    return pdf.build(
        lambda size: _story(licence, link, size),
        title=f"{licence.licence_type.name} {licence.identifier}",
        sizes=(12.0, 11.0, 10.0, 9.0),
        max_pages=1,
        on_page=on_page,
    )
