"""Scans made by the tests: pages with known text, drawn as a born-digital PDF, rendered to
pictures and wrapped as an image-only PDF (or saved as image files), as a scanner would."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

# Each page: (font, size, x, y, text) lines. Several fonts and sizes, a two-column page and
# a table, with words a library keeper would search for.
Line = tuple[str, float, float, float, str]


@dataclass(frozen=True)
class ScanPage:
    lines: tuple[Line, ...]
    rules: tuple[tuple[float, float, float, float], ...] = ()  # table lines (x1, y1, x2, y2)

    @property
    def text(self) -> str:
        return "\n".join(line[4] for line in self.lines)


def _column(x: float, top: float, lines: Sequence[str], font: str = "Times-Roman",
            size: float = 11) -> tuple[Line, ...]:
    return tuple((font, size, x, top - i * (size + 4), text) for i, text in enumerate(lines))


LETTER = ScanPage(lines=(
    ("Helvetica-Bold", 20, 72, 700, "Referral Protocol for Service Providers"),
    *_column(72, 660, [
        "When a case manager suspects labor trafficking, the first step is a safe",
        "conversation away from the employer. Ask about wages, documents and debts.",
        "Survivors may qualify for a T visa and for certification from the Office",
        "on Trafficking in Persons. Keep notes brief and factual, and record dates.",
    ], font="Helvetica", size=12),
    *_column(72, 560, [
        "Emergency shelter is often the most urgent need for adults and minors alike.",
        "Call the national hotline for help with placement after business hours.",
    ], font="Courier", size=10),
    ("Times-Italic", 14, 72, 480, "Signed by the coalition coordinator in March 2019"),
))

TWO_COLUMNS = ScanPage(lines=(
    ("Times-Bold", 16, 72, 720, "Findings from the Agricultural Worker Survey"),
    *_column(72, 690, [
        "Farmworkers on seasonal visas",
        "reported recruitment fees that",
        "left them in debt before they",
        "arrived. Employers held their",
        "passports in several counties.",
        "Outreach workers met them at",
        "clinics and laundromats.",
    ]),
    *_column(320, 690, [
        "Housing was crowded and often",
        "owned by the crew leader, who",
        "deducted rent from each check.",
        "Few workers knew that the H-2A",
        "program guarantees wages and",
        "return transportation home to",
        "their families abroad.",
    ]),
))

TABLE_ROWS = [("County", "Referrals", "Shelter beds"), ("Marathon", "41", "12"),
              ("Dane", "87", "30"), ("Brown", "56", "18"), ("Outagamie", "23", "9")]
TABLE = ScanPage(
    lines=(
        ("Helvetica-Bold", 14, 72, 720, "Table 3. Referrals and shelter capacity by county"),
        *tuple(("Helvetica", 12, 80 + 150 * col, 686 - 26 * row, cell)
               for row, cells in enumerate(TABLE_ROWS) for col, cell in enumerate(cells)),
        ("Times-Roman", 10, 72, 540, "Source: coalition intake records, fiscal year 2021."),
    ),
    rules=tuple((72, 704 - 26 * r, 522, 704 - 26 * r) for r in range(len(TABLE_ROWS) + 1))
    + tuple((72 + 150 * c, 704, 72 + 150 * c, 704 - 26 * len(TABLE_ROWS)) for c in range(4)),
)

SCAN = (LETTER, TWO_COLUMNS, TABLE)


def born_digital(pages: Sequence[ScanPage]) -> bytes:
    """The pages as a PDF with a text layer."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    for page in pages:
        for font, size, x, y, text in page.lines:
            c.setFont(font, size)
            c.drawString(x, y, text)
        for x1, y1, x2, y2 in page.rules:
            c.line(x1, y1, x2, y2)
        c.showPage()
    c.save()
    return buf.getvalue()


def pictures(pdf: bytes, dpi: int = 200) -> list[object]:
    """Each page of `pdf` as a grey picture, as a scanner at `dpi` would make it."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return [document[i].render(scale=dpi / 72, grayscale=True).to_pil()
                for i in range(len(document))]
    finally:
        document.close()


def image_pdf(images: Sequence[object], dpi: int = 200) -> bytes:
    """The pictures wrapped as a PDF of images only, no text layer (Pillow writes it)."""
    first, *rest = images
    buf = io.BytesIO()
    first.save(buf, "PDF", resolution=dpi, save_all=True,  # type: ignore[attr-defined]
               append_images=rest)
    return buf.getvalue()


def scanned_pdf(pages: Sequence[ScanPage] = SCAN, dpi: int = 200) -> bytes:
    return image_pdf(pictures(born_digital(pages), dpi), dpi)


def image_file(pages: Sequence[ScanPage], kind: str, dpi: int = 200) -> bytes:
    """The pages as one image file of `kind` ("PNG", "JPEG", or "TIFF" with a frame each)."""
    images = pictures(born_digital(pages), dpi)
    buf = io.BytesIO()
    if kind == "TIFF":
        images[0].save(buf, "TIFF", save_all=True,  # type: ignore[attr-defined]
                       append_images=images[1:], dpi=(dpi, dpi))
    else:
        images[0].save(buf, kind, dpi=(dpi, dpi))  # type: ignore[attr-defined]
    return buf.getvalue()


def tokens(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.lower()))


def token_f1(found: str, expected: str) -> float:
    """Token F1 (lower-cased \\w+ tokens, multiset overlap), as the corpora's README defines."""
    got, want = tokens(found), tokens(expected)
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)
