"""Main-content extraction from HTML, scored by token F1 beside the libraries people use.

    python benchmarks/html_extraction.py [--corpora DIR] [--json OUT.json]

On `html/article-extraction-benchmark` (181 real article pages with their `articleBody`),
scores splib's HTML extractor, plain BeautifulSoup `get_text()`, trafilatura and
readability-lxml in the same run. Token F1 per page as the corpora README defines it:
lower-cased `\\w+` tokens, multiset overlap, precision = overlap / extracted, recall =
overlap / expected; the table shows the mean over pages.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.errors import ExtractionError  # noqa: E402
from indexer.extract.html import decode_html, extract_html  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import arguments, save, stamp  # noqa: E402

TOKEN = re.compile(r"\w+")
DATASET = "html/article-extraction-benchmark"


def token_f1(extracted: str, expected: str) -> float:
    got = Counter(TOKEN.findall(extracted.lower()))
    want = Counter(TOKEN.findall(expected.lower()))
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(got.values())
    recall = overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def splib(data: bytes) -> str:
    try:
        return "\n".join(p.text for p in extract_html(data).pages)
    except ExtractionError:
        return ""


def plain_soup(data: bytes) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(decode_html(data)[0], "lxml").get_text(" ")


def trafilatura_default(data: bytes) -> str:
    import trafilatura

    return trafilatura.extract(decode_html(data)[0]) or ""


def readability_default(data: bytes) -> str:
    from bs4 import BeautifulSoup
    from readability import Document

    summary = Document(decode_html(data)[0]).summary()
    return BeautifulSoup(summary, "lxml").get_text(" ")


EXTRACTORS: dict[str, Callable[[bytes], str]] = {
    "splib": splib,
    "BeautifulSoup get_text()": plain_soup,
    "trafilatura": trafilatura_default,
    "readability-lxml": readability_default,
}


def evaluate(corpora: Path) -> dict[str, Any]:
    folder = corpora / DATASET
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {key: gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes())
             for key in sorted(truth)}
    scores: dict[str, dict[str, float]] = {}
    seconds: dict[str, float] = {}
    import logging

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("readability").setLevel(logging.CRITICAL)
    for name, extractor in EXTRACTORS.items():
        started = time.monotonic()
        per_page = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for key, data in pages.items():
                try:
                    text = extractor(data)
                except Exception:  # a library failing on a page scores 0 there
                    text = ""
                per_page[key] = token_f1(text, truth[key]["articleBody"])
        seconds[name] = time.monotonic() - started
        scores[name] = per_page
    return {
        "pages": len(pages),
        "mean_f1": {name: round(sum(s.values()) / len(s), 4) for name, s in scores.items()},
        "seconds": {name: round(s, 1) for name, s in seconds.items()},
        "per_page": scores,
        **stamp(),
    }


def table(result: dict[str, Any]) -> str:
    best_ref = max(v for k, v in result["mean_f1"].items() if k != "splib")
    lines = ["| extractor | mean token F1 | ratio to the best reference | seconds |",
             "| --- | ---: | ---: | ---: |"]
    for name, f1 in result["mean_f1"].items():
        lines.append(f"| {name} | {f1:.4f} | {f1 / best_ref:.3f} | {result['seconds'][name]} |")
    lines += ["", f"{result['pages']} pages of {DATASET}; measured {result['date']} on "
              f"{result['machine']}."]
    return "\n".join(lines)


def main() -> int:
    args = arguments(__doc__.splitlines()[0]).parse_args()
    if not (args.corpora / DATASET).is_dir():
        print(f"No {DATASET} under {args.corpora}; set SPLIB_CORPORA.", file=sys.stderr)
        return 2
    result = evaluate(args.corpora)
    print(table(result))
    save(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
