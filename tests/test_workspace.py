"""Learners' work is never overwritten: release refuses to clobber answered exercises; start gives a safe copy."""

import nbformat
import pytest

from scalingml import cli, course, releasing, workspace
from tests.notebook_tools import REPO, grader, scratch_copy

NAME = "00_welcome"
pytestmark = pytest.mark.slow  # each test runs nbgrader's generate_assignment


@pytest.fixture
def released(tmp_path):
    """A scratch course (no git) with its exercises released."""
    root = scratch_copy([NAME], tmp_path / "course", REPO)
    releasing.release([NAME], course_root=root, force=True)
    return root, root / "exercises" / NAME / f"{NAME}.ipynb"


def answer(path, source="churn_rate = 0.25"):
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if grader(c).get("solution") and c.cell_type == "code")
    cell.source = source
    nbformat.write(notebook, path)


def test_release_refuses_to_overwrite_an_answered_exercise_and_writes_nothing(released, capsys, monkeypatch):
    root, exercise = released
    answer(exercise)
    before = exercise.read_bytes()
    with pytest.raises(workspace.LearnerWorkError, match=r"(?s)differs from the released stub.*--force"):
        releasing.release([NAME], course_root=root)
    assert exercise.read_bytes() == before
    monkeypatch.chdir(root)
    assert cli.main(["release", NAME]) == 2
    assert "Not releasing" in capsys.readouterr().err and exercise.read_bytes() == before
    assert cli.main(["release", NAME, "--force"]) == 0
    assert exercise.read_bytes() != before, "--force overwrites"


def test_release_goes_ahead_when_only_the_instructors_cells_changed(released):
    root, exercise = released
    source = root / "solutions" / NAME / f"{NAME}.ipynb"
    notebook = nbformat.read(source, as_version=4)
    notebook.cells[0].source += "\n\nA sentence the instructor added."
    nbformat.write(notebook, source)
    releasing.release([NAME], course_root=root)
    assert "A sentence the instructor added." in exercise.read_text()


def test_outputs_and_added_cells_count_as_learner_work(released):
    _, exercise = released
    fresh = nbformat.read(exercise, as_version=4)
    ran = nbformat.read(exercise, as_version=4)
    ran.cells[1].execution_count = 3
    assert any("outputs" in change for change in workspace.learner_changes(ran, fresh))
    added = nbformat.read(exercise, as_version=4)
    added.cells.append(nbformat.v4.new_code_cell("my scratch"))
    assert workspace.learner_changes(added, fresh) == ["a cell was added"]
    assert workspace.learner_changes(fresh, fresh) == []


def test_start_copies_once_and_keeps_the_learners_work(released):
    root, _ = released
    notebook, copied = workspace.start("00", root)
    assert copied and notebook == root / workspace.WORK_DIR / NAME / f"{NAME}.ipynb" and notebook.is_file()
    answer(notebook, "churn_rate = 0.5")
    again, copied_again = workspace.start(NAME, root)
    assert again == notebook and not copied_again and "churn_rate = 0.5" in notebook.read_text()
    releasing.release([NAME], course_root=root)  # a release does not look at my-work/
    assert "churn_rate = 0.5" in notebook.read_text()


def test_start_names_the_known_assignments(released):
    root, _ = released
    with pytest.raises(course.UnknownAssignmentError, match=r"'07'.*00_welcome"):
        workspace.start("07", root)


def test_start_without_lab_prints_where_and_how_to_check(released, capsys, monkeypatch):
    root, _ = released
    monkeypatch.chdir(root)
    assert cli.main(["start", "00", "--no-lab"]) == 0
    out = capsys.readouterr().out
    assert f"my-work/{NAME}/{NAME}.ipynb" in out and "scalingml check" in out


def test_release_says_whether_anything_changed(released, capsys, monkeypatch):
    root, exercise = released
    again = releasing.release(["00"], course_root=root)
    assert again.names == [NAME] and again.changed == []
    monkeypatch.chdir(root)
    assert cli.main(["release", NAME]) == 0
    assert "Nothing changed" in capsys.readouterr().out
    source = root / "solutions" / NAME / f"{NAME}.ipynb"
    notebook = nbformat.read(source, as_version=4)
    notebook.cells[0].source += "\n\nAn added sentence."
    nbformat.write(notebook, source)
    assert cli.main(["release", NAME]) == 0
    out = capsys.readouterr().out
    assert f"Changed 1 file(s): exercises/{NAME}/{NAME}.ipynb; commit them." in out
