"""Highlighted passages: the best window of a page around the query's words.

Whoosh's highlighter runs the whole stemming analyzer over every page it shows, which cost
about 70 ms a search at ten times this library's size (benchmarks/run_all.py); here a page's
words are found by one regular expression and each distinct word is stemmed once per process
(the analyzer behind an LRU cache), so the same passages cost a fraction of that. The text is
never cut at 32 KB: a word deep in a long page is highlighted like one at its top.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .engine.analysis import TOKEN_PATTERN, fold, stem

SNIPPET_CHARS = 260  # the passage shown
SNIPPET_LEAD = 100  # characters kept before the first matched word
# The index's own cut of words (engine.analysis.TOKEN_PATTERN), so that what is highlighted is what
# matched.
_WORD = re.compile(TOKEN_PATTERN)


@dataclass(frozen=True)
class Snippet:
    """A passage of a page (or of the summary, when `page` is None) with matched words."""

    page: int | None
    label: str | None
    text: str
    highlights: tuple[tuple[int, int], ...]
    ocr: bool = False  # the page was read by OCR: its words may be misread

    @property
    def citation(self) -> str | None:
        """Where the passage is: "p. 7 (printed 3)", the 7th page of the file printed as page
        3; None for the summary."""
        if self.page is None:
            return None
        printed = f" (printed {self.label})" if self.label and self.label != str(self.page) \
            else ""
        return f"p. {self.page}{printed}"

    def to_json(self) -> dict[str, Any]:
        return {"page": self.page, "label": self.label, "text": self.text,
                "highlights": [list(h) for h in self.highlights], "ocr": self.ocr}


def find(text: str, terms: Collection[str], prefixes: Collection[str] = (),
         phrases: Collection[tuple[str, ...]] = ()) -> list[tuple[int, int, str]]:
    """(start, end, stem) of every word of `text` that matches `terms` or a prefix, and of
    the words of every place where a phrase's words stand together (stop words between them
    skipped, as the index skips them)."""
    if not any(phrases):
        return _find_words(text, terms, prefixes)
    return _find_all(text, terms, prefixes, phrases)


def _find_words(text: str, terms: Collection[str],
                prefixes: Collection[str]) -> list[tuple[int, int, str]]:
    """`find` without phrases: a word is stemmed only when its first letter (accents folded)
    is the first letter of a term or prefix, since stemming keeps a word's first letter."""
    initials = {t[:1] for t in terms} | {p[:1] for p in prefixes}
    if not initials:
        return []
    found = []
    for match in _WORD.finditer(text):
        word = match.group().lower()
        if word[0] not in initials and fold(word[0])[:1] not in initials:
            continue
        stemmed = stem(word)
        if stemmed is not None and (stemmed in terms or
                                    any(stemmed.startswith(p) for p in prefixes)):
            found.append((match.start(), match.end(), stemmed))
    return found


def _find_all(text: str, terms: Collection[str], prefixes: Collection[str],
              phrases: Collection[tuple[str, ...]]) -> list[tuple[int, int, str]]:
    words = []
    for match in _WORD.finditer(text):
        stemmed = stem(match.group().lower())
        if stemmed is not None:
            words.append((match.start(), match.end(), stemmed))
    hit = [stemmed in terms or any(stemmed.startswith(p) for p in prefixes)
           for _, _, stemmed in words]
    starting: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        if phrase:
            starting.setdefault(phrase[0], []).append(phrase)
    if starting:
        # Each word is tried only against the phrases it could start: linear in the page.
        for i, (_, _, stemmed) in enumerate(words):
            for phrase in starting.get(stemmed, ()):
                size = len(phrase)
                if all(i + k < len(words) and words[i + k][2] == phrase[k]
                       for k in range(1, size)):
                    hit[i:i + size] = [True] * size
    return [w for w, on in zip(words, hit, strict=True) if on]


ELLIPSIS = "\u2026"  # marks a snippet that starts or ends inside the text


def make_snippet(text: str, terms: Collection[str], page: int | None, label: str | None,
                 prefixes: Collection[str] = (),
                 phrases: Collection[tuple[str, ...]] = (), ocr: bool = False) -> Snippet | None:
    """The passage of `text` with the most distinct query words (the earliest on ties), or
    None when no query word is on it."""
    matches = find(text, terms, prefixes, phrases) if text else []
    if not matches:
        return None
    best, best_score = 0, (-1, -1)
    for i, (start, _, _) in enumerate(matches):
        inside = [m for m in matches[i:] if m[1] <= start + SNIPPET_CHARS - SNIPPET_LEAD]
        score = (len({m[2] for m in inside}), len(inside))
        if score > best_score:
            best, best_score = i, score
    first = matches[best][0]
    start = max(0, first - SNIPPET_LEAD)
    if start:
        space = text.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", first, end)
        end = space if space > first else end
    before = ELLIPSIS + " " if start else ""
    after = " " + ELLIPSIS if end < len(text) else ""
    shift = len(before) - start
    spans = tuple((s + shift, e + shift) for s, e, _ in matches if start <= s and e <= end)
    return Snippet(page=page, label=label, text=before + flat(text[start:end]) + after,
                   highlights=spans, ocr=ocr)


def lead(text: str, page: int | None = None, label: str | None = None) -> Snippet:
    """The opening of `text`, nothing highlighted."""
    end = min(len(text), SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", 0, end)
        end = space if space > 0 else end
    after = " " + ELLIPSIS if end < len(text) else ""
    return Snippet(page=page, label=label, text=flat(text[:end]) + after, highlights=())


def flat(text: str) -> str:
    """Line breaks as spaces: same length in, same length out, so offsets stay valid."""
    return text.replace("\n", " ").replace("\t", " ")
