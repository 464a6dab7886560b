"""The extraction child process: `python -m indexer.extract.worker MEMORY_MB` (see isolate.py).

It limits its own address space, loads the extractors once, then serves jobs: one JSON line
on stdin (`source`, `output`, `password`, `cpu_seconds`, `ocr`; `guess` and `url` for
`splib add`), the answer written to `output` as `{"document": ...}` or `{"error": reason}`
(with `"guess"` when asked), then one line "done" on stdout. While it reads a scan it writes
"page N M" after each OCR'd page: the parent then gives the next page the job's time again.
Before each job, and each page, its CPU-time limit is moved to what it has used plus that
allowance, so a child whose parent died (kill -9, a closed terminal) cannot spin for long.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

EXIT_MEMORY = 3  # the child ran out of its address space (isolate.py reads this)


def _allow(cpu_seconds: int) -> None:
    """Let this process use `cpu_seconds` more of CPU time from now."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(usage.ru_utime + usage.ru_stime) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (spent + cpu_seconds, resource.RLIM_INFINITY))


def serve_one(line: str) -> None:
    from ..errors import ExtractionError, brief
    from . import extract_bytes
    from .ocr import OcrSettings

    job = json.loads(line)
    allowance = int(job["cpu_seconds"])
    _allow(allowance)

    def page_done(done: int, total: int) -> None:
        _allow(allowance)
        sys.stdout.write(f"page {done} {total}\n")
        sys.stdout.flush()

    output = Path(job["output"])
    answer: dict[str, object] = {}
    try:
        data = Path(job["source"]).read_bytes()
        if job.get("guess"):
            # `splib add`: the catalog fields the file itself suggests, then its text.
            from ..metadata import guess

            answer["guess"] = guess(data, job.get("url", ""), job.get("password", "")).to_json()
        answer["document"] = extract_bytes(data, job.get("password", ""),
                                           OcrSettings.from_json(job.get("ocr")),
                                           page_done).to_json()
    except ExtractionError as exc:
        answer.update(error=str(exc), kind=exc.kind, transient=exc.transient)
    except MemoryError:
        raise
    except Exception as exc:  # any other failure is this file's, not the run's
        answer["error"] = f"damaged or unsupported file: {brief(exc)}"
    tmp = output.with_suffix(".tmp")
    tmp.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, output)


def main() -> int:
    limit = int(sys.argv[1]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.setrecursionlimit(5000)
    try:
        # Loaded once per child, not once per document: what every PDF needs. pypdf (a fifth
        # of a second to import) and the HTML readers load when a file first needs them.
        import pypdfium2  # noqa: F401

        from . import pdf, pdf_streams, text  # noqa: F401

        for line in sys.stdin:
            if line.strip():
                serve_one(line)
                sys.stdout.write("done\n")
                sys.stdout.flush()
    except MemoryError:
        return EXIT_MEMORY
    return 0


if __name__ == "__main__":
    sys.exit(main())
