"""`scalingml check`: honest exit codes and the same sandbox as grading (its hostile cases: test_grade_hostile)."""

import subprocess
import sys

import nbformat
import pytest

from scalingml import cells, check, sandbox, submissions
from tests.notebook_tools import REPO, with_answer
from tests.wrong_answers import WRONG_ANSWERS

SOLUTION = REPO / "solutions" / "00_welcome" / "00_welcome.ipynb"
RELEASE = REPO / "exercises" / "00_welcome" / "00_welcome.ipynb"
FAST = sandbox.Limits(cell_timeout=5, notebook_timeout=60)


def with_q1(tmp_path, code: str):
    """The welcome solution with question 1's answer replaced by ``code`` (question 2 stays correct)."""
    return with_answer(SOLUTION, {"q1_answer": code}, tmp_path / "submission" / "00_welcome.ipynb")


def results(report):
    return report.results.set_index("question")


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "scalingml", "check", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_solution_passes_with_exit_code_zero():
    result = run_cli(SOLUTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 / 3 points" in result.stdout and "PASS  q1_tests" in result.stdout
    assert f"isolation: {sandbox.isolation()}" in result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("Every visible test passes"), "what comes next"


def test_blank_release_fails_with_exit_code_one():
    result = run_cli(RELEASE)
    assert result.returncode == 1
    assert "FAIL  q2_tests" in result.stdout and "NotImplementedError" in result.stdout
    assert all("not answered yet" in line for line in result.stdout.splitlines() if line.startswith("FAIL"))
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("Stuck? `") and f"scalingml check {RELEASE} --hint` adds a nudge" in last, "points to hints"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b'{"cells": [', "not valid notebook JSON"),
        (b'{"not": "a notebook"}', "not a valid notebook"),
    ],
)
def test_unreadable_notebooks_exit_two_with_a_reason(tmp_path, content, message):
    path = tmp_path / "00_welcome.ipynb"
    path.write_bytes(content)
    result = run_cli(path)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_and_huge_notebooks(tmp_path):
    assert "No notebook" in run_cli(tmp_path / "nope.ipynb").stderr
    huge = tmp_path / "huge.ipynb"
    with open(huge, "wb") as handle:
        handle.truncate((submissions.MAX_NOTEBOOK_MB + 1) * 2**20)
    with pytest.raises(check.CheckError, match="limit"):
        check.read_notebook(huge)


def test_a_notebook_without_graded_cells_is_refused():
    with pytest.raises(check.CheckError, match="no graded test cells"):
        check.check_notebook(REPO / "course" / "00_welcome.ipynb", FAST)


def test_infinite_loop_is_interrupted_and_the_other_questions_still_checked(tmp_path):
    report = check.check_notebook(with_q1(tmp_path, "while True:\n    pass"), FAST)
    text = check.format_report(report)
    assert report.stopped is None and "answer cell q1_answer (question 1) ran past the 5 s per-cell limit" in text
    table = results(report)
    assert not table.loc["q1_tests", "passed"] and table.loc["q2_tests", "passed"]
    assert table.loc["q1_tests", "reason"].startswith("your answer cell q1_answer ran past the 5 s per-cell limit")
    assert "KeyboardInterrupt" not in text and "cell 3" not in text, text


def test_kernel_that_exits_is_reported(tmp_path):
    report = check.check_notebook(with_q1(tmp_path, "import os\nos._exit(3)"), FAST)
    assert "kernel died" in report.stopped
    assert not results(report)["passed"].any()
    assert "kernel died" in check.format_report(report)


def test_original_notebook_and_its_folder_are_not_modified(tmp_path):
    path = with_q1(
        tmp_path,
        "open('00_welcome.ipynb', 'w').write('garbage')\n"
        "import pathlib\npathlib.Path('new.txt').write_text('x')\nchurn_rate = 0.3",
    )
    (path.parent / "data.csv").write_text("a,b\n1,2\n")
    before = {p.name: p.read_bytes() for p in path.parent.iterdir()}
    check.check_notebook(path, FAST)
    assert {p.name: p.read_bytes() for p in path.parent.iterdir()} == before


def test_bwrap_command_hides_folders_and_files_and_skips_missing_paths(tmp_path):
    folder, file = tmp_path / "solutions", tmp_path / "class.zip"
    folder.mkdir()
    file.write_bytes(b"zip")
    args = sandbox.bwrap_command(["true"], tmp_path / "work", hide=[folder, file, tmp_path / "absent"])
    assert ["--tmpfs", str(folder)] == args[args.index(str(folder)) - 1 : args.index(str(folder)) + 1]
    assert args[args.index(str(file)) - 2 : args.index(str(file))] == ["--ro-bind", "/dev/null"]
    assert str(tmp_path / "absent") not in args


