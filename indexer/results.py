"""What a search answers: reports with their snippets, similar reports, facet counts; and
their JSON, the one shape `splib search --json` and /api/search print."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field
from typing import TYPE_CHECKING, Any

from .orders import SORTS

if TYPE_CHECKING:
    from .engine import Facets
    from .snippets import Snippet

__all__ = ["EMPTY_LIBRARY", "SORTS", "Hit", "SearchResults", "Similar"]

EMPTY_LIBRARY = ("The library has no reports yet: add some with `splib add FILE|FOLDER|URL`, "
                 "then run `splib update`.")


@dataclass(frozen=True)
class Similar:
    """A report like another one, with the key terms that tie them."""

    id: str
    title: str
    organization: str
    date: str
    score: float
    terms: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "organization": self.organization,
                "date": self.date, "score": round(self.score, 4), "terms": list(self.terms)}


@dataclass(frozen=True)
class Hit:
    """One report in the results."""

    id: str
    title: str
    organization: str
    date: str
    url: str
    source: str
    score: float
    snippets: tuple[Snippet, ...]
    more_like_this: tuple[Similar, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "organization": self.organization,
                "date": self.date, "url": self.url, "source": self.source,
                "score": round(self.score, 4),
                "snippets": [s.to_json() for s in self.snippets],
                "more_like_this": [m.to_json() for m in self.more_like_this]}


@dataclass(frozen=True)
class SearchResults:
    """The answer to one query."""

    query: str
    total: int
    fallback: bool
    suggestion: str | None
    results: tuple[Hit, ...]
    # Every matching report's id (not in the JSON).
    matched: frozenset[str] = _field(default=frozenset(), compare=False)
    # When reports with some of the words follow those with all of them: how many of the
    # first results have them all.
    all_words: int | None = None
    # What a person should know about how the query was read ("only the first 20,000
    # characters..."); "also searched" expansions.
    notes: tuple[str, ...] = ()
    also: tuple[str, ...] = ()
    # The matching reports counted by organisation and by year, when asked for.
    facets: Facets | None = None
    # Read as a question or pasted text: any of its words may match, the closest reports
    # first (so `total` counts the reports that share a word with it).
    question: bool = False

    def to_json(self) -> dict[str, Any]:
        data = {"query": self.query, "total": self.total, "fallback": self.fallback,
                "question": self.question,
                "suggestion": self.suggestion, "all_words": self.all_words,
                "also_searched": list(self.also),
                "notes": list(self.notes), "results": [r.to_json() for r in self.results]}
        if self.facets is not None:
            data["facets"] = self.facets.to_json()
        return data
