"""The one error boundary of splib.

Everything the library raises for a person to read is a `SplibError` whose message names the
cause and the remedy. The CLI turns these into one-line messages (exit 1); anything else that
escapes is a bug. `FetchError` and `ExtractionError` are also recorded as values per catalog
entry, so one bad report never stops the rest of the library.
"""

from __future__ import annotations


def brief(exc: BaseException, limit: int = 200) -> str:
    """An exception's message on one line, cut to `limit` characters (its type's name when it
    has none): how a third-party failure is quoted in a message of ours."""
    return " ".join(str(exc).split())[:limit] or type(exc).__name__


class SplibError(Exception):
    """A failure a person can act on; the message says what happened and what to do."""


class CatalogError(SplibError):
    """The catalog file is missing, malformed or invalid."""


class NotACatalogError(CatalogError):
    """The file named as the catalog is a report (a PDF, a web page): the person named the
    wrong file, which no keeper's fix of the catalog mends."""


class FetchError(SplibError):
    """A report's source could not be fetched (network, HTTP status, size, scheme)."""


class ExtractionError(SplibError):
    """A report's bytes could not be turned into text (encrypted, damaged, timed out...).

    `kind` names the failure for code to decide on ("not-a-report" for bytes that are no
    report at all; "" otherwise); `transient` is true for what may not happen again (a time
    limit hit on a busy machine, a crashed extractor): such a failure is retried by the next
    update, any other is remembered with the file's text cache."""

    def __init__(self, message: str, kind: str = "", transient: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.transient = transient


class IndexMissingError(SplibError):
    """There is no index to search yet."""


class IndexDamagedError(SplibError):
    """The index's files cannot be read (cut short, overwritten): a rebuild makes them again."""


class BusyError(SplibError):
    """Another rebuild or update holds the data folder's lock."""


class QueryError(SplibError):
    """The search query cannot be read or is too long."""


class NotFoundError(SplibError):
    """An id or page that the catalog or the index does not have."""
