"""The live index survives rebuilds: searches during a rebuild, and rebuilds killed with -9.

The rebuild runs in another process that stops at each of its steps and goes on only when
the test says so, so what the test checks happens at known moments, not after guessed delays.
"""

from __future__ import annotations

import os
import queue
import random
import subprocess
import sys
import threading
from pathlib import Path

from conftest import ROOT, make_pdf

from indexer import Library
from indexer.build import read_meta

# `splib rebuild --offline` that stops at every step: each progress report, and each rename
# or removal in the data folder (a rename is how the data folder makes a file appear whole:
# a text, the manifest, Whoosh's table of contents, CURRENT). It prints "STEP what" and waits
# for "go" on stdin; "DONE pages" when the rebuild has returned.
STEPPER = r"""
import os, shutil, sys, threading
from indexer import Library

lib = Library(catalog=sys.argv[1], data=sys.argv[2])
root = os.path.realpath(sys.argv[2])
turn = threading.Lock()

def step(what):
    with turn:
        print("STEP", what, flush=True)
        if sys.stdin.readline() != "go\n":
            os._exit(3)

def where(path):
    full = os.path.realpath(path)
    if not full.startswith(root + os.sep):
        return None
    parts = os.path.relpath(full, root).split(os.sep)
    return "/".join("GEN" if part.startswith("gen-") else part for part in parts)

def watched(name, real, target):
    def wrapper(*args, **kwargs):
        place = where(args[target])
        if place is None:
            return real(*args, **kwargs)
        step(f"{name} {place}")
        result = real(*args, **kwargs)
        step(f"{name}d {place}")
        return result
    return wrapper

os.replace = watched("rename", os.replace, 1)
os.rename = watched("rename", os.rename, 1)
shutil.rmtree = watched("remove", shutil.rmtree, 0)
report = lib.rebuild(offline=True, progress=lambda event: step(
    f"progress {event.stage} {event.done}/{event.total}"))
print("DONE", report.pages, flush=True)
"""
SWAP = "renamed index/CURRENT"  # the step right after CURRENT names the new generation
# How long a stopped rebuild may stay silent before the test calls it stuck. A guard against
# a hang, not a measurement: every line the test waits for comes as soon as a step is reached.
STUCK = 120


class SteppedRebuild:
    """A rebuild in another process, stopped at each step until `go`."""

    def __init__(self, lib: Library, log: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.log = log
        with log.open("w") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", STEPPER, str(lib.catalog_path), str(lib.store.root)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True,
                env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.steps: list[str] = []
        self.pages: int | None = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("(exited)")

    def next(self) -> str | None:
        """The step the rebuild has stopped at, or None when it has finished."""
        try:
            line = self.lines.get(timeout=STUCK)
        except queue.Empty:
            raise AssertionError(f"the rebuild said nothing for {STUCK} s") from None
        if line.startswith("STEP "):
            self.steps.append(line.removeprefix("STEP "))
            return self.steps[-1]
        self.close()
        assert line.startswith("DONE "), (line, self.steps, self.log.read_text())
        assert self.proc.returncode == 0, self.log.read_text()
        self.pages = int(line.split()[1])
        return None

    def go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self) -> int:
        """Let the rebuild run to its end; the pages it indexed."""
        while self.next() is not None:
            self.go()
        assert self.pages is not None
        return self.pages

    def kill(self) -> None:
        self.proc.kill()
        self.close()

    def close(self) -> None:
        """Wait for the process to end and its output to be read, then close its pipes."""
        self.proc.wait(timeout=STUCK)
        self.reader.join(timeout=STUCK)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()

    def __enter__(self) -> SteppedRebuild:
        return self

    def __exit__(self, *exc: object) -> None:
        # A failed check leaves the rebuild stopped at a step: end it with the test.
        if self.proc.poll() is None:
            self.kill()


def expected(lib: Library) -> list[tuple[str, int | None]]:
    hit = lib.search("certification letter").results[0]
    return [(hit.id, s.page) for s in hit.snippets]


def live(lib: Library) -> str:
    current = lib.store.current_index()
    assert current is not None
    return current.name


