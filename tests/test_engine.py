"""The engine seam: Whoosh behind `indexer/engine/` alone, and one engine search answering a
results page with its facets and its order."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import ROOT, WEB_ORGS, build_web_library
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import Library
from indexer.cli import main
from indexer.engine.codec import ARRAYS_EXT
from indexer.web import create_app

WHOOSH_IMPORT = re.compile(r"^\s*(import|from) whoosh\b", re.M)


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Library:
    return build_web_library(tmp_path_factory.mktemp("engine"))


def test_only_the_engine_imports_whoosh() -> None:
    importers = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "indexer").rglob("*.py")
                       if WHOOSH_IMPORT.search(path.read_text(encoding="utf-8")))
    assert importers, "the engine should import Whoosh"
    assert [p for p in importers if not p.startswith("indexer/engine/")] == []


def _in_fresh_python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_loading_the_command_line_loads_no_whoosh() -> None:
    loaded = _in_fresh_python(
        "import sys, indexer.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'whoosh'))")
    assert loaded == "[]"


HEAVY = ("whoosh", "requests", "pypdf", "pypdfium2", "bs4", "trafilatura", "PIL", "flask")


def _run_splib(args: list[str], cwd: Path, kept: str) -> tuple[str, str]:
    """`splib ARGS` run in a fresh interpreter: what it printed, and the sorted names of the
    loaded modules for which the expression `kept` (over a name `m`) holds."""
    code = ("import runpy, sys\n"
            f"sys.argv = ['splib', *{args!r}]\n"
            "try:\n    runpy.run_module('indexer', run_name='__main__')\n"
            "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
            f"print(sorted(m for m in sys.modules if {kept}))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, check=True)
    printed, _, loaded = done.stdout.strip().rpartition("\n")
    return printed, loaded


@pytest.mark.parametrize("args", [["--help"], ["search", "--help"], ["status"]])
def test_light_commands_load_no_engine_network_or_pdf_library(args: list[str],
                                                              tmp_path: Path) -> None:
    (tmp_path / "catalog.toml").write_text(
        '[[report]]\nid = "a"\ntitle = "A report"\nsummary = "Shelter."\n', encoding="utf-8")
    _, loaded = _run_splib(["--catalog", "catalog.toml", *args], tmp_path,
                           f"m.split('.')[0] in {HEAVY!r}")
    assert loaded == "[]"


def test_a_search_loads_nothing_of_fetching_extracting_or_building(lib: Library) -> None:
    """`splib search` starts faster for not loading what only `rebuild`, `update` and `add`
    use."""
    ingesting = ("indexer.build", "indexer.ingest", "indexer.fetch", "indexer.keeping",
                 "indexer.evaluate", "indexer.extract.isolate")
    printed, loaded = _run_splib(["--catalog", str(lib.catalog_path), "--data",
                                  str(lib.store.root), "search", "shelter"], ROOT,
                                 f"m in {ingesting!r}")
    assert "shelter" in printed.lower()  # it searched
    assert loaded == "[]"


def test_a_search_loads_no_web_client_nor_asyncio(lib: Library) -> None:
    """Whoosh's imports of urllib.request and asyncio (through cached_property) stand for
    placeholders while Whoosh loads: a search loads neither."""
    printed, loaded = _run_splib(["--catalog", str(lib.catalog_path), "--data",
                                  str(lib.store.root), "search", "shelter"], ROOT,
                                 "m in ('urllib.request', 'http.client', 'ssl', 'asyncio')")
    assert "shelter" in printed.lower()
    assert loaded == "[]"


def test_what_stood_for_a_module_while_whoosh_loaded_works_as_the_real_one(
        tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_text("kept", encoding="utf-8")
    printed = _in_fresh_python(
        "import sys, inspect, indexer.engine.searching\n"
        "import whoosh.compat, cached_property, urllib.request\n"
        # A name Whoosh took from the placeholder does what the real function does.
        f"whoosh.compat.urlretrieve({source.as_uri()!r}, {str(tmp_path / 'copy.txt')!r})\n"
        # Every import after Whoosh's gets the real module.
        "print(urllib.request.urlretrieve.__module__, 'urlopen' in dir(urllib.request))\n"
        "class Thing:\n"
        "    @cached_property.cached_property\n"
        "    def plain(self): return 1\n"
        "    @cached_property.cached_property\n"
        "    async def later(self): return 2\n"
        "import asyncio\n"
        "thing = Thing()\n"
        "print(thing.plain, inspect.isawaitable(thing.later) or asyncio.isfuture(thing.later))\n"
        "print(sys.modules['asyncio'] is asyncio, hasattr(asyncio, 'run'))\n")
    assert (tmp_path / "copy.txt").read_text(encoding="utf-8") == "kept"
    assert printed.splitlines() == ["urllib.request True", "1 True", "True True"]


def test_another_thread_waits_for_the_real_module_while_a_stand_in_stands() -> None:
    printed = _in_fresh_python(
        "import sys, threading\n"
        "from indexer.engine.startup import placeholder\n"
        "assert 'colorsys' not in sys.modules\n"
        "done = threading.Event()\n"
        "stand_in = sys.modules['colorsys'] = placeholder('colorsys', {}, done)\n"
        "try:\n"
        "    stand_in.rgb_to_hsv\n"
        "except AttributeError:\n"
        "    print('not yet for its own thread')\n"
        "got = []\n"
        "reader = threading.Thread(target=lambda: got.append(stand_in.rgb_to_hsv(1, 0, 0)))\n"
        "reader.start()\n"
        "reader.join(0.2)\n"
        "print('waiting' if reader.is_alive() and not got else 'did not wait')\n"
        "del sys.modules['colorsys']\n"
        "done.set()\n"
        "reader.join()\n"
        "print(got)\n")
    assert printed.splitlines() == ["not yet for its own thread", "waiting", "[(0.0, 1.0, 1)]"]


def test_modules_loaded_before_whoosh_are_left_as_they_are() -> None:
    printed = _in_fresh_python(
        "import urllib.request, asyncio, indexer.engine.searching, whoosh.compat, "
        "cached_property\n"
        "print(whoosh.compat.urlretrieve is urllib.request.urlretrieve, "
        "cached_property.asyncio is asyncio)\n")
    assert printed == "True True"


def years_of(lib: Library, ids: set[str]) -> Counter[int]:
    return Counter(r.year for r in lib.catalog() if r.id in ids and r.year)


def test_facets_count_the_matches_each_under_the_other_filters(lib: Library) -> None:
    everything = lib.search("shelter", facets=True)
    assert everything.facets is not None
    assert dict(everything.facets.organization) == {
        WEB_ORGS[0]: 4, WEB_ORGS[1]: 4, WEB_ORGS[2]: 4,
        next(r.organization for r in lib.catalog() if r.id == "xss-probe"): 1}
    assert dict(everything.facets.year) == years_of(lib, set(everything.matched))
    # Most first, then by name; years newest first.
    assert [n for _, n in everything.facets.organization] == [4, 4, 4, 1]
    assert [y for y, _ in everything.facets.year] == sorted(dict(everything.facets.year),
                                                           reverse=True)
    chosen = lib.search("shelter", organization=WEB_ORGS[2], year="2010-2016", facets=True)
    assert chosen.facets is not None
    assert sorted(chosen.matched) == ["shelter-02", "shelter-05", "shelter-08"]
    # The organisations under the years alone; the years under the organisation alone.
    in_years = {r.id for r in lib.catalog() if r.year and 2010 <= r.year <= 2016
                and r.id in everything.matched}
    assert dict(chosen.facets.organization) == Counter(
        r.organization for r in lib.catalog() if r.id in in_years)
    assert dict(chosen.facets.year) == {2010: 1, 2013: 1, 2016: 1, 2019: 1}
    # Words of the organisation (--org) filter the same way.
    worded = lib.search("shelter", org=WEB_ORGS[2].split()[-1], facets=True)
    assert worded.matched == lib.search("shelter", organization=WEB_ORGS[2]).matched
    assert worded.facets is not None and len(worded.facets.organization) == 4
    assert lib.search("shelter").facets is None  # counted only when asked for


def test_facets_on_the_command_line_and_in_the_json(lib: Library) -> None:
    runner = CliRunner()
    shown = runner.invoke(main, ["search", "shelter", "--facets", "--year", "2008-2010"], obj=lib)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    start = lines.index("By organisation (--org):")
    assert [line.split(None, 1) for line in lines[start + 1:start + 4]] == \
        [["1", name] for name in sorted(WEB_ORGS[:3])]
    years = lines[lines.index("By year (--year):") + 1:]
    assert [line.split() for line in years][:3] == [["1", "2020"], ["1", "2019"], ["1", "2018"]]
    plain = runner.invoke(main, ["search", "shelter"], obj=lib)
    assert "By organisation" not in plain.stdout
    printed = json.loads(runner.invoke(main, ["search", "shelter", "--json"], obj=lib).stdout)
    client = create_app(lib).test_client()
    served = client.get("/api/search?q=shelter").get_json()
    assert printed["facets"] == served["facets"]
    assert sorted(printed["facets"]) == ["organization", "year"]
    assert [WEB_ORGS[0], 4] in printed["facets"]["organization"]
    assert [2015, 1] in printed["facets"]["year"]


@pytest.mark.parametrize("page", [
    "/?q=shelter",
    "/?q=shelter+survivors",
    "/?q=shelter&org={org}&from=2009&to=2015",
    "/?q=shelter&org={org}&sort=newest&page=1",
    "/?q=shelter&sort=oldest&page=2",
])
def test_a_results_page_is_one_engine_search(lib: Library, page: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from urllib.parse import quote_plus

    from indexer.engine.searching import WhooshSearcher

    calls: list[str] = []
    real = WhooshSearcher.search

    def counted(self: WhooshSearcher, *args: Any, **kwargs: Any) -> Any:
        calls.append(repr(args[0]))
        return real(self, *args, **kwargs)

    from indexer.search import forget_answers

    monkeypatch.setattr(WhooshSearcher, "search", counted)
    forget_answers()
    client = create_app(lib).test_client()
    html = client.get(page.format(org=quote_plus(WEB_ORGS[1]))).get_data(as_text=True)
    assert 'class="facets"' in html and "About this report" in html
    assert len(calls) == 1, calls
    # The same page again is answered from the kept answer.
    assert client.get(page.format(org=quote_plus(WEB_ORGS[1]))).get_data(as_text=True) == html
    assert len(calls) == 1, calls


def test_the_next_page_of_a_question_needs_no_engine_search(
        lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer.engine.searching import WhooshSearcher
    from indexer.search import forget_answers

    question = "where do survivors find emergency shelter beds and transport"
    forget_answers()
    first = lib.search(question, limit=4)
    forget_answers()
    second = lib.search(question, limit=4, offset=4)  # each found afresh
    forget_answers()
    calls: list[int] = []
    real = WhooshSearcher.search

    def counted(self: WhooshSearcher, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(WhooshSearcher, "search", counted)
    assert lib.search(question, limit=4) == first
    assert lib.search(question, limit=4, offset=4) == second
    assert len(calls) == 1


def test_date_order_from_the_one_search(lib: Library) -> None:
    newest = lib.search("shelter", sort="newest", limit=4)
    dates = {r.id: r.date for r in lib.catalog()}
    assert [dates[h.id] for h in newest.results] == ["2020", "2019", "2018", "2017"]
    assert newest.total == 13
    oldest = lib.search("shelter", sort="oldest", limit=3, offset=1)
    assert [h.id for h in oldest.results] == ["shelter-01", "shelter-02", "shelter-03"]
    # Snippets of the reports shown, as in relevance order.
    assert all(h.snippets for h in oldest.results)


def test_similar_reports_through_the_engine(lib: Library) -> None:
    found = lib.similar("shelter-03", limit=3)
    assert len(found) == 3 and "shelter-03" not in {s.id for s in found}
    assert all(s.terms for s in found)


def test_a_missing_index_folder_is_said_to_be_gone(tmp_path: Path) -> None:
    from indexer.engine import IndexGone, open_index

    with pytest.raises(IndexGone):
        open_index(tmp_path / "nothing-here")


@pytest.mark.parametrize("whole_lists", [True, False])
def test_facets_and_dates_after_an_update_adds_a_segment(
        tmp_path: Path, whole_lists: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """An update writes a new segment; the first held no date and no organisation at all."""
    from conftest import make_pdf, write_catalog

    import indexer.engine.searching as searching

    monkeypatch.setattr(searching, "ARRAYS_FROM", 0 if whole_lists else 10**9)
    (tmp_path / "a.pdf").write_bytes(make_pdf(["Shelter intake notes for case managers."]))
    (tmp_path / "b.pdf").write_bytes(make_pdf(["Shelter capacity across the state."]))
    first = [{"id": "undated", "title": "Intake notes", "path": "a.pdf"}]
    catalog = write_catalog(tmp_path / "catalog.toml", first)
    lib = Library(catalog=catalog, data=tmp_path / "data")
    lib.rebuild(offline=True)
    write_catalog(catalog, [*first, {"id": "dated", "title": "Capacity", "path": "b.pdf",
                                     "organization": "State Coalition", "date": "2019-05"}])
    assert lib.update(offline=True).changes is not None
    found = lib.search("shelter", sort="newest", facets=True)
    assert [h.id for h in found.results] == ["dated", "undated"]
    assert found.facets is not None
    assert found.facets.organization == (("State Coalition", 1),)
    assert found.facets.year == ((2019, 1),)
    assert lib.search("shelter", organization="State Coalition").matched == {"dated"}
    # A report changed by an update is filtered and counted by what it says now.
    write_catalog(catalog, [{**first[0], "organization": "City Office", "date": "2021"},
                            {"id": "dated", "title": "Capacity", "path": "b.pdf",
                             "organization": "State Coalition", "date": "2019-05"}])
    assert lib.update(offline=True).changes is not None
    for words_only in (True, False):  # the whole-posting-list path and Whoosh's
        query = "shelter" if words_only else '"shelter intake" OR "shelter capacity"'
        now = lib.search(query, organization="City Office", facets=True)
        assert now.matched == {"undated"}, query
        assert now.facets is not None and dict(now.facets.organization) == {
            "City Office": 1, "State Coalition": 1}, query
        assert lib.search(query, year="2021").matched == {"undated"}, query


@pytest.mark.parametrize("query", ["shelter", '"shelter beds"'])
def test_an_organisation_without_words_is_refused_on_every_path(
        lib: Library, query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import indexer.engine.searching as searching
    from indexer import QueryError

    monkeypatch.setattr(searching, "ARRAYS_FROM", 0)
    with pytest.raises(QueryError, match="--org 'the' has no words to match"):
        lib.search(query, org="the")


def test_a_failed_update_leaves_the_live_generation_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The clone shares the live generation's files by hard links: what the build writes
    beside the index is written anew, never through a link."""
    from conftest import make_pdf, write_catalog

    from indexer.store import Store

    (tmp_path / "a.pdf").write_bytes(make_pdf(["Shelter intake notes."]))
    entry = {"id": "a", "title": "Intake notes", "path": "a.pdf"}
    catalog = write_catalog(tmp_path / "catalog.toml", [entry])
    lib = Library(catalog=catalog, data=tmp_path / "data")
    lib.rebuild(offline=True)
    live = lib.store.current_index()
    assert live is not None
    before = {p.name: p.read_bytes() for p in live.iterdir() if p.suffix in (".json", ".txt")}
    write_catalog(catalog, [{**entry, "title": "Intake notes, revised"}])

    def fail(self: Store, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Store, "publish_index", fail)
    with pytest.raises(Exception, match="disk is full"):
        lib.update(offline=True)
    assert {p.name: p.read_bytes() for p in live.iterdir()
            if p.suffix in (".json", ".txt")} == before
    monkeypatch.undo()
    assert lib.update(offline=True).changes is not None  # the change is still seen


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("aAeEiInNsStTyY\u00e9\u00fc\u00df\u0130\ufb01019.-'"),
               min_size=1, max_size=12))
