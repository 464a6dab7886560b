"""Hostile queries: arbitrary strings answer with results or a one-line error, never a crash."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from conftest import GUIDE, fast_fetch, make_pdf, write_catalog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import Library, QueryError, SearchResults
from indexer.cli import main
from indexer.query import MAX_FUZZY_EDITS, Word, parse
from indexer.search import MAX_PASTE_CHARS

TOKENS = ['"', "'", "(", ")", "[", "]", "{", "}", "AND", "OR", "NOT", "ANDNOT", "TO", "-", "+",
          "*", "?", "~", "~99", "^", "^3", ":", "title:", "org:", "year:", "year:[", "year:[2008",
          "TO 2013]", "author:", "body:", "\\", "/", "\x00", "\x1b[31m", "\u202e", "housing",
          "shelter*", "certifcation~", "*ing", "zzzz", "ﬁ", "日本語", "2013", "-1", "9" * 30]


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    tmp = tmp_path_factory.mktemp("hostile-queries")
    (tmp / "guide.pdf").write_bytes(make_pdf(GUIDE))
    catalog = write_catalog(tmp / "c.toml", [
        {"id": "guide", "title": "Guide", "organization": "HHS", "date": "2010",
         "summary": "Housing and certification letters.", "path": "guide.pdf"}])
    library = Library(catalog=catalog, data=tmp / "data", fetch=fast_fetch())
    library.rebuild(offline=True)
    yield library


def answer(lib: Library, query: str) -> SearchResults | str:
    try:
        return lib.search(query)
    except QueryError as exc:
        message = str(exc)
        assert message and "\n" not in message
        return message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_arbitrary_text(lib: Library, query: str) -> None:
    answer(lib, query)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12),
       st.sampled_from(["", " "]))
def test_operator_soup(lib: Library, tokens: list[str], sep: str) -> None:
    answer(lib, sep.join(tokens))


@pytest.mark.parametrize("query", ["housing " * 20_000, "(" * 9_000 + "housing" + ")" * 9_000])
def test_huge_queries_are_read_as_text_up_to_the_paste_limit(lib: Library, query: str) -> None:
    """A huge query is pasted text: its first MAX_PASTE_CHARS characters are searched for
    their key terms (never parsed), and the answer says when the rest was not read."""
    found = answer(lib, query)
    assert isinstance(found, SearchResults)
    assert [hit.id for hit in found.results] == ["guide"]
    assert bool(found.notes) == (len(query) > MAX_PASTE_CHARS)


def test_huge_queries_without_a_known_word(lib: Library) -> None:
    found = answer(lib, "x" * 100_000)
    assert isinstance(found, SearchResults) and not found.results and found.notes
    assert answer(lib, '"' * 50_000).startswith("Type some words")


def test_huge_fuzzy_edits_are_capped(lib: Library) -> None:
    parsed = parse("org:hhsx~99").node
    assert parsed == Word("hhsx", "org", edits=MAX_FUZZY_EDITS)
    assert isinstance(answer(lib, "housing~99"), SearchResults)


TYPE_WORDS = 'Error: Type some words to search for, such as "T visa" or shelters.'
NOTHING = "Error: Nothing to search for: the query holds only very common words or operators."


# Each query gets its one right answer: JSON results (exit 0) when a word is left to search,
# else a one-line message (exit 1) that says what to type.
@pytest.mark.parametrize(("query", "exit_code", "says"), [
    ('"', 1, TYPE_WORDS),
    ("(", 1, TYPE_WORDS),
    ("title:", 0, None),  # the word "title", which the guide never writes
    ("NOT", 1, NOTHING),
    ("*", 1, TYPE_WORDS),
    ("\x00", 1, TYPE_WORDS),
    ("x" * 5000, 0, None),  # pasted text with no word the library knows
    ("year:[zzz TO 2013]", 1, "Error: year: takes a year or a range, like year:2013"),
    ("~~~", 1, TYPE_WORDS),
])
def test_cli_never_shows_a_traceback(lib: Library, query: str, exit_code: int,
                                     says: str | None) -> None:
    result = CliRunner().invoke(main, ["search", "--json", query], obj=lib)
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    if says is None:
        data = json.loads(result.output)
        assert data["query"] == query and data["total"] == 0 and data["results"] == []
    else:
        assert result.output.startswith(says) and result.output.count("\n") == 1
