"""Searching one index generation with Whoosh: the `Searcher` of the engine interface."""

from __future__ import annotations

import contextlib
import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.query import QueryError as WhooshQueryError

from ..errors import brief
from ..query import Node
from . import (
    EngineQueryError,
    Expand,
    Facets,
    IndexGone,
    Marked,
    Match,
    Query,
    Ranked,
    ReportMatches,
    Stored,
    Where,
)
from .columns import Column
from .keyterms import Frequencies, key_terms
from .queries import (
    Compiler,
    NameTest,
    facet_counts,
    is_plain,
    marked,
    merge_repeats,
    name_parts,
    split_exclusions,
    weighted,
    where_filter,
    whole_lists,
)
from .schema import FIELD_DOCS
from .scoring import LibraryBM25

if TYPE_CHECKING:
    from .arrays import Generation

# The most documents ranked before grouping them by report (see `WhooshSearcher._rank`).
MAX_CANDIDATES = 5000
# From this many documents, queries of words alone are scored over whole posting lists
# (`arrays.py`); below it Whoosh's matchers cost less than loading numpy (README,
# "Performance").
ARRAYS_FROM = 1000
ORDERS = ("relevance", "newest", "oldest")


class WhooshIndex:
    """An index generation on disk (`engine.Index`), with what its documents are once read
    (`arrays.Generation`)."""

    def __init__(self, folder: Path, ix: Any) -> None:
        self.folder = folder
        self.ix = ix
        self._generation: Generation | None = None
        self._entries: frozenset[int] | None = None
        self._lock = threading.Lock()
        self.frequencies = Frequencies()
        # One Whoosh searcher kept open for the searches of this generation (opening one
        # reads every segment's tables again); a search that finds it in use by another
        # thread opens its own for the time of that search.
        self._kept: dict[tuple[float, float], Any] = {}
        self._in_use = threading.Lock()
        weakref.finalize(self, _close_all, self._kept)

    @contextlib.contextmanager
    def searcher(self, b: float, k1: float) -> Iterator[WhooshSearcher]:
        if self._in_use.acquire(blocking=False):
            try:
                searcher = self._kept.get((b, k1))
                if searcher is None:
                    searcher = self._kept[(b, k1)] = self._open(b, k1)
                yield WhooshSearcher(searcher, b, k1, self, self.frequencies)
            finally:
                self._in_use.release()
            return
        with self._open(b, k1) as searcher:
            yield WhooshSearcher(searcher, b, k1, self, self.frequencies)

    def _open(self, b: float, k1: float) -> Any:
        try:
            return self.ix.searcher(weighting=LibraryBM25(B=b, K1=k1))
        except (FileNotFoundError, whoosh_index.EmptyIndexError) as exc:
            raise IndexGone(f"The index in {self.folder} is gone ({brief(exc)}).") from None

    def close(self) -> None:
        """Close the kept searcher (its open files)."""
        with self._in_use:
            _close_all(self._kept)

    def generation(self, reader: Any) -> Generation:
        """What this generation's documents are, read the first time a search needs it."""
        from .arrays import Generation

        with self._lock:
            if self._generation is None:
                self._generation = Generation(reader)
            return self._generation


    def entries(self, reader: Any) -> frozenset[int]:
        """The numbers of this generation's catalog-entry documents, read once."""
        with self._lock:
            if self._entries is None:
                kind, entry = FIELD_DOCS["summary"]
                self._entries = frozenset(reader.postings(kind, entry).all_ids()) \
                    if (kind, entry) in reader else frozenset()
            return self._entries


def _close_all(kept: dict[tuple[float, float], Any]) -> None:
    for searcher in kept.values():
        searcher.close()
    kept.clear()


def open_folder(folder: Path) -> WhooshIndex:
    try:
        return WhooshIndex(folder, whoosh_index.open_dir(str(folder)))
    except (FileNotFoundError, whoosh_index.EmptyIndexError) as exc:
        raise IndexGone(f"No index in {folder} ({brief(exc)}).") from None


