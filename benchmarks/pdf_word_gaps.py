"""Word gaps in PDF text: words run together or split apart beside pdftotext, the gap threshold
chosen by 2-fold cross-validation, and what measuring the gaps costs.

    python benchmarks/pdf_word_gaps.py [--corpora DIR] [--json OUT.json] [--runs N]

Every PDF under `reports/` and `pdf/` is read by splib (`extract_pdf`) and by `pdftotext`
(Debian poppler-utils), page by page, both through splib's text normalisation. On a page, a
*run-together* word is a word of splib's text that pdftotext's page lacks but has as two
consecutive words ("exploringcharacteristics"); a *wrongly split* word is the reverse, a word of
pdftotext's page that splib's text has as two consecutive words. Words are lower-cased `\\w+`
runs; each distinct word counts once a page.

The reading PDFium gave before word gaps were restored (`get_text_bounded()` as it is) is the
baseline. The files where it runs words together are sorted by the sha256 of their path and
dealt alternately into half A and half B. `WORD_GAP` (indexer/extract/pdf_words.py) is tuned on
one half, maximising run-together words fixed minus words newly split (the middle of the best
values when several tie), and scored on the other half, both ways; then the value splib runs is
scored over every PDF. splib runs the value chosen on half B, where the one document whose words
run together at narrow gaps fell, confirmed on half A (README, "Search quality").

Speed: every page's text read both ways on the same PDFium text page, `--runs` times in
alternating order, the fastest kept (see `timing`); the ratio to reading the pages as before, and
the difference as a share of the whole extraction.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.errors import ExtractionError  # noqa: E402
from indexer.extract import pdf as splib_pdf  # noqa: E402
from indexer.extract import pdf_words  # noqa: E402
from indexer.extract.normalize import normalize_text  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import arguments, save, stamp  # noqa: E402

WORD = re.compile(r"\w+")
HALVES = ("A", "B")
GRID = tuple(round(0.01 * i, 2) for i in range(21))  # 0.00 .. 0.20
# The corpora README's passwords (and pdfminer's own for aes-256-r6).
PASSWORDS = {
    "pdf/sample-files/005-libreoffice-writer-password/libreoffice-writer-password.pdf":
        "openpassword",
    "pdf/pdfminer/encryption/aes-256-r6.pdf": "usersecret",
}
DEFAULT_PASSWORD = "foo"  # the other pdfminer encryption samples

Pages = list[str]
# (file, page number) -> the words fixed or split on that page
Changes = dict[tuple[str, int], frozenset[str]]


def corpus_pdfs(corpora: Path) -> list[Path]:
    return sorted((corpora / "reports").glob("*.pdf")) + sorted((corpora / "pdf").rglob("*.pdf"))


def password(name: str) -> str:
    if name in PASSWORDS:
        return PASSWORDS[name]
    return DEFAULT_PASSWORD if "/encryption/" in name else ""


def splib_pages(data: bytes, secret: str) -> Pages | None:
    try:
        document = splib_pdf.extract_pdf(data, secret)
    except ExtractionError:
        return None
    return [page.text for page in document.pages]


def pdftotext_pages(path: Path, secret: str) -> Pages:
    command = ["pdftotext", "-q"] + (["-upw", secret] if secret else []) + [str(path), "-"]
    out = subprocess.run(command, capture_output=True, text=True, errors="replace").stdout
    return [normalize_text(page) for page in out.split("\f")]


def baseline_reading(textpage: Any) -> str:
    """PDFium's text as splib read it before word gaps were measured."""
    return str(textpage.get_text_bounded())


class using:
    """Extract with another page reader and word gap for the duration of a `with`."""

    def __init__(self, reader: Callable[[Any], str] | None = None,
                 word_gap: float | None = None) -> None:
        self.reader, self.word_gap = reader, word_gap

    def __enter__(self) -> None:
        self.saved = pdf_words.page_text, pdf_words.WORD_GAP
        if self.reader is not None:
            pdf_words.page_text = self.reader  # type: ignore[assignment]
        if self.word_gap is not None:
            pdf_words.WORD_GAP = self.word_gap

    def __exit__(self, *exc: object) -> None:
        pdf_words.page_text, pdf_words.WORD_GAP = self.saved  # type: ignore[assignment]


def word_changes(mine: str, reference: str) -> tuple[frozenset[str], frozenset[str]]:
    """(run-together words, wrongly split words) of one page of `mine` beside `reference`."""
    ours, theirs = WORD.findall(mine.lower()), WORD.findall(reference.lower())
    ours_set, theirs_set = set(ours), set(theirs)
    our_pairs = {a + b for a, b in pairwise(ours)}
    their_pairs = {a + b for a, b in pairwise(theirs)}
    joined = frozenset(w for w in ours_set - theirs_set if w in their_pairs)
    split = frozenset(w for w in theirs_set - ours_set if w in our_pairs)
    return joined, split


