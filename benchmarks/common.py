"""What the benchmarks share: where the corpora are, the machine stamp, memory measurement."""

from __future__ import annotations

import argparse
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# Runs `splib` in-process and, on exit, writes the peak resident memory (kB) of itself and of
# the largest child it waited for. Its own peak is VmHWM, which starts afresh at exec: Linux
# carries ru_maxrss across fork and exec, so a process started by a large benchmark would
# report the benchmark's memory as its own. (A child's ru_maxrss can still include what it
# shared with this process when it was forked.)
WRAPPER = """
import atexit, json, re, resource, sys
def _report(path=sys.argv[1]):
    status = open("/proc/self/status").read()
    own = int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1))
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    open(path, "w").write(json.dumps([own, kids]))
atexit.register(_report)
sys.argv = ["splib"] + sys.argv[2:]
from indexer.cli import main
main()
"""


def stamp() -> dict[str, str]:
    """The date and machine a measurement was taken on."""
    return {"date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                       f"{platform.python_version()}"}


def arguments(description: str) -> argparse.ArgumentParser:
    """A parser with the options every benchmark takes: --corpora and --json."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--corpora", type=Path, default=Path(
        os.environ.get("SPLIB_CORPORA") or ROOT.parent / "shared" / "corpora"),
        help="the shared corpora (default: $SPLIB_CORPORA or ../shared/corpora)")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    return parser


def save(path: Path | None, result: Any) -> None:
    if path is not None:
        path.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
