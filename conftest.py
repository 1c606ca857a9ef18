"""Shared test set-up: every test (and every notebook kernel it starts) runs at the `ci` profile."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

# the workshop's spawner subclasses JupyterHub's, which only the workshop environment (the `hub` extra) has
collect_ignore = [] if importlib.util.find_spec("jupyterhub") else ["src/scalingml/workshop/spawner.py"]


def pytest_configure(config):
    # Set before any kernel starts: nbval and nbclient kernels inherit the environment.
    os.environ["SCALINGML_SCALE"] = "ci"
    os.environ["SCALINGML_PROGRESS"] = "0"
    os.environ.setdefault("MPLBACKEND", "Agg")
    # pytest-xdist already runs one worker per core. Native thread pools on top of that
    # (OpenMP in HistGradientBoosting, BLAS) oversubscribe the cores, and OpenMP's
    # spin-waiting then slows a notebook tenfold: one native thread per process.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"
    os.environ.pop("DASK_SCHEDULER_ADDRESS", None)


def pytest_collection_modifyitems(config, items):
    # nbval makes one item per cell, sharing the notebook's kernel: they belong to the slow lane with the grading
    # round trips
    for item in items:
        if type(item).__name__ == "IPyNbCell":
            item.add_marker(pytest.mark.slow)


def pytest_xdist_make_scheduler(config, log):
    """``--dist load``, except that all cells of one notebook go to one worker (one kernel) and run in order.

    Spread over workers, a notebook's cells would run in kernels that never ran the cells above (NameError).
    ``--dist loadfile`` would keep them together but also put every grading round trip of ``test_grading.py`` on
    one worker; ``--dist loadgroup`` with an ``xdist_group`` mark per notebook is the documented way, but
    pytest-xdist 3.8 renames ``item._nodeid``, which pytest 9.2 no longer reads, so the marks are ignored.
    """
    if config.getoption("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    from tests.notebook_tools import xdist_scope

    class NotebookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    return NotebookScheduling(config, log)


@pytest.fixture
def repo() -> Path:
    from tests.notebook_tools import REPO

    return REPO
