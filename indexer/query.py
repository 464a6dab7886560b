"""The query language: what a person typed -> a tree of words, phrases, fields and operators.

People type what they would say to a colleague: questions with question marks, brackets and
colons, a pasted paragraph, codes such as "T visa", "H-2A" or "24/7". All of that is text.
Query syntax is syntax only where it is plainly meant:

- a known field name joined to its term or phrase: `title:visa`, `org:"health and human"`,
  `year:2013`, `year:[2008 TO 2013]`, `title:(visa OR certification)`;
- upper-case `AND`, `OR`, `NOT` between terms (`OR` at the start of a query is a word);
- balanced double quotes (straight or curly) around a phrase;
- `-word` / `+word` at the start of a word (so "anti-trafficking" stays a word);
- a trailing `*` (prefix) and a `~` or `~2` after a word (typing mistakes);
- brackets, only when the query also holds an operator or they follow a field name.

Anything else is punctuation between words. The parser is a single left-to-right scan and a
recursive descent over the tokens, so its time grows linearly with the query's length (Whoosh's
own parser is quadratic). This module imports no search engine: it produces a tree that the
engine compiles (`engine/queries.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, Union

from .errors import QueryError

__all__ = ["FIELDS", "MAX_PASTE_CHARS", "MAX_QUERY_CHARS", "AllOf", "AnyOf", "Cleaned", "Node",
           "Not", "Parsed", "Phrase", "Word", "YearRange", "clean_query", "parse", "parse_years",
           "plain_words"]

# Words that give a question its form, not its subject.
QUESTION_WORDS = frozenset(
    """
    a about also an and any are as at be been being but by can could did do does done for
    from get gets getting got had has have he her hers herself him himself his how i if in
    into is it its itself may me might more most much must my myself no not of on or other
    our ourselves should she so some such than that the their them themselves then there
    these they this those to upon us was we were what when where which while who whom whose
    why will with within without would you your yourself
    """.split()  # noqa: SIM905 (a word list reads better as words)
)

# The pronouns of a sentence about someone ("she was trafficked by her boyfriend"): searched
# without, as question words are, but counted toward a question's length, as all words but
# question words are (they were counted so before they were set aside).
SENTENCE_PRONOUNS = frozenset("""
    he her hers herself him himself his itself myself ourselves she themselves yourself
    """.split())  # noqa: SIM905 (a word list reads better as words)

# Field names a person may use, and the index field each stands for.
FIELDS = {
    "title": "title", "summary": "summary", "body": "body",
    "org": "org", "organization": "org", "organisation": "org",
    "author": "author", "authors": "author", "by": "author", "year": "year",
}
# Brackets nested deeper than this are punctuation: no one groups so deep, and the parser
# recurses once per level.
MAX_DEPTH = 20
# Edits a `word~N` may ask for: more than two matches nearly every word and takes ages.
MAX_FUZZY_EDITS = 2
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# A word: letters and digits, with the inner marks that codes are written with ("H-2A",
# "24/7", "U.S.", "I-914", "don't"); marks at its ends are punctuation.
_WORD_BODY = r"[^\W_](?:[\w'\u2019./&-]*[^\W_])?"
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<phrase>["\u201c\u201d\u201e](?P<ptext>[^"\u201c\u201d\u201e]*)["\u201c\u201d\u201e])
    | (?P<field>[A-Za-z]+):(?=[^\s/])
    | (?P<open>\()
    | (?P<close>\))
    | (?P<range>\[\s*(?P<lo>\d{1,4})\s+TO\s+(?P<hi>\d{1,4})\s*\])
    | (?P<sign>(?<![^\s(])[+-])(?=[^\W_]|["\u201c\u201d\u201e(])
    | (?P<word>""" + _WORD_BODY + r""")(?P<suffix>\*|~[0-9]{0,6})?
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_YEAR = re.compile(r"^(\d{4})(?:-(\d{4}))?$")
# The syntax of a query is read up to this length; a longer text is pasted text, searched
# for its key terms, never through the parser.
MAX_QUERY_CHARS = 1000
# Pasted text beyond this is not read: the key terms of a case note or a page of a report
# are in its first 20,000 characters.
MAX_PASTE_CHARS = 20_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_YEARS = re.compile(r"^\s*(\d{4})\s*(?:(?:-|\u2013|\.\.|to)\s*(\d{4})\s*)?$")


@dataclass(frozen=True)
class Word:
    """A word as typed ("visa", "H-2A"); `prefix` for `word*`, `edits` for `word~N`."""

    text: str
    field: str | None = None
    prefix: bool = False
    edits: int = 0


@dataclass(frozen=True)
class Phrase:
    """Words that must stand together, in this order."""

    words: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True)
class YearRange:
    first: int
    last: int


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class AllOf:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    nodes: tuple[Node, ...]


Node = Union[Word, Phrase, YearRange, Not, AllOf, AnyOf]  # noqa: UP007 (a runtime alias)


@dataclass(frozen=True)
class Parsed:
    """A parsed query: its tree, and whether any of it was syntax."""

    node: Node
    syntax: bool
    # Syntax beyond quotes: fields, operators, -word, word*, word~, grouping brackets.
    operators: bool = False
    # `+word` or `AND` typed: every word is required, with no fallback to some of them.
    required: bool = False


@dataclass(frozen=True)
class _Tok:
    kind: str  # word, phrase, field, open, close, op, sign, range
    text: str
    suffix: str = ""
    lo: int = 0
    hi: int = 0


@dataclass(frozen=True)
class Cleaned:
    """A query as it will be read: control characters gone, pasted text cut to its limit."""

    text: str
    pasted: bool  # longer than MAX_QUERY_CHARS: read for its key terms, not its syntax
    cut: bool  # longer than MAX_PASTE_CHARS: only the first part is read


def clean_query(query: str) -> Cleaned:
    text = _CONTROL.sub(" ", query).strip()
    if not text or not plain_words(text[:MAX_PASTE_CHARS]):
        raise QueryError("Type some words to search for, such as \"T visa\" or shelters.")
    cut = len(text) > MAX_PASTE_CHARS
    text = text[:MAX_PASTE_CHARS]
    return Cleaned(text=text, pasted=len(text) > MAX_QUERY_CHARS, cut=cut)


def parse_years(value: str | int | tuple[int, int] | None) -> tuple[int, int] | None:
    """`2013` or `2008-2013` as an inclusive range; raise `QueryError` for anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value, value
    if isinstance(value, tuple):
        return min(value), max(value)
    match = _YEARS.match(value)
    if not match:
        raise QueryError(f"The year {value!r} is not a year or a range like 2008-2013.")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    return min(first, last), max(first, last)


