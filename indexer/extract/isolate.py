"""Run extraction in a child process with a time limit and an address-space limit.

A hostile PDF can loop forever, decompress to gigabytes or crash the interpreter without
raising; in a child process each of those costs one report, recorded with its reason, and
never the run. The child is `python -m indexer.extract.worker`; it reads its job as JSON on
stdin and writes its answer to a file, so output size never blocks a pipe.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ExtractionError
from . import Document

EXIT_MEMORY = 3


@dataclass(frozen=True)
class Limits:
    """Bounds for one document's extraction."""

    # Generous for a 1,000-page report on a slow shared machine, short enough to notice a loop.
    seconds: float = 120.0
    # Address space of the child; pypdf on a large report stays well under 1 GB.
    memory_mb: int = 1536


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (package_root, env.get("PYTHONPATH", "")) if p
    )
    return env


def extract_isolated(source: Path, password: str = "", limits: Limits | None = None) -> Document:
    """Extract the file `source` in a bounded child process; raise `ExtractionError` on failure."""
    limits = limits or Limits()
    with tempfile.TemporaryDirectory(prefix="splib-extract-") as tmp:
        output = Path(tmp) / "out.json"
        job = {"source": str(source), "output": str(output), "password": password,
               "memory_mb": limits.memory_mb, "cpu_seconds": math.ceil(limits.seconds) + 10}
        with subprocess.Popen(
            [sys.executable, "-m", "indexer.extract.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=_child_env(), start_new_session=True,
        ) as proc:
            try:
                _, err = proc.communicate(json.dumps(job).encode(), timeout=limits.seconds)
            except subprocess.TimeoutExpired:
                _kill(proc)
                raise ExtractionError(
                    f"timed out after {limits.seconds:g} s (the file may be hostile or damaged)"
                ) from None
            except BaseException:
                _kill(proc)
                raise
        if proc.returncode == EXIT_MEMORY:
            raise ExtractionError(
                f"too large: extraction needed more than {limits.memory_mb} MB of memory"
            )
        if proc.returncode == -signal.SIGXCPU:
            raise ExtractionError(
                f"timed out after {limits.seconds:g} s (the file may be hostile or damaged)")
        if proc.returncode < 0:
            name = signal.Signals(-proc.returncode).name
            raise ExtractionError(f"the extractor crashed on this file ({name})")
        if not output.exists():
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise ExtractionError(
                f"the extractor failed on this file (exit {proc.returncode}: {tail[0][:200]})"
            )
        answer = json.loads(output.read_text(encoding="utf-8"))
    if "error" in answer:
        raise ExtractionError(str(answer["error"]))
    return Document.from_json(answer["document"])


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
