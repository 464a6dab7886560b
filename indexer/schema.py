"""The Whoosh schema and analyzers, defined once for the index, the parser and highlighting.

One Whoosh document per page of a report's text (`kind` "page") and one per catalog entry
(`kind` "entry": title, organisation, authors, date, summary and topics). Page documents repeat
the report's title, organisation and authors so that a query whose words are split between the
title and a page still finds that page.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# Field weights for keyword queries: a word in the title or the summary says more about what
# a report is about than the same word on page 40 (questions weigh fields by search.Ranking).
FIELD_BOOSTS = {"title": 3.0, "summary": 2.0, "body": 1.0, "org": 1.5, "author": 1.5}
SCHEMA_VERSION = "7"
# A word of the text, as the index, the query and the highlighter all cut it: letters and
# digits, joined by single dots ("U.S.", "e.g."). Single letters and digits are words (the T
# of "T visa", the 8 of "Section 8", the 7 of "24/7"); the endings of "don't" and "victim's"
# are not, or every contraction would index a "t" that a search for "T visa" would meet.
TOKEN_PATTERN = r"(?!(?<=['\u2019])(?:s|t|d|ll|re|ve|m)\b)\w+(?:\.?\w+)*"


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
    """English words: lower-cased, accents folded, stop words dropped, Snowball-stemmed."""
    from whoosh.analysis import CharsetFilter, StemmingAnalyzer
    from whoosh.support.charset import accent_map

    return StemmingAnalyzer(expression=TOKEN_PATTERN, minsize=1, stemfn=english_stem,
                            cachesize=50000) | CharsetFilter(accent_map)


def name_analyzer() -> Any:
    """Names of organisations and people: lower-cased words, no stemming."""
    from whoosh.analysis import CharsetFilter, StandardAnalyzer
    from whoosh.support.charset import accent_map

    return StandardAnalyzer(stoplist=frozenset({"of", "the", "and", "for", "a", "an"})) | \
        CharsetFilter(accent_map)


def make_schema() -> Any:
    from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

    words = text_analyzer()
    names = name_analyzer()
    return Schema(
        docid=ID(unique=True, stored=True),
        report=ID(stored=True, sortable=True),
        kind=ID(stored=True),
        # "body" on the documents that have one, so that BM25 takes the body's average length
        # and document count over them alone (scoring.py).
        has=ID(),
        page=NUMERIC(int, stored=True),
        label=STORED(),
        # On a page read by OCR, Tesseract's mean word confidence (absent on other pages).
        ocr=STORED(),
        title=TEXT(analyzer=words, stored=True, spelling=True),
        summary=TEXT(analyzer=words, stored=True, spelling=True),
        # No spelling=True here: indexer/words.py keeps the page text's word list, faster.
        body=TEXT(analyzer=words, stored=True),
        org=TEXT(analyzer=names, stored=True),
        author=TEXT(analyzer=names, stored=True),
        year=NUMERIC(int, stored=True, signed=False, bits=32),
        date=STORED(),
        url=STORED(),
        source=STORED(),
    )
