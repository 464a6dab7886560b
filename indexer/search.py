"""Run a query: what a person typed (`query.py`) -> the engine's search -> reports, each with
its best pages' snippets (`results.py`).

Keyword queries need all their words (reports with some of them follow, or stand in when none
has them all, and the answer says so); plain-language questions rank by BM25 over all their
words with pseudo-relevance feedback; pasted text is searched for its key terms. Results are
reports, best first (or by date), each with its best pages' snippets (page number, printed
label, highlight offsets) and the summary's snippet when the summary matched; the facet counts
come from the same engine search.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from .acronyms import load as load_acronyms
from .engine import (
    FIELD_BOOSTS,
    K1,
    B,
    EngineQueryError,
    Index,
    Marked,
    Query,
    Ranked,
    ReportMatches,
    Searcher,
    Where,
)
from .engine.analysis import text_terms
from .errors import QueryError
from .query import (
    MAX_PASTE_CHARS,
    QUESTION_WORDS,
    SENTENCE_PRONOUNS,
    AllOf,
    AnyOf,
    Glossary,
    Node,
    Not,
    Parsed,
    Phrase,
    Word,
    YearRange,
    clean_query,
    leaves,
    parse,
    parse_years,
    plain_words,
    with_acronyms,
    with_corrections,
)
from .results import EMPTY_LIBRARY, SORTS, Hit, SearchResults, Similar
from .similar import is_key_term, is_word
from .similar import similar as similar_reports
from .snippets import Snippet, lead, make_snippet
from .spelling import (
    Expansions,
    checked,
    corrections,
    dotted_forms,
    is_english,
    replace_words,
    split_codes,
)
from .words import Vocabulary, load

__all__ = ["Hit", "SearchResults", "Similar", "Snippet", "search", "similar"]

log = logging.getLogger(__name__)

# Kept answers (`_Answers`) hold at most this many reports each.
KEPT_REPORTS = 1000
# Similar reports listed per result in the JSON of `splib search --json` and /api/search.
JSON_MORE_LIKE_THIS = 3


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
_M = TypeVar("_M")  # a marked word, or a phrase's words
# A summary's snippet whose first this many words (all of them, when it has fewer but at
# least SAME_PASSAGE_MIN) a page's snippet shows in a row is that page's text: a catalog
# summary in its own words shares a phrase, not six words running.
SAME_PASSAGE_WORDS = 12
SAME_PASSAGE_MIN = 6
# The longest query "Did you mean" offers again, corrected: a sentence, not a case note.
MAX_SUGGESTED_WORDS = 25


@dataclass(frozen=True)
class _Answer:
    """What the engine found for a query, before snippets are made."""

    query: Query
    ranked: Ranked
    reports: tuple[ReportMatches, ...]
    fallback: bool = False
    all_words: int | None = None


def search(index: Index, query: str, limit: int = 10, pages: int = 3, org: str | None = None,
           year: str | int | tuple[int, int] | None = None,
           more_like_this: int = 0, offset: int = 0,
           within: Collection[str] | None = None, ranking: Ranking = RANKING,
           sort: str = "relevance", facets: bool = False,
           organization: str | None = None) -> SearchResults:
    """Search the open `index`; see the module docstring. `offset` skips that many of the
    best reports (paging); `within` keeps only the reports with those ids, `organization` those
    of one organisation as the catalog writes it; `sort` is "relevance", "newest" or "oldest";
    `facets` counts the matching reports by organisation and by year."""
    if limit < 1 or pages < 0 or offset < 0:
        raise QueryError("--limit must be at least 1, --pages and the offset at least 0.")
    if sort not in SORTS:
        raise QueryError(f"Sort by one of {', '.join(SORTS)}, not {sort!r}.")
    cleaned = clean_query(query)
    text = cleaned.text
    years = parse_years(year)
    where = Where(org=org or None, organization=organization, years=years,
                  within=frozenset(within) if within is not None else None)
    wanted = offset + limit
    notes: list[str] = []
    if cleaned.cut:
        notes.append(f"Only the first {MAX_PASTE_CHARS:,} characters of the text were read.")
    with index.searcher(ranking.b, ranking.k1) as searcher:
        if not searcher.doc_count():  # a catalog with no entries yet: nothing to rank
            return SearchResults(query=query, total=0, fallback=False, suggestion=None,
                                 results=(), notes=(EMPTY_LIBRARY,))
        folder = str(index.folder)
        vocabulary = load(folder)
        glossary = load_acronyms(folder)
        parsed = None if cleaned.pasted else parse(text)
        question = None if parsed is None else question_words(parsed, ranking)
        if parsed is not None and question is None:
            parsed = short_question(parsed, text, ranking)
        # A keyword query's answer depends on how many reports were asked for (those with
        # some of the words fill a page short of those with all); any-word queries' do not.
        size = wanted if parsed is not None and question is None else None
        key = (folder, text, cleaned.pasted, where, sort, facets, ranking, pages, size)
        found = _ANSWERS.get(key, wanted)
        if found is None:
            found = _answer(searcher, text, parsed, question, where, wanted, pages, sort,
                            facets, ranking, vocabulary, glossary)
            _ANSWERS.put(key, found)
        answer, suggestion, also = found.answer, found.suggestion, found.also
        marked = searcher.marked(answer.query)
        results = tuple(_hit(searcher, each, pages, marked)
                        for each in answer.reports[offset:wanted])
        if more_like_this:
            results = tuple(replace(hit, more_like_this=tuple(
                similar_reports(searcher, hit.id, more_like_this))) for hit in results)
        matched = answer.ranked.matched
        if not matched and (org or years):
            notes.extend(_filter_notes(searcher, org, years))
    return SearchResults(query=query, total=len(matched), fallback=answer.fallback,
                         suggestion=suggestion, results=results, matched=matched,
                         notes=tuple(notes), also=also, all_words=answer.all_words,
                         facets=answer.ranked.facets,
                         question=parsed is None or question is not None)


@dataclass(frozen=True)
class _Found:
    """What one query found, kept for its next page, another sort of the same reports or a
    repeat (see `_Answers`)."""

    answer: _Answer
    suggestion: str | None
    also: tuple[str, ...]
    wanted: int  # how many reports were asked for


def _answer(searcher: Searcher, text: str, parsed: Parsed | None,
            question: list[Word | Phrase] | None, where: Where, wanted: int, pages: int,
            sort: str, facets: bool, ranking: Ranking, vocabulary: Vocabulary,
            glossary: Glossary) -> _Found:
    """The engine's answer to a query as typed: pasted text (`parsed` None), a question (its
    content words), or keywords (see the module docstring)."""
    also: tuple[str, ...] = ()
    suggestion = None
    run = _Run(searcher, where, wanted, pages, sort, facets)
    if parsed is None or question is not None:
        # Pasted text or a question in plain words: any word may match, ranked by BM25
        # over all of them, then widened by the words the best pages share
        # (pseudo-relevance feedback; those rank but are not highlighted).
        boosts = {"body": 1.0}
        if ranking.question_title:
            boosts["title"] = ranking.question_title
        if parsed is None:
            q = _pasted(searcher, text, boosts, ranking)
        else:
            assert question is not None
            corrected = corrections(searcher, vocabulary, question)
            if corrected and len(plain_words(text)) <= MAX_SUGGESTED_WORDS:
                # (a pasted paragraph is not offered back whole: its corrections are
                # searched, and "Also searched" names them)
                suggestion = replace_words(text, corrected)
            widened, also = with_acronyms(AllOf(tuple(question)), glossary, is_english)
            others, told = _alternatives(searcher, vocabulary, question, corrected)
            also += told
            asked = widened.nodes if isinstance(widened, AllOf) else (widened,)
            q = searcher.compile(AnyOf(asked + tuple(
                Phrase(o) if isinstance(o, tuple) else Word(o)
                for alternatives in others.values() for o in alternatives)),
                                 boosts, Expansions(vocabulary),
                                 split=ranking.question_split, merge=True)
        if q is None:
            raise QueryError("Nothing to search for: the text holds only very common "
                             "words. Add a word that says what you are looking for.")
        ranked = run(_feedback(searcher, q, where, ranking))
        answer = _Answer(q, ranked, ranked.reports)
    else:
        node, also = with_acronyms(parsed.node, glossary, is_english)
        typed = leaves(parsed.node)
        fixes = corrections(searcher, vocabulary, typed)
        if not parsed.operators:
            # (the syntax of a query typed with operators stays as typed; "Did you mean"
            # offers the correction)
            others, told = _alternatives(searcher, vocabulary, typed, fixes)
            node = with_corrections(node, others)
            also += told
        answer = _keywords(searcher, vocabulary, run, node, parsed, ranking)
        if fixes:
            suggestion = checked(searcher, vocabulary, replace_words(text, fixes), where)
    return _Found(answer, suggestion, also, wanted)


def _alternatives(searcher: Searcher, vocabulary: Vocabulary, words: Sequence[Word | Phrase],
                  fixes: dict[str, str]) \
        -> tuple[dict[str, list[str | tuple[str, ...]]], tuple[str, ...]]:
    """What else to search for the typed words, as "Also searched" names it: the correction
    of a word no report and no dictionary has (a typo), a code typed without its hyphen as
    the reports write it ("h2a": "h 2a"), the dotted names a word begins ("backpage":
    "backpage.com")."""
    others: dict[str, list[str | tuple[str, ...]]] = {}
    told: list[str] = []
    for typed, fix in fixes.items():
        others.setdefault(typed, []).append(fix)
        told.append(fix)
    for typed, parts in split_codes(searcher, vocabulary, words).items():
        others.setdefault(typed, []).append(parts)
        told.append("-".join(parts))
    for typed, forms in dotted_forms(searcher, words).items():
        others.setdefault(typed, []).extend(forms)
        told.extend(forms)
    return others, tuple(told)


class _Answers:
    """The last queries' answers, by index generation, query and filters: the next page of
    results, or the same search again, costs no engine search. A generation never changes
    once written, so an answer stays true until the generation is replaced."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.kept: OrderedDict[tuple[object, ...], _Found] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[object, ...], wanted: int) -> _Found | None:
        with self.lock:
            found = self.kept.get(key)
            if found is None:
                return None
            # Asked for no more reports than were found for, or every matching document was
            # ranked then (a later report's pages would otherwise be cut short).
            if wanted > found.wanted and not found.answer.ranked.complete:
                return None
            self.kept.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], found: _Found) -> None:
        if len(found.answer.reports) > KEPT_REPORTS:
            return  # every report of a large library, in date order: not worth its memory
        with self.lock:
            self.kept[key] = found
            self.kept.move_to_end(key)
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.kept.clear()


