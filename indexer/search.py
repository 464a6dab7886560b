"""Parse a query, search the index, group hits by report, and cut highlighted snippets.

Queries use Whoosh's query language with all words required by default; when nothing
matches, the search falls back to any word and says so. Results are reports, best first,
each with its best pages' snippets (page number, printed label, highlight offsets) and the
summary's snippet when the summary matched.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, replace
from dataclasses import field as _field
from typing import Any

from .errors import QueryError
from .schema import FIELD_BOOSTS, TEXT_FIELDS, name_analyzer, text_analyzer
from .scoring import LibraryBM25
from .snippets import Snippet, lead, make_snippet, stem
from .words import load, near, starting

__all__ = ["Hit", "SearchResults", "Similar", "Snippet", "search", "similar"]

log = logging.getLogger(__name__)

# Whoosh's parser is quadratic in the query's length; no real question needs more.
MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 60
# A fuzzy term with more edits than this matches nearly every word and takes ages.
MAX_FUZZY_EDITS = 2
# Words a fuzzy or prefix term may expand to; past this the query is too vague to help.
MAX_EXPANSIONS = 200
# Key terms taken from a report (its summary, and up to SIMILAR_PAGES pages) to find others.
SIMILAR_TERMS = 15
SIMILAR_PAGES = 20
# Similar reports listed per result in the JSON of `splib search --json` and /api/search.
JSON_MORE_LIKE_THIS = 3
# How many documents `similar` ranks before grouping them by report.
CANDIDATES = 2000
# The most documents ranked before grouping them by report (see `_run`).
MAX_CANDIDATES = 5000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

# The free-text path (see `free_text_words`); every figure here was tuned on Cranfield with
# benchmarks/relevance.py, and the README's "Search quality" says what each one moved.
FREE_TEXT_MIN_WORDS = 4
# A title counts like body text in a question: long questions name the subject in many
# words, and a title boost lets one of them outweigh the rest.
# Organisation and author names are left out of a question's fields: they seldom carry its
# subject, and every field multiplies the work of an any-word query (each word is looked up
# in each field).
FREE_TEXT_BOOSTS = {"title": 1.0, "summary": FIELD_BOOSTS["summary"], "body": 1.0}
FEEDBACK_DOCS = 5  # best pages whose key terms widen a question
FEEDBACK_TERMS = 20
FEEDBACK_WEIGHT = 0.6  # of the strongest key term, relative to a typed word
# Words that give a question its form, not its subject.
QUESTION_WORDS = frozenset(
    """
    a about also an and any are as at be been being but by can could did do does done for
    from had has have how i if in into is it its may me might more most much must my no not
    of on or other our should so some such than that the their them then there these they
    this those to upon us was we were what when where which while who whom whose why will
    with within without would you your
    """.split()  # noqa: SIM905 (a word list reads better as words)
)
_PLAIN_WORD = re.compile(r"[^\W_][\w'\u2019-]*")
# Anything that makes a query more than plain words.
_SYNTAX = re.compile(r"""["():\[\]{}*?~^]|(?:^|\s)[+-]|\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE|TO)\b""")
# A plain word of the query: not a field name, not a wildcard or fuzzy term.
_WORD = re.compile(r"(?<![\w:*~])[A-Za-z][A-Za-z']{2,}(?![\w:*~])")
# Field names a person may use in a query (and their aliases, see make_parser).
QUERY_FIELDS = frozenset({"title", "summary", "body", "org", "organization", "organisation",
                          "author", "authors", "by", "year"})
# `name:` outside quotes, at the start of a word (so "10:30" or "http://" are not fields).
_FIELD_NAME = re.compile(r'(?<![\w"])([A-Za-z_]+):(?!//)')
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})
_SPELL_FIELDS = ("body", "summary", "title")
_YEARS = re.compile(r"^\s*(\d{4})\s*(?:(?:-|\u2013|\.\.|to)\s*(\d{4})\s*)?$")


@dataclass(frozen=True)
class Hit:
    """One report in the results."""

    id: str
    title: str
    organization: str
    date: str
    url: str
    source: str
    score: float
    snippets: tuple[Snippet, ...]
    more_like_this: tuple[Similar, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "organization": self.organization,
                "date": self.date, "url": self.url, "source": self.source,
                "score": round(self.score, 4),
                "snippets": [s.to_json() for s in self.snippets],
                "more_like_this": [m.to_json() for m in self.more_like_this]}


