"""Plausible wrong answers, per assignment: each must lose points on the questions it names.

A case replaces answer cells (by nbgrader ``grade_id``) in the solution notebook;
``loses`` lists the graded test cells that must then score below full marks.
Every graded test cell of every assignment needs at least one case
(``test_every_graded_question_has_a_wrong_answer``).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WrongAnswer:
    name: str
    answers: dict[str, str]
    loses: tuple[str, ...]
    keeps: tuple[str, ...] = field(default_factory=tuple)


WRONG_ANSWERS: dict[str, list[WrongAnswer]] = {
    "00_welcome": [
        WrongAnswer(
            "churn rate as a percentage",
            {"q1_answer": "churn_rate = float(datasets.load('churn')['churned'].mean() * 100)"},
            loses=("q1_tests",), keeps=("q2_tests",),
        ),
        WrongAnswer(
            "churn rate of the first 100 rows only",
            {"q1_answer": "churn_rate = float(datasets.load('churn')['churned'].head(100).mean())"},
            loses=("q1_tests",),
        ),
        WrongAnswer(
            "ratio of ratios instead of a ratio of logarithms",
            {"q2_answer": "def scaling_exponent(n1, t1, n2, t2):\n    return (t2 / t1) / (n2 / n1)"},
            loses=("q2_tests",), keeps=("q1_tests",),
        ),
        WrongAnswer(
            "assumes the points are in increasing order and takes an absolute value",
            {"q2_answer": "def scaling_exponent(n1, t1, n2, t2):\n"
                          "    return abs(math.log(t2 / t1)) / abs(math.log(n2 / n1)) if t2 != t1 else 1.0"},
            loses=("q2_tests",),
        ),
    ],
}
