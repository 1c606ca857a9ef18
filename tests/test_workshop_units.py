"""The workshop server's parts, and its refusals of bad input (the real CLI; nothing may be left half-created).

The end-to-end class is tests/test_workshop.py. The refusals run ``scalingml workshop start`` from the
workshop environment (``deploy/install-workshop.sh``); where it is missing, or not as root, they are skipped.
"""

from __future__ import annotations

import grp
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from traitlets.config import Config

from scalingml.workshop import accounts, commands, exchange, hubconfig, limits, roster, server
from tests.test_workshop import WORKSHOP_ENV, ensure_workshop_env, private_checkout


def test_a_roster_is_one_valid_name_per_line_each_once():
    assert roster.parse_roster_text("ann\n  bob  # a comment\n\n# all of it a comment\ncy-2\n", "r.txt") == [
        "ann",
        "bob",
        "cy-2",
    ]
    with pytest.raises(roster.RosterError, match=r"r.txt line 3: 'ann' is listed twice \(first on line 1\)"):
        roster.parse_roster_text("ann\nbob\nann\n", "r.txt")
    for bad in ("Ann", "ann smith", "1ann", "../root", "a" * 33, "ann;rm"):
        with pytest.raises(roster.RosterError, match="is not a valid learner name"):
            roster.parse_roster_text(f"{bad}\n", "r.txt")
    with pytest.raises(roster.RosterError, match="lists no learner"):
        roster.parse_roster_text("# nobody yet\n\n", "r.txt")
    with pytest.raises(roster.RosterError, match="between 1 and"):
        roster.names_from_count(0)
    assert roster.names_from_count(12)[-1] == "learner12"


def test_passwords_are_random_and_written_for_the_instructor_only(tmp_path):
    passwords = {roster.new_password() for _ in range(200)}
    assert len(passwords) == 200 and not any(set(p) & set("0O1lI") for p in passwords)
    path = tmp_path / "passwords.csv"
    roster.write_passwords(path, {"teach": ("instructor", "x1"), "ann": ("learner", "y2")}, os.getuid())
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert roster.read_passwords(path) == {"teach": ("instructor", "x1"), "ann": ("learner", "y2")}


def test_each_learner_gets_an_equal_share_and_never_less_than_the_floor():
    cpus, memory = limits.share(cores=2, memory_bytes=24 * 2**30, learners=4)
    assert cpus == 0.5 and memory == (24 - 2) * 2**30 // 4
    assert limits.share(cores=2, memory_bytes=4 * 2**30, learners=100) == (0.1, limits.MIN_MEMORY_BYTES)


def test_sizes_are_read_with_their_unit_and_nonsense_is_refused():
    assert commands.parse_size("2G") == 2 * 2**30 and commands.parse_size("1.5g") == int(1.5 * 2**30)
    for bad in ("lots", "10M", "-1G"):
        with pytest.raises(Exception, match="size|too little"):
            commands.parse_size(bad)


def _settings(directory: Path) -> dict:
    return {
        "directory": str(directory),
        "env_prefix": "/opt/env",
        "ip": "127.0.0.1",
        "port": 8000,
        "hub_port": 8081,
        "proxy_api_port": 8001,
        "proxy": "/usr/bin/configurable-http-proxy",
        "instructor": "teach",
        "learners": ["ann", "bob"],
        "cpus": 0.5,
        "memory_bytes": 2**30,
        "idle_timeout": 600,
    }


def test_the_hub_logs_in_with_pam_only_the_roster_and_limits_every_server(tmp_path):
    c = Config()
    hubconfig.configure(c, _settings(tmp_path))
    assert c.JupyterHub.authenticator_class == "pam"  # not the shared-password or dummy authenticator
    assert c.Authenticator.allowed_users == {"ann", "bob", "teach"} and c.Authenticator.admin_users == {"teach"}
    assert c.JupyterHub.spawner_class == "scalingml.workshop.spawner.WorkshopSpawner"
    assert (c.Spawner.mem_limit, c.Spawner.cpu_limit) == (2**30, 0.5)
    assert c.Spawner.cmd == ["/opt/env/bin/jupyterhub-singleuser"]
    culler = c.JupyterHub.services[0]
    assert culler["name"] == "idle-culler" and "--timeout=600" in culler["command"]
    assert c.JupyterHub.load_roles[0]["services"] == ["idle-culler"]
    assert str(tmp_path / "hub") in c.JupyterHub.db_url and c.JupyterHub.cleanup_servers is True
    assert c.Authenticator.allow_existing_users is False, "a learner dropped from the roster cannot log in"
    single = Config()
    exec(hubconfig.singleuser_server_config(), {"c": single, "get_config": lambda: single})
    assert "frame-ancestors 'self'" in single.ServerApp.tornado_settings["headers"]["Content-Security-Policy"]
    shell = single.ServerApp.terminado_settings["shell_command"]
    assert "-l" not in shell and "--login" not in shell, "a login shell resets PATH and loses nbgrader"
    learner = hubconfig.learner_nbgrader_config(tmp_path / "exchange")
    assert hubconfig.SUBMIT_CLASS in learner and str(tmp_path / "exchange") in learner
    assert hubconfig.SUBMIT_CLASS not in hubconfig.instructor_nbgrader_config(tmp_path / "exchange", tmp_path / "c")


