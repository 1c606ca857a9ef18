"""``scalingml doctor``: an environment report a learner can paste into a question.

It lists the versions that matter, the machine (cores, memory), the active scale
profile and how a Dask cluster would be obtained; with ``DASK_SCHEDULER_ADDRESS``
set it tries to reach the scheduler (bounded by a timeout) and says what to do if
it cannot. It reports the storage setting (``SCALINGML_STORAGE``) and proves it with
a write/read/delete probe of one small object (bounded by the storage timeouts).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scalingml import sandbox, scale

if TYPE_CHECKING:  # pandas and dask load in a second: `scalingml --help` needs neither
    import pandas as pd

#: Seconds ``scalingml doctor`` waits for a remote scheduler: enough for a healthy one on a LAN.
PROBE_TIMEOUT = 5.0

PACKAGES = (
    "scalingml",
    "scikit-learn",
    "pandas",
    "numpy",
    "dask",
    "distributed",
    "nbgrader",
    "jupyterlab",
    "ipywidgets",
    "matplotlib",
    "s3fs",
    "moto",
)


@dataclass(frozen=True)
class Check:
    """One line of the report; ``ok`` is False for something the learner must fix."""

    topic: str
    value: str
    ok: bool = True


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def storage_checks(*, probe_remote: bool = True) -> list[Check]:
    """The storage setting, and the probe that proves it (a remote store only when ``probe_remote``)."""
    from scalingml import storage
    from scalingml.storage import probe

    try:
        setting = storage.resolve()
    except storage.BadStorageSettingError as exc:
        return [Check("storage", str(exc), ok=False)]
    rows = [Check("storage", setting.describe())]
    if setting.is_local or probe_remote:
        ok, message = probe.probe(setting)
        rows.append(Check("storage probe", message, ok=ok))
    return rows


def checks(*, probe_cluster: bool = True, timeout: float = PROBE_TIMEOUT) -> list[Check]:
    """Run every check. ``probe_cluster=False`` skips contacting a remote scheduler or object store."""
    import psutil

    rows = [Check("python", platform.python_version())]
    for package in PACKAGES:
        version = _version(package)
        rows.append(Check(package, version, ok=version != "not installed"))
    memory = psutil.virtual_memory()
    rows.append(Check("cores", str(os.cpu_count())))
    rows.append(Check("memory", f"{memory.total / 2**30:.1f} GiB total, {memory.available / 2**30:.1f} GiB available"))
    isolation = sandbox.isolation()
    rows.append(
        Check(
            "grading sandbox",
            isolation
            if sandbox.bwrap_path()
            else f"{isolation} (install bubblewrap to isolate learners' code when grading)",
        )
    )
    jobs = os.cpu_count() or 1
    rows.append(
        Check(
            "grading memory",
            f"{sandbox.default_memory_mb(jobs)} MB per kernel by default with --jobs {jobs} "
            f"({sandbox.default_memory_mb(1)} MB with one job; --memory-mb to choose)",
        )
    )
    try:
        profile = scale.active()
    except scale.UnknownProfileError as exc:
        rows.append(Check("scale profile", str(exc), ok=False))
        return rows
    rows.append(Check("scale profile", f"{profile.name} — {profile.description} (set by {scale.active_source()})"))
    from scalingml import cluster

    rows.extend(storage_checks(probe_remote=probe_cluster))
    how = cluster.plan(profile)
    rows.append(Check("cluster", how.describe()))
    if how.address and probe_cluster:
        ok, message = cluster.check_scheduler(how.address, timeout=timeout)
        rows.append(Check("cluster reachable", message, ok=ok))
    return rows


def report(**kwargs) -> pd.DataFrame:
    """The checks as a frame (for the welcome notebook)."""
    import pandas as pd

    return pd.DataFrame([vars(c) for c in checks(**kwargs)])


def format_report(rows: list[Check]) -> str:
    """Plain-text table: a ``!!`` marks what needs fixing."""
    width = max(len(c.topic) for c in rows)
    return "\n".join(f"{'  ' if c.ok else '!!'} {c.topic:<{width}}  {c.value}" for c in rows)
