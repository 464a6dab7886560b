"""Query trees of `query.py` as Whoosh queries, and the filters of a search."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from whoosh import query as wq

from ..errors import QueryError
from ..query import AllOf, Node, Not, Phrase, Word, YearRange
from . import TEXT_FIELDS, Expand, Facets, Marked, Where
from .analysis import name_terms, stem, text_terms

# Whoosh scores an Or of more than two parts over an index of under 5,000 documents with an
# "array" matcher (PreloadedOr) whose top N, when fewer than all matches are asked for, is not
# the true top N: on Cranfield, asking for 20 documents returned a best score of 22.3 where
# the best document scores 50.0. Its binary tree of unions (DefaultOr) ranks right; Whoosh
# offers this class attribute to choose it.
wq.Or.matcher_type = wq.Or.DEFAULT_MATCHER


class Compiler:
    """Turns a query tree into a Whoosh query over the fields in `boosts`.

    `split` says how a word written with inner marks ("interference-free") counts: "" as a
    phrase, "terms" as its parts, "phrase" as its parts and the phrase. `expand` gives the
    written words a `word*` or `word~N` stands for.
    """

    def __init__(self, schema: Any, boosts: Mapping[str, float], expand: Expand,
                 split: str = "") -> None:
        self.schema = schema
        self.boosts = dict(boosts)
        self.expand = expand
        self.split = split

    def node(self, node: Node) -> Any:
        """The Whoosh query for `node`, or None when it holds no searchable word."""
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
        if field is None and not text_terms(" ".join(words)):
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
        typed = word.text.lower()
        if field not in TEXT_FIELDS:
            if word.prefix:
                return wq.Prefix(field, typed, boost=boost)
            return wq.FuzzyTerm(field, typed, boost=boost, maxdist=word.edits, prefixlength=1)
        stems: set[str] = set()
        for each in self.expand(typed, word.prefix, word.edits):
            stemmed = stem(each)
            if stemmed is not None:
                stems.add(stemmed)
        terms: list[Any] = [wq.Term(field, s, boost=boost) for s in sorted(stems)]
        if word.prefix:
            terms.append(wq.Prefix(field, typed, boost=boost))  # stems that start with it
        return wq.Or(terms) if terms else None


def merge_repeats(q: Any) -> Any:
    """An any-word query with each repeated term once, weighing as many times as it was
    asked: BM25's query term frequency. A long question names its subject more than once
    ("...optimization of loops and global optimization"), and Whoosh would count it once."""
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


def weighted(terms: Iterable[tuple[str, str, float]]) -> Any:
    """Any of the (field, word, weight) terms, each scoring by its weight."""
    return wq.Or([wq.Term(field, text, boost=boost) for field, text, boost in terms])


def where_filter(where: Where, with_names: bool = True) -> Any:
    """The filter of `where` (None when it filters nothing); without the organisation and
    the years when not `with_names` (what facets count under)."""
    parts: list[Any] = []
    if where.within is not None:
        parts.append(wq.Or([wq.Term("report", rid) for rid in sorted(where.within)])
                     if where.within else wq.NullQuery)
    if with_names:
        parts.extend(name_parts(where))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def org_words(org: str) -> list[str]:
    """The words of `--org`; `QueryError` when it has none to match."""
    words = name_terms(org)
    if not words:
        raise QueryError(f"--org {org!r} has no words to match; give part of a name.")
    return words


def name_parts(where: Where) -> list[Any]:
    parts: list[Any] = []
    if where.org:
        parts.append(wq.And([wq.Term("org", w) for w in org_words(where.org)]))
    if where.organization is not None:
        parts.append(wq.Term("organization", where.organization))
    if where.years:
        parts.append(wq.NumericRange("year", where.years[0], where.years[1]))
    return parts


class NameTest:
    """Whether a report's organisation and year pass `where` (`--org` words, an organisation
    as written, a span of years), as the filters of `name_parts` decide for its documents."""

    def __init__(self, where: Where) -> None:
        self.where = where
        self.words = frozenset(org_words(where.org)) if where.org else frozenset()
        self.active = bool(where.org or where.organization is not None or where.years)
        self._organizations: dict[str, bool] = {}  # each organisation's words cut once

    def organization(self, org: str) -> bool:
        if org not in self._organizations:
            self._organizations[org] = \
                (self.where.organization is None or org == self.where.organization) and \
                (not self.words or self.words <= frozenset(name_terms(org)))
        return self._organizations[org]

    def year(self, year: int) -> bool:
        years = self.where.years
        return years is None or years[0] <= year <= years[1]

    def passes(self, org: str, year: int) -> bool:
        return self.organization(org) and self.year(year)


def facet_counts(reports: Iterable[tuple[str, int]], test: NameTest) -> Facets:
    """The organisations and years of `reports` (each its organisation and year, matching
    under every filter but these), each counted under the other's filter, most first."""
    orgs: Counter[str] = Counter()
    years: Counter[int] = Counter()
    for org, year in reports:
        if org and test.year(year):
            orgs[org] += 1
        if year and test.organization(org):
            years[year] += 1
    return Facets(organization=tuple(sorted(orgs.items(), key=lambda x: (-x[1], x[0]))),
                  year=tuple(sorted(years.items(), reverse=True)))


