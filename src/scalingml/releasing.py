"""Releasing exercises: ``exercises/NAME`` regenerated from ``solutions/NAME`` by nbgrader (``scalingml release``).

The release is deterministic (nbgrader's output is byte-stable), and it never clobbers a learner's work: it is
first generated into a scratch copy of the course and compared with what ``exercises/`` holds
(:func:`scalingml.workspace.notebooks_at_risk`).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from scalingml import course, workspace
from scalingml.errors import ScalingmlError


class ReleaseError(ScalingmlError, RuntimeError):
    """nbgrader could not generate a release from a source assignment; the message holds its log."""


def copy_sources(names: list[str], workdir: Path, course_root: Path) -> Path:
    """A private course in ``workdir``: the nbgrader config and the named assignments' sources."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(course_root / "nbgrader_config.py", workdir / "nbgrader_config.py")
    for name in names:
        shutil.copytree(
            course_root / course.SOURCE_DIR / name,
            workdir / course.SOURCE_DIR / name,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
        )
    return workdir


@dataclass(frozen=True)
class Release:
    """What :func:`release` did: the assignments released, and the files of ``exercises/`` it changed."""

    names: list[str]
    changed: list[Path]  # relative to the course root; empty when the release was already current

    def describe(self) -> str:
        """One line for the console: released what, and whether there is anything to commit."""
        done = f"Released to {course.RELEASE_DIR}/: {', '.join(self.names)}"
        if not self.changed:
            return f"{done}. Nothing changed: {course.RELEASE_DIR}/ was already the release of {course.SOURCE_DIR}/."
        shown = ", ".join(path.as_posix() for path in self.changed[:5])
        more = f" and {len(self.changed) - 5} more" if len(self.changed) > 5 else ""
        return f"{done}. Changed {len(self.changed)} file(s): {shown}{more}; commit them."


def _contents(folder: Path) -> dict[Path, bytes]:
    return {path.relative_to(folder): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def release(names: list[str] | None = None, course_root: Path | None = None, *, force: bool = False) -> Release:
    """Regenerate ``exercises/NAME`` from ``solutions/NAME`` (all assignments by default).

    nbgrader's output is byte-deterministic, so re-running on unchanged solutions
    leaves git clean (and the result says nothing changed). Raises :class:`ReleaseError` with nbgrader's
    log if generation fails, and :class:`scalingml.workspace.LearnerWorkError`, writing nothing, when it
    would overwrite a notebook holding a learner's work (answers, outputs), unless ``force``.
    """
    course_root = course_root or course.root()
    names = names or course.assignments(course_root)
    names = course.require_assignments(names, course_root)
    if not force:
        with tempfile.TemporaryDirectory(prefix="scalingml-release-") as scratch:
            fresh = copy_sources(names, Path(scratch), course_root)
            _generate(course.nbgrader_api(fresh), names, fresh)
            at_risk = workspace.notebooks_at_risk(course_root / course.RELEASE_DIR, fresh / course.RELEASE_DIR)
        if at_risk:
            raise workspace.refusal(at_risk, course_root)
    released = course_root / course.RELEASE_DIR
    before = {name: _contents(released / name) for name in names}
    _generate(course.nbgrader_api(course_root), names, course_root)
    changed = []
    for name in names:
        after = _contents(released / name)
        changed += [
            Path(course.RELEASE_DIR, name, path)
            for path in sorted(before[name].keys() | after.keys())
            if before[name].get(path) != after.get(path)
        ]
    return Release(names, changed)


def _generate(api, names: list[str], course_root: Path) -> None:
    with course.working_directory(course_root):
        for name in names:
            result = api.generate_assignment(name, force=True)
            if not result["success"]:
                raise ReleaseError(f"nbgrader could not generate {name}:\n{result.get('log')}")
