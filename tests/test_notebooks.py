"""Course notebooks: stored clean, laid out by the conventions, released exercises current (test_grading runs them).

course/ is executed cell by cell by nbval (`--nbval-lax`, see pyproject); solutions/ by the grading
round trip (test_grading.py), which also proves they earn full marks.
"""

import filecmp
import shutil

import pytest

from scalingml import releasing
from tests.notebook_tools import (
    FOLDERS,
    REPO,
    assignment_names,
    graded_test_cells,
    grader,
    notebooks,
    read,
)

ALL_NOTEBOOKS = [p for folder in FOLDERS for p in notebooks(folder)]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_notebook_is_stored_without_outputs(path):
    dirty = [
        i
        for i, c in enumerate(read(path).cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", notebooks("course"), ids=lambda p: p.name)
def test_lesson_follows_the_layout(path):
    notebook = read(path)
    header = notebook.cells[0].source
    assert header.startswith("# "), "a lesson starts with its title"
    for field in ("**Questions**", "**Objectives**", "**Teaching**", "**Exercises**"):
        assert field in header, f"{path.name}: the header block lacks {field}"
    sources = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "## Keypoints" in sources, f"{path.name}: no Keypoints section"
    assert "exercises/" in notebook.cells[-1].source, "the last cell points to the matching assignment"
    assert "../datasets" not in "\n".join(c.source for c in notebook.cells), "load data through scalingml.datasets"


def test_every_assignment_has_a_lesson_and_a_release():
    lessons = {p.stem for p in notebooks("course")}
    for name in assignment_names():
        assert name in lessons, f"solutions/{name} has no lesson course/{name}.ipynb"
        assert (REPO / "exercises" / name).is_dir(), f"solutions/{name} was never released: run `scalingml release`"
    assert {p.name for p in (REPO / "exercises").iterdir() if p.is_dir()} == set(assignment_names())


@pytest.mark.parametrize("name", assignment_names())
def test_assignment_cells_follow_nbgrader_conventions(name):
    notebook = read(REPO / "solutions" / name / f"{name}.ipynb")
    tests = graded_test_cells(notebook)
    assert tests, "an assignment has at least one graded question"
    for cell in notebook.cells:
        meta = grader(cell)
        if meta:
            assert meta["schema_version"] == 3 and meta["grade_id"]
    for cell in tests:
        meta = grader(cell)
        assert meta["locked"] and meta["points"] > 0, f"{meta['grade_id']}: locked with points"
        assert "### BEGIN HIDDEN TESTS" in cell.source, f"{meta['grade_id']}: needs hidden tests"
        visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
        assert "assert" in visible, f"{meta['grade_id']}: needs a visible test for immediate feedback"
    answers = [c for c in notebook.cells if grader(c).get("solution") and c.cell_type == "code"]
    assert all("### BEGIN SOLUTION" in c.source for c in answers)


def test_exercises_are_exactly_what_nbgrader_generates_now(tmp_path):
    """exercises/ is only ever generated from solutions/ (nbgrader's output is byte-deterministic)."""
    shutil.copy2(REPO / "nbgrader_config.py", tmp_path)
    shutil.copytree(
        REPO / "solutions", tmp_path / "solutions", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    )
    releasing.release(course_root=tmp_path, force=True)  # a fresh scratch course: nothing to protect
    comparison = filecmp.dircmp(REPO / "exercises", tmp_path / "exercises", ignore=[".ipynb_checkpoints"])
    stale = []

    def walk(cmp, prefix=""):
        stale.extend(prefix + f for f in cmp.left_only + cmp.right_only + cmp.diff_files + cmp.funny_files)
        for sub, child in cmp.subdirs.items():
            walk(child, f"{prefix}{sub}/")

    walk(comparison)
    # dircmp compares shallowly by stat first; confirm byte equality for the files present in both
    for path in (tmp_path / "exercises").rglob("*"):
        if path.is_file():
            committed = REPO / "exercises" / path.relative_to(tmp_path / "exercises")
            if committed.is_file() and committed.read_bytes() != path.read_bytes():
                stale.append(str(path.relative_to(tmp_path / "exercises")))
    assert not stale, f"exercises/ is stale for {sorted(set(stale))}: run `scalingml release` and commit"


def test_a_notebooks_cells_are_scheduled_together_and_other_tests_alone():
    from tests.notebook_tools import xdist_scope

    cells = {xdist_scope(f"course/00_welcome.ipynb::Cell {i}") for i in range(5)}
    assert cells == {"course/00_welcome.ipynb"}
    grading = {xdist_scope(f"tests/test_grading.py::test_round_trip[{name}]") for name in ("00", "01")}
    assert len(grading) == 2


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_answer_and_graded_test_cells_may_raise_under_nbval(folder):
    """A blank exercise raises NotImplementedError in its answers and NameError/AssertionError in its tests:
    the ``raises-exception`` tag lets nbval execute it (pyproject's testpaths include exercises/) while any
    other cell that raises still fails. The tag is set in solutions/ and survives the release."""
    from scalingml import cells

    for path in notebooks(folder):
        for index, cell in enumerate(read(path).cells):
            meta = cells.nbgrader_metadata(cell)
            if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade")):
                assert "raises-exception" in cell.metadata.get("tags", []), f"{path.name} cell {index}"
