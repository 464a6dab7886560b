"""Robustness run: every shared PDF and HTML page ingested as one library, offline.

    python benchmarks/robustness.py [--corpora DIR] [--json OUT.json] [--jobs N]

Builds a catalog with one entry per file under SPLIB_CORPORA (`pdf/sample-files`,
`pdf/pdfminer`, `reports`, `html/article-extraction-benchmark`), runs
`splib rebuild --offline` on it in a child process, and prints per corpus: files, with text,
with a recorded reason (by reason), crashes of the run, the slowest file, the pages read by OCR
(and the extraction time of their files), how many of the PDFs from which `pdftotext` reads at
least 20 characters splib reads (those it misses are listed), and the peak memory (resident
set) of the rebuild process and of its largest extraction child. Every file must end as text or
as a reason; the run itself must not crash.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer import Library  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import WRAPPER, arguments, save, stamp  # noqa: E402

CORPORA = {
    "pdf/sample-files": "pdf/sample-files/**/*.pdf",
    "pdf/pdfminer": "pdf/pdfminer/**/*.pdf",
    "reports": "reports/*.pdf",
    "html/article-extraction-benchmark": "html/article-extraction-benchmark/html/*.html.gz",
}


# A file from which `pdftotext` reads at least this many characters holds text splib must read.
PDFTOTEXT_FLOOR = 20


def reason_kind(error: str) -> str:
    """The kind of a recorded reason: 'damaged PDF', 'encrypted', 'timed out after 120 s'..."""
    kind = re.split(r":|;", error, maxsplit=1)[0].strip()
    return kind[:60]


def write_catalog(corpora: Path, path: Path) -> dict[str, str]:
    """A catalog with one entry per corpus file; returns {entry id: corpus name}."""
    corpus_of: dict[str, str] = {}
    lines: list[str] = []
    for corpus, pattern in CORPORA.items():
        for file in sorted(corpora.glob(pattern)):
            rel = file.relative_to(corpora)
            ident = re.sub(r"[^a-z0-9]+", "-", str(rel).lower()).strip("-")
            corpus_of[ident] = corpus
            lines += ["[[report]]", f"id = {json.dumps(ident)}", f"title = {json.dumps(file.name)}",
                      f"path = {json.dumps(str(file))}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return corpus_of


def run(corpora: Path, jobs: int = 2) -> dict[str, Any]:
    """Ingest the corpora as one library and return the measurements."""
    with tempfile.TemporaryDirectory(prefix="splib-robust-") as tmp:
        catalog = Path(tmp) / "catalog.toml"
        data = Path(tmp) / "data"
        corpus_of = write_catalog(corpora, catalog)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        usage = Path(tmp) / "usage.json"
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-c", WRAPPER, str(usage), "--catalog", str(catalog),
             "--data", str(data), "rebuild", "--offline", "--jobs", str(jobs)],
            capture_output=True, text=True, env=env)
        seconds = time.monotonic() - started
        rebuild_kb, child_kb = json.loads(usage.read_text()) if usage.exists() else (0, 0)
        crashed = proc.returncode != 0 or "Traceback" in proc.stderr
        lib = Library(catalog=catalog, data=data)
        statuses = lib.status()
        records = lib.store.load_manifest()
        rows: dict[str, dict[str, Any]] = {}
        for status in statuses:
            corpus = corpus_of[status.id]
            row = rows.setdefault(corpus, {"files": 0, "text": 0, "reasons": Counter(),
                                           "unaccounted": 0, "slowest": ("", 0.0),
                                           "ocr_files": 0, "ocr_pages": 0, "ocr_seconds": 0.0,
                                           "pdftotext_files": 0, "pdftotext_read": 0,
                                           "pdftotext_missed": []})
            row["files"] += 1
            record = records.get(status.id)
            spent = record.extract_seconds if record else 0.0
            if status.ocr_pages:
                row["ocr_files"] += 1
                row["ocr_pages"] += status.ocr_pages
                row["ocr_seconds"] += spent
            source = lib.catalog().get(status.id).path
            if source is not None and source.suffix.lower() == ".pdf" and \
                    pdftotext_chars(source) >= PDFTOTEXT_FLOOR:
                row["pdftotext_files"] += 1
                if status.state == "text":
                    row["pdftotext_read"] += 1
                else:
                    row["pdftotext_missed"].append(f"{source.name}: {status.error}")
            if spent > row["slowest"][1]:
                row["slowest"] = (lib.catalog().get(status.id).title, spent)
            if status.state == "text":
                row["text"] += 1
            elif status.error:
                row["reasons"][reason_kind(status.error)] += 1
            else:
                row["unaccounted"] += 1
        return {
            **stamp(),
            "seconds": round(seconds, 1),
            "peak_rss_mb": round(max(rebuild_kb, child_kb) / 1024, 1),
            "rebuild_rss_mb": round(rebuild_kb / 1024, 1),
            "largest_child_rss_mb": round(child_kb / 1024, 1),
            "crashes": int(crashed), "exit_code": proc.returncode,
            "stderr_tail": proc.stderr.strip().splitlines()[-3:] if crashed else [],
            "limit_seconds": lib.limits.seconds,
            "corpora": {name: {**row, "reasons": dict(row["reasons"]),
                               "slowest": [row["slowest"][0], round(row["slowest"][1], 2)]}
                        for name, row in rows.items()},
        }


def pdftotext_chars(path: Path) -> int:
    """Characters other than spaces that `pdftotext` reads from `path` (0 when it cannot, or
    when it is not installed)."""
    if not shutil.which("pdftotext"):
        return 0
    try:
        done = subprocess.run(["pdftotext", "-q", str(path), "-"], capture_output=True,
                              timeout=120, check=False)
    except subprocess.TimeoutExpired:
        return 0
    return len(re.sub(rb"\s", b"", done.stdout))


def table(result: dict[str, Any]) -> str:
    lines = ["| corpus | files | with text | with a reason (by reason) | crashes | slowest file "
             "| read by OCR | of the files pdftotext reads, splib reads |",
             "| --- | ---: | ---: | --- | ---: | --- | --- | --- |"]
    for name, row in result["corpora"].items():
        reasons = ", ".join(f"{kind}: {n}" for kind, n in sorted(row["reasons"].items(),
                                                                  key=lambda kv: -kv[1]))
        with_reason = sum(row["reasons"].values())
        slow_name, slow_s = row["slowest"]
        ocr = (f"{row['ocr_pages']} pages of {row['ocr_files']} files in "
               f"{row['ocr_seconds']:.1f} s" if row["ocr_pages"] else "none")
        read = f"{row['pdftotext_read']} of {row['pdftotext_files']}" \
            if row["pdftotext_files"] else "-"
        lines.append(f"| {name} | {row['files']} | {row['text']} | {with_reason}"
                     f"{' (' + reasons + ')' if reasons else ''} | {result['crashes']} | "
                     f"{slow_name} ({slow_s:.2f} s) | {ocr} | {read} |")
    lines.append("")
    for name, row in result["corpora"].items():
        for missed in row["pdftotext_missed"]:
            lines.append(f"- {name}: pdftotext reads text that splib does not: {missed}")
    lines.append(f"Whole run: {result['seconds']} s; peak memory {result['rebuild_rss_mb']} MB "
                 f"(the rebuild process), {result['largest_child_rss_mb']} MB (the largest "
                 f"extraction child); crashes {result['crashes']}; measured {result['date']} on "
                 f"{result['machine']}.")
    return "\n".join(lines)


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if not args.corpora.is_dir():
        print(f"No corpora at {args.corpora}; set SPLIB_CORPORA.", file=sys.stderr)
        return 2
    result = run(args.corpora, args.jobs)
    print(table(result))
    save(args.json, result)
    unaccounted = sum(r["unaccounted"] for r in result["corpora"].values())
    return 1 if result["crashes"] or unaccounted else 0


if __name__ == "__main__":
    sys.exit(main())
