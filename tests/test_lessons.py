"""The lesson registry (``scalingml.lessons``) agrees with the files on disk and the README outlines, and adding a
lesson is one registry entry plus its files: a throw-away lesson 06, added as CONTRIBUTING.md says, is picked up."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from scalingml import distribution, lessons
from scalingml.lessons import Lesson, LessonEntryError, UnknownLessonError, lowercase_first
from scalingml.quickcheck import lesson_module
from tests.notebook_tools import REPO, read

READMES = ("README.md", f"{distribution.OVERLAY_DIR}/README.md")


def _markdown_lines(notebook) -> list[str]:
    return [line for cell in notebook.cells if cell.cell_type == "markdown" for line in cell.source.splitlines()]


def _imported_experiments(notebook) -> set[str]:
    """The modules of ``scalingml.experiments`` the notebook's code cells import (a name that is not a module
    counts as its package: ``from scalingml.experiments.talent import repeated_experiment_rows``)."""
    found = set()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("scalingml.experiments.")}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("scalingml.experiments"):
                package = importlib.import_module(node.module)
                for alias in node.names:
                    is_module = hasattr(package, "__path__") and importlib.util.find_spec(f"{node.module}.{alias.name}")
                    found.add(f"{node.module}.{alias.name}" if is_module else node.module)
    return found - {"scalingml.experiments"}


def _outline(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"\| \d\d \|", line)]


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=lambda lesson: lesson.number)
def test_each_entry_has_its_notebook_with_its_title_and_sections(lesson):
    path = REPO / lesson.notebook
    assert path.is_file(), f"{lesson.notebook} is missing: write it, or remove lesson {lesson.number} from LESSONS"
    notebook = read(path)
    title = f"# {lesson.number} · {lesson.title}"
    if lesson.challenges:
        title += ": " + ", ".join(lowercase_first(challenge) for challenge in lesson.challenges)
    assert notebook.cells[0].source.splitlines()[0].startswith(title), f"{lesson.notebook} starts with {title!r}"
    numbered = [line[3:] for line in _markdown_lines(notebook) if re.match(r"## \d+ · ", line)]
    assert numbered == [section.heading for section in lesson.sections], "one '## N · Challenge' per challenge"
    if lesson.assignment:
        assert f"exercises/{lesson.assignment}" in notebook.cells[-1].source, "the last cell points to its assignment"


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=lambda lesson: lesson.number)
def test_each_entry_names_the_experiment_modules_its_notebook_imports(lesson):
    for module in lesson.experiment_modules():
        assert importlib.util.find_spec(module), f"lesson {lesson.number}: no module {module}"
    assert _imported_experiments(read(REPO / lesson.notebook)) == set(lesson.experiment_modules())


@pytest.mark.parametrize("lesson", lessons.LESSONS, ids=lambda lesson: lesson.number)
def test_each_entry_has_its_quick_checks_and_its_assignment(lesson):
    module = lesson_module(lesson)
    assert module.CHECKS and all(q.key.startswith(f"{lesson.number}.") for q in module.CHECKS)
    assert [q.key for q in module.ASSESSMENT] == [section.key for section in lesson.sections]
    if lesson.assignment:
        folder = REPO / "solutions" / lesson.assignment
        assert (folder / f"{lesson.assignment}.ipynb").is_file(), f"{folder} has no {lesson.assignment}.ipynb"
        assert (folder / "hints.json").is_file(), f"{folder} has no hints.json"


def test_every_lesson_on_disk_has_an_entry():
    how = "add its entry to LESSONS in src/scalingml/lessons.py (CONTRIBUTING.md, 'Adding a lesson')"
    entries = {lesson.name for lesson in lessons.LESSONS}
    for path in sorted((REPO / "course").glob("*.ipynb")):
        assert path.stem in entries, f"course/{path.name} is no registered lesson: {how}"
    for folder in sorted(p for p in (REPO / "solutions").iterdir() if p.is_dir()):
        assert folder.name in {lesson.assignment for lesson in lessons.LESSONS}, f"solutions/{folder.name}: {how}"
    modules = {lesson.quickcheck for lesson in lessons.LESSONS}
    for path in sorted((REPO / "src" / "scalingml" / "quickcheck").glob("lesson*.py")):
        assert f"scalingml.quickcheck.{path.stem}" in modules, f"quickcheck/{path.name} belongs to no lesson: {how}"
    assert [lesson.number for lesson in lessons.LESSONS] == sorted({lesson.number for lesson in lessons.LESSONS})


@pytest.mark.parametrize("readme", READMES)
def test_the_readme_outline_is_the_registry(readme):
    assert _outline((REPO / readme).read_text()) == lessons.outline(), f"{readme}: write the rows of lessons.outline()"


def test_lessons_are_found_by_number_or_name_and_an_unknown_one_lists_them():
    assert lessons.lesson("05") is lessons.lesson(5) is lessons.lesson("05_regulation_ethics")
    with pytest.raises(UnknownLessonError, match=r"No lesson '07'; the lessons are 00_welcome, 01_data_management"):
        lessons.lesson("07")
    assert lessons.section("03.hardware-limits").lesson is lessons.lesson("03")
    with pytest.raises(UnknownLessonError, match="known: 01.quality, 01.volume, 01.variety"):
        lessons.section("01.nope")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"number": "6"}, "two digits"),
        ({"slug": "Bad-Slug"}, "lower_case_with_underscores"),
        ({"assignment": "06_other"}, "solutions/06_new/"),
        ({"challenges": ()}, "name its challenges"),
    ],
)
def test_an_entry_that_breaks_the_conventions_is_refused(change, message):
    entry = {
        "number": "06",
        "slug": "new",
        "title": "New",
        "challenges": ("A",),
        "experiments": (),
        "quickcheck": "x",
        "assignment": "06_new",
    }
    with pytest.raises(LessonEntryError, match=message):
        Lesson(**{**entry, **change})


# ------------------------------------------------------------------------ the CONTRIBUTING walk-through, lesson 06

NEW_ENTRY = """    Lesson(
        number="06",
        slug="throwaway",
        title="Throw-away",
        challenges=("Alpha", "Beta", "Gamma"),
        experiments=("throwaway",),
        quickcheck="scalingml.quickcheck.lesson06",
        assignment="06_throwaway",
    ),
