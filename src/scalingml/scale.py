"""Scale profiles: one knob that sizes every experiment in the course.

A profile says how big the experiments are. Lessons and assignments never type a
size; they ask the active profile::

    >>> from scalingml import scale
    >>> profile = scale.get_profile("ci")
    >>> profile.name, profile.n_rows
    ('ci', 2000)
    >>> profile.sizes(3)
    (500, 1000, 2000)

The active profile comes from the ``SCALINGML_SCALE`` environment variable
(``ci``, ``small`` or ``large``; ``small`` when unset). While nbgrader autograds
(it sets ``NBGRADER_EXECUTION``) the ``ci`` profile is always used, so that graded
cells stay inside nbgrader's per-cell timeout whatever the learner's setting.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

from scalingml.errors import ScalingmlError

ENV_VAR = "SCALINGML_SCALE"
AUTOGRADING_ENV_VAR = "NBGRADER_EXECUTION"
DEFAULT_PROFILE = "small"


class UnknownProfileError(ScalingmlError, ValueError):
    """Raised for a profile name that is not one of :data:`PROFILES`."""


@dataclass(frozen=True)
class ScaleProfile:
    """The sizes an experiment may use.

    Attributes:
        name: ``ci``, ``small`` or ``large``.
        description: who the profile is for.
        n_rows: rows of a "typical" table for a single fit.
        min_rows: the smallest table a scaling curve starts from.
        repeats: how many times a timing is repeated (the median is kept).
        cv_folds: folds for cross-validation.
        n_partitions: partitions for out-of-core (larger-than-memory) experiments.
        processes: whether the embedded Dask cluster uses worker processes
            (``False``: threads, which start in a fraction of a second).
        memory_budget_mb: the memory an out-of-core experiment allows itself; at
            ``large`` the generated data is bigger than this.
        forest_trees: trees in the random forests of timing experiments.
        reduced_search_grid: whether hyper-parameter searches use their reduced grid.
        matmul_size: side of the square matrices whose product times BLAS threads (lesson 03);
            large enough that one product lasts tens of milliseconds or more on one core.
        search_budget: the largest number of candidates a random search may try (lesson 04's
            tuning budget curve doubles the budget up to it).
        storage_rows: rows of the table lesson 01 writes as CSV and as Parquet; large enough that
            reading it takes well over a millisecond, so the formats' read times differ beyond noise.
        object_store_rows: rows of the table lesson 01 writes to the object store as 1, 10, 100 and 1,000
            objects (at least 1,000, so the finest layout still has a row per object).
        fit_time_rows: the largest table of lesson 02's fit-time curves (they start at ``min_rows``):
            large enough that the largest fits last well beyond timer and call overheads.
    """

    name: str
    description: str
    n_rows: int
    min_rows: int
    repeats: int
    cv_folds: int
    n_partitions: int
    processes: bool
    memory_budget_mb: int
    forest_trees: int
    reduced_search_grid: bool
    # lesson 03 (infrastructure)
    matmul_size: int
    # lesson 04 (talent)
    search_budget: int
    # lesson 01 (data management)
    storage_rows: int
    object_store_rows: int
    # lesson 02 (model complexity)
    fit_time_rows: int

    def sizes(self, steps: int = 5, *, stop: int | None = None) -> tuple[int, ...]:
        """Geometrically spaced table sizes from ``min_rows`` to ``stop`` (default ``n_rows``).

        >>> get_profile("ci").sizes(2)
        (500, 2000)
        """
        stop = self.n_rows if stop is None else stop
        if steps < 2:
            return (stop,)
        ratio = (stop / self.min_rows) ** (1 / (steps - 1))
        return tuple(int(round(self.min_rows * ratio**i)) for i in range(steps))


PROFILES: dict[str, ScaleProfile] = {
    "ci": ScaleProfile(
        name="ci",
        description="tiny: continuous integration and autograding (seconds per notebook)",
        n_rows=2_000,
        min_rows=500,
        repeats=1,
        cv_folds=3,
        n_partitions=4,
        processes=False,
        memory_budget_mb=256,
        forest_trees=10,
        reduced_search_grid=True,
        matmul_size=1_500,
        search_budget=4,
        storage_rows=50_000,
        object_store_rows=20_000,
        fit_time_rows=8_000,
    ),
    "small": ScaleProfile(
        name="small",
        description="the default, for a laptop or Binder: a few minutes per notebook at most",
        n_rows=20_000,
        min_rows=1_000,
        repeats=3,
        cv_folds=5,
        n_partitions=10,
        processes=True,
        memory_budget_mb=512,
        forest_trees=30,
        reduced_search_grid=False,
        matmul_size=2_000,
        search_budget=32,
        storage_rows=200_000,
        object_store_rows=100_000,
        fit_time_rows=20_000,
    ),
    "large": ScaleProfile(
        name="large",
        description="a workstation or a cluster (tens of minutes per notebook)",
        n_rows=500_000,
        min_rows=5_000,
        repeats=3,
        cv_folds=5,
        n_partitions=50,
        processes=True,
        memory_budget_mb=1024,
        forest_trees=30,
        reduced_search_grid=False,
        matmul_size=4_000,
        search_budget=64,
        storage_rows=2_000_000,
        object_store_rows=1_000_000,
        fit_time_rows=200_000,
    ),
}


def get_profile(name: str) -> ScaleProfile:
    """Return the profile called ``name`` (case and surrounding spaces ignored).

    Raises:
        UnknownProfileError: for any other name; the message lists the valid ones.
    """
    key = str(name).strip().lower()
    try:
        return PROFILES[key]
    except KeyError:
        valid = ", ".join(PROFILES)
        raise UnknownProfileError(
            f"Unknown scale profile {name!r}. Valid profiles: {valid}. "
            f"Set {ENV_VAR} to one of them (or unset it for {DEFAULT_PROFILE!r})."
        ) from None


def active_source() -> str:
    """Where the active profile comes from: the autograding variable, ``SCALINGML_SCALE``, or the default.

    This is the one rule every command and notebook follows (see the module docstring).
    """
    if os.environ.get(AUTOGRADING_ENV_VAR):
        return f"{AUTOGRADING_ENV_VAR} (autograding)"
    return ENV_VAR if os.environ.get(ENV_VAR, "").strip() else "default"


def active() -> ScaleProfile:
    """The profile in force now; an unknown ``SCALINGML_SCALE`` raises :class:`UnknownProfileError`.

    ``SMALL`` and `` small `` mean ``small``: names are compared without case or surrounding spaces.
    """
    if os.environ.get(AUTOGRADING_ENV_VAR):
        return PROFILES["ci"]
    return get_profile(os.environ.get(ENV_VAR, "").strip() or DEFAULT_PROFILE)


def active_name() -> str:
    """Canonical name of :func:`active` (raises :class:`UnknownProfileError` like it)."""
    return active().name


@contextlib.contextmanager
def using(name: str) -> Iterator[ScaleProfile]:
    """Temporarily make ``name`` the active profile (for tests and comparisons).

    >>> with using("large") as profile:
    ...     active().name
    'large'
    """
    profile = get_profile(name)
    previous = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = profile.name
    try:
        yield profile
    finally:
        if previous is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = previous
