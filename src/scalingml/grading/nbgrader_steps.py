"""nbgrader's steps, adapted: settings, releasing into the gradebook, sanitizing, recording, feedback, scores.

nbgrader keeps the bookkeeping (gradebook, cell metadata, feedback HTML). Two of its
steps are swapped: execution (:class:`ReplayExecution` hands over the notebook the
sandbox executed) and, for feedback, hidden-test clearing
(:class:`~scalingml.grading.feedback.HideHiddenTests`, also set in ``nbgrader_config.py``).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import nbformat
import pandas as pd
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from traitlets import Unicode

from scalingml.grading import feedback
from scalingml.grading.status import FAILED, FLAGGED, STOPPED, GradingError, Outcome
from scalingml.sandbox import execution

SCORE_COLUMNS = ["student", "notebook", "question", "score", "max_score", "needs_manual_grade", "autograded"]


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


def nbgrader_default(app, trait: str) -> list:
    """The default value of an nbgrader app's list trait (its preprocessors), as nbgrader ships it."""
    return list(app.class_traits()[trait].make_dynamic_default())


def settings(db_url: str | None, executed_dir: Path, show_hidden_tests: bool) -> dict:
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    settings = {
        "OverwriteCells.add_missing_cells": True,
        "Autograde.sanitize_preprocessors": [],  # done by sanitize() before execution
        "ReplayExecution.executed_directory": str(executed_dir),
        "Autograde.autograde_preprocessors": [
            ReplayExecution if step is Execute else step
            for step in nbgrader_default(Autograde, "autograde_preprocessors")
        ],
        "GenerateFeedback.preprocessors": feedback.preprocessors(show_hidden_tests),
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


def read_only_edits(notebook: nbformat.NotebookNode, api, assignment: str, notebook_id: str) -> list[str]:
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


def record(
    outcome: Outcome,
    sanitized_notebooks: dict[str, str],
    executions: dict[str, execution.Execution],
    api,
    assignment: str,
    executed_dir: Path,
) -> None:
    """Hand one student's executed notebooks to nbgrader's autograde, the gradebook's only writer.

    Each executed notebook must hold exactly the sanitized cells; what the run saw
    (stopped, interrupted, truncated, tampering) worsens the outcome with the reason.
    """
    student = outcome.student
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
        if result.warnings:  # recorded with the submission; they cost no points and change no status
            outcome.note(f"{name}: warnings, not counted: {' | '.join(result.warnings[:5])}")
        executed = nbformat.reads(result.notebook, as_version=4)
        sanitized = nbformat.reads(sanitized_notebooks[name], as_version=4)
        if [c.source for c in executed.cells] != [c.source for c in sanitized.cells]:
            outcome.worsen(FAILED, f"{name}: the executed copy does not match the sanitized notebook")
            continue
        executed.metadata = sanitized.metadata
        path = executed_dir / student / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(executed, path)
    if outcome.status == FAILED:
        record_zero(api, assignment, student)
        return
    result = api.autograde(assignment, student, force=True, create=True)
    if not result["success"]:
        log = (result.get("log") or result.get("error") or "").strip().splitlines()
        outcome.worsen(FAILED, "nbgrader autograde failed: " + " | ".join(line for line in log[-3:]))
        record_zero(api, assignment, student)  # every submission ends recorded, with the reason in the report


def record_zero(api, assignment: str, student: str) -> None:
    """Nothing gradable was submitted: record the submission with zero on every question, as nbgrader does."""
    with api.gradebook as gradebook:
        gradebook.update_or_create_student(student)
        submission = gradebook.update_or_create_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gradebook.db.commit()


def write_feedback(api, assignment: str, outcomes: list[Outcome], autograded_dir: Path, before_move=None) -> None:
    """nbgrader's HTML feedback for the students graded in this run, and no one else."""
    graded = [o.student for o in outcomes if (autograded_dir / o.student / assignment).is_dir()]
    problems = feedback.generate(api, assignment, graded, before_move)
    for outcome in outcomes:
        if outcome.student in problems:
            outcome.worsen(FLAGGED, f"no feedback: {problems[outcome.student]}")


def recorded_students(api, assignment: str) -> set[str]:
    """The students with a submission of ``assignment`` in the gradebook."""
    with api.gradebook as gradebook:
        return {submission.student.id for submission in gradebook.assignment_submissions(assignment)}


def refresh_export(api) -> Path | None:
    """Rewrite the CSV of ``nbgrader export`` (``CsvExportPlugin.to``) from the gradebook, if one was exported."""
    from nbgrader.plugins import CsvExportPlugin

    plugin = CsvExportPlugin(parent=api)
    path = Path(api.coursedir.root) / (plugin.to or "grades.csv")
    if not path.is_file():
        return None
    with api.gradebook as gradebook:
        plugin.export(gradebook)
    return path


def read_scores(api, assignment: str) -> pd.DataFrame:
    """Every graded cell's score for every submission of ``assignment`` in the gradebook.

    ``autograded`` is True for test cells (scored by running them), False for answers graded by hand.
    ``needs_manual_grade`` is False for a manual score kept through a regrade (nbgrader flags it for
    review again, yet the score already counts it): only answers without a manual score await grading.
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
                            "needs_manual_grade": bool(grade.needs_manual_grade) and grade.manual_score is None,
                            "autograded": grade.name not in by_hand,
                        }
                    )
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)
