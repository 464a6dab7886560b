"""Hardening: hostile files, sources and faults cost one entry with a reason, never the run."""

from __future__ import annotations

import errno
import gzip
import json
import logging
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, LibraryFactory, make_pdf
from hostile import SITECUSTOMIZE, bomb_pdf, endless_pdf, gzip_bomb
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from indexer import Library, SplibError
from indexer.cli import main
from indexer.ingest import ProgressEvent

GOOD = make_pdf(["A good report about trauma-informed counseling for survivors."])


def test_hostile_pdfs_are_stopped_and_the_rest_is_indexed(
        tmp_path: Path, make_library: LibraryFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "endless.pdf").write_bytes(endless_pdf())
    (tmp_path / "bomb.pdf").write_bytes(bomb_pdf(2.0))
    (tmp_path / "crash.pdf").write_bytes(make_pdf(["Any page."]) + b"%SPLIB-CRASH-ME\n")
    (tmp_path / "good.pdf").write_bytes(GOOD)
    # The crash is injected into the extraction child only, through its sitecustomize.
    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(SITECUSTOMIZE)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(inject), str(ROOT)]))
    lib = make_library([{"id": name, "title": name, "path": f"{name}.pdf"}
                        for name in ("endless", "bomb", "crash", "good")], seconds=3)
    report = lib.rebuild(offline=True, jobs=2)
    status = {s.id: s for s in report.entries}
    assert status["good"].state == "text"
    assert status["endless"].state == "error"
    assert status["endless"].error == "timed out after 3 s (the file may be hostile or damaged)"
    assert status["bomb"].state == "error"
    assert (status["bomb"].error or "").startswith("too large")
    assert status["crash"].state == "error"
    assert status["crash"].error == "the extractor crashed on this file (SIGSEGV)"
    assert [h.id for h in lib.search("counseling").results] == ["good"]


def test_memory_limit_stops_a_file_that_balloons(tmp_path: Path) -> None:
    (tmp_path / "huge.txt.gz").write_bytes(gzip_bomb(100))
    from indexer import ExtractionError, Limits

    lib = Library(catalog=tmp_path / "c.toml", data=tmp_path / "d",
                  limits=Limits(seconds=60, memory_mb=300))
    with pytest.raises(ExtractionError, match="too large: extraction needed more than 300 MB"):
        lib.extract(tmp_path / "huge.txt.gz")


# The simulated ENOSPC strikes while Whoosh is creating a temporary file, which Whoosh then
# leaves for the garbage collector to close; that ResourceWarning is Whoosh's, not a failure.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_full_disk_while_indexing_keeps_the_old_index(library: Library,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from whoosh.filedb.filestore import FileStorage

    before = [h.id for h in library.search("housing").results]
    generations = sorted(p.name for p in library.store.indexes.iterdir() if p.is_dir())
    real = FileStorage.create_file
    calls = {"n": 0}

    def full(self: FileStorage, name: str, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, name, **kwargs)

    monkeypatch.setattr(FileStorage, "create_file", full)
    with pytest.raises(SplibError, match="The disk is full while writing the index"):
        library.rebuild(offline=True)
    result = CliRunner().invoke(main, ["rebuild", "--offline"], obj=library)
    assert result.exit_code == 1 and "disk is full" in result.output
    assert "Traceback" not in result.output
    monkeypatch.undo()
    assert [h.id for h in library.search("housing").results] == before
    assert sorted(p.name for p in library.store.indexes.iterdir() if p.is_dir()) == generations
    assert library.rebuild(offline=True).pages == 9


