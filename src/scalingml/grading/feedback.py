"""Feedback without hidden tests, for ``scalingml grade``, ``scalingml feedback`` and nbgrader's own step.

``nbgrader_config.py`` sets :func:`preprocessors` as ``GenerateFeedback.preprocessors``, so
``nbgrader generate_feedback`` and formgrader's "Generate Feedback" button strip hidden tests
as ``scalingml`` does; :func:`generate` writes it for some students (``scalingml grade`` after a run,
:mod:`scalingml.grading.manual_feedback` after manual grading).
"""

from __future__ import annotations

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


def generate(api, assignment: str, students: list[str]) -> dict[str, str]:
    """nbgrader's HTML feedback for each of ``students``; ``{student: why not}`` for those it could not write."""
    problems = {}
    for student in students:
        result = api.generate_feedback(assignment, student, force=True)
        if not result["success"]:
            lines = (result.get("log") or "").strip().splitlines()
            problems[student] = lines[-1] if lines else "nbgrader gave no reason"
    return problems


def graded_students(api, assignment: str) -> list[str]:
    """The students with an autograded copy of ``assignment`` (what feedback is generated from)."""
    autograded = Path(api.coursedir.root) / api.coursedir.autograded_directory
    return sorted(p.parent.name for p in autograded.glob(f"*/{assignment}") if p.is_dir())