def test_the_quick_stem_is_the_analyzer_stem(word: str) -> None:
    from indexer.engine.analysis import analyzed_stem, stem

    assert stem(word) == analyzed_stem(word)


def test_the_quick_stem_on_words_people_write() -> None:
    from indexer.engine.analysis import analyzed_stem, stem

    for word in ("Trafficking", "survivors'", "U.S.", "e.g.", "H-2A", "the", "AND", "T",
                 "caf\u00e9", "\u00dcber", "stra\u00dfe", "\ufb01nance", "24/7", "I-914"):
        assert stem(word) == analyzed_stem(word), word
    assert stem("trafficking") == "traffick" and stem("the") is None


QUERIES = [
    ("shelter", {}),
    ("emergency shelter beds for survivors and transport to an advocate", {}),
    ("case managers arrange transport", {"facets": True, "year": "2010-2015"}),
    ("shelter survivors", {"organization": WEB_ORGS[0], "facets": True}),
    ("interview guide program staff appendix", {"sort": "newest", "limit": 3}),
    ("shelter -transport", {}),
    ("survivors county review finding", {"org": "department", "offset": 2, "limit": 4}),
    ('"emergency shelter" transport', {"facets": True}),
    ('"case managers" OR advoca* OR "interview guid~"', {"sort": "oldest"}),
    ("shelter year:2010-2016", {}),
    ("title:study survivors", {"organization": WEB_ORGS[2]}),
]