def test_corrupted_text_cache_is_detected_and_extracted_again(library: Library) -> None:
    record = library.store.load_manifest()["hhs-guide"]
    assert record.text_key
    cache = library.store.texts / f"{record.text_key}.json"
    raw = bytearray(cache.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    cache.write_bytes(bytes(raw))
    library.rebuild(offline=True)
    assert library.store.load_text(record.text_key) is not None  # rewritten, checksum good
    assert library.search('"certification letter"').results[0].id == "hhs-guide"
    assert library.status()[0].state == "text"


# A searcher in its own process: it searches in a loop and checks every answer, and says on
# stdout, one line each, the first answer it got from each index generation ("answered GEN
# MARKS"), the answer it got while the test held a rebuild half-way ("during K GEN MARKS",
# once the file pause-K is in the control folder), and how many answers it checked when told
# to stop. MARKS are the marker words that index finds ("-" for none): each rebuild puts one
# in a summary, so they show which index answered.
SEARCHER = """
import sys
from pathlib import Path
from indexer import Library
lib = Library(catalog=sys.argv[1], data=sys.argv[2])
want, control, markers = sys.argv[3], Path(sys.argv[4]), sys.argv[5].split(",")

def live():
    current = lib.store.current_index()
    return current.name if current else "none"

seen, pause, answers = set(), 0, 0
while True:
    before = live()
    stop = (control / "stop").exists()
    paused = (control / f"pause-{pause}").exists()
    hit = lib.search("certification letter").results[0]
    got = repr([(hit.id, s.page) for s in hit.snippets])
    if got != want:
        print("INCOMPLETE", got, flush=True)
        sys.exit(1)
    total = lib.search("trafficking OR housing OR shelters").total
    if total != 3:
        print("INCOMPLETE total", total, flush=True)
        sys.exit(1)
    marks = ",".join(word for word in markers if lib.search(word).results) or "-"
    if live() != before:
        continue  # the swap came between the searches: which index answered is not known
    answers += 1
    if before not in seen:
        seen.add(before)
        print("answered", before, marks, flush=True)
    if paused:
        print("during", pause, before, marks, flush=True)
        pause += 1
    if stop:
        print("stopped", answers, flush=True)
        break
"""

# How long a searcher may stay silent before the test calls it stuck. A guard against a hang,
# not a measurement: every line the test waits for comes as soon as a search answers.
STUCK = 120


class Lines:
    """The lines a child process prints, read by a thread so that waiting for one can be
    bounded without losing any that arrive together."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.queue: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.queue.put(line.strip())
        self.queue.put("<exited>")

    def next(self) -> str:
        try:
            return self.queue.get(timeout=STUCK)
        except queue.Empty:
            raise AssertionError(f"a searcher printed nothing for {STUCK} s") from None


def live(library: Library) -> str:
    """The name of the live index generation."""
    current = library.store.current_index()
    assert current is not None
    return current.name


class HoldAtTheLastEntry:
    """A rebuild's progress callback: when the last entry is indexed (the new generation is
    written, not yet live), it asks the searchers for an answer and waits for every one."""

    def __init__(self, library: Library, k: int, control: Path, lines: list[Lines],
                 marks: str) -> None:
        self.library, self.k, self.control, self.lines = library, k, control, lines
        self.generation = live(library)  # the generation live when the rebuild starts
        self.marks = marks  # what that generation finds of the marker words
        self.times = 0

    def __call__(self, event: ProgressEvent) -> None:
        if not event.total or event.done != event.total or self.times:
            return
        self.times += 1
        assert live(self.library) == self.generation  # not swapped yet
        (self.control / f"pause-{self.k}").touch()
        for out in self.lines:
            assert out.next() == f"during {self.k} {self.generation} {self.marks}"


def test_searches_in_processes_while_rebuilds_run_back_to_back(library: Library,
                                                               tmp_path: Path) -> None:
    """Three processes search while three rebuilds run one after the other. Each rebuild is
    held after its last entry is indexed (the new generation written but not yet live) until
    every searcher has answered from the old index; after each swap every searcher answers
    from the new one (each rebuild adds a marker word, so which index answered shows). Every
    answer is checked: a search never sees a half-built index."""
    hit = library.search("certification letter").results[0]
    want = repr([(hit.id, s.page) for s in hit.snippets])
    control = tmp_path / "control"
    control.mkdir()
    catalog = library.catalog_path
    base = catalog.read_text()
    assert "Recommendations to Congress" in base
    markers = ["xylophone", "quokka", "zeppelin"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    searchers = [subprocess.Popen([sys.executable, "-c", SEARCHER, str(catalog),
                                   str(library.store.root), want, str(control),
                                   ",".join(markers)],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  env=env) for _ in range(3)]
    lines = [Lines(proc) for proc in searchers]
    try:
        generation, marks = live(library), "-"
        for out in lines:
            assert out.next() == f"answered {generation} {marks}"
        for k, marker in enumerate(markers):
            catalog.write_text(base.replace("Recommendations to Congress",
                                            f"Recommendations ({marker}) to Congress"))
            held = HoldAtTheLastEntry(library, k, control, lines, marks)
            library.rebuild(offline=True, progress=held)
            assert held.times == 1
            new = live(library)
            assert new != generation
            generation, marks = new, marker
            for out in lines:
                assert out.next() == f"answered {generation} {marks}"
        (control / "stop").touch()
        for proc, out in zip(searchers, lines, strict=True):
            assert out.next().startswith("stopped ")
            assert proc.wait(timeout=STUCK) == 0
    finally:
        for proc in searchers:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        for out in lines:
            out.reader.join(timeout=STUCK)  # it has read to the end: the pipe can be closed
            assert out.proc.stdout is not None
            out.proc.stdout.close()


TRICKLE = 400


def test_hostile_sources_are_refused_or_contained(httpserver: HTTPServer,
                                                  make_library: LibraryFactory,
                                                  tmp_path: Path) -> None:
    def trickle(request: Request) -> Response:
        # A byte every 0.3 s, TRICKLE bytes in all (two minutes): the fetch must stop at its
        # deadline while the server still has bytes to send, not when the trickle ends.
        def body():  # type: ignore[no-untyped-def]
            yield b"%PDF-1.4\n"
            for _ in range(TRICKLE):
                time.sleep(0.3)
                yield b" "
        return Response(body(), content_type="application/pdf")

    bomb = gzip.compress(b"\0" * 50_000_000)
    httpserver.expect_request("/trickle.pdf").respond_with_handler(trickle)
    httpserver.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="text/html")
    httpserver.expect_request("/deep.html").respond_with_data(
        b"<html><body>" + b"<div>" * 100_000 + b"deep words about shelters"
        + b"</div>" * 100_000 + b"</body></html>", content_type="text/html")
    httpserver.expect_request("/nul.txt").respond_with_data(
        b"Shelter\x00 intake \xff\xfe notes about legal aid\x00" * 20,
        content_type="text/plain")
    httpserver.expect_request("/good.pdf").respond_with_data(GOOD)
    # The test server answers one request at a time, so the trickle comes last.
    entries = [
        {"id": "bomb", "title": "Bomb", "url": httpserver.url_for("/bomb")},
        {"id": "deep", "title": "Deep", "url": httpserver.url_for("/deep.html")},
        {"id": "nul", "title": "NUL", "url": httpserver.url_for("/nul.txt")},
        {"id": "good", "title": "Good", "url": httpserver.url_for("/good.pdf")},
        {"id": "trickle", "title": "Trickle", "url": httpserver.url_for("/trickle.pdf")},
    ]
    from dataclasses import replace

    from conftest import fast_fetch, write_catalog

    lib = Library(catalog=write_catalog(tmp_path / "c.toml", entries), data=tmp_path / "d",
                  fetch=replace(fast_fetch(), deadline=2.0))
    report = lib.rebuild(jobs=1)
    status = {s.id: s for s in report.entries}
    assert status["good"].state == "text"
    assert status["trickle"].state == "summary-only"
    stopped = re.search(r"took over 2 s \((\d+) bytes so far\)", status["trickle"].error or "")
    assert stopped is not None, status["trickle"].error
    assert int(stopped.group(1)) < len(b"%PDF-1.4\n") + TRICKLE
    assert status["bomb"].state == "summary-only"
    assert "MB limit" in (status["bomb"].error or "")
    # HTML nested 100,000 deep and text with NUL bytes and invalid UTF-8 are read (README,
    # "Reliability"), and what is read is searchable: the words are found on the page.
    for report_id, words in (("deep", "deep words about shelters"), ("nul", "legal aid")):
        assert status[report_id].state == "text", status[report_id].error
        view = lib.show(report_id)
        assert view.document is not None
        assert words in view.document.pages[0].text
        assert "\x00" not in view.document.pages[0].text
        results = lib.search(f'"{words}"').results
        assert [hit.id for hit in results] == [report_id], words
        assert [s.page for s in results[0].snippets] == [1]
    assert [h.id for h in lib.search("counseling").results] == ["good"]


def test_status_names_failures_and_update_retries_only_those(
        httpserver: HTTPServer, make_library: LibraryFactory) -> None:
    hits: dict[str, int] = {}
    broken = {"flaky": True}

    def serve(request: Request) -> Response:
        hits[request.path] = hits.get(request.path, 0) + 1
        if request.path == "/flaky.pdf" and broken["flaky"]:
            return Response("down", status=503)
        if request.path == "/gone.pdf":
            return Response("gone", status=404)
        return Response(GOOD, content_type="application/pdf")

    for path in ("/ok.pdf", "/flaky.pdf", "/gone.pdf"):
        httpserver.expect_request(path).respond_with_handler(serve)
    lib = make_library([
        {"id": name, "title": name, "url": httpserver.url_for(f"/{name}.pdf")}
        for name in ("ok", "flaky", "gone")])
    lib.rebuild()
    result = CliRunner().invoke(main, ["status"], obj=lib)
    assert "flaky: the site answered HTTP 503" in result.output
    assert "gone: the site answered HTTP 404 (not found" in result.output
    assert hits["/ok.pdf"] == 1
    broken["flaky"] = False
    before = dict(hits)
    report = lib.update()
    assert hits["/ok.pdf"] == before["/ok.pdf"]  # not asked again
    assert hits["/flaky.pdf"] > before["/flaky.pdf"] and hits["/gone.pdf"] > before["/gone.pdf"]
    status = {s.id: s for s in report.entries}
    assert status["flaky"].state == "text" and status["gone"].state == "summary-only"
    assert report.changes is not None and report.changes.changed == ("flaky",)
    assert json.loads(CliRunner().invoke(main, ["status", "--json"], obj=lib).output)[
        "entries"][1]["state"] == "text"


def test_a_file_too_large_to_read_is_remembered_not_read_again_by_update(
        tmp_path: Path) -> None:
    """Its failure is the file's, not the moment's: the next update reads it back from the
    text cache."""
    from test_newcomer import splib

    (tmp_path / "bomb.pdf").write_bytes(bomb_pdf(0.5))
    (tmp_path / "good.pdf").write_bytes(GOOD)
    (tmp_path / "catalog.toml").write_text(
        '[[report]]\nid = "bomb"\ntitle = "Bomb"\npath = "bomb.pdf"\n\n'
        '[[report]]\nid = "good"\ntitle = "Good"\npath = "good.pdf"\n', encoding="utf-8")
    first = splib("--catalog", "catalog.toml", "rebuild", "-v", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert re.search(r"bomb: extracted in [\d.]+ s from \w+ \(too large", first.stderr)
    second = splib("--catalog", "catalog.toml", "update", "-v", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert re.search(r"bomb: text read back from the cache for \w+ \(too large", second.stderr)
    assert "bomb: extracted in" not in second.stderr


def test_a_time_limit_hit_is_tried_again_by_the_next_update(
        tmp_path: Path, make_library: LibraryFactory, caplog: pytest.LogCaptureFixture) -> None:
    """A machine busy at one moment may not be at the next: a timeout is not remembered."""
    (tmp_path / "endless.pdf").write_bytes(endless_pdf())
    lib = make_library([{"id": "endless", "title": "Endless", "path": "endless.pdf"}],
                       seconds=2)
    lib.rebuild(offline=True)
    record = lib.store.load_manifest()["endless"]
    assert record.extract_error is not None and record.extract_error.startswith("timed out")
    assert record.extract_retry
    with caplog.at_level(logging.INFO, logger="indexer.ingest"):
        lib.update(offline=True)
    assert re.search(r"endless: extracted in [\d.]+ s from \w+ \(timed out", caplog.text)
