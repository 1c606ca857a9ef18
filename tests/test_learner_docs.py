"""What learners read: commands in messages they can run as typed, the README's promises, lesson 00's pointer."""

import os
import re
import shutil
import subprocess
import sysconfig
import tomllib
from pathlib import Path

import pytest

from scalingml import command
from tests.notebook_tools import REPO, read, scratch_copy

SCRIPT = Path(sysconfig.get_path("scripts")) / "scalingml"
needs_script = pytest.mark.skipif(not SCRIPT.is_file(), reason=f"no installed scalingml script at {SCRIPT}")


def path_without(folder: Path) -> str:
    return os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if Path(p) != folder)


@needs_script
def test_a_message_names_the_command_as_it_can_be_typed_from_an_unactivated_environment(monkeypatch):
    """As the README does: `.venv/bin/scalingml ...` when the environment is not on PATH, `scalingml` when it is."""
    monkeypatch.chdir(SCRIPT.parents[2])  # the folder holding the environment, e.g. the checkout holding .venv
    monkeypatch.setenv("PATH", path_without(SCRIPT.parent))
    assert command.command("check", "x.ipynb") == f"{Path(os.path.relpath(SCRIPT)).as_posix()} check x.ipynb"
    monkeypatch.setenv("PATH", str(SCRIPT.parent) + os.pathsep + path_without(SCRIPT.parent))
    assert command.command("check", "x.ipynb") == "scalingml check x.ipynb"


@needs_script
def test_start_tells_a_check_command_that_runs(tmp_path):
    root = scratch_copy(["00_welcome"], tmp_path / "course", REPO)
    shutil.copytree(REPO / "exercises" / "00_welcome", root / "exercises" / "00_welcome")
    env = {**os.environ, "PATH": path_without(SCRIPT.parent)}
    result = subprocess.run(
        [str(SCRIPT), "start", "00", "--no-lab"], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    told = re.search(r"Check it with: (.+)", result.stdout).group(1)
    assert told == f"{SCRIPT} check my-work/00_welcome/00_welcome.ipynb", result.stdout
    assert "`scalingml release`" not in result.stdout, "a bare `scalingml` is not on this PATH"


def test_each_test_dependency_line_holds_its_own_comment_only():
    """pyproject.toml's comments on the test extras sit on the line of the package they explain."""
    text = (REPO / "pyproject.toml").read_text()
    extras = tomllib.loads(text)["project"]["optional-dependencies"]["test"]
    for line in text.splitlines():
        if any(line.strip().startswith(f'"{requirement}"') for requirement in extras):
            assert line.count("#") <= 1, f"two comments on one line: {line.strip()}"
    lines = {line.strip().split('"')[1].split(">")[0]: line for line in text.splitlines() if line.strip()[:1] == '"'}
    assert "lessons cell by cell" in lines["nbval"] and "browser" in lines["playwright"]


def test_readme_says_how_long_the_tests_take_and_how_to_follow_them():
    readme = (REPO / "README.md").read_text()
    after = readme.split(".venv/bin/python -m pytest -m timing -n 0\n```", 1)[1][:1200]
    assert re.search(r"about \d+ minutes on 2 cores", after), "the test command's duration"
    assert "`-v`" in after, "how to see progress test by test"


def test_readme_says_start_reuses_a_running_lab_or_only_copies():
    readme = (REPO / "README.md").read_text()
    assert "already\nrunning on the course" in readme or "already running on the course" in readme
    assert "`--no-lab` only copies" in readme


def test_lesson_00_points_to_its_self_assessment_and_how_to_start_it():
    last = read(REPO / "course" / "00_welcome.ipynb").cells[-1].source
    assert "self-assessment" in last and "exercises/00_welcome" in last
    assert "scalingml start 00" in last and "scalingml check my-work/00_welcome/00_welcome.ipynb" in last
