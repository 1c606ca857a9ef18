"""The reports of a grading run: the console summary and the CSV files, from this run and nbgrader's records.

Grades and per-question figures come from the gradebook and nbgrader's autograded copies.
Statuses and their reasons exist nowhere else, so ``statuses.csv`` is the one file read back:
a run replaces the rows of the students it grades and keeps everyone else's, each with the
time it was recorded. Every file therefore describes the class, not only the last run.
"""

from __future__ import annotations

import datetime
import functools
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

from scalingml import cells, sandbox
from scalingml.grading.class_progress import Timings
from scalingml.grading.ledger import write_atomically
from scalingml.grading.status import Outcome, Status

STATUS_COLUMNS = ["student", "status", "score", "max_score", "seconds", "reasons", "recorded_at"]
#: The status of a student in the gradebook whom no ``scalingml grade`` run recorded (nbgrader's own autograde)
UNRECORDED = "graded earlier"
QUESTION_COLUMNS = ["notebook", "question", "students", "max_score", "mean_score", "full_marks_share", "errored_share"]
#: Statuses of a submission none of whose code ran: left out of the per-question figures (they would read as errors).
NOTHING_RAN = {Status.REJECTED.value, Status.MISSING.value, Status.FAILED.value}


def _pad(value: object, width: int) -> str:
    return f"{value!s:<{width}}"


def counted(value: float, noun: str) -> str:
    """``1 point``, ``2.5 points``, ``3 submissions``.

    >>> counted(1.0, "point"), counted(2.5, "point"), counted(3, "submission")
    ('1 point', '2.5 points', '3 submissions')
    """
    return f"{value:g} {noun}" + ("" if value == 1 else "s")


