"""Build and update the index from the catalog and the extracted text.

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
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .acronyms import ACRONYMS_FILE, AcronymCollector
from .acronyms import load as load_acronyms
from .catalog import Catalog, Report
from .engine import (
    SCHEMA_VERSION,
    IndexDocument,
    IndexWriter,
    clone_index,
    create_index,
)
from .extract import Document
from .ingest import EntryStatus, Progress, ProgressEvent, entry_status, no_progress
from .store import META, EntryRecord, Store, disk_error, now_iso, read_meta
from .words import EMPTY, WORDS_FILE, WordCollector, load

log = logging.getLogger(__name__)

# Written beside each generation's index by the build: never shared with another generation.
OWN_FILES = frozenset({META, WORDS_FILE, ACRONYMS_FILE})


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


def documents(report: Report, status: EntryStatus,
              doc: Document | None) -> Iterator[IndexDocument]:
    """What the index holds for one report: its catalog entry, then one per page of text."""
    common: dict[str, Any] = {
        "report": report.id, "title": report.title, "organization": report.organization,
        "authors": "; ".join(report.authors), "date": report.date,
        "url": status.url or report.url, "source": status.source or "", "year": report.year,
    }
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
    # A title alone is a passage only where there is no other: every page carries it.
    yield IndexDocument(**common, kind="entry", page=0, summary=summary,
                        passage=bool(summary or not pages))
    for page in pages:
        yield IndexDocument(**common, kind="page", page=page.number, text=page.text,
                            label=page.label,
                            ocr=(page.confidence if page.confidence is not None else 0.0)
                            if page.ocr else None)


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

    def add(self, document: IndexDocument) -> None:
        """The text of one document: its page text, or its entry's title, organisation and
        summary."""
        if document.kind == "page":
            self.words.add(document.text)
            self.acronyms.add(document.text)
        else:
            self.words.add(document.title)
            self.words.add(document.summary)
            # The catalog's names define acronyms too: "U.S. Department of Health and Human
            # Services (HHS)" as an organisation.
            for named in (document.title, document.organization, document.summary):
                self.acronyms.add(named)

    def save(self, folder: Path) -> None:
        self.words.save(folder)
        self.acronyms.save(folder)


@dataclass(frozen=True)
class Planned:
    """A catalog entry as the next index generation will hold it."""

    report: Report
    status: EntryStatus
    fingerprint: str


def plan(catalog: Catalog, records: dict[str, EntryRecord]) -> list[Planned]:
    """Each catalog entry with its status and fingerprint, in catalog order."""
    steps = []
    for report in catalog:
        record = records.get(report.id)
        status = entry_status(report, record)
        steps.append(Planned(report, status, fingerprint(report, status, record)))
    return steps


class IndexBuilder:
    """Writes index generations into a `Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def rebuild(self, catalog: Catalog, records: dict[str, EntryRecord],
                progress: Progress = no_progress, planned: list[Planned] | None = None) -> int:
        """Index every entry into a fresh generation and make it live; return pages indexed.
        `planned`: the catalog's plan, when the caller has it."""
        with self.stream() as stream:
            progress(ProgressEvent("Indexing", 0, len(catalog)))
            for done, report in enumerate(catalog, start=1):
                stream.add(report, records.get(report.id))
                progress(ProgressEvent("Indexing", done, len(catalog), report.id))
            return stream.finish(catalog, records, planned)

    @contextlib.contextmanager
    def stream(self) -> Iterator[Generation]:
        """A new index generation taking entries as they come; made live by `finish`.

        A rebuild feeds it while extraction children are still working, so the index is
        written on one core while text is extracted on the other.
        """
        target = self.store.new_index_dir()
        with self._writing(target, "writing the index") as generation:
            generation.open(create_index(target))
            yield generation

    @contextlib.contextmanager
    def _writing(self, target: Path, doing: str) -> Iterator[Generation]:
        """A generation written into `target`; on any failure, cancelled and removed."""
        generation = Generation(self.store, target)
        try:
            yield generation
        except BaseException as exc:
            generation.cancel()
            shutil.rmtree(target, ignore_errors=True)
            if isinstance(exc, OSError):
                raise disk_error(exc, doing) from None
            raise

    def changes(self, planned: list[Planned]) -> IndexChanges | None:
        """What differs from the live index, or None when there is no usable live index."""
        current = self.store.current_index()
        if current is None:
            return None
        meta = read_meta(current)
        if meta.get("schema") != SCHEMA_VERSION:
            return None
        old: dict[str, str] = meta.get("fingerprints", {})
        new = {step.report.id: step.fingerprint for step in planned}
        return IndexChanges(
            added=tuple(i for i in new if i not in old),
            changed=tuple(i for i in new if i in old and old[i] != new[i]),
            removed=tuple(i for i in old if i not in new),
        )

    def update(self, planned: list[Planned], records: dict[str, EntryRecord],
               changes: IndexChanges, progress: Progress = no_progress) -> int:
        """Re-index only `changes` in a clone of the live index; return pages indexed."""
        current = self.store.current_index()
        assert current is not None
        target = self.store.new_index_dir()
        with self._writing(target, "updating the index") as generation:
            generation.open(clone_index(current, target, OWN_FILES), TextCollector(current))
            for report_id in sorted(set(changes.changed) | set(changes.removed)):
                generation.delete(report_id)
            redo = set(changes.added) | set(changes.changed)
            steps = [step for step in planned if step.report.id in redo]
            progress(ProgressEvent("Indexing", 0, len(steps)))
            for done, step in enumerate(steps, start=1):
                generation.add(step.report, records.get(step.report.id), step.status)
                progress(ProgressEvent("Indexing", done, len(steps), step.report.id))
            # Words of removed pages stay listed: a suggestion is only shown when it finds
            # reports, so a stale word costs nothing.
            return generation.commit(planned, count=True)


class Generation:
    """One index generation being written: the one path by which an entry's documents go
    into the index (a rebuild's stream and an update alike)."""

    def __init__(self, store: Store, target: Path) -> None:
        self.store = store
        self.target = target
        self.writer: IndexWriter | None = None
        self.pages = 0
        self.added: set[str] = set()
        self.learned = TextCollector()

    def open(self, writer: IndexWriter, learned: TextCollector | None = None) -> None:
        self.writer = writer
        self.learned = learned or TextCollector()

    def delete(self, report_id: str) -> None:
        assert self.writer is not None
        self.writer.delete_report(report_id)

    def add(self, report: Report, record: EntryRecord | None,
            status: EntryStatus | None = None) -> None:
        """Write `report`'s catalog entry and pages (once per id: the engine would keep both
        copies of a document added twice)."""
        assert self.writer is not None
        if report.id in self.added:
            return
        self.added.add(report.id)
        status = status or entry_status(report, record)
        text = self.store.document(record) if record and status.state == "text" else None
        for document in documents(report, status, text):
            self.writer.add(document)
            self.pages += document.kind == "page"
            self.learned.add(document)

    def finish(self, catalog: Catalog, records: dict[str, EntryRecord],
               planned: list[Planned] | None = None) -> int:
        """Add what is missing, commit, and make the generation live; return pages indexed."""
        planned = planned if planned is not None else plan(catalog, records)
        for step in planned:
            self.add(step.report, records.get(step.report.id), step.status)
        return self.commit(planned)

    def commit(self, planned: list[Planned], count: bool = False) -> int:
        """Commit, save what the build learned, and make the generation live; the pages in
        it (counted in the index when `count`: an update keeps pages it did not write)."""
        assert self.writer is not None
        self.writer.commit()
        pages = self.writer.pages() if count else self.pages
        self.learned.save(self.target)
        meta = {"schema": SCHEMA_VERSION, "built_at": now_iso(), "pages": pages,
                "entries": len(planned),
                "fingerprints": {step.report.id: step.fingerprint for step in planned}}
        (self.target / META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        self.store.publish_index(self.target)
        return pages

    def cancel(self) -> None:
        if self.writer is not None:
            self.writer.cancel()
