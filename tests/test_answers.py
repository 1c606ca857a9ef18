"""Self-study model answers: `scalingml solution` and `solution()` show a question's answer cells, only when asked."""

import nbformat
import pytest

from scalingml import answers, cells, cli
from tests.notebook_tools import REPO


def answer_cells_before(source, test_id: str) -> list[str]:
    """The solution cells between the previous graded cell and ``test_id``, read from the source notebook."""
    found = []
    for cell in nbformat.read(source, as_version=4).cells:
        meta = cells.nbgrader_metadata(cell)
        if meta.get("solution"):
            found.append(cell.source)
        if meta.get("grade"):
            if meta["grade_id"] == test_id:
                return found
            found = []
    raise AssertionError(f"no {test_id}")


@pytest.mark.parametrize("assignment,question", [("00", "q1"), ("02_model_complexity", "q3"), ("01", "3")])
def test_the_model_answer_is_the_answer_cells_without_markers(assignment, question):
    text = answers.model_answer(assignment, question)
    name = next(p.name for p in (REPO / "solutions").iterdir() if p.name.startswith(assignment[:2]))
    expected = answer_cells_before(REPO / "solutions" / name / f"{name}.ipynb", f"q{question.lstrip('q')}_tests")
    assert expected, "the question has answer cells"
    for source in expected:
        body = [line for line in source.splitlines() if line.strip() not in (cells.BEGIN_SOLUTION, cells.END_SOLUTION)]
        assert "\n".join(body) in text
    assert cells.BEGIN_SOLUTION not in text and cells.BEGIN_HIDDEN_TESTS not in text


def test_the_command_shows_it_under_the_same_heading_as_the_notebook(capsys):
    assert cli.main(["solution", "00", "q1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Model answer for q1 (00_welcome), to compare with yours:\n")
    assert answers.model_answer("00", "q1") in out


def test_an_unknown_question_names_the_questions_there(capsys):
    assert cli.main(["solution", "00", "q7"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "scalingml solution: 00_welcome has no graded question 'q7'; its questions: q1, q2"
    )


def test_in_the_notebook_the_folder_names_the_assignment(capsys, tmp_path):
    folder = tmp_path / "00_welcome"
    folder.mkdir()
    answers.solution("q2", folder=folder, assignment="00")
    out = capsys.readouterr().out
    assert out.startswith("Model answer for q2 (00_welcome):\n") and answers.model_answer("00", "q2") in out
