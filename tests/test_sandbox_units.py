"""Fast unit tests of the grading sandbox's pieces (sandbox, _limited, execution, runner) and of course paths.

The end-to-end behaviour (hostile submissions, isolation) is in test_grade_hostile.py; these
check each piece alone, in well under a second each.
"""

import os
import subprocess
import sys
import time

import nbformat
import psutil
import pytest

from scalingml import cells, course, sandbox
from scalingml.sandbox import execution, protocol, runner


def test_the_sandbox_environment_keeps_no_secret_and_forces_grading_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTRUCTOR_DB_PASSWORD", "hunter2")
    monkeypatch.setenv("SCALINGML_SCALE", "large")
    env = sandbox.sandbox_environment(tmp_path)
    assert "INSTRUCTOR_DB_PASSWORD" not in env and "hunter2" not in env.values()
    assert env["SCALINGML_SCALE"] == "ci" and env["NBGRADER_EXECUTION"] and env["HOME"] == str(tmp_path)
    assert env["OMP_NUM_THREADS"] == "1"


def test_a_runner_job_carries_its_limits_and_folders_unchanged(tmp_path):
    limits = sandbox.Limits(cell_timeout=7, notebook_timeout=70, memory_mb=700, processes=17, file_mb=3)
    job = protocol.RunnerJob(
        notebook=str(tmp_path / "a.ipynb"), output=str(tmp_path / "out.ipynb"), cwd=str(tmp_path),
        env=sandbox.sandbox_environment(tmp_path), limits=limits, hide=["/course"], expose=["/venv"],
        max_output_bytes=1024,
    )  # fmt: skip
    again = protocol.RunnerJob.from_json(job.to_json())
    assert again == job and again.limits == limits


def test_limited_command_passes_every_limit_to_the_launcher():
    command = sandbox.limited_command(["python", "-c", "pass"], sandbox.Limits(memory_mb=512, processes=9, file_mb=2))
    assert command[:3] == [sys.executable, "-m", "scalingml.sandbox._limited"]
    assert command[command.index("--memory-mb") + 1] == "512" and command[command.index("--processes") + 1] == "9"
    assert command[command.index("--file-mb") + 1] == "2" and command[-3:] == ["python", "-c", "pass"]


@pytest.mark.parametrize("session_leader", [False, True], ids=["child", "session-leader"])
def test_the_launcher_applies_its_limits_to_the_command(session_leader):
    # jupyter_client starts kernels as session leaders: without bubblewrap the launcher already leads its session
    code = "import resource; print(resource.getrlimit(resource.RLIMIT_FSIZE)[0] // 2**20, os.getsid(0) == os.getpid())"
    result = subprocess.run(
        [*sandbox.limited_command([sys.executable, "-c", "import os; " + code], sandbox.Limits(file_mb=3))],
        capture_output=True,
        text=True,
        timeout=60,
        start_new_session=session_leader,
    )
    assert result.stdout.split() == ["3", "True"], result.stderr


def test_end_process_tree_ends_children_and_grandchildren():
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time; "
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)",
        ],
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while not psutil.Process(parent.pid).children() and time.monotonic() < deadline:
        time.sleep(0.05)
    tree = [psutil.Process(parent.pid), *psutil.Process(parent.pid).children(recursive=True)]
    assert len(tree) == 2
    assert sandbox.end_process_tree(parent.pid) >= 2
    parent.wait(timeout=10)
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_cells_that_never_ran_get_an_error_so_they_cannot_score():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("a = 1"),
            nbformat.v4.new_markdown_cell("text"),
            nbformat.v4.new_code_cell("assert a == 1"),
        ]
    )
    execution.mark_unexecuted(notebook, executed={0}, reason="the kernel died")
    assert cells.first_error(notebook.cells[0]) is None
    error = cells.first_error(notebook.cells[2])
    assert error["ename"] == "NotRun" and "the kernel died" in error["evalue"]
    assert "outputs" not in notebook.cells[1]


