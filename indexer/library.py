"""`Library`: the public API every command goes through.

A `Library` ties a catalog file to a data folder. Each method is one job (fetch, rebuild,
update, search, status, show, extract) and returns typed results; the CLI only prints them.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .catalog import Catalog, Report, catalog_from_bytes, load_catalog, url_problem
from .engine import K1, B, Index, IndexGone, unreadable
from .errors import (
    CatalogError,
    ExtractionError,
    FetchError,
    IndexDamagedError,
    IndexMissingError,
    NotACatalogError,
    QueryError,
    SplibError,
    brief,
)
from .extract import NOT_A_REPORT_KIND, Document, sniff
from .results import SORTS, SearchResults, Similar
from .store import (
    EntryRecord,
    SourceRecord,
    Store,
    disk_error,
    open_current,
    read_meta,
    write_atomic,
)
from .wording import plural

if TYPE_CHECKING:  # the rest is loaded by the commands that use it: a search loads none of it
    from .build import IndexChanges
    from .evaluate import EvalReport
    from .extract.isolate import Limits, WorkerPool
    from .extract.ocr import PageProgress
    from .fetch import Fetcher, FetchSettings
    from .ingest import EntryStatus, FetchMode, Progress
    from .keeping import AddReport, CheckReport

log = logging.getLogger(__name__)

DEFAULT_CATALOG = Path("corpus/catalog.toml")
HERE_CATALOG = "catalog.toml"
DATA_NAME = ".splib"  # the data folder's name, beside the catalog unless told otherwise
LEGACY_FOLDER = "corpus"  # catalogs in corpus/ once kept their data in the folder above
DEFAULT_QUESTIONS = Path("queries/library.toml")
# Files an operating system leaves in a folder, which no one dropped in the inbox.
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db"})
PLACES = ("refer", "copy", "move")  # where `add` leaves a file: where it is, or in files/
FILES_FOLDER = "files"  # beside the catalog: the reports `add --copy/--move` keeps
INBOX_FOLDER = "inbox"  # beside the catalog: files dropped here are added by `update`
_T = TypeVar("_T")


# Saved copies kept per process by source hash (a few hundred bytes each).
_KEPT_COPIES = 10_000


@dataclass(frozen=True)
class BuildReport:
    """What a rebuild or update did."""

    entries: tuple[EntryStatus, ...]
    pages: int  # pages in the live index afterwards
    seconds: float
    changes: IndexChanges | None = None  # for an update: what was re-indexed
    reindexed: bool = True  # False when an update found nothing to do
    notes: tuple[str, ...] = ()  # what the library keeper should know: duplicates, no entries

    @property
    def with_text(self) -> tuple[EntryStatus, ...]:
        return tuple(e for e in self.entries if e.state == "text")

    @property
    def summary_only(self) -> tuple[EntryStatus, ...]:
        return tuple(e for e in self.entries if e.state == "summary-only")

    @property
    def errors(self) -> tuple[EntryStatus, ...]:
        return tuple(e for e in self.entries if e.state == "error")


@dataclass(frozen=True)
class SavedCopy:
    """The bytes a report's text was extracted from, as kept in the data folder."""

    path: Path
    media_type: str  # "application/pdf", "text/html" or "text/plain"; see extract.sniff


@dataclass(frozen=True)
class ReportView:
    """A catalog entry with its status and, when there is one, its extracted text."""

    report: Report
    status: EntryStatus
    document: Document | None
    warnings: tuple[str, ...] = field(default=())


