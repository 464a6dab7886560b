"""The words the reports are written in, for "Did you mean" and for `word~` and `word*`.

Whoosh can keep such a list itself (`spelling=True`), but for the page text that nearly halves
indexing speed (benchmarks/run_all.py: 417 documents a second with it, 760 without), since it
writes every word a second time into a word graph. Here the build collects the distinct
written words of the pages in a set and saves them, sorted, beside the index (`words.txt`);
Whoosh's `ListCorrector` walks that sorted list with a Levenshtein automaton.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

WORDS_FILE = "words.txt"
# Letters only, two or more: numbers and codes are not what people misspell.
_WORD = re.compile(r"[^\W\d_]{2,}")


class WordCollector:
    """Distinct lower-cased written words of the texts added."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self.words: set[str] = set(words)

    def add(self, text: str) -> None:
        self.words.update(_WORD.findall(text.lower()))

    def save(self, folder: Path) -> None:
        (folder / WORDS_FILE).write_text("\n".join(sorted(self.words)), encoding="utf-8")


@lru_cache(maxsize=4)
def load(folder: str) -> tuple[str, ...]:
    """The sorted word list of the index generation in `folder` (empty if it has none)."""
    try:
        text = (Path(folder) / WORDS_FILE).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ()
    return tuple(text.split("\n")) if text else ()


def near(words: tuple[str, ...], word: str, maxdist: int, prefix: int,
         limit: int) -> list[str]:
    """Up to `limit` words of `words` within `maxdist` edits of `word`, closest first."""
    from whoosh.spelling import ListCorrector

    if not words:
        return []
    return [str(w) for w in ListCorrector(list(words)).suggest(word, limit=limit,
                                                               maxdist=maxdist, prefix=prefix)]


def starting(words: tuple[str, ...], prefix: str, limit: int) -> list[str]:
    """Up to `limit` words of `words` that start with `prefix`."""
    start = bisect.bisect_left(words, prefix)
    found = []
    for word in words[start:start + limit]:
        if not word.startswith(prefix):
            break
        found.append(word)
    return found