def plain_words(text: str) -> list[str]:
    """The words of `text` read as plain text: every mark is punctuation, codes stay whole."""
    return [m.group(0) for m in re.finditer(_WORD_BODY, text)]


def parse(text: str) -> Parsed:
    """Parse what a person typed; raise `QueryError` only for an unknown field name
    (`foo:bar`) or a `year:` that is not a year."""
    tokens = _lex(text)
    operators = any(t.kind in ("field", "op", "sign", "range", "open")
                    or (t.kind == "word" and t.suffix) for t in tokens)
    node = _Parser(tokens).parse()
    required = any((t.kind, t.text) in (("sign", "+"), ("op", "AND")) for t in tokens)
    return Parsed(node=node, syntax=operators or any(t.kind == "phrase" for t in tokens),
                  operators=operators, required=required)


def _lex(text: str) -> list[_Tok]:
    raw: list[_Tok] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if m.group("space") is not None or m.group("other") is not None:
            continue
        if m.group("phrase") is not None:
            raw.append(_Tok("phrase", m.group("ptext")))
        elif m.group("field") is not None:
            name = m.group("field")
            if name.lower() not in FIELDS:
                raise QueryError(
                    f"Unknown field {name}: in the query. Fields you can name: "
                    f"{', '.join(sorted(FIELDS))} (e.g. title:visa, year:2013). To search "
                    f"for the words, put a space after the colon."
                )
            raw.append(_Tok("field", FIELDS[name.lower()]))
        elif m.group("open") is not None:
            raw.append(_Tok("open", "("))
        elif m.group("close") is not None:
            raw.append(_Tok("close", ")"))
        elif m.group("range") is not None:
            raw.append(_Tok("range", m.group(0), lo=int(m.group("lo")), hi=int(m.group("hi"))))
        elif m.group("sign") is not None:
            raw.append(_Tok("sign", m.group("sign")))
        elif m.group("word") is not None:
            word, suffix = m.group("word"), m.group("suffix") or ""
            if word in _OPERATORS and not suffix:
                raw.append(_Tok("op", word))
            else:
                raw.append(_Tok("word", word, suffix))
        else:  # pragma: no cover - every alternative is handled above
            raise AssertionError(kind)
    return _settle(raw)


