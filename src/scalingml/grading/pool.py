"""Where submissions execute: local threads (each keeping one runner process) or tasks on a Dask cluster."""

from __future__ import annotations

import concurrent.futures
import os
import threading
from collections.abc import Mapping

from scalingml import sandbox
from scalingml.sandbox import execution


def execute_job(
    job_notebooks: Mapping[str, str],
    files: Mapping[str, bytes],
    limits: sandbox.Limits,
    hide: list[str],
    scratch_root: str | None,
    runner_process: execution.Runner | None = None,
) -> dict[str, execution.Execution]:
    """Run each notebook of one submission in the sandbox (a thread here, or a Dask task).

    On a Dask worker of another machine ``scratch_root`` may not exist: a temp folder is used.
    """
    scratch_root = scratch_root if scratch_root and os.path.isdir(scratch_root) else None
    return {
        name: execution.run_notebook(
            text, name, dict(files), limits, hide=hide, scratch_root=scratch_root, runner_process=runner_process
        )
        for name, text in job_notebooks.items()
    }


class Pool:
    """``submit(fn, *args)`` and ``as_completed(futures)`` over local threads or a Dask cluster.

    Each local thread keeps one :class:`~scalingml.execution.Runner` process for all its
    submissions; they are ended on exit. On Dask, a worker lost mid-run has its tasks re-run on
    the others by the scheduler (a task that kills ``distributed.scheduler.allowed-failures`` workers
    ends in ``KilledWorker``, recorded as failed with that reason); :meth:`lost_workers` names the
    workers that left, for the run's summary.
    """

    def __init__(self, jobs: int, dask_address: str | None):
        self.jobs, self.dask_address = max(1, int(jobs)), dask_address
        self._local = threading.local()
        self._runners: list[execution.Runner] = []
        self._workers: set[str] = set()

    def __enter__(self):
        if self.dask_address:
            from scalingml import cluster

            self._context = cluster.client(address=self.dask_address)
            self._dask = self._context.__enter__()
            self._workers = self._current_workers()
        else:
            self._pool = concurrent.futures.ThreadPoolExecutor(self.jobs)
        return self

    def submit(self, fn, *args):
        if self.dask_address:
            return self._dask.submit(fn, *args, pure=False)
        return self._pool.submit(self._with_runner, fn, *args)

    def as_completed(self, futures):
        if self.dask_address:
            from distributed import as_completed

            return as_completed(futures)
        return concurrent.futures.as_completed(futures)

    def _current_workers(self) -> set[str]:
        return set(self._dask.scheduler_info().get("workers", {}))

    def lost_workers(self) -> list[str]:
        """The Dask workers present when the run started and gone now (none for local threads)."""
        return sorted(self._workers - self._current_workers()) if self.dask_address else []

    def _with_runner(self, fn, *args):
        if not hasattr(self._local, "runner"):
            self._local.runner = execution.Runner()
            self._runners.append(self._local.runner)
        return fn(*args, runner_process=self._local.runner)

    def __exit__(self, *exc):
        if self.dask_address:
            return self._context.__exit__(*exc)
        self._pool.shutdown(wait=True, cancel_futures=True)
        for runner_process in self._runners:
            runner_process.close()
        return False
