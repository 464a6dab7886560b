"""Build and update the Whoosh index from the catalog and the extracted text.

A rebuild writes a new index generation beside the live one and swaps it in with one atomic
rename (see `Store.publish_index`): searches keep answering from the old generation meanwhile,
and a rebuild that fails or is killed leaves the old one live. An update clones the live
generation with hard links (Whoosh never rewrites a committed file), re-indexes only the
entries whose fingerprint changed, and swaps the same way.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .acronyms import AcronymCollector
from .acronyms import load as load_acronyms
from .catalog import Catalog, Report
from .errors import SplibError
from .extract import Document
from .ingest import EntryStatus, Progress, entry_status, no_progress
from .schema import SCHEMA_VERSION, make_schema
from .store import EntryRecord, Store, disk_error, now_iso
from .words import EMPTY, WordCollector, load

log = logging.getLogger(__name__)

META = "splib-meta.json"
# Whoosh's writer buffers postings in memory up to this many MB before flushing a segment.
WRITER_LIMIT_MB = 256


@dataclass(frozen=True)
class IndexChanges:
    """What an update found different between the catalog and the live index."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def fingerprint(report: Report, status: EntryStatus, record: EntryRecord | None) -> str:
    """Changes whenever what the index holds for `report` would change."""
    key = record.text_key if record and status.state == "text" else "-"
    return f"{report.fingerprint()}|{key}|{status.source}|{status.url}|{SCHEMA_VERSION}"


