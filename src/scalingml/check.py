"""``scalingml check NOTEBOOK``: run one notebook's visible tests in the sandbox and report each question.

Unlike ``nbgrader validate`` (which exits 0 even when tests fail, nbgrader #1908),
the command exits 1 when any question fails, and 2 when the notebook cannot be read.
The notebook runs at the ``ci`` profile, as when it is graded, on a scratch copy.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

from scalingml import cells, course, submissions
from scalingml.errors import ScalingmlError
from scalingml.grading import execution, sandbox

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


def released_version(path: Path, notebook: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """The release this notebook was started from, in the course's ``exercises/``: the one sharing the most
    read-only cells (question texts, setup) with it, whatever the file is called; None when none does."""
    try:
        root = course.root(path.parent)
    except course.CourseNotFoundError:
        return None
    mine = {(cells.nbgrader_metadata(c).get("grade_id"), c.source) for c in notebook.cells}
    best, best_shared = None, 0
    for candidate in sorted((root / course.RELEASE_DIR).glob("*/*.ipynb")):
        release = nbformat.read(candidate, as_version=4)
        locked = {
            (cells.nbgrader_metadata(c)["grade_id"], c.source)
            for c in release.cells
            if cells.nbgrader_metadata(c).get("locked") and not cells.is_autograded_test(c)
        }
        shared = len(locked & mine)
        if shared > best_shared:
            best, best_shared = release, shared
    return best


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
        elif mine.source.split(cells.BEGIN_HIDDEN_TESTS)[
            0
        ].rstrip() != reference.source.rstrip() or cells.nbgrader_metadata(mine).get(
            "points"
        ) != cells.nbgrader_metadata(reference).get("points"):
            mine.source, mine.metadata = reference.source, reference.metadata
            notes.append(f"{grade_id} was edited: the release's tests ran instead (as when graded)")
        previous = mine
    return notes


def _answer_error(executed: nbformat.NotebookNode, test_index: int) -> str | None:
    """The error of the answer cell(s) a failing test cell depends on: the cells since the previous test."""
    for index in range(test_index - 1, -1, -1):
        cell = executed.cells[index]
        if cells.is_autograded_test(cell):
            return None
        meta = cells.nbgrader_metadata(cell)
        error = cells.first_error(cell)
        if meta.get("solution") and error is not None:
            if error.get("ename") == "NotImplementedError":
                return f"not answered yet: answer cell {meta.get('grade_id')} still raises NotImplementedError"
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
    release = released_version(path, notebook)
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
    rows = []
    for index, meta in tests:
        error = _error(executed.cells[index])
        reason = "ok" if error is None else (_answer_error(executed, index) or error)
        if reason.startswith("NotImplementedError"):
            reason = "not answered yet: the answer still raises NotImplementedError"
        rows.append(
            {
                "question": meta.get("grade_id", f"cell {index}"),
                "points": float(meta.get("points", 0)),
                "passed": error is None,
                "reason": reason,
            }
        )
    notes = [
        *restored,
        *(
            []
            if release is not None
            else ["no released copy of this assignment was found: its test cells were not compared with the release"]
        ),
    ] + [
        f"cell {index} ran past the {limits.cell_timeout} s per-cell limit and was interrupted"
        for index in result.timed_out
    ]
    notes += [f"cell {index} printed too much: its output was truncated" for index in result.truncated]
    notes += [f"{suspicion}: the grader would flag this submission" for suspicion in result.suspicions()]
    return CheckReport(
        pd.DataFrame(rows, columns=RESULT_COLUMNS), result.isolation, result.stopped, result.seconds, notes
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


def format_hints(report: CheckReport, folder: Path, level: int = 1) -> str:
    """One hint per failing question, at ``level`` (the next level is named), from the assignment's hints."""
    from scalingml import hints

    try:
        available = hints.load_hints(folder)
    except hints.HintError as exc:
        return f"No hints: {exc}"
    lines = []
    for row in report.results[~report.results["passed"]].itertuples():
        levels = available.get(hints.question_id(row.question), [])
        if not levels:
            lines.append(f"HINT  {row.question}: none for this question")
            continue
        shown = min(max(1, level), len(levels))
        more = f" (more: --hint {shown + 1})" if shown < len(levels) else ""
        lines.append(f"HINT  {row.question} ({shown}/{len(levels)}): {levels[shown - 1]}{more}")
    return "\n".join(lines)
