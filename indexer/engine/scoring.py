"""Ranking: BM25 with field statistics taken over the documents that carry each field.

The index holds catalog entries (title, summary, and as `body` the title with the summary when
there is one) and pages (title, and as `body` the title with the page's text). Whoosh's BM25F
averages a field's length and counts its documents over the whole index, so documents without
a field would shorten its average length and make every other look long; and its IDF is
`log(N / (df + 1)) + 1`, not BM25's. Here each field's average length, document count and IDF
come from the documents that carry it, with the probabilistic IDF of BM25 (Lucene's
`log(1 + (N - df + 0.5) / (df + 0.5))`).
"""

from __future__ import annotations

import math
from typing import Any

from whoosh import scoring

from . import K1, B
from .schema import FIELD_DOCS


class LibraryBM25(scoring.BM25F):  # type: ignore[misc]
    """BM25F over pages and catalog entries with per-kind field statistics."""

    def __init__(self, B: float = B, K1: float = K1) -> None:
        super().__init__(B=B, K1=K1)
        self._docs: dict[str, int] = {}

    def _field_docs(self, searcher: Any, fieldname: str) -> int:
        marker = FIELD_DOCS.get(fieldname)
        if marker is None:
            return int(searcher.doc_count())
        if fieldname not in self._docs:
            self._docs[fieldname] = int(searcher.doc_frequency(*marker)) or 1
        return self._docs[fieldname]

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return scoring.WeightScorer.for_(searcher, fieldname, text)
        return _Scorer(self, searcher, fieldname, text, qf)


class _Scorer(scoring.BM25FScorer):  # type: ignore[misc]
    def __init__(self, model: LibraryBM25, searcher: Any, fieldname: str, text: Any,
                 qf: int) -> None:
        parent = searcher.get_parent()
        docs = model._field_docs(parent, fieldname)
        df = parent.doc_frequency(fieldname, text)
        self.idf = math.log(1 + (docs - df + 0.5) / (df + 0.5))
        self.avgfl = (parent.field_length(fieldname) / docs) or 1
        self.B = model.B
        self.K1 = model.K1
        self.qf = qf
        self.setup(searcher, fieldname, text)
