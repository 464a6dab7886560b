"""Hardening: hostile files, sources and faults cost one entry with a reason, never the run."""

from __future__ import annotations

import errno
import gzip
import json
import os
import subprocess
import sys
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


SEARCHER = """
import sys, time
from indexer import Library
lib = Library(catalog=sys.argv[1], data=sys.argv[2])
want = sys.argv[3]
answers = 0
stop = time.monotonic() + float(sys.argv[4])
while time.monotonic() < stop:
    hit = lib.search("certification letter").results[0]
    got = repr([(hit.id, s.page) for s in hit.snippets])
    if got != want:
        print("INCOMPLETE", got)
        sys.exit(1)
    total = lib.search("trafficking OR housing OR shelters").total
    if total != 3:
        print("INCOMPLETE total", total)
        sys.exit(1)
    answers += 1
print(answers)
"""


def test_searches_in_processes_while_rebuilds_run_back_to_back(library: Library) -> None:
    hit = library.search("certification letter").results[0]
    want = repr([(hit.id, s.page) for s in hit.snippets])
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    searchers = [subprocess.Popen([sys.executable, "-c", SEARCHER, str(library.catalog_path),
                                   str(library.store.root), want, "8"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env) for _ in range(3)]
    rebuilds = 0
    deadline = time.monotonic() + 7
    while time.monotonic() < deadline:
        library.rebuild(offline=True)
        rebuilds += 1
    for proc in searchers:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, out + err
        assert int(out.strip()) > 0
    assert rebuilds >= 3


def test_hostile_sources_are_refused_or_contained(httpserver: HTTPServer,
                                                  make_library: LibraryFactory,
                                                  tmp_path: Path) -> None:
    def trickle(request: Request) -> Response:
        def body():  # type: ignore[no-untyped-def]
            yield b"%PDF-1.4\n"
            for _ in range(30):
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
    assert "took over 2 s" in (status["trickle"].error or "")
    assert "MB limit" in (status["bomb"].error or "")
    assert status["deep"].state in ("text", "error")
    assert status["deep"].state == "text" or status["deep"].error
    assert status["nul"].state == "text"
    view = lib.show("nul")
    assert view.document is not None and "\x00" not in view.document.pages[0].text
    assert "legal aid" in view.document.pages[0].text
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