class Library:
    """A catalog and its data folder.

    >>> lib = Library(catalog="corpus/catalog.toml")  # data: corpus/.splib  # doctest: +SKIP
    >>> lib.rebuild(offline=True)                                     # doctest: +SKIP
    >>> lib.search('"T visa" certification').results[0].title         # doctest: +SKIP
    """

    def __init__(self, catalog: str | Path | None = None, data: str | Path | None = None, *,
                 fetch: FetchSettings | None = None, limits: Limits | None = None) -> None:
        self.catalog_path = Path(catalog or os.environ.get("SPLIB_CATALOG") or default_catalog())
        chosen = data or os.environ.get("SPLIB_DATA")
        self.store = Store(Path(chosen) if chosen else default_data(self.catalog_path))
        self._fetch_settings = fetch
        self._archive = os.environ.get("SPLIB_ARCHIVE")
        self._limits = limits
        self._open: tuple[Path, Index] | None = None  # the live index, kept between searches
        self._opening = threading.Lock()
        # (the file's identity when its times vouch for it, else None; the catalog; the
        # sha256 of its bytes)
        self._catalog: tuple[tuple[int, ...] | None, Catalog, bytes] | None = None
        # (the manifest file's identity; its records)
        self._manifest: tuple[tuple[int, ...], dict[str, EntryRecord]] | None = None
        self._copies: dict[str, SavedCopy] = {}

    @property
    def fetch_settings(self) -> FetchSettings:
        """How reports are fetched (made when first needed: a search fetches nothing)."""
        if self._fetch_settings is None:
            from .fetch import FetchSettings

            # An empty SPLIB_ARCHIVE turns the archive off.
            archive = FetchSettings.archive if self._archive is None else self._archive
            self._fetch_settings = FetchSettings(archive=archive)
        return self._fetch_settings

    @property
    def limits(self) -> Limits:
        """The extraction children's limits (made when first needed)."""
        if self._limits is None:
            from .extract.isolate import Limits

            self._limits = Limits()
        return self._limits

    # -- reading ---------------------------------------------------------------------------

    def catalog(self) -> Catalog:
        """The validated catalog, parsed again only when the file's bytes changed: a server
        answers every request from the catalog, and 700 entries take about 35 ms to parse."""
        try:
            stat = self.catalog_path.stat()
            kept = self._catalog
            if kept is not None and kept[0] is not None and kept[0] == _identity(stat):
                return kept[1]  # the same file, not written since it was read
            read_at = time.time_ns()
            raw = self.catalog_path.read_bytes()
        except OSError:
            return load_catalog(self.catalog_path)  # which says what is wrong
        digest = hashlib.sha256(raw).digest()
        catalog = kept[1] if kept is not None and kept[2] == digest else \
            catalog_from_bytes(raw, self.catalog_path)
        # Timestamps are coarser than writes on some file systems: a file written just before
        # it was read might be written again with the same times, so its bytes are hashed
        # again next time.
        settled = max(stat.st_mtime_ns, stat.st_ctime_ns) <= read_at - RACY_NS
        self._catalog = (_identity(stat) if settled else None, catalog, digest)
        return catalog

    def check(self) -> CheckReport:
        """The catalog's problems and warnings, without fetching or building."""
        from .keeping import check_catalog

        return check_catalog(self.catalog_path)

    def _records(self) -> Mapping[str, EntryRecord]:
        """The manifest's records, to read: parsed again only when the file changed (a
        server shows each results page's saved copies from them)."""
        try:
            stat = self.store.manifest_path.stat()
        except OSError:
            return self.store.load_manifest()
        key = _identity(stat)
        kept = self._manifest
        if kept is not None and kept[0] == key:
            return kept[1]
        records = self.store.load_manifest()
        self._manifest = (key, records)
        return records

    def status(self) -> list[EntryStatus]:
        """One status per catalog entry, in catalog order."""
        from .ingest import entry_status

        records = self._records()
        return [entry_status(r, records.get(r.id)) for r in self.catalog()]

    def show(self, report_id: str) -> ReportView:
        """The entry `report_id`, its status and its extracted text (if any)."""
        from .ingest import entry_status

        report = self.catalog().get(report_id)
        record = self._records().get(report_id)
        status = entry_status(report, record)
        document = self.store.document(record) if status.state == "text" else None
        return ReportView(report=report, status=status, document=document,
                          warnings=record.warnings if record else ())

    def saved_copy(self, report_id: str) -> SavedCopy | None:
        """The kept copy of the source whose text is indexed for `report_id`; None when the
        entry has no text (an unknown id raises `NotFoundError`)."""
        self.catalog().get(report_id)
        return self.saved_copies([report_id]).get(report_id)

    def saved_copies(self, report_ids: Iterable[str]) -> dict[str, SavedCopy]:
        """`saved_copy` for several entries at once, reading the catalog and manifest once;
        ids without a copy (or not in the catalog) are left out."""
        from .ingest import entry_status

        catalog = self.catalog()
        records = self._records()
        copies: dict[str, SavedCopy] = {}
        for report_id in report_ids:
            report, record = catalog.find(report_id), records.get(report_id)
            if report is None or record is None or record.source is None or \
                    entry_status(report, record).state != "text":
                continue
            copy = self._saved_copy(record.source.sha256)
            if copy is not None:
                copies[report_id] = copy
        return copies

    def _saved_copy(self, sha256: str) -> SavedCopy | None:
        """The saved copy of the source `sha256` as a browser can open it, or None. Kept per
        hash once found (a source is stored under the hash of its bytes, so they never
        change): a results page asks for ten of them."""
        copy = self._copies.get(sha256)
        if copy is None:
            copy = self._read_saved_copy(sha256)
            if copy is not None:
                if len(self._copies) >= _KEPT_COPIES:
                    self._copies.clear()
                self._copies[sha256] = copy
        return copy

    def _read_saved_copy(self, sha256: str) -> SavedCopy | None:
        path = self.store.source_path(sha256)
        try:
            with path.open("rb") as handle:
                head = handle.read(4096)
        except OSError:
            return None
        if head.startswith(b"\x1f\x8b"):  # kept gzipped as it was served; no use to a browser
            return None
        try:
            return SavedCopy(path=path, media_type=sniff(head))
        except ExtractionError:
            return None

    def search(self, query: str, limit: int = 10, pages: int = 3, org: str | None = None,
               year: str | int | tuple[int, int] | None = None,
               more_like_this: int = 0, offset: int = 0,
               within: Collection[str] | None = None, sort: str = "relevance",
               facets: bool = False, organization: str | None = None,
               ) -> SearchResults:
        """Search the live index; see the README's "Query syntax". With `more_like_this`,
        each result lists that many similar reports; `offset` skips that many of the first
        reports (paging); `within` keeps only the reports with those ids, `organization`
        those of one organisation exactly as the catalog writes it; `sort` is "relevance",
        "newest" or "oldest" (by the catalog's date; undated reports last); with `facets`,
        the matching reports are counted by organisation and by year, in the same engine
        search."""
        from .search import search

        if sort not in SORTS:
            raise QueryError(f"Sort by one of {', '.join(SORTS)}, not {sort!r}.")
        results = self._with_index(lambda ix: search(
            ix, query, limit=limit, pages=pages, org=org, year=year,
            more_like_this=more_like_this, offset=offset, within=within, sort=sort,
            facets=facets, organization=organization))
        try:
            self.catalog()
        except NotACatalogError:
            raise  # a report named as the catalog: the person's mistake, said as an error
        except CatalogError as exc:  # the keeper's typo: the index as last built answers
            results = replace(results, notes=(
                *results.notes, "These results come from the index as it was last built: the "
                f"catalog cannot be read now, and the library's keeper must fix it ({exc})"))
        return results

    def _with_index(self, job: Callable[[Index], _T]) -> _T:
        """Run `job` on the live index, opening it again when a rebuild swept it away.

        The open index is kept between searches, but a generation is deleted two swaps
        later; a search that meets a vanished generation reopens the live one and retries.
        """
        for attempt in range(3):
            try:
                return job(self._index())
            except IndexMissingError:
                self.catalog()  # a missing or invalid catalog first: rebuild needs a valid one
                raise
            except (IndexGone, FileNotFoundError):
                self._forget_index()
                if attempt == 2:
                    raise SplibError("The index kept changing during the search (rebuilds "
                                     "running back to back?); try again.") from None
            except SplibError:
                raise
            except Exception as exc:
                if not unreadable(exc):
                    raise  # splib's own failure: a bug, told as one
                log.debug("reading the index failed", exc_info=True)  # shown with -v
                self._forget_index()  # opened again after the rebuild
                name = type(exc).__name__
                name = f"{type(exc).__module__}.{name}" if name == "error" else name
                raise IndexDamagedError(
                    f"The index in {self.store.root} could not be read ({name}: "
                    f"{brief(exc, 120)}): its files are damaged. Run `splib rebuild` to build "
                    "it again from the kept text (nothing is fetched again); if this happens "
                    "again after it, it is a bug in splib: run the command with -v and "
                    "report it.") from None
        raise AssertionError("unreachable")

    def _forget_index(self) -> None:
        """Close the kept index: the next search opens the live one."""
        with self._opening:
            if self._open is not None:
                self._open[1].close()
            self._open = None

    def _index(self) -> Index:
        """The live index, opened once and again only when a rebuild or update swapped it."""
        with self._opening:  # one thread opens it; the web server's others wait for it
            current = self.store.current_index()
            if self._open is None or self._open[0] != current:
                ix = open_current(self.store)
                if self._open is not None:
                    self._open[1].close()  # the generation replaced: its searcher's files
                self._open = (ix.folder, ix)
            return self._open[1]

    def evaluate(self, questions: str | Path = DEFAULT_QUESTIONS) -> EvalReport:
        """Score the live index on saved questions (nDCG@10, MRR, misses)."""
        from .evaluate import evaluate, load_questions

        asked = load_questions(Path(questions))
        return evaluate(asked, lambda text: [hit.id for hit in self.search(text, pages=0).results])

    def similar(self, report_id: str, limit: int = 5) -> list[Similar]:
        """The reports most like `report_id`, each with the key terms that tie them."""
        from .search import similar

        self.catalog().get(report_id)  # a clear error for an unknown id
        return self._with_index(lambda ix: similar(ix, report_id, limit))

    def extract(self, path: str | Path, password: str = "", languages: Sequence[str] = ("eng",),
                ocr: bool = True, progress: PageProgress | None = None) -> Document:
        """The text of a local file as the ingester sees it (in a bounded child process):
        pages without text read by OCR in `languages` unless `ocr` is off; `progress` hears
        of each such page."""
        from .extract.isolate import extract_isolated
        from .extract.ocr import OcrSettings, no_page_progress

        path = Path(path)
        if not path.is_file():
            raise ExtractionError(f"no such file: {path}")
        settings = OcrSettings(languages=tuple(languages), enabled=ocr)
        return extract_isolated(path, password, self.limits, settings,
                                progress or no_page_progress)

    # -- writing ---------------------------------------------------------------------------

    def add(self, targets: Sequence[str], place: str = "refer", dry_run: bool = False,
            progress: Progress | None = None) -> AddReport:
        """Catalog entries for files, folders of files, or addresses, filled from the
        reports themselves (see metadata.py), appended to the catalog unless `dry_run`.

        `place` is "refer" (the file stays where it is, its path relative to the catalog),
        "copy" or "move" (into `files/` beside the catalog). A report already in the catalog
        (the same address, or a file of the same bytes) is refused, naming its entry."""
        from .extract.isolate import WorkerPool
        from .extract.ocr import OcrSettings
        from .fetch import Fetcher
        from .ingest import ProgressEvent, no_progress
        from .keeping import (
            AddReport,
            expand,
            file_sha256,
            is_address,
            normal_url,
            unique_file,
            with_entries,
        )

        progress = progress or no_progress

        if place not in PLACES:
            raise SplibError(f"Place files by one of {', '.join(PLACES)}, not {place!r}.")
        path = self.catalog_path
        catalog = self.catalog() if path.exists() else Catalog(path=path, reports=())
        records = self.store.load_manifest()
        ids = {r.id for r in catalog}
        urls = {normal_url(r.url): r.id for r in catalog if r.url}
        files: dict[str, str] = {}  # sha256 -> id
        for report in catalog:
            record = records.get(report.id)
            if record is not None and record.source is not None:
                files.setdefault(record.source.sha256, report.id)
            sha = file_sha256(report.path) if report.path is not None else None
            if sha:
                files.setdefault(sha, report.id)
        items = expand(targets)
        if not items:
            raise SplibError(f"No reports to add in {', '.join(targets)}: give PDF, HTML, "
                             "text or image files, folders holding them, or addresses.")
        entries: list[dict[str, object]] = []
        refused: list[str] = []
        notes: list[str] = []
        placed: list[tuple[Path, Path]] = []
        folder = path.parent / FILES_FOLDER
        with contextlib.ExitStack() as stack:
            if dry_run:  # fetched copies go to a scratch folder: the data folder stays as is
                store = Store(Path(stack.enter_context(
                    tempfile.TemporaryDirectory(prefix="splib-add-"))))
            else:
                store = self.store
                stack.enter_context(store.lock("add"))
            fetcher = Fetcher(store, self.fetch_settings)
            pool = WorkerPool(self.limits)
            ocr = OcrSettings().with_cache(store.ocr_cache)
            try:
                for done, target in enumerate(items, start=1):
                    found = self._read_new(target, store, fetcher, urls, files, refused)
                    if found is None:
                        progress(ProgressEvent("Reading", done, len(items), f"{target}: refused"))
                        continue
                    source, sha, fields = found
                    if not is_address(target) and place != "refer":
                        taken = {str(b) for _, b in placed}
                        destination = unique_file(folder, source.name)
                        while str(destination) in taken:
                            destination = unique_file(folder, f"{source.stem}-{done}"
                                                              f"{source.suffix}")
                        placed.append((source, destination))
                        fields["path"] = os.path.relpath(destination, path.parent)
                    elif not is_address(target):
                        fields["path"] = os.path.relpath(source.resolve(),
                                                         path.parent.resolve())
                    def page_read(page: int, pages: int, target: str = target,
                                  done: int = done) -> None:
                        progress(ProgressEvent("Reading", done - 1, len(items),
                                               f"{target}: OCR, scanned page {page} of {pages}"))

                    guessed, outcome = pool.guess(source, url=target if is_address(target)
                                                  else "", ocr=ocr, progress=page_read)
                    if isinstance(outcome, ExtractionError) and \
                            outcome.kind == NOT_A_REPORT_KIND:
                        refused.append(f"{target}: {outcome}")
                        placed = [p for p in placed if p[0] != source]
                        progress(ProgressEvent("Reading", done, len(items), f"{target}: refused"))
                        continue
                    entry = _entry(guessed, fields, source.name, ids)
                    ids.add(str(entry["id"]))
                    files[sha] = str(entry["id"])
                    if "url" in fields:
                        urls[normal_url(str(fields["url"]))] = str(entry["id"])
                    if isinstance(outcome, ExtractionError):
                        notes.append(f"{entry['id']}: {outcome}; it is searched by its title "
                                     "and summary.")
                    elif not dry_run and not outcome.transient:
                        # Text with pages unread for now (no Tesseract) is read again by the
                        # next update rather than kept.
                        store.save_text(store.text_key(sha, "", ocr), outcome)
                    entries.append(entry)
                    progress(ProgressEvent("Reading", done, len(items),
                                           f"{entry['id']}: {entry['title']}"))
            except OSError as exc:
                raise disk_error(exc, "reading the new reports") from None
            finally:
                fetcher.close()
                pool.close()
            if not entries or dry_run:
                return AddReport(entries=tuple(entries), refused=tuple(refused),
                                 notes=tuple(notes), written=False)
            text, _ = with_entries(path, entries)  # validated before any file is copied
            # Copies first, then the catalog, then (for --move) the originals go: a failure
            # at any step leaves every report where it was and the catalog as it was.
            copied: list[Path] = []
            try:
                for source, destination in placed:
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, destination)
                    copied.append(destination)
                write_atomic(path, text.encode("utf-8"))
            except OSError as exc:
                for destination in copied:
                    with contextlib.suppress(OSError):
                        destination.unlink()
                if exc.errno == errno.ENOSPC:
                    raise disk_error(exc, f"copying the reports into {folder}") from None
                raise SplibError(f"Could not copy the reports into {folder} "
                                 f"({exc.strerror or exc}). Nothing was added; every file is "
                                 "where it was.") from None
            self._catalog = None
            if place == "move":
                for source, _ in placed:
                    with contextlib.suppress(OSError):
                        source.unlink()
        return AddReport(entries=tuple(entries), refused=tuple(refused), notes=tuple(notes),
                         written=True)

    def import_listing(self, source: str, dry_run: bool = False) -> AddReport:
        """Entries from a library's listing page (an HTML page or its plain text, a file or an
        address; see listing.py), appended to the catalog unless `dry_run`. An entry whose
        address or title the catalog already holds is refused."""
        from .keeping import ALREADY, AddReport, append_entries, is_address, normal_url
        from .listing import parse_listing
        from .metadata import Guess, slug

        data = self._listing_bytes(source)
        drafts = parse_listing(data, base_url=source if is_address(source) else "")
        path = self.catalog_path
        catalog = self.catalog() if path.exists() else Catalog(path=path, reports=())
        ids = {r.id for r in catalog}
        urls = {normal_url(r.url): r.id for r in catalog if r.url}
        titles = {_title_key(r.title, r.organization): r.id for r in catalog}
        entries: list[dict[str, object]] = []
        refused: list[str] = []
        for draft in drafts:
            held = titles.get(_title_key(draft.title, draft.organization)) or \
                (urls.get(normal_url(draft.url)) if draft.url else None)
            if held:
                refused.append(f"{draft.title!r}: {ALREADY} {held}")
                continue
            # A relative link on a page read from a file has no address to resolve against.
            links = [link for link in (draft.url, *draft.links) if not url_problem(link)]
            entry: dict[str, object] = {
                "id": slug(Guess(title=draft.title, date=draft.date,
                                 organization=draft.organization), ids),
                "title": draft.title, "organization": draft.organization,
                "prepared_for": draft.prepared_for, "authors": list(draft.authors),
                "date": draft.date, "summary": draft.summary, "topics": list(draft.topics),
                "url": draft.url if draft.url in links else "",
                "links": [link for link in draft.links if link in links]}
            ids.add(str(entry["id"]))
            titles[_title_key(draft.title, draft.organization)] = str(entry["id"])
            if draft.url:
                urls[normal_url(draft.url)] = str(entry["id"])
            entries.append(entry)
        if not drafts:
            raise SplibError(f"No entries found in {source}: a listing page has, per report, "
                             "a title and its summary, link or organisation.")
        written = bool(entries) and not dry_run
        if written:
            with self.store.lock("import"):
                append_entries(path, entries)
            self._catalog = None
        return AddReport(entries=tuple(entries), refused=tuple(refused), notes=(),
                         written=written)

    def _listing_bytes(self, source: str) -> bytes:
        from .fetch import Fetcher
        from .keeping import is_address

        if not is_address(source):
            try:
                return Path(source).read_bytes()
            except OSError as exc:
                raise SplibError(f"Cannot read {source}: {exc.strerror or exc}.") from None
        # The page is read once and not kept: it is not a report of the library.
        with tempfile.TemporaryDirectory(prefix="splib-import-") as scratch:
            store = Store(Path(scratch))
            fetcher = Fetcher(store, self.fetch_settings)
            try:
                fetched = fetcher.fetch_url(source, None)
            except FetchError as exc:
                raise SplibError(f"Cannot fetch {source}: {exc}") from None
            finally:
                fetcher.close()
            return store.source_path(fetched.record.sha256).read_bytes()

    def _read_new(self, target: str, store: Store, fetcher: Fetcher, urls: dict[str, str],
                  files: dict[str, str], refused: list[str],
                  ) -> tuple[Path, str, dict[str, object]] | None:
        """The bytes of a report to add (a local file, or a fetched copy in the data folder),
        their sha256 and the fields that say where it is; None, with the reason in `refused`,
        for a report the catalog already holds or that cannot be read."""
        from .keeping import ALREADY, file_sha256, is_address, normal_url

        if is_address(target):
            held = urls.get(normal_url(target))
            if held:
                refused.append(f"{target}: {ALREADY} {held}")
                return None
            try:
                fetched = fetcher.fetch_url(target, None)
            except FetchError as exc:
                refused.append(f"{target}: {exc}")
                return None
            sha = fetched.record.sha256
            source = store.source_path(sha)
            fields: dict[str, object] = {"url": target}
        else:
            source = Path(target)
            digest = file_sha256(source) if source.is_file() else None
            if digest is None:
                refused.append(f"{target}: no such file, or it cannot be read")
                return None
            sha, fields = digest, {}
        if source.stat().st_size == 0:  # a download or copy that did not finish
            refused.append(f"{target}: the file is empty (0 bytes); download or copy it again")
            return None
        if sha in files:
            refused.append(f"{target}: the same report is {ALREADY} {files[sha]}")
            return None
        return source, sha, fields

    def fetch(self, ids: Sequence[str] = (), refetch: bool = False, jobs: int = 1,
              progress: Progress | None = None) -> list[EntryStatus]:
        """Fetch and extract entries (all when `ids` is empty): missing ones, or all with
        `refetch`. Returns the status of the entries asked for."""
        from .ingest import FetchMode, entry_status, no_progress

        progress = progress or no_progress

        catalog = self.catalog()
        reports = catalog.select(list(ids))
        mode = FetchMode.ALL if refetch or ids else FetchMode.MISSING
        with self.store.lock("fetch"):
            records = self._ingest(reports, mode, jobs, progress)
        return [entry_status(r, records.get(r.id)) for r in reports]

    def rebuild(self, refetch: bool = False, offline: bool = False, jobs: int = 1,
                progress: Progress | None = None) -> BuildReport:
        """Fetch what is missing (unless `offline`), extract what is not cached, build a
        fresh index and swap it in atomically."""
        from .build import IndexBuilder
        from .ingest import entry_status, no_progress

        progress = progress or no_progress

        from .extract.isolate import WorkerPool

        started = time.monotonic()
        catalog = self.catalog()
        mode = _mode(refetch, offline)
        with self.store.lock("rebuild"), WorkerPool(self.limits) as pool:
            self.store.sweep_unfinished()
            records = self.store.load_manifest()
            # Children that will have text to extract start now, while the index is opened.
            pool.start(min(jobs, sum(_may_extract(r, records.get(r.id), mode)
                                     for r in catalog.reports)))
            with IndexBuilder(self.store).stream() as stream:
                # Each entry is indexed as soon as its text is ready, while the extraction
                # children work on the next ones.
                records = self._ingest(catalog.reports, mode, jobs, progress, records,
                                       on_done=stream.add, pool=pool)
                pool.close()  # nothing left to extract: no idle children during the commit
                pages = stream.finish(catalog, records)
        return BuildReport(entries=tuple(entry_status(r, records.get(r.id)) for r in catalog),
                           pages=pages, seconds=time.monotonic() - started,
                           notes=_notes(catalog, records))

    def update(self, refetch: bool = False, offline: bool = False, jobs: int = 1,
               progress: Progress | None = None, inbox: Path | None = None) -> BuildReport:
        """Re-index only what changed in the catalog or at the sources since the last build;
        entries whose fetch or extraction failed are tried again. Files in the drop folder
        (`inbox`, default inbox/ beside the catalog) are added first, moved into files/."""
        from .build import IndexBuilder, plan
        from .ingest import entry_status, no_progress

        progress = progress or no_progress

        started = time.monotonic()
        dropped = self._take_inbox(inbox or self.catalog_path.parent / INBOX_FOLDER, progress)
        catalog = self.catalog()
        with self.store.lock("update"):
            self.store.sweep_unfinished()
            records = self.store.load_manifest()
            mode = _mode(refetch, offline)
            stale = [r for r in catalog if _needs_ingest(r, records, mode, self.store)]
            if stale:
                records = self._ingest(stale, mode, jobs, progress, records)
            elif _forget_removed(records, catalog):
                self.store.save_manifest(records)
            builder = IndexBuilder(self.store)
            planned = plan(catalog, records)
            changes = builder.changes(planned)
            mended: tuple[str, ...] = ()
            if changes is not None and not self._index_readable():
                # An update builds on the live index: one whose files are damaged is built
                # again from the kept text instead (nothing is fetched again).
                changes = None
                mended = ("The index's files were damaged; it was built again from the kept "
                          "text.",)
            if changes is None:
                pages = builder.rebuild(catalog, records, progress, planned)
                reindexed = True
            elif changes:
                pages = builder.update(planned, records, changes, progress)
                reindexed = True
            else:
                current = self.store.current_index()
                pages = _meta_pages(current)
                reindexed = False
        return BuildReport(entries=tuple(entry_status(r, records.get(r.id)) for r in catalog),
                           pages=pages, seconds=time.monotonic() - started, changes=changes,
                           reindexed=reindexed,
                           notes=mended + dropped + _notes(catalog, records))

    def _index_readable(self) -> bool:
        """Whether the live index opens for searching (its table of contents and segments
        read); one missing is not damaged (the build makes it)."""
        try:
            self._with_index(_open_searcher)
        except IndexDamagedError:
            return False
        except SplibError:
            pass
        return True

    def _take_inbox(self, inbox: Path, progress: Progress) -> tuple[str, ...]:
        """Add the files in the drop folder `inbox` (moved into files/); what to tell."""
        from .keeping import expand, hidden

        if not inbox.is_dir():
            return ()
        readable = expand([str(inbox)])
        # What was dropped but is of no kind splib reads (a .zip, a .docx) stays and is named;
        # what the system or an open document leaves there (Thumbs.db, ~$draft.docx) is not.
        others = sorted(p for p in inbox.rglob("*") if p.is_file() and str(p) not in readable
                        and not hidden(p, inbox) and not p.name.startswith("~$")
                        and p.name.lower() not in SYSTEM_FILES)
        left = [f"Left {p.relative_to(inbox)} in {inbox.name}/: splib adds files ending .pdf, "
                ".html, .txt or a picture's ending (unpack it, rename it, or save it as one of "
                "those)." for p in others]
        if not readable:
            return tuple(left)
        added = self.add([str(inbox)], place="move", progress=progress)
        told = [f"{'Refused' if refusal in added.failed else 'Skipped'} {refusal}; the file "
                f"stays in {inbox.name}/." for refusal in added.refused] + left
        told.extend(added.notes)
        if added.entries:
            ids = ", ".join(str(e["id"]) for e in added.entries)
            whose = "its title" if len(added.entries) == 1 else "their titles"
            told.insert(0, f"{plural(len(added.entries), 'report')} added from {inbox.name}/ "
                           f"({ids}); check {whose} with `splib show ID`.")
        return tuple(told)

    def _ingest(self, reports: Sequence[Report], mode: FetchMode, jobs: int,
                progress: Progress, records: dict[str, EntryRecord] | None = None,
                on_done: Callable[[Report, EntryRecord], None] | None = None,
                pool: WorkerPool | None = None) -> dict[str, EntryRecord]:
        """Fetch and extract `reports`; `pool`: extraction children the caller owns (else
        this run's own, closed at the end)."""
        from .extract.isolate import WorkerPool
        from .fetch import Fetcher
        from .ingest import Ingester

        fetcher = Fetcher(self.store, self.fetch_settings)
        own = pool is None
        pool = pool or WorkerPool(self.limits)
        try:
            ingester = Ingester(self.store, fetcher, pool)
            current = records if records is not None else self.store.load_manifest()
            _forget_removed(current, self.catalog())
            return ingester.ingest(reports, current, mode, jobs, progress, on_done)
        except OSError as exc:
            raise disk_error(exc, "saving fetched files") from None
        finally:
            fetcher.close()
            if own:
                pool.close()


