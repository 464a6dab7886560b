"""Small helpers for messages people read: counts with the right noun, TOML values in words."""

from __future__ import annotations

import datetime as dt
from typing import Any


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 report`, `2 reports`, `0 entries` (give `nouns` when adding "s" is wrong)."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def toml_kind(value: Any) -> str:
    """What a TOML value is, in a library keeper's words, with the value as written."""
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return f"a date without quotes ({value.isoformat()})"
    if isinstance(value, int | float):
        return f"a number without quotes ({value})"
    if isinstance(value, list):
        return "a list [...]"
    if isinstance(value, dict):
        return "a table {...}"
    if isinstance(value, str):
        return f"the text {value!r}"
    return "something else"


# Where a report's text came from (`EntryRecord.source`), as results say it.
SOURCE_WORDS = {"archive": "text from the web archive", "cache": "text from an earlier copy",
                "path": "text from a local file", "origin": "text from the source"}
