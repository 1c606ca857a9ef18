"""The reports of a grading run: the console summary and the CSV files, from this run and nbgrader's records.

No earlier report file is read back: grades and per-question figures come from the
gradebook and nbgrader's autograded copies, statuses from this run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

from scalingml import cells
from scalingml.grading import sandbox
from scalingml.grading.status import Outcome

STATUS_COLUMNS = ["student", "status", "score", "max_score", "seconds", "reasons"]
QUESTION_COLUMNS = ["notebook", "question", "max_score", "mean_score", "full_marks_share", "errored_share"]


@dataclass
class GradingReport:
    """The run's tables and where its files went."""

    statuses: pd.DataFrame
    grades: pd.DataFrame
    questions: pd.DataFrame
    scores: pd.DataFrame
    isolation: str
    report_dir: Path
    feedback_dir: Path
    seconds: float
    limits: sandbox.Limits

    #: Reasons longer than this are cut in the console table; statuses.csv keeps them whole.
    REASON_WIDTH = 90

    def format(self) -> str:
        reasons = self.statuses["reasons"]
        cut = reasons.str.len() > self.REASON_WIDTH
        shortened = reasons.where(~cut, reasons.str.slice(0, self.REASON_WIDTH - 1) + "…")
        table = self.statuses.assign(reasons=shortened)
        counts = self.statuses["status"].value_counts().to_dict()
        graded_now = self.grades["student"].isin(self.statuses["student"])
        pending = self.grades.loc[graded_now, "points_awaiting_manual_grading"]
        limits = self.limits
        return "\n".join(
            [
                table.to_string(index=False),
                "",
                f"{len(self.statuses)} submissions in {self.seconds:.0f} s ("
                + ", ".join(f"{n} {s}" for s, n in counts.items())
                + f"); isolation: {self.isolation}; per kernel: {limits.memory_mb} MB, "
                f"{limits.cell_timeout} s per cell, {limits.notebook_timeout} s per notebook",
                *([f"{pending.sum():g} points await manual grading (nbgrader formgrader)"] if pending.sum() else []),
                f"reports: {self.report_dir} (statuses.csv has every reason in full)"
                if cut.any()
                else f"reports: {self.report_dir}",
                f"feedback: {self.feedback_dir}",
            ]
        )


def errored_tests(scores: pd.DataFrame, autograded_dir: Path, assignment: str) -> pd.Series:
    """For each autograded row of ``scores``: did its test cell end in an error, in nbgrader's autograded copy?

    A notebook that was never autograded (rejected, missing) counts as errored: nothing of it ran.
    """
    verdicts: dict[tuple[str, str], dict[str, bool]] = {}

    def cells_of(student: str, notebook: str) -> dict[str, bool]:
        if (student, notebook) not in verdicts:
            path = autograded_dir / student / assignment / f"{notebook}.ipynb"
            try:
                executed = nbformat.read(path, as_version=4)
            except (OSError, ValueError):
                executed = nbformat.v4.new_notebook()
            verdicts[(student, notebook)] = {
                cells.nbgrader_metadata(cell)["grade_id"]: cells.first_error(cell) is not None
                for cell in executed.cells
                if cells.is_autograded_test(cell)
            }
        return verdicts[(student, notebook)]

    return pd.Series(
        [cells_of(row.student, row.notebook).get(row.question, True) for row in scores.itertuples()],
        index=scores.index,
        dtype=bool,
    )


def build_report(
    outcomes: list[Outcome],
    scores: pd.DataFrame,
    report_dir: Path,
    feedback_dir: Path,
    autograded_dir: Path,
    assignment: str,
    seconds: float,
    limits: sandbox.Limits,
) -> GradingReport:
    """This run's statuses; grades and per-question figures over every student in the gradebook.

    Everything comes from this run and from nbgrader's records (gradebook, autograded copies):
    no earlier report file is read back.
    """
    totals = scores.groupby("student")[["score", "max_score"]].sum()
    pending = scores[scores["needs_manual_grade"]].groupby("student")["max_score"].sum()
    statuses = pd.DataFrame(
        [
            {
                "student": o.student,
                "status": o.status.value,
                "score": float(totals["score"].get(o.student, 0.0)),
                "max_score": float(totals["max_score"].get(o.student, float("nan"))),
                "seconds": round(o.seconds, 1),
                "reasons": "; ".join(o.reasons),
            }
            for o in outcomes
        ],
        columns=STATUS_COLUMNS,
    )
    grades = (
        totals.reset_index()
        .assign(points_awaiting_manual_grading=lambda f: f["student"].map(pending).fillna(0.0))
        .merge(statuses[["student", "status"]], on="student", how="left")
        .fillna({"status": "graded earlier"})
        .sort_values("student")
    )
    autograded = scores[scores["autograded"]].copy()
    autograded["errored"] = errored_tests(autograded, autograded_dir, assignment)
    questions = (
        autograded.assign(full=autograded["score"] >= autograded["max_score"])
        .groupby(["notebook", "question"], sort=False)
        .agg(
            max_score=("max_score", "max"),
            mean_score=("score", "mean"),
            full_marks_share=("full", "mean"),
            errored_share=("errored", "mean"),
        )
        .reset_index()
    )[QUESTION_COLUMNS]
    report_dir.mkdir(parents=True, exist_ok=True)
    grades.to_csv(report_dir / "grades.csv", index=False)
    questions.round(3).to_csv(report_dir / "questions.csv", index=False)
    statuses.to_csv(report_dir / "statuses.csv", index=False)
    scores.to_csv(report_dir / "scores.csv", index=False)
    return GradingReport(
        statuses, grades, questions, scores, sandbox.isolation(), report_dir, feedback_dir, seconds, limits
    )