def test_words_only_queries_score_as_whoosh_scores_them(
        lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole-posting-list scoring (arrays.py) gives Whoosh's own answer."""
    import indexer.engine.searching as searching
    from indexer.search import forget_answers

    def answers() -> list[Any]:
        found = []
        for text, options in QUERIES:
            forget_answers()
            found.append(lib.search(text, **options))
        return found

    monkeypatch.setattr(searching, "ARRAYS_FROM", 0)  # however small the index
    fast = answers()
    monkeypatch.setattr(searching, "whole_lists", lambda q: False)
    slow = answers()
    for one, other in zip(fast, slow, strict=True):
        assert one.results and [(h.id, h.snippets) for h in one.results] == \
            [(h.id, h.snippets) for h in other.results]
        assert [h.score for h in one.results] == pytest.approx([h.score for h in other.results])
        assert (one.total, one.matched, one.facets) == (other.total, other.matched,
                                                        other.facets)


def test_the_best_documents_come_first_whatever_the_limit(
        lib: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    """Asking for fewer reports gives the first of the same ranking, on both paths."""
    import indexer.engine.searching as searching
    from indexer.search import forget_answers

    question = "emergency shelter beds transport advocate interview guide staff"
    monkeypatch.setattr(searching, "ARRAYS_FROM", 0)
    for path in ("arrays", "whoosh"):
        if path == "whoosh":
            monkeypatch.setattr(searching, "whole_lists", lambda q: False)
        forget_answers()
        everything = [h.id for h in lib.search(question, limit=13, pages=0).results]
        for limit in (1, 2, 5):
            forget_answers()
            assert [h.id for h in lib.search(question, limit=limit, pages=0).results] == \
                everything[:limit], (path, limit)


@pytest.fixture(scope="module")
def big_index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """2,600 one-page reports (more than Whoosh's 2,048-document window, fewer than the
    5,000 above which it changes its way of scoring an Or); the best match is near the end."""
    from indexer.engine import IndexDocument, create_index, open_index

    folder = tmp_path_factory.mktemp("big")
    writer = create_index(folder)
    words = ["shelter", "transport", "advocate", "county", "review"]
    for n in range(2600):
        text = " ".join(words[(n + k) % 5] for k in range(n % 3 + 1)) + f" filler{n % 50}"
        if n == 2500:
            text = " ".join(words * 4)
        writer.add(IndexDocument(report=f"r{n:04d}", kind="page", page=1, title=f"Report {n}",
                                 organization="", authors="", date="", url="", source="",
                                 text=text))
    writer.commit()
    return open_index(folder)


@pytest.mark.parametrize("path", ["arrays", "whoosh"])
def test_the_best_report_of_many_comes_first_asked_for_one(
        big_index: Any, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import indexer.engine.searching as searching
    from indexer.search import forget_answers, search

    assert searching.ARRAYS_FROM <= 2600  # the index is large enough for whole lists
    if path == "whoosh":
        monkeypatch.setattr(searching, "whole_lists", lambda q: False)
    question = "shelter transport advocate county review"
    forget_answers()
    assert [h.id for h in search(big_index, question, limit=1, pages=0).results] == ["r2500"]
    forget_answers()
    ranked = [h.id for h in search(big_index, question, limit=30, pages=0).results]
    forget_answers()
    assert [h.id for h in search(big_index, question, limit=3, pages=0).results] == ranked[:3]


def test_key_terms_are_whooshs_key_terms(lib: Library) -> None:
    from indexer.engine.keyterms import Frequencies, key_terms

    index = lib._index()
    with index.ix.searcher() as searcher:  # type: ignore[attr-defined]
        generation = Frequencies()
        for docs in ([1, 2, 3], [5], list(range(30))):
            for field in ("body", "summary"):
                having = [d for d in docs if searcher.stored_fields(d).get(field)]
                if not having:
                    continue
                texts = [searcher.stored_fields(d)[field] for d in having]
                ours = key_terms(generation, searcher.reader(), texts, field, 40)
                assert ours and ours == searcher.key_terms(having, field, numterms=40)


def _every_word(text: str, terms: set[str], prefixes: set[str],
                phrases: list[tuple[str, ...]]) -> list[tuple[int, int, str]]:
    """What highlighting must find, the slow way: every word of the text cut and stemmed,
    a phrase matched over the sequence of words the index keeps."""
    from indexer.engine.analysis import TOKEN_PATTERN, stem

    words = [(m.start(), m.end(), stemmed) for m in re.finditer(TOKEN_PATTERN, text)
             if (stemmed := stem(m.group().lower())) is not None]
    hit = [w in terms or any(w.startswith(p) for p in prefixes) for _, _, w in words]
    for i in range(len(words)):
        for phrase in phrases:
            if phrase and [w for _, _, w in words[i:i + len(phrase)]] == list(phrase):
                hit[i:i + len(phrase)] = [True] * len(phrase)
    return [w for w, on in zip(words, hit, strict=True) if on]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["Shelter", "shelters", "sheltered", "the", "\u00c9ducation",
                                 "education", "\ufb01nance", "finances", "yearly", "Y-axis",
                                 "U.S.", "T", "visa", "Visas", "24/7", "H-2A", "don't", "and"]),
                max_size=30),
       st.sets(st.sampled_from(["shelter", "educ", "financ", "year", "u.s", "t", "visa", "24",
                                "h", "2a", "don"]), max_size=4),
       st.sets(st.sampled_from(["shel", "fin", "ye", "vi"]), max_size=2))
