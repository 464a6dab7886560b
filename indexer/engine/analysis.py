"""How text is cut into words, for the index, the query compiler and the highlighter alike.

Nothing here loads Whoosh until an analyzer is first asked for: the highlighter (`snippets.py`)
and the CLI import this module cheaply.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

# A word of the text, as the index, the query and the highlighter all cut it: letters and
# digits, joined by single dots ("U.S.", "e.g."). Single letters and digits are words (the T
# of "T visa", the 8 of "Section 8", the 7 of "24/7"); the endings of "don't" and "victim's"
# are not, or every contraction would index a "t" that a search for "T visa" would meet.
TOKEN_PATTERN = r"(?!(?<=['\u2019])(?:s|t|d|ll|re|ve|m)\b)\w+(?:\.?\w+)*"
# Words names are searched without.
NAME_STOP_WORDS = frozenset({"of", "the", "and", "for", "a", "an"})


def english_stem(word: str) -> str:
    """The Snowball English stem of `word` (PyStemmer, the Snowball project's C library).

    Whoosh's own Porter stemmer leaves some words unstemmed ("synchronize") and cuts others
    short; with Snowball, BM25 alone ranks better on both relevance collections
    (benchmarks/relevance.py; README, "Search quality"). A module-level function, because
    Whoosh keeps the analyzer, pickled, in the index.
    """
    return _stemmer().stemWord(word)  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def text_analyzer() -> Any:
    """English words: lower-cased, accents folded, stop words dropped, Snowball-stemmed
    (`textanalyzer.TextAnalyzer`: Whoosh's pipeline below, the same tokens in one loop)."""
    from .textanalyzer import TextAnalyzer

    return TextAnalyzer()


def whoosh_text_analyzer() -> Any:
    """`text_analyzer` as Whoosh's own pipeline of filters."""
    from whoosh.analysis import CharsetFilter, StemmingAnalyzer
    from whoosh.support.charset import accent_map

    return StemmingAnalyzer(expression=TOKEN_PATTERN, minsize=1, stemfn=english_stem,
                            cachesize=50000) | CharsetFilter(accent_map)


def name_analyzer() -> Any:
    """Names of organisations and people: lower-cased words, no stemming."""
    from whoosh.analysis import CharsetFilter, StandardAnalyzer
    from whoosh.support.charset import accent_map

    return StandardAnalyzer(stoplist=NAME_STOP_WORDS) | CharsetFilter(accent_map)


def text_terms(text: str) -> list[str]:
    """The indexed words of `text` in a text field (title, summary, body), in order."""
    with _ANALYZING:  # Whoosh's analyzers keep caches that are not safe across threads
        return [t.text for t in _text()(text)]


def name_terms(text: str) -> list[str]:
    """The indexed words of a name (organisation, author)."""
    with _ANALYZING:
        return [t.text for t in _names()(text)]


_ANALYZING = threading.RLock()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str | None:
    """`word` as the index stores it (lower-cased, accents folded, stemmed); None for a stop
    word or for text that is not one word.

    A single word takes the analyzer's steps directly (lower case, stop words, Snowball, accent
    folding), about ten times faster than the analyzer's pipeline of generators: the
    highlighter stems every distinct word of every page it shows.
    """
    if WORD.fullmatch(word):
        return indexed_form(word.lower())
    tokens = text_terms(word)
    return tokens[0] if len(tokens) == 1 else None


@lru_cache(maxsize=200_000)
def indexed_form(lower: str) -> str | None:
    """A lower-cased word, as cut from a text (`TOKEN_PATTERN`), as the index keeps it:
    Snowball-stemmed, accents folded; None for a stop word."""
    if lower in _stop_words():
        return None
    return english_stem(lower).translate(_accents())


@lru_cache(maxsize=50_000)
def unstemmed_form(lower: str) -> str | None:
    """`indexed_form` without the stemming (what Whoosh's `no_morph` asks for)."""
    return None if lower in _stop_words() else lower.translate(_accents())


def fold(text: str) -> str:
    """`text` with accents folded as the index folds them ("é" -> "e")."""
    return text.translate(_accents())


def analyzed_stem(word: str) -> str | None:
    """What the analyzer's pipeline makes of `word` (one word, or None): `stem`, the slow way."""
    tokens = text_terms(word)
    return tokens[0] if len(tokens) == 1 else None


# The word pattern compiled once, for every module that cuts text into words.
WORD = re.compile(TOKEN_PATTERN)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from whoosh.analysis import STOP_WORDS

    return frozenset(STOP_WORDS)


@lru_cache(maxsize=1)
def _accents() -> dict[int, str]:
    from whoosh.support.charset import accent_map

    return dict(accent_map)


@lru_cache(maxsize=1)
def _text() -> Any:
    return text_analyzer()


@lru_cache(maxsize=1)
def _names() -> Any:
    return name_analyzer()
