"""``scalingml check NOTEBOOK``: run one notebook's visible tests in the sandbox and report each question.

Unlike ``nbgrader validate`` (which exits 0 even when tests fail, nbgrader #1908),
the command exits 1 when any question fails, and 2 when the notebook cannot be read.
The notebook runs at the ``ci`` profile, as when it is graded, on a scratch copy.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

from scalingml import assignment_id, cells, course, sandbox, submissions
from scalingml.command import command
from scalingml.errors import ScalingmlError
from scalingml.sandbox import execution

RESULT_COLUMNS = ["question", "points", "passed", "reason"]


class CheckError(ScalingmlError, ValueError):
    """The notebook cannot be checked: the message says why and what to do."""


@dataclass
class CheckReport:
    """Per-question results, how the code was isolated, and why execution stopped early (if it did)."""

    results: pd.DataFrame
    isolation: str
    stopped: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    assignment: str | None = None
    hints_folder: Path | None = None

    @property
    def passed(self) -> bool:
        return bool(len(self.results)) and bool(self.results["passed"].all())

    @property
    def score(self) -> tuple[float, float]:
        earned = self.results.loc[self.results["passed"], "points"].sum()
        return float(earned), float(self.results["points"].sum())


def read_notebook(path: str | os.PathLike) -> nbformat.NotebookNode:
    """Read a notebook, turning every way it can be unreadable into a :class:`CheckError`."""
    path = Path(path)
    if not path.is_file():
        raise CheckError(f"No notebook at {path}.")
    content = submissions.read_capped(path)
    try:
        return submissions.parse_notebook(content)
    except submissions.NotebookProblem as problem:
        raise CheckError(f"{path}: {problem}. Save it again from JupyterLab, or download a fresh copy.") from None


def _graded_tests(notebook) -> list[tuple[int, dict]]:
    return [
        (index, cells.nbgrader_metadata(cell))
        for index, cell in enumerate(notebook.cells)
        if cells.is_autograded_test(cell)
    ]


def _error(cell) -> str | None:
    output = cells.first_error(cell)
    if output is None:
        return None
    return f"{output.get('ename')}: {output.get('evalue', '')}".strip().rstrip(":")[:200]


def released_version(path: Path, notebook: nbformat.NotebookNode) -> tuple[str | None, Path | None]:
    """The assignment ``notebook`` belongs to, from its own read-only cells (whatever its file or folder is
    called), and the course's release of it in ``exercises/`` (None where the course has not released it)."""
    try:
        root = course.root(path.parent)
    except course.CourseNotFoundError:
        return None, None
    found = assignment_id.identify(notebook, root)
    if found is None:
        return None, None
    if found.path.parent.parent.name != course.RELEASE_DIR:  # a source holds the hidden tests: never run them here
        return found.assignment, None
    return found.assignment, found.path


def folder_note(path: Path, assignment: str | None) -> str | None:
    """Say so when the notebook sits in another assignment's folder (its hints and checks are its own)."""
    folder = path.resolve().parent.name
    if assignment is None or folder == assignment or not re.fullmatch(r"\d\d_\w+", folder):
        return None
    return (
        f"this notebook is {assignment}, but it is saved in {folder}/: it was checked as {assignment}, "
        f"with {assignment}'s hints (`{command('start', folder.split('_', 1)[0])}` gives {folder}'s notebook)"
    )


def _visible_part(cell) -> str:
    """A test cell's source above its hidden tests (a source notebook has them; a release has none)."""
    return cell.source.split(cells.BEGIN_HIDDEN_TESTS)[0].rstrip()


def _points(cell):
    return cells.nbgrader_metadata(cell).get("points")


def restore_tests(notebook: nbformat.NotebookNode, release: nbformat.NotebookNode) -> list[str]:
    """Put back the release's test cells where they were deleted or edited, as the grader does; say which."""
    notes = []
    by_id = {cells.nbgrader_metadata(cell).get("grade_id"): cell for cell in notebook.cells}
    previous = None
    for reference in release.cells:
        grade_id = cells.nbgrader_metadata(reference).get("grade_id")
        if not cells.is_autograded_test(reference):
            previous = by_id.get(grade_id, previous)
            continue
        mine = by_id.get(grade_id)
        if mine is None:
            position = notebook.cells.index(previous) + 1 if previous is not None else len(notebook.cells)
            mine = nbformat.v4.new_code_cell(reference.source, metadata=reference.metadata)
            notebook.cells.insert(position, mine)
            notes.append(f"{grade_id} was deleted: the release's tests ran in its place (as when graded)")
        elif _visible_part(mine) != reference.source.rstrip() or _points(mine) != _points(reference):
            mine.source, mine.metadata = reference.source, reference.metadata
            notes.append(f"{grade_id} was edited: the release's tests ran instead (as when graded)")
        previous = mine
    return notes


def _answer_error(executed: nbformat.NotebookNode, test_index: int, timed_out: set[int], limit: str) -> str | None:
    """The error of the answer cell(s) a failing test cell depends on: the cells since the previous test.

    Cells in ``timed_out`` ran past ``limit`` (their error is the KeyboardInterrupt that stopped them)."""
    for index in range(test_index - 1, -1, -1):
        cell = executed.cells[index]
        if cells.is_autograded_test(cell):
            return None
        meta = cells.nbgrader_metadata(cell)
        error = cells.first_error(cell)
        if meta.get("solution") and error is not None:
            if error.get("ename") == "NotImplementedError":
                return f"not answered yet: answer cell {meta.get('grade_id')} still raises NotImplementedError"
            if index in timed_out:
                return f"your answer cell {meta.get('grade_id')} ran past {limit} and was interrupted: make it faster"
            message = f"{error.get('ename')}: {error.get('evalue', '')}".strip().rstrip(":")[:160]
            return f"your answer cell {meta.get('grade_id')} failed first ({message}); fix it, then run the test again"
    return None