def test_highlighting_words_without_phrases_finds_what_the_full_scan_finds(
        words: list[str], terms: set[str], prefixes: set[str]) -> None:
    from indexer.snippets import find

    text = " ".join(words)
    assert find(text, terms, prefixes) == _every_word(text, terms, prefixes, [])


def _tokens(analyzer: Any, text: str, **kwargs: Any) -> list[tuple[str, int | None, bool]]:
    return [(t.text, getattr(t, "pos", None), t.stopped) for t in analyzer(text, **kwargs)]


def test_the_text_analyzer_cuts_the_reports_pages_as_whooshs_pipeline(corpora: Path) -> None:
    """Every page of the shared reports and the first 400 Cranfield abstracts: the same
    words at the same positions as Whoosh's pipeline."""
    from indexer.engine.analysis import text_analyzer, whoosh_text_analyzer
    from indexer.extract import extract_bytes

    texts = [page.text for path in sorted((corpora / "reports").glob("*.pdf"))
             for page in extract_bytes(path.read_bytes()).pages]
    with (corpora / "ir" / "cranfield-beir" / "corpus.jsonl").open(encoding="utf-8") as lines:
        texts += [json.loads(line)["text"] for line, _ in zip(lines, range(400), strict=False)]
    assert len(texts) > 500
    ours, whooshs = text_analyzer(), whoosh_text_analyzer()
    for text in texts:
        for kwargs in ({"positions": True, "mode": "index"}, {"mode": "query"}):
            assert _tokens(ours, text, **kwargs) == _tokens(whooshs, text, **kwargs)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["The", "a", "Shelters", "\u00c9tat", "don't",
                                           "we're", "U.S.", "T", "visa", "24/7", "H-2A", "of",
                                           "dying", "\ufb01nance", "\u0130stanbul", "and"]),
                          st.sampled_from([" ", ".", "'", "", "-", "\n"])), max_size=20),
       st.integers(0, 3))
