"""Autograde notebooks through nbgrader and read the scores from its gradebook.

``nbgrader validate`` exits 0 even when tests fail (nbgrader #1908), so scores are
always read through the gradebook API. :func:`grade_notebooks` works in a private
copy of the course (its own gradebook), so it never touches an instructor's
``grading/`` folder: the tests use it to prove each assignment's round trip.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from scalingml import course

SCORE_COLUMNS = ["student", "notebook", "question", "score", "max_score", "needs_manual_grade"]


class GradingError(RuntimeError):
    """nbgrader could not process a submission; the message carries its log."""


def scratch_course(assignment: str, course_root: Path | None = None, workdir: Path | None = None) -> Path:
    """Copy the course config and one assignment's source into ``workdir`` (a new temp folder by default)."""
    course_root = course_root or course.root()
    source = course_root / course.SOURCE_DIR / assignment
    if not source.is_dir():
        raise ValueError(f"Unknown assignment {assignment!r}; known: {course.assignments(course_root)}")
    workdir = Path(workdir or tempfile.mkdtemp(prefix="scalingml-grade-"))
    shutil.copy2(course_root / "nbgrader_config.py", workdir / "nbgrader_config.py")
    shutil.copytree(source, workdir / course.SOURCE_DIR / assignment, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return workdir


def read_scores(api, assignment: str) -> pd.DataFrame:
    """Every graded cell's score for every submission of ``assignment`` in the gradebook."""
    rows = []
    with api.gradebook as gradebook:
        for submission in gradebook.assignment_submissions(assignment):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    rows.append({
                        "student": submission.student.id,
                        "notebook": notebook.name,
                        "question": grade.name,
                        "score": float(grade.score),
                        "max_score": float(grade.max_score),
                        "needs_manual_grade": bool(grade.needs_manual_grade),
                    })
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def grade_notebooks(assignment: str, submissions: Mapping[str, Path], *, course_root: Path | None = None,
                    workdir: Path | None = None) -> pd.DataFrame:
    """Autograde ``{student_id: notebook_path}`` for ``assignment`` in a scratch course; return scores.

    Each notebook is submitted under the assignment's notebook name (the name of the
    single notebook in ``solutions/ASSIGNMENT/``). Returns a frame with the columns of
    :data:`SCORE_COLUMNS`. Raises :class:`GradingError` if nbgrader fails on one.
    """
    workdir = scratch_course(assignment, course_root, workdir)
    notebooks = sorted((workdir / course.SOURCE_DIR / assignment).glob("*.ipynb"))
    if len(notebooks) != 1:
        raise ValueError(f"{assignment} has {len(notebooks)} notebooks; grade_notebooks expects exactly one")
    notebook_name = notebooks[0].name
    api = course.nbgrader_api(workdir)
    with course.working_directory(workdir):
        result = api.generate_assignment(assignment, force=True)
        if not result["success"]:
            raise GradingError(f"generate_assignment failed for {assignment}:\n{result.get('log')}")
        for student, path in submissions.items():
            target = workdir / course.GRADING_DIR / "submitted" / student / assignment / notebook_name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            with api.gradebook as gradebook:
                gradebook.update_or_create_student(student)
            result = api.autograde(assignment, student, force=True, create=True)
            if not result["success"]:
                raise GradingError(f"autograde failed for {student}/{assignment}:\n{result.get('log')}")
    return read_scores(api, assignment)
