"""The library's saved questions (queries/library.toml) find their reports in the top 3."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT

from indexer import Library

QUERIES = tomllib.loads((ROOT / "queries" / "library.toml").read_text(encoding="utf-8"))["query"]


@pytest.fixture(scope="module")
def seed_library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    """The real catalog, indexed from its summaries alone (offline: nothing is fetched)."""
    lib = Library(catalog=ROOT / "corpus" / "catalog.toml",
                  data=tmp_path_factory.mktemp("seed") / "data")
    report = lib.rebuild(offline=True)
    assert len(report.summary_only) == 6
    return lib


def test_there_are_enough_questions() -> None:
    assert len(QUERIES) >= 30
    assert all(q["grades"] and max(q["grades"].values()) == 3 for q in QUERIES)
    catalog_ids = {r.id for r in Library(catalog=ROOT / "corpus" / "catalog.toml").catalog()}
    for query in QUERIES:
        assert set(query["must"]) <= catalog_ids, query
        assert set(query["grades"]) <= catalog_ids, query


@pytest.mark.parametrize("query", QUERIES, ids=[q["text"] for q in QUERIES])
def test_question_finds_its_reports_in_the_top_3(seed_library: Library,
                                                 query: dict[str, object]) -> None:
    top = [hit.id for hit in seed_library.search(str(query["text"]), limit=3).results]
    missing = [i for i in query["must"] if i not in top]  # type: ignore[attr-defined]
    assert not missing, f"{query['text']!r}: top 3 were {top}"


def repository_files() -> dict[str, tuple[int, int]]:
    """Size and modification time of every file in the checkout that a run could write to
    (not the virtual environment, git's own folder or the tools' caches)."""
    skip = {".git", ".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache",
            ".hypothesis", "__pycache__"}
    found: dict[str, tuple[int, int]] = {}
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if d not in skip and not d.endswith(".egg-info")]
        for name in files:
            info = (Path(folder) / name).stat()
            found[str(Path(folder, name).relative_to(ROOT))] = (info.st_size, info.st_mtime_ns)
    return found


def test_data_folder_is_not_the_repository(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild of the repository's own catalog, run from the repository (where the default
    data folder `.splib/` would land), writes only into the data folder it was given."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("SPLIB_DATA", raising=False)
    before = repository_files()
    lib = Library(catalog=ROOT / "corpus" / "catalog.toml", data=tmp_path / "data")
    assert len(lib.rebuild(offline=True).summary_only) == 6
    assert repository_files() == before
    current = lib.store.current_index()
    assert current is not None and current.is_relative_to(tmp_path / "data")
    assert (tmp_path / "data" / "manifest.json").is_file()


# nDCG@10 measured when the questions were written (0.9599 on 2026-11-25); the check fails if
# a change to ranking makes the library's own questions answer worse.
NDCG_FLOOR = 0.95


def test_eval_keeps_ndcg_from_falling(seed_library: Library) -> None:
    report = seed_library.evaluate(ROOT / "queries" / "library.toml")
    assert len(report.results) == len(QUERIES)
    assert report.ndcg10 >= NDCG_FLOOR
    assert 0 < report.mrr <= 1


def test_eval_command(seed_library: Library) -> None:
    from click.testing import CliRunner

    from indexer.cli import main

    result = CliRunner().invoke(main, ["eval", str(ROOT / "queries" / "library.toml")],
                                obj=seed_library)
    assert result.exit_code == 0, result.output
    assert f"{len(QUERIES)} questions: nDCG@10 0." in result.output and "MRR" in result.output
    assert "Best answer not first" in result.output
    bad = CliRunner().invoke(main, ["eval", str(ROOT / "README.md")], obj=seed_library)
    assert bad.exit_code == 1 and "not valid TOML" in bad.output
