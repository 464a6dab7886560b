"""Ranking quality on test collections in BEIR's layout, beside bm25s in the same run.

    python benchmarks/relevance.py DATASET [DATASET ...] [--run OUT.trec] [--json OUT.json]
    python benchmarks/relevance.py DATASET DATASET --loo

With `--loo` (leave one collection out), each lever of `indexer.search.Ranking` listed in
LEVERS is tuned on one collection (the best setting of the grid) and the setting chosen is
scored on the other: a lever that only fits the collection it was tuned on shows there.

DATASET holds `corpus.jsonl` (`_id`, `title`, `text`), `queries.jsonl` (`_id`, `text`) and
`qrels/test.tsv` (`query-id`, `corpus-id`, `score`, with a header line). Every document is
indexed with splib's production schema, analyzers and scoring, as one page of a report whose
title is the document's title; every query goes through splib's production search function as
typed (punctuation and all). Prints nDCG@10 (graded, exponential gain 2^grade - 1, log2
discount, averaged over judged queries) for splib and for bm25s (English stop words, Snowball
stemmer, title + text) as the reference; `--run` writes splib's TREC run (top 100).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.build import documents  # noqa: E402
from indexer.catalog import Report  # noqa: E402
from indexer.engine import Index, create_index, open_index  # noqa: E402
from indexer.evaluate import ndcg_at  # noqa: E402
from indexer.extract import TEXT, Document, Page  # noqa: E402
from indexer.ingest import EntryStatus  # noqa: E402
from indexer.search import RANKING, Ranking, search  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import arguments, save, stamp  # noqa: E402

DEPTH = 100


def load_beir(path: Path) -> tuple[dict[str, tuple[str, str]], dict[str, str],
                                   dict[str, dict[str, int]]]:
    corpus = {}
    for line in (path / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        corpus[str(doc["_id"])] = (doc.get("title", ""), doc.get("text", ""))
    queries = {}
    for line in (path / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        queries[str(q["_id"])] = q["text"]
    qrels: dict[str, dict[str, int]] = {}
    for line in (path / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, docid, grade = line.split("\t")
        if int(grade) > 0:
            qrels.setdefault(qid, {})[docid] = int(grade)
    return corpus, queries, qrels


def mean_ndcg(run: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> float:
    judged = [q for q in qrels if q in run]
    return sum(ndcg_at(run[q], qrels[q]) for q in judged) / len(judged)


def splib_index(corpus: dict[str, tuple[str, str]], folder: Path) -> Index:
    """The corpus in an index built exactly as `splib rebuild` builds one."""
    writer = create_index(folder)
    for docid, (title, text) in corpus.items():
        report = Report(id=docid, title=title or docid)
        status = EntryStatus(id=docid, state="text", source="path", pages=1, chars=len(text),
                             fetched_at=None, error=None)
        doc = Document(media_type=TEXT, pages=(Page(number=1, text=text),))
        for document in documents(report, status, doc):
            writer.add(document)
    writer.commit()
    return open_index(folder)


def splib_run(ix: Index, queries: dict[str, str], ranking: Ranking = RANKING,
              refused: set[str] | None = None) -> dict[str, list[tuple[str, float]]]:
    """splib's ranking for each query; the ids of queries it refused go into `refused`."""
    from indexer.errors import QueryError

    run: dict[str, list[tuple[str, float]]] = {}
    for qid, text in queries.items():
        try:
            results = search(ix, text, limit=DEPTH, pages=0, ranking=ranking)
        except QueryError as exc:
            print(f"query {qid} refused: {exc}", file=sys.stderr)
            if refused is not None:
                refused.add(qid)
            run[qid] = []
            continue
        run[qid] = [(hit.id, hit.score) for hit in results.results]
    return run


def bm25s_run(corpus: dict[str, tuple[str, str]],
              queries: dict[str, str]) -> dict[str, list[tuple[str, float]]]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    ids = list(corpus)
    texts = [f"{title} {text}" for title, text in corpus.values()]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
                    show_progress=False)
    qids = list(queries)
    tokens = bm25s.tokenize([queries[q] for q in qids], stopwords="en", stemmer=stemmer,
                            show_progress=False)
    docs, scores = retriever.retrieve(tokens, k=DEPTH, show_progress=False, n_threads=1)
    return {qid: [(ids[int(d)], float(s)) for d, s in zip(docs[i], scores[i], strict=True)]
            for i, qid in enumerate(qids)}


def write_trec(run: dict[str, list[tuple[str, float]]], path: Path, tag: str) -> None:
    with path.open("w", encoding="utf-8") as out:
        for qid, ranked in run.items():
            for rank, (docid, score) in enumerate(ranked, start=1):
                out.write(f"{qid} Q0 {docid} {rank} {score:.4f} {tag}\n")


def ranked_ids(run: dict[str, list[tuple[str, float]]]) -> dict[str, list[str]]:
    return {q: [d for d, _ in ranked] for q, ranked in run.items()}


# The grid `--loo` tunes over: each combination of these `Ranking` fields.
LEVERS: dict[str, tuple[Any, ...]] = {
    "question_title": (0.0, 0.3),
    "k1": (0.9, 1.2),
    "feedback_docs": (5, 10),
    "feedback_weight": (0.3, 0.6),
}


