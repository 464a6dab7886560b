"""Whoosh's W3 codec with a leaner commit: the same files, in Whoosh's W3 format, and one
more, each word's long posting lists whole (`PostingArrays`).

A build's commit (Whoosh writing every term's postings) runs on one core after extraction
ends, so its cost is a build's tail. Most of a library's terms are rare (five postings each on
the shared test PDFs), and Whoosh pays per posting and per term in Python:

- each posting's field length was looked up in the segment's length column through a file
  check and a column read; here each field's lengths are read once, into a list;
- each posting was checked for its types (the writer alone gives them);
- each block of postings was compressed with zlib, even a rare word's one posting, which has
  nothing to compress: its block comes out of zlib no smaller (74 bytes on average on the
  shared reports, 74 on the test PDFs), and each call costs about 15 us whatever its size
  (zlib's set-up; its level and window change nothing). A block whose postings pickle to
  fewer than `AS_IS_BELOW` bytes is written as it is: half of the blocks zlib is asked for,
  which it shrinks by a fifth (the shared reports: 1,028 blocks, 134 kB -> 108 kB; the test
  PDFs: 2,297 blocks, 309 kB -> 250 kB), for about 2% more index. Whoosh's reader reads each
  block's compression from the block itself;
- each block's document numbers and weights were summed up through generators;
- each posting and each term went through Whoosh's posting writer, term statistics and
  terms' table call by call; here a term's postings are gathered, then its blocks and its
  entry are written at once (`_ArraysFieldWriter.add_postings`).

Otherwise Whoosh's files are byte for byte those its own codec writes, and they read back the
same postings (tests). The file of whole posting lists (`ARRAYS_EXT`, packed into the
segment's file with the others) is splib's: Whoosh ignores it, and a search reads a long list
from it in one slice instead of unpickling and unzipping Whoosh's blocks. Whoosh keeps a
segment's codec in the index's table of contents, so this class also opens the indexes it
wrote (its lengths then read once per field as well): moving or renaming it needs a schema
version of its own (`SCHEMA_VERSION`).
"""

from __future__ import annotations

import json
import logging
import mmap
import operator
import pickle
import struct
import sys
import zlib
from array import array
from itertools import chain
from pathlib import Path
from typing import Any

from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3FieldWriter,
    W3PerDocReader,
    W3TermInfo,
)
from whoosh.filedb.filetables import _lengths
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte

log = logging.getLogger(__name__)

_LENGTHS = [byte_to_length(b) if b else None for b in range(256)]
# A segment's posting lists longer than one block, whole (`PostingArrays`).
ARRAYS_EXT = ".pla"
_ARRAYS_MAGIC = b"splib-pla1"
# End of the arrays, size of the directory, magic, byte order ("l" or "b").
_FOOTER = struct.Struct("<QQ10s1s")
# The arrays' items are written as they are: uint32 numbers and float32 weights where C's
# unsigned int and float are four bytes (everywhere splib runs; else no file is written).
_FOUR_BYTE_ARRAYS = array("I").itemsize == 4 and array("f").itemsize == 4
# A term's entry in the terms' table (then its postings' offset and size), and the sizes of
# a key and its value there.
_TERM_INFO = W3TermInfo._struct
_KEY_VALUE_SIZES = _lengths


class LeanCodec(W3Codec):  # type: ignore[misc]
    """W3Codec writing the same format with less work per posting and per term."""

    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        return _LengthsOnce(storage, segment)

    def field_writer(self, storage: Any, segment: Any) -> Any:
        return _ArraysFieldWriter(self, storage, segment)


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


# A block whose postings pickle to fewer bytes is written as it is (0: every block
# compressed, as Whoosh does). Blocks of one posting mostly are (74 bytes on average).
AS_IS_BELOW = 200


def _block(ids: array[int], weights: array[float], maxweight: float, values: Any,
           minlength: int | None, maxlength: int, compression: int, last: bool) -> bytes:
    """One block of a term's postings as Whoosh's W3 codec writes it (its size, negative for
    the term's last block, then its summary and its data, pickled): the document numbers'
    differences and the weights' summary taken without generators. A small block (under
    `AS_IS_BELOW` bytes) is left uncompressed."""
    if len(ids) == 1:
        mini_ids: tuple[Any, ...] = (ids[0],)
    else:
        mini_ids = tuple(map(operator.sub, ids, chain((0,), ids)))
    first = weights[0]
    if weights.count(first) == len(weights):  # one weight for all: 1.0 is the default
        mini_weights: Any = None if first == 1.0 else first
    else:
        mini_weights = tuple(weights)
    databytes = pickle.dumps((mini_ids, mini_weights, values), 2)
    if len(databytes) < AS_IS_BELOW:
        compression = 0
    if compression:
        databytes = zlib.compress(databytes, compression)
    infobytes = pickle.dumps((len(ids), ids[-1], maxweight, compression,
                              length_to_byte(minlength), length_to_byte(maxlength)), 2)
    size = len(infobytes) + len(databytes)
    head: bytes = pack_int(-size if last else size)
    return head + infobytes + databytes


