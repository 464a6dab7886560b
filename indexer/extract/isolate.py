"""Run extraction in child processes with a time limit and an address-space limit.

A hostile PDF can loop forever, decompress to gigabytes or crash the interpreter without
raising; in a child process each of those costs one report, recorded with its reason, and
never the run. A `WorkerPool` keeps children (`python -m indexer.extract.worker`) alive across
documents, so the interpreter start and the extractors' imports are paid once per child, not
once per document; a child that times out, runs out of memory or crashes is replaced.
Answers travel through files, so output size never blocks a pipe.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ..errors import ExtractionError
from . import Document
from .ocr import OcrSettings, PageProgress, no_page_progress
from .worker import EXIT_MEMORY

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """Bounds for one document's extraction."""

    # Generous for a 1,000-page report on a slow shared machine, short enough to notice a loop.
    seconds: float = 120.0
    # Address space of a child; extraction of a large report stays well under 1 GB.
    memory_mb: int = 1536


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (package_root, env.get("PYTHONPATH", "")) if p
    )
    return env


class _Worker:
    """One child process and its pipes."""

    def __init__(self, limits: Limits, folder: Path) -> None:
        self.limits = limits
        self.folder = folder
        # A file, not a pipe: PDFium writes warnings there, and a full pipe would block.
        self.stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "indexer.extract.worker", str(limits.memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
            env=_child_env(), start_new_session=True,
        )
        self.jobs = 0
        self._pending = b""  # what the child wrote past its last full line

    def run(self, source: Path, password: str, ocr: OcrSettings,
            progress: PageProgress) -> Document:
        """Extract `source`; raise `ExtractionError`, and `_Dead` when the child is lost."""
        answer = self.ask(source, password, progress, ocr=ocr.to_json())
        if "error" in answer:
            raise _failure(answer)
        return Document.from_json(answer["document"])

    def ask(self, source: Path, password: str, progress: PageProgress = no_page_progress,
            **extra: object) -> dict[str, Any]:
        """The child's answer for one job on `source` (see worker.py); `_Dead` when the child
        is lost. Each page the child reports by OCR gets the job's time limit afresh."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.jobs += 1
        output = self.folder / f"{self.proc.pid}-{self.jobs}.json"
        job = {"source": str(source), "output": str(output), "password": password,
               "cpu_seconds": math.ceil(self.limits.seconds) + 10, **extra}
        try:
            self.proc.stdin.write(json.dumps(job).encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise self._death_reason() from None
        while True:
            line = self._next_line()
            # A library's stray output without a line break may stand before the word.
            if line.endswith(b"done"):
                break
            fields = line.split()
            if len(fields) == 3 and fields[0] == b"page" and fields[1].isdigit() and \
                    fields[2].isdigit():
                progress(int(fields[1]), int(fields[2]))
            else:  # something an extractor printed: not part of the conversation
                log.debug("extraction child said: %r", line[:200])
        try:
            answer: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
        finally:
            with contextlib.suppress(FileNotFoundError):
                output.unlink()
        return answer

    def _next_line(self) -> bytes:
        """The child's next line on stdout within the time limit; `_Dead` when it exits or
        runs out of time first. Read from the descriptor (not a buffered reader) so that
        `select` sees every line as it arrives."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + self.limits.seconds
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise _Dead(f"timed out after {self.limits.seconds:g} s "
                            "(the file may be hostile or damaged)")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                raise self._death_reason()
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line

    def _death_reason(self) -> _Dead:
        code = self.proc.wait()
        if code == EXIT_MEMORY:
            # The same file meets the same limit again: remembered, not retried.
            return _Dead(f"too large: extraction needed more than {self.limits.memory_mb} MB "
                         "of memory", transient=False)
        if code == -signal.SIGXCPU:
            return _Dead(f"timed out after {self.limits.seconds:g} s (the file may be hostile "
                         "or damaged)")
        if code < 0:
            return _Dead(f"the extractor crashed on this file ({signal.Signals(-code).name})")
        self.stderr.seek(0)
        tail = self.stderr.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        last = (tail or ["no output"])[0][:200]
        return _Dead(f"the extractor failed on this file (exit {code}: {last})")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.close()

    def close(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.stderr.close()


class _Dead(ExtractionError):
    """The child was lost (timed out, out of memory, crashed); it must be replaced. Transient
    unless it ran out of memory."""

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message, transient=transient)


def _failure(answer: dict[str, Any]) -> ExtractionError:
    """The failure a child reported, with its kind."""
    return ExtractionError(str(answer["error"]), kind=str(answer.get("kind") or ""),
                           transient=bool(answer.get("transient", False)))


class WorkerPool:
    """Extraction children shared by the threads of one run; use as a context manager."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._folder = tempfile.TemporaryDirectory(prefix="splib-extract-")
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def start(self, count: int) -> None:
        """Start children until `count` are idle: their start (an interpreter and PDFium,
        about a fifth of a second) then overlaps the caller's own work."""
        with self._lock:
            missing = count - len(self._idle)
        for _ in range(missing):
            self._give_back(_Worker(self.limits, Path(self._folder.name)))

    def extract(self, source: Path, password: str = "", ocr: OcrSettings | None = None,
                progress: PageProgress = no_page_progress) -> Document:
        """Extract the file `source` in a bounded child; raise `ExtractionError` on failure.
        `progress` hears of each page read by OCR."""
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            worker = _Worker(self.limits, Path(self._folder.name))
        try:
            document = worker.run(source, password, ocr or OcrSettings(), progress)
        except _Dead as exc:
            worker.close()
            raise ExtractionError(str(exc), transient=exc.transient) from None
        except ExtractionError:
            self._give_back(worker)
            raise
        except BaseException:
            worker.kill()
            raise
        self._give_back(worker)
        return document

    def guess(self, source: Path, password: str = "", url: str = "",
              ocr: OcrSettings | None = None, progress: PageProgress = no_page_progress) \
            -> tuple[dict[str, Any], Document | ExtractionError]:
        """The catalog fields `source` suggests (metadata.Guess as JSON; empty when the child
        was lost) and its text or the reason there is none."""
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            worker = _Worker(self.limits, Path(self._folder.name))
        try:
            answer = worker.ask(source, password, progress, guess=True, url=url,
                                ocr=(ocr or OcrSettings()).to_json())
        except _Dead as exc:
            worker.close()
            return {}, ExtractionError(str(exc), transient=exc.transient)
        except BaseException:
            worker.kill()
            raise
        self._give_back(worker)
        outcome = _failure(answer) if "error" in answer else \
            Document.from_json(answer["document"])
        return dict(answer.get("guess") or {}), outcome

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            # An idle child holds nothing to finish: stopped at once rather than waited for
            # while its interpreter tears down (a quarter of a second, at the end of every
            # build).
            worker.kill()
        self._folder.cleanup()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def extract_isolated(source: Path, password: str = "", limits: Limits | None = None,
                     ocr: OcrSettings | None = None,
                     progress: PageProgress = no_page_progress) -> Document:
    """Extract one file in a bounded child process (a pool of one, closed after)."""
    with WorkerPool(limits) as pool:
        return pool.extract(source, password, ocr, progress)
