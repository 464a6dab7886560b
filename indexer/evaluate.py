"""Relevance checks: saved questions with graded judgments, scored by nDCG@10 and MRR.

The file format is `queries/library.toml` (see its header). `ndcg_at` is also what
benchmarks/relevance.py scores test collections with.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import SplibError

# The reports a question `must` find have to be among its first MUST_RANK results.
MUST_RANK = 3


@dataclass(frozen=True)
class Question:
    text: str
    grades: Mapping[str, int]  # report id -> 1..3
    must: tuple[str, ...] = ()  # report ids that must come back in the first MUST_RANK


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    ranked: tuple[str, ...]
    ndcg10: float
    reciprocal_rank: float

    @property
    def best_first(self) -> bool:
        """Whether a report of the highest grade is ranked first."""
        top = max(self.question.grades.values())
        return bool(self.ranked) and self.question.grades.get(self.ranked[0], 0) == top

    @property
    def missing(self) -> tuple[str, ...]:
        """The reports the question must find that are not in its first MUST_RANK results."""
        return tuple(i for i in self.question.must if i not in self.ranked[:MUST_RANK])


@dataclass(frozen=True)
class EvalReport:
    results: tuple[QuestionResult, ...]

    @property
    def ndcg10(self) -> float:
        return sum(r.ndcg10 for r in self.results) / len(self.results)

    @property
    def mrr(self) -> float:
        return sum(r.reciprocal_rank for r in self.results) / len(self.results)

    @property
    def misses(self) -> tuple[QuestionResult, ...]:
        return tuple(r for r in self.results if not r.best_first)

    @property
    def failed(self) -> tuple[QuestionResult, ...]:
        """Questions that lost a report they must find: what `splib eval` fails on."""
        return tuple(r for r in self.results if r.missing)


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with gain 2^grade - 1 and a log2 discount."""
    dcg = sum((2 ** grades.get(doc, 0) - 1) / math.log2(rank + 2)
              for rank, doc in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def reciprocal_rank(ranked: Sequence[str], grades: Mapping[str, int]) -> float:
    for rank, doc in enumerate(ranked, start=1):
        if grades.get(doc, 0) > 0:
            return 1 / rank
    return 0.0


def load_questions(path: Path) -> list[Question]:
    """Read a questions file; raise `SplibError` naming the question at fault."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        where = "" if path.is_absolute() else f" (from {Path.cwd()})"
        raise SplibError(f"No questions file at {path}{where}. Give its path: "
                         "`splib eval path/to/questions.toml` (see queries/library.toml).") \
            from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SplibError(f"Cannot read the questions file {path} ({exc}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise SplibError(f"{path} is not valid TOML: {exc}.") from None
    tables = data.get("query", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise SplibError(f"{path}: write each question as a [[query]] table with `text` and "
                         "`grades` (see queries/library.toml).")
    questions = []
    for number, item in enumerate(tables, start=1):
        text, grades, must = item.get("text"), item.get("grades", {}), item.get("must", [])
        if not isinstance(text, str) or not text.strip():
            raise SplibError(f"{path}: query {number} needs a `text` in quotes.")
        if not isinstance(grades, dict) or not grades or not all(
                isinstance(g, int) and not isinstance(g, bool) and 1 <= g <= 3
                for g in grades.values()):
            raise SplibError(f"{path}: query {number} ({text!r}) needs `grades` "
                             "like { \"report-id\" = 3 } with grades 1 to 3.")
        if not isinstance(must, list) or not all(isinstance(m, str) for m in must):
            raise SplibError(f"{path}: query {number} ({text!r}): `must` is a list of report "
                             "ids in quotes, like must = [\"report-id\"].")
        questions.append(Question(text=text, grades=dict(grades), must=tuple(must)))
    if not questions:
        raise SplibError(f"{path} holds no [[query]] tables.")
    return questions


def evaluate(questions: Sequence[Question],
             rank: Callable[[str], Sequence[str]]) -> EvalReport:
    """Score `rank` (question text -> report ids, best first) on `questions`."""
    results = []
    for question in questions:
        ranked = tuple(rank(question.text))
        results.append(QuestionResult(question=question, ranked=ranked,
                                      ndcg10=ndcg_at(ranked, question.grades),
                                      reciprocal_rank=reciprocal_rank(ranked, question.grades)))
    return EvalReport(results=tuple(results))