def test_the_text_analyzer_gives_whooshs_tokens_and_positions(
        pieces: list[tuple[str, str]], start: int) -> None:
    """Stop words at the start or in a row, contractions, dots, letters that fold: the same
    words at the same positions, searching and indexing, stemmed or not; what it leaves to
    Whoosh (offsets, stop words kept) comes out the same too."""
    from indexer.engine.analysis import text_analyzer, whoosh_text_analyzer

    text = "".join(word + sep for word, sep in pieces)
    ours, whooshs = text_analyzer(), whoosh_text_analyzer()
    for kwargs in ({"positions": True, "start_pos": start, "mode": "index"},
                   {"mode": "query"}, {"no_morph": True}, {"positions": True, "chars": True},
                   {"removestops": False, "positions": True}):
        assert _tokens(ours, text, **kwargs) == _tokens(whooshs, text, **kwargs)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["T", "visa", "Visas", "the", "of", "a", "sex",
                                           "trafficking", "Trafficked", "labor", "U.S.",
                                           "don't", "we're", "e", "\u00c9tat", "shelter"]),
                          st.sampled_from([" ", ".", "'", "", "-", "\n", ", "])),
                max_size=25),
       st.sets(st.sampled_from(["shelter", "labor", "e", "etat"]), max_size=2),
       st.sets(st.sampled_from(["traf", "vi"]), max_size=1),
       st.lists(st.sampled_from([("t", "visa"), ("sex", "traffick"), ("visa", "t"),
                                 ("u.s", "labor"), ("e", "etat", "shelter"), ("labor",)]),
                max_size=3))
