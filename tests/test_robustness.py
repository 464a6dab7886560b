"""The robustness run (benchmarks/robustness.py) over the shared corpora, as a test."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from conftest import ROOT


def load_benchmark():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("robustness", ROOT / "benchmarks" /
                                                  "robustness.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_shared_file_ends_as_text_or_a_reason(corpora: Path) -> None:
    bench = load_benchmark()
    result = bench.run(corpora, jobs=2)
    print("\n" + bench.table(result))
    assert result["crashes"] == 0, result["stderr_tail"]
    expected = {name: len(list(corpora.glob(pattern))) for name, pattern in bench.CORPORA.items()}
    for name, row in result["corpora"].items():
        assert row["files"] == expected[name]
        assert row["unaccounted"] == 0, name
        assert row["text"] + sum(row["reasons"].values()) == row["files"]
        assert row["slowest"][1] < result["limit_seconds"]
    assert result["corpora"]["reports"]["text"] == expected["reports"]
    assert result["peak_rss_mb"] < 1024
