"""A newcomer's first hour: a library of their own, run as the README shows, from any folder.

Each test here stands for a stumble a new user met (a wrong folder, a silent run, a message
that named Python types, a data file that turned into "a bug"); each failed before its fix.
"""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import GUIDE, TRAINING, make_pdf, write_catalog
from whoosh.query import QueryError as WhooshQueryError

from indexer import Library
from indexer.cli import main
from indexer.errors import QueryError

ENTRIES = [
    {"id": "guide", "title": "Guide to shelter for survivors", "organization": "Coalition North",
     "date": "2011-03", "summary": "How case managers find housing.", "path": "guide.pdf",
     "topics": ["Overview of shelters", "Housing law"]},
    {"id": "training", "title": "Training for investigators", "organization": "State Police",
     "date": "2013", "summary": "Interviewing victims.", "path": "training.pdf"},
    {"id": "notes", "title": "Field notes", "organization": "Coalition North", "date": "2012",
     "summary": "Outreach at farms where workers hold H-2A visas."},
]


def splib(*args: str, cwd: Path, env: dict[str, str] | None = None) \
        -> subprocess.CompletedProcess[str]:
    """The `splib` command as a person runs it: a new process in folder `cwd`."""
    command = [sys.executable, "-m", "indexer", *args]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SPLIB_")}
    environment.update(env or {})
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env=environment)