def compare(readings: Mapping[str, Pages], references: Mapping[str, Pages]
            ) -> tuple[Changes, Changes]:
    """Run-together and wrongly split words of every page."""
    joined: Changes = {}
    split: Changes = {}
    for name, pages in readings.items():
        # pdftotext may give a last, empty page after the final form feed.
        pairs = zip(pages, references[name], strict=False)
        for number, (mine, theirs) in enumerate(pairs, start=1):
            j, s = word_changes(mine, theirs)
            if j:
                joined[(name, number)] = j
            if s:
                split[(name, number)] = s
    return joined, split


def count(changes: Changes, names: Iterable[str] | None = None) -> int:
    keep = None if names is None else set(names)
    return sum(len(words) for (name, _), words in changes.items() if keep is None or name in keep)


def difference(before: Changes, after: Changes) -> Changes:
    """The words of `before` that `after` no longer has, page by page."""
    out: Changes = {}
    for key, words in before.items():
        gone = words - after.get(key, frozenset())
        if gone:
            out[key] = gone
    return out


def outcome(base: tuple[Changes, Changes], new: tuple[Changes, Changes],
            names: Iterable[str] | None = None) -> dict[str, int]:
    names = None if names is None else list(names)
    return {
        "run_together_before": count(base[0], names),
        "run_together_after": count(new[0], names),
        "wrongly_split_before": count(base[1], names),
        "wrongly_split_after": count(new[1], names),
        "fixed": count(difference(base[0], new[0]), names),
        "newly_split": count(difference(new[1], base[1]), names),
    }


def halves(names: Iterable[str]) -> dict[str, list[str]]:
    """Half A and half B: the names sorted by sha256, dealt alternately."""
    ordered = sorted(names, key=lambda name: hashlib.sha256(name.encode()).hexdigest())
    return {half: sorted(ordered[i::2]) for i, half in enumerate(HALVES)}


