"""Grading round trip through nbgrader's gradebook: full marks, zero, and wrong answers lose points.

Each case runs in its own scratch course (own gradebook), so cases spread over xdist workers.
"""

import pytest

from scalingml import grading
from tests.notebook_tools import REPO, assignment_names, grader, graded_test_cells, read, with_answer
from tests.wrong_answers import WRONG_ANSWERS


def solution_path(name):
    return REPO / "solutions" / name / f"{name}.ipynb"


def scores(name, notebook):
    frame = grading.grade_notebooks(name, {"student": notebook}, course_root=REPO)
    return frame.set_index("question")


def auto_graded(frame):
    return frame[~frame["needs_manual_grade"]]


@pytest.mark.notebook
@pytest.mark.parametrize("name", assignment_names())
def test_solution_scores_full_marks(name):
    frame = auto_graded(scores(name, solution_path(name)))
    expected = {grader(c)["grade_id"] for c in graded_test_cells(read(solution_path(name)))}
    assert set(frame.index) == expected
    short = frame[frame["score"] < frame["max_score"]]
    assert short.empty, f"the solution lost points on {list(short.index)}"


@pytest.mark.notebook
@pytest.mark.parametrize("name", assignment_names())
def test_blank_release_scores_zero(name):
    frame = auto_graded(scores(name, REPO / "exercises" / name / f"{name}.ipynb"))
    assert len(frame) and frame["max_score"].sum() > 0
    assert (frame["score"] == 0).all(), f"the blank release earned points on {list(frame[frame.score > 0].index)}"


CASES = [(name, case) for name, cases in WRONG_ANSWERS.items() for case in cases]


@pytest.mark.notebook
@pytest.mark.parametrize("name, case", CASES, ids=[f"{n}:{c.name}" for n, c in CASES])
def test_plausible_wrong_answer_loses_points(name, case, tmp_path):
    notebook = with_answer(solution_path(name), case.answers, tmp_path / "submission" / f"{name}.ipynb")
    frame = scores(name, notebook)
    for question in case.loses:
        assert frame.loc[question, "score"] < frame.loc[question, "max_score"], f"{question} kept full marks"
    for question in case.keeps:
        assert frame.loc[question, "score"] == frame.loc[question, "max_score"], f"{question} lost points"


@pytest.mark.parametrize("name", assignment_names())
def test_every_graded_question_has_a_wrong_answer(name):
    questions = {grader(c)["grade_id"] for c in graded_test_cells(read(solution_path(name)))}
    covered = {q for case in WRONG_ANSWERS.get(name, []) for q in case.loses}
    assert questions <= covered, f"{name}: no wrong-answer fixture for {sorted(questions - covered)}"