def test_highlighting_phrases_finds_what_the_full_scan_finds(
        pieces: list[tuple[str, str]], terms: set[str], prefixes: set[str],
        phrases: list[tuple[str, ...]]) -> None:
    """A phrase's words are highlighted where they stand together, stop words between them
    skipped as the index skips them, exactly as a scan of every word finds them."""
    from indexer.snippets import find

    text = "".join(word + sep for word, sep in pieces)
    assert find(text, terms, prefixes, phrases) == _every_word(text, terms, prefixes, phrases)


_TRICKY_WORDS = ["Possibility", "possible", "sensibly", "dying", "die", "Lying", "lie", "ties",
                 "vying", "Vyings", "vie", "eying",
                 "skies", "sky", "we", "hoping", "hope", "relational", "ability",
                 "re", "ll", "s", "y", "e", "it", "\u00c9tat", "etat", "\u0130stanbul",
                 "\u03a3\u039f\u03a3", "\u212aelvin", "kelvin", "stra\u00dfe", "STRASSE",
                 "U.S.C", "e.g", "\ufb01le", "file", "organization", "organ", "H_2A", "2019"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_TRICKY_WORDS),
                          st.sampled_from([" ", ".", "'", "\u2019", "'.", ".'", "", "-", "\n",
                                           "\u00a7 "])), max_size=25),
       st.sets(st.sampled_from(["possibl", "sensibl", "die", "sky", "we", "e", "l", "s", "y",
                                "etat", "istanbul", "kelvin", "strass", "u.s.c", "e.g", "file",
                                "organ", "h_2a", "2019", "re", "lie", "tie", "hope", "relat",
                                "abil", "vie", "eye"]), max_size=4),
       st.sets(st.sampled_from(["poss", "sk", "e", "org", "str", "die", "li", "hop", "vie"]),
               max_size=2))
def test_highlighting_finds_what_the_full_scan_finds_around_dots_apostrophes_and_accents(
        pieces: list[tuple[str, str]], terms: set[str], prefixes: set[str]) -> None:
    """Words found by their beginnings (`_find_words`) are exactly the words a scan of every
    word finds: contractions ("we're" cuts an "e"), dots ("U.S.C"), letters that fold
    ("\u00c9", "\ufb01") or lower-case into two (a Turkish capital I), a final sigma."""
    from indexer.snippets import _find_words, _scan_words

    text = "".join(word + sep for word, sep in pieces)
    full = _every_word(text, terms, prefixes, [])
    assert _find_words(text, terms, prefixes) == full
    assert _scan_words(text, terms, prefixes) == full


def _cranfield_documents(corpora: Path) -> list[Any]:
    """The first 400 Cranfield abstracts as the pages of 40 reports, with their entries."""
    from indexer.engine import IndexDocument

    with (corpora / "ir" / "cranfield-beir" / "corpus.jsonl").open(encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line, _ in zip(lines, range(400), strict=False)]
    documents = []
    for n, text in enumerate(texts):
        report, page = f"r{n // 10}", n % 10 + 1
        common = {"report": report, "title": f"Study {n // 10} of the flow", "url": "",
                  "organization": "NACA" if n % 20 < 10 else "Aeronautical Research Council",
                  "authors": "A. Author", "date": "1958-01-01", "source": "", "year": 1958}
        if page == 1:
            documents.append(IndexDocument(kind="entry", page=0, summary=text[:200], **common))
        documents.append(IndexDocument(kind="page", page=page, text=text, label=str(page),
                                       **common))
    return documents