class _ArraysFieldWriter(W3FieldWriter):  # type: ignore[misc]
    """Whoosh's term and posting writer, writing each term's postings in one go, that also
    writes each posting list longer than one block whole, as arrays (`ARRAYS_EXT`, read by
    `posting_arrays`)."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        super().__init__(codec, storage, segment)
        self._arrays = self._create_file(ARRAYS_EXT)
        self._directory: dict[str, dict[str, list[int]]] = {}
        self._arrays_end = 0

    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        """Whoosh's loop over the segment's sorted postings (`FieldWriter.add_postings`),
        each term's postings gathered, then written at once by `_write_term`: the same
        bytes, without Whoosh's calls per posting and per term, which were most of a
        build's commit. (Whoosh's codec can also inline a rare term's postings in its entry;
        that option, off by default, fails in Whoosh 2.7 itself, and is not written here.)"""
        length = lengths.doc_field_length if lengths else lambda docnum, fieldname: 0
        fieldname: str | None = None
        text: bytes | None = None
        ids: list[int] = []
        weights: list[float] = []
        values: list[bytes] = []
        sizes: list[int] = []
        for name, btext, docnum, weight, value in items:
            if docnum == -1:  # Whoosh's mark of a word for its spelling graph: no posting
                continue
            if btext != text or name != fieldname:
                if text is not None:
                    self._write_term(ids, weights, values, sizes)
                if name != fieldname:
                    if fieldname is not None:
                        if name < fieldname:
                            raise OutOfOrderError(f"Field {fieldname!r} .. {name!r}")
                        self.finish_field()
                    self.start_field(name, schema[name])
                    fieldname = name
                elif text is not None and btext < text:
                    raise OutOfOrderError(f"Term {name}:{text!r} .. {name}:{btext!r}")
                text = self._btext = btext
                ids, weights, values, sizes = [], [], [], []
            ids.append(docnum)
            weights.append(weight)
            values.append(value)
            sizes.append(length(docnum, name))
        if text is not None:
            self._write_term(ids, weights, values, sizes)
        if fieldname is not None:
            self.finish_field()

    def _write_term(self, ids: list[int], weights: list[float], values: list[bytes],
                    sizes: list[int]) -> None:
        """One term's postings: its blocks in the postings file and its entry in the terms'
        table, as `W3PostingsWriter` and `W3TermInfo` write them (statistics taken in the
        same order, so that their floating-point sums are the same), and its list whole when
        it takes more than one block."""
        start = self._postfile.tell()
        limit = self._codec._blocklimit
        fixed = self._format.fixed_value_size()
        count = len(ids)
        all_ids, all_weights = array("I", ids), array("f", weights)
        total = 0.0
        minlength: int | None = None
        maxlength = 0
        maxweight: float = 0
        written = [WHOOSH3_HEADER_MAGIC]
        for first in range(0, count, limit):
            end = first + limit
            block_ids, block_weights = all_ids[first:end], all_weights[first:end]
            # Whoosh keeps a block's non-empty values and lengths only.
            block_values = [v for v in values[first:end] if v]
            lengths = [n for n in sizes[first:end] if n]
            heaviest = max(weights[first:end])
            block_max = heaviest if heaviest > 0 else 0
            block_min = min(lengths) if lengths else None
            block_longest = max(lengths) if lengths else 0
            if fixed is None or fixed < 0:
                mini_values: Any = tuple(block_values)
            elif fixed == 0:
                mini_values = None
            else:
                mini_values = b"".join(block_values)
            written.append(_block(block_ids, block_weights, block_max, mini_values, block_min,
                                  block_longest, self._codec._compression, end >= count))
            # W3TermInfo.add_block's statistics, in its order.
            total += sum(block_weights)
            if block_min is not None:  # (a field without lengths has none in any block)
                minlength = block_min if minlength is None else min(minlength, block_min)
            maxlength = max(maxlength, block_longest)
            maxweight = max(maxweight, block_max)
        postings = b"".join(written)
        self._postfile.write(postings)
        entry = _TERM_INFO.pack(False, total, count,
                                0 if minlength is None else length_to_byte(minlength),
                                length_to_byte(maxlength), maxweight, ids[0], ids[-1])
        self._add_entry(entry + pack_long(start) + pack_int(len(postings)))
        if count > limit:
            self._write_whole(all_ids, all_weights)

    def _add_entry(self, entry: bytes) -> None:
        """The current term's entry into the terms' table: Whoosh's `OrderedHashWriter.add`
        in one write."""
        table = self._tindex
        key = pack_ushort(self._fieldid) + self._btext
        if key <= table.lastkey:
            raise ValueError(f"Keys must increase: {table.lastkey!r}..{key!r}")
        position = table.dbfile.tell()
        table.index.append(position)
        table.dbfile.write(_KEY_VALUE_SIZES.pack(len(key), len(entry)) + key + entry)
        hashed = table.hashfn(key)
        table.buckets[hashed & 255].append((hashed, position))
        table.lastkey = key

    def _write_whole(self, ids: array[int], weights: array[float]) -> None:
        """The current term's whole posting list, into the arrays file and its directory."""
        if not _FOUR_BYTE_ARRAYS:
            return
        try:
            term = self._btext.decode("utf-8")
        except UnicodeDecodeError:  # a numeric field's term: never read whole
            return
        self._arrays.write(ids.tobytes())
        self._arrays.write(weights.tobytes())
        self._directory.setdefault(self._fieldname, {})[term] = [self._arrays_end, len(ids)]
        self._arrays_end += 8 * len(ids)

    def close(self) -> None:
        directory = json.dumps(self._directory, ensure_ascii=False,
                               separators=(",", ":")).encode("utf-8")
        self._arrays.write(directory)
        self._arrays.write(_FOOTER.pack(self._arrays_end, len(directory), _ARRAYS_MAGIC,
                                        sys.byteorder.encode("ascii")[:1]))
        self._arrays.close()
        super().close()


