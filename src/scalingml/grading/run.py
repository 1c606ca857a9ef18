"""One ``scalingml grade`` run: collect, check and sanitize, execute in the pool, record, feedback, report."""

from __future__ import annotations

import copy
import fnmatch
import os
import re
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd

from scalingml import assignment_id, course, sandbox, submissions
from scalingml.grading import ledger, nbgrader_steps
from scalingml.grading.class_progress import ClassProgress, Timings
from scalingml.grading.pool import Pool, execute_job
from scalingml.grading.report import GradingReport, build_report
from scalingml.grading.status import FAILED, FLAGGED, MISSING, REJECTED, GradingError, Outcome
from scalingml.sandbox import execution


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
class Job:
    """One student's submission, checked and sanitized: what the pool executes."""

    outcome: Outcome
    notebooks: dict[str, str] = field(default_factory=dict)  # name -> sanitized notebook JSON
    files: dict[str, bytes] = field(default_factory=dict)  # the other files, beside the notebooks


@dataclass
class GradingRun:
    """What one run works with: the assignment, nbgrader's API on the course, the limits and the folders."""

    assignment: str
    course_root: Path
    api: Any  # nbgrader.apps.NbGraderAPI (untyped)
    limits: sandbox.Limits
    workdir: Path
    report_dir: Path
    source: Path
    hidden_tests_shown: bool = False

    @property
    def course_dir(self) -> Path:
        return Path(self.api.coursedir.root)

    @property
    def submitted_dir(self) -> Path:
        return self.course_dir / self.api.coursedir.submitted_directory

    @property
    def autograded_dir(self) -> Path:
        return self.course_dir / self.api.coursedir.autograded_directory

    @property
    def feedback_dir(self) -> Path:
        return self.course_dir / self.api.coursedir.feedback_directory

    @property
    def rejected_dir(self) -> Path:
        return self.course_dir / course.GRADING_DIR / "rejected"

    @property
    def grading_dir(self) -> Path:
        return self.course_dir / course.GRADING_DIR

    @property
    def written_folders(self) -> list[Path]:
        """Every folder of the course this run writes into (checked before any learner's code runs)."""
        return [self.grading_dir, self.submitted_dir, self.autograded_dir, self.feedback_dir, self.report_dir]

    @property
    def executed_dir(self) -> Path:
        return self.workdir / "executed"

    @property
    def in_place(self) -> bool:
        """Grading nbgrader's own ``submitted/`` folder: the submissions are already where nbgrader wants them."""
        return self.source == self.submitted_dir.resolve()

    @property
    def hidden(self) -> list[str]:
        """Folders the learners' kernels must not see: the course, the submissions, scratch, the gradebook's."""
        hide = [str(self.course_root), str(self.source), str(self.workdir)]
        database = _sqlite_path(self.api.coursedir.db_url)
        return [*hide, str(database.parent)] if database else hide

    def prepare(self, submission: submissions.Submission, expected: list[str]) -> Job:
        """Check, copy into ``submitted/`` and sanitize one submission; no student code runs here."""
        outcome = Outcome(submission.student)
        job = Job(outcome)
        for problem in submission.problems:
            outcome.worsen(FAILED, problem)
        if submission.problems:
            return job
        found, notes = submissions.match_notebooks(submission, expected)
        for note in notes:
            outcome.worsen(MISSING if note.startswith("missing") else FLAGGED, note)
        target = self.submitted_dir / submission.student / self.assignment
        if not self.in_place:
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
        job.files = {
            name: content
            for name, content in submission.files.items()
            if not name.endswith(".ipynb") and not isinstance(content, submissions.TooLarge)
        }
        for name, content in found.items():
            sanitized = self._sanitized(outcome, name, content)
            if sanitized is None:
                continue
            job.notebooks[name] = sanitized
            if not self.in_place or not (target / name).exists():
                # the original, as submitted, under the name nbgrader expects (in nbgrader's own submitted/ folder
                # too, where a renamed notebook would otherwise leave nbgrader "no notebooks found")
                target.mkdir(parents=True, exist_ok=True)
                (target / name).write_bytes(bytes(content))
        if not self.in_place:
            self._copy_files(job, submission, target)
        return job

    def _sanitized(self, outcome: Outcome, name: str, content: bytes) -> str | None:
        """The notebook nbgrader will score, as JSON; None (and the outcome says why) when it cannot be graded."""
        try:
            notebook = submissions.parse_notebook(content)
        except submissions.NotebookProblem as problem:
            outcome.worsen(REJECTED, f"{name}: {problem}")
            keep = self.rejected_dir / outcome.student / self.assignment / name
            keep.parent.mkdir(parents=True, exist_ok=True)
            keep.write_bytes(bytes(content))
            return None
        if wrong := assignment_id.wrong_assignment(notebook, self.assignment, self.course_root):
            outcome.worsen(REJECTED, f"{name}: {wrong}")
            return None
        notebook_id = name[: -len(".ipynb")]
        try:
            for note in nbgrader_steps.read_only_edits(notebook, self.api, self.assignment, notebook_id):
                outcome.worsen(FLAGGED, f"{name}: {note}")
            sanitized = nbgrader_steps.sanitize(
                copy.deepcopy(notebook), self.api, self.assignment, notebook_id, outcome.student
            )
        except Exception as exc:  # nbgrader refuses the cell metadata
            outcome.worsen(REJECTED, f"{name}: nbgrader cannot grade it ({type(exc).__name__}: {str(exc)[:200]})")
            return None
        return nbformat.writes(sanitized)

    def _copy_files(self, job: Job, submission: submissions.Submission, target: Path) -> None:
        for name, content in job.files.items():
            if name != "timestamp.txt":
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                (target / name).write_bytes(content)
        stamp = _timestamp(submission.timestamp)
        if stamp:
            (target / "timestamp.txt").write_text(stamp)
        elif submission.timestamp:
            job.outcome.worsen(FLAGGED, f"unreadable timestamp {submission.timestamp!r} ignored")

    def record(self, job: Job, executions: dict[str, execution.Execution]) -> None:
        nbgrader_steps.record(job.outcome, job.notebooks, executions, self.api, self.assignment, self.executed_dir)

    def record_zero(self, student: str) -> None:
        nbgrader_steps.record_zero(self.api, self.assignment, student)


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
    regrade: bool = False,
) -> GradingReport:
    """Grade every submission of ``assignment`` under ``submissions_path``; see :mod:`scalingml.grading`.

    ``students`` (ids or shell-style patterns such as ``"a*"``) grades only those, leaving
    everyone else's files and gradebook rows as they are. ``scratch_dir`` is where the run
    keeps its temporary files: a new folder is made inside it (default: in the system's temp folder) and
    removed afterwards; nothing else in ``scratch_dir`` is touched. A student whose submission an earlier
    (perhaps killed) run finished is kept as recorded (:mod:`~scalingml.grading.ledger`) unless ``regrade``.
    """
    start = time.monotonic()
    course_root = Path(course_root or course.root()).resolve()
    assignment = course.require_assignments([assignment], course_root)[0]  # a number names it too
    if scratch_dir is not None:
        Path(scratch_dir).mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="scalingml-grading-", dir=scratch_dir))
    (workdir / "jobs").mkdir(parents=True, exist_ok=True)
    settings = nbgrader_steps.settings(db_url, workdir / "executed", show_hidden_tests)
    api = course.nbgrader_api(course_root, **settings)
    run = GradingRun(
        assignment=assignment,
        course_root=course_root,
        api=api,
        limits=limits or sandbox.Limits(memory_mb=sandbox.default_memory_mb(jobs)),
        workdir=workdir,
        report_dir=Path(report_dir or Path(api.coursedir.root) / course.GRADING_DIR / "reports" / assignment),
        source=Path(submissions_path).resolve(),
        hidden_tests_shown=show_hidden_tests,
    )
    timings = Timings()
    notes: list[str] = []
    try:
        ledger.require_writable(run.written_folders, _sqlite_path(api.coursedir.db_url))
        with (
            ledger.run_lock(run.grading_dir),
            course.working_directory(course_root),
            warnings.catch_warnings(),
        ):
            # nbgrader's own gradebook updates trip SQLAlchemy's autoflush warning (harmless, not ours)
            warnings.filterwarnings("ignore", message=".*not in session.*")
            outcomes, kept = _grade_all(
                run, jobs, dask_address, named_regexp, students, show_progress, regrade, timings, notes
            )
            with timings.step("reports"):
                scores = nbgrader_steps.read_scores(api, assignment)
                export = nbgrader_steps.refresh_export(api)
                report = build_report(
                    outcomes, scores, run.report_dir, run.feedback_dir / "", run.autograded_dir, assignment,
                    time.monotonic() - start, run.limits,
                )  # fmt: skip
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report.export = export
    report.kept = kept
    report.timings = timings
    report.notes = notes
    return report


