"""Ranking quality on a test collection in BEIR's layout, beside bm25s in the same run.

    python benchmarks/relevance.py DATASET [--run OUT.trec] [--json OUT.json]

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
from indexer.evaluate import ndcg_at  # noqa: E402
from indexer.extract import TEXT, Document, Page  # noqa: E402
from indexer.ingest import EntryStatus  # noqa: E402
from indexer.schema import make_schema  # noqa: E402
from indexer.search import search  # noqa: E402

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


def splib_index(corpus: dict[str, tuple[str, str]], folder: Path) -> Any:
    """The corpus in a Whoosh index built exactly as `splib rebuild` builds one."""
    from whoosh import index

    ix = index.create_in(str(folder), make_schema())
    writer = ix.writer(limitmb=256)
    for docid, (title, text) in corpus.items():
        report = Report(id=docid, title=title or docid)
        status = EntryStatus(id=docid, state="text", source="path", pages=1, chars=len(text),
                             fetched_at=None, error=None)
        doc = Document(media_type=TEXT, pages=(Page(number=1, text=text),))
        for fields in documents(report, status, doc):
            writer.add_document(**fields)
    writer.commit()
    return ix


def splib_run(ix: Any, queries: dict[str, str]) -> dict[str, list[tuple[str, float]]]:
    from indexer.errors import QueryError

    run: dict[str, list[tuple[str, float]]] = {}
    for qid, text in queries.items():
        try:
            results = search(ix, text, limit=DEPTH, pages=0)
        except QueryError as exc:
            print(f"query {qid} refused: {exc}", file=sys.stderr)
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


def evaluate(dataset: Path, run_path: Path | None = None) -> dict[str, Any]:
    corpus, queries, qrels = load_beir(dataset)
    with tempfile.TemporaryDirectory(prefix="splib-relevance-") as tmp:
        started = time.monotonic()
        ix = splib_index(corpus, Path(tmp))
        run = splib_run(ix, queries)
        ix.close()
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
        "splib_ndcg10": round(splib_score, 4), "bm25s_ndcg10": round(ref_score, 4),
        "ratio": round(splib_score / ref_score, 3) if ref_score else None,
        "splib_seconds": round(splib_seconds, 1), "bm25s_seconds": round(bm25s_seconds, 1),
        **stamp(),
    }


def table(result: dict[str, Any]) -> str:
    return "\n".join([
        "| dataset | engine | nDCG@10 | ratio to bm25s |",
        "| --- | --- | ---: | ---: |",
        f"| {result['dataset']} | splib | {result['splib_ndcg10']:.4f} | {result['ratio']:.3f} |",
        f"| {result['dataset']} | bm25s (reference) | {result['bm25s_ndcg10']:.4f} | 1.000 |",
        "",
        f"{result['documents']} documents, {result['judged_queries']} judged queries; measured "
        f"{result['date']} on {result['machine']}.",
    ])


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="a folder in BEIR's layout")
    parser.add_argument("--run", type=Path, help="write splib's TREC run file here")
    args = parser.parse_args()
    if not (args.dataset / "corpus.jsonl").exists():
        print(f"No BEIR dataset at {args.dataset}.", file=sys.stderr)
        return 2
    result = evaluate(args.dataset, args.run)
    print(table(result))
    save(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