def test_searches_keep_answering_during_rebuilds(library: Library, tmp_path: Path) -> None:
    """At every step of three rebuilds, searches answer from a whole index: the old one until
    CURRENT is renamed, the new one from then on. Each rebuild adds a word to a summary, so
    which index answered can be seen."""
    want = expected(library)
    assert want and want[0][0] == "hhs-guide"
    catalog = library.catalog_path
    base = catalog.read_text()
    assert "Recommendations to Congress" in base
    for n, word in enumerate(("xylophone", "quokka", "zeppelin")):
        catalog.write_text(base.replace("Recommendations to Congress",
                                        f"Recommendations ({word}) to Congress"))
        old = live(library)
        answered = {"old": 0, "new": 0}
        with SteppedRebuild(library, tmp_path / f"rebuild-{n}.log") as rebuild:
            while (step := rebuild.next()) is not None:
                current = live(library)
                # The rebuild is stopped, so nothing moves while the test searches.
                assert expected(library) == want, step
                found = [hit.id for hit in library.search(word).results]
                assert live(library) == current, step
                # The new generation goes live at the rename of CURRENT, not a step before.
                if SWAP in rebuild.steps:
                    assert current != old and found == ["atest-book"], (step, found)
                    answered["new"] += 1
                else:
                    assert current == old and found == [], (step, found)
                    answered["old"] += 1
                rebuild.go()
        assert rebuild.pages == 9
        # Searches answered on both sides of a swap this rebuild made, while it ran.
        assert answered["old"] >= 1 and answered["new"] >= 1, (answered, rebuild.steps)
        assert live(library) != old
        assert [hit.id for hit in library.search(word).results] == ["atest-book"]
        assert expected(library) == want
    # Only the live generation and the one before it stay on disk.
    generations = [p for p in library.store.indexes.iterdir() if p.is_dir()]
    assert len(generations) <= 2


def test_rebuild_killed_at_random_moments_leaves_the_old_index(library: Library,
                                                               tmp_path: Path) -> None:
    """A rebuild is killed with -9 at 20 of its steps: six named ones (saving a text, saving
    the manifest, naming the previous generation, just before and just after the swap,
    removing an old generation) and 14 drawn with a fixed seed from all the steps of a whole
    run (fetching, extracting, indexing, committing, swapping). Each time, the live index is
    whole and is the one the kill's moment says, the data folder is consistent, and the next
    rebuild needs no cleanup."""
    want = expected(library)
    catalog = library.catalog_path
    base = catalog.read_text()
    rng = random.Random(20261125)

    def with_extra_reports(trial: str) -> None:
        # Fresh text each time, so the killed run has fetching and extracting to do.
        extra = ""
        for n in range(12):
            (tmp_path / f"extra{n}.pdf").write_bytes(
                make_pdf([f"Trial {trial} report {n} page {p} about outreach."
                          for p in range(8)]))
            extra += f'\n[[report]]\nid = "extra{n}"\ntitle = "Extra {n}"\npath = "extra{n}.pdf"\n'
        catalog.write_text(base + extra)

    # A whole run first: the steps a kill can land on.
    with_extra_reports("whole")
    with SteppedRebuild(library, tmp_path / "whole.log") as whole:
        assert whole.finish() == 9 + 12 * 8
    steps = whole.steps
    assert SWAP in steps and steps[steps.index(SWAP) - 1] == "rename index/CURRENT"
    assert any(s.startswith("renamed text/") for s in steps)  # extracted text was saved
    catalog.write_text(base)
    assert library.rebuild(offline=True).pages == 9
    # Named moments (a step starting with the name) and numbered ones (the n-th step).
    named = ["rename text/", "rename manifest.json", "rename index/PREVIOUS",
             "rename index/CURRENT", SWAP, "remove index/GEN"]
    moments: list[str | int] = [*named, *(rng.randrange(len(steps)) for _ in range(14))]
    landed = []
    for trial, moment in enumerate(moments):
        with_extra_reports(str(trial))
        old = live(library)
        # 9 pages, or 9 + 12 x 8 when the trial before was killed after its swap.
        old_pages = read_meta(library.store.indexes / old)["pages"]
        # Go on until the chosen step (by name, or the n-th), then kill the rebuild there.
        with SteppedRebuild(library, tmp_path / f"trial-{trial}.log") as run:
            while (step := run.next()) is not None:
                if (step.startswith(moment) if isinstance(moment, str)
                        else len(run.steps) - 1 == moment):
                    break
                run.go()
            run.kill()
        landed.append(step)
        swapped = SWAP in run.steps
        # The live index is whole: the one from before this rebuild until CURRENT was
        # renamed, the new one (9 + 12 x 8 pages) from then on.
        current = library.store.current_index()
        assert current is not None
        assert (current.name != old) == swapped, (step, run.steps)
        assert read_meta(current)["pages"] == (9 + 12 * 8 if swapped else old_pages), step
        assert expected(library) == want
        # The data folder is consistent: every source and text the manifest names is there.
        for record in library.store.load_manifest().values():
            if record.source is not None:
                assert library.store.has_source(record.source.sha256)
            if record.text_key is not None:
                assert library.store.load_text(record.text_key) is not None
        catalog.write_text(base)
    # The named kills landed where they were meant to.
    for name, step in zip(named, landed, strict=False):
        assert step is not None and step.startswith(name), (name, step)
    # No manual cleanup: the next rebuild takes the lock and succeeds.
    report = library.rebuild(offline=True)
    assert report.pages == 9
    assert expected(library) == want
    leftovers = [p.name for p in library.store.indexes.iterdir() if p.is_dir()]
    assert len(leftovers) <= 2, leftovers