def default_catalog() -> Path:
    """The catalog of a command given none: `corpus/catalog.toml` when there is one, else
    `catalog.toml` in the working folder when there is one (a keeper standing in their
    library's folder); with neither, `corpus/catalog.toml` where there is a `corpus` folder
    (this project's layout), else `catalog.toml` here (a keeper starting a library with
    `splib add`)."""
    here = Path(HERE_CATALOG)
    if DEFAULT_CATALOG.is_file() or (not here.is_file() and DEFAULT_CATALOG.parent.is_dir()):
        return DEFAULT_CATALOG
    return here


def default_data(catalog: Path) -> Path:
    """The data folder of a catalog given none: `.splib` beside the catalog file, so a
    library is found from any folder. A data folder that an earlier splib made in the folder
    above the catalog (the working folder of `splib rebuild` in a project whose catalog is
    `corpus/catalog.toml`) is used while there is none beside the catalog."""
    beside = catalog.parent / DATA_NAME
    above = catalog.parent.parent / DATA_NAME
    # Only for that layout: any other catalog's folder above may hold another library's data.
    if not beside.exists() and catalog.parent.resolve().name == LEGACY_FOLDER \
            and (above / "manifest.json").is_file():
        return above
    return beside


def _title_key(title: str, organization: str) -> str:
    """One report as a listing names it: its title and its organisation, any case."""
    return " ".join(re.findall(r"\w+", f"{title} / {organization}".casefold()))