def _settle(tokens: list[_Tok]) -> list[_Tok]:
    """Decide which marks are syntax: operators need operands on both sides (NOT on its
    right), brackets must balance and are grouping only with an operator or after a field,
    a range only after `year:`."""
    out: list[_Tok] = []
    for i, tok in enumerate(tokens):
        prev = out[-1] if out else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.kind == "op":
            operand_after = nxt is not None and nxt.kind in ("word", "phrase", "field", "open",
                                                              "sign", "op", "range")
            operand_before = prev is not None and prev.kind in ("word", "phrase", "close",
                                                                "range")
            if not operand_after or (tok.text != "NOT" and not operand_before):
                tok = _Tok("word", tok.text)
        elif tok.kind == "range" and not (prev is not None and prev.kind == "field"
                                          and prev.text == "year"):
            continue  # "[2008 TO 2013]" alone: its numbers are not words anyone searches
        out.append(tok)
    # A dangling sign or field (at the end, or before a closing bracket) is punctuation.
    cleaned: list[_Tok] = []
    for i, tok in enumerate(out):
        nxt = out[i + 1] if i + 1 < len(out) else None
        if tok.kind in ("sign", "field") and (nxt is None or nxt.kind in ("close", "op")):
            continue
        cleaned.append(tok)
    grouping = any(t.kind == "op" for t in cleaned)
    return _brackets(cleaned, grouping)


def _brackets(tokens: list[_Tok], grouping: bool) -> list[_Tok]:
    """Keep the brackets that pair up and group something; drop the rest as punctuation."""
    keep = [False] * len(tokens)
    stack: list[int] = []
    for i, tok in enumerate(tokens):
        if tok.kind == "open":
            stack.append(i)
            if len(stack) > MAX_DEPTH:
                return _signed([t for t in tokens if t.kind not in ("open", "close")])
        elif tok.kind == "close" and stack:
            start = stack.pop()
            after_field = start > 0 and tokens[start - 1].kind in ("field", "sign")
            if (grouping or after_field) and i > start + 1:
                keep[start] = keep[i] = True
    return _signed([t for i, t in enumerate(tokens)
                    if t.kind not in ("open", "close") or keep[i]])


def _signed(tokens: list[_Tok]) -> list[_Tok]:
    """Drop a `-`/`+` left without its word once brackets turned out to be punctuation."""
    return [t for i, t in enumerate(tokens) if t.kind != "sign" or (
        i + 1 < len(tokens) and tokens[i + 1].kind in ("word", "phrase", "open", "field"))]


