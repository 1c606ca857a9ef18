"""Shared test set-up: every test (and every notebook kernel it starts) runs at the `ci` profile."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_configure(config):
    # Set before any kernel starts: nbmake and nbclient kernels inherit the environment.
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
    # nbmake's items execute whole notebooks: they belong to the slow lane with the grading round trips
    for item in items:
        if type(item).__name__ == "NotebookItem":
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def repo() -> Path:
    from tests.notebook_tools import REPO

    return REPO
