"""The course's JupyterLab: run it as a child that stops with us, and find one already running on the course.

``scalingml lab`` runs ``jupyter lab`` as a subprocess. :func:`run` forwards SIGTERM, SIGHUP and SIGINT
to it and waits for it to stop (killing it after :data:`STOP_SECONDS`), so stopping ``scalingml lab``
never leaves a server behind. ``scalingml start`` asks :func:`running_server` first and points at the
copied notebook in the lab already open on the course instead of starting a second server.

In a learner distribution, :func:`environment` puts :data:`LEARNER_CONFIG` first on ``JUPYTER_CONFIG_PATH``:
nbgrader's instructor tools (formgrader, "Create Assignment", the course list) are switched off, and the
Assignments list and Validate button stay. ``binder/start`` does the same on Binder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from scalingml import course

#: Seconds JupyterLab gets to shut its kernels down after a forwarded signal before it is killed.
STOP_SECONDS = 20
FORWARDED = (signal.SIGTERM, signal.SIGINT, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else []))


#: Jupyter configuration for learners: nbgrader's server and JupyterLab extensions that are the instructor's, off.
LEARNER_CONFIG = Path(__file__).parent / "learner_jupyter_config"


def environment(root: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment JupyterLab runs in on ``root``: in a learner distribution, with :data:`LEARNER_CONFIG`."""
    env = dict(os.environ if base is None else base)
    if course.is_learner_distribution(root):
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
            filter(None, [str(LEARNER_CONFIG), env.get("JUPYTER_CONFIG_PATH")])
        )
    return env


class _Forwarded(Exception):
    """Raised in the main thread when a signal was passed on: stop waiting forever, wait a bounded time."""


def run(command: list[str], cwd: Path) -> int:
    """Run ``command`` in ``cwd`` with :func:`environment` until it exits; a signal to this process is passed on
    to it, and then it is waited for."""
    child = subprocess.Popen(command, cwd=cwd, env=environment(cwd))

    def forward(signum, _frame):
        if child.poll() is None:
            child.send_signal(signum)
        raise _Forwarded

    previous = {signum: signal.signal(signum, forward) for signum in FORWARDED}
    deadline = None
    try:
        while True:
            try:
                return child.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
            except _Forwarded:
                deadline = deadline or time.monotonic() + STOP_SECONDS
            except subprocess.TimeoutExpired:
                child.kill()  # it ignored the signal: do not leave it running
                return child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def running_server(root: Path) -> dict | None:
    """The Jupyter server already running with ``root`` as its root folder (its info file's dict), or None."""
    from jupyter_server.serverapp import list_running_servers

    root = Path(root).resolve()
    for info in list_running_servers():
        try:
            if Path(info.get("root_dir", "")).resolve() == root:
                return info
        except OSError:
            continue
    return None


def notebook_url(info: dict, relative: Path) -> str:
    """The address that opens ``relative`` (a path under the server's root) in that server's JupyterLab."""
    url = f"{info['url'].rstrip('/')}/lab/tree/{quote(Path(relative).as_posix())}"
    return f"{url}?token={info['token']}" if info.get("token") else url


def open_in_browser(url: str, jupyter_args: list[str]) -> None:
    """Open ``url`` in the learner's browser, unless ``--no-browser`` was given (as jupyter lab itself would)."""
    if "--no-browser" in jupyter_args:
        return
    import webbrowser

    webbrowser.open(url)
