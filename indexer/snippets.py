"""Highlighted passages: the best window of a page around the query's words.

Whoosh's highlighter runs the whole stemming analyzer over every page it shows, which cost
about 70 ms a search at ten times this library's size (benchmarks/run_all.py). Here a page is
searched, lower-cased and folded, for how the query's stems begin, and only the words found
there are cut and stemmed (each distinct word once per process), so the same passages cost a
fraction of that. The text is never cut at 32 KB: a word deep in a long page is highlighted
like one at its top.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .engine.analysis import WORD, fold, stem

SNIPPET_CHARS = 260  # the passage shown
SNIPPET_LEAD = 100  # characters kept before the first matched word


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
    """`find` without phrases. A stem is its word's beginning (lower-cased, accents folded)
    but for at most its last letter (`_beginnings`), so only where a page,
    lower-cased and folded, holds such a beginning is a word cut and stemmed; every other
    word of the page is never looked at."""
    starts = _beginnings(frozenset(terms), frozenset(prefixes))
    if starts is None:
        return _scan_words(text, terms, prefixes)
    low = text.lower()
    if not text.isascii():
        table = _fold_table(frozenset(_NON_ASCII.findall(text)))
        if table is None or len(low) != len(text):
            return _scan_words(text, terms, prefixes)
        low = low.translate(table) if table else low
    places = set()
    for start in starts[0]:
        at = low.find(start)
        while at != -1:
            places.add(at)
            at = low.find(start, at + 1)
    if starts[1]:  # single letters: only where a word can begin
        places.update(m.start() for m in _letter_pattern(starts[1]).finditer(low))
    found = []
    done = 0  # the text before this is cut, as the index cuts it
    for p in sorted(places):
        if p < done:
            continue
        before = text[p - 1] if p else " "
        if before not in _JOINING and not _is_word_char(before):
            # a word begins here whatever came before it
            word = WORD.match(text, p)
            words = [word] if word else []
            done = word.end() if word else p + 1
        elif _is_word_char(before) and text[p - 2:p - 1] not in _APOSTROPHES:
            # inside a word that began before: one that could match began with one of
            # `starts` too, and was cut there
            continue
        else:  # after a dot or an apostrophe, or after the letter the index leaves out of
            # "we'll" and "we're": cut the run of letters, dots and apostrophes from its
            # start, or from where the last word cut ended, as the index does
            first = p
            while first > done and (text[first - 1] in _JOINING or
                                    _is_word_char(text[first - 1])):
                first -= 1
            last = p
            while last < len(text) and (text[last] in _JOINING or _is_word_char(text[last])):
                last += 1
            words = list(WORD.finditer(text, first, last))
            done = last
        for word in words:
            stemmed = stem(word.group().lower())
            if stemmed is not None and _hit(stemmed, terms, prefixes):
                found.append((word.start(), word.end(), stemmed))
    return found


def _hit(stemmed: str, terms: Collection[str], prefixes: Collection[str]) -> bool:
    """Whether a stemmed word is one of the query's terms or starts with one of its
    prefixes."""
    return stemmed in terms or any(stemmed.startswith(p) for p in prefixes)


_APOSTROPHES = frozenset("'\u2019")
_JOINING = _APOSTROPHES | {"."}  # what joins or follows letters inside a cut (TOKEN_PATTERN)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what the regular expressions' \w matches


@lru_cache(maxsize=256)
def _beginnings(terms: frozenset[str],
                prefixes: frozenset[str]) -> tuple[tuple[str, ...], str] | None:
    """How a word whose stem is one of `terms` or starts with one of `prefixes` begins: each
    one's letters but the last (at least one); the beginnings of two letters or more, and
    the single letters. None when one would be empty.

    Snowball's English rules change only a word's ending, and at most its last letter
    survives changed ("possibility" -> "possibl", "hoping" -> "hope"): checked on every word
    of both relevance collections and of the reports, and on those words with 45 endings.
    The one exception: a letter and "ying" stems to the letter and "ie" ("dying" -> "die",
    "vying" -> "vie"), so a stem such as "die" also begins "dy".
    """
    starts = set()
    for t in (*terms, *prefixes):
        starts.add(t[:max(1, len(t) - 1)])
        if len(t) == 3 and t.endswith("ie"):
            starts.add(t[0] + "y")
    if not starts or "" in starts:
        return None
    return (tuple(sorted(s for s in starts if len(s) > 1)),
            "".join(sorted(s for s in starts if len(s) == 1)))


@lru_cache(maxsize=64)
def _letter_pattern(letters: str) -> re.Pattern[str]:
    """One of `letters` where a word can begin: not after a word character, but after the
    letter the index leaves out of "we'll"."""
    return re.compile("[" + re.escape(letters) + "](?:(?<!\\w.)|(?<=['\u2019]\\w.))")


@lru_cache(maxsize=256)
def _fold_table(chars: frozenset[str]) -> dict[int, str] | None:
    """How the lower-cased letters among `chars` (outside ASCII) fold, where folding changes
    them; None when a letter lower-cases or folds into other than one letter, or depends on
    its place (a final sigma): its page is then cut word by word (`_scan_words`)."""
    table = {}
    for char in chars:
        if not _is_word_char(char):
            continue
        lower = char.lower()
        folded = fold(lower) if len(lower) == 1 else ""
        if len(folded) != 1 or char in "\u03a3\u03c2":
            return None
        if folded != lower:
            table[ord(lower)] = folded
    return table


def _scan_words(text: str, terms: Collection[str],
                prefixes: Collection[str]) -> list[tuple[int, int, str]]:
    """`_find_words` the slow way, every word of the page cut: a word is stemmed only when
    its first letter (accents folded) is the first letter of a term or prefix, since
    stemming keeps a word's first letter."""
    initials = {t[:1] for t in terms} | {p[:1] for p in prefixes}
    if not initials:
        return []
    found = []
    for match in WORD.finditer(text):
        word = match.group().lower()
        if word[0] not in initials and fold(word[0])[:1] not in initials:
            continue
        stemmed = stem(word)
        if stemmed is not None and _hit(stemmed, terms, prefixes):
            found.append((match.start(), match.end(), stemmed))
    return found


