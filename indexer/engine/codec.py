"""Whoosh's W3 codec with a leaner commit: the same files, in Whoosh's W3 format.

A build's commit (Whoosh writing every term's postings) runs on one core after extraction
ends, so its cost is a build's tail. Most of a library's terms are rare (five postings each on
the shared test PDFs), and Whoosh pays per posting and per term in Python:

- each posting's field length was looked up in the segment's length column through a file
  check and a column read; here each field's lengths are read once, into a list;
- each posting was checked for its types (the writer alone gives them);
- each block of postings was compressed with zlib, even a rare word's one posting, which has
  nothing to compress: its block comes out of zlib no smaller (74 bytes on average on the
  shared reports, 74 on the test PDFs), and the call costs about 15 us. A block of one
  posting is written as it is; Whoosh's reader reads each block's compression from the
  block itself.

Otherwise the files are byte for byte those Whoosh's own codec writes, and they read back the
same postings (tests). Whoosh keeps a segment's codec in the index's table of contents, so
this class also opens the indexes it wrote (its lengths then read once per field as well):
moving or renaming it needs a schema version of its own (`SCHEMA_VERSION`).
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3PerDocReader,
    W3PostingsWriter,
)
from whoosh.util.numeric import byte_to_length

_LENGTHS = [byte_to_length(b) if b else None for b in range(256)]


class LeanCodec(W3Codec):  # type: ignore[misc]
    """W3Codec writing the same format with less work per posting and per term."""

    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        return _LengthsOnce(storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        return _LeanPostings(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                             compression=self._compression, inlinelimit=self._inlinelimit)


class _LengthsOnce(W3PerDocReader):  # type: ignore[misc]
    """The per-document reader a commit asks for each posting's field length: each field's
    lengths read once."""

    def __init__(self, storage: Any, segment: Any) -> None:
        super().__init__(storage, segment)
        self._tables: dict[str, list[int | None] | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        if fieldname not in self._tables:
            self._tables[fieldname] = self._lengths(fieldname)
        table = self._tables[fieldname]
        if table is None:
            return default
        return table[docnum]

    def _lengths(self, fieldname: str) -> list[int | None] | None:
        reader = self._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        if reader is None:
            return None
        return [_LENGTHS[b] for b in reader]


class _LeanPostings(W3PostingsWriter):  # type: ignore[misc]
    """Whoosh's posting writer without its checks of each posting's types, writing a block
    of one posting uncompressed."""

    # A block of one posting is left uncompressed (False: compressed as Whoosh does).
    single_as_is = True

    _maxweight: float
    _minlength: int | None
    _maxlength: int
    _compression: int

    def add_posting(self, id_: Any, weight: float, vbytes: bytes,
                    length: int | None = None) -> None:
        if len(self._ids) >= self._blocklimit:
            self._write_block()
        self._ids.append(id_)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def _write_block(self, last: bool = False) -> None:
        if len(self._ids) > 1 or not self.single_as_is:
            super()._write_block(last)
            return
        compression, self._compression = self._compression, 0
        try:
            super()._write_block(last)
        finally:
            self._compression = compression