_ANSWERS = _Answers()


def forget_answers() -> None:
    """Drop the kept answers (benchmarks measuring the engine's cost each time)."""
    _ANSWERS.clear()


@dataclass(frozen=True)
class _Run:
    """One engine search with the request's filters, size, order and facets."""

    searcher: Searcher
    where: Where
    wanted: int
    pages: int
    sort: str
    facets: bool

    def __call__(self, q: Query) -> Ranked:
        return self.searcher.search(q, self.where, limit=self.wanted, pages=self.pages,
                                    order=self.sort, facets=self.facets)


def _keywords(searcher: Searcher, vocabulary: Vocabulary, run: _Run, node: Node,
              parsed: Parsed, ranking: Ranking) -> _Answer:
    """A keyword query: every word; then, when that finds fewer reports than asked for (or
    none), the reports with some of them."""
    q = searcher.compile(node, FIELD_BOOSTS, Expansions(vocabulary))
    if q is None:
        raise QueryError("Nothing to search for: the query holds only very common words or "
                         "operators. Add a word that says what you are looking for.")
    ranked = run(q)
    found = ranked.reports
    # In date order the reports with some of the words would mix with those with all.
    fill = ranking.fill and run.sort == "relevance"
    loose = None if parsed.required else _loosen(node) if not found or (
        fill and len(found) < run.wanted) else None
    some_q = searcher.compile(loose, FIELD_BOOSTS, Expansions(vocabulary)) \
        if loose is not None else None
    if some_q is None:
        return _Answer(q, ranked, found)
    some = run(some_q)
    if not found:
        return _Answer(some_q, some, some.reports, fallback=bool(some.reports))
    have = {r.report for r in found}
    extra = tuple(r for r in some.reports if r.report not in have)
    if not extra:
        return _Answer(q, ranked, found)
    # The total stays the count of reports with every word, the same on every page of
    # results; those with some follow them on the last.
    return _Answer(searcher.either([q, some_q]), ranked, found + extra, all_words=len(found))


