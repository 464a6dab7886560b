"""splib: full-text search over a curated library of reports.

The public API is `Library`; everything the CLI does goes through it.

    from indexer import Library
    lib = Library(catalog="corpus/catalog.toml")  # its data folder: corpus/.splib
    lib.rebuild()
    for hit in lib.search('"T visa" certification').results:
        print(hit.title, [s.page for s in hit.snippets])
"""

from __future__ import annotations

from .catalog import Catalog, Report
from .errors import (
    BusyError,
    CatalogError,
    ExtractionError,
    FetchError,
    IndexMissingError,
    NotFoundError,
    QueryError,
    SplibError,
)
from .extract import Document, Page
from .extract.isolate import Limits
from .fetch import FetchSettings
from .ingest import EntryStatus
from .library import BuildReport, Library, ReportView
from .results import Hit, SearchResults, Snippet

__all__ = [
    "BuildReport",
    "BusyError",
    "Catalog",
    "CatalogError",
    "Document",
    "EntryStatus",
    "ExtractionError",
    "FetchError",
    "FetchSettings",
    "Hit",
    "IndexMissingError",
    "Library",
    "Limits",
    "NotFoundError",
    "Page",
    "QueryError",
    "Report",
    "ReportView",
    "SearchResults",
    "Snippet",
    "SplibError",
]
