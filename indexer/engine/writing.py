"""Writing index generations with Whoosh: the `IndexWriter` of the engine interface."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from . import IndexDocument
from .codec import LeanCodec
from .schema import make_schema

log = logging.getLogger(__name__)

# Whoosh's writer buffers postings in memory up to this many MB before flushing a segment.
WRITER_LIMIT_MB = 256


class WhooshWriter:
    """Documents going into one index generation; nothing is visible before `commit`."""

    def __init__(self, ix: Any) -> None:
        self.ix = ix
        self.writer = ix.writer(limitmb=WRITER_LIMIT_MB, codec=LeanCodec())

    def add(self, document: IndexDocument) -> None:
        d = document
        fields: dict[str, Any] = {
            "report": d.report, "kind": d.kind, "page": d.page, "title": d.title,
            "org": d.organization, "organization": d.organization, "author": d.authors,
            "date": d.date, "url": d.url, "source": d.source,
        }
        if d.year is not None:
            fields["year"] = d.year
        if d.kind == "entry":
            fields["summary"] = d.summary
        else:
            fields["label"] = d.label
        if d.ocr is not None:
            fields["ocr"] = d.ocr
        if d.passage:
            # `body` is searched as the title with the summary or the page's text; what is
            # stored (and shown) is the page's text alone.
            written = d.summary if d.kind == "entry" else d.text
            fields.update(body=f"{d.title}\n{written}", _stored_body=d.text, has="body")
        self.writer.add_document(**fields)

    def delete_report(self, report: str) -> None:
        self.writer.delete_by_term("report", report)

    def commit(self) -> None:
        self.writer.commit()

    def cancel(self) -> None:
        """Give up what was written (a failed commit can leave Whoosh's write lock held;
        cancelling releases it). Never raises: the failure that led here is the one to tell."""
        if self.writer.is_closed:
            return
        try:
            self.writer.cancel()
        except Exception as exc:
            log.debug("cancelling the writer failed too: %s", exc)

    def pages(self) -> int:
        """Pages in the committed index."""
        from whoosh.query import Term  # here: a rebuild's commit needs no query classes

        with self.ix.searcher() as searcher:
            return len(searcher.search(Term("kind", "page"), limit=None, scored=False))


def create(folder: Path) -> WhooshWriter:
    return WhooshWriter(whoosh_index.create_in(str(folder), make_schema()))


def clone(source: Path, folder: Path, own: frozenset[str] = frozenset()) -> WhooshWriter:
    """`own`: names of files the caller writes beside the index; they are not linked, so that
    writing the clone's copy cannot change the live generation's."""
    for item in source.iterdir():
        if item.is_file() and not item.name.endswith("WRITELOCK") and item.name not in own:
            os.link(item, folder / item.name)
    return WhooshWriter(whoosh_index.open_dir(str(folder)))
