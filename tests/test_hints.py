"""Tiered hints: every graded question has a nudge and a near-solution, released with the exercise, never the answer."""

import json
import re
import subprocess
import sys

import pytest

from scalingml import hints
from tests.notebook_tools import REPO, assignment_names, graded_test_cells, grader, read


def solution_lines(notebook) -> set[str]:
    """Substantial lines of the solutions and of the hidden tests: what a hint must never quote."""
    secret = set()
    for cell in notebook.cells:
        for block in re.findall(r"### BEGIN (?:SOLUTION|HIDDEN TESTS)\n(.*?)### END", cell.source, re.S):
            secret |= {line.strip() for line in block.splitlines() if len(line.strip()) >= 25}
    return secret


@pytest.mark.parametrize("name", assignment_names())
def test_every_graded_question_has_two_levels_released_with_the_exercise(name):
    source = REPO / "solutions" / name / hints.HINTS_FILE
    assert source.is_file(), f"solutions/{name} has no {hints.HINTS_FILE}"
    released = REPO / "exercises" / name / hints.HINTS_FILE
    assert released.is_file() and released.read_bytes() == source.read_bytes(), "run `scalingml release`"
    notebook = read(REPO / "solutions" / name / f"{name}.ipynb")
    questions = [grader(cell)["grade_id"] for cell in graded_test_cells(notebook)]
    table = hints.load_hints(source.parent)
    assert set(table) == set(questions), f"hints for {sorted(table)}, graded questions {sorted(questions)}"
    secret = solution_lines(notebook)
    for question, levels in table.items():
        assert len(levels) >= 2 and all(text.strip() for text in levels), f"{question}: a nudge, then a near-solution"
        for text in levels:
            quoted = [line for line in secret if line in text]
            assert not quoted, f"{question}: a hint quotes the solution or a hidden test: {quoted}"


def test_hint_takes_short_question_names_and_says_what_exists(tmp_path):
    (tmp_path / hints.HINTS_FILE).write_text(json.dumps({"q1_tests": ["nudge", "steps"], "q2_tests": ["a", "b"]}))
    assert hints.hint_text("q1", folder=tmp_path) == "nudge"
    assert hints.hint_text(2, level=2, folder=tmp_path) == "b"
    with pytest.raises(hints.HintError, match="hints for: q1, q2"):
        hints.hint_text("q7", folder=tmp_path)
    with pytest.raises(hints.HintError, match="levels 1 to 2, not 3"):
        hints.hint_text("q1", level=3, folder=tmp_path)
    with pytest.raises(hints.HintError, match="No hints.json"):
        hints.hint_text("q1", folder=tmp_path / "elsewhere")


def test_hint_prints_outside_a_notebook(tmp_path, capsys):
    (tmp_path / hints.HINTS_FILE).write_text(json.dumps({"q1_tests": ["nudge", "steps"]}))
    hints.hint("q1", folder=tmp_path)
    out = capsys.readouterr().out
    assert "Hint 1/2 for q1: nudge" in out and "level=2" in out


@pytest.mark.slow
def test_check_with_hint_prints_a_hint_for_each_failing_question():
    release = REPO / "exercises" / "00_welcome" / "00_welcome.ipynb"
    result = subprocess.run(
        [sys.executable, "-m", "scalingml", "check", str(release), "--hint"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    table = hints.load_hints(release.parent)
    for question in ("q1_tests", "q2_tests"):
        assert f"HINT  {question} (1/{len(table[question])}): {table[question][0]}" in result.stdout, result.stdout
