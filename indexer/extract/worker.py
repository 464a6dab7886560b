"""The extraction child process: `python -m indexer.extract.worker` (see `isolate.py`).

It limits its own address space first, then extracts one file and writes
`{"document": ...}` or `{"error": reason}` to the output path named in its job.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path


def main() -> int:
    job = json.loads(sys.stdin.read())
    limit = int(job["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # A backstop for when the parent dies without killing us (kill -9, a closed terminal):
    # the kernel stops a child that spins past its CPU allowance.
    cpu = int(job["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    output = Path(job["output"])
    sys.setrecursionlimit(5000)
    try:
        from ..errors import ExtractionError
        from . import extract_bytes

        data = Path(job["source"]).read_bytes()
        try:
            answer: dict[str, object] = {
                "document": extract_bytes(data, job.get("password", "")).to_json()
            }
        except ExtractionError as exc:
            answer = {"error": str(exc)}
        except MemoryError:
            raise
        except Exception as exc:  # any other failure is this file's, not the run's
            words = " ".join(str(exc).split())[:200] or type(exc).__name__
            answer = {"error": f"damaged or unsupported file: {words}"}
        payload = json.dumps(answer, ensure_ascii=False)
    except MemoryError:
        return 3  # EXIT_MEMORY in isolate.py
    tmp = output.with_suffix(".tmp")
    tmp.write_text(payload, encoding="utf-8")
    os.replace(tmp, output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