def _find_all(text: str, terms: Collection[str], prefixes: Collection[str],
              phrases: Collection[tuple[str, ...]]) -> list[tuple[int, int, str]]:
    """`find` with phrases: the words of terms, prefixes and phrases found as `_find_words`
    finds them; a phrase's words count where they follow one another with nothing but stop
    words between them, as the index places them."""
    wanted = {word for phrase in phrases for word in phrase}
    words = _find_words(text, frozenset(terms) | wanted, prefixes)
    hit = [_hit(stemmed, terms, prefixes) for _, _, stemmed in words]
    starting: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        if phrase:
            starting.setdefault(phrase[0], []).append(phrase)
    # Whether word i+1 is the next word the index holds after word i: only stop words between.
    follows = [not _holds_word(text, words[i][1], words[i + 1][0])
               for i in range(len(words) - 1)]
    for i, (_, _, stemmed) in enumerate(words):
        for phrase in starting.get(stemmed, ()):
            size = len(phrase)
            if all(i + k < len(words) and follows[i + k - 1] and words[i + k][2] == phrase[k]
                   for k in range(1, size)):
                hit[i:i + size] = [True] * size
    return [w for w, on in zip(words, hit, strict=True) if on]


def _holds_word(text: str, start: int, end: int) -> bool:
    """Whether a word the index keeps (not a stop word) begins between `start`, where a word
    ended, and `end`."""
    for match in WORD.finditer(text, start):
        if match.start() >= end:
            return False
        if stem(match.group().lower()) is not None:
            return True
    return False


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


def lead(text: str, page: int | None = None, label: str | None = None,
         ocr: bool = False) -> Snippet:
    """The opening of `text`, nothing highlighted."""
    end = min(len(text), SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", 0, end)
        end = space if space > 0 else end
    after = " " + ELLIPSIS if end < len(text) else ""
    return Snippet(page=page, label=label, text=flat(text[:end]) + after, highlights=(),
                   ocr=ocr)


def flat(text: str) -> str:
    """Line breaks as spaces: same length in, same length out, so offsets stay valid."""
    return text.replace("\n", " ").replace("\t", " ")
