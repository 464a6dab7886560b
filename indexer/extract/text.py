"""Plain text files: UTF-8, else the encoding charset-normalizer detects from the bytes."""

from __future__ import annotations

from . import TEXT, Document, Page
from .normalize import normalize_text


def decode_text(data: bytes) -> tuple[str, str | None]:
    """Decode `data` as UTF-8, falling back to the detected charset; return (text, warning)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return str(best), f"not UTF-8; read as {best.encoding}"
    return data.decode("utf-8", errors="replace"), "not UTF-8; unreadable bytes replaced"


def extract_text(data: bytes) -> Document:
    text, warning = decode_text(data)
    return Document(
        media_type=TEXT,
        pages=(Page(number=1, text=normalize_text(text)),),
        warnings=(warning,) if warning else (),
    )