def test_a_submission_keeps_the_instructors_group_and_only_it_can_read(tmp_path):
    """What nbgrader's copy loses (set-group-ID, so later files take the learner's group), copy_contents keeps."""
    group = grp.getgrnam("daemon")
    inbound = tmp_path / "inbound"
    inbound.mkdir()
    os.chown(inbound, 0, group.gr_gid)
    os.chmod(inbound, 0o2733)
    source = tmp_path / "work"
    (source / "data").mkdir(parents=True)
    (source / "a.ipynb").write_text("{}")
    (source / "data" / "b.csv").write_text("x\n1\n")
    (source / ".ipynb_checkpoints").mkdir()
    submission = inbound / "ann+00+time+random"
    exchange.copy_contents(str(source), str(submission), shutil.ignore_patterns(".ipynb_checkpoints"))
    (submission / "timestamp.txt").write_text("now")  # nbgrader writes it after the copy
    exchange.restrict(str(submission))
    written = [submission / "a.ipynb", submission / "data" / "b.csv", submission / "timestamp.txt"]
    assert not (submission / ".ipynb_checkpoints").exists()
    assert {path.stat().st_gid for path in [submission, *written]} == {group.gr_gid}
    assert {oct(path.stat().st_mode & 0o777) for path in written} == {"0o640"}
    assert oct(submission.stat().st_mode & 0o7777) == oct(exchange.FOLDER_MODE)


def test_a_checkout_whose_solutions_learners_could_read_is_refused():
    shared = Path(tempfile.mkdtemp(prefix="scalingml-shared-checkout-"))
    try:
        (shared / "solutions").mkdir()
        os.chmod(shared, 0o755)
        os.chmod(shared / "solutions", 0o755)
        with pytest.raises(server.WorkshopError, match="could read|would be able to read"):
            server.require_private_solutions(shared)
        os.chmod(shared, 0o700)
        server.require_private_solutions(shared)
    finally:
        shutil.rmtree(shared)


# --- the real CLI's refusals ------------------------------------------------------------------------------------


@pytest.fixture
def workshop_cli(tmp_path):
    """Run ``scalingml workshop start`` from the workshop environment; yields (run, workshop folder)."""
    if os.geteuid() != 0:
        pytest.skip("the workshop's refusals are checked as root (one of them as an unprivileged user)")
    if not (WORKSHOP_ENV / "bin" / "jupyterhub").exists():
        pytest.skip(f"no workshop environment at {WORKSHOP_ENV}: sudo bash deploy/install-workshop.sh makes it")
    if shutil.which("configurable-http-proxy") is None:
        pytest.skip("configurable-http-proxy is missing: sudo bash deploy/install-workshop.sh installs it")
    ensure_workshop_env()  # the refusals are this checkout's code
    checkout = private_checkout(tmp_path / "course")
    directory = Path(tempfile.mkdtemp(prefix="scalingml-workshop-refusal-"))
    shutil.rmtree(directory)  # a start that fails must not leave it behind

    def run(*args: str, prefix: tuple[str, ...] = (), env: dict | None = None) -> subprocess.CompletedProcess:
        command = [
            *prefix,
            str(WORKSHOP_ENV / "bin" / "scalingml"),
            "workshop",
            "start",
            *args,
            "--dir",
            str(directory),
        ]
        return subprocess.run(command, cwd=checkout, capture_output=True, text=True, env=env, timeout=120)

    yield run, directory
    shutil.rmtree(directory, ignore_errors=True)


def _refused(done: subprocess.CompletedProcess, message: str, directory: Path) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr and message in lines[0], done.stderr
    assert not directory.exists(), "a refused start left its folder behind"


