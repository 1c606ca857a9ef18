"""After manual grading: feedback without hidden tests (ours and nbgrader's own step), reports that describe the class,
and feedback returned through nbgrader's exchange."""

import html
import re
import subprocess
import sys

import nbformat
import pandas as pd
import pytest

from scalingml import cli, course, grading
from tests.notebook_tools import REPO, scratch_copy

NAME = "00_welcome"
SOLUTION = REPO / "solutions" / NAME / f"{NAME}.ipynb"
ESSAY = {"grade": True, "solution": True, "locked": False, "points": 1, "grade_id": "essay", "schema_version": 3}

pytestmark = pytest.mark.slow


def secret_lines(source=SOLUTION):
    """The lines a learner must never receive: inside hidden-test and solution regions of the source notebook."""
    found, region = [], False
    for cell in nbformat.read(source, as_version=4).cells:
        for line in cell.source.splitlines():
            text = line.strip()
            if "### BEGIN" in text or "### END" in text:
                region = "### BEGIN" in text
                found.append(text.replace("BEGIN ", "").replace("END ", "")) if "HIDDEN" in text else None
            elif region and text:
                found.append(text)
    assert len(found) > 8
    return found


def leaks(root):
    """``{feedback file: secret lines it shows}`` for every file under the course's feedback folder."""
    found = {}
    files = [p for p in (root / "grading" / "feedback").rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files)
    for path in files:
        text = html.unescape(re.sub(r"<[^>]+>", "", path.read_text(errors="replace")))  # pygments splits tokens
        shown = [line for line in secret_lines() if line in text]
        if shown:
            found[str(path.relative_to(root))] = shown
    return found


def submit(folder, student, notebook):
    (folder / student).mkdir(parents=True, exist_ok=True)
    (folder / student / f"{NAME}.ipynb").write_bytes(notebook.read_bytes())


def grade_by_hand(root, student, score):
    """What formgrader does: a manual score on the reflection, in nbgrader's gradebook."""
    with course.nbgrader_api(root).gradebook as gradebook:
        gradebook.find_grade("essay", NAME, NAME, student).manual_score = score
        gradebook.db.commit()


@pytest.fixture
def essay_course(tmp_path):
    """A scratch course whose assignment 00 has a reflection graded by hand (1 point)."""
    root = scratch_copy([NAME], tmp_path / "course", REPO)
    source = root / "solutions" / NAME / f"{NAME}.ipynb"
    notebook = nbformat.read(source, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("A reflection.", metadata={"nbgrader": ESSAY}))
    nbformat.write(notebook, source)
    with course.working_directory(root):
        assert course.nbgrader_api(root).generate_assignment(NAME, force=True)["success"]
    return root


def release_of(root):
    return root / "exercises" / NAME / f"{NAME}.ipynb"


def solution_of(root):
    return root / "solutions" / NAME / f"{NAME}.ipynb"


@pytest.fixture
def blank_class(essay_course, tmp_path):
    """Two blank submissions graded; alice's reflection then graded by hand (1 of 1)."""
    for student in ("alice", "bob"):
        submit(tmp_path / "subs", student, release_of(essay_course))
    grading.grade(NAME, tmp_path / "subs", course_root=essay_course, jobs=2, show_progress=False)
    grade_by_hand(essay_course, "alice", 1.0)
    return essay_course


def test_feedback_after_manual_grading_shows_the_grade_and_neither_hidden_tests_nor_solutions(
    blank_class, capsys, monkeypatch
):
    root = blank_class
    monkeypatch.chdir(root)
    assert cli.main(["feedback", NAME]) == 0
    out = capsys.readouterr().out
    assert "feedback for 2 students" in out and "submitted outside nbgrader's exchange (alice, bob)" in out
    alice = (root / "grading" / "feedback" / "alice" / NAME / f"{NAME}.html").read_text()
    assert re.search(r"Score:\s*1\.0\s*/\s*1\.0", alice), "the hand-graded point is in alice's feedback"
    assert leaks(root) == {}
    grades = pd.read_csv(root / "grading" / "reports" / NAME / "grades.csv").set_index("student")
    assert grades.loc["alice", "score"] == 1.0 and grades.loc["alice", "points_awaiting_manual_grading"] == 0

    bob = root / "grading" / "feedback" / "bob" / NAME / f"{NAME}.html"
    before = bob.stat().st_mtime_ns
    grade_by_hand(root, "alice", 0.5)
    assert cli.main(["feedback", NAME, "--student", "a*"]) == 0
    assert "feedback for 1 student:" in capsys.readouterr().out and bob.stat().st_mtime_ns == before
    assert cli.main(["feedback", NAME, "--student", "zed"]) == 2
    error = capsys.readouterr().err
    assert "--student zed; graded: alice, bob" in error and "Traceback" not in error


def test_feedback_before_grading_says_what_to_run(essay_course, capsys, monkeypatch):
    monkeypatch.chdir(essay_course)
    assert cli.main(["feedback", NAME]) == 2
    assert f"run `scalingml grade {NAME} ...` first" in capsys.readouterr().err


