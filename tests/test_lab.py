"""`scalingml lab` and `start` with a real JupyterLab on loopback: one server per course, gone when lab stops."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from scalingml import lab
from tests.notebook_tools import REPO, scratch_copy

pytestmark = pytest.mark.slow
TOKEN = "scalingml-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, json.loads(response.read() or b"null")


@pytest.fixture
def running_lab(tmp_path):
    """`scalingml lab` on a scratch course (with 00's release), serving on a free loopback port."""
    root = scratch_copy(["00_welcome"], tmp_path / "course", REPO)
    shutil.copytree(REPO / "exercises" / "00_welcome", root / "exercises" / "00_welcome")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "scalingml", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                get(f"{base}/api/status?token={TOKEN}")
                break
            except OSError:
                assert process.poll() is None, "scalingml lab exited before JupyterLab answered"
                assert time.monotonic() < deadline, "JupyterLab never answered /api/status"
                time.sleep(0.5)
        yield root, env, base, process
    finally:
        for child in psutil.Process(process.pid).children(recursive=True) if process.poll() is None else []:
            child.kill()
        process.kill()
        process.wait()


@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(lambda process: process.send_signal(signal.SIGTERM), id="SIGTERM to scalingml"),
        pytest.param(lambda process: os.killpg(process.pid, signal.SIGINT), id="Ctrl-C in its terminal"),
    ],
)
def test_stopping_scalingml_lab_stops_jupyterlab(running_lab, stop):
    _, _, base, process = running_lab
    children = psutil.Process(process.pid).children(recursive=True)
    assert any("jupyter" in " ".join(child.cmdline()) for child in children), [c.cmdline() for c in children]
    stop(process)
    process.wait(timeout=lab.STOP_SECONDS + 10)
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], f"still running: {alive}"
    with pytest.raises(OSError):
        get(f"{base}/api/status?token={TOKEN}")


def test_start_with_the_lab_already_open_points_at_it_instead_of_a_second_server(running_lab):
    root, env, base, process = running_lab
    servers_before = len(os.listdir(env["JUPYTER_RUNTIME_DIR"]))
    result = subprocess.run(
        [sys.executable, "-m", "scalingml", "start", "00", "--no-browser"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    url = f"{base}/lab/tree/my-work/00_welcome/00_welcome.ipynb?token={TOKEN}"
    assert "already running" in result.stdout and url in result.stdout, result.stdout
    assert len(os.listdir(env["JUPYTER_RUNTIME_DIR"])) == servers_before, "a second server wrote its info file"
    status, model = get(f"{base}/api/contents/my-work/00_welcome/00_welcome.ipynb?token={TOKEN}&content=0")
    assert status == 200 and model["type"] == "notebook", "the running lab serves the copied notebook"


@pytest.fixture(scope="module")
def learner_tree(tmp_path_factory):
    from scalingml import distribution

    return distribution.build_learner_distribution(tmp_path_factory.mktemp("dist") / "learner", REPO)


def jupyter_sees(env: dict, code: str) -> str:
    """What Jupyter's own configuration loading says, run as JupyterLab would be, with ``env``."""
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


SERVER_EXTENSIONS = (
    "from jupyter_core.paths import jupyter_config_path\n"
    "from jupyter_server.extension.config import ExtensionConfigManager\n"
    "print(ExtensionConfigManager(read_config_path=jupyter_config_path()).get_jpserver_extensions())"
)
LAB_EXTENSIONS = "import sys; from jupyterlab.labextensions import main; sys.argv = ['x', 'list']; main()"


def test_in_a_learner_distribution_the_instructors_nbgrader_tools_are_off(learner_tree):
    env = lab.environment(learner_tree)
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[0] == str(lab.LEARNER_CONFIG)
    server = jupyter_sees(env, SERVER_EXTENSIONS)
    assert "'nbgrader.server_extensions.formgrader': False" in server
    assert "'nbgrader.server_extensions.course_list': False" in server
    assert "'nbgrader.server_extensions.assignment_list': True" in server, "learners keep the Assignments list"
    disabled = jupyter_sees(env, LAB_EXTENSIONS).split("Disabled extensions:")[1]
    for extension in ("formgrader", "create-assignment", "course-list"):
        assert f"@jupyter/nbgrader:{extension}" in disabled


def test_in_the_course_the_instructor_keeps_formgrader():
    env = lab.environment(REPO, base={"PATH": os.environ["PATH"]})
    assert "JUPYTER_CONFIG_PATH" not in env
    assert "'nbgrader.server_extensions.formgrader': True" in jupyter_sees({**os.environ, **env}, SERVER_EXTENSIONS)


def test_binder_start_switches_the_same_tools_off_in_a_learner_distribution(learner_tree):
    """On Binder the package is installed, not editable: binder/start points at the distribution's own copy."""

    def config_path_after_start(root):
        return subprocess.run(
            ["bash", str(root / "binder" / "start"), "bash", "-c", 'echo "${JUPYTER_CONFIG_PATH:-}"'],
            env={"PATH": os.environ["PATH"]},
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()

    packaged = lab.LEARNER_CONFIG.relative_to(lab.LEARNER_CONFIG.parents[2])  # src/scalingml/learner_jupyter_config
    assert config_path_after_start(learner_tree) == str(learner_tree / packaged)
    assert (learner_tree / packaged / "labconfig" / "page_config.json").is_file()
    assert config_path_after_start(REPO) == "", "the self-study Binder keeps the instructor's tools"
