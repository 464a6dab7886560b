"""Bytes to text: sniff the type of a source and extract its pages.

`extract_bytes` runs in-process and is what the isolated worker calls; `extract_isolated`
(in `isolate.py`) is what the ingester uses, so that a hostile file can only sink a child
process. Every extractor returns a `Document` of 1-based `Page`s with normalised text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ExtractionError

# Bumped whenever extraction output changes, so cached text is re-extracted.
EXTRACTOR_VERSION = "3"

PDF = "application/pdf"
HTML = "text/html"
TEXT = "text/plain"


@dataclass(frozen=True)
class Page:
    """One page of text: its physical 1-based number and, where the PDF has one, its label."""

    number: int
    text: str
    label: str | None = None


@dataclass(frozen=True)
class Document:
    """The text of one source, page by page, with what the extractor noticed on the way."""

    media_type: str
    pages: tuple[Page, ...]
    title: str | None = None
    description: str | None = None
    links: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def chars(self) -> int:
        return sum(len(p.text) for p in self.pages)

    def to_json(self) -> dict[str, Any]:
        return {
            "media_type": self.media_type,
            "title": self.title,
            "description": self.description,
            "links": list(self.links),
            "pages": [{"number": p.number, "label": p.label, "text": p.text} for p in self.pages],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Document:
        return cls(
            media_type=str(data["media_type"]),
            title=data.get("title"),
            description=data.get("description"),
            links=tuple(data.get("links", ())),
            pages=tuple(
                Page(number=int(p["number"]), text=str(p["text"]), label=p.get("label"))
                for p in data["pages"]
            ),
            warnings=tuple(data.get("warnings", ())),
        )


NOT_A_REPORT = "not a PDF, HTML or text file"  # how sniff's refusal starts


def sniff(data: bytes) -> str:
    """The media type of `data`, judged from the bytes, never from a header or a file name."""
    head = data[:1024]
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
            f"{NOT_A_REPORT} (it holds binary data, such as an image or an archive); point "
            "the entry's `url` or `path` at the report itself"
        )
    return TEXT


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


def extract_bytes(data: bytes, password: str = "") -> Document:
    """Extract `data` in this process: the worker's job; callers want `extract_isolated`."""
    if data[:2] == b"\x1f\x8b":
        data = gunzip(data)
    if not data.strip():
        raise ExtractionError("the file is empty")
    kind = sniff(data)
    if kind == PDF:
        from .pdf import extract_pdf

        return extract_pdf(data, password)
    if kind == HTML:
        from .html import extract_html

        return extract_html(data)
    from .text import extract_text

    return extract_text(data)