def test_runner_saves_the_notebook_and_its_status_without_partial_files(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    runner.save(notebook, tmp_path / "out.ipynb", protocol.RunnerStatus(executed=[0], isolation="limits only"))
    assert nbformat.read(tmp_path / "out.ipynb", as_version=4).cells[0].source == "x = 1"
    status = protocol.RunnerStatus.from_json((tmp_path / "out.status.json").read_text())
    assert status.executed == [0] and status.stopped is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ipynb", "out.status.json"]


def test_process_watchdog_ends_a_tree_over_its_limit():
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time; "
            "[subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']) for _ in range(3)]; "
            "time.sleep(60)",
        ],
        start_new_session=True,
    )
    watchdog = runner.ProcessWatchdog(parent.pid, limit=2, interval=0.02)
    watchdog.start()
    watchdog.join(timeout=30)
    assert watchdog.tripped, "three children are over a limit of two"
    parent.wait(timeout=10)


def test_course_root_is_found_from_a_subfolder_and_missing_courses_are_clear(tmp_path, repo):
    assert course.root(repo / "solutions" / "00_welcome") == repo
    (tmp_path / "solutions" / "01_x").mkdir(parents=True)
    (tmp_path / "nbgrader_config.py").write_text("")
    assert course.root(tmp_path / "solutions") == tmp_path
    assert course.assignments(tmp_path) == ["01_x"]
    with pytest.raises(
        course.UnknownAssignmentError, match=r"Unknown assignment '02_y'; known: 01_x \(or their numbers\)"
    ):
        course.require_assignments(["01_x", "02_y"], tmp_path)


def test_course_root_outside_any_course_falls_back_to_the_checkout_or_says_what_to_do(tmp_path, monkeypatch):
    checkout = course.root(tmp_path)  # tmp_path is no course: the editable install's checkout
    assert course.is_course_root(checkout)
    monkeypatch.setattr(course, "is_course_root", lambda folder: False)
    with pytest.raises(course.CourseNotFoundError, match="Run this from a clone"):
        course.root(tmp_path)


def test_lessons_are_the_course_notebooks_in_order(repo):
    lessons = course.lessons(repo)
    assert lessons[0].name == "00_welcome.ipynb" and lessons == sorted(lessons)


def test_working_directory_comes_back_even_after_an_error(tmp_path):
    before = os.getcwd()
    with pytest.raises(KeyError), course.working_directory(tmp_path):
        assert os.getcwd() == str(tmp_path.resolve())
        raise KeyError("boom")
    assert os.getcwd() == before


def test_the_comparison_guard_keeps_python_semantics_for_trusted_operands():
    import numpy as np
    import pandas as pd

    from scalingml.sandbox import kernel_guard

    compare = kernel_guard.compare
    frame = pd.DataFrame({"column": ["a", "b"], "row": [1, 2]})
    mask = compare(frame["column"], ("Eq", lambda: "a"))  # element-wise, not a truth value
    assert mask.tolist() == [True, False]
    assert compare(1, ("Lt", lambda: 2), ("Lt", lambda: 3)) is True
    assert compare(3, ("Lt", lambda: 2), ("Lt", lambda: 1 / 0)) is False, "a chain stops at its first false link"
    assert compare(np.int64(2), ("In", lambda: {1, 2})) and compare([1.0, "x"], ("Eq", lambda: [1.0, "x"]))

    class Yes:  # defined here, in a test file outside the installation: untrusted
        def __eq__(self, other):
            return True

    with pytest.raises(kernel_guard.UntrustedComparison, match="Yes object whose __eq__"):
        compare(Yes(), ("Eq", lambda: 42))
    with pytest.raises(kernel_guard.UntrustedComparison):
        compare(["a", Yes()], ("Eq", lambda: ["a", "b"]))
    with pytest.raises(kernel_guard.UntrustedComparison):
        compare(pd.Series([Yes()], dtype=object), ("Eq", lambda: 1))
