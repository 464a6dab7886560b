"""The live index survives rebuilds: searches during a rebuild, and rebuilds killed with -9."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import ROOT, make_pdf

from indexer import Library
from indexer.build import read_meta


def expected(lib: Library) -> list[tuple[str, int | None]]:
    hit = lib.search("certification letter").results[0]
    return [(hit.id, s.page) for s in hit.snippets]


def test_searches_keep_answering_during_rebuilds(library: Library) -> None:
    want = expected(library)
    assert want and want[0][0] == "hhs-guide"
    done = threading.Event()
    failures: list[BaseException] = []

    def rebuild_loop() -> None:
        try:
            for _ in range(6):
                library.rebuild(offline=True)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=rebuild_loop)
    worker.start()
    answers = 0
    while not done.is_set():
        assert expected(library) == want
        answers += 1
    worker.join()
    assert not failures, failures
    assert answers > 5
    # Only the live generation and the one before it stay on disk.
    generations = [p for p in library.store.indexes.iterdir() if p.is_dir()]
    assert len(generations) <= 2


def splib(lib: Library, *args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "indexer", "--catalog", str(lib.catalog_path), "--data",
         str(lib.store.root), *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)


def test_rebuild_killed_at_random_moments_leaves_the_old_index(library: Library,
                                                               tmp_path: Path) -> None:
    want = expected(library)
    catalog = library.catalog_path
    base = catalog.read_text()
    rng = random.Random(20261125)
    # New entries each trial, so that a kill can land in fetching, extracting or indexing.
    extra = ""
    for n in range(12):
        (tmp_path / f"extra{n}.pdf").write_bytes(
            make_pdf([f"Extra report {n} page {p} about outreach." for p in range(8)]))
        extra += f'\n[[report]]\nid = "extra{n}"\ntitle = "Extra {n}"\npath = "extra{n}.pdf"\n'
    catalog.write_text(base + extra)
    started = time.monotonic()
    proc = splib(library, "rebuild", "--offline", "--jobs", "1")
    assert proc.wait(timeout=300) == 0
    full = time.monotonic() - started
    catalog.write_text(base)
    assert library.rebuild(offline=True).pages == 9
    for trial in range(20):
        # Fresh text for the extra entries, so the killed run has real work to do.
        for n in range(12):
            (tmp_path / f"extra{n}.pdf").write_bytes(
                make_pdf([f"Trial {trial} report {n} page {p}." for p in range(8)]))
        catalog.write_text(base + extra)
        proc = splib(library, "rebuild", "--offline", "--jobs", "1")
        time.sleep(rng.uniform(0.05, full))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # Whatever the moment, the live index is complete: the one from before this rebuild
        # (9 pages) or, when the kill came after the swap, the new one (9 + 12 x 8 pages).
        current = library.store.current_index()
        assert current is not None
        assert read_meta(current)["pages"] in (9, 9 + 12 * 8)
        assert expected(library) == want
        # The data folder is consistent: every source and text the manifest names is there.
        for record in library.store.load_manifest().values():
            if record.source is not None:
                assert library.store.has_source(record.source.sha256)
            if record.text_key is not None:
                assert library.store.load_text(record.text_key) is not None
        catalog.write_text(base)
    # No manual cleanup: the next rebuild takes the lock and succeeds.
    report = library.rebuild(offline=True)
    assert report.pages == 9
    assert expected(library) == want
    leftovers = [p.name for p in library.store.indexes.iterdir() if p.is_dir()]
    assert len(leftovers) <= 2, leftovers
