"""BM25 over whole posting lists at once, for queries made of words alone.

Whoosh evaluates a query document at a time through a tree of matchers, in Python; for the
any-word queries that plain-language questions, their feedback and pasted text make (tens of
words, thousands of pages), walking that tree cost most of a search at a hundred times this
library's size (README, "Performance"). Here such a query (`Or` and `And` of `Term`s) is
scored term at a time with numpy: each word's posting list (document numbers and
frequencies, decoded once and kept) gives its BM25 contributions in one vector operation,
with the same formula, statistics and per-kind field counts as `scoring.LibraryBM25`, and the
same order of documents (score, then document number). Whoosh adds a document's parts in
another order, so a score may differ in its last bit. Any other query (phrases, prefixes,
ranges, exclusions inside) goes through Whoosh as before.

What a generation's documents are (their report, its organisation, year and date, their
field lengths) is read once per open index and kept with it. A posting list longer than one
block is read whole from the segment's own arrays where splib's codec wrote them
(`codec.PostingArrays`), else from Whoosh's blocks.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from whoosh import query as wq

from . import K1, B, Where
from .codec import PostingArrays, posting_arrays
from .columns import Column
from .queries import SCORED_APART, NameTest
from .schema import FIELD_DOCS

log = logging.getLogger(__name__)

# Postings kept decoded, in all (document numbers): about 16 bytes each.
KEPT_POSTINGS = 4_000_000
_Array = Any  # a numpy array


class Generation:
    """What one open index generation's documents are, read once, and its decoded postings."""

    def __init__(self, reader: Any) -> None:
        self.count = int(reader.doc_count_all())
        alive = np.zeros(self.count, dtype=bool)
        alive[list(reader.all_doc_ids())] = True
        self.alive = alive
        reports = Column(reader, "report")
        organizations = Column(reader, "organization")
        years = Column(reader, "year")
        codes: dict[str, int] = {}
        code = np.zeros(self.count, dtype=np.int64)
        self.names: list[str] = []
        self.organization: list[str] = []
        self.year: list[int] = []
        described: set[int] = set()  # reports whose facts come from a live document
        for doc in range(self.count):
            name = reports.text(doc)
            if name not in codes:
                codes[name] = len(self.names)
                self.names.append(name)
                self.organization.append("")
                self.year.append(0)
            number = codes[name]
            code[doc] = number
            # An update deletes a changed report's documents and adds them anew: its facts
            # are those of its live documents, not of the deleted ones before them.
            if number not in described and alive[doc]:
                described.add(number)
                self.organization[number] = organizations.text(doc)
                self.year[number] = int(years[doc] or 0)
        self.code = code
        self.codes = codes
        self._lengths: dict[str, _Array] = {}
        self._postings: OrderedDict[tuple[str, str], tuple[_Array, _Array]] = OrderedDict()
        self._kept = 0
        self._fields: dict[str, tuple[int, float]] = {}
        self._arrays: dict[str, PostingArrays | None] = {}  # per segment
        self.lock = threading.Lock()

    # -- what documents are ----------------------------------------------------------------

    def lengths(self, reader: Any, field: str) -> _Array:
        """Each document's length in `field`, as Whoosh stores it (one byte, approximate);
        `reader`: an open reader of this generation (one searcher's)."""
        with self.lock:
            if field not in self._lengths:
                out = np.zeros(self.count, dtype=np.float64)
                for leaf, start in reader.leaf_readers():
                    for doc in range(int(leaf.doc_count_all())):
                        out[start + doc] = leaf.doc_field_length(doc, field, 0) or 0
                self._lengths[field] = out
            return self._lengths[field]

    def reports_allowed(self, where: Where, names: bool = True) -> _Array | None:
        """Per report code, whether `where` lets it through (None: every report)."""
        allowed = None
        if where.within is not None:
            allowed = np.zeros(len(self.names), dtype=bool)
            for rid in where.within:
                if rid in self.codes:
                    allowed[self.codes[rid]] = True
        if names:
            named = self.names_allowed(where)
            if named is not None:
                allowed = named if allowed is None else allowed & named
        return allowed

    def names_allowed(self, where: Where) -> _Array | None:
        """Per report code, whether its organisation and year pass `where` (None: all)."""
        test = NameTest(where)
        if not test.active:
            return None
        return np.array([test.passes(org, year)
                         for org, year in zip(self.organization, self.year, strict=True)],
                        dtype=bool)

    def field_statistics(self, searcher: Any, field: str) -> tuple[int, float]:
        """How many documents have `field` (`scoring.FIELD_DOCS`) and its average length,
        read once."""
        with self.lock:
            if field in self._fields:
                return self._fields[field]
        marker = FIELD_DOCS.get(field)
        docs = int(searcher.doc_frequency(*marker)) or 1 if marker else \
            int(searcher.doc_count())
        found = (docs, (searcher.field_length(field) / docs) or 1)
        with self.lock:
            self._fields[field] = found
        return found

    # -- postings --------------------------------------------------------------------------

    def postings(self, reader: Any, field: str, text: str) -> tuple[_Array, _Array]:
        """The documents holding `text` in `field` and how often (deleted ones included)."""
        key = (field, text)
        with self.lock:
            if key in self._postings:
                self._postings.move_to_end(key)
                return self._postings[key]
        ids: list[_Array] = []
        weights: list[_Array] = []
        for leaf, start in reader.leaf_readers():
            whole = self._whole(leaf, field, text)
            if whole is not None:
                found, counts = whole
            elif (field, text) in leaf:
                matcher = leaf.postings(field, text)
                matcher = getattr(matcher, "child", matcher)  # deletions: masked by `alive`
                found, counts = _read(matcher)
            else:
                continue
            ids.append(found + start)
            weights.append(counts)
        pair = (np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64),
                np.concatenate(weights) if weights else np.zeros(0, dtype=np.float64))
        with self.lock:
            if key in self._postings:  # read meanwhile by another thread
                return self._postings[key]
            self._postings[key] = pair
            self._kept += len(pair[0])
            while self._kept > KEPT_POSTINGS and len(self._postings) > 1:
                _, (old, _) = self._postings.popitem(last=False)
                self._kept -= len(old)
        return pair

    def _whole(self, leaf: Any, field: str, text: str) -> tuple[_Array, _Array] | None:
        """The posting list as the segment keeps it whole (codec.PostingArrays), or None
        (a list of one block, or a segment without them)."""
        if not hasattr(leaf, "segment"):  # not a segment's reader (another codec's)
            return None
        segment = leaf.segment()
        key = segment.segment_id()
        with self.lock:
            if key not in self._arrays:
                self._arrays[key] = posting_arrays(segment, leaf.storage())
            arrays = self._arrays[key]
        if arrays is None:
            return None
        try:
            raw = arrays.get(field, text)
            if raw is None:
                return None
            ids = np.frombuffer(raw[0], dtype=np.uint32).astype(np.int64)
            weights = np.frombuffer(raw[1], dtype=np.float32).astype(np.float64)
            # What a damaged directory would give instead: numbers out of order or past the
            # segment's documents, weights that are no counts.
            if len(ids) and (ids[-1] >= leaf.doc_count_all() or np.any(ids[1:] <= ids[:-1])
                             or not np.all(weights > 0) or not np.all(np.isfinite(weights))):
                raise ValueError(f"the whole posting list of {text!r} is not one")
        except ValueError as exc:  # a damaged file
            log.warning("A whole posting list could not be read (%s); its blocks are "
                        "read instead.", exc)
            with self.lock:
                self._arrays[key] = None
            return None
        return ids, weights