def _filter_notes(searcher: Searcher, org: str | None, years: tuple[int, int] | None) \
        -> list[str]:
    """Why the filters left nothing: an organisation or a span of years no report has."""
    notes = []
    if org and not searcher.any_match(None, Where(org=org)):
        notes.append(f"No report's organisation has the words {org!r}: give part of a name "
                     "as the catalog writes it.")
    if years and not searcher.any_match(None, Where(years=years)):
        span = f"{years[0]}" if years[0] == years[1] else f"{years[0]}-{years[1]}"
        dated = searcher.years()
        known = f"; the library's reports are from {dated[0]}-{dated[1]}" if dated else \
            "; no report in the catalog has a date"
        notes.append(f"No report is from {span}{known}.")
    return notes


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
        elif isinstance(leaf, Word) and leaf.text.lower() in ranking.skip:
            unquoted += leaf.text.lower() in SENTENCE_PRONOUNS
        else:
            found.append(leaf)
            unquoted += isinstance(leaf, Word)
    return found if unquoted >= ranking.question_words else None


# The words a question in plain English begins with.
ASKING = frozenset("""
    what how who whom whose where when why which is are was were do does did can could should
    would will may might must has have had
    """.split())  # noqa: SIM905 (a word list reads better as words)


def short_question(parsed: Parsed, text: str, ranking: Ranking = RANKING) -> Parsed:
    """A short question ("what is a T visa?", "who's eligible?") as the keywords it asks
    about: its question words set aside, as a long question's are, when it ends with a
    question mark or begins with a word that asks, and words are left. A word in capitals
    is kept (WHO, IS; not I, and not in a question typed all in capitals); quoted phrases
    and named fields are kept."""
    if parsed.operators:
        return parsed
    nodes = parsed.node.nodes if isinstance(parsed.node, AllOf) else (parsed.node,)
    words = text.split(maxsplit=1)
    if not (text.rstrip().endswith(("?", "\uff1f")) or (words and _asking(words[0]) in ASKING)):
        return parsed
    shouted = text.isupper()

    def asks(node: Node) -> bool:
        if not isinstance(node, Word) or node.field is not None:
            return False
        word = _asking(node.text)
        return (word in ranking.skip or word in ASKING) and \
            (shouted or not (node.text.isupper() and len(node.text) > 1))

    kept = tuple(node for node in nodes if not asks(node))
    if not kept or len(kept) == len(nodes):
        return parsed
    return replace(parsed, node=kept[0] if len(kept) == 1 else AllOf(kept))


