"""Typing mistakes: "Did you mean" for words the library never writes, and the written words a
`word~N` or `word*` stands for, both from the library's vocabulary (`words.py`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from .engine import FIELD_BOOSTS, TEXT_FIELDS, EngineQueryError, Searcher, Where
from .engine.analysis import stem
from .errors import QueryError
from .query import Node, Phrase, Word, parse
from .words import Vocabulary, near, starting

log = logging.getLogger(__name__)

# Words a fuzzy or prefix term may expand to; past this the query is too vague to help.
MAX_EXPANSIONS = 200
# ... and all of a query's together (300 `xy*` would otherwise be 60,000 terms per field).
MAX_QUERY_EXPANSIONS = 1000


class Expansions:
    """The written words each `word*` and `word~N` of one query stands for, within the
    query's budget (`engine.Expand`)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.budget = MAX_QUERY_EXPANSIONS
        self.written: dict[tuple[str, bool, int], list[str]] = {}

    def __call__(self, typed: str, prefix: bool, edits: int) -> Sequence[str]:
        key = (typed, prefix, edits)
        if key in self.written:
            written = self.written[key]
        else:
            limit = min(MAX_EXPANSIONS, self.budget)
            written = starting(self.vocabulary, typed, limit) if prefix else \
                [*near(self.vocabulary, typed, edits, 1, limit), typed]
            self.written[key] = written
        self.budget = max(1, self.budget - len(written))
        return written


def corrections(searcher: Searcher, vocabulary: Vocabulary,
                nodes: Sequence[Word | Phrase] | Sequence[Node]) -> dict[str, str]:
    """Typed words the library never writes, each with the written word it most likely
    meant: within two edits, the closer and the more often written first, and not one that
    stems as the typed word does ("trafficing" -> "trafficking", although its stem
    "traffic" is a word: "traffic" would search the same stem)."""
    fixes: dict[str, str] = {}
    for node in nodes:
        if not isinstance(node, Word) or node.prefix or node.edits \
                or node.field not in (None, *TEXT_FIELDS):
            continue
        typed = node.text.lower()
        if len(typed) < 3 or not typed.isalpha() or typed in fixes:
            continue
        if vocabulary.count(typed) or any(searcher.has_term(f, typed) for f in TEXT_FIELDS):
            continue  # a word the library writes is not a typo: it may be the subject
        own = stem(typed)
        best: tuple[float, str] | None = None
        for distance in (1, 2):
            for word in near(vocabulary, typed, distance, 1, 20):
                count = vocabulary.count(word)
                if stem(word) == own:  # it would search what was typed
                    continue
                # A second edit must be ten times as common to beat a first.
                score = count / (10 ** (distance - 1))
                if best is None or (score, word) > best:
                    best = (score, word)
            if best is not None:
                break
        if best is not None:
            fixes[typed] = best[1]
    return fixes


def replace_words(text: str, fixes: dict[str, str]) -> str:
    """`text` with each typed word in `fixes` replaced, everything else as typed."""
    return re.sub(r"[^\W\d_]+", lambda m: fixes.get(m.group(0).lower(), m.group(0)), text)


def checked(searcher: Searcher, vocabulary: Vocabulary, corrected: str,
            where: Where) -> str | None:
    """`corrected` if it finds reports, else None: a suggestion that finds nothing helps no
    one."""
    try:
        q = searcher.compile(parse(corrected).node, FIELD_BOOSTS, Expansions(vocabulary))
        if q is None or not searcher.any_match(q, where):
            return None
    except (QueryError, EngineQueryError) as exc:  # a suggestion it cannot run is none
        log.info("suggestion %r left out: %s", corrected, exc)
        return None
    return corrected
