"""The learner distribution (`scalingml dist`): what a graded class gets holds no solution and no hidden test.

The leak search takes, from every source notebook of ``solutions/``, each solution region, each markdown or code
answer cell that nbgrader replaces whole, and each hidden-test block; keeps their lines of 12 characters or more
that the released exercise does not also hold (whitespace normalised); and looks for them in every file of the
built tree, of a wheel built from it and of the git branch Binder launches.
"""

import functools
import itertools
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import scalingml
from scalingml import cells, cli, course, distribution, hints, workspace
from tests.notebook_tools import REPO, assignment_names, grader, read

BLOCK = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.S)
MIN_LENGTH = 12
#: The one place the markers may appear in a distribution: the package's constants (path suffix, line).
ALLOWED_MARKERS = {
    ("scalingml/cells.py", 'BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"'),
    ("scalingml/cells.py", 'BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"'),
}
#: Known overlaps of package code with a model answer: (path suffix, assignment, text every such secret holds).
#: experiments/quality.py's customer_schema() is lesson 01's schema; A01 Q1 asks for the same rules, all of which its
#: text states (a near-answer a learner has had since the package shipped; reported with issue 19).
SHARED_WITH_PACKAGE = {("scalingml/experiments/quality.py", "01_data_management", "pa.Column(")}


def normalise(line: str) -> str:
    return " ".join(line.split())