def test_skipping_the_slow_optional_import_keeps_notebook_validation_working():
    code = (
        "import sys\nfrom scalingml._imports import skip_slow_optional_imports\nskip_slow_optional_imports()\n"
        "import nbformat\nnbformat.validate(nbformat.v4.new_notebook())\n"
        "assert sys.modules['rfc3987_syntax'] is None\nprint('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr


def test_an_answer_cells_own_error_is_reported_not_the_name_error_below_it(tmp_path):
    broken = check.check_notebook(with_q1(tmp_path / "a", "churn_rate = (0.3"), FAST)
    reason = results(broken).loc["q1_tests", "reason"]
    assert "q1_answer failed first" in reason and "SyntaxError" in reason, reason
    missing = check.check_notebook(with_q1(tmp_path / "b", "churn_rate = float(open('no-such.csv').read())"), FAST)
    assert "FileNotFoundError" in results(missing).loc["q1_tests", "reason"]


def test_deleted_or_emptied_test_cells_are_run_from_the_release_and_said(tmp_path):
    import nbformat

    wrong = with_q1(tmp_path / "a", "churn_rate = 0.5")  # a fraction, so the visible tests pass; the value is wrong
    notebook = nbformat.read(wrong, as_version=4)
    tests = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q1_tests")
    tests.source = "pass"
    nbformat.write(notebook, wrong)
    report = check.check_notebook(wrong, FAST)
    assert any("q1_tests was edited" in note for note in report.notes)
    assert results(report).loc["q1_tests", "passed"], "the release's visible tests ran (0.5 passes them)"

    notebook.cells = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "q2_tests"]
    nbformat.write(notebook, wrong)
    report = check.check_notebook(wrong, FAST)
    assert any("q2_tests was deleted" in note for note in report.notes)
    assert set(results(report).index) == {"q1_tests", "q2_tests"} and report.score == (3.0, 3.0)


def test_the_solution_with_its_hidden_tests_is_not_called_edited():
    report = check.check_notebook(SOLUTION, FAST)
    assert report.passed and not [note for note in report.notes if "edited" in note or "deleted" in note]


VISIBLE_MISTAKES = [(name, case) for name, cases in WRONG_ANSWERS.items() for case in cases if case.visible]


@pytest.mark.slow
@pytest.mark.parametrize("name, case", VISIBLE_MISTAKES, ids=[case.name[:40] for _, case in VISIBLE_MISTAKES])
def test_visible_tests_catch_the_mistakes_their_hints_name(name, case, tmp_path):
    """`scalingml check` (visible tests only) must fail what the hints warn about, not report full marks."""
    notebook = with_answer(REPO / "solutions" / name / f"{name}.ipynb", case.answers, tmp_path / name / f"{name}.ipynb")
    visible_only = nbformat.read(notebook, as_version=4)
    for cell in visible_only.cells:
        cell.source = cell.source.split(cells.BEGIN_HIDDEN_TESTS)[0].rstrip()
    nbformat.write(visible_only, notebook)
    table = results(check.check_notebook(notebook, sandbox.Limits()))
    for question in case.loses:
        assert not table.loc[question, "passed"], f"{case.name}: the visible tests of {question} pass it"
    for question in case.keeps or ():  # the hidden round trip (test_grading) checks every other question
        assert table.loc[question, "passed"], f"{case.name}: {question} failed: {table.loc[question, 'reason']}"


def test_a_warning_in_a_passed_test_passes_and_is_shown(tmp_path):
    """What grading does with a test cell's stderr, check does too: the test passes and the note says why."""
    warns = (
        "import warnings\n\ndef scaling_exponent(n1, t1, n2, t2):\n    warnings.warn('computing an exponent')\n"
        "    return math.log(t2 / t1) / math.log(n2 / n1)"
    )
    notebook = with_answer(RELEASE, {"q2_answer": warns}, tmp_path / "submission" / "00_welcome.ipynb")
    report = check.check_notebook(notebook, FAST)
    assert results(report).loc["q2_tests", "passed"], check.format_report(report)
    assert any("q2_tests: UserWarning: computing an exponent" in note for note in report.notes), report.notes
