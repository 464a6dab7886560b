"""Fetch and extract catalog entries into the data folder, one outcome per entry.

Each entry ends with an `EntryRecord`: its last good source, the text's cache key and page
count, or the reason it has none. A failure is recorded on its entry and the run goes on; the
manifest is saved after every entry, so a killed run keeps what it finished.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from enum import Enum

from .catalog import Report
from .errors import ExtractionError, FetchError
from .extract import Document
from .extract.isolate import WorkerPool
from .extract.ocr import OcrSettings, PageProgress, no_page_progress
from .fetch import Fetcher, local_unchanged
from .store import EntryRecord, Store, now_iso
from .wording import plural

log = logging.getLogger(__name__)

# How often, in seconds, a running ingest saves the manifest: a killed run loses at most this
# much bookkeeping (its fetched files and extracted text are kept regardless).
MANIFEST_EVERY = 0.5
# The text-cache key of a document with pages left unread for a reason that may pass ends so.
PARTIAL = "-partial"


@dataclass(frozen=True)
class ProgressEvent:
    """How far a long job is: its stage ("Indexing"), how many of how many items are done,
    and the item at hand ("t-visa-guide, 12 pages"; "" at the start of a stage)."""

    stage: str
    done: int
    total: int
    item: str = ""


Progress = Callable[[ProgressEvent], None]


def no_progress(event: ProgressEvent) -> None:
    """A `Progress` that shows nothing."""


class FetchMode(Enum):
    """Which entries with a `url` go to the network."""

    NONE = "none"  # offline: use what the data folder has
    MISSING = "missing"  # entries never fetched, and those whose last fetch failed
    ALL = "all"  # every entry, with conditional requests (cheap when unchanged)


# How the command line and the web page say where a report's indexed text came from.
@dataclass(frozen=True)
class EntryStatus:
    """What `splib status` shows for one catalog entry."""

    id: str
    state: str  # "text" | "summary-only" | "error"
    source: str | None  # "path" | "origin" | "archive" | "cache"
    pages: int
    chars: int
    fetched_at: str | None
    error: str | None
    url: str | None = None  # where the indexed bytes came from (the archive copy, if so)
    ocr_pages: int = 0  # of `pages`, those read by OCR
    ocr_confidence: float | None = None  # Tesseract's mean word confidence on them (0-100)
    unread: str | None = None  # why some pages with pictures of text were not read by OCR

    def ocr_note(self) -> str:
        """"3 of 12 pages read by OCR (mean confidence 91%)", or "" when none was."""
        if not self.ocr_pages:
            return ""
        confidence = f" (mean confidence {self.ocr_confidence:.0f}%)" \
            if self.ocr_confidence is not None else ""
        return f"{self.ocr_pages} of {plural(self.pages, 'page')} read by OCR{confidence}"


def entry_status(report: Report, record: EntryRecord | None) -> EntryStatus:
    """The status of `report` given what the data folder recorded for it."""
    record = record or EntryRecord()
    src = record.source
    source = None
    if src is not None:
        source = "cache" if record.fetch_error else src.origin
    if record.text_key and not record.extract_error and src is not None:
        state, error = "text", record.fetch_error
    elif record.extract_error and src is not None:
        state, error = "error", record.extract_error
    elif report.path is not None and record.fetch_error:
        state, error = "error", record.fetch_error
    elif not report.url and report.path is None:
        state, error = "summary-only", "the catalog gives no `url` or `path` for it"
    elif record.fetch_error:
        state, error = "summary-only", record.fetch_error
    else:
        state, error = "summary-only", (
            "not indexed yet" if report.path is not None else "not fetched yet") + \
            "; run `splib update`"
    return EntryStatus(
        id=report.id, state=state, source=source, pages=record.pages if state == "text" else 0,
        chars=record.chars if state == "text" else 0,
        fetched_at=src.fetched_at if src else None, error=error,
        url=src.final_url if src and src.origin != "path" else (report.url or None),
        ocr_pages=record.ocr_pages if state == "text" else 0,
        ocr_confidence=record.ocr_confidence if state == "text" else None,
        unread=record.unread if state == "text" else None,
    )


def _size(report: Report, record: EntryRecord | None) -> int:
    """The size in bytes of `report`'s file as last known (0 when unknown)."""
    if report.path is not None:
        try:
            return report.path.stat().st_size
        except OSError:
            return 0
    return record.source.size if record is not None and record.source is not None else 0


