"""Which assignment a notebook is: read from its own read-only cells, never from its file or folder name.

A learner can save the welcome notebook under ``my-work/01_data_management/`` or submit it as
assignment 02. nbgrader's grade ids (``q1_answer``, ``q1_tests``) repeat across assignments, so the
ids alone cannot tell; the locked cells that are neither answers nor tests (title, question texts,
setup) can: each assignment's are its own (``tests/test_assignment_id.py`` checks that no two share one).
The assignment is the one whose released notebook shares the most of them; ``check`` and ``grade``
both ask :func:`identify_assignment`.

>>> import nbformat
>>> from scalingml import course
>>> welcome = nbformat.read(course.root() / "exercises" / "00_welcome" / "00_welcome.ipynb", as_version=4)
>>> identify_assignment(welcome)
'00_welcome'
>>> wrong_assignment(welcome, "01_data_management")
'this notebook is 00_welcome, not 01_data_management: submit the 01_data_management notebook'
>>> identify_assignment(nbformat.v4.new_notebook()) is None
True
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat

from scalingml import cells, course


@dataclass(frozen=True)
class Reference:
    """One assignment notebook of the course, and the read-only cells that identify it."""

    assignment: str
    path: Path
    read_only: frozenset[tuple[str, str]]


def read_only_cells(notebook) -> frozenset[tuple[str, str]]:
    """``(grade_id, source)`` of the locked cells a learner cannot answer in: the same in source and release."""
    found = set()
    for cell in notebook.cells:
        meta = cells.nbgrader_metadata(cell)
        if meta.get("locked") and not meta.get("solution") and not meta.get("grade") and meta.get("grade_id"):
            found.add((meta["grade_id"], cell.source))
    return frozenset(found)


def references(course_root: Path | None = None) -> list[Reference]:
    """Every assignment notebook of the course: the release (``exercises/``) where there is one, else the source."""
    course_root = Path(course_root or course.root())
    found = {}
    for folder in (course.SOURCE_DIR, course.RELEASE_DIR):  # a release replaces its source
        for path in sorted((course_root / folder).glob("*/*.ipynb")):
            found[(path.parent.name, path.name)] = path
    stamped = tuple((name, str(path), _mtime(path)) for (name, _), path in sorted(found.items()))
    return _read_references(stamped)


def _mtime(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


@functools.lru_cache(maxsize=8)
def _read_references(stamped: tuple[tuple[str, str, int], ...]) -> list[Reference]:
    """Read each notebook once per version (grading asks for every submission)."""
    result = []
    for assignment, path, _ in stamped:
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception:  # an unreadable course notebook identifies nothing; release reports it
            continue
        result.append(Reference(assignment, Path(path), read_only_cells(notebook)))
    return result


def identify(notebook, course_root: Path | None = None) -> Reference | None:
    """The course notebook sharing the most read-only cells with ``notebook``; None when none or a tie."""
    mine = read_only_cells(notebook)
    scored = sorted(((len(ref.read_only & mine), ref) for ref in references(course_root)), key=lambda x: -x[0])
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


def identify_assignment(notebook, course_root: Path | None = None) -> str | None:
    """The name of the assignment ``notebook`` belongs to (e.g. ``"01_data_management"``), or None if unknown."""
    found = identify(notebook, course_root)
    return found.assignment if found else None


def wrong_assignment(notebook, assignment: str, course_root: Path | None = None) -> str | None:
    """A one-line reason when ``notebook`` is plainly another assignment's than ``assignment``; else None."""
    found = identify_assignment(notebook, course_root)
    if found is None or found == assignment:
        return None
    return f"this notebook is {found}, not {assignment}: submit the {assignment} notebook"