def _entry(guessed: dict[str, Any], fields: dict[str, object], name: str,
           ids: set[str]) -> dict[str, object]:
    """A catalog entry from what the file suggested (`metadata.Guess` as JSON) and where it
    is; the title falls back to the file's name, the id is a readable slug unique in `ids`."""
    from .keeping import title_from_name
    from .metadata import Guess, slug

    guess = Guess.from_json(guessed) if guessed else Guess()
    title = guess.title or title_from_name(name)
    named = replace(guess, title=title)
    return {"id": slug(named, ids), "title": title, "organization": guess.organization,
            "authors": list(guess.authors), "date": guess.date, "summary": guess.summary,
            **fields}


def _notes(catalog: Catalog, records: dict[str, EntryRecord]) -> tuple[str, ...]:
    """What a rebuild tells the library keeper beyond each entry's state: a catalog with no
    entries, and one file catalogued under several ids."""
    from .ingest import entry_status

    if not catalog.reports:
        return (f"{catalog.path} lists no reports yet: add them with `splib add FILE|FOLDER|"
                "URL` or `splib import LISTING` (README, 'Adding reports'), then run "
                "`splib update`.",)
    by_file: dict[str, list[str]] = {}
    for report in catalog:
        record = records.get(report.id)
        if record is not None and record.source is not None and \
                entry_status(report, record).state == "text":
            by_file.setdefault(record.source.sha256, []).append(report.id)
    return tuple(
        f"{', '.join(ids[:-1])} and {ids[-1]} are the same file: results show it "
        f"{len(ids)} times. If that is a mistake, remove all but one from the catalog."
        for ids in by_file.values() if len(ids) > 1)