def test_nbgraders_own_generate_feedback_with_the_course_config_hides_hidden_tests(blank_class):
    # what `nbgrader generate_feedback --force` and formgrader's "Generate Feedback" button run
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_feedback", NAME, "--force"],
        cwd=blank_class,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Removing existing assignment" in result.stderr, "nbgrader regenerated the feedback"
    assert leaks(blank_class) == {}


def test_a_regrade_keeps_the_class_statuses_manual_points_and_nbgrader_export_true(essay_course, tmp_path):
    root, subs = essay_course, tmp_path / "subs"
    submit(subs, "carol", solution_of(root))
    submit(subs, "dave", release_of(root))
    (subs / "mallory").mkdir()
    (subs / "mallory" / f"{NAME}.ipynb").write_text("{ not a notebook")
    first = grading.grade(NAME, subs, course_root=root, jobs=2, show_progress=False)
    assert first.statuses.set_index("student").loc["mallory", "status"] == grading.REJECTED
    grade_by_hand(root, "carol", 1.0)
    export = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export"], cwd=root, capture_output=True, text=True, timeout=300
    )
    assert export.returncode == 0, export.stderr[-2000:]
    exported = pd.read_csv(root / "grading" / "grades.csv").set_index("student_id")
    assert exported.loc["dave", "raw_score"] == 0

    submit(subs, "dave", solution_of(root))  # dave's regrade request, with a corrected notebook
    again = grading.grade(NAME, subs, course_root=root, students=["carol", "dave"], regrade=True, show_progress=False)
    grades = again.grades.set_index("student")
    assert grades.loc["carol", "score"] == 4.0, "carol's hand-graded point is kept"
    assert grades.loc["carol", "points_awaiting_manual_grading"] == 0, "a kept manual point does not await again"
    assert grades.loc["mallory", "status"] == grading.REJECTED, "an earlier student keeps their status"
    statuses = pd.read_csv(root / "grading" / "reports" / NAME / "statuses.csv", keep_default_na=False)
    mallory = statuses.set_index("student").loc["mallory"]
    assert mallory["status"] == grading.REJECTED and "JSON" in mallory["reasons"]
    assert sorted(statuses["student"]) == ["carol", "dave", "mallory"]
    times = statuses.set_index("student")["recorded_at"]
    assert times["mallory"] < times["dave"] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", times["mallory"])
    exported = pd.read_csv(root / "grading" / "grades.csv").set_index("student_id")
    assert exported.loc["dave", "raw_score"] == 3.0, "nbgrader export's CSV was refreshed"
    assert f"nbgrader export refreshed: {root / 'grading' / 'grades.csv'}" in again.format()


def exchange_app(cls, exchange, home, student="erin"):
    """One of nbgrader's learner-side exchange steps, run as ``student`` from ``home``."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    config = Config()
    config.Exchange.root = str(exchange)
    config.Exchange.cache = str(home / ".cache")
    config.Exchange.assignment_dir = str(home)
    config.CourseDirectory.course_id = "scalingml"
    config.CourseDirectory.assignment_id = NAME
    config.CourseDirectory.student_id = student
    coursedir = CourseDirectory(config=config)
    return cls(coursedir=coursedir, authenticator=Authenticator(config=config), config=config)


def test_feedback_returns_through_the_exchange_and_names_those_submitted_elsewhere(essay_course, tmp_path, capsys):
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeFetchFeedback, ExchangeSubmit

    root, exchange, home = essay_course, tmp_path / "exchange", tmp_path / "erin"
    exchange.mkdir(mode=0o777)
    home.mkdir()
    with (root / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    with course.working_directory(root):
        assert course.nbgrader_api(root).release_assignment(NAME)["success"]
    exchange_app(ExchangeFetchAssignment, exchange, home).start()
    exchange_app(ExchangeSubmit, exchange, home).start()
    with course.working_directory(root):
        assert course.nbgrader_api(root).collect(NAME)["success"]
    submitted = root / "grading" / "submitted"
    grading.grade(NAME, submitted, course_root=root, show_progress=False)  # the exchange's submissions, in place
    submit(tmp_path / "subs", "dave", release_of(root))  # and one by e-mail
    grading.grade(NAME, tmp_path / "subs", course_root=root, show_progress=False)

    done = grading.regenerate_feedback(NAME, course_root=root, release_feedback=True)
    assert done.released == ["erin"] and done.outside == ["dave"]
    assert "send each" in done.format() and "dave" in done.format()
    exchange_app(ExchangeFetchFeedback, exchange, home).start()
    fetched = list((home / NAME / "feedback").rglob(f"{NAME}.html"))
    assert len(fetched) == 1, "erin fetched her feedback"
    text = html.unescape(re.sub(r"<[^>]+>", "", fetched[0].read_text()))
    assert "churn_rate" in text and not [line for line in secret_lines() if line in text]
