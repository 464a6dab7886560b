"""The one error boundary of splib.

Everything the library raises for a person to read is a `SplibError` whose message names the
cause and the remedy. The CLI turns these into one-line messages (exit 1); anything else that
escapes is a bug. `FetchError` and `ExtractionError` are also recorded as values per catalog
entry, so one bad report never stops the rest of the library.
"""

from __future__ import annotations


class SplibError(Exception):
    """A failure a person can act on; the message says what happened and what to do."""


class CatalogError(SplibError):
    """The catalog file is missing, malformed or invalid."""


class FetchError(SplibError):
    """A report's source could not be fetched (network, HTTP status, size, scheme)."""


class ExtractionError(SplibError):
    """A report's bytes could not be turned into text (encrypted, scanned, damaged, timed out)."""


class IndexMissingError(SplibError):
    """There is no index to search yet."""


class BusyError(SplibError):
    """Another rebuild or update holds the data folder's lock."""


class QueryError(SplibError):
    """The search query cannot be read or is too long."""


class NotFoundError(SplibError):
    """An id or page that the catalog or the index does not have."""
