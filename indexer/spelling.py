"""Typing mistakes: "Did you mean" for words the library never writes, and the written words a
`word~N` or `word*` stands for, both from the library's vocabulary (`words.py`)."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

from .engine import FIELD_BOOSTS, TEXT_FIELDS, EngineQueryError, Searcher, Where
from .engine.analysis import stem
from .errors import QueryError
from .query import QUESTION_WORDS, AllOf, AnyOf, Node, Phrase, Word, parse
from .words import Vocabulary, near, starting

log = logging.getLogger(__name__)

# Where a word the library writes may be: its text, and its catalog's names ("HHS").
WRITTEN_IN = (*TEXT_FIELDS, "org", "author")
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


def _typed_words(nodes: Sequence[Word | Phrase] | Sequence[Node]) -> Iterator[tuple[Word, str]]:
    """The plain words of `nodes` (no prefix, no fuzzy edits, in the text or no field), each
    with its lower-case text: the words a correction, a code or a web name may stand for."""
    for node in nodes:
        if isinstance(node, Word) and not node.prefix and not node.edits \
                and node.field in (None, *TEXT_FIELDS):
            yield node, node.text.lower()


def corrections(searcher: Searcher, vocabulary: Vocabulary,
                nodes: Sequence[Word | Phrase] | Sequence[Node]) -> dict[str, str]:
    """Typed words the library never writes, each with the written word it most likely
    meant: within `max_edits` of it (one edit for a word of three to five letters, two for a
    longer one), the closer and the more often written first, and not one that
    stems as the typed word does ("trafficing" -> "trafficking", although its stem
    "traffic" is a word: "traffic" would search the same stem). A word typed in capitals is
    an acronym, not a typo (SIJS is not "six"); an English word is not one either, although
    the library never writes it ("staying" is not "stating"); and a word that only gives a
    sentence its form ("has", "the") is no one's subject, so never a correction."""
    fixes: dict[str, str] = {}
    if _another_language(nodes):
        return fixes  # "víctima" is no typo of "victims" in a question asked in Spanish
    for node, typed in _typed_words(nodes):
        if _acronym(node.text) or len(typed) < 3 or not typed.isalpha() or typed in fixes:
            continue
        if vocabulary.count(typed) or any(searcher.has_term(f, typed) for f in WRITTEN_IN):
            continue  # a word the library writes is not a typo: it may be the subject
        own = stem(typed)
        best: tuple[float, str] | None = None
        for distance in range(1, max_edits(typed) + 1):
            for word in near(vocabulary, typed, distance, 1, 20):
                count = vocabulary.count(word)
                if stem(word) == own or word in QUESTION_WORDS:
                    continue  # it would search what was typed, or nothing
                # A second edit must be ten times as common to beat a first.
                score = count / (10 ** (distance - 1))
                if best is None or (score, word) > best:
                    best = (score, word)
            if best is not None:
                break
        # An English word is no typo, even one the library never writes ("staying").
        if best is not None and not is_english(typed):
            fixes[typed] = best[1]
    return fixes


# Words that give a sentence its form in Spanish, French, Portuguese, Italian and German and
# are rare in English queries (those they hold too are left out: "de", "la", "el", "los",
# "da", "des", "et", "al", "do", "y", "mit", "die", "was", "son", "comment"...). Two of them
# tell a query asked in another language.
_OTHER_LANGUAGES = frozenset("""
    del una unos unas para por que como cómo qué cuál cuándo dónde está están les une est
    sont dans pour avec qui quoi où aux cette ces uma não é são der ein eine und ist sind für
    nicht wie della delle dei degli che sono
    """.split())  # noqa: SIM905 (a word list reads better as words)


def _another_language(nodes: Sequence[Word | Phrase] | Sequence[Node]) -> bool:
    """Whether the query's words are those of a sentence in another language: two of its
    little words, or one and a word English does not spell ("una" and "señales"). Words
    with accents alone decide nothing ("México", "résumé")."""
    words = {n.text.lower() for n in nodes if isinstance(n, Word)}
    words |= {w.lower() for n in nodes if isinstance(n, Phrase) for w in n.words}
    little = words & _OTHER_LANGUAGES
    accented = any(not w.isascii() and w.isalpha() for w in words - little)
    return len(little) >= 2 or (len(little) == 1 and accented)


# A code typed without its hyphen: letters, then a number and what follows it ("h2a", "i914",
# "covid19"), as the reports write "H-2A", "I-914", "COVID-19".
_JOINED_CODE = re.compile(r"([^\W\d_]+)(\d\w*)")