"""

EXPERIMENT = '''"""Lesson 06's experiment (a throw-away lesson of tests/test_lessons.py)."""


def double(x: float) -> float:
    """Twice ``x``."""
    return 2 * x
'''


def _choice(key: str, why: str) -> str:
    options = ", ".join(f"Option({text!r}, {text == 'right'}, {why!r})" for text in ("right", "wrong", "other"))
    return f"MultipleChoice(key={key!r}, prompt='?', options=({options}))"


def _quickcheck_module() -> str:
    why = "An explanation long enough to teach something about this option."
    keys = ("06.alpha", "06.beta", "06.gamma")
    checks = ", ".join(_choice(key, why) for key in keys)
    assessment = ", ".join(_choice(key, "") for key in keys)
    return (
        '"""Lesson 06 (throw-away)."""\n\nfrom scalingml.quickcheck.model import MultipleChoice, Option\n\n'
        f"CHECKS = ({checks},)\nASSESSMENT = ({assessment},)\n"
    )


def _lesson_notebook() -> nbformat.NotebookNode:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        md(
            "# 06 · Throw-away: alpha, beta, gamma\n\n| **Questions** | ? |\n|---|---|\n| **Objectives** | ? |\n"
            "| **Teaching** | 1 min |\n| **Exercises** | 1 min |"
        ),
        code("from scalingml.experiments import throwaway\nfrom scalingml.quickcheck import quick_check"),
    ]
    for number, name in enumerate(("Alpha", "Beta", "Gamma"), start=1):
        cells += [
            md(f"## {number} · {name}"),
            code(f"print(throwaway.double({number}))\nquick_check('06.{name.lower()}')"),
        ]
    cells += [md("## Keypoints\n\n- One."), md("**Next**: the assignment `exercises/06_throwaway/06_throwaway.ipynb`.")]
    return nbformat.v4.new_notebook(cells=cells)


def _solution_notebook() -> nbformat.NotebookNode:
    def cell(make, source, grade_id, **meta):
        flags = {"grade": False, "locked": False, "solution": False, "task": False, **meta}
        made = make(source, id=grade_id.replace("_", "-"))
        made.metadata["nbgrader"] = {**flags, "grade_id": grade_id, "schema_version": 3}
        made.metadata["tags"] = ["raises-exception"]
        return made

    code = nbformat.v4.new_code_cell
    answer = cell(code, "### BEGIN SOLUTION\nx = 2\n### END SOLUTION", "q1_answer", solution=True)
    tests = "assert isinstance(x, int)\n### BEGIN HIDDEN TESTS\nassert x == 2\n### END HIDDEN TESTS"
    graded = cell(code, tests, "q1_tests", grade=True, locked=True, points=1)
    return nbformat.v4.new_notebook(cells=[answer, graded])


def _run_checks(root: Path, *selection: str) -> subprocess.CompletedProcess:
    """The registry-driven tests, run by pytest in ``root`` against the package copied there."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}  # no outer xdist
    env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), str(root)])
    command = [sys.executable, "-m", "pytest", "-o", "addopts=", "-n", "0", "-p", "no:cacheprovider", "-q", "-rA"]
    command += ["--import-mode=importlib", *selection]
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_a_new_lesson_is_one_registry_entry_plus_its_files(tmp_path):
    """CONTRIBUTING.md's "Adding a lesson", step by step, in a copy of the course: the registry-driven checks
    refuse the lesson's files until its entry is written, then cover it (quick checks, self-assessment, outline)."""
    root = tmp_path / "course"
    ignore = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints")
    for folder in ("src/scalingml", "course", "solutions", distribution.OVERLAY_DIR):
        shutil.copytree(REPO / folder, root / folder, ignore=ignore)
    for name in ("README.md", "nbgrader_config.py", "pyproject.toml", "conftest.py"):
        shutil.copy2(REPO / name, root / name)
    (root / "tests").mkdir()
    for name in (
        "__init__.py",
        "notebook_tools.py",
        "test_lessons.py",
        "test_quickcheck.py",
        "test_talent_training.py",
    ):
        shutil.copy2(REPO / "tests" / name, root / "tests" / name)

    # 1-4: the experiment, the quick checks and self-assessment questions, the notebook, the assignment and its hints
    package = root / "src" / "scalingml"
    (package / "experiments" / "throwaway.py").write_text(EXPERIMENT)
    (package / "quickcheck" / "lesson06.py").write_text(_quickcheck_module())
    nbformat.write(_lesson_notebook(), root / "course" / "06_throwaway.ipynb")
    (root / "solutions" / "06_throwaway").mkdir()
    nbformat.write(_solution_notebook(), root / "solutions" / "06_throwaway" / "06_throwaway.ipynb")
    hints = {"q1_tests": ["A nudge.", "A near-solution."]}
    (root / "solutions" / "06_throwaway" / "hints.json").write_text(json.dumps(hints))
    # 5: the outline row in both READMEs
    row = "| 06 | throw-away | alpha · beta · gamma | `exercises/06_throwaway` |"
    for readme in READMES:
        text = (root / readme).read_text()
        last = _outline(text)[-1]
        (root / readme).write_text(text.replace(last + "\n", f"{last}\n{row}\n"))

    without_entry = _run_checks(root, "tests/test_lessons.py", "-k", "not new_lesson")
    assert without_entry.returncode == 1, without_entry.stdout + without_entry.stderr
    assert "course/06_throwaway.ipynb is no registered lesson: add its entry to LESSONS" in without_entry.stdout
    assert "FAILED tests/test_lessons.py::test_the_readme_outline_is_the_registry[README.md]" in without_entry.stdout

    # 6: the registry entry
    registry = package / "lessons.py"
    text = registry.read_text()
    end = text.index("\n)\n", text.index("LESSONS: tuple[Lesson, ...] = ("))
    registry.write_text(text[: end + 1] + NEW_ENTRY + text[end + 1 :])

    with_entry = _run_checks(
        root,
        "tests/test_lessons.py",
        "tests/test_quickcheck.py",
        "tests/test_talent_training.py",
        "-k",
        "not new_lesson and (entry or disk or outline or lesson or keys or bank or path)",
    )
    assert with_entry.returncode == 0, with_entry.stdout + with_entry.stderr
    for test in (
        "test_lessons.py::test_each_entry_has_its_notebook_with_its_title_and_sections[06]",
        "test_lessons.py::test_each_entry_names_the_experiment_modules_its_notebook_imports[06]",
        "test_lessons.py::test_each_entry_has_its_quick_checks_and_its_assignment[06]",
        f"test_lessons.py::test_the_readme_outline_is_the_registry[{distribution.OVERLAY_DIR}/README.md]",
        "test_quickcheck.py::test_every_lesson_section_closes_with_its_own_quick_check[06_throwaway]",
        "test_talent_training.py::test_the_bank_is_one_quick_check_question_per_challenge_of_every_lesson",
    ):
        assert f"PASSED tests/{test}" in with_entry.stdout, with_entry.stdout

    lookup = (
        "from scalingml import lessons, quickcheck; from scalingml.experiments.talent import learning_path as lp; "
        "print(quickcheck.__file__); print(quickcheck.check_answer('06.beta', 'a').verdict); "
        "print(lessons.outline()[-1]); answers = {q.key: q.right_letter for q in lp.QUESTIONS} | {'06.gamma': 'b'}; "
        "print(lp.describe_path(lp.learning_path(answers)).splitlines()[-1])"
    )
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    shown = subprocess.run([sys.executable, "-c", lookup], env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    where, verdict, outline, path = shown.stdout.splitlines()
    assert Path(where).is_relative_to(root) and verdict == "right" and outline == row
    assert path == "- lesson 06 throw-away: 06 · 3 Gamma (wrong)"
