"""Start, stop, report on and remove the workshop's JupyterHub.

:func:`start` checks everything it can before it changes anything (root, the proxy, an environment
every user can run, a checkout whose solutions other users cannot read, the roster, the port,
accounts that already exist), then creates what is missing and starts the hub in the background; if
anything fails it removes what this call created. A second start reuses the accounts, passwords,
homes and course of the first. :func:`remove` deletes what the workshop created, learners' work
included, and only when asked to.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from scalingml.workshop import WorkshopError, accounts, hubconfig, layout, limits, roster

DEFAULT_DIR = Path("/srv/scalingml-workshop")
DEFAULT_INSTRUCTOR = "instructor"
DEFAULT_PORT = 8000
DEFAULT_IDLE_TIMEOUT = 3600
#: How the messages name this command: the workshop environment's own (root's PATH rarely has it).
COMMAND = f"{Path(sys.prefix) / 'bin' / 'scalingml'} workshop"
START_TIMEOUT = 180.0
PROXY = "configurable-http-proxy"
INSTALL_HUB = "install the course with its hub extra, pip install 'scalingml[hub]' (docs/workshop.md)"
INSTALL_PROXY = "npm install -g configurable-http-proxy"


@dataclass(frozen=True)
class Started:
    url: str
    instructor: str
    instructor_password: str
    passwords: Path
    learners: list[str]
    cpus: float
    memory_bytes: int
    limits: str
    seconds: float

    def describe(self, directory: Path) -> str:
        return "\n".join(
            [
                f"Workshop running at {self.url} ({len(self.learners)} learners; started in {self.seconds:.0f} s)",
                f"Instructor login: {self.instructor} / {self.instructor_password} (admin; Nbgrader > Formgrader)",
                f"Learners' passwords: {self.passwords} (readable by {self.instructor} and root only)",
                f"Each learner: {self.cpus:g} CPU, {self.memory_bytes / 2**30:.1f} GiB ({self.limits})",
                f"Stop with: {COMMAND} stop --dir {directory}",
            ]
        )


def require_root() -> None:
    """Refuse unless root: the workshop creates Unix accounts and their homes."""
    if os.geteuid() != 0:
        raise WorkshopError(f"the workshop manages a Unix account per learner: run it as root (sudo {COMMAND} ...)")


def _require_proxy() -> str:
    proxy = shutil.which(PROXY)
    if proxy is None:
        raise WorkshopError(f"{PROXY} is not installed: install it with `{INSTALL_PROXY}` (docs/workshop.md)")
    return proxy


def _require_hub() -> None:
    try:
        import jupyterhub  # noqa: F401
        import jupyterhub_idle_culler  # noqa: F401
    except ImportError as exc:
        raise WorkshopError(f"{exc.name} is missing: {INSTALL_HUB}") from None


def unreadable_part(path: Path) -> Path | None:
    """The first folder on the way to ``path`` that other users cannot enter, or ``path`` if they cannot read it."""
    path = Path(os.path.realpath(path))
    for part in [*reversed(path.parents), path]:
        mode = part.stat().st_mode
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            return part
    if not path.stat().st_mode & stat.S_IROTH:
        return path
    return None


def require_shared_environment(prefix: Path) -> None:
    """The environment the user servers run must be usable by every user (not a Python under /root)."""
    for path in (Path(sys.executable), prefix / "bin" / "jupyterhub-singleuser"):
        if not path.exists():
            raise WorkshopError(f"{path} is missing: {INSTALL_HUB}")
        blocked = unreadable_part(path)
        if blocked is not None:  # the learners' servers run as the learners
            raise WorkshopError(
                f"learners' servers cannot run {path}: other users cannot open {blocked}; install the workshop in an "
                "environment everyone can read: /usr/bin/python3 -m venv /opt/scalingml-workshop (docs/workshop.md)"
            )


def readable_by_others(path: Path) -> bool:
    """Whether an account other than the owner (and not in its group) can open ``path``."""
    return unreadable_part(path) is None


def require_private_solutions(course_root: Path) -> None:
    """Learners have accounts on this machine: the checkout's model answers must not be readable by them."""
    solutions = Path(course_root) / "solutions"
    if solutions.exists() and readable_by_others(solutions):
        raise WorkshopError(
            f"learners would be able to read the model answers and hidden tests in {solutions}: make the checkout "
            f"private first (chmod -R o-rwx {course_root}) or clone the course under /root"
        )