def read_meta(index_dir: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((index_dir / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def documents(report: Report, status: EntryStatus,
              doc: Document | None) -> Iterator[dict[str, Any]]:
    """The Whoosh documents for one report: its catalog entry, then one per page of text."""
    common: dict[str, Any] = {
        "report": report.id, "title": report.title, "org": report.organization,
        "author": "; ".join(report.authors), "date": report.date,
        "url": status.url or report.url, "source": status.source or "",
    }
    if report.year is not None:
        common["year"] = report.year
    summary_parts = [report.summary, *report.topics]
    if report.prepared_for:
        summary_parts.append(f"Prepared for {report.prepared_for}")
    # Parts apart as a reader sees them: "Center. · Overview of", never "Center.; Overview of".
    summary = " \u00b7 ".join(p for p in summary_parts if p)
    # `body` holds every word of a document: the title and the summary for the entry, the
    # title and the page's text for a page. BM25 then counts a word once over all of them
    # (saturating and normalising its length once, as BM25F does) rather than once in the
    # title and again in the text, and entries and pages share one set of statistics, so a
    # report is ranked by its best passage. What is stored, shown in snippets, is the page
    # alone (an entry stores no body: its summary is shown from `summary`).
    pages = [page for page in doc.pages if page.text] if doc is not None else []
    entry = {**common, "docid": f"{report.id}#entry", "kind": "entry", "page": 0,
             "summary": summary}
    if summary or not pages:
        # A title alone is a passage only where there is no other: every page carries it.
        entry.update(body=f"{report.title}\n{summary}", _stored_body="", has="body")
    yield entry
    for page in pages:
        yield {**common, "docid": f"{report.id}#p{page.number}", "kind": "page",
               "page": page.number, "label": page.label,
               **({"ocr": page.confidence if page.confidence is not None else 0.0}
                  if page.ocr else {}),
               "body": f"{report.title}\n{page.text}", "_stored_body": page.text, "has": "body"}


class TextCollector:
    """What the build learns from the text it indexes, saved beside the index: the written
    words with their counts (`words.py`) and the acronyms the text defines (`acronyms.py`)."""

    def __init__(self, current: Path | None = None) -> None:
        self.words = WordCollector(load(str(current)) if current else EMPTY)
        self.acronyms = AcronymCollector()
        if current:
            # An update re-reads only what changed: the rest of the library's definitions
            # are carried over from the generation it clones.
            for short, long in load_acronyms(str(current)).items():
                self.acronyms.counts[(short, long)] += 1

    def add(self, fields: dict[str, Any]) -> None:
        """The text of one document: its page text, or its entry's title and summary."""
        if fields["kind"] == "page":
            text = fields.get("_stored_body", "")
            self.words.add(text)
            self.acronyms.add(text)
        else:
            self.words.add(fields.get("title", ""))
            self.words.add(fields.get("summary", ""))
            self.acronyms.add(fields.get("summary", ""))

    def save(self, folder: Path) -> None:
        self.words.save(folder)
        self.acronyms.save(folder)


class IndexBuilder:
    """Writes index generations into a `Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _plan(self, catalog: Catalog, records: dict[str, EntryRecord]) \
            -> list[tuple[Report, EntryStatus, str]]:
        plan = []
        for report in catalog:
            status = entry_status(report, records.get(report.id))
            plan.append((report, status, fingerprint(report, status, records.get(report.id))))
        return plan

    def _text(self, status: EntryStatus, record: EntryRecord | None) -> Document | None:
        return self.store.document(record) if status.state == "text" else None

    def rebuild(self, catalog: Catalog, records: dict[str, EntryRecord],
                progress: Progress = no_progress) -> int:
        """Index every entry into a fresh generation and make it live; return pages indexed."""
        with self.stream() as stream:
            progress("Indexing", 0, len(catalog))
            for done, report in enumerate(catalog, start=1):
                stream.add(report, records.get(report.id))
                progress(f"Indexing ({report.id})", done, len(catalog))
            return stream.finish(catalog, records)

    @contextlib.contextmanager
    def stream(self) -> Iterator[IndexStream]:
        """A new index generation taking entries as they come; made live by `finish`.

        A rebuild feeds it while extraction children are still working, so the index is
        written on one core while text is extracted on the other.
        """
        from whoosh import index

        target = self.store.new_index_dir()
        writer = None
        try:
            ix = index.create_in(str(target), make_schema())
            writer = ix.writer(limitmb=WRITER_LIMIT_MB)
            yield IndexStream(self, target, writer)
        except BaseException as exc:
            if writer is not None and not writer.is_closed:
                # A failed commit can leave Whoosh's write lock held; cancel releases it.
                with contextlib.suppress(Exception):
                    writer.cancel()
            shutil.rmtree(target, ignore_errors=True)
            if isinstance(exc, OSError):
                raise disk_error(exc, "writing the index") from None
            raise

    def changes(self, catalog: Catalog, records: dict[str, EntryRecord]) -> IndexChanges | None:
        """What differs from the live index, or None when there is no usable live index."""
        current = self.store.current_index()
        if current is None:
            return None
        meta = read_meta(current)
        if meta.get("schema") != SCHEMA_VERSION:
            return None
        old: dict[str, str] = meta.get("fingerprints", {})
        new = {report.id: fp for report, _, fp in self._plan(catalog, records)}
        return IndexChanges(
            added=tuple(i for i in new if i not in old),
            changed=tuple(i for i in new if i in old and old[i] != new[i]),
            removed=tuple(i for i in old if i not in new),
        )

    def update(self, catalog: Catalog, records: dict[str, EntryRecord], changes: IndexChanges,
               progress: Progress = no_progress) -> int:
        """Re-index only `changes` in a clone of the live index; return pages indexed."""
        from whoosh import index

        current = self.store.current_index()
        assert current is not None
        target = self.store.new_index_dir()
        try:
            for item in current.iterdir():
                if item.is_file() and not item.name.endswith("WRITELOCK"):
                    os.link(item, target / item.name)
            ix = index.open_dir(str(target))
            redo = set(changes.added) | set(changes.changed)
            plan = [step for step in self._plan(catalog, records) if step[0].id in redo]
            stale = set(changes.changed) | set(changes.removed)
            collector = TextCollector(current)
            self._write(ix, plan, records, tuple(sorted(stale)), progress, collector)
            pages = self._count_pages(ix)
            # Words of removed pages stay listed: a suggestion is only shown when it finds
            # reports, so a stale word costs nothing.
            self._finish(target, self._plan(catalog, records), pages, collector)
        except BaseException as exc:
            shutil.rmtree(target, ignore_errors=True)
            if isinstance(exc, OSError):
                raise disk_error(exc, "updating the index") from None
            raise
        return pages

    @staticmethod
    def _count_pages(ix: Any) -> int:
        from whoosh.query import Term

        with ix.searcher() as searcher:
            return len(searcher.search(Term("kind", "page"), limit=None, scored=False))

    def _write(self, ix: Any, plan: Iterable[tuple[Report, EntryStatus, str]],
               records: dict[str, EntryRecord], delete: tuple[str, ...],
               progress: Progress, collector: TextCollector) -> int:
        steps = list(plan)
        writer = ix.writer(limitmb=WRITER_LIMIT_MB)
        pages = 0
        try:
            for report_id in delete:
                writer.delete_by_term("report", report_id)
            progress("Indexing", 0, len(steps))
            for done, (report, status, _) in enumerate(steps, start=1):
                doc = self._text(status, records.get(report.id))
                for fields in documents(report, status, doc):
                    writer.add_document(**fields)
                    pages += fields["kind"] == "page"
                    collector.add(fields)
                progress(f"Indexing ({report.id})", done, len(steps))
            writer.commit()
        except BaseException:
            # A failed commit can leave Whoosh's write lock held; cancel releases it.
            try:
                writer.cancel()
            except Exception as exc:  # the original failure is the one to report
                log.debug("cancelling the writer failed too: %s", exc)
            raise
        return pages

    def _finish(self, target: Path, plan: list[tuple[Report, EntryStatus, str]],
                pages: int, collector: TextCollector) -> None:
        collector.save(target)
        meta = {"schema": SCHEMA_VERSION, "built_at": now_iso(), "pages": pages,
                "entries": len(plan),
                "fingerprints": {report.id: fp for report, _, fp in plan}}
        (target / META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        self.store.publish_index(target)


class IndexStream:
    """Entries going into a new index generation (see `IndexBuilder.stream`)."""

    def __init__(self, builder: IndexBuilder, target: Path, writer: Any) -> None:
        self.builder = builder
        self.target = target
        self.writer = writer
        self.pages = 0
        self.added: set[str] = set()
        self.learned = TextCollector()

    def add(self, report: Report, record: EntryRecord | None) -> None:
        """Write `report`'s catalog entry and pages (once per id)."""
        if report.id in self.added:
            return  # Whoosh would keep both copies of a document added twice
        self.added.add(report.id)
        status = entry_status(report, record)
        for fields in documents(report, status, self.builder._text(status, record)):
            self.writer.add_document(**fields)
            self.pages += fields["kind"] == "page"
            self.learned.add(fields)

    def finish(self, catalog: Catalog, records: dict[str, EntryRecord]) -> int:
        """Add what is missing, commit, and make the generation live; return pages indexed."""
        for report in catalog:
            self.add(report, records.get(report.id))
        self.writer.commit()
        self.builder._finish(self.target, self.builder._plan(catalog, records), self.pages,
                             self.learned)
        return self.pages


def open_current(store: Store) -> Any:
    """Open the live index for reading; raise a person's message when there is none."""
    from whoosh import index

    from .errors import IndexMissingError

    for _ in range(3):  # CURRENT may move under us between reading it and opening the folder
        current = store.current_index()
        if current is None:
            raise IndexMissingError(
                f"No index in {store.root} yet. Run `splib rebuild` first."
            )
        built_by = read_meta(current).get("schema")
        if built_by != SCHEMA_VERSION:
            # Its words were cut or stemmed another way: searching it would miss or mismatch.
            raise IndexMissingError(
                f"The index in {store.root} was built by another version of splib. Run "
                "`splib update` (or `splib rebuild`) to build it again from the saved text."
            )
        try:
            return index.open_dir(str(current))
        except (FileNotFoundError, index.EmptyIndexError):
            continue
        except OSError as exc:
            raise SplibError(f"Cannot open the index in {current}: {exc.strerror}.") from None
    raise SplibError(f"The index in {store.root} kept changing while opening it; try again.")
