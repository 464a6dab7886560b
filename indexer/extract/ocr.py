"""Pictures of text to text: Tesseract OCR for scanned pages and image files.

A page without any text (a scan, a photographed letter) is rendered by PDFium at `DPI` and
read by the `tesseract` command (Debian `tesseract-ocr`, languages from `tesseract-ocr-LANG`),
one page at a time, in the extraction worker that already bounds the document's time and
memory. Tesseract is called as a command with the page piped in and its TSV out: one process
per page, which gives the words, their lines and their confidence without a wrapper library
or temporary files. Each page's result is kept in the data folder's OCR cache under the
source's sha256, so a rebuild (or a run killed half-way through a long scan) never reads a
page twice. Where Tesseract is missing, the caller is told which package to install.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ExtractionError
from . import Page
from .normalize import normalize_text

if TYPE_CHECKING:
    from PIL.Image import Image

# Pages are rendered at this resolution for Tesseract (measured: README, "OCR").
DPI = 300
PACKAGE = "tesseract-ocr"
INSTALL = f"apt-get install {PACKAGE}"
# A page is OCR'd afresh when this changes (another renderer, resolution or reading of TSV).
OCR_VERSION = "1"

# One page may take this long in Tesseract (a real page takes a few seconds): past it the page
# is left unread, so a hostile picture cannot hold a worker for the whole document's time.
PAGE_SECONDS = 60
# A picture is read at most this many pixels large (a poster at 300 dpi would need gigabytes);
# a larger one is scaled down first.
MAX_PIXELS = 40_000_000

# Per page: (page number, pages to read in all); the worker moves its limits on each call.
PageProgress = Callable[[int, int], None]


def no_page_progress(done: int, total: int) -> None:
    """A `PageProgress` that does nothing."""


@dataclass(frozen=True)
class OcrSettings:
    """How a report's pictures of text are read: the catalog's `language` and `ocr`."""

    languages: tuple[str, ...] = ("eng",)
    enabled: bool = True
    cache: str | None = None  # folder of per-page results; None keeps nothing

    def key(self) -> str:
        """These settings as part of a text cache key: "" for the default (English, on). What
        Tesseract's absence costs is not cached at all (`OcrUnavailable` is transient), so
        installing it needs no other key."""
        if not self.enabled:
            return "ocr-off"
        return "" if self.languages == ("eng",) else "ocr-" + "+".join(self.languages)

    def with_cache(self, folder: Path) -> OcrSettings:
        return replace(self, cache=str(folder))

    def to_json(self) -> dict[str, Any]:
        return {"languages": list(self.languages), "enabled": self.enabled,
                "cache": self.cache}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> OcrSettings:
        if not data:
            return cls()
        return cls(languages=tuple(str(x) for x in data.get("languages") or ("eng",)),
                   enabled=bool(data.get("enabled", True)), cache=data.get("cache"))


@dataclass(frozen=True)
class OcrPage:
    """What Tesseract read on one picture: the text, and its mean word confidence (0-100)."""

    text: str
    confidence: float | None


class OcrUnavailable(ExtractionError):
    """Pages need OCR and Tesseract (or a language of it) is not installed: worth trying again
    once it is, so never remembered as the file's final outcome."""

    def __init__(self, message: str) -> None:
        super().__init__(message, transient=True)


def available() -> bool:
    """Whether the `tesseract` command can be run."""
    return shutil.which("tesseract") is not None


@cache
def installed_languages() -> frozenset[str]:
    """The languages Tesseract has data for (`tesseract --list-langs`)."""
    try:
        done = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    lines = done.stdout.splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip())


def missing_message(what: str) -> str:
    """Why `what` ("its pages", "the image", "2 pages of 5") was not read, and what to
    install."""
    return (f"{what} could not be read: pictures of text (a scan?) are read by Tesseract, "
            f"which is not installed; install it (`{INSTALL}`) and run `splib update`")


def language_package(language: str) -> str:
    """Debian's package for a Tesseract language: chi_sim -> tesseract-ocr-chi-sim."""
    return f"{PACKAGE}-{language.lower().replace('_', '-')}"


def check_ready(settings: OcrSettings, what: str) -> None:
    """Raise `OcrUnavailable` unless Tesseract and each of `settings.languages` are there."""
    if not available():
        raise OcrUnavailable(missing_message(what))
    absent = [lang for lang in settings.languages if lang not in installed_languages()]
    if absent:
        packages = " ".join(language_package(lang) for lang in absent)
        raise OcrUnavailable(
            f"{what} could not be read: Tesseract has no data for the language "
            f"{', '.join(absent)}; install it (`apt-get install {packages}`) or choose another "
            "(the catalog entry's `language`, or `--language`), then run `splib update`")


