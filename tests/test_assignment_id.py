"""A notebook says which assignment it is (its read-only cells), whatever its file or folder is called."""

import nbformat
import pytest

from scalingml import assignment_id, grading
from tests.notebook_tools import REPO, assignment_names, read, scratch_copy


def test_no_two_assignments_share_a_read_only_cell():
    """What makes identification unambiguous: each assignment's title, texts and setup cells are its own."""
    seen = {}
    for reference in assignment_id.references(REPO):
        for cell in reference.read_only:
            assert cell not in seen, f"{cell[0]} of {reference.assignment} is also in {seen[cell]}"
            seen[cell] = reference.assignment
        assert reference.read_only, f"{reference.assignment} has no read-only cells to be told apart by"


@pytest.mark.parametrize("name", assignment_names())
@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_every_source_and_release_is_identified_as_itself(name, folder):
    assert assignment_id.identify_assignment(read(REPO / folder / name / f"{name}.ipynb"), REPO) == name


def test_a_notebook_with_edited_or_deleted_read_only_cells_is_still_identified():
    notebook = read(REPO / "exercises" / "01_data_management" / "01_data_management.ipynb")
    notebook.cells[0].source = "my notes"
    del notebook.cells[1]
    assert assignment_id.identify_assignment(notebook, REPO) == "01_data_management"
    assert assignment_id.wrong_assignment(notebook, "01_data_management", REPO) is None


def test_an_unknown_or_ambiguous_notebook_is_not_claimed():
    assert assignment_id.identify_assignment(nbformat.v4.new_notebook(), REPO) is None
    welcome = read(REPO / "exercises" / "00_welcome" / "00_welcome.ipynb")
    data = read(REPO / "exercises" / "01_data_management" / "01_data_management.ipynb")
    data.cells[0].id = "data-intro"
    mixed = nbformat.v4.new_notebook(cells=[welcome.cells[0], data.cells[0]])
    assert assignment_id.identify_assignment(mixed, REPO) is None, "one cell of each: a tie names neither"
    assert assignment_id.wrong_assignment(mixed, "00_welcome", REPO) is None


@pytest.mark.slow
def test_grading_rejects_another_assignments_notebook_naming_it(tmp_path):
    """01's notebook submitted as 00_welcome.ipynb: nbgrader would say 'No such grade cell: ...q4_answer'."""
    root = scratch_copy(["00_welcome", "01_data_management"], tmp_path / "course", REPO)
    subs = tmp_path / "subs"
    for student, source in (("alice", "00_welcome"), ("bob", "01_data_management")):
        (subs / student).mkdir(parents=True)
        (subs / student / "00_welcome.ipynb").write_bytes(
            (REPO / "solutions" / source / f"{source}.ipynb").read_bytes()
        )
    report = grading.grade(
        "00_welcome", subs, course_root=root, jobs=1, show_progress=False, scratch_dir=tmp_path / "s"
    )
    statuses = report.statuses.set_index("student")
    assert statuses.loc["bob", "status"] == grading.REJECTED
    reasons = statuses.loc["bob", "reasons"]
    assert "this notebook is 01_data_management, not 00_welcome" in reasons and "MissingEntry" not in reasons
    assert statuses.loc["alice", "status"] != grading.REJECTED
    assert report.scores.groupby("student")["score"].sum().to_dict() == {"alice": 3.0, "bob": 0.0}
