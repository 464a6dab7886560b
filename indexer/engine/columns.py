"""Whoosh's column stores, read document by document across an index's segments."""

from __future__ import annotations

import bisect
from typing import Any


class Column:
    """A column's value for each document of a reader, segment by segment.

    Whoosh's own reader over several segments misplaces the values of a column that some
    segment lacks (no document of it had the field: an update's segment of undated reports);
    here such a segment gives the column's empty value.
    """

    def __init__(self, reader: Any, field: str) -> None:
        self.starts: list[int] = []
        self.columns: list[Any] = []
        for leaf, start in reader.leaf_readers():
            self.starts.append(start)
            self.columns.append(leaf.column_reader(field) if leaf.has_column(field) else None)

    def __getitem__(self, doc: int) -> Any:
        at = bisect.bisect_right(self.starts, doc) - 1
        column = self.columns[at]
        return None if column is None else column[doc - self.starts[at]]

    def text(self, doc: int) -> str:
        """The value for `doc` as text ("" for none)."""
        value = self[doc]
        return value.decode("utf-8") if isinstance(value, bytes) else str(value or "")