class WhooshSearcher:
    """`engine.Searcher` over a Whoosh searcher."""

    def __init__(self, searcher: Any, b: float, k1: float, index: WhooshIndex,
                 frequencies: Frequencies) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = searcher.schema
        self.b = b
        self.k1 = k1
        self._index = index
        self.frequencies = frequencies

    @cached_property
    def generation(self) -> Generation:
        return self._index.generation(self.reader)

    def _whole_lists(self, q: Any) -> bool:
        """Whether to score `q` over whole posting lists (`arrays.py`): a query of words alone
        over an index large enough for it to pay for loading numpy."""
        return int(self.reader.doc_count_all()) >= ARRAYS_FROM and whole_lists(q)

    @cached_property
    def _report_of(self) -> Column:
        """The report of each document (an empty index has no columns to read)."""
        return Column(self.reader, "report")

    # -- queries ---------------------------------------------------------------------------

    def compile(self, node: Node, boosts: Mapping[str, float], expand: Expand,
                split: str = "", merge: bool = False) -> Query | None:
        q = Compiler(self.schema, boosts, expand, split).node(node)
        return merge_repeats(q) if merge else q  # type: ignore[no-any-return]

    def weighted(self, terms: Iterable[tuple[str, str, float]]) -> Query:
        return weighted(terms)  # type: ignore[no-any-return]

    def either(self, queries: Sequence[Query]) -> Query:
        return wq.Or(list(queries))  # type: ignore[no-any-return]

    def nothing(self) -> Query:
        return wq.NullQuery  # type: ignore[no-any-return]

    def marked(self, query: Query) -> Marked:
        return marked(query)

    # -- searching -------------------------------------------------------------------------

    def search(self, query: Query, where: Where, limit: int | None, pages: int,
               order: str = "relevance", facets: bool = False,
               exclude: str | None = None, terms: bool = False) -> Ranked:
        """The reports matching `query` under `where`: by relevance, at least `limit` of
        them with up to `pages` of their best documents each (every one with `limit` None);
        "newest" or "oldest" first, every one. `exclude` leaves out a report; `facets`
        counts organisations and years; `terms` notes the words each report matched."""
        if order not in ORDERS:
            raise ValueError(f"order {order!r}")
        try:
            positive, negatives = split_exclusions(query)
            everything = limit is None or order != "relevance"
            if not terms and self._whole_lists(positive):
                return self._scored(positive, negatives, exclude, where,
                                    None if everything else limit, pages, order, facets)
            mask = self._mask(negatives, exclude)
            flt = where_filter(where)
            groups, complete = self._rank(positive, flt, mask, None if everything else limit,
                                          pages, terms)
            found = self._found(positive, where, mask, groups, complete, facets)
        except WhooshQueryError as exc:  # what Whoosh cannot run is the query's
            raise EngineQueryError(f"Could not run the query ({brief(exc, 160)}).") from None
        matched, counted = found
        reports = [ReportMatches(report=rid, matches=tuple(Match(s, d) for s, d in docs),
                                 terms=frozenset(matched_terms))
                   for rid, (docs, matched_terms) in groups.items()]
        if order != "relevance":
            reports = self._by_date(reports, newest=order == "newest")
        return Ranked(reports=tuple(reports), matched=matched, facets=counted,
                      complete=complete)

    def _scored(self, q: Any, negatives: Any, exclude: str | None, where: Where,
                limit: int | None, pages: int, order: str, facets: bool) -> Ranked:
        """`search` for a query of words alone, scored over whole posting lists
        (`arrays.py`): the same scores, order, groups, totals and facets."""
        import numpy as np

        generation = self.generation
        base = generation.reports_allowed(where, names=False)
        excluded = self._excluded(negatives, exclude)
        if excluded:
            base = np.ones(len(generation.names), dtype=bool) if base is None else base.copy()
            for rid in excluded:
                if rid in generation.codes:
                    base[generation.codes[rid]] = False
        named = generation.names_allowed(where)
        allowed = base if named is None else named if base is None else base & named
        scores, matched, shown, ranked = self._arrays(q, allowed)
        names = generation.names

        def rank(wanted: int | None) -> tuple[OrderedDict[str, list[Match]], int]:
            top = ranked if wanted is None else ranked[:wanted]
            groups: OrderedDict[str, list[Match]] = OrderedDict()
            for doc, code in zip(top.tolist(), generation.code[top].tolist(), strict=True):
                groups.setdefault(names[code], []).append(Match(float(scores[doc]), doc))
            return groups, len(top)

        groups, complete = _candidates(limit, pages, rank)
        codes = np.unique(generation.code[shown])
        found = frozenset(names[c] for c in codes.tolist())
        counted = None
        if facets:
            reachable = matched if base is None else matched & base[generation.code]
            counted = facet_counts(
                ((generation.organization[c], generation.year[c])
                 for c in np.unique(generation.code[reachable]).tolist()), NameTest(where))
        reports = [ReportMatches(report=rid, matches=tuple(docs)) for rid, docs in groups.items()]
        if order != "relevance":
            reports = self._by_date(reports, newest=order == "newest")
        return Ranked(reports=tuple(reports), matched=found, facets=counted, complete=complete)

    def _arrays(self, q: Any, allowed: Any) -> tuple[Any, Any, Any, Any]:
        """`q` over whole posting lists: every document's score, whether it matches, whether
        it matches in a report `allowed` lets through (None: every report), and those
        documents best first."""
        from .arrays import Scorer
        from .arrays import order as order_documents

        generation = self.generation
        scores, matched = Scorer(generation, self.searcher, self.b, self.k1).score(q)
        matched &= generation.alive
        shown = matched if allowed is None else matched & allowed[generation.code]
        return scores, matched, shown, order_documents(scores, shown)

    def _excluded(self, negatives: Any, exclude: str | None) -> set[str]:
        """The reports the query excludes (`-word`, NOT), and `exclude`."""
        excluded: set[str] = set()
        if negatives is not None:
            excluded = {self._report_of[d] for d in self.searcher.docs_for_query(negatives)}
        if exclude is not None:
            excluded.add(exclude)
        return excluded

    def _mask(self, negatives: Any, exclude: str | None) -> Any:
        """Every document of the reports the query excludes (`-word`, NOT) and of `exclude`."""
        excluded = self._excluded(negatives, exclude)
        if not excluded:
            return None
        return wq.Or([wq.Term("report", rid) for rid in sorted(excluded)])

    def _rank(self, q: Any, flt: Any, mask: Any, limit: int | None, pages: int,
              terms: bool) -> tuple[_Groups, bool]:
        """Matching documents grouped by report, best first, and whether every matching
        document was ranked.

        Fewer candidates let Whoosh skip more low-scoring blocks (see `_candidates`).
        """
        def rank(wanted: int | None) -> tuple[_Groups, int]:
            results = self.searcher.search(q, filter=flt, mask=mask, limit=wanted, terms=terms)
            groups: _Groups = OrderedDict()
            if terms:
                for hit in results:
                    docs, matched = groups.setdefault(self._report_of[hit.docnum], ([], set()))
                    docs.append((hit.score, hit.docnum))
                    matched.update(_decoded(hit.matched_terms() or ()))
            else:
                for score, docnum in results.top_n:
                    groups.setdefault(self._report_of[docnum], ([], set()))[0].append(
                        (score, docnum))
            return groups, len(results.top_n)

        return _candidates(limit, pages, rank)

    def _found(self, q: Any, where: Where, mask: Any, groups: Mapping[str, Any],
               complete: bool, facets: bool) -> tuple[frozenset[str], Facets | None]:
        """Every matching report's id, and the facet counts when asked for."""
        named = bool(name_parts(where))
        if not facets:
            if complete:
                return frozenset(groups), None
            return frozenset(self._matching(q, where_filter(where), mask)), None
        if complete and not named:
            base = {rid: docs[0][1] for rid, (docs, _) in groups.items()}
        else:
            base = self._matching(q, where_filter(where, with_names=False), mask)
        org_of = Column(self.reader, "organization")
        year_of = Column(self.reader, "year")
        info = {rid: (org_of.text(doc), int(year_of[doc] or 0)) for rid, doc in base.items()}
        test = NameTest(where)
        matched = frozenset(rid for rid, (org, year) in info.items() if test.passes(org, year))
        return matched, facet_counts(info.values(), test)

    def _matching(self, q: Any, flt: Any, mask: Any) -> dict[str, int]:
        """Each report with a document matching `q` under the filter and the mask, with one
        such document.

        For an any-word query with no filter this is the union of its words' posting lists,
        read directly: walking Whoosh's tree of union matchers over every match cost most of
        a search at a hundred times this library's size.
        """
        if flt is None and mask is None and is_plain(q):
            docs: set[int] = set()
            for leaf in q.leaves():
                if (leaf.fieldname, leaf.text) in self.reader:
                    docs.update(self.reader.postings(leaf.fieldname, leaf.text).all_ids())
            found = (d for d in docs if not self.reader.is_deleted(d))
        else:
            allowed = set(self.searcher.docs_for_query(flt)) if flt is not None else None
            masked = set(self.searcher.docs_for_query(mask)) if mask is not None else ()
            found = (d for d in self.searcher.docs_for_query(q)
                     if (allowed is None or d in allowed) and d not in masked)
        reports: dict[str, int] = {}
        for doc in found:
            reports.setdefault(self._report_of[doc], doc)
        return reports

    def _by_date(self, reports: list[ReportMatches], newest: bool) -> list[ReportMatches]:
        """Dated reports by date (ties by id), then the undated by id."""
        date_of = Column(self.reader, "date")
        dates = {r.report: date_of.text(r.matches[0].doc) for r in reports}
        dated = sorted((r for r in reports if dates[r.report]),
                       key=lambda r: (dates[r.report], r.report), reverse=newest)
        return dated + sorted((r for r in reports if not dates[r.report]),
                              key=lambda r: r.report)

    def any_match(self, query: Query | None, where: Where) -> bool:
        if query is not None:  # exclusions leave out whole reports, as in `search`
            return bool(self.search(query, where, 1, 1).reports)
        q = wq.Every() if query is None else query
        try:
            return bool(self.searcher.search(q, filter=where_filter(where), limit=1))
        except WhooshQueryError as exc:
            raise EngineQueryError(f"Could not run the query ({brief(exc, 160)}).") from None

    def best_passages(self, query: Query, where: Where, count: int) -> list[int]:
        """The best `count` documents with a passage of text (pages, not entries' few words)."""
        try:
            if self._whole_lists(query):
                ranked = self._arrays(query, self.generation.reports_allowed(where))[3]
                top = ranked[:count * 3].tolist()
                return [d for d in top if self.searcher.stored_fields(d).get("body")][:count]
            first = self.searcher.search(query, filter=where_filter(where), limit=count * 3)
            return [hit.docnum for hit in first if hit.get("body")][:count]
        except WhooshQueryError as exc:
            raise EngineQueryError(f"Could not run the query ({brief(exc, 160)}).") from None

    # -- reading ---------------------------------------------------------------------------

    def doc_count(self) -> int:
        return int(self.searcher.doc_count())

    def stored(self, doc: int) -> Stored:
        f = self.searcher.stored_fields(doc)
        return Stored(report=f["report"], kind=f["kind"], page=int(f.get("page") or 0),
                      title=f.get("title", ""), organization=f.get("org", ""),
                      date=f.get("date", ""), url=f.get("url", ""),
                      source=f.get("source", ""), summary=f.get("summary", ""),
                      text=f.get("body", ""), label=f.get("label"), ocr="ocr" in f)

    def is_entry(self, doc: int) -> bool:
        return doc in self._index.entries(self.reader)

    def report_docs(self, report: str) -> list[int]:
        return list(self.searcher.document_numbers(report=report))

    def key_terms(self, docs: Sequence[int], field: str, count: int) \
            -> list[tuple[str, float]]:
        texts = [self.searcher.stored_fields(d).get(field) or "" for d in docs]
        return key_terms(self.frequencies, self.reader, texts, field, count)

    def doc_frequency(self, field: str, term: str) -> int:
        return int(self.reader.doc_frequency(field, term))

    def has_term(self, field: str, term: str) -> bool:
        return (field, term) in self.reader

    def terms_starting(self, field: str, prefix: str, limit: int) -> list[str]:
        found = itertools.islice(self.reader.expand_prefix(field, prefix), limit)
        return [term.decode("utf-8") for term in found]

    def years(self) -> tuple[int, int] | None:
        field = self.schema["year"]
        dated = [field.from_bytes(b) for b in field.sortable_terms(self.reader, "year")]
        return (min(dated), max(dated)) if dated else None


_G = TypeVar("_G", bound=Sized)
# Each report's matching documents (score, number) and the (field, word) pairs they matched.
_Groups: TypeAlias = "OrderedDict[str, tuple[list[tuple[float, int]], set[tuple[str, str]]]]"


def _candidates(limit: int | None, pages: int,
                rank: Callable[[int | None], tuple[_G, int]]) -> tuple[_G, bool]:
    """The matching documents grouped by report, from `rank(wanted)` (the best `wanted`
    documents, all with None, grouped, and how many were ranked), and whether every matching
    document was ranked.

    Enough documents to fill `limit` reports with their best pages; more only when a few
    reports hold all of those.
    """
    wanted = None if limit is None else limit * (pages + 1) * 5
    while True:
        groups, ranked = rank(wanted)
        if wanted is None or ranked < wanted:
            return groups, True
        if limit is None or len(groups) >= limit or wanted >= MAX_CANDIDATES:
            return groups, False
        wanted *= 4


def _decoded(matched: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, str]]:
    for field, term in matched:
        yield field, term.decode("utf-8") if isinstance(term, bytes) else str(term)

