"""Plain text files: UTF-8, else the encoding charset-normalizer detects from the bytes."""

from __future__ import annotations

from ..errors import ExtractionError
from . import TEXT, Document, Page
from .normalize import normalize_text


def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str | None]:
    """Decode `data`: BOM, then a declared charset, then UTF-8, then detection.

    Returns (text, the encoding used when it was not UTF-8). Among detected single-byte
    encodings that read the bytes equally well, windows-1252 wins: it is what unlabelled
    Western pages are written in (the HTML standard's fallback, too).
    """
    import codecs

    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), None
    if declared:
        try:
            codec_name = codecs.lookup(declared).name
            text = data.decode(codec_name)
            return text, None if codec_name in ("utf-8", "ascii") else codec_name
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown label; the bytes will tell
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        return data.decode("utf-8", errors="replace"), "utf-8 (unreadable bytes replaced)"
    best = matches[0]
    western = next((m for m in matches if m.encoding == "cp1252"), None)
    if western is None and best.encoding != "cp1252":
        # On a few words (a short note) the detector may list dozens of code pages that all
        # read the bytes, and leave windows-1252 out: ask how well it reads them.
        western = from_bytes(data, cp_isolation=["cp1252"]).best()
    if western is not None and western.chaos <= best.chaos + 0.05:
        best = western
    return str(best), best.encoding


def extract_text(data: bytes) -> Document:
    text, encoding = decode_text(data)
    text = normalize_text(text)
    if not text:
        raise ExtractionError("the file holds no text")
    return Document(
        media_type=TEXT,
        pages=(Page(number=1, text=text),),
        warnings=(f"not UTF-8; read as {encoding}",) if encoding else (),
    )
