"""``scalingml grade``: autograde a class in parallel, in the sandbox, through nbgrader's gradebook.

How one run goes (:func:`grade`):

1. **Collect** (:mod:`scalingml.submissions`): every student's files, read into memory;
   the originals are never written. Unreadable notebooks are *rejected* (score 0, with
   the reason); missing ones score 0 as in nbgrader.
2. **Sanitize**, in this process, with nbgrader's own preprocessors: outputs cleared,
   locked and test cells restored from the gradebook (deleted ones re-added), kernel
   spec overwritten. Edited or deleted read-only cells are *flagged*.
3. **Execute** the sanitized notebooks N at a time (``jobs`` threads, each driving a
   sandboxed runner process; or tasks on a Dask cluster): :mod:`scalingml.execution`.
4. **Score and record**, in this process only, one submission at a time as each finishes:
   nbgrader's ``autograde`` with its execute step replaced by :class:`ReplayExecution`,
   which hands over the notebook executed in step 3. The gradebook therefore has a
   single writer whatever the concurrency, and student code never runs in it.
5. **Feedback** (nbgrader's HTML; hidden tests and their tracebacks removed unless asked)
   and **reports**: ``grades.csv``, ``questions.csv`` and ``statuses.csv``.

Re-running is safe: each student's ``submitted/`` and ``autograded/`` copies and
gradebook entries are replaced, others are left as they are.
"""

from __future__ import annotations

import concurrent.futures
import copy
import fnmatch
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from traitlets import Unicode

from scalingml import cells, course, execution, sandbox, submissions
from scalingml.errors import ScalingmlError
from scalingml.progress import progress

SCORE_COLUMNS = ["student", "notebook", "question", "score", "max_score", "needs_manual_grade", "autograded"]
STATUS_COLUMNS = ["student", "status", "score", "max_score", "seconds", "reasons"]
QUESTION_COLUMNS = ["notebook", "question", "max_score", "mean_score", "full_marks_share", "errored_share"]

#: Statuses, from best to worst. ``flagged`` is graded but needs a look.
GRADED, FLAGGED, STOPPED, REJECTED, MISSING, FAILED = "graded", "flagged", "stopped", "rejected", "missing", "failed"
#: Statuses from best to worst: a submission keeps the worst it met.
STATUS_ORDER = (GRADED, FLAGGED, STOPPED, REJECTED, MISSING, FAILED)


class GradingError(ScalingmlError, RuntimeError):
    """The run as a whole cannot go on (unknown assignment, unusable gradebook); one bad submission never raises it."""


class ReplayExecution(NbGraderPreprocessor):
    """nbgrader's execute step, replaced: take the notebook already executed in the sandbox.

    :func:`grade` sanitizes each submission itself (with nbgrader's preprocessors), runs
    it, and checks that the executed cells are exactly the sanitized ones before saving
    it here; nbgrader's own sanitizing pass is switched off so it is not done twice.
    """

    executed_directory = Unicode("", help="folder of STUDENT/NOTEBOOK.ipynb executed notebooks").tag(config=True)

    def preprocess(self, nb, resources):
        student, notebook = resources["nbgrader"]["student"], resources["nbgrader"]["notebook"]
        return nbformat.read(Path(self.executed_directory) / student / f"{notebook}.ipynb", as_version=4), resources


class HideHiddenTests(ClearHiddenTests):
    """For feedback: drop hidden test regions and, in those cells, the tracebacks that would quote them."""

    def preprocess_cell(self, cell, resources, index):
        hidden = self.begin_test_delimeter in cell.source
        cell, resources = super().preprocess_cell(cell, resources, index)
        if hidden and cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":  # every error output of the cell, not only the first
                    output["traceback"] = [f"{output.get('ename')}: {output.get('evalue', '')}"]
        return cell, resources


@dataclass
class Outcome:
    """What happened to one student's submission."""

    student: str
    status: str = GRADED
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0
    errored: dict[tuple[str, str], bool] = field(default_factory=dict)

    def worsen(self, status: str, reason: str) -> None:
        if STATUS_ORDER.index(status) > STATUS_ORDER.index(self.status):
            self.status = status
        self.reasons.append(reason)


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


def nbgrader_default(app, trait: str) -> list:
    """The default value of an nbgrader app's list trait (its preprocessors), as nbgrader ships it."""
    return list(app.class_traits()[trait].make_dynamic_default())


