"""JupyterHub's configuration for a workshop, and the configuration files each account receives.

The hub's ``jupyterhub_config.py`` is two lines that call :func:`configure` with the settings
``scalingml workshop start`` records (``hub/settings.json`` in the workshop folder), so what the hub
does is this module's code, with tests, not a generated script.
"""

from __future__ import annotations

import json
import os
import pwd
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scalingml.course import COURSE_ENV_VAR
from scalingml.lab import LEARNER_CONFIG

#: formgrader is framed by JupyterLab; under JupyterHub the single-user server must allow it (nbgrader's docs)
FRAME_ANCESTORS = "frame-ancestors 'self'"
IDLE_CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
CULL_EVERY_S = 60
COURSE_ID = "scalingml"
SUBMIT_CLASS = "scalingml.workshop.exchange.PrivateExchangeSubmit"
TERMINAL_SHELL = ["/bin/bash", "-i"]
#: Where each home holds its course: a learner's copy of the learner distribution, the instructor's nbgrader course.
MATERIAL_DIR_IN_HOME = "scalingml"
COURSE_DIR_IN_HOME = "course"

CONFIG_TEMPLATE = """\
# Written by `scalingml workshop start`; the settings are in settings.json beside this file.
from scalingml.workshop.hubconfig import configure, load_settings

configure(c, load_settings({settings!r}))  # noqa: F821 (c is provided by JupyterHub)
"""


def load_settings(path: str | os.PathLike) -> dict[str, Any]:
    """The settings ``scalingml workshop start`` recorded."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def configure(c: Any, s: dict[str, Any]) -> None:
    """Set the hub's traits on config object ``c`` from the workshop settings ``s``."""
    hub_dir = Path(s["directory"]) / "hub"
    env_bin = Path(s["env_prefix"]) / "bin"

    c.JupyterHub.ip = s["ip"]
    c.JupyterHub.port = s["port"]
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = s["hub_port"]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s['proxy_api_port']}"
    c.ConfigurableHTTPProxy.command = [s["proxy"]]
    c.ConfigurableHTTPProxy.pid_file = str(hub_dir / "proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{hub_dir / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(hub_dir / "jupyterhub_cookie_secret")
    c.JupyterHub.cleanup_servers = True  # servers stop with the hub; their work is on disk

    # logins: PAM against each account's Unix password; only the roster and the instructor
    c.JupyterHub.authenticator_class = "pam"
    c.Authenticator.allowed_users = set(s["learners"]) | {s["instructor"]}
    c.Authenticator.admin_users = {s["instructor"]}
    c.Authenticator.allow_existing_users = False  # a learner dropped from the roster can no longer log in
    c.PAMAuthenticator.open_sessions = False

    c.JupyterHub.spawner_class = "scalingml.workshop.spawner.WorkshopSpawner"
    c.Spawner.cmd = [str(env_bin / "jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    c.Spawner.notebook_dir = "~"
    c.Spawner.environment = {
        "PATH": f"{env_bin}:/usr/local/bin:/usr/bin:/bin",
        # formgrader's frame header, for every user server
        "JUPYTER_CONFIG_PATH": str(Path(s["directory"]) / "singleuser"),
    }
    c.Spawner.pre_spawn_hook = user_environment(s["instructor"])
    c.Spawner.mem_limit = s["memory_bytes"]  # enforced by WorkshopSpawner; exported as MEM_LIMIT
    c.Spawner.cpu_limit = s["cpus"]  # exported as CPU_LIMIT: the learner's Dask cluster sizes itself by it
    c.Spawner.start_timeout = 180
    c.Spawner.http_timeout = 180

    c.JupyterHub.services = [
        {
            "name": "idle-culler",
            "command": [
                str(env_bin / "python"),
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={s['idle_timeout']}",
                f"--cull-every={CULL_EVERY_S}",
            ],
        }
    ]
    c.JupyterHub.load_roles = [{"name": "idle-culler", "scopes": IDLE_CULLER_SCOPES, "services": ["idle-culler"]}]


def user_environment(instructor: str) -> Callable[[Any], None]:
    """A spawn hook: each server's course (``SCALINGML_COURSE``), and learner settings for every server but one.

    ``SCALINGML_COURSE`` names the course in the user's home (:func:`scalingml.course.root` falls back to it), so
    ``scalingml check`` and ``hint`` find the release and its hints for a notebook fetched to ``~/00_welcome``.
    pip enables every nbgrader extension for everyone, which would give each learner a formgrader of their own
    home; :data:`scalingml.lab.LEARNER_CONFIG` (what ``scalingml lab`` and Binder use in the learner
    distribution) switches the instructor's tools off and keeps the Assignments list and Validate.
    """

    def hook(spawner: Any) -> None:
        name = spawner.user.name
        home = Path(pwd.getpwnam(name).pw_dir)
        environment = dict(spawner.environment)
        if name == instructor:
            environment[COURSE_ENV_VAR] = str(home / COURSE_DIR_IN_HOME)
        else:
            environment[COURSE_ENV_VAR] = str(home / MATERIAL_DIR_IN_HOME)
            shared = environment.get("JUPYTER_CONFIG_PATH", "")
            environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(filter(None, [str(LEARNER_CONFIG), shared]))
        spawner.environment = environment

    return hook


def singleuser_server_config() -> str:
    """``jupyter_server_config.py`` every user server loads (through ``JUPYTER_CONFIG_PATH``)."""
    return (
        "# Written by `scalingml workshop start`: formgrader is framed by JupyterLab under JupyterHub\n"
        f"c.ServerApp.tornado_settings = {{'headers': {{'Content-Security-Policy': {FRAME_ANCESTORS!r}}}}}\n"
        "# JupyterLab's terminals: a login shell would reset PATH (Debian's /etc/profile) and lose the workshop's\n"
        "# environment, with nbgrader and scalingml in it; a plain interactive bash keeps the server's PATH\n"
        f"c.ServerApp.terminado_settings = {{'shell_command': {TERMINAL_SHELL!r}}}\n"
    )


def _exchange_config(exchange: Path) -> str:
    return (
        "# Written by `scalingml workshop start`\n"
        "c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
    )


def learner_nbgrader_config(exchange: Path) -> str:
    """A learner's ``~/.jupyter/nbgrader_config.py``: the exchange, the course, a submit only the instructor reads."""
    return _exchange_config(exchange) + f"c.ExchangeFactory.submit = {SUBMIT_CLASS!r}\n"


def instructor_nbgrader_config(exchange: Path, course_dir: Path) -> str:
    """The instructor's ``~/.jupyter/nbgrader_config.py``: the exchange and the course (solutions, gradebook)."""
    return (
        _exchange_config(exchange)
        + f"load_subconfig({str(course_dir / 'nbgrader_config.py')!r})  # noqa: F821\n"
        + f"c.CourseDirectory.root = {str(course_dir)!r}\n"
    )
