"""The learner distribution: lessons, exercises with hints, datasets and the package; no solution, no hidden test.

An instructor's checkout holds ``solutions/`` (model answers and hidden tests): right for self-study,
wrong for a graded class. ``scalingml dist TARGET`` (:func:`build_learner_distribution`) writes the tree a graded
class gets instead: ``course/``, ``exercises/`` (with ``hints.json``), ``datasets/``, the package (``src/scalingml``,
``pyproject.toml``, ``hatch_build.py``: ``pip install TARGET`` works), ``binder/`` (which installs that package), the
learner README from ``learner-edition/README.md`` and the marker :data:`scalingml.course.LEARNER_MARKER`, by which
:func:`scalingml.course.root` recognises it. Nothing else of the checkout is copied, and the build refuses a
notebook that carries a solution or hidden-test marker.

The build is deterministic (files, bytes and modes depend only on the course), and so are its two packagings:
:func:`write_zip` (sorted entries, fixed timestamps) and :func:`publish_branch` (a commit of the tree on a branch of
the course repository, dated by the source commit, made only when the tree changed), which Binder launches for a
graded class.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from scalingml import cells, course, workspace
from scalingml.errors import ScalingmlError

#: What is copied from the course root, as it is there.
COPIED = (
    "pyproject.toml",
    "hatch_build.py",
    "src/scalingml",
    "datasets",
    course.LESSONS_DIR,
    course.RELEASE_DIR,
    "binder",
)
#: Files of the course root's ``learner-edition/`` folder replace or join the copied ones (the learner README).
OVERLAY_DIR = "learner-edition"  # not "learner": that is the Binder branch, and git would take it for a path
#: Never copied, wherever they are.
SKIPPED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".egg-info")
#: The zip's fixed timestamp (the earliest a zip can hold) and top folder.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_FOLDER = "scalingml-learner"
#: The date of a branch commit when the source commit is unknown.
FALLBACK_DATE = "2000-01-01T00:00:00+00:00"
COMMITTER = ("scalingml dist", "dist@scalingml.invalid")


class DistributionError(ScalingmlError, ValueError):
    """The distribution cannot be built or packaged where asked; the message says where it can."""


def build_learner_distribution(target: str | os.PathLike, course_root: Path | None = None) -> Path:
    """Write the learner distribution of ``course_root`` (default: :func:`scalingml.course.root`) into ``target``.

    ``target`` must be new, empty or a learner distribution built before (replaced, as a release replaces
    ``exercises/``, unless a learner's work is in its ``my-work/``), and outside the course's own folders.
    The tree is built beside ``target`` and moved into place, so a failed build leaves ``target`` as it was.
    Returns the resolved ``target``.
    """
    course_root = Path(course_root or course.root()).resolve()
    course.require_instructor_checkout(course_root, "build a learner distribution")
    target = Path(target).resolve()
    _check_target(target, course_root)
    _check_released(course_root)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for item in COPIED:
            _copy(course_root / item, staging / item)
        overlay = course_root / OVERLAY_DIR
        if overlay.is_dir():
            _copy(overlay, staging)
        _write(staging / course.LEARNER_MARKER, json.dumps(_marker(course_root), indent=2, sort_keys=True) + "\n")
        _refuse_markers(staging)
        for folder in (staging, *(p for p in staging.rglob("*") if p.is_dir())):
            folder.chmod(0o755)  # readable by every learner's account on a shared server
        if target.exists():
            shutil.rmtree(target)  # empty, or an earlier build (_check_target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _check_target(target: Path, course_root: Path) -> None:
    if target == course_root or course_root.is_relative_to(target):
        raise DistributionError(
            f"{target} holds the course itself: build into a new folder, e.g. {course_root / 'dist' / 'learner'}"
        )
    for item in (*COPIED, course.SOURCE_DIR, OVERLAY_DIR, ".git"):
        if target.is_relative_to(course_root / item):
            raise DistributionError(
                f"{target} is inside the course's {item}: build elsewhere, e.g. {course_root / 'dist' / 'learner'} "
                "(dist/ is git-ignored)"
            )
    if target.exists() and not target.is_dir():
        raise DistributionError(f"{target} is a file: give a folder that is new or empty")
    if target.is_dir() and any(target.iterdir()):
        if not course.is_learner_distribution(target):
            raise DistributionError(
                f"{target} is neither empty nor a learner distribution (no {course.LEARNER_MARKER}): give a new or "
                "empty folder (an earlier build there would be replaced)"
            )
        work = target / workspace.WORK_DIR
        if work.is_dir() and any(work.iterdir()):
            raise DistributionError(
                f"{work} holds a learner's work, which rebuilding would delete: move it out of {target} first"
            )


def _check_released(course_root: Path) -> None:
    released = course_root / course.RELEASE_DIR
    missing = [name for name in course.assignments(course_root) if not (released / name).is_dir()]
    if missing:
        raise DistributionError(f"Not released yet: {', '.join(missing)}; run `scalingml release` first")


def _skipped(path: Path) -> bool:
    return path.name in SKIPPED_NAMES or path.name.endswith(SKIPPED_SUFFIXES)


def _files(folder: Path) -> list[Path]:
    """Every file under ``folder`` that a distribution holds, sorted (skipping caches and checkpoints)."""
    found = []
    for path in sorted(folder.iterdir()):
        if _skipped(path):
            continue
        if path.is_dir():
            found += _files(path)
        elif path.is_file():
            found.append(path)
    return found


def _copy(source: Path, destination: Path) -> None:
    """Copy a file or a folder's files, with modes 644 or 755 only (whatever the umask or the source had)."""
    if not source.exists():
        raise DistributionError(f"{source} is missing: build from a complete checkout of the course repository")
    pairs = (
        [(source, destination)]
        if source.is_file()
        else [(f, destination / f.relative_to(source)) for f in _files(source)]
    )
    for path, copy in pairs:
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
        copy.chmod(0o755 if path.stat().st_mode & 0o111 else 0o644)


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o644)