def _settings(db_url: str | None, executed_dir: Path, show_hidden_tests: bool) -> dict:
    from nbgrader.converters import Autograde, GenerateFeedback
    from nbgrader.preprocessors import Execute

    settings = {
        "OverwriteCells.add_missing_cells": True,
        "Autograde.sanitize_preprocessors": [],  # done by sanitize() before execution
        "ReplayExecution.executed_directory": str(executed_dir),
        "Autograde.autograde_preprocessors": [
            ReplayExecution if step is Execute else step
            for step in nbgrader_default(Autograde, "autograde_preprocessors")
        ],
        "GenerateFeedback.preprocessors": nbgrader_default(GenerateFeedback, "preprocessors")
        + ([] if show_hidden_tests else [HideHiddenTests]),
    }
    if db_url:
        settings["CourseDirectory.db_url"] = db_url
    return settings


def expected_notebooks(api, assignment: str) -> list[str]:
    """The assignment's notebook file names, from the gradebook (releasing it first if it is not there)."""
    from nbgrader.api import MissingEntry

    try:
        with api.gradebook as gradebook:
            return [f"{nb.name}.ipynb" for nb in gradebook.find_assignment(assignment).notebooks]
    except MissingEntry:
        pass
    except Exception as exc:  # sqlalchemy: unreachable server, wrong URL, unreadable file
        raise GradingError(f"Cannot open the gradebook {api.coursedir.db_url}: {exc}") from exc
    result = api.generate_assignment(assignment, force=True)
    if not result["success"]:
        raise GradingError(f"nbgrader could not release {assignment} into the gradebook:\n{result.get('log')}")
    return expected_notebooks(api, assignment)


def sanitize(notebook: nbformat.NotebookNode, api, assignment: str, notebook_id: str, student: str):
    """nbgrader's autograde sanitizing steps, applied here: what will be executed and scored."""
    from nbgrader.converters import Autograde

    resources = {
        "nbgrader": {
            "db_url": api.coursedir.db_url,
            "assignment": assignment,
            "notebook": notebook_id,
            "student": student,
        }
    }
    for step in nbgrader_default(Autograde, "sanitize_preprocessors"):
        notebook, resources = step(config=api.config).preprocess(notebook, resources)
    for cell in notebook.cells:  # cells nbgrader restored come without an id
        cell.setdefault("id", f"restored-{uuid.uuid4().hex[:12]}")
    return notebook


def tampering(notebook: nbformat.NotebookNode, api, assignment: str, notebook_id: str) -> list[str]:
    """Read-only cells (locked cells and tests) the learner edited or deleted; nbgrader restores both.

    A cell counts as unchanged if its source equals the gradebook's, with or without
    the hidden tests (the release strips them).
    """
    hider = ClearHiddenTests(enforce_metadata=False)
    with api.gradebook as gradebook:
        source = gradebook.find_notebook(notebook_id, assignment)
        read_only = {cell.name: cell.source for cell in source.source_cells if cell.locked}
        graded = [cell.name for cell in source.grade_cells]
    edited, present = [], set()
    for cell in notebook.cells:
        name = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        present.add(name)
        if name in read_only:
            original = nbformat.v4.new_code_cell(read_only[name])
            hider._remove_hidden_test_region(original)
            if cell.source.strip() not in {read_only[name].strip(), original.source.strip()}:
                edited.append(name)
    deleted = [name for name in graded if name not in present]
    notes = []
    if edited:
        notes.append(f"edited read-only cells, restored: {', '.join(edited)}")
    if deleted:
        notes.append(f"deleted graded cells, restored: {', '.join(deleted)}")
    return notes


def _timestamp(raw: str | None) -> str | None:
    """A timestamp nbgrader can parse, from ``timestamp.txt`` or a zip_collect name (``2024-01-30-15-00-00``)."""
    if not raw:
        return None
    dashed = re.fullmatch(r"(\d{4}-\d{2}-\d{2})-(\d{2})-(\d{2})-(\d{2})", raw)
    text = f"{dashed.group(1)} {dashed.group(2)}:{dashed.group(3)}:{dashed.group(4)}" if dashed else raw
    try:
        pd.Timestamp(text)
    except (ValueError, OverflowError):
        return None
    return text


