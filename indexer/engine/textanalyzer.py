"""The text fields' analyzer, in one loop.

Whoosh's `StemmingAnalyzer | CharsetFilter` passes every word through five generators (cut,
lower-case, stop words, stem, fold accents): about a quarter of the indexing process's time in
a cold ingest (its profile, over benchmarks/run_all.py's files). `TextAnalyzer` gives the same
tokens with the same positions from one loop over the words, each distinct word's indexed
form computed once per process; whatever it is not asked for while indexing or searching
(character offsets, stop words kept, the text uncut, the original kept) goes through Whoosh's
pipeline itself (`analysis.whoosh_text_analyzer`). Tests compare both on the reports' pages
and on made-up text.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from whoosh.analysis import Analyzer, Token
from whoosh.fields import TEXT
from whoosh.formats import Positions

from .analysis import WORD, indexed_form, unstemmed_form, whoosh_text_analyzer


class TextAnalyzer(Analyzer):  # type: ignore[misc]
    """Lower-cased, stop words dropped (the later words' positions closing the gap, as
    Whoosh's StopFilter renumbers them), Snowball-stemmed, accents folded."""

    is_morph = True

    def __getstate__(self) -> dict[str, Any]:
        return {}  # pickled into every index's schema: nothing to keep but the class

    def __setstate__(self, state: dict[str, Any]) -> None:
        pass

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __hash__(self) -> int:
        return hash(self.__class__)

    def has_morph(self) -> bool:
        return True

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 no_morph: bool = False, **kwargs: Any) -> Iterator[Any]:
        if chars or keeporiginal or not removestops or not tokenize:
            return _pipeline()(value, positions=positions, chars=chars,  # type: ignore[no-any-return]
                               keeporiginal=keeporiginal, removestops=removestops,
                               start_pos=start_pos, start_char=start_char,
                               tokenize=tokenize, mode=mode, no_morph=no_morph, **kwargs)
        form = unstemmed_form if no_morph else indexed_form
        return _tokens(value, positions, start_pos, mode, form, kwargs)


def _tokens(value: str, positions: bool, start_pos: int, mode: str, form: Any,
            kwargs: dict[str, Any]) -> Iterator[Any]:
    t = Token(positions, False, removestops=True, mode=mode, **kwargs)
    pos: int | None = None
    for index, match in enumerate(WORD.finditer(value)):
        text = form(match.group(0).lower())
        if text is None:  # a stop word
            continue
        t.text = text
        t.boost = 1.0
        t.stopped = False
        if positions:
            # The first word kept keeps its place; each later one follows it.
            pos = start_pos + index if pos is None else pos + 1
            t.pos = pos
        yield t


def word_positions(value: str) -> dict[str, list[int]]:
    """Each indexed word of `value` and its positions, in order of first appearance: what
    Whoosh's `Positions.word_values` gathers from `TextAnalyzer`'s tokens, in one loop."""
    found: dict[str, list[int]] = {}
    pos = -1
    first = True
    for index, word in enumerate(WORD.findall(value)):
        text = indexed_form(word.lower())
        if text is None:  # a stop word
            continue
        # The first word kept keeps its place; each later one follows it (as in `_tokens`).
        pos = index if first else pos + 1
        first = False
        places = found.get(text)
        if places is None:
            found[text] = [pos]
        else:
            places.append(pos)
    return found


class IndexedText(TEXT):  # type: ignore[misc]
    """Whoosh's TEXT field, whose postings for a text are made in one loop
    (`word_positions`) rather than through Whoosh's generators of tokens and values: the same
    terms, counts and encoded positions (a test compares the segments written both ways),
    about half of a page's indexing time. Any other analyzer, format or option takes
    Whoosh's way."""

    def index(self, value: Any, **kwargs: Any) -> Any:
        fmt = self.format
        if kwargs or not isinstance(value, str) or type(fmt) is not Positions or \
                fmt.field_boost != 1.0 or type(self.analyzer) is not TextAnalyzer:
            return super().index(value, **kwargs)
        encode = fmt.encode
        return [(word.encode("utf-8"), len(places), float(len(places)), encode(places))
                for word, places in word_positions(value).items()]


@lru_cache(maxsize=1)
def _pipeline() -> Any:
    return whoosh_text_analyzer()
