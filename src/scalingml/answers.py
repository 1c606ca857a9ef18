"""Model answers for self-study, shown only when asked for, and only from an instructor's checkout.

A clone of the course repository holds ``solutions/``; after trying a question, a learner studying alone can ask
for its model answer (as Kaggle learntools' ``q1.solution()``)::

    scalingml solution 02 q3                       # in a terminal
    from scalingml.answers import solution
    solution("q3")                                 # in the notebook (the assignment is the notebook's folder)

The answer is the question's answer cells of ``solutions/NAME/NAME.ipynb`` without nbgrader's markers; never
its hidden tests. A learner distribution (``scalingml dist``, for graded classes) has no ``solutions/``: there
this refuses, with :class:`scalingml.course.LearnerDistributionError`.
"""

from __future__ import annotations

import os
from pathlib import Path

from scalingml import cells, course, hints
from scalingml.errors import ScalingmlError


class SolutionError(ScalingmlError, LookupError):
    """An unknown question, or an assignment without a source notebook; the message lists what exists."""


def model_answer(assignment: str, question: str, course_root: Path | None = None) -> str:
    """The model answer of ``question`` (``"q3"``, ``3``) in ``assignment`` (``"02"`` or its full name), as text."""
    import nbformat

    course_root = Path(course_root or course.root())
    course.require_instructor_checkout(
        course_root,
        "show model answers",
        "ask your instructor, or study alone with a clone of the course repository (`scalingml solution` works there)",
    )
    name = course.resolve_assignment(assignment, course_root)
    source = course_root / course.SOURCE_DIR / name / f"{name}.ipynb"
    if not source.is_file():
        raise SolutionError(f"No source notebook {source}: restore it from the course repository (git checkout)")
    notebook = nbformat.read(source, as_version=4)
    wanted = hints.question_id(question).removesuffix("_tests")
    answers: list = []
    for cell in notebook.cells:
        meta = cells.nbgrader_metadata(cell)
        if meta.get("solution"):
            answers.append(cell)
        if meta.get("grade"):
            if _question(cell) == wanted:
                break
            answers = []
    else:
        known = [_question(c) for c in notebook.cells if cells.nbgrader_metadata(c).get("grade")]
        raise SolutionError(f"{name} has no graded question {question!r}; its questions: {', '.join(known)}")
    return "\n\n".join(_without_markers(cell.source) for cell in answers)


def _question(cell) -> str:
    """A graded cell's question: ``q3`` for ``q3_tests`` (autograded) or ``q3_answer`` (graded by hand)."""
    return cells.nbgrader_metadata(cell)["grade_id"].removesuffix("_tests").removesuffix("_answer")


def _without_markers(source: str) -> str:
    return "\n".join(
        line for line in source.splitlines() if line.strip() not in (cells.BEGIN_SOLUTION, cells.END_SOLUTION)
    )


def heading(question: str, assignment: str) -> str:
    """What a model answer is shown under, in the notebook and in the terminal."""
    return f"Model answer for {hints.question_id(question).removesuffix('_tests')} ({assignment})"


def solution(question: str, assignment: str | None = None, folder: str | os.PathLike | None = None) -> None:
    """Show the model answer of ``question`` in the notebook (default assignment: the folder it runs in)."""
    folder = Path(folder or os.getcwd()).resolve()
    assignment = assignment or folder.name
    text = model_answer(assignment, question, course.root(folder))
    title = heading(question, course.resolve_assignment(assignment, course.root(folder)))
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython comes with JupyterLab
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(Markdown(f"**{title}**, to compare with yours:"))
        print(text)
    else:
        print(f"{title}:\n{text}")
