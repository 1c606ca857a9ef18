"""Learners' work is never overwritten: a place of their own, and a release that refuses to clobber.

``exercises/`` is generated from ``solutions/`` by ``scalingml release``. A learner who filled in a
notebook there would lose it to the next release, so:

* :func:`start` copies an exercise into ``my-work/NAME/``, which nothing in the course regenerates;
* :func:`learner_changes` tells what in an exercise notebook looks like a learner's work (answers
  that are not the released stubs, outputs, cells added), and ``release`` refuses to overwrite
  such a notebook unless forced.

>>> import nbformat
>>> stub = nbformat.v4.new_code_cell("# YOUR CODE HERE", metadata={"nbgrader": {"grade_id": "q1", "solution": True}})
>>> answered = nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "q1", "solution": True}})
>>> learner_changes(nbformat.v4.new_notebook(cells=[answered]), nbformat.v4.new_notebook(cells=[stub]))
['answer q1 differs from the released stub']
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat

from scalingml import cells, course
from scalingml.command import command
from scalingml.errors import ScalingmlError

#: Where ``scalingml start`` puts a learner's copy (git-ignored; nothing regenerates it).
WORK_DIR = "my-work"


class LearnerWorkError(ScalingmlError, FileExistsError):
    """A command would overwrite notebooks that hold a learner's work; the message lists them and the way out."""


def learner_changes(existing: nbformat.NotebookNode, fresh: nbformat.NotebookNode) -> list[str]:
    """What ``existing`` (an exercise on disk) has that the ``fresh`` release has not and a learner would miss."""
    stubs = {cells.nbgrader_metadata(cell).get("grade_id"): cell.source for cell in fresh.cells}
    changes = []
    for cell in existing.cells:
        grade_id = cells.nbgrader_metadata(cell).get("grade_id")
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            changes.append(f"cell {grade_id or cell.get('id', '?')} has outputs")
        elif grade_id is None:
            changes.append("a cell was added")
        elif cells.nbgrader_metadata(cell).get("solution") and stubs.get(grade_id) != cell.source:
            changes.append(f"answer {grade_id} differs from the released stub")
    return list(dict.fromkeys(changes))


def _unchanged_in_git(path: Path) -> bool:
    """True when git tracks ``path`` and it is as committed (so no learner has touched it)."""
    try:
        tracked = (
            subprocess.run(
                ["git", "ls-files", "--error-unmatch", path.name], cwd=path.parent, capture_output=True, timeout=30
            ).returncode
            == 0
        )
        clean = (
            subprocess.run(
                ["git", "diff", "--quiet", "HEAD", "--", path.name], cwd=path.parent, capture_output=True, timeout=30
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return tracked and clean


def notebooks_at_risk(release_dir: Path, fresh_dir: Path) -> dict[Path, list[str]]:
    """Notebooks of ``release_dir`` that a copy of ``fresh_dir`` would overwrite, losing a learner's work."""
    at_risk = {}
    for fresh in sorted(fresh_dir.rglob("*.ipynb")):
        existing = release_dir / fresh.relative_to(fresh_dir)
        if not existing.is_file() or existing.read_bytes() == fresh.read_bytes() or _unchanged_in_git(existing):
            continue
        try:
            changes = learner_changes(nbformat.read(existing, as_version=4), nbformat.read(fresh, as_version=4))
        except Exception as exc:  # unreadable: it is not what we released either
            changes = [f"it cannot be read as a notebook ({type(exc).__name__})"]
        if changes:
            at_risk[existing] = changes
    return at_risk


def refusal(at_risk: dict[Path, list[str]], root: Path) -> LearnerWorkError:
    """The error that lists each notebook at risk and what to do instead."""
    lines = [f"  {path.relative_to(root)}: {'; '.join(changes[:3])}" for path, changes in at_risk.items()]
    return LearnerWorkError(
        "Not releasing: it would overwrite work in\n" + "\n".join(lines) + "\n"
        f"Keep that work first (e.g. `{command('start', 'NAME')}` works in {WORK_DIR}/, or copy the notebook "
        f"elsewhere), or run `{command('release', '--force')}` to overwrite it."
    )


def start(name: str, course_root: Path | None = None) -> tuple[Path, bool]:
    """Copy ``exercises/NAME`` to ``my-work/NAME`` unless it is there already; return the notebook and if copied."""
    course_root = course_root or course.root()
    name = course.resolve_assignment(name, course_root)
    target = course_root / WORK_DIR / name
    notebook = target / f"{name}.ipynb"
    if target.exists():
        return notebook, False
    source = course_root / course.RELEASE_DIR / name
    if not source.is_dir():
        raise course.UnknownAssignmentError(f"{name} has not been released: run `{command('release', name)}` first")
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return notebook, True