def _asking(word: str) -> str:
    """A typed word as the question word it may be: "What's" (with either apostrophe) and
    "whats" are "what"."""
    word = word.lower().replace("\u2019", "'")
    if word.endswith("'s"):
        return word[:-2]
    return word[:-1] if word in CONTRACTED else word


# Question words with their "'s" typed without the apostrophe.
CONTRACTED = frozenset({"whats", "whos", "hows", "wheres", "whens", "whys"})


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


def _pasted(searcher: Searcher, text: str, boosts: dict[str, float],
            ranking: Ranking) -> Query | None:
    """Pasted text as "reports like this text": its words weighed against the library
    (term frequency, dampened, times inverse document frequency), the strongest kept.

    One pass over the text and one lookup per distinct word: linear in the text's length.
    """
    stems = Counter(text_terms(text))
    docs = max(1, searcher.doc_count())
    weights: dict[str, float] = {}
    for term, count in stems.items():
        if not is_key_term(term):  # "he", "she", "something" tie a case note to every page
            continue
        df = searcher.doc_frequency("body", term) + searcher.doc_frequency("summary", term)
        if df:
            weights[term] = (1 + math.log(count)) * math.log(1 + docs / df)
    if not weights:
        # Words, but none the library holds: nothing matches (None would mean no words).
        return searcher.nothing() if stems else None
    best = sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:ranking.pasted_terms]
    top = best[0][1]
    return searcher.weighted((field, term, boost * weight / top)
                             for term, weight in best for field, boost in boosts.items())


