"""OCR: scans made from born-digital reports, read by splib and by `tesseract` alone.

    python benchmarks/ocr.py [--corpora DIR] [--json OUT.json] [--pages 12] [--dpi 200]
    python benchmarks/ocr.py --sweep [--pages 16]

Pages of `reports/` with a text layer of at least 200 characters (spread over the files) are
rendered to grey pictures at `--dpi`, as a scanner would make them, and wrapped as one
image-only PDF (Pillow keeps grey pictures in a PDF as JPEG). splib extracts it
(`Library.extract`: a worker process, PDFium rendering, Tesseract a page at a time, no cache)
and `tesseract` reads the same pictures alone, as the PDF holds them (each page's JPEG, taken
out of the file unchanged), one process per page, in the same run. Both are scored by token
F1 against the pages' own text layer (the corpora README's metric) and timed in pages per
second.

`--sweep` is how splib's rendering resolution (`extract/ocr.py`, DPI) was chosen: each sampled
page is rendered at 150, 200 and 300 dpi and read by Tesseract (one thread, as splib runs it)
and, at the chosen resolution, with Tesseract's own threads as well; token F1 and seconds per
page are printed for set A (the first four reports in name order, where the choice is made) and
set B (the other three, where it is confirmed); the threading row reads every fourth page.
"""

from __future__ import annotations

import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer import Library  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import arguments, save, stamp  # noqa: E402
from html_extraction import token_f1  # noqa: E402

MIN_CHARS = 200