def _git(course_root: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=course_root, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _marker(course_root: Path) -> dict:
    """What the marker file says: the course, its version, and the commit it was built from (if git knows it)."""
    version = course.version(course_root)
    marker: dict[str, str | bool] = {
        "course": "scalingml",
        "version": version,
        "contents": "lessons, released exercises with hints, datasets and the package: no solutions, no hidden tests",
        "built_by": "scalingml dist",
    }
    commit = _git(course_root, "rev-parse", "--verify", "-q", "HEAD") if (course_root / ".git").exists() else None
    if commit:
        changes = _git(course_root, "status", "--porcelain", "--", *COPIED, OVERLAY_DIR)
        marker.update(source_commit=commit, source_modified=bool(changes))
    return marker


def _refuse_markers(tree: Path) -> None:
    """A last guard: no notebook of the distribution may carry a solution or hidden-test marker."""
    leaks = [
        path.relative_to(tree).as_posix()
        for path in tree.rglob("*.ipynb")
        if any(marker in path.read_text(encoding="utf-8", errors="replace") for marker in cells.MARKERS)
    ]
    if leaks:
        raise DistributionError(
            f"Refusing to build: {', '.join(leaks)} hold solution or hidden-test markers; "
            "run `scalingml release --force` to regenerate exercises/ from solutions/"
        )


def tree_files(tree: Path) -> dict[str, tuple[int, bytes]]:
    """``{relative path: (mode, bytes)}`` of every file of ``tree``, sorted by path: what determinism compares."""
    return {
        path.relative_to(tree).as_posix(): (0o755 if path.stat().st_mode & 0o111 else 0o644, path.read_bytes())
        for path in sorted(tree.rglob("*"), key=lambda p: p.relative_to(tree).as_posix())
        if path.is_file()
    }


def write_zip(tree: str | os.PathLike, zip_path: str | os.PathLike) -> Path:
    """Zip ``tree`` under a ``scalingml-learner/`` folder: sorted entries, fixed timestamps, so the bytes repeat."""
    tree, zip_path = Path(tree).resolve(), Path(zip_path).resolve()
    if not course.is_learner_distribution(tree):
        raise DistributionError(f"{tree} is not a learner distribution: build one with `scalingml dist` first")
    if zip_path.is_relative_to(tree):
        raise DistributionError(f"{zip_path} is inside the distribution it zips: write it elsewhere")
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, (mode, data) in tree_files(tree).items():
            info = zipfile.ZipInfo(f"{ZIP_FOLDER}/{name}", date_time=ZIP_DATE)
            info.create_system = 3  # unix, so the modes below are read back
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return zip_path


def publish_branch(tree: str | os.PathLike, branch: str, repository: str | os.PathLike) -> tuple[str, bool]:
    """Commit ``tree`` as the whole content of ``branch`` in the git ``repository``; return (commit, whether new).

    The commit is made with git's plumbing (a private index: the repository's work tree, index and
    checked-out branch are not touched), dated by the source commit named in the marker, with the
    previous tip of ``branch`` (if any) as its parent, so a push is a fast-forward. When the tree is
    the tip's already, nothing is committed. Push it yourself: ``git push origin BRANCH``.
    """
    tree = Path(tree).resolve()
    repository = Path(repository).resolve()
    if not course.is_learner_distribution(tree):
        raise DistributionError(f"{tree} is not a learner distribution: build one with `scalingml dist` first")
    ref = f"refs/heads/{branch}"
    if _git(repository, "rev-parse", "--git-dir") is None or _git(repository, "check-ref-format", ref) is None:
        raise DistributionError(
            f"Cannot commit to branch {branch!r} of {repository}: not a git repository or a bad name"
        )
    if _git(repository, "symbolic-ref", "-q", "HEAD") == ref:
        raise DistributionError(f"{branch} is checked out in {repository}: switch to another branch first")
    files = tree_files(tree)
    with tempfile.TemporaryDirectory(prefix="scalingml-dist-index-") as scratch:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(scratch) / "index")}
        shas = _plumbing(
            repository, env, ["hash-object", "-w", "--stdin-paths"], "".join(f"{tree / n}\n" for n in files)
        )
        entries = "".join(
            f"{0o100000 | mode:o} {sha}\t{name}\n"
            for (name, (mode, _)), sha in zip(files.items(), shas.split(), strict=True)
        )
        _plumbing(repository, env, ["update-index", "--add", "--index-info"], entries)
        tree_sha = _plumbing(repository, env, ["write-tree"]).strip()
    parent = _git(repository, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}")
    if parent and _git(repository, "rev-parse", f"{parent}^{{tree}}") == tree_sha:
        return parent, False
    marker = json.loads((tree / course.LEARNER_MARKER).read_text(encoding="utf-8"))
    source = marker.get("source_commit")
    date = (source and _git(repository, "show", "-s", "--format=%cI", source)) or FALLBACK_DATE
    name, email = COMMITTER
    env = {
        **os.environ,
        **{
            f"GIT_{who}_{what}": value
            for who in ("AUTHOR", "COMMITTER")
            for what, value in (("NAME", name), ("EMAIL", email), ("DATE", date))
        },
    }
    message = f"Learner distribution of scalingml {marker['version']}" + (f" from {source}" if source else "") + "\n"
    commit = _plumbing(repository, env, ["commit-tree", tree_sha, *(["-p", parent] if parent else [])], message).strip()
    _plumbing(repository, env, ["update-ref", ref, commit, parent or ""])
    return commit, True


