"""The search engine behind one seam: everything that knows Whoosh lives in this package.

The rest of splib speaks to it through the small interface below, in its own terms:

- `IndexDocument`: what is indexed for a catalog entry or one page of a report's text;
- `create_index(folder)` / `clone_index(source, folder)` give an `IndexWriter` (`add`,
  `delete_report`, `commit`, `cancel`); `open_index(folder)` gives an `Index` whose
  `searcher(b, k1)` is a context manager giving a `Searcher`;
- a `Searcher` compiles a query tree of `query.py` (`compile`), or weighted words
  (`weighted`), into an opaque `Query`, and answers one `search(query, where, ...)` with the
  matching reports best first (`Ranked`: each report's matching documents, every matching
  report's id, the facet counts); it also reads stored documents (`stored`; whether one is a
  catalog entry without reading it, `is_entry`), key terms of
  documents (`key_terms`), the statistics of a word (`doc_frequency`, `has_term`) and the
  span of years (`years`).

Importing this module loads no Whoosh: the implementation (`searching.py`, `writing.py`,
`queries.py`, `scoring.py`, `schema.py`) is imported when an index is first opened or created.
Swapping or patching the engine means changing this folder only.
"""

from __future__ import annotations

import os
import pickle
import struct
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..errors import QueryError, SplibError
from . import startup

startup.install()

if TYPE_CHECKING:
    from ..query import Node

__all__ = [
    "FIELD_BOOSTS", "SCHEMA_VERSION", "TEXT_FIELDS", "EngineQueryError", "Expand", "Facets",
    "Index", "IndexDocument", "IndexGone", "IndexWriter", "Marked", "Match", "Query",
    "Ranked", "ReportMatches", "Searcher", "Stored", "Where", "clone_index",
    "create_index", "open_index", "unreadable",
]

# Raised whenever what the index holds or how its words are cut changes (schema.py).
SCHEMA_VERSION = "9"
# Field weights for keyword queries: a word in the title or the summary says more about what
# a report is about than the same word on page 40 (questions weigh fields by search.Ranking).
FIELD_BOOSTS = {"title": 3.0, "summary": 2.0, "body": 1.0, "org": 1.5, "author": 1.5}
# BM25's textbook values (scoring.py); what a search uses is search.Ranking's (K1 0.9, chosen
# on two collections together: README, "Search quality").
B = 0.75
K1 = 1.2
# The fields whose words are stemmed English (the others are names, years and ids).
TEXT_FIELDS = ("body", "summary", "title")


class EngineQueryError(QueryError):
    """The engine could not run a query (too many terms, a malformed range): the query's
    fault, not a bug."""


# What Whoosh raises reading an index whose files were cut short or overwritten (it
# unpickles, inflates and unpacks them, and reads its table of contents's header).
UNREADABLE = (EOFError, OSError, ValueError, IndexError, KeyError, TypeError, struct.error,
              zlib.error, pickle.UnpicklingError)


def unreadable(exc: BaseException) -> bool:
    """Whether `exc` is the engine failing to read the index's files (damaged, not missing):
    one of UNREADABLE, or Whoosh's own IndexError ("created on a different architecture"),
    raised inside Whoosh. The same types raised by splib's own code are bugs, and stay so."""
    frame = exc.__traceback__
    if frame is None:
        return False
    while frame.tb_next is not None:
        frame = frame.tb_next
    if f"{os.sep}whoosh{os.sep}" not in frame.tb_frame.f_code.co_filename:
        return False
    from whoosh.index import IndexError as WhooshIndexError

    return isinstance(exc, (*UNREADABLE, WhooshIndexError))


class IndexGone(SplibError):
    """The index folder vanished or was emptied while it was being read (a rebuild swept the
    generation away): open the live one again."""


class Query(Protocol):
    """A query the engine built and alone reads; the rest of splib only passes it back."""


# Written words a `word*` or `word~N` stands for: (typed word in lower case, prefix, edits) ->
# the words of the library it may mean (search.py walks the library's vocabulary).
Expand = Callable[[str, bool, int], Sequence[str]]


@dataclass(frozen=True)
class IndexDocument:
    """What the index holds for a catalog entry (`kind` "entry", `page` 0) or one page."""

    report: str
    kind: str
    page: int
    title: str
    organization: str
    authors: str
    date: str
    url: str
    source: str
    year: int | None = None
    summary: str = ""  # entries: the summary with the topics
    text: str = ""  # pages: the page's text, shown in snippets
    # Whether it is a passage searched as `body`: every page, and an entry that has a summary
    # (or whose report has no text); `body` holds the title with the summary or the page.
    passage: bool = True
    label: str | None = None  # the page number printed on the page
    ocr: float | None = None  # read by OCR: Tesseract's mean confidence


