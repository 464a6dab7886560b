"""Key terms of pages: the words most typical of them against the whole generation (for
pseudo-relevance feedback and similar reports), scored as Whoosh's `Searcher.key_terms` scores
them, from the pages' words as the index cuts them (no re-analysis through Whoosh's filters)."""

from __future__ import annotations

import math
import threading
from collections import Counter
from typing import Any

from .analysis import WORD, indexed_form


class Frequencies:
    """How often each word is written in a field over one generation, looked up once."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, str], float | None] = {}
        self.lock = threading.Lock()

    def get(self, reader: Any, field: str, word: str) -> float | None:
        key = (field, word)
        with self.lock:
            if key in self.kept:
                return self.kept[key]
        # A word the generation holds is written at least once: 0 means it holds none.
        found = float(reader.frequency(field, word)) or None
        with self.lock:
            if len(self.kept) > 200_000:
                self.kept.clear()
            self.kept[key] = found
        return found


def key_terms(frequencies: Frequencies, reader: Any, texts: list[str], field: str,
              count: int) -> list[tuple[str, float]]:
    """The `count` words most typical of `texts` against the generation, scored as Whoosh's
    `Searcher.key_terms` scores them (Bo1, normalised), from the texts' words as the index
    cuts them."""
    written: Counter[str] = Counter()
    for text in texts:
        written.update(WORD.findall(text))
    weights: dict[str, float] = {}
    for word, times in written.items():
        form = indexed_form(word.lower())
        if form is not None:
            weights[form] = weights.get(form, 0.0) + times
    if not weights:
        return []
    documents = int(reader.doc_count_all())
    scored: list[tuple[float, str]] = []
    best = 0.0
    for word, weight in weights.items():
        frequency = frequencies.get(reader, field, word)
        if frequency is None:
            continue
        f = frequency / documents
        score = weight * math.log((1.0 + f) / f, 2) + math.log(1.0 + f, 2)
        best = max(best, score)
        scored.append((score, word))
    if best:
        f = best / documents
        norm = (best * math.log((1.0 + f) / f) + math.log(1.0 + f)) / math.log(2.0)
    else:
        norm = best
    ranked = sorted(((score / norm, word) for score, word in scored),
                    key=lambda x: (0 - x[0], x[1]))
    return [(word, score) for score, word in ranked[:count]]