def strings(value) -> list[str]:
    """Every string inside a parsed JSON value (a notebook's sources, outputs and metadata)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


def searchable(name: str, data: bytes) -> str:
    """The text of a file as the search sees it: its non-blank lines, whitespace-normalised; a notebook's JSON
    decoded (a secret's quotes and line breaks are escaped in it)."""
    text = data.decode("utf-8", errors="replace")
    if name.endswith(".ipynb"):
        text = "\n".join(strings(json.loads(text)))
    return "\n".join(normalise(line) for line in text.splitlines() if line.strip())


def secret_blocks(name: str) -> list[list[str]]:
    """The normalised lines of each solution region, hidden-test block and answer cell nbgrader replaces whole."""
    blocks = []
    for cell in read(REPO / "solutions" / name / f"{name}.ipynb").cells:
        found = [match.group(2) for match in BLOCK.finditer(cell.source)]
        if grader(cell).get("solution") and not found:
            found = [cell.source]  # nbgrader replaces the whole cell ("YOUR ANSWER HERE")
        blocks += [[normalise(line) for line in block.splitlines() if line.strip()] for block in found]
    return blocks


@functools.cache
def public_text(with_package: bool) -> str:
    """What the course shows learners on purpose: every source notebook without its secret blocks (what nbgrader
    keeps), the lessons, the hints, the datasheets, and (``with_package``) the package source of this checkout."""
    parts = []
    for name in assignment_names():
        for cell in read(REPO / "solutions" / name / f"{name}.ipynb").cells:
            kept = BLOCK.sub("", cell.source)
            if not (grader(cell).get("solution") and kept == cell.source):
                parts.append(kept)
        parts.append(searchable(hints.HINTS_FILE, (REPO / "solutions" / name / hints.HINTS_FILE).read_bytes()))
    parts += [searchable(p.name, p.read_bytes()) for p in sorted((REPO / "course").glob("*.ipynb"))]
    parts.append((REPO / "datasets" / "README.md").read_text())  # the datasheets
    if with_package:
        parts += [p.read_text() for p in sorted((REPO / "src" / "scalingml").rglob("*.py"))]
    return "\n".join(normalise(line) for part in parts for line in part.splitlines() if line.strip())


@functools.cache
def secrets() -> dict[str, str]:
    """``{text: assignment}``: what no learner may get. Each line of a secret block (12 characters or more) that the
    course does not show elsewhere, and each pair of such consecutive lines (``"a\\nb"``) that the course does not
    show in a row without the package: package code may share a line with an answer, not a run of them."""
    found = {}
    for name in assignment_names():
        for block in secret_blocks(name):
            for line in block:
                if len(line) >= MIN_LENGTH and line not in public_text(with_package=True):
                    found[line] = name
            for first, second in itertools.pairwise(block):
                pair = f"{first}\n{second}"
                if min(len(first), len(second)) >= MIN_LENGTH and pair not in public_text(with_package=False):
                    found[pair] = name
    return found


def allowed_marker(path: str, line: str) -> bool:
    return any(path.endswith(suffix) and line == allowed for suffix, allowed in ALLOWED_MARKERS)


def shared_with_package(path: str, name: str, secret: str) -> bool:
    return any(
        path.endswith(suffix) and name == assignment and all(text in part for part in secret.split("\n"))
        for suffix, assignment, text in SHARED_WITH_PACKAGE
    )


def leaks(files: dict[str, bytes]) -> list[str]:
    """Each secret found, as 'path: text (assignment)', and each marker line but ALLOWED_MARKERS'."""
    found = []
    for path, data in sorted(files.items()):
        text = searchable(path, data)
        found += [
            f"{path}: {secret!r} (from solutions/{name})"
            for secret, name in secrets().items()
            if secret in text and not shared_with_package(path, name, secret)
        ]
        for marker in cells.MARKERS:
            lines = [line for line in text.splitlines() if marker in line]
            found += [f"{path}: marker {line!r}" for line in lines if not allowed_marker(path, line)]
    return found


def tree_bytes(tree: Path) -> dict[str, bytes]:
    return {name: data for name, (_, data) in distribution.tree_files(tree).items()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """One distribution of this checkout, shared by the tests that only read it."""
    return distribution.build_learner_distribution(tmp_path_factory.mktemp("dist") / "learner", REPO)


@pytest.fixture
def fresh(tmp_path) -> Path:
    """A distribution of its own, for a test that works in it."""
    return distribution.build_learner_distribution(tmp_path / "learner", REPO)


def test_the_search_finds_every_secret_in_the_solutions():
    """The control: the same search, run on solutions/, finds every line it looks for (and there are many)."""
    for name in assignment_names():
        wanted = [secret for secret, owner in secrets().items() if owner == name]
        assert len(wanted) >= 10, f"solutions/{name}: only {len(wanted)} secrets found: is the parser broken?"
        source = REPO / "solutions" / name / f"{name}.ipynb"
        text = searchable(source.name, source.read_bytes())
        assert not [line for line in wanted if line not in text], f"solutions/{name}: the search misses some"
        assert any("marker '### BEGIN HIDDEN TESTS'" in leak for leak in leaks({source.name: source.read_bytes()}))


def test_no_solution_or_hidden_test_anywhere_in_the_distribution(built):
    found = leaks(tree_bytes(built))
    assert not found, "the learner distribution leaks:\n" + "\n".join(found[:30])


def test_the_distribution_holds_what_a_learner_needs_and_no_source(built):
    top = sorted(path.name for path in built.iterdir())
    assert top == sorted(
        [
            "README.md",
            "binder",
            "course",
            "datasets",
            "exercises",
            "hatch_build.py",
            "pyproject.toml",
            "scalingml-learner.json",
            "src",
        ]
    )
    assert sorted(p.name for p in (built / "exercises").iterdir()) == assignment_names()
    for name in assignment_names():
        assert (built / "exercises" / name / f"{name}.ipynb").read_bytes() == (
            REPO / "exercises" / name / f"{name}.ipynb"
        ).read_bytes()
        assert hints.load_hints(built / "exercises" / name), f"{name}: hints are released with the exercise"
    assert [p.name for p in course.lessons(built)] == [p.name for p in course.lessons(REPO)]
    assert (built / "datasets" / "churn.csv").is_file() and (built / "src" / "scalingml" / "cli.py").is_file()
    assert not list(built.rglob("__pycache__")) and not list(built.rglob(".ipynb_checkpoints"))
    marker = json.loads((built / course.LEARNER_MARKER).read_text())
    assert marker["course"] == "scalingml" and marker["version"] == scalingml.__version__
    assert "no model answers and no hidden tests" in (built / "README.md").read_text()


def test_course_root_recognises_a_distribution_without_solutions(built):
    assert not (built / "solutions").exists() and course.is_learner_distribution(built)
    assert course.root(built / "exercises" / "00_welcome") == built
    assert course.assignments(built) == assignment_names()
    assert not course.is_learner_distribution(REPO) and course.root(REPO) == REPO


def test_outside_any_course_the_root_is_the_course_scalingml_course_names(built, tmp_path, monkeypatch):
    """A workshop learner's notebook fetched to ~/00_welcome: the course is the one in their home."""
    monkeypatch.setenv(course.COURSE_ENV_VAR, str(built))
    assert course.root(tmp_path) == built.resolve()
    assert course.root(built / "exercises") == built, "a course above the notebook still comes first"
    monkeypatch.setenv(course.COURSE_ENV_VAR, str(tmp_path))
    with pytest.raises(course.CourseNotFoundError, match="fix or unset SCALINGML_COURSE"):
        course.root(tmp_path)


def test_the_build_refuses_an_exercise_that_holds_its_solution(tmp_path):
    """A stale or hand-copied release (here: the source notebook itself) stops the build; nothing is written."""
    scratch = tmp_path / "course"
    scratch.mkdir()
    for item in (*distribution.COPIED, distribution.OVERLAY_DIR, course.SOURCE_DIR, "nbgrader_config.py"):
        copy = shutil.copytree if (REPO / item).is_dir() else shutil.copyfile
        copy(REPO / item, scratch / item)
    name = "01_data_management"
    shutil.copyfile(REPO / "solutions" / name / f"{name}.ipynb", scratch / "exercises" / name / f"{name}.ipynb")
    with pytest.raises(distribution.DistributionError, match=rf"exercises/{name}/{name}.ipynb hold.*release --force"):
        distribution.build_learner_distribution(tmp_path / "learner", scratch)
    assert not (tmp_path / "learner").exists() and not list(tmp_path.glob(".learner*"))


def test_building_twice_gives_identical_trees_and_zips(tmp_path):
    one = distribution.build_learner_distribution(tmp_path / "one", REPO)
    two = distribution.build_learner_distribution(tmp_path / "two", REPO)
    assert distribution.tree_files(one) == distribution.tree_files(two)
    first = distribution.write_zip(one, tmp_path / "one.zip")
    second = distribution.write_zip(two, tmp_path / "two.zip")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert names == sorted(names) and all(n.startswith(f"{distribution.ZIP_FOLDER}/") for n in names)
        assert {info.date_time for info in archive.infolist()} == {distribution.ZIP_DATE}
        postbuild = archive.getinfo(f"{distribution.ZIP_FOLDER}/binder/postBuild")
        assert (postbuild.external_attr >> 16) & 0o111, "binder scripts stay executable"
        unzipped = {n.removeprefix(f"{distribution.ZIP_FOLDER}/"): archive.read(n) for n in names}
    assert unzipped == tree_bytes(one)


def test_a_wheel_built_from_the_distribution_holds_the_package_and_data_and_no_secret(built, tmp_path):
    """What `pip install TARGET` (and Binder's postBuild) installs, without a network: a wheel of the distribution."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), built],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("scalingml-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert "scalingml/cli.py" in members and "scalingml/_shipped_datasets/churn.csv" in members
    found = leaks(members)
    assert not found, "the wheel leaks:\n" + "\n".join(found[:30])
    script = (built / "binder" / "postBuild").read_text()
    assert re.search(r"pip install .*\s\.\s*$", script, re.M), "Binder installs the distribution's own package"


def test_the_target_must_be_new_or_a_distribution_to_replace(tmp_path):
    with pytest.raises(distribution.DistributionError, match="inside the course's exercises"):
        distribution.build_learner_distribution(REPO / "exercises" / "x", REPO)
    with pytest.raises(distribution.DistributionError, match="holds the course itself"):
        distribution.build_learner_distribution(REPO.parent, REPO)
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    with pytest.raises(distribution.DistributionError, match="neither empty nor a learner distribution"):
        distribution.build_learner_distribution(other, REPO)
    assert (other / "mine.txt").read_text() == "keep me" and len(list(other.iterdir())) == 1
    tree = distribution.build_learner_distribution(tmp_path / "learner", REPO)
    (tree / "stale.txt").write_text("from an old build")
    assert distribution.build_learner_distribution(tree, REPO) == tree, "an earlier build is replaced"
    assert not (tree / "stale.txt").exists() and course.is_learner_distribution(tree)
    workspace.start("00", tree)
    with pytest.raises(distribution.DistributionError, match="holds a learner's work"):
        distribution.build_learner_distribution(tree, REPO)
    assert (tree / workspace.WORK_DIR / "00_welcome" / "00_welcome.ipynb").is_file()
    with pytest.raises(course.LearnerDistributionError, match="cannot build a learner distribution"):
        distribution.build_learner_distribution(tmp_path / "again", tree)
    assert not list(tmp_path.glob(".*")), "a refused build leaves no staging folder behind"


def test_dist_command_says_where_it_wrote_and_how_to_use_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert cli.main(["dist", str(tmp_path / "learner"), "--zip", str(tmp_path / "learner.zip")]) == 0
    out = capsys.readouterr().out
    assert f"Wrote the learner distribution to {tmp_path / 'learner'}" in out and "pip install ." in out
    assert "--git-branch learner" in out and "--zip FILE" not in out, "it offers only the packaging not made"
    assert str(tmp_path) not in out.splitlines()[1], "learners get their own copy, not the instructor's path"
    assert (tmp_path / "learner.zip").is_file()
    assert cli.main(["dist", str(tmp_path / "learner")]) == 0, "the same command again rebuilds it"
    assert "(or zip it with --zip FILE, or commit it" in capsys.readouterr().out
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me")
    assert cli.main(["dist", str(tmp_path / "notes")]) == 2
    assert "neither empty nor a learner distribution" in capsys.readouterr().err


def test_the_push_hint_names_the_remote_it_would_push_to(tmp_path):
    repository = tmp_path / "repo"
    repository.mkdir()
    git(repository, "init", "-q", "-b", "main")
    assert "no remote `origin`" in distribution.push_hint(repository, "learner")
    git(repository, "remote", "add", "origin", "https://github.com/example/course.git")
    hint = distribution.push_hint(repository, "learner")
    assert "git push origin learner" in hint and "https://github.com/example/course.git" in hint


def git(repository: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repository, check=True, capture_output=True, text=True).stdout


def test_the_binder_branch_holds_exactly_the_distribution_and_repeats(built, tmp_path):
    repository = tmp_path / "repo"
    repository.mkdir()
    git(repository, "init", "-q", "-b", "main")
    commit, new = distribution.publish_branch(built, "learner", repository)
    assert new and git(repository, "rev-parse", "refs/heads/learner").strip() == commit
    listing = git(repository, "ls-tree", "-r", "learner").splitlines()
    files = {line.split("\t")[1]: line.split()[0] for line in listing}
    assert sorted(files) == sorted(distribution.tree_files(built))
    assert files["binder/postBuild"] == "100755" and files["README.md"] == "100644"
    blobs = {
        name: subprocess.run(["git", "show", f"learner:{name}"], cwd=repository, capture_output=True).stdout
        for name in files
    }
    assert blobs == tree_bytes(built)
    assert not leaks(blobs)
    again, new_again = distribution.publish_branch(built, "learner", repository)
    assert (again, new_again) == (commit, False), "no change, no new commit"
    elsewhere = tmp_path / "repo2"
    elsewhere.mkdir()
    git(elsewhere, "init", "-q", "-b", "main")
    assert distribution.publish_branch(built, "learner", elsewhere)[0] == commit, "the commit is deterministic"
    assert git(repository, "status", "--porcelain") == "", "the work tree and index are not touched"


def test_in_the_distribution_lab_opens_the_welcome_lesson_and_start_copies(fresh, monkeypatch, capsys):
    launched = {}
    monkeypatch.setattr(cli.lab, "run", lambda command, cwd: launched.update(command=command, cwd=cwd) or 0)
    monkeypatch.setattr(cli.lab, "running_server", lambda root: None)
    monkeypatch.chdir(fresh / "course")
    assert cli.main(["lab", "--no-browser"]) == 0
    assert launched["cwd"] == fresh and f"--ServerApp.root_dir={fresh}" in launched["command"]
    assert (fresh / cli.LAB_START_PAGE).is_file()
    assert cli.main(["start", "02"]) == 0
    assert "--LabApp.default_url=/lab/tree/my-work/02_model_complexity/02_model_complexity.ipynb" in launched["command"]
    work = fresh / workspace.WORK_DIR / "02_model_complexity"
    assert (work / "02_model_complexity.ipynb").read_bytes() == (
        fresh / "exercises" / "02_model_complexity" / "02_model_complexity.ipynb"
    ).read_bytes()
    assert (
        hints.hint_text("q1", folder=work)
        == hints.load_hints(REPO / "solutions" / "02_model_complexity")["q1_tests"][0]
    )


@pytest.mark.parametrize(
    "command",
    [["release"], ["release", "00_welcome"], ["grade", "00_welcome", "submissions"], ["solution", "00", "q1"]],
)
def test_in_the_distribution_instructor_commands_refuse_in_one_line(fresh, monkeypatch, capsys, command):
    monkeypatch.chdir(fresh)
    assert cli.main(command) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "learner distribution" in err and "clone of the course repository" in err


def test_the_distributions_own_package_works_there(fresh):
    """Its package, not this checkout's: start copies an exercise, release refuses; nothing reads solutions/."""

    def run(*args):
        return subprocess.run(
            [sys.executable, *args],
            cwd=fresh,
            env={**__import__("os").environ, "PYTHONPATH": str(fresh / "src")},
            capture_output=True,
            text=True,
            timeout=120,
        )

    where = run("-c", "import scalingml; print(scalingml.__file__)")
    assert Path(where.stdout.strip()).is_relative_to(fresh), where.stderr
    started = run("-m", "scalingml", "start", "00", "--no-lab")
    assert started.returncode == 0 and "my-work/00_welcome/00_welcome.ipynb" in started.stdout, started.stderr
    refused = run("-m", "scalingml", "release")
    assert refused.returncode == 2 and "learner distribution" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.slow
def test_check_runs_the_visible_tests_in_the_distribution(fresh, monkeypatch, capsys):
    monkeypatch.chdir(fresh)
    workspace.start("00", fresh)
    assert cli.main(["check", "my-work/00_welcome/00_welcome.ipynb", "--hint"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  q1_tests" in out and "not answered yet" in out and "HINT  q1_tests (1/" in out
    assert "no released copy" not in out, "the check found the release in the distribution's exercises/"