def evaluate(dataset: Path, run_path: Path | None = None,
             ranking: Ranking = RANKING) -> dict[str, Any]:
    corpus, queries, qrels = load_beir(dataset)
    with tempfile.TemporaryDirectory(prefix="splib-relevance-") as tmp:
        started = time.monotonic()
        ix = splib_index(corpus, Path(tmp))
        refused: set[str] = set()
        run = splib_run(ix, queries, ranking, refused)

        splib_seconds = time.monotonic() - started
    started = time.monotonic()
    reference = bm25s_run(corpus, queries)
    bm25s_seconds = time.monotonic() - started
    if run_path:
        write_trec(run, run_path, "splib")
    splib_score = mean_ndcg(ranked_ids(run), qrels)
    ref_score = mean_ndcg(ranked_ids(reference), qrels)
    return {
        "dataset": dataset.name, "documents": len(corpus), "queries": len(queries),
        "judged_queries": len([q for q in qrels if q in queries]),
        "refused": len(refused),
        "splib_ndcg10": round(splib_score, 4), "bm25s_ndcg10": round(ref_score, 4),
        "ratio": round(splib_score / ref_score, 3) if ref_score else None,
        "splib_seconds": round(splib_seconds, 1), "bm25s_seconds": round(bm25s_seconds, 1),
        **stamp(),
    }


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| dataset | engine | nDCG@10 | ratio to bm25s | questions refused |",
             "| --- | --- | ---: | ---: | ---: |"]
    for r in results:
        lines.append(f"| {r['dataset']} | splib | {r['splib_ndcg10']:.4f} | {r['ratio']:.3f} "
                     f"| {r['refused']} |")
        lines.append(f"| {r['dataset']} | bm25s (reference) | {r['bm25s_ndcg10']:.4f} | 1.000 "
                     "| 0 |")
    lines.append("")
    lines.extend(f"{r['dataset']}: {r['documents']} documents, {r['judged_queries']} judged "
                 "queries." for r in results)
    lines.append(f"Measured {results[0]['date']} on {results[0]['machine']}.")
    return "\n".join(lines)


def loo(datasets: list[Path]) -> dict[str, Any]:
    """Tune LEVERS on each collection, score the choice on the others."""
    import itertools
    from dataclasses import replace

    names = list(LEVERS)
    grid = [dict(zip(names, values, strict=True))
            for values in itertools.product(*(LEVERS[n] for n in names))]
    scores: dict[str, list[float]] = {}
    for dataset in datasets:
        corpus, queries, qrels = load_beir(dataset)
        with tempfile.TemporaryDirectory(prefix="splib-relevance-") as tmp:
            ix = splib_index(corpus, Path(tmp))
            scores[dataset.name] = [
                mean_ndcg(ranked_ids(splib_run(ix, queries, replace(RANKING, **setting))),
                          qrels) for setting in grid]
            scores[dataset.name + " (production)"] = [
                mean_ndcg(ranked_ids(splib_run(ix, queries, RANKING)), qrels)]

    rows = []
    for tuned in datasets:
        best = max(range(len(grid)), key=lambda i: scores[tuned.name][i])
        rows.append({"tuned_on": tuned.name, "setting": grid[best],
                     "ndcg10": {d.name: round(scores[d.name][best], 4) for d in datasets}})
    both = max(range(len(grid)), key=lambda i: sum(scores[d.name][i] for d in datasets))
    rows.append({"tuned_on": "all of them (sum)", "setting": grid[both],
                 "ndcg10": {d.name: round(scores[d.name][both], 4) for d in datasets}})
    production = {n: getattr(RANKING, n) for n in names}
    return {"levers": {n: list(v) for n, v in LEVERS.items()}, "rows": rows,
            "production": {"setting": production, "ndcg10": {
                d.name: round(scores[d.name + " (production)"][0], 4) for d in datasets}},
            **stamp()}


def loo_table(result: dict[str, Any]) -> str:
    names = list(result["production"]["ndcg10"])
    lines = ["| tuned on | setting chosen | " + " | ".join(f"nDCG@10 {n}" for n in names) + " |",
             "| --- | --- | " + " | ".join("---:" for _ in names) + " |"]
    for row in [*result["rows"], {"tuned_on": "production (both)", **result["production"]}]:
        setting = ", ".join(f"{k}={v}" for k, v in row["setting"].items())
        lines.append(f"| {row['tuned_on']} | {setting} | "
                     + " | ".join(f"{row['ndcg10'][n]:.4f}" for n in names) + " |")
    lines.append("")
    lines.append(f"Grid: {result['levers']}; measured {result['date']} on {result['machine']}.")
    return "\n".join(lines)


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("datasets", type=Path, nargs="+", help="folders in BEIR's layout")
    parser.add_argument("--run", type=Path, help="write splib's TREC run file here (one dataset)")
    parser.add_argument("--loo", action="store_true",
                        help="tune the levers on each dataset and score them on the others")
    args = parser.parse_args()
    for dataset in args.datasets:
        if not (dataset / "corpus.jsonl").exists():
            print(f"No BEIR dataset at {dataset}.", file=sys.stderr)
            return 2
    if args.loo:
        found = loo(args.datasets)
        print(loo_table(found))
        save(args.json, found)
        return 0
    results = [evaluate(d, args.run if len(args.datasets) == 1 else None)
               for d in args.datasets]
    print(table(results))
    save(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