def _mode(refetch: bool, offline: bool) -> FetchMode:
    from .ingest import FetchMode

    if offline:
        return FetchMode.NONE
    return FetchMode.ALL if refetch else FetchMode.MISSING


def _open_searcher(index: Index) -> None:
    """Open a searcher on `index` (reading its segments' tables) and close it."""
    with index.searcher(B, K1) as searcher:
        searcher.doc_count()


def _forget_removed(records: dict[str, EntryRecord], catalog: Catalog) -> bool:
    """Drop from `records` the entries the catalog no longer has; whether there were any."""
    removed = [k for k in records if catalog.find(k) is None]
    for report_id in removed:
        del records[report_id]
    return bool(removed)


def _needs_ingest(report: Report, records: dict[str, EntryRecord], mode: FetchMode,
                  store: Store) -> bool:
    """Whether `update` must fetch or extract `report` again."""
    from .ingest import wants_fetch

    record = records.get(report.id)
    if wants_fetch(report, record, mode, store):
        return True
    # A password added to the catalog, or a newer extractor, needs the text again; a cached
    # failure under the same key is read back cheaply.
    if record is None or record.source is None:
        return False
    if record.extract_retry:
        return True  # its text lacks pages for a reason that may have passed
    key = _text_key(report, record.source)
    # Its kept text gone (deleted, or found damaged when read and removed): extracted again.
    return record.text_key != key or not store.has_text(key)