class PostingArrays:
    """A segment's posting lists longer than one block, each whole: document numbers
    (uint32) and weights (float32) in the machine's byte order, then a directory
    {field: {term: [offset, count]}} in JSON, then `_FOOTER`. Reading a list is a slice of
    the segment's file, mapped into memory, where Whoosh's reader unpickles and unzips each
    block of 128 postings with its positions (most of a first search's time at a hundred
    times the library's size: README, "Performance")."""

    def __init__(self, view: memoryview, directory: dict[str, dict[str, list[int]]]) -> None:
        self._view = view
        self._directory = directory

    def get(self, field: str, term: str) -> tuple[memoryview, memoryview] | None:
        """The raw document numbers and weights of `term` in `field`, or None."""
        try:
            entry = self._directory.get(field, {}).get(term)
            if entry is None:
                return None
            offset, count = (int(n) for n in entry)
        except (AttributeError, TypeError, ValueError):
            raise ValueError(f"the directory's entry for {term!r} is damaged") from None
        if offset < 0 or count < 1 or offset + 8 * count > len(self._view):
            raise ValueError(f"the whole posting list of {term!r} lies past its arrays")
        return (self._view[offset:offset + 4 * count],
                self._view[offset + 4 * count:offset + 8 * count])


def posting_arrays(segment: Any, storage: Any) -> PostingArrays | None:
    """The segment's whole posting lists, or None when it has none readable (an index
    written before them, by another codec, or a damaged file: Whoosh's blocks are read).
    The segment's file is mapped from disk, not opened through Whoosh's storage, whose
    file of a compound segment copies its bytes whole into memory (a BytesIO)."""
    name = segment.make_filename(ARRAYS_EXT)
    compound = getattr(storage, "a", None)  # a segment packed in one file: Whoosh's overlay
    try:
        if compound is not None and hasattr(compound, "range") and \
                compound.file_exists(name):
            path = Path(storage.b.folder) / segment.make_filename(segment.COMPOUND_EXT)
            start, length = compound.range(name)
        elif storage.file_exists(name):
            path = Path(storage.folder) / name
            start, length = 0, storage.file_length(name)
        else:
            return None
        with path.open("rb") as file:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        view = memoryview(mapped)[start:start + length]
        if len(view) != length or length < _FOOTER.size:
            raise ValueError("the file is cut short")
        arrays_end, directory_size, magic, order = _FOOTER.unpack(view[length - _FOOTER.size:])
        if magic != _ARRAYS_MAGIC or arrays_end + directory_size + _FOOTER.size != length:
            raise ValueError("its end is damaged")
        if order != sys.byteorder.encode("ascii")[:1]:
            return None  # written on a machine of the other byte order: not an error
        directory = json.loads(bytes(view[arrays_end:arrays_end + directory_size]))
        if not isinstance(directory, dict):
            raise ValueError("its directory is damaged")
    except (OSError, ValueError, AttributeError, NameError, struct.error) as exc:
        log.warning("The index's whole posting lists could not be read (%s); its blocks "
                    "are read instead.", exc)
        return None
    return PostingArrays(view[:arrays_end], directory)
