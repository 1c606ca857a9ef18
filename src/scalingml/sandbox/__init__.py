"""Run learners' notebook code in a sandbox: limits always, bubblewrap isolation where it works.

Two users: ``scalingml check`` (a learner, one notebook) and ``scalingml grade`` (:mod:`scalingml.grading`, a
class). Modules: this one (limits, bubblewrap, the environment, ending process trees),
:mod:`~scalingml.sandbox.kernel_manager` (the kernel behind them), :mod:`~scalingml.sandbox.execution` (the
caller's side) -> :mod:`~scalingml.sandbox.runner` (a process; messages in :mod:`~scalingml.sandbox.protocol`)
-> the kernel, where :mod:`~scalingml.sandbox.kernel_guard` keeps tests honest; :mod:`~scalingml.sandbox._limited`
applies the limits to a command. This module imports only the standard library and two light course modules,
because the kernel imports the kernel guard, and with it this package.

What it always does: a per-cell timeout and a whole-notebook wall limit; memory,
process-count and file-size limits (``scalingml.sandbox._limited``); a scratch copy of the
notebook; and every process the kernel started ended afterwards.

Where ``bwrap`` (Debian package ``bubblewrap``) can create namespaces, the kernel also
runs inside it: the system read-only, a private ``/tmp``, no network, a private process
tree that dies with the kernel, and only the scratch folder writable; folders named in
``hide`` (for example the course's ``solutions/``) are replaced by empty ones.
:func:`isolation` says which of the two is in force.

Not protected against, even with bubblewrap: code that reads files readable by this
user outside the hidden folders. Tampering with the kernel's own state (to swallow a failing
assertion) is checked between cells by :mod:`scalingml.sandbox.kernel_guard`, which raises the
bar but is no proof.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scalingml import progress, scale

#: Seconds a graded cell may run: nbgrader's own default, used by `scalingml grade`, `check` and nbgrader_config.py.
CELL_TIMEOUT = 30


#: The most memory one kernel is given by default, and the least (below it scikit-learn cannot even import).
MAX_DEFAULT_MEMORY_MB, MIN_MEMORY_MB = 4096, 768
#: Share of the available memory that all kernels together may take by default (the grader needs the rest).
MEMORY_SHARE = 0.75


def default_memory_mb(jobs: int = 1, available_bytes: int | None = None) -> int:
    """Memory per kernel when ``jobs`` kernels run at once: a share of what is available now, split between them.

    >>> default_memory_mb(2, available_bytes=8 * 2**30), default_memory_mb(1, available_bytes=64 * 2**30)
    (3072, 4096)
    """
    if available_bytes is None:
        import psutil

        available_bytes = psutil.virtual_memory().available
    share = int(available_bytes * MEMORY_SHARE / max(1, int(jobs)) / 2**20)
    return max(MIN_MEMORY_MB, min(MAX_DEFAULT_MEMORY_MB, share))


@dataclass(frozen=True)
class Limits:
    """Resource limits for one notebook run (``memory_mb``: see :func:`default_memory_mb`)."""

    cell_timeout: int = CELL_TIMEOUT
    notebook_timeout: int = 300
    memory_mb: int = MAX_DEFAULT_MEMORY_MB
    processes: int = 256
    file_mb: int = 64


#: bubblewrap arguments: the whole system read-only, with fresh /dev and /proc.
SYSTEM_READ_ONLY = ("--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc")


@functools.lru_cache(maxsize=1)
def bwrap_path() -> str | None:
    """The ``bwrap`` executable if it exists *and* can create the namespaces we need here."""
    path = shutil.which("bwrap")
    if not path:
        return None
    probe = [path, *SYSTEM_READ_ONLY, "--unshare-net", "--unshare-pid", "--die-with-parent", "--", "true"]
    try:
        ok = subprocess.run(probe, capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return path if ok else None


def isolation() -> str:
    """``"bubblewrap"`` or ``"limits only"``, for reports."""
    return "bubblewrap" if bwrap_path() else "limits only"


def limited_command(command: list[str], limits: Limits) -> list[str]:
    """``command`` behind the resource-limit launcher."""
    return [
        sys.executable,
        "-m",
        "scalingml.sandbox._limited",
        "--memory-mb",
        str(limits.memory_mb),
        "--processes",
        str(limits.processes),
        "--file-mb",
        str(limits.file_mb),
        "--",
        *command,
    ]


def bwrap_command(
    command: list[str], scratch: Path, *, hide: Sequence[Path | str] = (), expose: Sequence[Path | str] = ()
) -> list[str]:
    """``command`` inside bubblewrap: read-only system, private /tmp, no network, only ``scratch`` writable.

    ``hide`` folders are covered with empty ones (files with an empty file); ``expose``
    folders (inside hidden ones: the Python environment, the package) are then mounted
    back read-only.
    """
    args = [
        bwrap_path() or "bwrap",
        *("--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc"),
        *SYSTEM_READ_ONLY,
        *("--tmpfs", "/tmp"),
    ]
    for path in map(Path, hide):
        if path.is_dir():
            args += ["--tmpfs", str(path)]
        elif path.exists():  # a file (a zip of submissions, a gradebook): an empty one in its place
            args += ["--ro-bind", "/dev/null", str(path)]
    for folder in expose:
        if Path(folder).exists():
            args += ["--ro-bind", str(folder), str(folder)]
    # ipykernel exits when the pid in JPY_PARENT_PID disappears; in the new pid namespace
    # it never exists, and --die-with-parent already ends the kernel with its manager.
    args += [
        "--bind",
        str(scratch),
        str(scratch),
        "--chdir",
        str(scratch),
        "--setenv",
        "HOME",
        str(scratch),
        "--unsetenv",
        "JPY_PARENT_PID",
        "--",
        *command,
    ]
    return args


def sandbox_environment(scratch: Path) -> dict[str, str]:
    """The environment for a runner process and its kernel: only what a kernel needs.

    Nothing else of the instructor's environment (tokens, database passwords) reaches
    the learner's code. Scale and thread settings make grading use the ``ci`` profile
    and one core per submission. The sandbox settings themselves travel in the job
    (:class:`scalingml.sandbox.protocol.RunnerJob`), not here.
    """
    from scalingml.datasets import shipped  # here: the runner process need not import pandas

    passed_on = ("PATH", "LANG", "LC_ALL", "TZ", shipped.DATA_DIR_ENV_VAR)
    kept = {key: os.environ[key] for key in passed_on if key in os.environ}
    return {
        **kept,
        "HOME": str(scratch),
        scale.AUTOGRADING_ENV_VAR: "autograde",
        scale.ENV_VAR: "ci",
        progress.ENV_VAR: "0",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        **{name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
    }


def end_process_tree(pid: int, timeout: float = 5.0) -> int:
    """SIGKILL ``pid``, its process group and every descendant; return how many were signalled.

    Waits (up to ``timeout``) until each is gone or a zombie: zombies hold no resources,
    and those in another pid namespace are reaped by its init, not by us.
    """
    import psutil

    try:
        root = psutil.Process(pid)
        victims = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        victims = []
    with contextlib.suppress(OSError):  # no such group, or not ours
        os.killpg(pid, signal.SIGKILL)
    ended = 0
    for process in victims:
        try:
            process.kill()
            ended += 1
        except psutil.NoSuchProcess:
            continue
    deadline = time.monotonic() + timeout
    while victims and time.monotonic() < deadline:
        victims = [p for p in victims if _alive(p)]
        if victims:
            time.sleep(0.01)
    return ended


def _alive(process) -> bool:
    import psutil

    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def readable_paths() -> list[Path]:
    """What the kernel must read even inside a hidden folder: Python, the environment, the package, the datasets."""
    import scalingml
    from scalingml.datasets import shipped

    package_parent = Path(scalingml.__file__).resolve().parent.parent
    paths = [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), package_parent]
    with contextlib.suppress(Exception):  # no datasets: the notebook will say so itself
        paths.append(shipped.data_dir().resolve())
    return list(dict.fromkeys(paths))
