"""Acronyms the reports define, learned from their own text while the index is built.

Reports spell an acronym out once ("Domestic Minor Sex Trafficking (DMST)") and use the short
form after, so a person searching for one form misses pages written with the other. Rather than
keep a hand list that goes stale with every new report, the build reads each page's
definitions with the algorithm of Schwartz & Hearst (2003, "A simple algorithm for identifying
abbreviation definitions in biomedical text"), counts each (acronym, expansion) pair, and saves
per acronym its most frequent expansion beside the index (`acronyms.json`), as `words.py` does
for the word list. Search reads it back with `load`; a missing or damaged file is an empty list,
since acronyms only widen a search and must never stop one. Pure Python: no engine import.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

log = logging.getLogger(__name__)

ACRONYMS_FILE = "acronyms.json"
FILE_VERSION = 1
# A pair seen this many times across the library is kept. One definition is enough: most
# reports define an acronym once, and a library may hold a single report that uses it.
MIN_SEEN = 1

# Schwartz & Hearst's bounds on a short form: shorter is a list marker "(a)", longer is prose.
_SHORT_MIN, _SHORT_MAX = 2, 10
# The longest parenthesis read, so a stray "(" never makes a page scan quadratic; a reverse
# definition has at most 2 * _SHORT_MAX words, well inside this.
_PAREN_MAX = 200
# How far back from "(" a long form is looked for, in characters; the word limit below is the
# real bound, this only keeps the slice small.
_WINDOW_CHARS = 300
_PAREN = re.compile(rf"\(([^()]{{1,{_PAREN_MAX}}})\)")
# A long form stays inside its clause: it never reaches back past another parenthesis, a
# semicolon or colon, a paragraph break, or a sentence end. A sentence end is a full stop after
# two letters, so "U.S. Department of ..." is not cut after "U.S.". The greedy start finds the
# last one by backing off from the end, not by listing every one (a page of "(a) (b) (c)").
_LAST_CLAUSE_END = re.compile(r"(?s:.*)(?:[()\[\];:]|\n\s*\n|(?<=[^\W\d_]{2})[.!?](?=\s))")
# An article spelt before a long form is not part of the name ("the National Hotline (NH)").
_LEADING_STOP_WORDS = frozenset({"the", "a", "an"})
# Quotes and stray punctuation around either form: “Domestic Minor Sex Trafficking” (DMST).
_EDGE_PUNCT = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb`,;:*"
_POSSESSIVE = re.compile("['\u2019]s$")
# Small words that join the words of a name and rarely give it a letter.
_JOINING = re.compile(r"(?:a|an|and|at|by|for|in|of|on|or|the|to|with)\b", re.IGNORECASE)


def find_pairs(text: str) -> list[tuple[str, str]]:
    """The (acronym, expansion) pairs `text` defines, in order, each as written.

    Both "Long Form (LF)" and, for an all-capitals acronym, "LF (Long Form)" are read.
    """
    pairs = []
    for match in _PAREN.finditer(text):
        inside = match.group(1).strip()
        # "(CSEC; see also ...)", "(TVPA, 2000)": the short form is what comes before.
        short = re.split(r"[;,]\s", inside, maxsplit=1)[0].strip().strip(_EDGE_PUNCT)
        pair = None
        if _valid_short_form(short):
            pair = _forward(short, text, match.start())
        if pair is None:
            pair = _reverse(text, match.start(), inside)
        if pair is not None:
            pairs.append(pair)
    return pairs


def _valid_short_form(short: str) -> bool:
    return (_SHORT_MIN <= len(short) <= _SHORT_MAX
            and len(short.split()) <= 2
            and short[0].isalnum()
            and any(c.isupper() for c in short))


def _max_words(short: str) -> int:
    return min(len(short) + 5, len(short) * 2)


def _best_long_form(short: str, long: str) -> str | None:
    """The shortest end of `long` that holds the characters of `short` in order.

    Schwartz & Hearst's matching: right to left, each letter or digit of the short form is found
    in the long form, and the first one must start a word there. Their matching lets that word
    be "of" ("Office of Refugee Resettlement (ORR)" gives "of Refugee Resettlement"), so a start
    on a small joining word is tried last, kept only when nothing else fits ("A Safe Place (ASP)").
    """
    return _match(short, long, skip_joining=True) or _match(short, long, skip_joining=False)


def _match(short: str, long: str, skip_joining: bool) -> str | None:
    s = len(short) - 1
    li = len(long) - 1
    while s >= 0:
        char = short[s].lower()
        if not char.isalnum():
            s -= 1
            continue
        while li >= 0 and (long[li].lower() != char
                           or (s == 0 and not _starts_word(long, li, skip_joining))):
            li -= 1
        if li < 0:
            return None
        li -= 1
        s -= 1
    # The long form starts at the word holding the first match.
    start = max(long.rfind(" ", 0, li + 1), long.rfind("\n", 0, li + 1)) + 1
    return long[start:]


def _starts_word(long: str, at: int, skip_joining: bool) -> bool:
    if at > 0 and long[at - 1].isalnum():
        return False
    return not (skip_joining and _JOINING.match(long, at))


def _accept(short: str, long: str | None) -> tuple[str, str] | None:
    """`long` tidied, if it reads as a definition of `short`."""
    if long is None:
        return None
    long = " ".join(long.split()).strip(_EDGE_PUNCT + " ")
    # "the Federal Bureau of Investigation's (FBI) tip line" names the bureau, not its own.
    long = _POSSESSIVE.sub("", long)
    # Drop a leading article only while the rest still spells the acronym: "A Safe Place (ASP)"
    # needs its "A".
    while True:
        first, _, rest = long.partition(" ")
        if first.lower() not in _LEADING_STOP_WORDS or _best_long_form(short, rest) != rest:
            break
        long = rest
    words = long.split()
    if (len(words) < 2 or len(words) > _max_words(short) or len(long) <= len(short)
            or short.lower() in (w.strip(_EDGE_PUNCT).lower() for w in words)):
        return None
    return short, long


def _forward(short: str, text: str, paren: int) -> tuple[str, str] | None:
    """`short` defined by the words before its parenthesis: "Long Form (LF)"."""
    before = text[max(0, paren - _WINDOW_CHARS):paren]
    last_end = _LAST_CLAUSE_END.match(before)
    if last_end:
        before = before[last_end.end():]
    words = before.split()[-_max_words(short):]
    if not words:
        return None
    return _accept(short, _best_long_form(short, " ".join(words)))


def _reverse(text: str, paren: int, inside: str) -> tuple[str, str] | None:
    """The word before the parenthesis defined by its contents: "LF (Long Form)"."""
    words = text[max(0, paren - 40):paren].split()
    if not words:
        return None
    short = words[-1].strip(_EDGE_PUNCT)
    # Only all capitals: "shelters (see page 4)" must not read "shelters" as an acronym.
    if not _valid_short_form(short) or any(c.islower() for c in short):
        return None
    long = re.split(r"[;,]\s", inside, maxsplit=1)[0].strip(_EDGE_PUNCT + " ")
    pair = _accept(short, _best_long_form(short, long))
    # The whole parenthesis must be the name, not its last few words.
    if pair is None or not _same_name(pair[1], long):
        return None
    return pair


def _same_name(found: str, written: str) -> bool:
    words = written.split()
    while words and words[0].lower() in _LEADING_STOP_WORDS:
        words = words[1:]
    return found.split() in (words, written.split())


def _normal(phrase: str) -> str:
    return " ".join(phrase.lower().split())


class AcronymCollector:
    """Counts of the (acronym, lower-cased expansion) pairs the texts added define."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def add(self, text: str) -> None:
        # A cheap test first: most pages define nothing, and the build calls this for each.
        if "(" in text:
            self.counts.update((short, _normal(long)) for short, long in find_pairs(text))

    def best(self) -> dict[str, str]:
        """Per lower-cased acronym its most frequent expansion (ties: alphabetical first)."""
        seen: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for (short, long), count in self.counts.items():
            # "CSEC" and "Csec" are one acronym, as search matches them without case.
            seen[short.lower()][long] += count
        best = {}
        for short, expansions in seen.items():
            long, count = min(expansions.items(), key=lambda item: (-item[1], item[0]))
            if count >= MIN_SEEN:
                best[short] = long
        return dict(sorted(best.items()))

    def save(self, folder: Path) -> None:
        data = {"version": FILE_VERSION, "acronyms": self.best()}
        (folder / ACRONYMS_FILE).write_text(
            json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
            encoding="utf-8")


