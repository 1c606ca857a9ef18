"""Training-time experiments: fit time against rows, forecasts from power laws, parallel speedup.

>>> round(amdahl_speedup(2, serial_fraction=0.0), 6), round(amdahl_speedup(4, serial_fraction=1.0), 6)
(2.0, 1.0)
>>> round(serial_fraction_from_speedups([1, 2, 4], [1.0, 1.6, 2.29]), 2)
0.25
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from scalingml import measure, scale
from scalingml.experiments.features import customer_xy
from scalingml.progress import progress


@dataclass(frozen=True)
class TimedEstimator:
    """An estimator to time, its known complexity in rows, and the share of the profile's rows it can afford."""

    make: Callable[[], BaseEstimator]
    complexity: str
    known_exponent: float
    max_rows_share: float = 1.0


def reference_estimators(seed: int = 0) -> dict[str, TimedEstimator]:
    """Three estimators whose fit cost grows at clearly different rates.

    * logistic regression (Newton-Cholesky on scaled features): a handful of
      iterations, each ~n: linear, and at laptop sizes mostly fixed overhead;
    * decision tree: ~n log n (sorting each feature at every level);
    * SVC with an RBF kernel: between n^2 and n^3 (the kernel matrix); given a
      fifth of the rows so the experiment stays within the profile's budget.
    """
    return {
        "logistic regression": TimedEstimator(
            lambda: make_pipeline(StandardScaler(), LogisticRegression(solver="newton-cholesky")), "n", 1.0
        ),
        "decision tree": TimedEstimator(lambda: DecisionTreeClassifier(random_state=seed), "n log n", 1.1),
        "SVC (RBF kernel)": TimedEstimator(lambda: SVC(kernel="rbf", C=1.0), "n^2 to n^3", 2.0, max_rows_share=0.2),
    }


def fit_time_curves(
    estimators: Mapping[str, TimedEstimator],
    sizes: Sequence[int],
    *,
    repeat: int = 3,
    seed: int = 0,
    clock: Callable[[], float] = time.perf_counter,
) -> pd.DataFrame:
    """Fit time against rows for each estimator (sizes scaled by its ``max_rows_share``).

    Data generation is excluded from the timing, and BLAS runs on one thread: on small
    matrices its thread start-up is noise, and it would mix core counts into the exponent.
    Returns the tidy frame of :func:`scalingml.measure.measure_scaling` for all estimators together;
    ``clock`` as in :func:`scalingml.measure.time_call` (wall time by default).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit_time_curves(estimators, sizes, repeat=repeat, seed=seed, clock=clock)


def _fit_time_curves(
    estimators: Mapping[str, TimedEstimator],
    sizes: Sequence[int],
    *,
    repeat: int,
    seed: int,
    clock: Callable[[], float],
) -> pd.DataFrame:
    frames = []
    for name, spec in progress(estimators.items(), desc="estimators"):
        own_sizes = sorted({max(50, int(n * spec.max_rows_share)) for n in sizes})
        frames.append(
            measure.measure_scaling(
                setup=lambda n: customer_xy(n, seed=seed),
                run=lambda xy, make=spec.make: make().fit(*xy),
                sizes=own_sizes,
                label=name,
                repeat=repeat,
                clock=clock,
            )
        )
    return pd.concat(frames, ignore_index=True)


#: How many of the largest sizes a forecast is fitted on (the upper end of the curve).
FORECAST_POINTS = 3
#: Forecasts use the best of the repeats: other programs can only slow a fit down.
FORECAST_STATISTIC = "min"


def forecast(
    curves: pd.DataFrame,
    estimators: Mapping[str, TimedEstimator],
    *,
    growth: float = 2.0,
    repeat: int = 3,
    seed: int = 0,
    last: int = FORECAST_POINTS,
    clock: Callable[[], float] = time.perf_counter,
) -> pd.DataFrame:
    """Predict each estimator's fit time at ``growth`` times its largest measured size, then measure it.

    The power law is fitted on the ``last`` largest sizes of ``curves`` (from
    :func:`fit_time_curves`), on the best of each size's repeats, and the next size is
    timed the same way. Returns one row per estimator:
    ``[label, k, next_size, predicted, measured, ratio]`` with ``ratio = measured / predicted``
    (1 is a perfect forecast; 2 means the forecast was twice too optimistic).
    """
    fits = measure.fit_power_law(curves, last=last, statistic=FORECAST_STATISTIC).set_index("label")
    rows = []
    for label, spec in progress(estimators.items(), desc="forecasts"):
        fit = measure.fit_from_row(fits.loc[label])
        next_rows = int(curves.loc[curves["label"] == label, "n"].max() * growth)
        X, y = customer_xy(next_rows, seed=seed)
        with threadpool_limits(limits=1, user_api="blas"):
            measured = measure.time_call(lambda m=spec.make, X=X, y=y: m().fit(X, y), repeat=repeat, clock=clock).best
        predicted = float(fit.predict(next_rows))
        rows.append(
            {
                "label": label,
                "k": fit.k,
                "next_size": next_rows,
                "predicted": predicted,
                "measured": measured,
                "ratio": measured / predicted,
            }
        )
    return pd.DataFrame(rows)


def speedup_frame(estimator: BaseEstimator, X, y, n_jobs: Sequence[int], *, repeat: int = 3) -> pd.DataFrame:
    """Fit time, speedup and efficiency of ``estimator`` for each ``n_jobs`` (the first is the baseline).

    Speedup S(p) = T(1) / T(p); efficiency = S(p) / p.
    """
    rows = []
    for jobs in progress(n_jobs, desc="n_jobs"):
        model = clone(estimator).set_params(n_jobs=jobs)
        seconds = measure.time_call(model.fit, X, y, repeat=repeat).median
        rows.append({"n_jobs": jobs, "seconds": seconds})
    return speedups_from_timings(pd.DataFrame(rows))


def speedups_from_timings(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``speedup`` (time at the fewest jobs / time) and ``efficiency`` (speedup / jobs) to ``[n_jobs, seconds]``."""
    frame = frame.copy()
    baseline = frame.loc[frame["n_jobs"].idxmin(), "seconds"]
    frame["speedup"] = baseline / frame["seconds"]
    frame["efficiency"] = frame["speedup"] / frame["n_jobs"]
    return frame