def read_picture(image: Image, settings: OcrSettings) -> OcrPage:
    """The text Tesseract reads in `image` (any Pillow image; sent to it as grey PGM)."""
    grey = _grey(image)
    buffer = io.BytesIO()
    grey.save(buffer, "PPM")
    env = dict(os.environ)
    # Extraction workers already run side by side, one per core: Tesseract's own threads
    # would only contend with them (README, "OCR").
    env.setdefault("OMP_THREAD_LIMIT", "1")
    command = ["tesseract", "stdin", "stdout", "-l", "+".join(settings.languages),
               "--dpi", str(DPI), "tsv"]
    try:
        done = subprocess.run(command, input=buffer.getvalue(), capture_output=True,
                              env=env, check=False, timeout=PAGE_SECONDS)
    except OSError as exc:
        raise OcrUnavailable(missing_message("pages") + f" ({exc.strerror})") from None
    except subprocess.TimeoutExpired:
        raise ExtractionError(f"OCR of a page took longer than {PAGE_SECONDS} s",
                              transient=True) from None
    if done.returncode != 0:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        # A broken or half-installed Tesseract: worth another try once it is mended.
        raise ExtractionError(
            f"OCR failed (tesseract exit {done.returncode}: {last[0][:160]}); check that "
            "`tesseract --version` runs, then run `splib update`", transient=True)
    return parse_tsv(done.stdout.decode("utf-8", "replace"))


def _grey(image: Image) -> Image:
    """`image` in grey, transparent parts white (as on paper), at most MAX_PIXELS large."""
    from PIL import Image as PILImage

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and
                                               "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = PILImage.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = PILImage.alpha_composite(paper, rgba)
    grey = image if image.mode == "L" else image.convert("L")
    width, height = grey.size
    if width * height > MAX_PIXELS:
        shrink = (MAX_PIXELS / (width * height)) ** 0.5
        grey = grey.resize((max(1, int(width * shrink)), max(1, int(height * shrink))))
    return grey


def parse_tsv(tsv: str) -> OcrPage:
    """Tesseract's TSV as text: words of a line joined by spaces, lines by line breaks,
    paragraphs and blocks by blank lines; the confidence is the mean over the words."""
    paragraphs: list[list[list[str]]] = []
    confidences: list[float] = []
    where: tuple[str, str, str] | None = None
    line_at: tuple[str, str, str, str] | None = None
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":
            continue
        word = cells[11].strip()
        if not word:
            continue
        try:
            confidence = float(cells[10])
        except ValueError:
            continue
        block = (cells[1], cells[2], cells[3])
        line = (*block, cells[4])
        if block != where:
            paragraphs.append([])
            where, line_at = block, None
        if line != line_at:
            paragraphs[-1].append([])
            line_at = line
        paragraphs[-1][-1].append(word)
        if confidence >= 0:
            confidences.append(confidence)
    text = "\n\n".join("\n".join(" ".join(words) for words in lines) for lines in paragraphs)
    mean = round(sum(confidences) / len(confidences), 1) if confidences else None
    return OcrPage(text=normalize_text(text), confidence=mean)


class PageCache:
    """Per-page OCR results of one source, in the data folder (`text/ocr/`)."""

    def __init__(self, settings: OcrSettings, data: bytes) -> None:
        self.folder = Path(settings.cache) if settings.cache else None
        digest = hashlib.sha256(data).hexdigest()
        languages = "+".join(settings.languages)
        self.prefix = f"{digest}-ocr{OCR_VERSION}-{DPI}-{languages}"

    def _path(self, number: int) -> Path | None:
        return self.folder / f"{self.prefix}-p{number}.json" if self.folder else None

    def get(self, number: int) -> OcrPage | None:
        path = self._path(number)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            confidence = data["confidence"]
            return OcrPage(text=str(data["text"]),
                           confidence=None if confidence is None else float(confidence))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent or damaged: read the page again

    def put(self, number: int, page: OcrPage) -> None:
        path = self._path(number)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"text": page.text, "confidence": page.confidence}),
                           encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written costs time on the next run, not text


def read_pages(pictures: Iterable[tuple[int, Callable[[], Image]]], total: int,
               settings: OcrSettings, data: bytes,
               progress: PageProgress = no_page_progress) -> Iterator[tuple[int, OcrPage]]:
    """OCR each (page number, picture maker) of a source whose bytes are `data`, a page at a
    time, reading back pages the cache already holds; `progress` after each page."""
    cached = PageCache(settings, data)
    for done, (number, picture) in enumerate(pictures, start=1):
        page = cached.get(number)
        if page is None:
            page = read_picture(picture(), settings)
            cached.put(number, page)
        progress(done, total)
        yield number, page


def ocr_page(number: int, page: OcrPage, label: str | None = None) -> Page:
    """A `Page` read by OCR."""
    return Page(number=number, text=page.text, label=label, ocr=True,
                confidence=page.confidence)
