"""A Dask client for the experiments: an embedded local cluster, or a real scheduler.

* ``DASK_SCHEDULER_ADDRESS`` set (dask config ``scheduler-address``): connect to that
  scheduler; an unreachable one fails within ``timeout`` seconds with a message
  naming the address and how to fall back.
* otherwise: start an embedded ``LocalCluster`` sized to the machine and the scale
  profile (threads for ``ci``, which start in a fraction of a second; processes
  otherwise), and close it afterwards.

Use it as a context manager so everything is closed cleanly::

    with scalingml.cluster.client() as client:
        ...

Scripts that start a process-based cluster need an ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import dask

from scalingml import scale
from scalingml.errors import ScalingmlError
from scalingml.scale import ScaleProfile

if TYPE_CHECKING:
    import distributed
from scalingml.scratch import scratch_dir

ADDRESS_ENV_VAR = "DASK_SCHEDULER_ADDRESS"
DEFAULT_TIMEOUT = 10.0
#: JupyterHub's spawners export a user's share of the machine as these (cores, may be fractional; bytes): on a
#: workshop server the embedded cluster is sized to that share, not to every core of the machine.
CPU_LIMIT_ENV_VAR = "CPU_LIMIT"
MEM_LIMIT_ENV_VAR = "MEM_LIMIT"


class ClusterUnavailableError(ScalingmlError, ConnectionError):
    """The configured Dask scheduler could not be reached."""


def scheduler_address() -> str | None:
    """The configured scheduler address: the env variable first, then dask config, else None."""
    return os.environ.get(ADDRESS_ENV_VAR) or dask.config.get("scheduler-address", None) or None


def _positive_float(name: str) -> float | None:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def available_cores() -> int:
    """The cores this user may use: the machine's, or fewer where a hub's ``CPU_LIMIT`` gives a share (at least 1)."""
    machine = os.cpu_count() or 1
    share = _positive_float(CPU_LIMIT_ENV_VAR)
    return machine if share is None else max(1, min(machine, int(share)))


def available_memory() -> int | None:
    """This user's memory share in bytes where a hub's ``MEM_LIMIT`` gives one, else None (the machine's)."""
    share = _positive_float(MEM_LIMIT_ENV_VAR)
    return int(share) if share else None


@dataclass(frozen=True)
class ClusterPlan:
    """What :func:`client` will do: connect to ``address`` or start a local cluster of this shape."""

    address: str | None
    n_workers: int
    threads_per_worker: int
    processes: bool
    #: bytes per worker where the user has a memory share (a workshop server), else None: dask's default
    memory_limit: int | None = None

    @property
    def mode(self) -> str:
        return "remote" if self.address else "embedded"

    def describe(self) -> str:
        """One line for a learner.

        >>> ClusterPlan(None, 1, 2, False).describe()
        'embedded LocalCluster: 1 worker x 2 threads (threads)'
        """
        if self.address:
            return f"remote scheduler at {self.address} (from {ADDRESS_ENV_VAR} / dask config)"
        kind = "processes" if self.processes else "threads"
        return (
            f"embedded LocalCluster: {self.n_workers} worker{'s' if self.n_workers > 1 else ''} "
            f"x {self.threads_per_worker} thread{'s' if self.threads_per_worker > 1 else ''} ({kind})"
        )


def plan(profile: ScaleProfile | None = None, *, address: str | None = None, cores: int | None = None) -> ClusterPlan:
    """Decide how to get a cluster, without starting anything.

    >>> plan(scale.get_profile("small"), cores=4).describe()
    'embedded LocalCluster: 4 workers x 1 thread (processes)'
    """
    profile = profile or scale.active()
    address = address or scheduler_address()
    cores = cores or available_cores()
    if address:
        return ClusterPlan(address, 0, 0, False)
    memory = available_memory()
    if profile.processes:
        workers = min(cores, 8)
        return ClusterPlan(None, workers, 1, True, memory // workers if memory else None)
    return ClusterPlan(None, n_workers=1, threads_per_worker=cores, processes=False, memory_limit=memory)


def _unreachable(address: str, timeout: float, exc: BaseException) -> ClusterUnavailableError:
    problem = (
        f"{address!r} is not a valid scheduler address ({exc}); it looks like tcp://host:8786"
        if isinstance(exc, ValueError)
        else f"Could not reach the Dask scheduler at {address!r} within {timeout:g} s ({type(exc).__name__}: {exc})"
    )
    return ClusterUnavailableError(
        f"{problem}. "
        f"Check that the scheduler is running and reachable from here, or unset {ADDRESS_ENV_VAR} "
        "(and dask config 'scheduler-address') to use an embedded local cluster instead."
    )


@contextlib.contextmanager
def client(
    profile: ScaleProfile | None = None, *, address: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[distributed.Client]:
    """Yield a connected ``distributed.Client``; close it (and any embedded cluster) afterwards."""
    from distributed import Client, LocalCluster

    how = plan(profile, address=address)
    if how.address:
        try:
            dask_client = Client(how.address, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise _unreachable(how.address, timeout, exc) from exc
        try:
            yield dask_client
        finally:
            dask_client.close()
        return

    # the workers' spill folder lives and dies with the cluster (not a dask-scratch-space left in /tmp)
    with scratch_dir("dask") as spill:
        local = LocalCluster(
            n_workers=how.n_workers,
            threads_per_worker=how.threads_per_worker,
            processes=how.processes,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
            local_directory=spill,
            memory_limit=how.memory_limit if how.memory_limit else "auto",
        )
        try:
            dask_client = Client(local)
            try:
                yield dask_client
            finally:
                dask_client.close()
        finally:
            local.close()


def check_scheduler(address: str, timeout: float = DEFAULT_TIMEOUT) -> tuple[bool, str]:
    """Try to reach ``address``; return ``(ok, message)`` without raising (for ``scalingml doctor``)."""
    try:
        with client(address=address, timeout=timeout) as dask_client:
            workers = len(dask_client.scheduler_info().get("workers", {}))
    except ClusterUnavailableError as exc:
        return False, str(exc)
    return True, f"reachable: scheduler at {address} with {workers} worker(s)"
