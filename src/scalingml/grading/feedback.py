"""Feedback without hidden tests, for ``scalingml grade``, ``scalingml feedback`` and nbgrader's own step.

``nbgrader_config.py`` sets :func:`preprocessors` as ``GenerateFeedback.preprocessors``, so
``nbgrader generate_feedback`` and formgrader's "Generate Feedback" button strip hidden tests
as ``scalingml`` does; :func:`generate` writes it for some students (``scalingml grade`` after a run,
:mod:`scalingml.grading.manual_feedback` after manual grading).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from nbgrader.preprocessors import ClearHiddenTests

#: Files nbgrader's exchange writes into a submission; ``release_feedback`` needs both in each feedback folder.
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")


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


def preprocessors(show_hidden_tests: bool = False) -> list:
    """``GenerateFeedback.preprocessors``: nbgrader's own, then :class:`HideHiddenTests` unless asked to show them."""
    from nbgrader.converters import GenerateFeedback

    shipped = list(GenerateFeedback.class_traits()["preprocessors"].make_dynamic_default())
    return shipped if show_hidden_tests else [*shipped, HideHiddenTests]


def generate(
    api, assignment: str, students: list[str], before_move: Callable[[], None] | None = None
) -> dict[str, str]:
    """nbgrader's HTML feedback for each of ``students``; ``{student: why not}`` for those it could not write.

    nbgrader writes each student's feedback into a staging folder beside the feedback folder; the files are
    then renamed into place one by one, so a reader (or a crash) never meets a partly written one.
    """
    problems = {}
    coursedir = api.coursedir
    final = coursedir.feedback_directory
    staging = os.path.join(os.path.dirname(final), ".feedback-staging")
    for student in students:
        shutil.rmtree(Path(coursedir.root) / staging, ignore_errors=True)
        coursedir.feedback_directory = staging
        try:
            result = api.generate_feedback(assignment, student, force=True)
        finally:
            coursedir.feedback_directory = final
        if not result["success"]:
            lines = (result.get("log") or "").strip().splitlines()
            problems[student] = lines[-1] if lines else "nbgrader gave no reason"
            continue
        if before_move is not None:
            before_move()  # (a test's crash point: written, not yet in place)
        _move_into_place(
            Path(coursedir.root) / staging / student / assignment, Path(coursedir.root) / final / student / assignment
        )
    shutil.rmtree(Path(coursedir.root) / staging, ignore_errors=True)
    return problems


def _move_into_place(written: Path, target: Path) -> None:
    """Rename each file of ``written`` over its counterpart in ``target``; drop target files no longer written."""
    new = {path.relative_to(written) for path in written.rglob("*") if path.is_file()}
    for name in sorted(new):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        os.replace(written / name, target / name)
    if target.is_dir():
        for path in target.rglob("*"):
            if path.is_file() and path.relative_to(target) not in new:
                path.unlink()


def graded_students(api, assignment: str) -> list[str]:
    """The students with an autograded copy of ``assignment`` (what feedback is generated from)."""
    autograded = Path(api.coursedir.root) / api.coursedir.autograded_directory
    return sorted(p.parent.name for p in autograded.glob(f"*/{assignment}") if p.is_dir())