class _Parser:
    """Recursive descent: or := and (OR and)*; and := unary (AND? unary)*;
    unary := NOT unary | -primary | +primary | primary; primary := ( or ) | field? atom."""

    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        nodes: list[Node] = []
        while self.peek() is not None:
            node = self.or_expr()
            if node is not None:
                nodes.append(node)
            elif self.peek() is not None:
                self.take()  # a stray closing bracket
        return _all(nodes)

    def or_expr(self) -> Node | None:
        parts = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "OR":
            self.take()
            parts.append(self.and_expr())
        found = [p for p in parts if p is not None]
        if not found:
            return None
        return found[0] if len(found) == 1 else AnyOf(tuple(found))

    def and_expr(self) -> Node | None:
        parts: list[Node] = []
        while (tok := self.peek()) is not None and tok.kind != "close" \
                and not (tok.kind == "op" and tok.text == "OR"):
            if tok.kind == "op" and tok.text == "AND":
                self.take()
                continue
            node = self.unary()
            if node is not None:
                parts.append(node)
        if not parts:
            return None
        return _all(_glue(parts))

    def unary(self) -> Node | None:
        tok = self.take()
        if tok.kind == "op" and tok.text == "NOT":
            inner = self.unary() if self.peek() is not None else None
            return Not(inner) if inner is not None else None
        if tok.kind == "sign":
            inner = self.primary(self.take()) if self.peek() is not None else None
            if inner is None:
                return None
            return Not(inner) if tok.text == "-" else inner
        return self.primary(tok)

    def primary(self, tok: _Tok, field: str | None = None) -> Node | None:
        if tok.kind == "open":
            inner = self.or_expr()
            if (close := self.peek()) is not None and close.kind == "close":
                self.take()
            return _with_field(inner, field) if inner is not None and field else inner
        if tok.kind == "field":
            nxt = self.peek()
            if nxt is None:
                return None
            return self.primary(self.take(), tok.text)
        if tok.kind == "range":
            return YearRange(min(tok.lo, tok.hi), max(tok.lo, tok.hi))
        if tok.kind == "phrase":
            words = tuple(plain_words(tok.text))
            if field == "year":
                return _year(tok.text)
            if not words:
                return None
            return Word(words[0], field) if len(words) == 1 else Phrase(words, field)
        if tok.kind in ("word", "op"):
            if field == "year":
                return _year(tok.text)
            edits = 0
            if tok.suffix.startswith("~"):
                edits = min(int(tok.suffix[1:] or 1), MAX_FUZZY_EDITS)
            return Word(tok.text, field, prefix=tok.suffix == "*", edits=edits)
        return None  # a stray sign or bracket


def _year(text: str) -> Node:
    match = _YEAR.match(text.strip())
    if not match:
        raise QueryError(f"year: takes a year or a range, like year:2013, year:2008-2013 or "
                         f"year:[2008 TO 2013]; got year:{text}.")
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    return YearRange(min(first, last), max(first, last))


def _with_field(node: Node, field: str) -> Node:
    if field == "year" and isinstance(node, (Word, Phrase)):
        return _year(node.text if isinstance(node, Word) else " ".join(node.words))
    if isinstance(node, Word) and node.field is None:
        return Word(node.text, field, node.prefix, node.edits)
    if isinstance(node, Phrase) and node.field is None:
        return Phrase(node.words, field)
    if isinstance(node, Not):
        return Not(_with_field(node.node, field))
    if isinstance(node, AllOf):
        return AllOf(tuple(_with_field(n, field) for n in node.nodes))
    if isinstance(node, AnyOf):
        return AnyOf(tuple(_with_field(n, field) for n in node.nodes))
    return node


def _all(nodes: list[Node]) -> Node:
    return nodes[0] if len(nodes) == 1 else AllOf(tuple(nodes))


def _glue(nodes: list[Node]) -> list[Node]:
    """A lone letter or digit says nothing alone but names a code with its neighbour: "T visa"
    and "U visa", "Section 8", "county 5". A letter joins the word after it, a number the word
    before it (or the other neighbour when there is none), as a phrase."""
    out = list(nodes)
    i = 0
    while i < len(out):
        node = out[i]
        if _single(node):
            assert isinstance(node, Word)
            digit = node.text.isdigit()
            order = (i - 1, i + 1) if digit else (i + 1, i - 1)
            for j in order:
                if 0 <= j < len(out) and _joinable(out[j]):
                    first, second = (out[j], node) if j < i else (node, out[j])
                    out[min(i, j)] = Phrase(_words(first) + _words(second), node.field)
                    del out[max(i, j)]
                    i = min(i, j)
                    break
        i += 1
    return out


def _single(node: Node) -> bool:
    # "a" and "I" are English words before they are codes ("can I get a T visa").
    return (isinstance(node, Word) and len(node.text) == 1 and node.text not in "aAI"
            and not node.prefix and not node.edits)


def _joinable(node: Node) -> bool:
    return (isinstance(node, Word) and not node.prefix and not node.edits) or \
        isinstance(node, Phrase)


def _words(node: Node) -> tuple[str, ...]:
    if isinstance(node, Word):
        return (node.text,)
    assert isinstance(node, Phrase)
    return node.words


def leaves(node: Node) -> list[Word | Phrase]:
    """The words and phrases of a tree, in order, outside any NOT."""
    if isinstance(node, (Word, Phrase)):
        return [node]
    if isinstance(node, (AllOf, AnyOf)):
        return [leaf for n in node.nodes for leaf in leaves(n)]
    return []


