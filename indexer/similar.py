"""Reports like a report: the key terms of its summary and pages, searched for in the others."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from .engine import Searcher, Where
from .engine.analysis import stem
from .errors import NotFoundError
from .query import QUESTION_WORDS
from .results import Similar

# Key terms taken from a report (its summary, and up to SIMILAR_PAGES pages) to find others.
SIMILAR_TERMS = 15
SIMILAR_PAGES = 20
# Key terms shown for each similar report.
SHOWN_TERMS = 8
_PLAIN_WORD = re.compile(r"[^\W_][\w'\u2019-]*")


# Words that tie every English text to every other: pronouns, quantifiers, adverbs (on top of
# the question words). A small library's key terms of a scan read by OCR were "they, so, he,
# something".
_COMMON = frozenset("""
    he she him her his hers himself herself itself themselves ourselves yourself yourselves
    something anything nothing everything someone anyone everyone somebody anybody nobody
    one ones very just only even still yet already really quite rather however although
    though because since until unless whether each every either neither both few many several
    all none own same another thing things lot back out up down over off again ever never
    always often sometimes now here say says said tell tells told
    """.split())  # noqa: SIM905 (a word list reads better as words)


def is_word(term: str) -> bool:
    """A word worth weighing or showing: not a bare number, a year or a lone letter."""
    return len(term) > 1 and not any(c.isdigit() for c in term)


def is_key_term(term: str) -> bool:
    """A word that may tie one text to another: a word (`is_word`) that not every English
    text has (the key terms of a report, or of a pasted case note)."""
    return is_word(term) and term not in _common()


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    """The indexed forms (stems) of the question words and of `_COMMON`."""
    return frozenset(s for w in QUESTION_WORDS | _COMMON if (s := stem(w)) is not None)


def similar(searcher: Searcher, report_id: str, limit: int) -> list[Similar]:
    """The reports most like `report_id`, each with the key terms that tie them."""
    docs = searcher.report_docs(report_id)
    if not docs:
        raise NotFoundError(f"{report_id!r} is not in the index yet. Run `splib update`.")
    weights: dict[tuple[str, str], float] = {}
    texts: list[str] = []
    stored = [(d, searcher.stored(d)) for d in docs]
    for field in ("summary", "body"):
        having = [(d, s.summary if field == "summary" else s.text) for d, s in stored]
        having = [(d, text) for d, text in having if text][:SIMILAR_PAGES]
        texts += [text for _, text in having]
        if having:
            keys = searcher.key_terms([d for d, _ in having], field, SIMILAR_TERMS * 2)
            # Words tie reports together; numbers, years and lone letters tie every report
            # to every other ("2021", "10").
            for term, score in [(t, s) for t, s in keys if is_key_term(t)][:SIMILAR_TERMS]:
                weights[(field, term)] = score
    if not weights:
        return []
    top = max(weights.values())
    q = searcher.weighted((field, term, score / top) for (field, term), score in weights.items())
    ranked = searcher.search(q, Where(), limit=limit, pages=0, exclude=report_id, terms=True)
    words = _surface_words(texts)

    def strength(word: str) -> float:
        return max(weights.get(("body", word), 0.0), weights.get(("summary", word), 0.0))

    found = []
    for each in ranked.reports[:limit]:
        first = searcher.stored(each.matches[0].doc)
        shared = {t for f, t in each.terms if f in ("summary", "body")}
        # Strongest first; ties by the word, so every process lists them alike.
        terms = sorted(shared, key=lambda t: (-strength(t), t))[:SHOWN_TERMS]
        found.append(Similar(id=each.report, title=first.title,
                             organization=first.organization, date=first.date,
                             score=each.matches[0].score,
                             terms=tuple(words.get(t, t) for t in terms)))
    return found


def _surface_words(texts: list[str]) -> dict[str, str]:
    """For each stem in `texts`, its most frequent written form ("servic" -> "services")."""
    counts: dict[str, Counter[str]] = {}
    for text in texts:
        for word in _PLAIN_WORD.findall(text[:20000]):
            stemmed = stem(word.lower())
            if stemmed is not None:
                counts.setdefault(stemmed, Counter())[word.lower()] += 1
    return {stem: forms.most_common(1)[0][0] for stem, forms in counts.items()}
