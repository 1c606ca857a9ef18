"""Grading round trip through `scalingml grade` (sandbox, nbgrader gradebook): full marks, zero, wrong answers.

For each assignment one class is graded in a scratch course (own gradebook): the
solution, the blank release, and every wrong-answer fixture as a student.
"""

import re

import nbformat
import pytest

from scalingml import grading
from tests.notebook_tools import (
    REPO,
    assignment_names,
    error_names,
    graded_test_cells,
    grader,
    read,
    scratch_copy,
    with_answer,
)
from tests.wrong_answers import WRONG_ANSWERS

#: What a blank release may raise: unanswered cells and the tests that depend on them.
EXPECTED_RELEASE_ERRORS = {"NotImplementedError", "AssertionError", "NameError"}


def solution_path(name):
    return REPO / "solutions" / name / f"{name}.ipynb"


def student_id(case_name):
    return re.sub(r"[^A-Za-z0-9]+", "-", case_name).strip("-")[:60]


def autograded(tmp_path, student, name):
    """The notebook nbgrader autograded for ``student`` in :func:`grade_class`'s scratch course."""
    return nbformat.read(tmp_path / "course" / "grading" / "autograded" / student / name / f"{name}.ipynb", 4)


def graded_test_errors(notebook):
    """``{grade_id: exception name}`` of the graded test cells that raised, in an autograded notebook."""
    found = {}
    for cell in graded_test_cells(notebook):
        error = next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        if error is not None:
            found[grader(cell)["grade_id"]] = error["ename"]
    return found


def fixture_problems(case, frame, notebook):
    """What is wrong with one fixture's result: a question it should lose but kept, lost for the wrong reason
    (not one of ``case.fails_with``), or another question lost (all others keep, unless ``case.keeps`` says)."""
    problems, errors = [], graded_test_errors(notebook)
    for question in case.loses:
        if frame.loc[question, "score"] >= frame.loc[question, "max_score"]:
            problems.append(f"{case.name}: kept {question}")
        elif errors.get(question) not in case.fails_with:
            problems.append(f"{case.name}: lost {question} by {errors.get(question)}, not {'/'.join(case.fails_with)}")
    keeps = case.keeps if case.keeps is not None else [q for q in frame.index if q not in case.loses]
    for question in keeps:
        if frame.loc[question, "score"] < frame.loc[question, "max_score"]:
            problems.append(f"{case.name}: lost {question} too ({errors.get(question)})")
    return problems


def grade_class(name, notebooks, tmp_path, **options):
    """Grade ``{student: notebook path}`` for ``name`` in a scratch course; return the report."""
    root = scratch_copy([name], tmp_path / "course", REPO)
    for student, notebook in notebooks.items():
        target = tmp_path / "submissions" / student / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(notebook.read_bytes())
    options.setdefault("jobs", 1)
    return grading.grade(
        name,
        tmp_path / "submissions",
        course_root=root,
        show_progress=False,
        scratch_dir=tmp_path / "scratch",
        **options,
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", assignment_names())
def test_solution_full_marks_blank_zero_and_every_wrong_answer_loses_points(name, tmp_path):
    cases = {student_id(case.name): case for case in WRONG_ANSWERS.get(name, [])}
    notebooks = {"solution": solution_path(name), "blank": REPO / "exercises" / name / f"{name}.ipynb"}
    for student, case in cases.items():
        notebooks[student] = with_answer(solution_path(name), case.answers, tmp_path / "fixtures" / student / "nb")
    report = grade_class(name, notebooks, tmp_path)
    scores = report.scores[~report.scores["needs_manual_grade"]].set_index(["student", "question"])
    expected = {grader(c)["grade_id"] for c in graded_test_cells(read(solution_path(name)))}

    solution = scores.loc["solution"]
    assert set(solution.index) == expected
    assert (solution["score"] == solution["max_score"]).all(), f"the solution lost points:\n{solution}"
    blank = scores.loc["blank"]
    assert blank["max_score"].sum() > 0 and (blank["score"] == 0).all(), f"the blank release earned points:\n{blank}"
    problems = []
    for student, case in cases.items():
        problems += fixture_problems(case, scores.loc[student], autograded(tmp_path, student, name))
    assert not problems, "wrong-answer fixtures that do not test their mistake:\n" + "\n".join(problems)
    # the blank release fails only where a learner has not answered yet
    blank_run = nbformat.read(tmp_path / "course" / "grading" / "autograded" / "blank" / name / f"{name}.ipynb", 4)
    unexpected = set(error_names(blank_run)) - EXPECTED_RELEASE_ERRORS
    assert "NotImplementedError" in error_names(blank_run) and not unexpected, f"the blank release raised {unexpected}"
    statuses = report.statuses.set_index("student")["status"]
    assert (statuses == grading.GRADED).all(), report.format()


@pytest.mark.parametrize("name", assignment_names())
def test_every_graded_question_has_a_wrong_answer(name):
    questions = {grader(c)["grade_id"] for c in graded_test_cells(read(solution_path(name)))}
    covered = {q for case in WRONG_ANSWERS.get(name, []) for q in case.loses}
    assert questions <= covered, f"{name}: no wrong-answer fixture for {sorted(questions - covered)}"