def _write_ways(documents: list[Any], ways: dict[str, tuple[Any, Any]], folder: Path,
                monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """`documents` written once per way (a codec class and a text field's `index`), each
    into its own folder, with the segment's name and its parts' file times fixed: all that
    may differ between two writes of the same documents."""
    from whoosh.codec.base import Segment
    from whoosh.filedb.filestore import FileStorage

    from indexer.engine import writing
    from indexer.engine.textanalyzer import IndexedText

    monkeypatch.setattr(Segment, "_random_id", classmethod(lambda cls, size=16: "fixed"))
    monkeypatch.setattr(FileStorage, "file_modified", lambda self, name: 0.0)
    folders = {}
    for name, (codec, index) in ways.items():
        with monkeypatch.context() as patch:
            patch.setattr(writing, "LeanCodec", codec)
            patch.setattr(IndexedText, "index", index)
            folders[name] = folder / name
            folders[name].mkdir()
            writer = writing.create(folders[name])
            for document in documents:
                writer.add(document)
            writer.commit()
    return folders


def test_the_index_is_written_as_whoosh_alone_writes_it(
        corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The segment written with the lean codec (small blocks compressed, as Whoosh does)
    and the one-loop text fields is the one Whoosh's own codec and fields write, byte for
    byte."""
    from whoosh.codec.whoosh3 import W3Codec
    from whoosh.fields import TEXT

    from indexer.engine import codec
    from indexer.engine.codec import LeanCodec
    from indexer.engine.textanalyzer import IndexedText

    monkeypatch.setattr(codec, "AS_IS_BELOW", 0)
    folders = _write_ways(_cranfield_documents(corpora), {
        "whoosh": (W3Codec, TEXT.index), "lean codec": (LeanCodec, TEXT.index),
        "one-loop fields": (W3Codec, IndexedText.index), "ours": (LeanCodec, IndexedText.index),
    }, tmp_path, monkeypatch)
    segments = {name: _packed(folder) for name, folder in folders.items()}
    assert len(segments["whoosh"]) > 5
    # The lean codec adds the whole posting lists (compared in their own test); every file
    # Whoosh writes is the same.
    for name in ("lean codec", "ours"):
        assert any(part.endswith(ARRAYS_EXT) for part in segments[name])
        segments[name] = {part: data for part, data in segments[name].items()
                          if not part.endswith(ARRAYS_EXT)}
    for name in ("lean codec", "one-loop fields", "ours"):
        assert segments[name] == segments["whoosh"], name


def _packed(folder: Path) -> dict[str, bytes]:
    """Each file packed in the folder's segments, by name, with its bytes."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage

    files = {}
    storage = FileStorage(str(folder))
    for path in folder.glob("*.seg"):
        packed = CompoundStorage(storage.open_file(path.name), use_mmap=False)
        for name in packed.list():
            files[name] = packed.open_file(name).read()
        packed.close()
    return files


def test_the_index_reads_back_what_whoosh_alone_writes(
        corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With small blocks of postings left uncompressed: every term's postings (documents,
    weights, positions), every document's stored fields and field lengths read back as from
    the index Whoosh's own codec and fields write; and the file is at most 5% larger."""
    from whoosh import index as whoosh_index
    from whoosh.codec.whoosh3 import W3Codec
    from whoosh.fields import TEXT

    from indexer.engine.codec import LeanCodec
    from indexer.engine.textanalyzer import IndexedText

    folders = _write_ways(_cranfield_documents(corpora), {
        "whoosh": (W3Codec, TEXT.index), "ours": (LeanCodec, IndexedText.index)},
        tmp_path, monkeypatch)

    def walk(matcher: Any) -> list[tuple[int, float, bytes]]:
        found = []
        while matcher.is_active():
            found.append((matcher.id(), matcher.weight(), matcher.value()))
            matcher.next()
        return found

    def contents(folder: Path) -> tuple[Any, ...]:
        with whoosh_index.open_dir(str(folder)).reader() as reader:
            postings = {(field, text): walk(reader.postings(field, text))
                        for field, text in reader.all_terms()}
            stored = list(reader.all_stored_fields())
            lengths = {field: [reader.doc_field_length(n, field)
                               for n in range(reader.doc_count_all())]
                       for field in ("title", "summary", "body", "org", "author")}
        return postings, stored, lengths

    whooshs, ours = contents(folders["whoosh"]), contents(folders["ours"])
    assert len(whooshs[0]) > 1000
    assert ours == whooshs

    def size(folder: Path) -> int:
        return sum(len(data) for name, data in _packed(folder).items()
                   if not name.endswith(ARRAYS_EXT))

    assert size(folders["ours"]) <= 1.05 * size(folders["whoosh"])


def test_whole_posting_lists_are_whooshs_blocks_read_whole(
        corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every word's posting list longer than one block is also written whole, and reads back
    as Whoosh's blocks do (documents and weights); no shorter one is."""
    from whoosh import index as whoosh_index

    from indexer.engine import arrays
    from indexer.engine.codec import LeanCodec, posting_arrays
    from indexer.engine.textanalyzer import IndexedText

    documents = _cranfield_documents(corpora)
    folder = _write_ways(documents, {"ours": (LeanCodec, IndexedText.index)}, tmp_path,
                         monkeypatch)["ours"]
    with whoosh_index.open_dir(str(folder)).reader() as reader:
        (leaf, _), = reader.leaf_readers()
        whole = posting_arrays(leaf.segment(), leaf.storage())
        assert whole is not None
        long_lists = 0
        for field, text in reader.all_terms():
            try:
                term = text.decode("utf-8")
            except UnicodeDecodeError:  # a number's term: read from its blocks
                continue
            ids, weights = arrays._read(reader.postings(field, text))
            raw = whole.get(field, term)
            if len(ids) <= 128:  # one block
                assert raw is None, (field, term)
                continue
            long_lists += 1
            assert raw is not None, (field, term)
            assert np.frombuffer(raw[0], dtype=np.uint32).tolist() == ids.tolist()
            assert np.frombuffer(raw[1], dtype=np.float32).tolist() == weights.tolist()
        assert long_lists > 20


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["The", "a", "shelters", "Shelter", "\u00c9tat", "don't", "U.S.",
                                 "T", "visa", "24/7", "of", "and", "\ufb01nance", " ", "\n",
                                 ".", "'", "-"]), max_size=40))
