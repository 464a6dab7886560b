"""splib: full-text search over a curated library of reports.

The public API is `Library`; everything the CLI does goes through it.

    from indexer import Library
    lib = Library(catalog="corpus/catalog.toml")  # its data folder: corpus/.splib
    lib.rebuild()
    for hit in lib.search('"T visa" certification').results:
        print(hit.title, [s.page for s in hit.snippets])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from .catalog import Catalog, Report
    from .extract import Document, Page
    from .extract.isolate import Limits
    from .fetch import FetchSettings
    from .ingest import EntryStatus
    from .library import BuildReport, Library, ReportView
    from .results import Hit, SearchResults
    from .snippets import Snippet

# Loaded when first asked for: `splib --help` (which imports this package) loads none of them.
_LAZY = {
    "Catalog": "catalog", "Report": "catalog", "Document": "extract", "Page": "extract",
    "Limits": "extract.isolate", "FetchSettings": "fetch", "EntryStatus": "ingest",
    "BuildReport": "library", "Library": "library", "ReportView": "library",
    "Hit": "results", "SearchResults": "results", "Snippet": "snippets",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


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
