"""The Kubernetes deployment on paper (``deploy/kubernetes/``): it parses, and it says what the workshop server does.

The values file is for zero-to-jupyterhub-k8s with Dask Gateway (the ``daskhub`` chart). No cluster is reachable
here, so these tests check its keys, and that each setting it shares with the one-machine workshop server
(course id, private submissions, culling, the exchange's path) is the same value as the code's constant.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scalingml.workshop import hubconfig, server

yaml = pytest.importorskip("yaml")

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "kubernetes"
UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((DEPLOY / "daskhub-values.yaml").read_text(encoding="utf-8"))


def size(text: object) -> int:
    """Bytes in a Kubernetes or Dask Gateway quantity such as ``2G``, ``2Gi`` or ``"8 G"``."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMG]i?)?\s*", str(text))
    assert match, f"not a size: {text!r}"
    return int(float(match[1]) * UNITS[match[2] or ""])


def gateway_setting(values: dict, name: str) -> str:
    code = "\n".join(values["dask-gateway"]["gateway"]["extraConfig"].values())
    match = re.search(rf"^c\.ClusterConfig\.{name} = (.+)$", code, re.M)
    assert match, f"c.ClusterConfig.{name} is not set in dask-gateway.gateway.extraConfig"
    return match[1].strip().strip("\"'")


def test_the_learners_run_the_course_image_with_limits_and_a_home_of_their_own(values):
    user = values["jupyterhub"]["singleuser"]
    assert user["image"]["name"].endswith("scalingml-learner"), "learners get the learner distribution's image"
    assert 0 < user["cpu"]["guarantee"] <= user["cpu"]["limit"]
    assert 0 < size(user["memory"]["guarantee"]) <= size(user["memory"]["limit"])
    assert user["storage"]["type"] == "dynamic", "each learner's home is a volume of their own"
    uids = "\n".join(values["jupyterhub"]["hub"]["extraConfig"].values())
    assert "c.KubeSpawner.uid = " in uids and "spawner.user.id" in uids, "each learner's pod runs as its own uid"


def test_logins_are_per_learner_and_the_instructor_is_admin(values):
    hub = values["jupyterhub"]["hub"]["config"]
    assert hub["JupyterHub"]["authenticator_class"] not in {None, "dummy", "null", "shared-password"}
    assert hub["Authenticator"]["admin_users"] == [server.DEFAULT_INSTRUCTOR]
    assert "admin_users" not in hub["JupyterHub"], "JupyterHub.admin_users is deprecated: it is Authenticator's"
    assert hub["NativeAuthenticator"]["open_signup"] is False, "the instructor approves each sign-up"


def test_the_exchange_is_one_read_write_many_volume_named_as_the_learners_config_says(values):
    user = values["jupyterhub"]["singleuser"]["storage"]
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in user["extraVolumes"]}
    mounts = {m["name"]: m["mountPath"] for m in user["extraVolumeMounts"]}
    pvc = yaml.safe_load((DEPLOY / "nbgrader-exchange.yaml").read_text(encoding="utf-8"))
    assert pvc["kind"] == "PersistentVolumeClaim" and pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claims["nbgrader-exchange"] == pvc["metadata"]["name"]
    nbgrader = values["jupyterhub"]["singleuser"]["extraFiles"]["nbgrader-config"]
    assert nbgrader["mountPath"] == "/etc/jupyter/nbgrader_config.py"
    config = nbgrader["stringData"]
    assert f'c.Exchange.root = "{mounts["nbgrader-exchange"]}"' in config
    assert f'c.CourseDirectory.course_id = "{hubconfig.COURSE_ID}"' in config
    assert f'c.ExchangeFactory.submit = "{hubconfig.SUBMIT_CLASS}"' in config, "submissions only the instructor reads"
    compile(config, "nbgrader_config.py", "exec")


def test_idle_servers_are_culled_as_on_the_workshop_server(values):
    cull = values["jupyterhub"]["cull"]
    assert cull["enabled"] is True
    assert cull["timeout"] == server.DEFAULT_IDLE_TIMEOUT and cull["every"] == hubconfig.CULL_EVERY_S


def test_each_dask_gateway_cluster_is_capped_and_its_workers_fit_the_cap(values):
    gateway = values["dask-gateway"]["gateway"]
    assert gateway["auth"]["type"] == "jupyterhub", "the gateway knows learners by their hub login"
    assert gateway["backend"]["image"]["name"] == values["jupyterhub"]["singleuser"]["image"]["name"]
    worker = gateway["backend"]["worker"]
    workers = int(gateway_setting(values, "cluster_max_workers"))
    assert workers >= 1
    assert workers * worker["cores"]["limit"] <= int(gateway_setting(values, "cluster_max_cores"))
    assert workers * size(worker["memory"]["limit"]) <= size(gateway_setting(values, "cluster_max_memory"))
    assert int(gateway_setting(values, "idle_timeout")) > 0, "an abandoned cluster is shut down"
    for code in gateway["extraConfig"].values():
        compile(code, "extraConfig", "exec")