@dataclass(frozen=True)
class Stored:
    """A stored document as a search reads it back."""

    report: str
    kind: str
    page: int
    title: str
    organization: str
    date: str
    url: str
    source: str
    summary: str
    text: str
    label: str | None
    ocr: bool


@dataclass(frozen=True)
class Where:
    """Which reports a search may return: words of the organisation (`--org`), an
    organisation exactly as written (a facet chosen), a span of years, report ids."""

    org: str | None = None
    organization: str | None = None
    years: tuple[int, int] | None = None
    within: frozenset[str] | None = None


@dataclass(frozen=True)
class Match:
    """A matching document: its score and its number within the searcher that found it."""

    score: float
    doc: int


@dataclass(frozen=True)
class ReportMatches:
    """A matching report with its matching documents, best first."""

    report: str
    matches: tuple[Match, ...]
    # With `Searcher.search(..., terms=True)`: the (field, word) pairs its documents matched.
    terms: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Facets:
    """How many matching reports each organisation and each year has, most first; each
    counted under the search's other filters, so that another value can be chosen."""

    organization: tuple[tuple[str, int], ...] = ()
    year: tuple[tuple[int, int], ...] = ()

    def to_json(self) -> dict[str, list[list[str | int]]]:
        return {"organization": [[name, n] for name, n in self.organization],
                "year": [[year, n] for year, n in self.year]}


@dataclass(frozen=True)
class Ranked:
    """The answer to one `Searcher.search`."""

    reports: tuple[ReportMatches, ...]  # best first, or in the order asked for
    matched: frozenset[str]  # every matching report's id
    facets: Facets | None = None
    # Every matching document was ranked: asking for more reports would find no more.
    complete: bool = False


@dataclass(frozen=True)
class Marked:
    """The indexed words a query looks for, by field: words, prefixes (`word*`) and phrases
    ("T visa": highlighted only where its words stand together)."""

    words: Mapping[str, frozenset[str]]
    prefixes: Mapping[str, frozenset[str]]
    phrases: Mapping[str, frozenset[tuple[str, ...]]] = field(default_factory=dict)


class Searcher(Protocol):
    """An open view of one index generation (see the module docstring)."""

    def doc_count(self) -> int: ...

    def compile(self, node: Node, boosts: Mapping[str, float], expand: Expand,
                split: str = "", merge: bool = False) -> Query | None: ...

    def weighted(self, terms: Iterable[tuple[str, str, float]]) -> Query: ...

    def either(self, queries: Sequence[Query]) -> Query: ...

    def nothing(self) -> Query: ...

    def marked(self, query: Query) -> Marked: ...

    def search(self, query: Query, where: Where, limit: int | None, pages: int,
               order: str = "relevance", facets: bool = False,
               exclude: str | None = None, terms: bool = False) -> Ranked: ...

    def any_match(self, query: Query | None, where: Where) -> bool: ...

    def best_passages(self, query: Query, where: Where, count: int) -> list[int]: ...

    def stored(self, doc: int) -> Stored: ...

    def is_entry(self, doc: int) -> bool: ...

    def report_docs(self, report: str) -> list[int]: ...

    def key_terms(self, docs: Sequence[int], field: str, count: int) \
        -> list[tuple[str, float]]: ...

    def doc_frequency(self, field: str, term: str) -> int: ...

    def has_term(self, field: str, term: str) -> bool: ...

    def terms_starting(self, field: str, prefix: str, limit: int) -> list[str]:
        """Up to `limit` of the field's indexed terms that start with `prefix`, in order."""
        ...

    def years(self) -> tuple[int, int] | None: ...


class Index(Protocol):
    folder: Path

    def searcher(self, b: float, k1: float) -> AbstractContextManager[Searcher]: ...

    def close(self) -> None: ...


class IndexWriter(Protocol):
    def add(self, document: IndexDocument) -> None: ...

    def delete_report(self, report: str) -> None: ...

    def commit(self) -> None: ...

    def cancel(self) -> None: ...

    def pages(self) -> int: ...


def open_index(folder: Path) -> Index:
    """The index generation in `folder`; `IndexGone` when it is missing or empty."""
    from .searching import open_folder

    return open_folder(folder)


def create_index(folder: Path) -> IndexWriter:
    """A writer into a new, empty index in `folder`."""
    from .writing import create

    return create(folder)


def clone_index(source: Path, folder: Path, own: frozenset[str] = frozenset()) -> IndexWriter:
    """A writer into a copy of the generation in `source` made in `folder` with hard links
    (Whoosh never rewrites a file it committed); the files named in `own`, which the caller
    writes beside the index, are left for it to write anew."""
    from .writing import clone

    return clone(source, folder, own)