@dataclass
class _Job:
    student: str
    outcome: Outcome
    notebooks: dict[str, str] = field(default_factory=dict)  # name -> sanitized JSON
    files: dict[str, bytes] = field(default_factory=dict)


def _prepare(
    submission: submissions.Submission,
    api,
    assignment: str,
    expected: list[str],
    submitted_dir: Path,
    in_place: bool,
    rejected_dir: Path,
) -> _Job:
    """Check, copy into ``submitted/`` and sanitize one submission; no student code runs here."""
    outcome = Outcome(submission.student)
    job = _Job(submission.student, outcome)
    for problem in submission.problems:
        outcome.worsen(FAILED, problem)
    if submission.problems:
        return job
    found, notes = submissions.match_notebooks(submission, expected)
    for note in notes:
        outcome.worsen(MISSING if note.startswith("missing") else FLAGGED, note)
    target = submitted_dir / submission.student / assignment
    if not in_place:
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
    job.files = {
        name: content
        for name, content in submission.files.items()
        if not name.endswith(".ipynb") and not isinstance(content, submissions.TooLarge)
    }
    for name, content in found.items():
        try:
            notebook = submissions.parse_notebook(content)
        except submissions.NotebookProblem as problem:
            outcome.worsen(REJECTED, f"{name}: {problem}")
            keep = rejected_dir / submission.student / assignment / name
            keep.parent.mkdir(parents=True, exist_ok=True)
            keep.write_bytes(bytes(content))
            continue
        notebook_id = name[: -len(".ipynb")]
        try:
            for note in tampering(notebook, api, assignment, notebook_id):
                outcome.worsen(FLAGGED, f"{name}: {note}")
            sanitized = sanitize(copy.deepcopy(notebook), api, assignment, notebook_id, submission.student)
        except Exception as exc:  # nbgrader refuses the cell metadata
            outcome.worsen(REJECTED, f"{name}: nbgrader cannot grade it ({type(exc).__name__}: {str(exc)[:200]})")
            continue
        job.notebooks[name] = nbformat.writes(sanitized)
        if not in_place or not (target / name).exists():
            # the original, as submitted, under the name nbgrader expects (in nbgrader's own submitted/ folder
            # too, where a renamed notebook would otherwise leave nbgrader "no notebooks found")
            target.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(bytes(content))
    if not in_place:
        for name, content in job.files.items():
            if name != "timestamp.txt":
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                (target / name).write_bytes(content)
        stamp = _timestamp(submission.timestamp)
        if stamp:
            (target / "timestamp.txt").write_text(stamp)
        elif submission.timestamp:
            outcome.worsen(FLAGGED, f"unreadable timestamp {submission.timestamp!r} ignored")
    return job


def _execute_job(
    job_notebooks: Mapping[str, str],
    files: Mapping[str, bytes],
    limits: sandbox.Limits,
    hide: list[str],
    scratch_root: str | None,
    runner_process: execution.Runner | None = None,
) -> dict[str, execution.Execution]:
    """Run each notebook of one submission in the sandbox (a thread here, or a Dask task).

    On a Dask worker of another machine ``scratch_root`` may not exist: a temp folder is used.
    """
    scratch_root = scratch_root if scratch_root and os.path.isdir(scratch_root) else None
    return {
        name: execution.run_notebook(
            text, name, dict(files), limits, hide=hide, scratch_root=scratch_root, runner_process=runner_process
        )
        for name, text in job_notebooks.items()
    }


def _record(job: _Job, executions: dict[str, execution.Execution], api, assignment: str, executed_dir: Path) -> None:
    """Hand the executed notebooks to nbgrader's autograde (the gradebook's only writer) for one student."""

    outcome = job.outcome
    for name, result in executions.items():
        outcome.seconds += result.seconds
        if result.stopped:
            outcome.worsen(STOPPED, f"{name}: {result.stopped}")
        if result.timed_out:
            outcome.worsen(
                FLAGGED, f"{name}: cells {result.timed_out} ran past the per-cell limit and were interrupted"
            )
        if result.truncated:
            outcome.worsen(FLAGGED, f"{name}: output truncated in cells {result.truncated}")
        for suspicion in result.suspicions():
            outcome.worsen(FLAGGED, f"{name}: {suspicion}")
        executed = nbformat.reads(result.notebook, as_version=4)
        sanitized = nbformat.reads(job.notebooks[name], as_version=4)
        if [c.source for c in executed.cells] != [c.source for c in sanitized.cells]:
            outcome.worsen(FAILED, f"{name}: the executed copy does not match the sanitized notebook")
            continue
        executed.metadata = sanitized.metadata
        path = executed_dir / job.student / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(executed, path)
        for cell in executed.cells:
            if cells.is_autograded_test(cell):
                errored = cells.first_error(cell) is not None
                outcome.errored[(name[: -len(".ipynb")], cell.metadata.nbgrader["grade_id"])] = errored
    if outcome.status == FAILED:
        return
    result = api.autograde(assignment, job.student, force=True, create=True)
    if not result["success"]:
        log = (result.get("log") or result.get("error") or "").strip().splitlines()
        outcome.worsen(FAILED, "nbgrader autograde failed: " + " | ".join(line for line in log[-3:]))
        _record_zero(api, assignment, job.student)  # every submission ends recorded, with the reason in the report


