"""Builders of hostile files for the hardening tests (kept apart so tests stay readable)."""

from __future__ import annotations

import io
import zlib

from conftest import make_pdf


def pdf_with_content(*contents: bytes) -> bytes:
    """A one-page PDF whose page content is the streams `contents` (Flate-compressed)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["placeholder"]))))
    refs = ArrayObject()
    for content in contents:
        stream = DecodedStreamObject()
        stream.set_data(content)
        refs.append(writer._add_object(stream.flate_encode()))
    writer.pages[0][NameObject("/Contents")] = refs
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def endless_pdf(pages: int = 300) -> bytes:
    """A small PDF that keeps an extractor busy for minutes, as if it looped forever.

    pypdf caps the work per content stream, so the work is spread over `pages` pages that all
    share one stream of 300,000 text operators: the file stays small, the work does not.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["placeholder"] * pages))))
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 10 10 Td (x) Tj ET\n" * 300_000)
    shared = writer._add_object(stream.flate_encode())
    for page in writer.pages:
        page[NameObject("/Contents")] = shared
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bomb_pdf(gigabytes: float = 2.0) -> bytes:
    """A PDF whose content stream inflates to `gigabytes` of spaces from about 2 MB."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, NumberObject, StreamObject

    squeeze = zlib.compressobj(9)
    block = b" " * (16 * 1024 * 1024)
    parts = [squeeze.compress(block) for _ in range(int(gigabytes * 64))]
    parts.append(squeeze.flush())
    packed = b"".join(parts)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["placeholder"]))))
    stream = StreamObject()
    stream._data = packed
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    stream[NameObject("/Length")] = NumberObject(len(packed))
    writer.pages[0][NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def gzip_bomb(megabytes: int) -> bytes:
    """gzip bytes that unpack to `megabytes` of text."""
    squeeze = zlib.compressobj(9, wbits=31)
    line = b"survivors need housing and legal help " * 1000
    chunks = [squeeze.compress(line) for _ in range(megabytes * 1024 * 1024 // len(line))]
    return b"".join(chunks) + squeeze.flush()


SITECUSTOMIZE = '''
"""Test-only fault injection: the extraction child dies of SIGSEGV on a marked file."""
import os, signal
import indexer.extract as _extract
_real = _extract.extract_bytes
def _crashing(data, *args, **kwargs):
    if b"SPLIB-CRASH-ME" in data:
        os.kill(os.getpid(), signal.SIGSEGV)
    return _real(data, *args, **kwargs)
_extract.extract_bytes = _crashing
'''