@dataclass(frozen=True, eq=False)
class Acronyms(Mapping[str, str]):
    """Lower-cased acronym -> lower-cased expansion, read-only, with the reverse lookup."""

    expansions: Mapping[str, str] = field(default_factory=dict)
    _acronyms: Mapping[str, tuple[str, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Read-only copies: `load` hands one instance to every caller through its cache.
        expansions = {short.lower(): _normal(long) for short, long in self.expansions.items()}
        reverse: defaultdict[str, list[str]] = defaultdict(list)
        for short, long in expansions.items():
            reverse[long].append(short)
        object.__setattr__(self, "expansions", MappingProxyType(expansions))
        object.__setattr__(self, "_acronyms", MappingProxyType(
            {long: tuple(sorted(shorts)) for long, shorts in reverse.items()}))

    def __getitem__(self, acronym: str) -> str:
        return self.expansions[acronym]

    def __iter__(self) -> Iterator[str]:
        return iter(self.expansions)

    def __len__(self) -> int:
        return len(self.expansions)

    def long(self, acronym: str) -> str | None:
        """The expansion of `acronym` in any case ("dmst", "DMST"), or None."""
        return self.expansions.get(acronym.strip().lower())

    def short(self, phrase: str) -> tuple[str, ...]:
        """The acronyms whose expansion is `phrase` (any case, a leading "the" ignored)."""
        words = _normal(phrase).split()
        if words and words[0] in _LEADING_STOP_WORDS:
            found = self._acronyms.get(" ".join(words[1:]))
            if found:
                return found
        return self._acronyms.get(" ".join(words), ())


@lru_cache(maxsize=4)
def load(folder: str) -> Acronyms:
    """The acronyms of the index generation in `folder`; none if its file is missing or damaged."""
    path = Path(folder) / ACRONYMS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Acronyms()
    except (OSError, ValueError) as error:
        # ValueError covers bad JSON and bad UTF-8 alike.
        log.warning("Ignoring %s, which cannot be read (%s); rebuild the index to renew it.",
                    path, error)
        return Acronyms()
    table = data.get("acronyms") if isinstance(data, dict) else None
    if (not isinstance(data, dict) or data.get("version") != FILE_VERSION
            or not isinstance(table, dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items())):
        log.warning("Ignoring %s, which is not a version %d acronym list; rebuild the index "
                    "to renew it.", path, FILE_VERSION)
        return Acronyms()
    return Acronyms(table)