def split_exclusions(q: Any) -> tuple[Any, Any]:
    """`q` without its top-level `NOT x` / `-x`, and those exclusions (None when none).

    They exclude whole reports, not single pages: a person who types `housing -rural` means
    reports that do not talk about rural areas; Whoosh alone would return every page of such a
    report that happens not to say "rural".
    """
    negatives: list[Any] = []
    if isinstance(q, wq.Not):  # "-rural" alone: every report that never says it
        q, negatives = wq.Every(), [q.query]
    elif isinstance(q, wq.AndNot):
        q, negatives = q.a, [q.b]
    elif isinstance(q, wq.And) and any(isinstance(c, wq.Not) for c in q.subqueries):
        negatives = [c.query for c in q.subqueries if isinstance(c, wq.Not)]
        rest = [c for c in q.subqueries if not isinstance(c, wq.Not)]
        q = wq.And(rest) if len(rest) > 1 else (rest[0] if rest else wq.Every())
    return q, (wq.Or(negatives) if negatives else None)


def is_plain(q: Any) -> bool:
    """Whether `q` is any of its words and nothing else (a union of posting lists)."""
    return all(isinstance(node, (wq.Or, wq.Term)) for node in _nodes(q))


def _nodes(q: Any) -> list[Any]:
    out = [q]
    if not q.is_leaf():
        for child in q.children():
            out.extend(_nodes(child))
    return out


def marked(q: Any) -> Marked:
    """The words, prefixes and phrases `q` looks for, by field (for highlighting)."""
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
    return Marked(words={f: frozenset(w) for f, w in words.items()},
                  prefixes={f: frozenset(p) for f, p in prefixes.items()},
                  phrases={f: frozenset(p) for f, p in phrases.items()})


# Parts of a query scored by Whoosh alone and added up with the rest (`arrays.Scorer`).
SCORED_APART = (wq.Phrase, wq.Prefix, wq.FuzzyTerm, wq.NumericRange)


def whole_lists(q: Any) -> bool:
    """Whether `q` can be scored over whole posting lists (`arrays.py`): Terms (and phrases,
    prefixes, fuzzy terms and year ranges, which Whoosh scores apart) under Ors and Ands."""
    if isinstance(q, wq.Term):
        return isinstance(q.text, str)
    if q is wq.NullQuery or isinstance(q, SCORED_APART):
        return True
    if type(q) in (wq.Or, wq.And):
        return all(whole_lists(child) for child in q.subqueries)
    return False