def check_notebook(path: str | os.PathLike, limits: sandbox.Limits | None = None) -> CheckReport:
    """Execute a scratch copy of ``path`` (and the files beside it) in the sandbox; report every test cell.

    The notebook's folder is hidden from the kernel: it works only on the copy. Test cells that were
    deleted or edited are replaced by the release's (as the grader replaces them), with a note.
    """
    path, limits = Path(path), limits or sandbox.Limits()
    notebook = read_notebook(path)
    assignment, release_path = released_version(path, notebook)
    release = nbformat.read(release_path, as_version=4) if release_path is not None else None
    restored = restore_tests(notebook, release) if release is not None else []
    tests = _graded_tests(notebook)
    if not tests:
        raise CheckError(f"{path} has no graded test cells: is it an assignment notebook from exercises/?")
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    files = {
        p.relative_to(path.parent).as_posix(): p.read_bytes()
        for p in path.parent.iterdir()
        if p.is_file() and p.suffix != ".ipynb" and not isinstance(submissions.read_capped(p), submissions.TooLarge)
    }
    result = execution.run_notebook(
        nbformat.writes(notebook), path.name, files, limits, hide=[str(path.parent.resolve())]
    )
    executed = nbformat.reads(result.notebook, as_version=4)
    limit = f"the {limits.cell_timeout} s per-cell limit"
    rows = []
    for index, meta in tests:
        error = _error(executed.cells[index])
        reason = "ok" if error is None else (_answer_error(executed, index, set(result.timed_out), limit) or error)
        if reason.startswith("NotImplementedError"):
            reason = "not answered yet: the test called your answer, which still raises NotImplementedError"
        elif index in result.timed_out:
            reason = f"the test ran past {limit} and was interrupted"
        rows.append(
            {
                "question": meta.get("grade_id", f"cell {index}"),
                "points": float(meta.get("points", 0)),
                "passed": error is None,
                "reason": reason,
            }
        )
    notes = [
        *filter(None, [folder_note(path, assignment)]),
        *restored,
        *(
            []
            if release is not None
            else ["no released copy of this assignment was found: its test cells were not compared with the release"]
        ),
    ] + [f"{cells.label(notebook, index)} ran past {limit} and was interrupted" for index in result.timed_out]
    notes += [f"{cells.label(notebook, i)} printed too much: its output was truncated" for i in result.truncated]
    notes += [f"{suspicion}: the grader would flag this submission" for suspicion in result.suspicions()]
    notes += [f"{warning} (written to stderr: shown, not counted against you)" for warning in result.warnings]
    return CheckReport(
        pd.DataFrame(rows, columns=RESULT_COLUMNS),
        result.isolation,
        result.stopped,
        result.seconds,
        notes,
        assignment,
        # the hints released with this notebook's assignment, wherever the notebook is saved
        release_path.parent if release_path is not None else path.parent,
    )


def format_report(report: CheckReport) -> str:
    """Plain text for the terminal: one line per question, the total, and the isolation used."""
    lines = [
        f"{'PASS' if row.passed else 'FAIL'}  {row.question:<24} {row.points:>4g} pt  {row.reason}"
        for row in report.results.itertuples()
    ]
    earned, total = report.score
    lines.append(
        f"{earned:g} / {total:g} points from visible tests ({report.seconds:.1f} s, isolation: {report.isolation})"
    )
    lines += report.notes
    if report.stopped:
        lines.append(f"stopped: {report.stopped}")
    return "\n".join(lines)


def next_step(report: CheckReport, notebook: str, hinted: bool) -> str:
    """The line after the report: where to look when a test fails, what follows when all pass."""
    if report.passed:
        return (
            "Every visible test passes (hidden tests are added when it is graded): submit it as your instructor "
            "asks, or go on to the next lesson."
        )
    if hinted:
        return "Fix the first FAIL above, save the notebook, and check again."
    return f"Stuck? `{command('check', notebook, '--hint')}` adds a nudge for each failing question."


def format_hints(report: CheckReport, folder: Path | None = None, level: int = 1) -> str:
    """One hint per failing question, at ``level`` (the next level is named), from the assignment's hints.

    ``folder`` defaults to where the hints of the notebook's own assignment are (``report.hints_folder``);
    levels follow :func:`scalingml.hints.pick` (past a question's last level: the last, saying so).
    """
    from scalingml import hints

    try:
        available = hints.load_hints(folder or report.hints_folder)
    except hints.HintError as exc:
        return f"No hints: {exc}"
    lines = []
    for row in report.results[~report.results["passed"]].itertuples():
        levels = available.get(hints.question_id(row.question), [])
        if not levels:
            lines.append(f"HINT  {row.question}: none for this question")
            continue
        shown, note = hints.pick(levels, level)
        more = f" (more: --hint {shown + 1})" if shown < len(levels) else f" ({note or 'the last level'})"
        lines.append(f"HINT  {row.question} ({shown}/{len(levels)}): {hints.plain(levels[shown - 1])}{more}")
    return "\n".join(lines)