def own_library(folder: Path, entries: list[dict[str, object]] = ENTRIES) -> Path:
    """A library folder as the README's "Your own library" makes one: catalog.toml and the
    reports beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "guide.pdf").write_bytes(make_pdf(GUIDE))
    (folder / "training.pdf").write_bytes(make_pdf(TRAINING))
    write_catalog(folder / "catalog.toml", entries)
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library built with the README's command, in its own folder, with no --data."""
    folder = own_library(tmp_path_factory.mktemp("newcomer") / "lib")
    done = splib("--catalog", "catalog.toml", "rebuild", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder


# -- 2. the data folder belongs to the catalog --------------------------------------------

def test_the_data_folder_is_beside_the_catalog(built: Path) -> None:
    assert (built / ".splib" / "manifest.json").is_file()
    assert (built / ".splib" / "index" / "CURRENT").is_file()


def test_search_from_any_folder_finds_the_catalogs_index(built: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    for catalog in (str(built / "catalog.toml"), os.path.relpath(built / "catalog.toml",
                                                                 elsewhere)):
        found = splib("--catalog", catalog, "search", "shelter", cwd=elsewhere)
        assert found.returncode == 0, found.stderr
        assert "Guide to shelter for survivors" in found.stdout
    assert not (elsewhere / ".splib").exists()


def test_the_catalog_from_the_environment_finds_its_index_too(built: Path,
                                                             tmp_path: Path) -> None:
    found = splib("status", cwd=tmp_path, env={"SPLIB_CATALOG": str(built / "catalog.toml")})
    assert found.returncode == 0, found.stderr
    assert re.search(r"^guide +text +path +5 ", found.stdout, re.M), found.stdout


def test_a_data_folder_made_above_the_catalog_keeps_working(tmp_path: Path) -> None:
    """Earlier, `splib rebuild` in a project folder with `corpus/catalog.toml` made `.splib`
    in the project folder: that index is still found, from anywhere."""
    project = tmp_path / "project"
    own_library(project / "corpus")
    old = Library(catalog=project / "corpus" / "catalog.toml", data=project / ".splib")
    old.rebuild(offline=True)
    found = splib("--catalog", str(project / "corpus" / "catalog.toml"), "search", "shelter",
                  cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert "Guide to shelter for survivors" in found.stdout
    assert not (project / "corpus" / ".splib").exists()


def test_an_empty_folder_asks_for_a_catalog_first(tmp_path: Path) -> None:
    """A folder that is no library yet: the catalog to start is catalog.toml here, and
    `splib add` starts it there (not in a corpus/ folder the keeper never made)."""
    searched = splib("search", "housing", cwd=tmp_path)
    assert searched.returncode == 1
    assert "No catalog at catalog.toml. Start one with `splib --catalog catalog.toml add " \
        in searched.stderr
    assert "rebuild" not in searched.stderr.split("No catalog", 1)[0]
    (tmp_path / "guide.pdf").write_bytes(make_pdf(GUIDE))
    added = splib("add", "guide.pdf", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "catalog.toml").is_file() and not (tmp_path / "corpus").exists()
    assert splib("search", "shelter", cwd=tmp_path).returncode == 1  # not built yet
    assert splib("rebuild", cwd=tmp_path).returncode == 0
    assert "shelter" in splib("search", "shelter", cwd=tmp_path).stdout.lower()


def test_in_the_librarys_own_folder_its_catalog_is_the_default(built: Path) -> None:
    """A keeper who made their library with `splib --catalog catalog.toml add` and stands in
    its folder runs `splib search` and `splib status` without --catalog."""
    found = splib("search", "shelter", cwd=built)
    assert found.returncode == 0, found.stderr
    assert "Guide to shelter for survivors" in found.stdout
    status = splib("status", cwd=built)
    assert status.returncode == 0 and re.search(r"^guide +text ", status.stdout, re.M)


def test_status_before_the_first_build_says_how_to_build(tmp_path: Path) -> None:
    folder = own_library(tmp_path / "lib")
    done = splib("--catalog", "catalog.toml", "status", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "No index yet in .splib: `splib --catalog catalog.toml rebuild` fetches" \
        in done.stderr


def test_a_report_named_as_the_catalog_says_so(built: Path) -> None:
    """A PDF or a web page given to --catalog is the person's mistake: every command says
    so, the search too (it does not answer from an index beside the report)."""
    (built / "page.html").write_text("<!DOCTYPE html><html><body><p>Shelter.</p></body></html>",
                                     encoding="utf-8")
    (built / "page.xhtml").write_text('<?xml version="1.0"?><html><body>Shelter.</body></html>',
                                      encoding="utf-8")
    for report in ("guide.pdf", "page.html", "page.xhtml"):
        for command in (("status",), ("search", "shelter")):
            wrong = splib("--catalog", report, *command, cwd=built)
            assert wrong.returncode == 1, (report, command)
            assert f"{report} is a report, not a catalog" in wrong.stderr
            assert f"splib --catalog catalog.toml add {report}" in wrong.stderr
            assert "UTF-8" not in wrong.stderr and "TOML" not in wrong.stderr


# -- 3. progress, and -v/-q after the command ---------------------------------------------

def test_rebuild_shows_a_line_per_report_when_not_on_a_terminal(tmp_path: Path) -> None:
    folder = own_library(tmp_path / "lib")
    done = splib("--catalog", "catalog.toml", "rebuild", cwd=folder)
    assert done.returncode == 0, done.stderr
    lines = [line.removeprefix("Fetching and extracting ").split(": ", 1)
             for line in done.stderr.splitlines() if line.startswith("Fetching")]
    # Reports finish in any order (two at a time); the count goes up one a line.
    assert [count for count, _ in lines] == ["1/3", "2/3", "3/3"]
    assert sorted(what for _, what in lines) == ["guide, 5 pages", "notes, summary only",
                                                 "training, 3 pages"]


def test_quiet_and_verbose_are_accepted_after_the_command(built: Path) -> None:
    quiet = splib("--catalog", "catalog.toml", "update", "-q", cwd=built)
    assert quiet.returncode == 0, quiet.stderr
    assert "Fetching" not in quiet.stderr
    verbose = splib("--catalog", "catalog.toml", "rebuild", "-v", "--offline", cwd=built)
    assert verbose.returncode == 0, verbose.stderr
    assert "INFO indexer.ingest: guide: text read back from the cache for" in verbose.stderr


# -- 4. messages in a library keeper's words -----------------------------------------------

def test_a_date_without_quotes_says_to_put_it_in_quotes(tmp_path: Path) -> None:
    (tmp_path / "catalog.toml").write_text(
        '[[report]]\nid = "a"\ntitle = "A"\ndate = 2023-05-01\n', encoding="utf-8")
    result = splib("--catalog", "catalog.toml", "status", cwd=tmp_path)
    assert result.returncode == 1
    assert 'date = "2023-05-01"' in result.stderr
    assert "datetime" not in result.stderr and "got " not in result.stderr
    assert "1 problem;" in result.stderr


def test_the_same_file_under_two_ids_is_pointed_out(tmp_path: Path) -> None:
    folder = own_library(tmp_path / "lib", [
        ENTRIES[0], {**ENTRIES[0], "id": "guide-again", "title": "The guide, again"}])
    done = splib("--catalog", "catalog.toml", "rebuild", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "guide and guide-again are the same file" in done.stderr


def test_random_bytes_in_a_local_file_say_to_point_at_the_report(tmp_path: Path) -> None:
    (tmp_path / "noise.pdf").write_bytes(bytes(range(256)) * 64)
    write_catalog(tmp_path / "catalog.toml", [
        {"id": "noise", "title": "Noise", "path": "noise.pdf"}])
    done = splib("--catalog", "catalog.toml", "rebuild", cwd=tmp_path)
    assert "noise (error): not a PDF, HTML, text or image file" in done.stderr
    assert "point the entry's `url` or `path` at the report itself" in done.stderr
    assert "address" not in done.stderr


def test_show_text_of_a_summary_only_entry_is_not_a_failure(built: Path) -> None:
    shown = splib("--catalog", "catalog.toml", "show", "notes", "--text", cwd=built)
    assert shown.returncode == 0, shown.stderr
    assert "Outreach at farms" in shown.stdout
    assert "notes has no extracted text to show" in shown.stderr


def test_a_wrong_page_fails_before_printing_anything(built: Path) -> None:
    shown = splib("--catalog", "catalog.toml", "show", "guide", "--page", "9", cwd=built)
    assert shown.returncode == 1
    assert shown.stdout == ""
    assert "guide has pages 1-5; there is no page 9." in shown.stderr


def test_an_empty_catalog_says_what_to_add(tmp_path: Path) -> None:
    (tmp_path / "catalog.toml").write_text("# nothing yet\n", encoding="utf-8")
    done = splib("--catalog", "catalog.toml", "rebuild", cwd=tmp_path)
    assert done.returncode == 0
    assert "lists no reports yet: add them with `splib --catalog catalog.toml add " \
        "FILE|FOLDER|URL`" in done.stderr


def test_filters_that_exclude_everything_say_why(built: Path) -> None:
    years = splib("--catalog", "catalog.toml", "search", "shelter", "--year", "2020-2018",
                  cwd=built)
    assert years.returncode == 0
    assert "No report is from 2018-2020; the library's reports are from 2011-2013." \
        in years.stderr
    org = splib("--catalog", "catalog.toml", "search", "shelter", "--org", "zzzz", cwd=built)
    assert "No report's organisation has the words 'zzzz'" in org.stderr
    reversed_range = splib("--catalog", "catalog.toml", "search", "shelter", "--year",
                           "2013-2010", cwd=built)
    assert "Guide to shelter for survivors" in reversed_range.stdout


def test_a_bad_year_field_explains_the_year_syntax(built: Path) -> None:
    result = splib("--catalog", "catalog.toml", "search", "year:abc", cwd=built)
    assert result.returncode == 1
    assert "year:2008-2013" in result.stderr and "common words" not in result.stderr


def test_counts_have_the_right_noun(built: Path) -> None:
    one = splib("--catalog", "catalog.toml", "search", "interviewing", cwd=built)
    assert "1 report matches; showing 1." in one.stderr
    rebuilt = splib("--catalog", "catalog.toml", "rebuild", "--offline", cwd=built)
    assert "2 reports with full text, 1 summary only, 0 errors; 8 pages indexed" \
        in rebuilt.stderr
    assert "(s)" not in rebuilt.stderr + one.stderr


def test_python_m_indexer_cli_prints_its_help(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "indexer.cli", "--help"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: splib [OPTIONS] COMMAND")


def test_search_help_shows_the_query_syntax() -> None:
    result = CliRunner().invoke(main, ["search", "--help"])
    assert "README" not in result.output
    for example in ('"certification letter"', "shelter OR housing", "housing -rural",
                    "title:guide", "year:2008-2013", "traffick*", "trafficing~"):
        assert example in result.output


# -- 7. data files read back are checked ----------------------------------------------------

def copy_library(built: Path, tmp_path: Path) -> Path:
    import shutil

    folder = tmp_path / "lib"
    shutil.copytree(built, folder)
    return folder


@pytest.mark.parametrize("manifest", ['{"version": 1, "entries": []}', '[1, 2]',
                                      '{"version": 9, "entries": {}}', "not json"])
def test_a_manifest_of_the_wrong_shape_is_set_aside(built: Path, tmp_path: Path,
                                                    manifest: str) -> None:
    folder = copy_library(built, tmp_path)
    (folder / ".splib" / "manifest.json").write_text(manifest, encoding="utf-8")
    status = splib("--catalog", "catalog.toml", "status", cwd=folder)
    assert status.returncode == 0, status.stderr
    assert "manifest is unreadable" in status.stderr and "splib rebuild" in status.stderr
    kept = list((folder / ".splib").glob("manifest.unreadable-*.json"))
    assert [p.read_text(encoding="utf-8") for p in kept] == [manifest]
    rebuilt = splib("--catalog", "catalog.toml", "rebuild", cwd=folder)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "2 reports with full text" in rebuilt.stderr


def test_a_damaged_entry_record_costs_only_that_entry(built: Path, tmp_path: Path) -> None:
    folder = copy_library(built, tmp_path)
    path = folder / ".splib" / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["entries"]["guide"]["source"] = {"sha256": 5}
    data["entries"]["training"]["fetch_error"] = ["not", "text"]
    path.write_text(json.dumps(data), encoding="utf-8")
    lib = Library(catalog=folder / "catalog.toml")
    states = {s.id: s.state for s in lib.status()}
    assert states == {"guide": "summary-only", "training": "summary-only",
                      "notes": "summary-only"}
    assert len(lib.update(offline=True).with_text) == 2


def test_a_text_cache_of_the_wrong_shape_is_extracted_again(built: Path,
                                                            tmp_path: Path) -> None:
    import hashlib

    folder = copy_library(built, tmp_path)
    for cached in (folder / ".splib" / "text").glob("*.json"):
        body = b'{"document": {"pages": 3}}'
        cached.write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    shown = splib("--catalog", "catalog.toml", "show", "guide", "--page", "2", cwd=folder)
    assert shown.returncode == 0, shown.stderr
    assert "no extracted text" in shown.stderr
    rebuilt = splib("--catalog", "catalog.toml", "rebuild", cwd=folder)
    assert "2 reports with full text" in rebuilt.stderr, rebuilt.stderr
    again = splib("--catalog", "catalog.toml", "show", "guide", "--page", "2", cwd=folder)
    assert "--- page 2 ---" in again.stdout


def test_eval_fails_when_a_question_loses_a_report_it_must_find(built: Path,
                                                                 tmp_path: Path) -> None:
    ids = [r.id for r in Library(catalog=built / "catalog.toml").catalog()]
    found = Library(catalog=built / "catalog.toml").search("shelter", pages=0).results
    first, last = found[0].id, next(i for i in ids if i not in {h.id for h in found[:3]})
    questions = tmp_path / "q.toml"
    asked = f'[[query]]\ntext = "shelter"\ngrades = {{ {first} = 3 }}\n'
    questions.write_text(asked + f'must = ["{first}"]\n', encoding="utf-8")
    kept = splib("--catalog", str(built / "catalog.toml"), "eval", str(questions), cwd=tmp_path)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "Must-find" not in kept.stdout
    questions.write_text(asked + f'must = ["{first}", "{last}"]\n', encoding="utf-8")
    lost = splib("--catalog", str(built / "catalog.toml"), "eval", str(questions), cwd=tmp_path)
    assert lost.returncode == 1
    assert f"Must-find reports not in the first 3 (1):\n  'shelter': {last} not in" \
        in lost.stdout


@pytest.mark.parametrize(("questions", "said"), [
    ('query = "oops"\n', "write each question as a [[query]] table"),
    ('[[query]]\ntext = "housing"\ngrades = "guide"\n', "needs `grades`"),
    ('[[query]]\ntext = "housing"\ngrades = { guide = 3 }\nmust = "guide"\n',
     "`must` is a list of report ids"),
    ('[[query]]\ntext = 5\ngrades = { guide = 3 }\n', "needs a `text`"),
])
def test_a_questions_file_of_the_wrong_shape_says_what_to_fix(
        built: Path, tmp_path: Path, questions: str, said: str) -> None:
    (tmp_path / "q.toml").write_text(questions, encoding="utf-8")
    result = splib("--catalog", str(built / "catalog.toml"), "eval", str(tmp_path / "q.toml"),
                   cwd=tmp_path)
    assert result.returncode == 1
    assert said in result.stderr and "bug" not in result.stderr


# -- 8. a bug is a bug, not the person's query -----------------------------------------------

@pytest.mark.parametrize(("fault", "seen"), [
    (RuntimeError("a fault in grouping"), RuntimeError),
    (WhooshQueryError("Whoosh cannot run this query"), QueryError),
])
def test_a_fault_inside_the_search_is_not_blamed_on_the_query(
        built: Path, monkeypatch: pytest.MonkeyPatch, fault: Exception,
        seen: type[Exception]) -> None:
    """Only what Whoosh refuses to run is the query's problem (a 400 on the web page); any
    other fault surfaces as the bug it is (a 500, logged), not as "your query"."""
    import indexer.engine.searching

    def broken(*args: object, **kwargs: object) -> None:
        raise fault

    from indexer.search import forget_answers

    lib = Library(catalog=built / "catalog.toml")
    assert lib.search("shelter").results
    forget_answers()  # else the answer kept from the search above is shown again
    monkeypatch.setattr(indexer.engine.searching, "OrderedDict", broken)
    with pytest.raises(seen) as caught:
        lib.search("shelter")
    assert isinstance(caught.value, QueryError) == (seen is QueryError)


# -- 5. snippets say where they were cut ----------------------------------------------------

def test_a_summary_snippet_sets_topics_apart_and_marks_cuts(built: Path) -> None:
    lib = Library(catalog=built / "catalog.toml")
    hit = next(h for h in lib.search("overview shelters").results if h.id == "guide")
    summary = next(s for s in hit.snippets if s.page is None)
    assert "find housing. · Overview of shelters · Housing law" in summary.text
    marked = [summary.text[a:b] for a, b in summary.highlights]
    assert "Overview" in marked and "shelters" in marked


def test_a_snippet_cut_from_a_long_page_starts_and_ends_with_an_ellipsis() -> None:
    from indexer.snippets import ELLIPSIS, make_snippet

    text = " ".join(["filler"] * 200 + ["certification"] + ["filler"] * 200)
    snip = make_snippet(text, {"certif"}, page=3, label=None)
    assert snip is not None
    assert snip.text.startswith(ELLIPSIS + " ") and snip.text.endswith(" " + ELLIPSIS)
    assert [snip.text[a:b] for a, b in snip.highlights] == ["certification"]
    whole = make_snippet("A short certification page.", {"certif"}, page=1, label=None)
    assert whole is not None and whole.text == "A short certification page."


# -- found by a new user's walk-through ------------------------------------------------------

def test_searching_a_library_with_no_reports_yet_says_so(tmp_path: Path) -> None:
    from indexer.web import create_app

    (tmp_path / "catalog.toml").write_text("# nothing yet\n", encoding="utf-8")
    assert splib("--catalog", "catalog.toml", "rebuild", cwd=tmp_path).returncode == 0
    searched = splib("--catalog", "catalog.toml", "search", "housing", cwd=tmp_path)
    assert searched.returncode == 0, searched.stderr
    assert "The library has no reports yet: add some with `splib add" in searched.stderr
    client = create_app(Library(catalog=tmp_path / "catalog.toml")).test_client()
    for page in ("/?q=housing", "/api/search?q=housing"):
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert "no reports yet" in answer.get_data(as_text=True)


def test_output_piped_into_head_ends_quietly(built: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SPLIB_")}
    for command in (["status"], ["search", "shelter", "--limit", "1"]):
        proc = subprocess.Popen([sys.executable, "-m", "indexer", "--catalog", "catalog.toml",
                                 *command], cwd=built, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=environment, bufsize=0)
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.read(1)  # like `head -c 1`: one byte, then the pipe is closed
        proc.stdout.close()
        errors = proc.stderr.read().decode()
        proc.stderr.close()
        assert proc.wait() == 0, errors
        assert "bug" not in errors and "Broken pipe" not in errors


def test_a_search_over_an_invalid_catalog_names_the_catalogs_problem(built: Path,
                                                                      tmp_path: Path) -> None:
    (tmp_path / "catalog.toml").write_text('[[report]]\nid = "a"\ntitle = "A"\n'
                                           "date = 2023-05-01\n", encoding="utf-8")
    searched = splib("--catalog", "catalog.toml", "search", "housing", cwd=tmp_path)
    assert searched.returncode == 1
    assert 'like date = "2023-05-01"' in searched.stderr and "rebuild" not in searched.stderr


def test_a_data_folder_above_is_taken_only_for_a_catalog_in_corpus(tmp_path: Path) -> None:
    from indexer.library import default_data

    (tmp_path / ".splib").mkdir()
    (tmp_path / ".splib" / "manifest.json").write_text('{"version": 1, "entries": {}}')
    for name in ("corpus", "mine"):
        (tmp_path / name).mkdir()
    assert default_data(tmp_path / "corpus" / "catalog.toml") == tmp_path / ".splib"
    assert default_data(tmp_path / "mine" / "catalog.toml") == tmp_path / "mine" / ".splib"


def test_what_to_run_next_names_the_catalog(built: Path, tmp_path: Path) -> None:
    other = own_library(tmp_path / "other")
    searched = splib("--catalog", str(other / "catalog.toml"), "search", "shelter",
                     cwd=tmp_path)
    assert searched.returncode == 1
    assert f"Run `splib --catalog {other / 'catalog.toml'} rebuild` first." in searched.stderr


def test_a_damaged_index_says_rebuild_and_a_rebuild_mends_it(built: Path,
                                                            tmp_path: Path) -> None:
    from indexer.web import create_app

    folder = copy_library(built, tmp_path)
    live = (folder / ".splib" / "index" / "CURRENT").read_text(encoding="utf-8").strip()
    for segment in (folder / ".splib" / "index" / live).glob("*.seg"):
        with segment.open("r+b") as handle:  # cut short, as a full disk or a bad copy leaves it
            handle.truncate(1000)
    # Its table of contents overwritten, in another copy (Whoosh reads it first).
    other = copy_library(built, tmp_path / "toc")
    for toc in (other / ".splib" / "index" / live).glob("*.toc"):
        toc.write_bytes(bytes(toc.stat().st_size))
    zeros = splib("--catalog", "catalog.toml", "search", "shelter", cwd=other)
    assert zeros.returncode == 1 and "its files are damaged" in zeros.stderr, zeros.stderr
    # An update, even with nothing changed, builds it again rather than vouch for it.
    mended = splib("--catalog", "catalog.toml", "update", cwd=other)
    assert mended.returncode == 0 and "The index's files were damaged; it was built again" \
        in mended.stderr, mended.stderr
    assert "Guide to shelter for survivors" in splib(
        "--catalog", "catalog.toml", "search", "shelter", cwd=other).stdout
    found = splib("--catalog", "catalog.toml", "search", "shelter", cwd=folder)
    assert found.returncode == 1
    assert "could not be read" in found.stderr and "damaged" in found.stderr
    assert "`splib --catalog catalog.toml rebuild`" in found.stderr
    assert "This is a bug" not in found.stderr and "Traceback" not in found.stderr
    # Whoosh leaves the file of a segment it failed to open for the collector to close.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        client = create_app(Library(catalog=folder / "catalog.toml")).test_client()
        page = client.get("/", query_string={"q": "shelter"})
        assert page.status_code == 503 and "damaged" in page.get_data(as_text=True)
        api = client.get("/api/search", query_string={"q": "shelter"})
        assert api.status_code == 503 and "damaged" in api.get_json()["error"]
        gc.collect()
    assert splib("--catalog", "catalog.toml", "rebuild", cwd=folder).returncode == 0
    again = splib("--catalog", "catalog.toml", "search", "shelter", cwd=folder)
    assert again.returncode == 0 and "Guide to shelter for survivors" in again.stdout


def test_naming_the_catalog_another_way_changes_nothing(built: Path, tmp_path: Path) -> None:
    """A cron job names the catalog by its full path, a person by a relative one: the files
    are the same files, and an update has nothing to do."""
    folder = copy_library(built, tmp_path)
    assert splib("--catalog", "catalog.toml", "update", cwd=folder).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    linked = tmp_path / "linked"
    linked.symlink_to(folder)  # the same folder by another name, as macOS's /tmp is
    for args, env in ((["update"], {"SPLIB_CATALOG": str(folder / "catalog.toml")}),
                      (["--catalog", "../lib/../lib/catalog.toml", "update"], {}),
                      (["update"], {"SPLIB_CATALOG": str(linked / "catalog.toml")})):
        done = splib(*args, cwd=elsewhere, env=env)
        assert done.returncode == 0, done.stderr
        assert "Nothing changed" in done.stderr, done.stderr


def test_commands_in_messages_name_the_library_as_it_was_named(tmp_path: Path) -> None:
    """A command splib suggests is one this person can paste: with the --catalog and --data
    they typed, in errors and in notes alike."""
    folder = own_library(tmp_path / "lib")
    missing = splib("--catalog", "lib/catalog.toml", "--data", "elsewhere", "search", "shelter",
                    cwd=tmp_path)
    assert missing.returncode == 1
    assert "`splib --catalog lib/catalog.toml --data elsewhere rebuild`" in missing.stderr
    (folder / "inbox").mkdir()
    (folder / "inbox" / "memo.pdf").write_bytes(make_pdf(TRAINING))
    updated = splib("--catalog", "lib/catalog.toml", "update", cwd=tmp_path)
    assert updated.returncode == 0, updated.stderr
    assert "check its title with `splib --catalog lib/catalog.toml show ID`" in \
        updated.stderr
    found = splib("--catalog", "lib/catalog.toml", "search", "shelter", cwd=tmp_path)
    assert "more like this: splib --catalog lib/catalog.toml similar guide" in found.stdout


def test_splibs_own_failure_while_searching_is_not_called_a_damaged_index(
        built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A KeyError in splib's own code (here the snippets) is a bug: it is not told as
    damaged files, which a rebuild would not mend."""
    import indexer.search

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(indexer.search, "make_snippet", broken)
    with pytest.raises(KeyError, match="a bug"):
        Library(catalog=built / "catalog.toml").search("shelter")