def amdahl_speedup(workers, serial_fraction: float):
    """Amdahl's law: the best speedup on ``workers`` when ``serial_fraction`` of the work cannot be split."""
    workers = np.asarray(workers, dtype=float)
    result = 1.0 / (serial_fraction + (1.0 - serial_fraction) / workers)
    return float(result) if result.ndim == 0 else result


def serial_fraction_from_speedups(workers: Sequence[float], speedups: Sequence[float]) -> float:
    """Least-squares serial fraction ``s`` of Amdahl's law given measured speedups, clipped to [0, 1].

    Amdahl: 1/S = s + (1 - s)/p, i.e. 1/S - 1/p = s (1 - 1/p): a line through the origin.
    Points with p = 1 carry no information and are ignored.
    """
    p = np.asarray(workers, dtype=float)
    inverse = 1.0 / np.asarray(speedups, dtype=float)
    use = p > 1
    if not use.any():
        raise ValueError("need at least one measurement with more than one worker")
    x = 1.0 - 1.0 / p[use]
    target = inverse[use] - 1.0 / p[use]
    return float(np.clip((x @ target) / (x @ x), 0.0, 1.0))


#: The grid searched locally and on the Dask cluster: 12 candidates ...
FULL_SEARCH_GRID = {"max_depth": [4, 8, None], "min_samples_leaf": [1, 5], "max_features": ["sqrt", 0.5]}
#: ... or 4, for profiles with ``reduced_search_grid`` (seconds, not minutes, per search).
REDUCED_SEARCH_GRID = {"max_depth": [4, None], "max_features": ["sqrt", 0.5]}


def search_grid(profile: scale.ScaleProfile | None = None) -> dict:
    """The hyper-parameter grid for ``profile`` (default: the active one).

    >>> from sklearn.model_selection import ParameterGrid
    >>> [len(ParameterGrid(search_grid(scale.get_profile(name)))) for name in ("ci", "large")]
    [4, 12]
    """
    profile = profile or scale.active()
    return dict(REDUCED_SEARCH_GRID if profile.reduced_search_grid else FULL_SEARCH_GRID)


def grid_search(
    X,
    y,
    *,
    grid: dict | None = None,
    n_jobs: int = 1,
    backend: str | None = None,
    cv: int = 3,
    n_estimators: int = 30,
    seed: int = 0,
) -> tuple[float, dict, float]:
    """Run the same grid search (random forest) with joblib's default or the ``"dask"`` backend.

    With ``backend="dask"`` a ``distributed.Client`` must be active (see
    :func:`scalingml.cluster.client`): the fits then run on its workers, local or remote.
    Returns ``(seconds, best_params, best_score)``.
    """
    from joblib import parallel_config

    # n_jobs=1 inside: only the search's candidates x folds are spread. Otherwise, under the
    # dask backend, every forest would also send each of its trees through the scheduler.
    forest = RandomForestClassifier(n_estimators=n_estimators, random_state=seed, n_jobs=1)
    search = GridSearchCV(forest, grid or search_grid(), cv=cv, n_jobs=n_jobs)
    start = time.perf_counter()
    if backend is None:
        search.fit(X, y)
    else:
        with parallel_config(backend=backend):
            search.fit(X, y)
    return time.perf_counter() - start, search.best_params_, float(search.best_score_)
