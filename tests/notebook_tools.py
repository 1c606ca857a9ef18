"""Helpers for the notebook tests: find, read, execute and modify course notebooks."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("course", "solutions", "exercises")


def notebooks(folder: str) -> list[Path]:
    return sorted(p for p in (REPO / folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def assignment_names() -> list[str]:
    return sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def grader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def graded_test_cells(notebook) -> list:
    """Autograded test cells (grade, not solution, code)."""
    return [
        c for c in notebook.cells if grader(c).get("grade") and not grader(c).get("solution") and c.cell_type == "code"
    ]


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
