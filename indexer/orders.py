"""The orders results come in: best first, or by the catalog's date (undated reports last).

Apart from `results.py` so that `splib --help`, which lists them, loads nothing else."""

from __future__ import annotations

SORTS = ("relevance", "newest", "oldest")