def _may_extract(report: Report, record: EntryRecord | None, mode: FetchMode) -> bool:
    """Whether a rebuild is likely to extract `report`'s file: not read yet, or its text not
    kept under its present key. (A guess that only decides whether extraction children start
    early: a local file edited since is found when it is read.)"""
    from .ingest import FetchMode

    if record is None or record.source is None:
        return report.path is not None or (bool(report.url) and mode is not FetchMode.NONE)
    if record.extract_error:
        return record.extract_retry
    return record.text_key != _text_key(report, record.source)


def _text_key(report: Report, source: SourceRecord) -> str:
    """The key `report`'s text from `source` is kept under with the catalog's present
    password and OCR settings."""
    from .extract.ocr import OcrSettings

    ocr = OcrSettings(languages=report.languages, enabled=report.ocr)
    return Store.text_key(source.sha256, report.password, ocr)


def _meta_pages(current: Path | None) -> int:
    return int(read_meta(current).get("pages", 0)) if current else 0


# How long before it was read a file must have last changed for its times to vouch for it.
RACY_NS = 2_000_000_000


def _identity(stat: os.stat_result) -> tuple[int, ...]:
    """A file's inode, size, modification and change times: the change time moves with any
    write, even one that sets the modification time back (`cp -p`, `touch -d`)."""
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