def _plumbing(repository: Path, env: dict, args: list[str], stdin: str = "") -> str:
    result = subprocess.run(
        ["git", *args], cwd=repository, env=env, input=stdin, capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise DistributionError(
            f"git {args[0]} failed in {repository}: {result.stderr.strip() or result.stdout.strip()}"
        )
    return result.stdout


def push_hint(repository: Path, branch: str) -> str:
    """How to publish ``branch`` to the remote a Binder link launches, with its address so it can be checked."""
    remote = _git(repository, "remote", "get-url", "origin")
    if remote is None:
        return f"This repository has no remote `origin`: push {branch} to the GitHub repository Binder launches."
    return (
        f"Publish it where the graded-class Binder link points: git push origin {branch} (origin is {remote.strip()}; "
        "check it is that repository)"
    )


def usage(tree: Path, *, zipped: bool = False, branch: str | None = None) -> str:
    """What to tell the person who built ``tree``: what it holds, how learners use it, and the other packagings."""
    lines = [
        f"Wrote the learner distribution to {tree}: lessons, released exercises with hints, datasets and the "
        "package; no solutions, no hidden tests.",
        "Learners, in their copy of that folder: python3 -m venv .venv && .venv/bin/pip install . && "
        ".venv/bin/scalingml lab",
    ]
    if not (zipped and branch):
        other = [
            *([] if zipped else ["zip it with --zip FILE"]),
            *([] if branch else ["commit it for the graded-class Binder link with --git-branch learner"]),
        ]
        lines.append(f"(or {', or '.join(other)}: see docs/instructor.md, section 2)")
    return "\n".join(lines)
