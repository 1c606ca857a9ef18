"""`scalingml grade` writes only for the students it grades; every submission ends recorded; honest reports."""

import hashlib

import nbformat
import pytest

from scalingml import cli, course, grading
from tests.notebook_tools import REPO, scratch_copy

NAME = "00_welcome"
SOLUTION = REPO / "solutions" / NAME / f"{NAME}.ipynb"
RELEASE = REPO / "exercises" / NAME / f"{NAME}.ipynb"

pytestmark = pytest.mark.slow


def submit(folder, student, notebook_bytes, name=f"{NAME}.ipynb"):
    (folder / student).mkdir(parents=True, exist_ok=True)
    (folder / student / name).write_bytes(notebook_bytes)


def digest(root, student):
    """Every file grading wrote for ``student``: path, content and modification time (a rewrite changes it)."""
    found = {}
    for area in ("submitted", "autograded", "feedback"):
        for path in sorted((root / "grading" / area / student).rglob("*")):
            if path.is_file():
                content = hashlib.sha256(path.read_bytes()).hexdigest()
                found[str(path.relative_to(root))] = (content, path.stat().st_mtime_ns)
    return found


def gradebook_rows(root, student):
    """The student's grades and submission time, as nbgrader's gradebook holds them."""
    with course.nbgrader_api(root).gradebook as gradebook:
        submission = gradebook.find_submission(NAME, student)
        grades = [
            (notebook.name, grade.name, grade.auto_score, grade.manual_score, grade.needs_manual_grade)
            for notebook in submission.notebooks
            for grade in notebook.grades
        ]
        return sorted(grades), str(submission.timestamp)


@pytest.fixture
def graded_class(tmp_path):
    root = scratch_copy([NAME], tmp_path / "course", REPO)
    subs = tmp_path / "subs"
    submit(subs, "alice", SOLUTION.read_bytes())
    submit(subs, "bob", RELEASE.read_bytes())
    submit(subs, "carol", SOLUTION.read_bytes())
    report = grading.grade(NAME, subs, course_root=root, jobs=2, show_progress=False, scratch_dir=tmp_path / "s1")
    assert report.scores.groupby("student")["score"].sum().to_dict() == {"alice": 3.0, "bob": 0.0, "carol": 3.0}
    return root, subs, tmp_path


def test_regrading_one_student_leaves_everyone_else_byte_identical(graded_class):
    root, subs, tmp_path = graded_class
    others = {student: (digest(root, student), gradebook_rows(root, student)) for student in ("alice", "carol")}
    assert all(files and rows for files, rows in others.values())
    submit(subs, "bob", SOLUTION.read_bytes())  # bob's regrade request, with a corrected notebook
    report = grading.grade(
        NAME, subs, course_root=root, students=["b*"], show_progress=False, scratch_dir=tmp_path / "s2"
    )
    assert report.statuses["student"].tolist() == ["bob"]
    assert report.grades.set_index("student")["score"].to_dict() == {"alice": 3.0, "bob": 3.0, "carol": 3.0}
    assert report.grades.set_index("student").loc["alice", "status"] == grading.GRADED, "alice keeps her status"
    for student, (files, rows) in others.items():
        assert digest(root, student) == files, f"{student}'s files were rewritten by bob's regrade"
        assert gradebook_rows(root, student) == rows, f"{student}'s gradebook rows changed"


def test_an_unknown_student_is_refused_with_the_ids_found(graded_class):
    root, subs, tmp_path = graded_class
    with pytest.raises(grading.GradingError, match=r"--student zed.*alice, bob, carol"):
        grading.grade(NAME, subs, course_root=root, students=["zed"], show_progress=False)


def test_every_submission_ends_recorded_even_an_undecodable_one(tmp_path):
    root = scratch_copy([NAME], tmp_path / "course", REPO)
    text = SOLUTION.read_text().replace("Load the shipped", "Load the \\udcff shipped", 1)
    assert "\\udcff" in text
    submit(tmp_path / "subs", "mallory", text.encode())
    submit(tmp_path / "subs", "alice", SOLUTION.read_bytes())
    report = grading.grade(NAME, tmp_path / "subs", course_root=root, show_progress=False)
    status = report.statuses.set_index("student").loc["mallory"]
    assert status["status"] == grading.REJECTED and "not valid Unicode" in status["reasons"]
    assert status["score"] == 0 and status["max_score"] == 3.0, "recorded in the gradebook with its maximum"
    assert len(gradebook_rows(root, "mallory")[0]) == 2


def test_grading_nbgraders_own_submitted_folder_gives_the_same_score_as_elsewhere(tmp_path):
    root = scratch_copy([NAME], tmp_path / "course", REPO)
    renamed = f"{NAME} (1).ipynb"
    submit(tmp_path / "subs", "alice", SOLUTION.read_bytes(), name=renamed)
    elsewhere = grading.grade(NAME, tmp_path / "subs", course_root=root, show_progress=False)
    in_place = root / "grading" / "submitted"
    (in_place / "bob" / NAME).mkdir(parents=True)
    (in_place / "bob" / NAME / renamed).write_bytes(SOLUTION.read_bytes())
    there = grading.grade(NAME, in_place, course_root=root, students=["bob"], show_progress=False)
    assert elsewhere.statuses.set_index("student").loc["alice", "score"] == 3.0
    bob = there.statuses.set_index("student").loc["bob"]
    assert bob["score"] == 3.0 and bob["status"] == grading.FLAGGED and f"as {NAME}.ipynb" in bob["reasons"]


def test_a_manual_question_is_reported_as_awaiting_not_as_errored(tmp_path, capsys, monkeypatch):
    root = scratch_copy([NAME], tmp_path / "course", REPO)
    source = root / "solutions" / NAME / f"{NAME}.ipynb"
    notebook = nbformat.read(source, as_version=4)
    metadata = {"grade": True, "solution": True, "locked": False, "points": 2, "grade_id": "essay", "schema_version": 3}
    notebook.cells.append(nbformat.v4.new_markdown_cell("An essay.", metadata={"nbgrader": metadata}))
    nbformat.write(notebook, source)
    submit(tmp_path / "subs", "alice", source.read_bytes())
    monkeypatch.chdir(root)
    assert cli.main(["grade", NAME, str(tmp_path / "subs"), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "2 points await manual grading" in out and "MB," in out
    assert f"then `scalingml feedback {NAME}` regenerates the feedback" in out
    reports = root / "grading" / "reports" / NAME
    questions = (reports / "questions.csv").read_text()
    assert "essay" not in questions and "q1_tests" in questions
    grades = (reports / "grades.csv").read_text().splitlines()
    header = ["student", "score", "max_score", "points_awaiting_manual_grading", "status", "recorded_at"]
    assert grades[0].split(",") == header
    assert grades[1].split(",")[:4] == ["alice", "3.0", "5.0", "2.0"]
    assert sorted(p.name for p in reports.iterdir()) == ["grades.csv", "questions.csv", "scores.csv", "statuses.csv"]