def _outcome(report: Report, record: EntryRecord) -> str:
    """One report's result in a few words, for the progress display."""
    status = entry_status(report, record)
    if status.state == "text":
        return f"{report.id}, {plural(status.pages, 'page')}"
    return f"{report.id}, {status.state.replace('-', ' ')}"


def wants_fetch(report: Report, record: EntryRecord | None, mode: FetchMode,
                store: Store) -> bool:
    """Whether `report` goes to its source this run."""
    if report.path is not None:
        # A local file is looked at every time and read again when it changed (or its copy
        # in `store` is gone), or when it could not be read last time (its error goes once
        # it can).
        return record is None or bool(record.fetch_error) or \
            not local_unchanged(report, record.source, store)
    if not report.url or mode is FetchMode.NONE:
        return False
    if mode is FetchMode.ALL or record is None or record.source is None:
        return True
    return bool(record.fetch_error or (record.extract_error and record.extract_retry))


class Ingester:
    """Brings entries' sources and text up to date in a `Store`."""

    def __init__(self, store: Store, fetcher: Fetcher, pool: WorkerPool) -> None:
        self.store = store
        self.fetcher = fetcher
        self.pool = pool
        # Where the running `ingest` stands, for the progress of pages read by OCR.
        self._progress: Progress = no_progress
        self._done = 0
        self._total = 0

    def ocr_settings(self, report: Report) -> OcrSettings:
        """How `report`'s scanned pages are read (its `language` and `ocr`), with the data
        folder's page cache."""
        return OcrSettings(languages=report.languages, enabled=report.ocr,
                           cache=str(self.store.ocr_cache))

    def ingest_one(self, report: Report, record: EntryRecord | None,
                   mode: FetchMode) -> EntryRecord:
        """Fetch (as `mode` says) and extract one entry; never raises for a bad source."""
        record = record or EntryRecord()
        if wants_fetch(report, record, mode, self.store):
            try:
                if report.path is not None:
                    fetched = self.fetcher.read_path(report, record.source)
                else:
                    fetched = self.fetcher.fetch_url(report.url, record.source)
                record = record.with_changes(source=fetched.record, fetch_error=None)
            except FetchError as exc:
                log.info("%s: fetch failed: %s", report.id, exc)
                # The last good copy, if any, stays and is used.
                record = record.with_changes(fetch_error=str(exc))
        record = record.with_changes(checked_at=now_iso())
        if record.source is None or not self.store.has_source(record.source.sha256):
            return record.with_changes(source=None, text_key=None, pages=0, chars=0,
                                       extract_error=None)
        return self._extract(report, record)

    def _extract(self, report: Report, record: EntryRecord) -> EntryRecord:
        assert record.source is not None
        ocr = self.ocr_settings(report)
        key = self.store.text_key(record.source.sha256, report.password, ocr)
        started = time.monotonic()
        cached = self.store.load_text(key)

        def page_read(done: int, total: int) -> None:
            self._progress(ProgressEvent(
                "Fetching and extracting", self._done, self._total,
                f"{report.id}: OCR, scanned page {done} of {total}"))

        outcome = cached if cached is not None else \
            self.extract(key, record.source.sha256, report.password, ocr, page_read)
        seconds = 0.0 if cached is not None else round(time.monotonic() - started, 3)
        log.info("%s: %s %s (%s)", report.id,
                 "text read back from the cache for" if cached is not None else
                 f"extracted in {seconds:.2f} s from", record.source.sha256[:12],
                 outcome if isinstance(outcome, ExtractionError) else
                 plural(len(outcome.pages), "page"))
        if isinstance(outcome, ExtractionError):
            if outcome.transient and record.text_key and not record.extract_error and \
                    record.text_key.startswith(record.source.sha256) and \
                    self.store.has_text(record.text_key):
                # The same file, read before under other settings (another OCR language),
                # cannot be read now for a reason that may pass (a language not installed):
                # the text read before stays indexed, and the next update tries again.
                return record.with_changes(
                    unread=f"reading it again as the catalog now asks failed ({outcome}); "
                           "the text read before is still searched",
                    extract_seconds=seconds)
            return record.with_changes(text_key=None, extract_error=str(outcome), pages=0,
                                       chars=0, warnings=(), extract_seconds=seconds,
                                       ocr_pages=0, ocr_confidence=None,
                                       extract_retry=outcome.transient, unread=None)
        if outcome.transient:
            key += PARTIAL  # where extract() kept it: the complete text will have a new key
        return record.with_changes(text_key=key, extract_error=None, pages=len(outcome.pages),
                                   chars=outcome.chars, warnings=outcome.warnings,
                                   extract_seconds=seconds,
                                   ocr_pages=len(outcome.ocr_pages),
                                   ocr_confidence=outcome.ocr_confidence,
                                   extract_retry=outcome.transient, unread=outcome.unread)

    def extract(self, key: str, sha256: str, password: str, ocr: OcrSettings,
                progress: PageProgress = no_page_progress) -> Document | ExtractionError:
        """Extract the source `sha256` in a bounded child process and cache the outcome."""
        try:
            outcome: Document | ExtractionError = self.pool.extract(
                self.store.source_path(sha256), password, ocr, progress)
        except ExtractionError as exc:
            outcome = exc
        if not outcome.transient:
            # Deterministic failures (encrypted, damaged, too large) are remembered as well, so
            # an unchanged bad file is not re-tried on every rebuild; a time limit or a crash
            # may not happen again and is not.
            self.store.save_text(key, outcome)
        elif isinstance(outcome, Document):
            # Text with pages left unread for now: indexed as it is, but kept apart from the
            # cache, so the next update extracts the file again.
            self.store.save_text(key + PARTIAL, outcome)
        return outcome

    def ingest(self, reports: Iterable[Report], records: dict[str, EntryRecord],
               mode: FetchMode, jobs: int = 1, progress: Progress = no_progress,
               on_done: Callable[[Report, EntryRecord], None] | None = None,
               ) -> dict[str, EntryRecord]:
        """Ingest `reports`, updating `records` as each one finishes and calling `on_done`
        (in this thread) with it; the manifest is saved every MANIFEST_EVERY seconds, or
        less often when saving it takes long, and at the end."""
        # The largest files first: a long report started last would leave one child working
        # alone at the end (in a library of a few long reports, most of the run).
        todo = sorted(reports, key=lambda r: -_size(r, records.get(r.id)))
        total = len(todo)
        self._progress, self._done, self._total = progress, 0, total
        progress(ProgressEvent("Fetching and extracting", 0, total))
        saved, wait = time.monotonic(), MANIFEST_EVERY
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(self.ingest_one, r, records.get(r.id), mode): r
                       for r in todo}
            for done, future in enumerate(as_completed(futures), start=1):
                report = futures[future]
                self._done = done
                records[report.id] = future.result()
                if on_done is not None:
                    on_done(report, records[report.id])
                if time.monotonic() - saved > wait:
                    started = time.monotonic()
                    self.store.save_manifest(records)
                    saved = time.monotonic()
                    # At most a fiftieth of the time goes to saving: 700 records take about
                    # 70 ms to write, which every half second cost a large rebuild a seventh
                    # of its time (benchmarks/run_all.py, warm rebuild x100).
                    wait = max(MANIFEST_EVERY, 50 * (saved - started))
                progress(ProgressEvent("Fetching and extracting", done, total,
                                       _outcome(report, records[report.id])))
        self.store.save_manifest(records)
        return records