def _grade_all(
    run: GradingRun,
    jobs: int,
    dask_address: str | None,
    named_regexp: str,
    students: list[str] | None,
    show_progress: bool,
    regrade: bool,
    timings: Timings,
    notes: list[str],
) -> tuple[list[Outcome], int]:
    """Prepare each submission and start it executing at once; record each, and its feedback, as it finishes.

    Students an earlier run finished with the same submission are kept (not prepared, not executed);
    returns every outcome and how many were kept; what the run should say about itself goes to ``notes``.
    """
    expected = nbgrader_steps.expected_notebooks(run.api, run.assignment)
    found = select_students(submissions.collect(run.source, run.assignment, named_regexp=named_regexp), students)
    book = ledger.Ledger(run.grading_dir / "ledger" / f"{run.assignment}.json")
    sources = sorted((run.course_root / course.SOURCE_DIR / run.assignment).glob("*.ipynb"))
    settings = repr((run.limits, run.api.coursedir.db_url, run.hidden_tests_shown))
    keys = {s.student: ledger.submission_key(s.files, sources, settings) for s in found}
    recorded = set() if regrade else nbgrader_steps.recorded_students(run.api, run.assignment)
    candidates = {
        s.student: book.kept(s.student, keys[s.student])
        for s in found
        if not regrade and not s.problems and s.student in recorded
        and (run.autograded_dir / s.student / run.assignment).is_dir()
    }  # fmt: skip
    earlier = {student: outcome for student, outcome in candidates.items() if outcome is not None}
    book.forget([s.student for s in found if s.student not in earlier])  # whoever is graded now is unfinished
    finished_count = 0

    def finish(job: Job) -> None:
        nonlocal finished_count
        with timings.step("feedback"):
            nbgrader_steps.write_feedback(
                run.api, run.assignment, [job.outcome], run.autograded_dir,
                before_move=lambda: ledger.crash_point("feedback", finished_count),
            )  # fmt: skip
            book.finish(job.outcome, keys[job.outcome.student])
        finished_count += 1

    prepared, pending = [], {}
    line = ClassProgress(len(found), len(earlier), f"grading {run.assignment}", enabled=show_progress)
    with Pool(jobs, dask_address) as pool:
        for submission in found:
            if submission.student in earlier:
                prepared.append(Job(earlier[submission.student]))
                continue
            with timings.step("preparing"):
                job = run.prepare(submission, expected)
            prepared.append(job)
            if job.notebooks:
                arguments = (job.notebooks, job.files, run.limits, run.hidden, str(run.workdir / "jobs"))
                pending[pool.submit(execute_job, *arguments)] = job
                continue
            if job.outcome.status != FAILED:
                with timings.step("recording"):
                    run.record_zero(job.outcome.student)
            finish(job)
            line.advance()
        for future in pool.as_completed(pending):
            job = pending[future]
            try:
                executions = future.result()
            except Exception as exc:  # the sandbox itself failed for this submission
                job.outcome.worsen(FAILED, f"execution failed: {type(exc).__name__}: {exc}")
                with timings.step("recording"):
                    run.record_zero(job.outcome.student)
            else:
                timings.execution += sum(result.seconds for result in executions.values())
                with timings.step("recording"):
                    run.record(job, executions)
                ledger.crash_point("recording", finished_count)  # recorded in the gradebook, not yet finished
            finish(job)
            line.advance()
        lost = pool.lost_workers()
    line.close()
    if lost:
        failed = sum(1 for job in pending.values() if "KilledWorker" in "; ".join(job.outcome.reasons))
        notes.append(
            f"{len(lost)} Dask worker(s) lost during the run ({', '.join(lost)}): their submissions were re-run on "
            f"the other workers; {failed} failed with KilledWorker (recorded with the reason, graded again by a rerun)"
        )
    return [job.outcome for job in prepared], len(earlier)


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
