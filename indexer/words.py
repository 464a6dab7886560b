"""The words the reports are written in, with how often: for "Did you mean", `word~`, `word*`.

Whoosh can keep such a list itself (`spelling=True`), but for the page text that nearly halves
indexing speed (benchmarks/run_all.py: 417 documents a second with it, 760 without), since it
writes every word a second time into a word graph. Here the build counts the distinct written
words of the pages, titles and summaries and saves them, sorted, beside the index
(`words.txt`, one `word<TAB>count` a line). Words within N edits of a typed word are found by
RapidFuzz's Levenshtein distance in C over the words that begin with the typed word's first
letter (Whoosh's automaton, walked in Python, cost about 10 ms a word at this library's size;
this about 1 ms). The counts let "Did you mean" prefer a word people
write often over a rare spelling: `trafficing` is within two edits of both `trafficking` and
`traffic`.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WORDS_FILE = "words.txt"
# Letters only, two or more: numbers and codes are not what people misspell.
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """The library's written words, sorted, and how many times each is written."""

    words: tuple[str, ...]
    counts: dict[str, int]

    def count(self, word: str) -> int:
        return self.counts.get(word, 0)

    def __bool__(self) -> bool:
        return bool(self.words)

    def near(self, word: str, maxdist: int, prefix: int, limit: int) -> list[str]:
        """Up to `limit` other words within `maxdist` edits (insertions, deletions,
        substitutions) of `word` that begin with its first `prefix` letters: the closest
        first, then the most written, then in order."""
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import extract

        lo = bisect.bisect_left(self.words, word[:prefix])
        hi = bisect.bisect_left(self.words, word[:prefix] + "\U0010ffff", lo) if prefix \
            else len(self.words)
        found = extract(word, self.words[lo:hi], scorer=Levenshtein.distance,
                        score_cutoff=maxdist, limit=None)
        ranked = sorted((distance, -self.count(w), w) for w, distance, _ in found if w != word)
        return [w for _, _, w in ranked[:limit]]


EMPTY = Vocabulary((), {})


class WordCollector:
    """Counts of the lower-cased written words of the texts added."""

    def __init__(self, start: Vocabulary = EMPTY) -> None:
        self.counts: Counter[str] = Counter(start.counts)

    def add(self, text: str) -> None:
        if text:
            self.counts.update(_WORD.findall(text.lower()))

    def save(self, folder: Path) -> None:
        (folder / WORDS_FILE).write_text(
            "\n".join(f"{word}\t{self.counts[word]}" for word in sorted(self.counts)),
            encoding="utf-8")


@lru_cache(maxsize=4)
def load(folder: str) -> Vocabulary:
    """The vocabulary of the index generation in `folder` (empty if it has none; a line
    without a count, as older generations wrote them, counts once)."""
    try:
        text = (Path(folder) / WORDS_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return EMPTY
    counts: dict[str, int] = {}
    for line in text.split("\n"):
        word, _, count = line.partition("\t")
        if word:
            counts[word] = int(count) if count.isascii() and count.isdigit() else 1
    return Vocabulary(tuple(sorted(counts)), counts)


def near(vocabulary: Vocabulary, word: str, maxdist: int, prefix: int,
         limit: int) -> list[str]:
    """Up to `limit` words of `vocabulary` within `maxdist` edits of `word`, closest first
    (`Vocabulary.near`)."""
    if not vocabulary:
        return []
    return vocabulary.near(word, maxdist, prefix, limit)


def starting(vocabulary: Vocabulary, prefix: str, limit: int) -> list[str]:
    """Up to `limit` words of `vocabulary` that start with `prefix`."""
    words = vocabulary.words
    start = bisect.bisect_left(words, prefix)
    found = []
    for word in words[start:start + limit]:
        if not word.startswith(prefix):
            break
        found.append(word)
    return found
