"""Bytes to text: sniff the type of a source and extract its pages.

`extract_bytes` runs in-process and is what the isolated worker calls; `extract_isolated`
(in `isolate.py`) is what the ingester uses, so that a hostile file can only sink a child
process. Every extractor returns a `Document` of 1-based `Page`s with normalised text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ExtractionError

if TYPE_CHECKING:
    from .ocr import OcrSettings, PageProgress

# Bumped whenever extraction output changes, so cached text is re-extracted.
EXTRACTOR_VERSION = "5"

PDF = "application/pdf"
HTML = "text/html"
TEXT = "text/plain"
# Pictures of text (a scanned letter, a photographed flyer), read by OCR.
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg",
               b"II*\x00": "image/tiff", b"MM\x00*": "image/tiff", b"GIF87a": "image/gif",
               b"GIF89a": "image/gif"}
# A file name's ending for each media type (saved copies are served under it).
EXTENSIONS = {PDF: "pdf", HTML: "html", TEXT: "txt", "image/png": "png", "image/jpeg": "jpg",
              "image/tiff": "tif", "image/gif": "gif", "image/bmp": "bmp", "image/webp": "webp"}


@dataclass(frozen=True)
class Page:
    """One page of text: its physical 1-based number and, where the PDF has one, its label;
    `ocr` when Tesseract read it from a picture, with its mean word confidence (0-100)."""

    number: int
    text: str
    label: str | None = None
    ocr: bool = False
    confidence: float | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"number": self.number, "label": self.label, "text": self.text}
        if self.ocr:
            data.update(ocr=True, confidence=self.confidence)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Page:
        confidence = data.get("confidence")
        return cls(number=int(data["number"]), text=str(data["text"]), label=data.get("label"),
                   ocr=bool(data.get("ocr", False)),
                   confidence=None if confidence is None else float(confidence))


@dataclass(frozen=True)
class Document:
    """The text of one source, page by page, with what the extractor noticed on the way."""

    media_type: str
    pages: tuple[Page, ...]
    title: str | None = None
    warnings: tuple[str, ...] = field(default=())
    # Why pages that hold pictures of text were left unread (no Tesseract, OCR off...); None
    # when every such page was read.
    unread: str | None = None
    # Some pages were left unread for a reason that may pass (Tesseract missing or failing):
    # such a document is not cached, and the next update reads the file again.
    transient: bool = False

    @property
    def chars(self) -> int:
        return sum(len(p.text) for p in self.pages)

    @property
    def ocr_pages(self) -> tuple[Page, ...]:
        """The pages Tesseract read."""
        return tuple(p for p in self.pages if p.ocr)

    @property
    def ocr_confidence(self) -> float | None:
        """The mean confidence over the OCR'd pages that have one."""
        found = [p.confidence for p in self.pages if p.ocr and p.confidence is not None]
        return round(sum(found) / len(found), 1) if found else None

    def to_json(self) -> dict[str, Any]:
        return {
            "media_type": self.media_type,
            "title": self.title,
            "pages": [p.to_json() for p in self.pages],
            "warnings": list(self.warnings),
            "unread": self.unread,
            "transient": self.transient,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        return cls(
            media_type=str(data["media_type"]),
            title=data.get("title"),
            pages=tuple(Page.from_json(p) for p in data["pages"]),
            warnings=tuple(data.get("warnings", ())),
            unread=data.get("unread"),
            transient=bool(data.get("transient", False)),
        )


NOT_A_REPORT = "not a PDF, HTML, text or image file"  # how sniff's refusal starts
NOT_A_REPORT_KIND = "not-a-report"  # its ExtractionError.kind


def sniff(data: bytes) -> str:
    """The media type of `data`, judged from the bytes, never from a header or a file name."""
    head = data[:1024]
    # First: an archive of PDFs or web pages, stored as they are, holds their markers too.
    for magic, what in ARCHIVES:
        if head.startswith(magic) or (magic == b"ustar" and head[257:262] == magic):
            raise ExtractionError(
                f"{NOT_A_REPORT} (it is {what}); point the entry's `url` or `path` at the "
                "report itself, or save it as PDF", kind=NOT_A_REPORT_KIND)
    for magic, kind in IMAGE_TYPES.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:2] == b"BM" and head[6:10] == b"\x00\x00\x00\x00" and len(head) >= 26:
        return "image/bmp"  # "BM", the file size, four reserved zero bytes
    # The PDF header may follow some junk; readers accept it within the first kilobyte.
    if b"%PDF-" in head:
        return PDF
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml")) or any(
        marker in head.lower()
        for marker in (b"<html", b"<head", b"<body", b"<title", b"<meta", b"<div", b"<p>")
    ):
        return HTML
    if _binary_share(data[:4096]) > 0.1 and not _looks_utf16(head):
        raise ExtractionError(
            f"{NOT_A_REPORT} (it holds binary data, such as an archive or a program); point "
            "the entry's `url` or `path` at the report itself", kind=NOT_A_REPORT_KIND
        )
    return TEXT


# Files that begin as these are no report, however much of them reads as text (a zip of text
# files stored uncompressed, a tar of them): each file's first bytes as its format defines.
ARCHIVES = (
    (b"PK\x03\x04", "a ZIP archive, or a Word, Excel or PowerPoint file, which are ZIP archives"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\xfd7zXZ\x00", "an XZ archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word, Excel or Outlook file"),
    (b"\x7fELF", "a program"),
    (b"ustar", "a tar archive"),  # at offset 257
)
_CONTROL_BYTES = frozenset(range(0x09)) | frozenset(range(0x0E, 0x20))


def _binary_share(sample: bytes) -> float:
    """The share of control bytes: images and archives are full of them, text (even text with
    a few stray NULs) is not."""
    if not sample:
        return 0.0
    return sum(b in _CONTROL_BYTES for b in sample) / len(sample)


def _looks_utf16(head: bytes) -> bool:
    return head.startswith((b"\xff\xfe", b"\xfe\xff"))


# A gzip-compressed source (a saved `.html.gz`, a server that compresses twice) is opened up to
# this size; past it the file is a bomb, not a report.
MAX_GUNZIPPED = 128 * 1024 * 1024


def gunzip(data: bytes) -> bytes:
    """The content of gzip `data`, refusing more than MAX_GUNZIPPED bytes."""
    import zlib

    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, MAX_GUNZIPPED + 1)
    except zlib.error as exc:
        raise ExtractionError(f"damaged gzip file: {exc}") from None
    if len(out) > MAX_GUNZIPPED:
        raise ExtractionError(
            f"too large: it unpacks to more than {MAX_GUNZIPPED // (1024 * 1024)} MB")
    return out


def extract_bytes(data: bytes, password: str = "", ocr: OcrSettings | None = None,
                  progress: PageProgress | None = None) -> Document:
    """Extract `data` in this process: the worker's job; callers want `extract_isolated`.
    `ocr` says how pictures of text are read; `progress` hears of each OCR'd page."""
    from .ocr import OcrSettings, no_page_progress

    ocr = ocr or OcrSettings()
    progress = progress or no_page_progress
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data)
    if not data.strip():
        raise ExtractionError("the file is empty")
    kind = sniff(data)
    if kind == PDF:
        from .pdf import extract_pdf

        return extract_pdf(data, password, ocr, progress)
    if kind.startswith("image/"):
        from .image import extract_image

        return extract_image(data, kind, ocr, progress)
    if kind == HTML:
        from .html import extract_html

        return extract_html(data)
    from .text import extract_text

    return extract_text(data)
