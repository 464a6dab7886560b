"""Whether every stream of a PDF unpacks within a bound, told from the file's bytes alone.

PDFium would inflate a decompression bomb (a few kilobytes that unpack to gigabytes) for
minutes before running out of memory. pypdf unpacks under a size limit, but parsing a file's
structure with pypdf costs about as much as PDFium's whole text extraction. Most files need
neither: a Flate stream unpacks to at most about 1,032 times its packed size, so only streams
packed larger than the limit's 1/1,100th can pass it, and those few are unpacked here (in C, by
zlib, stopping at the limit).

The answer is True only when every stream is accounted for: a file that is encrypted (its
streams cannot be unpacked without the key), a stream whose filters are not one plain Flate or
a picture codec (chains such as Flate over Flate, LZW, RunLength, a filter given by reference),
or a stream zlib refuses, all give False, and the caller reads the file the careful way
(`pdf.py`). The extraction child's memory and time limits stay the last line behind both.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

# pypdf's own limit on what one stream may unpack to (pypdf.filters.ZLIB_MAX_OUTPUT_LENGTH).
LIMIT = 75_000_000
# Deflate's largest ratio is about 1,032:1 (258 bytes from a 2-bit code); a margin over it.
_MOST_RATIO = 1100

# The header of an object: "12 0 obj"; and what stands before "obj" in one.
_HEADER = re.compile(rb"\d+\s+\d+\s+obj\b")
_HEADER_END = re.compile(rb"(?<![0-9A-Za-z])\d+\s+\d+\s+$")
_OFFSET = re.compile(rb"\s*(\d{1,15})")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/\[\]<>()]+)")
_NAME = re.compile(rb"/([^\s/\[\]<>()]+)")
# Filters that never give more than they are given (the ASCII ones halve or shrink by a
# fifth), and codecs of pictures, which PDFium decodes only to draw a page (for OCR, which
# renders within its own pixel bound), never to read its text.
_SHRINKING = frozenset({b"ASCIIHexDecode", b"AHx", b"ASCII85Decode", b"A85", b"DCTDecode",
                        b"DCT", b"JPXDecode", b"JBIG2Decode", b"CCITTFaxDecode", b"CCF"})
_FLATE = frozenset({b"FlateDecode", b"Fl"})
_KNOWN = _SHRINKING | _FLATE | {b"LZWDecode", b"LZW", b"RunLengthDecode", b"RL", b"Crypt"}
# How far before "stream" its dictionary may begin.
_DICTIONARY_WINDOW = 65_536


def streams_bounded(data: bytes, limit: int = LIMIT) -> bool:
    """True when no stream of the PDF `data` unpacks past `limit` bytes; False when one does
    or when that cannot be told from the bytes alone."""
    if b"/Encrypt" in data:
        return False
    for keyword, start in _streams(data):
        if start < 0:
            return False
        filters = _filters(data, keyword)
        if filters is None:
            return False
        expanding = [name for name in filters if name not in _SHRINKING]
        if not expanding:
            continue  # no filter, or ones that never give more than they are given
        if expanding != [expanding[0]] or expanding[0] not in _FLATE:
            return False  # LZW, RunLength, a chain that could multiply what Flate gives
        end = data.find(b"endstream", start)
        packed = (len(data) if end < 0 else end) - start
        if packed * _MOST_RATIO <= limit:
            continue  # too small to unpack past the limit
        if filters[0] not in _FLATE or \
                not _inflates_within(memoryview(data)[start:start + packed], limit):
            return False
    return True


def xref_intact(data: bytes) -> bool:
    """Whether the PDF's last "startxref" points at a cross-reference table or stream: where
    it does not, the file is damaged and PDFium reads it only by rebuilding the table, which
    the careful path tells the library's keeper."""
    at = data.rfind(b"startxref")
    if at < 0:
        return False
    offset = _OFFSET.match(data, at + 9)
    if offset is None:
        return False
    where = int(offset.group(1))
    return data.startswith(b"xref", where) or _HEADER.match(data, where) is not None


def _streams(data: bytes) -> Iterator[tuple[int, int]]:
    """Where each stream's keyword stands and where its bytes begin (-1: a keyword after a
    dictionary whose line end cannot be found, which the caller takes as unsure). The word
    "stream", not the end of "endstream", then spaces or tabs that readers forgive, then its
    end of line. (A search for the word, which a regular expression with a look-behind makes
    ten times slower.)"""
    at = data.find(b"stream")
    while at >= 0:
        after = at + 6
        if data[at - 3:at] != b"end":
            line = after
            while data[line:line + 1] in (b" ", b"\t"):
                line += 1
            if data[line:line + 1] in (b"\r", b"\n"):
                yield at, line + (2 if data[line:line + 2] == b"\r\n" else 1)
            elif data[max(0, at - 16):at].rstrip().endswith(b">>"):
                yield at, -1
        at = data.find(b"stream", after)


def _filters(data: bytes, keyword: int) -> list[bytes] | None:
    """The filter names, in order, of the stream whose keyword is at `keyword` (empty: none),
    or None when its dictionary or filters cannot be read here."""
    dictionary = _dictionary(data, keyword)
    if dictionary is None:
        return None
    if b"/Filter" not in dictionary:
        return []
    found = _FILTER.search(dictionary)
    if found is None:
        return None  # a filter given by reference, or not as PDF writes names
    value = found.group(1)
    if not value.startswith(b"["):
        names = [value[1:]]
    elif _NAME.sub(b"", value[1:-1]).strip():
        return None  # something beside names in the array
    else:
        names = _NAME.findall(value)
    return names if set(names) <= _KNOWN else None


def _dictionary(data: bytes, keyword: int) -> bytes | None:
    """The bytes from the "N G obj" header before a stream's keyword to the keyword: its
    dictionary. None when no header opening a dictionary stands within reach."""
    low = max(0, keyword - _DICTIONARY_WINDOW)
    at = data.rfind(b"obj", low, keyword)
    while at >= 0:
        if _HEADER_END.search(data, max(low, at - 24), at) and \
                data[at + 3:at + 64].lstrip().startswith(b"<<"):
            return data[at + 3:keyword]
        at = data.rfind(b"obj", low, at)
    return None


def _inflates_within(packed: memoryview, limit: int) -> bool:
    """Whether the zlib stream `packed` unpacks to at most `limit` bytes (False when zlib
    refuses it: PDFium may read further than zlib does)."""
    try:
        out = zlib.decompressobj().decompress(packed, limit + 1)
    except zlib.error:
        return False
    return len(out) <= limit