def _require_port(ip: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((ip or "0.0.0.0", port))
        except OSError as exc:
            raise WorkshopError(f"port {port} is in use ({exc.strerror}): choose another with --port") from None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _hub_pid(directory: Path) -> int | None:
    pid_file = layout.hub_dir(directory) / "hub.pid"
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def _memory_total() -> int:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _check_before_start(
    names: list[str], directory: Path, port: int, ip: str, instructor: str, course_root: Path
) -> tuple[str, dict]:
    """Everything :func:`start` can check before it changes anything; returns the proxy and the recorded state."""
    require_root()
    proxy = _require_proxy()
    _require_hub()
    require_shared_environment(Path(sys.prefix))
    require_private_solutions(course_root)
    roster.check_name(instructor, "--instructor: ")
    if instructor in names:
        raise roster.RosterError(f"{instructor!r} is the instructor and cannot also be a learner in the roster")
    if _hub_pid(directory) is not None:
        raise WorkshopError(
            f"a workshop is already running from {directory}: stop it with {COMMAND} stop --dir {directory}"
        )
    _require_port(ip, port)
    state = layout.read_state(directory)
    accounts.refuse_taken([instructor, *names], set(state["created_accounts"]))
    return proxy, state


def _ensure_accounts(
    directory: Path, state: dict, instructor: str, names: list[str], made: list[str]
) -> dict[str, tuple[str, str]]:
    """Create the accounts that are missing (recorded in ``state`` and ``made`` as they are made); the passwords."""
    ours = set(state["created_accounts"])
    known = roster.read_passwords(layout.passwords_path(directory))
    entries = {}
    for name, role in [(instructor, "instructor"), *((n, "learner") for n in names)]:
        password = known.get(name, (role, ""))[1] if name in ours else ""
        if not password:
            password = roster.new_password()
            if name in ours:  # an account of ours whose password line was lost
                accounts.set_password(name, password)
            else:
                accounts.create(name, password)
                made.append(name)
                state["created_accounts"].append(name)
                layout.write_state(directory, state)
        entries[name] = (role, password)
    for name, value in known.items():  # learners of earlier rosters keep their line
        entries.setdefault(name, value)
    return entries


def _undo(directory: Path, new_directory: bool, state: dict, made: list[str]) -> None:
    """Remove what a failed start created: its accounts, and the workshop folder if this start made it."""
    for name in made:
        accounts.remove(name)
        limits.release(name)
    if new_directory:
        shutil.rmtree(directory, ignore_errors=True)
    elif made:
        state["created_accounts"] = [n for n in state["created_accounts"] if n not in made]
        layout.write_state(directory, state)


def start(
    names: list[str],
    *,
    directory: Path = DEFAULT_DIR,
    port: int = DEFAULT_PORT,
    ip: str = "",
    instructor: str = DEFAULT_INSTRUCTOR,
    course_root: Path,
    cpus: float | None = None,
    memory_bytes: int | None = None,
    idle_timeout: int = DEFAULT_IDLE_TIMEOUT,
) -> Started:
    """Start the workshop for ``names``; see the module docstring for what it checks and creates."""
    began = time.monotonic()
    directory, course_root = Path(directory).resolve(), Path(course_root).resolve()
    proxy, state = _check_before_start(names, directory, port, ip, instructor, course_root)
    share_cpus, share_memory = limits.share(os.cpu_count() or 1, _memory_total(), len(names))
    cpus, memory_bytes = cpus or share_cpus, memory_bytes or share_memory

    new_directory = not directory.exists()
    made: list[str] = []
    process = None
    try:
        layout.make_folders(directory)
        entries = _ensure_accounts(directory, state, instructor, names, made)
        teacher = pwd.getpwnam(instructor)
        passwords = layout.passwords_path(directory)
        roster.write_passwords(passwords, entries, teacher.pw_uid)
        exchange = layout.exchange_dir(directory)
        teaching = layout.setup_instructor(teacher, course_root, exchange)
        layout.enrol_learners(teacher, teaching, names, Path(sys.prefix) / "bin" / "python")
        material = layout.prepare_material(directory, course_root)
        for name in names:
            layout.setup_learner(pwd.getpwnam(name), material, exchange)
        settings = {
            "directory": str(directory),
            "env_prefix": sys.prefix,
            "ip": ip,
            "port": port,
            "hub_port": _free_port(),
            "proxy_api_port": _free_port(),
            "proxy": proxy,
            "instructor": instructor,
            "learners": names,
            "cpus": cpus,
            "memory_bytes": memory_bytes,
            "idle_timeout": idle_timeout,
        }
        hub = layout.hub_dir(directory)
        (hub / "settings.json").write_text(json.dumps(settings, indent=1))
        config = hub / "jupyterhub_config.py"
        config.write_text(hubconfig.CONFIG_TEMPLATE.format(settings=str(hub / "settings.json")))
        process = _launch(hub, config, Path(sys.prefix))
        _wait_ready(process, f"http://{ip or '127.0.0.1'}:{port}/hub/api", hub / "jupyterhub.log")
    except BaseException:
        if process is not None:
            _terminate(process.pid)
        _undo(directory, new_directory, state, made)
        raise
    return Started(
        url=f"http://{ip or socket.getfqdn()}:{port}/",
        instructor=instructor,
        instructor_password=entries[instructor][1],
        passwords=passwords,
        learners=names,
        cpus=cpus,
        memory_bytes=memory_bytes,
        limits=limits.mechanism(),
        seconds=time.monotonic() - began,
    )


def _launch(hub: Path, config: Path, prefix: Path) -> subprocess.Popen:
    env = dict(os.environ, PATH=f"{prefix / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    log = open(hub / "jupyterhub.log", "ab")  # noqa: SIM115 (the hub keeps it after we return)
    process = subprocess.Popen(
        [str(prefix / "bin" / "jupyterhub"), "-f", str(config)],
        cwd=hub,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    (hub / "hub.pid").write_text(str(process.pid))
    return process


def _last_error(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if " E " in line or "Error" in line]
    return (errors or lines or ["(empty log)"])[-1].strip()


def _wait_ready(process: subprocess.Popen, api: str, log: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise WorkshopError(f"JupyterHub stopped while starting ({_last_error(log)}); full log: {log}")
        try:
            with urllib.request.urlopen(api, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise WorkshopError(f"JupyterHub did not answer at {api} within {timeout:.0f} s; see {log}")


def _terminate(pid: int, timeout: float = 60.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)  # the hub then stops its proxy and the user servers
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = 0
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        if done:
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def stop(directory: Path = DEFAULT_DIR) -> bool:
    """Stop the hub (it stops the proxy and every user server); False if none was running."""
    require_root()
    directory = Path(directory).resolve()
    pid = _hub_pid(directory)
    if pid is None:
        return False
    _terminate(pid)
    # a learner's server that outlived the hub (it was spawning, or the hub was killed) ends with it
    for name in layout.read_state(directory)["created_accounts"]:
        subprocess.run(["pkill", "-TERM", "-u", name, "-f", "jupyterhub-singleuser"], capture_output=True)
    with contextlib.suppress(FileNotFoundError):
        (layout.hub_dir(directory) / "hub.pid").unlink()
    return True


def remove(directory: Path = DEFAULT_DIR, *, delete_learners_work: bool = False) -> list[str]:
    """Stop the workshop, delete the accounts it created (homes, work and submissions included) and its folder.

    Refuses unless ``delete_learners_work``: learners' work is deleted only when asked, by name.
    """
    require_root()
    directory = Path(directory).resolve()
    if not layout.state_path(directory).exists():
        raise WorkshopError(f"no workshop in {directory} (no {layout.state_path(directory)}): nothing to remove")
    created = layout.read_state(directory)["created_accounts"]
    if not delete_learners_work:
        raise WorkshopError(
            f"removing the workshop in {directory} deletes {len(created)} accounts with every learner's work and "
            "submission and the gradebook: export the grades first, then add --delete-learners-work"
        )
    stop(directory)
    for name in created:
        accounts.remove(name)
        limits.release(name)
    shutil.rmtree(directory)
    return created


def status(directory: Path = DEFAULT_DIR) -> str:
    """One line: running (with the address) or stopped."""
    directory = Path(directory).resolve()
    settings = layout.hub_dir(directory) / "settings.json"
    try:
        if settings.parent.is_dir() and not os.access(settings.parent, os.R_OK | os.X_OK):
            raise PermissionError(settings.parent)
        if not settings.exists():
            return f"no workshop in {directory}"
        s = json.loads(settings.read_text())
    except PermissionError:
        raise WorkshopError(f"only root can read the workshop in {directory}: sudo {COMMAND} status") from None
    if _hub_pid(directory) is None:
        return f"stopped ({len(s['learners'])} learners in {directory})"
    return f"running at http://{s['ip'] or socket.getfqdn()}:{s['port']}/ ({len(s['learners'])} learners)"
