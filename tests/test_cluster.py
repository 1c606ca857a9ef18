import os
import socket
import time

import dask
import pytest

from scalingml import cluster, scale


def closed_loopback_port() -> str:
    """An address on this machine where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"


def test_plan_embedded_threads_for_ci(monkeypatch):
    monkeypatch.delenv(cluster.ADDRESS_ENV_VAR, raising=False)
    how = cluster.plan(scale.get_profile("ci"), cores=2)
    assert how.mode == "embedded" and not how.processes
    assert how.n_workers == 1 and how.threads_per_worker == 2


def test_plan_embedded_processes_sized_to_machine(monkeypatch):
    monkeypatch.delenv(cluster.ADDRESS_ENV_VAR, raising=False)
    how = cluster.plan(scale.get_profile("small"), cores=2)
    assert how.processes and how.n_workers == 2 and how.threads_per_worker == 1


def test_env_variable_and_dask_config_select_a_remote_scheduler(monkeypatch):
    monkeypatch.setenv(cluster.ADDRESS_ENV_VAR, "tcp://127.0.0.1:8786")
    assert cluster.plan().mode == "remote"
    monkeypatch.delenv(cluster.ADDRESS_ENV_VAR)
    with dask.config.set({"scheduler-address": "tcp://127.0.0.1:9999"}):
        how = cluster.plan()
    assert how.address == "tcp://127.0.0.1:9999"
    assert "9999" in how.describe()


def test_embedded_client_computes_and_closes(monkeypatch):
    monkeypatch.delenv(cluster.ADDRESS_ENV_VAR, raising=False)
    with cluster.client(scale.get_profile("ci")) as client:
        assert client.submit(sum, [1, 2, 3]).result() == 6
    assert client.status == "closed"


def test_connects_to_a_real_scheduler_from_the_env_variable(monkeypatch):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as running:
        monkeypatch.setenv(cluster.ADDRESS_ENV_VAR, running.scheduler_address)
        with cluster.client() as client:
            assert client.scheduler.address == running.scheduler_address
            assert client.submit(pow, 2, 10).result() == 1024
        assert client.status == "closed"
        assert running.status.name == "running", "closing our client must not stop someone else's cluster"


def test_unreachable_scheduler_fails_in_bounded_time_with_advice(monkeypatch):
    address = closed_loopback_port()
    monkeypatch.setenv(cluster.ADDRESS_ENV_VAR, address)
    start = time.monotonic()
    with pytest.raises(cluster.ClusterUnavailableError) as info, cluster.client(timeout=1):
        pass
    # the timeout given is the one used: well under the default a forgotten argument would fall back to
    assert time.monotonic() - start < cluster.DEFAULT_TIMEOUT - 4
    message = str(info.value)
    assert address in message and "unset DASK_SCHEDULER_ADDRESS" in message


def test_malformed_address_is_explained():
    ok, message = cluster.check_scheduler("not-an-address", timeout=2)
    assert not ok
    assert "not a valid scheduler address" in message and "tcp://host:8786" in message


def test_check_scheduler_reports_workers():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as running:
        ok, message = cluster.check_scheduler(running.scheduler_address, timeout=5)
    assert ok and "2 worker(s)" in message


def test_a_workshop_share_sizes_the_embedded_cluster(monkeypatch):
    """On a workshop server the hub exports the learner's share; the cluster uses it, not every core."""
    monkeypatch.delenv(cluster.ADDRESS_ENV_VAR, raising=False)
    monkeypatch.setenv(cluster.CPU_LIMIT_ENV_VAR, "0.5")
    monkeypatch.setenv(cluster.MEM_LIMIT_ENV_VAR, str(3 * 2**30))
    assert cluster.available_cores() == 1
    threads = cluster.plan(scale.get_profile("ci"))
    assert (threads.n_workers, threads.threads_per_worker, threads.memory_limit) == (1, 1, 3 * 2**30)
    monkeypatch.setenv(cluster.CPU_LIMIT_ENV_VAR, "2.7")
    processes = cluster.plan(scale.get_profile("small"), cores=None)
    assert processes.n_workers == min(2, 8) and processes.memory_limit == 3 * 2**30 // processes.n_workers
    monkeypatch.setenv(cluster.CPU_LIMIT_ENV_VAR, "not a number")
    monkeypatch.delenv(cluster.MEM_LIMIT_ENV_VAR)
    assert (
        cluster.available_cores() == (os.cpu_count() or 1)
        and cluster.plan(scale.get_profile("ci")).memory_limit is None
    )
