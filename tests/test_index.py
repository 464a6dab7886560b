"""Index and search: the query language, snippets that cite pages, filters, update, locking."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LibraryFactory, make_pdf

from indexer import BusyError, IndexMissingError, Library, QueryError
from indexer.cli import main


def ids(lib: Library, query: str, **kwargs: object) -> list[str]:
    return [hit.id for hit in lib.search(query, **kwargs).results]  # type: ignore[arg-type]


def test_rebuild_summary(library: Library) -> None:
    status = {s.id: s for s in library.status()}
    assert status["hhs-guide"].pages == 5 and status["hhs-guide"].source == "path"
    assert status["atest-book"].state == "summary-only"
    assert "no `url` or `path`" in (status["atest-book"].error or "")


def test_snippet_cites_page_number_and_label(library: Library) -> None:
    results = library.search("certification letter")
    hit = results.results[0]
    assert hit.id == "hhs-guide"
    page_snippets = [s for s in hit.snippets if s.page is not None]
    assert page_snippets[0].page == 3 and page_snippets[0].label == "1"
    snip = page_snippets[0]
    words = {snip.text[a:b].lower() for a, b in snip.highlights}
    assert {"certification", "letter"} <= words


def test_summary_snippet_has_no_page(library: Library) -> None:
    hit = library.search("counseling").results[0]
    assert hit.id == "hhs-guide"
    summary = [s for s in hit.snippets if s.page is None]
    assert summary and "counseling" in summary[0].text
    assert any(summary[0].text[a:b] == "counseling" for a, b in summary[0].highlights)


def test_all_words_required_then_fallback(library: Library) -> None:
    strict = library.search("rural housing")
    # The one report with both words first, then those with some of them.
    assert not strict.fallback and strict.all_words == 1
    assert [h.id for h in strict.results][:1] == ["hhs-guide"] and len(strict.results) > 1
    assert library.search("rural housing", limit=1).all_words is None  # one has them all
    loose = library.search("emergency zebra")
    assert loose.fallback and loose.results and loose.results[0].id == "hhs-guide"
    assert library.search("zebra giraffe").results == ()


def test_stemming_matches_word_forms(library: Library) -> None:
    assert "wi-training" in ids(library, "interview minor")


def test_phrases(library: Library) -> None:
    assert ids(library, '"transitional housing programs"')[0] == "hhs-guide"
    assert "hhs-guide" not in ids(library, '"housing transitional"')


def test_or_not_and_minus(library: Library) -> None:
    assert set(ids(library, "farms OR counseling")) == {"wi-training", "hhs-guide"}
    assert "hhs-guide" not in ids(library, "housing NOT rural")
    assert "hhs-guide" not in ids(library, "housing -rural")
    assert "housing-article" in ids(library, "housing -rural")
    assert "wi-training" in ids(library, "anti-trafficking OR farms")


def test_fields(library: Library) -> None:
    assert ids(library, "title:training") == ["wi-training"]
    assert ids(library, "org:wisconsin") == ["wi-training"]
    assert ids(library, "organization:justice") == ["wi-training"]
    assert ids(library, "author:clawson") == ["hhs-guide"]
    assert ids(library, "year:2013") == ["wi-training"]
    assert set(ids(library, "year:[2008 TO 2013]")) == {"hhs-guide", "wi-training", "atest-book"}


def test_prefix_and_fuzzy(library: Library) -> None:
    assert "hhs-guide" in ids(library, "certif*")
    assert "hhs-guide" in ids(library, "cerification~")
    assert "wi-training" in ids(library, "restaurnts~2")


def test_filters(library: Library) -> None:
    assert ids(library, "trafficking", org="wisconsin") == ["wi-training"]
    assert set(ids(library, "trafficking", year="2008-2013")) == {"hhs-guide", "wi-training"}
    assert ids(library, "congress", year="2008-2013") == ["atest-book"]
    assert ids(library, "trafficking", year=2016) == ["housing-article"]
    with pytest.raises(QueryError, match="is not a year or a range like 2008-2013"):
        library.search("housing", year="last year")


def test_did_you_mean(library: Library) -> None:
    results = library.search("certifcation")
    assert results.suggestion == "certification"
    assert library.search("certification").suggestion is None


@pytest.mark.parametrize("query", ["nosuchfield:word", "the of and", "the " * 400,
                                   "", "   "])
def test_unreadable_queries_get_a_message(library: Library, query: str) -> None:
    with pytest.raises(QueryError):
        library.search(query)


TYPE_WORDS = 'Error: Type some words to search for, such as "T visa" or shelters.'
NOTHING = "Error: Nothing to search for: the query holds only very common words or operators."


# Punctuation is text (README, "Query syntax"): a query with a word in it is searched; one
# with no word left gets the message that says what to type.
@pytest.mark.parametrize(("query", "exit_code", "says"), [
    ('"unbalanced', 0, "No reports match '\"unbalanced'."),
    ("(((", 1, TYPE_WORDS),
    ("housing)", 0, "\n1. Housing survivors\n"),
    ("AND", 1, NOTHING),
    ("OR OR", 1, NOTHING),
    ("*", 1, TYPE_WORDS),
    ("~", 1, TYPE_WORDS),
    ("title:", 0, "No reports match 'title:'."),  # the word "title", which no report writes
    ("year:[2010 TO", 0, "No reports match 'year:[2010 TO'."),  # year:2010; none is from 2010
    ('title:"', 1, NOTHING),
    ("-", 1, TYPE_WORDS),
    ("\x00\x07 housing", 0, "\n1. Housing survivors\n"),
])
def test_odd_queries_answer_or_explain(library: Library, query: str, exit_code: int,
                                       says: str) -> None:
    result = CliRunner().invoke(main, ["search", query], obj=library)
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    assert says in result.output
    if exit_code == 1:
        assert result.output.startswith(says) and result.output.count("\n") == 1


def test_cli_search_json_shape(library: Library) -> None:
    result = CliRunner().invoke(main, ["search", "--json", "certification", "letter"],
                                obj=library)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"query", "total", "fallback", "question", "suggestion", "all_words",
                         "also_searched", "notes", "results", "facets"}
    assert data["question"] is False
    assert set(data["facets"]) == {"organization", "year"}
    assert data["query"] == "certification letter" and data["total"] >= 1
    first = data["results"][0]
    assert set(first) == {"id", "title", "organization", "date", "url", "source", "score",
                          "snippets", "more_like_this"}
    assert first["id"] not in [m["id"] for m in first["more_like_this"]]
    for similar in first["more_like_this"]:
        assert set(similar) == {"id", "title", "organization", "date", "score", "terms"}
    assert first["id"] == "hhs-guide" and first["source"] == "path"
    for snip in first["snippets"]:
        assert set(snip) == {"page", "label", "text", "highlights", "ocr"}
        for start, end in snip["highlights"]:
            assert 0 <= start < end <= len(snip["text"])


def test_cli_search_plain_markers_and_limits(library: Library) -> None:
    result = CliRunner().invoke(main, ["search", "housing", "--limit", "1", "--pages", "1"],
                                obj=library)
    assert result.exit_code == 0, result.output
    assert "**housing**" in result.output.lower()
    assert result.output.count("\n1. ") == 1 and "\n2. " not in result.output
    assert "\n1. Housing survivors\n" in result.output
    # One snippet (--pages 1): the article's page that says "housing"; its summary ("An
    # article on shelters.") does not, so no summary line.
    snippets = [line for line in result.output.splitlines()
                if line.startswith(("   p. ", "   summary: "))]
    assert len(snippets) == 1, result.output
    assert snippets[0].startswith("   p. 1: **Housing** survivors"), snippets


def test_long_page_highlighted_beyond_32k(tmp_path: Path, make_library: LibraryFactory) -> None:
    filler = "Ordinary words about services and programs fill this page. " * 800
    (tmp_path / "long.txt").write_text(filler + "The zanzibarian clause appears only here.")
    assert len(filler) > 40_000
    lib = make_library([{"id": "long", "title": "Long", "path": "long.txt"}])
    lib.rebuild(offline=True)
    [snip] = lib.search("zanzibarian").results[0].snippets
    assert [snip.text[a:b] for a, b in snip.highlights] == ["zanzibarian"]


def test_search_before_any_rebuild(tmp_path: Path, make_library: LibraryFactory) -> None:
    lib = make_library([{"id": "a", "title": "A"}])
    with pytest.raises(IndexMissingError, match="Run `splib rebuild` first"):
        lib.search("anything")


def test_second_rebuild_is_refused_while_one_runs(library: Library) -> None:
    with library.store.lock("rebuild"):
        with pytest.raises(BusyError, match="already working"):
            library.rebuild(offline=True)
        result = CliRunner().invoke(main, ["rebuild", "--offline"], obj=library)
        assert result.exit_code == 1 and "already working" in result.output
    assert library.rebuild(offline=True).pages == 9


def test_update_after_adding_editing_and_removing(library: Library, tmp_path: Path) -> None:
    catalog = library.catalog_path
    text = catalog.read_text()
    unchanged = library.update(offline=True)
    assert not unchanged.reindexed and unchanged.pages == 9
    (tmp_path / "new.txt").write_text("Pro bono legal services for T visa applicants.")
    text += ('\n[[report]]\nid = "legal"\ntitle = "Legal aid"\npath = "new.txt"\n')
    text = text.replace("A curriculum for officers", "A zebra curriculum for officers")
    text = text.replace('[[report]]\nid = "housing-article"', '[[report]]\nid = "gone"', 1)
    catalog.write_text(text)
    # "gone" replaces "housing-article": one removed, one added under a new id.
    report = library.update(offline=True)
    assert report.changes is not None
    assert set(report.changes.added) == {"legal", "gone"}
    assert report.changes.changed == ("wi-training",)
    assert report.changes.removed == ("housing-article",)
    assert ids(library, "pro bono") == ["legal"]
    # The page text's word list grows with the update: misspelt and fuzzy words find it.
    assert library.search("aplicants").suggestion == "applicants"
    assert ids(library, "aplicants~") == ["legal"]
    assert ids(library, "zebra") == ["wi-training"]
    assert "housing-article" not in ids(library, "shelters OR housing")
    assert library.update(offline=True).reindexed is False


def test_update_notices_a_changed_local_file(library: Library, tmp_path: Path) -> None:
    (tmp_path / "training.pdf").write_bytes(make_pdf(["Now about xylophones only."]))
    report = library.update(offline=True)
    assert report.changes is not None and report.changes.changed == ("wi-training",)
    assert ids(library, "xylophones") == ["wi-training"]
    assert "wi-training" not in ids(library, "farms")


def test_update_reads_again_only_the_local_files_that_changed(
        library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A local file is looked at (size, modification time) on every update and read again
    only when it changed; one that vanished is reported, its last copy kept."""
    import os

    from indexer.fetch import Fetcher

    read: list[str] = []
    real = Fetcher.read_path

    def counted(self: Fetcher, report: object, previous: object) -> object:
        read.append(report.id)  # type: ignore[attr-defined]
        return real(self, report, previous)  # type: ignore[arg-type]

    monkeypatch.setattr(Fetcher, "read_path", counted)
    assert library.update(offline=True).reindexed is False
    assert read == []
    # Touched, not changed: read again, found the same, nothing indexed again.
    guide = tmp_path / "guide.pdf"
    stat = guide.stat()
    os.utime(guide, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert library.update(offline=True).reindexed is False
    assert read == ["hhs-guide"]
    assert library.update(offline=True).reindexed is False
    assert read == ["hhs-guide"]
    article = tmp_path / "article.html"
    kept, stat = article.read_bytes(), article.stat()
    article.unlink()
    library.update(offline=True)
    assert read == ["hhs-guide", "housing-article"]
    status = {s.id: s for s in library.status()}["housing-article"]
    assert status.state == "text" and "local file not found" in (status.error or "")
    # Put back as it was: read again, and its error goes.
    article.write_bytes(kept)
    os.utime(article, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    library.update(offline=True)
    assert read == ["hhs-guide", "housing-article", "housing-article"]
    assert {s.id: s for s in library.status()}["housing-article"].error is None


def test_update_extracts_again_a_text_whose_kept_copy_is_gone(library: Library) -> None:
    """The file unchanged, its extracted text deleted from the data folder: the next update
    extracts it again, and an edit of the entry afterwards still finds its pages."""
    key = library.store.load_manifest()["wi-training"].text_key
    assert key and library.store.has_text(key)
    (library.store.texts / f"{key}.json").unlink()
    library.update(offline=True)
    assert library.store.has_text(key)
    catalog = library.catalog_path
    catalog.write_text(catalog.read_text().replace("Training for Law Enforcement",
                                                   "Training for patrol"))
    assert library.update(offline=True).changes.changed == ("wi-training",)  # type: ignore[union-attr]
    assert ids(library, "restaurants") == ["wi-training"]


def test_update_forgets_removed_entries_when_nothing_else_changed(library: Library) -> None:
    catalog = library.catalog_path
    text = catalog.read_text()
    start = text.index('[[report]]\nid = "atest-book"')
    catalog.write_text(text[:start])
    assert "atest-book" in library.store.load_manifest()
    library.update(offline=True)
    assert "atest-book" not in library.store.load_manifest()


def test_show_entry_and_pages(library: Library) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["show", "hhs-guide", "--page", "3"], obj=library)
    assert result.exit_code == 0, result.output
    assert "H. Clawson; N. Dutch" in result.output and "State:" in result.output
    assert "--- page 3 (printed 1) ---" in result.output and "certification letter" in result.output
    assert "page 4" not in result.output
    result = runner.invoke(main, ["show", "hhs-guide", "--page", "99"], obj=library)
    assert result.exit_code == 1 and "no page 99" in result.output
    result = runner.invoke(main, ["show", "nope"], obj=library)
    assert result.exit_code == 1 and "No report with id 'nope'" in result.output
    result = runner.invoke(main, ["show", "atest-book", "--text"], obj=library)
    assert result.exit_code == 0, result.output
    assert "atest-book has no extracted text to show" in result.stderr


def test_status_json(library: Library) -> None:
    result = CliRunner().invoke(main, ["status", "--json"], obj=library)
    entries = json.loads(result.output)["entries"]
    assert [e["id"] for e in entries] == ["hhs-guide", "wi-training", "housing-article",
                                          "atest-book"]
    assert set(entries[0]) == {"id", "state", "source", "pages", "chars", "fetched_at", "error",
                                "ocr_pages", "ocr_confidence", "unread"}
    assert entries[0]["state"] == "text" and entries[0]["chars"] > 100
    assert entries[3]["state"] == "summary-only" and entries[3]["error"]


def test_broken_file_is_an_error_entry_and_the_rest_is_indexed(
        tmp_path: Path, make_library: LibraryFactory) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7\nnot really a pdf")
    (tmp_path / "good.txt").write_text("Trauma-informed care for survivors.")
    lib = make_library([{"id": "broken", "title": "Broken", "path": "broken.pdf"},
                        {"id": "missing", "title": "Missing", "path": "missing.pdf"},
                        {"id": "good", "title": "Good", "path": "good.txt"}])
    result = CliRunner().invoke(main, ["rebuild"], obj=lib)
    assert result.exit_code == 0, result.output
    assert "1 report with full text, 0 summary only, 2 errors" in result.output
    assert "broken (error): damaged PDF" in result.output
    assert "missing (error): local file not found" in result.output
    assert ids(lib, "trauma") == ["good"]
    assert ids(lib, "broken") == ["broken"]  # its catalog entry is still searchable


def test_similar_reports_and_their_shared_terms(library: Library) -> None:
    found = library.similar("housing-article")
    assert found and "housing-article" not in [s.id for s in found]
    assert found[0].id == "hhs-guide"
    assert "housing" in found[0].terms  # written words, not stems
    result = CliRunner().invoke(main, ["similar", "housing-article", "--json"], obj=library)
    data = json.loads(result.output)
    assert data["id"] == "housing-article" and data["similar"][0]["id"] == "hhs-guide"
    result = CliRunner().invoke(main, ["similar", "nope"], obj=library)
    assert result.exit_code == 1 and "No report with id 'nope'" in result.output


def _count_children(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records each extraction child started, and the files given to extraction in order."""
    from indexer.extract import isolate

    started: list[str] = []
    spawn = isolate._Worker.__init__
    run = isolate._Worker.run

    def counted(self: object, *args: object, **kwargs: object) -> None:
        started.append("child")
        spawn(self, *args, **kwargs)  # type: ignore[arg-type]

    def named(self: object, source: Path, *args: object, **kwargs: object) -> object:
        started.append(source.name)
        return run(self, source, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(isolate._Worker, "__init__", counted)
    monkeypatch.setattr(isolate._Worker, "run", named)
    return started


def test_a_rebuild_with_every_text_kept_starts_no_extraction_child(
        library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    started = _count_children(monkeypatch)
    report = library.rebuild(offline=True)
    assert len(report.with_text) == 3
    assert started == []


def test_a_cold_rebuild_starts_its_children_first_and_extracts_the_largest_file_first(
        tmp_path: Path, make_library: LibraryFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer.build import IndexBuilder

    (tmp_path / "small.pdf").write_bytes(make_pdf(["Shelter intake form"]))
    (tmp_path / "large.pdf").write_bytes(make_pdf(["Housing for survivors"] * 30))
    (tmp_path / "middle.pdf").write_bytes(make_pdf(["Legal aid for survivors"] * 8))
    lib = make_library([{"id": name, "title": name.title(), "path": f"{name}.pdf"}
                        for name in ("small", "large", "middle")])
    started = _count_children(monkeypatch)
    stream = IndexBuilder.stream

    def opening(self: IndexBuilder) -> object:
        started.append("index opened")
        return stream(self)

    monkeypatch.setattr(IndexBuilder, "stream", opening)
    lib.rebuild(offline=True, jobs=1)
    # The data folder keeps each source under its content's hash.
    names = {hashlib.sha256((tmp_path / f"{name}.pdf").read_bytes()).hexdigest(): name
             for name in ("small", "large", "middle")}
    assert [names.get(item, item) for item in started] == \
        ["child", "index opened", "large", "middle", "small"]


def test_a_hit_reads_only_the_pages_it_shows_and_its_summary(
        make_library: LibraryFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight pages and the summary match: the hit shows the summary and three pages, and
    reads those four documents, not the five other pages."""
    from indexer.engine import searching

    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(make_pdf([f"Page {n}: shelter beds and shelter staff, shelter rules."
                              for n in range(1, 9)]))
    lib = make_library([{"id": "long", "title": "A long guide", "path": str(pdf),
                         "summary": "Where survivors find a shelter."}])
    lib.rebuild()
    read: list[int] = []
    real = searching.WhooshSearcher.stored

    def counted(self: searching.WhooshSearcher, doc: int) -> object:
        read.append(doc)
        return real(self, doc)

    monkeypatch.setattr(searching.WhooshSearcher, "stored", counted)
    (hit,) = lib.search("shelter").results
    assert [s.page for s in hit.snippets][:1] == [None]  # the summary first
    assert len([s for s in hit.snippets if s.page is not None]) == 3
    assert len(read) == 4