def split_codes(searcher: Searcher, vocabulary: Vocabulary,
                nodes: Sequence[Word | Phrase] | Sequence[Node]) -> dict[str, tuple[str, str]]:
    """Typed words that are codes written without their hyphen, which the library never
    writes joined but writes in parts: each with its two parts, to search as a phrase ("h2a"
    -> "h 2a"). A part the index leaves out ("a" of "a1", a stop word) makes no code: the
    phrase would be its number alone."""
    codes: dict[str, tuple[str, str]] = {}
    for _, typed in _typed_words(nodes):
        match = _JOINED_CODE.fullmatch(typed)
        if match is None or typed in codes or \
                any(searcher.has_term(f, typed) for f in WRITTEN_IN):
            continue
        parts = (match.group(1), match.group(2))
        if any(stem(part) is None for part in parts):
            continue
        q = searcher.compile(Phrase(parts), FIELD_BOOSTS, Expansions(vocabulary))
        if q is not None and searcher.any_match(q, Where()):
            codes[typed] = parts
    return codes


# The endings of the web's names that reports write as words ("Backpage.com", "Polaris.org"):
# "languages.The", a sentence that lost its space, is no name.
_WEB_ENDINGS = frozenset("com org gov net edu int info io us uk ca au eu".split())  # noqa: SIM905


def dotted_forms(searcher: Searcher, nodes: Sequence[Word | Phrase] | Sequence[Node]) \
        -> dict[str, list[str]]:
    """Typed words that the reports also write as the first part of a web name, with up to
    three such names: "backpage" -> "backpage.com" (indexed as one word, as "U.S." is)."""
    found: dict[str, list[str]] = {}
    for _, typed in _typed_words(nodes):
        if len(typed) >= 3 and typed.isalpha() and typed not in found:
            forms = [t for t in searcher.terms_starting("body", typed + ".", 20)
                     if t.rsplit(".", 1)[-1] in _WEB_ENDINGS][:3]
            if forms:
                found[typed] = forms
    return found


def max_edits(word: str) -> int:
    """How far a correction of `word` may be: none for one or two letters, one edit for
    three to five, two beyond (the rule of Lucene's "AUTO" fuzziness). Two edits turn most
    short words into another word: "dmst" into "debt", "ovc" into "one", "trata" into
    "trauma"."""
    return 0 if len(word) < 3 else 1 if len(word) <= 5 else 2


def _acronym(word: str) -> bool:
    """A word typed in capitals, short as acronyms are (DMST, NHTRC): "TRAFFICING" is a
    misspelling typed with Caps Lock on."""
    return word.isupper() and len(word) <= 6


@lru_cache(maxsize=1)
def _english() -> Callable[[str], bool]:
    """Whether a lower-case word is an English word (pyspellchecker's list of 160,000 words,
    each written at least 50 times in its sources: common misspellings are not in it).
    Loaded the first time a typed word would get a correction, about 0.15 s."""
    from spellchecker import SpellChecker

    words = SpellChecker(language="en", distance=1).word_frequency
    return words.__contains__


_LOADING = threading.Lock()  # the web server's threads load the word list once


def is_english(word: str) -> bool:
    with _LOADING:
        known = _english()
    return known(word)


def replace_words(text: str, fixes: dict[str, str]) -> str:
    """`text` with each typed word in `fixes` replaced, everything else as typed."""
    return re.sub(r"[^\W\d_]+", lambda m: fixes.get(m.group(0).lower(), m.group(0)), text)


def checked(searcher: Searcher, vocabulary: Vocabulary, corrected: str,
            where: Where) -> str | None:
    """`corrected` if it finds reports, else None: a suggestion that finds nothing helps no
    one."""
    try:
        node = parse(corrected).node
        q = searcher.compile(node, FIELD_BOOSTS, Expansions(vocabulary))
        if q is not None and not searcher.any_match(q, where) and isinstance(node, AllOf) \
                and all(isinstance(n, (Word, Phrase)) and n.field is None for n in node.nodes):
            # As the search itself does, some of the words: "twice victims" helps one who
            # typed "twice victms" although no report has both.
            q = searcher.compile(AnyOf(node.nodes), FIELD_BOOSTS, Expansions(vocabulary))
        if q is None or not searcher.any_match(q, where):
            return None
    except (QueryError, EngineQueryError) as exc:  # a suggestion it cannot run is none
        log.info("suggestion %r left out: %s", corrected, exc)
        return None
    return corrected