def _feedback(searcher: Searcher, q: Query, where: Where, ranking: Ranking) -> Query:
    """`q` widened by the key terms of its best pages (which rank, but are not highlighted:
    the person did not type them)."""
    if not ranking.feedback_docs or not ranking.feedback_terms:
        return q
    try:
        # The best pages: a catalog entry's few words would feed back the whole catalog in a
        # library known only by its summaries (the library's own questions lost 0.06 nDCG).
        docs = searcher.best_passages(q, where, ranking.feedback_docs)
        if not docs:
            return q
        terms = [(t, s) for t, s in searcher.key_terms(docs, "body", ranking.feedback_terms * 2)
                 if is_word(t)][:ranking.feedback_terms]
    except EngineQueryError as exc:  # feedback is a refinement; the plain query still answers
        log.warning("search without feedback terms: %s", exc)
        return q
    if not terms:
        return q
    top = terms[0][1] or 1.0
    expansion = searcher.weighted(("body", term, ranking.feedback_weight * score / top)
                                  for term, score in terms)
    return searcher.either([q, expansion])


def similar(index: Index, report_id: str, limit: int = 5) -> list[Similar]:
    """The reports most like `report_id` (key terms of its summary and pages), ranked by
    BM25's textbook values."""
    with index.searcher(B, K1) as searcher:
        return similar_reports(searcher, report_id, limit)


def _both(marked: Mapping[str, frozenset[_M]], *fields: str) -> frozenset[_M]:
    """What the query marks in any of `fields`."""
    found: frozenset[_M] = frozenset()
    for name in fields:
        found |= marked.get(name, frozenset())
    return found


def _written_on(summary: Snippet, pages: list[Snippet]) -> bool:
    """Whether the summary's passage is shown by a page's snippet too (a summary `splib add`
    took from the report's executive summary): that snippet, which cites its page, says it
    already."""
    words = re.findall(r"\w+", summary.text)[:SAME_PASSAGE_WORDS]
    if len(words) < SAME_PASSAGE_MIN:
        return False
    passage = re.compile(r"\W+".join(map(re.escape, words)), re.IGNORECASE)
    return any(passage.search(page.text) for page in pages)


def _hit(searcher: Searcher, found: ReportMatches, pages: int, marked: Marked) -> Hit:
    """A report of the results: its best pages' snippets, and its summary's when matched."""
    snippets: list[Snippet] = []
    summary: Snippet | None = None
    entry = None
    first = None
    best_page = None
    tried = 0
    # Whether the catalog entry matched is known without reading it; a page is read (its
    # stored text unpacked) only while it may give a snippet. With no pages asked for, only
    # the best document is read.
    entry_matched = pages > 0 and any(searcher.is_entry(match.doc) for match in found.matches)
    for match in found.matches:
        pages_done = len(snippets) >= pages or tried >= pages * 3
        if first is not None and pages_done and (entry is not None or not entry_matched):
            break
        if first is not None and pages_done and not searcher.is_entry(match.doc):
            continue
        doc = searcher.stored(match.doc)
        first = first or doc
        if doc.kind == "entry":
            entry = doc
            # An entry's summary is searched in its own field and, with its title, as the
            # entry's body: either may have matched.
            summary = make_snippet(
                doc.summary, _both(marked.words, "summary", "body"), None, None,
                _both(marked.prefixes, "summary", "body"), _both(marked.phrases, "summary", "body"))
        elif len(snippets) < pages and tried < pages * 3:
            # A page that matched only through the repeated title has nothing to show.
            tried += 1
            best_page = best_page or doc
            snip = make_snippet(doc.text, marked.words.get("body", frozenset()),
                                doc.page, doc.label, marked.prefixes.get("body", ()),
                                marked.phrases.get("body", ()), ocr=doc.ocr)
            if snip is not None:
                snippets.append(snip)
    if summary is not None and not _written_on(summary, snippets):
        snippets.insert(0, summary)
    elif not snippets and entry is not None and entry.summary:
        snippets.append(lead(entry.summary))
    elif not snippets and best_page is not None and best_page.text:
        # Matched through words its title or the feedback added, none of them on the page:
        # the page's opening still says what the result is.
        snippets.append(lead(best_page.text, best_page.page, best_page.label, best_page.ocr))
    assert first is not None
    return Hit(id=found.report, title=first.title, organization=first.organization,
               date=first.date, url=first.url, source=first.source,
               score=found.matches[0].score, snippets=tuple(snippets))