def test_bad_rosters_and_taken_names_are_refused_before_anything_is_created(workshop_cli, tmp_path):
    run, directory = workshop_cli
    roster_file = tmp_path / "roster.txt"
    roster_file.write_text("wsrann\nwsrbob\nwsrann\n")
    _refused(run(str(roster_file)), "'wsrann' is listed twice", directory)
    roster_file.write_text("wsrann\nWsr Bob\n")
    _refused(run(str(roster_file)), "is not a valid learner name", directory)
    roster_file.write_text("wsrann\ndaemon\n")  # a system account
    _refused(run(str(roster_file)), "'daemon' is already an account on this machine", directory)
    assert not any(accounts.exists(name) for name in ("wsrann", "wsrbob"))
    _refused(run(str(tmp_path / "missing.txt")), "cannot read the roster", directory)
    _refused(run(str(roster_file), "--learners", "3"), "not both or neither", directory)


def test_a_busy_port_a_missing_proxy_and_a_non_root_user_are_refused(workshop_cli):
    run, directory = workshop_cli
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        _refused(run("--learners", "2", "--ip", "127.0.0.1", "--port", str(port)), f"port {port} is in use", directory)
    no_proxy = {"PATH": str(WORKSHOP_ENV / "bin"), "HOME": "/root"}
    _refused(run("--learners", "2", env=no_proxy), "configurable-http-proxy is not installed", directory)
    nobody = run("--learners", "2", prefix=("runuser", "-u", "nobody", "--"))
    assert nobody.returncode == 2 and "run it as root" in nobody.stderr, nobody.stderr
    for option, value in (("--port", "99999"), ("--cpus", "0"), ("--cpus", "9999"), ("--idle-timeout", "-5")):
        bad = run("--learners", "2", option, value)
        assert bad.returncode == 2 and "out of range" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr
        assert not directory.exists()
    private = Path(tempfile.mkdtemp(prefix="scalingml-workshop-private-"))
    try:
        os.chmod(private, 0o755)
        (private / "hub").mkdir(mode=0o700)  # as `workshop start` makes it
        (private / "hub" / "settings.json").write_text("{}")
        status = subprocess.run(
            ["runuser", "-u", "nobody", "--", str(WORKSHOP_ENV / "bin" / "scalingml"), "workshop", "status", "--dir",
             str(private)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        shutil.rmtree(private)
    assert status.returncode == 2 and "only root can read the workshop" in status.stderr, status.stderr


def test_remove_deletes_learners_work_only_when_asked(tmp_path):
    directory = tmp_path / "shop"
    (directory / "hub").mkdir(parents=True)
    (directory / "hub" / "state.json").write_text('{"created_accounts": ["ann"]}')
    if os.geteuid() != 0:
        pytest.skip("remove runs as root")
    with pytest.raises(server.WorkshopError, match="--delete-learners-work"):
        server.remove(directory)
    assert (directory / "hub" / "state.json").exists()


def test_a_learners_group_accounts_its_memory_and_peak_and_is_removed_after(tmp_path):
    """A real cgroup (as root, where the kernel's cgroups can be written): a child allocates 200 MB in it."""
    how = limits.mechanism()
    if os.geteuid() != 0 or how == "rlimit":
        pytest.skip(f"needs root and writable cgroups (limits here: {how})")
    name = f"wsu{os.getpid()}"
    ready, go = tmp_path / "ready", tmp_path / "go"
    child = subprocess.Popen(
        [
            "python3",
            "-c",
            "import pathlib, time\nblock = bytearray(200 * 10**6)\n"
            f"pathlib.Path({str(ready)!r}).touch()\n"
            f"while not pathlib.Path({str(go)!r}).exists(): time.sleep(0.05)\n",
        ],
        preexec_fn=lambda: limits.enter(name, 1 << 30, how),
    )
    try:
        for _ in range(200):
            if ready.exists() or child.poll() is not None:
                break
            time.sleep(0.05)
        assert ready.exists(), "the child did not start in its group"
        assert limits.usage_bytes(name, how) >= 200 * 10**6
        assert limits.peak_bytes(name, how) >= limits.usage_bytes(name, how)
        go.touch()
        child.wait(timeout=30)
        if limits.reset_peak(name, how):
            assert limits.peak_bytes(name, how) < 200 * 10**6, "the peak starts again from what is used now"
        assert limits.oom_kills(name, how) == 0
    finally:
        go.touch()
        child.wait(timeout=30)
        limits.release(name, how)
    assert not any(folder.exists() for folder in limits.group_dirs(name, how).values())