@dataclass
class GradingReport:
    """The run's tables and where its files went.

    ``statuses`` holds the students graded in this run; ``class_statuses`` (``statuses.csv``) the
    whole class, earlier runs' rows kept with the time they were recorded.
    """

    statuses: pd.DataFrame
    grades: pd.DataFrame
    questions: pd.DataFrame
    scores: pd.DataFrame
    isolation: str
    report_dir: Path
    feedback_dir: Path
    seconds: float
    limits: sandbox.Limits
    class_statuses: pd.DataFrame | None = None
    export: Path | None = None  # nbgrader export's CSV, refreshed by this run
    assignment: str = "ASSIGNMENT"
    kept: int = 0  # students an earlier (perhaps killed) run had finished with the same submission
    timings: Timings | None = None  # where this run's time went
    notes: list[str] = field(default_factory=list)  # what happened to the run itself (a lost worker)

    #: Reasons longer than this are cut in the console table; statuses.csv keeps them whole.
    REASON_WIDTH = 90

    def table(self) -> tuple[str, bool]:
        """This run's statuses as text, reasons left-aligned in the last column; and whether any reason was cut."""
        if self.statuses.empty:
            return "(no submissions graded)", False
        reasons = self.statuses["reasons"].fillna("").astype(str)
        cut = reasons.str.len() > self.REASON_WIDTH
        shortened = reasons.where(~cut, reasons.str.slice(0, self.REASON_WIDTH - 1) + "…")
        numbers = self.statuses.drop(columns=["reasons", "recorded_at"], errors="ignore")
        widths = {c: max(len(c), numbers[c].astype(str).str.len().max()) for c in ("student", "status")}
        labels = {c: f"{c:<{w}}" for c, w in widths.items()}  # text columns left-aligned, label included
        left = {labels[c]: functools.partial(_pad, width=w) for c, w in widths.items()}
        lines = numbers.rename(columns=labels).to_string(index=False, formatters=left).splitlines()
        width = max(len(line) for line in lines)
        pairs = zip(lines, ["reasons", *shortened], strict=True)
        rows = [f"{line:<{width}}  {reason}".rstrip() for line, reason in pairs]
        return "\n".join(rows), bool(cut.any())

    def format(self) -> str:
        table, cut = self.table()
        counts = self.statuses["status"].value_counts().to_dict()
        graded_now = self.grades["student"].isin(self.statuses["student"])
        pending = float(self.grades.loc[graded_now, "points_awaiting_manual_grading"].sum())
        earlier = 0 if self.class_statuses is None else len(self.class_statuses) - len(self.statuses)
        limits = self.limits
        return "\n".join(
            [
                table,
                "",
                f"{counted(len(self.statuses), 'submission')} in {self.seconds:.0f} s ("
                + ", ".join(f"{n} {s}" for s, n in counts.items())
                + f"); isolation: {self.isolation}; per kernel: {limits.memory_mb} MB, "
                f"{limits.cell_timeout} s per cell, {limits.notebook_timeout} s per notebook",
                *(
                    [
                        f"{counted(pending, 'point')} {'awaits' if pending == 1 else 'await'} manual grading (nbgrader "
                        f"formgrader); then `scalingml feedback {self.assignment}` regenerates the feedback"
                    ]
                    if pending
                    else []
                ),
                *(
                    [f"{counted(self.kept, 'submission')} kept from an earlier run (unchanged); --regrade grades all"]
                    if self.kept
                    else []
                ),
                *self.notes,
                *([self.timings.format()] if self.timings else []),
                f"reports: {self.report_dir}"
                + (f" (the class: {counted(earlier, 'more student')} from earlier runs)" if earlier > 0 else "")
                + (" (statuses.csv has every reason in full)" if cut else ""),
                f"feedback: {self.feedback_dir}",
                *([f"nbgrader export refreshed: {self.export}"] if self.export else []),
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


def now() -> str:
    """The time a status is recorded: UTC, to the second, as ISO 8601."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def class_statuses(run: pd.DataFrame, report_dir: Path, totals: pd.DataFrame) -> pd.DataFrame:
    """This run's rows and every other student's from the earlier ``statuses.csv``, with the gradebook's scores."""
    path = report_dir / "statuses.csv"
    earlier = pd.DataFrame(columns=STATUS_COLUMNS)
    if path.is_file():
        try:
            earlier = pd.read_csv(path, dtype={"student": str}, keep_default_na=False)
        except (ValueError, OSError, UnicodeDecodeError) as exc:  # kept aside; this run's rows are written
            kept = path.with_name(f"statuses-unreadable-{now().replace(':', '')}.csv")
            path.replace(kept)
            warnings.warn(f"{path} could not be read ({exc}); kept as {kept.name}", stacklevel=2)
            earlier = pd.DataFrame(columns=STATUS_COLUMNS)
        earlier = earlier.reindex(columns=STATUS_COLUMNS).fillna({"reasons": "", "recorded_at": ""})
        earlier = earlier[~earlier["student"].isin(run["student"])]
        if not earlier.empty:
            earlier = earlier.assign(
                score=earlier["student"].map(totals["score"]).fillna(0.0),
                max_score=earlier["student"].map(totals["max_score"]),
            )
    frames = [frame for frame in (earlier, run) if not frame.empty]
    merged = pd.concat(frames, ignore_index=True) if frames else run
    return merged.sort_values("student", kind="stable").reset_index(drop=True)[STATUS_COLUMNS]


def question_figures(
    scores: pd.DataFrame, statuses: pd.DataFrame, autograded_dir: Path, assignment: str
) -> pd.DataFrame:
    """How each autograded question did over the submissions that ran (:data:`NOTHING_RAN` ones left out).

    ``students`` is how many submissions each figure is over; ``errored_share`` the share whose test cell
    ended in an error (an unanswered question, a crash) rather than a failed assertion or a pass.
    """
    nothing_ran = set(statuses.loc[statuses["status"].isin(NOTHING_RAN), "student"])
    autograded = scores[scores["autograded"] & ~scores["student"].isin(nothing_ran)].copy()
    autograded["errored"] = errored_tests(autograded, autograded_dir, assignment)
    return (
        autograded.assign(full=autograded["score"] >= autograded["max_score"])
        .groupby(["notebook", "question"], sort=False)
        .agg(
            students=("student", "nunique"),
            max_score=("max_score", "max"),
            mean_score=("score", "mean"),
            full_marks_share=("full", "mean"),
            errored_share=("errored", "mean"),
        )
        .reset_index()
        .reindex(columns=QUESTION_COLUMNS)
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
    """This run's statuses; class statuses, grades and per-question figures over every student in the gradebook.

    A manual grade kept through a regrade (nbgrader flags it for review again) counts as graded, not awaiting.
    """
    totals = scores.groupby("student")[["score", "max_score"]].sum()
    pending = scores[scores["needs_manual_grade"]].groupby("student")["max_score"].sum()
    recorded = now()
    statuses = pd.DataFrame(
        [
            {
                "student": o.student,
                "status": o.status.value,
                "score": float(totals["score"].get(o.student, 0.0)),
                "max_score": float(totals["max_score"].get(o.student, float("nan"))),
                "seconds": round(o.seconds, 1),
                "reasons": "; ".join(o.reasons),
                "recorded_at": recorded,
            }
            for o in outcomes
        ],
        columns=STATUS_COLUMNS,
    )
    everyone = class_statuses(statuses, report_dir, totals)
    grades = (
        totals.reset_index()
        .assign(points_awaiting_manual_grading=lambda f: f["student"].map(pending).fillna(0.0))
        .merge(everyone[["student", "status", "recorded_at"]], on="student", how="left")
        .fillna({"status": UNRECORDED, "recorded_at": ""})
        .sort_values("student")
    )
    questions = question_figures(scores, everyone, autograded_dir, assignment)
    report_dir.mkdir(parents=True, exist_ok=True)
    for name, table in (("grades", grades), ("questions", questions.round(3)), ("statuses", everyone),
                        ("scores", scores)):  # fmt: skip
        write_atomically(report_dir / f"{name}.csv", table.to_csv(index=False).encode())
    return GradingReport(
        statuses, grades, questions, scores, sandbox.isolation(), report_dir, feedback_dir, seconds, limits,
        class_statuses=everyone, assignment=assignment,
    )  # fmt: skip