def _record_zero(api, assignment: str, student: str) -> None:
    """Nothing gradable was submitted: record the submission with zero on every question, as nbgrader does."""
    with api.gradebook as gradebook:
        gradebook.update_or_create_student(student)
        submission = gradebook.update_or_create_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gradebook.db.commit()


def grade(
    assignment: str,
    submissions_path: str | os.PathLike,
    *,
    course_root: Path | None = None,
    jobs: int = 1,
    dask_address: str | None = None,
    limits: sandbox.Limits | None = None,
    show_hidden_tests: bool = False,
    db_url: str | None = None,
    report_dir: Path | None = None,
    named_regexp: str = submissions.DEFAULT_NAMED_REGEXP,
    show_progress: bool = True,
    scratch_dir: Path | None = None,
    students: list[str] | None = None,
) -> GradingReport:
    """Grade every submission of ``assignment`` under ``submissions_path``; see the module docstring.

    ``students`` (ids or shell-style patterns such as ``"a*"``) grades only those, leaving
    everyone else's files and gradebook rows as they are. ``scratch_dir`` is where the run
    keeps its temporary files (default: a new temp folder); it is removed afterwards.
    """
    start = time.monotonic()
    course_root = Path(course_root or course.root()).resolve()
    course.require_assignments([assignment], course_root)
    limits = limits or sandbox.Limits()
    workdir = Path(scratch_dir or tempfile.mkdtemp(prefix="scalingml-grading-"))
    (workdir / "jobs").mkdir(parents=True, exist_ok=True)
    executed_dir = workdir / "executed"
    api = course.nbgrader_api(course_root, **_settings(db_url, executed_dir, show_hidden_tests))
    coursedir = api.coursedir
    submitted_dir = Path(coursedir.root) / coursedir.submitted_directory
    rejected_dir = Path(coursedir.root) / course.GRADING_DIR / "rejected"
    report_dir = Path(report_dir or Path(coursedir.root) / course.GRADING_DIR / "reports" / assignment)
    feedback_dir = Path(coursedir.root) / coursedir.feedback_directory
    source = Path(submissions_path).resolve()
    in_place = source == submitted_dir.resolve()
    hide = [str(course_root), str(source), str(workdir)]
    database = _sqlite_path(coursedir.db_url)
    if database:
        hide.append(str(database.parent))
    try:
        with course.working_directory(course_root), warnings.catch_warnings():
            # nbgrader's own gradebook updates trip SQLAlchemy's autoflush warning (harmless, not ours)
            warnings.filterwarnings("ignore", message=".*not in session.*")
            expected = expected_notebooks(api, assignment)
            found = select_students(submissions.collect(source, assignment, named_regexp=named_regexp), students)
            prepared, pending = [], {}
            with _executor(jobs, dask_address) as executor:
                for submission in found:  # each starts executing as soon as it is checked
                    job = _prepare(submission, api, assignment, expected, submitted_dir, in_place, rejected_dir)
                    prepared.append(job)
                    if job.notebooks:
                        pending[
                            executor.submit(_execute_job, job.notebooks, job.files, limits, hide, str(workdir / "jobs"))
                        ] = job
                    elif job.outcome.status != FAILED:
                        _record_zero(api, assignment, job.student)
                for future in progress(
                    executor.as_completed(pending),
                    total=len(pending),
                    desc=f"grading {assignment}",
                    disable=not show_progress,
                ):
                    job = pending[future]
                    try:
                        executions = future.result()
                    except Exception as exc:  # the sandbox itself failed for this submission
                        job.outcome.worsen(FAILED, f"execution failed: {type(exc).__name__}: {exc}")
                        _record_zero(api, assignment, job.student)
                        continue
                    _record(job, executions, api, assignment, executed_dir)
            outcomes = [job.outcome for job in prepared]
            _feedback(api, assignment, outcomes, Path(coursedir.root) / coursedir.autograded_directory)
            scores = read_scores(api, assignment)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    autograded_dir = Path(coursedir.root) / coursedir.autograded_directory
    return _report(
        outcomes, scores, report_dir, feedback_dir / "", autograded_dir, assignment, time.monotonic() - start, limits
    )