@dataclass(frozen=True)
class Similar:
    """A report like another one, with the key terms that tie them."""

    id: str
    title: str
    organization: str
    date: str
    score: float
    terms: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "organization": self.organization,
                "date": self.date, "score": round(self.score, 4), "terms": list(self.terms)}


@dataclass(frozen=True)
class SearchResults:
    """The answer to one query."""

    query: str
    total: int
    fallback: bool
    suggestion: str | None
    results: tuple[Hit, ...]
    # Every matching report's id (not in the JSON): what facets count.
    matched: frozenset[str] = _field(default=frozenset(), compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total, "fallback": self.fallback,
                "suggestion": self.suggestion, "results": [r.to_json() for r in self.results]}


def parse_years(value: str | int | tuple[int, int] | None) -> tuple[int, int] | None:
    """`2013` or `2008-2013` as an inclusive range; raise `QueryError` for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value, value
    if isinstance(value, tuple):
        return min(value), max(value)
    match = _YEARS.match(value)
    if not match:
        raise QueryError(f"--year takes a year or a range like 2008-2013, got {value!r}.")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    return min(first, last), max(first, last)


def clean_query(query: str) -> str:
    text = _CONTROL.sub(" ", query).strip()
    if not text:
        raise QueryError("Type some words to search for, e.g. splib search \"T visa\".")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"The query is {len(text):,} characters long; the limit is {MAX_QUERY_CHARS:,}. "
            "Search for its key words or a phrase instead."
        )
    return text


def make_parser(schema: Any, any_word: bool = False,
                boosts: dict[str, float] | None = None) -> Any:
    from whoosh import qparser

    group = qparser.OrGroup.factory(0.9) if any_word else qparser.AndGroup
    boosts = boosts or FIELD_BOOSTS
    parser = qparser.MultifieldParser(list(boosts), schema, fieldboosts=boosts, group=group)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    # "+word"/"-word" only at the start of a word: "anti-trafficking" stays one term.
    parser.add_plugin(qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+",
                                              minusexpr=r"(?<![^\s(])-"))
    parser.add_plugin(qparser.FieldAliasPlugin({
        "org": ["organization", "organisation"], "author": ["authors", "by"],
    }))
    return parser


def parse_query(schema: Any, text: str, any_word: bool = False,
                boosts: dict[str, float] | None = None) -> Any:
    """Parse `text` into a Whoosh query; raise `QueryError` with a one-line reason."""
    from whoosh import query as wq

    for name in _FIELD_NAME.findall(text):
        if name.lower() not in QUERY_FIELDS:
            raise QueryError(
                f"Unknown field {name}: in the query. Fields you can name: "
                f"{', '.join(sorted(QUERY_FIELDS))} (e.g. title:visa, year:2013)."
            )

    try:
        q = make_parser(schema, any_word, boosts).parse(text)
    except Exception as exc:  # Whoosh's parser raises assorted errors on odd input
        raise QueryError(f"Could not read the query ({_words(exc)}). "
                         "Check its quotes, brackets and field names.") from None
    if q is None or q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        raise QueryError("Nothing to search for: the query holds only very common words or "
                         "operators. Add a word that says what you are looking for.")
    terms = list(q.iter_all_terms()) if hasattr(q, "iter_all_terms") else []
    if len(terms) > MAX_QUERY_TERMS * len(TEXT_FIELDS):
        raise QueryError(f"The query has too many words; use at most {MAX_QUERY_TERMS}.")
    return _tame(q)


def _tame(q: Any) -> Any:
    """Clamp what would make one query slow: fuzzy edits beyond MAX_FUZZY_EDITS."""
    from whoosh import query as wq

    if isinstance(q, wq.FuzzyTerm):
        q.maxdist = min(int(q.maxdist), MAX_FUZZY_EDITS)
        q.prefixlength = max(int(q.prefixlength), 1)
        return q
    return _apply(q, _tame)


def _apply(q: Any, fn: Any) -> Any:
    """`q.apply(fn)` that keeps an `Or`'s coordination `scale` and `minmatch`, which Whoosh's
    compound `apply` drops (the any-word bonus for documents matching more words)."""
    if q.is_leaf():
        return q
    out = q.apply(fn)
    for attr in ("scale", "minmatch"):
        if hasattr(q, attr):
            setattr(out, attr, getattr(q, attr))
    return out


def _expand(q: Any, reader: Any, text: str, written: tuple[str, ...]) -> Any:
    """Expand fuzzy and prefix terms of the stemmed fields through the words as written.

    Whoosh matches `word~` against the unstemmed spelling words of a field but then looks the
    matches up as stems, so "cerification~" found nothing; here the typed word is matched
    against the written words and each match is turned into its stem.
    """
    from whoosh import query as wq

    if isinstance(q, (wq.FuzzyTerm, wq.Prefix)) and q.fieldname in _SPELL_FIELDS:
        words: list[str]
        if isinstance(q, wq.FuzzyTerm):
            typed = re.sub(r"~\d*$", "", text[q.startchar:q.endchar]).rsplit(":", 1)[-1]
            typed = typed.strip().lower()
            if len(typed) <= q.prefixlength:
                return wq.NullQuery  # "~" alone, or nothing but the prefix: no word to fuzz
            if q.fieldname == "body":
                words = near(written, typed, q.maxdist, q.prefixlength, MAX_EXPANSIONS)
            else:
                words = reader.terms_within(q.fieldname, typed, q.maxdist,
                                            prefix=q.prefixlength)
        elif q.fieldname == "body":
            words = starting(written, q.text, MAX_EXPANSIONS)
        else:
            spell = "spell_" + q.fieldname
            words = [b.decode("utf-8") for b in reader.expand_prefix(spell, q.text)]
        stems: set[str] = set()
        for word in words:
            stemmed = stem(word.lower())
            if stemmed is not None:
                stems.add(stemmed)
            if len(stems) >= MAX_EXPANSIONS:
                break
        terms = [wq.Term(q.fieldname, stem, boost=q.boost) for stem in sorted(stems)]
        if isinstance(q, wq.Prefix):
            terms.append(q)  # stems that start with the prefix, too
        return wq.Or(terms) if terms else wq.NullQuery
    return _apply(q, lambda sub: _expand(sub, reader, text, written))


def make_filter(org: str | None, years: tuple[int, int] | None,
                within: Collection[str] | None = None) -> Any:
    """The filter for `--org` (words of the organisation), `--year` (a range) and `within`
    (report ids, as chosen from a facet)."""
    from whoosh import query as wq

    parts: list[Any] = []
    if within is not None:
        parts.append(wq.Or([wq.Term("report", rid) for rid in sorted(within)])
                     if within else wq.NullQuery)
    if org:
        words = [t.text for t in name_analyzer()(org)]
        if not words:
            raise QueryError(f"--org {org!r} has no words to match; give part of a name.")
        parts.append(wq.And([wq.Term("org", w) for w in words]))
    if years:
        parts.append(wq.NumericRange("year", years[0], years[1]))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def search(ix: Any, query: str, limit: int = 10, pages: int = 3, org: str | None = None,
           year: str | int | tuple[int, int] | None = None,
           more_like_this: int = 0, offset: int = 0,
           within: Collection[str] | None = None) -> SearchResults:
    """Search the open index `ix`; see the module docstring. `offset` skips that many of the
    best reports (paging); `within` keeps only the reports with those ids."""
    if limit < 1 or pages < 0 or offset < 0:
        raise QueryError("--limit must be at least 1, --pages and the offset at least 0.")
    text = clean_query(query)
    flt = make_filter(org, parse_years(year), within)
    wanted = offset + limit
    with ix.searcher(weighting=LibraryBM25()) as searcher:
        reader = searcher.reader()
        written = load(str(ix.storage.folder))
        words = free_text_words(text)
        fallback = False
        if words:
            # A question in plain words: any word may match, ranked by BM25 over all of them,
            # then widened by the words that the best pages share (pseudo-relevance feedback).
            plain = " ".join(words)
            q = _expand(parse_query(ix.schema, plain, any_word=True, boosts=FREE_TEXT_BOOSTS),
                        reader, plain, written)
            marked = query_terms(q)  # the feedback's words rank but are not highlighted
            grouped, matched = _run(searcher, _feedback(searcher, q, flt), flt, wanted, pages)
        else:
            q = _expand(parse_query(ix.schema, text), reader, text, written)
            grouped, matched = _run(searcher, q, flt, wanted, pages)
            if not grouped:
                loose = _expand(parse_query(ix.schema, text, any_word=True), reader, text,
                                written)
                if loose != q:
                    q = loose
                    grouped, matched = _run(searcher, q, flt, wanted, pages)
                    fallback = bool(grouped)
            marked = query_terms(q)
        # A long question gets "Did you mean" only when it found nothing: its rare words are
        # more often the subject than a typo, and correcting each costs a word-graph walk.
        suggestion = _suggest(searcher, text, flt, written) \
            if not words or not grouped else None
        results = tuple(_hit(searcher, rid, docs, pages, marked)
                        for rid, docs in list(grouped.items())[offset:wanted])
        if more_like_this:
            results = tuple(replace(hit, more_like_this=tuple(
                _similar(searcher, hit.id, more_like_this))) for hit in results)
    return SearchResults(query=query, total=len(matched), fallback=fallback,
                         suggestion=suggestion, results=results, matched=matched)


def free_text_words(text: str) -> list[str] | None:
    """The content words of a plain-language question, or None for a keyword query.

    A query with no syntax (quotes, fields, operators, wildcards, brackets) and at least
    FREE_TEXT_MIN_WORDS words once question words are dropped is a question: "what problems of
    heat conduction in composite slabs have been solved so far".
    """
    if _SYNTAX.search(text):
        return None
    words = [w for w in _PLAIN_WORD.findall(text) if w.lower() not in QUESTION_WORDS]
    return words if len(words) >= FREE_TEXT_MIN_WORDS else None


def _feedback(searcher: Any, q: Any, flt: Any) -> Any:
    """`q` widened by the key terms of its best pages (which rank, but are not highlighted:
    the person did not type them)."""
    from whoosh import query as wq

    try:
        first = searcher.search(q, filter=flt, limit=FEEDBACK_DOCS * 3)
        docnums = [hit.docnum for hit in first if hit.get("body")][:FEEDBACK_DOCS]
        if not docnums:
            return q
        terms = searcher.key_terms(docnums, "body", numterms=FEEDBACK_TERMS)
    except Exception as exc:  # feedback is a refinement; the plain query still answers
        log.debug("feedback skipped: %s", exc)
        return q
    if not terms:
        return q
    top = terms[0][1] or 1.0
    expansion = [wq.Term("body", term, boost=FEEDBACK_WEIGHT * score / top)
                 for term, score in terms]
    return wq.Or([q, wq.Or(expansion)])


def similar(ix: Any, report_id: str, limit: int = 5) -> list[Similar]:
    """The reports most like `report_id` (Whoosh key terms of its summary and pages)."""
    with ix.searcher(weighting=LibraryBM25()) as searcher:
        return _similar(searcher, report_id, limit)


def _similar(searcher: Any, report_id: str, limit: int) -> list[Similar]:
    from whoosh import query as wq

    from .errors import NotFoundError

    docnums = list(searcher.document_numbers(report=report_id))
    if not docnums:
        raise NotFoundError(f"{report_id!r} is not in the index yet. Run `splib update`.")
    weights: dict[tuple[str, str], float] = {}
    texts: list[str] = []
    stored = [(d, searcher.stored_fields(d)) for d in docnums]
    for field in ("summary", "body"):
        having = [(d, fields[field]) for d, fields in stored if fields.get(field)]
        having = having[:SIMILAR_PAGES]
        texts += [text for _, text in having]
        if having:
            for term, score in searcher.key_terms([d for d, _ in having], field,
                                                  numterms=SIMILAR_TERMS):
                weights[(field, term)] = score
    if not weights:
        return []
    top = max(weights.values())
    q = wq.Or([wq.Term(field, term, boost=score / top)
               for (field, term), score in weights.items()])
    results = searcher.search(q, mask=wq.Term("report", report_id), limit=CANDIDATES,
                              terms=True)
    found: OrderedDict[str, tuple[Any, set[str]]] = OrderedDict()
    for hit in results:
        _, terms = found.setdefault(hit["report"], (hit, set()))
        for field in ("summary", "body"):
            terms.update(_terms(hit, field))
        if len(found) > limit:
            break
    words = _surface_words(texts)

    def strength(stem: str) -> float:
        return max(weights.get(("body", stem), 0.0), weights.get(("summary", stem), 0.0))

    return [Similar(id=rid, title=hit["title"], organization=hit.get("org", ""),
                    date=hit.get("date", ""), score=float(hit.score),
                    # Strongest first; ties by the word, so every process lists them alike.
                    terms=tuple(words.get(t, t)
                                for t in sorted(terms, key=lambda t: (-strength(t), t))[:8]))
            for rid, (hit, terms) in list(found.items())[:limit]]


def _surface_words(texts: list[str]) -> dict[str, str]:
    """For each stem in `texts`, its most frequent written form ("servic" -> "services")."""
    from collections import Counter

    counts: dict[str, Counter[str]] = {}
    for text in texts:
        for word in _PLAIN_WORD.findall(text[:20000]):
            stemmed = stem(word.lower())
            if stemmed is not None:
                counts.setdefault(stemmed, Counter())[word.lower()] += 1
    return {stem: forms.most_common(1)[0][0] for stem, forms in counts.items()}


def _run(searcher: Any, q: Any, flt: Any, limit: int, pages: int) \
        -> tuple[OrderedDict[str, list[tuple[float, int]]], frozenset[str]]:
    """Matching documents grouped by report, best first, and the ids of every matching
    report."""
    positive, mask = _report_mask(searcher, q)
    # Enough ranked documents to fill `limit` reports with their best pages; more only when a
    # few reports hold all of those. Fewer candidates let Whoosh skip more low-scoring blocks.
    wanted = limit * (pages + 1) * 5
    try:
        report_of = searcher.reader().column_reader("report")
        while True:
            results = searcher.search(positive, filter=flt, mask=mask, limit=wanted)
            grouped: OrderedDict[str, list[tuple[float, int]]] = OrderedDict()
            for score, docnum in results.top_n:
                grouped.setdefault(report_of[docnum], []).append((score, docnum))
            if len(grouped) >= limit or len(results.top_n) < wanted or wanted >= MAX_CANDIDATES:
                break
            wanted *= 4
        if len(results.top_n) < wanted:
            matched = frozenset(grouped)  # every match was ranked
        else:
            matched = frozenset(_matching_reports(searcher, positive, results, flt, mask,
                                                  report_of))
    except Exception as exc:  # e.g. a range over a text field; say so instead of crashing
        raise QueryError(f"Could not run the query ({_words(exc)}).") from None
    return grouped, matched


def _matching_reports(searcher: Any, q: Any, results: Any, flt: Any, mask: Any,
                      report_of: Any) -> set[str]:
    """The reports with a document matching `q`.

    For an any-word query with no filter this is the union of its words' posting lists, read
    directly: walking Whoosh's tree of union matchers over every match cost most of a search
    at a hundred times this library's size.
    """
    from whoosh import query as wq

    plain = flt is None and mask is None and all(
        isinstance(node, (wq.Or, wq.Term)) for node in _nodes(q))
    if not plain:
        return {report_of[docnum] for docnum in results.docs()}
    reader = searcher.reader()
    docs: set[int] = set()
    for leaf in q.leaves():
        if (leaf.fieldname, leaf.text) in reader:
            docs.update(reader.postings(leaf.fieldname, leaf.text).all_ids())
    return {report_of[docnum] for docnum in docs if not reader.is_deleted(docnum)}


def _nodes(q: Any) -> list[Any]:
    out = [q]
    if not q.is_leaf():
        for child in q.children():
            out.extend(_nodes(child))
    return out


def _report_mask(searcher: Any, q: Any) -> tuple[Any, Any]:
    """Split top-level `NOT x` / `-x` off `q`: they exclude whole reports, not single pages.

    A person who types `housing -rural` means reports that do not talk about rural areas;
    Whoosh alone would return every page of such a report that happens not to say "rural".
    """
    from whoosh import query as wq

    negatives: list[Any] = []
    if isinstance(q, wq.AndNot):
        q, negatives = q.a, [q.b]
    elif isinstance(q, wq.And) and any(isinstance(c, wq.Not) for c in q.subqueries):
        negatives = [c.query for c in q.subqueries if isinstance(c, wq.Not)]
        rest = [c for c in q.subqueries if not isinstance(c, wq.Not)]
        q = wq.And(rest) if len(rest) > 1 else (rest[0] if rest else wq.Every())
    if not negatives:
        return q, None
    from whoosh import sorting

    excluded = searcher.search(wq.Or(negatives), limit=None, scored=False,
                               groupedby=sorting.FieldFacet("report")).groups("report")
    if not excluded:
        return q, None
    return q, wq.Or([wq.Term("report", report_id) for report_id in excluded])


def _suggest(searcher: Any, text: str, flt: Any, written: tuple[str, ...]) -> str | None:
    """The query with misspelt words corrected, when a correction finds results.

    Words are corrected as typed (against the written words of the pages, and the unstemmed
    `spell_*` fields of titles and summaries), not as stems: "traffiking" becomes
    "trafficking", not the stem "traffic".
    """
    reader = searcher.reader()
    analyzer = text_analyzer()
    changed = False

    def fix(match: re.Match[str]) -> str:
        nonlocal changed
        word = match.group(0)
        if word in _OPERATORS:
            return word
        stems = [t.text for t in analyzer(word)]
        if not stems or any((f, stems[0]) in reader for f in _SPELL_FIELDS):
            return word
        found = near(written, word.lower(), 2, 1, 1)
        for field in ("summary", "title"):
            found = found or reader.corrector(field).suggest(word.lower(), limit=1, maxdist=2,
                                                             prefix=1)
        if found:
            changed = True
            return str(found[0])
        return word

    try:
        corrected = _WORD.sub(fix, text)
        if not changed:
            return None
        q = parse_query(searcher.schema, corrected)
        if not searcher.search(q, filter=flt, limit=1):
            return None
    except Exception:  # spelling help must never cost the answer
        return None
    return corrected


@dataclass(frozen=True)
class QueryTerms:
    """The indexed words a query looks for, by field, and its prefixes (`word*`)."""

    words: dict[str, frozenset[str]]
    prefixes: dict[str, frozenset[str]]


def query_terms(q: Any) -> QueryTerms:
    from whoosh import query as wq

    words: dict[str, set[str]] = {}
    prefixes: dict[str, set[str]] = {}
    for leaf in q.leaves():
        field = str(getattr(leaf, "fieldname", ""))
        if isinstance(leaf, wq.Prefix):
            prefixes.setdefault(field, set()).add(leaf.text)
        elif isinstance(leaf, wq.Phrase):
            words.setdefault(field, set()).update(leaf.words)
        elif isinstance(leaf, wq.Term) and isinstance(leaf.text, str):
            words.setdefault(field, set()).add(leaf.text)
    return QueryTerms(words={f: frozenset(w) for f, w in words.items()},
                      prefixes={f: frozenset(p) for f, p in prefixes.items()})


def _hit(searcher: Any, report_id: str, docs: list[tuple[float, int]], pages: int,
         marked: QueryTerms) -> Hit:
    """A report of the results: its best pages' snippets, and its summary's when matched."""
    snippets: list[Snippet] = []
    summary: Snippet | None = None
    entry: dict[str, Any] | None = None
    first: dict[str, Any] | None = None
    tried = 0
    for _, docnum in docs:
        if first is not None and tried >= pages * 3 and \
                (entry is not None or len(snippets) >= pages):
            break
        fields = searcher.stored_fields(docnum)
        first = first or fields
        if fields["kind"] == "entry":
            entry = fields
            summary = make_snippet(fields.get("summary", ""),
                                   marked.words.get("summary", frozenset()), None, None,
                                   marked.prefixes.get("summary", ()))
        elif len(snippets) < pages and tried < pages * 3:
            # A page that matched only through the repeated title has nothing to show.
            tried += 1
            snip = make_snippet(fields.get("body", ""), marked.words.get("body", frozenset()),
                                fields["page"], fields.get("label"),
                                marked.prefixes.get("body", ()))
            if snip is not None:
                snippets.append(snip)
    if summary is not None:
        snippets.insert(0, summary)
    elif not snippets and entry is not None and entry.get("summary"):
        snippets.append(lead(entry["summary"]))
    assert first is not None
    return Hit(id=report_id, title=first["title"], organization=first.get("org", ""),
               date=first.get("date", ""), url=first.get("url", ""),
               source=first.get("source", ""), score=float(docs[0][0]),
               snippets=tuple(snippets))


def _terms(hit: Any, field: str) -> frozenset[str]:
    """The words of `field` that a query searched with `terms=True` matched in this hit."""
    matched = hit.matched_terms() or ()
    return frozenset(t.decode("utf-8") if isinstance(t, bytes) else str(t)
                     for f, t in matched if f == field)


def _words(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:160] or type(exc).__name__