def test_word_positions_gathers_the_analyzers_tokens(pieces: list[str]) -> None:
    from indexer.engine.analysis import text_analyzer
    from indexer.engine.textanalyzer import word_positions

    text = " ".join(pieces)
    gathered: dict[str, list[int]] = {}
    for token in text_analyzer()(text, positions=True, mode="index"):
        gathered.setdefault(token.text, []).append(token.pos)
    assert word_positions(text) == gathered
    assert list(word_positions(text)) == list(gathered)


def _long_lists(corpora: Path, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[tuple[str, str]]]:
    """The Cranfield pages written by splib's codec, and the words whose lists run past one
    block."""
    from whoosh import index as whoosh_index

    from indexer.engine.codec import LeanCodec
    from indexer.engine.textanalyzer import IndexedText

    folder = _write_ways(_cranfield_documents(corpora), {"ours": (LeanCodec, IndexedText.index)},
                         tmp_path, monkeypatch)["ours"]
    with whoosh_index.open_dir(str(folder)).reader() as reader:
        long_lists = [(field, text.decode("utf-8")) for field, text in reader.all_terms()
                      if field == "body" and reader.doc_frequency(field, text) > 128]
    assert len(long_lists) > 10
    return folder, long_lists


def _generation_postings(folder: Path, terms: list[tuple[str, str]]) -> list[Any]:
    from whoosh import index as whoosh_index

    from indexer.engine import arrays

    with whoosh_index.open_dir(str(folder)).reader() as reader:
        generation = arrays.Generation(reader)
        return [tuple(a.tolist() for a in generation.postings(reader, field, text))
                for field, text in terms]


def test_a_search_reads_whole_lists_as_it_reads_blocks(
        corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer.engine import arrays

    folder, terms = _long_lists(corpora, tmp_path, monkeypatch)
    read = []
    real = arrays._read

    def counted(matcher: Any) -> Any:
        read.append(matcher)
        return real(matcher)

    monkeypatch.setattr(arrays, "_read", counted)
    whole = _generation_postings(folder, terms)
    assert read == []  # no block decoded
    monkeypatch.setattr(arrays, "posting_arrays", lambda segment, storage: None)
    assert _generation_postings(folder, terms) == whole
    assert len(read) == len(terms)


def test_damaged_whole_lists_cost_nothing_but_time(
        corpora: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """A damaged file of whole lists (its end, or one entry of its directory) is left aside
    with a warning; the postings come from Whoosh's blocks, the same."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage

    from indexer.engine import arrays

    folder, terms = _long_lists(corpora, tmp_path, monkeypatch)
    expected = _generation_postings(folder, terms)
    (segment,) = folder.glob("*.seg")
    storage = FileStorage(str(folder))
    packed = CompoundStorage(storage.open_file(segment.name), use_mmap=False)
    (name,) = [n for n in packed.list() if n.endswith(ARRAYS_EXT)]
    start, length = packed.range(name)
    packed.close()
    original = segment.read_bytes()

    # Its footer's magic broken: the file is not read at all.
    damaged = bytearray(original)
    damaged[start + length - 5] ^= 0xFF
    segment.write_bytes(bytes(damaged))
    with caplog.at_level("WARNING", logger=arrays.__name__):
        assert _generation_postings(folder, terms) == expected
    assert "its end is damaged" in caplog.text

    # One directory entry damaged: its offset moved by a few bytes, or its count grown.
    directory = original[start:start + length]
    _, term = terms[0]
    entry = directory.find(json.dumps(term).encode() + b":[")
    assert entry > 0
    comma = directory.index(b",", entry)  # [offset,count]
    for cut in (slice(comma - 1, comma), slice(comma + 1, comma + 2)):
        damaged = bytearray(original)
        damaged[start + cut.start:start + cut.stop] = b"9"
        assert damaged != bytearray(original)
        segment.write_bytes(bytes(damaged))
        caplog.clear()
        with caplog.at_level("WARNING", logger=arrays.__name__):
            assert _generation_postings(folder, terms) == expected
        assert "blocks are read instead" in caplog.text
