"""Search the index: the query tree (`query.py`) as a Whoosh query, hits grouped by report,
highlighted snippets.

Keyword queries need all their words (reports with some of them follow, or stand in when none
has them all, and the answer says so); plain-language questions rank by BM25 over all their
words with pseudo-relevance feedback; pasted text is searched for its key terms. Results are
reports, best first, each with its best pages' snippets (page number, printed label,
highlight offsets) and the summary's snippet when the summary matched.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, replace
from dataclasses import field as _field
from typing import Any

from whoosh.query import QueryError as WhooshQueryError

from .acronyms import load as load_acronyms
from .errors import QueryError, brief
from .query import (
    AllOf,
    AnyOf,
    Node,
    Not,
    Parsed,
    Phrase,
    Word,
    YearRange,
    leaves,
    parse,
    plain_words,
    with_acronyms,
)
from .schema import FIELD_BOOSTS, name_analyzer
from .scoring import B, LibraryBM25
from .snippets import Snippet, lead, make_snippet, stem
from .words import Vocabulary, load, near, starting

__all__ = ["Hit", "SearchResults", "Similar", "Snippet", "search", "similar"]

log = logging.getLogger(__name__)

# The syntax of a query is read up to this length; a longer text is pasted text, searched
# for its key terms (`_pasted`), never through a parser.
MAX_QUERY_CHARS = 1000
# Pasted text beyond this is not read: the key terms of a case note or a page of a report
# are in its first 20,000 characters.
MAX_PASTE_CHARS = 20_000
# Words a fuzzy or prefix term may expand to; past this the query is too vague to help.
MAX_EXPANSIONS = 200
# ... and all of a query's together (300 `xy*` would otherwise be 60,000 terms per field).
MAX_QUERY_EXPANSIONS = 1000
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
_SPELL_FIELDS = ("body", "summary", "title")
_YEARS = re.compile(r"^\s*(\d{4})\s*(?:(?:-|\u2013|\.\.|to)\s*(\d{4})\s*)?$")


@dataclass(frozen=True)
class Ranking:
    """The levers of ranking, each measured by benchmarks/relevance.py on two collections
    (README, "Search quality"); the defaults are the values kept."""

    # A query of plain words with at least this many content words is a question: any word
    # may match, ranked by BM25 over all of them; shorter ones need all their words.
    question_words: int = 4
    # A title counts like body text in a question: long questions name the subject in many
    # words, and a title boost lets one of them outweigh the rest. Organisation and author
    # names are left out of a question's fields: they seldom carry its subject.
    question_title: float = 0.3
    # How a question counts a word written with inner marks ("interference-free"): "" as a
    # phrase, "terms" as its parts, "phrase" as its parts and the phrase.
    question_split: str = "terms"
    # Words a question is searched without.
    skip: frozenset[str] = QUESTION_WORDS
    # Whether a question may hold quoted phrases (else quotes make it a keyword query).
    question_phrases: bool = True
    # Whether an all-words query that finds fewer reports than asked for is followed by the
    # reports with some of its words.
    fill: bool = True
    # Pseudo-relevance feedback: the key terms of the best pages widen a question.
    feedback_docs: int = 5
    feedback_terms: int = 20
    feedback_weight: float = 0.3  # of the strongest key term, relative to a typed word
    # Key terms of pasted text.
    pasted_terms: int = 30
    b: float = B
    k1: float = 0.9


RANKING = Ranking()

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
    # When reports with some of the words follow those with all of them: how many of the
    # first results have them all.
    all_words: int | None = None
    # What a person should know about how the query was read ("only the first 20,000
    # characters..."); "also searched" expansions.
    notes: tuple[str, ...] = ()
    also: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total, "fallback": self.fallback,
                "suggestion": self.suggestion, "all_words": self.all_words,
                "also_searched": list(self.also),
                "notes": list(self.notes), "results": [r.to_json() for r in self.results]}


EMPTY_LIBRARY = ("The library has no reports yet: add some with `splib add FILE|FOLDER|URL`, "
                 "then run `splib update`.")


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


@dataclass(frozen=True)
class Cleaned:
    """A query as it will be read: control characters gone, pasted text cut to its limit."""

    text: str
    pasted: bool  # longer than MAX_QUERY_CHARS: read for its key terms, not its syntax
    cut: bool  # longer than MAX_PASTE_CHARS: only the first part is read


def clean_query(query: str) -> Cleaned:
    text = _CONTROL.sub(" ", query).strip()
    if not text or not plain_words(text[:MAX_PASTE_CHARS]):
        raise QueryError("Type some words to search for, e.g. splib search \"T visa\".")
    cut = len(text) > MAX_PASTE_CHARS
    text = text[:MAX_PASTE_CHARS]
    return Cleaned(text=text, pasted=len(text) > MAX_QUERY_CHARS, cut=cut)


class _Compiler:
    """Turns a query tree (`query.py`) into a Whoosh query over the fields in `boosts`."""

    def __init__(self, searcher: Any, vocabulary: Vocabulary,
                 boosts: dict[str, float], split: str = "") -> None:
        self.split = split
        # Words all the `word*` and `word~` of one query may expand to, and what each did.
        self.budget = MAX_QUERY_EXPANSIONS
        self.written: dict[tuple[str, bool, int], list[str]] = {}
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = searcher.schema
        self.vocabulary = vocabulary
        self.boosts = boosts

    def node(self, node: Node) -> Any:
        """The Whoosh query for `node`, or None when it holds no searchable word."""
        from whoosh import query as wq

        if isinstance(node, (Word, Phrase)):
            found = self.word(node) if isinstance(node, Word) else \
                self.phrase(node.words, node.field)
            if found is not None and node.field == "body":
                # Pages hold the body; an entry's passage (title and summary) is searched
                # under `body` only when no field is named.
                return wq.And([found, wq.Term("kind", "page")])
            return found
        if isinstance(node, YearRange):
            return wq.NumericRange("year", node.first, node.last)
        if isinstance(node, Not):
            inner = self.node(node.node)
            return wq.Not(inner) if inner is not None else None
        parts = [q for q in (self.node(n) for n in node.nodes) if q is not None]
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0] if not isinstance(parts[0], wq.Not) else wq.And(parts)
        return wq.And(parts) if isinstance(node, AllOf) else wq.Or(parts)

    def fields(self, field: str | None) -> list[tuple[str, float]]:
        if field is None:
            return list(self.boosts.items())
        return [(field, 1.0)]

    def analyze(self, field: str, text: str) -> list[str]:
        return [t.text for t in self.schema[field].analyzer(text)]

    def word(self, word: Word) -> Any:
        from whoosh import query as wq

        if word.prefix or word.edits:
            clauses = [self.expanded(word, f, b) for f, b in self.fields(word.field)]
            found = [c for c in clauses if c is not None]
            return wq.Or(found) if found else None
        if self.split:
            return self.split_word(word)
        return self.phrase((word.text,), word.field)

    def split_word(self, word: Word) -> Any:
        """A word that analyzes to several ("interference-free") as each of its parts, the
        way BM25 over all the words of a question counts them; with "phrase", the parts
        standing together also count."""
        from whoosh import query as wq

        clauses: list[Any] = []
        for name, boost in self.fields(word.field):
            # A lone letter or digit is a word only within its code: as a term of its own
            # ("I'd", "etc.", the "t" of "T-Visas") it matches every list marker and formula.
            stems = [s for s in self.analyze(name, word.text) if len(s) > 1]
            clauses.extend(wq.Term(name, s, boost=boost) for s in stems)
            if len(stems) > 1 and self.split == "phrase":
                clauses.append(wq.Phrase(name, stems, boost=boost))
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else wq.Or(clauses)

    def phrase(self, words: tuple[str, ...], field: str | None) -> Any:
        """The words as a term or, when they analyze to several ("H-2A", "T visa"), as a
        phrase, in each field."""
        from whoosh import query as wq

        if field is None and not self.analyze("body", " ".join(words)):
            return None  # a very common word ("in", "to"): not required in names either
        clauses = []
        for name, boost in self.fields(field):
            stems = self.analyze(name, " ".join(words))
            if len(stems) == 1:
                clauses.append(wq.Term(name, stems[0], boost=boost))
            elif stems:
                clauses.append(wq.Phrase(name, stems, boost=boost))
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else wq.Or(clauses)

    def expanded(self, word: Word, field: str, boost: float) -> Any:
        """`word*` or `word~N` in one field.

        The text fields are stemmed, so a typed prefix or a misspelling is matched against
        the words as written and each match is looked up as its stem ("cerification~" finds
        "certification", stored as "certif"); names are matched as they are.
        """
        from whoosh import query as wq

        typed = word.text.lower()
        if field not in _SPELL_FIELDS:
            if word.prefix:
                return wq.Prefix(field, typed, boost=boost)
            return wq.FuzzyTerm(field, typed, boost=boost, maxdist=word.edits, prefixlength=1)
        limit = min(MAX_EXPANSIONS, self.budget)
        if (typed, word.prefix, word.edits) in self.written:
            written = self.written[(typed, word.prefix, word.edits)]
        elif word.prefix:
            written = starting(self.vocabulary, typed, limit)
        else:
            written = [*near(self.vocabulary, typed, word.edits, 1, limit), typed]
        self.written[(typed, word.prefix, word.edits)] = written
        self.budget = max(1, self.budget - len(written))
        stems: set[str] = set()
        for each in written:
            stemmed = stem(each)
            if stemmed is not None:
                stems.add(stemmed)
        terms = [wq.Term(field, s, boost=boost) for s in sorted(stems)]
        if word.prefix:
            terms.append(wq.Prefix(field, typed, boost=boost))  # stems that start with it
        return wq.Or(terms) if terms else None


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


def _filter_notes(searcher: Any, org: str | None, years: tuple[int, int] | None) -> list[str]:
    """Why the filters left nothing: an organisation or a span of years no report has."""
    notes = []
    if org and not searcher.search(make_filter(org, None), limit=1):
        notes.append(f"No report's organisation has the words {org!r}: give part of a name "
                     "as the catalog writes it.")
    if years and not searcher.search(make_filter(None, years), limit=1):
        field = searcher.schema["year"]
        dated = [field.from_bytes(b) for b in field.sortable_terms(searcher.reader(), "year")]
        span = f"{years[0]}" if years[0] == years[1] else f"{years[0]}-{years[1]}"
        known = f"; the library's reports are from {min(dated)}-{max(dated)}" if dated else \
            "; no report in the catalog has a date"
        notes.append(f"No report is from {span}{known}.")
    return notes


def search(ix: Any, query: str, limit: int = 10, pages: int = 3, org: str | None = None,
           year: str | int | tuple[int, int] | None = None,
           more_like_this: int = 0, offset: int = 0,
           within: Collection[str] | None = None, ranking: Ranking = RANKING) -> SearchResults:
    """Search the open index `ix`; see the module docstring. `offset` skips that many of the
    best reports (paging); `within` keeps only the reports with those ids."""
    from whoosh import query as wq

    if limit < 1 or pages < 0 or offset < 0:
        raise QueryError("--limit must be at least 1, --pages and the offset at least 0.")
    cleaned = clean_query(query)
    text = cleaned.text
    flt = make_filter(org, parse_years(year), within)
    wanted = offset + limit
    notes: list[str] = []
    if cleaned.cut:
        notes.append(f"Only the first {MAX_PASTE_CHARS:,} characters of the text were read.")
    with ix.searcher(weighting=LibraryBM25(B=ranking.b, K1=ranking.k1)) as searcher:
        if not searcher.doc_count():  # a catalog with no entries yet: nothing to rank
            return SearchResults(query=query, total=0, fallback=False, suggestion=None,
                                 results=(), notes=(EMPTY_LIBRARY,))
        folder = str(ix.storage.folder)
        vocabulary = load(folder)
        glossary = load_acronyms(folder)
        also: tuple[str, ...] = ()
        parsed = None if cleaned.pasted else parse(text)
        question = None if parsed is None else question_words(parsed, ranking)
        fallback = False
        all_words: int | None = None
        suggestion = None
        if parsed is None or question is not None:
            # Pasted text or a question in plain words: any word may match, ranked by BM25
            # over all of them, then widened by the words the best pages share
            # (pseudo-relevance feedback; those rank but are not highlighted).
            boosts = {"body": 1.0}
            if ranking.question_title:
                boosts["title"] = ranking.question_title
            compiler = _Compiler(searcher, vocabulary, boosts, split=ranking.question_split)
            if parsed is None:
                q = _pasted(compiler, text, ranking)
            else:
                assert question is not None
                corrected = _corrections(searcher, vocabulary, question)
                if corrected:
                    suggestion = _replace_words(text, corrected)
                widened, also = with_acronyms(AllOf(tuple(question)), glossary)
                asked = widened.nodes if isinstance(widened, AllOf) else (widened,)
                q = _repeats(compiler.node(AnyOf(
                    asked + tuple(Word(w) for w in corrected.values()))))
            if q is None:
                raise QueryError("Nothing to search for: the text holds only very common "
                                 "words. Add a word that says what you are looking for.")
            marked = query_terms(q)
            grouped, matched = _run(searcher, _feedback(searcher, q, flt, ranking), flt,
                                    wanted, pages)
        else:
            compiler = _Compiler(searcher, vocabulary, FIELD_BOOSTS)
            node, also = with_acronyms(parsed.node, glossary)
            q = compiler.node(node)
            if q is None:
                raise QueryError("Nothing to search for: the query holds only very common "
                                 "words or operators. Add a word that says what you are "
                                 "looking for.")
            grouped, matched = _run(searcher, q, flt, wanted, pages)
            loose = None if parsed.required else _loosen(node) if not grouped or (
                ranking.fill and len(grouped) < wanted) else None
            some_q = compiler.node(loose) if loose is not None else None
            if some_q is not None:
                some, some_matched = _run(searcher, some_q, flt, wanted, pages)
                if not grouped:
                    fallback = bool(some)
                    q, grouped, matched = some_q, some, some_matched
                elif set(some) - set(grouped):
                    all_words = len(grouped)
                    q = wq.Or([q, some_q])
                    # The total stays the count of reports with every word, the same on
                    # every page of results; those with some follow them on the last.
                    for rid, docs in some.items():
                        grouped.setdefault(rid, docs)
            marked = query_terms(q)
            corrected = _corrections(searcher, vocabulary, leaves(parsed.node))
            if corrected:
                suggestion = _checked(searcher, vocabulary, _replace_words(text, corrected), flt)
        results = tuple(_hit(searcher, rid, docs, pages, marked)
                        for rid, docs in list(grouped.items())[offset:wanted])
        if more_like_this:
            results = tuple(replace(hit, more_like_this=tuple(
                _similar(searcher, hit.id, more_like_this))) for hit in results)
        if not matched and (org or year):
            notes.extend(_filter_notes(searcher, org, parse_years(year)))
    return SearchResults(query=query, total=len(matched), fallback=fallback,
                         suggestion=suggestion, results=results, matched=matched,
                         notes=tuple(notes), also=also, all_words=all_words)


def question_words(parsed: Parsed, ranking: Ranking = RANKING) -> list[Word | Phrase] | None:
    """The content words of a plain-language question, or None for a keyword query.

    A query with no syntax and at least `ranking.question_words` words once question words
    are set aside is a question: "what problems of heat conduction in composite slabs have
    been solved so far?".
    """
    if parsed.operators or (parsed.syntax and not ranking.question_phrases):
        return None
    found: list[Word | Phrase] = []
    unquoted = 0  # a question is a question by its own words: a quoted phrase alone is a phrase
    for leaf in leaves(parsed.node):
        if isinstance(leaf, Phrase) and ranking.question_phrases:
            # A phrase quoted in a question counts as a phrase and as its words: the
            # question's other words still rank the reports that lack it.
            found.append(leaf)
            found.extend(Word(w, leaf.field) for w in leaf.words
                         if w.lower() not in ranking.skip)
        elif not (isinstance(leaf, Word) and leaf.text.lower() in ranking.skip):
            found.append(leaf)
            unquoted += isinstance(leaf, Word)
    return found if unquoted >= ranking.question_words else None


def _repeats(q: Any) -> Any:
    """An any-word query with each repeated term once, weighing as many times as it was
    asked: BM25's query term frequency. A long question names its subject more than once
    ("...optimization of loops and global optimization"), and Whoosh would count it once."""
    from whoosh import query as wq

    if q is None or not isinstance(q, wq.Or):
        return q
    weights: dict[tuple[str, str], float] = {}
    others: dict[str, Any] = {}
    for leaf in q.leaves():
        if type(leaf) is wq.Term:
            key = (leaf.fieldname, leaf.text)
            weights[key] = weights.get(key, 0.0) + leaf.boost
        else:
            others.setdefault(repr(leaf), leaf)
    terms = [wq.Term(field, text, boost=boost) for (field, text), boost in weights.items()]
    return wq.Or(terms + list(others.values()))


def _loosen(node: Node) -> Node | None:
    """The any-word version of an all-words query (its exclusions kept), or None when there
    is nothing to loosen."""
    if not isinstance(node, AllOf):
        return None
    # Exclusions, years and named fields stay required: they are filters, not words.
    kept = tuple(n for n in node.nodes if isinstance(n, (Not, YearRange))
                 or (isinstance(n, (Word, Phrase)) and n.field is not None))
    loose = tuple(n for n in node.nodes if n not in kept)
    if len(loose) < 2:
        return None
    return AllOf((AnyOf(loose), *kept)) if kept else AnyOf(loose)


def _pasted(compiler: _Compiler, text: str, ranking: Ranking) -> Any:
    """Pasted text as "reports like this text": its words weighed against the library
    (term frequency, dampened, times inverse document frequency), the strongest kept.

    One pass over the text and one lookup per distinct word: linear in the text's length.
    """
    import math
    from collections import Counter

    from whoosh import query as wq

    stems = Counter(compiler.analyze("body", text))
    reader = compiler.reader
    docs = max(1, int(reader.doc_count()))
    weights: dict[str, float] = {}
    for term, count in stems.items():
        if not _is_word(term):
            continue
        df = reader.doc_frequency("body", term) + reader.doc_frequency("summary", term)
        if df:
            weights[term] = (1 + math.log(count)) * math.log(1 + docs / df)
    if not weights:
        # Words, but none the library holds: nothing matches (None would mean no words).
        return wq.NullQuery if stems else None
    best = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:ranking.pasted_terms]
    top = best[0][1]
    return wq.Or([wq.Term(field, term, boost=boost * weight / top)
                  for term, weight in best for field, boost in compiler.boosts.items()])


def _is_word(term: str) -> bool:
    """A word worth weighing or showing: not a bare number, a year or a lone letter."""
    return len(term) > 1 and not any(c.isdigit() for c in term)


def _feedback(searcher: Any, q: Any, flt: Any, ranking: Ranking) -> Any:
    """`q` widened by the key terms of its best pages (which rank, but are not highlighted:
    the person did not type them)."""
    from whoosh import query as wq

    if not ranking.feedback_docs or not ranking.feedback_terms:
        return q
    try:
        # The best pages: a catalog entry's few words would feed back the whole catalog in a
        # library known only by its summaries (the library's own questions lost 0.06 nDCG).
        first = searcher.search(q, filter=flt, limit=ranking.feedback_docs * 3)
        docnums = [hit.docnum for hit in first if hit.get("body")][:ranking.feedback_docs]
        if not docnums:
            return q
        terms = [(t, s) for t, s in searcher.key_terms(docnums, "body",
                                                        numterms=ranking.feedback_terms * 2)
                 if _is_word(t)][:ranking.feedback_terms]
    except WhooshQueryError as exc:  # feedback is a refinement; the plain query still answers
        log.warning("search without feedback terms: %s", exc)
        return q
    if not terms:
        return q
    top = terms[0][1] or 1.0
    expansion = [wq.Term("body", term, boost=ranking.feedback_weight * score / top)
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
            keys = searcher.key_terms([d for d, _ in having], field,
                                      numterms=SIMILAR_TERMS * 2)
            # Words tie reports together; numbers, years and lone letters tie every report
            # to every other ("2021", "10").
            for term, score in [(t, s) for t, s in keys if _is_word(t)][:SIMILAR_TERMS]:
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
    except WhooshQueryError as exc:  # what Whoosh cannot run is the query's; bugs surface
        raise QueryError(f"Could not run the query ({brief(exc, 160)}).") from None
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
    if isinstance(q, wq.Not):  # "-rural" alone: every report that never says it
        q, negatives = wq.Every(), [q.query]
    elif isinstance(q, wq.AndNot):
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


def _corrections(searcher: Any, vocabulary: Vocabulary,
                 nodes: list[Word | Phrase] | list[Node]) -> dict[str, str]:
    """Typed words the library never writes, each with the written word it most likely
    meant: within two edits, the closer and the more often written first, and not one that
    stems as the typed word does ("trafficing" -> "trafficking", although its stem
    "traffic" is a word: "traffic" would search the same stem)."""
    reader = searcher.reader()
    fixes: dict[str, str] = {}
    for node in nodes:
        if not isinstance(node, Word) or node.prefix or node.edits \
                or node.field not in (None, *_SPELL_FIELDS):
            continue
        typed = node.text.lower()
        if len(typed) < 3 or not typed.isalpha() or typed in fixes:
            continue
        if vocabulary.count(typed) or any((f, typed) in reader for f in _SPELL_FIELDS):
            continue  # a word the library writes is not a typo: it may be the subject
        own = stem(typed)
        best: tuple[float, str] | None = None
        for distance in (1, 2):
            for word in near(vocabulary, typed, distance, 1, 20):
                count = vocabulary.count(word)
                if stem(word) == own:  # it would search what was typed
                    continue
                # A second edit must be ten times as common to beat a first.
                score = count / (10 ** (distance - 1))
                if best is None or (score, word) > best:
                    best = (score, word)
            if best is not None:
                break
        if best is not None:
            fixes[typed] = best[1]
    return fixes


def _replace_words(text: str, fixes: dict[str, str]) -> str:
    """`text` with each typed word in `fixes` replaced, everything else as typed."""
    return re.sub(r"[^\W\d_]+", lambda m: fixes.get(m.group(0).lower(), m.group(0)), text)


def _checked(searcher: Any, vocabulary: Vocabulary, corrected: str, flt: Any) -> str | None:
    """`corrected` if it finds reports, else None: a suggestion that finds nothing helps no
    one."""
    try:
        compiler = _Compiler(searcher, vocabulary, FIELD_BOOSTS)
        q = compiler.node(parse(corrected).node)
        if q is None or not searcher.search(q, filter=flt, limit=1):
            return None
    except (QueryError, WhooshQueryError) as exc:  # a suggestion it cannot run is none
        log.info("suggestion %r left out: %s", corrected, exc)
        return None
    return corrected


@dataclass(frozen=True)
class QueryTerms:
    """The indexed words a query looks for, by field: words, prefixes (`word*`) and phrases
    ("T visa": highlighted only where its words stand together)."""

    words: dict[str, frozenset[str]]
    prefixes: dict[str, frozenset[str]]
    phrases: dict[str, frozenset[tuple[str, ...]]] = _field(default_factory=dict)


def query_terms(q: Any) -> QueryTerms:
    from whoosh import query as wq

    words: dict[str, set[str]] = {}
    prefixes: dict[str, set[str]] = {}
    phrases: dict[str, set[tuple[str, ...]]] = {}
    for leaf in q.leaves():
        field = str(getattr(leaf, "fieldname", ""))
        if isinstance(leaf, wq.Prefix):
            prefixes.setdefault(field, set()).add(leaf.text)
        elif isinstance(leaf, wq.Phrase):
            phrases.setdefault(field, set()).add(tuple(leaf.words))
        elif isinstance(leaf, wq.Term) and isinstance(leaf.text, str):
            words.setdefault(field, set()).add(leaf.text)
    return QueryTerms(words={f: frozenset(w) for f, w in words.items()},
                      prefixes={f: frozenset(p) for f, p in prefixes.items()},
                      phrases={f: frozenset(p) for f, p in phrases.items()})


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
                                   marked.prefixes.get("summary", ()),
                                   marked.phrases.get("summary", ()))
        elif len(snippets) < pages and tried < pages * 3:
            # A page that matched only through the repeated title has nothing to show.
            tried += 1
            snip = make_snippet(fields.get("body", ""), marked.words.get("body", frozenset()),
                                fields["page"], fields.get("label"),
                                marked.prefixes.get("body", ()),
                                marked.phrases.get("body", ()), ocr="ocr" in fields)
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

