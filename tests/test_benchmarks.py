"""The quality benchmarks reach their goals in the same run as their references."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

from conftest import ROOT


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered before it runs: dataclasses look their module up in sys.modules.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_ndcg_matches_a_hand_computed_case() -> None:
    bench = load("relevance")
    # Relevant docs a (grade 2) and b (grade 1); ranking b, x, a.
    dcg = (2**1 - 1) / math.log2(2) + 0 + (2**2 - 1) / math.log2(4)
    idcg = (2**2 - 1) / math.log2(2) + (2**1 - 1) / math.log2(3)
    assert abs(bench.ndcg_at(["b", "x", "a"], {"a": 2, "b": 1}) - dcg / idcg) < 1e-9


def test_ranking_beats_bm25s_by_5_percent_on_both_collections(corpora: Path) -> None:
    """Cranfield (keyword-like questions) and CACM (questions as people write them, with
    question marks, brackets, quotes and colons), in the same run as bm25s."""
    bench = load("relevance")
    results = [bench.evaluate(corpora / "ir" / name) for name in ("cranfield-beir", "cacm-beir")]
    print("\n" + bench.table(results))
    assert [r["judged_queries"] for r in results] == [225, 52]
    for result in results:
        assert result["refused"] == 0
        assert result["splib_ndcg10"] >= 1.05 * result["bm25s_ndcg10"], result["dataset"]


def test_token_f1_matches_the_definition() -> None:
    bench = load("html_extraction")
    # extracted: a a b c (4), expected: a b b d (4); overlap a + b = 2.
    assert bench.token_f1("A a b c", "a b, b d") == 0.5
    assert bench.token_f1("", "a") == 0.0


def test_pdf_word_changes_match_the_definition() -> None:
    bench = load("pdf_word_gaps")
    joined, split = bench.word_changes("Exploringcharacteristics and sex traf ficking",
                                       "exploring characteristics andsex trafficking")
    assert joined == {"exploringcharacteristics"}
    assert split == {"andsex", "trafficking"}
    # The middle of the best values when several tie.
    assert bench.best_gap({0.02: 2, 0.04: 2, 0.06: 2, 0.08: 1, 0.1: 2}) == 0.04
