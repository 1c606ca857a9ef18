"""Tiered hints: every graded question has a nudge and a near-solution, released with the exercise, never the answer."""

import json
import re
import shutil
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
def test_every_graded_question_has_the_stated_levels_released_with_the_exercise(name):
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
        assert len(levels) in hints.LEVELS, f"{question}: {len(levels)} levels; the rule is {hints.LEVELS}"
        assert all(text.strip() for text in levels), f"{question}: a nudge first, a near-solution last"
        for text in levels:
            quoted = [line for line in secret if line in text]
            assert not quoted, f"{question}: a hint quotes the solution or a hidden test: {quoted}"


def test_hint_takes_short_question_names_and_says_what_exists(tmp_path):
    (tmp_path / hints.HINTS_FILE).write_text(json.dumps({"q1_tests": ["nudge", "steps"], "q2_tests": ["a", "b"]}))
    assert hints.hint_text("q1", folder=tmp_path) == "nudge"
    assert hints.hint_text(2, level=2, folder=tmp_path) == "b"
    with pytest.raises(hints.HintError, match="hints for: q1, q2"):
        hints.hint_text("q7", folder=tmp_path)
    assert hints.hint_text("q1", level=3, folder=tmp_path) == "steps", "past the last level: the last"
    for level in (0, -1, "two"):
        with pytest.raises(hints.HintError, match="start at 1|whole number from 1"):
            hints.hint_text("q1", level=level, folder=tmp_path)
    with pytest.raises(hints.HintError, match="No hints.json"):
        hints.hint_text("q1", folder=tmp_path / "elsewhere")


def test_hint_prints_outside_a_notebook(tmp_path, capsys):
    (tmp_path / hints.HINTS_FILE).write_text(json.dumps({"q1_tests": ["nudge", "steps"]}))
    hints.hint("q1", folder=tmp_path)
    out = capsys.readouterr().out
    assert "Hint 1/2 for q1: nudge" in out and "level=2" in out
    hints.hint("q1", level=2, folder=tmp_path)
    assert "This is the last level" in capsys.readouterr().out


def test_past_the_last_level_the_notebook_and_the_command_both_show_the_last_and_say_so(tmp_path, capsys):
    """One rule (hints.pick) for ``hint(q, level=N)`` and ``scalingml check --hint N``."""
    import pandas as pd

    from scalingml import check

    (tmp_path / hints.HINTS_FILE).write_text(
        json.dumps({"q1_tests": ["nudge", "steps", "near"], "q3_tests": ["a", "b"]})
    )
    hints.hint("q3", level=3, folder=tmp_path)
    assert "Hint 2/2 for q3: b" in (out := capsys.readouterr().out) and "There is no level 3: this is the last" in out
    failing = pd.DataFrame({"question": ["q1_tests", "q3_tests"], "points": [1.0, 1.0], "passed": [False, False]})
    text = check.format_hints(check.CheckReport(failing, "none", hints_folder=tmp_path), level=3)
    assert "HINT  q1_tests (3/3): near (the last level)" in text
    assert "HINT  q3_tests (2/2): b (there is no level 3: this is the last)" in text


def test_the_readme_states_the_level_rule():
    readme = (REPO / "README.md").read_text()
    low, high = hints.LEVELS
    assert f"{low} or {high} levels" in readme and "past" in readme.split(f"{low} or {high} levels")[1][:400]


def test_check_refuses_a_hint_level_below_one_in_one_line():
    release = REPO / "exercises" / "00_welcome" / "00_welcome.ipynb"
    result = subprocess.run(
        [sys.executable, "-m", "scalingml", "check", str(release), "--hint", "0"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "Hint levels start at 1" in result.stderr, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "PASS" not in result.stdout + result.stderr


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
        assert f"HINT  {question} (1/{len(table[question])}): {hints.plain(table[question][0])}" in result.stdout, (
            result.stdout
        )


@pytest.mark.slow
def test_check_takes_hints_from_the_notebooks_own_assignment_not_its_folder(tmp_path):
    """The welcome notebook saved under my-work/01_data_management/ (beside 01's hints) gets 00's hints, and says so."""
    folder = tmp_path / "my-work" / "01_data_management"
    folder.mkdir(parents=True)
    shutil.copy(REPO / "exercises" / "00_welcome" / "00_welcome.ipynb", folder / "01_data_management.ipynb")
    shutil.copy(REPO / "exercises" / "01_data_management" / hints.HINTS_FILE, folder)
    result = subprocess.run(
        [sys.executable, "-m", "scalingml", "check", str(folder / "01_data_management.ipynb"), "--hint", "9"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "this notebook is 00_welcome, but it is saved in 01_data_management/" in result.stdout
    welcome = hints.load_hints(REPO / "exercises" / "00_welcome")
    for question in ("q1_tests", "q2_tests"):
        last = len(welcome[question])
        shown = hints.plain(welcome[question][-1])
        line = f"HINT  {question} ({last}/{last}): {shown} (there is no level 9: this is the last)"
        assert line in result.stdout, result.stdout
    assert hints.load_hints(folder)["q1_tests"][-1] not in result.stdout, "01's hints given to a 00 notebook"


def test_terminal_hints_are_plain_text_for_every_shipped_hint():
    """`scalingml check --hint` prints to a terminal: no Markdown emphasis or TeX dollars left in any hint."""
    for folder in sorted((REPO / "solutions").iterdir()):
        for question, levels in hints.load_hints(folder).items():
            for text in levels:
                shown = hints.plain(text)
                assert "**" not in shown and "$" not in shown and "\\," not in shown, (folder.name, question, shown)
