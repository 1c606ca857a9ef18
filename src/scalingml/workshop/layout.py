"""The workshop folder and what each account receives.

``DIR/hub/`` (root only): the hub's settings, database, cookie secret, log and the record of the
accounts this workshop created. ``DIR/singleuser/``: configuration every user server loads.
``DIR/exchange/``: nbgrader's exchange (world-writable with the sticky bit, as nbgrader documents;
nbgrader makes each course's ``inbound`` writable but not listable by learners). ``DIR/material/``: the
learner distribution (:func:`scalingml.distribution.build_learner_distribution`), copied once into each
learner's ``~/scalingml``. ``DIR/passwords.csv``: the roster with passwords, readable by the instructor
and root only. The instructor's nbgrader course (solutions, hidden tests, gradebook) is
``~INSTRUCTOR/course``, in a home only the instructor can read.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
from pathlib import Path
from typing import Any

from scalingml.distribution import build_learner_distribution
from scalingml.workshop import WorkshopError, accounts, hubconfig

#: Never copied into the instructor's course: the checkout's environment, history and local outputs.
NOT_COPIED = {".git", ".venv", "grading", "test-artifacts", "wip", "__pycache__", ".ipynb_checkpoints", "node_modules"}


def hub_dir(directory: Path) -> Path:
    return directory / "hub"


def state_path(directory: Path) -> Path:
    return hub_dir(directory) / "state.json"


def passwords_path(directory: Path) -> Path:
    return directory / "passwords.csv"


def exchange_dir(directory: Path) -> Path:
    return directory / "exchange"


def material_dir(directory: Path) -> Path:
    return directory / "material"


def read_state(directory: Path) -> dict[str, Any]:
    """What this workshop created (``created_accounts``), from ``hub/state.json``."""
    path = state_path(directory)
    return json.loads(path.read_text()) if path.exists() else {"created_accounts": []}


def write_state(directory: Path, state: dict[str, Any]) -> None:
    tmp = state_path(directory).with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    os.replace(tmp, state_path(directory))


def make_folders(directory: Path) -> None:
    """The workshop folder's skeleton (idempotent), with the permissions described above."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o755)
    hub_dir(directory).mkdir(exist_ok=True)
    os.chmod(hub_dir(directory), 0o700)
    exchange_dir(directory).mkdir(exist_ok=True)
    os.chmod(exchange_dir(directory), 0o1777)
    shared = directory / "singleuser"
    shared.mkdir(exist_ok=True)
    os.chmod(shared, 0o755)
    _write_public(shared / "jupyter_server_config.py", hubconfig.singleuser_server_config())


def _write_public(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, 0o644)


def prepare_material(directory: Path, course_root: Path) -> Path:
    """The learner distribution in ``DIR/material`` (built on every start: a new release reaches new learners)."""
    material = material_dir(directory)
    scratch = directory / "material.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    build_learner_distribution(scratch, course_root=course_root)
    for folder, _dirs, files in os.walk(scratch):
        os.chmod(folder, 0o755)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o644)
    shutil.rmtree(material, ignore_errors=True)
    scratch.rename(material)
    return material


def _write_owned(path: Path, text: str, entry: pwd.struct_passwd) -> None:
    """Write ``path`` in ``entry``'s home, owned by them (with the folders it needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    home = Path(entry.pw_dir)
    for part in [path, *path.parents]:
        if part == home:
            break
        os.chown(part, entry.pw_uid, entry.pw_gid)


def setup_learner(entry: pwd.struct_passwd, material: Path, exchange: Path) -> None:
    """A learner's home: their copy of the material (never overwritten) and their nbgrader configuration."""
    home = Path(entry.pw_dir)
    os.chmod(home, 0o700)
    mine = home / hubconfig.MATERIAL_DIR_IN_HOME
    if not mine.exists():
        shutil.copytree(material, mine)
        accounts.chown_tree(mine, entry)
    jupyter = home / ".jupyter"
    _write_owned(jupyter / "nbgrader_config.py", hubconfig.learner_nbgrader_config(exchange), entry)


def _copy_course(course_root: Path, target: Path) -> None:
    for item in sorted(course_root.iterdir()):
        if item.name in NOT_COPIED or item.name.startswith("."):
            continue
        if item.is_dir():
            ignore = shutil.ignore_patterns(*NOT_COPIED, "*.pyc")
            shutil.copytree(item, target / item.name, ignore=ignore, symlinks=True)
        else:
            shutil.copy2(item, target / item.name)


def setup_instructor(entry: pwd.struct_passwd, course_root: Path, exchange: Path) -> Path:
    """The instructor's nbgrader course in ``~/course`` (created once: it holds the gradebook and submissions)."""
    home = Path(entry.pw_dir)
    os.chmod(home, 0o700)
    course = home / hubconfig.COURSE_DIR_IN_HOME
    if not course.exists():
        partial = home / f"{hubconfig.COURSE_DIR_IN_HOME}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        _copy_course(course_root, partial)
        accounts.chown_tree(partial, entry)
        partial.rename(course)
    os.chmod(course, 0o700)
    _write_owned(
        home / ".jupyter" / "nbgrader_config.py", hubconfig.instructor_nbgrader_config(exchange, course), entry
    )
    return course


#: Run as the instructor in their course: every learner of the roster is a student of the gradebook.
_ENROL = """\
import sys
from pathlib import Path

from scalingml import course

api = course.nbgrader_api(Path.cwd())
with api.gradebook as gradebook:
    for name in sys.argv[1:]:
        gradebook.update_or_create_student(name)
"""


def enrol_learners(entry: pwd.struct_passwd, course_dir: Path, names: list[str], python: Path) -> None:
    """Put every learner in the instructor's gradebook (as the instructor), so grades and formgrader list them all.

    nbgrader adds a student when their first submission is collected: without this, a learner who never submitted
    is missing from ``nbgrader export`` instead of scoring nothing.
    """
    home = entry.pw_dir
    env = ["env", "-i", f"HOME={home}", f"USER={entry.pw_name}", f"PATH={python.parent}:/usr/bin:/bin"]
    done = subprocess.run(
        ["runuser", "-u", entry.pw_name, "--", *env, str(python), "-c", _ENROL, *names],
        cwd=course_dir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise WorkshopError(f"could not add the learners to {entry.pw_name}'s gradebook: {last}")
