"""Where the course lives on disk, its assignments and lessons, and nbgrader's API on it.

The course root is the folder holding ``nbgrader_config.py``, ``course/`` and
``solutions/`` (an instructor's checkout), or a learner distribution (built by
``scalingml dist``: ``course/``, ``exercises/`` and the marker file
:data:`LEARNER_MARKER`, no ``solutions/``): the current directory or one of its parents
if it is one, else the source checkout the package was installed from (``pip install -e .``).

Releasing exercises from solutions is :mod:`scalingml.releasing` (it also asks :mod:`scalingml.workspace`,
which needs this module: keeping the release out of here keeps the imports one-way).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from scalingml.errors import ScalingmlError

SOURCE_DIR = "solutions"
RELEASE_DIR = "exercises"
#: Names the course when no folder above the current one is one (set per user by a workshop server).
COURSE_ENV_VAR = "SCALINGML_COURSE"
LESSONS_DIR = "course"
GRADING_DIR = "grading"
#: The file at the root of a learner distribution (``scalingml dist``): no solutions, no hidden tests.
LEARNER_MARKER = "scalingml-learner.json"


class CourseNotFoundError(ScalingmlError, FileNotFoundError):
    """No course checkout could be found."""


class UnknownAssignmentError(ScalingmlError, ValueError):
    """An assignment name that is not a folder of ``solutions/``; the message lists the known ones."""


class LearnerDistributionError(ScalingmlError, FileNotFoundError):
    """An instructor's command (release, grade, a model answer) run in a learner distribution: it has no solutions."""


def is_learner_distribution(folder: Path) -> bool:
    """True for a tree built by ``scalingml dist``: lessons and exercises, no solutions or hidden tests."""
    return (folder / LEARNER_MARKER).is_file() and (folder / LESSONS_DIR).is_dir()


def is_course_root(folder: Path) -> bool:
    """An instructor's checkout (``nbgrader_config.py`` and ``solutions/``) or a learner distribution."""
    return is_learner_distribution(folder) or (
        (folder / "nbgrader_config.py").is_file() and (folder / SOURCE_DIR).is_dir()
    )


def require_instructor_checkout(
    course_root: Path, action: str, instead: str = "do that in the instructor's clone of the course repository"
) -> None:
    """Raise :class:`LearnerDistributionError` in a learner distribution: it cannot ``action``; ``instead``: the way."""
    if is_learner_distribution(course_root):
        raise LearnerDistributionError(
            f"This is the learner distribution of the course ({course_root}), without solutions or hidden tests: "
            f"it cannot {action}; {instead}."
        )


def root(start: str | os.PathLike | None = None) -> Path:
    """The course root: ``start`` (default: the current directory) or one of its parents, else the folder
    ``SCALINGML_COURSE`` names (a workshop server sets it to the course in each home), else the checkout."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if is_course_root(folder):
            return folder
    named = os.environ.get(COURSE_ENV_VAR, "").strip()
    if named and is_course_root(Path(named).expanduser()):
        return Path(named).expanduser().resolve()
    if named:
        raise CourseNotFoundError(
            f"No scalingml course found at {here} or above it, nor at {COURSE_ENV_VAR}={named!r} (a course checkout or "
            f"a learner distribution): fix or unset {COURSE_ENV_VAR}."
        )
    checkout = Path(__file__).resolve().parents[2]
    if is_course_root(checkout):
        return checkout
    raise CourseNotFoundError(
        f"No scalingml course found at {here} or above it (a folder with nbgrader_config.py and {SOURCE_DIR}/). "
        "Run this from a clone of the course repository or from a learner distribution (`scalingml dist`)."
    )


def version(course_root: Path | None = None) -> str:
    """The course's version, read where it is written once: ``__version__`` in its ``src/scalingml/__init__.py``
    (hatchling reads the same line for the package's metadata)."""
    init = (course_root or root()) / "src" / "scalingml" / "__init__.py"
    found = re.search(r'^__version__ = "([^"]+)"$', init.read_text(encoding="utf-8"), re.M)
    if found is None:
        raise CourseNotFoundError(f"{init} has no __version__ line: restore it from the course repository")
    return found.group(1)


def assignments(course_root: Path | None = None) -> list[str]:
    """Assignment names (folders of ``solutions/``; of ``exercises/`` in a learner distribution), sorted."""
    course_root = course_root or root()
    source = course_root / (RELEASE_DIR if is_learner_distribution(course_root) else SOURCE_DIR)
    return sorted(p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith("."))


def resolve_assignment(name: str, course_root: Path | None = None) -> str:
    """``"02"`` or ``"02_model_complexity"`` to the assignment's full name; every command takes either."""
    known = assignments(course_root)
    matches = [a for a in known if a == name or a.split("_", 1)[0] == name]
    if len(matches) != 1:
        raise UnknownAssignmentError(f"Unknown assignment {name!r}; known: {', '.join(known)} (or their numbers)")
    return matches[0]


def require_assignments(names: list[str], course_root: Path | None = None) -> list[str]:
    """The full names of ``names`` (each a source assignment's name or number), or :class:`UnknownAssignmentError`.

    Source assignments exist only in an instructor's checkout: in a learner distribution this raises
    :class:`LearnerDistributionError` (release and grade start here).
    """
    course_root = course_root or root()
    require_instructor_checkout(course_root, "release or grade assignments")
    return [resolve_assignment(name, course_root) for name in names]


def lessons(course_root: Path | None = None) -> list[Path]:
    """Lesson notebooks of ``course/``, sorted."""
    return sorted(((course_root or root()) / LESSONS_DIR).glob("*.ipynb"))


@contextlib.contextmanager
def working_directory(folder: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def ensure_scripts_on_path() -> None:
    """Put this environment's scripts folder on ``PATH`` if ``alembic`` is not found.

    nbgrader creates a new gradebook by running the ``alembic`` *command*, found
    through ``PATH``; when a virtual environment is used without being activated
    (``.venv/bin/scalingml release``) that lookup fails with a bare traceback.
    """
    if shutil.which("alembic"):
        return
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        if folder and os.path.isfile(os.path.join(folder, "alembic")):
            os.environ["PATH"] = folder + os.pathsep + os.environ.get("PATH", "")
            return


def nbgrader_api(course_root: Path, **config_overrides):
    """An ``NbGraderAPI`` for ``course_root``, reading ``nbgrader_config.py`` where the ``nbgrader`` command does.

    The user's and the system's Jupyter configuration folders first (where a JupyterHub keeps
    ``Exchange.root``, e.g. ``~/.jupyter/nbgrader_config.py``), the course's own file on top.
    ``config_overrides`` are ``{"Class.trait": value}`` pairs applied on top of both.
    """
    ensure_scripts_on_path()
    from jupyter_core.paths import jupyter_config_path
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    for folder in [*reversed(jupyter_config_path()), str(course_root)]:  # lowest priority first
        if (Path(folder) / "nbgrader_config.py").is_file():
            config.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
    config.CourseDirectory.root = str(course_root)
    extra = Config()
    for key, value in config_overrides.items():
        section, trait = key.split(".")
        extra[section][trait] = value
    config.merge(extra)
    with working_directory(course_root):
        return NbGraderAPI(config=config)