def select_students(found: list[submissions.Submission], patterns: list[str] | None) -> list[submissions.Submission]:
    """The submissions whose student id matches one of ``patterns`` (all when there are none)."""
    if not patterns:
        return found
    chosen = [s for s in found if any(fnmatch.fnmatchcase(s.student, p) for p in patterns)]
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(s.student, p) for s in found)]
    if unmatched:
        known = ", ".join(sorted(s.student for s in found)[:20])
        raise GradingError(f"No submission for --student {', '.join(unmatched)}; the students found are: {known}")
    return chosen


def _sqlite_path(db_url: str) -> Path | None:
    return Path(db_url[len("sqlite:///") :]).resolve() if db_url.startswith("sqlite:///") else None


class _executor:
    """``submit(fn, *args)`` and ``as_completed(futures)`` over local threads or a Dask cluster.

    Each local thread keeps one :class:`~scalingml.execution.Runner` process for all its
    submissions; they are ended on exit.
    """

    def __init__(self, jobs: int, dask_address: str | None):
        self.jobs, self.dask_address = max(1, int(jobs)), dask_address
        self._local, self._runners = threading.local(), []

    def __enter__(self):
        if self.dask_address:
            from scalingml import cluster

            self._context = cluster.client(address=self.dask_address)
            self._dask = self._context.__enter__()
        else:
            self._pool = concurrent.futures.ThreadPoolExecutor(self.jobs)
        return self

    def submit(self, fn, *args):
        if self.dask_address:
            return self._dask.submit(fn, *args, pure=False)
        return self._pool.submit(self._with_runner, fn, *args)

    def as_completed(self, futures):
        if self.dask_address:
            from distributed import as_completed

            return as_completed(futures)
        return concurrent.futures.as_completed(futures)

    def _with_runner(self, fn, *args):
        if not hasattr(self._local, "runner"):
            self._local.runner = execution.Runner()
            self._runners.append(self._local.runner)
        return fn(*args, runner_process=self._local.runner)

    def __exit__(self, *exc):
        if self.dask_address:
            return self._context.__exit__(*exc)
        self._pool.shutdown(wait=True, cancel_futures=True)
        for runner_process in self._runners:
            runner_process.close()
        return False


def _feedback(api, assignment: str, outcomes: list[Outcome], autograded_dir: Path) -> None:
    """nbgrader's HTML feedback for the students graded in this run, and no one else."""
    for outcome in outcomes:
        if not (autograded_dir / outcome.student / assignment).is_dir():
            continue
        result = api.generate_feedback(assignment, outcome.student, force=True)
        if not result["success"]:
            lines = (result.get("log") or "").strip().splitlines()
            outcome.worsen(FLAGGED, "no feedback: " + (lines[-1] if lines else "nbgrader gave no reason"))


def read_scores(api, assignment: str) -> pd.DataFrame:
    """Every graded cell's score for every submission of ``assignment`` in the gradebook.

    ``autograded`` is True for test cells (scored by running them), False for answers graded by hand.
    """
    rows = []
    with api.gradebook as gradebook:
        for submission in gradebook.assignment_submissions(assignment):
            for notebook in submission.notebooks:
                by_hand = {cell.name for cell in notebook.notebook.solution_cells}
                for grade in notebook.grades:
                    rows.append(
                        {
                            "student": submission.student.id,
                            "notebook": notebook.name,
                            "question": grade.name,
                            "score": float(grade.score),
                            "max_score": float(grade.max_score),
                            "needs_manual_grade": bool(grade.needs_manual_grade),
                            "autograded": grade.name not in by_hand,
                        }
                    )
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


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


def _report(
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
                "status": o.status,
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