def sample_pages(corpora: Path, count: int) -> list[tuple[Path, int, str]]:
    """(file, page index, text layer) of `count` pages spread evenly over reports/."""
    import pypdfium2 as pdfium

    found: list[tuple[Path, int, str]] = []
    for path in sorted((corpora / "reports").glob("*.pdf")):
        document = pdfium.PdfDocument(path)
        for index in range(len(document)):
            text = document[index].get_textpage().get_text_bounded()
            if len(text.strip()) >= MIN_CHARS:
                found.append((path, index, text))
        document.close()
    step = max(1, len(found) // count)
    return found[::step][:count]


def render(pages: list[tuple[Path, int, str]], dpi: int) -> list[Any]:
    import pypdfium2 as pdfium

    images = []
    for path, index, _ in pages:
        document = pdfium.PdfDocument(path)
        images.append(document[index].render(scale=dpi / 72, grayscale=True).to_pil())
        document.close()
    return images


def pictures_of(scan: Path, folder: Path) -> list[Path]:
    """Each page's picture as `scan` holds it (its JPEG's bytes, unchanged): what splib reads
    from the file, so that both read the same pixels."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    files = []
    document = pdfium.PdfDocument(scan)
    try:
        for n in range(len(document)):
            picture = next(document[n].get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,)))
            picture.extract(folder / f"page-{n}")
            files.append(next(folder.glob(f"page-{n}.*")))
    finally:
        document.close()
    return files


def run(corpora: Path, count: int, dpi: int) -> dict[str, Any]:
    if not shutil.which("tesseract"):
        return {**stamp(), "error": "tesseract is not installed (apt-get install tesseract-ocr)"}
    pages = sample_pages(corpora, count)
    images = render(pages, dpi)
    expected = [text for _, _, text in pages]
    with tempfile.TemporaryDirectory(prefix="splib-ocr-") as tmp:
        folder = Path(tmp)
        scan = folder / "scan.pdf"
        buffer = io.BytesIO()
        images[0].save(buffer, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
        scan.write_bytes(buffer.getvalue())
        files = pictures_of(scan, folder)

        lib = Library(catalog=folder / "catalog.toml", data=folder / "data")
        started = time.monotonic()
        document = lib.extract(scan)
        splib_seconds = time.monotonic() - started
        splib_f1 = [token_f1(p.text, want) for p, want in zip(document.pages, expected,
                                                               strict=True)]
        assert all(p.ocr for p in document.pages)

        started = time.monotonic()
        alone = [subprocess.run(["tesseract", str(f), "stdout", "--dpi", str(dpi)],
                                capture_output=True, text=True).stdout for f in files]
        alone_seconds = time.monotonic() - started
        alone_f1 = [token_f1(text, want) for text, want in zip(alone, expected, strict=True)]
    return {
        **stamp(), "pages": len(pages), "dpi": dpi,
        "files": sorted({p.name for p, _, _ in pages}),
        "splib_pages_per_second": round(len(pages) / splib_seconds, 3),
        "tesseract_pages_per_second": round(len(pages) / alone_seconds, 3),
        "splib_f1": round(statistics.mean(splib_f1), 4),
        "tesseract_f1": round(statistics.mean(alone_f1), 4),
        "splib_f1_min": round(min(splib_f1), 4),
        "mean_confidence": document.ocr_confidence,
    }


def sweep(corpora: Path, count: int) -> dict[str, Any]:
    """F1 and seconds per page by resolution and by Tesseract's threading, per set."""
    import os

    import pypdfium2 as pdfium

    from indexer.extract.ocr import DPI, parse_tsv

    pages = sample_pages(corpora, count)
    names = sorted({p.name for p in sorted((corpora / "reports").glob("*.pdf"))})
    set_a = set(names[:4])
    rows: dict[str, dict[str, list[float]]] = {}
    for label, dpi, threads in [*((f"{d} dpi", d, "1") for d in (150, 200, 300)),
                                (f"{DPI} dpi, Tesseract's own threads", DPI, None)]:
        env = dict(os.environ)
        env.pop("OMP_THREAD_LIMIT", None)
        if threads:
            env["OMP_THREAD_LIMIT"] = threads
        # Threading changes the time, not the text: a quarter of the pages tell it.
        for path, index, expected in pages if threads else pages[::4]:
            document = pdfium.PdfDocument(path)
            started = time.monotonic()
            picture = document[index].render(scale=dpi / 72, grayscale=True).to_pil()
            buffer = io.BytesIO()
            picture.save(buffer, "PPM")
            done = subprocess.run(["tesseract", "stdin", "stdout", "--dpi", str(dpi), "tsv"],
                                  input=buffer.getvalue(), capture_output=True, env=env)
            seconds = time.monotonic() - started
            document.close()
            text = parse_tsv(done.stdout.decode("utf-8", "replace")).text
            which = "A" if path.name in set_a else "B"
            row = rows.setdefault(label, {"A_f1": [], "B_f1": [], "A_s": [], "B_s": []})
            row[f"{which}_f1"].append(token_f1(text, expected))
            row[f"{which}_s"].append(seconds)
    return {**stamp(), "pages": len(pages), "set_a": sorted(set_a),
            "rows": {label: {k: round(statistics.mean(v), 4) if v else None
                             for k, v in row.items()} for label, row in rows.items()},
            "counts": {"A": sum(p.name in set_a for p, _, _ in pages),
                       "B": sum(p.name not in set_a for p, _, _ in pages)}}


def sweep_table(result: dict[str, Any]) -> str:
    lines = ["| rendering | F1, set A | s/page, set A | F1, set B | s/page, set B |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for label, row in result["rows"].items():
        # The threading row reads other pages (every fourth): its F1 is not comparable.
        f1 = ("-", "-") if "threads" in label else (f"{row['A_f1']:.4f}", f"{row['B_f1']:.4f}")
        lines.append(f"| {label} | {f1[0]} | {row['A_s']:.2f} | {f1[1]} | {row['B_s']:.2f} |")
    lines += ["", f"{result['counts']['A']} pages of set A, {result['counts']['B']} of set B; "
                  f"measured {result['date']} on {result['machine']}."]
    return "\n".join(lines)


def table(result: dict[str, Any]) -> str:
    if "error" in result:
        return result["error"]
    return "\n".join([
        "| reader | pages/s | token F1 (mean) |", "| --- | ---: | ---: |",
        f"| splib (PDFium at {_dpi()} dpi + Tesseract, worker) | "
        f"{result['splib_pages_per_second']:.2f} | {result['splib_f1']:.3f} |",
        f"| tesseract alone on the {result['dpi']} dpi pictures | "
        f"{result['tesseract_pages_per_second']:.2f} | {result['tesseract_f1']:.3f} |",
        "",
        f"{result['pages']} pages of {len(result['files'])} reports scanned at {result['dpi']} "
        f"dpi; lowest page F1 for splib {result['splib_f1_min']:.3f}; Tesseract's mean "
        f"confidence {result['mean_confidence']}; measured {result['date']} on "
        f"{result['machine']}."])


def _dpi() -> int:
    from indexer.extract.ocr import DPI

    return DPI


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=12)
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--sweep", action="store_true",
                        help="compare rendering resolutions instead (how DPI was chosen)")
    args = parser.parse_args()
    if not (args.corpora / "reports").is_dir():
        print(f"No corpora at {args.corpora}; set SPLIB_CORPORA.", file=sys.stderr)
        return 2
    if args.sweep:
        swept = sweep(args.corpora, args.pages)
        print(sweep_table(swept))
        save(args.json, swept)
        return 0
    result = run(args.corpora, args.pages, args.dpi)
    print(table(result))
    save(args.json, result)
    return 0 if "error" not in result else 1


if __name__ == "__main__":
    sys.exit(main())