def best_gap(scores: Mapping[float, int]) -> float:
    """The value scoring best; the middle one of the best values when several tie."""
    top = max(scores.values())
    tied = sorted(value for value, score in scores.items() if score == top)
    return tied[(len(tied) - 1) // 2]


def read_all(files: Mapping[str, tuple[bytes, str]]) -> dict[str, Pages]:
    out = {}
    for name, (data, secret) in files.items():
        pages = splib_pages(data, secret)
        if pages is not None:
            out[name] = pages
    return out


def timing(files: Mapping[str, tuple[bytes, str]], runs: int) -> dict[str, Any]:
    """CPU seconds to read every page's text with PDFium, before and with word gaps restored.

    Each page is opened `runs` times; each time its text is read both ways, in alternating
    order, and the fastest of each is kept, so the two readings see the same machine. Opening the
    page and building PDFium's text page (the bulk of the cost) is timed once for both. The whole
    extraction (`extract_pdf`, pypdf's checks included) is timed with the baseline reading, to
    show the difference as a share of it."""
    import pypdfium2 as pdfium

    clock = time.process_time
    opening = before = after = 0.0
    pages = 0
    for data, secret in files.values():
        try:
            document = pdfium.PdfDocument(data, password=secret or None)
        except Exception:  # what PDFium refuses, pypdf reads in splib: not timed here
            continue
        for index in range(len(document)):
            best = [float("inf")] * 3
            for run in range(runs):
                start = clock()
                page = document[index]
                textpage = page.get_textpage()
                best[0] = min(best[0], clock() - start)
                readers = ((1, baseline_reading), (2, pdf_words.page_text))
                for slot, reader in readers if run % 2 == 0 else readers[::-1]:
                    start = clock()
                    reader(textpage)
                    best[slot] = min(best[slot], clock() - start)
                textpage.close()
                page.close()
            opening, before, after = opening + best[0], before + best[1], after + best[2]
            pages += 1
        document.close()
    extraction = []
    for _ in range(runs):
        with using(reader=baseline_reading):
            start = clock()
            read_all(files)
            extraction.append(clock() - start)
    whole = min(extraction)
    return {
        "runs": runs, "pages": pages,
        "open_s": round(opening, 3), "read_before_s": round(before, 4),
        "read_after_s": round(after, 4),
        "pdfium_ratio": round((opening + after) / (opening + before), 4),
        "extract_pdf_s": round(whole, 3),
        "extract_pdf_ratio": round((whole + after - before) / whole, 4),
    }


def evaluate(corpora: Path, runs: int = 5, grid: Sequence[float] = GRID) -> dict[str, Any]:
    paths = corpus_pdfs(corpora)
    files = {str(p.relative_to(corpora)): (p.read_bytes(), password(str(p.relative_to(corpora))))
             for p in paths}
    references = {name: pdftotext_pages(corpora / name, secret)
                  for name, (_, secret) in files.items()}
    with using(reader=baseline_reading):
        base_pages = read_all(files)
    base = compare(base_pages, references)
    affected = sorted({name for name, _ in base[0]})
    split = halves(affected)
    runs_by_gap: dict[float, tuple[Changes, Changes]] = {}
    for value in sorted({*grid, pdf_words.WORD_GAP}):
        with using(word_gap=value):
            runs_by_gap[value] = compare(read_all(files), references)
    folds = []
    for tune, held in (("A", "B"), ("B", "A")):
        scores = {}
        for value in grid:
            o = outcome(base, runs_by_gap[value], split[tune])
            scores[value] = o["fixed"] - o["newly_split"]
        chosen = best_gap(scores)
        held_scores = {value: (lambda o: o["fixed"] - o["newly_split"])(
            outcome(base, runs_by_gap[value], split[held])) for value in grid}
        folds.append({
            "tuned_on": tune, "scored_on": held, "chosen": chosen,
            "tuning_scores": scores,
            "held_out": outcome(base, runs_by_gap[chosen], split[held]),
            "held_out_best": max(held_scores.values()),
        })
    final = runs_by_gap[pdf_words.WORD_GAP]
    sweep = {value: outcome(base, runs_by_gap[value]) for value in grid}
    return {
        "sweep": sweep,
        "stamp": stamp(),
        "files": len(base_pages),
        "pages": sum(len(p) for p in base_pages.values()),
        "affected": affected,
        "halves": split,
        "folds": folds,
        "word_gap": pdf_words.WORD_GAP,
        "all_pdfs": outcome(base, final),
        "fixed": {f"{name} p{page}": sorted(words)
                  for (name, page), words in sorted(difference(base[0], final[0]).items())},
        "newly_split": {f"{name} p{page}": sorted(words)
                        for (name, page), words in sorted(difference(final[1], base[1]).items())},
        "timing": timing(files, runs),
    }


def report(result: Mapping[str, Any]) -> str:
    lines = [f"{result['files']} PDFs, {result['pages']} pages; "
             f"{len(result['affected'])} run words together with the baseline reading"]
    for half, names in result["halves"].items():
        lines.append(f"  half {half}: " + ", ".join(names))
    lines.append("")
    lines.append("| tuned on | chosen WORD_GAP | held out | fixed | newly split "
                 "| best on held-out |")
    lines.append("| --- | ---: | --- | ---: | ---: | ---: |")
    for fold in result["folds"]:
        held = fold["held_out"]
        lines.append(f"| {fold['tuned_on']} | {fold['chosen']} | {fold['scored_on']} | "
                     f"{held['fixed']} | {held['newly_split']} | {fold['held_out_best']} |")
    lines.append("")
    lines.append("Every PDF, by WORD_GAP: " + "; ".join(
        f"{value}: +{o['fixed']}/-{o['newly_split']}" for value, o in result["sweep"].items()))
    every = result["all_pdfs"]
    lines.append("")
    lines.append(f"WORD_GAP {result['word_gap']} over every PDF: run-together words "
                 f"{every['run_together_before']} -> {every['run_together_after']} "
                 f"(fixed {every['fixed']}), wrongly split {every['wrongly_split_before']} -> "
                 f"{every['wrongly_split_after']} (newly split {every['newly_split']})")
    for label in ("fixed", "newly_split"):
        for where, words in result[label].items():
            lines.append(f"  {label}: {where}: {' '.join(words)}")
    t = result["timing"]
    lines.append("")
    lines.append(f"PDFium reading of {t['pages']} pages, fastest of {t['runs']}: opening pages "
                 f"{t['open_s']} s; text before {t['read_before_s']} s, with word gaps "
                 f"{t['read_after_s']} s; ratio {t['pdfium_ratio']}")
    lines.append(f"whole extraction (extract_pdf, every PDF): {t['extract_pdf_s']} s; with the "
                 f"difference above, ratio {t['extract_pdf_ratio']}")
    lines.append(f"{result['stamp']['date']}, {result['stamp']['machine']}")
    return "\n".join(lines)


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timing runs (default 5)")
    args = parser.parse_args()
    if not shutil.which("pdftotext"):
        print("pdftotext (poppler-utils) is needed as the reference", file=sys.stderr)
        return 1
    result = evaluate(args.corpora, runs=args.runs)
    print(report(result))
    save(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
