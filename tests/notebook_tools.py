"""Helpers for the tests and benchmarks: find, read, execute and modify course notebooks; scratch courses."""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat

from scalingml import cells, course, releasing

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("course", "solutions", "exercises")


def notebooks(folder: str) -> list[Path]:
    return sorted(p for p in (REPO / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def assignment_names() -> list[str]:
    return sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())


def xdist_scope(nodeid: str) -> str:
    """The unit pytest-xdist schedules (conftest): a whole notebook for nbval's cells, each other test alone."""
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".ipynb") else nodeid


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


grader = cells.nbgrader_metadata


def graded_test_cells(notebook) -> list:
    """Autograded test cells (grade, not solution, code)."""
    return [c for c in notebook.cells if cells.is_autograded_test(c)]


def with_answer(solution: Path, replacements: dict[str, str], target: Path) -> Path:
    """Write a copy of ``solution`` with the source of answer cells ``{grade_id: source}`` replaced."""
    notebook = read(solution)
    found = set()
    for cell in notebook.cells:
        grade_id = grader(cell).get("grade_id")
        if grade_id in replacements:
            cell.source = replacements[grade_id]
            found.add(grade_id)
    missing = set(replacements) - found
    if missing:
        raise KeyError(f"{solution.name} has no cell(s) {sorted(missing)}")
    os.makedirs(target.parent, exist_ok=True)
    nbformat.write(notebook, target)
    return target


def execute(
    path: str | os.PathLike, *, timeout: int = 300, allow_errors: bool = True, env: dict[str, str] | None = None
) -> tuple[nbformat.NotebookNode, float]:
    """Run ``path`` top to bottom in its own folder; return the executed notebook and wall seconds.

    ``env`` entries are set for the kernel (e.g. ``{"SCALINGML_SCALE": "small"}``).
    With ``allow_errors`` the errors stay in the outputs (see :func:`error_names`).
    """
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        allow_errors=allow_errors,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    previous = {key: os.environ.get(key) for key in (env or {})}
    os.environ.update(env or {})
    try:
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return notebook, seconds


def error_names(notebook: nbformat.NotebookNode) -> list[str]:
    """The exception names in a notebook's outputs, in cell order."""
    return [error["ename"] for cell in notebook.cells if (error := cells.first_error(cell)) is not None]


def scratch_copy(names: list[str], workdir: Path, course_root: Path | None = None) -> Path:
    """A private course in ``workdir``: the nbgrader config and the named assignments' sources.

    Grading there writes its own ``grading/`` (gradebook included): tests and
    benchmarks use it so an instructor's gradebook is never touched.
    """
    course_root = course_root or course.root()
    course.require_assignments(names, course_root)
    return releasing.copy_sources(names, workdir, course_root)