def _read(matcher: Any) -> tuple[_Array, _Array]:
    """A posting list's document numbers and weights, block by block."""
    ids: list[Any] = []
    weights: list[Any] = []
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_next_block"):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
    else:  # another codec: the matcher's public walk
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)


class Scorer:
    """Scores of a words-only query over every document of a generation."""

    def __init__(self, generation: Generation, searcher: Any, b: float = B,
                 k1: float = K1) -> None:
        self.generation = generation
        self.searcher = searcher  # Whoosh's, for the statistics LibraryBM25 takes
        self.b = b
        self.k1 = k1
        self.schema = searcher.schema

    def score(self, q: Any) -> tuple[_Array, _Array]:
        """(score, matched) for every document: the query's BM25, and whether it matches."""
        n = self.generation.count
        if q is wq.NullQuery:
            return np.zeros(n), np.zeros(n, dtype=bool)
        if isinstance(q, wq.Term):
            return self.term(q)
        if isinstance(q, SCORED_APART):
            return self.apart(q)
        children = q.subqueries
        if not children:
            return np.zeros(n), np.zeros(n, dtype=bool)
        if len(children) == 1:  # Whoosh takes a lone child's matcher as it is
            return self.score(children[0])
        scores = np.zeros(n)
        matched = np.zeros(n, dtype=bool) if isinstance(q, wq.Or) else np.ones(n, dtype=bool)
        for child in children:
            s, m = self.score(child)
            scores += s
            matched = matched | m if isinstance(q, wq.Or) else matched & m
        if isinstance(q, wq.And):
            scores[~matched] = 0.0
        if q.boost != 1.0:
            scores *= q.boost
        return scores, matched

    def apart(self, q: Any) -> tuple[_Array, _Array]:
        """A phrase, prefix, fuzzy term or range, scored by Whoosh alone (its matcher gives
        the same score there as inside a larger query)."""
        n = self.generation.count
        scores = np.zeros(n)
        matched = np.zeros(n, dtype=bool)
        for score, doc in self.searcher.search(q, limit=None).top_n:
            scores[doc] = score
            matched[doc] = True
        return scores, matched

    def term(self, q: Any) -> tuple[_Array, _Array]:
        n = self.generation.count
        scores = np.zeros(n)
        matched = np.zeros(n, dtype=bool)
        reader = self.searcher.reader()
        ids, weights = self.generation.postings(reader, q.fieldname, q.text)
        if not len(ids):
            return scores, matched
        if self.schema[q.fieldname].scorable:
            # Whoosh counts a word's documents as its postings, deleted ones included.
            idf, average = self.statistics(q.fieldname, len(ids))
            lengths = self.generation.lengths(reader, q.fieldname)[ids]
            k1, b = self.k1, self.b
            part = idf * ((weights * (k1 + 1)) /
                          (weights + k1 * ((1 - b) + b * lengths / average)))
        else:
            part = weights
        scores[ids] = part * q.boost if q.boost != 1.0 else part
        matched[ids] = True
        return scores, matched

    def statistics(self, field: str, df: int) -> tuple[float, float]:
        """BM25's IDF of a word in `df` documents and the field's average length, as
        `scoring.LibraryBM25` takes them."""
        docs, average = self.generation.field_statistics(self.searcher, field)
        return math.log(1 + (docs - df + 0.5) / (df + 0.5)), average


def order(scores: _Array, matched: _Array) -> _Array:
    """The matching documents, best first (ties by document number, as Whoosh orders)."""
    docs = np.flatnonzero(matched)
    return docs[np.lexsort((docs, -scores[docs]))]