class Glossary(Protocol):
    """Acronyms and their expansions (`acronyms.Acronyms`)."""

    def long(self, acronym: str) -> str | None: ...

    def short(self, phrase: str) -> tuple[str, ...]: ...


# The longest expansion looked for among a query's consecutive words.
_LONGEST_EXPANSION = 8


def with_acronyms(node: Node, glossary: Glossary,
                  is_word: Callable[[str], bool] | None = None) -> tuple[Node, tuple[str, ...]]:
    """`node` with each acronym the library defines also searched as its expansion, and each
    expansion as its acronym ("DMST" <-> "domestic minor sex trafficking"); and what was added,
    for "also searched". An acronym is one typed with two capitals or more ("DMST", "TVPA",
    not "who" or "it"), or, given `is_word` (whether a lower-case word is a word of the
    language), one typed in small letters that is no word ("dmst", "csec"; not "ice")."""
    also: list[str] = []

    def word_or(leaf: Word | Phrase) -> Node:
        if isinstance(leaf, Word) and not leaf.prefix and not leaf.edits:
            capitals = sum(c.isupper() for c in leaf.text) >= 2
            long = glossary.long(leaf.text) if capitals or is_word is not None else None
            if long and long.split() != [leaf.text.lower()] and (
                    capitals or (is_word is not None and not is_word(leaf.text.lower()))):
                also.append(long)
                return AnyOf((leaf, Phrase(tuple(long.split()), leaf.field)))
        if isinstance(leaf, Phrase):
            shorts = glossary.short(" ".join(leaf.words))
            if shorts:
                also.extend(s.upper() for s in shorts)
                return AnyOf((leaf, *(Word(s.upper(), leaf.field) for s in shorts)))
        return leaf

    def run(nodes: tuple[Node, ...]) -> list[Node]:
        """Consecutive plain words that spell an expansion become (words OR acronym)."""
        out: list[Node] = []
        i = 0
        while i < len(nodes):
            for size in range(min(_LONGEST_EXPANSION, len(nodes) - i), 1, -1):
                span = nodes[i:i + size]
                if all(isinstance(n, Word) and n.field is None and not n.prefix
                       and not n.edits for n in span):
                    words = tuple(n.text for n in span if isinstance(n, Word))
                    shorts = glossary.short(" ".join(words))
                    if shorts:
                        also.extend(s.upper() for s in shorts)
                        out.append(AnyOf((_all(list(span)),
                                          *(Word(s.upper()) for s in shorts))))
                        i += size
                        break
            else:
                out.append(walk(nodes[i]))
                i += 1
        return out

    def walk(n: Node) -> Node:
        if isinstance(n, (Word, Phrase)):
            return word_or(n)
        if isinstance(n, AllOf):
            return _all(run(n.nodes))
        if isinstance(n, AnyOf):
            return AnyOf(tuple(walk(c) for c in n.nodes))
        return n  # a NOT stays as typed: excluding "DMST" excludes the acronym only

    result = walk(node)
    return result, tuple(dict.fromkeys(also))


def with_corrections(node: Node, fixes: Mapping[str, Sequence[str | tuple[str, ...]]]) -> Node:
    """`node` with each typed word in `fixes` (lower-case typed words, each with what else to
    search for it: words, or the words of a phrase) also searched as those: "trafficing
    indicaters" finds the pages on trafficking indicators, not the stem "traffic" alone,
    "h2a" the pages that write "H-2A", "backpage" those that write "Backpage.com". Phrases,
    prefixes, fuzzy words and what a NOT excludes stay as typed."""
    def walk(n: Node) -> Node:
        if isinstance(n, Word) and not n.prefix and not n.edits:
            others = fixes.get(n.text.lower())
            if not others:
                return n
            return AnyOf((n, *(Phrase(o, n.field) if isinstance(o, tuple) else
                               Word(o, n.field) for o in others)))
        if isinstance(n, AllOf):
            return AllOf(tuple(walk(c) for c in n.nodes))
        if isinstance(n, AnyOf):
            return AnyOf(tuple(walk(c) for c in n.nodes))
        return n

    return walk(node)
